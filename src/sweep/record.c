/* Rows to the results file: the tables of the plan (/grid, /models, /plan), the /selection
 * rows of a selected group, and resume (what the file already holds). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairsweep/models.h"
#include "pairsweep/nn.h"
#include "sweep_internal.h"

int ps__record_tables(ps__master *m)
{
    const ps_job *job = m->job;
    int32_t n_select;
    const ps_task *select = ps_sched_select_tasks(m->sched, &n_select);
    int32_t n_grid = 0, n_models = 0, n_plan = 0;
    for (int32_t i = 0; i < job->n_models; i++)
        if (m->mask[job->models[i].group_index]) {
            n_grid += job->models[i].n_grid;
            n_models++;
        }
    int32_t n_final = ps_plan_final_count(job, m->mask);
    ps_store_grid_row *grid = calloc((size_t)n_grid + 1, sizeof *grid);
    ps_store_model_row *models = calloc((size_t)n_models + 1, sizeof *models);
    ps_store_plan_row *plan = calloc((size_t)(n_select + n_final) + 1, sizeof *plan);
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
            _Static_assert(sizeof mr->arch == sizeof info.arch, "/models keeps every arch whole");
            memcpy(mr->arch, info.arch, sizeof mr->arch);
            mr->params = (int64_t)ps_net_n_params(net);
            mr->flops = ps_net_flops_train(net);
            ps_net_free(net);
        }
    }
    for (int32_t t = 0; !rc && t < n_select; t++) {
        const ps_task *s = &select[t];
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
        int32_t cells = ps_plan_group_finals(job, g), in_group = 0, first = -1;
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


static int32_t model_index(const ps_job *job, const char *name)
{
    for (int32_t i = 0; i < job->n_models; i++)
        if (!strcmp(job->models[i].name, name))
            return i;
    return -1;
}

/* A raced study's stored outcomes, for the scheduler to replay its race. The store's open
 * checkpointed the journal into the file: the file holds them all. */
static int resume_outcomes(ps__master *m, const char *path)
{
    ps_results r;
    int rc = ps_results_read_trusted(&r, path, m->err);
    if (rc)
        return rc;
    for (int32_t i = 0; !rc && i < r.n_outcomes; i++) {
        const ps_store_outcomes *o = &r.outcomes[i];
        if (ps_sched_mark_outcomes(m->sched, o->task_id, r.outcome_bytes + o->offset, o->n) < 0)
            rc = ps_err_set(m->err, PS_ENOMEM, "out of memory");
    }
    ps_results_free(&r);
    return rc;
}

int ps__record_resume(ps__master *m, const char *path)
{
    ps_store_row *rows = NULL;
    int32_t n = 0;
    int rc = ps_store_rows(m->store, &rows, &n, m->err);
    for (int32_t k = 0; !rc && k < n; k++) {
        const ps_store_row *row = &rows[k];
        int32_t mi = model_index(m->job, row->model);
        if (mi < 0 || !m->mask[m->job->models[mi].group_index]) {
            rc = ps_err_set(m->err, PS_ESTATE, "%s: holds task %s of model '%s', which this run "
                            "does not plan (a file of another shard?)", path, row->task_id,
                            row->model);
            break;
        }
        rc = ps_sched_mark_stored(m->sched, row->task_id, row->phase, row->status,
                                  row->eval_acc);
        if (rc) { /* 1: seen before */
            rc = rc < 0 ? ps_err_set(m->err, rc, "out of memory") : 0;
            continue;
        }
        m->stored[row->phase >= 0 && row->phase <= 2 ? row->phase : 0]++;
        m->diverged += row->status == PS_TASK_DIVERGED;
        m->failed += row->status == PS_TASK_FAILED;
        m->pruned += row->status == PS_TASK_PRUNED;
    }
    if (!rc && n > 0 && m->job->racing.on)
        rc = resume_outcomes(m, path);
    free(rows);
    return rc;
}

