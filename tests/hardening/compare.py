"""Compares a results file with a reference (h5py only):
    compare.py REFERENCE CANDIDATE
Every task of the reference appears exactly once in the candidate, and nothing else; each
task's row figures and its per-epoch curves are identical (bit for bit: a task's result
depends on its own seed only, whatever rank ran it and whether the run was killed and
resumed). Prints one line; exit status 1 on any difference."""
import sys

import h5py
import numpy as np


# The curves (/curves also holds task_id, the rows' dimension scale).
METRICS = ("train_loss", "train_acc", "eval_loss", "eval_acc")


def load(path):
    with h5py.File(path, "r") as f:
        tasks = f["tasks"][:]
        curves = {k: f["curves"][k][:] for k in METRICS if k in f.get("curves", {})}
        attrs = {k: f.attrs[k] for k in ("complete", "planned_tasks") if k in f.attrs}
    ids = [t.decode() if isinstance(t, bytes) else str(t) for t in tasks["task_id"]]
    return tasks, ids, curves, attrs


def main():
    ref, ref_ids, ref_cv, _ = load(sys.argv[1])
    got, got_ids, got_cv, attrs = load(sys.argv[2])
    errors = []
    dup = sorted({i for i in got_ids if got_ids.count(i) > 1})
    if dup:
        errors.append(f"{len(dup)} task(s) stored more than once, e.g. {dup[0]}")
    missing = sorted(set(ref_ids) - set(got_ids))
    extra = sorted(set(got_ids) - set(ref_ids))
    if missing:
        errors.append(f"{len(missing)} task(s) missing, e.g. {missing[0]}")
    if extra:
        errors.append(f"{len(extra)} unexpected task(s), e.g. {extra[0]}")
    if int(attrs.get("complete", 0)) != 1:
        errors.append("the file is not marked complete")
    where = {i: k for k, i in enumerate(got_ids)}
    fields = [n for n in ref.dtype.names if n not in ("rank", "wall_seconds")]
    diff = 0
    for k, tid in enumerate(ref_ids):
        if tid not in where:
            continue
        j = where[tid]
        for n in fields:
            a, b = ref[n][k], got[n][j]
            same = (a == b) or (isinstance(a, (float, np.floating)) and np.isnan(a) and np.isnan(b))
            if not same:
                diff += 1
                if diff <= 3:
                    errors.append(f"task {tid}: {n} {a!r} != {b!r}")
        for c, arr in ref_cv.items():
            if c in got_cv and not np.array_equal(arr[k], got_cv[c][j], equal_nan=True):
                diff += 1
                if diff <= 3:
                    errors.append(f"task {tid}: curve {c} differs")
    if errors:
        print("DIFFERENT: " + "; ".join(errors))
        sys.exit(1)
    print(f"identical: {len(ref_ids)} tasks, each exactly once, rows and curves equal")


main()
