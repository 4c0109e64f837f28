#!/bin/sh
# The Python tests' studies: study000.yaml and study002.yaml run afresh into DIR/py000.h5 and
# DIR/py002.h5 (one process each, seconds). usage: run_study.sh PAIRSWEEP DIR
set -e
mkdir -p "$2"
for s in 000 002; do
  rm -f "$2/py$s.h5" "$2/py$s.h5.journal"
  "$1" run "$(dirname "$0")/study$s.yaml" -o "$2/py$s.h5" -q
done
