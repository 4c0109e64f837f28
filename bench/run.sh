#!/bin/bash
# The benchmark: builds pairsweep and the bench programs (Release) in $PS_BENCH_BUILD (default
# build-bench) and prints one table, every figure measured in this run (bench/README.md).
# usage: bash bench/run.sh [--full] [bench.py options]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${PS_BENCH_BUILD:-$src/build-bench}
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPS_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j2 --target pairsweep bench_train bench_master >/dev/null
exec "${PS_PYTHON:-/usr/bin/python3}" "$src/bench/bench.py" --build "$build" "$@"
