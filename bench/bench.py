#!/usr/bin/python3
"""The benchmark of bench/run.sh: runs every measure in this one run and prints one table.

  1. per model (report 000's seven and report 002's three best setups): training samples/s on
     one core at batch 100, pairsweep (bench_train) and the PyTorch twin (bench_torch.py) on
     the same pairs with the same protocol, interleaved model by model; the ratio; FLOPs per
     training sample, achieved GFLOP/s and its share of the single-thread sgemm GFLOP/s
     measured in the same run; evaluation (forward only, one batch of 1000 test pairs) timed
     separately; peak RSS of a process training the model (`pairsweep train`, ru_maxrss).
  2. sweep scaling: `pairsweep run bench/jobs/scaling.yaml` with 1 and 2 workers (mpirun -np
     2 and 3), each the best (shortest) of --scaling-reps runs, alternating 1 and 2 workers:
     wall time, parallel efficiency, rank 0's CPU time as a share of the wall time; the
     efficiency split into what the cores lose when both work (the tasks' summed seconds, 1
     worker against 2: the same tasks and code) and what the sweep loses (the workers' busy
     share of the wall: start-up, hand-offs, the last task's tail).
  3. master capacity (bench_master): results/s rank 0 receives and stores, and the number of
     workers that rate keeps busy at each model's real task time (a final task: 25 epochs of
     1000 pairs plus 25 evaluations of 1000 test pairs, at the rates of part 1).
  4. --full: report 000's final phase (7 models x 15 seeds, bench/jobs/phase000.yaml) and
     report 002's (jobs/bordignon2021.yaml's: its 3 best setups x 10 seeds,
     bench/jobs/phase002.yaml) with `pairsweep run` on 2 cores against the PyTorch twins run as
     2 processes at a time, one per run (bench/torch_run.py): the same runs, each model's
     holdout selection task (the sweep runs one, 900/100 pairs) and its final seeds.

--kernels auto|avx2|gemm chooses pairsweep's kernels for part 1 and the peak RSS
(bench_train, `pairsweep train`; default auto: the direct convolutions where they apply, in
AVX-512 where the CPU has it). avx2 switches AVX-512 off at run time on both sides, as on a
CPU without it: pairsweep's kernels (--kernels avx2, and PS_NN_MAX_ISA=avx2 for `pairsweep run`:
the scaling, master and phase parts) and OpenBLAS's (OPENBLAS_CORETYPE=Haswell), PyTorch's
(ONEDNN_MAX_CPU_ISA=AVX2, ATEN_CPU_CAPABILITY=avx2), for every process of the run.

--train-only: part 1 only, without the peak RSS. --models all, 000 or 002: every zoo model
of that report (`pairsweep models`). --phases-only 000,002: part 4 alone, of those phases.

usage: bench.py --build DIR [--full] [--train-only] [--epochs E] [--reps R]
                [--scaling-reps S] [--models a,b,...|all|000|002] [--kernels auto|avx2|gemm]
                [--phases-only 000,002]
"""
import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
PY = "/usr/bin/python3"
MODELS_000 = ["cnn", "siamese", "siamese_aux", "siamese_v2", "resnet", "resnet_ws",
              "resnet_ws_aux"]
MODELS_002 = ["aux_A6_k5", "shared_A5_k5", "indep_A4_k5"]
LOSS = {}  # model -> loss kind, from bench_train
# --kernels avx2: AVX-512 off at run time in pairsweep run (the phases), OpenBLAS and PyTorch too
AVX2_ENV = {"PS_NN_MAX_ISA": "avx2", "OPENBLAS_CORETYPE": "Haswell", "ONEDNN_MAX_CPU_ISA": "AVX2",
            "ATEN_CPU_CAPABILITY": "avx2"}
ISA_ENV = {}


def env():
    e = dict(os.environ)
    e.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
              "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
              "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_pml": "ob1",
              "PS_MNIST_DIR": e.get("PS_MNIST_DIR", os.path.join(SRC, "data", "mnist"))})
    e.update(ISA_ENV)
    return e


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env(), **kw)
    if p.returncode != 0:
        sys.exit("bench: %s failed (%d):\n%s%s" % (" ".join(cmd), p.returncode, p.stdout,
                                                  p.stderr))
    return p.stdout


