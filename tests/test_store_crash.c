/* pairsweep — tests of the results store under crashes: kills of a writer, a torn journal,
 * group commit (limits, a writer dying or killed with results not yet synced, a lost unsynced
 * journal tail). The API round trip and refusals are in test_store.c. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "pairsweep/store.h"
#include "test_store_fixture.h"

/* Kills a writer with SIGKILL at many points (random delays, checkpoints every 3 results so
 * that kills land inside checkpoints too); after every kill the file, with its journal, must
 * read back and hold every result the writer had acknowledged; resume then completes it. */
#define N_CRASH_TASKS 100
static void crash_child(const char *p, int wfd)
{
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, N_CRASH_TASKS);
    ps_err err = {0};
    ps_store *s;
    if (ps_store_open(&s, p, &m, 0, &err)) {
        dprintf(wfd, "E %s\n", err.msg);
        _exit(3);
    }
    ps_store_set_checkpoint(s, 3, 0);
    ps_store_row *rows;
    int32_t n;
    if (ps_store_rows(s, &rows, &n, &err))
        _exit(3);
    for (int i = 0; i < N_CRASH_TASKS; i++) {
        ps_task t;
        fixture_task(&t, PS_PHASE_FINAL, "cnn", 0, 0, -1, i);
        int have = 0;
        for (int32_t j = 0; j < n; j++)
            have |= !strcmp(rows[j].task_id, t.id);
        if (have)
            continue;
        ps_train_result r;
        fixture_result(&r, 25, 0.8f, 0.1f, (unsigned)i);
        if (ps_store_add(s, &t, &r, 1, &err)) {
            dprintf(wfd, "E %s\n", err.msg);
            _exit(3);
        }
        fixture_result_free(&r);
        dprintf(wfd, "A %d\n", i); /* acknowledged */
    }
    free(rows);
    if (ps_store_close(s, 1, &err))
        _exit(3);
    dprintf(wfd, "C\n");
    _exit(0);
}

/* Runs child(p, wfd) in a forked process left alone to the end (the last run of a kill test,
 * when no kill found the study complete); 1 when it exited with status 0. */
static int finish_in_child(void (*child)(const char *, int), const char *p)
{
    int fds[2];
    if (pipe(fds) != 0)
        return 0;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child(p, fds[1]);
    }
    close(fds[1]);
    int st;
    waitpid(pid, &st, 0);
    close(fds[0]);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}


static void test_crash_kill(void)
{
    const char *p = tpath("crash.h5");
    int acked[N_CRASH_TASKS] = {0};
    uint32_t x = 12345;
    int kills = 0, complete = 0;
    for (int round = 0; round < 60; round++) {
        if (complete) { /* a round ran to the end: start a new study file */
            unlink(p);
            memset(acked, 0, sizeof acked);
            complete = 0;
        }
        int fds[2];
        CHECK(pipe(fds) == 0);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            crash_child(p, fds[1]);
        }
        close(fds[1]);
        x = x * 1664525u + 1013904223u;
        struct timespec d = {0, (long)((x >> 8) % 15000) * 1000L}; /* 0–15 ms */
        nanosleep(&d, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        kills += WIFSIGNALED(st);
        FILE *f = fdopen(fds[0], "r");
        char line[600];
        while (f && fgets(line, sizeof line, f)) {
            int i;
            if (sscanf(line, "A %d", &i) == 1 && i >= 0 && i < N_CRASH_TASKS)
                acked[i] = 1;
            if (line[0] == 'C')
                complete = 1;
            if (line[0] == 'E')
                fprintf(stderr, "writer error: %s", line);
        }
        if (f)
            fclose(f);
        if (getenv("PS_TEST_VERBOSE")) {
            int na = 0;
            for (int i = 0; i < N_CRASH_TASKS; i++)
                na += acked[i];
            fprintf(stderr, "round %d: %d acknowledged, tmp %d journal %d\n", round, na,
                    access(tpath("crash.h5.tmp"), F_OK) == 0,
                    access(tpath("crash.h5.journal"), F_OK) == 0);
        }
        CHECK(!WIFEXITED(st) || WEXITSTATUS(st) == 0);
        ps_results r;
        ps_err err = {0};
        int rc = ps_results_read(&r, p, &err);
        if (rc == 0 || access(p, F_OK) == 0) { /* killed before the file existed: fine */
            if (rc)
                fprintf(stderr, "round %d: %s\n", round, err.msg);
            CHECK_EQ_INT(rc, 0);
            for (int i = 0; i < N_CRASH_TASKS; i++) {
                ps_task t;
                fixture_task(&t, PS_PHASE_FINAL, "cnn", 0, 0, -1, i);
                int have = 0;
                for (int32_t j = 0; j < r.n_rows; j++)
                    have += !strcmp(r.rows[j].task_id, t.id);
                CHECK(have <= 1);
                if (acked[i] && !have)
                    fprintf(stderr, "round %d: acknowledged task %d lost\n", round, i);
                CHECK(!acked[i] || have == 1);
            }
            ps_results_free(&r);
        }
    }
    printf("  crash test: %d kills, complete %d\n", kills, complete);
    CHECK(kills >= 30);
    if (!complete) { /* finish without killing */
        CHECK(finish_in_child(crash_child, p));
    }
    ps_results r;
    ps_err err = {0};
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
    CHECK_EQ_INT(r.n_rows, N_CRASH_TASKS);
    CHECK_EQ_INT(r.complete, 1);
    CHECK_EQ_INT(r.n_journal, 0);
    ps_results_free(&r);
}

