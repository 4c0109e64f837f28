/* pairsweep store — HDF5 helpers: the fixed-layout tables (H5TB) with their enum types and
 * units, attributes, opening and saving files. The curves and weights are in curves.c. */
#define _GNU_SOURCE /* mremap, madvise */
#include "h5io.h"

#include <errno.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "pairsweep/path.h"

/* A field without a unit, and a metric with its unit (docs/results-format.md lists them). */
#define F(st, fld, ty) { #fld, offsetof(st, fld), sizeof(((st *)0)->fld), ty, NULL }
#define FU(st, fld, ty, unit) { #fld, offsetof(st, fld), sizeof(((st *)0)->fld), ty, unit }

static const ps__field tasks_fields[] = {
    F(ps_store_row, task_id, PS__F_STR),   F(ps_store_row, phase, PS__F_PHASE),
    F(ps_store_row, model, PS__F_STR),     F(ps_store_row, grid, PS__F_I32),
    F(ps_store_row, fold, PS__F_I32),      F(ps_store_row, rep, PS__F_I32),
    F(ps_store_row, seed, PS__F_U64),      F(ps_store_row, status, PS__F_STATUS),
    F(ps_store_row, reason, PS__F_STR),    F(ps_store_row, rank, PS__F_I32),
    FU(ps_store_row, wall_seconds, PS__F_F64, "s"),
    FU(ps_store_row, train_loss, PS__F_F32, "nats"),
    FU(ps_store_row, train_acc, PS__F_F32, "fraction"),
    FU(ps_store_row, eval_loss, PS__F_F32, "nats"),
    FU(ps_store_row, eval_acc, PS__F_F32, "fraction"),
    FU(ps_store_row, epochs, PS__F_I32, "1"),
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
    FU(ps_store_selection, cv_mean, PS__F_F32, "fraction"),
    FU(ps_store_selection, cv_std, PS__F_F32, "fraction"),
    FU(ps_store_selection, n_folds, PS__F_I32, "1"),
};
static const ps__field models_fields[] = {
    F(ps_store_model_row, model, PS__F_STR),  F(ps_store_model_row, arch, PS__F_STR),
    FU(ps_store_model_row, params, PS__F_I64, "1"),
    FU(ps_store_model_row, flops, PS__F_F64, "FLOP/sample"),
};
static const ps__field plan_fields[] = {
    F(ps_store_plan_row, task_id, PS__F_STR), F(ps_store_plan_row, phase, PS__F_PHASE),
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
                                   NF(tasks_fields), tasks_fields, 1};
const ps__table ps__grid_table = {"grid", "grid points", sizeof(ps_store_grid_row),
                                  NF(grid_fields), grid_fields, 0};
const ps__table ps__sel_table = {"selection", "selection per model", sizeof(ps_store_selection),
                                 NF(sel_fields), sel_fields, 1};
const ps__table ps__models_table = {"models", "models", sizeof(ps_store_model_row),
                                    NF(models_fields), models_fields, 0};
const ps__table ps__plan_table = {"plan", "planned tasks", sizeof(ps_store_plan_row),
                                  NF(plan_fields), plan_fields, 0};
const ps__table ps__race_table = {"race", "grid points dropped by the race",
                                  sizeof(ps_store_race_row), NF(race_fields), race_fields, 1};

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

