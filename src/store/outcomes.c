/* pairsweep store — racing's per-example outcomes: /outcomes/<task id> in the file, and in a
 * ps_results read back (sorted by task id). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsio.h"
#include "h5io.h"

int ps__outcomes_write(hid_t fid, const char *id, const uint8_t *x, int32_t n, const char *what,
                       ps_err *err)
{
    char path[64];
    snprintf(path, sizeof path, "outcomes/%s", id);
    int rc = ps__group_ensure(fid, "outcomes", what, err);
    if (rc || ps__exists(fid, path))
        return rc;
    hsize_t dims[1] = {(hsize_t)n};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(fid, path, H5T_STD_U8LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    rc = d < 0 || (n > 0 && H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                         x) < 0)
                 ? ps_err_set(err, PS_EIO, "%s: cannot write /%s", what, path) : 0;
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(sp);
    return rc;
}

/* The capacity of an array of n entries that grows by doubling: the power of two >= n. */
static size_t cap_of(size_t n)
{
    size_t c = 16;
    while (c < n)
        c *= 2;
    return c;
}

int ps__outcomes_add(ps_results *out, const char *id, const uint8_t *x, int32_t n)
{
    int32_t k = out->n_outcomes;
    size_t used = k ? (size_t)(out->outcomes[k - 1].offset + out->outcomes[k - 1].n) : 0;
    if (!k || cap_of((size_t)k + 1) != cap_of((size_t)k)) {
        ps_store_outcomes *o = realloc(out->outcomes, cap_of((size_t)k + 1) * sizeof *o);
        if (!o)
            return PS_ENOMEM;
        out->outcomes = o;
    }
    if (!out->outcome_bytes || cap_of(used + (size_t)n) != cap_of(used)) {
        uint8_t *b = realloc(out->outcome_bytes, cap_of(used + (size_t)n));
        if (!b)
            return PS_ENOMEM;
        out->outcome_bytes = b;
    }
    memcpy(out->outcome_bytes + used, x, (size_t)n);
    ps_store_outcomes *e = &out->outcomes[out->n_outcomes++];
    memset(e, 0, sizeof *e);
    ps__scopy(e->task_id, id, sizeof e->task_id);
    e->n = n;
    e->offset = (int64_t)used;
    return 0;
}

typedef struct rctx { ps_results *out; int rc; } rctx;

static herr_t read_one(hid_t g, const char *name, const H5L_info_t *info, void *op)
{
    (void)info;
    rctx *c = op;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0)
        return 0; /* not a dataset: not ours */
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    uint8_t *x = n >= 0 && n < (1 << 30) ? malloc((size_t)(n ? n : 1)) : NULL;
    if (x && (n == 0 || H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0))
        c->rc = ps__outcomes_add(c->out, name, x, (int32_t)n);
    else
        c->rc = PS_EFORMAT;
    free(x);
    H5Sclose(sp);
    H5Dclose(d);
    return c->rc ? -1 : 0;
}

int ps__outcomes_read(hid_t fid, ps_results *out, const char *what, ps_err *err)
{
    if (!ps__exists(fid, "outcomes"))
        return 0;
    hid_t g = H5Gopen2(fid, "outcomes", H5P_DEFAULT);
    if (g < 0)
        return ps_err_set(err, PS_EFORMAT, "%s: cannot open /outcomes", what);
    rctx c = {out, 0};
    hsize_t idx = 0;
    herr_t st = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, read_one, &c);
    H5Gclose(g);
    if (st < 0 || c.rc)
        return ps_err_set(err, c.rc == PS_ENOMEM ? PS_ENOMEM : PS_EFORMAT, "%s: %s", what,
                          c.rc == PS_ENOMEM ? "out of memory" : "cannot read /outcomes");
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    const ps_store_outcomes *x = a, *y = b;
    int c = strcmp(x->task_id, y->task_id);
    return c ? c : (x->offset > y->offset) - (x->offset < y->offset);
}

void ps__outcomes_sort(ps_results *out)
{
    if (out->n_outcomes > 1)
        qsort(out->outcomes, (size_t)out->n_outcomes, sizeof *out->outcomes, cmp_id);
}

int ps_results_outcomes(const ps_results *r, const char *id, const uint8_t **x, int32_t *n)
{
    int32_t lo = 0, hi = r->n_outcomes - 1, at = -1;
    while (lo <= hi) { /* the first entry of id: a task listed twice keeps its first */
        int32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->outcomes[mid].task_id, id);
        if (c >= 0) {
            at = c == 0 ? mid : at;
            hi = mid - 1;
        } else {
            lo = mid + 1;
        }
    }
    if (at < 0)
        return -1;
    *x = r->outcome_bytes + r->outcomes[at].offset;
    *n = r->outcomes[at].n;
    return 0;
}

int ps_results_join_outcomes(ps_results *dst, const ps_results *src)
{
    for (int32_t i = 0; i < src->n_outcomes; i++) {
        const ps_store_outcomes *o = &src->outcomes[i];
        const uint8_t *x;
        int32_t n;
        if (ps_results_outcomes(dst, o->task_id, &x, &n) == 0)
            continue;
        if (ps__outcomes_add(dst, o->task_id, src->outcome_bytes + o->offset, o->n))
            return PS_ENOMEM;
    }
    ps__outcomes_sort(dst);
    return 0;
}
