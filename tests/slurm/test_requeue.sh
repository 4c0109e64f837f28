#!/usr/bin/env bash
# SLURM test 2: the time-limit path of slurm/pairsweep-mpi.sbatch. A study is submitted with a
# 1-minute limit and --signal=B:USR1@60, so SLURM signals the batch shell at its first
# time-limit check after the start; the script forwards SIGUSR1 to rank 0, pairsweep stops
# handing out tasks and closes the file, the script requeues the job, and the requeued job
# resumes and finishes. The final file must equal an uninterrupted run's (same task ids,
# figures, curves, weights, selection), the first run must have stopped mid-study (some tasks
# stored, not all), and the runs together must have run every task exactly once.
#
# The study is tests/slurm/requeue.yaml (tiny.yaml with more grid points, folds and seeds).
# Timing: slurmctld checks time limits (and sends --signal warnings) every 30 s counted from its
# start ("Running as primary controller" in its log), so the test first runs the study
# uninterrupted (the reference, which also gives its duration T), then submits the interrupted
# run so that the check falls about 0.4 T into it. The signal cannot be placed to better than
# about a second, so T must be long enough: where the reference takes less than 8 s (2.7 s on a
# CI machine in December 2026, when the signal came after the end), the test scales the job's
# epochs up and runs the reference again, so the study keeps its length on faster machines.
TEST_NAME=slurm_requeue
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
JOB_SRC=$PS_SOURCE_DIR/tests/slurm/requeue.yaml
JOB=$PWD/requeue.yaml
MIN_T=8
SBATCH=$SLURM_DIR_SBATCH/pairsweep-mpi.sbatch

cluster_start
t0=$(sed -n 's/^\[\([^]]*\)\] Running as primary controller.*/\1/p' "$CLUSTER_DIR/log/slurmctld.log" | head -n 1)
[ -n "$t0" ] || fail "slurmctld's log has no 'Running as primary controller' line"
t0=$(date -d "$t0" +%s.%N)

# 1. The reference: the same study, uninterrupted (10 min limit: the script's warning comes
#    300 s before the limit, so no signal).
epochs=$(sed -n 's/^epochs: *\([0-9][0-9]*\) *$/\1/p' "$JOB_SRC")
[ -n "$epochs" ] || fail "$JOB_SRC has no top-level 'epochs: N' line"
for attempt in 1 2 3; do
  sed "s/^epochs: .*/epochs: $epochs/" "$JOB_SRC" >"$JOB"
  rm -rf ref int
  mkdir -p ref int
  id=$(cd ref && submit -n 3 -O -t 10 "$SBATCH" "$JOB")
  st=$(wait_job "$id" 240)
  [ "$st" = " 1 COMPLETED," ] || fail "reference job $id: $st, expected COMPLETED"
  [ "$(job_field "$id" Restarts)" = 0 ] || fail "reference job $id was requeued"
  ref_s=$(sed -n 's/.* run now in \([0-9.]*\) s on .*/\1/p' "ref/pairsweep-$id.out" | tail -n 1)
  [ -n "$ref_s" ] || fail "ref/pairsweep-$id.out has no 'N run now in S s' line"
  compare_check ref/results/requeue.h5
  log "reference run: job $id, $epochs epochs, the study took $ref_s s"
  awk -v s="$ref_s" -v m="$MIN_T" 'BEGIN { exit !(s < m) }' || break
  [ "$attempt" -lt 3 ] || fail "the study still took only $ref_s s with $epochs epochs (at least $MIN_T s needed)"
  # Aim at 1.5 MIN_T: the time per epoch is nearly constant, start-up aside.
  epochs=$(awk -v e="$epochs" -v s="$ref_s" -v m="$MIN_T" 'BEGIN { printf "%d", e * 1.5 * m / s + 1 }')
  log "too short to place SLURM's signal in reliably: again with $epochs epochs"
done

# 2. The interrupted run. Signal offset into the job: 0.4 T (at least 3 s: the job's start-up,
#    mpirun and MNIST, comes before the first result; at most 20 s).
off=$(awk -v s="$ref_s" 'BEGIN { o = 0.4 * s; if (o < 3) o = 3; if (o > 20) o = 20; printf "%.1f", o }')
now=$(date +%s.%N)
wait_s=$(awk -v t0="$t0" -v now="$now" -v o="$off" 'BEGIN {
  # the first check time at least o + 1 s from now; submit so that the job starts o before it
  # (a job starts ~0.3 s after sbatch on this idle cluster)
  k = int((now + o + 1 - t0) / 30) + 1; tick = t0 + 30 * k; w = tick - o - 0.3 - now
  if (w < 0) w = 0; printf "%.2f", w }')
log "waiting ${wait_s} s so that SLURM's next time-limit check comes ~${off} s into the job"
sleep "$wait_s"
id=$(cd int && submit -n 3 -O -t 1 --signal=B:USR1@60 "$SBATCH" "$JOB")
log "submitted job $id (time limit 1 min, SIGUSR1 60 s before it)"
st=$(wait_job "$id" 300)
restarts=$(job_field "$id" Restarts)
log "job $id ended: $st after $restarts requeue(s)"
out=int/pairsweep-$id.out
[ "$st" = " 1 COMPLETED," ] || fail "job $id: $st, expected COMPLETED"
[ "${restarts:-0}" -ge 1 ] || fail "job $id was never requeued: SLURM's SIGUSR1 came after the study had ended"
grep -q 'SIGUSR1 received' "$out" || fail "$out: the batch shell never got SIGUSR1"
grep -q 'forwarded SIGUSR1 to rank 0' "$out" || fail "$out: SIGUSR1 was not forwarded to rank 0"
grep -q 'requeueing job' "$out" || fail "$out: the script did not requeue the job"
! grep -q 'given up' "$out" || fail "$out: running tasks were given up: the grace was not honoured"
grep -q 'study complete' "$out" || fail "$out: the last run did not complete the study"
# Mid-study: "stopped by a signal: K of M tasks stored" with 0 < K < M on the first stop.
first=$(grep -m 1 'stopped by a signal: ' "$out" || true)
[ -n "$first" ] || fail "$out: pairsweep never said 'stopped by a signal'"
k=$(sed -n 's/.*stopped by a signal: \([0-9]*\) of \([0-9]*\) tasks.*/\1/p' <<<"$first")
m=$(sed -n 's/.*stopped by a signal: \([0-9]*\) of \([0-9]*\) tasks.*/\2/p' <<<"$first")
[ -n "$k" ] && [ "$k" -gt 0 ] && [ "$k" -lt "$m" ] ||
  fail "the first stop was not mid-study ($first): the signal came ${off} s into a study of ${ref_s} s"
# Every task ran exactly once over all the runs: the "R run now" counts add up to the plan.
ran=$(sed -n 's/.* \([0-9]*\) run now in .*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
[ "$ran" -eq "$m" ] || fail "the runs of job $id ran $ran tasks in all, the plan has $m"
log "first run stopped with $k of $m tasks stored; $((restarts + 1)) runs ran $ran tasks in all"
compare_same int/results/requeue.h5 ref/results/requeue.h5
log "PASS: interrupted by SIGUSR1 mid-study, requeued $restarts time(s), resumed; every task ran once; the file equals the uninterrupted run's"
