#!/usr/bin/env bash
# A full disk while a study under mpirun writes its results (issue 16):
#   full_disk.sh PAIRSWEEP WORKDIR MPIEXEC
# jobs/tiny.yaml under `mpirun -np 3` with its results on a 1.5 MB tmpfs: the run must stop
# with status 1 and a message saying the disk is full and that the same command resumes;
# after the tmpfs is given room (remount), the same command must complete the study running
# only the missing tasks, and the file must equal an uninterrupted run's bit for bit
# (tests/hardening/compare.py): nothing stored before the fault is lost or changed.
# Mounting needs root: otherwise the test prints SKIPPED and exits 77 (ctest: skipped).
set -uo pipefail
ps=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$2/full_disk
mpi=${3:-mpiexec}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${PS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
tiny=$src/jobs/tiny.yaml
scale=${PS_TEST_TIMEOUT_SCALE:-1}
export OPENBLAS_NUM_THREADS=1
rm -rf "$work"
mkdir -p "$work/small"
cd "$work" || exit 1
if ! mount -t tmpfs -o size=1500k tmpfs small 2>/dev/null; then
  echo "SKIPPED: full disk under mpirun: cannot mount a small tmpfs (needs root)"
  exit 77
fi
trap 'cd / && umount "$work/small" 2>/dev/null' EXIT
fail() { echo "FAIL: $*"; exit 1; }

timeout $((120 * scale)) "$ps" run -q -o ref.h5 "$tiny" >ref.out 2>ref.err ||
  fail "reference run: $(cat ref.err)"
rc=0
timeout $((300 * scale)) "$mpi" -np 3 "$ps" run -q -o small/tiny.h5 "$tiny" >full.out \
  2>full.err || rc=$?
echo "full disk: status $rc: $(grep '^pairsweep run' full.err | tr '\n' ' ')"
[ "$rc" -eq 1 ] || fail "status $rc (expected 1)"
grep -q '^pairsweep run: .*the disk is full' full.err || fail "no 'disk is full' message"
grep -q 'run the same command to resume' full.err || fail "no word on how to resume"
stored=$(sed -n 's/^pairsweep run: \([0-9]*\) tasks are stored in.*/\1/p' full.err)
[ -n "$stored" ] || fail "the message does not say how many tasks are stored"
"${PS_PYTHON:-/usr/bin/python3}" -c 'import h5py, sys; h5py.File(sys.argv[1], "r")["tasks"][:]' small/tiny.h5 ||
  fail "small/tiny.h5 does not open with h5py after the full disk"

mount -o remount,size=64m small || fail "cannot give the tmpfs room"
rc=0
timeout $((300 * scale)) "$mpi" -np 3 "$ps" run -q -o small/tiny.h5 "$tiny" >resume.out \
  2>resume.err || rc=$?
echo "resume: status $rc: $(head -1 resume.out)"
[ "$rc" -eq 0 ] || fail "resume: status $rc: $(cat resume.err)"
ran=$(sed -n 's/.* \([0-9]*\) run now in .*/\1/p' resume.out)
[ "$ran" = "$((12 - stored))" ] || fail "resume ran $ran tasks, expected $((12 - stored))"
/usr/bin/python3 "$here/compare.py" ref.h5 small/tiny.h5 || fail "differs from the reference"
echo "ok: full disk under mpirun: $stored tasks kept, the rerun ran the $ran others"