static off_t file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? st.st_size : -1;
}

static void copy_prefix(const char *src, const char *dst, off_t n, off_t flip)
{
    FILE *a = fopen(src, "rb"), *b = fopen(dst, "wb");
    for (off_t i = 0; a && b && i < n; i++) {
        int c = fgetc(a);
        fputc(i == flip ? c ^ 0x40 : c, b);
    }
    if (a)
        fclose(a);
    if (b)
        fclose(b);
}

/* A journal cut at any byte, or with a flipped byte, yields exactly its whole valid records. */
static void test_torn_journal(void)
{
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, N_PLAN);
    ps_err err = {0};
    ps_store *s;
    const char *p = tpath("torn.h5"), *j = tpath("torn.h5.journal");
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), 0);
    ps_store_set_checkpoint(s, 1000, 0);
    off_t ends[4];
    ends[0] = file_size(j);
    for (int i = 0; i < 3; i++) {
        int rc;
        add_plan_result(s, i, &err, &rc);
        CHECK_EQ_INT(rc, 0);
        ends[i + 1] = file_size(j);
    }
    char cp[600], cj[600];
    snprintf(cp, sizeof cp, "%s", tpath("cut.h5"));
    snprintf(cj, sizeof cj, "%s", tpath("cut.h5.journal"));
    copy_prefix(p, cp, file_size(p), -1);
    int checked = 0;
    for (off_t cut = ends[0]; cut <= ends[3]; cut += 37) {
        copy_prefix(j, cj, cut, -1);
        int whole = 0;
        while (whole < 3 && ends[whole + 1] <= cut)
            whole++;
        ps_results r;
        CHECK_EQ_INT(ps_results_read(&r, cp, &err), 0);
        CHECK_EQ_INT(r.n_rows, whole);
        CHECK_EQ_INT(r.n_journal, whole);
        ps_results_free(&r);
        checked++;
    }
    /* a flipped byte inside record 2 drops it and what follows */
    copy_prefix(j, cj, ends[3], ends[1] + 100);
    ps_results r;
    CHECK_EQ_INT(ps_results_read(&r, cp, &err), 0);
    CHECK_EQ_INT(r.n_rows, 1);
    ps_results_free(&r);
    /* resuming from the cut copy keeps the whole records and cuts the torn tail */
    copy_prefix(j, cj, ends[2] + 50, -1);
    ps_store *s2;
    CHECK_EQ_INT(ps_store_open(&s2, cp, &m, 0, &err), 0);
    ps_store_row *rows;
    int32_t n;
    CHECK_EQ_INT(ps_store_rows(s2, &rows, &n, &err), 0);
    free(rows);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(ps_store_close(s2, 0, &err), 0);
    CHECK_EQ_INT(ps_store_close(s, 0, &err), 0);
    CHECK(checked > 20);
}

