"""The exact pairs of a task, as `pairsweep export` writes them.

`pairsweep export FILE.h5 --task ID -o PAIRS.h5` regenerates a task's pairs from its seed (as
the training did, from MNIST) and writes /train, /test and, for a select task, /validation,
each normalised with the task's training mean and std. load_pairs reads that file;
export_pairs runs the command and reads the result.
"""
import dataclasses
import os
import shutil
import subprocess
import typing

import h5py
import numpy as np

from . import _h5


@dataclasses.dataclass
class PairSet:
    """One set of pairs: x (N, 2, 14, 14) float32, target (N,) 1 when digit 1 <= digit 2,
    classes (N, 2) the two digits. numpy arrays, or torch tensors (targets int64)."""
    x: typing.Any
    target: typing.Any
    classes: typing.Any

    def __len__(self):
        return len(self.target)

    def dataset(self):
        """A torch TensorDataset of (x, target, classes)."""
        import torch.utils.data
        return torch.utils.data.TensorDataset(self.x, self.target, self.classes)


@dataclasses.dataclass
class TaskPairs:
    """A task's pairs: train (what it was trained on), test, validation (select tasks, else
    None), evaluated (the set its eval_acc was measured on), and the export's attributes
    (task_id, model, phase, seed, mean, std, evaluated_on, ...)."""
    train: PairSet
    test: PairSet
    validation: typing.Optional[PairSet]
    attrs: dict

    @property
    def evaluated(self):
        return self.validation if self.attrs.get("evaluated_on") == "validation" else self.test


def _read_set(group, as_torch):
    x = group["x"][()]
    target = group["target"][()].astype(np.int64)
    classes = group["classes"][()].astype(np.int64)
    if as_torch:
        import torch
        return PairSet(torch.from_numpy(x), torch.from_numpy(target), torch.from_numpy(classes))
    return PairSet(x, target, classes)


def load_pairs(path, as_torch=True):
    """Reads a file of `pairsweep export`: a TaskPairs of torch tensors (as_torch) or numpy
    arrays."""
    with h5py.File(os.fspath(path), "r") as f:
        attrs = {k: _h5.attr(f, k) for k in f.attrs}
        sets = {k: _read_set(f[k], as_torch) if k in f else None
                for k in ("train", "test", "validation")}
    return TaskPairs(sets["train"], sets["test"], sets["validation"], attrs)


def export_pairs(results, task, out, pairsweep=None, mnist=None, as_torch=True):
    """Runs `pairsweep export RESULTS --task ID -o OUT --force` (OUT is replaced) and returns
    load_pairs(OUT).
    task: an id or a read_tasks row; pairsweep: the executable (default: $PAIRSWEEP, else
    `pairsweep` on PATH); mnist: the MNIST directory (default: the job's, $PS_MNIST_DIR,
    data/mnist). Raises RuntimeError with the command's message when it fails."""
    tid = task if isinstance(task, str) else str(task["task_id"])
    exe = pairsweep or os.environ.get("PAIRSWEEP") or shutil.which("pairsweep") or "pairsweep"
    cmd = [exe, "export", os.fspath(results), "--task", tid, "-o", os.fspath(out), "--force"]
    if mnist:
        cmd += ["--mnist", os.fspath(mnist)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s" % (" ".join(cmd), r.returncode,
                                                        r.stderr.strip()))
    return load_pairs(out, as_torch=as_torch)
