#!/usr/bin/env bash
# pairsweep: the whole test suite. Sets up (idempotent: the Debian packages of building,
# running and testing, MNIST, build: scripts/setup.sh --tests), then runs, stopping at the
# first stage that fails:
#   1. every test of every module with ctest on the Release build (build/), SLURM included;
#   2. the BLAS-using tests against BLIS instead of OpenBLAS (scripts/check-blas.sh);
#   3. the same suite (but SLURM and two launcher tests) under AddressSanitizer + UBSan
#      (scripts/check-sanitize.sh);
#   4. valgrind memcheck on the loaders, the job parser and short trainings (check-valgrind.sh);
#   5. the libFuzzer harnesses, PS_FUZZ_SECONDS (default 60) each (check-fuzz.sh).
# PS_QUICK_TESTS=1 runs stage 1 only.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
bash scripts/setup.sh --tests
# shellcheck source=scripts/env.sh
. scripts/env.sh
stage() { printf '\n== test stage: %s ==\n' "$*"; }
start=$(date +%s)
stage "ctest (Release build, every module)"
ctest --test-dir build --output-on-failure -j"${PS_TEST_JOBS:-2}" --timeout 900
if [ "${PS_QUICK_TESTS:-0}" != 1 ]; then
  stage "a second CBLAS: BLIS"
  bash scripts/check-blas.sh
  stage "AddressSanitizer + UBSan build, whole suite but SLURM and the launcher label"
  bash scripts/check-sanitize.sh
  stage "valgrind memcheck"
  bash scripts/check-valgrind.sh
  stage "libFuzzer"
  bash scripts/check-fuzz.sh
fi
echo "test.sh: every stage passed in $(( $(date +%s) - start )) s"
