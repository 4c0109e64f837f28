/* Rank 0 of a run, whatever moves the tasks: it passes events to the scheduler (free workers,
 * results, stop requests, the time), stores results with group commit, acts on the
 * scheduler's events and reports progress. Both drivers (local_driver.c, mpi_driver.c) call
 * it the same way. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_internal.h"

int ps__master_init(ps__master *m, const ps_sweep_opts *o, const ps_job *job, int32_t workers,
                    double t0, ps_err *err)
{
    memset(m, 0, sizeof *m);
    m->o = o;
    m->job = job;
    m->err = err;
    m->mask = calloc((size_t)job->n_groups, 1);
    m->best = calloc((size_t)job->n_models, sizeof *m->best);
    m->pend = calloc(PS__PEND_MAX, sizeof *m->pend);
    int32_t *shard = calloc((size_t)job->n_groups, sizeof *shard);
    if (!m->mask || !m->best || !m->pend || !shard) {
        free(shard);
        return ps_err_set(err, PS_ENOMEM, "out of memory");
    }
    int rc = o->n_shards > 1 ? ps_plan_shards(shard, job, o->n_shards, err) : 0;
    for (int32_t g = 0; g < job->n_groups; g++)
        m->mask[g] = o->n_shards > 1 ? shard[g] == o->shard : 1;
    free(shard);
    if (rc)
        return rc;
    ps_sched_opts so = {
        .job = job,
        .group_mask = m->mask,
        .workers = workers,
        .start = t0,
        .deadline = o->deadline > 0 ? t0 + o->deadline : 0,
        .grace = o->grace,
        .rate = o->rate,
        .task_timeout = job->task_timeout,
        .audit = o->audit,
    };
    if (o->audit && !job->racing.on)
        return ps_err_set(err, PS_EINVAL, "%s: --audit: the job does not race (no "
                          "protocol.racing)", job->path);
    return ps_sched_create(&m->sched, &so, err);
}

void ps__master_free(ps__master *m)
{
    ps_sched_free(m->sched);
    free(m->mask);
    free(m->best);
    free(m->pend);
    memset(m, 0, sizeof *m);
}

/* ---- progress ---------------------------------------------------------------------------- */

/* Calls the progress callback with the state now and the event ev (may be NULL). The counts
 * of tasks done are those durable in the file. */
static void report(ps__master *m, const char *ev)
{
    double now = ps_now();
    m->last_progress = now;
    ps_sweep_progress p;
    ps_sched_progress(m->sched, now, &p, m->best);
    p.done[0] = m->stored[0];
    p.done[1] = m->stored[1];
    p.done[2] = m->stored[2];
    p.event = ev;
    m->o->progress(m->o->user, &p);
}

void ps__master_fail(ps__master *m, int rc)
{
    if (!rc)
        return;
    if (!m->failed_rc)
        m->failed_rc = rc;
    if (m->sched)
        ps_sched_halt(m->sched);
}

/* Group commit: makes every result appended since the last commit durable with one
 * ps_store_sync, then counts them as stored and reports them, in the order they came. Called
 * when no further message is waiting, when the store says a sync is due (too many or too old
 * results waiting), before any progress report, and before the run ends: a result is never
 * reported or counted as stored before it is durable. If the sync fails, the waiting results
 * are not stored (the store cut them back) and the run stops; they run again on resume. */
int ps__master_commit(ps__master *m)
{
    if (m->n_pend == 0 && (!m->store || ps_store_pending(m->store) == 0))
        return 0;
    int rc = m->store ? ps_store_sync(m->store, m->err) : 0;
    int32_t n = m->n_pend;
    m->n_pend = 0;
    if (rc) {
        ps__master_fail(m, rc);
        return rc;
    }
    for (int32_t i = 0; i < n; i++) {
        const ps__pending *p = &m->pend[i];
        m->stored[p->phase >= 0 && p->phase <= 2 ? p->phase : 0]++;
        m->ran += p->status != PS_TASK_PRUNED;
        m->diverged += p->status == PS_TASK_DIVERGED;
        m->failed += p->status == PS_TASK_FAILED;
        m->pruned += p->status == PS_TASK_PRUNED;
        if (m->o->progress && p->event[0])
            report(m, p->event);
    }
    return 0;
}

int32_t ps__master_pending(const ps__master *m)
{
    return m->n_pend;
}

