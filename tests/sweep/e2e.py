"""End-to-end tests of `pairsweep run` on jobs/tiny.yaml: /usr/bin/python3 e2e.py TEST MPIEXEC.

Each test works in its own temporary directory. The results files are read with h5py and
pandas only (results.py), never with pairsweep's own reader."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results  # noqa: E402

SRC = os.environ.get("PS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(os.environ.get("PS_BINARY_DIR", os.path.join(SRC, "build")), "pairsweep")
TINY = os.path.join(SRC, "jobs", "tiny.yaml")
# jobs/tiny.yaml: 2 models x 2 grid points x 2 folds, then 2 seeds each, 3 epochs
TINY_SHAPE = dict(n_models=2, grid_points=2, folds=2, seeds=2, epochs=3)
MPIEXEC = "mpiexec"


# Time limits stretch under slow builds (the sanitizer stage sets PS_TEST_TIMEOUT_SCALE=4).
SCALE = float(os.environ.get("PS_TEST_TIMEOUT_SCALE", "1"))


def run(args, cwd, ranks=1, timeout=120):
    cmd = ([MPIEXEC, "-np", str(ranks)] if ranks > 1 else []) + [BIN, "run"] + args
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout * SCALE)


def ok(p, what):
    if p.returncode != 0:
        raise results.Failed(f"{what}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")


def reference(tmp, job=TINY, sub="ref"):
    """An uninterrupted one-rank run of a job (the tiny job): results/tiny.h5 under tmp/sub."""
    d = os.path.join(tmp, sub)
    os.makedirs(d)
    ok(run(["-q", job], d), "reference run")
    return os.path.join(d, "results", "tiny.h5")


def slower_tiny(tmp):
    """jobs/tiny.yaml with 12 epochs instead of 3 (same name, same tasks, each 4x longer): a
    study that is still running a second or two after its first result, whatever the CPU,
    so that a signal sent then always lands mid-study."""
    path = os.path.join(tmp, "tiny12.yaml")
    with open(TINY) as f:
        text = f.read()
    assert "\nepochs: 3\n" in text
    with open(path, "w") as f:
        f.write(text.replace("\nepochs: 3\n", "\nepochs: 12\n"))
    return path


def test_tiny(tmp):
    """1 rank and 3 ranks: complete, sane, selection = argmax; identical per-task results."""
    one = reference(tmp)
    results.check_study(one, **TINY_SHAPE)
    d3 = os.path.join(tmp, "three")
    os.makedirs(d3)
    p = run([TINY], d3, ranks=3)
    ok(p, "3-rank run")
    for want in ("12 of 12 tasks stored", "rank 0 (master)", "test acc"):
        results.expect(want in p.stdout, f"3-rank output lacks '{want}':\n{p.stdout}")
    three = os.path.join(d3, "results", "tiny.h5")
    r3 = results.check_study(three, **TINY_SHAPE)
    results.expect(set(r3["tasks"]["rank"]) <= {1, 2}, "rank 0 ran tasks with workers present")
    n = results.compare(one, three)
    print(f"1 rank vs 3 ranks: {n} tasks identical")
    # rerunning a complete study runs nothing and changes nothing
    p = run(["-q", TINY], d3, ranks=3)
    ok(p, "rerun of a complete study")
    results.expect("12 of 12 tasks stored" in p.stdout and "0 run now" in p.stdout,
                   f"rerun ran tasks:\n{p.stdout}")
    results.compare(one, three)


def interrupted_run(cmd, cwd, sig, after, target=None):
    """Starts cmd, sends sig (to target's pid, else to the process) once `after` results have
    been reported, returns (exit status, stdout, stderr)."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    seen, lines = 0, []
    for line in proc.stdout:
        lines.append(line)
        if ": done," in line:
            seen += 1
            if seen == after:
                os.kill(proc.pid, sig)
                break
    out, err = proc.communicate(timeout=300 * SCALE)
    return proc.returncode, "".join(lines) + out, err


def test_interrupt(tmp):
    """SIGTERM (1 rank, running task given up: --grace 0) and SIGUSR1 to mpirun (3 ranks,
    running tasks finish), each followed by a rerun: complete and identical to an
    uninterrupted run."""
    ref = reference(tmp)
    cases = [("sigterm-1rank", 1, signal.SIGTERM, ["--grace", "0"], 3),
             ("sigusr1-3ranks", 3, signal.SIGUSR1, [], 1)]
    for name, ranks, sig, extra, after in cases:
        d = os.path.join(tmp, name)
        os.makedirs(d)
        cmd = ([MPIEXEC, "-np", str(ranks)] if ranks > 1 else []) + [BIN, "run"] + extra + [TINY]
        rc, out, err = interrupted_run(cmd, d, sig, after=after)
        path = os.path.join(d, "results", "tiny.h5")
        results.expect(rc == 3, f"{name}: exit {rc}, expected 3\n{out}\n{err}")
        results.expect("run the same command again to resume" in err, f"{name}: stderr {err}")
        part = results.load(path)
        n = len(part["tasks"])
        results.expect(after <= n < 12, f"{name}: {n} tasks stored after the signal")
        results.expect(int(part["attrs"]["complete"]) == 0, f"{name}: marked complete")
        p = run(["-q", TINY], d, ranks=ranks)
        ok(p, f"{name}: resume")
        results.expect(f"{12 - n} run now" in p.stdout, f"{name}: resume ran\n{p.stdout}")
        results.check_study(path, **TINY_SHAPE)
        results.compare(ref, path)
        print(f"{name}: stopped with {n} of 12 stored; resumed; identical to the reference")


STUDY = os.path.join(SRC, "scripts", "study.sh")


def child_pid(parent, name):
    """The pid of parent's child process called name, or None."""
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as f:
                comm, rest = f.read().rsplit(")", 1)
            if int(rest.split()[1]) == parent and comm.endswith("(" + name):
                return int(pid)
        except (OSError, ValueError):
            continue
    return None


def to_process(sig, twice=False):
    def send(proc):
        os.kill(proc.pid, sig)
        if twice:  # one request delivered twice (scancel: rank 0 directly, then the batch shell)
            time.sleep(0.3)
            os.kill(proc.pid, sig)
    return send


def to_group(sig):  # a terminal's Ctrl-C: the whole foreground process group
    return lambda proc: os.killpg(proc.pid, sig)


def to_mpirun(sig):  # mpirun alone, under scripts/study.sh
    def send(proc):
        pid = child_pid(proc.pid, "mpirun")
        results.expect(pid is not None, "no mpirun under scripts/study.sh")
        os.kill(pid, sig)
    return send


def signalled(cmd, cwd, after, send):
    """Starts cmd in a session of its own, calls send(proc) once `after` results have been
    reported, returns (exit status, stdout, stderr)."""
    env = dict(os.environ, PS_BIN=BIN, PS_RANKS="3")
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)
    seen, lines = 0, []
    for line in proc.stdout:
        lines.append(line)
        seen += ": done," in line
        if seen == after:
            send(proc)
            break
    out, err = proc.communicate(timeout=300 * SCALE)
    return proc.returncode, "".join(lines) + out, err


