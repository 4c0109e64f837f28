#!/usr/bin/env bash
# Runs a study on this machine: `bash scripts/study.sh JOB.yaml [pairsweep run options]`.
# Uses mpirun with PS_RANKS ranks (default 3: one master + one worker per core of a 2-core
# laptop), resumes an interrupted study, then prints the report of results/JOB.h5.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
# shellcheck source=scripts/env.sh
. scripts/env.sh
job=${1:?usage: scripts/study.sh JOB.yaml [pairsweep run options]}
shift
bin=${PS_BIN:-build/pairsweep}
ranks=${PS_RANKS:-3}
if [ ! -x "$bin" ]; then
  echo "study: $bin not found: run scripts/setup.sh first" >&2
  exit 2
fi
# The study's name is its `name:` key (results/NAME.h5); read it the way YAML would for the
# simple `name: VALUE` line the shipped jobs have, else the file's base name (the default).
name=$(sed -n 's/^name:[[:space:]]*["'"'"']\{0,1\}\([A-Za-z0-9_.-]*\).*/\1/p' "$job" | head -n 1)
[ -n "$name" ] || name=$(basename "$job" .yaml)
status=0
mpirun -np "$ranks" "$bin" run "$job" "$@" || status=$?
# Figures (Fig. 1 and 2 of the reports) and the tables as files, once the study is complete.
if [ "$status" -eq 0 ] && [ -f "results/$name.h5" ]; then
  if "$bin" report "results/$name.h5" --out "results/$name" --force >/dev/null; then
    echo "study: tables and figures in results/$name/ (fig1_train_loss.png, fig2_accuracy.png)"
  fi
fi
exit "$status"
