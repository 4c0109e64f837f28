"""PyTorch twin test, Python side.

Takes each model of the zoo from the Python package (python/pairsweep/torch_models.py: the
models defined independently in PyTorch from the reports' descriptions, with the same
state_dict names), loads the initial state pairsweep wrote (twin_dump), and checks
that pairsweep and PyTorch agree within 1e-4 (max abs difference) on
  - the training-mode logits (and digit logits) before any step,
  - the logits after one SGD step (momentum 0.9, Nesterov for every other model, weight
    decay) in training mode,
  - every parameter and running statistic after two steps,
  - the evaluation-mode logits of the final state.
usage: /usr/bin/python3 twin.py TWIN.h5
"""
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

# the package from this checkout (python/), installed or not
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from pairsweep.torch_models import build_model  # noqa: E402

TOL = 1e-4


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

    model = build_model(name)
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
