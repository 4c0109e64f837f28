/* pairsweep store — the curves (tasks × epochs, with the task ids as their dimension scale) and
 * the weights of a study file. */
#define _POSIX_C_SOURCE 200809L
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5io.h"

const char *const ps__curve_names[4] = {"train_loss", "train_acc", "eval_loss", "eval_acc"};
/* Losses are mean cross-entropies (natural log); accuracies the fraction of pairs right. */
const char *const ps__curve_units[4] = {"nats", "fraction", "nats", "fraction"};

#define IDS "curves/task_id"

/* The type of a task id in the file: as /tasks' task_id column. */
static hid_t id_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, PS_TASK_ID_LEN + 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    return t;
}

/* Writes the ids of rows[0, n) as rows [row0, row0 + n) of the 1-D dataset d, extending it. */
static int ids_write(hid_t d, hsize_t row0, hsize_t n, const ps_store_row *rows,
                     const char *what, ps_err *err)
{
    hid_t sp = H5Dget_space(d);
    hsize_t dim = 0;
    H5Sget_simple_extent_dims(sp, &dim, NULL);
    H5Sclose(sp);
    hsize_t want = row0 + n > dim ? row0 + n : dim;
    if (want != dim && H5Dset_extent(d, &want) < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot extend /%s", what, IDS);
    if (n == 0)
        return 0;
    char *buf = calloc((size_t)n, PS_TASK_ID_LEN + 1); /* (n, 17) */
    if (!buf)
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory", what);
    for (hsize_t i = 0; i < n; i++)
        memcpy(buf + i * (PS_TASK_ID_LEN + 1), rows[i].task_id, PS_TASK_ID_LEN);
    hid_t fsp = H5Dget_space(d), msp = H5Screate_simple(1, &n, NULL), t = id_type();
    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, &row0, NULL, &n, NULL);
    herr_t st = H5Dwrite(d, t, msp, fsp, H5P_DEFAULT, buf);
    H5Tclose(t);
    H5Sclose(msp);
    H5Sclose(fsp);
    free(buf);
    return st < 0 ? ps_err_set(err, PS_EIO, "%s: cannot write /%s", what, IDS) : 0;
}

