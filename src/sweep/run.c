/* The MPI run of a study: rank 0 is the master (plan, queue, store), the other ranks are
 * workers that train one task at a time.
 *
 * Protocol (tags below). A worker sends READY once, then waits; the master sends it a TASK
 * (the ps_task's bytes: it is plain data, and every rank runs the same binary) and the
 * worker answers with one RESULT message (header, state views, curves, final state, packed in
 * one byte buffer), which also means "ready for the next". ABORT asks a busy worker to give
 * its task up at the end of the current epoch (it then answers RESULT with `interrupted`);
 * STOP ends a worker's loop. Nothing else crosses MPI: every worker loads MNIST itself and
 * makes a task's pairs from the task's seed.
 *
 * Waiting never spins: Open MPI's blocking calls busy-poll (FACTS.md), so the master and idle
 * workers probe with MPI_Iprobe and sleep between probes (100 µs, doubling to 10 ms). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <mpi.h>

#include "pairsweep/models.h"
#include "pairsweep/nn.h"
#include "pairsweep/store.h"
#include "pairsweep/sweep.h"

enum { W_UNKNOWN = 0, W_IDLE, W_BUSY };

#define DEFAULT_RATE 1.5e10   /* FLOP/s per worker assumed until tasks are measured */
#define DEADLINE_MARGIN 1.25  /* a task starts only if cost / rate × margin fits */
#define SLEEP_MIN_NS 100000L
#define SLEEP_MAX_NS 10000000L

/* ---- waiting without spinning ----------------------------------------------------------- */

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

/* ---- running one task (workers, and rank 0 alone) --------------------------------------- */

/* A FAILED result with NaN curves and the reason. */
static void failed_result(ps_train_result *r, const ps_train_config *cfg, const char *why,
                          double wall)
{
    memset(r, 0, sizeof *r);
    r->status = PS_TASK_FAILED;
    snprintf(r->reason, sizeof r->reason, "%.*s", (int)sizeof r->reason - 1, why);
    r->wall_seconds = wall;
    float *c = malloc(4 * (size_t)cfg->epochs * sizeof *c);
    if (!c)
        return; /* epochs stays 0: a row without curves */
    for (int32_t i = 0; i < 4 * cfg->epochs; i++)
        c[i] = NAN;
    r->epochs = cfg->epochs;
    r->train_loss = c;
    r->train_acc = c + cfg->epochs;
    r->eval_loss = c + 2 * (size_t)cfg->epochs;
    r->eval_acc = c + 3 * (size_t)cfg->epochs;
}

static void failed_result_free(ps_train_result *r)
{
    free(r->train_loss);
    memset(r, 0, sizeof *r);
}

/* Runs t; *interrupted when cb gave it up. A failed run becomes a FAILED result; *owned
 * tells how to free it (1: ps_train_result_free, 2: failed_result_free). */
static void run_task(ps_train_result *r, int *interrupted, int *owned, const ps_task *t,
                     const ps_mnist *mn, ps_epoch_cb cb, void *user)
{
    ps_err e = {0};
    double t0 = ps_now();
    *interrupted = 0;
    int rc = ps_train_run(r, &t->cfg, mn, cb, user, &e);
    if (rc == PS_EINTR) {
        *interrupted = 1;
        *owned = 0;
        memset(r, 0, sizeof *r);
    } else if (rc < 0) {
        failed_result(r, &t->cfg, e.msg[0] ? e.msg : ps_strerror(rc), ps_now() - t0);
        *owned = 2;
    } else {
        *owned = 1;
    }
}

static void free_task_result(ps_train_result *r, int owned)
{
    if (owned == 1)
        ps_train_result_free(r);
    else if (owned == 2)
        failed_result_free(r);
}

/* ---- worker ----------------------------------------------------------------------------- */

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
    MPI_Recv(NULL, 0, MPI_BYTE, 0, PS_SWEEP_TAG_ABORT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return 1;
}

