/* The scheduler's races (include/pairsweep/sched.h, "Racing"): rounds queued one at a time,
 * the decision of each complete round (race.h), pruned tasks, audit tasks. The points of a
 * group are visited in model order, then grid order: the order of the selection's ties. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"

/* ---- state ------------------------------------------------------------------------------- */

int ps__race_init(ps_sched *s, int audit, ps_err *err)
{
    const ps_job *job = s->job;
    if (!job->racing.on)
        return 0;
    s->race_on = 1;
    s->audit = audit || job->racing.audit;
    ps_job_race_params(&s->rp, job);
    s->rounds = ps_job_select_per_point(job);
    int32_t points = 0;
    for (int32_t m = 0; m < job->n_models; m++)
        points += job->models[m].n_grid;
    size_t np = (size_t)(points ? points : 1), nt = (size_t)(s->n_select ? s->n_select : 1);
    s->round = calloc((size_t)job->n_groups, sizeof *s->round);
    s->point_task = malloc(np * sizeof *s->point_task);
    s->point_cost = calloc(np, sizeof *s->point_cost);
    s->alive = malloc(np);
    s->correct = calloc(nt, sizeof *s->correct);
    s->n_correct = calloc(nt, sizeof *s->n_correct);
    s->bad = calloc(nt, 1);
    if (!s->round || !s->point_task || !s->point_cost || !s->alive || !s->correct ||
        !s->n_correct || !s->bad)
        return ps_err_set(err, PS_ENOMEM, "out of memory");
    memset(s->alive, 1, np);
    for (int32_t p = 0; p < points; p++)
        s->point_task[p] = -1;
    /* plan order is model, grid point, repetition, fold: a point's rounds are consecutive */
    for (int32_t i = 0; i < s->n_select; i++) {
        const ps_task *t = &s->tasks[i];
        int32_t p = s->sel.offset[t->model] + t->grid;
        if (ps_job_select_round(job, t->rep, t->fold < 0 ? 0 : t->fold) == 0) {
            s->point_task[p] = i;
            s->point_cost[p] = ps_train_cost_flops(&t->cfg);
        }
    }
    return 0;
}

void ps__race_free(ps_sched *s)
{
    for (int32_t i = 0; s->correct && i < s->n_select; i++)
        free(s->correct[i]);
    free(s->correct);
    free(s->n_correct);
    free(s->round);
    free(s->point_task);
    free(s->point_cost);
    free(s->alive);
    free(s->bad);
    free(s->drops);
}

int ps__race_group(const ps_sched *s, int32_t g)
{
    return s->race_on && s->mask[g];
}

void ps__race_status(ps_sched *s, int32_t i, int32_t status)
{
    if (s->race_on && i >= 0 && i < s->n_select)
        s->bad[i] = status == PS_TASK_DIVERGED || status == PS_TASK_FAILED;
}

int ps__race_keep(ps_sched *s, int32_t i, const uint8_t *x, int32_t n)
{
    uint8_t *c = malloc((size_t)(n > 0 ? n : 1));
    if (!c)
        return PS_ENOMEM;
    if (n > 0)
        memcpy(c, x, (size_t)n);
    free(s->correct[i]);
    s->correct[i] = c;
    s->n_correct[i] = n;
    return 0;
}

/* ---- the points of a group ---------------------------------------------------------------- */

/* The points of group g in model, then grid order (indices as sel.stat) into pts (malloc'ed:
 * the caller frees); returns how many, or -1 when out of memory. */
static int32_t group_points(const ps_sched *s, int32_t g, int32_t **pts)
{
    const ps_job *job = s->job;
    int32_t n = 0;
    for (int32_t m = 0; m < job->n_models; m++)
        n += job->models[m].group_index == g ? job->models[m].n_grid : 0;
    *pts = malloc((size_t)(n ? n : 1) * sizeof **pts);
    if (!*pts)
        return -1;
    n = 0;
    for (int32_t m = 0; m < job->n_models; m++)
        for (int32_t k = 0; job->models[m].group_index == g && k < job->models[m].n_grid; k++)
            (*pts)[n++] = s->sel.offset[m] + k;
    return n;
}

/* The model and grid point of point p. */
static void point_of(const ps_sched *s, int32_t p, int32_t *model, int32_t *grid)
{
    const ps_task *t = &s->tasks[s->point_task[p]];
    *model = t->model;
    *grid = t->grid;
}

/* ---- a decision --------------------------------------------------------------------------- */

static int log_drop(ps_sched *s, const ps_sched_drop *d)
{
    if (s->n_drops == s->cap_drops) {
        int32_t cap = s->cap_drops ? 2 * s->cap_drops : 64;
        ps_sched_drop *q = realloc(s->drops, (size_t)cap * sizeof *q);
        if (!q)
            return PS_ENOMEM;
        s->drops = q;
        s->cap_drops = cap;
    }
    s->drops[s->n_drops++] = *d;
    return 0;
}

