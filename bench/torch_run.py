#!/usr/bin/python3
"""One final run of a report's protocol in PyTorch, as a user's script would do it (one
process per run; bench/run.sh --full runs report 000's 7 models x 15 seeds and report 002's 3
best setups x 10 seeds of them, 2 at a time): load MNIST from the idx files, pool to 14x14,
draw 1000 training and 1000 test pairs for the seed, normalise with the training pairs' mean
and std, train the model's PyTorch twin (tests/twin/twin.py) for E epochs of shuffled
mini-batches of B (SGD momentum 0.9, the model's loss; lr times gamma from epoch S on when
S > 0), evaluate on the test pairs after every epoch. One thread. The defaults are report
000's final phase (bench/jobs/phase000.yaml); report 002's (bench/jobs/phase002.yaml) is
--epochs 30 --batch 50 --lr 0.01 --step 15 --gamma 0.1. --holdout H is a selection run of
the jobs' holdout protocol instead: train on the first 1000 - H training pairs, validate on the
last H after every epoch (the sweep runs one per model before the final seeds).

usage: /usr/bin/python3 bench/torch_run.py MODEL LOSS SEED [MNIST_DIR] [--epochs E]
           [--batch B] [--lr LR] [--step S] [--gamma G] [--holdout H]
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "twin"))
import twin  # noqa: E402  (the loss)
from pairsweep.torch_models import build_model  # noqa: E402  (the models, via twin's path)


def idx(path, images):
    with open(path, "rb") as f:
        data = f.read()
    if images:
        n, r, c = (int.from_bytes(data[4 * i:4 * i + 4], "big") for i in (1, 2, 3))
        a = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, r, c).astype(np.float32)
        return a.reshape(n, r // 2, 2, c // 2, 2).mean(axis=(2, 4))
    return np.frombuffer(data, dtype=np.uint8, offset=8).astype(np.int64)


def pairs(x, y, n, rng):
    p = rng.permutation(len(x))[:2 * n]
    xs = x[p].reshape(n, 2, 14, 14)
    c = y[p].reshape(n, 2)
    return torch.from_numpy(xs.copy()), torch.from_numpy((c[:, 0] <= c[:, 1]).astype(np.int64)), \
        torch.from_numpy(c.copy())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("loss")
    ap.add_argument("seed", type=int)
    ap.add_argument("mnist", nargs="?", default="data/mnist")
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--step", type=int, default=0)
    ap.add_argument("--gamma", type=float, default=0.1)
    ap.add_argument("--holdout", type=int, default=0)
    a = ap.parse_args()
    model_name, kind, seed, d = a.model, a.loss, a.seed, a.mnist
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    tx, ty = idx(os.path.join(d, "train-images-idx3-ubyte"), 1), \
        idx(os.path.join(d, "train-labels-idx1-ubyte"), 0)
    vx, vy = idx(os.path.join(d, "t10k-images-idx3-ubyte"), 1), \
        idx(os.path.join(d, "t10k-labels-idx1-ubyte"), 0)
    x, t, c = pairs(tx, ty, 1000, rng)
    xt, tt, _ = pairs(vx, vy, 1000, rng)
    n = 1000
    if a.holdout > 0:   # validate on the last holdout training pairs, train on the rest
        n = 1000 - a.holdout
        x, t, c, xt, tt = x[:n], t[:n], c[:n], x[n:], t[n:]
    mu, sd = x.mean(), x.std()
    x, xt = (x - mu) / sd, (xt - mu) / sd
    model = build_model(model_name)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
    acc = 0.0
    for e in range(a.epochs):
        if a.step > 0 and e == a.step:
            for g in opt.param_groups:
                g["lr"] = a.lr * a.gamma
        model.train()
        perm = torch.randperm(n)
        for b in range(n // a.batch):
            i = perm[b * a.batch:(b + 1) * a.batch]
            out, dg = model(x[i])
            loss = twin.loss_of(kind, 1.0, out, dg, t[i], c[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            out, dg = model(xt)
            if kind == "digits":
                pred = (dg[:, 0].argmax(1) <= dg[:, 1].argmax(1)).long()
            else:
                pred = out.argmax(1)
            acc = float((pred == tt).float().mean())
    print("%s seed %d final test accuracy %.1f%%" % (model_name, seed, 100 * acc))


if __name__ == "__main__":
    main()
