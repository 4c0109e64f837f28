#!/usr/bin/env bash
# The bash completion (completion/pairsweep.bash), sourced into this shell and asked as bash
# would ask it (COMP_WORDS, COMP_CWORD): commands, options, option values, model names, files;
# and, for every command of `pairsweep --help`, the options it completes are exactly those its
# --help lists (plus --version), so that a new option without a completion fails here.
#   test_completion.sh PAIRSWEEP COMPLETION_FILE WORK_DIR
set -euo pipefail
ps=$1
file=$2
work=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# shellcheck source=completion/pairsweep.bash
. "$file" || fail "sourcing $file failed"
complete -p pairsweep >/dev/null 2>&1 || fail "$file registers no completion for pairsweep"
# comp WORD...: the completions of the last word, one a line, sorted
comp() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _pairsweep
  [ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort
}
expect() { # expect "WORDS" EXPECTED (newline-separated, sorted)
  local got
  got=$(comp $1)
  [ "$got" = "$2" ] || fail "completing '$1': got [$(echo $got)], expected [$(echo $2)]"
  ok "'$1' -> $(echo $got)"
}

expect "pairsweep r" $'report\nrun'
expect "pairsweep train --ba" "--batch-size"
expect "pairsweep report x.h5 --format m" "markdown"
expect "pairsweep models --report 0" $'000\n002'
expect "$ps train --model resnet_ws" $'resnet_ws\nresnet_ws_aux'

mkdir -p "$work/sub"
cd "$work"
touch study.yaml results.h5
expect "pairsweep run s" $'study.yaml\nsub'
expect "pairsweep status r" "results.h5"
cd - >/dev/null

commands=$("$ps" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
[ -n "$commands" ] || fail "no commands in pairsweep --help"
for c in $commands; do
  helped=$( { "$ps" "$c" --help | grep -oE -- '(^|[ ,[])--[a-z][a-z-]*' | grep -oE -- '--[a-z-]+'; echo --version; } | sort -u)
  completed=$(comp pairsweep "$c" --)
  [ "$helped" = "$completed" ] ||
    fail "pairsweep $c: --help lists [$(echo $helped)], the completion offers [$(echo $completed)]"
  ok "pairsweep $c: the completion offers every option of --help: $(echo $completed)"
done
