"""Recomputes `pairsweep report --format csv` independently from the HDF5 files.

The files are SYNTHETIC test fixtures (test_report_fixture writes them through the store API;
no training runs). This script reads /tasks, /grid and /selection directly with h5py + pandas,
computes means, standard deviations, t intervals, paired / Welch / Nadeau-Bengio t-tests
(scipy) and Holm's correction itself, and requires the CSV tables to agree to 4 decimals.

usage: test_report_tables.py PAIRSWEEP TEST_REPORT_FIXTURE
"""
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import pandas as pd
from scipy import stats

PAIRSWEEP, FIXTURE = sys.argv[1], sys.argv[2]
TOL = 0.5e-4
failures = []
n_checks = [0]


def check_close(what, got, want):
    n_checks[0] += 1
    if want is None or math.isnan(float(want)):
        ok = got is None or math.isnan(float(got))
    else:
        ok = abs(float(got) - float(want)) <= TOL  # agree to 4 decimals
    if not ok:
        failures.append("%s: report %r, recomputed %r" % (what, got, want))


def read_tables(path):
    with h5py.File(path, "r") as f:
        tasks = pd.DataFrame(f["tasks"][()])
        sel = pd.DataFrame(f["selection"][()]) if "selection" in f else pd.DataFrame()
    for df in (tasks, sel):
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = df[c].str.decode("ascii")
    return tasks, sel


def summary(x):
    x = np.asarray(x, dtype=float)
    n = len(x)
    m = x.mean()
    sd = x.std(ddof=1) if n > 1 else float("nan")
    h = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) if n > 1 else float("nan")
    return dict(n=n, mean=m, sd=sd, ci_lo=m - h, ci_hi=m + h, min=x.min(), max=x.max())


def holm(p):
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    adj = np.empty_like(p)
    run = 0.0
    for j, i in enumerate(order):
        run = max(run, (len(p) - j) * p[i])
        adj[i] = min(run, 1.0)
    return adj


def run_report(files, outdir):
    r = subprocess.run([PAIRSWEEP, "report", "--format", "csv", "--out", outdir] + files,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("pairsweep report failed: %s" % r.stderr)
    return r.stdout


def check_table2(tasks, t2):
    done = tasks[(tasks.phase == 1) & (tasks.status == 0)]
    for model, g in done.groupby("model"):
        row = t2[t2.model == model].iloc[0]
        s = summary(100.0 * g.eval_acc.astype(float))
        for k in ["mean", "sd", "ci_lo", "ci_hi", "min", "max"]:
            check_close("table2 %s %s" % (model, k), row[k], s[k])
        check_close("table2 %s n" % model, row["n"], s["n"])
        ls = summary(g.eval_loss.astype(float))
        check_close("table2 %s loss_mean" % model, row["loss_mean"], ls["mean"])
        check_close("table2 %s loss_sd" % model, row["loss_sd"], ls["sd"])
    assert len(t2) == done.model.nunique(), (len(t2), done.model.nunique())


def cv_rows(tasks):
    return tasks[(tasks.phase == 0) & (tasks.status == 0) & (tasks.fold >= 0)]


def check_selection(tasks, sel, st):
    cv = cv_rows(tasks)
    for model, g in cv.groupby("model"):
        row = st[st.model == model].iloc[0]
        chosen = int(sel[sel.model == model].grid.iloc[0])
        check_close("selection %s grid" % model, row["grid"], chosen)
        per = {k: summary(100.0 * v.eval_acc.astype(float)) for k, v in g.groupby("grid")}
        check_close("selection %s cv_mean" % model, row["cv_mean"], per[chosen]["mean"])
        check_close("selection %s cv_sd" % model, row["cv_sd"], per[chosen]["sd"])
        others = sorted(((v["mean"], k) for k, v in per.items() if k != chosen), reverse=True)
        if others:
            check_close("selection %s runner-up" % model, row["runner_up_grid"], others[0][1])
            check_close("selection %s runner-up mean" % model, row["runner_up_mean"],
                        others[0][0])


def paired_or_welch(a, b):
    """a, b: DataFrames with rep and acc; paired when the repetitions match."""
    if sorted(a.rep) == sorted(b.rep):
        a, b = a.sort_values("rep"), b.sort_values("rep")
        d = a.acc.values - b.acc.values
        r = stats.ttest_rel(a.acc.values, b.acc.values)
        n = len(d)
        h = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)
        return "paired t", d.mean(), d.mean() - h, d.mean() + h, r.pvalue
    r = stats.ttest_ind(a.acc.values, b.acc.values, equal_var=False)
    va, vb = a.acc.var(ddof=1) / len(a), b.acc.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    diff = a.acc.mean() - b.acc.mean()
    h = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    return "Welch t", diff, diff - h, diff + h, r.pvalue


