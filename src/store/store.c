/* pairsweep store — the study writer: create, resume, add results, close.
 *
 * Crash safety, and why it is done this way
 * -----------------------------------------
 * HDF5 1.10 updates its metadata (B-trees, heaps, object headers, the superblock's end of
 * file) in place and in no particular order; its metadata cache may also write dirty entries
 * out at any moment, not only at H5Fflush. A SIGKILL in the middle of that leaves a file that
 * may not open at all, and "flush after every result" alone does not prevent it. SWMR mode
 * would keep the file consistent but (in 1.10) forbids creating groups and datasets while it
 * is on, and every task needs its own /weights/<task id> group. So:
 *
 *   1. FILE.h5 is never modified in place. It only ever changes by an atomic rename(2) of a
 *      complete, closed and fsync'ed copy (a "checkpoint"): at every moment FILE.h5 is either
 *      the previous checkpoint or the new one, both whole.
 *   2. Every result is first appended to FILE.h5.journal — one record with its length and a
 *      CRC-32 — and made durable with fdatasync: ps_store_add syncs each result; a writer
 *      with many results (the sweep's master) appends them with ps_store_append and makes a
 *      group durable with one ps_store_sync (group commit: one fdatasync for all the results
 *      that arrived together), and counts them as stored only then. A record torn by a kill,
 *      or lost with the page cache by a crash of the machine before its sync, fails its CRC
 *      and is dropped with everything after it: the journal always reads back as a prefix of
 *      what was appended, holding at least every synced record. A killed process loses
 *      nothing it wrote (the kernel keeps its writes); a machine crash may lose the results
 *      appended since the last sync, which were never reported as stored and run again.
 *   3. A checkpoint reads FILE.h5 into memory (HDF5's core driver, no backing store),
 *      appends the journal's records there with the HDF5 API, writes the image to
 *      FILE.h5.tmp itself (write + fsync: HDF5 never writes to disk, so a full disk is an
 *      ordinary write error — inside HDF5 a failed final flush leaves a file handle that can
 *      neither be closed nor survive library shutdown), renames it over FILE.h5 and only then
 *      empties the journal. A kill between the rename and the emptying leaves records that
 *      are in both: replay skips task ids already present, so nothing is stored twice. The
 *      price is memory: about twice the file's size during a checkpoint. Both buffers are
 *      anonymous mappings asking for transparent huge pages (ps__big_malloc, h5io.c): page
 *      faults, not the copies, were most of a checkpoint's time on a VM.
 *   4. Checkpoints run, after a sync, when the journal has grown as large as the file (at
 *      least 8 MiB: copying costs then amortise to a constant factor, like a growing array:
 *      each result's bytes are written about twice by checkpoints in all; the memory of a
 *      checkpoint is about twice the new file's size whatever the factor), every 30 s while the
 *      file is small (the interval grows with the file's size), when the grid, models or plan
 *      are written, and at close. A checkpoint syncs the journal first, so that one that fails
 *      leaves every result durable. The replay writes each record's weights, then the rows
 *      and curves of all the records at once (one table append, one block per curve).
 *      ps_results_read replays the journal, so `pairsweep report` and `status` see every
 *      appended result even between checkpoints.
 *
 * After a crash the next ps_store_open (a rerun of the same job) finds FILE.h5 whole, replays
 * the journal into a checkpoint and resumes; a stale FILE.h5.tmp is deleted. The same scheme
 * covers a full disk: a failed journal append is cut back and reported, a failed checkpoint
 * leaves FILE.h5 and the journal as they were; a failed sync cuts the journal back to its last
 * durable record and forgets the results appended since (they were never stored). The file is
 * therefore not H5Fflush'ed after every result; the journal's fdatasync is that flush, and it
 * is durable. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsio.h"
#include "h5io.h"
#include "journal.h"
#include "writer.h"

void ps__utc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int ps__index_rows(ps_idset *ix, const ps_store_row *rows, int32_t n)
{
    if (!ix->cap && ps_idset_init(ix, (size_t)n))
        return PS_ENOMEM;
    ps_idset_clear(ix);
    for (int32_t k = 0; k < n; k++)
        if (ps_idset_put(ix, rows[k].task_id, k) < 0)
            return PS_ENOMEM;
    return 0;
}

static int rows_push(ps_store *s, const ps_store_row *row)
{
    if (s->n_rows == s->cap) {
        int32_t c = s->cap ? 2 * s->cap : 64;
        ps_store_row *r = realloc(s->rows, (size_t)c * sizeof *r);
        if (!r)
            return PS_ENOMEM;
        s->rows = r;
        s->cap = c;
    }
    s->rows[s->n_rows++] = *row;
    if (ps_idset_put(&s->ix, row->task_id, s->n_rows - 1) < 0) {
        s->n_rows--;
        return PS_ENOMEM;
    }
    return 0;
}

static int write_root(hid_t fid, const ps_store_meta *m, const char *sha, const char *what,
                      ps_err *err)
{
    char mn[4 * 66 + 1] = "", now[32];
    for (int i = 0; i < 4; i++) {
        strncat(mn, m->mnist_sha256[i] ? m->mnist_sha256[i] : "", 64);
        if (i < 3)
            strcat(mn, "\n");
    }
    ps__utc_now(now);
    /* Attributes live in the object header (64 KiB at most with the default file format). */
    if (m->job_text && strlen(m->job_text) > 60000)
        return ps_err_set(err, PS_EINVAL, "%s: the job text is %zu bytes; at most 60000 are "
                          "stored", what, strlen(m->job_text));
    int rc = ps__attr_set_i32(fid, "format_version", PS_STORE_FORMAT, what, err);
    rc = rc ? rc : ps__attr_set_str(fid, "job_text", m->job_text ? m->job_text : "", what, err);
    rc = rc ? rc : ps__attr_set_str(fid, "job_sha256", sha, what, err);
    rc = rc ? rc : ps__attr_set_str(fid, "job_name", m->job_name ? m->job_name : "", what, err);
    rc = rc ? rc : ps__attr_set_str(fid, "pairsweep_version", PS_VERSION, what, err);
    rc = rc ? rc : ps__attr_set_str(fid, "mnist_sha256", mn, what, err);
    rc = rc ? rc : ps__attr_set_i32(fid, "ranks", m->ranks, what, err);
    rc = rc ? rc : ps__attr_set_str(fid, "started", now, what, err);
    rc = rc ? rc : ps__attr_set_str(fid, "finished", "", what, err);
    rc = rc ? rc : ps__attr_set_i32(fid, "complete", 0, what, err);
    rc = rc ? rc : ps__attr_set_i32(fid, "planned_tasks", m->planned_tasks, what, err);
    rc = rc ? rc : ps__attr_set_str(fid, "stopped", "", what, err);
    if (!rc && m->racing) /* only raced studies have it: other files stay as they were */
        rc = ps__attr_set_str(fid, "racing", m->racing, what, err);
    return rc;
}

