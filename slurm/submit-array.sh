#!/usr/bin/env bash
# pairsweep: submits a study as a SLURM job array (one shard per array task) plus a merge +
# report job that starts when every shard has finished (--dependency=afterok).
#
#   bash slurm/submit-array.sh [--dry-run] [-n SHARDS] [-t TIME] [-r RANKS] JOB.yaml [pairsweep run options]
#
#   -n SHARDS  array size (default: the job's number of model groups, at most 64; shards hold
#              whole groups, so no more than that)
#   -t TIME    time limit of each array task (sbatch --time; default the script's 04:00:00)
#   -r RANKS   ranks per array task (default 1: the one rank trains every task of its shard)
#   --dry-run  print the plan of every shard (task counts, estimated core-hours) and the
#              sbatch lines, submit nothing
#
# Run it from the repository: the job file, build/pairsweep and results/ are relative to it.
# Extra sbatch options for every job: PS_SBATCH_OPTS (e.g. "-p long -A myproject").
# Prints the array and merge job ids and where the merged results and report will be.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
me=submit-array
say() { printf '%s: %s\n' "$me" "$*"; }
usage() { sed -n '5,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

dry=0 nshards="" time_limit="" ranks=1
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=1 ;;
    -n) nshards=${2:?-n needs a number}; shift ;;
    -t) time_limit=${2:?-t needs a time}; shift ;;
    -r) ranks=${2:?-r needs a number}; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) say "unknown option $1"; usage ;;
    *) break ;;
  esac
  shift
done
job=${1:-}
[ -n "$job" ] || { say "missing JOB.yaml"; usage; }
shift
[ -r "$job" ] || { say "cannot read job file '$job'"; exit 2; }
for v in ${nshards:+"$nshards"} "$ranks"; do
  case "$v" in ''|*[!0-9]*|0) say "expected a positive number, got '$v'"; exit 2 ;; esac
done

if [ -n "${PS_BIN:-}" ]; then bin=$PS_BIN
elif [ -x build/pairsweep ]; then bin=$PWD/build/pairsweep
else bin=$(command -v pairsweep || true); fi
[ -n "$bin" ] && [ -x "$bin" ] || { say "no pairsweep binary: build it (scripts/setup.sh) or set PS_BIN"; exit 2; }

plan=$("$bin" run --dry-run "$job" "$@") || { say "pairsweep run --dry-run $job failed"; exit 2; }
# The plan's table: "model group grid select final core-hours" rows, then "total".
rows() { awk '/^model +group +grid/ { on = 1; next } /^total/ { on = 0 } on && NF >= 6' <<<"$1"; }
if [ -z "$nshards" ]; then
  nshards=$(rows "$plan" | awk '{ print $2 }' | sort -u | wc -l)
  [ "$nshards" -ge 1 ] || { say "cannot read the model groups from the plan of $job: give -n"; exit 2; }
  [ "$nshards" -le 64 ] || nshards=64
fi
read -r -a extra <<<"${PS_SBATCH_OPTS:-}"   # extra sbatch options, split on blanks
opts=(${extra[@]+"${extra[@]}"})
[ -n "$time_limit" ] && opts+=(--time="$time_limit")
[ "$ranks" -gt 1 ] && opts+=(--ntasks="$ranks")
array_line=(sbatch --parsable ${opts[@]+"${opts[@]}"} --array="1-$nshards" "$here/pairsweep-array.sbatch" "$job" "$nshards" "$@")
merge_line=(sbatch --parsable ${extra[@]+"${extra[@]}"} --dependency=afterok:ARRAYJOB --kill-on-invalid-dep=yes
            "$here/pairsweep-merge.sbatch" "$job" "$nshards")

if [ $dry -eq 1 ]; then
  splan=$("$bin" run --dry-run --shard "1/$nshards" "$job" "$@") ||
    { say "pairsweep run --dry-run --shard 1/$nshards $job failed"; exit 2; }
  grep -v '^sbatch: ' <<<"$splan"
  echo
  # Per shard (the table's last column "I/N" with N > 1; one shard: everything): tasks and
  # core-hours. Each array task has `ranks` ranks, of which ranks-1 train when ranks > 1.
  rows "$splan" | awk -v n="$nshards" -v r="$ranks" '
    { s = (n > 1) ? $NF : "1/1"; split(s, a, "/"); i = a[1] + 0
      ch = (n > 1) ? $(NF - 1) : $NF
      tasks[i] += $4 + $5; hours[i] += ch; models[i] = models[i] " " $1 }
    END {
      w = r > 1 ? r - 1 : 1
      for (i = 1; i <= n; i++) {
        printf "shard %d/%d: %d tasks, %.3f core-hours of training, >= %.3f h wall with %d rank(s), %.3f core-hours allocated;%s\n",
          i, n, tasks[i], hours[i], hours[i] / w, r, hours[i] / w * r, models[i]
        tt += tasks[i]; th += hours[i]; ta += hours[i] / w * r }
      printf "total: %d tasks, %.3f core-hours of training, %.3f core-hours allocated\n", tt, th, ta }'
  printf 'sbatch line (array):'; printf ' %q' "${array_line[@]}"; printf '\n'
  printf 'sbatch line (merge):'; printf ' %q' "${merge_line[@]}"; printf '\n'
  exit 0
fi

command -v sbatch >/dev/null 2>&1 || { say "sbatch not found: is this a SLURM login node?"; exit 2; }
array_id=$("${array_line[@]}")
array_id=${array_id%%;*}
merge_line=("${merge_line[@]/ARRAYJOB/$array_id}")
merge_id=$("${merge_line[@]}")
merge_id=${merge_id%%;*}
say "array job $array_id: $nshards shards of $job (logs pairsweep-${array_id}_I.out)"
say "merge job $merge_id: starts when all shards succeed; merged file and report in results/ under $PWD (log pairsweep-merge-$merge_id.out)"
echo "$array_id $merge_id"
