"""Checks with h5py alone that a study file is self-describing (format 2): format_version;
phase and status HDF5 enums naming every code (select/final, done/diverged/failed); a `units`
attribute on every metric (each curve; /tasks, /selection, /models mapping their metric
columns); /curves/task_id, the curves' first dimension scale, holding /tasks' ids in order;
each weight group's attributes naming its task as its /tasks row does; /models' arch whole.
Usage: check_selfdesc.py FILE [ARCH_MODEL ARCH_LENGTH]"""
import sys

import h5py
import numpy as np

TASK_UNITS = {"wall_seconds": "s", "train_loss": "nats", "train_acc": "fraction",
              "eval_loss": "nats", "eval_acc": "fraction", "epochs": "1"}
SELECTION_UNITS = {"cv_mean": "fraction", "cv_std": "fraction", "n_folds": "1"}
MODEL_UNITS = {"params": "1", "flops": "FLOP/sample"}
CURVE_UNITS = {"train_loss": "nats", "train_acc": "fraction", "eval_loss": "nats",
               "eval_acc": "fraction"}


def text(v):
    return bytes(v).rstrip(b"\0").decode() if isinstance(v, (bytes, np.bytes_)) else str(v)


def check_enum(dtype, column, names):
    mapping = h5py.check_enum_dtype(dtype.fields[column][0])
    assert mapping == names, (column, mapping)


def check_units(dset, want):
    units = dset.attrs["units"]
    got = {n: text(units[n]) for n in units.dtype.names}
    assert got == want, (dset.name, got)


def main():
    path = sys.argv[1]
    with h5py.File(path, "r") as f:
        assert int(f.attrs["format_version"]) == 2, f.attrs.get("format_version")
        tasks = f["tasks"][()]
        check_enum(tasks.dtype, "phase", {"select": 0, "final": 1, "audit": 2})
        check_enum(tasks.dtype, "status", {"done": 0, "diverged": 1, "failed": 2, "pruned": 3})
        check_enum(f["plan"].dtype, "phase", {"select": 0, "final": 1, "audit": 2})
        check_units(f["tasks"], TASK_UNITS)
        check_units(f["selection"], SELECTION_UNITS)
        check_units(f["models"], MODEL_UNITS)
        ids = [text(x) for x in tasks["task_id"]]
        scale = f["curves/task_id"]
        assert [text(x) for x in scale[()]] == ids, "curves/task_id is not /tasks' task_id"
        for name, unit in CURVE_UNITS.items():
            c = f["curves"][name]
            assert text(c.attrs["units"]) == unit, (name, c.attrs["units"])
            assert c.dims[0].label == "task" and c.dims[1].label == "epoch", name
            assert c.dims[0][0] == scale, (name, "dimension scale")
            assert c.shape[0] == len(ids), (name, c.shape)
        n_tagged = 0
        for i, tid in enumerate(ids):
            if tid not in f["weights"]:
                continue
            g = f["weights"][tid].attrs
            for col in ("task_id", "model", "grid", "fold", "rep", "seed"):
                assert text(g[col]) == text(tasks[col][i]), (tid, col, g[col], tasks[col][i])
            assert h5py.check_enum_dtype(f["weights"][tid].attrs.get_id("phase").dtype)
            assert int(g["phase"]) == int(tasks["phase"][i]), (tid, "phase")
            n_tagged += 1
        assert n_tagged > 0, "no weight group"
        if len(sys.argv) > 3:
            models = {text(r["model"]): text(r["arch"]) for r in f["models"][()]}
            arch = models[sys.argv[2]]
            assert len(arch) == int(sys.argv[3]), (len(arch), arch)
    print("ok", path, len(ids), "rows,", n_tagged, "weight groups tagged")


main()
