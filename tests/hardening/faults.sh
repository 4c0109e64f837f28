#!/usr/bin/env bash
# Faults of issue 9 on the real binary:
#   faults.sh kill_worker PAIRSWEEP WORKDIR MPIEXEC
#       a 3-rank study; SIGKILL of a worker rank once results are being stored (mpirun then
#       ends the job); rerunning the same command completes the study; every task appears
#       exactly once and equals the uninterrupted 1-rank reference (tests/hardening/compare.py).
#   faults.sh kill_master PAIRSWEEP WORKDIR MPIEXEC
#       SIGKILL of the process that writes the file at many points (single process, then rank
#       0 under mpirun); after every kill the file opens with h5py and its table reads; the
#       same command resumes; in the end the study is complete and equals the reference.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/hardening/lib.sh
. "$here/lib.sh"
start_mpi_test "$@"

# The study: jobs/tiny.yaml's shape (2 models, 4 grid points, 2 folds, then 2 seeds each: 12
# tasks) with more epochs, so that a kill lands while tasks run and results are stored (8; a
# build that runs `scale` times slower, the sanitizer stage's 4, needs 8 / scale for the same).
scale=${PS_TEST_TIMEOUT_SCALE:-1}
ep=$(( 8 / scale )); [ "$ep" -ge 2 ] || ep=2
cat >faults.yaml <<EOF
name: faults
seed: 9
epochs: $ep
data: {n_train: 400, n_test: 400}
optimizer: {momentum: 0.9}
protocol: {kind: kfold, folds: 2, final: {seeds: 2, best: 1}}
models:
  - name: siamese_aux
    grid: {batch_size: 50, lr: [0.05, 0.01], aux_weight: 1.0}
  - name: resnet
    grid: {batch_size: [25, 50], lr: 0.05}
EOF

row() { printf '| %s | %s |\n' "$(md_cell "$1")" "$(md_cell "$2")" >>"$table"; }

# the uninterrupted reference, one rank
rc=0
timeout 600 "$ps" run -q -o ref.h5 faults.yaml >ref.out 2>ref.err || rc=$?
if [ "$rc" -ne 0 ]; then fail "reference run" "status $rc: $(cat ref.err)"; finish; exit 1; fi
pass "reference run: $(head -1 ref.out)"

# journal_records FILE: results acknowledged so far (journal records past the 80-byte header)
stored() { local j=$1.journal; [ -f "$j" ] && [ "$(stat -c %s "$j")" -gt 80 ]; }

# rank_pid MPIRUN_PID RANK: the pid of a rank, from the environment Open MPI gives it
rank_pid() {
  local p
  for p in $(pgrep -P "$1"); do
    # (grep -z reads the NUL-separated file itself: piping it through tr under pipefail failed
    # whenever grep -q stopped early and tr died of SIGPIPE on a large environment)
    if grep -qzx "OMPI_COMM_WORLD_RANK=$2" "/proc/$p/environ" 2>/dev/null; then
      echo "$p"; return 0
    fi
  done
  return 1
}

# opens FILE: the file opens with h5py and /tasks reads (when it exists at all)
opens() {
  [ -e "$1" ] || { echo "no file yet"; return 0; }
  "$py" -c "import h5py,sys; f=h5py.File(sys.argv[1],'r'); print(len(f['tasks'][:]), 'rows in /tasks')" "$1"
}

# resume_and_compare WHAT FILE TAG: the same command again (3 ranks) completes the study in FILE,
# which then equals the uninterrupted reference (output in TAG.out, TAG.err)
resume_and_compare() {
  local what=$1 f=$2 tag=$3 rc=0 cmp
  timeout 600 "$mpiexec" -np 3 "$ps" run -q -o "$f" faults.yaml >"$tag.out" 2>"$tag.err" || rc=$?
  row "the same command again (3 ranks)" "status $rc: $(head -1 "$tag.out")"
  [ "$rc" -eq 0 ] && pass "$what: the rerun completes: $(head -1 "$tag.out")" ||
    fail "$what: rerun" "status $rc: $(cat "$tag.err")"
  cmp=$("$py" "$here/compare.py" ref.h5 "$f" 2>&1) && pass "$what: $cmp" ||
    fail "$what: compare with the uninterrupted run" "$cmp"
  row "compared with the uninterrupted 1-rank run" "$cmp"
}

kill_worker() {
  "$mpiexec" -np 3 "$ps" run -q -o w.h5 faults.yaml >w1.out 2>w1.err &
  local mp=$! t=0 victim=""
  while [ $t -lt 1200 ] && ! stored w.h5; do sleep 0.1; t=$((t + 1)); done
  victim=$(rank_pid "$mp" 1 || true)
  if [ -z "$victim" ]; then
    fail "kill a worker" "no rank 1 found under mpirun (pid $mp), or no result stored in 120 s"
    kill -KILL "$mp" 2>/dev/null; wait "$mp"; return
  fi
  kill -KILL "$victim"
  local rc=0 w=0
  while kill -0 "$mp" 2>/dev/null && [ $w -lt 600 ]; do sleep 0.1; w=$((w + 1)); done
  if kill -0 "$mp" 2>/dev/null; then
    fail "kill a worker" "mpirun still running 60 s after the worker died (hang)"
    kill -KILL "$mp"
  fi
  wait "$mp" || rc=$?
  row "SIGKILL of worker rank 1 (3 ranks) after the first stored result" \
    "mpirun ended the job, status $rc; stderr: $(grep -v '^\s*$' w1.err | head -3)"
  [ "$rc" -ne 0 ] && pass "kill a worker: mpirun ended the job (status $rc)" ||
    fail "kill a worker" "mpirun exited 0 although a rank was killed"
  say "     after the kill: $(opens w.h5)"
  resume_and_compare "kill a worker" w.h5 w2
}

