"""Checks a merged study file with h5py: N rows, unique task ids, weights for every finished
task (including those that came from a shard's journal). Usage: check_merged.py FILE N"""
import sys

import h5py
import pandas as pd

path, n = sys.argv[1], int(sys.argv[2])
with h5py.File(path, "r") as f:
    tasks = pd.DataFrame(f["tasks"][()])
    assert len(tasks) == n and tasks["task_id"].is_unique, len(tasks)
    assert f["curves/eval_acc"].shape[0] == n
    for _, row in tasks.iterrows():
        tid = row["task_id"].decode()
        assert (tid in f["weights"]) == (row["status"] == 0), tid
        if row["status"] == 0:
            assert f["weights/%s/conv1.weight" % tid].shape == (4, 2, 3, 3)
print("ok", path, n, "rows")
