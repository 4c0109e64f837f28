"""pairsweep results in Python: pandas tables of a results file, and its trained models in
PyTorch.

    import pairsweep as ps
    tasks = ps.read_tasks("results/quick.h5")         # tidy DataFrame, accuracies in %
    curves = ps.read_curves("results/quick.h5")       # long form: task, metric, epoch, value
    ps.table2("results/quick.h5")                     # Table II's numbers
    model = ps.load_model("results/quick.h5", task_id)            # needs torch
    pairs = ps.export_pairs("results/quick.h5", task_id, "pairs.h5")
    correct, n = ps.evaluate(model, pairs.evaluated)

The PyTorch part (load_model, build_model, evaluate, ...) is imported on first use, so that
the tables need no torch.
"""
from .data import PairSet, TaskPairs, export_pairs, load_pairs
from .results import (read_curves, read_grid, read_models, read_selection, read_study,
                      read_tasks, table2)

__version__ = "0.1.0"

_TORCH_NAMES = ("MODELS", "build_model", "evaluate", "load_model", "load_state", "loss_kind",
                "predict")

__all__ = ["PairSet", "TaskPairs", "export_pairs", "load_pairs", "read_curves", "read_grid",
           "read_models", "read_selection", "read_study", "read_tasks", "table2",
           *_TORCH_NAMES]


def __getattr__(name):
    if name in _TORCH_NAMES:
        from . import torch_models
        return getattr(torch_models, name)
    raise AttributeError("module 'pairsweep' has no attribute %r" % name)
