/* The plan of a study: task identity, shards, selection and final tasks, the queue. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairsweep/sweep.h"

/* ---- task identity ---------------------------------------------------------------------- */

int ps_task_canonical(char *buf, size_t cap, const ps_train_config *c)
{
    static const char *const evals[] = {"test", "kfold", "holdout"};
    /* %.9g prints every float so that it reads back to the same float. Fields that do not
     * change the result for this config (the fold of a test task, gamma without a step) are
     * left out, so that they cannot split one task into two ids. */
    int n = snprintf(buf, cap,
                     "pairsweep-task/1\nmodel=%s\nuse_bn=%d\nepochs=%d\nbatch_size=%d\nlr=%.9g\n"
                     "momentum=%.9g\nnesterov=%d\nweight_decay=%.9g\naux_weight=%.9g\n"
                     "seed=%llu\nn_train=%d\nn_test=%d\neval=%s\n",
                     c->model, (int)c->use_bn, (int)c->epochs, (int)c->batch_size, (double)c->lr,
                     (double)c->momentum, (int)c->nesterov, (double)c->weight_decay,
                     (double)c->aux_weight, (unsigned long long)c->seed, (int)c->n_train,
                     (int)c->n_test, (c->eval >= 0 && c->eval <= 2) ? evals[c->eval] : "?");
    if (n < 0 || (size_t)n >= cap)
        return PS_EINVAL;
    int m = 0;
    if (c->lr_step_epoch > 0)
        m = snprintf(buf + n, cap - (size_t)n, "lr_step_epoch=%d\nlr_step_gamma=%.9g\n",
                     (int)c->lr_step_epoch, (double)c->lr_step_gamma);
    if (m < 0 || (size_t)(n + m) >= cap)
        return PS_EINVAL;
    n += m;
    if (c->eval == PS_EVAL_KFOLD)
        m = snprintf(buf + n, cap - (size_t)n, "folds=%d\nfold=%d\n", (int)c->folds, (int)c->fold);
    else if (c->eval == PS_EVAL_HOLDOUT)
        m = snprintf(buf + n, cap - (size_t)n, "holdout=%d\n", (int)c->holdout);
    else
        m = 0;
    if (m < 0 || (size_t)(n + m) >= cap)
        return PS_EINVAL;
    n += m;
    /* hyper-parameters added since pairsweep-task/1, when not at their default */
    m = ps_hparams_task_text(buf + n, cap - (size_t)n, c);
    return m < 0 ? PS_EINVAL : n + m;
}

void ps_task_make_id(char id[PS_TASK_ID_LEN + 1], const ps_train_config *cfg)
{
    char text[1024], hex[65];
    int n = ps_task_canonical(text, sizeof text, cfg);
    ps_sha256_hex(hex, text, n > 0 ? (size_t)n : 0);
    memcpy(id, hex, PS_TASK_ID_LEN);
    id[PS_TASK_ID_LEN] = '\0';
}

/* ---- the plan --------------------------------------------------------------------------- */

static void make_select(ps_task *t, const ps_job *job, int32_t m, int32_t g, int32_t rep,
                        int32_t fold)
{
    memset(t, 0, sizeof *t);
    ps_job_config(&t->cfg, job, m, g);
    t->cfg.seed = ps_job_select_seed(job, rep);
    t->cfg.eval = job->select_eval;
    if (job->select_eval == PS_EVAL_KFOLD) {
        t->cfg.folds = job->folds;
        t->cfg.fold = fold;
    } else {
        t->cfg.holdout = job->holdout;
    }
    t->cfg.keep_outcomes = job->racing.on; /* not in the id: the same training */
    t->phase = PS_PHASE_SELECT;
    t->model = m;
    t->grid = g;
    t->fold = job->select_eval == PS_EVAL_KFOLD ? fold : -1;
    t->rep = rep;
    ps_task_make_id(t->id, &t->cfg);
}

