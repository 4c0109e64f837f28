"""What the Python tests share: the package from this checkout (python/, installed or not),
their arguments (PAIRSWEEP DIR, DIR holding py000.h5 and py002.h5 from run_study.sh), and
failures collected by check()."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import pairsweep as ps  # noqa: E402,F401

PAIRSWEEP, DIR = sys.argv[1], sys.argv[2]
STUDIES = [os.path.join(DIR, name) for name in ("py000.h5", "py002.h5")]
failures = []


def check(cond, what):
    """Records what as a failure unless cond."""
    if not cond:
        failures.append(what)


def finish(summary, ok=True):
    """Prints the failures and summary; the exit status (1 on a failure or not ok)."""
    for line in failures:
        print("FAIL", line)
    print(summary)
    return 1 if failures or not ok else 0
