#!/bin/sh
# CLI checks of `pairsweep models` and `pairsweep train`: usage: test_train_cli.sh PAIRSWEEP WORKDIR
set -e
p=$1
w=$2
out=$("$p" models)
for m in 'cnn .* 59373 ' 'siamese .* 46033 ' 'siamese_aux .* 45937 ' 'siamese_v2 .* 46033 ' \
         'resnet .* 65666 ' 'resnet_ws .* 66260 ' 'resnet_ws_aux .* 66260 ' 'aux_A6_k5 '; do
    echo "$out" | grep -q "^$m" || { echo "models: missing '$m'"; exit 1; }
done
test "$(echo "$out" | wc -l)" -eq 44 || { echo "models: expected 43 models + header"; exit 1; }
f=$w/cli_train.h5
rm -f "$f"
"$p" train --model shared_A1_k3 --seed 3 --epochs 2 --n-train 200 --n-test 100 \
    --batch-size 50 --lr-step 1:0.1 --save "$f" > "$w/cli_train.out"
grep -q '^epoch   2/2' "$w/cli_train.out"
grep -q '^final test accuracy' "$w/cli_train.out"
test -s "$f"
for bad in "--model nope" "--model cnn --bn maybe" "--model cnn --epochs 0" "--seed 1" \
           "--model cnn extra"; do
    rc=0
    "$p" train $bad 2>/dev/null >/dev/null || rc=$?
    test $rc -eq 2 || { echo "train $bad: exit $rc, expected 2"; exit 1; }
done
"$p" train --help | grep -q -- '--lr-step'
# --eval last: the same training (train curves, weights), tested after the last epoch only
"$p" train --model shared_A1_k3 --seed 3 --epochs 2 --n-train 200 --n-test 100 \
    --batch-size 50 --lr-step 1:0.1 > "$w/cli_every.out"
"$p" train --model shared_A1_k3 --seed 3 --epochs 2 --n-train 200 --n-test 100 \
    --batch-size 50 --lr-step 1:0.1 --eval last > "$w/cli_last.out"
grep -q '^epoch   1/2  train loss [0-9.]*  train acc  *[0-9.]*%  [0-9.]* s$' "$w/cli_last.out" ||
    { echo "--eval last: epoch 1 should have no test figures"; exit 1; }
grep '^epoch   2/2' "$w/cli_last.out" | grep -q 'test acc'
strip() { sed -n 's/^\(epoch   [12]\/2  train loss [0-9.]*  train acc *[0-9.]*%\).*/\1/p; s/^\(final test accuracy [0-9.]*%\).*/\1/p' "$1"; }
test "$(strip "$w/cli_every.out")" = "$(strip "$w/cli_last.out")" ||
    { echo "--eval last changed the training"; exit 1; }
test "$(strip "$w/cli_last.out" | wc -l)" -eq 3
rc=0
"$p" train --model cnn --eval sometimes 2>/dev/null >/dev/null || rc=$?
test $rc -eq 2 || { echo "train --eval sometimes: exit $rc, expected 2"; exit 1; }
"$p" train --help | grep -q -- '--eval every|last'
echo ok
# PS_NN_MAX_ISA: a bad value is refused before any work (status 2, one line naming it); avx2
# caps auto at AVX2 (the header says what the kernels compute with), with the same results
rc=0
PS_NN_MAX_ISA=sse2 "$p" models >/dev/null 2>"$w/isa.err" || rc=$?
test $rc -eq 2 || { echo "PS_NN_MAX_ISA=sse2: exit $rc, expected 2"; exit 1; }
test "$(wc -l < "$w/isa.err")" -eq 1 && grep -q "PS_NN_MAX_ISA='sse2', expected avx512 or avx2" "$w/isa.err" ||
    { echo "PS_NN_MAX_ISA=sse2: unexpected message: $(cat "$w/isa.err")"; exit 1; }
isa=$("$p" train --model cnn --epochs 1 --n-train 200 --n-test 100 | sed -n '1s/.*kernels auto: //p')
case "$isa" in avx512|avx2|gemm) ;; *) echo "train: no 'kernels auto: ISA' in the header"; exit 1 ;; esac
PS_NN_MAX_ISA=avx2 "$p" train --model cnn --epochs 1 --n-train 200 --n-test 100 > "$w/isa_cap.out"
capped=$(sed -n '1s/.*kernels auto: //p' "$w/isa_cap.out")
if [ "$isa" = gemm ]; then want=gemm; else want=avx2; fi
test "$capped" = "$want" || { echo "PS_NN_MAX_ISA=avx2: kernels auto: $capped, expected $want"; exit 1; }
"$p" train --model cnn --epochs 1 --n-train 200 --n-test 100 --kernels avx2 > "$w/isa_avx2.out"
strip1() { sed -n 's/^\(epoch   1\/1  .*%\).*/\1/p' "$1"; }
test -n "$(strip1 "$w/isa_cap.out")" && test "$(strip1 "$w/isa_cap.out")" = "$(strip1 "$w/isa_avx2.out")" ||
    { echo "PS_NN_MAX_ISA=avx2 and --kernels avx2 trained differently"; exit 1; }