void ps__master_progress(ps__master *m, int force)
{
    double now = ps_now();
    if (!m->o->progress || (!force && now - m->last_progress < 1.0))
        return;
    ps__master_fail(m, ps__master_commit(m));
    report(m, m->event[0] ? m->event : NULL);
    m->event[0] = '\0';
}

void ps__master_event(ps__master *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->event, sizeof m->event, fmt, ap);
    va_end(ap);
    ps__master_progress(m, 1);
}

/* ---- the scheduler's events -------------------------------------------------------------- */

/* Acts on the scheduler's events in order: a selected group gets its /selection rows; a stop
 * or the deadline makes what waits durable now. Returns the first error (the run stops). */
static int handle_events(ps__master *m)
{
    ps_sched_event ev;
    while (ps_sched_poll(m->sched, &ev)) {
        switch (ev.kind) {
        case PS_SCHED_EV_SELECTED: {
            char chosen[256];
            if (m->failed_rc) /* the run is failing: nothing more is written */
                break;
            int rc = ps__record_selection(m, ev.group, chosen, sizeof chosen);
            if (rc) {
                ps__master_fail(m, rc);
                return rc;
            }
            ps__master_event(m, "selection of %s done (%s): %d final tasks",
                             m->job->groups[ev.group], chosen, (int)ev.count);
            break;
        }
        case PS_SCHED_EV_STOP:
            ps__master_fail(m, ps__master_commit(m));
            if (m->ending)
                ps__master_event(m, "stop requested: mpirun is ending the job (it kills every "
                                 "rank in a moment): running tasks are given up");
            else
                ps__master_event(m, "stop requested: no more tasks are handed out; running "
                                 "tasks may finish for up to %.0f s", m->o->grace);
            break;
        case PS_SCHED_EV_DEADLINE:
            ps__master_fail(m, ps__master_commit(m));
            ps__master_event(m, "deadline reached: running tasks are given up");
            break;
        case PS_SCHED_EV_REFUSED:
            ps__master_event(m, "deadline: the %d queued tasks cannot finish in time; no more "
                             "are started", (int)ev.count);
            break;
        case PS_SCHED_EV_PRUNED: {
            char line[256];
            if (m->failed_rc)
                break;
            int rc = ps__record_drops(m, ev.first, ev.count, line, sizeof line);
            if (rc) {
                ps__master_fail(m, rc);
                return rc;
            }
            if (line[0])
                ps__master_event(m, "race %s: %s", m->job->groups[ev.group], line);
            break;
        }
        }
    }
    return 0;
}

int ps__master_start(ps__master *m)
{
    int rc = ps_sched_start(m->sched, m->err);
    return rc ? rc : handle_events(m);
}

int32_t ps__master_tick(ps__master *m, int32_t *abandon, int32_t cap)
{
    double now = ps_now();
    int32_t stop = m->o->stop ? (int32_t)*m->o->stop : 0;
    if (!m->ending && m->o->ending && *m->o->ending) {
        m->ending = 1; /* the stop below (its SIGTERM is counted in stop too) says so */
        if (m->signals == stop)
            ps_sched_signal(m->sched, now);
    }
    for (; m->signals < stop; m->signals++) {
        if (m->signals == 0)
            m->first_signal = now;
        else if (now - m->first_signal < PS__SIGNAL_MERGE)
            continue;
        ps_sched_signal(m->sched, now);
    }
    int32_t n = ps_sched_tick(m->sched, now, abandon, cap);
    (void)handle_events(m);
    return n;
}

ps_sched_answer ps__master_next(ps__master *m, int32_t w, ps_task *task)
{
    ps_sched_answer a = ps_sched_next(m->sched, w, ps_now(), task, NULL);
    (void)handle_events(m);
    return a;
}

/* ---- results ----------------------------------------------------------------------------- */

int ps__master_result(ps__master *m, int32_t w, const ps_train_result *r, int interrupted,
                      ps_task *done)
{
    const ps_task *t = ps_sched_running(m->sched, w);
    if (!t)
        return ps_err_set(m->err, PS_ESTATE, "worker %d runs no task", (int)w);
    *done = *t;
    ps_sched_outcome out = {
        .status = r->status,
        .eval_acc = r->epochs > 0 && r->eval_acc ? r->eval_acc[r->epochs - 1] : NAN,
        .wall_seconds = r->wall_seconds,
        .interrupted = interrupted,
        .correct = r->outcomes,
        .n_correct = r->n_outcomes,
    };
    int rc = ps_sched_result(m->sched, w, &out, ps_now(), m->err);
    ps__master_fail(m, rc);
    return rc;
}

