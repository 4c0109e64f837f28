/* pairsweep — tests of the results store: write_run, the study file round trip, resume,
 * refusals, merge, a full disk and (as root) tmpfs limits. Big checkpoints (tens of MiB, the
 * image grown by mremap). Crash kills, the torn journal and
 * group commit are in test_store_crash.c. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "pairsweep/store.h"
#include "test_store_fixture.h"

static void test_write_run(void)
{
    ps_train_config cfg;
    memset(&cfg, 0, sizeof cfg);
    strcpy(cfg.model, "cnn");
    cfg.epochs = 5;
    cfg.lr = 0.05f;
    cfg.seed = 12345678901234ull;
    ps_train_result r;
    fixture_result(&r, 5, 0.8f, 0.1f, 0);
    for (int e = 0; e < 5; e++) {
        r.train_loss[e] = 0.0f + 0.5f * (float)e;
        r.train_acc[e] = 1.0f + 0.5f * (float)e;
        r.eval_loss[e] = 2.0f + 0.5f * (float)e;
        r.eval_acc[e] = 3.0f + 0.5f * (float)e;
    }
    ps_err err = {0};
    const char *p = tpath("run.h5");
    CHECK_EQ_INT(ps_store_write_run(p, &cfg, &r, &err), 0);
    CHECK(access(tpath("run.h5.tmp"), F_OK) != 0);
    char args[600];
    snprintf(args, sizeof args, "%s 5", p);
    CHECK_EQ_INT(fixture_python("check_run_file.py", args), 0);
    /* overwrite works; a missing directory is one clear error */
    CHECK_EQ_INT(ps_store_write_run(p, &cfg, &r, &err), 0);
    CHECK(ps_store_write_run(tpath("nodir/run.h5"), &cfg, &r, &err) < 0);
    CHECK_STR_CONTAINS(err.msg, "does not exist");
    fixture_result_free(&r);
}

static void test_roundtrip(void)
{
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, N_PLAN);
    ps_err err = {0};
    ps_store *s;
    const char *p = tpath("rt.h5");
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), 0);
    ps_store_grid_row g[4];
    memset(g, 0, sizeof g);
    for (int i = 0; i < 4; i++) {
        strcpy(g[i].model, i < 2 ? "cnn" : "siamese");
        g[i].grid = i % 2;
        g[i].batch_size = 100;
        g[i].lr = i % 2 ? 0.01f : 0.1f;
        g[i].epochs = 25;
    }
    CHECK_EQ_INT(ps_store_write_grid(s, g, 4, &err), 0);
    ps_store_model_row mr[2];
    memset(mr, 0, sizeof mr);
    strcpy(mr[0].model, "cnn"); strcpy(mr[0].arch, "conv32-conv64-fc25"); mr[0].params = 59373;
    strcpy(mr[1].model, "siamese"); strcpy(mr[1].arch, "shared conv16-conv32"); mr[1].params = 46033;
    CHECK_EQ_INT(ps_store_write_models(s, mr, 2, &err), 0);
    for (int i = 0; i < N_PLAN; i++) {
        int rc;
        add_plan_result(s, i, &err, &rc);
        CHECK_EQ_INT(rc, 0);
    }
    ps_store_selection sel = {"cnn", 1, 0.81f, 0.02f, 3};
    CHECK_EQ_INT(ps_store_set_selection(s, &sel, &err), 0);
    sel.cv_mean = 0.82f; /* replaces */
    CHECK_EQ_INT(ps_store_set_selection(s, &sel, &err), 0);
    CHECK_EQ_INT(ps_store_close(s, 1, &err), 0);
    CHECK(access(tpath("rt.h5.journal"), F_OK) != 0);

    ps_results r;
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
    CHECK_EQ_INT(r.n_rows, N_PLAN);
    CHECK_EQ_INT(r.complete, 1);
    CHECK_EQ_INT(r.planned_tasks, N_PLAN);
    CHECK_EQ_INT(r.n_grid, 4);
    CHECK_EQ_INT(r.n_models, 2);
    CHECK_EQ_INT(r.models[0].params, 59373);
    CHECK_EQ_INT(r.n_sel, 1);
    CHECK_NEAR(r.sel[0].cv_mean, 0.82, 1e-7);
    CHECK_EQ_INT(r.epochs_max, 6);
    CHECK(!strcmp(r.job_text, JOB_A));
    CHECK_EQ_INT(r.rows[5].status, PS_TASK_DIVERGED);
    CHECK_STR_CONTAINS(r.rows[5].reason, "NaN");
    for (int i = 0; i < N_PLAN; i++) {
        ps_task t;
        plan_task(&t, i);
        CHECK(!strcmp(r.rows[i].task_id, t.id));
        CHECK_EQ_INT(r.rows[i].epochs, 4 + i % 3);
        int ep = 4 + i % 3;
        if (i != 5)
            CHECK_NEAR(r.eval_acc[(size_t)i * 6 + (size_t)ep - 1], 0.7f + 0.01f * (float)i, 1e-6);
        if (i != 5)
            CHECK_NEAR(r.rows[i].eval_acc, r.eval_acc[(size_t)i * 6 + (size_t)ep - 1], 0);
        if (ep < 6)
            CHECK(isnan(r.train_loss[(size_t)i * 6 + 5]));
    }
    ps_results_free(&r);
    char args[600];
    snprintf(args, sizeof args, "%s %d", p, N_PLAN);
    CHECK_EQ_INT(fixture_python("check_store_layout.py", args), 0);
}

