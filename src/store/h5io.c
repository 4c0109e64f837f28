/* pairsweep store — HDF5 helpers: the fixed-layout tables (H5TB), attributes, curves and
 * weights. */
#define _POSIX_C_SOURCE 200809L
#include "h5io.h"

#include <errno.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"

#define F(st, fld, ty) { #fld, offsetof(st, fld), sizeof(((st *)0)->fld), ty }

static const ps__field tasks_fields[] = {
    F(ps_store_row, task_id, PS__F_STR),   F(ps_store_row, phase, PS__F_I32),
    F(ps_store_row, model, PS__F_STR),     F(ps_store_row, grid, PS__F_I32),
    F(ps_store_row, fold, PS__F_I32),      F(ps_store_row, rep, PS__F_I32),
    F(ps_store_row, seed, PS__F_U64),      F(ps_store_row, status, PS__F_I32),
    F(ps_store_row, reason, PS__F_STR),    F(ps_store_row, rank, PS__F_I32),
    F(ps_store_row, wall_seconds, PS__F_F64), F(ps_store_row, train_loss, PS__F_F32),
    F(ps_store_row, train_acc, PS__F_F32), F(ps_store_row, eval_loss, PS__F_F32),
    F(ps_store_row, eval_acc, PS__F_F32),  F(ps_store_row, epochs, PS__F_I32),
};
/* The /grid column of a hyper-parameter added after the first six (hparams.h). */
#define PS__F_INT PS__F_I32
#define PS__F_NUM PS__F_F32
#define PS__F_SWITCH PS__F_I32
#define GRID_COLUMN(ID, field, key, kind, def, lo, lo_open, hi, label, help) \
    F(ps_store_grid_row, field, PS__F_##kind),
static const ps__field grid_fields[] = {
    F(ps_store_grid_row, model, PS__F_STR),       F(ps_store_grid_row, grid, PS__F_I32),
    F(ps_store_grid_row, batch_size, PS__F_I32),  F(ps_store_grid_row, lr, PS__F_F32),
    F(ps_store_grid_row, momentum, PS__F_F32),    F(ps_store_grid_row, nesterov, PS__F_I32),
    F(ps_store_grid_row, weight_decay, PS__F_F32), F(ps_store_grid_row, use_bn, PS__F_I32),
    F(ps_store_grid_row, aux_weight, PS__F_F32),  F(ps_store_grid_row, epochs, PS__F_I32),
    F(ps_store_grid_row, lr_step_epoch, PS__F_I32), F(ps_store_grid_row, lr_step_gamma, PS__F_F32),
    PS_HPARAMS_ADDED(GRID_COLUMN)
};
static const ps__field sel_fields[] = {
    F(ps_store_selection, model, PS__F_STR),   F(ps_store_selection, grid, PS__F_I32),
    F(ps_store_selection, cv_mean, PS__F_F32), F(ps_store_selection, cv_std, PS__F_F32),
    F(ps_store_selection, n_folds, PS__F_I32),
};
static const ps__field models_fields[] = {
    F(ps_store_model_row, model, PS__F_STR),  F(ps_store_model_row, arch, PS__F_STR),
    F(ps_store_model_row, params, PS__F_I64), F(ps_store_model_row, flops, PS__F_F64),
};
static const ps__field plan_fields[] = {
    F(ps_store_plan_row, task_id, PS__F_STR), F(ps_store_plan_row, phase, PS__F_I32),
    F(ps_store_plan_row, model, PS__F_STR),   F(ps_store_plan_row, grid, PS__F_I32),
    F(ps_store_plan_row, fold, PS__F_I32),    F(ps_store_plan_row, rep, PS__F_I32),
};
static const ps__field race_fields[] = {
    F(ps_store_race_row, model, PS__F_STR),        F(ps_store_race_row, grid, PS__F_I32),
    F(ps_store_race_row, round, PS__F_I32),        F(ps_store_race_row, rounds, PS__F_I32),
    F(ps_store_race_row, leader_model, PS__F_STR), F(ps_store_race_row, leader_grid, PS__F_I32),
    F(ps_store_race_row, test, PS__F_STR),         F(ps_store_race_row, statistic, PS__F_F64),
    F(ps_store_race_row, n, PS__F_I32),            F(ps_store_race_row, p, PS__F_F64),
    F(ps_store_race_row, p_adjusted, PS__F_F64),   F(ps_store_race_row, pruned, PS__F_I32),
};
#define NF(a) ((int)(sizeof a / sizeof a[0]))

const ps__table ps__tasks_table = {"tasks", "finished tasks", sizeof(ps_store_row),
                                   NF(tasks_fields), tasks_fields};
const ps__table ps__grid_table = {"grid", "grid points", sizeof(ps_store_grid_row),
                                  NF(grid_fields), grid_fields};
const ps__table ps__sel_table = {"selection", "selection per model", sizeof(ps_store_selection),
                                 NF(sel_fields), sel_fields};
const ps__table ps__models_table = {"models", "models", sizeof(ps_store_model_row),
                                    NF(models_fields), models_fields};
const ps__table ps__plan_table = {"plan", "planned tasks", sizeof(ps_store_plan_row),
                                  NF(plan_fields), plan_fields};
const ps__table ps__race_table = {"race", "grid points dropped by the race",
                                  sizeof(ps_store_race_row), NF(race_fields), race_fields};

void ps_store_grid_row_set(ps_store_grid_row *row, int32_t grid, const ps_train_config *cfg)
{
    memset(row, 0, sizeof *row);
    snprintf(row->model, sizeof row->model, "%s", cfg->model);
    row->grid = grid;
#define SET(ID, field, key, kind, def, lo, lo_open, hi, label, help) row->field = cfg->field;
    PS_HPARAMS(SET)
#undef SET
    row->nesterov = cfg->nesterov;
    row->epochs = cfg->epochs;
    row->lr_step_epoch = cfg->lr_step_epoch;
    row->lr_step_gamma = cfg->lr_step_gamma;
}

const char *const ps__curve_names[4] = {"train_loss", "train_acc", "eval_loss", "eval_acc"};

void ps__h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

int ps__exists(hid_t loc, const char *name)
{
    return H5Lexists(loc, name, H5P_DEFAULT) > 0;
}

int ps__group_ensure(hid_t loc, const char *name, const char *what, ps_err *err)
{
    if (ps__exists(loc, name))
        return 0;
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot create /%s", what, name);
    H5Gclose(g);
    return 0;
}

/* Field types of a table (types[i] must be closed with close_types). */
static void make_types(const ps__table *t, hid_t *types, const char **names, size_t *offsets,
                       size_t *sizes)
{
    for (int i = 0; i < t->nfields; i++) {
        const ps__field *f = &t->fields[i];
        names[i] = f->name;
        offsets[i] = f->offset;
        sizes[i] = f->size;
        switch (f->type) {
        case PS__F_I32: types[i] = H5Tcopy(H5T_NATIVE_INT32); break;
        case PS__F_I64: types[i] = H5Tcopy(H5T_NATIVE_INT64); break;
        case PS__F_U64: types[i] = H5Tcopy(H5T_NATIVE_UINT64); break;
        case PS__F_F32: types[i] = H5Tcopy(H5T_NATIVE_FLOAT); break;
        case PS__F_F64: types[i] = H5Tcopy(H5T_NATIVE_DOUBLE); break;
        case PS__F_STR:
            types[i] = H5Tcopy(H5T_C_S1);
            H5Tset_size(types[i], f->size);
            H5Tset_strpad(types[i], H5T_STR_NULLTERM);
            break;
        }
    }
}

static void close_types(const ps__table *t, hid_t *types)
{
    for (int i = 0; i < t->nfields; i++)
        H5Tclose(types[i]);
}

#define MAXF 24

int ps__table_create(hid_t loc, const ps__table *t, hsize_t nrec, const void *buf,
                     const char *what, ps_err *err)
{
    hid_t types[MAXF];
    const char *names[MAXF];
    size_t offsets[MAXF], sizes[MAXF];
    make_types(t, types, names, offsets, sizes);
    /* 64 rows per chunk; deflate so that the reason strings cost little. */
    herr_t st = H5TBmake_table(t->title, loc, t->dset, (hsize_t)t->nfields, nrec, t->row_size,
                               names, offsets, types, 64, NULL, 1, buf);
    close_types(t, types);
    if (st < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot create the table /%s", what, t->dset);
    return 0;
}

int ps__table_append(hid_t loc, const ps__table *t, hsize_t nrec, const void *buf,
                     const char *what, ps_err *err)
{
    hid_t types[MAXF];
    const char *names[MAXF];
    size_t offsets[MAXF], sizes[MAXF];
    make_types(t, types, names, offsets, sizes);
    close_types(t, types);
    if (H5TBappend_records(loc, t->dset, nrec, t->row_size, offsets, sizes, buf) < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot append to the table /%s", what, t->dset);
    return 0;
}

int ps__table_write_row(hid_t loc, const ps__table *t, hsize_t start, const void *row,
                        const char *what, ps_err *err)
{
    hid_t types[MAXF];
    const char *names[MAXF];
    size_t offsets[MAXF], sizes[MAXF];
    make_types(t, types, names, offsets, sizes);
    close_types(t, types);
    if (H5TBwrite_records(loc, t->dset, start, 1, t->row_size, offsets, sizes, row) < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot write row %llu of the table /%s", what,
                          (unsigned long long)start, t->dset);
    return 0;
}

int ps__table_read(hid_t loc, const ps__table *t, void **buf, int32_t *n, int optional,
                   const char *what, ps_err *err)
{
    *buf = NULL;
    *n = 0;
    if (!ps__exists(loc, t->dset)) {
        if (optional)
            return 0;
        return ps_err_set(err, PS_EFORMAT, "%s: no table /%s (not a pairsweep results file?)",
                          what, t->dset);
    }
    hsize_t nf = 0, nrec = 0;
    if (H5TBget_table_info(loc, t->dset, &nf, &nrec) < 0 || nf != (hsize_t)t->nfields)
        return ps_err_set(err, PS_EFORMAT, "%s: table /%s has %llu fields, expected %d", what,
                          t->dset, (unsigned long long)nf, t->nfields);
    if (nrec == 0)
        return 0;
    if (nrec > INT32_MAX)
        return ps_err_set(err, PS_EFORMAT, "%s: table /%s is too long", what, t->dset);
    void *b = calloc((size_t)nrec, t->row_size);
    if (!b)
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory reading /%s", what, t->dset);
    hid_t types[MAXF];
    const char *names[MAXF];
    size_t offsets[MAXF], sizes[MAXF];
    make_types(t, types, names, offsets, sizes);
    close_types(t, types);
    if (H5TBread_table(loc, t->dset, t->row_size, offsets, sizes, b) < 0) {
        free(b);
        return ps_err_set(err, PS_EFORMAT, "%s: cannot read the table /%s", what, t->dset);
    }
    /* Strings of a damaged file might lack their NUL: terminate every one. */
    for (hsize_t r = 0; r < nrec; r++)
        for (int i = 0; i < t->nfields; i++)
            if (t->fields[i].type == PS__F_STR)
                ((char *)b)[r * t->row_size + t->fields[i].offset + t->fields[i].size - 1] = 0;
    *buf = b;
    *n = (int32_t)nrec;
    return 0;
}

int ps__attr_set_str(hid_t loc, const char *name, const char *val, const char *what, ps_err *err)
{
    if (H5Aexists(loc, name) > 0 && H5Adelete(loc, name) < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot replace attribute %s", what, name);
    /* H5LT writes a fixed-length, NUL-terminated string (an empty one is 1 byte). */
    if (H5LTset_attribute_string(loc, ".", name, val) < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot write attribute %s", what, name);
    return 0;
}

static int attr_set_num(hid_t loc, const char *name, hid_t type, const void *val,
                        const char *what, ps_err *err)
{
    if (H5Aexists(loc, name) > 0 && H5Adelete(loc, name) < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot replace attribute %s", what, name);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, type, val);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    if (st < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot write attribute %s", what, name);
    return 0;
}

int ps__attr_set_i32(hid_t loc, const char *name, int32_t val, const char *what, ps_err *err)
{
    return attr_set_num(loc, name, H5T_NATIVE_INT32, &val, what, err);
}

int ps__attr_set_f64(hid_t loc, const char *name, double val, const char *what, ps_err *err)
{
    return attr_set_num(loc, name, H5T_NATIVE_DOUBLE, &val, what, err);
}

int ps__attr_get_str(hid_t loc, const char *name, char **val, const char *what, ps_err *err)
{
    *val = NULL;
    hid_t a = H5Aexists(loc, name) > 0 ? H5Aopen(loc, name, H5P_DEFAULT) : -1;
    if (a < 0)
        return ps_err_set(err, PS_EFORMAT, "%s: no attribute %s (not a pairsweep file?)", what,
                          name);
    hid_t ft = H5Aget_type(a);
    int rc = PS_EFORMAT;
    if (ft >= 0 && H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft)) {
        size_t n = H5Tget_size(ft);
        char *s = calloc(n + 1, 1);
        hid_t mt = H5Tcopy(ft);
        if (s && H5Aread(a, mt, s) >= 0) {
            *val = s;
            rc = 0;
        } else {
            free(s);
        }
        H5Tclose(mt);
    }
    if (ft >= 0)
        H5Tclose(ft);
    H5Aclose(a);
    if (rc)
        return ps_err_set(err, rc, "%s: attribute %s is not a fixed-length string", what, name);
    return 0;
}

int ps__attr_get_i32(hid_t loc, const char *name, int32_t *val, const char *what, ps_err *err)
{
    hid_t a = H5Aexists(loc, name) > 0 ? H5Aopen(loc, name, H5P_DEFAULT) : -1;
    if (a < 0)
        return ps_err_set(err, PS_EFORMAT, "%s: no attribute %s (not a pairsweep file?)", what,
                          name);
    herr_t st = H5Aread(a, H5T_NATIVE_INT32, val);
    H5Aclose(a);
    if (st < 0)
        return ps_err_set(err, PS_EFORMAT, "%s: attribute %s is not an integer", what, name);
    return 0;
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
    return rc;
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
                          const float *const block[4], const char *what, ps_err *err)
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
    return 0;
}

int ps__curves_write(hid_t fid, hsize_t row, const float *const curves[4], int32_t epochs,
                     const char *what, ps_err *err)
{
    return ps__curves_write_rows(fid, row, 1, epochs, curves, what, err);
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

int ps__file_open(hid_t *fid, const char *path, unsigned flags, ps_err *err)
{
    ps__h5_quiet();
    struct stat st;
    if (stat(path, &st) != 0)
        return ps_err_set(err, PS_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ps_err_set(err, PS_EFORMAT, "%s: not a regular file", path);
    htri_t is = H5Fis_hdf5(path);
    if (is <= 0)
        return ps_err_set(err, PS_EFORMAT, "%s: not an HDF5 file (not a pairsweep results file)",
                          path);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(fapl, 0, 1); /* files are replaced by rename, never changed in place */
    hid_t f = H5Fopen(path, flags, fapl);
    H5Pclose(fapl);
    if (f < 0)
        return ps_err_set(err, PS_EFORMAT, "%s: cannot be opened as HDF5 (damaged file?)", path);
    *fid = f;
    return 0;
}

hid_t ps__fapl_mem(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, (size_t)4 << 20, 0);
    H5Pset_file_locking(fapl, 0, 1);
    return fapl;
}

int ps__file_save(hid_t fid, const char *path, ps_err *err)
{
    ssize_t n = H5Fflush(fid, H5F_SCOPE_GLOBAL) < 0 ? -1 : H5Fget_file_image(fid, NULL, 0);
    char *img = n > 0 ? malloc((size_t)n) : NULL;
    if (img && H5Fget_file_image(fid, img, (size_t)n) != n) {
        free(img);
        img = NULL;
    }
    H5Fclose(fid); /* in memory: cannot fail on I/O */
    if (!img)
        return ps_err_set(err, n > 0 ? PS_ENOMEM : PS_EIO, "%s: cannot take the file's image "
                          "(out of memory?)", path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        int e = errno;
        free(img);
        return ps__create_error(path, e, err);
    }
    int e = ps__write_all(fd, img, (size_t)n);
    if (!e && fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    free(img);
    if (e) {
        unlink(path);
        if (e == ENOSPC || e == EFBIG || e == EDQUOT)
            return ps_err_set(err, PS_EIO, "%s: the disk is full or the file size limit is "
                              "reached (%s)", path, strerror(e));
        return ps_err_set(err, PS_EIO, "%s: write failed: %s", path, strerror(e));
    }
    return 0;
}
