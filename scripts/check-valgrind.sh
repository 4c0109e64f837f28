#!/usr/bin/env bash
# CI stage: valgrind memcheck on the Release build (build/, or $PS_BUILD_DIR): the MNIST
# loaders (`pairsweep data`, also on a gzip copy of the test set and on a bad file, so that the
# error paths free what they took), the job parser and planner (`pairsweep run --dry-run`, on
# jobs/tiny.yaml and on a bad job) and short training runs (`pairsweep train`). Fails on any
# invalid access, use of uninitialised memory, or definitely lost block.
#
#   bash scripts/check-valgrind.sh           # builds build/ if pairsweep is missing
#   PS_BUILD_DIR=build-x bash scripts/check-valgrind.sh
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
# shellcheck source=scripts/env.sh
. scripts/env.sh
dir=${PS_BUILD_DIR:-build}
mnist=${PS_MNIST_DIR:-$top/data/mnist}
say() { printf 'check-valgrind: %s\n' "$*"; }
command -v valgrind >/dev/null || { say "valgrind not found (scripts/setup.sh installs it)"; exit 1; }
if [ ! -x "$dir/pairsweep" ]; then
  say "building $dir (Release)"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$dir" -j"$(nproc)" --target pairsweep >/dev/null
fi
ps=$top/$dir/pairsweep
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A gzip copy of the test set (the gzip path of the loader) beside links to the training set,
# and a directory whose label file is corrupt (the error path).
mkdir -p "$work/gz" "$work/bad"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte; do
  ln -s "$mnist/$f" "$work/gz/$f"
  ln -s "$mnist/$f" "$work/bad/$f"
done
for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do gzip -c "$mnist/$f" >"$work/gz/$f.gz"; done
ln -s "$mnist/t10k-images-idx3-ubyte" "$work/bad/t10k-images-idx3-ubyte"
head -c 5000 "$mnist/t10k-labels-idx1-ubyte" >"$work/bad/t10k-labels-idx1-ubyte"

vg=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-origins=yes
    --num-callers=30 --quiet)
# Open MPI's own plugins stay loaded (readable stacks) and skip their shared-memory probing.
export OMPI_MCA_mca_base_component_disable_dlclose=1
failed=0
run() { # run NAME EXPECTED_STATUS ARGS...
  local name=$1 want=$2 rc=0 t0
  shift 2
  t0=$(date +%s)
  "${vg[@]}" --log-file="$work/$name.vg" "$ps" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  if [ "$rc" -eq 99 ] || [ -s "$work/$name.vg" ]; then
    say "$name: FAILED: memcheck reports"
    cat "$work/$name.vg"
    failed=1
  elif [ "$rc" -ne "$want" ]; then
    say "$name: FAILED: exit status $rc, expected $want"
    tail -5 "$work/$name.err"
    failed=1
  else
    say "$name: clean ($(( $(date +%s) - t0 )) s): pairsweep $*"
  fi
}
run data 0 data --mnist "$mnist" --pairs 1000
run data-gzip 0 data --mnist "$work/gz" --pairs 100
run data-bad 2 data --mnist "$work/bad"
# the job parser and the planner (no MPI in a dry run), and a job file's error path
printf 'name: bad\nepochs: 2\nmodels:\n  - name: cnn\n    grid: {lr: [0.1, 0]}\n' >"$work/bad.yaml"
run dry-run 0 run --dry-run "$top/jobs/tiny.yaml"
run dry-run-bad 2 run --dry-run "$work/bad.yaml"
run train 0 train --model siamese_aux --epochs 1 --n-train 200 --n-test 200 --batch-size 50 --quiet
run train-resnet 0 train --model resnet --epochs 1 --n-train 100 --n-test 100 --batch-size 25 --quiet
[ "$failed" -eq 0 ] || { say "FAILED"; exit 1; }
say "OK: no invalid access, no uninitialised value, no definite leak"
