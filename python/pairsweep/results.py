"""A pairsweep results file as pandas DataFrames.

Accuracies are stored as fractions (their `units` attribute says so); every function here
returns them in percent, as the reports print them. Phase and status are Categoricals
("select"/"final", "done"/"diverged"/"failed"), strings are str, and a task row carries the
hyper-parameters of its grid point. The file itself (FILE.h5) is read, not its journal: results of a running
writer appear after its next checkpoint (`pairsweep status` counts them sooner).
"""
import math
import os
import warnings

import numpy as np
import pandas as pd

from . import _h5

# /grid's hyper-parameters joined onto the task rows (its `epochs` is the task's own).
HYPERPARAMETERS = ("batch_size", "lr", "momentum", "nesterov", "weight_decay", "use_bn",
                   "aux_weight", "lr_step_epoch", "lr_step_gamma")
METRICS = ("train_loss", "train_acc", "eval_loss", "eval_acc")
ACCURACIES = ("train_acc", "eval_acc")


def _warn_journal(source):
    path = _h5.file_path(source)
    journal = path + ".journal"
    if os.path.exists(journal) and os.path.getsize(journal) > 0:
        warnings.warn("%s exists: a writer is running or was stopped; the results it holds "
                      "are not in %s until the next checkpoint" % (journal, path), stacklevel=3)


def _short_float(values):
    """float32 values as the float64 of their shortest decimal form (0.01f -> 0.01), so that
    hyper-parameters compare equal to the numbers written in the job file."""
    return np.array([float(repr(np.float32(v))) for v in values], dtype=np.float64)


def read_grid(source):
    """/grid: one row per (model, grid point) with its hyper-parameters. nesterov is bool;
    use_bn is -1 (the model's default), 0 or 1; float parameters read as written in the job."""
    with _h5.open_results(source) as f:
        grid = _h5.table(f, "grid")
    if grid.empty:
        return grid
    for col in grid.columns:
        if grid[col].dtype == np.float32:
            grid[col] = _short_float(grid[col])
    grid["nesterov"] = grid["nesterov"].astype(bool)
    return grid


def read_tasks(source, hyperparameters=True):
    """/tasks as a tidy DataFrame, one row per finished task, in file order.

    Columns: task_id, phase (Categorical select/final), model, grid, fold (<NA> for holdout
    and final tasks), rep, seed, status (Categorical done/diverged/failed), reason, rank,
    wall_seconds, train_loss, train_acc (%), eval_loss, eval_acc (%), epochs, and with
    hyperparameters the grid point's HYPERPARAMETERS. eval_* is the validation fold or holdout
    of a select task and the test pairs of a final task.
    source: a path or an open h5py File."""
    _warn_journal(source)
    with _h5.open_results(source) as f:
        tasks = _h5.table(f, "tasks", enums={"phase": _h5.PHASES, "status": _h5.STATUSES})
        if tasks.empty:
            return tasks
        scale = {c: _h5.percent_factor(f["tasks"], c) for c in ACCURACIES}
        units = {c: _h5.unit(f["tasks"], c) for c in tasks.columns}  # format 2 says them
    for col, factor in scale.items():
        tasks[col] = tasks[col].astype(np.float64) * factor
    tasks["fold"] = tasks["fold"].where(tasks["fold"] >= 0).astype("Int32")
    if hyperparameters:
        grid = read_grid(source)
        if not grid.empty:
            keep = ["model", "grid"] + [c for c in HYPERPARAMETERS if c in grid.columns]
            tasks = tasks.merge(grid[keep], on=["model", "grid"], how="left", validate="m:1")
    tasks.attrs["units"] = {**{c: u for c, u in units.items() if u},
                            **{c: "%" for c in ACCURACIES}}
    tasks.attrs["source"] = _h5.file_path(source)
    return tasks


def read_selection(source):
    """/selection: per model the chosen grid point and its CV mean and sd (in percent)."""
    with _h5.open_results(source) as f:
        sel = _h5.table(f, "selection")
    for col in ("cv_mean", "cv_std"):
        if col in sel:
            sel[col] = sel[col].astype(np.float64) * 100.0
    return sel


