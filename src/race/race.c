/* pairsweep — racing statistics (include/pairsweep/race.h): exact one-sided McNemar, the
 * one-sided Nadeau–Bengio corrected t, Holm and Benjamini–Hochberg, and the decision of a round. Binomial and
 * Student's t tail probabilities come from GSL. */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pairsweep/race.h"

static const char *const test_names[PS_RACE_N_TESTS] = {"mcnemar", "t-corrected"};

const char *ps_race_test_name(ps_race_test test)
{
    return test >= 0 && test < PS_RACE_N_TESTS ? test_names[test] : "?";
}

int ps_race_test_parse(ps_race_test *test, const char *name)
{
    for (int i = 0; i < PS_RACE_N_TESTS; i++)
        if (!strcmp(name, test_names[i])) {
            *test = (ps_race_test)i;
            return 0;
        }
    return PS_EINVAL;
}

static const char *const correction_names[PS_RACE_N_CORRECTIONS] = {"holm", "bh"};

const char *ps_race_correction_name(ps_race_correction c)
{
    return c >= 0 && c < PS_RACE_N_CORRECTIONS ? correction_names[c] : "?";
}

int ps_race_correction_parse(ps_race_correction *c, const char *name)
{
    for (int i = 0; i < PS_RACE_N_CORRECTIONS; i++)
        if (!strcmp(name, correction_names[i])) {
            *c = (ps_race_correction)i;
            return 0;
        }
    return PS_EINVAL;
}

double ps_race_mcnemar_p(int64_t b, int64_t c)
{
    if (b <= 0 || b + c <= 0)
        return 1.0;
    /* P(X >= b) = P(X > b − 1) */
    return gsl_cdf_binomial_Q((unsigned int)(b - 1), 0.5, (unsigned int)(b + c));
}

double ps_race_corrected_t(double *t, const double *d, int32_t n, double ratio)
{
    *t = NAN;
    if (n < 2)
        return NAN;
    double mean = 0, ss = 0;
    for (int32_t i = 0; i < n; i++)
        mean += d[i];
    mean /= n;
    for (int32_t i = 0; i < n; i++)
        ss += (d[i] - mean) * (d[i] - mean);
    double se = sqrt((1.0 / n + ratio) * ss / (n - 1));
    if (!(se > 0)) {
        *t = mean > 0 ? INFINITY : mean < 0 ? -INFINITY : 0.0;
        return mean > 0 ? 0.0 : 1.0;
    }
    *t = mean / se;
    return gsl_cdf_tdist_Q(*t, n - 1);
}

typedef struct pidx { double p; int32_t i; } pidx;

static int cmp_p(const void *x, const void *y)
{
    const pidx *a = x, *b = y;
    if (a->p != b->p)
        return a->p < b->p ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* The p-values of p that are not NaN, sorted ascending (ties by index) into *v (malloc'ed);
 * adjusted all NaN first. Returns how many, or -1 when out of memory. */
static int32_t sorted_p(pidx **v, double *adjusted, const double *p, int32_t n)
{
    *v = malloc((size_t)(n > 0 ? n : 1) * sizeof **v);
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++) {
        adjusted[i] = NAN;
        if (*v && !isnan(p[i]))
            (*v)[m++] = (pidx){p[i], i};
    }
    if (!*v)
        return -1;
    qsort(*v, (size_t)m, sizeof **v, cmp_p);
    return m;
}

void ps_race_holm(double *adjusted, const double *p, int32_t n)
{
    pidx *v;
    int32_t m = sorted_p(&v, adjusted, p, n);
    double run = 0;
    for (int32_t j = 0; j < m; j++) { /* step down: the running maximum of (m − j) p_(j) */
        double a = (double)(m - j) * v[j].p;
        run = a > run ? a : run;
        adjusted[v[j].i] = run < 1 ? run : 1;
    }
    free(v);
}

void ps_race_bh(double *adjusted, const double *p, int32_t n)
{
    pidx *v;
    int32_t m = sorted_p(&v, adjusted, p, n);
    double run = 1;
    for (int32_t j = m - 1; j >= 0; j--) { /* step up: the running minimum of p_(j) m / (j + 1) */
        double a = v[j].p * (double)m / (double)(j + 1);
        run = a < run ? a : run;
        adjusted[v[j].i] = run;
    }
    free(v);
}

/* ---- the decision of a round ------------------------------------------------------------- */

/* Point x against leader l on the rounds: McNemar's counts, or the corrected t. */
static void test_one(ps_race_verdict *v, const uint8_t *x, const uint8_t *l,
                     const int32_t *round_n, int32_t rounds, const ps_race_params *pr,
                     double *d)
{
    int64_t b = 0, c = 0, at = 0;
    for (int32_t r = 0; r < rounds; r++) {
        int64_t right_l = 0, right_x = 0;
        for (int32_t e = 0; e < round_n[r]; e++, at++) {
            b += l[at] && !x[at];
            c += x[at] && !l[at];
            right_l += l[at] != 0;
            right_x += x[at] != 0;
        }
        d[r] = round_n[r] > 0 ? (double)(right_l - right_x) / round_n[r] : 0.0;
    }
    memset(v, 0, sizeof *v);
    if (pr->test == PS_RACE_T_CORRECTED) {
        v->n = rounds;
        v->p = ps_race_corrected_t(&v->statistic, d, rounds, pr->test_train_ratio);
    } else {
        v->n = (int32_t)(b + c);
        v->statistic = (double)b;
        v->p = ps_race_mcnemar_p(b, c);
    }
}

int ps_race_decide(ps_race_verdict *v, int32_t *leader, const uint8_t *const *x, int32_t n,
                   const int32_t *round_n, int32_t rounds, const ps_race_params *pr)
{
    int64_t n_ex = 0;
    for (int32_t r = 0; r < rounds; r++)
        n_ex += round_n[r];
    double *p = malloc((size_t)(n > 0 ? n : 1) * 2 * sizeof *p);
    double *d = malloc((size_t)(rounds > 0 ? rounds : 1) * sizeof *d);
    if (!p || !d) {
        free(p);
        free(d);
        return PS_ENOMEM;
    }
    int32_t best = -1;
    int64_t best_right = -1;
    for (int32_t i = 0; i < n; i++) {
        int64_t right = 0;
        for (int64_t e = 0; e < n_ex; e++)
            right += x[i][e] != 0;
        if (right > best_right) {
            best = i;
            best_right = right;
        }
    }
    for (int32_t i = 0; i < n; i++) {
        if (i == best) {
            v[i] = (ps_race_verdict){0, NAN, 0, NAN, NAN};
            p[i] = NAN;
            continue;
        }
        test_one(&v[i], x[i], x[best], round_n, rounds, pr, d);
        p[i] = v[i].p;
    }
    if (pr->correction == PS_RACE_BH)
        ps_race_bh(p + n, p, n);
    else
        ps_race_holm(p + n, p, n);
    for (int32_t i = 0; i < n; i++) {
        v[i].p_adj = p[n + i];
        v[i].dropped = rounds >= pr->min_folds && p[n + i] < pr->alpha;
    }
    free(p);
    free(d);
    *leader = best;
    return 0;
}

double ps_race_expected_tasks(int32_t points, int32_t rounds, int32_t min_folds, double survival)
{
    double alive = points, tasks = 0;
    for (int32_t r = 0; r < rounds; r++) {
        if (r >= min_folds)
            alive = alive * survival > 1 ? alive * survival : (points > 0 ? 1 : 0);
        tasks += alive;
    }
    return tasks;
}
