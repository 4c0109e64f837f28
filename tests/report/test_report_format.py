"""`pairsweep report`, `status` and `merge` on results files of format 1 (written by pairsweep
before format 2; made here from a SYNTHETIC fixture study by make_format1.py, no binary file in
the repository): the same output as for the format-2 file, and `merge` writes format 2 (also
the conversion of one file: `pairsweep merge NEW.h5 OLD.h5`), old and new shards together.

usage: test_report_format.py PAIRSWEEP TEST_REPORT_FIXTURE
"""
import os
import subprocess
import sys
import tempfile

import h5py

PAIRSWEEP, FIXTURE = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def run(*args, ok=True):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if ok and r.returncode != 0:
        raise SystemExit("%s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
    return r


def format1(new, old):
    run(sys.executable, os.path.join(HERE, "make_format1.py"), new, old)


def same_output(what, command, a, b):
    """command's output for files a and b, file names aside, must be equal."""
    out_a = run(PAIRSWEEP, *command, a).stdout.replace(a, "FILE")
    out_b = run(PAIRSWEEP, *command, b).stdout.replace(b, "FILE")
    if out_a != out_b:
        failures.append("%s: output differs:\n%s\n---\n%s" % (what, out_a, out_b))


def format_version(path):
    with h5py.File(path, "r") as f:
        return int(f.attrs.get("format_version", 1))


def main():
    d = tempfile.mkdtemp(prefix="ps_report_format_")
    p = lambda name: os.path.join(d, name)  # noqa: E731
    run(FIXTURE, p("new.h5"), "000")
    format1(p("new.h5"), p("old.h5"))
    if format_version(p("old.h5")) != 1:
        failures.append("the fixture is not of format 1")
    same_output("report", ["report", "--format", "csv"], p("new.h5"), p("old.h5"))
    same_output("report (text)", ["report"], p("new.h5"), p("old.h5"))
    same_output("status", ["status"], p("new.h5"), p("old.h5"))
    # merge converts one file, and joins shards of both formats
    run(PAIRSWEEP, "merge", p("converted.h5"), p("old.h5"))
    same_output("report of the converted file", ["report", "--format", "csv"], p("new.h5"),
                p("converted.h5"))
    for i in range(2):
        run(FIXTURE, p("shard%d.h5" % i), "000", str(i), "2")
    format1(p("shard0.h5"), p("shard0_old.h5"))
    run(PAIRSWEEP, "merge", p("m_new.h5"), p("shard0.h5"), p("shard1.h5"))
    run(PAIRSWEEP, "merge", p("m_mixed.h5"), p("shard0_old.h5"), p("shard1.h5"))
    same_output("report of merged shards", ["report", "--format", "csv"], p("m_new.h5"),
                p("m_mixed.h5"))
    for name in ("converted.h5", "m_mixed.h5"):
        if format_version(p(name)) != 2:
            failures.append("%s: merge did not write format 2" % name)
        r = run(sys.executable, os.path.join(HERE, "check_selfdesc.py"), p(name), ok=False)
        if r.returncode != 0:
            failures.append("%s: %s" % (name, r.stdout + r.stderr))
    subprocess.run(["rm", "-rf", d])
    for f in failures:
        print("FAIL", f)
    print("format 1 files: report, status, merge: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
