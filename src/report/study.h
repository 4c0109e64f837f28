/* pairsweep report — helpers over one study's results (internal). */
#ifndef PAIRSWEEP_REPORT_STUDY_H
#define PAIRSWEEP_REPORT_STUDY_H

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

/* Writes the tables (and with opts->out_dir the table files and figures, named
 * <stem><table>.<ext>) of one study. */
int report_study(FILE *out, const ps_results *r, const char *files, const char *stem,
                 const ps_report_opts *opts, ps_err *err);

#endif
