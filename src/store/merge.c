/* pairsweep store — merging the shard files of one study (e.g. SLURM array tasks that each
 * ran part of a job into their own file). Shards are only read: the merged file is built
 * under OUT.tmp and renamed over OUT at the end. Results still in a shard's journal (a
 * killed writer's last results) are merged too, weights included. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"
#include "h5io.h"
#include "journal.h"
#include "store_internal.h"

/* Copies every root attribute of src to dst (replacing dst's), but format_version: dst is
 * written in the current format whatever src's. */
static herr_t copy_attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *op)
{
    (void)info;
    hid_t dst = *(hid_t *)op;
    if (!strcmp(name, "format_version"))
        return 0;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    size_t n = H5Tget_size(t) * (size_t)H5Sget_simple_extent_npoints(sp);
    void *buf = calloc(n ? n : 1, 1);
    herr_t st = buf && H5Aread(a, t, buf) >= 0 ? 0 : -1;
    if (!st && H5Aexists(dst, name) > 0)
        st = H5Adelete(dst, name) < 0 ? -1 : 0;
    if (!st) {
        hid_t b = H5Acreate2(dst, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
        st = b < 0 || H5Awrite(b, t, buf) < 0 ? -1 : 0;
        if (b >= 0)
            H5Aclose(b);
    }
    free(buf);
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    return st;
}

static int has_row(const ps_store_row *rows, int32_t n, const char *id)
{
    for (int32_t i = 0; i < n; i++)
        if (!strcmp(rows[i].task_id, id))
            return 1;
    return 0;
}

typedef struct merged {
    hid_t fid;
    const char *what;
    ps_store_row *rows;        /* (n) rows of the merged file */
    int32_t n;
    int32_t planned;           /* sum of the shards' planned tasks */
    ps_store_plan_row *plan;   /* (n_plan) every shard's plan */
    int32_t n_plan;
    ps_store_grid_row *grid;   /* (n_grid) union of the shards' grid tables */
    int32_t n_grid;
    ps_store_model_row *models;/* (n_models) union of the shards' model tables */
    int32_t n_models;
    ps_store_race_row *race;   /* (n_race) union of the shards' /race tables (raced studies) */
    int32_t n_race;
} merged;

/* Weights of rows that came from a shard's journal, read back from that journal. */
static int journal_weights(merged *m, const char *shard, const char *sha, ps_err *err)
{
    char *jp = ps__path_with(shard, ".journal");
    int fd, hdr_ok, rc = 0;
    off_t end, off = PS__JOURNAL_HEADER;
    ps_err e;
    if (!jp || access(jp, F_OK) != 0 || ps__journal_open(&fd, &end, &hdr_ok, jp, sha, 0, &e)) {
        free(jp);
        return 0;
    }
    ps__jrec rec;
    while (!rc && hdr_ok && ps__journal_next(fd, &off, end, &rec, 1) > 0) {
        if (rec.type == PS__J_RESULT && rec.n_views > 0 && has_row(m->rows, m->n, rec.row.task_id))
            rc = ps__weights_put(m->fid, &rec.row, rec.views, rec.n_views, rec.state,
                                 rec.n_state, m->what, err);
        ps__jrec_free(&rec);
    }
    close(fd);
    free(jp);
    return rc;
}

/* Appends n items of size sz to *arr (holding *len), skipping those equal (by same) to one
 * already there; the merged tables are the union of every shard's. */
static int append_unique(void **arr, int32_t *len, const void *items, int32_t n, size_t sz,
                         int (*same)(const void *, const void *), const char *what, ps_err *err)
{
    if (n <= 0)
        return 0;
    char *a = realloc(*arr, (size_t)(*len + n) * sz);
    if (!a)
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory merging tables", what);
    *arr = a;
    for (int32_t i = 0; i < n; i++) {
        const char *it = (const char *)items + (size_t)i * sz;
        int dup = 0;
        for (int32_t j = 0; j < *len && !dup && same; j++)
            dup = same(a + (size_t)j * sz, it);
        if (!dup)
            memcpy(a + (size_t)(*len)++ * sz, it, sz);
    }
    return 0;
}

static int same_grid(const void *x, const void *y)
{
    const ps_store_grid_row *a = x, *b = y;
    return !strcmp(a->model, b->model) && a->grid == b->grid;
}

static int same_plan(const void *x, const void *y)
{
    const ps_store_plan_row *a = x, *b = y;
    return !strcmp(a->task_id, b->task_id) && a->phase == b->phase && !strcmp(a->model, b->model)
           && a->grid == b->grid && a->fold == b->fold && a->rep == b->rep;
}

static int same_race(const void *x, const void *y)
{
    const ps_store_race_row *a = x, *b = y;
    return !strcmp(a->model, b->model) && a->grid == b->grid;
}

static int same_model(const void *x, const void *y)
{
    return !strcmp(((const ps_store_model_row *)x)->model, ((const ps_store_model_row *)y)->model);
}

/* The merged tables are the unions of the shards' tables, without duplicates: shards made by
 * `run --shard` each hold their own part of the plan, shards written otherwise may each hold
 * the whole plan; both merge to the study's plan. */
static int add_tables(merged *m, const ps_results *r, ps_err *err)
{
    int rc = append_unique((void **)&m->grid, &m->n_grid, r->grid, r->n_grid, sizeof *r->grid,
                           same_grid, m->what, err);
    if (!rc)
        rc = append_unique((void **)&m->models, &m->n_models, r->models, r->n_models,
                           sizeof *r->models, same_model, m->what, err);
    if (!rc)
        rc = append_unique((void **)&m->plan, &m->n_plan, r->plan, r->n_plan, sizeof *r->plan,
                           same_plan, m->what, err);
    if (!rc) /* a grid point's drop is decided once: the shards that hold it agree */
        rc = append_unique((void **)&m->race, &m->n_race, r->race, r->n_race, sizeof *r->race,
                           same_race, m->what, err);
    return rc;
}

/* Adds one shard's new rows (with curves and weights) and what the merged file lacks. */
static int add_shard(merged *m, const char *shard, const ps_results *r, ps_err *err)
{
    hid_t sf;
    int rc = ps__file_open(&sf, shard, H5F_ACC_RDONLY, err);
    if (rc)
        return rc;
    rc = add_tables(m, r, err);
    for (int32_t j = 0; j < r->n_sel && !rc; j++) {
        ps_store_selection *cur = NULL;
        int32_t nc = 0, have = 0;
        rc = ps__table_read(m->fid, &ps__sel_table, (void **)&cur, &nc, 1, m->what, err);
        for (int32_t i = 0; i < nc; i++)
            have |= !strcmp(cur[i].model, r->sel[j].model);
        free(cur);
        if (!rc && !have)
            rc = ps__selection_put(m->fid, &r->sel[j], m->what, err);
    }
    size_t E = (size_t)r->epochs_max;
    for (int32_t i = 0; i < r->n_rows && !rc; i++) {
        const ps_store_row *row = &r->rows[i];
        if (has_row(m->rows, m->n, row->task_id))
            continue;
        const float *cv[4] = {r->train_loss + i * E, r->train_acc + i * E, r->eval_loss + i * E,
                              r->eval_acc + i * E};
        int32_t ep = row->epochs < (int32_t)E ? row->epochs : (int32_t)E;
        rc = ps__result_append(m->fid, (hsize_t)m->n, row, cv, ep, NULL, 0, NULL, 0, m->what,
                               err);
        const uint8_t *x;
        int32_t nx;
        if (!rc && ps_results_outcomes(r, row->task_id, &x, &nx) == 0) /* a raced task's */
            rc = ps__outcomes_write(m->fid, row->task_id, x, nx, m->what, err);
        char g[64];
        snprintf(g, sizeof g, "weights/%s", row->task_id);
        if (!rc && ps__exists(sf, "weights") && ps__exists(sf, g)) {
            if (H5Ocopy(sf, g, m->fid, g, H5P_DEFAULT, H5P_DEFAULT) < 0)
                rc = ps_err_set(err, PS_EIO, "%s: cannot copy /%s from %s", m->what, g, shard);
            else /* a shard of format 1 has untagged groups */
                rc = ps__weights_tag(m->fid, row, m->what, err);
        }
        if (!rc)
            m->rows[m->n++] = *row;
    }
    H5Fclose(sf);
    return rc ? rc : journal_weights(m, shard, r->job_sha256, err);
}

/* Whether every planned cell (or planned_tasks rows) is present. */
static int is_complete(const merged *m)
{
    if (m->n_plan > 0) {
        for (int32_t p = 0; p < m->n_plan; p++) {
            const ps_store_plan_row *c = &m->plan[p];
            int found = 0;
            for (int32_t i = 0; i < m->n && !found; i++) {
                const ps_store_row *r = &m->rows[i];
                int same_model = !strcmp(r->model, c->model);
                if (!same_model && !c->task_id[0]) { /* a cell planned under a group's name */
                    same_model = 1;
                    for (int32_t q = 0; q < m->n_plan && same_model; q++)
                        same_model = !(m->plan[q].phase == r->phase &&
                                       !strcmp(m->plan[q].model, r->model));
                }
                found = r->phase == c->phase && same_model &&
                        (c->grid < 0 || r->grid == c->grid) && r->fold == c->fold &&
                        r->rep == c->rep;
            }
            if (!found)
                return 0;
        }
        return 1;
    }
    return m->planned > 0 && m->n >= m->planned;
}

static int build(merged *m, const char *tmp, const char *const *shards, int n_shards,
                 const ps_results *res, int32_t total, ps_err *err)
{
    ps_store_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.job_name = res[0].job_name;
    meta.job_text = res[0].job_text;
    meta.planned_tasks = res[0].planned_tasks;
    int rc = ps__file_create_mem(&m->fid, tmp, &meta, res[0].job_sha256, m->what, err);
    if (rc) {
        m->fid = -1;
        return rc;
    }
    hid_t s0 = -1;
    if (ps__file_open(&s0, shards[0], H5F_ACC_RDONLY, err))
        rc = ps_err_set(err, PS_EIO, "%s: cannot open the merged file", tmp);
    if (!rc && H5Aiterate2(s0, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, copy_attr_cb, &m->fid) < 0)
        rc = ps_err_set(err, PS_EIO, "%s: cannot copy the root attributes of %s", m->what,
                        shards[0]);
    if (s0 >= 0)
        H5Fclose(s0);
    m->rows = malloc((size_t)(total ? total : 1) * sizeof *m->rows);
    if (!rc && !m->rows)
        rc = ps_err_set(err, PS_ENOMEM, "%s: out of memory", m->what);
    m->planned = 0;
    for (int i = 0; i < n_shards && !rc; i++) {
        if (res[i].planned_tasks > m->planned)
            m->planned = res[i].planned_tasks;
        rc = add_shard(m, shards[i], &res[i], err);
    }
    if (m->n_plan > 0) /* the union of the shards' plans is the study's plan */
        m->planned = m->n_plan;
    if (!rc && m->n_grid)
        rc = ps__table_create(m->fid, &ps__grid_table, (hsize_t)m->n_grid, m->grid, m->what, err);
    if (!rc && m->n_models)
        rc = ps__table_create(m->fid, &ps__models_table, (hsize_t)m->n_models, m->models, m->what,
                              err);
    if (!rc && m->n_plan)
        rc = ps__table_create(m->fid, &ps__plan_table, (hsize_t)m->n_plan, m->plan, m->what, err);
    if (!rc && m->n_race)
        rc = ps__table_create(m->fid, &ps__race_table, (hsize_t)m->n_race, m->race, m->what, err);
    if (!rc) rc = ps__attr_set_i32(m->fid, "planned_tasks", m->planned, m->what, err);
    if (!rc) /* a shard's stop is not the merged file's */
        rc = ps__attr_set_str(m->fid, "stopped", "", m->what, err);
    if (!rc)
        rc = ps__attr_set_i32(m->fid, "complete", is_complete(m), m->what, err);
    if (rc)
        H5Fclose(m->fid);
    else
        rc = ps__file_save(m->fid, tmp, err);
    m->fid = -1;
    return rc;
}

int ps_store_merge(const char *out, const char *const *shards, int n_shards, int32_t *n_rows,
                   ps_err *err)
{
    ps__h5_quiet();
    if (n_shards < 1)
        return ps_err_set(err, PS_EINVAL, "merge: no shard files given");
    ps_results *res = calloc((size_t)n_shards, sizeof *res);
    char *tmp = ps__path_with(out, ".tmp");
    if (!res || !tmp) {
        free(res);
        free(tmp);
        return ps_err_set(err, PS_ENOMEM, "merge: out of memory");
    }
    int rc = 0, n_read = 0;
    int32_t total = 0;
    for (; n_read < n_shards && !rc; n_read++) {
        rc = ps_results_read(&res[n_read], shards[n_read], err);
        if (rc)
            break;
        total += res[n_read].n_rows;
        if (res[n_read].format_version > PS_STORE_FORMAT)
            rc = ps_err_set(err, PS_EFORMAT, "%s: written by a newer pairsweep (results format "
                            "%d, this one writes %d): merge with that version",
                            shards[n_read], (int)res[n_read].format_version, PS_STORE_FORMAT);
        else if (strcmp(res[n_read].job_sha256, res[0].job_sha256) != 0)
            rc = ps_err_set(err, PS_ESTATE, "%s: a shard of another job ('%s', sha256 %.12s…) "
                            "than %s ('%s', sha256 %.12s…): refusing to merge", shards[n_read],
                            res[n_read].job_name, res[n_read].job_sha256, shards[0],
                            res[0].job_name, res[0].job_sha256);
    }
    merged m = {.fid = -1, .what = out};
    if (!rc)
        rc = build(&m, tmp, shards, n_shards, res, total, err);
    if (!rc)
        rc = ps__replace(tmp, out, err);
    if (!rc) { /* a journal beside OUT belongs to the file just replaced (or was merged) */
        char *jp = ps__path_with(out, ".journal");
        if (jp)
            unlink(jp);
        free(jp);
    }
    if (rc) {
        unlink(tmp);
        ps_err_rename(err, tmp, out); /* the message names the user's path */
    } else if (n_rows) {
        *n_rows = m.n;
    }
    for (int i = 0; i < n_read; i++)
        ps_results_free(&res[i]);
    free(res);
    free(tmp);
    free(m.rows);
    free(m.plan);
    free(m.grid);
    free(m.models);
    free(m.race);
    return rc;
}
