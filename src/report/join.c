/* pairsweep report — several files: those of one job are joined in memory, others reported
 * one after another. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study.h"

static int has_id(const ps_results *r, const char *id)
{
    for (int32_t i = 0; i < r->n_rows; i++)
        if (!strcmp(r->rows[i].task_id, id))
            return 1;
    return 0;
}

/* dst := dst ∪ src (rows by task id with their curves; selections, grid, models, plan when
 * dst lacks them). dst's arrays are reallocated. */
static int join(ps_results *dst, const ps_results *src)
{
    int32_t add = 0, E = dst->epochs_max > src->epochs_max ? dst->epochs_max : src->epochs_max;
    for (int32_t i = 0; i < src->n_rows; i++)
        add += !has_id(dst, src->rows[i].task_id);
    int32_t n = dst->n_rows + add;
    ps_store_row *rows = realloc(dst->rows, (size_t)(n ? n : 1) * sizeof *rows);
    if (!rows)
        return PS_ENOMEM;
    dst->rows = rows;
    float **dc[4] = {&dst->train_loss, &dst->train_acc, &dst->eval_loss, &dst->eval_acc};
    const float *sc[4] = {src->train_loss, src->train_acc, src->eval_loss, src->eval_acc};
    float *nc[4] = {NULL, NULL, NULL, NULL};
    size_t cells = (size_t)n * (size_t)E;
    for (int k = 0; k < 4; k++) {
        nc[k] = malloc((cells ? cells : 1) * sizeof(float));
        if (!nc[k]) {
            for (int j = 0; j < k; j++)
                free(nc[j]);
            return PS_ENOMEM;
        }
        for (size_t c = 0; c < cells; c++)
            nc[k][c] = NAN;
        for (int32_t i = 0; dst->epochs_max > 0 && i < dst->n_rows; i++) /* no curves: NULL */
            memcpy(nc[k] + (size_t)i * (size_t)E, *dc[k] + (size_t)i * (size_t)dst->epochs_max,
                   (size_t)dst->epochs_max * sizeof(float));
    }
    int32_t m = dst->n_rows;
    for (int32_t i = 0; i < src->n_rows; i++) {
        if (has_id(dst, src->rows[i].task_id))
            continue;
        rows[m] = src->rows[i];
        for (int k = 0; src->epochs_max > 0 && k < 4; k++) /* no curves: NULL */
            memcpy(nc[k] + (size_t)m * (size_t)E, sc[k] + (size_t)i * (size_t)src->epochs_max,
                   (size_t)src->epochs_max * sizeof(float));
        m++;
        dst->n_rows = m; /* has_id must see rows added from src too */
    }
    for (int k = 0; k < 4; k++) {
        free(*dc[k]);
        *dc[k] = nc[k];
    }
    dst->epochs_max = E;
    dst->n_journal += src->n_journal;
#define TAKE(field, count) \
    if (dst->count == 0 && src->count > 0) { \
        dst->field = malloc((size_t)src->count * sizeof *src->field); \
        if (!dst->field) return PS_ENOMEM; \
        memcpy(dst->field, src->field, (size_t)src->count * sizeof *src->field); \
        dst->count = src->count; \
    }
    TAKE(grid, n_grid)
    TAKE(sel, n_sel)
    TAKE(models, n_models)
    TAKE(plan, n_plan)
    TAKE(race, n_race)
#undef TAKE
    if (ps_results_join_outcomes(dst, src))
        return PS_ENOMEM;
    if (!dst->racing[0])
        memcpy(dst->racing, src->racing, sizeof dst->racing);
    dst->complete = dst->complete || src->complete;
    return 0;
}

/* A deep copy of r's rows and tables (the job text is not copied). */
static int clone(ps_results *dst, const ps_results *src)
{
    *dst = *src;
    dst->job_text = NULL;
    dst->rows = NULL;
    dst->n_rows = 0;
    dst->grid = NULL;
    dst->sel = NULL;
    dst->models = NULL;
    dst->plan = NULL;
    dst->race = NULL;
    dst->outcomes = NULL;
    dst->outcome_bytes = NULL;
    dst->n_grid = dst->n_sel = dst->n_models = dst->n_plan = dst->n_race = dst->n_outcomes = 0;
    dst->train_loss = dst->train_acc = dst->eval_loss = dst->eval_acc = NULL;
    dst->epochs_max = 0;
    dst->n_journal = 0;
    dst->complete = 0;
    return join(dst, src);
}

int ps_report_write(FILE *out, const ps_results *files, const char *const *paths, int n,
                    const ps_report_opts *opts, ps_err *err)
{
    int *done = calloc((size_t)(n > 0 ? n : 1), sizeof *done);
    if (!done)
        return ps_err_set(err, PS_ENOMEM, "report: out of memory");
    int rc = 0, studies = 0;
    for (int i = 0; i < n; i++)
        if (!done[i] && ++studies)
            for (int j = i + 1; j < n; j++)
                done[j] |= !strcmp(files[i].job_sha256, files[j].job_sha256);
    memset(done, 0, (size_t)n * sizeof *done);
    for (int i = 0; i < n && !rc; i++) {
        if (done[i])
            continue;
        ps_results joined;
        char names[2048];
        snprintf(names, sizeof names, "%s", paths[i]);
        rc = clone(&joined, &files[i]) ? ps_err_set(err, PS_ENOMEM, "out of memory") : 0;
        for (int j = i + 1; j < n && !rc; j++) {
            if (done[j] || strcmp(files[i].job_sha256, files[j].job_sha256))
                continue;
            done[j] = 1;
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, ", %s", paths[j]);
            rc = join(&joined, &files[j]) ? ps_err_set(err, PS_ENOMEM, "out of memory") : 0;
        }
        char stem[300] = "";
        if (studies > 1) {
            snprintf(stem, sizeof stem, "%s_", joined.job_name[0] ? joined.job_name : "study");
            for (char *s = stem; *s; s++)
                if (*s == '/' || *s == ' ')
                    *s = '_';
        }
        if (!rc)
            rc = report_study(out, &joined, names, stem, opts, err);
        ps_results_free(&joined);
    }
    free(done);
    return rc;
}
