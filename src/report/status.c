/* pairsweep report — the status of a study: every planned cell done, diverged, failed,
 * pruned (by a race) or missing. With a /plan table (written by the sweep) cells are accounted for one by one;
 * without one, only the stored rows and the planned_tasks total are known. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "study.h"

/* Row statuses (ps_task_status) then "missing": the index of a cell's status. */
enum { ST_PRUNED = 3, ST_MISSING = 4, ST_PLANNED = 5 };
static const char *const status_names[] = {"done", "diverged", "failed", "pruned", "missing"};
static const char *const phase_names[] = {"select", "final", "audit"};

static const char *phase_name(int32_t p)
{
    return p >= 0 && p <= 2 ? phase_names[p] : "?";
}

/* A stored row's status index (an unknown code counts as failed). */
static int row_status(const ps_store_row *w)
{
    return w->status >= 0 && w->status <= ST_PRUNED ? w->status : 2;
}

/* The row index matching a planned cell, or -1. */
static int32_t match(const ps_results *r, const ps_store_plan_row *c, const char *used)
{
    for (int32_t i = 0; i < r->n_rows; i++) {
        const ps_store_row *w = &r->rows[i];
        if (used[i])
            continue;
        if (c->task_id[0] && !strcmp(w->task_id, c->task_id))
            return i;
        if (!c->task_id[0] && w->phase == c->phase && !strcmp(w->model, c->model) &&
            (c->grid < 0 || w->grid == c->grid) && w->fold == c->fold && w->rep == c->rep)
            return i;
    }
    return -1;
}

/* Whether a plan cell of this phase names the model itself (else the model is a member of a
 * group whose final cells are planned under the group's name). */
static int planned_name(const ps_results *r, int32_t phase, const char *model)
{
    for (int32_t p = 0; p < r->n_plan; p++)
        if (r->plan[p].phase == phase && !strcmp(r->plan[p].model, model))
            return 1;
    return 0;
}

/* Second chance for a cell planned under a group name: an unused row of the same phase, fold
 * and repetition whose model is not planned under its own name. */
static int32_t match_group(const ps_results *r, const ps_store_plan_row *c, const char *used)
{
    if (c->task_id[0])
        return -1;
    for (int32_t i = 0; i < r->n_rows; i++) {
        const ps_store_row *w = &r->rows[i];
        if (!used[i] && w->phase == c->phase && w->fold == c->fold && w->rep == c->rep &&
            !planned_name(r, w->phase, w->model))
            return i;
    }
    return -1;
}

typedef struct tally { const char *model; int32_t phase, n[6]; } tally; /* done..missing, planned */

static tally *tally_of(tally *t, int32_t *nt, const char *model, int32_t phase)
{
    for (int32_t i = 0; i < *nt; i++)
        if (t[i].phase == phase && !strcmp(t[i].model, model))
            return &t[i];
    t[*nt] = (tally){model, phase, {0, 0, 0, 0, 0, 0}};
    return &t[(*nt)++];
}

static void cell_row(rtable *cells, const char *model, int32_t phase, int32_t grid,
                     int32_t fold, int32_t rep, const char *status, const char *id)
{
    char g[16], f[16], p[16];
    snprintf(g, sizeof g, grid < 0 ? "(chosen)" : "%d", (int)grid);
    snprintf(f, sizeof f, fold < 0 ? "-" : "%d", (int)fold);
    snprintf(p, sizeof p, "%d", (int)rep);
    const char *row[] = {model, phase_name(phase), g, f, p, status, id};
    rt_row(cells, row);
}

/* The counts per model and phase; a raced study's have a Pruned column. */
static void count_tables(rtable *counts, const tally *t, int32_t nt, int have_plan, int raced)
{
    static const char *const cols[] = {"Model", "Phase", "Planned", "Done", "Diverged",
                                       "Failed", "Missing", NULL};
    static const char *const rcols[] = {"Model", "Phase", "Planned", "Done", "Diverged",
                                        "Failed", "Pruned", "Missing", NULL};
    rt_init(counts, "status", "Status: tasks per model and phase", raced ? rcols : cols);
    int32_t tot[6] = {0};
    for (int32_t i = 0; i <= nt; i++) {
        const int32_t *n = i < nt ? t[i].n : tot;
        char v[6][16];
        for (int k = 0; k < 6; k++) {
            if (i < nt)
                tot[k] += n[k];
            if (!have_plan && (k == ST_MISSING || k == ST_PLANNED))
                snprintf(v[k], 16, "?");
            else
                snprintf(v[k], 16, "%d", (int)n[k]);
        }
        const char *name = i < nt ? t[i].model : "all", *ph = i < nt ? phase_name(t[i].phase) : "";
        if (raced)
            rt_row(counts, (const char *[]){name, ph, v[5], v[0], v[1], v[2], v[3], v[4]});
        else
            rt_row(counts, (const char *[]){name, ph, v[5], v[0], v[1], v[2], v[4]});
    }
}