def kv_lines(text, kind):
    out = []
    for line in text.splitlines():
        if line.startswith(kind + " "):
            d = {}
            for tok in line.split()[1:]:
                k, v = tok.split("=", 1)
                try:
                    d[k] = float(v)
                except ValueError:
                    d[k] = v
            out.append(d)
    return out


def part_train(a, tmp):
    pairs = os.path.join(tmp, "pairs.bin")
    bt = os.path.join(a.build, "bench", "bench_train")
    common = ["--epochs", str(a.epochs), "--reps", str(a.reps)]
    first = run([bt, "--pairs-out", pairs, "--model", a.models[0], "--kernels", a.kernels] +
                common)
    sgemm = kv_lines(first, "sgemm")[0]["gflops"]
    ours, theirs = {}, {}
    for i, m in enumerate(a.models):
        out = first if i == 0 else run([bt, "--no-gemm", "--model", m, "--kernels", a.kernels] +
                                       common)
        ours[m] = kv_lines(out, "model")[0]
        LOSS[m] = ours[m]["loss"]
        t = run([PY, os.path.join(HERE, "bench_torch.py"), "--pairs", pairs, "--model",
                 "%s:%s" % (m, LOSS[m])] + common)
        theirs[m] = kv_lines(t, "model")[0]
    # the limit again at the end: the machine may be shared, keep the better of the two
    sgemm = max(sgemm, kv_lines(run([bt, "--model", a.models[0], "--epochs", "1", "--reps",
                                       "1"]), "sgemm")[0]["gflops"])
    return sgemm, ours, theirs


def peak_rss(a, model):
    """ru_maxrss (KiB) of a `pairsweep train` process training model for 1 epoch."""
    out = run([PY, "-c", "import resource, subprocess, sys; "
               "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
               os.path.join(a.build, "pairsweep"), "train", "--model", model, "--epochs", "1",
               "--kernels", a.kernels, "--quiet"])
    return int(out.split()[-1])


def mpirun(n, cmd, tmp, tag):
    """Runs cmd on n ranks, each under /usr/bin/time; returns wall seconds and per-rank
    (user + sys CPU seconds, max RSS KiB)."""
    wrap = ("exec /usr/bin/time -o %s/%s.rank$OMPI_COMM_WORLD_RANK -f '%%U %%S %%M' \"$@\""
            % (tmp, tag))
    t0 = time.perf_counter()
    out = run(["mpirun", "-np", str(n), "sh", "-c", wrap, "sh"] + cmd, cwd=tmp)
    wall = time.perf_counter() - t0
    ranks = []
    for r in range(n):
        with open(os.path.join(tmp, "%s.rank%d" % (tag, r))) as f:
            u, s, m = f.read().split()[-3:]
        ranks.append((float(u) + float(s), int(m)))
    return wall, ranks, out


def part_scaling(a, tmp):
    job = os.path.join(HERE, "jobs", "scaling.yaml")
    ps = os.path.join(a.build, "pairsweep")
    res = {}
    # alternating 1 and 2 workers, the shortest wall of each: a burst of load from other
    # processes on a shared machine hits one run, not the figure (as part 1's best of R)
    for _ in range(a.scaling_reps):
        for workers in (1, 2):
            out = os.path.join(tmp, "scaling%d.h5" % workers)
            r = mpirun(workers + 1, [ps, "run", "-q", "--restart", "-o", out, job], tmp,
                       "scaling%d" % workers)
            if workers not in res or r[0] < res[workers][0]:
                res[workers] = r + (task_seconds(out),)
    return res


def task_seconds(path):
    """(Σ, count) over the tasks of a results file of the seconds each took on its worker
    (the wall_seconds of /tasks: from the task's arrival to its result, pairs and net
    included)."""
    import h5py
    with h5py.File(path, "r") as f:
        w = f["tasks"]["wall_seconds"]
        return float(w.sum()), len(w)


