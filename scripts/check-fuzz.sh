#!/usr/bin/env bash
# CI stage: libFuzzer on the three readers of untrusted files, each for a bounded time.
#
# Builds build-fuzz with clang (-fsanitize=fuzzer-no-link,address,undefined on every library,
# -fsanitize=fuzzer on the harnesses of tests/fuzz/), then runs each harness for
# PS_FUZZ_SECONDS (default 60) on a COPY of its seed corpus tests/fuzz/corpus/NAME/ (the
# committed corpus is never changed; new inputs stay in build-fuzz/corpus/NAME/):
#   fuzz_job      the job-file parser (ps_job_parse, ps_job_check_models, grid helpers)
#   fuzz_idx      the MNIST idx reader (ps_idx_read_images / ps_idx_read_labels, raw or gzip)
#   fuzz_results  the results reader (ps_results_read: HDF5 file and journal)
# A crash, a sanitizer report, a leak, a timeout (PS_FUZZ_TIMEOUT seconds per input, default
# 10) or an out-of-memory (2 GiB) fails the stage; the input that did it is kept under
# build-fuzz/artifacts/ and its path is printed. Reproduce with: build-fuzz/fuzz/NAME FILE
#
#   bash scripts/check-fuzz.sh                    # all three, 60 s each
#   PS_FUZZ_SECONDS=600 bash scripts/check-fuzz.sh fuzz_job
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
# shellcheck source=scripts/env.sh
. scripts/env.sh
dir=${PS_FUZZ_DIR:-build-fuzz}
seconds=${PS_FUZZ_SECONDS:-60}
timeout_s=${PS_FUZZ_TIMEOUT:-10}
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(fuzz_job fuzz_idx fuzz_results)
say() { printf 'check-fuzz: %s\n' "$*"; }

cc=$(command -v clang-14 || command -v clang || true)
if [ -z "$cc" ]; then
  say "clang not found: install clang-14 and libclang-rt-14-dev (scripts/setup.sh does)"
  exit 1
fi
say "configuring $dir with $cc"
mkdir -p "$dir"
cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS_DEBUG="-g -O1" -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" \
  -DPS_SANITIZE=ON -DPS_FUZZ=ON >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; exit 1; }
say "building ${harnesses[*]}"
cmake --build "$dir" -j"$(nproc)" --target "${harnesses[@]}" >"$dir/build.log" 2>&1 ||
  { tail -40 "$dir/build.log"; exit 1; }

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$top/tests/hardening/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=()
for h in "${harnesses[@]}"; do
  name=${h#fuzz_}
  corpus=$dir/corpus/$name
  art=$dir/artifacts/$name
  rm -rf "$corpus" "$art"
  mkdir -p "$corpus" "$art"
  cp tests/fuzz/corpus/"$name"/* "$corpus"/
  dict=()
  [ -f tests/fuzz/"$name".dict ] && dict=(-dict=tests/fuzz/"$name".dict)
  log=$dir/$h.log
  say "$h: ${seconds} s on $(ls "$corpus" | wc -l) seed inputs (log: $log)"
  rc=0
  "$dir/fuzz/$h" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout="$timeout_s" \
    -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$art/" >"$log" 2>&1 || rc=$?
  stats=$(grep -E '^stat::(number_of_executed_units|new_units_added)' "$log" |
          sed 's/stat:://' | tr '\n' ' ' || true)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)
  crashes=$(find "$art" -type f | sort)
  if [ "$rc" -ne 0 ] || [ -n "$crashes" ]; then
    say "$h: FAILED (status $rc) — $stats"
    grep -E 'CONTRACT BROKEN|ERROR|SUMMARY|runtime error|deadly signal|Test unit written|timeout|out-of-memory' \
      "$log" | head -20 || true
    for c in $crashes; do say "$h: crashing input kept at $c (reproduce: $dir/fuzz/$h $c)"; done
    failed+=("$h")
  else
    say "$h: OK — ${stats}${cov}, corpus now $(ls "$corpus" | wc -l) inputs"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED: ${failed[*]}"
  exit 1
fi
say "OK: no crash in ${harnesses[*]}"
