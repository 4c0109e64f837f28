#!/usr/bin/env bash
# pairsweep: the whole test suite. Sets up (idempotent: packages, MNIST, build), then runs
# every test with ctest. Exits non-zero when any test fails.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh
ctest --test-dir build --output-on-failure -j"${PS_TEST_JOBS:-2}" --timeout 900