def part_master(a, tmp):
    """Per model: the results file on disk (the temporary directory) and in memory
    (/dev/shm, when there is one): the difference is the cost of making each result
    durable (rank 0 group-commits: one journal sync for the results waiting, as the sweep's
    master does)."""
    bm = os.path.join(a.build, "bench", "bench_master")
    shm = tempfile.mkdtemp(prefix="pairsweep-bench-", dir="/dev/shm") \
        if os.path.isdir("/dev/shm") else None
    res = {}
    try:
        for m in a.models:
            res[m] = {}
            for where, d in (("disk", tmp), ("memory", shm)):
                if d is None:
                    continue
                out = mpirun(a.master_ranks, [bm, "--model", m, "--results", str(a.results),
                                              "--out", os.path.join(d, "master.h5")], tmp,
                             "master")[2]
                res[m][where] = kv_lines(out, "master")[0]
    finally:
        if shm:
            shutil.rmtree(shm, ignore_errors=True)
    return res


# --full: the final phases of the two reports (job, models, seeds, torch_run.py options)
PHASES = [("phase000", MODELS_000, 15, []),
          ("phase002", MODELS_002, 10,
           ["--epochs", "30", "--batch", "50", "--lr", "0.01", "--step", "15", "--gamma", "0.1"])]


def part_full(a, tmp):
    """Each report's final phase: `pairsweep run` (2 workers) against the PyTorch twins run as
    2 processes at a time, one per run; [(name, wall pairsweep, wall PyTorch)]."""
    ps = os.path.join(a.build, "pairsweep")
    mnist = env()["PS_MNIST_DIR"]
    out = []
    for name, models, seeds, opts in PHASES:
        if a.phases_only and name[len("phase"):] not in a.phases_only:
            continue
        job = os.path.join(HERE, "jobs", name + ".yaml")
        wall_ps, ranks, _ = mpirun(3, [ps, "run", "-q", "--restart", "-o",
                                       os.path.join(tmp, name + ".h5"), job], tmp, "phase")
        # the same runs as the sweep: per model its holdout selection task (900 pairs train, the
        # last 100 validate) and its final seeds
        runs = [(m, seed, []) for m in models for seed in range(seeds)] + \
            [(m, seeds, ["--holdout", "100"]) for m in models]
        if any(m not in LOSS for m in models):   # part 1 measured other models (--models)
            for r in run([ps, "models"]).splitlines()[1:]:
                f = r.split()
                if len(f) > 4:
                    LOSS.setdefault(f[0], f[4].replace("+", "_"))   # bench_train's names

        def one(r):
            return run([PY, os.path.join(HERE, "torch_run.py"), r[0], LOSS[r[0]], str(r[1]),
                        mnist] + opts + r[2])

        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as ex:
            list(ex.map(one, runs))
        out.append((name, wall_ps, time.perf_counter() - t0))
    return out


def expand_models(a):
    """--models: a list, or all / 000 / 002 (the zoo's models of a report, from `pairsweep
    models`)."""
    if a.models not in ("all", "000", "002"):
        return a.models.split(",")
    out = run([os.path.join(a.build, "pairsweep"), "models"])
    rows = [line.split() for line in out.splitlines()[1:] if line.strip()]
    return [r[0] for r in rows if a.models in ("all", r[1])]


def geomean(xs):
    return math.exp(sum(map(math.log, xs)) / len(xs))