hid_t ps__enum_type(ps__ftype kind)
{
    hid_t t = H5Tenum_create(H5T_NATIVE_INT32);
    herr_t st = t < 0 ? -1 : 0;
    int32_t v;
#define INSERT(constant, value, name) \
    st = st < 0 ? st : (v = (value), H5Tenum_insert(t, name, &v));
    if (kind == PS__F_PHASE) {
        PS_PHASES(INSERT)
    } else {
        PS_TASK_STATUSES(INSERT)
    }
#undef INSERT
    if (st < 0 && t >= 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* The offsets and sizes of a table's fields in its C struct. */
static void field_layout(const ps__table *t, size_t *offsets, size_t *sizes)
{
    for (int i = 0; i < t->nfields; i++) {
        offsets[i] = t->fields[i].offset;
        sizes[i] = t->fields[i].size;
    }
}

/* The file size of string field f for the nrec rows of buf: the C struct's size when the table
 * grows, else the longest string's (NUL included). */
static size_t str_size(const ps__table *t, const ps__field *f, hsize_t nrec, const void *buf)
{
    if (t->grows || !buf)
        return f->size;
    size_t n = 1;
    for (hsize_t r = 0; r < nrec; r++) {
        size_t len = strnlen((const char *)buf + r * t->row_size + f->offset, f->size - 1);
        if (len + 1 > n)
            n = len + 1;
    }
    return n;
}

/* Field types of a table holding the nrec rows of buf (types[i] must be closed with
 * close_types); 0, or -1 when HDF5 could not make one. */
static int make_types(const ps__table *t, hid_t *types, hsize_t nrec, const void *buf)
{
    int bad = 0;
    for (int i = 0; i < t->nfields; i++) {
        const ps__field *f = &t->fields[i];
        switch (f->type) {
        case PS__F_I32: types[i] = H5Tcopy(H5T_NATIVE_INT32); break;
        case PS__F_I64: types[i] = H5Tcopy(H5T_NATIVE_INT64); break;
        case PS__F_U64: types[i] = H5Tcopy(H5T_NATIVE_UINT64); break;
        case PS__F_F32: types[i] = H5Tcopy(H5T_NATIVE_FLOAT); break;
        case PS__F_F64: types[i] = H5Tcopy(H5T_NATIVE_DOUBLE); break;
        case PS__F_PHASE:
        case PS__F_STATUS: types[i] = ps__enum_type(f->type); break;
        case PS__F_STR:
            types[i] = H5Tcopy(H5T_C_S1);
            H5Tset_size(types[i], str_size(t, f, nrec, buf));
            H5Tset_strpad(types[i], H5T_STR_NULLTERM);
            break;
        }
        bad |= types[i] < 0;
    }
    return bad ? -1 : 0;
}

static void close_types(const ps__table *t, hid_t *types)
{
    for (int i = 0; i < t->nfields; i++)
        if (types[i] >= 0)
            H5Tclose(types[i]);
}

#define MAXF 24

/* The `units` attribute of table t's dataset: its fields that have a unit. */
static int table_units(hid_t loc, const ps__table *t, const char *what, ps_err *err)
{
    const char *names[MAXF], *units[MAXF];
    int n = 0;
    for (int i = 0; i < t->nfields; i++)
        if (t->fields[i].unit) {
            names[n] = t->fields[i].name;
            units[n++] = t->fields[i].unit;
        }
    if (n == 0)
        return 0;
    hid_t d = H5Dopen2(loc, t->dset, H5P_DEFAULT);
    if (d < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot open the table /%s", what, t->dset);
    int rc = ps__attr_set_units(d, n, names, units, what, err);
    H5Dclose(d);
    return rc;
}

int ps__table_create(hid_t loc, const ps__table *t, hsize_t nrec, const void *buf,
                     const char *what, ps_err *err)
{
    hid_t types[MAXF];
    const char *names[MAXF];
    size_t offsets[MAXF], sizes[MAXF];
    for (int i = 0; i < t->nfields; i++)
        names[i] = t->fields[i].name;
    field_layout(t, offsets, sizes);
    /* 64 rows per chunk; deflate so that the reason strings cost little. */
    herr_t st = make_types(t, types, nrec, buf);
    if (st == 0)
        st = H5TBmake_table(t->title, loc, t->dset, (hsize_t)t->nfields, nrec, t->row_size,
                            names, offsets, types, 64, NULL, 1, buf);
    close_types(t, types);
    if (st < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot create the table /%s", what, t->dset);
    return table_units(loc, t, what, err);
}

int ps__table_append(hid_t loc, const ps__table *t, hsize_t nrec, const void *buf,
                     const char *what, ps_err *err)
{
    size_t offsets[MAXF], sizes[MAXF];
    field_layout(t, offsets, sizes);
    if (H5TBappend_records(loc, t->dset, nrec, t->row_size, offsets, sizes, buf) < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot append to the table /%s", what, t->dset);
    return 0;
}

int ps__table_write_row(hid_t loc, const ps__table *t, hsize_t start, const void *row,
                        const char *what, ps_err *err)
{
    size_t offsets[MAXF], sizes[MAXF];
    field_layout(t, offsets, sizes);
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
    size_t offsets[MAXF], sizes[MAXF];
    field_layout(t, offsets, sizes);
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

static int attr_set_scalar(hid_t loc, const char *name, hid_t type, const void *val,
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
    return attr_set_scalar(loc, name, H5T_NATIVE_INT32, &val, what, err);
}

int ps__attr_set_f64(hid_t loc, const char *name, double val, const char *what, ps_err *err)
{
    return attr_set_scalar(loc, name, H5T_NATIVE_DOUBLE, &val, what, err);
}

int ps__attr_set_u64(hid_t loc, const char *name, uint64_t val, const char *what, ps_err *err)
{
    return attr_set_scalar(loc, name, H5T_NATIVE_UINT64, &val, what, err);
}

int ps__attr_set_enum(hid_t loc, const char *name, ps__ftype kind, int32_t val, const char *what,
                      ps_err *err)
{
    hid_t t = ps__enum_type(kind);
    if (t < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot make the type of attribute %s", what, name);
    int rc = attr_set_scalar(loc, name, t, &val, what, err);
    H5Tclose(t);
    return rc;
}

int ps__attr_set_units(hid_t loc, int n, const char *const *names, const char *const *units,
                       const char *what, ps_err *err)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += strlen(units[i]) + 1;
    char *buf = calloc(total ? total : 1, 1);
    hid_t t = buf && total ? H5Tcreate(H5T_COMPOUND, total) : -1;
    herr_t st = t < 0 ? -1 : 0;
    size_t at = 0;
    for (int i = 0; i < n && st >= 0; i++) {
        size_t len = strlen(units[i]) + 1;
        hid_t s = H5Tcopy(H5T_C_S1);
        st = s < 0 ? -1 : H5Tset_size(s, len);
        st = st < 0 ? st : H5Tinsert(t, names[i], at, s);
        if (s >= 0)
            H5Tclose(s);
        memcpy(buf + at, units[i], len);
        at += len;
    }
    int rc = st < 0 ? ps_err_set(err, PS_EIO, "%s: cannot make the type of attribute units", what)
                    : attr_set_scalar(loc, "units", t, buf, what, err);
    if (t >= 0)
        H5Tclose(t);
    free(buf);
    return rc;
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

int ps__file_open(hid_t *fid, const char *path, unsigned flags, ps_err *err)
{
    ps__h5_quiet();
    /* libhdf5 opens by name (H5Fis_hdf5, then H5Fopen), not through a descriptor of ours: the
     * path is checked with path.h just before, so a FIFO or a device is refused unopened. A
     * FIFO swapped in between the check and the open (another process racing on purpose)
     * could still block this command: acceptable, since nothing is lost (results files are
     * read here, and only ever replaced by rename) and Ctrl-C ends it; closing that window
     * would mean reading every file into memory through our own descriptor first. */
    int rc = ps_path_check(path, PS_PATH_FILE, "a pairsweep results file", err);
    if (rc)
        return rc;
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

/* Big buffers: a file's image in memory, tens to hundreds of MiB, allocated anew at every
 * checkpoint and grown by HDF5's core driver 4 MiB at a time. They are anonymous mappings of
 * their own, asked to be backed by transparent huge pages where the kernel has them in
 * "madvise" mode (Debian's default), and grown by mremap to at least twice their size (the
 * pages move, nothing is copied; untouched pages cost nothing). With malloc, each 4 MiB growth
 * could copy the whole image, and every first touch of a 4 KiB page faulted: on a VM that
 * was most of the master's checkpoints (perf: 40% of rank 0's time in page faults and the
 * copies that took them). bench_master, cnn results in /dev/shm: 170-210 per second before.
 * Where there is no mremap (not Linux) they are plain malloc'd blocks. */
#ifdef __linux__
#define BIG_HDR ((size_t)4096) /* the mapping's length, kept in front of the buffer */
#define BIG_ROUND(n) (((n) + ((size_t)2 << 20) - 1) & ~(((size_t)2 << 20) - 1))

static void *big_map(void *old, size_t old_len, size_t len)
{
    void *base = old ? mremap(old, old_len, len, MREMAP_MAYMOVE)
                     : mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(base, len, MADV_HUGEPAGE); /* advice only: no THP, nothing changes */
#endif
    *(size_t *)base = len;
    return (char *)base + BIG_HDR;
}

void *ps__big_malloc(size_t n)
{
    return n > SIZE_MAX / 4 ? NULL : big_map(NULL, 0, BIG_ROUND(n + BIG_HDR));
}

static void *big_realloc(void *p, size_t n)
{
    if (!p)
        return ps__big_malloc(n);
    char *base = (char *)p - BIG_HDR;
    size_t len = *(size_t *)base;
    if (n > SIZE_MAX / 4)
        return NULL;
    if (n + BIG_HDR <= len)
        return p;
    size_t want = BIG_ROUND(n + BIG_HDR);
    return big_map(base, len, want > 2 * len ? want : 2 * len);
}

void ps__big_free(void *p)
{
    if (p) {
        char *base = (char *)p - BIG_HDR;
        munmap(base, *(size_t *)base);
    }
}
#else
void *ps__big_malloc(size_t n)
{
    return malloc(n);
}

static void *big_realloc(void *p, size_t n)
{
    return realloc(p, n);
}

void ps__big_free(void *p)
{
    free(p);
}
#endif

/* The core driver's buffer through these callbacks; the image operations of property lists
 * (H5Pset_file_image) are never used here, so only FILE_OPEN, FILE_RESIZE and FILE_CLOSE come
 * (HDF5 1.10's H5FDcore.c). */
static void *img_malloc(size_t n, H5FD_file_image_op_t op, void *udata)
{
    (void)op;
    (void)udata;
    return ps__big_malloc(n);
}

static void *img_memcpy(void *dst, const void *src, size_t n, H5FD_file_image_op_t op,
                        void *udata)
{
    (void)op;
    (void)udata;
    return memcpy(dst, src, n);
}

static void *img_realloc(void *p, size_t n, H5FD_file_image_op_t op, void *udata)
{
    (void)op;
    (void)udata;
    return big_realloc(p, n);
}

static herr_t img_free(void *p, H5FD_file_image_op_t op, void *udata)
{
    (void)op;
    (void)udata;
    ps__big_free(p);
    return 0;
}

hid_t ps__fapl_mem(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, (size_t)4 << 20, 0);
    H5Pset_file_locking(fapl, 0, 1);
    H5FD_file_image_callbacks_t cb = { img_malloc, img_memcpy, img_realloc, img_free,
                                       NULL, NULL, NULL };
    H5Pset_file_image_callbacks(fapl, &cb);
    return fapl;
}

int ps__file_save(hid_t fid, const char *path, ps_err *err)
{
    ssize_t n = H5Fflush(fid, H5F_SCOPE_GLOBAL) < 0 ? -1 : H5Fget_file_image(fid, NULL, 0);
    char *img = n > 0 ? ps__big_malloc((size_t)n) : NULL;
    if (img && H5Fget_file_image(fid, img, (size_t)n) != n) {
        ps__big_free(img);
        img = NULL;
    }
    H5Fclose(fid); /* in memory: cannot fail on I/O */
    if (!img)
        return ps_err_set(err, n > 0 ? PS_ENOMEM : PS_EIO, "%s: cannot take the file's image "
                          "(out of memory?)", path);
    int fd;
    unlink(path); /* a temporary of ours: created anew below, never a FIFO or link left there */
    int rc = ps_path_open(&fd, path, O_WRONLY | O_CREAT | O_EXCL, "a temporary file", err);
    if (rc) {
        ps__big_free(img);
        return rc;
    }
    int e = ps__write_all(fd, img, (size_t)n);
    if (!e && fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    ps__big_free(img);
    if (e) {
        unlink(path);
        return ps__write_error(path, e, err);
    }
    return 0;
}
