#!/bin/sh
# PyTorch twin test: twin_dump writes states, inputs and outputs; twin.py checks them.
# usage: run_twin.sh TWIN_DUMP WORKDIR
set -e
"$1" "$2/twin.h5"
"${PS_PYTHON:-/usr/bin/python3}" "$(dirname "$0")/twin.py" "$2/twin.h5"
