#!/usr/bin/env bash
# Signals to a bare `mpirun -np 3 pairsweep run` (no scripts/study.sh), issue 16:
#   signals.sh CASE PAIRSWEEP WORKDIR MPIEXEC
#   CASE: mpirun_sigint   SIGINT to mpirun alone
#         mpirun_sigterm  SIGTERM to mpirun alone
#         mpirun_ctrl_c   a terminal's Ctrl-C: SIGINT to mpirun's whole process group (mpirun
#                         started with setsid, the group then signalled with kill -- -PGID)
# Open MPI 4.1 forwards neither signal to the ranks: mpirun sends them SIGCONT, SIGTERM 1 s
# later and SIGKILL 1 s after that, and exits with status 1 whatever the ranks do. Rank 0
# takes the SIGTERM as "mpirun is ending the job": it closes the results file at once and
# says so. Each case, once the first result is stored, asserts: mpirun's status is 1 (Open
# MPI's); the last line on stderr says the run was stopped by a signal and that the same
# command resumes it; `pairsweep status FILE` (status 3) says so too; the same command then
# completes the study, identical to an uninterrupted run (tests/hardening/compare.py).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/hardening/lib.sh
. "$here/lib.sh"
start_mpi_test "$@"
scale=${PS_TEST_TIMEOUT_SCALE:-1}

# jobs/tiny.yaml's study (12 tasks) with 20 epochs instead of 3: about 7 s of work on one core,
# so that after the first result mpirun's SIGTERM (1 s after the signal) still finds tasks
# running on a fast machine; about 20 s for the whole test on two loaded cores. A build that
# runs `scale` times slower (the sanitizer stage: 4) needs 20 / scale epochs for the same time.
ep=$(( 20 / scale )); [ "$ep" -ge 3 ] || ep=3
sed "s/^epochs: 3\$/epochs: $ep/" "${PS_SOURCE_DIR:-$here/../..}/jobs/tiny.yaml" >sig.yaml
grep -q "^epochs: $ep\$" sig.yaml || { fail "the job" "jobs/tiny.yaml has no 'epochs: 3' line"; finish; exit 1; }

row() { printf '| %s | %s |\n' "$(md_cell "$1")" "$(md_cell "$2")" >>"$table"; }

# the uninterrupted reference (3 ranks: a task's result does not depend on the ranks)
rc=0
timeout $((300 * scale)) "$mpiexec" -np 3 "$ps" run -q -o ref.h5 sig.yaml >ref.out 2>ref.err || rc=$?
if [ "$rc" -ne 0 ]; then fail "reference run" "status $rc: $(cat ref.err)"; finish; exit 1; fi
pass "reference run: $(head -1 ref.out)"

# the study, signalled once its first result is stored (mpirun in a session of its own for
# the process-group case: setsid execs it, so $! is mpirun and its process group id)
case "$what" in
  mpirun_ctrl_c) setsid "$mpiexec" -np 3 "$ps" run --lines -o s.h5 sig.yaml >s.out 2>s.err &
                 label="Ctrl-C: SIGINT to mpirun's process group (kill -INT -- -PGID)" ;;
  mpirun_sigint) "$mpiexec" -np 3 "$ps" run --lines -o s.h5 sig.yaml >s.out 2>s.err &
                 label="SIGINT to mpirun alone" ;;
  mpirun_sigterm) "$mpiexec" -np 3 "$ps" run --lines -o s.h5 sig.yaml >s.out 2>s.err &
                  label="SIGTERM to mpirun alone" ;;
  *) say "unknown case $what"; exit 2 ;;
esac
mp=$!
w=0
while kill -0 "$mp" 2>/dev/null && ! grep -q ': done,' s.out && [ $w -lt $((1200 * scale)) ]; do
  sleep 0.05; w=$((w + 1))
done
case "$what" in
  mpirun_ctrl_c)
    pg=$(ps -o pgid= -p "$mp" | tr -d ' ')
    [ "$pg" = "$mp" ] || fail "Ctrl-C" "mpirun ($mp) does not lead its process group ($pg)"
    kill -INT -- "-$mp" ;;
  mpirun_sigint) kill -INT "$mp" ;;
  mpirun_sigterm) kill -TERM "$mp" ;;
esac
rc=0 w=0
while kill -0 "$mp" 2>/dev/null && [ $w -lt $((600 * scale)) ]; do sleep 0.1; w=$((w + 1)); done
kill -0 "$mp" 2>/dev/null && { fail "$label" "mpirun still running 60 s after the signal"; kill -KILL "$mp"; }
wait "$mp" || rc=$?
last=$(grep -v '^\s*$' s.err | tail -n 1)
row "$label, once the first result is stored (mpirun -np 3, jobs/tiny.yaml with $ep epochs)" \
  "mpirun's status $rc; the last line on stderr: $last"
[ "$rc" -eq 1 ] && pass "$label: mpirun's status is 1 (Open MPI's)" ||
  fail "$label" "mpirun's status $rc, expected 1 (set by Open MPI); stderr: $(cat s.err)"
if printf '%s' "$last" | grep -q '^pairsweep run: stopped by a signal: mpirun ended the job' &&
   printf '%s' "$last" | grep -q 'run the same command again to resume'; then
  pass "$label: the last line on stderr says stopped, and how to resume"
else
  fail "$label" "the last line on stderr: '$last'"
fi
grep -q 'stop requested: mpirun is ending the job' s.out && pass "$label: rank 0 saw the stop" ||
  fail "$label" "no stop event on stdout: $(tail -3 s.out)"
n=$("$py" -c "import h5py,sys; print(len(h5py.File(sys.argv[1],'r')['tasks'][:]))" s.h5 2>&1)
if [ "$n" -ge 1 ] 2>/dev/null && [ "$n" -lt 12 ] && [ ! -e s.h5.journal ]; then
  pass "$label: the file closed with $n of 12 tasks (no journal left)"
else
  fail "$label" "after the stop: '$n' tasks in s.h5, journal $(ls s.h5.journal 2>&1)"
fi
rc=0
"$ps" status s.h5 >st.out 2>st.err || rc=$?
row "pairsweep status s.h5" "status $rc: $(sed -n 2p st.out | sed 's/^ *//')"
if [ "$rc" -eq 3 ] && grep -q '^  the last run was stopped by a signal: mpirun ended the job' st.out &&
   grep -q 'rerun the same pairsweep run command to resume' st.out; then
  pass "$label: pairsweep status says stopped (status 3)"
else
  fail "$label: pairsweep status" "status $rc: $(head -3 st.out) $(cat st.err)"
fi

# the same command again completes the study, identical to the reference
rc=0
timeout $((300 * scale)) "$mpiexec" -np 3 "$ps" run -q -o s.h5 sig.yaml >r.out 2>r.err || rc=$?
row "the same command again (mpirun -np 3)" "status $rc: $(head -1 r.out)"
[ "$rc" -eq 0 ] && pass "$label: the rerun completes: $(head -1 r.out)" ||
  fail "$label: rerun" "status $rc: $(cat r.err)"
cmp=$("$py" "$here/compare.py" ref.h5 s.h5 2>&1) && pass "$label: $cmp" ||
  fail "$label: compare with the uninterrupted run" "$cmp"
row "compared with the uninterrupted run" "$cmp"
finish
