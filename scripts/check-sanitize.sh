#!/usr/bin/env bash
# CI stage: AddressSanitizer + UndefinedBehaviorSanitizer on the whole test suite.
#
# Configures build-asan (Debug with -O1 as the sanitizers advise, -DPS_SANITIZE=ON: -fsanitize=address,undefined with
# -fno-sanitize-recover=undefined), builds everything, runs every ctest test except the
# "slurm" label (a real SLURM cluster: slow, and it runs the Release binary) and the "launcher"
# label (launchers x signals: see below). Every sanitizer
# report of every process (tests, the pairsweep binary under the script tests, mpirun ranks,
# forked children) ends in a distinctive status (86 ASan, 87 UBSan), never the 1 or 2 a
# bad-input test expects; ASan's reports also go to a file under build-asan/sanitizer-logs/.
# UBSan's do not: GCC 12's UBSan inside ASan's runtime writes to stderr whatever log_path says
# (measured), so the stage also searches every test's output (ctest's LastTest.log) for
# "runtime error:". The stage fails when any test fails, any report file exists, or the
# output has a UBSan report. Leak checking is on; tests/hardening/lsan.supp
# suppresses Open MPI and HDF5 internals only, never pairsweep code.
#
#   bash scripts/check-sanitize.sh                 # everything
#   PS_ASAN_DIR=build-x bash scripts/check-sanitize.sh
#   PS_SANITIZE_EXCLUDE='slurm|twin' ...           # ctest -E regex (default: none)
#   PS_TEST_JOBS=2                                 # ctest -j
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
# shellcheck source=scripts/env.sh
. scripts/env.sh
dir=${PS_ASAN_DIR:-build-asan}
logs=$top/$dir/sanitizer-logs
say() { printf 'check-sanitize: %s\n' "$*"; }

say "configuring $dir (Debug -O1, PS_SANITIZE=ON)"
mkdir -p "$dir"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" -DPS_SANITIZE=ON >"$dir/configure.log" 2>&1 ||
  { cat "$dir/configure.log"; exit 1; }
say "building"
cmake --build "$dir" -j"$(nproc)" >"$dir/build.log" 2>&1 || { tail -50 "$dir/build.log"; exit 1; }

rm -rf "$logs"
mkdir -p "$logs"
# halt on the first error; a distinctive exit code (86) so that a report is never mistaken for
# the exit status 1 or 2 a bad-input test expects; reports into files (log_path appends .PID).
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=86:abort_on_error=0:\
detect_stack_use_after_return=0:strict_string_checks=1:check_initialization_order=1:\
fast_unwind_on_malloc=0:log_path=$logs/asan"
# use_tls=0: LeakSanitizer does not take thread-local storage as roots. On a Zen 4 VM (kernel
# 6.18) its tracer crashed at exit ("Tracer caught signal 11", after "DTLS 11 at
# 0x00000000405d-0x00040000515f": a bogus dynamic-TLS range it tried to scan) in every run of
# sweep_racing's resume after a kill, at c38e127 as well: no report, a crash of the checker.
# Without TLS roots a block held only from TLS would be reported as a leak: this can add
# reports, never hide one.
export LSAN_OPTIONS="suppressions=$top/tests/hardening/lsan.supp:print_suppressions=0:use_tls=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87:log_path=$logs/ubsan"
# fast_unwind_on_malloc=0: Open MPI and HDF5 are built without frame pointers, so only the slow
# unwinder sees their frames at allocation time, and the suppressions need those frames.
# Open MPI: keep its plugins loaded at MPI_Finalize (a dlclose'd plugin's leaks would show as
# "<unknown module>" and escape the suppressions), and no single-copy shared-memory probing.
export OMPI_MCA_mca_base_component_disable_dlclose=1
# Sanitized code runs 2-5x slower: tests that wait with fixed timeouts scale them by this.
export PS_TEST_TIMEOUT_SCALE=${PS_TEST_TIMEOUT_SCALE:-4}
export OMPI_MCA_btl_vader_single_copy_mechanism=none

exclude=${PS_SANITIZE_EXCLUDE:-}
# -LE: not the SLURM tests, and not the launcher ones: hardening_mpirun_sigint and _ctrl_c
# (Open MPI's handling of a signal; rank 0 takes the path of hardening_mpirun_sigterm, which
# runs here) and sweep_launchers (launchers x signals; rank 0's paths are sweep_interrupt's,
# which runs here). They take 200-530 s each under the sanitizers, and CI must stay under 30
# minutes; the Release stage runs them all.
args=(--test-dir "$dir" --output-on-failure -j"${PS_TEST_JOBS:-2}" --timeout 900 -LE 'slurm|launcher')
[ -n "$exclude" ] && args+=(-E "$exclude")
say "running ctest ${args[*]}"
start=$(date +%s)
rc=0
ctest "${args[@]}" || rc=$?
say "ctest finished in $(( $(date +%s) - start )) s (status $rc)"

ubsan=$(grep -h -B2 -A12 ': runtime error: ' "$dir"/Testing/Temporary/LastTest*.log 2>/dev/null | head -80 || true)
if [ -n "$ubsan" ]; then
  say "UBSan reports in the tests' output:"
  printf '%s\n' "$ubsan"
  say "FAILED: UBSan reported undefined behaviour"
  exit 1
fi
reports=$(find "$logs" -type f -size +0 | sort)
if [ -n "$reports" ]; then
  say "sanitizer reports:"
  for f in $reports; do
    printf '==== %s\n' "$f"
    head -60 "$f"
  done
  say "FAILED: $(echo "$reports" | wc -l) sanitizer report file(s) in $logs"
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  say "FAILED: ctest status $rc"
  exit 1
fi
say "OK: every test passed, no sanitizer report"
