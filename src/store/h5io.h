/* pairsweep store — internal HDF5 helpers shared by the writer, the reader, merge and
 * write_run. Only src/store includes hdf5.h. Every function returns 0 or a negative PS_E*
 * code with err set naming `what` (usually the file path). */
#ifndef PAIRSWEEP_STORE_H5IO_H
#define PAIRSWEEP_STORE_H5IO_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "pairsweep/store.h"

/* The kinds of fields of the fixed-layout tables. PHASE and STATUS are int32 in the C struct
 * and HDF5 enums in the file (ps__enum_type). */
typedef enum {
    PS__F_I32, PS__F_I64, PS__F_U64, PS__F_F32, PS__F_F64, PS__F_STR, PS__F_PHASE, PS__F_STATUS
} ps__ftype;

typedef struct ps__field {
    const char *name;
    size_t offset;             /* in the C struct */
    size_t size;               /* in the C struct (string: buffer length, NUL included) */
    ps__ftype type;
    const char *unit;          /* a metric's unit ("fraction", "nats", "s", "1"), else NULL */
} ps__field;

/* The description of one table: its dataset name, title, row struct size and fields. */
typedef struct ps__table {
    const char *dset;          /* "tasks", "grid", ... under the root */
    const char *title;
    size_t row_size;
    int nfields;
    const ps__field *fields;
    int grows;                 /* rows are appended after creation: its strings keep the C
                                  struct's sizes; else each is sized from the longest written */
} ps__table;

extern const ps__table ps__tasks_table, ps__grid_table, ps__sel_table, ps__models_table,
    ps__plan_table, ps__race_table;

/* The HDF5 enum type (int32 based) of PS__F_PHASE or PS__F_STATUS, made from PS_PHASES or
 * PS_TASK_STATUSES: every value the C enum has, by its name. Caller closes it; negative on
 * failure. */
hid_t ps__enum_type(ps__ftype kind);

/* Silences HDF5's automatic error stack printing (the library never prints). */
void ps__h5_quiet(void);

/* Creates the table with no rows (or nrec rows from buf), with its `units` attribute (see
 * ps__attr_set_units) when a field has a unit. */
int ps__table_create(hid_t loc, const ps__table *t, hsize_t nrec, const void *buf,
                     const char *what, ps_err *err);
/* Appends nrec rows. */
int ps__table_append(hid_t loc, const ps__table *t, hsize_t nrec, const void *buf,
                     const char *what, ps_err *err);
/* Overwrites row `start`. */
int ps__table_write_row(hid_t loc, const ps__table *t, hsize_t start, const void *row,
                        const char *what, ps_err *err);
/* Reads the whole table: *buf malloc'ed (NULL when empty), *n rows. A missing table gives 0
 * rows when optional is non-zero, PS_EFORMAT otherwise. */
int ps__table_read(hid_t loc, const ps__table *t, void **buf, int32_t *n, int optional,
                   const char *what, ps_err *err);
int ps__exists(hid_t loc, const char *name);
/* Creates the group `name` under loc unless it exists. */
int ps__group_ensure(hid_t loc, const char *name, const char *what, ps_err *err);

/* Root attributes. */
int ps__attr_set_str(hid_t loc, const char *name, const char *val, const char *what, ps_err *err);
int ps__attr_set_i32(hid_t loc, const char *name, int32_t val, const char *what, ps_err *err);
int ps__attr_set_f64(hid_t loc, const char *name, double val, const char *what, ps_err *err);
int ps__attr_set_u64(hid_t loc, const char *name, uint64_t val, const char *what, ps_err *err);
/* An attribute of enum type kind (PS__F_PHASE or PS__F_STATUS) holding val. */
int ps__attr_set_enum(hid_t loc, const char *name, ps__ftype kind, int32_t val, const char *what,
                      ps_err *err);
/* The attribute `units` of loc: a compound of n strings, member names[i] holding units[i], so
 * that h5py reads obj.attrs["units"]["eval_acc"] (a table's columns, a file's attributes). */
int ps__attr_set_units(hid_t loc, int n, const char *const *names, const char *const *units,
                       const char *what, ps_err *err);
/* *val malloc'ed, NUL-terminated. */
int ps__attr_get_str(hid_t loc, const char *name, char **val, const char *what, ps_err *err);
int ps__attr_get_i32(hid_t loc, const char *name, int32_t *val, const char *what, ps_err *err);

