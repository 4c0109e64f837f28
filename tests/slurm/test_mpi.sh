#!/usr/bin/env bash
# SLURM test 1: slurm/pairsweep-mpi.sbatch on the tiny job, 3 ranks (srun --mpi=pmix) on a
# private one-node cluster; the results file must be complete (every planned task once, all
# done, curves, weights, selection: checked with h5py by compare.py). Its file is the reference
# of test slurm_array (ctest fixture slurm_reference). Also checks the
# script's --dry-run (plan, sbatch line, core-hours) outside SLURM.
TEST_NAME=slurm_mpi
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rm -f "$SHARED/reference.h5" "$SHARED/reference.seconds"

dry=$(bash "$SLURM_DIR_SBATCH/pairsweep-mpi.sbatch" --dry-run "$TINY_JOB") || fail "--dry-run failed: $dry"
grep -q '^sbatch line: sbatch -n [0-9]* -t [0-9:]* slurm/pairsweep-mpi.sbatch ' <<<"$dry" || fail "--dry-run printed no sbatch line: $dry"
grep -q '^estimate: .* core-hours' <<<"$dry" || fail "--dry-run printed no core-hours estimate: $dry"
log "dry run: $(grep -E '^(estimate|sbatch line):' <<<"$dry" | tr '\n' ' ')"

cluster_start
# 3 ranks (1 master + 2 workers) on the node's 2 CPUs: -O (overcommit) lets SLURM place them.
id=$(submit -n 3 -O -t 10 "$SLURM_DIR_SBATCH/pairsweep-mpi.sbatch" "$TINY_JOB")
log "submitted job $id"
st=$(wait_job "$id" 240)
log "job $id ended: $st"
[ "$st" = " 1 COMPLETED," ] || fail "job $id: $st, expected COMPLETED"
out=pairsweep-$id.out
grep -q 'study complete' "$out" || fail "$out does not say 'study complete'"
grep -q "study complete at .*: 12 tasks in $WORK/results/" "$out" || fail "$out does not say where the results are"
files=(results/*.h5)
[ ${#files[@]} -eq 1 ] && [ -f "${files[0]}" ] || fail "expected one results file in $WORK/results, found: ${files[*]}"
compare_check "${files[0]}"
# The study's wall time (from SLURM), for the requeue test's timing.
start=$(date -d "$(job_field "$id" StartTime)" +%s)
end=$(date -d "$(job_field "$id" EndTime)" +%s)
cp "${files[0]}" "$SHARED/reference.h5"
echo $((end - start)) >"$SHARED/reference.seconds"
log "PASS: job $id ran the tiny study in $((end - start)) s; ${files[0]} complete (reference kept in $SHARED/reference.h5)"
