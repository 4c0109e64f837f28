# Sourced by the SLURM tests (tests/slurm/test_*.sh): a private one-node cluster for the
# test, stopped on exit whatever happens, and helpers to submit and wait for jobs.
#
# Environment (ctest sets it, see CMakeLists.txt): PS_SOURCE_DIR, PS_BINARY_DIR, PS_PYTHON,
# PS_MNIST_DIR and the Open MPI settings. The tests run in PS_BINARY_DIR/slurm-tests/NAME.
set -euo pipefail

: "${PS_SOURCE_DIR:?run under ctest (PS_SOURCE_DIR unset)}"
: "${PS_BINARY_DIR:?run under ctest (PS_BINARY_DIR unset)}"
PS_PYTHON=${PS_PYTHON:-/usr/bin/python3}
export PS_BIN=${PS_BIN:-$PS_BINARY_DIR/pairsweep}
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
CLUSTER=$PS_SOURCE_DIR/tests/slurm/cluster.sh
COMPARE=$PS_SOURCE_DIR/tests/slurm/compare.py
SLURM_DIR_SBATCH=$PS_SOURCE_DIR/slurm
# The tiny job of the tests, and the shared area where the reference run (test slurm_mpi)
# leaves its results for the other tests.
TINY_JOB=${PS_SLURM_TEST_JOB:-$PS_SOURCE_DIR/jobs/tiny.yaml}
SHARED=$PS_BINARY_DIR/slurm-tests
T0=$SECONDS

log() { printf '[%3ds] %s: %s\n' "$((SECONDS - T0))" "$TEST_NAME" "$*"; }
fail() {
  log "FAIL: $*"
  exit 1
}

[ -x "$PS_BIN" ] || fail "no pairsweep binary at $PS_BIN (build the pairsweep target)"
[ -r "$TINY_JOB" ] || fail "no job file $TINY_JOB"
for t in munged slurmctld slurmd sbatch; do
  command -v "$t" >/dev/null 2>&1 ||
    fail "SLURM is not installed ($t missing): the Debian packages munge slurmctld slurmd slurm-client are needed (scripts/setup.sh installs them)"
done
[ "$(id -u)" -eq 0 ] ||
  fail "these tests run a SLURM cluster whose daemons run as root (SlurmUser=root, no systemd): run as root"

WORK=$SHARED/$TEST_NAME
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"

CLUSTER_DIR=""
cluster_stop() {
  local rc=$?
  set +e
  if [ -n "$CLUSTER_DIR" ] && [ -d "$CLUSTER_DIR" ]; then
    if [ $rc -ne 0 ]; then
      log "test failed (status $rc): job logs and daemon logs follow"
      find "$WORK" -name '*.out' | sort | while read -r f; do
        echo "---- $f"; grep -v '^\[[0-9]*:[0-9][0-9]:[0-9][0-9]\] ' "$f" | tail -n 40
      done
      echo "---- jobs"
      SLURM_CONF=$CLUSTER_DIR/slurm.conf scontrol show job 2>/dev/null | grep -E 'JobId=|JobState=|Restarts=|ExitCode' | head -n 40
      "$CLUSTER" logs "$CLUSTER_DIR" 2>&1 | tail -n 80
    fi
    "$CLUSTER" stop "$CLUSTER_DIR" 2>&1 | sed 's/^/    /'
  fi
  log "done in $((SECONDS - T0)) s (status $rc)"
  exit $rc
}
trap cluster_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cluster_start() {
  local t=$SECONDS
  CLUSTER_DIR=$("$CLUSTER" start --owner $$) || { CLUSTER_DIR=""; fail "the one-node SLURM cluster did not start (see above)"; }
  export SLURM_CONF=$CLUSTER_DIR/slurm.conf
  log "cluster up in $((SECONDS - t)) s: $CLUSTER_DIR"
}

# job_field JOBID FIELD: a field of `scontrol show job` (first record).
job_field() {
  scontrol -o show job "$1" 2>/dev/null | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# wait_job JOBID TIMEOUT_S: waits until the job (every task of an array) has ended; prints its
# final state(s). A requeued job goes back to PENDING and is waited for again.
wait_job() {
  local id=$1 timeout=$2 t=$SECONDS states
  while :; do
    states=$(scontrol -o show job "$id" 2>/dev/null | tr ' ' '\n' | sed -n 's/^JobState=//p' | sort | uniq -c | tr -s ' ' | tr '\n' ',')
    [ -n "$states" ] || fail "job $id is unknown to slurmctld"
    if ! grep -qE 'PENDING|RUNNING|REQUEUE|COMPLETING|CONFIGURING|SUSPENDED|RESIZING|SIGNALING|STAGE_OUT' <<<"$states"; then
      echo "$states"
      return 0
    fi
    [ $((SECONDS - t)) -lt "$timeout" ] || fail "job $id still not finished after $timeout s ($states)"
    sleep 0.5
  done
}

# submit ARGS...: sbatch --parsable ARGS, prints the job id.
submit() {
  local out
  out=$(sbatch --parsable "$@") || fail "sbatch $* failed"
  echo "${out%%;*}"
}

compare_check() { "$PS_PYTHON" "$COMPARE" check "$1" || fail "$1 is not a complete results file"; }
compare_same() { "$PS_PYTHON" "$COMPARE" same "$1" "$2" || fail "$1 and $2 differ"; }