int study_status_tables(rtable *counts, rtable *problems, rtable *cells, const ps_results *r,
                        int all, int32_t *missing)
{
    static const char *const pcols[] = {"Task", "Model", "Phase", "Grid", "Fold", "Rep",
                                        "Status", "Reason", NULL};
    static const char *const ccols[] = {"Model", "Phase", "Grid", "Fold", "Rep", "Status",
                                        "Task", NULL};
    int32_t cap = r->n_plan + r->n_rows + 1, nt = 0;
    tally *t = calloc((size_t)cap, sizeof *t);
    char *used = calloc((size_t)r->n_rows + 1, 1);
    if (!t || !used) {
        free(t);
        free(used);
        return PS_ENOMEM;
    }
    rt_init(problems, "problems", "Tasks that did not finish normally", pcols);
    rt_init(cells, "cells", all ? "Every cell of the study" : "Cells not done", ccols);
    *missing = 0;
    int32_t *at = malloc((size_t)(r->n_plan + 1) * sizeof *at);
    if (!at) {
        free(t);
        free(used);
        return PS_ENOMEM;
    }
    for (int pass = 0; pass < 2; pass++)
        for (int32_t p = 0; p < r->n_plan; p++) {
            if (pass == 1 && at[p] >= 0)
                continue;
            at[p] = pass == 0 ? match(r, &r->plan[p], used) : match_group(r, &r->plan[p], used);
            if (at[p] >= 0)
                used[at[p]] = 1;
        }
    for (int32_t p = 0; p < r->n_plan; p++) {
        const ps_store_plan_row *c = &r->plan[p];
        int32_t i = at[p];
        int s = i < 0 ? ST_MISSING : row_status(&r->rows[i]);
        tally *y = tally_of(t, &nt, c->model, c->phase);
        y->n[s]++;
        y->n[ST_PLANNED]++;
        *missing += s == ST_MISSING;
        if (all || (s != 0 && s != ST_PRUNED))
            cell_row(cells, c->model, c->phase, i >= 0 ? r->rows[i].grid : c->grid, c->fold,
                     c->rep, status_names[s], i >= 0 ? r->rows[i].task_id : c->task_id);
    }
    for (int32_t i = 0; i < r->n_rows; i++) { /* rows outside the plan (or no plan at all) */
        const ps_store_row *w = &r->rows[i];
        int s = row_status(w);
        if (s != 0 && s != ST_PRUNED) {
            char g[16], f[16], p[16];
            snprintf(g, sizeof g, "%d", (int)w->grid);
            snprintf(f, sizeof f, w->fold < 0 ? "-" : "%d", (int)w->fold);
            snprintf(p, sizeof p, "%d", (int)w->rep);
            const char *row[] = {w->task_id, w->model, phase_name(w->phase), g, f, p,
                                 status_names[s], w->reason};
            rt_row(problems, row);
        }
        if (used[i])
            continue;
        tally *y = tally_of(t, &nt, w->model, w->phase);
        y->n[s]++;
        if (r->n_plan == 0)
            y->n[ST_PLANNED]++;
        if (all || (s != 0 && s != ST_PRUNED))
            cell_row(cells, w->model, w->phase, w->grid, w->fold, w->rep, status_names[s],
                     w->task_id);
    }
    if (r->n_plan == 0) {
        *missing = r->planned_tasks > r->n_rows ? r->planned_tasks - r->n_rows : 0;
        rt_note(cells, "This file has no /plan table: %d of %d planned tasks are missing, but "
                "which cells they are is not recorded.", (int)*missing, (int)r->planned_tasks);
    }
    count_tables(counts, t, nt, r->n_plan > 0, r->racing[0] != 0);
    free(at);
    free(t);
    free(used);
    return counts->oom || problems->oom || cells->oom ? PS_ENOMEM : 0;
}

int ps_report_status(FILE *out, const ps_results *r, const char *path, int all,
                     int32_t *missing, ps_err *err)
{
    rtable counts, problems, cells;
    int32_t miss = 0;
    if (study_status_tables(&counts, &problems, &cells, r, all, &miss))
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory", path);
    int32_t audit = study_count(r, 2, NULL, 0) + study_count(r, 2, NULL, 1) +
                    study_count(r, 2, NULL, 2);
    fprintf(out, "%s: study '%s', %d of %d planned tasks stored%s%s, %s\n", path, r->job_name,
            (int)(r->n_rows - audit), (int)r->planned_tasks, audit ? " (and audit tasks)" : "",
            r->n_journal ? " (some only in the journal: the writer is running or was killed)"
                         : "",
            r->complete ? "complete" : miss ? "INCOMPLETE" : "not marked complete");
    if (r->stopped[0] && !r->complete)
        fprintf(out, "  the last run was %s\n", r->stopped);
    else if (!r->complete && !r->finished[0])
        fprintf(out, "  the last run has not closed the file: it is still running, or it "
                "ended without closing it (killed: SIGKILL, a crash, Ctrl-C twice under mpirun; "
                "or an I/O error); rerun the same pairsweep run command to resume\n");
    fprintf(out, "  done %d, diverged %d, failed %d, ",
            (int)(study_count(r, 0, NULL, 0) + study_count(r, 1, NULL, 0)),
            (int)(study_count(r, 0, NULL, 1) + study_count(r, 1, NULL, 1)),
            (int)(study_count(r, 0, NULL, 2) + study_count(r, 1, NULL, 2)));
    if (r->racing[0])
        fprintf(out, "pruned %d (raced: %s), audit %d, ", (int)study_count(r, 0, NULL, 3),
                r->racing, (int)audit);
    fprintf(out, "missing %d\n\n", (int)miss);
    rt_print(out, &counts, PS_REPORT_TEXT);
    if (problems.nrows)
        rt_print(out, &problems, PS_REPORT_TEXT);
    if (cells.nrows || cells.notes)
        rt_print(out, &cells, PS_REPORT_TEXT);
    rt_free(&counts);
    rt_free(&problems);
    rt_free(&cells);
    if (missing)
        *missing = miss;
    return 0;
}
