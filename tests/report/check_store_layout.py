"""Reads a pairsweep study file written by the store test with h5py and pandas alone, as a
user would: the tables as DataFrames, the curves as (rows × epochs) arrays, the weights with
their shapes. Usage: check_store_layout.py FILE N_ROWS"""
import sys

import h5py
import numpy as np
import pandas as pd

path, n = sys.argv[1], int(sys.argv[2])
with h5py.File(path, "r") as f:
    for a in ["job_text", "job_sha256", "job_name", "pairsweep_version", "mnist_sha256", "ranks",
              "started", "finished", "complete", "planned_tasks"]:
        assert a in f.attrs, a
    assert int(f.attrs["complete"]) == 1
    tasks = pd.DataFrame(f["tasks"][()])
    grid = pd.DataFrame(f["grid"][()])
    sel = pd.DataFrame(f["selection"][()])
    models = pd.DataFrame(f["models"][()])
    assert len(tasks) == n, len(tasks)
    assert list(tasks.columns[:4]) == ["task_id", "phase", "model", "grid"], tasks.columns
    assert tasks["task_id"].str.len().eq(16).all()
    assert set(tasks["model"].str.decode("ascii")) == {"cnn", "siamese"}
    assert len(grid) == 4 and abs(grid["lr"][0] - 0.1) < 1e-7
    assert sel["model"][0] == b"cnn" and abs(sel["cv_mean"][0] - 0.82) < 1e-6
    assert int(models["params"][0]) == 59373
    curves = {k: f["curves/" + k][()] for k in ["train_loss", "train_acc", "eval_loss", "eval_acc"]}
    for k, c in curves.items():
        assert c.shape[0] == n, (k, c.shape)
    # the table's final figures are the last epoch of each row's curve
    for i, row in tasks.iterrows():
        e = int(row["epochs"])
        a, b = curves["eval_acc"][i, e - 1], row["eval_acc"]
        assert (np.isnan(a) and np.isnan(b)) or a == b, (i, a, b)
    # weights of finished tasks, none for the diverged one
    for i, row in tasks.iterrows():
        tid = row["task_id"].decode()
        if row["status"] == 0:
            w = f["weights/%s/conv1.weight" % tid]
            assert w.shape == (4, 2, 3, 3) and int(w.attrs["trainable"]) == 1
        else:
            assert tid not in f["weights"]
print("ok", path, len(tasks), "rows")
