#!/usr/bin/env bash
# SLURM test 3: slurm/submit-array.sh on the tiny job: a job array of 2 shards
# (`pairsweep run --shard I/2`, one rank each) and the dependent (afterok) merge + report job.
# The merged file must equal the MPI run's (test slurm_mpi). Also checks submit-array.sh
# --dry-run: per-shard task counts adding up to the plan, core-hours, the two sbatch lines.
TEST_NAME=slurm_array
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ref=$SHARED/reference.h5
[ -f "$ref" ] || fail "no reference run: test slurm_mpi must pass first (ctest fixture slurm_reference)"
n=2

dry=$(bash "$SLURM_DIR_SBATCH/submit-array.sh" --dry-run -n $n "$TINY_JOB") || fail "--dry-run failed: $dry"
echo "$dry" | sed 's/^/    /'
[ "$(grep -c '^shard [0-9]*/2: [0-9]* tasks' <<<"$dry")" -eq $n ] || fail "--dry-run did not list $n shards with task counts"
grep -q '^sbatch line (array): sbatch .*--array=1-2 ' <<<"$dry" || fail "--dry-run printed no array sbatch line"
grep -q '^sbatch line (merge): sbatch .*--dependency=afterok:' <<<"$dry" || fail "--dry-run printed no merge sbatch line"
grep -q '^total: .* core-hours' <<<"$dry" || fail "--dry-run printed no core-hours total"
# The shards' task counts add up to the plan's.
sum=$(sed -n 's|^shard [0-9]*/2: \([0-9]*\) tasks.*|\1|p' <<<"$dry" | awk '{ s += $1 } END { print s + 0 }')
planned=$(sed -n 's/^\([0-9]*\) tasks, about .*/\1/p' <<<"$dry" | head -n 1)
[ -n "$planned" ] && [ "$sum" -eq "$planned" ] || fail "--dry-run: the shards hold $sum tasks, the plan ${planned:-?}"

cluster_start
ids=$(bash "$SLURM_DIR_SBATCH/submit-array.sh" -n $n -t 10 "$TINY_JOB" | tail -n 1) || fail "submit-array.sh failed"
read -r aid mid <<<"$ids"
[ -n "$aid" ] && [ -n "$mid" ] || fail "submit-array.sh printed no job ids"
log "array job $aid, merge job $mid"
st=$(wait_job "$aid" 240)
log "array job $aid ended: $st"
[ "$st" = " $n COMPLETED," ] || fail "array job $aid: $st, expected $n COMPLETED"
st=$(wait_job "$mid" 120)
log "merge job $mid ended: $st"
[ "$st" = " 1 COMPLETED," ] || fail "merge job $mid: $st, expected COMPLETED"
for i in $(seq 1 $n); do
  ls results/*.shard$i-of-$n.h5 >/dev/null 2>&1 || fail "no shard file results/*.shard$i-of-$n.h5"
done
merged=$(ls results/*.h5 | grep -v '\.shard[0-9]*-of-' || true)
[ -n "$merged" ] && [ "$(wc -l <<<"$merged")" -eq 1 ] || fail "expected one merged file in results/, found: $merged"
grep -q "results: $WORK/$merged" "pairsweep-merge-$mid.out" || fail "the merge job's log does not say where the results are"
compare_same "$merged" "$ref"
log "PASS: $n shards + merge: $merged equals the MPI run's file"