static int worker_loop(const ps_mnist *mn, int32_t *ran)
{
    MPI_Send(NULL, 0, MPI_BYTE, 0, PS_SWEEP_TAG_READY, MPI_COMM_WORLD);
    for (;;) {
        MPI_Status st;
        wait_message(0, &st);
        if (st.MPI_TAG == PS_SWEEP_TAG_STOP) {
            MPI_Recv(NULL, 0, MPI_BYTE, 0, PS_SWEEP_TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            return 0;
        }
        if (st.MPI_TAG == PS_SWEEP_TAG_ABORT) { /* for a task already finished: nothing to give up */
            MPI_Recv(NULL, 0, MPI_BYTE, 0, PS_SWEEP_TAG_ABORT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            continue;
        }
        ps_task t;
        MPI_Recv(&t, (int)sizeof t, MPI_BYTE, 0, PS_SWEEP_TAG_TASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        ps_train_result r;
        int interrupted, owned;
        run_task(&r, &interrupted, &owned, &t, mn, worker_abort_cb, NULL);
        size_t len = 0;
        void *buf = ps_sweep_result_pack(&len, t.id, &r, interrupted);
        free_task_result(&r, owned);
        if (!buf) { /* out of memory: report a failure without payload */
            ps_train_result f;
            failed_result(&f, &t.cfg, "out of memory on the worker", 0);
            f.epochs = 0;
            buf = ps_sweep_result_pack(&len, t.id, &f, 0);
            failed_result_free(&f);
            if (!buf)
                return PS_ENOMEM;
        }
        MPI_Send(buf, (int)len, MPI_BYTE, 0, PS_SWEEP_TAG_RESULT, MPI_COMM_WORLD);
        free(buf);
        (*ran)++;
    }
}

/* ---- a set of task ids ------------------------------------------------------------------ */

typedef struct idset {
    uint64_t *keys;            /* (cap) 0 = empty */
    size_t cap, n;
} idset;

static uint64_t id_key(const char *id)
{
    uint64_t k = strtoull(id, NULL, 16);
    return k ? k : 1;
}

static int idset_init(idset *s, size_t n)
{
    s->cap = 64;
    while (s->cap < 2 * n + 16)
        s->cap *= 2;
    s->n = 0;
    s->keys = calloc(s->cap, sizeof *s->keys);
    return s->keys ? 0 : PS_ENOMEM;
}

static size_t idset_slot(const idset *s, uint64_t k)
{
    size_t i = (size_t)(ps_mix64(k) & (s->cap - 1));
    while (s->keys[i] && s->keys[i] != k)
        i = (i + 1) & (s->cap - 1);
    return i;
}

static int idset_has(const idset *s, const char *id)
{
    return s->keys[idset_slot(s, id_key(id))] != 0;
}

static int idset_add(idset *s, const char *id)
{
    if (2 * (s->n + 1) > s->cap) {
        idset bigger = {calloc(s->cap * 2, sizeof(uint64_t)), s->cap * 2, 0};
        if (!bigger.keys)
            return PS_ENOMEM;
        for (size_t i = 0; i < s->cap; i++)
            if (s->keys[i])
                bigger.keys[idset_slot(&bigger, s->keys[i])] = s->keys[i];
        bigger.n = s->n;
        free(s->keys);
        *s = bigger;
    }
    uint64_t k = id_key(id);
    size_t i = idset_slot(s, k);
    if (!s->keys[i]) {
        s->keys[i] = k;
        s->n++;
    }
    return 0;
}

/* ---- master ----------------------------------------------------------------------------- */

typedef struct worker_slot {
    int state;                 /* W_UNKNOWN, W_IDLE, W_BUSY */
    ps_task task;
    double start, cost;
    int abort_sent;
} worker_slot;

/* A result appended to the store (ps_store_append) but not yet durable: it is counted as done
 * and reported only once ps_store_sync has returned (group commit, see commit()). */
typedef struct pending_result {
    int32_t phase, status;
    char event[320];
} pending_result;

#define PEND_MAX PS_STORE_GROUP_MAX

typedef struct master {
    const ps_sweep_opts *o;
    const ps_job *job;
    ps_store *store;
    int32_t ranks;
    uint8_t *mask;             /* (n_groups) groups of this shard */
    ps_task *select;           /* (n_select) */
    int32_t n_select;
    idset stored;              /* ids of the stored tasks */
    ps_selection sel;
    ps_queue q;
    int32_t *final_planned;    /* (n_groups) final tasks once a group is selected, else -1 */
    double *final_estimate;    /* (n_groups) FLOPs of a group's final phase, estimated */
    int32_t done[2], total[2];
    int32_t diverged, failed, ran, abandoned;
    double t0, stop_time, deadline;
    int stopping, deadline_hit;
    int fatal;                 /* a store error: stop at once */
    double flops_done, wall_done;
    worker_slot *w;            /* (ranks) */
    ps_sweep_best *best;       /* (n_models) */
    char event[320];
    double last_progress;
    char *rbuf;                /* (rcap) the last result message: reused, grown as needed */
    size_t rcap;
    pending_result *pend;      /* (PEND_MAX) results appended to the store, not yet synced */
    int32_t n_pend;
    int failed_rc;             /* the first error that stopped the run (0: none) */
    ps_err *err;
} master;

static int32_t final_total(const master *m)
{
    int32_t n = 0;
    for (int32_t g = 0; g < m->job->n_groups; g++) {
        if (!m->mask[g])
            continue;
        if (m->final_planned[g] >= 0) {
            n += m->final_planned[g];
        } else {
            uint8_t one[PS_JOB_MAX_MODELS] = {0};
            one[g] = 1;
            n += ps_plan_final_count(m->job, one);
        }
    }
    return n;
}

static double rate_now(const master *m)
{
    if (m->wall_done > 0 && m->flops_done > 0)
        return m->flops_done / m->wall_done;
    return m->o->rate > 0 ? m->o->rate : DEFAULT_RATE;
}

/* Calls the progress callback with the state now and the event ev (may be NULL). */
static void report(master *m, const char *ev)
{
    double now = ps_now();
    m->last_progress = now;
    const ps_job *job = m->job;
    for (int32_t i = 0; i < job->n_models; i++) {
        ps_sweep_best *b = &m->best[i];
        double sd;
        int32_t n;
        b->model = job->models[i].name;
        b->grid = -1;
        b->mean = 0;
        if (m->mask[job->models[i].group_index])
            (void)ps_selection_best(&m->sel, i, &b->grid, &b->mean, &sd, &n);
        b->selected = m->mask[job->models[i].group_index] &&
                      ps_selection_group_complete(&m->sel, job->models[i].group_index);
    }
    /* what is left: the queue, the running tasks' remaining part, unplanned final phases */
    double left = ps_queue_cost(&m->q), rate = rate_now(m);
    int32_t running = 0;
    for (int32_t r = 0; r < m->ranks; r++)
        if (m->w[r].state == W_BUSY) {
            running++;
            double rest = m->w[r].cost - (now - m->w[r].start) * rate;
            left += rest > 0 ? rest : 0;
        }
    for (int32_t g = 0; g < job->n_groups; g++)
        if (m->mask[g] && m->final_planned[g] < 0)
            left += m->final_estimate[g];
    int32_t workers = m->ranks > 1 ? m->ranks - 1 : 1;
    ps_sweep_progress p = {
        .done = {m->done[0], m->done[1]},
        .total = {m->total[0], final_total(m)},
        .running = running,
        .n_models = job->n_models,
        .best = m->best,
        .elapsed = now - m->t0,
        .eta = m->wall_done > 0 ? left / (rate * workers) : -1,
        .event = ev,
    };
    m->o->progress(m->o->user, &p);
}

/* Stops the run on an error (the first one is returned by the loop). */
static void fail(master *m, int rc)
{
    if (!rc)
        return;
    if (!m->failed_rc)
        m->failed_rc = rc;
    m->fatal = 1;
    m->stopping = 1;
}

/* Group commit: makes every result appended since the last commit durable with one
 * ps_store_sync, then counts them as done and reports them, in the order they came. Called
 * when no further message is waiting, when the store says a sync is due (too many or too old
 * results waiting), before any progress report, and before the loop ends: a result is never
 * reported or counted as stored before it is durable. If the sync fails, the waiting results
 * are not stored (the store cut them back) and the run stops; they run again on resume. */
static int commit(master *m)
{
    if (m->n_pend == 0 && (!m->store || ps_store_pending(m->store) == 0))
        return 0;
    int rc = m->store ? ps_store_sync(m->store, m->err) : 0;
    int32_t n = m->n_pend;
    m->n_pend = 0;
    if (rc) {
        fail(m, rc);
        return rc;
    }
    for (int32_t i = 0; i < n; i++) {
        const pending_result *p = &m->pend[i];
        m->done[p->phase == PS_PHASE_FINAL]++;
        m->ran++;
        m->diverged += p->status == PS_TASK_DIVERGED;
        m->failed += p->status == PS_TASK_FAILED;
        if (m->o->progress)
            report(m, p->event);
    }
    return 0;
}

/* Reports progress (at most once a second unless forced), after committing what waits. */
static void progress(master *m, int force)
{
    double now = ps_now();
    if (!m->o->progress || (!force && now - m->last_progress < 1.0))
        return;
    fail(m, commit(m));
    report(m, m->event[0] ? m->event : NULL);
    m->event[0] = '\0';
}

static void event(master *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void event(master *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->event, sizeof m->event, fmt, ap);
    va_end(ap);
    progress(m, 1);
}

/* A group's selection is complete: record each model's choice, plan the final tasks. */
static int plan_group_final(master *m, int32_t grp)
{
    const ps_job *job = m->job;
    char chosen[256] = "";
    for (int32_t i = 0; i < job->n_models; i++) {
        if (job->models[i].group_index != grp)
            continue;
        ps_store_selection row;
        memset(&row, 0, sizeof row);
        snprintf(row.model, sizeof row.model, "%s", job->models[i].name);
        double mean = NAN, sd = NAN;
        int32_t n = 0, g = -1;
        if (ps_selection_best(&m->sel, i, &g, &mean, &sd, &n) < 0)
            g = -1;
        row.grid = g;
        row.cv_mean = (float)mean;
        row.cv_std = (float)sd;
        row.n_folds = n;
        int rc = ps_store_set_selection(m->store, &row, m->err);
        if (rc)
            return rc;
        size_t len = strlen(chosen);
        if (g >= 0)
            snprintf(chosen + len, sizeof chosen - len, "%s%s: grid %d, %.4f", len ? "; " : "",
                     row.model, (int)g, mean);
        else
            snprintf(chosen + len, sizeof chosen - len, "%s%s: no grid point without a "
                     "diverged or failed task", len ? "; " : "", row.model);
    }
    int32_t models[64], grids[64];
    int32_t k = ps_selection_final_setups(&m->sel, grp, models, grids, 64);
    ps_task *fin = malloc((size_t)(job->final_seeds > 0 ? job->final_seeds : 1) * sizeof *fin);
    if (!fin)
        return ps_err_set(m->err, PS_ENOMEM, "out of memory");
    for (int32_t s = 0; s < k; s++) {
        ps_plan_final(fin, job, models[s], grids[s]);
        for (int32_t r = 0; r < job->final_seeds; r++)
            if (!idset_has(&m->stored, fin[r].id)) {
                int rc = ps_queue_push(&m->q, &fin[r], m->err);
                if (rc) {
                    free(fin);
                    return rc;
                }
            }
    }
    free(fin);
    m->final_planned[grp] = k * job->final_seeds;
    event(m, "selection of %s done (%s): %d final tasks", job->groups[grp], chosen,
          (int)(k * job->final_seeds));
    return 0;
}

/* A finished task: append it to the store (group: without syncing; else synced at once),
 * queue its event for commit(), advance the selection. */
static int take_result(master *m, const ps_task *t, const ps_train_result *r, int32_t rank,
                       double cost, int group)
{
    if (m->n_pend == PEND_MAX) { /* cannot happen (commit when due), but never overflow */
        int rc = commit(m);
        if (rc)
            return rc;
    }
    int rc = group ? ps_store_append(m->store, t, r, rank, m->err)
                   : ps_store_add(m->store, t, r, rank, m->err);
    if (rc)
        return rc;
    rc = idset_add(&m->stored, t->id);
    if (rc)
        return ps_err_set(m->err, rc, "out of memory");
    if (r->status == PS_TASK_DONE && r->wall_seconds > 0) {
        m->flops_done += cost;
        m->wall_done += r->wall_seconds;
    }
    pending_result *p = &m->pend[m->n_pend++];
    p->phase = t->phase;
    p->status = r->status;
    float acc = r->epochs > 0 ? r->eval_acc[r->epochs - 1] : NAN;
    static const char *const st[] = {"done", "diverged", "failed"};
    const char *what = r->status >= 0 && r->status <= 2 ? st[r->status] : "?";
    if (t->phase == PS_PHASE_SELECT)
        snprintf(p->event, sizeof p->event, "select %s grid %d %s %d: %s, val acc %.4f "
                 "(rank %d, %.1f s)%s%s", t->cfg.model, (int)t->grid, t->fold >= 0 ? "fold" : "rep",
                 (int)(t->fold >= 0 ? t->fold : t->rep), what, acc, (int)rank, r->wall_seconds,
                 r->reason[0] ? ": " : "", r->reason);
    else
        snprintf(p->event, sizeof p->event, "final %s grid %d seed %d: %s, test acc %.4f "
                 "(rank %d, %.1f s)%s%s", t->cfg.model, (int)t->grid, (int)t->rep, what, acc,
                 (int)rank, r->wall_seconds, r->reason[0] ? ": " : "", r->reason);
    if (!group || m->n_pend == PEND_MAX || ps_store_sync_due(m->store)) {
        rc = commit(m);
        if (rc)
            return rc;
    }
    if (t->phase == PS_PHASE_SELECT) {
        int32_t grp = ps_selection_add(&m->sel, t, r->status, acc);
        if (grp >= 0)
            return plan_group_final(m, grp); /* its selection record syncs the store too */
    }
    return 0;
}

/* A stop signal or the deadline: no more tasks are handed out, and what waits is made
 * durable now (event() also commits, but only when progress is reported). */
static void check_stop(master *m)
{
    double now = ps_now();
    if (!m->stopping && m->o->stop && *m->o->stop) {
        m->stopping = 1;
        m->stop_time = now;
        fail(m, commit(m));
        event(m, "stop requested: no more tasks are handed out; running tasks may finish for "
              "up to %.0f s", m->o->grace);
    }
    if (!m->stopping && m->deadline > 0 && now >= m->deadline) {
        m->stopping = 1;
        m->deadline_hit = 1;
        m->stop_time = now - m->o->grace; /* at the deadline, running tasks are given up */
        fail(m, commit(m));
        event(m, "deadline reached: running tasks are given up");
    }
}

/* 1 when running tasks must be given up now. */
static int must_abandon(const master *m)
{
    if (m->fatal)
        return 1;
    if (!m->stopping)
        return 0;
    if (m->o->stop && *m->o->stop >= 2)
        return 1;
    if (m->deadline > 0 && ps_now() >= m->deadline)
        return 1;
    return ps_now() - m->stop_time >= m->o->grace;
}

/* The next task to start, longest first among those that fit before the deadline. */
static int next_task(master *m, ps_task *t, double *cost)
{
    double max_cost = HUGE_VAL;
    if (m->deadline > 0) {
        double left = m->deadline - ps_now();
        max_cost = left > 0 ? left * rate_now(m) / DEADLINE_MARGIN : 0;
    }
    if (ps_queue_pop(&m->q, max_cost, t, cost))
        return 1;
    if (m->q.n > 0 && !m->deadline_hit) {
        m->deadline_hit = 1;
        event(m, "deadline: the %d queued tasks cannot finish in time; no more are started",
              (int)m->q.n);
    }
    return 0;
}

static int self_abort_cb(void *user, int32_t epoch, const ps_train_result *partial)
{
    master *m = user;
    (void)epoch;
    (void)partial;
    check_stop(m);
    progress(m, 0);
    return must_abandon(m);
}

/* One rank: rank 0 runs every task itself. */
static int master_alone(master *m, const ps_mnist *mn)
{
    m->w[0].state = W_IDLE;
    for (;;) {
        check_stop(m);
        ps_task t;
        double cost;
        if (m->stopping || !next_task(m, &t, &cost))
            return 0;
        ps_train_result r;
        int interrupted, owned;
        m->w[0].state = W_BUSY;
        m->w[0].start = ps_now();
        m->w[0].cost = cost;
        run_task(&r, &interrupted, &owned, &t, mn, self_abort_cb, m);
        m->w[0].state = W_IDLE;
        int rc = 0;
        if (interrupted) {
            m->abandoned++;
            event(m, "%s %s grid %d given up (it will run again on resume)",
                  t.phase == PS_PHASE_SELECT ? "select" : "final", t.cfg.model, (int)t.grid);
        } else {
            rc = take_result(m, &t, &r, 0, cost, 0);
        }
        free_task_result(&r, owned);
        if (rc)
            return rc;
    }
}

/* Hands worker r its next task when it is idle and one is left. */
static void hand_out(master *m, int32_t r)
{
    worker_slot *w = &m->w[r];
    if (w->state == W_IDLE && !m->stopping && !m->fatal && next_task(m, &w->task, &w->cost)) {
        MPI_Send(&w->task, (int)sizeof w->task, MPI_BYTE, r, PS_SWEEP_TAG_TASK, MPI_COMM_WORLD);
        w->state = W_BUSY;
        w->start = ps_now();
        w->abort_sent = 0;
    }
}

/* A RESULT message: the worker gets its next task first (it never waits on the disk), then
 * the result is appended to the store (made durable by the next commit()). */
static int receive_result(master *m, const MPI_Status *st)
{
    int src = st->MPI_SOURCE, count = 0;
    MPI_Get_count(st, MPI_BYTE, &count);
    if ((size_t)(count > 0 ? count : 1) > m->rcap) { /* no allocation per result */
        size_t cap = (size_t)(count > 0 ? count : 1);
        char *b = malloc(cap);
        if (!b) {
            MPI_Recv(NULL, 0, MPI_BYTE, src, PS_SWEEP_TAG_RESULT, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
            return ps_err_set(m->err, PS_ENOMEM, "out of memory for a result of rank %d", src);
        }
        free(m->rbuf);
        m->rbuf = b;
        m->rcap = cap;
    }
    char *buf = m->rbuf;
    MPI_Recv(buf, count, MPI_BYTE, src, PS_SWEEP_TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    worker_slot *w = &m->w[src];
    ps_train_result r;
    ps_sweep_wire_head h;
    int rc = 0;
    if (w->state != W_BUSY || ps_sweep_result_unpack(&r, &h, buf, (size_t)count) ||
        strcmp(h.id, w->task.id)) {
        rc = ps_err_set(m->err, PS_EFORMAT, "rank %d sent a result that does not match its "
                        "task %s", src, w->task.id);
        w->state = W_IDLE;
    } else {
        ps_task done = w->task;
        double cost = w->cost;
        w->state = W_IDLE;
        check_stop(m);
        hand_out(m, src);
        if (h.interrupted) {
            m->abandoned++;
            event(m, "%s %s grid %d given up on rank %d (it will run again on resume)",
                  done.phase == PS_PHASE_SELECT ? "select" : "final", done.cfg.model,
                  (int)done.grid, src);
        } else {
            rc = take_result(m, &done, &r, src, cost, 1);
        }
    }
    return rc;
}

/* Several ranks: hand tasks out, collect results, until nothing is left or a stop. */
static int master_loop(master *m)
{
    long ns = SLEEP_MIN_NS;
    for (;;) {
        check_stop(m);
        int busy = 0, unknown = 0;
        int abandon = must_abandon(m);
        for (int32_t r = 1; r < m->ranks; r++) {
            worker_slot *w = &m->w[r];
            if (w->state == W_BUSY && abandon && !w->abort_sent) {
                MPI_Send(NULL, 0, MPI_BYTE, r, PS_SWEEP_TAG_ABORT, MPI_COMM_WORLD);
                w->abort_sent = 1;
            }
            hand_out(m, r);
            busy += w->state == W_BUSY;
            unknown += w->state == W_UNKNOWN;
        }
        if (!busy && !unknown) { /* everything idle: nothing could be handed out */
            fail(m, commit(m));
            return m->failed_rc;
        }
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            if (m->n_pend > 0) { /* nothing else waiting: make the results durable now */
                fail(m, commit(m));
                continue;
            }
            progress(m, 0);
            nap(&ns);
            continue;
        }
        ns = SLEEP_MIN_NS;
        if (st.MPI_TAG == PS_SWEEP_TAG_READY) {
            MPI_Recv(NULL, 0, MPI_BYTE, st.MPI_SOURCE, PS_SWEEP_TAG_READY, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
            m->w[st.MPI_SOURCE].state = W_IDLE;
        } else if (st.MPI_TAG == PS_SWEEP_TAG_RESULT) {
            fail(m, receive_result(m, &st));
        } else { /* unexpected: drop it */
            int count = 0;
            MPI_Get_count(&st, MPI_BYTE, &count);
            char *junk = malloc(count > 0 ? (size_t)count : 1);
            MPI_Recv(junk, junk ? count : 0, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            free(junk);
        }
    }
}

/* Every worker ends its loop: a worker not heard from yet is waited for (its READY). */
static void stop_workers(master *m)
{
    for (int32_t r = 1; r < m->ranks; r++) {
        if (m->w[r].state == W_UNKNOWN) {
            MPI_Status st;
            wait_message(r, &st);
            MPI_Recv(NULL, 0, MPI_BYTE, r, PS_SWEEP_TAG_READY, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
        MPI_Send(NULL, 0, MPI_BYTE, r, PS_SWEEP_TAG_STOP, MPI_COMM_WORLD);
    }
}

static int32_t model_index(const ps_job *job, const char *name)
{
    for (int32_t i = 0; i < job->n_models; i++)
        if (!strcmp(job->models[i].name, name))
            return i;
    return -1;
}

/* The /grid, /models and /plan tables (a resumed file keeps its own). */
static int write_tables(master *m)
{
    const ps_job *job = m->job;
    int32_t n_grid = 0, n_models = 0, n_plan = 0;
    for (int32_t i = 0; i < job->n_models; i++)
        if (m->mask[job->models[i].group_index]) {
            n_grid += job->models[i].n_grid;
            n_models++;
        }
    int32_t n_final = final_total(m);
    ps_store_grid_row *grid = calloc((size_t)n_grid + 1, sizeof *grid);
    ps_store_model_row *models = calloc((size_t)n_models + 1, sizeof *models);
    ps_store_plan_row *plan = calloc((size_t)(m->n_select + n_final) + 1, sizeof *plan);
    int rc = (!grid || !models || !plan) ? ps_err_set(m->err, PS_ENOMEM, "out of memory") : 0;
    for (int32_t i = 0, k = 0, j = 0; !rc && i < job->n_models; i++) {
        if (!m->mask[job->models[i].group_index])
            continue;
        for (int32_t g = 0; g < job->models[i].n_grid; g++, k++) {
            ps_train_config c;
            ps_job_config(&c, job, i, g);
            ps_store_grid_row_set(&grid[k], g, &c);
        }
        ps_store_model_row *mr = &models[j++];
        ps_model_info info;
        ps_net *net = NULL;
        snprintf(mr->model, sizeof mr->model, "%s", job->models[i].name);
        ps_err ignored;
        if (ps_model_lookup(&info, mr->model, &ignored) == 0 &&
            ps_model_build(&net, &info, -1, &ignored) == 0) {
            snprintf(mr->arch, sizeof mr->arch, "%.*s", (int)sizeof mr->arch - 1, info.arch);
            mr->params = (int64_t)ps_net_n_params(net);
            mr->flops = ps_net_flops_train(net);
            ps_net_free(net);
        }
    }
    for (int32_t t = 0; !rc && t < m->n_select; t++) {
        const ps_task *s = &m->select[t];
        ps_store_plan_row *p = &plan[n_plan++];
        memcpy(p->task_id, s->id, sizeof p->task_id);
        p->phase = PS_PHASE_SELECT;
        snprintf(p->model, sizeof p->model, "%s", s->cfg.model);
        p->grid = s->grid;
        p->fold = s->fold;
        p->rep = s->rep;
    }
    /* final cells: grid -1 until the selection; a group of several models names the group */
    for (int32_t g = 0; !rc && g < job->n_groups; g++) {
        if (!m->mask[g])
            continue;
        uint8_t one[PS_JOB_MAX_MODELS] = {0};
        one[g] = 1;
        int32_t cells = ps_plan_final_count(job, one), in_group = 0, first = -1;
        for (int32_t i = 0; i < job->n_models; i++)
            if (job->models[i].group_index == g) {
                in_group++;
                first = first < 0 ? i : first;
            }
        for (int32_t c = 0; c < cells; c++) {
            ps_store_plan_row *p = &plan[n_plan++];
            p->phase = PS_PHASE_FINAL;
            snprintf(p->model, sizeof p->model, "%s",
                     in_group == 1 ? job->models[first].name : job->groups[g]);
            p->grid = -1;
            p->fold = -1;
            p->rep = c % job->final_seeds;
        }
    }
    if (!rc)
        rc = ps_store_write_grid(m->store, grid, n_grid, m->err);
    if (!rc)
        rc = ps_store_write_models(m->store, models, n_models, m->err);
    if (!rc)
        rc = ps_store_write_plan(m->store, plan, n_plan, m->err);
    free(grid);
    free(models);
    free(plan);
    return rc;
}

typedef struct id_index {
    uint64_t key;
    int32_t i;
} id_index;

static int cmp_index(const void *a, const void *b)
{
    uint64_t x = ((const id_index *)a)->key, y = ((const id_index *)b)->key;
    return x < y ? -1 : x > y;
}

/* What the file already holds: count it, feed the selection, plan what is missing. */
static int resume(master *m, const char *path)
{
    ps_store_row *rows = NULL;
    int32_t n = 0;
    int rc = ps_store_rows(m->store, &rows, &n, m->err);
    if (rc)
        return rc;
    id_index *ix = malloc(((size_t)m->n_select + 1) * sizeof *ix);
    if (!ix) {
        free(rows);
        return ps_err_set(m->err, PS_ENOMEM, "out of memory");
    }
    for (int32_t t = 0; t < m->n_select; t++)
        ix[t] = (id_index){id_key(m->select[t].id), t};
    qsort(ix, (size_t)m->n_select, sizeof *ix, cmp_index);
    for (int32_t k = 0; !rc && k < n; k++) {
        const ps_store_row *row = &rows[k];
        int32_t mi = model_index(m->job, row->model);
        if (mi < 0 || !m->mask[m->job->models[mi].group_index]) {
            rc = ps_err_set(m->err, PS_ESTATE, "%s: holds task %s of model '%s', which this run "
                            "does not plan (a file of another shard?)", path, row->task_id,
                            row->model);
            break;
        }
        if (idset_has(&m->stored, row->task_id))
            continue;
        rc = idset_add(&m->stored, row->task_id);
        m->done[row->phase == PS_PHASE_FINAL]++;
        m->diverged += row->status == PS_TASK_DIVERGED;
        m->failed += row->status == PS_TASK_FAILED;
        if (row->phase != PS_PHASE_SELECT)
            continue;
        id_index key = {id_key(row->task_id), 0};
        id_index *hit = bsearch(&key, ix, (size_t)m->n_select, sizeof *ix, cmp_index);
        if (hit)
            (void)ps_selection_add(&m->sel, &m->select[hit->i], row->status, row->eval_acc);
    }
    free(ix);
    free(rows);
    for (int32_t g = 0; !rc && g < m->job->n_groups; g++)
        if (m->mask[g] && ps_selection_group_complete(&m->sel, g))
            rc = plan_group_final(m, g);
    for (int32_t t = 0; !rc && t < m->n_select; t++)
        if (!idset_has(&m->stored, m->select[t].id))
            rc = ps_queue_push(&m->q, &m->select[t], m->err);
    return rc;
}

static int master_init(master *m, const ps_job *job, int32_t ranks)
{
    const ps_sweep_opts *o = m->o;
    m->job = job;
    m->ranks = ranks;
    m->mask = calloc((size_t)job->n_groups, 1);
    m->final_planned = malloc((size_t)job->n_groups * sizeof *m->final_planned);
    m->final_estimate = calloc((size_t)job->n_groups, sizeof *m->final_estimate);
    m->w = calloc((size_t)ranks, sizeof *m->w);
    m->best = calloc((size_t)job->n_models, sizeof *m->best);
    m->pend = calloc(PEND_MAX, sizeof *m->pend);
    int32_t *shard = calloc((size_t)job->n_groups, sizeof *shard);
    if (!m->mask || !m->final_planned || !m->final_estimate || !m->w || !m->best || !m->pend ||
        !shard) {
        free(shard);
        return ps_err_set(m->err, PS_ENOMEM, "out of memory");
    }
    int rc = o->n_shards > 1 ? ps_plan_shards(shard, job, o->n_shards, m->err) : 0;
    for (int32_t g = 0; g < job->n_groups; g++) {
        m->mask[g] = o->n_shards > 1 ? shard[g] == o->shard : 1;
        m->final_planned[g] = -1;
    }
    free(shard);
    ps_queue_init(&m->q);
    if (!rc)
        rc = ps_plan_select(&m->select, &m->n_select, job, m->mask, m->err);
    if (!rc)
        rc = ps_selection_init(&m->sel, job, m->mask, m->err);
    if (!rc && idset_init(&m->stored, (size_t)m->n_select + (size_t)final_total(m)))
        rc = ps_err_set(m->err, PS_ENOMEM, "out of memory");
    if (rc)
        return rc;
    /* a group's final phase, estimated: its whole cost less its selection's */
    for (int32_t g = 0; g < job->n_groups; g++)
        m->final_estimate[g] = ps_plan_group_cost(job, g);
    for (int32_t i = 0; i < job->n_models; i++) {
        ps_task t;
        memset(&t, 0, sizeof t);
        ps_job_config(&t.cfg, job, i, 0);
        t.cfg.eval = job->select_eval;
        t.cfg.folds = job->folds;
        t.cfg.holdout = job->holdout;
        m->final_estimate[job->models[i].group_index] -=
            ps_train_cost_flops(&t.cfg) * job->models[i].n_grid * job->select_reps *
            (job->select_eval == PS_EVAL_KFOLD ? job->folds : 1);
    }
    m->total[0] = m->n_select;
    return 0;
}

static void master_free(master *m)
{
    free(m->mask);
    free(m->final_planned);
    free(m->final_estimate);
    free(m->w);
    free(m->best);
    free(m->pend);
    free(m->rbuf);
    free(m->select);
    free(m->stored.keys);
    ps_selection_free(&m->sel);
    ps_queue_free(&m->q);
}

static int open_store(master *m, const ps_mnist *mn, const char *path)
{
    const ps_job *job = m->job;
    if (!m->o->output) { /* the default results/ directory is made on demand */
        if (mkdir("results", 0777) && errno != EEXIST)
            return ps_err_set(m->err, PS_EIO, "results: cannot create the directory: %s",
                              strerror(errno));
    }
    ps_store_meta meta = {
        .job_name = job->name,
        .job_text = job->text,
        .mnist_sha256 = {mn->sha256[0], mn->sha256[1], mn->sha256[2], mn->sha256[3]},
        .ranks = m->ranks,
        .planned_tasks = m->total[0] + final_total(m),
    };
    return ps_store_open(&m->store, path, &meta, m->o->restart, m->err);
}

/* CPU seconds (user + system) of this process so far. */
static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return 0;
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static int master_run(const ps_sweep_opts *o, const ps_job *job, const ps_mnist *mn,
                      int32_t ranks, ps_sweep_summary *sum, ps_err *err)
{
    master m;
    memset(&m, 0, sizeof m);
    m.o = o;
    m.err = err;
    m.t0 = ps_now();
    if (o->output)
        snprintf(sum->output, sizeof sum->output, "%s", o->output);
    else
        ps_sweep_default_output(sum->output, sizeof sum->output, job, o->shard, o->n_shards);
    snprintf(sum->job_name, sizeof sum->job_name, "%s", job->name);
    int rc = master_init(&m, job, ranks);
    if (!rc)
        rc = open_store(&m, mn, sum->output);
    if (!rc)
        rc = write_tables(&m);
    if (!rc)
        rc = resume(&m, sum->output);
    if (!rc) {
        m.deadline = o->deadline > 0 ? m.t0 + o->deadline : 0;
        event(&m, "study %s: %d tasks planned (%d selection, %d final), %d already in %s; "
              "%d rank%s", job->name, (int)(m.total[0] + final_total(&m)), (int)m.total[0],
              (int)final_total(&m), (int)(m.done[0] + m.done[1]), sum->output, (int)ranks,
              ranks > 1 ? "s" : "");
        double cpu0 = cpu_seconds(), wall0 = ps_now();
        rc = ranks > 1 ? master_loop(&m) : master_alone(&m, mn);
        sum->loop_cpu = cpu_seconds() - cpu0;
        sum->loop_wall = ps_now() - wall0;
    }
    if (ranks > 1)
        stop_workers(&m);
    int complete = 0;
    if (m.total[0] > 0 || m.n_select == 0) {
        int32_t groups_done = 1;
        for (int32_t g = 0; g < job->n_groups; g++)
            if (m.mask && m.mask[g] && !ps_selection_group_complete(&m.sel, g))
                groups_done = 0;
        complete = !rc && groups_done && m.q.n == 0 && m.done[0] >= m.total[0] &&
                   m.done[1] >= final_total(&m);
    }
    if (m.store) {
        ps_err e2;
        int rc2 = ps_store_close(m.store, complete, &e2);
        m.store = NULL;
        if (rc2 && !rc) {
            rc = rc2;
            *err = e2;
        }
    }
    progress(&m, 1);
    sum->complete = complete;
    sum->stopped = m.stopping && !m.deadline_hit && !m.fatal;
    sum->deadline_hit = m.deadline_hit;
    sum->planned = m.mask ? m.total[0] + final_total(&m) : 0;
    sum->stored = m.done[0] + m.done[1];
    sum->ran = m.ran;
    sum->diverged = m.diverged;
    sum->failed = m.failed;
    sum->abandoned = m.abandoned;
    sum->rate = m.wall_done > 0 ? m.flops_done / m.wall_done : 0;
    master_free(&m);
    return rc;
}

/* ---- start: the job from rank 0 to everyone, MNIST on every rank ------------------------ */

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

static int check_job(const ps_sweep_opts *o, ps_job *job, ps_err *err)
{
    int rc = ps_job_load(job, o->job_path, err);
    if (rc)
        return rc;
    rc = ps_job_check_models(job, err);
    if (!rc && o->n_shards > 1) {
        int32_t *tmp = calloc((size_t)job->n_groups, sizeof *tmp);
        rc = tmp ? ps_plan_shards(tmp, job, o->n_shards, err)
                 : ps_err_set(err, PS_ENOMEM, "out of memory");
        free(tmp);
        if (!rc && (o->shard < 0 || o->shard >= o->n_shards))
            rc = ps_err_set(err, PS_EINVAL, "shard %d of %d does not exist", (int)o->shard + 1,
                            (int)o->n_shards);
    }
    if (rc)
        ps_job_free(job);
    return rc;
}

static int setup(const ps_sweep_opts *o, int rank, int ranks, ps_job *job, ps_mnist *mn,
                 ps_err *err)
{
    setup_head h;
    memset(&h, 0, sizeof h);
    if (rank == 0) {
        h.rc = check_job(o, job, err);
        if (!h.rc) {
            h.text_len = job->text_len;
            snprintf(h.path, sizeof h.path, "%s", job->path);
            snprintf(h.mnist, sizeof h.mnist, "%s",
                     o->mnist_dir ? o->mnist_dir
                                  : job->mnist_dir[0] ? job->mnist_dir : ps_mnist_default_dir());
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
    char *text = rank ? malloc(h.text_len + 1) : job->text;
    int32_t got_text = text != NULL, all_text = 0;
    MPI_Allreduce(&got_text, &all_text, 1, MPI_INT32_T, MPI_MIN, MPI_COMM_WORLD);
    if (!all_text) {
        if (rank)
            free(text);
        else
            ps_job_free(job);
        return ps_err_set(err, PS_ENOMEM, "out of memory for the job text");
    }
    MPI_Bcast(text, (int)h.text_len, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (rank) {
        mine.rc = ps_job_parse(job, text, h.text_len, h.path, &e);
        free(text);
    }
    int have_job = mine.rc == 0;
    /* Every large buffer (MNIST, a task's pairs and net arena) gets its own mapping, given back
     * when freed. glibc's default raises the mmap threshold at the first such free; the next
     * tasks' arenas of other sizes then land in the heap, whose freed memory stays resident:
     * a worker running the 7 report-000 models grew to 98 MiB instead of 76 MiB. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    if (!mine.rc)
        mine.rc = ps_mnist_load(mn, h.mnist, &e);
    if (mine.rc)
        snprintf(mine.msg, sizeof mine.msg, "%s", e.msg);
    setup_status *all = rank ? NULL : calloc((size_t)ranks, sizeof *all);
    MPI_Gather(&mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine, MPI_BYTE, 0,
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

int ps_sweep_run(const ps_sweep_opts *o, ps_sweep_summary *sum, ps_err *err)
{
    memset(sum, 0, sizeof *sum);
    int inited = 0, rank = 0, ranks = 1;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return ps_err_set(err, PS_EIO, "MPI_Init failed");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    sum->rank = rank;
    sum->ranks = ranks;
    ps_nn_blas_single_thread();
    double t0 = ps_now();
    ps_job job;
    ps_mnist mn;
    memset(&job, 0, sizeof job);
    memset(&mn, 0, sizeof mn);
    int rc = setup(o, rank, ranks, &job, &mn, err);
    if (!rc) {
        rc = rank == 0 ? master_run(o, &job, &mn, ranks, sum, err) : worker_loop(&mn, &sum->ran);
        ps_job_free(&job);
        ps_mnist_free(&mn);
    }
    sum->elapsed = ps_now() - t0;
    if (rank == 0)
        sum->master_cpu = cpu_seconds();
    if (!inited)
        MPI_Finalize();
    return rc;
}
