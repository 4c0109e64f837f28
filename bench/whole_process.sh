#!/bin/bash
# Whole process against whole process, as issue 18 measured it: `pairsweep train` and the PyTorch
# twin's script (bench/torch_run.py) each train one model for E epochs on 1000 pairs (batch 100,
# SGD lr 0.05 momentum 0.9) and test 1000 pairs after every epoch, one thread each, start-up
# (PyTorch's import, both loading MNIST) included; best of R wall times, the two alternated.
# With --avx2, AVX-512 is switched off at run time on both sides (pairsweep --kernels avx2 and
# OPENBLAS_CORETYPE=Haswell; ONEDNN_MAX_CPU_ISA=AVX2, ATEN_CPU_CAPABILITY=avx2).
# usage: bash bench/whole_process.sh [--avx2] [--epochs E] [--reps R] [MODEL:LOSS ...]
#   (default models: cnn:target indep_A4_k5:target resnet_ws:target; the build: $PS_BENCH_BUILD,
#   default build-bench; MNIST: $PS_MNIST_DIR, default data/mnist)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${PS_BENCH_BUILD:-$src/build-bench}
mnist=${PS_MNIST_DIR:-$src/data/mnist}
py=${PS_PYTHON:-/usr/bin/python3}
epochs=10 reps=3 kernels=auto models=()
while [ $# -gt 0 ]; do
  case $1 in
    --avx2) kernels=avx2; export OPENBLAS_CORETYPE=Haswell ONEDNN_MAX_CPU_ISA=AVX2 \
              ATEN_CPU_CAPABILITY=avx2 ;;
    --epochs) epochs=$2; shift ;;
    --reps) reps=$2; shift ;;
    -*) echo "whole_process.sh: unknown option $1" >&2; exit 2 ;;
    *) models+=("$1") ;;
  esac
  shift
done
[ ${#models[@]} -gt 0 ] || models=(cnn:target indep_A4_k5:target resnet_ws:target)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
[ -x "$build/pairsweep" ] || { echo "whole_process.sh: no $build/pairsweep (bash bench/run.sh builds it)" >&2; exit 2; }
wall() { local t0=$EPOCHREALTIME; "$@" > /dev/null; awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }'; }
min() { printf '%s\n' "$@" | sort -g | head -1; }
echo "whole process, $epochs epochs x 1000 pairs + a test of 1000 pairs per epoch, one thread, best of $reps; kernels $kernels; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "| model | pairsweep train s | PyTorch s | ratio |"
echo "|---|---|---|---|"
for ml in "${models[@]}"; do
  m=${ml%%:*} loss=${ml#*:} ours=() theirs=()
  for _ in $(seq "$reps"); do
    ours+=("$(wall "$build/pairsweep" train --model "$m" --epochs "$epochs" --lr 0.05 \
                 --kernels "$kernels" --mnist "$mnist")")
    theirs+=("$(wall "$py" "$src/bench/torch_run.py" "$m" "$loss" 0 "$mnist" --epochs "$epochs")")
  done
  o=$(min "${ours[@]}") t=$(min "${theirs[@]}")
  awk -v m="$m" -v o="$o" -v t="$t" 'BEGIN { printf "| %s | %.2f | %.2f | %.2f |\n", m, o, t, t / o }'
done
