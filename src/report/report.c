/* pairsweep report — the tables of a study (Table I, the selection, report 002's setups, Table
 * II; the effects are effects.c's) and their output to the terminal and to files. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "effects.h"
#include "pairsweep/path.h"
#include "study.h"

int ps_report_format_parse(ps_report_format *fmt, const char *name, ps_err *err)
{
    static const char *const names[] = {"text", "markdown", "csv", "latex"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i])) {
            *fmt = (ps_report_format)i;
            return 0;
        }
    return ps_err_set(err, PS_EINVAL, "--format: expected text, markdown, csv or latex, got '%s'",
                      name);
}

typedef struct ctx {
    const ps_results *r;
    int machine;               /* CSV: separate numeric columns at full precision */
} ctx;

/* ---- Table I and the study header ---------------------------------------------------------- */

static void table_study(rtable *t, const ctx *c, const char *files, int32_t missing,
                        const int32_t miss_phase[2])
{
    static const char *const cols[] = {"Field", "Value", NULL};
    const ps_results *r = c->r;
    rt_init(t, "study", "Study", cols);
    char v[64];
    const char *rows[][2] = {{"job", r->job_name}, {"files", files},
                             {"job_sha256", r->job_sha256}, {"started", r->started},
                             {"finished", r->finished}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        rt_row(t, rows[i]);
    snprintf(v, sizeof v, "%d of %d", (int)r->n_rows, (int)r->planned_tasks);
    rt_row(t, (const char *[]){"tasks stored", v});
    snprintf(v, sizeof v, "%d", (int)missing);
    rt_row(t, (const char *[]){"tasks missing", v});
    snprintf(v, sizeof v, "%d", (int)(study_count(r, 0, NULL, 1) + study_count(r, 1, NULL, 1)));
    rt_row(t, (const char *[]){"tasks diverged", v});
    snprintf(v, sizeof v, "%d", (int)(study_count(r, 0, NULL, 2) + study_count(r, 1, NULL, 2)));
    rt_row(t, (const char *[]){"tasks failed", v});
    rt_row(t, (const char *[]){"state", r->complete && !missing ? "complete" : "INCOMPLETE"});
    if (!r->complete || missing)
        rt_note(t, "INCOMPLETE study: %d planned task(s) missing (select %d, final %d)%s; the "
                "tables and figures use what is stored. `pairsweep status` lists the cells; "
                "rerun the job to resume.", (int)missing, (int)miss_phase[0], (int)miss_phase[1],
                r->n_plan ? "" : " (no /plan table: per-phase counts unknown)");
}

static void table1(rtable *t, const ctx *c, const char **models, int32_t nm)
{
    static const char *const cols[] = {"Model", "Architecture", "Parameters", NULL};
    rt_init(t, "table1", "Table I: models", cols);
    for (int32_t i = 0; i < nm; i++) {
        const ps_store_model_row *m = NULL;
        for (int32_t j = 0; j < c->r->n_models; j++)
            if (!strcmp(c->r->models[j].model, models[i]))
                m = &c->r->models[j];
        char p[32];
        snprintf(p, sizeof p, m ? "%lld" : "", m ? (long long)m->params : 0LL);
        rt_row(t, (const char *[]){models[i], m ? m->arch : "(not recorded)", p});
    }
    if (c->r->n_models == 0)
        rt_note(t, "This file has no /models table (written by `pairsweep run`); see "
                "`pairsweep models`.");
}

/* ---- the selection ------------------------------------------------------------------------ */

typedef struct gstat { int32_t grid; ps_summary s; } gstat;

/* Per grid point of a model: the summary of its select accuracies (kind CV or holdout),
 * sorted best first. */
static int grid_stats(gstat **out, int32_t *ng, const ps_results *r, const char *model, int kind)
{
    obs *o;
    int32_t n;
    *out = NULL;
    *ng = 0;
    if (study_gather(&o, &n, r, PS_PHASE_SELECT, model, -1, kind))
        return PS_ENOMEM;
    gstat *g = malloc((size_t)(n ? n : 1) * sizeof *g);
    double *x = malloc((size_t)(n ? n : 1) * sizeof *x);
    int32_t k = 0;
    for (int32_t i = 0; g && x && i < n; i++) {
        int seen = 0;
        for (int32_t j = 0; j < k; j++)
            seen |= g[j].grid == o[i].grid;
        if (seen)
            continue;
        int32_t m = 0;
        for (int32_t j = 0; j < n; j++)
            if (o[j].grid == o[i].grid)
                x[m++] = o[j].acc;
        g[k].grid = o[i].grid;
        ps_stats_summary(&g[k].s, x, m);
        k++;
    }
    for (int32_t i = 1; g && i < k; i++) /* insertion sort: best mean first */
        for (int32_t j = i; j > 0 && g[j].s.mean > g[j - 1].s.mean; j--) {
            gstat tmp = g[j];
            g[j] = g[j - 1];
            g[j - 1] = tmp;
        }
    free(o);
    free(x);
    if (!g)
        return PS_ENOMEM;
    *out = g;
    *ng = k;
    return 0;
}

/* The hyper-parameters of a /grid row (hparams.h), ps_axis order: label, kind and value. */
typedef struct hp_cell {
    const char *label;
    ps_hp_kind kind;
    double v;
} hp_cell;

/* The value printed when the row is not recorded: 0 (integer), -1 (switch), NaN (number). */
static double hp_missing(ps_hp_kind k)
{
    return k == PS_HP_NUM ? NAN : k == PS_HP_INT ? 0 : -1;
}

static void hp_cells(hp_cell c[PS_N_AXES], const ps_store_grid_row *g)
{
#define CELL(ID, field, key, kind, def, lo, lo_open, hi, label, help) \
    c[PS_AXIS_##ID] = (hp_cell){label, PS_HP_##kind,                  \
                                g ? (double)g->field : hp_missing(PS_HP_##kind)};
    PS_HPARAMS(CELL)
#undef CELL
}

/* A value as a machine-readable cell: integers and switches (-1, 0, 1) with %d, numbers %g. */
static void hp_value(char *b, size_t cap, const hp_cell *c)
{
    if (c->kind == PS_HP_NUM)
        snprintf(b, cap, "%g", c->v);
    else
        snprintf(b, cap, "%d", (int)c->v);
}

/* "batch 100, lr 0.01, momentum 0.9 (Nesterov), BN default, aux w 1, weight decay 0, 25
 * epochs" */
static void hp_string(char *b, size_t cap, const ps_store_grid_row *g)
{
    if (!g) {
        snprintf(b, cap, "(not recorded)");
        return;
    }
    hp_cell c[PS_N_AXES];
    hp_cells(c, g);
    size_t n = 0;
    for (int a = 0; a < PS_N_AXES && n < cap; a++) {
        char v[32];
        if (c[a].kind == PS_HP_SWITCH)
            snprintf(v, sizeof v, "%s", c[a].v < 0 ? "default" : c[a].v ? "on" : "off");
        else
            hp_value(v, sizeof v, &c[a]);
        int m = snprintf(b + n, cap - n, "%s%s %s%s", a ? ", " : "", c[a].label, v,
                         a == PS_AXIS_MOMENTUM && g->nesterov ? " (Nesterov)" : "");
        n += m > 0 ? (size_t)m : 0;
    }
    if (n < cap)
        snprintf(b + n, cap - n, ", %d epochs", (int)g->epochs);
}

static void selection_row(rtable *t, const ctx *c, const char *model, const gstat *g,
                          int32_t ng, int32_t chosen)
{
    const gstat *ch = NULL, *ru = NULL;
    for (int32_t i = 0; i < ng; i++) {
        if (g[i].grid == chosen && !ch)
            ch = &g[i];
        else if (!ru)
            ru = &g[i];
    }
    char gs[16], hp[240], cv[64], rug[16], rucv[64], nf[16];
    snprintf(gs, sizeof gs, "%d", (int)chosen);
    snprintf(nf, sizeof nf, "%d", ch ? (int)ch->s.n : 0);
    snprintf(rug, sizeof rug, ru ? "%d" : "—", ru ? (int)ru->grid : 0);
    const ps_store_grid_row *gr = study_grid(c->r, model, chosen);
    if (c->machine) {
        char m1[32], s1[32], m2[32], s2[32], hv[PS_N_AXES][32];
        fmt_num(m1, 32, ch ? ch->s.mean : NAN, 6);
        fmt_num(s1, 32, ch ? ch->s.sd : NAN, 6);
        fmt_num(m2, 32, ru ? ru->s.mean : NAN, 6);
        fmt_num(s2, 32, ru ? ru->s.sd : NAN, 6);
        hp_cell hc[PS_N_AXES];
        hp_cells(hc, gr);
        const char *row[2 + PS_N_AXES + 6] = {model, gs};
        for (int a = 0; a < PS_N_AXES; a++) {
            hp_value(hv[a], sizeof hv[a], &hc[a]);
            row[2 + a] = hv[a];
        }
        const char *tail[6] = {m1, s1, nf, ru ? rug : "", m2, s2};
        memcpy(row + 2 + PS_N_AXES, tail, sizeof tail);
        rt_row(t, row);
        return;
    }
    hp_string(hp, sizeof hp, gr);
    fmt_pm(cv, sizeof cv, ch ? ch->s.mean : NAN, ch ? ch->s.sd : NAN, 2);
    fmt_pm(rucv, sizeof rucv, ru ? ru->s.mean : NAN, ru ? ru->s.sd : NAN, 2);
    rt_row(t, (const char *[]){model, gs, hp, cv, nf, rug, rucv});
}

/* A raced study: only the points that ran every round compete (a dropped point's first folds
 * may look better than the survivors'); keeps them in g (best first), returns how many. */
static int32_t raced_points(gstat *g, int32_t ng)
{
    int32_t most = 0, k = 0;
    for (int32_t i = 0; i < ng; i++)
        most = g[i].s.n > most ? g[i].s.n : most;
    for (int32_t i = 0; i < ng; i++)
        if (g[i].s.n == most)
            g[k++] = g[i];
    return k;
}

static int table_selection(rtable *t, const ctx *c, const char **models, int32_t nm)
{
    static const char *const hcols[] = {"Model", "Grid", "Hyper-parameters", "CV acc. (%)",
                                        "Folds", "Runner-up", "Runner-up CV (%)", NULL};
#define COLUMN(ID, field, key, kind, def, lo, lo_open, hi, label, help) #field,
    static const char *const mcols[] = {"model", "grid", PS_HPARAMS(COLUMN) "cv_mean", "cv_sd",
                                        "n", "runner_up_grid", "runner_up_mean", "runner_up_sd",
                                        NULL};
#undef COLUMN
    rt_init(t, "selection", "Selection: the chosen grid point per model (cross-validation)",
            c->machine ? mcols : hcols);
    for (int32_t i = 0; i < nm; i++) {
        gstat *g;
        int32_t ng;
        if (grid_stats(&g, &ng, c->r, models[i], SEL_CV))
            return PS_ENOMEM;
        if (ng > 0 && c->r->racing[0])
            ng = raced_points(g, ng);
        if (ng > 0) {
            int32_t chosen = study_chosen(c->r, models[i], SEL_CV);
            if (chosen != g[0].grid)
                rt_note(t, "%s: the stored choice (grid %d) is not the best mean recomputed "
                        "here (grid %d)", models[i], (int)chosen, (int)g[0].grid);
            selection_row(t, c, models[i], g, ng, chosen);
            if (c->r->racing[0])
                racing_selection_note(t, c->r, models[i], chosen,
                                      ng > 1 ? g[g[0].grid == chosen ? 1 : 0].grid : -1);
        }
        free(g);
    }
    rt_note(t, "CV acc.: mean ± sd of the validation accuracy over the folds (and repetitions) "
            "of the grid point.");
    return 0;
}

/* ---- report 002's per-setup table (holdout repetitions, every setup reported) ------------- */

/* Splits "shared_A5_k3" into structure, plan and kernel; other names give (name, "", ""). */
static void split_setup(const char *name, char *st, char *plan, char *k)
{
    const char *a = strstr(name, "_A"), *kk = a ? strstr(a + 2, "_k") : NULL;
    if (!a || !kk) {
        snprintf(st, PS_NAME_MAX, "%s", name);
        plan[0] = k[0] = 0;
        return;
    }
    snprintf(st, PS_NAME_MAX, "%.*s", (int)(a - name), name);
    snprintf(plan, 16, "%.*s", (int)(kk - a - 1), a + 1);
    snprintf(k, 16, "%s", kk + 2);
}

static int summarise_obs(ps_summary s[3], const obs *o, int32_t n)
{
    double *x = malloc((size_t)(n ? n : 1) * 3 * sizeof *x);
    if (!x)
        return PS_ENOMEM;
    for (int32_t i = 0; i < n; i++) {
        x[i] = o[i].train_loss;
        x[n + i] = o[i].eval_loss;
        x[2 * n + i] = o[i].acc;
    }
    for (int k = 0; k < 3; k++)
        ps_stats_summary(&s[k], x + k * n, n);
    free(x);
    return 0;
}

/* Marks, within each structure, the lowest mean validation loss and the highest mean
 * validation accuracy with a "*" (report 002 sets them in bold). Columns as in hcols below. */
static void mark_best(rtable *t)
{
    for (int r = 0; r < t->nrows; r++) {
        char **row = t->cells + (size_t)r * (size_t)t->ncols;
        int best_loss = 1, best_acc = 1;
        double l = strtod(row[5], NULL), a = strtod(row[6], NULL);
        for (int q = 0; q < t->nrows; q++) {
            char **o = t->cells + (size_t)q * (size_t)t->ncols;
            if (q == r || strcmp(o[0], row[0]))
                continue;
            best_loss &= strtod(o[5], NULL) >= l;
            best_acc &= strtod(o[6], NULL) <= a;
        }
        for (int k = 0; k < 2; k++) {
            int col = k ? 6 : 5;
            if (!(k ? best_acc : best_loss))
                continue;
            size_t n = strlen(row[col]);
            char *q = realloc(row[col], n + 3);
            if (q) {
                memcpy(q + n, " *", 3);
                row[col] = q;
            }
        }
    }
}

static int table_holdout(rtable *t, const ctx *c, const char **models, int32_t nm)
{
    static const char *const hcols[] = {"Structure", "A", "K", "Grid", "Train loss",
                                        "Val. loss", "Val. acc. (%)", "n", NULL};
    static const char *const mcols[] = {"model", "structure", "plan", "kernel", "grid",
                                        "train_loss_mean", "train_loss_sd", "val_loss_mean",
                                        "val_loss_sd", "val_acc_mean", "val_acc_sd", "n", NULL};
    rt_init(t, "setups", "Every setup on its holdout validation split (report 002's layout)",
            c->machine ? mcols : hcols);
    for (int32_t i = 0; i < nm; i++) {
        gstat *g;
        int32_t ng;
        if (grid_stats(&g, &ng, c->r, models[i], SEL_HOLDOUT))
            return PS_ENOMEM;
        for (int32_t j = 0; j < ng; j++) {
            obs *o;
            int32_t n;
            ps_summary s[3];
            if (study_gather(&o, &n, c->r, PS_PHASE_SELECT, models[i], g[j].grid, SEL_HOLDOUT) ||
                summarise_obs(s, o, n)) {
                free(o);
                free(g);
                return PS_ENOMEM;
            }
            free(o);
            char st[PS_NAME_MAX], pl[16], k[16], gs[16], ns[16], v[6][48];
            split_setup(models[i], st, pl, k);
            snprintf(gs, sizeof gs, "%d", (int)g[j].grid);
            snprintf(ns, sizeof ns, "%d", (int)n);
            if (c->machine) {
                for (int q = 0; q < 3; q++) {
                    fmt_num(v[2 * q], 48, s[q].mean, 6);
                    fmt_num(v[2 * q + 1], 48, s[q].sd, 6);
                }
                rt_row(t, (const char *[]){models[i], st, pl, k, gs, v[0], v[1], v[2], v[3],
                                           v[4], v[5], ns});
            } else {
                fmt_pm(v[0], 48, s[0].mean, s[0].sd, 4);
                fmt_pm(v[1], 48, s[1].mean, s[1].sd, 4);
                fmt_pm(v[2], 48, s[2].mean, s[2].sd, 2);
                rt_row(t, (const char *[]){st, pl, k, gs, v[0], v[1], v[2], ns});
            }
        }
        free(g);
    }
    if (!c->machine)
        mark_best(t);
    rt_note(t, "mean ± sd over the repetitions (new pairs and initialisation each), final "
            "epoch; * the best validation loss and accuracy of each structure.");
    return 0;
}

/* ---- Table II ----------------------------------------------------------------------------- */

/* An accuracy interval outside [0, 100]: a t interval from few seeds, or from accuracies near
 * 0 or 100. Printed clipped to the possible range and marked † (the note gives it as
 * computed); the CSV keeps the computed interval and notes it. */
static int ci_leaves_range(const ps_summary *a)
{
    return a->ci_lo < 0.0 || a->ci_hi > 100.0;
}

static void ci_cell(char *b, size_t cap, const ps_summary *a)
{
    if (isnan(a->ci_lo))
        snprintf(b, cap, "—");
    else if (ci_leaves_range(a))
        snprintf(b, cap, "[%.2f, %.2f]†", fmax(a->ci_lo, 0.0), fmin(a->ci_hi, 100.0));
    else
        snprintf(b, cap, "[%.2f, %.2f]", a->ci_lo, a->ci_hi);
}

static void ci_note(rtable *t, const char *model, const ps_summary *a, int machine)
{
    if (!ci_leaves_range(a))
        return;
    if (machine)
        rt_note(t, "%s: ci_lo, ci_hi [%.2f, %.2f] leave [0, 100] (n = %d); the text, Markdown "
                "and LaTeX tables print the interval clipped to [0, 100] and marked.", model,
                a->ci_lo, a->ci_hi, (int)a->n);
    else
        rt_note(t, "† %s: the t interval [%.2f, %.2f] leaves [0, 100] (n = %d): printed "
                "clipped to it; with few seeds, or accuracies near a bound, a t interval is a "
                "poor guide.", model, a->ci_lo, a->ci_hi, (int)a->n);
}

static int table2(rtable *t, const ctx *c, const char **models, int32_t nm)
{
    static const char *const hcols[] = {"Model", "Grid", "Test acc. (%)", "95% CI", "Min",
                                        "Max", "Seeds", "Test loss", "Diverged/failed", NULL};
    static const char *const mcols[] = {"model", "grid", "n", "mean", "sd", "ci_lo", "ci_hi",
                                        "min", "max", "loss_mean", "loss_sd", "diverged",
                                        "failed", NULL};
    rt_init(t, "table2", "Table II: final test accuracy over seeds", c->machine ? mcols : hcols);
    for (int32_t i = 0; i < nm; i++) {
        obs *o;
        int32_t n;
        ps_summary s[3];
        if (study_gather(&o, &n, c->r, PS_PHASE_FINAL, models[i], -1, SEL_ANY) ||
            summarise_obs(s, o, n)) {
            free(o);
            return PS_ENOMEM;
        }
        int32_t dv = study_count(c->r, 1, models[i], 1), fl = study_count(c->r, 1, models[i], 2);
        ci_note(t, models[i], &s[2], c->machine);
        char gs[16] = "", ns[16], v[10][48];
        if (n)
            snprintf(gs, sizeof gs, "%d", (int)o[0].grid);
        for (int32_t j = 1; j < n; j++)
            if (o[j].grid != o[0].grid)
                snprintf(gs, sizeof gs, "several");
        free(o);
        if (n == 0 && dv + fl == 0)
            continue;
        snprintf(ns, sizeof ns, "%d", (int)n);
        const ps_summary *a = &s[2];
        if (c->machine) {
            double nums[8] = {a->mean, a->sd, a->ci_lo, a->ci_hi, a->min, a->max, s[1].mean,
                              s[1].sd};
            for (int q = 0; q < 8; q++)
                fmt_num(v[q], 48, nums[q], 6);
            snprintf(v[8], 48, "%d", (int)dv);
            snprintf(v[9], 48, "%d", (int)fl);
            rt_row(t, (const char *[]){models[i], gs, ns, v[0], v[1], v[2], v[3], v[4], v[5],
                                       v[6], v[7], v[8], v[9]});
        } else {
            fmt_pm(v[0], 48, a->mean, a->sd, 2);
            ci_cell(v[1], 48, a);
            fmt_num(v[2], 48, a->min, 2);
            fmt_num(v[3], 48, a->max, 2);
            fmt_pm(v[4], 48, s[1].mean, s[1].sd, 4);
            snprintf(v[5], 48, "%d/%d", (int)dv, (int)fl);
            rt_row(t, (const char *[]){models[i], gs, v[0], v[1], v[2], v[3], ns, v[4], v[5]});
        }
    }
    rt_note(t, "mean ± sd over seeds (sd with n − 1); 95%% CI of the mean from Student's t; "
            "diverged and failed seeds are excluded from the figures and counted.");
    return 0;
}

/* ---- the whole report --------------------------------------------------------------------- */

static int emit(FILE *out, rtable *t, const ps_report_opts *o, const char *dir,
                const char *stem, ps_err *err)
{
    int rc = t->oom ? ps_err_set(err, PS_ENOMEM, "report: out of memory") : 0;
    if (!rc) {
        if (o->fmt == PS_REPORT_CSV)
            fprintf(out, "# table: %s%s\n", stem, t->name);
        rt_print(out, t, o->fmt);
    }
    if (!rc && dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s%s.%s", dir, stem, t->name, rt_ext(o->fmt));
        FILE *f = NULL;
        rc = ps_path_fopen(&f, path, O_WRONLY | O_CREAT | O_TRUNC, "a table of the report", err);
        if (!rc) {
            rt_print(f, t, o->fmt);
            if (fclose(f) != 0)
                rc = ps_err_set(err, PS_EIO, "%s: write failed (disk full?)", path);
        }
    }
    rt_free(t);
    return rc;
}

int report_study(FILE *out, const ps_results *r, const char *files, const char *stem,
                 const ps_report_opts *o, ps_err *err)
{
    ctx c = {r, o->fmt == PS_REPORT_CSV};
    const char **models;
    int32_t nm, missing;
    if (study_models(&models, &nm, r))
        return ps_err_set(err, PS_ENOMEM, "report: out of memory");
    rtable counts, problems, cells, t;
    int rc = study_status_tables(&counts, &problems, &cells, r, 0, &missing)
                 ? ps_err_set(err, PS_ENOMEM, "report: out of memory") : 0;
    int32_t miss_phase[2] = {0, 0};
    for (int i = 0; !rc && i < cells.nrows; i++) {
        const char *const *row = (const char *const *)cells.cells + (size_t)i * (size_t)cells.ncols;
        if (!strcmp(row[5], "missing"))
            miss_phase[!strcmp(row[1], "final")]++;
    }
    rt_free(&cells);
    if (!rc) {
        table_study(&t, &c, files, missing, miss_phase);
        rc = emit(out, &t, o, o->out_dir, stem, err);
    }
    if (!rc) {
        table1(&t, &c, models, nm);
        rc = emit(out, &t, o, o->out_dir, stem, err);
    }
    int has_cv = 0, has_ho = 0, has_final = study_count(r, 1, NULL, 0) > 0;
    for (int32_t i = 0; i < r->n_rows; i++) {
        has_cv |= r->rows[i].phase == 0 && r->rows[i].fold >= 0;
        has_ho |= r->rows[i].phase == 0 && r->rows[i].fold < 0;
    }
    if (!rc && has_cv)
        rc = table_selection(&t, &c, models, nm) ? ps_err_set(err, PS_ENOMEM, "out of memory")
                                                 : emit(out, &t, o, o->out_dir, stem, err);
    if (!rc && r->racing[0])
        rc = racing_table(&t, r, c.machine, models, nm) ? ps_err_set(err, PS_ENOMEM, "out of memory")
                                                         : emit(out, &t, o, o->out_dir, stem, err);
    if (!rc && r->racing[0] && study_count(r, PS_PHASE_AUDIT, NULL, PS_TASK_DONE) > 0)
        rc = racing_audit_table(&t, r, c.machine, models, nm)
                 ? ps_err_set(err, PS_ENOMEM, "out of memory")
                 : emit(out, &t, o, o->out_dir, stem, err);
    if (!rc && has_ho)
        rc = table_holdout(&t, &c, models, nm) ? ps_err_set(err, PS_ENOMEM, "out of memory")
                                               : emit(out, &t, o, o->out_dir, stem, err);
    if (!rc && has_final)
        rc = table2(&t, &c, models, nm) ? ps_err_set(err, PS_ENOMEM, "out of memory")
                                        : emit(out, &t, o, o->out_dir, stem, err);
    if (!rc)
        rc = effects_table(&t, r, c.machine, models, nm)
                 ? ps_err_set(err, PS_ENOMEM, "out of memory")
                 : emit(out, &t, o, o->out_dir, stem, err);
    if (!rc)
        rc = emit(out, &counts, o, o->out_dir, stem, err);
    else
        rt_free(&counts);
    if (!rc && problems.nrows)
        rc = emit(out, &problems, o, o->out_dir, stem, err);
    else
        rt_free(&problems);
    free(models);
    if (!rc && o->out_dir)
        rc = ps_report_figures(r, o->out_dir, stem, err);
    return rc;
}
