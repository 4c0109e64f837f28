/* pairsweep store — checkpoints: the journal's records replayed into a copy of FILE.h5 that
 * replaces it (store.c's opening comment explains why and when). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "h5io.h"
#include "journal.h"
#include "writer.h"
#include "pairsweep/path.h"

/* The rows of the file being checkpointed, with their ids indexed; rows [n_file, n) come from
 * the journal and are added to /tasks and /curves together at the end of the replay (one
 * table append and one block of curves instead of one HDF5 edit per result), their curves
 * kept meanwhile in cv. */
typedef struct frows {
    ps_store_row *r;           /* (n) */
    int32_t n, cap, n_file;
    ps_idset ix;               /* task id -> index into r */
    float *cv;                 /* the new rows' curves, 4 × epochs each, one after the other */
    size_t n_cv, cap_cv;
    int32_t *ep;               /* (n - n_file) epochs of each new row's curves */
    int32_t cols;              /* the most epochs of a new row */
    ps_store_race_row *race;   /* (n_race) /race rows: the file's [0, race_file), then new */
    int32_t n_race, race_file;
} frows;

/* A /race row for a grid point not in f yet. */
static int add_race(frows *f, const ps_store_race_row *row, const char *what, ps_err *err)
{
    for (int32_t i = 0; i < f->n_race; i++)
        if (f->race[i].grid == row->grid && !strcmp(f->race[i].model, row->model))
            return 0;
    ps_store_race_row *q = realloc(f->race, (size_t)(f->n_race + 1) * sizeof *q);
    if (!q)
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory", what);
    f->race = q;
    f->race[f->n_race++] = *row;
    return 0;
}

/* The new /race rows of f into the file (the table made when it has none yet). */
static int flush_race(hid_t fid, const frows *f, const char *what, ps_err *err)
{
    int32_t n = f->n_race - f->race_file;
    if (n <= 0)
        return 0;
    if (!ps__exists(fid, ps__race_table.dset))
        return ps__table_create(fid, &ps__race_table, (hsize_t)n, f->race + f->race_file, what,
                                err);
    return ps__table_append(fid, &ps__race_table, (hsize_t)n, f->race + f->race_file, what, err);
}

/* Applies one journal record to an open file whose stored rows are f: a selection at once,
 * a result's weights at once and its row and curves into f. */
static int apply_record(hid_t fid, const ps__jrec *rec, frows *f, const char *what, ps_err *err)
{
    if (rec->type == PS__J_SELECTION)
        return ps__selection_put(fid, &rec->sel, what, err);
    if (rec->type == PS__J_STOP) /* the root attribute `stopped` says it (close_edit) */
        return 0;
    if (rec->type == PS__J_RACE)
        return add_race(f, &rec->race, what, err);
    if (ps_idset_get(&f->ix, rec->row.task_id) >= 0)
        return 0;
    int rc = rec->n_out > 0 ? ps__outcomes_write(fid, rec->row.task_id, rec->out, rec->n_out,
                                                 what, err) : 0;
    rc = rc ? rc : rec->n_views > 0 ? ps__weights_put(fid, &rec->row, rec->views, rec->n_views,
                                                     rec->state, rec->n_state, what, err) : 0;
    if (rc)
        return rc;
    size_t ep = rec->epochs > 0 ? (size_t)rec->epochs : 0;
    if (f->n_cv + 4 * ep > f->cap_cv) {
        size_t c = f->cap_cv ? 2 * f->cap_cv : 1024;
        while (c < f->n_cv + 4 * ep)
            c *= 2;
        float *q = realloc(f->cv, c * sizeof *q);
        if (!q)
            return ps_err_set(err, PS_ENOMEM, "%s: out of memory", what);
        f->cv = q;
        f->cap_cv = c;
    }
    for (int k = 0; ep > 0 && k < 4; k++) /* a pruned row has no curves (NULL, 0 epochs) */
        memcpy(f->cv + f->n_cv + (size_t)k * ep, rec->curves[k], ep * sizeof(float));
    f->n_cv += 4 * ep;
    if (rec->epochs > f->cols)
        f->cols = rec->epochs;
    if (f->n == f->cap) {
        int32_t c = f->cap ? 2 * f->cap : 64;
        ps_store_row *r = realloc(f->r, (size_t)c * sizeof *r);
        int32_t *e = realloc(f->ep, (size_t)(c - f->n_file) * sizeof *e);
        if (r)
            f->r = r;
        if (e)
            f->ep = e;
        if (!r || !e)
            return ps_err_set(err, PS_ENOMEM, "%s: out of memory", what);
        f->cap = c;
    }
    f->ep[f->n - f->n_file] = (int32_t)ep;
    f->r[f->n++] = rec->row;
    if (ps_idset_put(&f->ix, rec->row.task_id, f->n - 1) < 0)
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory", what);
    return 0;
}

