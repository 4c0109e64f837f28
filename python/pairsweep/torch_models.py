"""The pairsweep zoo as PyTorch modules, and the trained models of a results file.

Every module's state_dict keys are the names pairsweep stores under /weights/<task id>/
("conv1.weight", "bn1.running_mean", ...), with the same shapes, so a stored state loads with
load_state_dict. A module's forward takes pairs x (N, 2, 14, 14) and returns
(target logits (N, 2), digit logits (N, 2, 10) or None); predict() turns them into the
prediction the model is evaluated by (siamese_v2 compares its two digits).
tests/twin checks these modules against pairsweep's own forward, backward and SGD step.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import _h5

# How each model is trained and predicts (include/pairsweep/models.h, ps_loss_kind).
TARGET, TARGET_AUX, DIGITS = "target", "target_aux", "digits"


class CNN(nn.Module):
    """report 000 `cnn` (32, 64, 25): conv-ReLU-BN twice, max-pool, two linear layers."""

    def __init__(self, bn=True):
        super().__init__()
        self.use_bn = bn
        self.conv1 = nn.Conv2d(2, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        if bn:
            self.bn1 = nn.BatchNorm2d(32)
            self.bn2 = nn.BatchNorm2d(64)
        self.fc1 = nn.Linear(1600, 25)
        self.fc2 = nn.Linear(25, 2)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.bn1(x) if self.use_bn else x
        x = F.relu(self.conv2(x))
        x = self.bn2(x) if self.use_bn else x
        x = F.max_pool2d(x, 2).flatten(1)
        return self.fc2(F.relu(self.fc1(x))), None


class Siamese(nn.Module):
    """report 000 `siamese` / `siamese_aux` (no BN by default) / `siamese_v2`: one branch
    run on both digits, digit logits fc2, then 20 -> 25 -> 2."""

    def __init__(self, bn=True):
        super().__init__()
        self.use_bn = bn
        self.conv1 = nn.Conv2d(1, 16, 3)
        self.conv2 = nn.Conv2d(16, 32, 3)
        if bn:
            self.bn1 = nn.BatchNorm2d(16)
            self.bn2 = nn.BatchNorm2d(32)
        self.fc1 = nn.Linear(800, 50)
        self.fc2 = nn.Linear(50, 10)
        self.fc3 = nn.Linear(20, 25)
        self.fc4 = nn.Linear(25, 2)

    def branch(self, x):
        x = F.relu(self.conv1(x))
        if self.use_bn:
            x = self.bn1(x)
        x = F.relu(self.conv2(x))
        if self.use_bn:
            x = self.bn2(x)
        x = F.max_pool2d(x, 2).flatten(1)
        return self.fc2(F.relu(self.fc1(x)))

    def forward(self, x):
        # both digits in one batch, as BatchNorm must see them together (2N rows)
        n = x.shape[0]
        d = self.branch(x.reshape(2 * n, 1, 14, 14)).reshape(n, 2, 10)
        out = self.fc4(F.relu(self.fc3(d.reshape(n, 20))))
        return out, d


class ResNet(nn.Module):
    """report 000 `resnet` (16, 16, 80): conv-ReLU-conv plus a 1x1 conv + BN shortcut."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.shortcut = nn.Conv2d(2, 16, 1)
        self.shortcut_bn = nn.BatchNorm2d(16)
        self.fc1 = nn.Linear(784, 80)
        self.fc2 = nn.Linear(80, 2)

    def forward(self, x):
        y = self.conv2(F.relu(self.conv1(x)))
        y = F.relu(y + self.shortcut_bn(self.shortcut(x)))
        y = F.max_pool2d(y, 2).flatten(1)
        return self.fc2(F.relu(self.fc1(y))), None


class ResNetWS(nn.Module):
    """report 000 `resnet_ws` / `resnet_ws_aux`: a weight-shared residual branch per digit,
    digit logits fc2, then 20 -> 2."""

    def __init__(self, bn=True):
        super().__init__()
        self.use_bn = bn
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        if bn:
            self.bn1 = nn.BatchNorm2d(16)
            self.bn2 = nn.BatchNorm2d(16)
        self.shortcut = nn.Conv2d(1, 16, 1)
        self.shortcut_bn = nn.BatchNorm2d(16)
        self.fc1 = nn.Linear(784, 80)
        self.fc2 = nn.Linear(80, 10)
        self.fc3 = nn.Linear(20, 2)

    def forward(self, x):
        n = x.shape[0]
        b = x.reshape(2 * n, 1, 14, 14)
        y = self.conv1(b)
        y = F.relu(self.bn1(y) if self.use_bn else y)
        y = self.conv2(y)
        y = self.bn2(y) if self.use_bn else y
        y = F.relu(y + self.shortcut_bn(self.shortcut(b)))
        y = F.max_pool2d(y, 2).flatten(1)
        d = self.fc2(F.relu(self.fc1(y))).reshape(n, 2, 10)
        return self.fc3(d.reshape(n, 20)), d


PLANS = {"A1": [16], "A2": [32], "A3": [16, 32], "A4": [32, 64], "A5": [16, 32, 64],
         "A6": [32, 64, 128]}
STRUCTURES = ("indep", "shared", "aux")
KERNELS = (3, 5)


