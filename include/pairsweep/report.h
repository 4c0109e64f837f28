/* pairsweep — reports from results files: the reports' tables (Table I, the selection, Table
 * II, report 002's per-setup table), the effects they argue about (the zoo's comparisons:
 * ps_models_comparisons, ps_models_families) measured with confidence intervals and p-values,
 * the status of every cell of a study, and figures (gnuplot).
 *
 * Accuracies are stored as fractions and reported in percent; differences in percentage
 * points. Only rows of status done enter the statistics; diverged and failed tasks are
 * counted and listed. An accuracy's confidence interval that leaves [0, 100] is printed
 * clipped to it and marked †, with a note giving it as computed (CSV: as computed, noted).
 * LaTeX tables use booktabs rules and escape every special character. */
#ifndef PAIRSWEEP_REPORT_H
#define PAIRSWEEP_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "pairsweep/common.h"
#include "pairsweep/store.h"

/* ---- statistics (t quantiles and CDFs from GSL) -------------------------------------------- */

/* Mean, sample standard deviation (n − 1), 95% t confidence interval of the mean, min, max.
 * With n < 2 the sd and the interval are NaN; with n = 0 everything is NaN. */
typedef struct ps_summary {
    int32_t n;
    double mean, sd, ci_lo, ci_hi, min, max;
} ps_summary;

void ps_stats_summary(ps_summary *s, const double *x, int32_t n);

/* A comparison a − b: the difference of means, its 95% confidence interval, the t statistic,
 * degrees of freedom and the two-sided p-value. */
typedef struct ps_compare {
    const char *method;        /* "paired t", "Welch t", "Nadeau-Bengio corrected t" */
    int32_t n_a, n_b;          /* observations of a and b (pairs: n_a = n_b) */
    double diff, ci_lo, ci_hi, t, df, p;
} ps_compare;

/* Paired t-test on n pairs (a[i], b[i]). Needs n ≥ 2 and a non-zero spread of differences
 * (else PS_EINVAL, c->p NaN). */
int ps_stats_paired(ps_compare *c, const double *a, const double *b, int32_t n);

/* Welch's unequal-variance t-test. Needs na, nb ≥ 2. */
int ps_stats_welch(ps_compare *c, const double *a, int32_t na, const double *b, int32_t nb);

/* Nadeau and Bengio's corrected resampled t-test for n paired resampling estimates (e.g. the
 * k folds of cross-validation) whose test/train size ratio is test_train_ratio (1/(k−1) for
 * k-fold CV): variance (1/n + ratio)·s², df n − 1. */
int ps_stats_nadeau_bengio(ps_compare *c, const double *a, const double *b, int32_t n,
                           double test_train_ratio);

/* Holm's step-down adjustment of n p-values (NaN entries are left NaN and not counted). */
void ps_stats_holm(double *adjusted, const double *p, int32_t n);

/* ---- reports ---------------------------------------------------------------------------------- */

typedef enum ps_report_format {
    PS_REPORT_TEXT = 0,
    PS_REPORT_MARKDOWN = 1,
    PS_REPORT_CSV = 2,
    PS_REPORT_LATEX = 3,
} ps_report_format;

/* Parses "text", "markdown", "csv" or "latex"; PS_EINVAL otherwise. */
int ps_report_format_parse(ps_report_format *fmt, const char *name, ps_err *err);

/* Files of the same job (same job_sha256) are joined in memory (rows deduplicated by task
 * id) and reported as one study; files of different jobs as separate studies. */
typedef struct ps_report_opts {
    ps_report_format fmt;
    const char *out_dir;       /* NULL: tables to out only; else also DIR/<table>.<ext> and
                                  the figures DIR/[<study>_]fig{1,2}_*.{png,svg,pdf} */
} ps_report_opts;

/* Writes the report of the n results files (paths[i] read into files[i]) to out. Fails with
 * PS_EIO when a table or figure cannot be written (the message names the file). */
int ps_report_write(FILE *out, const ps_results *files, const char *const *paths, int n,
                    const ps_report_opts *opts, ps_err *err);

/* Writes the status of one study to out: per model and phase the planned, done, diverged,
 * failed and missing counts, the failed and diverged tasks with their reasons, and every cell
 * (model × grid point × fold × repetition) when all is non-zero (else the cells not done).
 * *missing receives the number of missing cells. */
int ps_report_status(FILE *out, const ps_results *r, const char *path, int all,
                     int32_t *missing, ps_err *err);

/* Draws Fig. 1 (training loss per epoch on a log axis: geometric mean and ×/÷ 1 geometric sd
 * band per model; models whose optimised loss is not the target cross-entropy keyed as such)
 * and Fig. 2 (mean test — or validation, for studies without a final phase — accuracy per
 * epoch, ±1 sd band within [0, 100]) of one study as DIR/<stem>fig1_train_loss.{png,svg,pdf}
 * and DIR/<stem>fig2_accuracy.{png,svg,pdf}, by driving gnuplot (pngcairo, svg and pdfcairo
 * terminals). */
int ps_report_figures(const ps_results *r, const char *dir, const char *stem, ps_err *err);

#endif
