/* The size of a job's plan and of the results it would store, from the job alone: a plan
 * beyond the bounds of job.h is refused before a task is planned or a file opened. Also the
 * selection's shape (tasks per grid point, training pairs of a task). */
#include <inttypes.h>
#include <stdio.h>

#include "pairsweep/data.h"
#include "pairsweep/job.h"
#include "pairsweep/models.h"
#include "pairsweep/nn.h"

#define CURVES 4 /* train_loss, train_acc, eval_loss, eval_acc */

int32_t ps_job_select_train_pairs(const ps_job *job)
{
    if (job->select_eval == PS_EVAL_HOLDOUT)
        return job->n_train - job->holdout;
    return job->n_train - ps_fold_size(job->n_train, job->folds, 0); /* fold 0: the largest */
}

int32_t ps_job_select_folds(const ps_job *job)
{
    return job->select_eval == PS_EVAL_KFOLD ? job->folds : 1;
}

int32_t ps_job_select_per_point(const ps_job *job)
{
    return job->select_reps * ps_job_select_folds(job);
}

/* Floats of model m's state (parameters and buffers) with BatchNorm switch use_bn. */
static int state_floats(int64_t *out, const ps_job_model *m, int32_t use_bn, ps_err *err)
{
    ps_model_info info;
    ps_net *net;
    if (ps_model_lookup(&info, m->name, err) < 0 || ps_model_build(&net, &info, use_bn, err) < 0)
        return PS_EINVAL;
    *out = (int64_t)ps_net_n_state(net);
    ps_net_free(net);
    return 0;
}

/* Model m's selection weights (Σ over its grid points) and its largest net's state. */
static int model_weights(const ps_job *job, const ps_job_model *m, int64_t *sel, int64_t *big,
                         ps_err *err)
{
    const ps_job_axis *bn = &m->axis[PS_AXIS_BN];
    int64_t per_value = (int64_t)m->n_grid / bn->n * ps_job_select_per_point(job);
    *sel = *big = 0;
    for (int32_t k = 0; k < bn->n; k++) {
        int64_t st;
        int rc = state_floats(&st, m, (int32_t)bn->v[k], err);
        if (rc)
            return rc;
        *sel += st * per_value;
        if (st > *big)
            *big = st;
    }
    return 0;
}

int ps_job_size_of(ps_job_size *out, const ps_job *job, ps_err *err)
{
    *out = (ps_job_size){0};
    int64_t weights = 0;
    for (int32_t g = 0; g < job->n_groups; g++) {
        int64_t setups = 0, big = 0;
        for (int32_t i = 0; i < job->n_models; i++) {
            const ps_job_model *m = &job->models[i];
            int64_t sel, st;
            if (m->group_index != g)
                continue;
            int rc = model_weights(job, m, &sel, &st, err);
            if (rc)
                return rc;
            weights += sel;
            big = st > big ? st : big;
            setups += m->n_grid;
            out->select_tasks += (int64_t)m->n_grid * ps_job_select_per_point(job);
        }
        int64_t finals = (setups < job->final_best ? setups : job->final_best) * job->final_seeds;
        out->final_tasks += finals;
        weights += finals * big;
    }
    out->curves_bytes = (out->select_tasks + out->final_tasks) * job->epochs * CURVES * 4;
    out->weights_bytes = weights * 4;
    return 0;
}

int ps_job_check_size(const ps_job *job, ps_job_size *out, ps_err *err)
{
    ps_job_size z;
    int rc = ps_job_size_of(&z, job, err);
    if (rc)
        return rc;
    if (out)
        *out = z;
    int64_t tasks = z.select_tasks + z.final_tasks, bytes = z.curves_bytes + z.weights_bytes;
    if (tasks <= PS_JOB_MAX_PLAN_TASKS && bytes <= PS_JOB_MAX_RESULT_BYTES)
        return 0;
    return ps_err_set(err, PS_EINVAL, "%s:%d: models: a plan of %" PRId64 " tasks (%" PRId64
                      " selection, up to %" PRId64 " final) storing up to %.1f GiB (curves %.1f, "
                      "weights %.1f): expected at most %d tasks and %d GiB (see job-format.md, "
                      "Limits)", job->path, (int)job->line_models, tasks, z.select_tasks,
                      z.final_tasks, bytes / 1073741824.0, z.curves_bytes / 1073741824.0,
                      z.weights_bytes / 1073741824.0, PS_JOB_MAX_PLAN_TASKS,
                      (int)(PS_JOB_MAX_RESULT_BYTES >> 30));
}
