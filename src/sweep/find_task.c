/* pairsweep — the config of one stored task (ps_sweep_find_task, sweep.h): the job text of a
 * results file is planned again and the task whose id matches is taken, so the config is
 * exactly the one the task ran with (seed, sizes, protocol, fold), not guessed from its row. */
#include <stdlib.h>
#include <string.h>

#include "pairsweep/store.h"
#include "pairsweep/sweep.h"

/* The job's model index of name, or -1. */
static int32_t job_model(const ps_job *job, const char *name)
{
    for (int32_t m = 0; m < job->n_models; m++)
        if (!strcmp(job->models[m].name, name))
            return m;
    return -1;
}

/* The tasks of the job's plan that may carry the row's id: the final tasks of its grid point,
 * or the selection tasks of its model's group (*tasks malloc'ed, caller frees). */
static int candidates(ps_task **tasks, int32_t *n, const ps_job *job, int32_t m,
                      const ps_store_row *row, ps_err *err)
{
    if (row->phase == PS_PHASE_FINAL) {
        *n = job->final_seeds;
        *tasks = malloc((size_t)(*n > 0 ? *n : 1) * sizeof **tasks);
        if (!*tasks)
            return ps_err_set(err, PS_ENOMEM, "out of memory for the plan");
        ps_plan_final(*tasks, job, m, row->grid);
        return 0;
    }
    uint8_t *mask = calloc((size_t)job->n_groups, 1);
    if (!mask)
        return ps_err_set(err, PS_ENOMEM, "out of memory for the plan");
    mask[job->models[m].group_index] = 1;
    int rc = ps_plan_select(tasks, n, job, mask, err);
    free(mask);
    return rc;
}

/* The task of the job's plan with the row's id. */
static int plan_task(ps_task *out, const ps_job *job, const ps_store_row *row, ps_err *err)
{
    int32_t m = job_model(job, row->model), n = 0;
    if (m < 0 || row->grid < 0 || row->grid >= job->models[m].n_grid)
        return ps_err_set(err, PS_EFORMAT, "task %s: model %s grid point %d is not in the job",
                          row->task_id, row->model, (int)row->grid);
    ps_task *tasks = NULL;
    int rc = candidates(&tasks, &n, job, m, row, err), found = 0;
    for (int32_t i = 0; !rc && i < n && !found; i++)
        if (!strcmp(tasks[i].id, row->task_id)) {
            *out = tasks[i];
            found = 1;
        }
    free(tasks);
    if (!rc && !found)
        rc = ps_err_set(err, PS_EFORMAT, "task %s: the job text of the file plans no task with "
                        "this id (model %s, grid %d, fold %d, rep %d)", row->task_id, row->model,
                        (int)row->grid, (int)row->fold, (int)row->rep);
    return rc;
}

int ps_sweep_find_task(ps_task *task, ps_job *job, const ps_results *r, const char *path,
                       const char *id, ps_err *err)
{
    const ps_store_row *row = NULL;
    for (int32_t i = 0; i < r->n_rows && !row; i++)
        if (!strcmp(r->rows[i].task_id, id))
            row = &r->rows[i];
    if (!row)
        return ps_err_set(err, PS_EINVAL, "%s: no task %s in /tasks", path, id);
    if (!r->job_text)
        return ps_err_set(err, PS_EFORMAT, "%s: no job_text attribute", path);
    int rc = ps_job_parse(job, r->job_text, strlen(r->job_text), path, err);
    if (rc)
        return rc;
    rc = plan_task(task, job, row, err);
    if (rc)
        ps_job_free(job);
    return rc;
}