/* Adds the new rows of f to /tasks and their curves to /curves. */
static int flush_rows(hid_t fid, const frows *f, const char *what, ps_err *err)
{
    int32_t n = f->n - f->n_file;
    if (n <= 0)
        return 0;
    int rc = ps__table_append(fid, &ps__tasks_table, (hsize_t)n, f->r + f->n_file, what, err);
    if (rc)
        return rc;
    size_t cells = (size_t)n * (size_t)f->cols;
    float *blk = malloc(4 * (cells ? cells : 1) * sizeof *blk); /* (4, n, cols) */
    if (!blk)
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory", what);
    for (size_t c = 0; c < 4 * cells; c++)
        blk[c] = NAN;
    size_t at = 0;
    for (int32_t i = 0; i < n; i++) {
        size_t ep = (size_t)f->ep[i];
        for (int k = 0; ep > 0 && k < 4; k++)
            memcpy(blk + (size_t)k * cells + (size_t)i * (size_t)f->cols,
                   f->cv + at + (size_t)k * ep, ep * sizeof(float));
        at += 4 * ep;
    }
    const float *const b4[4] = {blk, blk + cells, blk + 2 * cells, blk + 3 * cells};
    rc = ps__curves_write_rows(fid, (hsize_t)f->n_file, (hsize_t)n, f->cols, b4,
                               f->r + f->n_file, what, err);
    free(blk);
    return rc;
}

/* Replays the journal's records [header, jend) into fid. */
static int replay(ps_store *s, hid_t fid, ps_err *err)
{
    frows f;
    memset(&f, 0, sizeof f);
    int rc = ps__table_read(fid, &ps__tasks_table, (void **)&f.r, &f.n, 0, s->path, err);
    f.cap = f.n_file = f.n;
    if (!rc && ps__index_rows(&f.ix, f.r, f.n))
        rc = ps_err_set(err, PS_ENOMEM, "%s: out of memory", s->path);
    if (!rc)
        rc = ps__table_read(fid, &ps__race_table, (void **)&f.race, &f.n_race, 1, s->path, err);
    f.race_file = f.n_race;
    off_t off = PS__JOURNAL_HEADER;
    while (!rc && off < s->jend) {
        ps__jrec rec;
        int r = ps__journal_next(s->jfd, &off, s->jend, &rec, 1);
        if (r < 0)
            rc = ps_err_set(err, PS_ENOMEM, "%s: out of memory replaying the journal", s->jpath);
        if (r <= 0)
            break;
        rc = apply_record(fid, &rec, &f, s->path, err);
        ps__jrec_free(&rec);
    }
    if (!rc)
        rc = flush_rows(fid, &f, s->path, err);
    if (!rc)
        rc = flush_race(fid, &f, s->path, err);
    free(f.r);
    free(f.race);
    ps_idset_free(&f.ix);
    free(f.cv);
    free(f.ep);
    return rc;
}