/* The four curve names, in the order of ps_train_result's fields, and their units. */
extern const char *const ps__curve_names[4];
extern const char *const ps__curve_units[4];

/* Creates /curves with four empty (0 × 0) extendible float datasets and their dimension scale
 * /curves/task_id (see ps__curves_describe). */
int ps__curves_create(hid_t fid, const char *what, ps_err *err);
/* Describes the four curves of /curves: a `units` attribute each, dimensions labelled "task"
 * and "epoch", and the extendible 1-D /curves/task_id (created with n_ids ids, when absent)
 * attached to their first dimension as its scale. */
int ps__curves_describe(hid_t fid, const ps_store_row *rows, int32_t n_ids, const char *what,
                        ps_err *err);
/* Writes rows [row0, row0 + nrows) of the four curves at once: block[k] is (nrows × cols),
 * NaN where a row has fewer epochs, and the same rows of /curves/task_id from rows[i].task_id;
 * extends the datasets as needed. */
int ps__curves_write_rows(hid_t fid, hsize_t row0, hsize_t nrows, int32_t cols,
                          const float *const block[4], const ps_store_row *rows,
                          const char *what, ps_err *err);
/* Reads the four (rows × cols) curves into out[k] (malloc'ed, caller frees). */
int ps__curves_read(hid_t fid, float *out[4], hsize_t *rows, hsize_t *cols, const char *what,
                    ps_err *err);

/* Writes the views of a state under the group `group` (created), one float dataset each with
 * its shape and a "trainable" attribute. */
int ps__weights_write(hid_t loc, const char *group, const ps_state_view *views, int32_t n_views,
                      const float *state, size_t n_state, const char *what, ps_err *err);
/* Sets the attributes naming the task of /weights/<row->task_id> (task_id, model, grid, phase,
 * fold, rep, seed); the group exists. */
int ps__weights_tag(hid_t fid, const ps_store_row *row, const char *what, ps_err *err);

/* Racing's outcomes (outcomes.c). ps__outcomes_write creates /outcomes/<id> (uint8, n) unless
 * it exists; ps__outcomes_read adds every /outcomes dataset of fid to out (ps__outcomes_add),
 * ps__outcomes_add appends one task's to out's arrays, ps__outcomes_sort sorts them by task
 * id for ps_results_outcomes (a task listed twice keeps its first). */
int ps__outcomes_write(hid_t fid, const char *id, const uint8_t *x, int32_t n, const char *what,
                       ps_err *err);
int ps__outcomes_read(hid_t fid, ps_results *out, const char *what, ps_err *err);
int ps__outcomes_add(ps_results *out, const char *id, const uint8_t *x, int32_t n);
void ps__outcomes_sort(ps_results *out);

/* File access for files the store writes: HDF5's core driver without backing store, so that
 * every edit happens in memory and HDF5 itself never writes to disk (a write failing inside
 * HDF5 — a full disk during H5Fclose — leaves the library in a state where the file can
 * neither be closed nor survive library shutdown). ps__file_save writes the image instead.
 * File locking is off: files are only ever replaced by rename(2), never changed in place,
 * and the journal carries the writer's lock. Caller closes the returned property list. */
hid_t ps__fapl_mem(void);
/* A buffer of a file's size (an anonymous mapping asking for transparent huge pages: h5io.c
 * says why), freed with ps__big_free. */
void *ps__big_malloc(size_t n);
void ps__big_free(void *p);

/* Saves an in-memory file: takes its image, closes fid (always), writes the image to path and
 * fsyncs it. path is a temporary name of the writer's own (FILE.h5.tmp, renamed over FILE.h5
 * afterwards): whatever is there is removed and the file created anew (O_EXCL: a regular file,
 * never a FIFO or a link left there). A full disk gets its own message; on failure path is
 * removed. */
int ps__file_save(hid_t fid, const char *path, ps_err *err);

/* Opens an existing file (H5F_ACC_RDONLY or H5F_ACC_RDWR) after ps_path_check (a regular file:
 * PS_EINVAL for a FIFO, a directory, ...), giving PS_EFORMAT for a file that is not HDF5. */
int ps__file_open(hid_t *fid, const char *path, unsigned flags, ps_err *err);

#endif
