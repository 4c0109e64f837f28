"""PyTorch twin test, Python side.

Defines each model of the zoo independently in PyTorch (from the reports' descriptions, with
the same state_dict names), loads the initial state pairsweep wrote (twin_dump), and checks
that pairsweep and PyTorch agree within 1e-4 (max abs difference) on
  - the training-mode logits (and digit logits) before any step,
  - the logits after one SGD step (momentum 0.9, Nesterov for every other model, weight
    decay) in training mode,
  - every parameter and running statistic after two steps,
  - the evaluation-mode logits of the final state.
usage: /usr/bin/python3 twin.py TWIN.h5
"""
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TOL = 1e-4


class CNN(nn.Module):
    """report 000 `cnn` (32, 64, 25, BN)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 32, 3)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.bn2 = nn.BatchNorm2d(64)
        self.fc1 = nn.Linear(1600, 25)
        self.fc2 = nn.Linear(25, 2)

    def forward(self, x):
        x = self.bn1(F.relu(self.conv1(x)))
        x = self.bn2(F.relu(self.conv2(x)))
        x = F.max_pool2d(x, 2).flatten(1)
        return self.fc2(F.relu(self.fc1(x))), None


class Siamese(nn.Module):
    """report 000 `siamese` / `siamese_aux` (bn=False) / `siamese_v2`."""

    def __init__(self, bn):
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
    """report 000 `resnet` (16, 16, 80)."""

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
    """report 000 `resnet_ws` / `resnet_ws_aux`."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.shortcut = nn.Conv2d(1, 16, 1)
        self.shortcut_bn = nn.BatchNorm2d(16)
        self.fc1 = nn.Linear(784, 80)
        self.fc2 = nn.Linear(80, 10)
        self.fc3 = nn.Linear(20, 2)

    def forward(self, x):
        n = x.shape[0]
        b = x.reshape(2 * n, 1, 14, 14)
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(b)))))
        y = F.relu(y + self.shortcut_bn(self.shortcut(b)))
        y = F.max_pool2d(y, 2).flatten(1)
        d = self.fc2(F.relu(self.fc1(y))).reshape(n, 2, 10)
        return self.fc3(d.reshape(n, 20)), d


PLANS = {"A1": [16], "A2": [32], "A3": [16, 32], "A4": [32, 64], "A5": [16, 32, 64],
         "A6": [32, 64, 128]}


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


def make(name):
    if name == "cnn":
        return CNN()
    if name in ("siamese", "siamese_v2"):
        return Siamese(True)
    if name == "siamese_aux":
        return Siamese(False)
    if name == "resnet":
        return ResNet()
    if name in ("resnet_ws", "resnet_ws_aux"):
        return ResNetWS()
    s, a, k = name.split("_")
    return Family002(s, a, int(k[1:]))


def loss_of(kind, w, out, d, target, classes):
    if kind == "digits":
        # siamese_v2 does not use its target head (fc3, fc4) in the loss. torch.optim.SGD skips
        # parameters whose .grad is None, pairsweep's step updates every parameter (so weight
        # decay shrinks the unused head): 0 * out.sum() gives the head zero gradients, so both
        # apply the same update. The head does not affect siamese_v2's predictions.
        return (F.cross_entropy(d[:, 0], classes[:, 0]) + F.cross_entropy(d[:, 1], classes[:, 1])
                + 0.0 * out.sum())
    loss = F.cross_entropy(out, target)
    if kind == "target_aux":
        loss = loss + w * (F.cross_entropy(d[:, 0], classes[:, 0]) +
                           F.cross_entropy(d[:, 1], classes[:, 1]))
    return loss


def maxdiff(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def check_model(name, g):
    failures = []

    def expect(what, diff):
        if not diff <= TOL:
            failures.append("%s: %s max abs diff %.3g > %g" % (name, what, diff, TOL))
        return diff

    model = make(name)
    sd = {k: torch.from_numpy(np.array(v)) for k, v in g["state0"].items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        return ["%s: state_dict names differ: missing %s, unexpected %s" %
                (name, missing, unexpected)]
    n_params = sum(p.numel() for p in model.parameters())
    x = torch.from_numpy(np.array(g["x"]))
    target = torch.from_numpy(np.array(g["target"])).long()
    classes = torch.from_numpy(np.array(g["classes"])).long()
    a = dict(g.attrs)
    kind = a["loss"].decode() if isinstance(a["loss"], bytes) else str(a["loss"])
    opt = torch.optim.SGD(model.parameters(), lr=float(a["lr"]), momentum=float(a["momentum"]),
                          weight_decay=float(a["weight_decay"]),
                          nesterov=bool(int(np.array(a["nesterov"]).reshape(-1)[0])))
    model.train()
    worst = 0.0
    for step in range(2):
        out, d = model(x)
        worst = max(worst, expect("logits%d" % step, maxdiff(out.detach(), g["logits%d" % step])))
        if step == 0 and d is not None:
            worst = max(worst, expect("digits0", maxdiff(d.detach(), g["digits0"])))
        opt.zero_grad()
        loss_of(kind, float(a["aux_weight"]), out, d, target, classes).backward()
        opt.step()
    state = model.state_dict()
    for k, v in g["state2"].items():
        worst = max(worst, expect("state2/" + k, maxdiff(state[k], v)))
    model.eval()
    with torch.no_grad():
        out, _ = model(x)
    worst = max(worst, expect("logits_eval", maxdiff(out, g["logits_eval"])))
    print("%-14s %7d params  %-10s %-9s max abs diff %.2e  %s" %
          (name, n_params, kind, "nesterov" if opt.defaults["nesterov"] else "momentum", worst,
           "ok" if not failures else "FAIL"))
    return failures


def main():
    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = False  # plain float32 kernels: closest to sgemm
    failures = []
    with h5py.File(sys.argv[1], "r") as f:
        names = list(f.keys())
        for name in names:
            failures += check_model(name, f[name])
    for line in failures:
        print(line)
    print("%d models, %d failures" % (len(names), len(failures)))
    return 1 if failures or not names else 0


if __name__ == "__main__":
    sys.exit(main())
