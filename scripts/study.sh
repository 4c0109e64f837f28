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
mpirun -np "$ranks" "$bin" run "$job" "$@"