def print_train(a, sgemm, ours, theirs, rss):
    print("1. Training on one core, batch 100, %d epochs x 1000 pairs, best of %d, kernels %s "
          "(samples/s, wall clock; [CPU] = per CPU second of the process)"
          % (a.epochs, a.reps, a.kernels))
    hdr = ("| model | pairsweep | PyTorch | ratio | ratio [CPU] | MFLOP/sample | GFLOP/s | "
           "% sgemm | eval pairsweep | eval PyTorch | eval ratio | peak RSS MiB |")
    print(hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    ratios = {}
    for m in a.models:
        o, t = ours[m], theirs[m]
        r = o["train_sps"] / t["train_sps"]
        rc = o["train_cpu_sps"] / t["train_cpu_sps"]
        ratios[m] = r
        gf = o["train_sps"] * o["flops_train"] / 1e9
        print("| %s | %.0f | %.0f | %.2f | %.2f | %.2f | %.1f | %.0f%% | %.0f | %.0f | %.2f | "
              "%s |" % (m, o["train_sps"], t["train_sps"], r, rc, o["flops_train"] / 1e6, gf,
                        100 * gf / sgemm, o["eval_sps"], t["eval_sps"],
                        o["eval_sps"] / t["eval_sps"],
                        "%.1f" % (rss[m] / 1024) if m in rss else "-"))
    r000 = [ratios[m] for m in MODELS_000 if m in ratios]
    r002 = [r for m, r in ratios.items() if m not in MODELS_000]
    if len(r000) == len(MODELS_000):
        print("geometric mean of the training ratio over report 000's seven models: %.2f "
              "(targets: each >= 1.25, mean >= 2.0); cnn at %.0f%% of sgemm"
              % (geomean(r000),
                 100 * ours["cnn"]["train_sps"] * ours["cnn"]["flops_train"] / 1e9 / sgemm))
    if r002:
        print("geometric mean of the training ratio over the %d report 002 models measured: "
              "%.2f (min %.2f; targets over the 36: each >= 1.25, mean >= 1.5)"
              % (len(r002), geomean(r002), min(r002)))
    if rss:
        print("peak RSS: target <= 64 MiB per worker")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--scaling-reps", type=int, default=2)
    ap.add_argument("--results", type=int, default=300)
    ap.add_argument("--master-ranks", type=int, default=3)
    ap.add_argument("--models", default=",".join(MODELS_000 + MODELS_002))
    ap.add_argument("--kernels", choices=["auto", "avx2", "gemm"], default="auto")
    ap.add_argument("--train-only", action="store_true")
    ap.add_argument("--phases-only", type=lambda v: v.split(","), default=None)
    a = ap.parse_args()
    if a.kernels == "avx2":
        ISA_ENV.update(AVX2_ENV)
    a.build = os.path.abspath(a.build)
    a.models = expand_models(a)
    tmp = tempfile.mkdtemp(prefix="pairsweep-bench-")
    t_start = time.perf_counter()
    try:
        load0 = os.getloadavg()[0]
        if a.phases_only:
            full = part_full(a, tmp)
        else:
            sgemm, ours, theirs = part_train(a, tmp)
            rss = {} if a.train_only else {m: peak_rss(a, m) for m in a.models}
            scaling = None if a.train_only else part_scaling(a, tmp)
            master = None if a.train_only else part_master(a, tmp)
            full = part_full(a, tmp) if a.full and not a.train_only else None
        load1 = os.getloadavg()[0]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    cpu = open("/proc/cpuinfo").read()
    mname = re.search(r"model name\s*:\s*(.*)", cpu)
    fam = re.search(r"cpu family\s*:\s*(\d+)\s*model\s*:\s*(\d+)", cpu)
    core = env().get("OPENBLAS_CORETYPE")
    print("pairsweep benchmark — %s (family %s model %s), %d CPUs, load average %.1f at start, "
          "%.1f at end; OpenBLAS %s%s" % (
              mname.group(1) if mname else "?", fam.group(1) if fam else "?",
              fam.group(2) if fam else "?", os.cpu_count(), load0, load1,
              "OPENBLAS_CORETYPE=" + core if core else "auto-detected core",
              "; AVX-512 off (%s)" % " ".join("%s=%s" % kv for kv in sorted(AVX2_ENV.items()))
              if ISA_ENV else ""))
    if a.phases_only:
        print()
        print_full(full)
        print()
        print("benchmark wall time: %.0f s" % (time.perf_counter() - t_start))
        return
    print("single-thread cblas_sgemm 1024x1024x1024: %.1f GFLOP/s" % sgemm)
    print()
    print_train(a, sgemm, ours, theirs, rss)
    if a.train_only:
        print()
        print("benchmark wall time: %.0f s" % (time.perf_counter() - t_start))
        return
    print()
    (s1, n_tasks), (s2, _) = scaling[1][3], scaling[2][3]
    print("2. Sweep scaling: pairsweep run bench/jobs/scaling.yaml (%d tasks), master + workers; "
          "best of %d runs each" % (n_tasks, a.scaling_reps))
    print("| workers | wall s | efficiency | rank 0 CPU share | rank 0 CPU in its loop | "
          "worker CPU / wall | max worker RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    w1 = scaling[1][0]
    for w in (1, 2):
        wall, ranks, out, _ = scaling[w]
        loop = re.search(r"\(([0-9.]+)% of a core\)", out)
        print("| %d | %.2f | %s | %.2f%% | %s | %s | %.1f |" % (
            w, wall, "%.0f%%" % (100 * w1 / (w * wall)) if w > 1 else "-",
            100 * ranks[0][0] / wall, "%s%%" % loop.group(1) if loop else "not printed",
            " ".join("%.0f%%" % (100 * r[0] / wall) for r in ranks[1:]),
            max(r[1] for r in ranks[1:]) / 1024))
    # efficiency = (S1 / S2) x (busy2 / busy1): S the tasks' seconds summed over the workers,
    # busy = S / (workers x wall). S1 / S2 is what the cores lose when both work (the same
    # tasks, the same code: shared caches, memory, the host), busy2 / busy1 what the sweep
    # loses (start-up, hand-offs, the last task's tail) against one worker.
    b1, b2 = s1 / scaling[1][0], s2 / (2 * scaling[2][0])
    print("| efficiency, split | tasks' seconds: 1 worker %.2f, 2 workers %.2f, ratio %.1f%% "
          "(the cores) | busy share of the workers' wall: %.1f%% and %.1f%%, ratio %.1f%% "
          "(the sweep) | | | | |" % (s1, s2, 100 * s1 / s2, 100 * b1, 100 * b2, 100 * b2 / b1))
    print("(targets: efficiency >= 95%, rank 0 <= 2% CPU; the CPU share is rank 0's whole "
          "process over the wall time, the loop's is its CPU while handing out tasks over that "
          "time, as `pairsweep run` prints it; wall includes mpirun start-up and "
          "every rank loading MNIST; a worker CPU share well below 100% means the core was "
          "taken by other processes: load average above)")
    print()
    print("3. Master capacity: bench_master (%d ranks), workers answer at once with real-size "
          "results; rank 0 hands out the next task, then stores them as the sweep's master does "
          "(journal appends, one sync per group of waiting results, checkpoints); results "
          "file on disk and in memory (/dev/shm)" % a.master_ranks)
    print("| model | bytes/result | final task s | disk: results/s | rank 0 CPU | in store | "
          "workers kept busy | memory: results/s | workers kept busy |")
    print("|---|---|---|---|---|---|---|---|---|")
    for m in a.models:
        r = master[m]
        o = ours[m]
        task = 25 * 1000 / o["train_sps"] + 25 * 1000 / o["eval_sps"]
        d = r["disk"]
        mem = r.get("memory")
        print("| %s | %d | %.2f | %.0f | %.0f%% | %.0f%% | %.0f | %s | %s |" % (
            m, d["bytes_per_result"], task, d["results_per_s"], 100 * d["cpu_share"],
            100 * d["store_share"], d["results_per_s"] * task,
            "%.0f" % mem["results_per_s"] if mem else "-",
            "%.0f" % (mem["results_per_s"] * task) if mem else "-"))
    print("(target: >= 1,000 workers at the cnn task size)")
    if full:
        print()
        print_full(full)
    print()
    print("benchmark wall time: %.0f s" % (time.perf_counter() - t_start))


def print_full(full):
    """Part 4's table."""
    print("4. The reports' final phases on 2 cores: report 000's (bench/jobs/phase000.yaml, "
          "7 models x 15 seeds, 25 epochs, batch 100) and report 002's "
          "(bench/jobs/phase002.yaml = jobs/bordignon2021.yaml's: its 3 best setups x 10 "
          "seeds, 30 epochs, batch 50)")
    print("| phase | pairsweep run (2 workers) s | PyTorch, 2 processes at a time, one per "
          "run s | speed-up |")
    print("|---|---|---|---|")
    for name, ps_s, torch_s in full:
        print("| %s | %.1f | %.1f | %.2f |" % (name, ps_s, torch_s, torch_s / ps_s))
    print("(target: each >= 2x; both sides run the same runs: each model's holdout selection "
          "task, 900/100 pairs, and its final seeds)")


if __name__ == "__main__":
    main()