def test_launchers(tmp):
    """Each launcher x signal of the table in `pairsweep run --help`: the status of the command
    run (pairsweep, scripts/study.sh, or mpirun itself), whether the running tasks finished
    (grace) or were lost, then a rerun: complete and identical to an uninterrupted run. (A
    bare mpirun sent SIGINT, SIGTERM or Ctrl-C: tests/hardening/signals.sh.)"""
    job12 = slower_tiny(tmp)
    ref = reference(tmp, job12)
    plain = [BIN, "run", "--lines"]
    study = ["bash", STUDY, job12, "--lines"]
    mpirun = [MPIEXEC, "-np", "3", BIN, "run", "--lines"]
    # name, command (the job and -o are added), send, status, grace honoured
    cases = [("plain-sigint", plain, to_process(signal.SIGINT), 3, True),
             ("plain-sigterm", plain, to_process(signal.SIGTERM), 3, True),
             ("mpirun-sigusr1-twice", mpirun, to_process(signal.SIGUSR1, twice=True), 3, True),
             ("study-ctrl-c", study, to_group(signal.SIGINT), 3, True),
             ("study-sigterm", study, to_process(signal.SIGTERM), 3, True),
             ("study-mpirun-sigint", study, to_mpirun(signal.SIGINT), 3, False),
             ("study-mpirun-sigterm", study, to_mpirun(signal.SIGTERM), 3, False)]
    for name, cmd, send, status, grace in cases:
        d = os.path.join(tmp, name)
        os.makedirs(os.path.join(d, "results"))
        path = os.path.join(d, "results", "tiny.h5")
        job = [] if cmd is study else [job12]
        rc, out, err = signalled(cmd + ["-o", path] + job, d, 1, send)
        results.expect(rc == status, f"{name}: exit {rc}, expected {status}\n{out}\n{err}")
        results.expect("stop requested" in out, f"{name}: no stop request\n{out}\n{err}")
        if grace:
            results.expect("run the same command again to resume" in err and
                           "given up" not in out + err, f"{name}: grace not honoured\n{out}\n{err}")
        n = len(results.load(path)["tasks"])
        # with the grace the file was closed cleanly and holds what ran; without it (mpirun
        # killed the ranks) what was stored may still be in the journal only: the resume
        # below must then replay it (and the result must equal the reference)
        low = 1 if grace else 0
        results.expect(low <= n < 12, f"{name}: {n} tasks in the file after the signal")
        p = run(["-q", "-o", path, job12], d, ranks=3)
        ok(p, f"{name}: resume")
        results.check_study(path, **dict(TINY_SHAPE, epochs=12))
        results.compare(ref, path)
        print(f"{name}: exit {rc}, {n} of 12 stored; resumed; identical to the reference")


