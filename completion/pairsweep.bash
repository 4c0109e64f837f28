# bash completion for pairsweep: commands, each command's options, their fixed values, model
# names (from `pairsweep models`), and files: job files (*.yaml) for run, results files (*.h5)
# for report, status, merge and export, folders for --mnist and --out.
# Installed as share/bash-completion/completions/pairsweep (loaded on first use); or
# `source completion/pairsweep.bash` from a checkout. Keep the option lists in step with the
# --help texts: tests/install/test_completion.sh compares them.

_pairsweep_options() {
  case $1 in
    data)   echo "--mnist --pairs --seed --help --version" ;;
    models) echo "--report --bn --help --version" ;;
    train)  echo "--model --seed --epochs --lr --batch-size --momentum --nesterov --weight-decay
                  --aux-weight --bn --n-train --n-test --lr-step --holdout --fold --eval --kernels --mnist
                  --save --from --task --force --quiet --help --version" ;;
    run)    echo "--output --mnist --restart --audit --shard --deadline --grace --rate --dry-run
                  --survival --quiet
                  --live --lines --help --version" ;;
    report) echo "--format --out --force --help --version" ;;
    status) echo "--all --help --version" ;;
    merge)  echo "--force --help --version" ;;
    export) echo "--task --output --mnist --force --help --version" ;;
  esac
}

# Files matching a glob pattern, and folders (to walk into), as completions of $1.
_pairsweep_files() {
  local IFS=$'\n'
  compopt -o filenames 2>/dev/null || true
  COMPREPLY+=($(compgen -d -- "$1") $(compgen -f -X "!$2" -- "$1"))
}

_pairsweep() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd=${COMP_WORDS[1]}
  COMPREPLY=()
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "data models train run report status merge export help --help --version" -- "$cur"))
    return 0
  fi
  case $prev in
    --report) COMPREPLY=($(compgen -W "000 002" -- "$cur")); return 0 ;;
    --bn) COMPREPLY=($(compgen -W "on off" -- "$cur")); return 0 ;;
    --format) COMPREPLY=($(compgen -W "text markdown csv latex" -- "$cur")); return 0 ;;
    --kernels) COMPREPLY=($(compgen -W "auto avx2 gemm" -- "$cur")); return 0 ;;
    --eval) COMPREPLY=($(compgen -W "every last" -- "$cur")); return 0 ;;
    --model)
      COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" models 2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur"))
      return 0 ;;
    --mnist|--out) compopt -o filenames 2>/dev/null || true; COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
    --save|-o|--output|--from) _pairsweep_files "$cur" "*.h5"; return 0 ;;
    --seed|--epochs|--lr|--batch-size|--momentum|--weight-decay|--aux-weight|--n-train|--n-test|\
    --lr-step|--holdout|--fold|--pairs|--shard|--deadline|--grace|--rate|--task) return 0 ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_pairsweep_options "$cmd")" -- "$cur"))
    return 0
  fi
  case $cmd in
    run) _pairsweep_files "$cur" "*.yaml" ;;
    report|status|merge|export) _pairsweep_files "$cur" "*.h5" ;;
  esac
  return 0
}
complete -F _pairsweep pairsweep
