"""The stored models in PyTorch give the stored accuracies exactly.

For every model of the two test studies (study000.yaml: report 000's seven models, k-fold;
study002.yaml: one model of each report-002 structure, holdout): its first final task and the
first select task of each of its grid points are exported (`pairsweep export`), loaded with
pairsweep.load_model and evaluated in eval mode on the pairs the task was evaluated on. The
count of correct predictions must equal the one pairsweep stored (eval_acc = correct / n as
float32, compared bit for bit): no tolerance.

usage: test_torch.py PAIRSWEEP DIR   (DIR holds py000.h5 and py002.h5 from run_study.sh)
"""
import os
import sys

import numpy as np
import torch

from common import DIR, PAIRSWEEP, STUDIES, check, failures, finish, ps


def stored_fraction(path, task_id):
    """The eval_acc float32 exactly as stored."""
    import h5py
    with h5py.File(path, "r") as f:
        t = f["tasks"][()]
    return t["eval_acc"][t["task_id"] == task_id.encode()][0]


def check_pairs(pairs, row):
    a = pairs.attrs
    check(a["task_id"] == row.task_id and a["model"] == row.model, "attrs of %s" % row.task_id)
    check(a["seed"] == row.seed, "seed of %s: %r, /tasks %r" % (row.task_id, a["seed"], row.seed))
    n_val = len(pairs.validation) if pairs.validation is not None else 0
    check(len(pairs.train) + n_val == a["n_train"] and len(pairs.test) == a["n_test"],
          "sizes of %s" % row.task_id)
    check((row.phase == "final") == (pairs.validation is None), "sets of %s" % row.task_id)
    for s in (pairs.train, pairs.test) + ((pairs.validation,) if n_val else ()):
        check(bool(torch.equal(s.target, (s.classes[:, 0] <= s.classes[:, 1]).long())),
              "targets of %s" % row.task_id)
    x = pairs.train.x.double()
    check(abs(float(x.mean())) < 1e-4 and abs(float(x.std(unbiased=False)) - 1) < 1e-3,
          "normalisation of %s" % row.task_id)


def check_task(path, row):
    out = os.path.join(DIR, "pairs_%s.h5" % row.task_id)
    pairs = ps.export_pairs(path, row, out, pairsweep=PAIRSWEEP)
    check_pairs(pairs, row)
    model = ps.load_model(path, row)
    check(not model.training, "%s: load_model gives a model in training mode" % row.task_id)
    state = ps.load_state(path, row.task_id)
    want = {k: v.shape for k, v in ps.build_model(row.model, row.use_bn).state_dict().items()
            if not k.endswith("num_batches_tracked")}
    check({k: v.shape for k, v in state.items()} == want, "%s: state names or shapes" % row.model)
    ev = pairs.evaluated
    correct, n = ps.evaluate(model, ev)
    stored = stored_fraction(path, row.task_id)
    same = np.float32(correct / n) == stored
    check(same, "%s %s %s: %d of %d correct in PyTorch, pairsweep stored %.6f (%d)" %
          (row.model, row.phase, row.task_id, correct, n, stored, round(float(stored) * n)))
    print("%-14s %-6s grid %d bn %2d  %s  %4d / %4d  %s" %
          (row.model, row.phase, row.grid, row.use_bn, row.task_id, correct, n,
           "exact" if same else "DIFFERS"))


def main():
    torch.set_num_threads(1)
    checked = 0
    for path in STUDIES:
        name = os.path.basename(path)
        tasks = ps.read_tasks(path)
        done = tasks[tasks.status == "done"]
        for model in done.model.unique():
            mine = done[done.model == model]
            picks = [mine[mine.phase == "final"].iloc[0]]
            picks += [g.iloc[0] for _, g in mine[mine.phase == "select"].groupby("grid")]
            for row in picks:
                check_task(path, row)
                checked += 1
        structures = {m.split("_")[0] for m in done.model}
        if name == "py000.h5":
            check(set(done.model) >= set(ps.MODELS[:7]), "py000 lacks report 000 models")
            check((done.use_bn == 0).any(), "py000 has no task with BatchNorm switched off")
        else:
            check(structures == {"indep", "shared", "aux"}, "py002 structures %s" % structures)
    return finish("%d tasks evaluated in PyTorch, %d failures" % (checked, len(failures)),
                  ok=checked >= 20)


if __name__ == "__main__":
    sys.exit(main())
