/* The MPI transport of a run: start-up (the job from rank 0 to every rank, MNIST on each),
 * rank 0's loop (worker rank r is the scheduler's worker r − 1) and the workers' loop. The
 * only file that includes mpi.h; the rules are the scheduler's, rank 0's work is master.c's.
 *
 * Protocol (tags in sweep.h). A worker sends READY once, then waits; the master sends it a
 * TASK (the ps_task's bytes: it is plain data, and every rank runs the same binary) and the
 * worker answers with one RESULT message (header, state views, curves, final state, packed in
 * one byte buffer), which also means "ready for the next". ABORT asks a busy worker to give
 * its task up at the end of the current epoch (it then answers RESULT with `interrupted`);
 * STOP ends a worker's loop. Nothing else crosses MPI: every worker loads MNIST itself and
 * makes a task's pairs from the task's seed.
 *
 * Waiting never spins: Open MPI's blocking calls busy-poll, so the master and idle workers
 * probe with MPI_Iprobe and sleep between probes (100 µs, doubling to 10 ms). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpi.h>

#include "sweep_internal.h"

enum { W_UNKNOWN = 0, W_IDLE, W_BUSY, W_RETIRED }; /* RETIRED: its task timed out */

#define SLEEP_MIN_NS 100000L
#define SLEEP_MAX_NS 10000000L

/* ---- waiting without spinning ------------------------------------------------------------ */

static void nap(long *ns)
{
    struct timespec ts = {0, *ns};
    nanosleep(&ts, NULL);
    *ns = *ns * 2 > SLEEP_MAX_NS ? SLEEP_MAX_NS : *ns * 2;
}

/* Waits for a message from src (or any) with any tag; fills st. */
static void wait_message(int src, MPI_Status *st)
{
    long ns = SLEEP_MIN_NS;
    int flag = 0;
    for (;;) {
        MPI_Iprobe(src, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, st);
        if (flag)
            return;
        nap(&ns);
    }
}

