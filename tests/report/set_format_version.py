"""Sets the root attribute format_version of a results file (a test fixture: a file of a
format this pairsweep does not know). Usage: set_format_version.py FILE N"""
import sys

import h5py

with h5py.File(sys.argv[1], "a") as f:
    f.attrs["format_version"] = int(sys.argv[2])
