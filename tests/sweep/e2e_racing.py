"""End-to-end test of racing (protocol.racing) on jobs/tiny-raced.yaml: /usr/bin/python3
e2e_racing.py MPIEXEC. The helpers and conventions are e2e.py's; the files are read with h5py,
pandas and SciPy only (results.py), never with pairsweep's own reader."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
import results  # noqa: E402
from e2e import BIN, SRC, interrupted_run, ok, reference, run  # noqa: E402

RACED = os.path.join(SRC, "jobs", "tiny-raced.yaml")


def recompute_race(path):
    """The race's decisions recomputed from the file's /outcomes with SciPy (exact one-sided
    binomial, Holm by hand), independently of pairsweep: {(model, grid): (round, test,
    p_adjusted)}. Each model is its own group in tiny-raced.yaml."""
    from scipy import stats
    r = results.load(path)
    _, out, racing = results.load_race(path)
    opts = dict(kv.split("=") for kv in racing.split())
    alpha, min_folds = float(opts["alpha"]), int(opts["min_folds"])
    s = r["tasks"][r["tasks"].phase == 0]
    folds = int(s.fold.max()) + 1
    rounds = folds * (int(s.rep.max()) + 1)
    s = s.assign(round=s.rep * folds + s.fold)
    drops = {}
    for model in s.model.unique():
        m = s[s.model == model]
        alive = sorted(m.grid.unique())
        for done in range(1, rounds):
            ran = m[m["round"] < done]
            bad = [g for g in alive if ran[ran.grid == g].status.isin([1, 2]).any()]
            for g in bad:
                drops[(model, g)] = (done, "ineligible", float("nan"))
            alive = [g for g in alive if g not in bad]
            if done < min_folds or len(alive) < 2:
                continue
            x = {g: np.concatenate([out[ran[(ran.grid == g) & (ran["round"] == k)].task_id.iloc[0]]
                                    for k in range(done)]).astype(bool) for g in alive}
            lead = max(alive, key=lambda g: (x[g].sum(), -g))
            others = [g for g in alive if g != lead]
            p = []
            for g in others:
                b, c = int((x[lead] & ~x[g]).sum()), int((x[g] & ~x[lead]).sum())
                p.append(stats.binomtest(b, b + c, 0.5, alternative="greater").pvalue
                         if b + c else 1.0)
            order = sorted(range(len(p)), key=lambda i: (p[i], i))
            adj, run_max = [0.0] * len(p), 0.0
            for j, i in enumerate(order):
                run_max = max(run_max, (len(p) - j) * p[i])
                adj[i] = min(run_max, 1.0)
            gone = [g for g, a in zip(others, adj) if a < alpha]
            for g, a in zip(others, adj):
                if a < alpha:
                    drops[(model, g)] = (done, "mcnemar", a)
            alive = [g for g in alive if g not in gone]
    return drops


def check_raced(path):
    """A complete raced study: pruned rows (no curves, no weights) exactly for the points the
    race dropped, decisions equal to SciPy's recomputation, every selection task either run
    with its outcomes or pruned, the selection the best point that ran every fold."""
    r = results.load(path)
    race, out, racing = results.load_race(path)
    t = r["tasks"]
    results.expect(int(r["attrs"]["complete"]) == 1, "not complete")
    results.expect(racing.startswith("test=mcnemar"), f"racing attribute '{racing}'")
    s = t[t.phase == 0]
    pruned = s[s.status == 3]
    results.expect(len(pruned) > 0 and (pruned.epochs == 0).all(), "no pruned rows")
    results.expect(not any(tid in r["weights"] for tid in pruned.task_id), "pruned weights")
    results.expect(set(s[s.status == 0].task_id) <= set(out), "a run task without outcomes")
    want = recompute_race(path)
    got = {(row.model, int(row.grid)): (int(row["round"]), row.test, float(row.p_adjusted))
           for _, row in race.iterrows()}
    results.expect(set(want) == set(got), f"drops {sorted(got)}, SciPy says {sorted(want)}")
    for k, (rd, test, p) in want.items():
        results.expect(got[k][:2] == (rd, test) and (test == "ineligible" or
                       abs(got[k][2] - p) <= 1e-9 * max(p, 1e-300)), f"{k}: {got[k]} vs {want[k]}")
        n = len(pruned[(pruned.model == k[0]) & (pruned.grid == k[1])])
        results.expect(n == int(race[(race.model == k[0]) & (race.grid == k[1])].pruned.iloc[0]),
                       f"{k}: {n} pruned rows")
    for _, row in r["selection"].iterrows():
        m = s[(s.model == row.model) & (s.status == 0)]
        full = m.groupby("grid").filter(lambda g: len(g) == m.groupby("grid").size().max())
        best = int(full.groupby("grid").eval_acc.mean().idxmax())
        results.expect(best == row.grid, f"{row.model}: selection {row.grid}, argmax {best}")
    return len(race)


def test_racing(tmp):
    """jobs/tiny-raced.yaml: 1 rank and 3 ranks give identical files (pruned rows, /race,
    /outcomes), the decisions are SciPy's; a SIGKILL mid-race resumes to the same file; status
    counts pruned tasks; --audit runs them afterwards and the report counts false
    eliminations."""
    one = reference(tmp, RACED, "raced-ref").replace("tiny.h5", "tiny-raced.h5")
    n_drops = check_raced(one)
    d3 = os.path.join(tmp, "raced-3")
    os.makedirs(d3)
    p = run([RACED], d3, ranks=3)
    ok(p, "3-rank raced run")
    results.expect("pruned by the race" in p.stdout and "Racing: grid points alive" in p.stdout,
                   f"3-rank output:\n{p.stdout}")
    three = os.path.join(d3, "results", "tiny-raced.h5")
    n = results.compare_raced(one, three)
    print(f"1 rank vs 3 ranks: {n} rows identical, {n_drops} points dropped as SciPy says")
    # merge carries the race: the two files of one study merged hold the same rows, /race and
    # /outcomes (and the racing attribute: the report of the merged file has the racing table)
    merged = os.path.join(tmp, "merged.h5")
    ok(subprocess.run([BIN, "merge", merged, one, three], capture_output=True, text=True),
       "merge of the 1-rank and 3-rank files")
    results.compare_raced(one, merged)
    p = subprocess.run([BIN, "report", merged], capture_output=True, text=True)
    ok(p, "report of the merged file")
    results.expect("Racing: grid points alive" in p.stdout, f"merged report:\n{p.stdout}")
    print("merged: the same rows, /race and /outcomes")
    # a kill mid-race (SIGKILL: no grace, no clean close), then a resume under 3 ranks
    slow = os.path.join(tmp, "raced12.yaml")
    with open(RACED) as f:
        text = f.read()
    with open(slow, "w") as f:
        f.write(text.replace("\nepochs: 3\n", "\nepochs: 12\n"))
    ref12 = reference(tmp, slow, "raced12-ref").replace("tiny.h5", "tiny-raced.h5")
    check_raced(ref12)
    dk = os.path.join(tmp, "raced-kill")
    os.makedirs(dk)
    rc, out, err = interrupted_run([BIN, "run", "--lines", slow], dk, signal.SIGKILL, after=9)
    killed = os.path.join(dk, "results", "tiny-raced.h5")
    st = subprocess.run([BIN, "status", killed], capture_output=True, text=True)
    held = int(st.stdout.split(" of ")[0].split()[-1])  # file and journal: what was stored
    results.expect(rc == -signal.SIGKILL and 9 <= held < 31,
                   f"kill: exit {rc}, {held} rows\n{out}\n{st.stdout}")
    results.expect("race resnet" in out or "race siamese_aux" in out, f"no decision before "
                   f"the kill:\n{out}")
    ok(run(["-q", slow], dk, ranks=3), "resume after the kill")
    results.compare_raced(ref12, killed)
    print(f"killed with {held} rows stored (mid-race); resumed: identical")
    st = subprocess.run([BIN, "status", one], capture_output=True, text=True)
    results.expect("Pruned" in st.stdout and "pruned 6" in st.stdout, f"status:\n{st.stdout}")
    p = run(["--audit", RACED], os.path.dirname(os.path.dirname(one)))
    ok(p, "--audit")
    a = results.load(one)["tasks"]
    results.expect((a.phase == 2).sum() == 6 and (a[a.phase == 2].status == 0).all(),
                   f"audit rows:\n{a[a.phase == 2]}")
    results.expect("Racing audit" in p.stdout and "False-elimination rate" in p.stdout,
                   f"report after the audit:\n{p.stdout}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        e2e.MPIEXEC = sys.argv[1]
    if not os.path.isdir(os.environ.get("PS_MNIST_DIR", os.path.join(SRC, "data", "mnist"))):
        sys.exit("e2e_racing: MNIST is missing: run scripts/setup.sh (PS_MNIST_DIR)")
    tmp = tempfile.mkdtemp(prefix="ps-racing-")
    try:
        test_racing(tmp)
    except results.Failed as e:
        print(f"FAIL racing: {e}")
        sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok   racing")