void ps_plan_audit(ps_task *audit, const ps_task *pruned)
{
    char text[1100], hex[65];
    *audit = *pruned;
    audit->phase = PS_PHASE_AUDIT;
    audit->cfg.keep_outcomes = 1;
    int n = ps_task_canonical(text, sizeof text - 16, &pruned->cfg);
    n = n > 0 ? n : 0;
    n += snprintf(text + n, sizeof text - (size_t)n, "audit=1\n");
    ps_sha256_hex(hex, text, (size_t)n);
    memcpy(audit->id, hex, PS_TASK_ID_LEN);
    audit->id[PS_TASK_ID_LEN] = '\0';
}

void ps_plan_final(ps_task *tasks, const ps_job *job, int32_t m, int32_t g)
{
    for (int32_t r = 0; r < job->final_seeds; r++) {
        ps_task *t = &tasks[r];
        memset(t, 0, sizeof *t);
        ps_job_config(&t->cfg, job, m, g);
        t->cfg.seed = ps_job_final_seed(job, r);
        t->phase = PS_PHASE_FINAL;
        t->model = m;
        t->grid = g;
        t->fold = -1;
        t->rep = r;
        ps_task_make_id(t->id, &t->cfg);
    }
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(((const ps_task *)a)->id, ((const ps_task *)b)->id);
}

int ps_plan_select(ps_task **out, int32_t *n_out, const ps_job *job, const uint8_t *group_mask,
                   ps_err *err)
{
    int32_t per = ps_job_select_per_point(job), n = 0;
    int64_t total = 0;
    for (int32_t m = 0; m < job->n_models; m++)
        if (!group_mask || group_mask[job->models[m].group_index])
            total += (int64_t)job->models[m].n_grid * per;
    if (total > 50000000)
        return ps_err_set(err, PS_EINVAL, "%s: %lld selection tasks (expected at most 50,000,000)",
                          job->path, (long long)total);
    ps_task *tasks = malloc((size_t)(total ? total : 1) * sizeof *tasks);
    ps_task *sorted = malloc((size_t)(total ? total : 1) * sizeof *tasks);
    if (!tasks || !sorted) {
        free(tasks);
        free(sorted);
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory for the plan", job->path);
    }
    for (int32_t m = 0; m < job->n_models; m++) {
        if (group_mask && !group_mask[job->models[m].group_index])
            continue;
        int32_t folds = ps_job_select_folds(job);
        for (int32_t g = 0; g < job->models[m].n_grid; g++)
            for (int32_t r = 0; r < job->select_reps; r++)
                for (int32_t f = 0; f < folds; f++)
                    make_select(&tasks[n++], job, m, g, r, f);
    }
    memcpy(sorted, tasks, (size_t)n * sizeof *tasks);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_id);
    for (int32_t i = 1; i < n; i++)
        if (!strcmp(sorted[i].id, sorted[i - 1].id)) {
            ps_err_set(err, PS_EINVAL, "%s: two tasks of the plan are the same (model %s, task "
                       "id %s): a grid lists the same setting twice", job->path,
                       sorted[i].cfg.model, sorted[i].id);
            free(tasks);
            free(sorted);
            return PS_EINVAL;
        }
    free(sorted);
    *out = tasks;
    *n_out = n;
    return 0;
}

static int32_t group_points(const ps_job *job, int32_t group)
{
    int32_t n = 0;
    for (int32_t m = 0; m < job->n_models; m++)
        if (job->models[m].group_index == group)
            n += job->models[m].n_grid;
    return n;
}

/* The setups of a group that go to the final phase when every grid point is eligible. */
static int32_t group_setups(const ps_job *job, int32_t group)
{
    int32_t setups = group_points(job, group);
    return setups < job->final_best ? setups : job->final_best;
}

int32_t ps_plan_group_finals(const ps_job *job, int32_t group)
{
    return group_setups(job, group) * job->final_seeds;
}

int32_t ps_plan_final_count(const ps_job *job, const uint8_t *group_mask)
{
    int32_t n = 0;
    for (int32_t g = 0; g < job->n_groups; g++)
        if (!group_mask || group_mask[g])
            n += ps_plan_group_finals(job, g);
    return n;
}

/* Cost of one task of model m at grid point g in phase select (holdout/kfold) or final. */
static double task_cost(const ps_job *job, int32_t m, int32_t g, int final)
{
    ps_task t;
    if (final) {
        ps_job_config(&t.cfg, job, m, g);
    } else {
        make_select(&t, job, m, g, 0, 0);
    }
    return ps_train_cost_flops(&t.cfg);
}

