/* pairsweep report — a raced study (protocol.racing): what the race dropped and saved, whether
 * the winner is significantly better than the runner-up, and the audit's false eliminations.
 * The tests are race.h's, on the stored per-example outcomes (/outcomes). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairsweep/race.h"
#include "study.h"

int racing_params(ps_race_params *p, const ps_results *r)
{
    char test[32] = "";
    int min_folds = 0, audit = 0;
    memset(p, 0, sizeof *p);
    if (!r->racing[0] ||
        sscanf(r->racing, "test=%31s alpha=%lf min_folds=%d audit=%d ratio=%lf", test, &p->alpha,
               &min_folds, &audit, &p->test_train_ratio) != 5 ||
        ps_race_test_parse(&p->test, test))
        return -1;
    p->min_folds = min_folds;
    const char *c = strstr(r->racing, " correction="); /* absent (files before it): holm */
    if (c && ps_race_correction_parse(&p->correction, c + strlen(" correction=")))
        return -1;
    return 0;
}

/* The rounds of a model's selection (distinct repetition × fold cells of its select rows)
 * and its folds per repetition (1 under holdout). */
static int32_t model_rounds(const ps_results *r, const char *model, int32_t *folds)
{
    int32_t f = 1, reps = 0;
    for (int32_t i = 0; i < r->n_rows; i++) {
        const ps_store_row *w = &r->rows[i];
        if (w->phase != PS_PHASE_SELECT || strcmp(w->model, model))
            continue;
        f = w->fold + 1 > f ? w->fold + 1 : f;
        reps = w->rep + 1 > reps ? w->rep + 1 : reps;
    }
    *folds = f;
    return f * reps;
}

int racing_point(uint8_t **x, int32_t *round_n, const ps_results *r, const char *model,
                 int32_t grid, int32_t rounds, int32_t folds, double *mean)
{
    const uint8_t **at = calloc((size_t)(rounds ? rounds : 1), sizeof *at);
    size_t total = 0;
    double sum = 0;
    if (!at)
        return PS_ENOMEM;
    for (int32_t i = 0; i < r->n_rows; i++) {
        const ps_store_row *w = &r->rows[i];
        int32_t k = w->rep * folds + (w->fold > 0 ? w->fold : 0), n;
        const uint8_t *o;
        if (w->phase == PS_PHASE_FINAL || w->status != PS_TASK_DONE || w->grid != grid ||
            strcmp(w->model, model) || k >= rounds || at[k] ||
            ps_results_outcomes(r, w->task_id, &o, &n))
            continue;
        at[k] = o;
        round_n[k] = n;
        total += (size_t)n;
        sum += w->eval_acc;
    }
    int rc = 0;
    for (int32_t k = 0; k < rounds && !rc; k++)
        rc = at[k] ? 0 : -1;
    *x = rc ? NULL : malloc(total ? total : 1);
    for (int32_t k = 0, off = 0; *x && k < rounds; off += round_n[k], k++)
        memcpy(*x + off, at[k], (size_t)round_n[k]);
    free(at);
    if (mean)
        *mean = rounds ? sum / rounds : NAN;
    return rc ? rc : *x ? 0 : PS_ENOMEM;
}

int racing_compare(ps_race_verdict *v, int *a_leads, const ps_results *r, const char *model,
                   int32_t ga, int32_t gb, const ps_race_params *p)
{
    int32_t folds, rounds = model_rounds(r, model, &folds);
    int32_t *na = malloc((size_t)(rounds ? rounds : 1) * 2 * sizeof *na);
    uint8_t *xa = NULL, *xb = NULL;
    int rc = na ? racing_point(&xa, na, r, model, ga, rounds, folds, NULL) : PS_ENOMEM;
    rc = rc ? rc : racing_point(&xb, na + rounds, r, model, gb, rounds, folds, NULL);
    for (int32_t k = 0; !rc && k < rounds; k++)
        rc = na[k] == na[rounds + k] ? 0 : -1;
    ps_race_verdict two[2];
    int32_t leader = -1;
    const uint8_t *x[2] = {xa, xb};
    ps_race_params q = *p;
    q.min_folds = 1;
    rc = rc ? rc : ps_race_decide(two, &leader, x, 2, na, rounds, &q);
    if (!rc) {
        *a_leads = leader == 0;
        *v = two[leader == 0 ? 1 : 0];
    }
    free(na);
    free(xa);
    free(xb);
    return rc;
}

