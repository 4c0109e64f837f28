/* pairsweep store — reading a whole results file (and its journal) for report/status/merge. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/wait.h>

#include "fsio.h"
#include "h5io.h"
#include "journal.h"
#include "store_internal.h"

void ps_results_free(ps_results *r)
{
    if (!r)
        return;
    free(r->job_text);
    free(r->rows);
    free(r->grid);
    free(r->sel);
    free(r->train_loss);
    free(r->train_acc);
    free(r->eval_loss);
    free(r->eval_acc);
    free(r->models);
    free(r->plan);
    free(r->race);
    free(r->outcomes);
    free(r->outcome_bytes);
    memset(r, 0, sizeof *r);
}

static void copy_attr(hid_t fid, const char *name, char *dst, size_t cap)
{
    char *v = NULL;
    if (ps__attr_get_str(fid, name, &v, "", NULL) == 0)
        ps__scopy(dst, v, cap);
    free(v);
}

static int read_root(ps_results *out, hid_t fid, const char *path, ps_err *err)
{
    char *sha = NULL;
    if (ps__attr_get_str(fid, "job_sha256", &sha, path, err)) {
        free(sha);
        return ps_err_set(err, PS_EFORMAT, "%s: an HDF5 file but not a pairsweep results file "
                          "(no job_sha256 attribute)", path);
    }
    ps__scopy(out->job_sha256, sha, sizeof out->job_sha256);
    free(sha);
    copy_attr(fid, "job_name", out->job_name, sizeof out->job_name);
    copy_attr(fid, "started", out->started, sizeof out->started);
    copy_attr(fid, "finished", out->finished, sizeof out->finished);
    copy_attr(fid, "pairsweep_version", out->pairsweep_version, sizeof out->pairsweep_version);
    copy_attr(fid, "stopped", out->stopped, sizeof out->stopped); /* older files: none */
    copy_attr(fid, "racing", out->racing, sizeof out->racing);
    int rc = ps__format_version(fid, &out->format_version, path, err);
    rc = rc ? rc : ps__attr_get_str(fid, "job_text", &out->job_text, path, err);
    rc = rc ? rc : ps__attr_get_i32(fid, "complete", &out->complete, path, err);
    rc = rc ? rc : ps__attr_get_i32(fid, "planned_tasks", &out->planned_tasks, path, err);
    if (!rc && ps__attr_get_i32(fid, "ranks", &out->ranks, path, NULL))
        out->ranks = 0;
    return rc;
}

/* The journal's records, decoded without weights. */
typedef struct jlist { ps__jrec *r; int32_t n, cap; } jlist;

static int read_journal(jlist *jl, const char *path, const char *sha)
{
    char *jp = ps__path_with(path, ".journal");
    if (!jp)
        return PS_ENOMEM;
    int fd, hdr_ok, rc = 0;
    off_t end;
    ps_err e;
    if (access(jp, F_OK) != 0 || ps__journal_open(&fd, &end, &hdr_ok, jp, sha, 0, &e) != 0) {
        free(jp);
        return 0; /* no journal, or one of another job: nothing to add */
    }
    off_t off = PS__JOURNAL_HEADER;
    while (hdr_ok) {
        if (jl->n == jl->cap) {
            int32_t c = jl->cap ? 2 * jl->cap : 16;
            ps__jrec *q = realloc(jl->r, (size_t)c * sizeof *q);
            if (!q) { rc = PS_ENOMEM; break; }
            jl->r = q;
            jl->cap = c;
        }
        int r = ps__journal_next(fd, &off, end, &jl->r[jl->n], 0);
        if (r < 0) { rc = PS_ENOMEM; break; }
        if (r == 0)
            break;
        jl->n++;
    }
    close(fd);
    free(jp);
    return rc;
}