/* Drop d's point: its tasks of rounds d->round on that have not run become pruned (finished;
 * the one that completes the group's selection plans its final tasks). */
static int prune(ps_sched *s, const ps_sched_drop *d, ps_err *err)
{
    s->alive[s->sel.offset[d->model] + d->grid] = 0;
    for (int32_t k = 0; k < d->n_tasks; k++) {
        int32_t i = d->first_task + k;
        if (s->state[i] != T_PLANNED)
            continue; /* stored as pruned before: counted at ps_sched_mark_stored */
        s->state[i] = T_FINISHED;
        s->finished[PS_PHASE_SELECT]++;
        s->pruned++;
        int32_t grp = ps_selection_add(&s->sel, &s->tasks[i], PS_TASK_PRUNED, NAN);
        int rc = grp >= 0 ? ps__sched_plan_finals(s, grp, err) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

/* 1 when point p has a diverged or failed task among its first `done` rounds. */
static int ineligible(const ps_sched *s, int32_t p, int32_t done)
{
    for (int32_t r = 0; r < done; r++)
        if (s->bad[s->point_task[p] + r])
            return 1;
    return 0;
}

/* The candidates of a test among the alive points pts[0 .. n): eligible (no bad task) and with
 * the outcomes of every completed round, of the same sizes as the first candidate's
 * (round_n). Writes their indices into cand and their outcomes, concatenated, into x[c]
 * (buf: n × Σ round_n bytes). Returns how many. */
static int32_t candidates(const ps_sched *s, const int32_t *pts, int32_t n, int32_t done,
                          int32_t *cand, uint8_t *buf, const uint8_t **x, int32_t *round_n)
{
    int32_t k = 0;
    size_t stride = 0;
    for (int32_t j = 0; j < n; j++) {
        int32_t p = pts[j], ok = s->alive[p] && !ineligible(s, p, done);
        for (int32_t r = 0; ok && r < done; r++) {
            int32_t i = s->point_task[p] + r;
            ok = s->correct[i] && (k == 0 || s->n_correct[i] == round_n[r]);
        }
        if (!ok)
            continue;
        if (k == 0) {
            for (int32_t r = 0; r < done; r++)
                round_n[r] = s->n_correct[s->point_task[p] + r];
            stride = 0;
            for (int32_t r = 0; r < done; r++)
                stride += (size_t)round_n[r];
        }
        uint8_t *at = buf + (size_t)k * stride;
        x[k] = at;
        for (int32_t r = 0; r < done; r++) {
            memcpy(at, s->correct[s->point_task[p] + r], (size_t)round_n[r]);
            at += round_n[r];
        }
        cand[k++] = j;
    }
    return k;
}

/* The drop of point p after `done` rounds (leader -1: ineligible), logged. */
static int drop_point(ps_sched *s, int32_t p, int32_t done, int32_t leader,
                      const ps_race_verdict *v)
{
    ps_sched_drop d;
    memset(&d, 0, sizeof d);
    point_of(s, p, &d.model, &d.grid);
    d.round = done;
    d.leader_model = d.leader_grid = d.test = -1;
    d.v = (ps_race_verdict){1, NAN, 0, NAN, NAN};
    if (leader >= 0) {
        point_of(s, leader, &d.leader_model, &d.leader_grid);
        d.test = (int32_t)s->rp.test;
        d.v = *v;
    }
    d.first_task = s->point_task[p] + done;
    d.n_tasks = s->rounds - done;
    return log_drop(s, &d);
}

/* The tests of the candidates (their verdicts into v, their leader's point into *leader). */
static int test_points(ps_sched *s, const int32_t *pts, int32_t n, int32_t done,
                       ps_race_verdict *v, int32_t *leader)
{
    size_t nn = (size_t)(n > 0 ? n : 1);
    int32_t *cand = malloc(nn * sizeof *cand), *round_n = malloc((size_t)done * sizeof *round_n);
    const uint8_t **x = malloc(nn * sizeof *x);
    ps_race_verdict *cv = malloc(nn * sizeof *cv);
    size_t most = 0; /* the longest round_n sum any point can have */
    for (int32_t j = 0; j < n; j++) {
        size_t sum = 0;
        for (int32_t r = 0; r < done; r++)
            sum += (size_t)s->n_correct[s->point_task[pts[j]] + r];
        most = sum > most ? sum : most;
    }
    uint8_t *buf = malloc(nn * (most ? most : 1));
    int rc = cand && round_n && x && cv && buf ? 0 : PS_ENOMEM;
    *leader = -1;
    int32_t k = rc ? 0 : candidates(s, pts, n, done, cand, buf, x, round_n), lead = -1;
    if (k >= 2 && done >= s->rp.min_folds)
        rc = ps_race_decide(cv, &lead, x, k, round_n, done, &s->rp);
    for (int32_t c = 0; !rc && lead >= 0 && c < k; c++)
        v[cand[c]] = cv[c];
    if (!rc && lead >= 0)
        *leader = pts[cand[lead]];
    free(cand);
    free(round_n);
    free(x);
    free(cv);
    free(buf);
    return rc;
}

/* The decision of group g once `done` rounds are complete: ineligible points, then the test;
 * the drops are logged and announced, then their tasks pruned. */
static int decide(ps_sched *s, int32_t g, int32_t done, ps_err *err)
{
    if (done >= s->rounds)
        return 0; /* every round has run: nothing left to save */
    int32_t *pts, n = group_points(s, g, &pts), leader = -1;
    ps_race_verdict *v = n >= 0 ? calloc((size_t)(n ? n : 1), sizeof *v) : NULL;
    int rc = v ? test_points(s, pts, n, done, v, &leader) : PS_ENOMEM;
    int32_t first = s->n_drops;
    for (int32_t j = 0; !rc && j < n; j++) {
        int32_t p = pts[j];
        if (s->alive[p] && ineligible(s, p, done))
            rc = drop_point(s, p, done, -1, NULL);
        else if (s->alive[p] && leader >= 0 && v[j].dropped)
            rc = drop_point(s, p, done, leader, &v[j]);
    }
    if (n >= 0)
        free(pts);
    free(v);
    if (rc)
        return ps_err_set(err, rc, "out of memory");
    if (s->n_drops > first)
        ps__sched_event(s, PS_SCHED_EV_PRUNED, g, s->n_drops - first, first);
    for (int32_t k = first; !rc && k < s->n_drops; k++) {
        ps_sched_drop d = s->drops[k]; /* prune may plan finals: no pointer kept */
        rc = prune(s, &d, err);
    }
    return rc;
}

/* ---- rounds ------------------------------------------------------------------------------- */

/* 1 when every point of g has finished round r (a dropped point's is pruned). */
static int round_complete(const ps_sched *s, const int32_t *pts, int32_t n, int32_t r)
{
    for (int32_t j = 0; j < n; j++)
        if (s->state[s->point_task[pts[j]] + r] != T_FINISHED)
            return 0;
    return 1;
}

int ps__race_advance(ps_sched *s, int32_t g, ps_err *err)
{
    int32_t *pts, n = group_points(s, g, &pts);
    if (n < 0)
        return ps_err_set(err, PS_ENOMEM, "out of memory");
    int rc = 0;
    while (!rc && s->round[g] < s->rounds && round_complete(s, pts, n, s->round[g])) {
        rc = decide(s, g, s->round[g] + 1, err);
        s->round[g]++;
    }
    for (int32_t j = 0; !rc && s->round[g] < s->rounds && j < n; j++) {
        int32_t i = s->point_task[pts[j]] + s->round[g];
        if (s->state[i] == T_PLANNED)
            rc = ps__sched_enqueue(s, i, err);
    }
    free(pts);
    return rc;
}

double ps__race_flops_ahead(const ps_sched *s)
{
    double left = 0;
    for (int32_t g = 0; s->race_on && g < s->job->n_groups; g++) {
        if (!s->mask[g] || s->round[g] + 1 >= s->rounds)
            continue;
        int32_t *pts, n = group_points(s, g, &pts);
        for (int32_t j = 0; j < n; j++)
            if (s->alive[pts[j]])
                left += s->point_cost[pts[j]] * (s->rounds - s->round[g] - 1);
        if (n >= 0)
            free(pts);
    }
    return left;
}

/* ---- the audit ---------------------------------------------------------------------------- */

int ps__race_plan_audit(ps_sched *s, int32_t g, ps_err *err)
{
    if (!s->race_on || !s->audit)
        return 0;
    for (int32_t k = 0; k < s->n_drops; k++) {
        const ps_sched_drop *d = &s->drops[k];
        if (s->job->models[d->model].group_index != g)
            continue;
        if (ps__sched_reserve(s, s->n_tasks + d->n_tasks))
            return ps_err_set(err, PS_ENOMEM, "out of memory");
        for (int32_t j = 0; j < d->n_tasks; j++) {
            int32_t i = s->n_tasks++;
            ps_plan_audit(&s->tasks[i], &s->tasks[d->first_task + j]);
            s->state[i] = T_PLANNED;
            s->audit_planned++;
            if (ps_idset_put(&s->index, s->tasks[i].id, i) < 0)
                return ps_err_set(err, PS_ENOMEM, "out of memory");
            if (ps_idset_get(&s->stored, s->tasks[i].id) >= 0) {
                s->state[i] = T_FINISHED;
                s->audit_finished++;
            } else if (ps_queue_push(&s->q_low, &s->tasks[i], err)) {
                return PS_ENOMEM;
            } else {
                s->state[i] = T_QUEUED;
            }
        }
    }
    return 0;
}