static void test_resume(void)
{
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, N_PLAN);
    ps_err err = {0};
    ps_store *s;
    const char *p = tpath("resume.h5");
    int rc;
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), 0);
    for (int i = 0; i < 3; i++) {
        add_plan_result(s, i, &err, &rc);
        CHECK_EQ_INT(rc, 0);
    }
    CHECK_EQ_INT(ps_store_close(s, 0, &err), 0);
    m.ranks = 7;
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), 0);
    ps_store_row *rows;
    int32_t n;
    CHECK_EQ_INT(ps_store_rows(s, &rows, &n, &err), 0);
    CHECK_EQ_INT(n, 3);
    free(rows);
    add_plan_result(s, 1, &err, &rc);
    CHECK_EQ_INT(rc, PS_ESTATE);
    CHECK_STR_CONTAINS(err.msg, "already stored");
    add_plan_result(s, 3, &err, &rc);
    CHECK_EQ_INT(rc, 0);
    /* a second writer of the same study is refused while the first holds it */
    ps_store *s2;
    pid_t pid = fork();
    if (pid == 0)
        _exit(ps_store_open(&s2, p, &m, 0, &err) == PS_ESTATE ? 0 : 1);
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_EQ_INT(ps_store_close(s, 0, &err), 0);
    ps_results r;
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
    CHECK_EQ_INT(r.n_rows, 4);
    CHECK_EQ_INT(r.complete, 0);
    CHECK_EQ_INT(r.ranks, 7);
    ps_results_free(&r);
}

/* Reads p and checks its `stopped` text and how many rows come from the journal. */
static void check_stopped(const char *p, const char *want, int32_t n_rows, int32_t n_journal)
{
    ps_results r;
    ps_err err = {0};
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
    CHECK_STR_CONTAINS(r.stopped, want);
    CHECK_EQ_INT((long long)strlen(r.stopped), (long long)strlen(want));
    CHECK_EQ_INT(r.n_rows, n_rows);
    CHECK_EQ_INT(r.n_journal, n_journal);
    ps_results_free(&r);
}

/* ps_store_mark_stopped: the reason is durable at once (a writer killed right after it, before
 * its close, leaves it in the journal for readers); the close writes it to the root attribute
 * `stopped`; a resumed run clears it, and so does a complete close. */