/* A journal's RACE record into out (a grid point /race holds already keeps its row). */
static int merge_race_record(ps_results *out, const ps__jrec *r)
{
    for (int32_t i = 0; i < out->n_race; i++)
        if (out->race[i].grid == r->race.grid && !strcmp(out->race[i].model, r->race.model))
            return 0;
    ps_store_race_row *q = realloc(out->race, (size_t)(out->n_race + 1) * sizeof *q);
    if (!q)
        return PS_ENOMEM;
    out->race = q;
    out->race[out->n_race++] = r->race;
    return 0;
}

static int find_row(const ps_store_row *rows, int32_t n, const char *id)
{
    for (int32_t i = 0; i < n; i++)
        if (!strcmp(rows[i].task_id, id))
            return 1;
    return 0;
}

/* Adds the journal's results and selections to what the file gave. */
static int merge_journal(ps_results *out, float *fc[4], hsize_t fcols, const jlist *jl,
                         const char *path, ps_err *err)
{
    int32_t n_new = 0, emax = (int32_t)fcols;
    for (int32_t j = 0; j < jl->n; j++)
        if (jl->r[j].type == PS__J_RESULT) {
            n_new++;
            if (jl->r[j].epochs > emax)
                emax = jl->r[j].epochs;
        }
    int32_t nr = out->n_rows;
    ps_store_row *rows = realloc(out->rows, (size_t)(nr + n_new + 1) * sizeof *rows);
    float *cv[4];
    size_t cells = (size_t)(nr + n_new) * (size_t)emax;
    for (int k = 0; k < 4; k++)
        cv[k] = malloc((cells ? cells : 1) * sizeof(float));
    if (rows)
        out->rows = rows;
    if (!rows || !cv[0] || !cv[1] || !cv[2] || !cv[3]) {
        for (int k = 0; k < 4; k++)
            free(cv[k]);
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory", path);
    }
    for (int k = 0; k < 4; k++) {
        for (size_t c = 0; c < cells; c++)
            cv[k][c] = NAN;
        for (int32_t i = 0; fcols > 0 && i < nr; i++)
            memcpy(cv[k] + (size_t)i * (size_t)emax, fc[k] + (size_t)i * fcols,
                   (size_t)fcols * sizeof(float));
    }
    for (int32_t j = 0; j < jl->n; j++) {
        const ps__jrec *r = &jl->r[j];
        if (r->type == PS__J_STOP) { /* newer than the file's attribute */
            ps__scopy(out->stopped, r->why, sizeof out->stopped);
            continue;
        }
        if (r->type == PS__J_RACE) {
            if (merge_race_record(out, r))
                return ps_err_set(err, PS_ENOMEM, "%s: out of memory", path);
            continue;
        }
        if (r->type == PS__J_SELECTION) {
            int32_t at = -1;
            for (int32_t i = 0; i < out->n_sel; i++)
                if (!strcmp(out->sel[i].model, r->sel.model))
                    at = i;
            if (at < 0) {
                ps_store_selection *q = realloc(out->sel, (size_t)(out->n_sel + 1) * sizeof *q);
                if (!q)
                    continue;
                out->sel = q;
                at = out->n_sel++;
            }
            out->sel[at] = r->sel;
            continue;
        }
        if (find_row(out->rows, nr, r->row.task_id))
            continue;
        if (r->n_out > 0 && ps__outcomes_add(out, r->row.task_id, r->out, r->n_out))
            return ps_err_set(err, PS_ENOMEM, "%s: out of memory", path);
        out->rows[nr] = r->row;
        const float *src[4] = {r->curves[0], r->curves[1], r->curves[2], r->curves[3]};
        for (int k = 0; r->epochs > 0 && k < 4; k++) /* a pruned row: no curves */
            memcpy(cv[k] + (size_t)nr * (size_t)emax, src[k], (size_t)r->epochs * sizeof(float));
        nr++;
        out->n_journal++;
    }
    out->n_rows = nr;
    out->epochs_max = emax;
    out->train_loss = cv[0];
    out->train_acc = cv[1];
    out->eval_loss = cv[2];
    out->eval_acc = cv[3];
    return 0;
}

