#!/usr/bin/env bash
# The bad-input catalogue of issue 9, run on the real binary:
#   bad_inputs.sh CATEGORY PAIRSWEEP WORKDIR
#   CATEGORY: cli | jobs | mnist | results | paths | writers
# Each input must give exit status 2 (bad usage or input) or 1 (failure), exactly one line on
# stderr naming the file (and line, for job files), no crash, no hang, and no results file
# that looks complete; the cases of issue 16 (paths, writers, numbers) expect exactly 2 and
# check that no file was replaced (SHA-256 before and after). The rows of docs/hardening.md
# are written to WORKDIR/table-CATEGORY.md.
set -uo pipefail
cat_=$1
ps=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
work=$3/$cat_
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${PS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
mnist=${PS_MNIST_DIR:-$src/data/mnist}
rm -rf "$work"
mkdir -p "$work"
table=$work/../table-$cat_.md
: >"$table"
# shellcheck source=tests/hardening/lib.sh
. "$here/lib.sh"
export OPENBLAS_NUM_THREADS=1
ulimit -c 0 # a crash is seen in the exit status; no core files left around

# A job small enough to finish in about a second: 2 selection tasks and 1 final task.
micro_job() { # micro_job FILE [SEED]
  cat >"$1" <<EOF
name: micro
seed: ${2:-1}
epochs: 1
data: {n_train: 200, n_test: 100}
protocol: {kind: kfold, folds: 2, final: {seeds: 1}}
models:
  - name: siamese_aux
    grid: {batch_size: 50, lr: 0.05}
EOF
}

# ---------------------------------------------------------------------------------------------
cli() {
  cd "$work" || exit 1
  local cmds
  cmds=$("$ps" --help | awk '/^commands:/{f=1; next} f && /^  [a-z]/{print $1}')
  expect "unknown subcommand (pairsweep frobnicate)" 2 "frobnicate" "$ps" frobnicate
  expect "unknown global flag (pairsweep --frobnicate)" 2 "--frobnicate" "$ps" --frobnicate
  for c in $cmds; do
    expect "unknown flag (pairsweep $c --frobnicate)" 2 "--frobnicate" "$ps" "$c" --frobnicate
  done
  # no command at all: the usage (several lines) on stderr and status 2 is the convention
  local rc=0
  timeout 20 "$ps" >/dev/null 2>"$work/usage.err" || rc=$?
  if [ "$rc" -eq 2 ] && grep -q '^usage: pairsweep' "$work/usage.err"; then
    pass "no command: usage on stderr, status 2"
  else
    fail "no command" "status $rc, stderr: $(head -1 "$work/usage.err")"
  fi
  printf '| %s | %s | `%s` |\n' "no command (pairsweep)" "$rc" "usage: pairsweep COMMAND [options] (the usage text)" >>"$table"
  # missing arguments
  expect "missing job file (pairsweep run)" 2 "JOB" "$ps" run
  expect "option without its value (pairsweep run -o)" 2 "-o" "$ps" run -o
  expect "option without its value (pairsweep data --mnist)" 2 "--mnist" "$ps" data --mnist
  expect "option without its value (pairsweep train --model)" 2 "--model" "$ps" train --model
  expect "extra argument (pairsweep data extra)" 2 "extra" "$ps" data extra
  expect "two job files (pairsweep run a.yaml b.yaml)" 2 "" "$ps" run a.yaml b.yaml
  # bad numbers
  expect "not a number (data --pairs abc)" 2 "--pairs" "$ps" data --pairs abc
  expect "zero (data --pairs 0)" 2 "--pairs" "$ps" data --pairs 0
  expect "overflow (data --pairs 99999999999999999999)" 2 "--pairs" "$ps" data --pairs 99999999999999999999
  expect "negative (data --seed -1)" 2 "--seed" "$ps" data --seed -1
  expect "trailing garbage (data --pairs 10x)" 2 "--pairs" "$ps" data --pairs 10x
  expect "float for an integer (train --epochs 1e3)" 2 "--epochs" "$ps" train --model cnn --epochs 1e3
  expect "zero epochs (train --epochs 0)" 2 "--epochs" "$ps" train --model cnn --epochs 0
  expect "negative lr (train --lr -1)" 2 "--lr" "$ps" train --model cnn --lr -1
  expect "nan lr (train --lr nan)" 2 "--lr" "$ps" train --model cnn --lr nan
  expect "unknown model (train --model nope)" 2 "nope" "$ps" train --model nope
  expect "bad shard (run --shard 3/2)" 2 "--shard" "$ps" run --shard 3/2 x.yaml
  expect "bad shard (run --shard 0/2)" 2 "--shard" "$ps" run --shard 0/2 x.yaml
  expect "bad deadline (run --deadline soon)" 2 "--deadline" "$ps" run --deadline soon x.yaml
  expect "negative deadline (run --deadline -5)" 2 "--deadline" "$ps" run --deadline -5 x.yaml
  expect "negative grace (run --grace -1)" 2 "--grace" "$ps" run --grace -1 x.yaml
  expect "zero rate (run --rate 0)" 2 "--rate" "$ps" run --rate 0 x.yaml
  # numbers that overflow, or are out of range: refused, the message quoting what was typed
  expect "shard past 2^32 (run --shard 4294967297/4294967298: was read as 1/2)" 2 \
    "'4294967297/4294967298'" "$ps" run --dry-run --shard 4294967297/4294967298 x.yaml
  expect "shard count past 2^31 (run --shard 1/99999999999)" 2 "'1/99999999999'" \
    "$ps" run --dry-run --shard 1/99999999999 x.yaml
  expect "shard with three fields (run --shard 1/2/3)" 2 "'1/2/3'" "$ps" run --shard 1/2/3 x.yaml
  expect "deadline with four fields (run --deadline 1:2:3:4)" 2 "'1:2:3:4'" \
    "$ps" run --deadline 1:2:3:4 x.yaml
  expect "deadline past 10^9 s (run --deadline 99999999999)" 2 "'99999999999'" \
    "$ps" run --deadline 99999999999 x.yaml
  expect "grace overflowing a double (run --grace 1e400)" 2 "'1e400'" "$ps" run --grace 1e400 x.yaml
  expect "grace nan (run --grace nan)" 2 "'nan'" "$ps" run --grace nan x.yaml
  expect "rate overflowing a double (run --rate 1e999)" 2 "'1e999'" "$ps" run --rate 1e999 x.yaml
  expect "seed past 2^31 (data --seed 2147483648)" 2 "'2147483648'" "$ps" data --seed 2147483648
  expect "seed past 2^64 (train --seed 18446744073709551617)" 2 "'18446744073709551617'" \
    "$ps" train --model cnn --seed 18446744073709551617
  # the largest 64-bit seed is a seed (stored tasks have 64-bit seeds): parsed and run
  local seed_rc=0
  timeout 60 "$ps" train --model cnn --seed 18446744073709551615 --epochs 1 --n-train 100 \
    --n-test 100 -q >"$work/seed.out" 2>"$work/seed.err" || seed_rc=$?
  if [ "$seed_rc" -eq 0 ] && grep -q 'seed 18446744073709551615' "$work/seed.out"; then
    pass "seed 2^64-1 accepted (train --seed 18446744073709551615)"
  else
    fail "seed 2^64-1 (train --seed 18446744073709551615)" "status $seed_rc: $(head -1 "$work/seed.err")"
  fi
  printf '| %s | %s | `%s` |\n' "seed 2^64-1 accepted (train --seed 18446744073709551615)" \
    "$seed_rc" "(trains; no message)" >>"$table"
  expect "--from without --task (train --from x.h5)" 2 "--task" "$ps" train --from x.h5
  expect "--task without --from (train --task 0123456789abcdef)" 2 "--from" \
    "$ps" train --model cnn --task 0123456789abcdef
  expect "an option the stored task sets (train --from x.h5 --task ID --epochs 3)" 2 \
    "--epochs" "$ps" train --from x.h5 --task 0123456789abcdef --epochs 3
  expect "batch size past the grid's range (train --batch-size 1000001)" 2 \
    "1..1000000, got '1000001'" "$ps" train --model cnn --batch-size 1000001
  expect "batch size over the training pairs (train --batch-size 60001)" 2 \
    "batch size 60001, expected 1..1000" "$ps" train --model cnn --batch-size 60001
  expect "momentum 1 (train --momentum 1)" 2 "'1'" "$ps" train --model cnn --momentum 1
  expect "lr overflowing a double (train --lr 1e400)" 2 "'1e400'" "$ps" train --model cnn --lr 1e400
  expect "fold past its folds (train --fold 5:5)" 2 "'5:5'" "$ps" train --model cnn --fold 5:5
  expect "lr step at epoch 0 (train --lr-step 0:0.1)" 2 "'0:0.1'" \
    "$ps" train --model cnn --lr-step 0:0.1
  expect "bad report (models --report 001)" 2 "'001'" "$ps" models --report 001
  no_results "$work" "command line: nothing written"
}

# ---------------------------------------------------------------------------------------------
# job_case NAME LINE TEXT: writes NAME.yaml and runs `pairsweep run` (and --dry-run) on it in a
# fresh directory; the error must name NAME.yaml:LINE.
job_case() {
  local name=$1 line=$2 text=$3 d=$work/$1
  mkdir -p "$d"
  printf '%s' "$text" >"$d/$name.yaml"
  cd "$d" || exit 1
  local needle="$name.yaml:$line:"
  [ "$line" = "-" ] && needle="$name.yaml"
  expect "job: $name (run)" 2 "$needle" "$ps" run "$name.yaml"
  expect "job: $name (run --dry-run)" 2 "$needle" "$ps" run --dry-run "$name.yaml"
  no_results "$d" "job: $name: nothing written"
}

jobs() {
  local ok='name: j
epochs: 2
data: {n_train: 200, n_test: 100}
protocol: {kind: kfold, folds: 2, final: {seeds: 1}}
models:
  - name: cnn
    grid: {batch_size: [25, 50], lr: 0.1}
'
  job_case yaml-syntax 4 'name: j
epochs: 2
data: {n_train: 200, n_test: 100
protocol: {kind: kfold}
models: [{name: cnn}]
'
  job_case yaml-tab 3 'name: j
models:
	- name: cnn
'
  job_case unknown-key 2 'name: j
epoch: 2
models: [{name: cnn}]
'
  job_case unknown-nested-key 7 "${ok//lr: 0.1/lr: 0.1, learning_rate: 0.1}"
  job_case wrong-type 2 "${ok//epochs: 2/epochs: two}"
  job_case wrong-type-list 2 "${ok//epochs: 2/epochs: [2, 3]}"
  job_case wrong-type-mapping 3 "${ok//data: \{n_train: 200, n_test: 100\}/data: [200, 100]}"
  job_case missing-models 1 'name: j
epochs: 2
'
  job_case missing-model-name 6 "${ok//- name: cnn/- group: g}"
  job_case unknown-model 6 "${ok//name: cnn/name: cnnn}"
  job_case empty-models 5 "${ok%%models:*}models: []
"
  job_case empty-grid 7 "${ok//lr: 0.1/lr: []}"
  job_case epochs-zero 2 "${ok//epochs: 2/epochs: 0}"
  job_case epochs-absurd 2 "${ok//epochs: 2/epochs: 100000000}"
  job_case batch-larger-than-data 7 "${ok//batch_size: \[25, 50\]/batch_size: [25, 500]}"
  job_case lr-zero 7 "${ok//lr: 0.1/lr: 0}"
  job_case lr-negative 7 "${ok//lr: 0.1/lr: -0.1}"
  job_case lr-nan 7 "${ok//lr: 0.1/lr: .nan}"
  job_case folds-one 4 "${ok//folds: 2/folds: 1}"
  job_case folds-more-than-pairs 4 "${ok//folds: 2/folds: 300}"
  job_case n-train-absurd 3 "${ok//n_train: 200/n_train: 100000000}"
  job_case seed-negative 1 "seed: -1
${ok}"
  job_case duplicate-model 8 "${ok}  - name: cnn
"
  job_case duplicate-grid-value 7 "${ok//lr: 0.1/lr: [0.1, 0.1]}"
  job_case duplicate-key 3 "${ok//epochs: 2/epochs: 2
epochs: 3}"
  job_case two-documents 8 "${ok}---
name: other
"
  job_case quoted-newline-in-value 1 'name: "a\nb"
models: [{name: cnn}]
'
  # a grid of 64^5 points (64 values per key, the most a key takes): refused at once, not
  # planned for minutes
  vals() { awk -v s="$1" 'BEGIN { for (i = 1; i <= 64; i++) printf "%s%g", (i > 1 ? ", " : ""), i * s }'; }
  limit=$((20 * ${PS_TEST_TIMEOUT_SCALE:-1})) job_case grid-absurd - "name: j
models:
  - name: siamese_aux
    grid:
      batch_size: [$(vals 1)]
      lr: [$(vals 0.01)]
      momentum: [$(vals 0.001)]
      weight_decay: [$(vals 0.0001)]
      aux_weight: [$(vals 0.1)]
"
  # flow collections nested 100,000 deep: refused before libyaml (quadratic in the depth)
  limit=$((10 * ${PS_TEST_TIMEOUT_SCALE:-1})) job_case deep-nesting 1 "$(printf '%100000s' '' | tr ' ' '[')"
  job_case empty-file 1 ''
  job_case only-comment 1 '# nothing
'
  job_case binary 1 "$(head -c 64 "$ps" | tr -d '\000')"
  job_case control-byte 2 "$(printf 'name: j\nseed: 1\001\n')"
  # a file that is not there, a directory
  mkdir -p "$work/missing" && cd "$work/missing" || exit 1
  expect "job: file not there" "2" "nope.yaml" "$ps" run nope.yaml
  mkdir -p adir
  expect "job: a directory" 2 "adir" "$ps" run adir
  # a FIFO would block the read forever (no writer): refused before it is opened, and opened
  # non-blocking; under `timeout`, so that a regression fails instead of hanging
  mkfifo fifo.yaml
  ln -sf fifo.yaml link-to-fifo.yaml
  local l
  for l in "" --dry-run; do
    limit=20 expect "job: a FIFO (run${l:+ $l})" 2 "fifo.yaml" "$ps" run $l fifo.yaml
  done
  limit=20 expect "job: a symbolic link to a FIFO" 2 "link-to-fifo.yaml" "$ps" run link-to-fifo.yaml
  expect "job: a device (run /dev/null)" 2 "/dev/null" "$ps" run /dev/null
  no_results "$work/missing" "job: missing/directory/FIFO: nothing written"
}

# ---------------------------------------------------------------------------------------------
# mnist_dir NAME: a directory of links to the real files, where the caller replaces one.
mnist_dir() {
  local d=$work/$1
  mkdir -p "$d"
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
           t10k-labels-idx1-ubyte; do
    if [ -e "$mnist/$f" ]; then ln -sf "$mnist/$f" "$d/$f"; else ln -sf "$mnist/$f.gz" "$d/$f.gz"; fi
  done
  printf '%s' "$d"
}

# a raw copy of a real file (from .gz when that is what the directory holds)
raw() { if [ -e "$mnist/$1" ]; then cat "$mnist/$1"; else gzip -dc "$mnist/$1.gz"; fi; }

mnist_case() { # mnist_case NAME NEEDLE: runs `pairsweep data` on $work/NAME
  cd "$work" || exit 1
  expect "MNIST: $1" "2" "$2" "$ps" data --mnist "$work/$1" --pairs 10
}

mnist() {
  if [ ! -e "$mnist/t10k-labels-idx1-ubyte" ] && [ ! -e "$mnist/t10k-labels-idx1-ubyte.gz" ]; then
    say "no MNIST in $mnist (run scripts/setup.sh)"; exit 1
  fi
  local d tl=t10k-labels-idx1-ubyte ti=t10k-images-idx3-ubyte
  cd "$work" || exit 1
  expect "MNIST: missing directory" "2" "$work/nowhere" "$ps" data --mnist "$work/nowhere"
  d=$(mnist_dir missing-file); rm "$d/$tl"*
  mnist_case missing-file "$tl"
  d=$(mnist_dir empty-file); rm "$d/$tl"*; : >"$d/$tl"
  mnist_case empty-file "$tl"
  d=$(mnist_dir truncated-images); rm "$d/$ti"*; raw $ti | head -c 5000000 >"$d/$ti"
  mnist_case truncated-images "$ti"
  d=$(mnist_dir truncated-header); rm "$d/$tl"*; raw $tl | head -c 6 >"$d/$tl"
  mnist_case truncated-header "$tl"
  d=$(mnist_dir wrong-magic); rm "$d/$tl"*; raw $ti | head -c 16 >"$d/$tl"
  mnist_case wrong-magic "$tl"
  d=$(mnist_dir images-as-labels); rm "$d/$tl"*; raw $ti >"$d/$tl"
  mnist_case images-as-labels "$tl"
  d=$(mnist_dir count-larger-than-file); rm "$d/$tl"*
  { printf '\0\0\10\1\0\0\47\21'; raw $tl | tail -c +9; } >"$d/$tl" # 10001 labels promised
  mnist_case count-larger-than-file "$tl"
  d=$(mnist_dir count-smaller-than-file); rm "$d/$tl"*
  { printf '\0\0\10\1\0\0\47\17'; raw $tl | tail -c +9; } >"$d/$tl" # 9999 promised
  mnist_case count-smaller-than-file "$tl"
  d=$(mnist_dir count-absurd); rm "$d/$ti"*
  { printf '\0\0\10\3\5\365\341\0\0\0\4\0\0\0\4\0'; raw $ti | tail -c +17 | head -c 100000; } >"$d/$ti"
  mnist_case count-absurd "$ti" # 10^8 images of 1024 x 1024 promised, 100 kB there
  d=$(mnist_dir count-zero); rm "$d/$tl"*; printf '\0\0\10\1\0\0\0\0' >"$d/$tl"
  mnist_case count-zero "$tl"
  d=$(mnist_dir images-labels-disagree); rm "$d/$tl"*
  { printf '\0\0\10\1\0\0\47\17'; raw $tl | tail -c +9 | head -c 9999; } >"$d/$tl"
  mnist_case images-labels-disagree "$tl"
  d=$(mnist_dir label-out-of-range); rm "$d/$tl"*
  { raw $tl | head -c 5008; printf '\12'; raw $tl | tail -c +5010; } >"$d/$tl"
  mnist_case label-out-of-range "$tl"
  d=$(mnist_dir images-not-28x28); rm "$d/$ti"*
  { printf '\0\0\10\3\0\0\47\20\0\0\0\16\0\0\0\70'; raw $ti | tail -c +17; } >"$d/$ti" # 14 x 56
  mnist_case images-not-28x28 "$ti"
  d=$(mnist_dir gzip-corrupt); rm "$d/$tl"*; raw $tl | gzip -c >"$d/$tl.gz"
  printf 'XXXXXXXXXXXXXXXX' | dd of="$d/$tl.gz" bs=1 seek=2000 conv=notrunc status=none
  mnist_case gzip-corrupt "$tl"
  d=$(mnist_dir gzip-truncated); rm "$d/$tl"*; raw $tl | gzip -c | head -c 3000 >"$d/$tl.gz"
  mnist_case gzip-truncated "$tl"
  d=$(mnist_dir gzip-bad-crc); rm "$d/$tl"*; raw $tl | gzip -c >"$d/$tl.gz"
  local sz; sz=$(stat -c %s "$d/$tl.gz")
  printf '\377\377\377\377' | dd of="$d/$tl.gz" bs=1 seek=$((sz - 8)) conv=notrunc status=none
  mnist_case gzip-bad-crc "$tl"
  d=$(mnist_dir not-a-file); rm "$d/$tl"*; mkdir "$d/$tl"
  cd "$work" || exit 1
  expect "MNIST: not-a-file (a directory)" 2 "$tl" "$ps" data --mnist "$d" --pairs 10
  # a FIFO (no writer) in place of an idx file: gzread would wait forever; refused without
  # blocking (20 s limit: a regression fails instead of hanging)
  d=$(mnist_dir fifo); rm "$d/$tl"*; mkfifo "$d/$tl"
  limit=20 expect "MNIST: fifo (a FIFO in place of $tl)" 2 "$tl" "$ps" data --mnist "$d" --pairs 10
  limit=20 expect "MNIST: fifo, through train" 2 "$tl" \
    "$ps" train --model cnn --epochs 1 --mnist "$d"
  d=$(mnist_dir fifo-gz); rm "$d/$tl"*; mkfifo "$d/$tl.gz"
  limit=20 expect "MNIST: fifo-gz (a FIFO in place of $tl.gz)" 2 "$tl.gz" \
    "$ps" data --mnist "$d" --pairs 10
  d=$(mnist_dir device); rm "$d/$tl"*; ln -s /dev/zero "$d/$tl"
  limit=20 expect "MNIST: device (a link to /dev/zero in place of $tl)" 2 "$tl" \
    "$ps" data --mnist "$d" --pairs 10
  # --mnist DIR that is not a directory
  : >"$work/plain-file"
  expect "MNIST: --mnist names a file" 2 "plain-file" "$ps" data --mnist "$work/plain-file"
  expect "MNIST: --mnist names a device" 2 "/dev/null" "$ps" data --mnist /dev/null
  expect "MNIST: --mnist names a file, through train" 2 "plain-file" \
    "$ps" train --model cnn --mnist "$work/plain-file"
  # the same through `pairsweep run`: one line, no results file
  mkdir -p "$work/run" && cd "$work/run" || exit 1
  micro_job micro.yaml
  expect "MNIST through run: truncated images" 2 "$ti" \
    "$ps" run -q --mnist "$work/truncated-images" micro.yaml
  expect "MNIST through run: missing directory" 2 "$work/nowhere" \
    "$ps" run -q --mnist "$work/nowhere" micro.yaml
  limit=20 expect "MNIST through run: a FIFO in place of $tl" 2 "$tl" \
    "$ps" run -q --mnist "$work/fifo" micro.yaml
  expect "MNIST through run: --mnist names a file" 2 "plain-file" \
    "$ps" run -q --mnist "$work/plain-file" micro.yaml
  no_results "$work/run" "MNIST through run: nothing written"
}

# ---------------------------------------------------------------------------------------------
# unchanged FILE SHA LABEL
unchanged() {
  if [ -e "$1" ] && [ "$(sha "$1")" = "$2" ]; then pass "$3: $1 unchanged"; else fail "$3" "$1 was changed"; fi
}

results() {
  local d=$work s rc
  cd "$d" || exit 1
  micro_job micro.yaml 1
  micro_job other.yaml 2
  sed -i 's/^name: micro/name: other/' other.yaml
  rc=0
  timeout 120 "$ps" run -q -o micro.h5 micro.yaml >/dev/null 2>run.err || rc=$?
  if [ "$rc" -ne 0 ]; then fail "results: reference run" "status $rc: $(cat run.err)"; finish; exit 1; fi
  s=$(sha micro.h5)
  expect "results: a file of another job" 2 "micro.h5" "$ps" run -q -o micro.h5 other.yaml
  # shellcheck disable=SC2154 # err: set by expect (lib.sh)
  grep -q -- '--restart' "$err" && pass "results: the refusal names --restart" ||
    fail "results: another job" "the message does not mention --restart"
  unchanged micro.h5 "$s" "results: a file of another job"
  expect "results: a task not in the file (train --from micro.h5 --task 0123456789abcdef)" 2 \
    "0123456789abcdef" "$ps" train --from micro.h5 --task 0123456789abcdef
  cp micro.h5 restart.h5
  rc=0
  timeout 120 "$ps" run -q --restart -o restart.h5 other.yaml >/dev/null 2>run.err || rc=$?
  [ "$rc" -eq 0 ] && pass "results: --restart replaces a file of another job" ||
    fail "results: --restart" "status $rc: $(cat run.err)"

  printf 'these are not the results you are looking for\n' >text.h5
  s=$(sha text.h5)
  expect "results: a file that is not HDF5" 2 "text.h5" "$ps" run -q -o text.h5 micro.yaml
  unchanged text.h5 "$s" "results: not HDF5"
  : >empty.h5
  expect "results: an empty file" 2 "empty.h5" "$ps" run -q -o empty.h5 micro.yaml
  head -c 2048 micro.h5 >cut.h5
  s=$(sha cut.h5)
  expect "results: a truncated HDF5 file" "1 2" "cut.h5" "$ps" run -q -o cut.h5 micro.yaml
  unchanged cut.h5 "$s" "results: truncated HDF5"
  # the readers of results files (when this build has them) on the same bad files. (Not on the
  # damaged samples of tests/fuzz/crashes/: libhdf5 crashes on them only under ASan, where the
  # report itself fails the sanitizer stage; see docs/hardening-findings.md, F2.)
  local c f cmds
  cmds=$("$ps" --help | awk '/^commands:/{x=1; next} x && /^  [a-z]/{print $1}')
  for c in status report; do
    printf ' %s ' $cmds | grep -q " $c " || continue
    for f in text.h5 empty.h5 cut.h5; do
      expect "results: pairsweep $c on $f" "1 2" "$f" "$ps" "$c" "$f"
    done
    expect "results: pairsweep $c on missing.h5" 2 "missing.h5" "$ps" "$c" missing.h5
  done
  # a journal that is a FIFO beside a good file: its reader would block on the open
  cp micro.h5 fifo-journal.h5
  mkfifo fifo-journal.h5.journal
  snap fifo-journal.h5
  for c in status report; do
    limit=20 expect "results: pairsweep $c, FILE.h5.journal a FIFO" 2 "fifo-journal.h5.journal" \
      "$ps" "$c" fifo-journal.h5
  done
  limit=20 expect "results: run -o FILE.h5 whose journal is a FIFO" 2 "fifo-journal.h5.journal" \
    "$ps" run -q -o fifo-journal.h5 micro.yaml
  kept "results: a FIFO journal"
  mkdir -p adir.h5
  expect "results: the output is a directory" 2 "adir.h5: is a directory" \
    "$ps" run -q -o adir.h5 micro.yaml
  if grep -q -- '--restart' "$err"; then fail "results: the output is a directory" "advises --restart"
  else pass "results: the output is a directory: --restart is not advised"; fi
  mkdir -p keep.h5 && echo precious >keep.h5/file
  expect "results: --restart onto a directory" 2 "keep.h5" \
    "$ps" run -q --restart -o keep.h5 micro.yaml
  if [ -f keep.h5/file ] && [ ! -e keep.h5.tmp ]; then pass "results: --restart onto a directory: kept, no temporary left"
  else fail "results: --restart onto a directory" "the directory was changed or keep.h5.tmp left"; fi
  # the default output results/NAME.h5 a directory
  mkdir -p default/results/micro.h5 && cp micro.yaml default/ && cd default || exit 1
  expect "results: the default output results/micro.h5 is a directory" 2 \
    "results/micro.h5: is a directory" "$ps" run -q micro.yaml
  cd "$d" || exit 1
  expect "results: missing output directory" 2 "no/such/dir" \
    "$ps" run -q -o "$d/no/such/dir/r.h5" micro.yaml
  no_results "$d/no" "results: missing directory: nothing written"

  # read-only output directory: a read-only tmpfs when we may mount (root), else chmod
  mkdir -p ro
  if mount -t tmpfs -o ro,size=1m tmpfs ro 2>/dev/null; then
    expect "results: read-only output directory (read-only mount)" 2 "ro/r.h5" \
      "$ps" run -q -o ro/r.h5 micro.yaml
    umount ro
  elif [ "$(id -u)" -ne 0 ]; then
    chmod 555 ro
    expect "results: read-only output directory (mode 555)" 2 "ro/r.h5" \
      "$ps" run -q -o ro/r.h5 micro.yaml
    chmod 755 ro
  else
    say "skip results: read-only directory (root without mount)"
  fi

  # a disk that fills during the run: a 1.5 MB tmpfs; then more room, and the same command
  # resumes to a complete study
  mkdir -p small
  if mount -t tmpfs -o size=1500k tmpfs small 2>/dev/null; then
    trap 'umount "$work/small" 2>/dev/null' EXIT
    local tiny=$src/jobs/tiny.yaml
    rc=0
    timeout 300 "$ps" run -q -o small/tiny.h5 "$tiny" >full.out 2>full.err || rc=$?
    printf '| %s | %s | `%s` |\n' "results: the disk fills during the run (1.5 MB tmpfs)" "$rc" \
      "$(md_cell "$(cat full.err)")" >>"$table"
    if [ "$rc" -eq 1 ] && grep -q 'disk is full' full.err && grep -q 'resume' full.err; then
      pass "results: disk full: status 1, says the disk is full and how to resume"
    else
      fail "results: disk full" "status $rc: $(cat full.err)"
    fi
    if "${PS_PYTHON:-/usr/bin/python3}" -c "import h5py,sys; f=h5py.File(sys.argv[1],'r'); f['tasks'][:]" \
         small/tiny.h5 2>/dev/null; then
      pass "results: disk full: the file opens and its table reads"
    else
      fail "results: disk full" "small/tiny.h5 does not open with h5py"
    fi
    mount -o remount,size=64m small
    rc=0
    timeout 300 "$ps" run -q -o small/tiny.h5 "$tiny" >resume.out 2>resume.err || rc=$?
    if [ "$rc" -eq 0 ] && grep -q '12 of 12 tasks stored' resume.out; then
      pass "results: disk full: the same command resumes to a complete study ($(grep -o '[0-9]* run now' resume.out))"
    else
      fail "results: disk full: resume" "status $rc: $(cat resume.out resume.err)"
    fi
    printf '| %s | %s | `%s` |\n' "results: after the full disk, room made, same command" "$rc" \
      "$(md_cell "$(head -1 resume.out)")" >>"$table"
    umount small
    trap - EXIT
  else
    say "skip results: full disk (cannot mount a small tmpfs)"
  fi
}

# ---------------------------------------------------------------------------------------------
# Every path a subcommand reads, given as what it must not be: missing, a directory where a
# file is expected (a file where a directory is), a FIFO, a device, a socket. Exactly status 2
# and one line naming the path; a FIFO has no writer, so a command that opened it would block
# (20 s limit: a regression fails instead of hanging).
paths() {
  cd "$work" || exit 1
  mkdir -p adir
  : >afile
  mkfifo afifo
  "${PS_PYTHON:-/usr/bin/python3}" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' asock
  micro_job micro.yaml
  local p
  for p in missing adir afifo asock /dev/null; do
    limit=20 expect "paths: run JOB, JOB $p" 2 "$p" "$ps" run -q "$p"
    limit=20 expect "paths: run --dry-run JOB, JOB $p" 2 "$p" "$ps" run --dry-run "$p"
    limit=20 expect "paths: report FILE, FILE $p" 2 "$p" "$ps" report "$p"
    limit=20 expect "paths: status FILE, FILE $p" 2 "$p" "$ps" status "$p"
    limit=20 expect "paths: merge OUT SHARD, SHARD $p" 2 "$p" "$ps" merge out.h5 "$p"
  done
  for p in missing afile afifo asock /dev/null; do
    limit=20 expect "paths: data --mnist DIR, DIR $p" 2 "$p" "$ps" data --mnist "$p"
    limit=20 expect "paths: train --mnist DIR, DIR $p" 2 "$p" "$ps" train --model cnn --mnist "$p"
    limit=20 expect "paths: run --mnist DIR, DIR $p" 2 "$p" "$ps" run -q --mnist "$p" micro.yaml
  done
  no_results "$work" "paths: nothing written"
}

# ---------------------------------------------------------------------------------------------
# Every command that writes (merge, train --save, report --out, run -o, export -o) refuses to
# replace what it was not told to replace: an existing output (unless --force; run resumes its
# own file and replaces another only with --restart), and always one of its own inputs, under
# any spelling (./A.h5, an absolute path, a symbolic or a hard link). Each refusal: status 2,
# one line naming the output, and every file involved unchanged (SHA-256). A file of its own
# that is not what it should be (a report's table a FIFO) is refused; a FIFO at a temporary
# name (OUT.tmp) is removed, never opened.
writers() {
  cd "$work" || exit 1
  micro_job micro.yaml
  local rc=0
  timeout 120 "$ps" run -q -o A.h5 micro.yaml >/dev/null 2>run.err || rc=$?
  if [ "$rc" -ne 0 ]; then fail "writers: reference run" "status $rc: $(cat run.err)"; finish; exit 1; fi
  cp A.h5 B.h5
  ln -s A.h5 link.h5
  ln A.h5 hard.h5
  mkdir -p adir links
  mkfifo afifo
  echo precious >kept.txt
  local f
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
           t10k-labels-idx1-ubyte; do
    if [ -e "$mnist/$f" ]; then ln -s "$mnist/$f" "links/$f"; else ln -s "$mnist/$f.gz" "links/$f.gz"; fi
  done
  local tls=(links/t10k-labels-idx1-ubyte*) tl
  tl=${tls[0]}

  # merge: OUT forgotten (the data loss of issue 16), an existing OUT, OUT a shard
  snap A.h5 B.h5 kept.txt
  expect "writers: merge A.h5 B.h5 (OUT forgotten: A.h5 exists)" 2 "A.h5: exists" \
    "$ps" merge A.h5 B.h5
  expect "writers: merge kept.txt A.h5 (an existing OUT)" 2 "kept.txt: exists" \
    "$ps" merge kept.txt A.h5
  for f in A.h5 ./A.h5 "$work/A.h5" link.h5 hard.h5; do
    expect "writers: merge --force ${f/#$work/WORK} A.h5 (OUT is the shard)" 2 "is the input" \
      "$ps" merge --force "$f" A.h5
  done
  expect "writers: merge adir A.h5 (OUT a directory)" 2 "adir: is a directory" "$ps" merge adir A.h5
  limit=20 expect "writers: merge --force afifo A.h5 (OUT a FIFO)" 2 "afifo" \
    "$ps" merge --force afifo A.h5
  kept "writers: merge refused"
  rc=0
  timeout 60 "$ps" merge --force B.h5 A.h5 >/dev/null 2>merge.err || rc=$?
  if [ "$rc" -eq 0 ]; then pass "writers: merge --force replaces an existing OUT"
  else fail "writers: merge --force" "status $rc: $(cat merge.err)"; fi

  # train --save: checked before training (--epochs 100000 would not end within the limit)
  snap A.h5 kept.txt "$tl"
  expect "writers: train --save A.h5 (exists)" 2 "A.h5: exists" \
    "$ps" train --model cnn --epochs 100000 --save A.h5
  expect "writers: train --force --save onto an MNIST file" 2 "is the input" \
    "$ps" train --model cnn --epochs 100000 --mnist links --force --save "$tl"
  expect "writers: train --force --save onto an MNIST file (other spelling)" 2 "is the input" \
    "$ps" train --model cnn --epochs 100000 --mnist links --force --save "./links/../$tl"
  expect "writers: train --save adir (a directory)" 2 "adir: is a directory" \
    "$ps" train --model cnn --epochs 100000 --save adir
  limit=20 expect "writers: train --save afifo (a FIFO)" 2 "afifo" \
    "$ps" train --model cnn --epochs 100000 --force --save afifo
  expect "writers: train --save into a missing directory" 2 "no/such/t.h5" \
    "$ps" train --model cnn --epochs 100000 --save no/such/t.h5
  kept "writers: train --save refused"

  # report --out DIR: a directory that holds files, a file, a failed report
  mkdir -p full && echo mine >full/table2.txt
  snap A.h5 kept.txt full/table2.txt
  expect "writers: report --out full (not empty)" 2 "full: is not empty" \
    "$ps" report --out full A.h5
  expect "writers: report --out kept.txt (a file)" 2 "kept.txt" "$ps" report --out kept.txt A.h5
  expect "writers: report --out new missing.h5 (fails)" 2 "missing.h5" \
    "$ps" report --out new missing.h5
  if [ -e new ]; then fail "writers: report failed" "left the --out directory 'new'"
  else pass "writers: a failed report leaves no --out directory"; fi
  kept "writers: report --out refused"
  rc=0
  timeout 60 "$ps" report --out full --force A.h5 >/dev/null 2>report.err || rc=$?
  if [ "$rc" -eq 0 ] && [ -s full/table2.txt ]; then pass "writers: report --out full --force writes into it"
  else fail "writers: report --force" "status $rc: $(cat report.err)"; fi

  # export -o: never its results file or an MNIST file; an existing file only with --force
  local tid
  tid=$("${PS_PYTHON:-/usr/bin/python3}" -c \
    "import h5py,sys; print(h5py.File(sys.argv[1],'r')['tasks'][0]['task_id'].decode())" A.h5)
  snap A.h5 B.h5 kept.txt "$tl"
  for f in A.h5 ./A.h5 link.h5 hard.h5; do
    expect "writers: export A.h5 --task ID --force -o $f (the results file)" 2 "is the input" \
      "$ps" export A.h5 --task "$tid" --force -o "$f"
  done
  expect "writers: export A.h5 --task ID -o B.h5 (exists)" 2 "B.h5: exists" \
    "$ps" export A.h5 --task "$tid" -o B.h5
  expect "writers: export --force -o an MNIST file" 2 "is the input" \
    "$ps" export A.h5 --task "$tid" --mnist links --force -o "$tl"
  expect "writers: export -o adir (a directory)" 2 "adir: is a directory" \
    "$ps" export A.h5 --task "$tid" -o adir
  limit=20 expect "writers: export --force -o afifo (a FIFO)" 2 "afifo" \
    "$ps" export A.h5 --task "$tid" --force -o afifo
  kept "writers: export refused"

  # report --out DIR --force: a file of the report that is a FIFO is refused, not opened
  mkdir -p fifos && mkfifo fifos/table2.txt
  limit=20 expect "writers: report --out DIR --force, DIR/table2.txt a FIFO" 2 \
    "fifos/table2.txt: is a FIFO" "$ps" report --out fifos --force A.h5
  rm -rf fifos && mkdir -p fifos && mkfifo fifos/fig1_train_loss.gp
  limit=20 expect "writers: report --out DIR --force, DIR/fig1_train_loss.gp a FIFO" 2 \
    "fifos/fig1_train_loss.gp: is a FIFO" "$ps" report --out fifos --force A.h5

  # a FIFO left at a writer's temporary name OUT.tmp is removed, never opened (at main 31dc66f
  # train --save, merge and report hung on one, export failed): each command succeeds
  local c
  for c in "train --model cnn --epochs 1 --n-train 200 --n-test 100 -q --save T.h5" \
           "merge T.h5 A.h5" "export A.h5 --task $tid -o T.h5" "run -q -o T.h5 micro.yaml"; do
    rm -f T.h5 T.h5.journal
    mkfifo T.h5.tmp
    rc=0
    # shellcheck disable=SC2086 # the command's words
    timeout 20 "$ps" $c >/dev/null 2>tmp.err || rc=$?
    printf '| %s | %s | `%s` |\n' "writers: ${c%% *} with a FIFO left at T.h5.tmp" "$rc" \
      "$(md_cell "$(head -c 400 tmp.err)")" >>"$table"
    if [ "$rc" -eq 0 ] && [ -f T.h5 ] && [ ! -e T.h5.tmp ]; then
      pass "writers: ${c%% *} with a FIFO at T.h5.tmp: done, the FIFO removed"
    else
      fail "writers: ${c%% *} with a FIFO at T.h5.tmp" "status $rc: $(cat tmp.err)"
    fi
  done

  # run -o: never an input, even with --restart
  ln -s micro.yaml job-link.yaml
  snap micro.yaml "$tl"
  expect "writers: run --restart -o JOB JOB" 2 "is the input" \
    "$ps" run -q --restart -o micro.yaml micro.yaml
  expect "writers: run --restart -o link-to-JOB JOB" 2 "is the input" \
    "$ps" run -q --restart -o job-link.yaml micro.yaml
  expect "writers: run --restart -o an MNIST file" 2 "is the input" \
    "$ps" run -q --restart --mnist links -o "$tl" micro.yaml
  limit=20 expect "writers: run -o afifo (a FIFO)" 2 "afifo" "$ps" run -q -o afifo micro.yaml
  kept "writers: run -o refused"
}

case "$cat_" in
  cli) cli ;;
  jobs) jobs ;;
  mnist) mnist ;;
  results) results ;;
  paths) paths ;;
  writers) writers ;;
  *) say "unknown category $cat_"; exit 2 ;;
esac
finish