/* Group commit: appended results wait (ps_store_pending), ps_store_sync_due follows the limits,
 * ps_store_sync makes them durable; a checkpoint adds journal rows of varying epochs to a
 * file that has rows already (curves widened, NaN padded). */
static void add_final(ps_store *s, int i, int32_t epochs, int sync, ps_err *err, int *rc)
{
    ps_task t;
    fixture_task(&t, PS_PHASE_FINAL, "cnn", 0, 0, -1, i);
    ps_train_result r;
    fixture_result(&r, epochs, 0.5f + 0.01f * (float)i, 0.1f, (unsigned)i);
    *rc = sync ? ps_store_add(s, &t, &r, 1, err) : ps_store_append(s, &t, &r, 1, err);
    fixture_result_free(&r);
}

static int32_t gc_epochs(int i)
{
    return i < 6 ? 3 : 3 + i % 5; /* the first checkpoint has 3 columns, later ones widen */
}

static void test_group_commit(void)
{
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, 20);
    ps_err err = {0};
    ps_store *s;
    const char *p = tpath("gc.h5"), *j = tpath("gc.h5.journal");
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), 0);
    ps_store_set_checkpoint(s, 1000, 0);
    ps_store_set_group_commit(s, 4, 1e9);
    int rc;
    for (int i = 0; i < 3; i++) {
        add_final(s, i, gc_epochs(i), 0, &err, &rc);
        CHECK_EQ_INT(rc, 0);
    }
    CHECK_EQ_INT(ps_store_pending(s), 3);
    CHECK_EQ_INT(ps_store_sync_due(s), 0);
    add_final(s, 3, gc_epochs(3), 0, &err, &rc);
    CHECK_EQ_INT(ps_store_sync_due(s), 1); /* 4 waiting */
    add_final(s, 2, 3, 0, &err, &rc);      /* appended, not yet synced: still a duplicate */
    CHECK_EQ_INT(rc, PS_ESTATE);
    ps_store_row *rows;
    int32_t n;
    CHECK_EQ_INT(ps_store_rows(s, &rows, &n, &err), 0);
    free(rows);
    CHECK_EQ_INT(n, 4);
    ps_store_stats st;
    ps_store_get_stats(s, &st);
    CHECK_EQ_INT((int)st.syncs, 0);
    CHECK_EQ_INT((int)st.results, 4);
    CHECK_EQ_INT(ps_store_sync(s, &err), 0);
    CHECK_EQ_INT(ps_store_pending(s), 0);
    CHECK_EQ_INT(ps_store_sync_due(s), 0);
    ps_store_get_stats(s, &st);
    CHECK_EQ_INT((int)st.syncs, 1); /* one sync for the four */
    CHECK_EQ_INT(ps_store_sync(s, &err), 0); /* nothing waiting: no sync */
    ps_store_get_stats(s, &st);
    CHECK_EQ_INT((int)st.syncs, 1);
    /* the age limit */
    ps_store_set_group_commit(s, 100, 0.02);
    add_final(s, 4, gc_epochs(4), 0, &err, &rc);
    CHECK_EQ_INT(rc, 0);
    struct timespec d = {0, 30000000L};
    nanosleep(&d, NULL);
    CHECK_EQ_INT(ps_store_sync_due(s), 1);
    add_final(s, 5, gc_epochs(5), 0, &err, &rc);
    CHECK_EQ_INT(ps_store_checkpoint(s, &err), 0); /* a checkpoint stores what waits */
    CHECK_EQ_INT(ps_store_pending(s), 0);
    CHECK(file_size(j) > 0 && file_size(j) <= 80);
    /* rows 6..13 with 4..7 epochs land on a file whose curves have 3 columns */
    for (int i = 6; i < 14; i++) {
        add_final(s, i, gc_epochs(i), 0, &err, &rc);
        CHECK_EQ_INT(rc, 0);
    }
    CHECK_EQ_INT(ps_store_close(s, 1, &err), 0); /* close stores what waits */
    ps_results r;
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
    CHECK_EQ_INT(r.n_rows, 14);
    CHECK_EQ_INT(r.n_journal, 0);
    CHECK_EQ_INT(r.epochs_max, 7);
    for (int i = 0; i < 14 && i < r.n_rows; i++) {
        ps_task t;
        fixture_task(&t, PS_PHASE_FINAL, "cnn", 0, 0, -1, i);
        CHECK(!strcmp(r.rows[i].task_id, t.id));
        int ep = gc_epochs(i);
        CHECK_EQ_INT(r.rows[i].epochs, ep);
        CHECK_NEAR(r.eval_acc[(size_t)i * 7 + (size_t)ep - 1], 0.5f + 0.01f * (float)i, 1e-6);
        for (int e = ep; e < 7; e++)
            CHECK(isnan(r.train_loss[(size_t)i * 7 + (size_t)e]));
    }
    ps_results_free(&r);
}