def rank_pid(mpirun_pid, rank):
    """The pid of an MPI rank started by mpirun (its OMPI_COMM_WORLD_RANK)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != mpirun_pid:
                continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
            return int(pid)
    return None


def test_kill_worker(tmp):
    """SIGKILL of a worker in the middle of a 3-rank study (mpirun then ends the job): the
    rerun completes it, every task once, identical to an uninterrupted run."""
    ref = reference(tmp)
    d = os.path.join(tmp, "killed")
    os.makedirs(d)
    proc = subprocess.Popen([MPIEXEC, "-np", "3", BIN, "run", TINY], cwd=d,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = None
    for line in proc.stdout:
        if ": done," in line:
            killed = rank_pid(proc.pid, 2)
            results.expect(killed is not None, "rank 2 not found under mpirun")
            os.kill(killed, signal.SIGKILL)
            break
    proc.communicate(timeout=120 * SCALE)
    results.expect(proc.returncode != 0, "mpirun succeeded although a rank was killed")
    p = run(["-q", TINY], d, ranks=3)
    ok(p, "rerun after the kill")
    path = os.path.join(d, "results", "tiny.h5")
    results.check_study(path, **TINY_SHAPE)
    results.compare(ref, path)
    print(f"worker {killed} killed; rerun: {p.stdout.splitlines()[0]}")


def test_task_timeout(tmp):
    """A worker that stops answering (PS_TEST_HANG_TASK, test only: the rank that gets that
    task sleeps for good) under mpirun -np 3, with protocol.task_timeout 15: the task is
    stored as failed "timeout after 15 s on rank R", that rank gets no more work, the study
    completes on the other worker (exit 0, the file closed, then the MPI job ended)."""
    ref = results.load(reference(tmp))["tasks"]
    hang = ref[(ref.model == "resnet") & (ref.phase == 0) & (ref.grid == 0) &
               (ref.fold == 0)].task_id.iloc[0]
    d = os.path.join(tmp, "timeout")
    os.makedirs(d)
    job = os.path.join(d, "tiny.yaml")
    with open(TINY) as f:
        text = f.read()
    with open(job, "w") as f:
        f.write(text.replace("  folds: 2\n", "  folds: 2\n  task_timeout: 15\n"))
    env = dict(os.environ, PS_TEST_HANG_TASK=hang)
    t0 = time.time()
    p = subprocess.Popen([MPIEXEC, "-x", "PS_TEST_HANG_TASK", "-np", "3", BIN, "run", "-q", job],
                         cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    teardown = ""
    try:
        out, err = p.communicate(timeout=120 * SCALE)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        teardown = "hung"
    took = time.time() - t0
    results.expect("1 worker rank stopped answering" in err, f"stderr: {err}")
    # pairsweep has closed the file and called MPI_Abort(0) when it prints that line. Open MPI
    # 4.1.4's mpirun then crashes now and then while tearing the job down (about 1 run in 6 on
    # 2 loaded cores: "ORTE_ERROR_LOG: Data unpack would read past end of buffer in
    # show_help.c", a segfault in PMIx_server_finalize; seen once as a hang): that is
    # mpirun's bug, after every result is stored, so it is reported here and the file is
    # checked as usual. Either crash is recognised by its own message (the segfault by Open
    # MPI's backtrace through PMIx_server_finalize, seen alone in a CI run of the seventh
    # session: status -11); any other exit status fails.
    known = ("Data unpack would read past end of buffer" in err
             or "PMIx_server_finalize" in err)
    if p.returncode != 0 and known:
        teardown = f"crashed (status {p.returncode})"
    results.expect(p.returncode == 0 or teardown, f"exit {p.returncode}\n{out}\n{err}")
    if teardown:
        print(f"NOTE: mpirun {teardown} after pairsweep's MPI_Abort (Open MPI 4.1 teardown "
              "bug); the results file is checked as usual")
    tasks = results.load(os.path.join(d, "results", "tiny.h5"))["tasks"]
    failed = tasks[tasks.status == 2]
    results.expect(len(tasks) == 12 and len(failed) == 1, f"tasks:\n{tasks}")
    row = failed.iloc[0]
    results.expect(row.task_id == hang and row.reason.startswith("timeout after 15 s on rank "),
                   f"failed task: {row.task_id} {row.reason}")
    hung_rank = int(row.reason.split()[-1])
    rest = tasks[tasks.task_id != hang]
    results.expect((rest.status == 0).all(), f"other tasks:\n{rest}")
    st = subprocess.run([BIN, "status", os.path.join(d, "results", "tiny.h5")],
                        capture_output=True, text=True)
    results.expect("timeout after 15 s" in st.stdout and "complete" in st.stdout,
                   f"status:\n{st.stdout}")
    print(f"task {hang} hung on rank {hung_rank}: failed (timeout); study complete in "
          f"{took:.0f} s")


def test_refuse(tmp):
    """Another job's file is refused (exit 2, file untouched) unless --restart."""
    ref = reference(tmp)
    d = os.path.dirname(os.path.dirname(ref))
    other = os.path.join(tmp, "other.yaml")
    with open(TINY) as f:
        text = f.read().replace("seed: 42", "seed: 43")
    with open(other, "w") as f:
        f.write(text)
    before = open(ref, "rb").read()
    p = run(["-q", "-o", ref, other], d)
    results.expect(p.returncode == 2, f"exit {p.returncode}\n{p.stderr}")
    results.expect(len(p.stderr.strip().splitlines()) == 1 and "restart" in p.stderr,
                   f"stderr: {p.stderr}")
    results.expect(open(ref, "rb").read() == before, "the refused file changed")
    ok(run(["-q", "--restart", "-o", ref, other], d), "--restart")
    r = results.load(ref)
    results.expect(len(r["tasks"]) == 12 and int(r["attrs"]["complete"]) == 1, "restarted file")