int ps__record_selection(ps__master *m, int32_t grp, char *chosen, size_t cap)
{
    const ps_job *job = m->job;
    const ps_selection *sel = ps_sched_selection(m->sched);
    chosen[0] = '\0';
    for (int32_t i = 0; i < job->n_models; i++) {
        if (job->models[i].group_index != grp)
            continue;
        ps_store_selection row;
        memset(&row, 0, sizeof row);
        snprintf(row.model, sizeof row.model, "%s", job->models[i].name);
        double mean = NAN, sd = NAN;
        int32_t n = 0, g = -1;
        if (ps_selection_best(sel, i, &g, &mean, &sd, &n) < 0)
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
            snprintf(chosen + len, cap - len, "%s%s: grid %d, %.4f", len ? "; " : "", row.model,
                     (int)g, mean);
        else
            snprintf(chosen + len, cap - len, "%s%s: no grid point without a diverged or "
                     "failed task", len ? "; " : "", row.model);
    }
    return 0;
}

/* The /race row of drop d and the reason of its pruned tasks. */
static void drop_row(ps_store_race_row *row, char *reason, size_t cap, const ps_job *job,
                     const ps_sched_drop *d)
{
    int32_t rounds = ps_job_select_per_point(job);
    memset(row, 0, sizeof *row);
    snprintf(row->model, sizeof row->model, "%s", job->models[d->model].name);
    row->grid = d->grid;
    row->round = d->round;
    row->rounds = rounds;
    row->leader_grid = d->leader_grid;
    row->statistic = d->v.statistic;
    row->n = d->v.n;
    row->p = d->v.p;
    row->p_adjusted = d->v.p_adj;
    row->pruned = d->n_tasks;
    if (d->test < 0) {
        snprintf(row->test, sizeof row->test, "ineligible");
        snprintf(reason, cap, "raced out after round %d of %d: a diverged or failed task",
                 (int)d->round, (int)rounds);
        return;
    }
    snprintf(row->leader_model, sizeof row->leader_model, "%s",
             job->models[d->leader_model].name);
    snprintf(row->test, sizeof row->test, "%s", ps_race_test_name((ps_race_test)d->test));
    snprintf(reason, cap, "raced out after round %d of %d: worse than %s grid %d (%s, p_holm "
             "%.3g)", (int)d->round, (int)rounds, row->leader_model, (int)d->leader_grid,
             row->test, d->v.p_adj);
}

int ps__record_drops(ps__master *m, int32_t first, int32_t count, char *line, size_t cap)
{
    int32_t n_drops, n_sel, pruned = 0, leader_grid = -1, round = 0;
    const ps_sched_drop *drops = ps_sched_drops(m->sched, &n_drops);
    int rc = 0;
    for (int32_t k = first; !rc && k < first + count && k < n_drops; k++) {
        ps_sched_drop d = drops[k];
        const ps_task *tasks = ps_sched_select_tasks(m->sched, &n_sel);
        ps_store_race_row row;
        char reason[256];
        drop_row(&row, reason, sizeof reason, m->job, &d);
        int any_stored = 0;
        for (int32_t j = 0; j < d.n_tasks; j++)
            any_stored |= ps_sched_was_stored(m->sched, tasks[d.first_task + j].id);
        if (!any_stored)
            rc = ps_store_append_race(m->store, &row, m->err);
        for (int32_t j = 0; !rc && j < d.n_tasks; j++) {
            ps_task t = tasks[d.first_task + j]; /* storing may commit: no pointer kept */
            if (!ps_sched_was_stored(m->sched, t.id)) {
                rc = ps__master_store_pruned(m, &t, reason);
                pruned++;
            }
            tasks = ps_sched_select_tasks(m->sched, &n_sel);
        }
        leader_grid = d.leader_grid >= 0 ? d.leader_grid : leader_grid;
        round = d.round;
    }
    line[0] = '\0'; /* a decision replayed on resume, stored before: nothing to say */
    if (pruned > 0) {
        char why[48] = "a diverged or failed task";
        if (leader_grid >= 0)
            snprintf(why, sizeof why, "leader grid %d", (int)leader_grid);
        snprintf(line, cap, "after round %d of %d, %d grid point%s dropped (%s); %d task%s "
                 "pruned", (int)round, (int)ps_job_select_per_point(m->job), (int)count,
                 count == 1 ? "" : "s", why, (int)pruned, pruned == 1 ? "" : "s");
    }
    if (rc)
        ps__master_fail(m, rc);
    return rc;
}
