#!/usr/bin/env bash
# Runs a study on this machine: `bash scripts/study.sh JOB.yaml [pairsweep run options]`.
# Uses mpirun with PS_RANKS ranks (default 3: one master + one worker per core of a 2-core
# laptop), resumes an interrupted study, then prints the report of results/JOB.h5.
#
# Stopping (the table in `pairsweep run --help`): Ctrl-C, SIGINT or SIGTERM to this script is
# passed to mpirun as SIGUSR1, which Open MPI forwards to the ranks: rank 0 hands out no new
# task, lets the running ones finish for the grace period (a second signal gives them up) and
# exits with status 3, and so does this script. mpirun runs in its own process group, so a
# terminal's Ctrl-C reaches this script only (mpirun would kill the ranks). A SIGINT or SIGTERM
# sent to mpirun itself cannot be forwarded (Open MPI refuses both in ess_base_forward_signals):
# mpirun sends the ranks SIGCONT, SIGTERM one second later (odls_base_sigkill_timeout), SIGKILL
# one second after that, and exits with status 1. Rank 0 takes mpirun's SIGTERM as "mpirun is
# ending the job": it gives running tasks up (no grace), closes the file and prints that it was
# stopped by a signal (its last line on stderr, with -q too); this script then exits with
# status 3.
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
log=$(mktemp "${TMPDIR:-/tmp}/study-log.XXXXXX")
set -m   # mpirun in a process group of its own: a terminal's Ctrl-C reaches only this script
mpirun -np "$ranks" "$bin" run "$job" "$@" </dev/null > >(tee -a "$log") 2> >(tee -a "$log" >&2) &
pid=$!
set +m
stop() {
  echo "study: SIG$1: asking the study to stop (SIGUSR1 to mpirun)" >&2
  kill -USR1 "$pid" 2>/dev/null || true
}
trap 'stop INT' INT
trap 'stop TERM' TERM
trap 'stop USR1' USR1
while :; do   # a trapped signal ends `wait` early: wait again until mpirun has ended
  wait "$pid" && status=0 || status=$?
  kill -0 "$pid" 2>/dev/null || break
done
trap - INT TERM USR1
sleep 0.2   # let tee write the last lines
# mpirun signalled directly: rank 0 took mpirun's SIGTERM as the end of the job, closed the
# file and said so; mpirun exited with status 1. Every task stored is kept: status 3 (stopped).
ended='^pairsweep run: stopped by a signal: mpirun ended the job'
if [ "$status" -eq 1 ] && grep -q "$ended" "$log"; then
  echo "study: mpirun was signalled and ended the ranks (status 1) after rank 0's stop request: status 3 (run the same command again to resume)" >&2
  status=3
fi
rm -f "$log"
# Figures (Fig. 1 and 2 of the reports) and the tables as files, once the study is complete.
if [ "$status" -eq 0 ] && [ -f "results/$name.h5" ]; then
  if "$bin" report "results/$name.h5" --out "results/$name" --force >/dev/null; then
    echo "study: tables and figures in results/$name/ (fig1_train_loss.png, fig2_accuracy.png)"
  fi
fi
exit "$status"