class Family002(nn.Module):
    """report 002: indep (two stacks, as one grouped conv), shared, aux; "same" padding,
    ReLU and 2x2 max-pool per conv layer, flatten, concat, linear -> 2."""

    def __init__(self, structure, plan, k):
        super().__init__()
        self.structure = structure
        self.nl = len(PLANS[plan])
        g = 2 if structure == "indep" else 1
        cin, side = 1, 14
        for i, c in enumerate(PLANS[plan]):
            setattr(self, "conv%d" % (i + 1),
                    nn.Conv2d(g * cin, g * c, k, padding=(k - 1) // 2, groups=g))
            cin, side = c, side // 2
        f = cin * side * side
        self.fc = nn.Linear(2 * f, 2)
        if structure == "aux":
            self.aux = nn.Linear(f, 10)

    def forward(self, x):
        n = x.shape[0]
        y = x if self.structure == "indep" else x.reshape(2 * n, 1, 14, 14)
        for i in range(self.nl):
            y = F.max_pool2d(F.relu(getattr(self, "conv%d" % (i + 1))(y)), 2)
        feat = y.flatten(1)
        d = self.aux(feat).reshape(n, 2, 10) if self.structure == "aux" else None
        return self.fc(feat.reshape(n, -1)), d


# report 000's models: (class, loss kind, BatchNorm by default, BatchNorm switchable)
_REPORT000 = {
    "cnn": (CNN, TARGET, True, True),
    "siamese": (Siamese, TARGET, True, True),
    "siamese_aux": (Siamese, TARGET_AUX, False, True),
    "siamese_v2": (Siamese, DIGITS, True, True),
    "resnet": (ResNet, TARGET, True, False),
    "resnet_ws": (ResNetWS, TARGET, True, True),
    "resnet_ws_aux": (ResNetWS, TARGET_AUX, True, True),
}

MODELS = tuple(_REPORT000) + tuple("%s_%s_k%d" % (s, a, k) for s in STRUCTURES
                                   for a in PLANS for k in KERNELS)


def loss_kind(name):
    """TARGET, TARGET_AUX or DIGITS: what model `name` is trained on and predicts by."""
    if name in _REPORT000:
        return _REPORT000[name][1]
    if name in MODELS:
        return TARGET_AUX if name.startswith("aux_") else TARGET
    raise ValueError("unknown model %r (the zoo: pairsweep.MODELS)" % name)


def build_model(name, use_bn=-1):
    """A fresh module of the zoo's model `name` (`pairsweep models`). use_bn: -1 the model's
    default, 0/1 BatchNorm off/on where the model can switch it (as the /grid column)."""
    kind = loss_kind(name)
    if name in _REPORT000:
        cls, _, default_bn, switchable = _REPORT000[name]
        bn = default_bn if use_bn < 0 or not switchable else bool(use_bn)
        model = cls() if cls is ResNet else cls(bn)
    else:
        s, a, k = name.split("_")
        model = Family002(s, a, int(k[1:]))
    model.name, model.loss_kind = name, kind
    return model


def predict(model, out, digits=None):
    """The target predictions (N,) of a forward's outputs: argmax of the target logits, or for
    a DIGITS model (siamese_v2) argmax(digit 1) <= argmax(digit 2). Ties go to the first
    index, as in pairsweep."""
    if isinstance(out, tuple):
        out, digits = out
    if getattr(model, "loss_kind", TARGET) == DIGITS:
        d = digits.argmax(dim=2)
        return (d[:, 0] <= d[:, 1]).long()
    return out.argmax(dim=1)


def _task_row(f, task):
    """(task id, model, grid) of a task given as an id, or a row of read_tasks."""
    tid = task if isinstance(task, str) else str(task["task_id"])
    tasks = f["tasks"]
    ids = [_h5.decode(v) for v in tasks["task_id"]]
    if tid not in ids:
        raise KeyError("no task %s in %s" % (tid, f.file.filename))
    i = ids.index(tid)
    row = tasks[i]
    return tid, _h5.decode(row["model"]), int(row["grid"])


def _use_bn(f, model, grid):
    if "grid" not in f:
        return -1
    for row in f["grid"][()]:
        if _h5.decode(row["model"]) == model and int(row["grid"]) == grid:
            return int(row["use_bn"])
    return -1


def load_state(source, task):
    """The stored final state of a task (an id or a read_tasks row): an OrderedDict of
    state_dict name -> tensor. Only tasks of status done have weights (KeyError otherwise)."""
    from collections import OrderedDict
    with _h5.open_results(source) as f:
        tid, _, _ = _task_row(f, task)
        if "weights" not in f or tid not in f["weights"]:
            raise KeyError("task %s has no weights in %s (only finished tasks of status done "
                           "do)" % (tid, f.file.filename))
        group = f["weights"][tid]
        return OrderedDict((k, torch.from_numpy(group[k][()])) for k in group)


def load_model(source, task):
    """The trained model of a task (an id or a read_tasks row) of a results file, in eval
    mode: the zoo's module for the task's model and BatchNorm setting, with the stored state."""
    with _h5.open_results(source) as f:
        tid, name, grid = _task_row(f, task)
        model = build_model(name, _use_bn(f, name, grid))
        state = load_state(f, task)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError("task %s (%s): the stored names differ from the module's: missing %s, "
                         "unexpected %s" % (tid, name, missing, unexpected))
    return model.eval()


@torch.no_grad()
def evaluate(model, x, target=None, batch_size=1000):
    """(correct, n): the model's correct target predictions on pairs x (N, 2, 14, 14) with
    targets (N,), in eval mode (BatchNorm running statistics, as pairsweep evaluates).
    x and target may be a PairSet (pairsweep.load_pairs) given as x."""
    if target is None and hasattr(x, "target"):
        x, target = x.x, x.target
    was_training = model.training
    model.eval()
    correct = 0
    for i in range(0, len(x), batch_size):
        pred = predict(model, model(x[i:i + batch_size]))
        correct += int((pred == target[i:i + batch_size]).sum())
    model.train(was_training)
    return correct, len(x)