def read_models(source):
    """/models (Table I): model, arch, params, flops."""
    with _h5.open_results(source) as f:
        return _h5.table(f, "models")


def read_study(source):
    """The root attributes (format_version, job_name, job_text, job_sha256, started, finished,
    complete, ...) as a dict of Python values; format_version is 1 for files written before
    the attribute existed."""
    with _h5.open_results(source) as f:
        study = {k: _h5.attr(f, k) for k in f.attrs}
    study.setdefault("format_version", 1)
    return study


def read_curves(source, metrics=METRICS):
    """The per-epoch curves in long form: one row per (task, metric, epoch) that ran, with
    the task's task_id, phase, model, grid, fold, rep and status, metric (Categorical of
    metrics), epoch (from 1) and value (accuracies in %). Epochs after a divergence and
    beyond a task's epochs (NaN in the file) are left out."""
    tasks = read_tasks(source, hyperparameters=False)
    keys = ["task_id", "phase", "model", "grid", "fold", "rep", "status"]
    parts = []
    with _h5.open_results(source) as f:
        for metric in metrics:
            data = np.asarray(f["curves"][metric][()], dtype=np.float64)
            if metric in ACCURACIES:
                data = data * _h5.percent_factor(f["curves"][metric], metric)
            rows, epochs = np.nonzero(np.isfinite(data[:len(tasks)]))
            part = tasks[keys].iloc[rows].reset_index(drop=True)
            part["metric"] = metric
            part["epoch"] = epochs + 1
            part["value"] = data[rows, epochs]
            parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=keys)
    out["metric"] = pd.Categorical(out["metric"], categories=list(metrics))
    return out


def _models_in_order(source, tasks):
    """The study's models as the report orders them: /models, then /grid, then /tasks."""
    names = []
    for frame in (read_models(source), read_grid(source), tasks):
        for m in (frame["model"] if "model" in frame else []):
            if m not in names:
                names.append(m)
    return names


def _t_half_width(sd, n):
    from scipy import stats
    return stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) if n > 1 else float("nan")


def table2(source):
    """Table II: per model, its final test accuracy over seeds, as `pairsweep report --format
    csv` gives it: model, grid (<NA> when the seeds used several), n, mean, sd (n - 1), ci_lo,
    ci_hi (95% Student t interval of the mean, not clipped), min, max, loss_mean, loss_sd,
    diverged, failed, and ci_out_of_range (the interval leaves [0, 100]: the report prints it
    clipped and flagged). Only seeds of status done enter the figures."""
    tasks = read_tasks(source, hyperparameters=False)
    rows = []
    if tasks.empty:
        return pd.DataFrame(rows)
    final = tasks[tasks["phase"] == "final"]
    for model in _models_in_order(source, tasks):
        mine = final[final["model"] == model]
        done = mine[mine["status"] == "done"]
        bad = mine["status"].value_counts()
        if done.empty and bad.get("diverged", 0) + bad.get("failed", 0) == 0:
            continue
        acc, loss, n = done["eval_acc"].to_numpy(), done["eval_loss"].astype(float), len(done)
        sd = acc.std(ddof=1) if n > 1 else float("nan")
        mean = acc.mean() if n else float("nan")
        h = _t_half_width(sd, n)
        grids = done["grid"].unique()
        rows.append(dict(
            model=model, grid=int(grids[0]) if len(grids) == 1 else pd.NA, n=n, mean=mean,
            sd=sd, ci_lo=mean - h, ci_hi=mean + h,
            min=acc.min() if n else float("nan"), max=acc.max() if n else float("nan"),
            loss_mean=loss.mean() if n else float("nan"),
            loss_sd=loss.std(ddof=1) if n > 1 else float("nan"),
            diverged=int(bad.get("diverged", 0)), failed=int(bad.get("failed", 0)),
            ci_out_of_range=bool(mean - h < 0.0 or mean + h > 100.0)))
    out = pd.DataFrame(rows)
    out["grid"] = out["grid"].astype("Int32")
    return out
