/* pairsweep report — the statistics: summaries, paired/Welch/Nadeau–Bengio t-tests, Holm.
 * Holm is race.h's. Quantiles and tail probabilities of Student's t come from GSL. */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>

#include "pairsweep/race.h"
#include "pairsweep/report.h"

static double mean_of(const double *x, int32_t n)
{
    double s = 0;
    for (int32_t i = 0; i < n; i++)
        s += x[i];
    return s / n;
}

static double var_of(const double *x, int32_t n, double m)
{
    double s = 0;
    for (int32_t i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    return s / (n - 1);
}

void ps_stats_summary(ps_summary *s, const double *x, int32_t n)
{
    s->n = n;
    s->mean = s->sd = s->ci_lo = s->ci_hi = s->min = s->max = NAN;
    if (n < 1)
        return;
    s->mean = mean_of(x, n);
    s->min = s->max = x[0];
    for (int32_t i = 1; i < n; i++) {
        s->min = x[i] < s->min ? x[i] : s->min;
        s->max = x[i] > s->max ? x[i] : s->max;
    }
    if (n < 2)
        return;
    s->sd = sqrt(var_of(x, n, s->mean));
    double h = gsl_cdf_tdist_Pinv(0.975, n - 1) * s->sd / sqrt((double)n);
    s->ci_lo = s->mean - h;
    s->ci_hi = s->mean + h;
}

/* Fills t, p and the interval from a difference, its standard error and df. */
static int finish(ps_compare *c, double diff, double se, double df)
{
    c->diff = diff;
    c->df = df;
    if (!(se > 0) || !(df > 0)) {
        c->t = c->p = c->ci_lo = c->ci_hi = NAN;
        return PS_EINVAL;
    }
    c->t = diff / se;
    c->p = 2.0 * gsl_cdf_tdist_Q(fabs(c->t), df);
    double h = gsl_cdf_tdist_Pinv(0.975, df) * se;
    c->ci_lo = diff - h;
    c->ci_hi = diff + h;
    return 0;
}

static int paired_core(ps_compare *c, const double *a, const double *b, int32_t n, double extra)
{
    c->n_a = c->n_b = n;
    if (n < 2) {
        c->diff = n == 1 ? a[0] - b[0] : NAN;
        c->t = c->p = c->ci_lo = c->ci_hi = c->df = NAN;
        return PS_EINVAL;
    }
    double *d = malloc((size_t)n * sizeof *d);
    if (!d)
        return PS_ENOMEM;
    for (int32_t i = 0; i < n; i++)
        d[i] = a[i] - b[i];
    double m = mean_of(d, n), v = var_of(d, n, m);
    free(d);
    return finish(c, m, sqrt((1.0 / n + extra) * v), n - 1);
}

int ps_stats_paired(ps_compare *c, const double *a, const double *b, int32_t n)
{
    c->method = "paired t";
    return paired_core(c, a, b, n, 0.0);
}

int ps_stats_nadeau_bengio(ps_compare *c, const double *a, const double *b, int32_t n,
                           double test_train_ratio)
{
    c->method = "Nadeau-Bengio corrected t";
    return paired_core(c, a, b, n, test_train_ratio);
}

int ps_stats_welch(ps_compare *c, const double *a, int32_t na, const double *b, int32_t nb)
{
    c->method = "Welch t";
    c->n_a = na;
    c->n_b = nb;
    if (na < 2 || nb < 2) {
        c->diff = na && nb ? mean_of(a, na) - mean_of(b, nb) : NAN;
        c->t = c->p = c->ci_lo = c->ci_hi = c->df = NAN;
        return PS_EINVAL;
    }
    double ma = mean_of(a, na), mb = mean_of(b, nb);
    double qa = var_of(a, na, ma) / na, qb = var_of(b, nb, mb) / nb;
    double df = (qa + qb) * (qa + qb) / (qa * qa / (na - 1) + qb * qb / (nb - 1));
    return finish(c, ma - mb, sqrt(qa + qb), df);
}

void ps_stats_holm(double *adjusted, const double *p, int32_t n)
{
    ps_race_holm(adjusted, p, n); /* one implementation, shared with racing */
}