/* Σ over a model's grid points of the cost of one task (selection, or final), and the
 * largest: a task's cost depends on its grid point only through bn, so one task per bn value
 * is priced. */
static void model_costs(const ps_job *job, int32_t m, int final, double *sum, double *max)
{
    const ps_job_model *jm = &job->models[m];
    int32_t n_bn = jm->axis[PS_AXIS_BN].n, stride = 1;
    for (int a = PS_AXIS_BN + 1; a < PS_N_AXES; a++)
        stride *= jm->axis[a].n;
    *sum = 0;
    *max = 0;
    for (int32_t k = 0; k < n_bn; k++) {
        double c = task_cost(job, m, k * stride, final);
        *sum += c * (jm->n_grid / n_bn);
        *max = c > *max ? c : *max;
    }
}

double ps_plan_group_cost(const ps_job *job, int32_t group)
{
    double sel = 0, fin_max = 0;
    for (int32_t m = 0; m < job->n_models; m++) {
        if (job->models[m].group_index != group)
            continue;
        double sum, max;
        model_costs(job, m, 0, &sum, &max);
        sel += sum * ps_job_select_per_point(job);
        model_costs(job, m, 1, &sum, &max);
        fin_max = max > fin_max ? max : fin_max;
    }
    return sel + fin_max * ps_plan_group_finals(job, group);
}

int ps_plan_shards(int32_t *group_shard, const ps_job *job, int32_t n_shards, ps_err *err)
{
    if (n_shards < 1 || n_shards > job->n_groups)
        return ps_err_set(err, PS_EINVAL, "%s: %d shards of a job with %d model groups (shards "
                          "hold whole groups: expected 1..%d)", job->path, (int)n_shards,
                          (int)job->n_groups, (int)job->n_groups);
    double *cost = malloc((size_t)job->n_groups * sizeof *cost);
    double *load = calloc((size_t)n_shards, sizeof *load);
    uint8_t *placed = calloc((size_t)job->n_groups, 1);
    if (!cost || !load || !placed) {
        free(cost);
        free(load);
        free(placed);
        return ps_err_set(err, PS_ENOMEM, "out of memory");
    }
    for (int32_t g = 0; g < job->n_groups; g++)
        cost[g] = ps_plan_group_cost(job, g);
    /* longest processing time first: the costliest unplaced group (ties: lower index) onto
     * the least loaded shard (ties: lower index) */
    for (int32_t k = 0; k < job->n_groups; k++) {
        int32_t best = -1;
        for (int32_t g = 0; g < job->n_groups; g++)
            if (!placed[g] && (best < 0 || cost[g] > cost[best]))
                best = g;
        int32_t s = 0;
        for (int32_t i = 1; i < n_shards; i++)
            if (load[i] < load[s])
                s = i;
        group_shard[best] = s;
        load[s] += cost[best];
        placed[best] = 1;
    }
    free(cost);
    free(load);
    free(placed);
    return 0;
}

/* ---- the selection ---------------------------------------------------------------------- */

int ps_selection_init(ps_selection *s, const ps_job *job, const uint8_t *group_mask, ps_err *err)
{
    int32_t total = 0;
    memset(s, 0, sizeof *s);
    s->job = job;
    s->offset = malloc((size_t)job->n_models * sizeof *s->offset);
    s->pending = malloc((size_t)job->n_groups * sizeof *s->pending);
    for (int32_t m = 0; m < job->n_models; m++) {
        if (s->offset)
            s->offset[m] = total;
        total += job->models[m].n_grid;
    }
    s->stat = calloc((size_t)total, sizeof *s->stat);
    if (!s->offset || !s->pending || !s->stat) {
        ps_selection_free(s);
        return ps_err_set(err, PS_ENOMEM, "out of memory");
    }
    for (int32_t g = 0; g < job->n_groups; g++)
        s->pending[g] = (group_mask && !group_mask[g]) ? -1 : 0;
    int32_t per = ps_job_select_per_point(job);
    for (int32_t m = 0; m < job->n_models; m++) {
        int32_t grp = job->models[m].group_index;
        for (int32_t g = 0; g < job->models[m].n_grid; g++)
            s->stat[s->offset[m] + g].expected = per;
        if (s->pending[grp] >= 0)
            s->pending[grp] += per * job->models[m].n_grid;
    }
    return 0;
}