# sig: the identity and size of the results file and its journal (a checkpoint renames a new
# file in place, an append grows the journal): it changes whenever the writer makes progress
sig() { stat -c '%i:%s' m.h5 m.h5.journal 2>/dev/null | tr '\n' ' '; }

# wait_progress PID SIG0 [MIN_JOURNAL]: until the results files differ from SIG0 (and, when
# given, the journal is larger than MIN_JOURNAL bytes), or PID has ended, or 10 minutes
wait_progress() {
  local w=0
  while kill -0 "$1" 2>/dev/null && [ $w -lt 12000 ]; do
    if [ "$(sig)" != "$2" ]; then
      if [ -z "${3:-}" ] || { [ -f m.h5.journal ] && [ "$(stat -c %s m.h5.journal)" -gt "$3" ]; }; then
        return 0
      fi
    fi
    sleep 0.05; w=$((w + 1))
  done
}

kill_master() {
  local rc kills=0 opened=0 tries=0 o
  # The kill points are events, not times (a fixed or scaled delay lands after the study on a
  # machine whose load changed since the reference run): a kill at a point is SIGKILL right
  # after the writer was seen reaching it, plus a short delay that moves it into what follows.
  #
  # rank 0 under mpirun, twice: once the results file exists (plan written, workers starting),
  # and once the first result is in the journal (tasks running, more results arriving)
  local point
  for point in "file" "result"; do
    local s0 jmin=""
    s0=$(sig)
    [ "$point" = result ] && jmin=$([ -f m.h5.journal ] && stat -c %s m.h5.journal || echo 80)
    "$mpiexec" -np 3 "$ps" run -q -o m.h5 faults.yaml >m3.out 2>m3.err &
    local mp=$! victim="" w=0
    wait_progress "$mp" "$s0" $jmin
    victim=$(rank_pid "$mp" 0 || true)
    tries=$((tries + 1))
    if [ -n "$victim" ] && kill -KILL "$victim" 2>/dev/null; then kills=$((kills + 1)); fi
    while kill -0 "$mp" 2>/dev/null && [ $w -lt 600 ]; do sleep 0.1; w=$((w + 1)); done
    kill -0 "$mp" 2>/dev/null && { fail "kill rank 0" "mpirun still running 60 s later"; kill -KILL "$mp"; }
    wait "$mp"
    if o=$(opens m.h5 2>&1); then
      opened=$((opened + 1)); say "     rank 0 killed at '$point': $o"
    else
      fail "kill rank 0 at '$point'" "m.h5 does not open: $o"
    fi
  done
  # The single-process writer, each run resuming the last and killed in turn: 'start' kills
  # after a fixed time (start-up: reading MNIST and the file, replaying the journal), 'change'
  # right after the files change (the first thing a resumed run writes: its checkpoint of the
  # replayed journal), 'append' once the journal grew past its size at the start (a result
  # written; the training of the next is under way), each plus the delay given.
  local points=("append 0" "start 0.3" "change 0" "append 0.05" "change 0.1" "append 0.2"
                "start 1.0" "append 0" "change 0.02" "append 0.1")
  for point in "${points[@]}"; do
    local kind=${point% *} d=${point#* } s0 j0
    s0=$(sig)
    j0=$([ -f m.h5.journal ] && stat -c %s m.h5.journal || echo 80)
    "$ps" run -q -o m.h5 faults.yaml >m.out 2>m.err &
    local p=$!
    case "$kind" in
      change) wait_progress "$p" "$s0" ;;
      append) wait_progress "$p" "$s0" "$j0" ;;
    esac
    sleep "$d"
    tries=$((tries + 1))
    if kill -KILL "$p" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$p" 2>/dev/null
    if o=$(opens m.h5 2>&1); then
      opened=$((opened + 1)); say "     killed at '$kind' + $d s: $o"
    else
      fail "kill the writer at '$kind' + $d s" "m.h5 does not open: $o"
    fi
  done
  row "SIGKILL of rank 0 (the master, the only writer) under mpirun once the file exists and once the first result is stored, then of the single-process writer at 10 points (start-up; its first write; a result appended; each plus 0-1 s), each run resuming the last" \
    "$kills of $tries kills landed before the study ended; the file opened with h5py after $opened of $tries"
  [ "$kills" -ge 5 ] && pass "kill the writer: $kills of $tries kills landed" ||
    fail "kill the writer" "only $kills of $tries kills landed before the study ended"
  resume_and_compare "kill the writer" m.h5 m4
}

case "$what" in
  kill_worker) kill_worker ;;
  kill_master) kill_master ;;
  *) say "unknown fault $what"; exit 2 ;;
esac
finish