static void test_stopped(void)
{
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, N_PLAN);
    ps_err err = {0};
    ps_store *s;
    const char *p = tpath("stopped.h5");
    int rc;
    pid_t pid = fork();
    if (pid == 0) { /* the writer, "killed" after the mark: it exits without closing */
        if (ps_store_open(&s, p, &m, 0, &err))
            _exit(1);
        add_plan_result(s, 0, &err, &rc);
        _exit(rc || ps_store_mark_stopped(s, "stopped by a signal", &err) ? 1 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    check_stopped(p, "stopped by a signal", 1, 1);
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), 0); /* resumed: cleared */
    check_stopped(p, "", 1, 0);
    add_plan_result(s, 1, &err, &rc);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(ps_store_mark_stopped(s, "stopped at its deadline", &err), 0);
    CHECK_EQ_INT(ps_store_close(s, 0, &err), 0);
    check_stopped(p, "stopped at its deadline", 2, 0);
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), 0);
    CHECK_EQ_INT(ps_store_close(s, 1, &err), 0);
    check_stopped(p, "", 2, 0);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_refusals(void)
{
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, N_PLAN);
    ps_err err = {0};
    ps_store *s;
    const char *p = tpath("ref.h5");
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), 0);
    CHECK_EQ_INT(ps_store_close(s, 0, &err), 0);
    ps_store_meta mb;
    fixture_meta(&mb, "fixture", JOB_B, N_PLAN);
    CHECK_EQ_INT(ps_store_open(&s, p, &mb, 0, &err), PS_ESTATE);
    CHECK_STR_CONTAINS(err.msg, p);
    CHECK_STR_CONTAINS(err.msg, "another job");
    CHECK_STR_CONTAINS(err.msg, "--restart");
    CHECK_EQ_INT(ps_store_open(&s, p, &mb, 1, &err), 0); /* --restart replaces it */
    CHECK_EQ_INT(ps_store_close(s, 0, &err), 0);
    ps_results r;
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
    CHECK(!strcmp(r.job_text, JOB_B));
    ps_results_free(&r);
    /* not HDF5 */
    const char *t = tpath("text.h5");
    write_text(t, "hello, not an HDF5 file\n");
    CHECK_EQ_INT(ps_store_open(&s, t, &m, 0, &err), PS_ESTATE);
    CHECK_STR_CONTAINS(err.msg, "not a pairsweep results file");
    CHECK_EQ_INT(ps_results_read(&r, t, &err), PS_EFORMAT);
    CHECK_STR_CONTAINS(err.msg, "not an HDF5 file");
    /* HDF5 but not a study file (a `train --save` file) */
    ps_train_config cfg;
    memset(&cfg, 0, sizeof cfg);
    strcpy(cfg.model, "cnn");
    ps_train_result tr;
    fixture_result(&tr, 3, 0.8f, 0.1f, 0);
    const char *h = tpath("other.h5");
    CHECK_EQ_INT(ps_store_write_run(h, &cfg, &tr, &err), 0);
    fixture_result_free(&tr);
    CHECK_EQ_INT(ps_results_read(&r, h, &err), PS_EFORMAT);
    CHECK_STR_CONTAINS(err.msg, "not a pairsweep results file");
    CHECK_EQ_INT(ps_store_open(&s, h, &m, 0, &err), PS_ESTATE);
    CHECK_STR_CONTAINS(err.msg, "not a pairsweep results file");
    /* missing file, missing directory, a file where a directory should be */
    CHECK(ps_results_read(&r, tpath("missing.h5"), &err) < 0);
    CHECK_STR_CONTAINS(err.msg, "does not exist");
    CHECK_EQ_INT(ps_store_open(&s, tpath("nodir/x.h5"), &m, 0, &err), PS_EIO);
    CHECK_STR_CONTAINS(err.msg, "does not exist");
    CHECK_EQ_INT(ps_store_open(&s, tpath("text.h5/x.h5"), &m, 0, &err), PS_EIO);
    CHECK_STR_CONTAINS(err.msg, "not a directory");
    if (geteuid() != 0) { /* root writes into read-only directories anyway */
        const char *ro = tpath("ro");
        mkdir(ro, 0555);
        char f[600];
        snprintf(f, sizeof f, "%s/x.h5", ro);
        CHECK_EQ_INT(ps_store_open(&s, f, &m, 0, &err), PS_EIO);
        CHECK_STR_CONTAINS(err.msg, "not writable");
    }
}

