/* pairsweep report — gathering a study's observations, its models, its chosen grid points. */
#define _POSIX_C_SOURCE 200809L
#include "study.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int study_gather(obs **out, int32_t *n, const ps_results *r, int32_t phase, const char *model,
                 int32_t grid, int kind)
{
    *out = NULL;
    *n = 0;
    obs *o = malloc((size_t)(r->n_rows ? r->n_rows : 1) * sizeof *o);
    if (!o)
        return PS_ENOMEM;
    int32_t k = 0;
    for (int32_t i = 0; i < r->n_rows; i++) {
        const ps_store_row *w = &r->rows[i];
        if (w->phase != phase || w->status != PS_TASK_DONE || strcmp(w->model, model) ||
            (grid >= 0 && w->grid != grid))
            continue;
        if (phase == PS_PHASE_SELECT && kind != SEL_ANY && (w->fold >= 0) != (kind == SEL_CV))
            continue;
        o[k] = (obs){i, w->grid, w->fold, w->rep, 100.0 * w->eval_acc, w->train_loss,
                     w->eval_loss};
        k++;
    }
    *out = o;
    *n = k;
    return 0;
}

static int listed(const char **names, int32_t n, const char *s)
{
    for (int32_t i = 0; i < n; i++)
        if (!strcmp(names[i], s))
            return 1;
    return 0;
}

int study_models(const char ***names, int32_t *n, const ps_results *r)
{
    int32_t cap = r->n_models + r->n_rows + r->n_grid + 1, k = 0;
    const char **v = malloc((size_t)cap * sizeof *v);
    if (!v)
        return PS_ENOMEM;
    for (int32_t i = 0; i < r->n_models; i++)
        if (!listed(v, k, r->models[i].model))
            v[k++] = r->models[i].model;
    for (int32_t i = 0; i < r->n_grid; i++)
        if (!listed(v, k, r->grid[i].model))
            v[k++] = r->grid[i].model;
    for (int32_t i = 0; i < r->n_rows; i++)
        if (!listed(v, k, r->rows[i].model))
            v[k++] = r->rows[i].model;
    *names = v;
    *n = k;
    return 0;
}

int32_t study_count(const ps_results *r, int32_t phase, const char *model, int32_t status)
{
    int32_t c = 0;
    for (int32_t i = 0; i < r->n_rows; i++)
        c += r->rows[i].phase == phase && r->rows[i].status == status &&
             (!model || !strcmp(r->rows[i].model, model));
    return c;
}

const ps_store_grid_row *study_grid(const ps_results *r, const char *model, int32_t grid)
{
    for (int32_t i = 0; i < r->n_grid; i++)
        if (r->grid[i].grid == grid && !strcmp(r->grid[i].model, model))
            return &r->grid[i];
    return NULL;
}

int32_t study_chosen(const ps_results *r, const char *model, int kind)
{
    (void)kind;
    for (int32_t i = 0; i < r->n_sel; i++)
        if (!strcmp(r->sel[i].model, model))
            return r->sel[i].grid;
    obs *o;
    int32_t n;
    if (study_gather(&o, &n, r, PS_PHASE_SELECT, model, -1, kind))
        return -1;
    int32_t best = -1;
    double best_mean = -INFINITY;
    for (int32_t i = 0; i < n; i++) {
        int32_t g = o[i].grid, c = 0;
        double s = 0;
        for (int32_t j = 0; j < n; j++)
            if (o[j].grid == g) {
                s += o[j].acc;
                c++;
            }
        if (s / c > best_mean || (s / c == best_mean && g < best)) {
            best_mean = s / c;
            best = g;
        }
    }
    free(o);
    return best;
}
