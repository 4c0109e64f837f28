"""Independent reading of a pairsweep results file (h5py + pandas only, no pairsweep code):
the checks of a finished study, and the comparison of two runs task by task."""
import math

import h5py
import numpy as np
import pandas as pd


# The curves (/curves also holds task_id, the rows' dimension scale, checked in check_study).
METRICS = ("train_loss", "train_acc", "eval_loss", "eval_acc")


def table(f, name):
    """An HDF5 table as a DataFrame with str columns instead of bytes."""
    df = pd.DataFrame(f[name][:])
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].str.decode("utf-8")
    return df


def load(path):
    with h5py.File(path, "r") as f:
        out = {k: table(f, k) for k in ("tasks", "grid", "selection", "plan", "models")}
        out["attrs"] = {k: f.attrs[k] for k in f.attrs}
        out["curves"] = {k: f["curves/" + k][:] for k in METRICS}
        out["curve_ids"] = [x.decode() for x in f["curves/task_id"][:]]
        weights = {}
        for tid in f["weights"]:
            weights[tid] = {k: f["weights"][tid][k][:] for k in f["weights"][tid]}
        out["weights"] = weights
    return out


class Failed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failed(what)


def check_study(path, n_models, grid_points, folds, seeds, epochs):
    """A complete study: every planned task once, sane figures, the selection equal to the
    argmax recomputed from the rows, the final phase on the chosen grid point, paired seeds."""
    r = load(path)
    t, sel, plan = r["tasks"], r["selection"], r["plan"]
    attrs = r["attrs"]
    expect(int(attrs["complete"]) == 1, "file not marked complete")
    expect(len(attrs["job_sha256"]) == 64 if isinstance(attrs["job_sha256"], str)
           else len(attrs["job_sha256"].decode()) == 64, "job_sha256 missing")
    n_select = n_models * grid_points * folds
    n_final = n_models * seeds
    expect(len(t) == n_select + n_final, f"{len(t)} rows, expected {n_select + n_final}")
    expect(t.task_id.is_unique, "a task id appears twice")
    expect((t.task_id.str.len() == 16).all(), "task ids are not 16 hex characters")
    expect(int(attrs["planned_tasks"]) == n_select + n_final, "planned_tasks attribute")
    # every planned selection cell is there, under the same id
    ps = plan[plan.phase == 0]
    expect(set(ps.task_id) == set(t[t.phase == 0].task_id), "selection rows differ from /plan")
    expect((plan.phase == 1).sum() == n_final, "final cells of /plan")
    # sane figures
    expect((t.status == 0).all(), f"statuses {t.status.tolist()}")
    expect((t.epochs == epochs).all(), "epochs")
    for c in ("eval_acc", "train_acc"):
        expect(((t[c] >= 0) & (t[c] <= 1)).all(), f"{c} outside [0, 1]")
    expect(np.isfinite(t[["train_loss", "eval_loss"]].to_numpy()).all(), "non-finite loss")
    expect(t.eval_acc.mean() > 0.5, f"mean accuracy {t.eval_acc.mean():.3f} is not above chance")
    expect((t.wall_seconds > 0).all(), "wall seconds")
    expect(list(r["curve_ids"]) == list(t.task_id), "/curves/task_id is not /tasks' task_id")
    ea = r["curves"]["eval_acc"]
    expect(ea.shape == (len(t), epochs), f"curves shape {ea.shape}")
    expect(np.allclose(ea[:, -1], t.eval_acc.to_numpy()), "last curve point != row eval_acc")
    for tid in t.task_id:
        expect(tid in r["weights"] and len(r["weights"][tid]) > 0, f"no weights for {tid}")
    # the selection: argmax of the mean validation accuracy, ties to the lower grid point
    s = t[t.phase == 0]
    expect(len(sel) == n_models, "selection rows")
    for _, row in sel.iterrows():
        m = s[s.model == row.model]
        means = m.groupby("grid").eval_acc.mean()
        counts = m.groupby("grid").size()
        expect((counts == folds).all(), f"{row.model}: folds per grid point {counts.tolist()}")
        best = int(means.idxmax())  # first maximum: the lower grid point on ties
        expect(best == row.grid, f"{row.model}: selection {row.grid}, argmax {best}")
        expect(math.isclose(row.cv_mean, means[best], rel_tol=1e-6), f"{row.model}: cv_mean")
        f = t[(t.phase == 1) & (t.model == row.model)]
        expect(len(f) == seeds and (f.grid == row.grid).all(),
               f"{row.model}: final tasks not on the chosen grid point")
    # seeds: one for the whole selection; final repetition r has one seed across models
    expect(s.seed.nunique() == 1, "selection tasks of one repetition have different seeds")
    fin = t[t.phase == 1]
    expect((fin.groupby("rep").seed.nunique() == 1).all(), "final seeds not paired across models")
    expect(fin.seed.nunique() == seeds, "final seeds not distinct per repetition")
    expect(not set(fin.seed) & set(s.seed), "final seeds reuse the selection's")
    return r


