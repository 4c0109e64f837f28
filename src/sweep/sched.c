/* The scheduling rules of a study (include/pairsweep/sched.h): a state machine without clock,
 * I/O or MPI. The races are in sched_race.c, the progress and the ETA in sched_progress.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"

/* ---- creation ---------------------------------------------------------------------------- */

/* A group's final phase, estimated: the group's whole cost less its selection's. */
static void estimate_finals(ps_sched *s)
{
    const ps_job *job = s->job;
    for (int32_t g = 0; g < job->n_groups; g++)
        s->final_estimate[g] = ps_plan_group_cost(job, g);
    for (int32_t i = 0; i < job->n_models; i++) {
        ps_train_config cfg;
        memset(&cfg, 0, sizeof cfg);
        ps_job_config(&cfg, job, i, 0);
        cfg.eval = job->select_eval;
        cfg.folds = job->folds;
        cfg.holdout = job->holdout;
        s->final_estimate[job->models[i].group_index] -=
            ps_train_cost_flops(&cfg) * job->models[i].n_grid * ps_job_select_per_point(job);
    }
}

int ps__sched_reserve(ps_sched *s, int32_t n)
{
    if (n <= s->cap)
        return 0;
    int32_t cap = s->cap ? s->cap : 64;
    while (cap < n)
        cap *= 2;
    ps_task *t = realloc(s->tasks, (size_t)cap * sizeof *t);
    if (t)
        s->tasks = t;
    uint8_t *st = realloc(s->state, (size_t)cap);
    if (st)
        s->state = st;
    if (!t || !st)
        return PS_ENOMEM;
    s->cap = cap;
    return 0;
}

static int init_tasks(ps_sched *s, ps_err *err)
{
    ps_task *sel = NULL;
    int32_t n = 0;
    int rc = ps_plan_select(&sel, &n, s->job, s->mask, err);
    if (rc)
        return rc;
    s->tasks = sel;
    s->cap = n;
    s->n_tasks = s->n_select = n;
    s->state = malloc((size_t)(n ? n : 1));
    size_t expected = (size_t)n + (size_t)ps_plan_final_count(s->job, s->mask);
    if (!s->state || ps_idset_init(&s->index, expected) || ps_idset_init(&s->stored, 16))
        return ps_err_set(err, PS_ENOMEM, "out of memory");
    for (int32_t i = 0; i < n; i++) {
        s->state[i] = T_PLANNED;
        if (ps_idset_put(&s->index, sel[i].id, i) < 0)
            return ps_err_set(err, PS_ENOMEM, "out of memory");
    }
    return 0;
}

int ps_sched_create(ps_sched **out, const ps_sched_opts *o, ps_err *err)
{
    const ps_job *job = o->job;
    *out = NULL;
    ps_sched *s = calloc(1, sizeof *s);
    if (!s)
        return ps_err_set(err, PS_ENOMEM, "out of memory");
    s->job = job;
    s->workers = o->workers > 0 ? o->workers : 1;
    s->start = o->start;
    s->deadline = o->deadline;
    s->grace = o->grace;
    s->rate0 = o->rate > 0 ? o->rate : PS_SCHED_DEFAULT_RATE;
    s->task_timeout = o->task_timeout;
    ps_queue_init(&s->q);
    ps_queue_init(&s->q_low);
    s->mask = malloc((size_t)job->n_groups);
    s->final_planned = malloc((size_t)job->n_groups * sizeof *s->final_planned);
    s->final_estimate = calloc((size_t)job->n_groups, sizeof *s->final_estimate);
    s->w = malloc((size_t)s->workers * sizeof *s->w);
    s->ev_cap = job->n_groups + 8;
    s->ev = malloc((size_t)s->ev_cap * sizeof *s->ev);
    int rc = (!s->mask || !s->final_planned || !s->final_estimate || !s->w || !s->ev)
                 ? ps_err_set(err, PS_ENOMEM, "out of memory") : 0;
    for (int32_t g = 0; !rc && g < job->n_groups; g++) {
        s->mask[g] = !o->group_mask || o->group_mask[g];
        s->final_planned[g] = -1;
    }
    for (int32_t i = 0; !rc && i < s->workers; i++)
        s->w[i] = (slot){.task = -1};
    rc = rc ? rc : init_tasks(s, err);
    rc = rc ? rc : ps_selection_init(&s->sel, job, s->mask, err);
    rc = rc ? rc : ps__race_init(s, o->audit, err);
    if (rc) {
        ps_sched_free(s);
        return rc;
    }
    estimate_finals(s);
    *out = s;
    return 0;
}