def nadeau_bengio(a, b):
    a, b = a.sort_values(["fold", "rep"]), b.sort_values(["fold", "rep"])
    d = a.acc.values - b.acc.values
    n, k = len(d), int(a.fold.max()) + 1
    se = math.sqrt((1.0 / n + 1.0 / (k - 1)) * d.var(ddof=1))
    t = d.mean() / se
    h = stats.t.ppf(0.975, n - 1) * se
    return "Nadeau-Bengio corrected t", d.mean(), d.mean() - h, d.mean() + h, \
        2 * stats.t.sf(abs(t), n - 1)


def chosen_grid(tasks, sel, model, rows):
    if len(sel) and (sel.model == model).any():
        return int(sel[sel.model == model].grid.iloc[0])
    means = rows[rows.model == model].groupby("grid").acc.mean()
    return int(means.idxmax())


def check_effects(tasks, sel, eff):
    t = tasks[tasks.status == 0].copy()
    t["acc"] = 100.0 * t.eval_acc.astype(float)
    families = {
        "test": t[t.phase == 1],
        "cv": t[(t.phase == 0) & (t.fold >= 0)],
        "holdout": t[(t.phase == 0) & (t.fold < 0)],
    }
    for data, rows in families.items():
        e = eff[eff.data == data]
        if len(e) == 0:
            continue
        mine = []
        for _, r in e.iterrows():
            if data == "test":
                a, b = rows[rows.model == r.a], rows[rows.model == r.b]
            else:
                ga = chosen_grid(tasks, sel, r.a, rows)
                gb = chosen_grid(tasks, sel, r.b, rows)
                a = rows[(rows.model == r.a) & (rows.grid == ga)]
                b = rows[(rows.model == r.b) & (rows.grid == gb)]
            res = nadeau_bengio(a, b) if data == "cv" else paired_or_welch(a, b)
            mine.append(res)
            if res[0] != r.method:
                failures.append("effects %s %s-%s: method %s, expected %s" %
                                (data, r.a, r.b, r.method, res[0]))
            for k, v in zip(["diff", "ci_lo", "ci_hi", "p"], res[1:]):
                check_close("effects %s %s-%s %s" % (data, r.a, r.b, k), r[k], v)
        for (_, r), adj in zip(e.iterrows(), holm([m[4] for m in mine])):
            check_close("effects %s %s-%s p_holm" % (data, r.a, r.b), r.p_holm, adj)
            if int(r.significant) != int(adj < 0.05):
                failures.append("effects %s %s-%s: significance" % (data, r.a, r.b))


def check_setups(tasks, su):
    ho = tasks[(tasks.phase == 0) & (tasks.status == 0) & (tasks.fold < 0)]
    for (model, grid), g in ho.groupby(["model", "grid"]):
        row = su[(su.model == model) & (su.grid == grid)].iloc[0]
        for col, src, scale in [("train_loss", "train_loss", 1), ("val_loss", "eval_loss", 1),
                                ("val_acc", "eval_acc", 100.0)]:
            s = summary(scale * g[src].astype(float))
            check_close("setups %s %s mean" % (model, col), row[col + "_mean"], s["mean"])
            check_close("setups %s %s sd" % (model, col), row[col + "_sd"], s["sd"])
        check_close("setups %s n" % model, row["n"], len(g))
    assert len(su) == ho.groupby(["model", "grid"]).ngroups


def csv(outdir, name):
    return pd.read_csv(os.path.join(outdir, name + ".csv"), comment="#")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        f000, f002 = os.path.join(tmp, "f000.h5"), os.path.join(tmp, "f002.h5")
        subprocess.run([FIXTURE, f000, "000"], check=True)
        subprocess.run([FIXTURE, f002, "002"], check=True)

        out = os.path.join(tmp, "r000")
        run_report([f000], out)
        tasks, sel = read_tables(f000)
        check_table2(tasks, csv(out, "table2"))
        check_selection(tasks, sel, csv(out, "selection"))
        eff = csv(out, "effects")
        assert set(eff.data) == {"test", "cv"}, set(eff.data)
        assert len(eff) == 8, len(eff)
        check_effects(tasks, sel, eff)
        for fig in ["fig1_train_loss", "fig2_accuracy"]:
            for ext in ["png", "svg", "pdf"]:
                p = os.path.join(out, fig + "." + ext)
                assert os.path.getsize(p) > 5000, p

        out = os.path.join(tmp, "r002")
        run_report([f002], out)
        tasks, sel = read_tables(f002)
        check_setups(tasks, csv(out, "setups"))
        eff = csv(out, "effects")
        assert set(eff.data) == {"holdout"} and len(eff) == 8, eff
        check_effects(tasks, sel, eff)

        # two studies at once: both reported, files prefixed with the job names
        out = os.path.join(tmp, "both")
        text = run_report([f000, f002], out)
        assert "# table: fixture_000_table2" in text and "# table: fixture_002_setups" in text
        assert os.path.exists(os.path.join(out, "fixture_002_fig2_accuracy.png"))

    if failures:
        print("\n".join(failures))
        raise SystemExit("%d disagreements" % len(failures))
    assert n_checks[0] > 250, n_checks[0]
    print("ok: %d figures of the report CSV agree" % n_checks[0], "with the independent recomputation to 4 decimals")


main()