def test_shards_deadline_dry(tmp):
    """--shard 1/2 + 2/2 hold the full run's tasks between them, identical; --deadline that
    nothing fits stops at once (exit 3); --dry-run prints the plan and writes nothing."""
    ref = reference(tmp)
    full = results.load(ref)["tasks"].set_index("task_id")
    d = os.path.join(tmp, "shards")
    os.makedirs(d)
    ids = set()
    for i in (1, 2):
        ok(run(["-q", "--shard", f"{i}/2", TINY], d), f"shard {i}/2")
        s = results.load(os.path.join(d, "results", f"tiny.shard{i}-of-2.h5"))["tasks"]
        s = s.set_index("task_id")
        results.expect(not ids & set(s.index), "a task in both shards")
        ids |= set(s.index)
        cols = ["model", "grid", "fold", "rep", "seed", "status", "eval_acc", "train_loss"]
        results.expect((s[cols] == full.loc[s.index, cols]).all().all(), f"shard {i} differs")
    results.expect(ids == set(full.index), "the shards do not cover the study")
    p = run(["--shard", "3/2", TINY], d)
    results.expect(p.returncode == 2 and "--shard" in p.stderr, f"--shard 3/2: {p.stderr}")
    p = run(["--shard", "1/3", TINY], d)
    results.expect(p.returncode == 2 and "shards" in p.stderr, f"--shard 1/3: {p.stderr}")

    d = os.path.join(tmp, "deadline")
    os.makedirs(d)
    p = run(["-q", "--deadline", "2", "--rate", "0.001", TINY], d)
    results.expect(p.returncode == 3 and "deadline" in p.stderr, f"deadline: {p.returncode} "
                   f"{p.stderr}")
    results.expect(len(results.load(os.path.join(d, "results", "tiny.h5"))["tasks"]) == 0,
                   "a task started that could not finish")
    ok(run(["-q", "--deadline", "10:00", TINY], d), "a deadline that fits")
    # under SLURM the job's end time is the deadline
    d = os.path.join(tmp, "slurm-end")
    os.makedirs(d)
    env = dict(os.environ, SLURM_JOB_ID="1", SLURM_JOB_END_TIME=str(int(time.time()) + 5))
    p = subprocess.run([BIN, "run", "-q", "--rate", "0.001", TINY], cwd=d, env=env,
                       capture_output=True, text=True, timeout=120 * SCALE)
    results.expect(p.returncode == 3 and "deadline" in p.stderr,
                   f"SLURM_JOB_END_TIME: {p.returncode} {p.stderr}")

    d = os.path.join(tmp, "dry")
    os.makedirs(d)
    p = run(["--dry-run", TINY], d)
    ok(p, "--dry-run")
    for want in ("siamese_aux", "resnet", "12 tasks", "core-hours", "sbatch -n"):
        results.expect(want in p.stdout, f"--dry-run output lacks '{want}':\n{p.stdout}")
    results.expect(os.listdir(d) == [], "--dry-run wrote files")