void ps_sched_free(ps_sched *s)
{
    if (!s)
        return;
    free(s->mask);
    free(s->final_planned);
    free(s->final_estimate);
    free(s->w);
    free(s->ev);
    free(s->tasks);
    free(s->state);
    ps_idset_free(&s->index);
    ps_idset_free(&s->stored);
    ps_selection_free(&s->sel);
    ps_queue_free(&s->q);
    ps_queue_free(&s->q_low);
    ps__race_free(s);
    free(s);
}

/* ---- events ------------------------------------------------------------------------------ */

void ps__sched_event(ps_sched *s, ps_sched_event_kind kind, int32_t group, int32_t count,
                     int32_t first)
{
    if (s->n_ev == s->ev_cap) { /* races: a PRUNED event per round and group */
        ps_sched_event *e = realloc(s->ev, (size_t)s->ev_cap * 2 * sizeof *e);
        if (e) {
            s->ev = e;
            s->ev_cap *= 2;
        } else { /* out of memory: the oldest event is lost rather than the newest */
            memmove(s->ev, s->ev + 1, (size_t)(s->n_ev - 1) * sizeof *s->ev);
            s->n_ev--;
        }
    }
    s->ev[s->n_ev++] = (ps_sched_event){kind, group, count, first};
}

static void push_event(ps_sched *s, ps_sched_event_kind kind, int32_t group, int32_t count)
{
    ps__sched_event(s, kind, group, count, 0);
}

int ps_sched_poll(ps_sched *s, ps_sched_event *ev)
{
    if (s->n_ev == 0)
        return 0;
    *ev = s->ev[0];
    memmove(s->ev, s->ev + 1, (size_t)(s->n_ev - 1) * sizeof *s->ev);
    s->n_ev--;
    return 1;
}

/* ---- the plan ---------------------------------------------------------------------------- */

int ps__sched_enqueue(ps_sched *s, int32_t i, ps_err *err)
{
    int rc = ps_queue_push(&s->q, &s->tasks[i], err);
    if (!rc)
        s->state[i] = T_QUEUED;
    return rc;
}

/* Group grp's selection is complete: its final tasks join the plan; those not stored are
 * queued, the others count as finished. Then a raced group's audit tasks. */
int ps__sched_plan_finals(ps_sched *s, int32_t grp, ps_err *err)
{
    const ps_job *job = s->job;
    int32_t models[64], grids[64];
    int32_t k = ps_selection_final_setups(&s->sel, grp, models, grids, 64);
    int32_t seeds = job->final_seeds;
    if (ps__sched_reserve(s, s->n_tasks + k * seeds))
        return ps_err_set(err, PS_ENOMEM, "out of memory");
    for (int32_t j = 0; j < k; j++) {
        int32_t at = s->n_tasks;
        ps_plan_final(&s->tasks[at], job, models[j], grids[j]);
        for (int32_t r = 0; r < seeds; r++) {
            int32_t i = s->n_tasks++;
            s->state[i] = T_PLANNED;
            if (ps_idset_put(&s->index, s->tasks[i].id, i) < 0)
                return ps_err_set(err, PS_ENOMEM, "out of memory");
            int rc = 0;
            if (ps_idset_get(&s->stored, s->tasks[i].id) >= 0) {
                s->state[i] = T_FINISHED;
                s->finished[PS_PHASE_FINAL]++;
            } else {
                rc = ps__sched_enqueue(s, i, err);
            }
            if (rc)
                return rc;
        }
    }
    s->final_planned[grp] = k * seeds;
    push_event(s, PS_SCHED_EV_SELECTED, grp, k * seeds);
    return ps__race_plan_audit(s, grp, err);
}

