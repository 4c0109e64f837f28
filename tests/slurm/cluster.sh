#!/usr/bin/env bash
# A real one-node SLURM cluster on localhost, for the tests and for trying the batch scripts in
# slurm/ on a laptop: Debian 12's munged, slurmctld and slurmd (packages munge, slurmctld,
# slurmd, slurm-client), run as root, with no systemd and no cgroups. Everything it writes
# (slurm.conf, munge key and socket, state, spool, logs, pid files) lives under one short
# directory, /tmp/psl.XXXXXX by default (Unix socket paths must stay under 108 bytes).
#
#   dir=$(tests/slurm/cluster.sh start [--owner PID] [DIR])
#                                              # start; prints DIR on stdout (the only output
#                                              # there); with --owner, a watchdog stops the
#                                              # cluster when process PID is gone (e.g. a test
#                                              # killed by its timeout)
#   export SLURM_CONF=$dir/slurm.conf          # then sbatch/squeue/scontrol talk to it
#   tests/slurm/cluster.sh status DIR          # daemons' PIDs, node state; exit 1 if not up
#   tests/slurm/cluster.sh stop DIR [--keep]   # kill the daemons by their recorded PIDs, wait
#                                              # for them, remove DIR (unless --keep)
#   tests/slurm/cluster.sh logs DIR            # tails of the three daemons' logs
#
# `start` waits until the node is idle (ready for jobs) and fails with the daemon's log tail
# when one does not come up; on failure it stops what it started and removes DIR
# (PS_SLURM_KEEP=1 keeps it). Ports are chosen free at start (and chosen again when one was
# taken in between), so several clusters (e.g. parallel ctest runs) do not collide. Tuned for fast tests:
# cred_expire=5 (a requeued job waits this long before it can run again, default 120 s),
# sched_interval=2, bf_interval=1. MinJobAge=900 keeps finished jobs visible to
# `scontrol show job` (there is no slurmdbd, hence no sacct); finished jobs are also logged to
# DIR/jobcomp.txt (jobcomp/filetxt).
#
# Settings this kind of machine needs (see issue 8): ProctrackType=proctrack/linuxproc,
# TaskPlugin=task/none, JobAcctGatherType=jobacct_gather/none,
# AccountingStorageType=accounting_storage/none, SelectType=select/cons_tres with CR_Core,
# SlurmUser=root, MpiDefault=pmix (Debian's Open MPI 4.1 runs under srun through PMIx only),
# an empty PlugStackConfig (keeps the system's SPANK plugins out), MailProg=/bin/true, the node
# named `localhost` with NodeAddr=127.0.0.1 (the host name is not localhost) and slurmd started
# with -N localhost, RealMemory no larger than what `slurmd -C` reports.
set -euo pipefail

