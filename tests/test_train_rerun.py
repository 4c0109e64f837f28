"""Re-running a stored task (issue 17): /usr/bin/python3 test_train_rerun.py PAIRSWEEP TINY_JOB.

Runs jobs/tiny.yaml (one process), then for one selection task and one final task
`pairsweep train --from results.h5 --task ID --save out.h5`, and compares out.h5 with the
stored task bit for bit: its /curves row, its seed and every /weights/ID dataset. Read with
h5py only, never with pairsweep's own reader."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

BIN, JOB = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
CURVES = ("train_loss", "train_acc", "eval_loss", "eval_acc")


def run(args, cwd, status=0):
    p = subprocess.run([BIN] + args, cwd=cwd, capture_output=True, text=True, timeout=300)
    if p.returncode != status:
        sys.exit(f"FAIL: pairsweep {' '.join(args)}: status {p.returncode}, expected {status}\n"
                 f"{p.stdout}\n{p.stderr}")
    return p


def same(a, b):
    """Bit for bit: dtype, shape and bytes (NaN compares equal to the same NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def check(study, row, tid, out):
    with h5py.File(study, "r") as s, h5py.File(out, "r") as o:
        task = s["tasks"][row]
        if int(o.attrs["seed"]) != int(task["seed"]):
            sys.exit(f"FAIL {tid}: seed {o.attrs['seed']} != stored {task['seed']}")
        for k in CURVES:
            if not same(s["curves/" + k][row], o["curves/" + k][:]):
                sys.exit(f"FAIL {tid}: curves/{k} {o['curves/' + k][:]} != stored "
                         f"{s['curves/' + k][row]}")
        w, ow = s["weights/" + tid], o["weights"]
        if sorted(w) != sorted(ow) or not len(w):
            sys.exit(f"FAIL {tid}: weights {sorted(ow)} != stored {sorted(w)}")
        for name in w:
            if not same(w[name][()], ow[name][()]):
                sys.exit(f"FAIL {tid}: weights/{name} differ from the stored task's")
        print(f"ok   {tid}: curves and {len(w)} weight tensors bit-identical")


def main():
    with tempfile.TemporaryDirectory(prefix="ps-rerun-") as d:
        run(["run", "-q", JOB], d)
        study = os.path.join(d, "results", "tiny.h5")
        with h5py.File(study, "r") as s:
            t = s["tasks"][:]
        ids = [x.decode() for x in t["task_id"]]
        # the first selection task (siamese_aux, a k-fold validation) and the last final task
        # (resnet: BatchNorm buffers among the weights, evaluated on the test pairs)
        picks = [int(np.flatnonzero(t["phase"] == 0)[0]),
                 int(np.flatnonzero(t["phase"] == 1)[-1])]
        for row in picks:
            out = os.path.join(d, f"rerun-{ids[row]}.h5")
            p = run(["train", "--from", study, "--task", ids[row], "--save", out], d)
            lines = [x for x in p.stdout.splitlines() if x.startswith("epoch ")]
            if len(lines) != int(t["epochs"][row]):
                sys.exit(f"FAIL {ids[row]}: {len(lines)} epoch lines\n{p.stdout}")
            check(study, row, ids[row], out)
        # a task id the file does not hold: one line, status 2
        p = run(["train", "--from", study, "--task", "0123456789abcdef"], d, status=2)
        if len(p.stderr.strip().splitlines()) != 1 or "0123456789abcdef" not in p.stderr:
            sys.exit(f"FAIL unknown task: {p.stderr!r}")
        print("ok   unknown task id: status 2")


main()