/* A child writes results with the file size limited (SIGXFSZ ignored, so writes fail with
 * EFBIG like on a full disk); it reports on a pipe how many results were acknowledged. */
static void test_full_disk(void)
{
    const char *p = tpath("full.h5");
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {300000, 300000};
        setrlimit(RLIMIT_FSIZE, &rl);
        ps_store_meta m;
        fixture_meta(&m, "fixture", JOB_A, 1000);
        ps_err err = {0};
        ps_store *s;
        int rc = ps_store_open(&s, p, &m, 0, &err);
        int acked = 0;
        if (!rc) {
            ps_store_set_checkpoint(s, 4, 0);
            for (int i = 0; i < 1000 && !rc; i++) {
                ps_task t;
                fixture_task(&t, PS_PHASE_FINAL, "cnn", 0, 0, -1, i);
                ps_train_result r;
                fixture_result(&r, 25, 0.8f, 0.1f, (unsigned)i);
                rc = ps_store_add(s, &t, &r, 1, &err);
                fixture_result_free(&r);
                if (!rc || strstr(err.msg, "kept in"))
                    acked++; /* a failed checkpoint keeps the result in the journal */
            }
        }
        dprintf(fds[1], "%d %d %s\n", acked, rc, err.msg);
        _exit(0);
    }
    close(fds[1]);
    char buf[1024] = "";
    ssize_t k = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    waitpid(pid, NULL, 0);
    CHECK(k > 0);
    buf[k] = 0;
    int acked = -1, rc = 0;
    sscanf(buf, "%d %d", &acked, &rc);
    printf("  full disk: %s", buf);
    CHECK(rc == PS_EIO);
    CHECK(strstr(buf, "disk is full") != NULL);
    CHECK(acked > 4);
    ps_results r;
    ps_err err = {0};
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
    CHECK_EQ_INT(r.n_rows, acked);
    ps_results_free(&r);
    /* and with space again, the study resumes with every acknowledged result */
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, 1000);
    ps_store *s;
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), 0);
    ps_store_row *rows;
    int32_t n;
    CHECK_EQ_INT(ps_store_rows(s, &rows, &n, &err), 0);
    free(rows);
    CHECK_EQ_INT(n, acked);
    CHECK_EQ_INT(ps_store_close(s, 0, &err), 0);
}

/* Writes plan tasks [from, to) into a shard; with killed != 0 the writer dies (no close, no
 * checkpoint) so that its results are only in the journal. */
static void write_shard(const char *p, const char *job, int from, int to, int killed)
{
    pid_t pid = fork();
    if (pid == 0) {
        ps_store_meta m;
        fixture_meta(&m, "fixture", job, N_PLAN);
        ps_err err = {0};
        ps_store *s;
        if (ps_store_open(&s, p, &m, 0, &err))
            _exit(3);
        ps_store_set_checkpoint(s, 1000, 0);
        int rc = 0;
        for (int i = from; i < to && !rc; i++)
            add_plan_result(s, i, &err, &rc);
        if (killed)
            _exit(rc ? 3 : 0);
        ps_store_selection sel = {"cnn", 1, 0.8f, 0.01f, 3};
        rc = rc ? rc : ps_store_set_selection(s, &sel, &err);
        _exit(rc || ps_store_close(s, 0, &err) ? 3 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st))
        fprintf(stderr, "write_shard %s failed\n", p);
}

