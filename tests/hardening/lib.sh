# shellcheck shell=bash
# shellcheck disable=SC2154 # $work is set by the script that sources this file
# Helpers of the hardening tests (sourced). Each check runs the real pairsweep binary on one
# bad input and asserts the contract of issue 9:
#   - the exit status is one of those allowed (2 bad usage/input, 1 failure);
#   - no hang (a timeout kills it: status 124/137 fails) and no crash (killed by a signal,
#     which would dump core: status > 128 fails);
#   - stderr is exactly one line and contains what it must name (the file, and the line for
#     job files), and never an internal name (FILE.h5.tmp, zlib's <fd:N>);
# and appends a row "input | status | stderr" to $table (docs/hardening.md is made of them).
# Sanitizer builds: a sanitizer report changes the exit status (scripts/check-sanitize.sh
# sets exitcode=86/87), so it fails the check too.

fails=0
checks=0
table=${table:-/dev/null}
# seconds a command may take (scaled under the sanitizers: PS_TEST_TIMEOUT_SCALE)
limit=$(( ${PS_HARDENING_TIMEOUT:-60} * ${PS_TEST_TIMEOUT_SCALE:-1} ))

say() { printf '%s\n' "$*"; }

# md_escape TEXT: one table cell
md_cell() { printf '%s' "$1" | tr '\n' ' ' | sed 's/|/\\|/g'; }

# expect LABEL STATUSES NEEDLE CMD...: STATUSES is a space-separated list ("2" or "1 2").
# Runs CMD in the current directory. Sets $out/$err files (stdout/stderr of the last check).
expect() {
  local label=$1 allowed=$2 needle=$3
  shift 3
  checks=$((checks + 1))
  out=$work/last.out
  err=$work/last.err
  local rc=0
  timeout -k 5 "$limit" "$@" >"$out" 2>"$err" || rc=$?
  local lines bad=""
  lines=$(wc -l <"$err")
  [ -s "$err" ] && [ "$(tail -c1 "$err" | od -An -c | tr -d ' ')" != '\n' ] && lines=$((lines + 1))
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    bad="no answer within ${limit} s (hang)"
  elif [ "$rc" -gt 128 ]; then
    bad="killed by signal $((rc - 128)) (crash)"
  elif ! printf ' %s ' "$allowed" | grep -q " $rc "; then
    bad="exit status $rc, expected one of: $allowed"
  elif [ "$lines" -ne 1 ]; then
    bad="$lines lines on stderr, expected exactly one"
  elif [ -n "$needle" ] && ! grep -qF -- "$needle" "$err"; then
    bad="stderr does not name '$needle'"
  elif grep -q '\.h5\.tmp\|<fd:[0-9]*>' "$err"; then
    bad="stderr names an internal file (a temporary file or a descriptor)"
  fi
  printf '| %s | %s | `%s` |\n' "$(md_cell "$label")" "$rc" "$(md_cell "$(head -c 400 "$err")")" \
    >>"$table"
  if [ -n "$bad" ]; then
    fails=$((fails + 1))
    say "FAIL $label: $bad"
    say "     command: $*"
    sed 's/^/     stderr: /' "$err" | head -8
  else
    say "ok   $label: $rc: $(head -c 200 "$err")"
  fi
}

# fail LABEL WHY: a failed check that is not an exit-status check.
fail() {
  checks=$((checks + 1))
  fails=$((fails + 1))
  say "FAIL $1: $2"
}

pass() {
  checks=$((checks + 1))
  say "ok   $1"
}

sha() { sha256sum "$1" | cut -c1-64; }

# snap FILE...: remembers the SHA-256 of each file (kept checks them after a command).
snap() {
  snaps=()
  local f
  for f; do snaps+=("$f=$(sha "$f")"); done
}

# kept LABEL: every file of the last snap is still there with the same SHA-256 (nothing was
# replaced, truncated or deleted).
kept() {
  local s f bad=""
  for s in "${snaps[@]}"; do
    f=${s%=*}
    if [ ! -e "$f" ] || [ "$(sha "$f")" != "${s##*=}" ]; then bad="$bad $f"; fi
  done
  if [ -n "$bad" ]; then fail "$1" "changed or removed:$bad"; else pass "$1: ${#snaps[@]} file(s) unchanged"; fi
}

# no_results DIR LABEL: nothing that could pass for results was written under DIR.
no_results() {
  local found
  found=$(find "$1" \( -name '*.h5' -o -name '*.h5.*' \) 2>/dev/null | head -3)
  if [ -n "$found" ]; then
    fail "$2" "a results file was written: $found"
  else
    pass "$2: no results file written"
  fi
}

# start_mpi_test CASE PAIRSWEEP WORKDIR [MPIEXEC] (the arguments of faults.sh and signals.sh):
# sets what, ps (absolute), work (WORKDIR/CASE, emptied and entered), mpiexec, py and table
# (WORKDIR/table-CASE.md, emptied: the rows for docs/hardening.md); no core files, one BLAS
# thread.
start_mpi_test() {
  # shellcheck disable=SC2034 # used by the scripts that call this
  what=$1 mpiexec=${4:-mpirun} py=${PS_PYTHON:-/usr/bin/python3}
  ps=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
  work=$3/$what
  rm -rf "$work"
  mkdir -p "$work"
  cd "$work" || exit 1
  table=$work/../table-$what.md
  : >"$table"
  export OPENBLAS_NUM_THREADS=1
  ulimit -c 0
}

finish() {
  say "$checks checks, $fails failed"
  [ "$fails" -eq 0 ]
}