/* ---- the racing table --------------------------------------------------------------------- */

/* "6 → 3 → 3": the points alive after each round of a model (the /race rows say when each
 * dropped point left). */
static void alive_cell(char *b, size_t cap, const ps_results *r, const char *model,
                       int32_t points, int32_t rounds, int machine)
{
    size_t n = 0;
    for (int32_t k = 1; k <= rounds && n < cap; k++) {
        int32_t alive = points;
        for (int32_t i = 0; i < r->n_race; i++)
            alive -= !strcmp(r->race[i].model, model) && r->race[i].round <= k;
        int m = snprintf(b + n, cap - n, "%s%d", k == 1 ? "" : machine ? " " : " → ",
                         (int)alive);
        n += m > 0 ? (size_t)m : 0;
    }
}

/* Tasks and core-hours of a model's selection: run, and as the exhaustive plan would have
 * cost (a pruned task priced at the mean wall time of its grid point's tasks that ran, else
 * of the model's). */
static void model_cost(const ps_results *r, const char *model, int32_t *run, int32_t *all,
                       double *h_run, double *h_all)
{
    double model_sum = 0;
    int32_t model_n = 0;
    *run = *all = 0;
    *h_run = *h_all = 0;
    for (int32_t i = 0; i < r->n_rows; i++) {
        const ps_store_row *w = &r->rows[i];
        if (w->phase != PS_PHASE_SELECT || strcmp(w->model, model))
            continue;
        (*all)++;
        if (w->status == PS_TASK_PRUNED)
            continue;
        (*run)++;
        model_sum += w->wall_seconds;
        model_n++;
    }
    *h_run = model_sum / 3600;
    *h_all = *h_run;
    for (int32_t i = 0; i < r->n_rows; i++) {
        const ps_store_row *w = &r->rows[i];
        if (w->phase != PS_PHASE_SELECT || w->status != PS_TASK_PRUNED || strcmp(w->model, model))
            continue;
        double s = 0;
        int32_t n = 0;
        for (int32_t j = 0; j < r->n_rows; j++) {
            const ps_store_row *q = &r->rows[j];
            if (q->phase != PS_PHASE_FINAL && q->status != PS_TASK_PRUNED && q->grid == w->grid &&
                !strcmp(q->model, model)) {
                s += q->wall_seconds;
                n++;
            }
        }
        *h_all += (n ? s / n : model_n ? model_sum / model_n : 0) / 3600;
    }
}