static void test_merge(void)
{
    const char *a = tpath("shard_a.h5"), *b = tpath("shard_b.h5"), *c = tpath("shard_c.h5");
    write_shard(a, JOB_A, 0, 12, 0);
    write_shard(b, JOB_A, 8, N_PLAN, 1); /* overlaps a on 8..11; only a journal */
    CHECK(access(tpath("shard_b.h5.journal"), F_OK) == 0);
    write_shard(c, JOB_B, 0, 3, 0);
    const char *out = tpath("merged.h5");
    const char *shards[3] = {a, b, c};
    ps_err err = {0};
    int32_t n = 0;
    int mrc = ps_store_merge(out, shards, 2, &n, &err);
    if (mrc)
        fprintf(stderr, "merge: %s\n", err.msg);
    CHECK_EQ_INT(mrc, 0);
    CHECK_EQ_INT(n, N_PLAN);
    ps_results r;
    CHECK_EQ_INT(ps_results_read(&r, out, &err), 0);
    CHECK_EQ_INT(r.n_rows, N_PLAN);
    CHECK_EQ_INT(r.n_journal, 0);
    CHECK_EQ_INT(r.n_sel, 1);
    CHECK_EQ_INT(r.complete, 1); /* planned_tasks rows present */
    for (int i = 0; i < N_PLAN; i++) {
        ps_task t;
        plan_task(&t, i);
        CHECK(!strcmp(r.rows[i].task_id, t.id));
        if (i != 5)
            CHECK_NEAR(r.eval_acc[(size_t)i * (size_t)r.epochs_max + (size_t)r.rows[i].epochs - 1],
                       0.7f + 0.01f * (float)i, 1e-6);
    }
    ps_results_free(&r);
    char args[600];
    snprintf(args, sizeof args, "%s %d", out, N_PLAN);
    CHECK_EQ_INT(fixture_python("check_merged.py", args), 0);
    /* shards of different jobs are refused, naming the odd one; nothing is written */
    const char *bad[2] = {a, c};
    CHECK_EQ_INT(ps_store_merge(tpath("bad.h5"), bad, 2, &n, &err), PS_ESTATE);
    CHECK_STR_CONTAINS(err.msg, c);
    CHECK_STR_CONTAINS(err.msg, "another job");
    CHECK(access(tpath("bad.h5"), F_OK) != 0);
}

/* As root with mount(8) available: a read-only filesystem and a full one (a 512 KiB tmpfs). */
static void test_tmpfs_limits(void)
{
    if (geteuid() != 0) {
        printf("  (skipped: needs root for mount)\n");
        return;
    }
    const char *ro = tpath("ro_mnt"), *full = tpath("full_mnt");
    mkdir(ro, 0755);
    mkdir(full, 0755);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o ro,size=64k tmpfs %s 2>/dev/null && "
             "mount -t tmpfs -o size=512k tmpfs %s 2>/dev/null", ro, full);
    if (system(cmd) != 0) {
        printf("  (skipped: mount is not permitted here)\n");
        snprintf(cmd, sizeof cmd, "umount %s %s 2>/dev/null", ro, full);
        if (system(cmd)) { /* nothing to undo */ }
        return;
    }
    /* the writes run in a child, so that whatever happens to it the mounts are undone */
    int fds[2];
    if (pipe(fds) != 0)
        fds[0] = fds[1] = -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        ps_store_meta m;
        fixture_meta(&m, "fixture", JOB_A, 1000);
        ps_err err = {0};
        ps_store *s;
        char p[700];
        snprintf(p, sizeof p, "%s/x.h5", ro);
        int rc_ro = ps_store_open(&s, p, &m, 0, &err);
        dprintf(fds[1], "%d %s\n", rc_ro, err.msg);
        snprintf(p, sizeof p, "%s/x.h5", full);
        int acked = 0, rc = ps_store_open(&s, p, &m, 0, &err);
        if (!rc) {
            ps_store_set_checkpoint(s, 5, 0);
            for (int i = 0; i < 1000 && !rc; i++) {
                ps_task t;
                fixture_task(&t, PS_PHASE_FINAL, "cnn", 0, 0, -1, i);
                ps_train_result r;
                fixture_result(&r, 25, 0.8f, 0.1f, (unsigned)i);
                rc = ps_store_add(s, &t, &r, 1, &err);
                fixture_result_free(&r);
                acked += !rc || strstr(err.msg, "kept in") != NULL;
            }
            ps_store_close(s, -1, NULL); /* give up, as the program would after the error */
        }
        ps_results res;
        ps_err e2 = {0};
        int rr = ps_results_read(&res, p, &e2);
        dprintf(fds[1], "%d %d %d %d %s\n", rc, acked, rr, rr ? -1 : (int)res.n_rows, err.msg);
        if (!rr)
            ps_results_free(&res);
        exit(0); /* a normal exit: HDF5's shutdown runs too */
    }
    close(fds[1]);
    char out[2048] = "";
    size_t got = 0;
    ssize_t k;
    while (fds[0] >= 0 && (k = read(fds[0], out + got, sizeof out - 1 - got)) > 0)
        got += (size_t)k;
    out[got] = 0;
    close(fds[0]);
    int st = -1;
    waitpid(pid, &st, 0);
    snprintf(cmd, sizeof cmd, "umount %s %s", ro, full);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot unmount %s, %s\n", ro, full);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    int rc_ro = 0, rc = 0, acked = 0, rr = -1, nr = -2;
    char *line2 = strchr(out, '\n');
    CHECK(line2 != NULL);
    sscanf(out, "%d", &rc_ro);
    sscanf(line2 + 1, "%d %d %d %d", &rc, &acked, &rr, &nr);
    printf("  tmpfs: %s", out);
    CHECK_EQ_INT(rc_ro, PS_EIO);
    CHECK(strstr(out, "not writable") != NULL);
    CHECK_EQ_INT(rc, PS_EIO);
    CHECK(strstr(line2, "disk is full") != NULL);
    CHECK(acked > 5);
    CHECK_EQ_INT(rr, 0);
    CHECK_EQ_INT(nr, acked);
}