int ps__sync_journal(ps_store *s, ps_err *err)
{
    if (s->jend == s->synced_end)
        return 0;
    double t0 = ps_now();
    int rc = ps__journal_sync(s->jfd, s->jpath, err);
    s->st.sync_seconds += ps_now() - t0;
    s->st.syncs++;
    if (rc) {
        int32_t lost = s->n_rows - s->synced_rows;
        if (ftruncate(s->jfd, s->synced_end) != 0) { /* CRCs drop what a crash leaves */ }
        s->jend = s->synced_end;
        s->n_rows = s->synced_rows;
        s->jcount = s->synced_jcount;
        s->pending = 0;
        (void)ps__index_rows(&s->ix, s->rows, s->n_rows); /* fewer rows: cannot fail */
        if (err)
            snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
                     "; the last %d results were not stored (they run again on resume)",
                     (int)lost);
        return rc;
    }
    s->synced_end = s->jend;
    s->synced_rows = s->n_rows;
    s->synced_jcount = s->jcount;
    s->pending = 0;
    return 0;
}

/* The journal is synced first, so that a checkpoint that fails leaves every result durable. */
int ps__checkpoint(ps_store *s, ps__edit_fn edit, const void *ctx, ps_err *err)
{
    int rc = ps__sync_journal(s, err);
    if (rc)
        return rc;
    double t0 = ps_now();
    unlink(s->tmp);
    /* libhdf5 opens by name: FILE.h5 is checked just before (h5io.c, ps__file_open, says why
     * the window left between the check and the open is acceptable). */
    rc = ps_path_check(s->path, PS_PATH_FILE, "the results file", err);
    if (rc)
        return rc;
    hid_t fapl = ps__fapl_mem(); /* FILE.h5 is read into memory and edited there */
    hid_t fid = H5Fopen(s->path, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    rc = fid < 0 ? ps_err_set(err, PS_EIO, "%s: cannot read the file for a checkpoint",
                              s->path) : 0;
    double t1 = ps_now();
    if (!rc && edit)
        rc = edit(fid, ctx, s->path, err);
    if (!rc)
        rc = replay(s, fid, err);
    double t2 = ps_now();
    if (fid >= 0 && rc)
        H5Fclose(fid);
    else if (fid >= 0)
        rc = ps__file_save(fid, s->tmp, err);
    if (!rc)
        rc = ps__replace(s->tmp, s->path, err);
    double t3 = ps_now();
    s->st.checkpoints++;
    s->st.checkpoint_read_seconds += t1 - t0;
    s->st.checkpoint_replay_seconds += t2 - t1;
    s->st.checkpoint_write_seconds += t3 - t2;
    if (rc) {
        unlink(s->tmp);
        ps_err_rename(err, s->tmp, s->path); /* the message names the user's path */
        if (err && !strstr(err->msg, "kept"))
            snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
                     "; every result so far is kept in %s and its journal", s->path);
        return rc;
    }
    rc = ps__journal_reset(s->jfd, &s->jend, s->jpath, err);
    struct stat st;
    s->file_bytes = stat(s->path, &st) == 0 ? st.st_size : 0;
    s->jcount = 0;
    s->last_ckpt = ps_now();
    s->synced_end = s->jend;
    s->synced_rows = s->n_rows;
    s->synced_jcount = 0;
    s->pending = 0;
    return rc;
}

int ps__maybe_checkpoint(ps_store *s, ps_err *err)
{
    int due;
    if (s->every_n > 0 || s->every_s > 0) {
        due = (s->every_n > 0 && s->jcount >= s->every_n) ||
              (s->every_s > 0 && ps_now() - s->last_ckpt >= s->every_s);
    } else {
        off_t jbytes = s->jend - PS__JOURNAL_HEADER;
        off_t big = s->file_bytes > (8 << 20) ? s->file_bytes : (8 << 20);
        double scale = (double)s->file_bytes / (16.0 * (1 << 20));
        due = jbytes >= big || ps_now() - s->last_ckpt >= 30.0 * (scale > 1 ? scale : 1);
    }
    return due && s->jcount > 0 ? ps__checkpoint(s, NULL, NULL, err) : 0;
}
