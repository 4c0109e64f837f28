#!/usr/bin/env bash
# SLURM test 4: scancel under slurm/pairsweep-mpi.sbatch (srun --mpi=pmix, 3 ranks). scancel
# sends SIGTERM to every process of the job at once (the batch shell, srun, every rank) and
# SIGKILL KillWait s later (10 s on the test cluster). Rank 0 gets SIGTERM twice (directly, and
# forwarded by the batch shell): one stop request, not a second signal that would give the
# running tasks up. The workers ignore it; rank 0 stops handing out tasks, lets the running
# ones finish (--grace 5, within KillWait), closes the file and exits with status 3; the script
# does not requeue (scancel is the user's "stop"). Resubmitting the same job resumes, and the
# final file must equal an uninterrupted run's. (SLURM's time-limit warning, SIGUSR1 to the
# batch shell, is test_requeue.sh.)
TEST_NAME=slurm_scancel
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
JOB=$PS_SOURCE_DIR/tests/slurm/requeue.yaml
SBATCH=$SLURM_DIR_SBATCH/pairsweep-mpi.sbatch

# The reference: the same study, uninterrupted, in one process outside SLURM (the results do
# not depend on the number of ranks).
mkdir -p ref int
"$PS_BIN" run -q -o ref/requeue.h5 "$JOB" >ref/run.log 2>&1 &
ref_pid=$!
cluster_start

id=$(cd int && submit -n 3 -O -t 10 "$SBATCH" "$JOB" --grace 5)
out=int/pairsweep-$id.out
log "submitted job $id; scancel after its second result"
t=$SECONDS
until [ "$(grep -c ': done,' "$out" 2>/dev/null)" -ge 2 ]; do
  [ $((SECONDS - t)) -lt 120 ] || fail "job $id reported no 2 results in 120 s"
  sleep 0.2
done
scancel "$id"
st=$(wait_job "$id" 120)
log "job $id ended: $st"
[ "$st" = " 1 CANCELLED," ] || fail "job $id: $st, expected CANCELLED"
[ "$(job_field "$id" Restarts)" = 0 ] || fail "job $id was requeued after scancel"
grep -q 'SIGTERM received' "$out" || fail "$out: the batch shell never got SIGTERM"
first=$(grep -m 1 'stopped by a signal: ' "$out" || true)
[ -n "$first" ] || fail "$out: pairsweep never said 'stopped by a signal'"
! grep -q 'given up' "$out" || fail "$out: running tasks were given up (a second signal?): the grace was not honoured"
grep -q 'pairsweep exited with status 3 after SIGTERM' "$out" || fail "$out: pairsweep's status was not 3"
k=$(sed -n 's/.*stopped by a signal: \([0-9]*\) of \([0-9]*\) tasks.*/\1/p' <<<"$first")
m=$(sed -n 's/.*stopped by a signal: \([0-9]*\) of \([0-9]*\) tasks.*/\2/p' <<<"$first")
[ "$k" -ge 2 ] && [ "$k" -lt "$m" ] || fail "the stop was not mid-study ($first)"
log "scancel: rank 0 stopped with $k of $m tasks stored, status 3, nothing given up"

id2=$(cd int && submit -n 3 -O -t 10 "$SBATCH" "$JOB" --grace 5)
st=$(wait_job "$id2" 240)
[ "$st" = " 1 COMPLETED," ] || fail "resubmitted job $id2: $st, expected COMPLETED"
ran=$(sed -n 's/.* \([0-9]*\) run now in .*/\1/p' "$out" "int/pairsweep-$id2.out" | awk '{ s += $1 } END { print s + 0 }')
[ "$ran" -eq "$m" ] || fail "the two jobs ran $ran tasks in all, the plan has $m"
wait "$ref_pid" || fail "the reference run failed: $(cat ref/run.log)"
compare_same int/results/requeue.h5 ref/requeue.h5
log "PASS: scancel mid-study gave status 3 with the grace honoured; the resubmitted job resumed; every task ran once; the file equals the uninterrupted run's"