/* Checkpoints of a file of tens of MiB: the in-memory image (an anonymous mapping grown by
 * mremap, h5io.c) grows from 4 MiB through several doublings within each checkpoint, and
 * every result's weights must come back whole (checked with h5py). */
#define BIG_N 12
#define BIG_COUNT (1280 * 1024) /* floats per result: 5 MiB */
static void test_big_checkpoints(void)
{
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, BIG_N);
    ps_err err = {0};
    ps_store *s;
    const char *p = tpath("big.h5");
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), 0);
    ps_store_set_checkpoint(s, 4, 0);
    for (int i = 0; i < BIG_N; i++) {
        ps_task t;
        fixture_task(&t, PS_PHASE_FINAL, "cnn", 0, 0, -1, i);
        ps_train_result r;
        fixture_result(&r, 25, 0.8f, 0.1f, (unsigned)i);
        free(r.state);
        r.n_views = 1;
        strcpy(r.views[0].name, "fc.weight");
        r.views[0].ndim = 2;
        r.views[0].shape[0] = 1280;
        r.views[0].shape[1] = 1024;
        r.views[0].count = BIG_COUNT;
        r.n_state = BIG_COUNT;
        r.state = malloc((size_t)BIG_COUNT * sizeof(float));
        CHECK(r.state != NULL);
        for (size_t k = 0; k < BIG_COUNT; k++)   /* exact in float; result i from its first */
            r.state[k] = (float)((k * 7 + (size_t)i * 131) % 4096);
        CHECK_EQ_INT(ps_store_add(s, &t, &r, 1, &err), 0);
        fixture_result_free(&r);
    }
    CHECK_EQ_INT(ps_store_close(s, 1, &err), 0);
    CHECK(access(tpath("big.h5.journal"), F_OK) != 0);
    struct stat st;
    CHECK(stat(p, &st) == 0 && st.st_size > (off_t)BIG_N * BIG_COUNT * 4);
    ps_results r;
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
    CHECK_EQ_INT(r.n_rows, BIG_N);
    CHECK_EQ_INT(r.complete, 1);
    ps_results_free(&r);
    char args[600];
    snprintf(args, sizeof args, "%s %d %d", p, BIG_N, BIG_COUNT);
    CHECK_EQ_INT(fixture_python("check_big_weights.py", args), 0);
}

int main(void)
{
    fixture_setup();
    static const check_test tests[] = {
        T(test_write_run),
        T(test_roundtrip),
        T(test_resume),
        T(test_stopped),
        T(test_refusals),
        T(test_full_disk),
        T(test_merge),
        T(test_tmpfs_limits),
        T(test_big_checkpoints),
    };
    int rc = check_run(tests, (int)(sizeof tests / sizeof tests[0]));
    fixture_cleanup();
    return rc;
}