int ps__file_create_mem(hid_t *out, const char *tmp, const ps_store_meta *m, const char *sha,
                        const char *what, ps_err *err)
{
    int rc = ps__probe_create(tmp, err); /* a missing or read-only directory: its own message */
    if (rc)
        return rc;
    hid_t fapl = ps__fapl_mem();
    hid_t fid = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (fid < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot create an HDF5 file", tmp);
    rc = write_root(fid, m, sha, what, err);
    rc = rc ? rc : ps__table_create(fid, &ps__tasks_table, 0, NULL, what, err);
    rc = rc ? rc : ps__table_create(fid, &ps__sel_table, 0, NULL, what, err);
    rc = rc ? rc : ps__curves_create(fid, what, err);
    if (!rc) {
        hid_t g = H5Gcreate2(fid, "weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0)
            rc = ps_err_set(err, PS_EIO, "%s: cannot create /weights", what);
        else
            H5Gclose(g);
    }
    if (rc) {
        H5Fclose(fid);
        return rc;
    }
    *out = fid;
    return 0;
}

static int create_new(ps_store *s, const ps_store_meta *m, ps_err *err)
{
    unlink(s->jpath);
    hid_t fid;
    int rc = ps__file_create_mem(&fid, s->tmp, m, s->sha, s->path, err);
    rc = rc ? rc : ps__file_save(fid, s->tmp, err);
    rc = rc ? rc : ps__replace(s->tmp, s->path, err);
    if (rc) {
        unlink(s->tmp);
        ps_err_rename(err, s->tmp, s->path); /* the message names the user's path */
        return rc;
    }
    rc = ps__journal_create(&s->jfd, s->jpath, s->sha, err);
    rc = rc ? rc : ps__journal_lock(s->jfd, s->jpath, err);
    s->jend = PS__JOURNAL_HEADER;
    return rc;
}

/* Reads the stored rows and which optional tables exist; checks the job. */
static int load_existing(ps_store *s, ps_err *err)
{
    hid_t fid;
    int rc = ps__file_open(&fid, s->path, H5F_ACC_RDONLY, err);
    if (rc)
        return ps_err_set(err, PS_ESTATE, "%s: exists but is not a pairsweep results file (%s); "
                          "use --restart to replace it", s->path,
                          rc == PS_EFORMAT ? "not HDF5" : "unreadable");
    char *sha = NULL, *name = NULL;
    int32_t version = 0;
    if (ps__attr_get_str(fid, "job_sha256", &sha, s->path, err) ||
        ps__attr_get_str(fid, "job_name", &name, s->path, err)) {
        rc = ps_err_set(err, PS_ESTATE, "%s: exists but is not a pairsweep results file (no "
                        "job_sha256 attribute); use --restart to replace it", s->path);
    } else if (ps__format_version(fid, &version, s->path, err) || version > PS_STORE_FORMAT) {
        rc = ps_err_set(err, PS_ESTATE, "%s: written by a newer pairsweep (results format %d, "
                        "this one writes %d); resume it with that version, or use --restart "
                        "to start over (this deletes its results)", s->path, (int)version,
                        PS_STORE_FORMAT);
    } else if (strcmp(sha, s->sha) != 0) {
        rc = ps_err_set(err, PS_ESTATE, "%s: holds results of another job ('%s', sha256 %.12s…, "
                        "this job is %.12s…); use --restart to start over (this deletes them)",
                        s->path, name, sha, s->sha);
    } else {
        rc = ps__table_read(fid, &ps__tasks_table, (void **)&s->rows, &s->n_rows, 0, s->path,
                            err);
        s->cap = s->n_rows;
        if (!rc && ps__index_rows(&s->ix, s->rows, s->n_rows))
            rc = ps_err_set(err, PS_ENOMEM, "%s: out of memory", s->path);
        s->has_grid = ps__exists(fid, "grid");
        s->has_models = ps__exists(fid, "models");
        s->has_plan = ps__exists(fid, "plan");
    }
    free(sha);
    free(name);
    H5Fclose(fid);
    return rc;
}

/* Opens (or recreates a torn) journal and adds its rows to s->rows. */
static int load_journal(ps_store *s, ps_err *err)
{
    if (access(s->jpath, F_OK) != 0) {
        int rc = ps__journal_create(&s->jfd, s->jpath, s->sha, err);
        s->jend = PS__JOURNAL_HEADER;
        return rc ? rc : ps__journal_lock(s->jfd, s->jpath, err);
    }
    int hdr_ok;
    int rc = ps__journal_open(&s->jfd, &s->jend, &hdr_ok, s->jpath, s->sha, 1, err);
    rc = rc ? rc : ps__journal_lock(s->jfd, s->jpath, err);
    if (rc)
        return rc;
    if (!hdr_ok) { /* killed while creating it: it holds nothing */
        close(s->jfd);
        s->jfd = -1;
        rc = ps__journal_create(&s->jfd, s->jpath, s->sha, err);
        return rc ? rc : ps__journal_lock(s->jfd, s->jpath, err);
    }
    off_t off = PS__JOURNAL_HEADER;
    ps__jrec rec;
    int r;
    while ((r = ps__journal_next(s->jfd, &off, s->jend, &rec, 0)) > 0) {
        if (rec.type == PS__J_RESULT && ps_idset_get(&s->ix, rec.row.task_id) < 0 &&
            rows_push(s, &rec.row))
            r = -1;
        s->jcount++;
        ps__jrec_free(&rec);
        if (r < 0)
            break;
    }
    return r < 0 ? ps_err_set(err, PS_ENOMEM, "%s: out of memory", s->jpath) : 0;
}

/* A resumed file: converted to PS_STORE_FORMAT when older (its results kept as they are), its
 * run attributes reset. */
static int resume_edit(hid_t fid, const void *ctx, const char *what, ps_err *err)
{
    const ps_store_meta *m = ctx;
    int rc = ps__layout_upgrade(fid, what, err);
    rc = rc ? rc : ps__attr_set_i32(fid, "ranks", m->ranks, what, err);
    rc = rc ? rc : ps__attr_set_str(fid, "finished", "", what, err);
    rc = rc ? rc : ps__attr_set_i32(fid, "complete", 0, what, err);
    rc = rc ? rc : ps__attr_set_str(fid, "stopped", "", what, err);
    return rc ? rc : ps__attr_set_i32(fid, "planned_tasks", m->planned_tasks, what, err);
}

int ps_store_open(ps_store **out, const char *path, const ps_store_meta *meta, int restart,
                  ps_err *err)
{
    ps__h5_quiet();
    *out = NULL;
    ps_store *s = calloc(1, sizeof *s);
    if (!s)
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory", path);
    s->jfd = -1;
    s->gc_max = PS_STORE_GROUP_MAX;
    s->gc_age = PS_STORE_GROUP_AGE;
    s->path = strdup(path);
    s->tmp = ps__path_with(path, ".tmp");
    s->jpath = ps__path_with(path, ".journal");
    const char *text = meta->job_text ? meta->job_text : "";
    ps_sha256_hex(s->sha, text, strlen(text));
    int rc = s->path && s->tmp && s->jpath ? 0 : ps_err_set(err, PS_ENOMEM, "out of memory");
    struct stat st;
    if (!rc) {
        unlink(s->tmp); /* a checkpoint cut short by a crash: FILE.h5 is the previous one */
        if (stat(path, &st) != 0 || restart) {
            s->created = 1;
            rc = create_new(s, meta, err);
        }
        else if (!(rc = load_existing(s, err)) && !(rc = load_journal(s, err)))
            rc = ps__checkpoint(s, resume_edit, meta, err);
    }
    if (rc) {
        if (!ps_store_discard(s))
            ps_store_close(s, -1, NULL);
        return rc;
    }
    s->file_bytes = stat(path, &st) == 0 ? st.st_size : 0;
    s->last_ckpt = ps_now();
    s->synced_end = s->jend;
    s->synced_rows = s->n_rows;
    s->synced_jcount = s->jcount;
    *out = s;
    return 0;
}

void ps_store_set_checkpoint(ps_store *s, int32_t every_n, double every_seconds)
{
    s->every_n = every_n;
    s->every_s = every_seconds;
}

int ps_store_checkpoint(ps_store *s, ps_err *err)
{
    return ps__checkpoint(s, NULL, NULL, err);
}

typedef struct table_ctx { const ps__table *t; const void *rows; int32_t n; } table_ctx;

static int table_edit(hid_t fid, const void *ctx, const char *what, ps_err *err)
{
    const table_ctx *c = ctx;
    if (ps__exists(fid, c->t->dset))
        return 0;
    return ps__table_create(fid, c->t, (hsize_t)c->n, c->n ? c->rows : NULL, what, err);
}

static int write_table_once(ps_store *s, int *has, const ps__table *t, const void *rows,
                            int32_t n, ps_err *err)
{
    if (*has)
        return 0;
    if (n < 0 || (n > 0 && !rows))
        return ps_err_set(err, PS_EINVAL, "%s: bad rows for /%s", s->path, t->dset);
    table_ctx c = {t, rows, n};
    int rc = ps__checkpoint(s, table_edit, &c, err);
    if (!rc)
        *has = 1;
    return rc;
}

int ps_store_write_grid(ps_store *s, const ps_store_grid_row *rows, int32_t n, ps_err *err)
{
    return write_table_once(s, &s->has_grid, &ps__grid_table, rows, n, err);
}

int ps_store_write_models(ps_store *s, const ps_store_model_row *rows, int32_t n, ps_err *err)
{
    return write_table_once(s, &s->has_models, &ps__models_table, rows, n, err);
}

int ps_store_write_plan(ps_store *s, const ps_store_plan_row *rows, int32_t n, ps_err *err)
{
    return write_table_once(s, &s->has_plan, &ps__plan_table, rows, n, err);
}

int ps_store_rows(const ps_store *s, ps_store_row **rows, int32_t *n, ps_err *err)
{
    *rows = malloc((size_t)(s->n_rows ? s->n_rows : 1) * sizeof **rows);
    if (!*rows)
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory", s->path);
    if (s->n_rows)
        memcpy(*rows, s->rows, (size_t)s->n_rows * sizeof **rows);
    *n = s->n_rows;
    return 0;
}

/* The row of a finished task: its identity and the figures of its last epoch. */
static void make_row(ps_store_row *row, const ps_task *t, const ps_train_result *res,
                     int32_t rank)
{
    memset(row, 0, sizeof *row);
    ps__scopy(row->task_id, t->id, sizeof row->task_id);
    row->phase = t->phase;
    ps__scopy(row->model, t->cfg.model, sizeof row->model);
    row->grid = t->grid;
    row->fold = t->fold;
    row->rep = t->rep;
    row->seed = t->cfg.seed;
    row->status = (int32_t)res->status;
    ps__scopy(row->reason, res->reason, sizeof row->reason);
    row->rank = rank;
    row->wall_seconds = res->wall_seconds;
    row->epochs = res->epochs;
    float nan = (float)NAN;
    int last = res->epochs - 1;
    row->train_loss = last >= 0 && res->train_loss ? res->train_loss[last] : nan;
    row->train_acc = last >= 0 && res->train_acc ? res->train_acc[last] : nan;
    row->eval_loss = last >= 0 && res->eval_loss ? res->eval_loss[last] : nan;
    row->eval_acc = last >= 0 && res->eval_acc ? res->eval_acc[last] : nan;
}

int ps_store_append(ps_store *s, const ps_task *task, const ps_train_result *res, int32_t rank,
                    ps_err *err)
{
    if (!task->id[0])
        return ps_err_set(err, PS_EINVAL, "%s: a task without an id", s->path);
    if (ps_idset_get(&s->ix, task->id) >= 0)
        return ps_err_set(err, PS_ESTATE, "%s: task %s is already stored", s->path, task->id);
    ps_store_row row;
    make_row(&row, task, res, rank);
    double t0 = ps_now();
    off_t end0 = s->jend;
    int rc = ps__journal_add_result(s->jfd, &s->jend, &row, res, s->jpath, err);
    double t1 = ps_now();
    s->st.append_seconds += t1 - t0;
    if (rc)
        return rc;
    if (rows_push(s, &row)) {
        if (ftruncate(s->jfd, end0) != 0) { /* the record is then replayed: it is whole */ }
        else
            s->jend = end0;
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory", s->path);
    }
    s->st.results++;
    s->st.bytes += (int64_t)(s->jend - end0);
    s->jcount++;
    if (s->pending++ == 0)
        s->pending_since = t1;
    return 0;
}

int ps_store_sync(ps_store *s, ps_err *err)
{
    if (s->jend == s->synced_end)
        return 0;
    int rc = ps__sync_journal(s, err);
    return rc ? rc : ps__maybe_checkpoint(s, err);
}

int32_t ps_store_pending(const ps_store *s)
{
    return s->pending;
}

int ps_store_sync_due(const ps_store *s)
{
    return s->pending > 0 &&
           (s->pending >= s->gc_max || ps_now() - s->pending_since >= s->gc_age);
}

void ps_store_set_group_commit(ps_store *s, int32_t max_pending, double max_age)
{
    s->gc_max = max_pending > 0 ? max_pending : PS_STORE_GROUP_MAX;
    s->gc_age = max_age >= 0 ? max_age : PS_STORE_GROUP_AGE;
}

void ps_store_get_stats(const ps_store *s, ps_store_stats *out)
{
    *out = s->st;
}

int ps_store_add(ps_store *s, const ps_task *task, const ps_train_result *res, int32_t rank,
                 ps_err *err)
{
    int rc = ps_store_append(s, task, res, rank, err);
    return rc ? rc : ps_store_sync(s, err);
}

int ps_store_append_race(ps_store *s, const ps_store_race_row *row, ps_err *err)
{
    int rc = ps__journal_add_race(s->jfd, &s->jend, row, s->jpath, err);
    if (rc)
        return rc;
    s->jcount++;
    if (s->pending++ == 0)
        s->pending_since = ps_now();
    return 0;
}

int ps_store_set_selection(ps_store *s, const ps_store_selection *sel, ps_err *err)
{
    int rc = ps__journal_add_selection(s->jfd, &s->jend, sel, s->jpath, err);
    if (rc)
        return rc;
    s->jcount++;
    return ps_store_sync(s, err);
}

typedef struct close_ctx { int complete; const char *stopped; } close_ctx;

static int close_edit(hid_t fid, const void *ctx, const char *what, ps_err *err)
{
    const close_ctx *c = ctx;
    char now[32];
    ps__utc_now(now);
    int rc = ps__attr_set_str(fid, "finished", now, what, err);
    rc = rc ? rc : ps__attr_set_str(fid, "stopped", c->complete ? "" : c->stopped, what, err);
    return rc ? rc : ps__attr_set_i32(fid, "complete", c->complete ? 1 : 0, what, err);
}

int ps_store_mark_stopped(ps_store *s, const char *why, ps_err *err)
{
    ps__scopy(s->stopped, why, sizeof s->stopped);
    int rc = ps__journal_add_stop(s->jfd, &s->jend, s->stopped, s->jpath, err);
    return rc ? rc : ps__sync_journal(s, err);
}

int ps_store_discard(ps_store *s)
{
    if (!s || !s->created || s->n_rows > 0)
        return 0;
    unlink(s->path);
    unlink(s->jpath);
    ps_store_close(s, -1, NULL);
    return 1;
}

int ps_store_close(ps_store *s, int complete, ps_err *err)
{
    if (!s)
        return 0;
    int rc = 0;
    if (complete >= 0 && s->jfd >= 0) {
        close_ctx c = {complete, s->stopped};
        rc = ps__checkpoint(s, close_edit, &c, err);
        if (!rc)
            unlink(s->jpath); /* empty now: FILE.h5 holds everything */
    }
    if (s->jfd >= 0)
        close(s->jfd);
    free(s->rows);
    ps_idset_free(&s->ix);
    free(s->path);
    free(s->tmp);
    free(s->jpath);
    free(s);
    return rc;
}