int racing_table(rtable *t, const ps_results *r, int machine, const char **models, int32_t nm)
{
    static const char *const hcols[] = {"Model", "Points", "Alive after each round",
                                        "Tasks run", "Exhaustive", "Core-h run",
                                        "Exhaustive core-h (est.)", "Saved", NULL};
    static const char *const mcols[] = {"model", "points", "rounds", "alive", "tasks_run",
                                        "tasks_exhaustive", "core_hours_run",
                                        "core_hours_exhaustive", NULL};
    rt_init(t, "racing", "Racing: grid points alive after each round, and the cost", machine ?
            mcols : hcols);
    for (int32_t i = 0; i < nm; i++) {
        int32_t folds, rounds = model_rounds(r, models[i], &folds), run, all, points = 0;
        for (int32_t j = 0; j < r->n_grid; j++)
            points += !strcmp(r->grid[j].model, models[i]);
        if (rounds == 0)
            continue;
        double h_run, h_all;
        model_cost(r, models[i], &run, &all, &h_run, &h_all);
        char pts[16], rd[16], alive[512], v[5][32];
        snprintf(pts, sizeof pts, "%d", (int)points);
        snprintf(rd, sizeof rd, "%d", (int)rounds);
        alive_cell(alive, sizeof alive, r, models[i], points, rounds, machine);
        snprintf(v[0], 32, "%d", (int)run);
        snprintf(v[1], 32, "%d", (int)all);
        fmt_num(v[2], 32, h_run, machine ? 6 : 3);
        fmt_num(v[3], 32, h_all, machine ? 6 : 3);
        snprintf(v[4], 32, "%.2f×", h_run > 0 ? h_all / h_run : NAN);
        if (machine)
            rt_row(t, (const char *[]){models[i], pts, rd, alive, v[0], v[1], v[2], v[3]});
        else
            rt_row(t, (const char *[]){models[i], pts, alive, v[0], v[1], v[2], v[3], v[4]});
    }
    rt_note(t, "Racing (%s): after each round (a fold of a repetition) the points significantly "
            "worse than the leader are dropped (/race); their remaining tasks are pruned. "
            "Exhaustive core-hours price a pruned task at its grid point's measured mean.",
            r->racing);
    return t->oom ? PS_ENOMEM : 0;
}

void racing_selection_note(rtable *t, const ps_results *r, const char *model, int32_t chosen,
                           int32_t runner)
{
    ps_race_params p;
    ps_race_verdict v;
    int a_leads;
    if (runner < 0 || racing_params(&p, r) ||
        racing_compare(&v, &a_leads, r, model, chosen, runner, &p))
        return;
    if (a_leads && v.p < p.alpha)
        return;
    char pv[32];
    fmt_p(pv, sizeof pv, a_leads ? v.p : NAN, 0);
    rt_note(t, "%s: the winner (grid %d) is NOT significantly better than the runner-up (grid "
            "%d): %s one-sided p %s over every round, alpha %g.", model, (int)chosen,
            (int)runner, ps_race_test_name(p.test), a_leads ? pv : "(the runner-up has more "
            "correct outcomes)", p.alpha);
}

/* ---- the audit ---------------------------------------------------------------------------- */

typedef struct audit_row {
    int32_t dropped, audited, won, tied, exhaustive, raced;
    int raced_same;            /* 1 the raced winner is the exhaustive one, 2 tied with it */
} audit_row;

/* The exhaustive winner of a model: the best mean over points with every round done (select
 * and audit rows), ties to the lower grid point; -1 when none. */
static int32_t exhaustive_winner(const ps_results *r, const char *model, int32_t rounds,
                                 int32_t folds, int32_t *round_n, uint8_t *complete)
{
    int32_t best = -1;
    double best_mean = -INFINITY;
    for (int32_t j = 0; j < r->n_grid; j++) {
        const ps_store_grid_row *g = &r->grid[j];
        uint8_t *x = NULL;
        double mean;
        if (strcmp(g->model, model))
            continue;
        complete[j] = racing_point(&x, round_n, r, model, g->grid, rounds, folds, &mean) == 0;
        free(x);
        if (complete[j] && (mean > best_mean || (mean == best_mean && g->grid < best))) {
            best = g->grid;
            best_mean = mean;
        }
    }
    return best;
}

/* 1 when dropped point g is, under every round, the winner w or not significantly worse. */
static int not_worse(const ps_results *r, const char *model, int32_t w, int32_t g,
                     const ps_race_params *p)
{
    ps_race_verdict v;
    int w_leads;
    if (g == w)
        return 1;
    if (racing_compare(&v, &w_leads, r, model, w, g, p))
        return 0;
    return !w_leads || !(v.p < p->alpha);
}