def test_diverge(tmp):
    """A grid point whose tasks diverge: its rows say so (with the reason), it is not chosen,
    the study goes on and completes."""
    job = os.path.join(tmp, "diverge.yaml")
    with open(job, "w") as f:
        f.write("name: diverge\nseed: 1\nepochs: 2\ndata: {n_train: 200, n_test: 200}\n"
                "protocol: {folds: 2, final: {seeds: 1}}\nmodels:\n"
                "  - name: siamese_aux\n"
                "    grid: {batch_size: 20, lr: [10, 0.001], momentum: 0.99}\n")
    p = run([job], tmp)
    ok(p, "diverging study")
    results.expect("2 diverged" in p.stdout, f"summary:\n{p.stdout}")
    r = results.load(os.path.join(tmp, "results", "diverge.h5"))
    t, sel = r["tasks"], r["selection"]
    bad = t[(t.phase == 0) & (t.grid == 0)]
    results.expect(len(bad) == 2 and (bad.status == 1).all(), f"grid 0 rows:\n{bad}")
    results.expect(bad.reason.str.contains("not finite").all(), f"reasons: {list(bad.reason)}")
    good = t[t.grid == 1]
    results.expect(len(good) == 3 and (good.status == 0).all(), f"grid 1 rows:\n{good}")
    results.expect(list(sel.grid) == [1], f"selection {list(sel.grid)}")
    results.expect(int(r["attrs"]["complete"]) == 1, "not complete")


def test_holdout(tmp):
    """Report 002's protocol on a small scale: a holdout split × repetitions, two models in one
    group, a step schedule; only the group's best setup goes to the final phase."""
    job = os.path.join(tmp, "holdout.yaml")
    with open(job, "w") as f:
        f.write("name: holdout\nseed: 5\nepochs: 3\ndata: {n_train: 300, n_test: 200}\n"
                "schedule: {kind: step, step_epoch: 2, gamma: 0.1}\n"
                "protocol: {kind: holdout, holdout: 100, repetitions: 3, "
                "final: {seeds: 2, best: 1}}\nmodels:\n"
                "  - {name: indep_A1_k3, group: small, grid: {batch_size: 25, lr: 0.05}}\n"
                "  - {name: shared_A1_k3, group: small, grid: {batch_size: 25, lr: 0.05}}\n")
    ok(run(["-q", job], tmp), "holdout study")
    r = results.load(os.path.join(tmp, "results", "holdout.h5"))
    t, sel = r["tasks"], r["selection"]
    s = t[t.phase == 0]
    results.expect(len(s) == 6 and (s.fold == -1).all() and sorted(s.rep) == [0, 0, 1, 1, 2, 2],
                   f"selection rows:\n{s}")
    results.expect((s.groupby("rep").seed.nunique() == 1).all() and s.seed.nunique() == 3,
                   "a repetition's seed is not shared by the models")
    means = s.groupby("model").eval_acc.mean().reindex(["indep_A1_k3", "shared_A1_k3"])
    best = means.idxmax()  # ties: the earlier model of the job
    f = t[t.phase == 1]
    results.expect(len(f) == 2 and (f.model == best).all(), f"final rows {list(f.model)}, "
                   f"means {dict(means)}")
    results.expect(sorted(sel.model) == ["indep_A1_k3", "shared_A1_k3"], f"selection {sel}")
    g = r["grid"]
    results.expect((g.lr_step_epoch == 2).all() and (abs(g.lr_step_gamma - 0.1) < 1e-7).all(),
                   f"grid schedule:\n{g}")
    results.expect(int(r["attrs"]["complete"]) == 1, "not complete")