void ps_selection_free(ps_selection *s)
{
    free(s->offset);
    free(s->stat);
    free(s->pending);
    memset(s, 0, sizeof *s);
}

int32_t ps_selection_add(ps_selection *s, const ps_task *t, int32_t status, float eval_acc)
{
    ps_sel_stat *st = &s->stat[s->offset[t->model] + t->grid];
    if (status == PS_TASK_DONE && isfinite(eval_acc)) {
        st->n_done++;
        st->sum += eval_acc;
        st->sumsq += (double)eval_acc * eval_acc;
    } else {
        st->n_bad++;
    }
    int32_t grp = s->job->models[t->model].group_index;
    if (s->pending[grp] > 0 && --s->pending[grp] == 0)
        return grp;
    return -1;
}

int ps_selection_group_complete(const ps_selection *s, int32_t group)
{
    return s->pending[group] == 0;
}

static int eligible(const ps_sel_stat *st)
{
    return st->n_done == st->expected && st->expected > 0;
}

int ps_selection_best(const ps_selection *s, int32_t m, int32_t *grid, double *mean, double *std,
                      int32_t *n)
{
    int32_t best = -1;
    double best_mean = 0;
    for (int32_t g = 0; g < s->job->models[m].n_grid; g++) {
        const ps_sel_stat *st = &s->stat[s->offset[m] + g];
        if (!eligible(st))
            continue;
        double mu = st->sum / st->n_done;
        if (best < 0 || mu > best_mean) {
            best = g;
            best_mean = mu;
        }
    }
    if (best < 0)
        return -1;
    const ps_sel_stat *st = &s->stat[s->offset[m] + best];
    double var = st->n_done > 1
                     ? (st->sumsq - st->sum * st->sum / st->n_done) / (st->n_done - 1) : 0.0;
    *grid = best;
    *mean = best_mean;
    *std = var > 0 ? sqrt(var) : 0.0;
    *n = st->n_done;
    return 0;
}

int32_t ps_selection_final_setups(const ps_selection *s, int32_t group, int32_t *models,
                                  int32_t *grids, int32_t cap)
{
    const ps_job *job = s->job;
    int32_t want = job->final_best < cap ? job->final_best : cap, k = 0;
    double *means = malloc((size_t)(want > 0 ? want : 1) * sizeof *means);
    if (!means)
        return 0;
    /* insertion into a sorted top-k list; a candidate only displaces strictly worse ones, so
     * ties keep the earlier model and the lower grid point */
    for (int32_t m = 0; m < job->n_models; m++) {
        if (job->models[m].group_index != group)
            continue;
        for (int32_t g = 0; g < job->models[m].n_grid; g++) {
            const ps_sel_stat *st = &s->stat[s->offset[m] + g];
            if (!eligible(st))
                continue;
            double mu = st->sum / st->n_done;
            int32_t pos = k;
            while (pos > 0 && means[pos - 1] < mu)
                pos--;
            if (pos >= want)
                continue;
            int32_t last = k < want ? k : want - 1;
            for (int32_t i = last; i > pos; i--) {
                means[i] = means[i - 1];
                models[i] = models[i - 1];
                grids[i] = grids[i - 1];
            }
            means[pos] = mu;
            models[pos] = m;
            grids[pos] = g;
            if (k < want)
                k++;
        }
    }
    free(means);
    return k;
}

/* ---- the queue -------------------------------------------------------------------------- */

void ps_queue_init(ps_queue *q)
{
    memset(q, 0, sizeof *q);
}

void ps_queue_free(ps_queue *q)
{
    free(q->tasks);
    free(q->cost);
    free(q->seq);
    memset(q, 0, sizeof *q);
}

