/* pairsweep report — helpers over one study's results (internal). */
#ifndef PAIRSWEEP_REPORT_STUDY_H
#define PAIRSWEEP_REPORT_STUDY_H

#include "pairsweep/race.h"
#include "pairsweep/report.h"
#include "table.h"

/* One observation: a finished task's identity and final figures (accuracy in percent). */
typedef struct obs {
    int32_t row;               /* index into ps_results.rows */
    int32_t grid, fold, rep;
    double acc, train_loss, eval_loss;
} obs;

/* Which select rows: cross-validation folds (fold ≥ 0) or holdout repetitions (fold −1). */
enum { SEL_ANY = -1, SEL_HOLDOUT = 0, SEL_CV = 1 };

/* The done rows of (phase, model), of grid point `grid` (−1: any) and, for the select phase,
 * of kind `kind`; *out malloc'ed (may be NULL when *n is 0). Returns 0 or PS_ENOMEM. */
int study_gather(obs **out, int32_t *n, const ps_results *r, int32_t phase, const char *model,
                 int32_t grid, int kind);

/* The models of a study in report order (the /models table's, then any other in row order):
 * *names is malloc'ed (caller frees), entries point into r. */
int study_models(const char ***names, int32_t *n, const ps_results *r);

/* Counts rows of (phase, model) with the given status (model NULL: every model). */
int32_t study_count(const ps_results *r, int32_t phase, const char *model, int32_t status);

/* The grid row of (model, grid) or NULL. */
const ps_store_grid_row *study_grid(const ps_results *r, const char *model, int32_t grid);

/* The grid point chosen for a model in a select kind: the stored selection when there is
 * one, else the best mean accuracy; -1 when the model has no such rows. Fills the mean. */
int32_t study_chosen(const ps_results *r, const char *model, int kind);

/* Builds the status tables of a study (counts per model and phase; problems; cells). */
int study_status_tables(rtable *counts, rtable *problems, rtable *cells, const ps_results *r,
                        int all, int32_t *missing);

/* ---- a raced study (racing.c) ------------------------------------------------------------ */

/* The race's settings from the "racing" attribute: 0, or -1 when the study is not raced. */
int racing_params(ps_race_params *p, const ps_results *r);

/* The outcomes of (model, grid) over its rounds 0 .. rounds − 1 (select and audit rows done;
 * round = rep × folds + fold), concatenated into *x (malloc'ed), each round's size into
 * round_n, the mean accuracy into *mean (may be NULL). -1 when a round is missing,
 * PS_ENOMEM. */
int racing_point(uint8_t **x, int32_t *round_n, const ps_results *r, const char *model,
                 int32_t grid, int32_t rounds, int32_t folds, double *mean);

/* Grid points ga and gb of a model compared over every round with the race's test: *a_leads
 * says whether ga has the more correct outcomes (ties: ga), v the other's one-sided verdict.
 * -1 when an outcome is missing, PS_ENOMEM. */
int racing_compare(ps_race_verdict *v, int *a_leads, const ps_results *r, const char *model,
                   int32_t ga, int32_t gb, const ps_race_params *p);

/* The racing table (points alive per round, tasks and core-hours against the exhaustive
 * plan), the audit table, and the selection's note when the winner is not significantly
 * better than the runner-up. */
int racing_table(rtable *t, const ps_results *r, int machine, const char **models, int32_t nm);
int racing_audit_table(rtable *t, const ps_results *r, int machine, const char **models,
                       int32_t nm);
void racing_selection_note(rtable *t, const ps_results *r, const char *model, int32_t chosen,
                           int32_t runner);

/* Writes the tables (and with opts->out_dir the table files and figures, named
 * <stem><table>.<ext>) of one study. */
int report_study(FILE *out, const ps_results *r, const char *files, const char *stem,
                 const ps_report_opts *opts, ps_err *err);

#endif
