#!/usr/bin/python3
"""PyTorch side of the training benchmark: the PyTorch twins of the zoo's models (defined once,
in tests/twin/twin.py) trained with bench_train's protocol on the very same pairs (the file
bench_train --pairs-out wrote): epochs over the 1000 training pairs in a fixed order of
mini-batches, training mode, the model's loss, SGD lr 0.01 momentum 0.9; evaluation = forward
in eval mode under no_grad over the 1000 test pairs in one batch. One thread
(torch.set_num_threads(1)), PyTorch's default CPU kernels (oneDNN convolutions). Best of
--reps. Prints one `model name=... train_sps=... train_cpu_sps=... eval_sps=... eval_cpu_sps=...`
line per model, like bench_train.

usage: /usr/bin/python3 bench/bench_torch.py --pairs FILE --model NAME:LOSS ... [--epochs E]
       [--reps R] [--batch B]
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "twin"))
import twin  # noqa: E402  (the loss: one place only)
from pairsweep.torch_models import build_model  # noqa: E402  (the models, via twin's path)


def read_pairs(path):
    with open(path, "rb") as f:
        n_train, n_test = np.fromfile(f, dtype="<i4", count=2)
        out = []
        for n in (n_train, n_test):
            x = np.fromfile(f, dtype="<f4", count=n * 392).reshape(n, 2, 14, 14)
            t = np.fromfile(f, dtype="<i4", count=n)
            c = np.fromfile(f, dtype="<i4", count=2 * n).reshape(n, 2)
            out.append((torch.from_numpy(x.copy()), torch.from_numpy(t.astype(np.int64)),
                        torch.from_numpy(c.astype(np.int64))))
    return out


def bench(name, kind, train, test, a):
    x, t, c = train
    nb = x.shape[0] // a.batch
    best_w = best_c = best_ew = best_ec = float("inf")
    for rep in range(a.reps):
        torch.manual_seed(rep)
        model = build_model(name)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        model.train()
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(a.epochs):
            for b in range(nb):
                s = slice(b * a.batch, (b + 1) * a.batch)
                out, d = model(x[s])
                loss = twin.loss_of(kind, 1.0, out, d, t[s], c[s])
                opt.zero_grad()
                loss.backward()
                opt.step()
        best_w = min(best_w, time.perf_counter() - w0)
        best_c = min(best_c, time.process_time() - c0)
        model.eval()
        with torch.no_grad():
            model(test[0])
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(5):
                model(test[0])
            best_ew = min(best_ew, (time.perf_counter() - w0) / 5)
            best_ec = min(best_ec, (time.process_time() - c0) / 5)
    samples = a.epochs * nb * a.batch
    n_test = test[0].shape[0]
    print("model name=%s train_sps=%.1f train_cpu_sps=%.1f eval_sps=%.1f eval_cpu_sps=%.1f" %
          (name, samples / best_w, samples / best_c, n_test / best_ew, n_test / best_ec))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--model", action="append", required=True, help="NAME:LOSS")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--batch", type=int, default=100)
    a = ap.parse_args()
    torch.set_num_threads(1)
    train, test = read_pairs(a.pairs)
    for m in a.model:
        name, kind = m.split(":")
        bench(name, kind, train, test, a)


if __name__ == "__main__":
    main()