static int read_tables(ps_results *out, hid_t fid, const char *path, ps_err *err)
{
    int rc = ps__table_read(fid, &ps__tasks_table, (void **)&out->rows, &out->n_rows, 0, path,
                            err);
    rc = rc ? rc : ps__table_read(fid, &ps__grid_table, (void **)&out->grid, &out->n_grid, 1,
                                  path, err);
    rc = rc ? rc : ps__table_read(fid, &ps__sel_table, (void **)&out->sel, &out->n_sel, 1, path,
                                  err);
    rc = rc ? rc : ps__table_read(fid, &ps__models_table, (void **)&out->models, &out->n_models,
                                  1, path, err);
    rc = rc ? rc : ps__table_read(fid, &ps__plan_table, (void **)&out->plan, &out->n_plan, 1,
                                  path, err);
    rc = rc ? rc : ps__table_read(fid, &ps__race_table, (void **)&out->race, &out->n_race, 1,
                                  path, err);
    return rc ? rc : ps__outcomes_read(fid, out, path, err);
}

int ps_results_read_trusted(ps_results *out, const char *path, ps_err *err)
{
    memset(out, 0, sizeof *out);
    hid_t fid;
    int rc = ps__file_open(&fid, path, H5F_ACC_RDONLY, err);
    if (rc)
        return rc;
    float *fc[4] = {NULL, NULL, NULL, NULL};
    hsize_t frows = 0, fcols = 0;
    jlist jl = {0};
    rc = read_root(out, fid, path, err);
    rc = rc ? rc : read_tables(out, fid, path, err);
    rc = rc ? rc : ps__curves_read(fid, fc, &frows, &fcols, path, err);
    H5Fclose(fid);
    if (!rc && frows < (hsize_t)out->n_rows)
        rc = ps_err_set(err, PS_EFORMAT, "%s: /curves has %llu rows for %d rows of /tasks", path,
                        (unsigned long long)frows, out->n_rows);
    if (!rc && read_journal(&jl, path, out->job_sha256))
        rc = ps_err_set(err, PS_ENOMEM, "%s: out of memory reading the journal", path);
    if (!rc)
        rc = merge_journal(out, fc, fcols, &jl, path, err);
    if (!rc)
        ps__outcomes_sort(out);
    for (int32_t j = 0; j < jl.n; j++)
        ps__jrec_free(&jl.r[j]);
    free(jl.r);
    for (int k = 0; k < 4; k++)
        free(fc[k]);
    if (rc)
        ps_results_free(out);
    return rc;
}

/* Debian's libhdf5 1.10 can crash (segfault, use-after-free) on a damaged file; fuzzing found
 * such files (docs/hardening-findings.md, F2) and nothing can stop the library once H5Fopen is
 * called. So a file is first read in a child process: when the child dies of a signal, the
 * file is refused as damaged instead of the crash taking the program down; a healthy file is
 * then read for real. A child that cannot be made (fork fails) leaves the direct read. */
static int probe_in_child(const char *path, ps_err *err)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        ps_results r;
        ps_err e;
        _exit(ps_results_read_trusted(&r, path, &e) ? 1 : 0);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 0;
    /* The child exits 0 (read) or 1 (refused with a message); anything else is a crash: a
     * signal, or a sanitizer's exit status in instrumented builds. */
    if (WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) > 1))
        return ps_err_set(err, PS_EFORMAT,
                          "%s: damaged HDF5 file (the HDF5 library crashed reading it: %s %d); "
                          "a results file is only ever replaced whole, so this one was changed "
                          "by something else",
                          path, WIFSIGNALED(st) ? "signal" : "exit status",
                          WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    return 0;
}

int ps_results_read(ps_results *out, const char *path, ps_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = probe_in_child(path, err);
    return rc ? rc : ps_results_read_trusted(out, path, err);
}
