#!/usr/bin/python3
"""Checks pairsweep results files with h5py, independently of pairsweep's own reader.

    compare.py check FILE          FILE is complete: root attribute complete == 1, every task
                                   id once, as many rows as planned_tasks (and /plan rows),
                                   every row done, curves and weights present for every row,
                                   a /models row for every model and a /grid row for every
                                   grid point that has tasks
    compare.py same A B            A and B hold the same study with the same results: same job
                                   SHA-256, same task ids, and per task id the same phase,
                                   model, grid point, fold, repetition, seed, status, epochs,
                                   final figures, per-epoch curves, and final weights (bit for
                                   bit); the same selection per model and the same /grid
                                   hyper-parameters. Rank and wall time may
                                   differ. A and B must both pass `check`.

Prints one line per problem and exits 1 when there is any, else prints a one-line summary and
exits 0. Exit 2 on bad usage.
"""
import sys

import h5py
import numpy as np

# Columns of /tasks that must agree between two runs of the same study (not rank, wall time).
SAME_COLS = ("phase", "model", "grid", "fold", "rep", "seed", "status", "epochs",
             "train_loss", "train_acc", "eval_loss", "eval_acc")
CURVES = ("train_loss", "train_acc", "eval_loss", "eval_acc")
STATUS_DONE = 0  # ps_task_status: PS_TASK_DONE


def attr(f, name):
    v = f.attrs.get(name)
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.reshape(()).item()
    return v


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def load(path):
    """Returns (file attrs, {task id: row dict}, {task id: curves}, {task id: weights}, sel, problems)."""
    problems = []
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        return {}, {}, {}, {}, {}, [f"{path}: cannot open as HDF5: {e}"]
    if "tasks" not in f:
        return f, {}, {}, {}, {}, [f"{path}: no /tasks table"]
    t = f["tasks"][...]
    ids = [text(x) for x in t["task_id"]]
    rows, curves, weights = {}, {}, {}
    for i, tid in enumerate(ids):
        if tid in rows:
            problems.append(f"{path}: task {tid} stored twice (rows {ids.index(tid)} and {i})")
            continue
        rows[tid] = {c: (text(t[c][i]) if t.dtype[c].kind == "S" else t[c][i].item())
                     for c in SAME_COLS if c in t.dtype.names}
        n_ep = rows[tid].get("epochs", None)
        cv = {}
        for c in CURVES:
            ds = f.get(f"curves/{c}")
            if ds is None:
                problems.append(f"{path}: no /curves/{c}")
                continue
            if ds.shape[0] != len(ids):
                problems.append(f"{path}: /curves/{c} has {ds.shape[0]} rows, /tasks {len(ids)}")
                continue
            row = ds[i]
            cv[c] = row[:n_ep] if n_ep else row
        curves[tid] = cv
        g = f.get(f"weights/{tid}")
        if g is not None:
            weights[tid] = {k: g[k][...] for k in g.keys()}
    sel = {}
    if "selection" in f:
        s = f["selection"][...]
        for r in s:
            sel[text(r["model"])] = (int(r["grid"]), float(r["cv_mean"]), float(r["cv_std"]))
    return f, rows, curves, weights, sel, problems


