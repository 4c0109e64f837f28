"""The package's tables (python/pairsweep/results.py) on the test studies.

- read_tasks: strings are str (query("model == 'cnn'") finds rows), phase and status are
  Categoricals, accuracies are 100 x the stored fraction, every row carries its grid point's
  hyper-parameters (lr as written in the job), fold is <NA> where the file says -1;
- read_curves: long form, one row per finite entry of /curves, the last epoch of eval_acc is the
  task's eval_acc;
- table2: the numbers of `pairsweep report --format csv`'s table2 (to 6 decimals), and the
  flag of the intervals that leave [0, 100];
- the file (format 2) names its codes and units: phase and status are HDF5 enums, the
  DataFrame's attrs["units"] come from the file;
- the same file in format 1 (written by pairsweep before format 2: integer codes, fixed-length
  strings, no units; made by tests/report/make_format1.py) and in another layout a writer may
  choose (variable-length strings, enum names with a prefix) read to the same DataFrames.

usage: test_results.py PAIRSWEEP DIR   (DIR holds py000.h5 and py002.h5 from run_study.sh)
"""
import io
import os
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd

from common import DIR, PAIRSWEEP, STUDIES, check, failures, finish, ps


def check_tasks(path):
    t = ps.read_tasks(path)
    with h5py.File(path, "r") as f:
        raw = f["tasks"][()]
        check(int(f.attrs["format_version"]) == 2, "format_version")
        check(h5py.check_enum_dtype(raw.dtype.fields["status"][0]) ==
              {"done": 0, "diverged": 1, "failed": 2, "pruned": 3}, "status is not an HDF5 enum")
    check(t.attrs["units"].get("train_loss") == "nats" and t.attrs["units"]["eval_acc"] == "%",
          "units %s" % t.attrs["units"])
    check(len(t) == len(raw), "row count")
    check(len(t.query("model == 'cnn'")) > 0 or "cnn" not in set(t.model),
          "query on model finds nothing")
    check(all(isinstance(m, str) for m in t.model) and all(isinstance(i, str) for i in t.task_id),
          "strings are not str")
    check(list(t.phase.cat.categories) == ["select", "final", "audit"], "phase categories")
    check(list(t.status.cat.categories) == ["done", "diverged", "failed", "pruned"],
          "status categories")
    check((t.phase.cat.codes.to_numpy() == raw["phase"]).all(), "phase codes")
    check(np.array_equal(t.eval_acc.to_numpy(), 100.0 * raw["eval_acc"].astype(np.float64)),
          "eval_acc in percent")
    check(t.fold.isna().to_numpy().tolist() == (raw["fold"] < 0).tolist(), "fold <NA>")
    lrs = set(t.lr)
    check(lrs <= {0.05, 0.02}, "lr as written in the job: %s" % lrs)
    check(t.batch_size.notna().all() and t.nesterov.dtype == bool, "hyper-parameters")
    return t


def check_curves(path, tasks):
    c = ps.read_curves(path)
    with h5py.File(path, "r") as f:
        n_finite = sum(int(np.isfinite(f["curves"][m][()]).sum()) for m in ps.results.METRICS)
    check(len(c) == n_finite, "curves: %d rows, %d finite entries" % (len(c), n_finite))
    last = c[c.metric == "eval_acc"].sort_values("epoch").groupby("task_id").value.last()
    done = tasks[tasks.status == "done"].set_index("task_id")
    check(np.array_equal(last[done.index].to_numpy(), done.eval_acc.to_numpy()),
          "curves: last eval_acc is not the task's")
    check(c.epoch.min() == 1, "epochs count from 1")


def report_table2(path):
    out = subprocess.run([PAIRSWEEP, "report", "--format", "csv", path], check=True,
                         capture_output=True, text=True).stdout
    block = out.split("# table: table2\n")[1].split("\n\n")[0]
    return pd.read_csv(io.StringIO(block), comment="#")


def check_table2(path):
    mine, theirs = ps.table2(path), report_table2(path)
    check(list(mine.model) == list(theirs.model), "table2 models %s vs %s" %
          (list(mine.model), list(theirs.model)))
    for col in ("n", "mean", "sd", "ci_lo", "ci_hi", "min", "max", "loss_mean", "loss_sd",
                "diverged", "failed"):
        d = np.abs(mine[col].astype(float).to_numpy() - theirs[col].astype(float).to_numpy())
        check(np.nanmax(d) < 1e-6 if len(d) else True, "table2 %s differs by %g" %
              (col, np.nanmax(d)))
    out = (mine.ci_lo < 0) | (mine.ci_hi > 100)
    check((mine.ci_out_of_range == out).all(), "ci_out_of_range")
    return int(out.sum())


def other_layout(src, dst):
    """src rewritten as another writer may: variable-length strings, enum names with a
    prefix, no units."""
    str_t = h5py.string_dtype()
    phase_t = h5py.enum_dtype({"PS_PHASE_SELECT": 0, "PS_PHASE_FINAL": 1, "PS_PHASE_AUDIT": 2},
                              basetype="i4")
    status_t = h5py.enum_dtype({"PS_TASK_DONE": 0, "PS_TASK_DIVERGED": 1, "PS_TASK_FAILED": 2,
                                "PS_TASK_PRUNED": 3}, basetype="i4")
    with h5py.File(src, "r") as f, h5py.File(dst, "w") as g:
        for k, v in f.attrs.items():
            g.attrs[k] = v
        for name in ("tasks", "grid"):
            raw = f[name][()]
            fields = [(n, str_t if raw.dtype[n].kind == "S" else
                       phase_t if n == "phase" else status_t if n == "status" else raw.dtype[n])
                      for n in raw.dtype.names]
            new = np.empty(len(raw), dtype=fields)
            for n in raw.dtype.names:
                new[n] = [v.decode() for v in raw[n]] if raw.dtype[n].kind == "S" else raw[n]
            g.create_dataset(name, data=new)
        for k in ps.results.METRICS:
            g.create_dataset("curves/" + k, data=f["curves"][k][()])


def format1(src, dst):
    """src in format 1, as tests/report/make_format1.py writes it."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "report",
                          "make_format1.py")
    subprocess.run([sys.executable, script, src, dst], check=True, capture_output=True)


def check_same(name, what, got, want):
    try:
        pd.testing.assert_frame_equal(want, got, check_like=False)
    except AssertionError as e:
        failures.append("%s %s: %s" % (name, what, e))


def main():
    n_flagged = 0
    for path in STUDIES:
        name = os.path.basename(path)
        tasks = check_tasks(path)
        check_curves(path, tasks)
        n_flagged += check_table2(path)
        other = os.path.join(DIR, "other_" + name)
        other_layout(path, other)
        check_same(name, "in another layout", ps.read_tasks(other), tasks)
        old = os.path.join(DIR, "format1_" + name)
        format1(path, old)
        check(ps.read_study(old)["format_version"] == 1, "format 1: format_version")
        check_same(name, "in format 1", ps.read_tasks(old), tasks)
        check_same(name, "curves in format 1", ps.read_curves(old), ps.read_curves(path))
        check_same(name, "table2 in format 1", ps.table2(old), ps.table2(path))
    check(n_flagged > 0, "no interval of the test studies leaves [0, 100]: the flag is untested")
    return finish("results tables: %d failures (%d intervals flagged)" %
                  (len(failures), n_flagged))


if __name__ == "__main__":
    sys.exit(main())