static int audit_model(audit_row *a, const ps_results *r, const char *model,
                       const ps_race_params *p)
{
    int32_t folds, rounds = model_rounds(r, model, &folds);
    int32_t *round_n = malloc((size_t)(rounds ? rounds : 1) * sizeof *round_n);
    uint8_t *complete = calloc((size_t)(r->n_grid ? r->n_grid : 1), 1);
    memset(a, 0, sizeof *a);
    if (!round_n || !complete) {
        free(round_n);
        free(complete);
        return PS_ENOMEM;
    }
    a->exhaustive = exhaustive_winner(r, model, rounds, folds, round_n, complete);
    a->raced = study_chosen(r, model, SEL_CV);
    for (int32_t i = 0; i < r->n_race; i++) {
        const ps_store_race_row *d = &r->race[i];
        if (strcmp(d->model, model))
            continue;
        a->dropped++;
        int32_t j = 0;
        while (j < r->n_grid && (r->grid[j].grid != d->grid || strcmp(r->grid[j].model, model)))
            j++;
        if (j == r->n_grid || !complete[j] || a->exhaustive < 0)
            continue;
        a->audited++;
        a->won += d->grid == a->exhaustive;
        a->tied += d->grid != a->exhaustive && not_worse(r, model, a->exhaustive, d->grid, p);
    }
    if (a->exhaustive >= 0 && a->raced >= 0)
        a->raced_same = a->raced == a->exhaustive ? 1
                        : not_worse(r, model, a->exhaustive, a->raced, p) ? 2 : 0;
    free(round_n);
    free(complete);
    return 0;
}

int racing_audit_table(rtable *t, const ps_results *r, int machine, const char **models,
                       int32_t nm)
{
    static const char *const hcols[] = {"Model", "Dropped", "Audited", "Exhaustive winner",
                                        "Raced winner", "Would have won", "Tied",
                                        "False eliminations", NULL};
    static const char *const mcols[] = {"model", "dropped", "audited", "exhaustive_grid",
                                        "raced_grid", "raced_same", "won", "tied", NULL};
    ps_race_params p;
    if (racing_params(&p, r))
        return -1;
    rt_init(t, "audit", "Racing audit: the dropped points run to the end (exhaustive CV)",
            machine ? mcols : hcols);
    int32_t tot[4] = {0};
    for (int32_t i = 0; i < nm; i++) {
        audit_row a;
        if (audit_model(&a, r, models[i], &p))
            return PS_ENOMEM;
        if (a.dropped == 0)
            continue;
        char v[8][48];
        const int32_t nums[] = {a.dropped, a.audited, a.exhaustive, a.raced, a.raced_same,
                                a.won, a.tied};
        for (int k = 0; k < 7; k++)
            snprintf(v[k], 48, "%d", (int)nums[k]);
        if (machine) {
            rt_row(t, (const char *[]){models[i], v[0], v[1], v[2], v[3], v[4], v[5], v[6]});
        } else {
            snprintf(v[7], 48, "%d (%s)", (int)a.raced, a.raced_same == 1 ? "the same"
                     : a.raced_same == 2 ? "tied" : "worse");
            char rate[48];
            snprintf(rate, sizeof rate, a.audited ? "%d of %d" : "—", (int)(a.won + a.tied),
                     (int)a.audited);
            rt_row(t, (const char *[]){models[i], v[0], v[1], v[2], v[7], v[5], v[6], rate});
        }
        tot[0] += a.dropped;
        tot[1] += a.audited;
        tot[2] += a.won;
        tot[3] += a.tied;
    }
    rt_note(t, "False-elimination rate: %d of %d audited dropped points (%.1f%%) would have "
            "won (%d) or tied with the exhaustive winner (%d: not significantly worse, %s "
            "one-sided over every round, alpha %g, uncorrected).", (int)(tot[2] + tot[3]),
            (int)tot[1], tot[1] ? 100.0 * (tot[2] + tot[3]) / tot[1] : 0.0, (int)tot[2],
            (int)tot[3], ps_race_test_name(p.test), p.alpha);
    return t->oom ? PS_ENOMEM : 0;
}