def check(path):
    f, rows, curves, weights, sel, problems = load(path)
    if not isinstance(f, h5py.File):
        return rows, curves, weights, sel, None, problems
    complete = attr(f, "complete")
    planned = attr(f, "planned_tasks")
    if complete != 1:
        problems.append(f"{path}: root attribute complete = {complete!r}, expected 1")
    if planned is None or len(rows) != int(planned):
        problems.append(f"{path}: {len(rows)} distinct tasks, planned_tasks = {planned!r}")
    for tid, r in rows.items():
        if r.get("status") != STATUS_DONE:
            problems.append(f"{path}: task {tid} status {r.get('status')} (expected done)")
        if not all(np.isfinite(r[c]) for c in ("train_loss", "eval_loss") if c in r):
            problems.append(f"{path}: task {tid} has non-finite losses")
        if tid not in weights or not weights[tid]:
            problems.append(f"{path}: task {tid} has no /weights/{tid}")
    if not sel:
        problems.append(f"{path}: empty /selection")
    # The file describes what its tasks ran: a /models row per model, a /grid row per (model,
    # grid point), a /plan row per planned task.
    models = {r["model"] for r in rows.values()}
    if "models" in f:
        have = {text(x) for x in f["models"]["model"]}
        for m in sorted(models - have):
            problems.append(f"{path}: model {m} has tasks but no /models row")
    else:
        problems.append(f"{path}: no /models table")
    grid = table(f, "grid")
    for key in sorted({(r["model"], r["grid"]) for r in rows.values()} - set(grid)):
        problems.append(f"{path}: tasks of {key[0]} grid point {key[1]} but no /grid row")
    if "plan" in f and planned is not None and f["plan"].shape[0] != int(planned):
        problems.append(f"{path}: /plan has {f['plan'].shape[0]} rows, planned_tasks = {planned}")
    return rows, curves, weights, sel, attr(f, "job_sha256"), problems


def table(f, name):
    """{(model, grid): the row's other fields} of /grid (hyper-parameters of each point)."""
    out = {}
    if name not in f:
        return out
    t = f[name][...]
    for r in t:
        key = (text(r["model"]), int(r["grid"]))
        out[key] = tuple(text(r[c]) if t.dtype[c].kind == "S" else r[c].item()
                         for c in t.dtype.names if c not in ("model", "grid"))
    return out


def same(a, b):
    ra, ca, wa, sa, ha, problems = check(a)
    rb, cb, wb, sb, hb, pb = check(b)
    problems += pb
    if ha != hb:
        problems.append(f"job_sha256 differs: {ha} vs {hb}")
    only_a = sorted(set(ra) - set(rb))
    only_b = sorted(set(rb) - set(ra))
    if only_a:
        problems.append(f"{len(only_a)} task ids only in {a}: {only_a[:3]}")
    if only_b:
        problems.append(f"{len(only_b)} task ids only in {b}: {only_b[:3]}")
    for tid in sorted(set(ra) & set(rb)):
        for c in SAME_COLS:
            if c in ra[tid] and ra[tid].get(c) != rb[tid].get(c):
                problems.append(f"task {tid}: {c} = {ra[tid].get(c)!r} vs {rb[tid].get(c)!r}")
        for c in CURVES:
            x, y = ca[tid].get(c), cb[tid].get(c)
            if x is None or y is None or x.shape != y.shape or not np.array_equal(x, y, equal_nan=True):
                problems.append(f"task {tid}: curve {c} differs")
        wx, wy = wa.get(tid, {}), wb.get(tid, {})
        if sorted(wx) != sorted(wy):
            problems.append(f"task {tid}: weight names differ")
        else:
            for k in wx:
                if wx[k].shape != wy[k].shape or not np.array_equal(wx[k], wy[k]):
                    problems.append(f"task {tid}: weights {k} differ")
    if sa != sb:
        problems.append(f"selection differs: {sa} vs {sb}")
    ga, gb = table(h5py.File(a, "r"), "grid"), table(h5py.File(b, "r"), "grid")
    for key in sorted(set(ga) | set(gb)):
        if ga.get(key) != gb.get(key):
            problems.append(f"/grid {key}: {ga.get(key)} vs {gb.get(key)}")
    return len(ra), problems


def main(argv):
    if len(argv) == 3 and argv[1] == "check":
        rows, _, _, sel, _, problems = check(argv[2])
        summary = f"{argv[2]}: complete, {len(rows)} tasks once each, {len(sel)} selections"
    elif len(argv) == 4 and argv[1] == "same":
        n, problems = same(argv[2], argv[3])
        summary = f"{argv[2]} and {argv[3]}: the same {n} tasks, figures, curves, weights, selections"
    else:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for p in problems[:40]:
        print("compare: " + p)
    if len(problems) > 40:
        print(f"compare: ... and {len(problems) - 40} more problems")
    if problems:
        return 1
    print("compare: " + summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