# Bad job files: (name, text or bytes, line the error names, phrase it contains).
MODEL = "models:\n  - name: resnet\n"
BAD = [
    ("syntax", "models: [\n  {name: resnet\n", 3, "not valid YAML"),
    ("unknown-key", "name: x\nepoch: 3\n" + MODEL, 2, "unknown key 'epoch'"),
    ("unknown-grid-key", MODEL + "    grid: {lr: 0.1, learning_rate: 1}\n", 3,
     "unknown key 'learning_rate'"),
    ("wrong-type", "epochs: many\n" + MODEL, 1, "epochs: expected an integer"),
    ("wrong-type-list", "data: {n_train: [1, 2]}\n" + MODEL, 1, "n_train: expected an integer"),
    ("missing-models", "name: x\nepochs: 3\n", 1, "missing required key 'models'"),
    ("missing-name", "models:\n  - grid: {lr: 0.1}\n", 2, "missing required key 'name'"),
    ("unknown-model", "epochs: 2\nmodels:\n  - name: resnet\n  - name: lenet5\n", 4,
     "unknown model"),
    ("empty-grid", MODEL + "    grid:\n      lr: []\n", 4, "empty grid"),
    ("epochs-0", "epochs: 0\n" + MODEL, 1, "epochs: expected an integer in 1..10000, got 0"),
    ("batch-too-big", "data: {n_train: 500}\n" + MODEL + "    grid: {batch_size: [50, 450]}\n", 4,
     "larger than the 400 training pairs"),
    ("lr-0", MODEL + "    grid: {lr: [0.1, 0]}\n", 3, "lr: expected a number > 0"),
    ("lr-negative", MODEL + "    grid: {lr: -1}\n", 3, "lr: expected a number > 0"),
    ("folds-1", "protocol: {kind: kfold, folds: 1}\n" + MODEL, 1, "folds: expected an integer in 2"),
    ("duplicate-model", MODEL + "  - name: cnn\n  - name: resnet\n", 4, "already listed at line 2"),
    ("duplicate-value", MODEL + "    grid: {batch_size: [50, 50]}\n", 3, "given twice"),
    ("bn-not-switchable", MODEL + "    grid: {bn: [true, false]}\n", 3,
     "cannot switch BatchNorm"),
    ("aux-without-aux-loss", MODEL + "    grid: {aux_weight: [0.5, 1]}\n", 3,
     "no auxiliary loss"),
    ("too-many-grid-points", MODEL + "    grid: {lr: [" + ", ".join(
        str(0.001 * (i + 1)) for i in range(64)) + "], batch_size: [" + ", ".join(
        str(i + 1) for i in range(64)) + "], momentum: [" + ", ".join(
        str(0.01 * i) for i in range(64)) + "]}\n", 2, "262144 grid points"),
    # top-level keys after models: are read like those before it; a repeated key anywhere is
    # refused, naming its first use
    ("key-after-models", MODEL + "epochs: 0\n", 3, "epochs: expected an integer in 1..10000"),
    ("duplicate-key-after-models", "epochs: 3\n" + MODEL + "epochs: 50\n", 4,
     "duplicate key 'epochs' (first at line 1)"),
    ("duplicate-protocol", "protocol: {folds: 2}\n" + MODEL + "protocol:\n  folds: 3\n", 4,
     "duplicate key 'protocol' (first at line 1)"),
    ("duplicate-nested-key", MODEL + "    grid: {lr: 0.1,\n      lr: 0.2}\n", 4,
     "duplicate key 'lr' (first at line 3)"),
    ("empty", "", 1, "empty job file"),
    ("comments-only", "# nothing\n", 1, "empty job file"),
    ("binary", b"\x89HDF\r\n\x1a\n\x00\x00\x00\x00\x00\x08\x08\x00", 2, "not a text file"),
]