def compare(path_a, path_b):
    """Two runs of one job: the same tasks with bit-identical results (rank and wall time
    aside): rows, curves and weights."""
    a, b = load(path_a), load(path_b)
    ta = a["tasks"].set_index("task_id")
    tb = b["tasks"].set_index("task_id")
    expect(set(ta.index) == set(tb.index), "the two files hold different tasks")
    cols = ["phase", "model", "grid", "fold", "rep", "seed", "status", "reason", "train_loss",
            "train_acc", "eval_loss", "eval_acc", "epochs"]
    diff = (ta[cols] != tb.loc[ta.index, cols]).any(axis=1)
    expect(not diff.any(), f"rows differ: {list(ta.index[diff])[:5]}")
    pos_a = {tid: i for i, tid in enumerate(a["tasks"].task_id)}
    pos_b = {tid: i for i, tid in enumerate(b["tasks"].task_id)}
    for k in a["curves"]:
        for tid in ta.index:
            ca, cb = a["curves"][k][pos_a[tid]], b["curves"][k][pos_b[tid]]
            expect(np.array_equal(ca, cb, equal_nan=True), f"curve {k} of {tid} differs")
    for tid in ta.index:
        wa, wb = a["weights"].get(tid, {}), b["weights"].get(tid, {})
        expect(wa.keys() == wb.keys(), f"weights of {tid}: different tensors")
        for k in wa:
            expect(np.array_equal(wa[k], wb[k]), f"weights {tid}/{k} differ")
    for k in ("selection", "grid"):
        expect(a[k].sort_values(list(a[k].columns[:2])).reset_index(drop=True).equals(
            b[k].sort_values(list(b[k].columns[:2])).reset_index(drop=True)), f"/{k} differs")
    return len(ta)


def load_race(path):
    """A raced study's extra: /race as a DataFrame, /outcomes as {task id: uint8 array}, the
    racing attribute."""
    with h5py.File(path, "r") as f:
        race = table(f, "race") if "race" in f else pd.DataFrame()
        outcomes = {k: f["outcomes"][k][:] for k in f["outcomes"]} if "outcomes" in f else {}
        racing = f.attrs.get("racing", b"")
    return race, outcomes, racing.decode() if isinstance(racing, bytes) else str(racing)


def compare_raced(path_a, path_b):
    """Two runs of one raced job: the same tasks (pruned rows, whose figures are NaN,
    included), curves and weights, the same /race rows and outcomes."""
    a, b = load(path_a), load(path_b)
    cols = ["phase", "model", "grid", "fold", "rep", "seed", "status", "reason", "train_loss",
            "train_acc", "eval_loss", "eval_acc", "epochs"]
    ta = a["tasks"].set_index("task_id").sort_index()[cols]
    tb = b["tasks"].set_index("task_id").sort_index()[cols]
    expect(ta.equals(tb), "the two files hold different tasks or rows")
    pos_a = {tid: i for i, tid in enumerate(a["tasks"].task_id)}
    pos_b = {tid: i for i, tid in enumerate(b["tasks"].task_id)}
    for k in a["curves"]:
        for tid in ta.index:
            expect(np.array_equal(a["curves"][k][pos_a[tid]], b["curves"][k][pos_b[tid]],
                                  equal_nan=True), f"curve {k} of {tid} differs")
    for tid in ta.index:
        wa, wb = a["weights"].get(tid, {}), b["weights"].get(tid, {})
        expect(wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa),
               f"weights of {tid} differ")
    ra, oa, _ = load_race(path_a)
    rb, ob, _ = load_race(path_b)
    key = ["model", "grid"]
    expect(ra.sort_values(key).reset_index(drop=True).equals(
        rb.sort_values(key).reset_index(drop=True)), f"/race differs:\n{ra}\n{rb}")
    expect(oa.keys() == ob.keys() and all(np.array_equal(oa[k], ob[k]) for k in oa),
           "/outcomes differ")
    expect(a["selection"].sort_values("model").reset_index(drop=True).equals(
        b["selection"].sort_values("model").reset_index(drop=True)), "/selection differs")
    return len(ta)
