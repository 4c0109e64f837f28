#!/usr/bin/env bash
# `cmake --install` into a temporary prefix (not the configured one: the installation must
# find its files wherever it is put), then the installed pairsweep, run from a directory that
# is not a checkout: --version everywhere, the dry run of the installed tiny job naming the
# installed sbatch script, MNIST found through the documented search order (and an error that
# lists the places searched), the man page, the bash completion and the documents in place.
#   test_install.sh BUILD_DIR WORK_DIR CONFIGURED_DATADIR
set -euo pipefail
build=$1
work=$2
configured=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

rm -rf "$work"
mkdir -p "$work/elsewhere" "$work/home"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }
ps=$prefix/bin/pairsweep
share=$(cd "$prefix/share/pairsweep" && pwd -P)
[ -x "$ps" ] || fail "no executable $ps"
for f in jobs/tiny.yaml jobs/quick.yaml slurm/pairsweep-mpi.sbatch slurm/submit-array.sh slurm/README.md; do
  [ -f "$share/$f" ] || fail "not installed: share/pairsweep/$f"
done
[ -x "$share/slurm/pairsweep-mpi.sbatch" ] || fail "share/pairsweep/slurm/pairsweep-mpi.sbatch is not executable"
for f in share/doc/pairsweep/README.md share/doc/pairsweep/LICENSE share/doc/pairsweep/CITATION.cff \
         share/doc/pairsweep/docs/job-format.md share/bash-completion/completions/pairsweep; do
  [ -s "$prefix/$f" ] || fail "not installed: $f"
done
ok "installed under $prefix"

cd "$work/elsewhere"
unset PS_MNIST_DIR XDG_DATA_HOME
export HOME=$work/home

# --version, alone and after every command
want="pairsweep $("$ps" --version | sed -n 's/^pairsweep \([0-9.]*\)$/\1/p')"
[ "$want" != "pairsweep " ] || fail "pairsweep --version printed $("$ps" --version)"
for c in data models train run report status merge; do
  got=$("$ps" $c --version) || fail "pairsweep $c --version: exit status $?"
  [ "$got" = "$want" ] || fail "pairsweep $c --version printed '$got', expected '$want'"
done
ok "--version: $want, for every command"

# the dry run of the installed job names the installed SLURM scripts
plan=$("$ps" run --dry-run "$share/jobs/tiny.yaml")
grep -q "^sbatch: sbatch -n [0-9]* -t [0-9:]* $share/slurm/pairsweep-mpi.sbatch $share/jobs/tiny.yaml\$" <<<"$plan" ||
  fail "the dry run's sbatch line does not name $share/slurm/pairsweep-mpi.sbatch: $(grep sbatch <<<"$plan")"
plan=$("$ps" run --dry-run --shard 1/2 "$share/jobs/tiny.yaml")
grep -q "^sbatch: bash $share/slurm/submit-array.sh -n 2 " <<<"$plan" ||
  fail "the sharded dry run does not name $share/slurm/submit-array.sh: $(grep sbatch <<<"$plan")"
ok "run --dry-run from $PWD names $share/slurm/"

# MNIST: the installed copy (or, when the build did not install one, links made here)
mnist=${PS_TEST_MNIST:?PS_TEST_MNIST: the MNIST folder of the checkout}
names="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"
links() { mkdir -p "$1"; for n in $names; do ln -sf "$mnist/$n" "$1/$n"; done; }
[ -f "$share/mnist/train-images-idx3-ubyte" ] || links "$share/mnist"
used() { "$ps" data --pairs 10 "$@" | sed -n 's/^MNIST in \(.*\): 60000 training.*/\1/p'; }
expect_dir() { # expect_dir WHAT DIR [pairsweep data options]
  local what=$1 dir=$2 got
  shift 2
  got=$(used "$@") || fail "$what: pairsweep data failed"
  [ "$got" = "$dir" ] || fail "$what: MNIST read from '$got', expected '$dir'"
  ok "MNIST, $what: $dir"
}
expect_dir "the installation's share/pairsweep/mnist" "$share/mnist"
links "$HOME/.local/share/pairsweep/mnist"
expect_dir "~/.local/share before the installation" "$HOME/.local/share/pairsweep/mnist"
links "$work/xdg/pairsweep/mnist"
XDG_DATA_HOME=$work/xdg expect_dir "\$XDG_DATA_HOME before ~/.local/share" "$work/xdg/pairsweep/mnist"
links data/mnist
expect_dir "./data/mnist before \$XDG_DATA_HOME" data/mnist
links "$work/env"
PS_MNIST_DIR=$work/env expect_dir "\$PS_MNIST_DIR before ./data/mnist" "$work/env"
links "$work/opt"
PS_MNIST_DIR=$work/env expect_dir "--mnist before \$PS_MNIST_DIR" "$work/opt" --mnist "$work/opt"

# none anywhere: exit status 2 and every place searched named
rm -rf data "$HOME/.local/share/pairsweep" "$share/mnist"
if [ -d "$configured/mnist" ]; then
  ok "not checked: MNIST missing everywhere ($configured/mnist exists on this machine)"
else
  rc=0
  err=$("$ps" data --pairs 10 2>&1 >/dev/null) || rc=$?
  [ "$rc" -eq 2 ] || fail "no MNIST anywhere: exit status $rc, expected 2"
  for place in "data/mnist" "$HOME/.local/share/pairsweep/mnist" "$share/mnist"; do
    grep -qF "$place" <<<"$err" || fail "the error does not name $place: $err"
  done
  ok "no MNIST anywhere: status 2, $err"
fi

# the man page: generated from the help texts, every command in it, valid roff
man=$prefix/share/man/man1/pairsweep.1
[ -s "$man" ] || fail "no man page $man"
grep -q '^\.TH PAIRSWEEP 1 ' "$man" || fail "$man has no .TH line"
for c in data models train run report status merge; do
  grep -q "^\.SS pairsweep $c\$" "$man" || fail "$man has no section for pairsweep $c"
done
grep -qF '\-\-dry\-run' "$man" || fail "$man lacks run's --dry-run"
if command -v groff >/dev/null; then
  warn=$(groff -k -man -Tutf8 -ww -z "$man" 2>&1)
  [ -z "$warn" ] || fail "groff warns about $man: $warn"
  ok "man page: groff reads it without a warning"
fi
ok "man page $man"
rm -rf "$prefix"