def test_bad_jobs(tmp):
    """Each bad job file: exit 2, one line on stderr naming FILE:LINE and what was expected,
    no file written."""
    for name, text, line, phrase in BAD:
        d = os.path.join(tmp, name)
        os.makedirs(d)
        path = os.path.join(d, name + ".yaml")
        with open(path, "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode())
        p = run([path], d)
        err = p.stderr.strip().splitlines()
        results.expect(p.returncode == 2, f"{name}: exit {p.returncode}\n{p.stderr}")
        results.expect(len(err) == 1, f"{name}: {len(err)} lines on stderr:\n{p.stderr}")
        results.expect(f"{path}:{line}: " in err[0] and phrase in err[0],
                       f"{name}: '{err[0]}' lacks '{path}:{line}: ...{phrase}'")
        results.expect(os.listdir(d) == [name + ".yaml"], f"{name}: files written "
                       f"{os.listdir(d)}")
        print(f"{name:22s} {err[0].replace(path, 'JOB')}")
    # a plan beyond the bounds (issue 16): refused from the job alone, in --dry-run too
    huge = os.path.join(tmp, "huge.yaml")
    with open(huge, "w") as f:
        f.write("epochs: 1\nprotocol: {folds: 2, final: {seeds: 10000, best: 64}}\nmodels:\n")
        for m in ("cnn", "resnet", "siamese", "siamese_aux"):
            f.write(f"  - name: {m}\n    grid: {{lr: [" +
                    ", ".join(str(0.001 * (k + 1)) for k in range(64)) + "]}\n")
    for dry in (["--dry-run"], []):
        p = run(dry + [huge], tmp)
        results.expect(p.returncode == 2 and p.stderr.count("\n") == 1 and
                       "a plan of 2560512 tasks (512 selection, up to 2560000 final)" in p.stderr
                       and "expected at most 1000000 tasks and 64 GiB" in p.stderr,
                       f"plan too big {dry}: {p.returncode} {p.stderr}")
        results.expect(not os.path.exists(os.path.join(tmp, "results", "huge.h5")),
                       f"plan too big {dry}: results file written")
    # a journal path that is not a regular file is refused before anything is written
    # (status 2, bad input): no results file behind
    d = os.path.join(tmp, "failed-start")
    os.makedirs(os.path.join(d, "results", "tiny.h5.journal"))
    p = run([TINY], d)
    results.expect(p.returncode == 2 and "tiny.h5.journal" in p.stderr,
                   f"failed start: {p.returncode} {p.stderr}")
    results.expect(os.listdir(os.path.join(d, "results")) == ["tiny.h5.journal"],
                   f"failed start left {os.listdir(os.path.join(d, 'results'))}")
    missing = os.path.join(tmp, "no-such.yaml")
    p = run([missing], tmp)
    results.expect(p.returncode == 2 and p.stderr.count("\n") == 1 and missing in p.stderr,
                   f"missing file: {p.returncode} {p.stderr}")
    p = run(["--bogus", TINY], tmp)
    results.expect(p.returncode == 2 and "--bogus" in p.stderr, f"bad option: {p.stderr}")
    p = run(["--deadline", "soon", TINY], tmp)
    results.expect(p.returncode == 2 and "--deadline" in p.stderr, f"bad number: {p.stderr}")
    p = run([], tmp)
    results.expect(p.returncode == 2 and "missing JOB.yaml" in p.stderr, f"no job: {p.stderr}")


TESTS = {"tiny": test_tiny, "interrupt": test_interrupt, "launchers": test_launchers, "refuse": test_refuse,
         "diverge": test_diverge, "kill_worker": test_kill_worker, "holdout": test_holdout,
         "shards_deadline_dry": test_shards_deadline_dry, "bad_jobs": test_bad_jobs,
         "task_timeout": test_task_timeout}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TESTS:
        sys.exit(f"usage: e2e.py {{{'|'.join(TESTS)}}} [MPIEXEC]")
    if len(sys.argv) > 2:
        MPIEXEC = sys.argv[2]
    if not os.path.isdir(os.environ.get("PS_MNIST_DIR", os.path.join(SRC, "data", "mnist"))):
        sys.exit("e2e: MNIST is missing: run scripts/setup.sh (PS_MNIST_DIR)")
    tmp = tempfile.mkdtemp(prefix="ps-sweep-")
    try:
        TESTS[sys.argv[1]](tmp)
    except results.Failed as e:
        print(f"FAIL {sys.argv[1]}: {e}")
        sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"ok   {sys.argv[1]}")