/* Creates /curves/task_id (extendible) holding the ids of rows[0, n), as a dimension scale. */
static int ids_create(hid_t fid, const ps_store_row *rows, int32_t n, const char *what,
                      ps_err *err)
{
    hsize_t dim = 0, maxd = H5S_UNLIMITED, chunk = 64;
    hid_t sp = H5Screate_simple(1, &dim, &maxd), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t t = id_type();
    H5Pset_chunk(dcpl, 1, &chunk);
    hid_t d = H5Dcreate2(fid, IDS, t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Tclose(t);
    H5Pclose(dcpl);
    H5Sclose(sp);
    if (d < 0 || H5DSset_scale(d, "task_id") < 0) {
        if (d >= 0)
            H5Dclose(d);
        return ps_err_set(err, PS_EIO, "%s: cannot create /%s", what, IDS);
    }
    int rc = ids_write(d, 0, n > 0 ? (hsize_t)n : 0, rows, what, err);
    rc = rc ? rc : ps__attr_set_str(d, "description", "the task of each row of the curves "
                                    "(row i of /tasks)", what, err);
    H5Dclose(d);
    return rc;
}

int ps__curves_describe(hid_t fid, const ps_store_row *rows, int32_t n_ids, const char *what,
                        ps_err *err)
{
    int rc = ps__exists(fid, IDS) ? 0 : ids_create(fid, rows, n_ids, what, err);
    hid_t ids = rc ? -1 : H5Dopen2(fid, IDS, H5P_DEFAULT);
    if (!rc && ids < 0)
        rc = ps_err_set(err, PS_EFORMAT, "%s: cannot open /%s", what, IDS);
    for (int k = 0; k < 4 && !rc; k++) {
        char path[64];
        snprintf(path, sizeof path, "curves/%s", ps__curve_names[k]);
        hid_t d = H5Dopen2(fid, path, H5P_DEFAULT);
        if (d < 0) {
            rc = ps_err_set(err, PS_EFORMAT, "%s: no dataset /%s", what, path);
            break;
        }
        rc = ps__attr_set_str(d, "units", ps__curve_units[k], what, err);
        if (!rc && (H5DSset_label(d, 0, "task") < 0 || H5DSset_label(d, 1, "epoch") < 0 ||
                    (H5DSis_attached(d, ids, 0) <= 0 && H5DSattach_scale(d, ids, 0) < 0)))
            rc = ps_err_set(err, PS_EIO, "%s: cannot describe the dimensions of /%s", what, path);
        H5Dclose(d);
    }
    if (ids >= 0)
        H5Dclose(ids);
    return rc;
}

int ps__curves_create(hid_t fid, const char *what, ps_err *err)
{
    hid_t g = H5Gcreate2(fid, "curves", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot create /curves", what);
    hsize_t dims[2] = {0, 0}, maxd[2] = {H5S_UNLIMITED, H5S_UNLIMITED}, chunk[2] = {64, 32};
    float fill = NAN;
    int rc = 0;
    for (int k = 0; k < 4 && !rc; k++) {
        hid_t sp = H5Screate_simple(2, dims, maxd);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(dcpl, 2, chunk);
        H5Pset_fill_value(dcpl, H5T_NATIVE_FLOAT, &fill);
        hid_t d = H5Dcreate2(g, ps__curve_names[k], H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl,
                             H5P_DEFAULT);
        if (d < 0)
            rc = ps_err_set(err, PS_EIO, "%s: cannot create /curves/%s", what,
                            ps__curve_names[k]);
        else
            H5Dclose(d);
        H5Pclose(dcpl);
        H5Sclose(sp);
    }
    H5Gclose(g);
    return rc ? rc : ps__curves_describe(fid, NULL, 0, what, err);
}

/* Writes the (nrows × cols) block v as rows [row0, row0 + nrows) of the curve dataset d,
 * extending it as needed (new cells are NaN). */
static int curve_write_block(hid_t d, hsize_t row0, hsize_t nrows, hsize_t cols, const float *v,
                             const char *what, const char *name, ps_err *err)
{
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2];
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    hsize_t nd[2] = {dims[0] > row0 + nrows ? dims[0] : row0 + nrows,
                     dims[1] > cols ? dims[1] : cols};
    if ((nd[0] != dims[0] || nd[1] != dims[1]) && H5Dset_extent(d, nd) < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot extend /curves/%s", what, name);
    if (cols == 0 || nrows == 0)
        return 0;
    hid_t fsp = H5Dget_space(d);
    hsize_t start[2] = {row0, 0}, count[2] = {nrows, cols};
    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t msp = H5Screate_simple(2, count, NULL);
    herr_t st = H5Dwrite(d, H5T_NATIVE_FLOAT, msp, fsp, H5P_DEFAULT, v);
    H5Sclose(msp);
    H5Sclose(fsp);
    if (st < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot write /curves/%s", what, name);
    return 0;
}

int ps__curves_write_rows(hid_t fid, hsize_t row0, hsize_t nrows, int32_t cols,
                          const float *const block[4], const ps_store_row *rows,
                          const char *what, ps_err *err)
{
    for (int k = 0; k < 4; k++) {
        char path[64];
        snprintf(path, sizeof path, "curves/%s", ps__curve_names[k]);
        hid_t d = H5Dopen2(fid, path, H5P_DEFAULT);
        if (d < 0)
            return ps_err_set(err, PS_EFORMAT, "%s: no dataset /%s", what, path);
        int rc = curve_write_block(d, row0, nrows, cols > 0 ? (hsize_t)cols : 0, block[k], what,
                                   ps__curve_names[k], err);
        H5Dclose(d);
        if (rc)
            return rc;
    }
    hid_t d = H5Dopen2(fid, IDS, H5P_DEFAULT);
    if (d < 0)
        return ps_err_set(err, PS_EFORMAT, "%s: no dataset /%s", what, IDS);
    int rc = ids_write(d, row0, nrows, rows, what, err);
    H5Dclose(d);
    return rc;
}

int ps__curves_read(hid_t fid, float *out[4], hsize_t *rows, hsize_t *cols, const char *what,
                    ps_err *err)
{
    for (int k = 0; k < 4; k++)
        out[k] = NULL;
    *rows = *cols = 0;
    for (int k = 0; k < 4; k++) {
        char path[64];
        snprintf(path, sizeof path, "curves/%s", ps__curve_names[k]);
        hid_t d = ps__exists(fid, "curves") && ps__exists(fid, path)
                      ? H5Dopen2(fid, path, H5P_DEFAULT) : -1;
        if (d < 0)
            goto fail_fmt;
        hid_t sp = H5Dget_space(d);
        hsize_t dims[2] = {0, 0};
        int nd = H5Sget_simple_extent_ndims(sp);
        if (nd == 2)
            H5Sget_simple_extent_dims(sp, dims, NULL);
        H5Sclose(sp);
        if (nd != 2 || (k > 0 && (dims[0] != *rows || dims[1] != *cols))) {
            H5Dclose(d);
            goto fail_fmt;
        }
        *rows = dims[0];
        *cols = dims[1];
        size_t cnt = (size_t)(dims[0] * dims[1]);
        out[k] = malloc((cnt ? cnt : 1) * sizeof(float));
        if (!out[k]) {
            H5Dclose(d);
            goto fail_mem;
        }
        if (cnt && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out[k]) < 0) {
            H5Dclose(d);
            goto fail_fmt;
        }
        H5Dclose(d);
    }
    return 0;
fail_mem:
    for (int k = 0; k < 4; k++) { free(out[k]); out[k] = NULL; }
    return ps_err_set(err, PS_ENOMEM, "%s: out of memory reading the curves", what);
fail_fmt:
    for (int k = 0; k < 4; k++) { free(out[k]); out[k] = NULL; }
    return ps_err_set(err, PS_EFORMAT,
                      "%s: /curves must hold four 2-D float datasets of equal shape", what);
}

int ps__weights_write(hid_t loc, const char *group, const ps_state_view *views, int32_t n_views,
                      const float *state, size_t n_state, const char *what, ps_err *err)
{
    hid_t g = H5Gcreate2(loc, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot create the group %s", what, group);
    int rc = 0;
    for (int32_t i = 0; i < n_views && !rc; i++) {
        const ps_state_view *v = &views[i];
        hsize_t dims[4];
        size_t cnt = 1;
        int nd = v->ndim < 1 ? 1 : v->ndim > 4 ? 4 : v->ndim;
        for (int j = 0; j < nd; j++) {
            dims[j] = v->ndim < 1 ? (hsize_t)v->count : (hsize_t)v->shape[j];
            cnt *= (size_t)dims[j];
        }
        if (cnt != v->count || v->offset + v->count > n_state || !v->name[0]) {
            rc = ps_err_set(err, PS_EINVAL, "%s: state view '%s' does not fit the state (%zu "
                            "floats at %zu of %zu)", what, v->name, v->count, v->offset, n_state);
            break;
        }
        hid_t sp = H5Screate_simple(nd, dims, NULL);
        hid_t d = H5Dcreate2(g, v->name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
        if (d < 0 || H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                              state + v->offset) < 0)
            rc = ps_err_set(err, PS_EIO, "%s: cannot write %s/%s", what, group, v->name);
        else
            rc = ps__attr_set_i32(d, "trainable", v->trainable, what, err);
        if (d >= 0)
            H5Dclose(d);
        H5Sclose(sp);
    }
    H5Gclose(g);
    return rc;
}


int ps__weights_tag(hid_t fid, const ps_store_row *row, const char *what, ps_err *err)
{
    char path[64];
    snprintf(path, sizeof path, "weights/%s", row->task_id);
    hid_t g = H5Gopen2(fid, path, H5P_DEFAULT);
    if (g < 0)
        return ps_err_set(err, PS_EFORMAT, "%s: no group /%s", what, path);
    int rc = ps__attr_set_str(g, "task_id", row->task_id, what, err);
    rc = rc ? rc : ps__attr_set_str(g, "model", row->model, what, err);
    rc = rc ? rc : ps__attr_set_i32(g, "grid", row->grid, what, err);
    rc = rc ? rc : ps__attr_set_enum(g, "phase", PS__F_PHASE, row->phase, what, err);
    rc = rc ? rc : ps__attr_set_i32(g, "fold", row->fold, what, err);
    rc = rc ? rc : ps__attr_set_i32(g, "rep", row->rep, what, err);
    rc = rc ? rc : ps__attr_set_u64(g, "seed", row->seed, what, err);
    H5Gclose(g);
    return rc;
}