say() { printf 'cluster: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

need_tools() {
  local t missing=()
  for t in munged slurmctld slurmd sinfo scontrol; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: install the Debian packages munge slurmctld slurmd slurm-client (scripts/setup.sh does)"
  [ "$(id -u)" -eq 0 ] || die "this one-node cluster runs its daemons as root (SlurmUser=root); run as root"
}

# A TCP port nobody listens on (connect to it fails), from 10000-32767: away from SLURM's
# 6817/6818 and below Linux's ephemeral ports (32768-60999), which outgoing connections take.
# A port taken between this check and the daemon's bind is caught by cmd_start (it retries).
free_port() {
  local p tries=0
  while [ $tries -lt 200 ]; do
    p=$(( 10000 + (RANDOM * 32768 + RANDOM) % 22768 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"; return 0
    fi
    tries=$((tries + 1))
  done
  die "no free TCP port found"
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
read_pid() { [ -s "$1" ] && tr -dc '0-9' <"$1" || true; }

log_tail() {
  local f=$1
  if [ -s "$f" ]; then
    say "---- last lines of $f ----"
    tail -n 25 "$f" >&2
    say "----"
  else
    say "($f is empty or missing)"
  fi
}

all_logs() {
  local d=$1
  log_tail "$d/log/munged.log"
  log_tail "$d/log/slurmctld.log"
  log_tail "$d/log/slurmd.log"
}

write_conf() {
  local d=$1 cport dport cpus mem cmdout
  cport=$(free_port)
  dport=$(free_port)
  while [ "$dport" = "$cport" ]; do dport=$(free_port); done
  # What this machine offers, as slurmd sees it (CPUs, sockets/cores/threads, RealMemory).
  cmdout=$(slurmd -C 2>/dev/null | head -n 1) || true
  [ -n "$cmdout" ] || die "slurmd -C printed nothing: cannot learn this machine's CPUs and memory"
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$cmdout")
  mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$cmdout")
  [ -n "$cpus" ] && [ -n "$mem" ] || die "cannot parse 'slurmd -C' output: $cmdout"
  # RealMemory must not exceed what slurmd finds; leave some room for the system.
  mem=$(( mem * 9 / 10 ))
  local topo
  topo=$(grep -o 'Boards=[0-9]* SocketsPerBoard=[0-9]* CoresPerSocket=[0-9]* ThreadsPerCore=[0-9]*' <<<"$cmdout" || true)
  : >"$d/plugstack.conf"
  # PMIx's per-step client directories, by default /tmp/spmix_appdir_UID_JOB.STEP: a killed step
  # leaves its directory behind and a fresh cluster numbers jobs from 1 again, so the next
  # cluster's step of that number would fail ("File exists"). Keep them in DIR.
  mkdir -p "$d/pmix"
  printf 'PMIxCliTmpDirBase=%s\n' "$d/pmix" >"$d/mpi.conf"
  cat >"$d/slurm.conf" <<EOF
# Written by tests/slurm/cluster.sh: a one-node test cluster on localhost, everything under $d
ClusterName=pstest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$cport
SlurmdPort=$dport
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/sock,cred_expire=5
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$d/plugstack.conf
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$d/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=1
JobRequeue=1
ReturnToService=2
MinJobAge=900
KillWait=10
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus $topo RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
}

start_munge() {
  local d=$1
  # munged checks the key (owned by us, mode 0400) and wants its socket's directory
  # world-executable so that clients can reach the socket.
  dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
  chmod 0400 "$d/munge/munge.key"
  chmod 0755 "$d/munge"
  munged --force --socket="$d/munge/sock" --key-file="$d/munge/munge.key" \
    --pid-file="$d/run/munged.pid" --log-file="$d/log/munged.log" \
    --seed-file="$d/munge/seed" >>"$d/log/munged.out" 2>&1 ||
    { log_tail "$d/log/munged.out"; log_tail "$d/log/munged.log"; die "munged did not start"; }
  local i
  for i in $(seq 1 50); do
    [ -S "$d/munge/sock" ] && pid_alive "$(read_pid "$d/run/munged.pid")" && return 0
    sleep 0.1
  done
  log_tail "$d/log/munged.log"
  die "munged did not create its socket $d/munge/sock within 5 s"
}

# $1 = dir, $2 = daemon name, $3 = pid file; waits up to 10 s for a live PID in the pid file.
wait_daemon() {
  local d=$1 name=$2 pidf=$3 i
  for i in $(seq 1 100); do
    if pid_alive "$(read_pid "$pidf")"; then return 0; fi
    grep -qs 'Unable to bind listen port' "$d/log/$name.log" && break
    sleep 0.1
  done
  log_tail "$d/log/$name.out"
  log_tail "$d/log/$name.log"
  die "$name did not start (no live PID in $pidf; its log is above)"
}

node_state() {
  SLURM_CONF=$1/slurm.conf timeout 5 sinfo -h -N -n localhost -o '%T' 2>/dev/null | head -n 1 || true
}

# Starts munged, slurmctld and slurmd in DIR (its slurm.conf written) and waits for the node
# to be idle. Run in a subshell: `die` ends only the attempt.
start_daemons() {
  local d=$1
  start_munge "$d"
  export SLURM_CONF=$d/slurm.conf
  # -i: ignore saved state (a fresh cluster every time).
  slurmctld -i -f "$d/slurm.conf" >>"$d/log/slurmctld.out" 2>&1 ||
    { log_tail "$d/log/slurmctld.out"; log_tail "$d/log/slurmctld.log"; die "slurmctld failed to start"; }
  wait_daemon "$d" slurmctld "$d/run/slurmctld.pid"
  slurmd -N localhost -f "$d/slurm.conf" >>"$d/log/slurmd.out" 2>&1 ||
    { log_tail "$d/log/slurmd.out"; log_tail "$d/log/slurmd.log"; die "slurmd failed to start"; }
  wait_daemon "$d" slurmd "$d/run/slurmd.pid"
  # Wait for the node to register and become idle (usually well under a second).
  local i st="" p
  for i in $(seq 1 300); do
    port_clash "$d" && die "a daemon could not bind its port"
    for p in slurmctld slurmd munged; do
      pid_alive "$(read_pid "$d/run/$p.pid")" || { all_logs "$d"; die "$p died while the node was coming up"; }
    done
    st=$(node_state "$d")
    case "$st" in
      idle) break ;;
      *drain*|*down*|*fail*|*inval*)
        if [ "$i" -gt 50 ]; then break; fi ;;
    esac
    sleep 0.1
  done
  if [ "$st" != idle ]; then
    SLURM_CONF=$d/slurm.conf scontrol show node localhost >&2 2>/dev/null || true
    all_logs "$d"
    die "node 'localhost' is '${st:-unknown}', not idle, after 30 s"
  fi
}

port_clash() { grep -qs 'Address already in use' "$1"/log/slurmctld.log "$1"/log/slurmd.log; }

cmd_start() {
  need_tools
  local d=${1:-}
  if [ -z "$d" ]; then
    d=$(mktemp -d /tmp/psl.XXXXXX)
  else
    mkdir -p "$d"
    d=$(cd "$d" && pwd)
    [ -e "$d/slurm.conf" ] && die "$d already holds a cluster (stop it first, or use another directory)"
  fi
  # Unix socket paths must stay under 108 bytes: the longest is the munge socket.
  [ ${#d} -le 60 ] || die "directory path too long for Unix sockets (${#d} > 60 chars): $d"
  local t0=$SECONDS attempt
  for attempt in 1 2 3 4; do
    rm -rf "${d:?}"/{munge,state,spool,log,run,pmix}
    mkdir -p "$d/munge" "$d/state" "$d/spool" "$d/log" "$d/run"
    chmod 0755 "$d"
    write_conf "$d"
    if (start_daemons "$d"); then
      say "up in $((SECONDS - t0)) s: $d (export SLURM_CONF=$d/slurm.conf)"
      echo "$d"
      return 0
    fi
    cmd_stop "$d" --keep >/dev/null 2>&1 || true
    if port_clash "$d" && [ $attempt -lt 4 ]; then
      say "a port of slurm.conf was taken meanwhile: retrying with other ports"
      continue
    fi
    break
  done
  # The logs were printed above; keep the directory only when asked to.
  if [ "${PS_SLURM_KEEP:-0}" = 1 ]; then
    say "stopped what was started; logs kept in $d/log (PS_SLURM_KEEP=1)"
  else
    rm -rf "$d"
    say "stopped what was started and removed $d (PS_SLURM_KEEP=1 keeps it)"
  fi
  exit 1
}

# PIDs of the processes this cluster runs for jobs: slurmstepd (started by our slurmd with an
# empty environment; its working directory is DIR/log) and job processes (SLURM_CONF=DIR/slurm.conf
# together with a SLURM_JOB_ID in their environment). Never by name.
job_pids() {
  local d=$1 e pid env cwd
  for e in /proc/[0-9]*/environ; do
    pid=${e#/proc/}; pid=${pid%/environ}
    [ "$pid" = "$$" ] && continue
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || cwd=""
    if [ "${cwd% (deleted)}" = "$d/log" ]; then echo "$pid"; continue; fi
    env=$(tr '\0' '\n' 2>/dev/null <"$e") || continue
    if grep -qxF "SLURM_CONF=$d/slurm.conf" <<<"$env" && grep -q '^SLURM_JOB_ID=' <<<"$env"; then
      echo "$pid"
    fi
  done
}

cmd_stop() {
  local d=${1:?usage: cluster.sh stop DIR [--keep]} keep=${2:-}
  [ -d "$d" ] || die "no such directory: $d"
  d=$(cd "$d" && pwd)
  local p pid pids=() i left
  # Cancel every job first: slurmd leaves running steps alone when it exits.
  if pid_alive "$(read_pid "$d/run/slurmctld.pid")"; then
    SLURM_CONF=$d/slurm.conf timeout 10 scancel --quiet --partition=debug 2>/dev/null || true
    for i in $(seq 1 50); do
      [ -z "$(SLURM_CONF=$d/slurm.conf timeout 5 squeue -h -t R,CG,S 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  # slurmd first, then slurmctld, then munged.
  for p in slurmd slurmctld munged; do
    pid=$(read_pid "$d/run/$p.pid")
    if pid_alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for i in $(seq 1 50); do
    left=()
    for pid in ${pids[@]+"${pids[@]}"}; do pid_alive "$pid" && left+=("$pid"); done
    [ ${#left[@]} -eq 0 ] && break
    sleep 0.1
  done
  for pid in ${left[@]+"${left[@]}"}; do
    say "PID $pid did not stop on SIGTERM within 5 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  done
  # Anything a job left behind.
  local stray
  stray=$(job_pids "$d" | tr '\n' ' ')
  if [ -n "${stray// /}" ]; then
    say "killing processes left by jobs: $stray"
    # shellcheck disable=SC2086
    kill -KILL $stray 2>/dev/null || true
  fi
  if [ "$keep" = --keep ]; then
    say "stopped; kept $d"
  else
    rm -rf "$d"
    say "stopped; removed $d"
  fi
}

cmd_status() {
  local d=${1:?usage: cluster.sh status DIR} p pid up=1
  for p in munged slurmctld slurmd; do
    pid=$(read_pid "$d/run/$p.pid")
    if pid_alive "$pid"; then echo "$p: running, PID $pid"; else echo "$p: not running"; up=0; fi
  done
  echo "node localhost: $(node_state "$d")"
  [ $up -eq 1 ]
}

# Stops the cluster in DIR once process OWNER is gone (a test killed by a timeout cannot run
# its own clean-up); ends by itself when DIR disappears (a normal stop).
cmd_watch() {
  local d=${1:?} owner=${2:?}
  while [ -d "$d" ] && kill -0 "$owner" 2>/dev/null; do sleep 2; done
  if [ -e "$d/slurm.conf" ]; then
    say "owner PID $owner of $d is gone: stopping its cluster"
    cmd_stop "$d"
  fi
}

start_owned() {
  local owner=$1
  shift
  local d
  d=$(cmd_start "$@") || exit 1
  # The watchdog runs in its own session, so that killing the owner's process group spares it.
  setsid bash "${BASH_SOURCE[0]}" watch "$d" "$owner" </dev/null >>"$d/log/watch.log" 2>&1 &
  echo "$d"
}

case "${1:-}" in
  start)
    shift
    if [ "${1:-}" = --owner ]; then
      owner=${2:?--owner needs a PID}
      shift 2
      start_owned "$owner" "$@"
    else
      cmd_start "$@"
    fi ;;
  watch) shift; cmd_watch "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  logs) shift; all_logs "${1:?usage: cluster.sh logs DIR}" ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
