#!/usr/bin/python3
"""Report 000's protocol, model by model: train each of the seven models for 5 seeds
(1000 training / 1000 test pairs, 25 epochs, SGD) with `pairsweep train` and print the mean
and standard deviation of the final test accuracy beside the report's Table II figure.
Not a test: it takes minutes (7 models x 5 seeds x 25 epochs).

The report chose batch size, learning rate, BatchNorm and loss weights by 5-fold CV and did
not say whether SGD used momentum; the settings below (momentum 0.9) are this script's
fixed choice, editable with --lr / --batch-size / --momentum / --aux-weight; `pairsweep run`
with a job file does the real grid search.

usage: bench/report000.py [--pairsweep PATH] [--seeds N] [--epochs N] [--lr X] ...
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

# Table II of report 000: mean and std of the test accuracy over 15 rounds, in %.
TABLE2 = {
    "cnn": (82, 1),
    "siamese": (86, 2),
    "siamese_aux": (92, 2),
    "siamese_v2": (97, 1),
    "resnet": (79, 2),
    "resnet_ws": (86, 1),
    "resnet_ws_aux": (88, 1),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--pairsweep", default=os.path.join(here, "..", "build", "pairsweep"))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--aux-weight", type=float, default=1.0)
    ap.add_argument("--models", default=",".join(TABLE2))
    a = ap.parse_args()
    print("%-14s %8s %8s   %s" % ("model", "mean %", "std %", "report 000 Table II"))
    for model in a.models.split(","):
        accs = []
        for seed in range(a.seeds):
            cmd = [a.pairsweep, "train", "--model", model, "--seed", str(seed), "--quiet",
                   "--epochs", str(a.epochs), "--lr", str(a.lr), "--batch-size",
                   str(a.batch_size), "--momentum", str(a.momentum), "--aux-weight",
                   str(a.aux_weight)]
            out = subprocess.run(cmd, capture_output=True, text=True)
            m = re.search(r"final test accuracy ([0-9.]+)%", out.stdout)
            if not m:
                print("%s seed %d: %s" % (model, seed, (out.stdout + out.stderr).strip()),
                      file=sys.stderr)
                continue
            accs.append(float(m.group(1)))
        if not accs:
            print("%-14s %8s %8s   %d%% ± %d%%" % ((model, "-", "-") + TABLE2.get(model, (0, 0))))
            continue
        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        ref = TABLE2.get(model)
        print("%-14s %8.1f %8.1f   %s  (%d seeds)" %
              (model, statistics.mean(accs), sd,
               "%d%% ± %d%%" % ref if ref else "-", len(accs)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