/* Rows without curves (a race's pruned tasks: 0 epochs, NULL curves, no weights), first in
 * the file, through every path: the journal read back while the writer is away (the results of
 * a killed writer), the journal replayed at the next open, the checkpoint, a read of the
 * closed file. Under the sanitizers this is where a NULL reached memcpy (UBSan). */
static void pruned_child(const char *p, int wfd)
{
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, 6);
    ps_err err = {0};
    ps_store *s;
    if (ps_store_open(&s, p, &m, 0, &err))
        _exit(3);
    ps_store_set_checkpoint(s, 1000, 0);
    for (int i = 0; i < 3; i++) {
        ps_task t;
        fixture_task(&t, PS_PHASE_FINAL, "cnn", 0, 0, -1, i);
        ps_train_result r;
        memset(&r, 0, sizeof r);
        r.status = PS_TASK_PRUNED;
        snprintf(r.reason, sizeof r.reason, "pruned %d", i);
        if (ps_store_add(s, &t, &r, 1, &err))
            _exit(3);
    }
    dprintf(wfd, "A\n");
    _exit(0); /* as a killed writer: the rows in the journal, the file not closed */
}

static void test_rows_without_curves(void)
{
    const char *p = tpath("pruned.h5");
    CHECK(finish_in_child(pruned_child, p));
    ps_err err = {0};
    ps_results r;
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0); /* rows in the journal only */
    CHECK_EQ_INT(r.n_rows, 3);
    CHECK_EQ_INT(r.n_journal, 3);
    ps_results_free(&r);
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, 6);
    ps_store *s;
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), 0); /* replays the journal */
    ps_store_row *rows;
    int32_t n;
    CHECK_EQ_INT(ps_store_rows(s, &rows, &n, &err), 0);
    free(rows);
    CHECK_EQ_INT(n, 3);
    int rc;
    for (int i = 3; i < 6; i++) { /* then rows with curves, after the ones without */
        add_final(s, i, 3, 1, &err, &rc);
        CHECK_EQ_INT(rc, 0);
    }
    CHECK_EQ_INT(ps_store_close(s, 1, &err), 0);
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
    CHECK_EQ_INT(r.n_rows, 6);
    CHECK_EQ_INT(r.epochs_max, 3);
    for (int i = 0; i < r.n_rows && r.epochs_max == 3; i++) {
        CHECK_EQ_INT(r.rows[i].status, i < 3 ? PS_TASK_PRUNED : PS_TASK_DONE);
        CHECK_EQ_INT(r.rows[i].epochs, i < 3 ? 0 : 3);
        CHECK(i < 3 ? isnan(r.eval_acc[(size_t)i * 3]) : !isnan(r.eval_acc[(size_t)i * 3 + 2]));
    }
    ps_results_free(&r);
}

/* A writer that dies with results appended but not synced: the file opens and holds every
 * synced result; the machine losing the unsynced tail of the journal (cut anywhere after the
 * last sync, or zero-filled as a crash can leave a file whose size grew before its data was
 * written) leaves exactly the synced results, and a resume that runs the lost ones again
 * completes the study. */