int32_t ps__master_timeouts(ps__master *m, int32_t *retired, int32_t cap, int32_t rank_offset)
{
    int32_t n = ps_sched_timeouts(m->sched, ps_now(), retired, cap);
    for (int32_t i = 0; i < n; i++) {
        int32_t rank = retired[i] + rank_offset;
        char why[96];
        snprintf(why, sizeof why, "timeout after %.0f s on rank %d",
                 ps_sched_task_limit(m->sched, retired[i]), (int)rank);
        ps__run x;
        ps__run_failed(&x, &ps_sched_running(m->sched, retired[i])->cfg, why);
        ps_task done;
        int rc = ps__master_result(m, retired[i], &x.r, 0, &done);
        rc = rc ? rc : ps__master_record(m, &done, &x.r, 0, rank, 1);
        ps__run_free(&x);
        ps__master_fail(m, rc); /* the worker stays retired whatever happens */
        m->hung++;
    }
    return n;
}

/* The line that reports a stored result ("" for a pruned task: its race reports it). */
static void result_line(char *buf, size_t cap, const ps_task *t, const ps_train_result *r,
                        int32_t rank)
{
    static const char *const st[] = {"done", "diverged", "failed"};
    const char *what = r->status >= 0 && r->status <= 2 ? st[r->status] : "?";
    float acc = r->epochs > 0 ? r->eval_acc[r->epochs - 1] : NAN;
    if (r->status == PS_TASK_PRUNED)
        buf[0] = '\0';
    else if (t->phase != PS_PHASE_FINAL)
        snprintf(buf, cap, "%s %s grid %d %s %d: %s, val acc %.4f (rank %d, %.1f s)%s%s",
                 t->phase == PS_PHASE_AUDIT ? "audit" : "select", t->cfg.model, (int)t->grid, t->fold >= 0 ? "fold" : "rep",
                 (int)(t->fold >= 0 ? t->fold : t->rep), what, acc, (int)rank, r->wall_seconds,
                 r->reason[0] ? ": " : "", r->reason);
    else
        snprintf(buf, cap, "final %s grid %d seed %d: %s, test acc %.4f (rank %d, %.1f s)%s%s",
                 t->cfg.model, (int)t->grid, (int)t->rep, what, acc, (int)rank, r->wall_seconds,
                 r->reason[0] ? ": " : "", r->reason);
}

/* Appends the result to the store (group: without syncing; else synced at once) and queues
 * its line for the commit. */
static int store_result(ps__master *m, const ps_task *t, const ps_train_result *r, int32_t rank,
                        int group)
{
    if (m->n_pend == PS__PEND_MAX) { /* cannot happen (commit when due), but never overflow */
        int rc = ps__master_commit(m);
        if (rc)
            return rc;
    }
    int rc = group ? ps_store_append(m->store, t, r, rank, m->err)
                   : ps_store_add(m->store, t, r, rank, m->err);
    if (rc)
        return rc;
    ps__pending *p = &m->pend[m->n_pend++];
    p->phase = t->phase;
    p->status = r->status;
    result_line(p->event, sizeof p->event, t, r, rank);
    if (!group || m->n_pend == PS__PEND_MAX || ps_store_sync_due(m->store))
        return ps__master_commit(m);
    return 0;
}

int ps__master_store_pruned(ps__master *m, const ps_task *t, const char *reason)
{
    ps_train_result r;
    memset(&r, 0, sizeof r);
    r.status = PS_TASK_PRUNED;
    snprintf(r.reason, sizeof r.reason, "%s", reason);
    int rc = store_result(m, t, &r, 0, 1);
    ps__master_fail(m, rc);
    return rc;
}

int ps__master_record(ps__master *m, const ps_task *t, const ps_train_result *r, int interrupted,
                      int32_t rank, int group)
{
    if (interrupted) {
        char where[32] = "";
        if (rank > 0)
            snprintf(where, sizeof where, " on rank %d", (int)rank);
        static const char *const ph[] = {"select", "final", "audit"};
        ps__master_event(m, "%s %s grid %d given up%s (it will run again on resume)",
                         ph[t->phase >= 0 && t->phase <= 2 ? t->phase : 0], t->cfg.model,
                         (int)t->grid, where);
        return handle_events(m);
    }
    int rc = store_result(m, t, r, rank, group);
    if (rc) {
        ps__master_fail(m, rc);
        return rc;
    }
    return handle_events(m); /* a selection completed: its record syncs the store too */
}
