/* pairsweep — racing: the statistics that decide, once a fold round of a selection group is
 * complete, which grid points are significantly worse than the leader, so that their remaining
 * selection tasks need not run (protocol.racing in docs/job-format.md, which gives the
 * reasoning; the scheduler in sched.h applies the decisions).
 *
 * Pure functions of their arguments: no I/O, no clock, no state. The data of a decision are
 * per-example paired outcomes: the folds of a selection repetition are the same validation
 * pairs for every grid point of a group (one seed per repetition, sweep.h), so point i's
 * outcome on example e (1: classified correctly at the last epoch) pairs exactly with the
 * leader's on the same e. A round is one fold of one repetition (k-fold) or one repetition
 * (holdout); a decision pools the outcomes of every round completed so far. */
#ifndef PAIRSWEEP_RACE_H
#define PAIRSWEEP_RACE_H

#include <stdint.h>

#include "pairsweep/common.h"

typedef enum ps_race_test {
    PS_RACE_MCNEMAR = 0,       /* exact one-sided McNemar (binomial on the discordant pairs)
                                  over the pooled examples of the completed rounds */
    PS_RACE_T_CORRECTED = 1,   /* one-sided Nadeau–Bengio corrected resampled t over the
                                  per-round accuracies (needs two rounds or more) */
} ps_race_test;

#define PS_RACE_N_TESTS 2

/* The job key's name of a test: "mcnemar", "t-corrected". */
const char *ps_race_test_name(ps_race_test test);

/* Parses a test's name into *test: 0, or PS_EINVAL. */
int ps_race_test_parse(ps_race_test *test, const char *name);

/* How the p-values of one decision are adjusted for the points compared together. */
typedef enum ps_race_correction {
    PS_RACE_HOLM = 0,          /* Holm's step-down: the family-wise error (any point dropped
                                  wrongly) at most alpha */
    PS_RACE_BH = 1,            /* Benjamini–Hochberg's step-up: the false-discovery rate (the
                                  expected share of wrongly dropped points among those dropped)
                                  at most alpha, for independent or positively dependent tests */
} ps_race_correction;
#define PS_RACE_N_CORRECTIONS 2

/* The job key's name of a correction: "holm", "bh". */
const char *ps_race_correction_name(ps_race_correction c);
/* Parses a correction's name into *c: 0, or PS_EINVAL. */
int ps_race_correction_parse(ps_race_correction *c, const char *name);

/* How a race decides. */
typedef struct ps_race_params {
    ps_race_test test;
    double alpha;              /* adjusted p below alpha drops a point */
    int32_t min_folds;         /* rounds that must be complete before a point may be dropped */
    double test_train_ratio;   /* validation / training examples of one task: the variance
                                  correction of the corrected t (1/(k − 1) for k-fold) */
    ps_race_correction correction; /* default (0) PS_RACE_HOLM */
} ps_race_params;

/* The one-sided exact McNemar p-value that a point is worse than the leader: b pairs only the
 * leader classified correctly, c only the point. P(X >= b) for X ~ Binomial(b + c, 1/2); 1
 * when b + c = 0 (no discordant pair: no evidence). */
double ps_race_mcnemar_p(int64_t b, int64_t c);

/* The one-sided Nadeau–Bengio corrected resampled t of n paired differences d (leader minus
 * point, one per round): t = mean(d) / sqrt((1/n + ratio) · s²(d)), df n − 1, p = P(T_df >=
 * t). *t receives t. n < 2: p NaN (no test). Zero spread: p 0 when mean(d) > 0, else 1 (t
 * then ±inf or 0). */
double ps_race_corrected_t(double *t, const double *d, int32_t n, double ratio);

/* Holm's step-down adjustment of n p-values into adjusted (NaN entries stay NaN and are not
 * counted). Equal p-values get equal adjusted values whatever their order. Out of memory:
 * every entry NaN. */
void ps_race_holm(double *adjusted, const double *p, int32_t n);

/* Benjamini–Hochberg's step-up adjustment, the same way: adjusted p of the j-th smallest of m
 * is min over k >= j of p_(k) · m / k, at most 1. */
void ps_race_bh(double *adjusted, const double *p, int32_t n);

/* What a decision says of one point. */
typedef struct ps_race_verdict {
    int32_t dropped;           /* 1: significantly worse than the leader (p_adj < alpha) */
    double statistic;          /* McNemar: b, the pairs only the leader got right; t: t */
    int32_t n;                 /* McNemar: discordant pairs b + c; t: rounds */
    double p, p_adj;           /* one-sided p, adjusted over the points compared (Holm or
                                  Benjamini–Hochberg: params->correction); NaN
                                  for the leader and when the test cannot run */
} ps_race_verdict;

/* The decision of a race after `rounds` complete rounds, over n points compared on the same
 * examples: x[i] (Σ round_n entries, 0 or 1) are point i's outcomes, round r's round_n[r]
 * examples after those of the rounds before. The leader is the point with the most correct
 * outcomes (ties: the lowest index — the caller orders points by model, then grid point);
 * every other point is tested one-sided against it (params->test) and the n − 1 p-values are
 * adjusted together (params->correction); a point is dropped when its adjusted p is below params->alpha and
 * rounds >= params->min_folds. v (n entries) gets each point's verdict, *leader the leader's
 * index (-1 when n is 0). Returns 0, or PS_ENOMEM (v and *leader untouched). */
int ps_race_decide(ps_race_verdict *v, int32_t *leader, const uint8_t *const *x, int32_t n,
                   const int32_t *round_n, int32_t rounds, const ps_race_params *params);

/* For planning (--dry-run): the expected selection tasks of a raced grid of `points` points
 * and `rounds` rounds when every point runs the first min_folds rounds and a fraction
 * `survival` of the survivors (at least one point) survives each later decision. */
double ps_race_expected_tasks(int32_t points, int32_t rounds, int32_t min_folds, double survival);

#endif
