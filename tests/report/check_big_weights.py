"""Checks the weights of test_store's big checkpoints with h5py alone: N task rows, each with
/weights/<task id>/fc.weight of shape (1280, 1024) holding (k·7 + i·131) mod 4096 at flat
index k, for the result's own i (found from its first value), every i in 0 .. N-1 once.
Usage: check_big_weights.py FILE N COUNT"""
import sys

import h5py
import numpy as np

path, n, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
k = np.arange(count, dtype=np.int64)
seen = set()
with h5py.File(path, "r") as f:
    ids = [t.decode() for t in f["tasks"]["task_id"]]
    assert len(ids) == n, len(ids)
    for tid in ids:
        w = f["weights/%s/fc.weight" % tid][()]
        assert w.shape == (1280, 1024) and w.dtype == np.float32, (tid, w.shape, w.dtype)
        w = w.ravel()
        i = next(j for j in range(n) if (j * 131) % 4096 == int(w[0]))
        want = ((k * 7 + i * 131) % 4096).astype(np.float32)
        bad = np.flatnonzero(w != want)
        assert bad.size == 0, (tid, i, bad.size, bad[:5])
        seen.add(i)
assert seen == set(range(n)), sorted(seen)
print("ok", path, n, "results of", count, "floats")