#define N_GC 10
#define N_GC_SYNCED 6
static void test_group_commit_crash(void)
{
    const char *p = tpath("gcc.h5"), *j = tpath("gcc.h5.journal");
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        ps_store_meta m;
        fixture_meta(&m, "fixture", JOB_A, N_GC);
        ps_err err = {0};
        ps_store *s;
        int rc = ps_store_open(&s, p, &m, 0, &err);
        if (!rc)
            ps_store_set_checkpoint(s, 1000, 0);
        for (int i = 0; i < N_GC && !rc; i++) {
            add_final(s, i, 25, 0, &err, &rc);
            if (!rc && i == N_GC_SYNCED - 1) {
                rc = ps_store_sync(s, &err);
                dprintf(fds[1], "%lld\n", (long long)file_size(j)); /* the durable end */
            }
        }
        _exit(rc ? 3 : 0); /* no sync, no close: as if killed */
    }
    close(fds[1]);
    char buf[64] = "";
    ssize_t k = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(k > 0);
    buf[k > 0 ? k : 0] = 0;
    off_t synced = (off_t)atoll(buf), full = file_size(j);
    CHECK(synced > 80 && full > synced);
    /* the process died, the kernel kept its writes: all of them read back */
    ps_results r;
    ps_err err = {0};
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
    CHECK_EQ_INT(r.n_rows, N_GC);
    ps_results_free(&r);
    /* the machine died: the tail after the last sync is lost, cut or zero-filled */
    char cp[600], cj[600];
    snprintf(cp, sizeof cp, "%s", tpath("gcc_lost.h5"));
    snprintf(cj, sizeof cj, "%s", tpath("gcc_lost.h5.journal"));
    off_t cuts[] = {synced, synced + 1, synced + 17, synced + (full - synced) / 2, full - 1};
    for (int c = 0; c < 6; c++) {
        copy_prefix(p, cp, file_size(p), -1);
        copy_prefix(j, cj, c < 5 ? cuts[c] : synced, -1);
        if (c == 5) { /* the size grew, the data did not make it */
            FILE *f = fopen(cj, "ab");
            for (off_t i = synced; f && i < full; i++)
                fputc(0, f);
            if (f)
                fclose(f);
            CHECK_EQ_INT((int)file_size(cj), (int)full);
        }
        CHECK_EQ_INT(ps_results_read(&r, cp, &err), 0);
        /* a prefix of what was appended, with every synced result; with the whole unsynced
         * tail lost (the first three cuts tear record 7, the zeros), exactly the synced ones */
        CHECK(r.n_rows >= N_GC_SYNCED && r.n_rows < N_GC);
        if (c < 3 || c == 5)
            CHECK_EQ_INT(r.n_rows, N_GC_SYNCED);
        for (int i = 0; i < r.n_rows; i++) {
            ps_task t;
            fixture_task(&t, PS_PHASE_FINAL, "cnn", 0, 0, -1, i);
            CHECK(!strcmp(r.rows[i].task_id, t.id));
        }
        ps_results_free(&r);
    }
    /* resume the zero-filled copy: it holds the synced six; the rest run again */
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, N_GC);
    ps_store *s;
    CHECK_EQ_INT(ps_store_open(&s, cp, &m, 0, &err), 0);
    ps_store_row *rows;
    int32_t n;
    CHECK_EQ_INT(ps_store_rows(s, &rows, &n, &err), 0);
    free(rows);
    CHECK_EQ_INT(n, N_GC_SYNCED);
    int rc = 0;
    for (int i = N_GC_SYNCED; i < N_GC && !rc; i++)
        add_final(s, i, 25, 0, &err, &rc);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(ps_store_close(s, 1, &err), 0);
    CHECK_EQ_INT(ps_results_read(&r, cp, &err), 0);
    CHECK_EQ_INT(r.n_rows, N_GC);
    CHECK_EQ_INT(r.complete, 1);
    CHECK_EQ_INT(r.n_journal, 0);
    ps_results_free(&r);
    /* and the original file resumes with all ten */
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), 0);
    CHECK_EQ_INT(ps_store_rows(s, &rows, &n, &err), 0);
    free(rows);
    CHECK_EQ_INT(n, N_GC);
    CHECK_EQ_INT(ps_store_close(s, 1, &err), 0);
}