int ps_sched_mark_stored(ps_sched *s, const char *id, int32_t phase, int32_t status,
                         float eval_acc)
{
    if (s->started)
        return PS_ESTATE;
    int rc = ps_idset_put(&s->stored, id, 0);
    if (rc)
        return rc; /* 1: seen before, or PS_ENOMEM */
    int32_t i = ps_idset_get(&s->index, id);
    if (i < 0 || phase != PS_PHASE_SELECT || s->tasks[i].phase != PS_PHASE_SELECT)
        return 0; /* a final task: recognised when its group's final phase is planned */
    s->state[i] = T_FINISHED;
    s->finished[PS_PHASE_SELECT]++;
    s->pruned += status == PS_TASK_PRUNED;
    ps__race_status(s, i, status);
    (void)ps_selection_add(&s->sel, &s->tasks[i], status, eval_acc);
    return 0;
}

int ps_sched_mark_outcomes(ps_sched *s, const char *id, const uint8_t *correct, int32_t n)
{
    if (s->started)
        return PS_ESTATE;
    int32_t i = ps_idset_get(&s->index, id);
    if (i < 0 || i >= s->n_select || !s->race_on)
        return 1;
    return ps__race_keep(s, i, correct, n);
}

int ps_sched_start(ps_sched *s, ps_err *err)
{
    if (s->started)
        return ps_err_set(err, PS_ESTATE, "the scheduler was started before");
    s->started = 1;
    int rc = 0;
    for (int32_t g = 0; !rc && g < s->job->n_groups; g++) /* replays what the file decided */
        if (ps__race_group(s, g))
            rc = ps__race_advance(s, g, err);
    for (int32_t g = 0; !rc && g < s->job->n_groups; g++)
        if (s->mask[g] && ps_selection_group_complete(&s->sel, g) && s->final_planned[g] < 0)
            rc = ps__sched_plan_finals(s, g, err);
    for (int32_t i = 0; !rc && i < s->n_select; i++)
        if (s->state[i] == T_PLANNED && !ps__race_group(s, s->job->models[s->tasks[i].model]
                                                              .group_index))
            rc = ps__sched_enqueue(s, i, err);
    return rc;
}

/* ---- hand-out and results ---------------------------------------------------------------- */

double ps__sched_rate(const ps_sched *s)
{
    if (s->wall_done > 0 && s->flops_done > 0)
        return s->flops_done / s->wall_done;
    return s->rate0;
}

int32_t ps__sched_n_running(const ps_sched *s)
{
    int32_t n = 0;
    for (int32_t w = 0; w < s->workers; w++)
        n += s->w[w].task >= 0;
    return n;
}

ps_sched_answer ps_sched_next(ps_sched *s, int32_t w, double now, ps_task *task, double *cost)
{
    if (!s->started || s->stopping || w < 0 || w >= s->workers || s->w[w].task >= 0 ||
        s->w[w].retired)
        return PS_SCHED_END;
    double max_cost = HUGE_VAL, c = 0;
    if (s->deadline > 0) {
        double left = s->deadline - now;
        max_cost = left > 0 ? left * ps__sched_rate(s) / PS_SCHED_DEADLINE_MARGIN : 0;
    }
    if (ps_queue_pop(&s->q, max_cost, task, &c) || ps_queue_pop(&s->q_low, max_cost, task, &c)) {
        int32_t i = ps_idset_get(&s->index, task->id);
        s->state[i] = T_RUNNING;
        s->w[w] = (slot){.task = i, .start = now, .cost = c};
        if (cost)
            *cost = c;
        return PS_SCHED_TASK;
    }
    if (s->q.n + s->q_low.n > 0 && !s->deadline_hit) {
        s->deadline_hit = 1;
        push_event(s, PS_SCHED_EV_REFUSED, -1, s->q.n + s->q_low.n);
    }
    return ps__sched_n_running(s) > 0 ? PS_SCHED_WAIT : PS_SCHED_END;
}