static void recv_empty(int src, int tag)
{
    MPI_Recv(NULL, 0, MPI_BYTE, src, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

/* ---- worker ------------------------------------------------------------------------------ */

static int worker_abort_cb(void *user, int32_t epoch, const ps_train_result *partial)
{
    (void)user;
    (void)epoch;
    (void)partial;
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(0, PS_SWEEP_TAG_ABORT, MPI_COMM_WORLD, &flag, &st);
    if (!flag)
        return 0;
    recv_empty(0, PS_SWEEP_TAG_ABORT);
    return 1;
}

/* TEST ONLY: PS_TEST_HANG_TASK=ID makes the worker that gets task ID stop answering for good
 * (as if hung in a kernel), for the task-timeout test (tests/sweep/e2e.py task_timeout). Read
 * once per task, outside training. */
static void test_hang(const ps_task *t)
{
    const char *id = getenv("PS_TEST_HANG_TASK");
    struct timespec hour = {3600, 0};
    if (id && !strcmp(id, t->id))
        for (;;)
            nanosleep(&hour, NULL);
}

/* Runs t and sends its result (a failure without payload when out of memory). */
static int worker_task(const ps_task *t, const ps_mnist *mn)
{
    test_hang(t);
    ps__run x;
    ps__run_task(&x, t, mn, worker_abort_cb, NULL);
    size_t len = 0;
    void *buf = ps_sweep_result_pack(&len, t->id, &x.r, x.interrupted);
    ps__run_free(&x);
    if (!buf) {
        ps__run_failed(&x, &t->cfg, "out of memory on the worker");
        buf = ps_sweep_result_pack(&len, t->id, &x.r, 0);
        ps__run_free(&x);
        if (!buf)
            return PS_ENOMEM;
    }
    MPI_Send(buf, (int)len, MPI_BYTE, 0, PS_SWEEP_TAG_RESULT, MPI_COMM_WORLD);
    free(buf);
    return 0;
}

int ps__mpi_worker(const ps_mnist *mn, int32_t *ran)
{
    MPI_Send(NULL, 0, MPI_BYTE, 0, PS_SWEEP_TAG_READY, MPI_COMM_WORLD);
    for (;;) {
        MPI_Status st;
        wait_message(0, &st);
        if (st.MPI_TAG == PS_SWEEP_TAG_STOP) {
            recv_empty(0, PS_SWEEP_TAG_STOP);
            return 0;
        }
        if (st.MPI_TAG == PS_SWEEP_TAG_ABORT) { /* for a task already finished: nothing to give up */
            recv_empty(0, PS_SWEEP_TAG_ABORT);
            continue;
        }
        ps_task t;
        MPI_Recv(&t, (int)sizeof t, MPI_BYTE, 0, PS_SWEEP_TAG_TASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        int rc = worker_task(&t, mn);
        if (rc)
            return rc;
        (*ran)++;
    }
}

/* ---- master ------------------------------------------------------------------------------ */

typedef struct link {
    ps__master *m;
    int32_t ranks;
    uint8_t *state;            /* (ranks) W_UNKNOWN, W_IDLE, W_BUSY of each worker rank */
    char *rbuf;                /* (rcap) the last result message: reused, grown as needed */
    size_t rcap;
} link;

/* Hands worker rank r its next task when it is idle and one is left. */
static void hand_out(link *k, int32_t r)
{
    ps_task t;
    if (k->state[r] == W_IDLE && ps__master_next(k->m, r - 1, &t) == PS_SCHED_TASK) {
        MPI_Send(&t, (int)sizeof t, MPI_BYTE, r, PS_SWEEP_TAG_TASK, MPI_COMM_WORLD);
        k->state[r] = W_BUSY;
    }
}

/* Receives a RESULT message of count bytes from src into k->rbuf (no allocation per result). */
static int receive(link *k, int src, int count, ps_err *err)
{
    size_t need = (size_t)(count > 0 ? count : 1);
    if (need > k->rcap) {
        char *b = malloc(need);
        if (!b) {
            recv_empty(src, PS_SWEEP_TAG_RESULT);
            return ps_err_set(err, PS_ENOMEM, "out of memory for a result of rank %d", src);
        }
        free(k->rbuf);
        k->rbuf = b;
        k->rcap = need;
    }
    MPI_Recv(k->rbuf, count, MPI_BYTE, src, PS_SWEEP_TAG_RESULT, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    return 0;
}

/* A RESULT message: the scheduler learns it, the worker gets its next task (it never waits
 * on the disk), then the result is appended to the store (durable at the next commit). */
static int take_result(link *k, const MPI_Status *st)
{
    ps__master *m = k->m;
    int src = st->MPI_SOURCE, count = 0;
    MPI_Get_count(st, MPI_BYTE, &count);
    int rc = receive(k, src, count, m->err);
    if (rc)
        return rc;
    const ps_task *running = ps_sched_running(m->sched, src - 1);
    ps_train_result r;
    ps_sweep_wire_head h;
    if (k->state[src] == W_RETIRED) /* the late result of a timed-out task: it stays failed */
        return 0;
    if (k->state[src] != W_BUSY || !running ||
        ps_sweep_result_unpack(&r, &h, k->rbuf, (size_t)count) || strcmp(h.id, running->id)) {
        k->state[src] = W_IDLE;
        return ps_err_set(m->err, PS_EFORMAT, "rank %d sent a result that does not match its "
                          "task %s", src, running ? running->id : "(none)");
    }
    k->state[src] = W_IDLE;
    (void)ps__master_tick(m, NULL, 0);
    ps_task done;
    rc = ps__master_result(m, src - 1, &r, h.interrupted, &done);
    if (rc)
        return rc;
    hand_out(k, src);
    return ps__master_record(m, &done, &r, h.interrupted, src, 1);
}

/* Reads and drops a message nobody expects. */
static void drop(const MPI_Status *st)
{
    int count = 0;
    MPI_Get_count(st, MPI_BYTE, &count);
    char *junk = malloc(count > 0 ? (size_t)count : 1);
    MPI_Recv(junk, junk ? count : 0, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    free(junk);
}

/* One round: give up what must be, hand out to idle workers; 1 when every worker is idle. */
static int round_done(link *k, int32_t *abandon)
{
    int32_t n = ps__master_tick(k->m, abandon, k->ranks);
    for (int32_t i = 0; i < n; i++)
        MPI_Send(NULL, 0, MPI_BYTE, abandon[i] + 1, PS_SWEEP_TAG_ABORT, MPI_COMM_WORLD);
    n = ps__master_timeouts(k->m, abandon, k->ranks, 1); /* never waited for again */
    for (int32_t i = 0; i < n; i++)
        k->state[abandon[i] + 1] = W_RETIRED;
    int busy = 0, unknown = 0;
    for (int32_t r = 1; r < k->ranks; r++) {
        hand_out(k, r);
        busy += k->state[r] == W_BUSY;
        unknown += k->state[r] == W_UNKNOWN;
    }
    return !busy && !unknown;
}

/* Hands tasks out and collects results until nothing is left or a stop. */
static int master_loop(link *k, int32_t *abandon)
{
    ps__master *m = k->m;
    long ns = SLEEP_MIN_NS;
    for (;;) {
        /* nothing could be handed out, or the launcher kills every rank in a moment */
        if (round_done(k, abandon) || m->ending) {
            ps__master_fail(m, ps__master_commit(m));
            return m->failed_rc;
        }
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            if (ps__master_pending(m) > 0) /* nothing else waiting: make results durable now */
                ps__master_fail(m, ps__master_commit(m));
            else {
                ps__master_progress(m, 0);
                nap(&ns);
            }
            continue;
        }
        ns = SLEEP_MIN_NS;
        if (st.MPI_TAG == PS_SWEEP_TAG_READY) {
            recv_empty(st.MPI_SOURCE, PS_SWEEP_TAG_READY);
            k->state[st.MPI_SOURCE] = W_IDLE;
        } else if (st.MPI_TAG == PS_SWEEP_TAG_RESULT) {
            ps__master_fail(m, take_result(k, &st));
        } else {
            drop(&st);
        }
    }
}

/* Every worker ends its loop: a worker not heard from yet (every worker when state is NULL)
 * is waited for (its READY); a retired one is left alone. */
static void stop_workers(const uint8_t *state, int32_t ranks)
{
    for (int32_t r = 1; r < ranks; r++) {
        if (state && state[r] == W_RETIRED)
            continue;
        if (!state || state[r] == W_UNKNOWN) {
            MPI_Status st;
            wait_message(r, &st);
            recv_empty(r, PS_SWEEP_TAG_READY);
        }
        MPI_Send(NULL, 0, MPI_BYTE, r, PS_SWEEP_TAG_STOP, MPI_COMM_WORLD);
    }
}

int ps__mpi_master(ps__master *m, int32_t ranks)
{
    link k = {m, ranks, calloc((size_t)ranks, 1), NULL, 0};
    int32_t *abandon = malloc((size_t)ranks * sizeof *abandon);
    int rc = k.state && abandon ? master_loop(&k, abandon)
                                : ps_err_set(m->err, PS_ENOMEM, "out of memory");
    if (!m->ending) /* else the workers are being killed: none would answer */
        stop_workers(k.state, ranks);
    free(k.state);
    free(k.rbuf);
    free(abandon);
    return rc;
}

void ps__mpi_release(int32_t ranks)
{
    stop_workers(NULL, ranks);
}

/* ---- start-up: the job from rank 0 to everyone, MNIST on every rank ---------------------- */

int ps__mpi_start(int *rank, int *ranks, int *inited, ps_err *err)
{
    *rank = 0;
    *ranks = 1;
    MPI_Initialized(inited);
    if (!*inited && MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return ps_err_set(err, PS_EIO, "MPI_Init failed");
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, ranks);
    return 0;
}

void ps__mpi_finish(int inited, int abandoned)
{
    if (!inited && !abandoned)
        MPI_Finalize();
}

void ps_sweep_end(const ps_sweep_summary *sum, int status)
{
    if (sum->hung_ranks > 0) {
        fflush(stdout);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, status);
    }
}

typedef struct setup_head {
    int32_t rc;
    uint64_t text_len;
    char path[PS_PATH_MAX];
    char mnist[PS_PATH_MAX];
} setup_head;

typedef struct setup_status {
    int32_t rc;
    char msg[sizeof(((ps_err *)0)->msg)];
} setup_status;

/* Rank 0's job text to every rank, parsed there; 0 or the error (rank 0 frees its job). */
static int share_job(int rank, const setup_head *h, ps_job *job, setup_status *mine, ps_err *e)
{
    char *text = rank ? malloc(h->text_len + 1) : job->text;
    int32_t got_text = text != NULL, all_text = 0;
    MPI_Allreduce(&got_text, &all_text, 1, MPI_INT32_T, MPI_MIN, MPI_COMM_WORLD);
    if (!all_text) {
        if (rank)
            free(text);
        else
            ps_job_free(job);
        return PS_ENOMEM;
    }
    MPI_Bcast(text, (int)h->text_len, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (rank) {
        mine->rc = ps_job_parse(job, text, h->text_len, h->path, e);
        free(text);
    }
    return 0;
}

/* Every rank's status to rank 0, the first error back to everyone. */
static int32_t agree(int rank, int ranks, const setup_status *mine, ps_err *err)
{
    setup_status *all = rank ? NULL : calloc((size_t)ranks, sizeof *all);
    MPI_Gather(mine, (int)sizeof *mine, MPI_BYTE, all, (int)sizeof *mine, MPI_BYTE, 0,
               MPI_COMM_WORLD);
    int32_t rc = 0;
    if (rank == 0) {
        for (int r = 0; all && r < ranks && !rc; r++)
            if (all[r].rc) {
                rc = all[r].rc;
                if (r)
                    ps_err_set(err, rc, "rank %d: %s", r, all[r].msg);
                else
                    ps_err_set(err, rc, "%s", all[r].msg);
            }
        if (!all)
            rc = ps_err_set(err, PS_ENOMEM, "out of memory");
        free(all);
    }
    MPI_Bcast(&rc, 1, MPI_INT32_T, 0, MPI_COMM_WORLD);
    return rc;
}

int ps__mpi_setup(int rank, int ranks, int job_rc, const char *mnist_dir, ps_job *job,
                  ps_mnist *mn, ps_err *err)
{
    setup_head h;
    memset(&h, 0, sizeof h);
    if (rank == 0) {
        h.rc = job_rc;
        if (!h.rc) {
            h.text_len = job->text_len;
            snprintf(h.path, sizeof h.path, "%s", job->path);
            snprintf(h.mnist, sizeof h.mnist, "%s", mnist_dir);
        }
    }
    MPI_Bcast(&h, (int)sizeof h, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (h.rc) {
        if (rank)
            ps_err_set(err, h.rc, "rank %d: rank 0 could not read the job", rank);
        return h.rc;
    }
    setup_status mine = {0, ""};
    ps_err e = {0};
    if (share_job(rank, &h, job, &mine, &e))
        return ps_err_set(err, PS_ENOMEM, "out of memory for the job text");
    int have_job = mine.rc == 0;
    if (!mine.rc)
        mine.rc = ps_mnist_load(mn, h.mnist, &e);
    if (mine.rc)
        snprintf(mine.msg, sizeof mine.msg, "%s", e.msg);
    int32_t rc = agree(rank, ranks, &mine, err);
    if (rc) {
        if (rank)
            ps_err_set(err, rc, "rank %d: the start failed (see rank 0)", rank);
        if (have_job)
            ps_job_free(job);
        if (mine.rc == 0)
            ps_mnist_free(mn);
    }
    return rc;
}