/* SIGKILL of a group-committing writer at random points (checkpoints every 4 results, syncs
 * every 3): every result the writer reported as synced is in the file after the kill, none
 * twice; a last run completes the study. */
#define N_GCK 60
static void gc_kill_child(const char *p, int wfd)
{
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, N_GCK);
    ps_err err = {0};
    ps_store *s;
    if (ps_store_open(&s, p, &m, 0, &err))
        _exit(3);
    ps_store_set_checkpoint(s, 4, 0);
    ps_store_set_group_commit(s, 3, 1e9);
    ps_store_row *rows;
    int32_t n;
    if (ps_store_rows(s, &rows, &n, &err))
        _exit(3);
    int waiting[N_GCK], nw = 0;
    for (int i = 0; i < N_GCK; i++) {
        ps_task t;
        fixture_task(&t, PS_PHASE_FINAL, "cnn", 0, 0, -1, i);
        int have = 0;
        for (int32_t k = 0; k < n; k++)
            have |= !strcmp(rows[k].task_id, t.id);
        if (have)
            continue;
        int rc;
        add_final(s, i, 25, 0, &err, &rc);
        if (rc)
            _exit(3);
        waiting[nw++] = i;
        if (ps_store_sync_due(s)) {
            if (ps_store_sync(s, &err))
                _exit(3);
            for (int k = 0; k < nw; k++)
                dprintf(wfd, "S %d\n", waiting[k]);
            nw = 0;
        }
    }
    free(rows);
    if (ps_store_close(s, 1, &err))
        _exit(3);
    dprintf(wfd, "C\n");
    _exit(0);
}

static void test_group_commit_kill(void)
{
    const char *p = tpath("gck.h5");
    int synced[N_GCK] = {0};
    uint32_t x = 777;
    int kills = 0, complete = 0;
    for (int round = 0; round < 25 && !complete; round++) {
        int fds[2];
        CHECK(pipe(fds) == 0);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            gc_kill_child(p, fds[1]);
        }
        close(fds[1]);
        x = x * 1664525u + 1013904223u;
        struct timespec d = {0, (long)((x >> 8) % 12000) * 1000L}; /* 0–12 ms */
        nanosleep(&d, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        kills += WIFSIGNALED(st);
        CHECK(!WIFEXITED(st) || WEXITSTATUS(st) == 0);
        FILE *f = fdopen(fds[0], "r");
        char line[128];
        while (f && fgets(line, sizeof line, f)) {
            int i;
            if (sscanf(line, "S %d", &i) == 1 && i >= 0 && i < N_GCK)
                synced[i] = 1;
            complete |= line[0] == 'C';
        }
        if (f)
            fclose(f);
        if (access(p, F_OK) != 0)
            continue; /* killed before the file existed */
        ps_results r;
        ps_err err = {0};
        CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
        for (int i = 0; i < N_GCK; i++) {
            ps_task t;
            fixture_task(&t, PS_PHASE_FINAL, "cnn", 0, 0, -1, i);
            int have = 0;
            for (int32_t k = 0; k < r.n_rows; k++)
                have += !strcmp(r.rows[k].task_id, t.id);
            CHECK(have <= 1);
            CHECK(!synced[i] || have == 1);
        }
        ps_results_free(&r);
    }
    printf("  group commit kills: %d, complete %d\n", kills, complete);
    CHECK(kills >= 10);
    if (!complete) {
        CHECK(finish_in_child(gc_kill_child, p));
    }
    ps_results r;
    ps_err err = {0};
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
    CHECK_EQ_INT(r.n_rows, N_GCK);
    CHECK_EQ_INT(r.complete, 1);
    ps_results_free(&r);
}

int main(void)
{
    fixture_setup();
    static const check_test tests[] = {
        T(test_crash_kill),
        T(test_torn_journal),
        T(test_group_commit),
        T(test_rows_without_curves),
        T(test_group_commit_crash),
        T(test_group_commit_kill),
    };
    int rc = check_run(tests, (int)(sizeof tests / sizeof tests[0]));
    fixture_cleanup();
    return rc;
}