int ps_queue_push(ps_queue *q, const ps_task *t, ps_err *err)
{
    if (q->n == q->cap) {
        int32_t cap = q->cap ? 2 * q->cap : 64;
        ps_task *nt = realloc(q->tasks, (size_t)cap * sizeof *nt);
        if (nt)
            q->tasks = nt;
        double *nc = realloc(q->cost, (size_t)cap * sizeof *nc);
        if (nc)
            q->cost = nc;
        int64_t *ns = realloc(q->seq, (size_t)cap * sizeof *ns);
        if (ns)
            q->seq = ns;
        if (!nt || !nc || !ns)
            return ps_err_set(err, PS_ENOMEM, "out of memory for the task queue");
        q->cap = cap;
    }
    q->tasks[q->n] = *t;
    q->cost[q->n] = ps_train_cost_flops(&t->cfg);
    q->seq[q->n] = q->next_seq++;
    q->n++;
    return 0;
}

int ps_queue_pop(ps_queue *q, double max_cost, ps_task *out, double *cost)
{
    int32_t best = -1;
    for (int32_t i = 0; i < q->n; i++) {
        if (q->cost[i] > max_cost)
            continue;
        if (best < 0 || q->cost[i] > q->cost[best] ||
            (q->cost[i] == q->cost[best] && q->seq[i] < q->seq[best]))
            best = i;
    }
    if (best < 0)
        return 0;
    *out = q->tasks[best];
    if (cost)
        *cost = q->cost[best];
    q->n--;
    q->tasks[best] = q->tasks[q->n];
    q->cost[best] = q->cost[q->n];
    q->seq[best] = q->seq[q->n];
    return 1;
}

double ps_queue_cost(const ps_queue *q)
{
    double c = 0;
    for (int32_t i = 0; i < q->n; i++)
        c += q->cost[i];
    return c;
}

/* ---- dry run ---------------------------------------------------------------------------- */

int ps_sweep_plan_job(ps_sweep_plan *plan, const ps_job *job, int32_t n_shards, ps_err *err)
{
    memset(plan, 0, sizeof *plan);
    int32_t *shard = calloc((size_t)job->n_groups, sizeof *shard);
    plan->models = calloc((size_t)job->n_models, sizeof *plan->models);
    if (!shard || !plan->models) {
        free(shard);
        ps_sweep_plan_free(plan);
        return ps_err_set(err, PS_ENOMEM, "out of memory");
    }
    int rc = n_shards > 1 ? ps_plan_shards(shard, job, n_shards, err) : 0;
    if (rc) {
        free(shard);
        ps_sweep_plan_free(plan);
        return rc;
    }
    plan->n_models = job->n_models;
    for (int32_t m = 0; m < job->n_models; m++) {
        const ps_job_model *jm = &job->models[m];
        ps_sweep_plan_model *pm = &plan->models[m];
        int32_t grp = jm->group_index;
        snprintf(pm->name, sizeof pm->name, "%s", jm->name);
        snprintf(pm->group, sizeof pm->group, "%s", jm->group);
        pm->shard = shard[grp];
        pm->n_grid = jm->n_grid;
        pm->n_select = jm->n_grid * ps_job_select_per_point(job);
        double sum, fin_max;
        model_costs(job, m, 0, &sum, &fin_max);
        pm->select_flops = sum * ps_job_select_per_point(job);
        model_costs(job, m, 1, &sum, &fin_max);
        /* at most: a group of several models sends only its best setups to the final phase */
        pm->n_final = (jm->n_grid < job->final_best ? jm->n_grid : job->final_best) *
                      job->final_seeds;
        pm->final_flops = fin_max * pm->n_final;
        plan->n_select += pm->n_select;
    }
    for (int32_t g = 0; g < job->n_groups; g++)
        plan->flops += ps_plan_group_cost(job, g);
    plan->n_final = ps_plan_final_count(job, NULL);
    free(shard);
    return 0;
}

void ps_sweep_plan_free(ps_sweep_plan *plan)
{
    free(plan->models);
    memset(plan, 0, sizeof *plan);
}

void ps_sweep_default_output(char *buf, size_t cap, const ps_job *job, int32_t shard,
                             int32_t n_shards)
{
    if (n_shards > 1)
        snprintf(buf, cap, "results/%s.shard%d-of-%d.h5", job->name, (int)shard + 1, (int)n_shards);
    else
        snprintf(buf, cap, "results/%s.h5", job->name);
}
