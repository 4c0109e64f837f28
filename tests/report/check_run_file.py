"""Checks a file written by ps_store_write_run (pairsweep train --save) with h5py alone:
root attributes of the config (status an HDF5 enum, wall_seconds' unit in the root's `units`),
four curves of `epochs` floats with their units, weights with their shapes.
Usage: check_run_file.py FILE EPOCHS"""
import sys

import h5py
import numpy as np

path, epochs = sys.argv[1], int(sys.argv[2])
with h5py.File(path, "r") as f:
    assert f.attrs["model"].decode() == "cnn", f.attrs["model"]
    assert int(f.attrs["epochs"]) == epochs
    assert abs(float(f.attrs["lr"]) - 0.05) < 1e-7
    assert f.attrs["seed"].decode() == "12345678901234"
    assert int(f.attrs["format_version"]) == 2
    assert h5py.check_enum_dtype(f.attrs.get_id("status").dtype) == \
        {"done": 0, "diverged": 1, "failed": 2, "pruned": 3}
    assert f.attrs["units"]["wall_seconds"] == b"s"
    for k, name in enumerate(["train_loss", "train_acc", "eval_loss", "eval_acc"]):
        c = f["curves/" + name][()]
        assert c.shape == (epochs,), (name, c.shape)
        assert np.allclose(c, [k + 0.5 * e for e in range(epochs)]), (name, c)
        assert f["curves/" + name].attrs["units"] == (b"nats" if "loss" in name else b"fraction")
    w = f["weights/conv1.weight"]
    assert w.shape == (4, 2, 3, 3) and int(w.attrs["trainable"]) == 1
    assert np.allclose(w[()].ravel(), np.arange(72, dtype=np.float32) * 0.01)
    b = f["weights/bn1.running_mean"]
    assert b.shape == (4,) and int(b.attrs["trainable"]) == 0
    assert np.allclose(b[()], 72 * 0.01 + np.arange(4) * 0.01)
print("ok", path)