int ps_sched_result(ps_sched *s, int32_t w, const ps_sched_outcome *r, double now, ps_err *err)
{
    (void)now;
    if (w < 0 || w >= s->workers || s->w[w].task < 0)
        return ps_err_set(err, PS_ESTATE, "worker %d runs no task", (int)w);
    int32_t i = s->w[w].task;
    double cost = s->w[w].cost;
    s->w[w].task = -1;
    if (r->interrupted) {
        s->state[i] = T_ABANDONED;
        s->abandoned++;
        return 0;
    }
    const ps_task *t = &s->tasks[i];
    s->state[i] = T_FINISHED;
    if (r->status == PS_TASK_DONE && r->wall_seconds > 0) {
        s->flops_done += cost;
        s->wall_done += r->wall_seconds;
    }
    if (t->phase == PS_PHASE_AUDIT) {
        s->audit_finished++;
        return 0;
    }
    s->finished[t->phase == PS_PHASE_FINAL]++;
    if (t->phase != PS_PHASE_SELECT)
        return 0;
    int32_t g = s->job->models[t->model].group_index;
    ps__race_status(s, i, r->status);
    int rc = ps__race_group(s, g) && r->correct && r->status == PS_TASK_DONE
                 ? ps__race_keep(s, i, r->correct, r->n_correct) : 0;
    if (rc)
        return ps_err_set(err, rc, "out of memory");
    int32_t grp = ps_selection_add(&s->sel, t, r->status, r->eval_acc);
    rc = grp >= 0 ? ps__sched_plan_finals(s, grp, err) : 0;
    return !rc && ps__race_group(s, g) ? ps__race_advance(s, g, err) : rc;
}

/* ---- workers that stop answering --------------------------------------------------------- */

double ps_sched_task_limit(const ps_sched *s, int32_t w)
{
    if (w < 0 || w >= s->workers || s->w[w].task < 0)
        return 0;
    if (s->task_timeout > 0)
        return s->task_timeout;
    double est = PS_SCHED_TIMEOUT_FACTOR * s->w[w].cost / ps__sched_rate(s);
    return est > PS_SCHED_TIMEOUT_FLOOR ? est : PS_SCHED_TIMEOUT_FLOOR;
}

int32_t ps_sched_timeouts(ps_sched *s, double now, int32_t *workers, int32_t cap)
{
    int32_t n = 0;
    for (int32_t w = 0; w < s->workers && n < cap; w++)
        if (s->w[w].task >= 0 && !s->w[w].retired &&
            now - s->w[w].start > ps_sched_task_limit(s, w)) {
            s->w[w].retired = 1;
            s->retired++;
            workers[n++] = w;
        }
    return n;
}

/* ---- stopping ---------------------------------------------------------------------------- */

void ps_sched_signal(ps_sched *s, double now)
{
    s->signals++;
    if (s->stopping)
        return;
    s->stopping = 1;
    s->stop_time = now;
    push_event(s, PS_SCHED_EV_STOP, -1, 0);
}

void ps_sched_halt(ps_sched *s)
{
    s->halted = 1;
    s->stopping = 1;
}

/* 1 when running tasks must be given up at time now. */
static int must_abandon(const ps_sched *s, double now)
{
    if (s->halted)
        return 1;
    if (!s->stopping)
        return 0;
    if (s->signals >= 2 || (s->deadline > 0 && now >= s->deadline))
        return 1;
    return now - s->stop_time >= s->grace;
}

int32_t ps_sched_tick(ps_sched *s, double now, int32_t *workers, int32_t cap)
{
    if (!s->stopping && s->deadline > 0 && now >= s->deadline) {
        s->stopping = 1;
        s->deadline_hit = 1;
        s->stop_time = now - s->grace; /* at the deadline, running tasks are given up */
        push_event(s, PS_SCHED_EV_DEADLINE, -1, 0);
    }
    if (!must_abandon(s, now))
        return 0;
    int32_t n = 0;
    for (int32_t w = 0; w < s->workers && n < cap; w++)
        if (s->w[w].task >= 0 && !s->w[w].flagged) {
            s->w[w].flagged = 1;
            workers[n++] = w;
        }
    return n;
}

/* ---- queries ----------------------------------------------------------------------------- */

const ps_task *ps_sched_running(const ps_sched *s, int32_t w)
{
    return w >= 0 && w < s->workers && s->w[w].task >= 0 ? &s->tasks[s->w[w].task] : NULL;
}

const ps_task *ps_sched_select_tasks(const ps_sched *s, int32_t *n)
{
    *n = s->n_select;
    return s->tasks;
}

const ps_selection *ps_sched_selection(const ps_sched *s)
{
    return &s->sel;
}

const ps_sched_drop *ps_sched_drops(const ps_sched *s, int32_t *n)
{
    *n = s->n_drops;
    return s->drops;
}

int ps_sched_was_stored(const ps_sched *s, const char *id)
{
    return ps_idset_get(&s->stored, id) >= 0;
}
