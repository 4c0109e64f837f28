#!/bin/sh
# `pip install` of python/ from a copy of the checkout, offline (no build isolation, no
# dependencies fetched), into a target directory; the installed package imports from there.
# usage: test_install.sh SOURCE_DIR/python WORKDIR
set -e
py="${PS_PYTHON:-/usr/bin/python3}"
rm -rf "$2/src" "$2/target"
mkdir -p "$2"
cp -r "$1" "$2/src"   # setuptools writes build/ and *.egg-info beside the sources
"$py" -m pip install --quiet --no-deps --no-build-isolation --no-index --target "$2/target" \
  "$2/src"
cd "$2"
PYTHONPATH="$2/target" "$py" -c "
import sys, pairsweep
assert pairsweep.__file__.startswith(sys.argv[1]), pairsweep.__file__
assert callable(pairsweep.read_tasks) and callable(pairsweep.load_model)
print('installed', pairsweep.__version__, 'in', sys.argv[1])" "$2/target"
