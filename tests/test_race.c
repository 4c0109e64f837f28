/* Tests of the racing statistics (include/pairsweep/race.h) against values computed
 * independently with SciPy 1.10 (/usr/bin/python3):
 *   McNemar:      scipy.stats.binomtest(b, b + c, 0.5, alternative='greater').pvalue
 *   corrected t:  t = mean(d) / sqrt((1/n + ratio) * d.var(ddof=1)),
 *                 p = scipy.stats.t.sf(t, n - 1)
 *   Holm:         by hand from Holm (1979): sorted p_(j) times (m − j + 1), running maximum,
 *                 capped at 1. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "pairsweep/race.h"

static void test_mcnemar_reference(void)
{
    static const struct { int64_t b, c; double p; } ref[] = {
        {17, 3, 0.0012884140014648438}, {10, 10, 0.5880985260009766}, {0, 0, 1.0},
        {30, 0, 9.313225746154785e-10}, {3, 17, 0.9997987747192383},
        {300, 250, 0.018289372774551334}, {12, 4, 0.0384063720703125}, {1, 0, 0.5},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        double p = ps_race_mcnemar_p(ref[i].b, ref[i].c);
        CHECK_NEAR(p, ref[i].p, 1e-12 + 1e-9 * ref[i].p);
    }
}

static void test_corrected_t_reference(void)
{
    double t;
    const double d3[] = {0.05, 0.03, 0.04};
    CHECK_NEAR(ps_race_corrected_t(&t, d3, 3, 0.25), 0.017289207974522214, 1e-12);
    CHECK_NEAR(t, 5.237229365663816, 1e-12);
    const double d5[] = {0.02, -0.01, 0.015, 0.005, 0.03};
    CHECK_NEAR(ps_race_corrected_t(&t, d5, 5, 0.25), 0.15290840401991862, 1e-12);
    CHECK_NEAR(t, 1.1731769201708264, 1e-12);
    /* one round: no test; no spread: decided by the sign (ties are no evidence) */
    CHECK(isnan(ps_race_corrected_t(&t, d3, 1, 0.25)));
    const double same[] = {0.02, 0.02}, zero[] = {0, 0};
    CHECK(ps_race_corrected_t(&t, same, 2, 0.25) == 0.0 && isinf(t));
    CHECK(ps_race_corrected_t(&t, zero, 2, 0.25) == 1.0 && t == 0.0);
}

static void test_holm_reference(void)
{
    const double p[] = {0.01, 0.04, 0.03, 0.005, 0.5, NAN};
    const double want[] = {0.04, 0.09, 0.09, 0.025, 0.5};
    double adj[6];
    ps_race_holm(adj, p, 6);
    for (int i = 0; i < 5; i++)
        CHECK_NEAR(adj[i], want[i], 1e-15);
    CHECK(isnan(adj[5]));
    const double tie[] = {0.02, 0.02, 0.5}; /* equal p-values, equal adjusted values */
    ps_race_holm(adj, tie, 3);
    CHECK(adj[0] == adj[1]);
    CHECK_NEAR(adj[0], 0.06, 1e-15);
}

/* Benjamini–Hochberg by hand (R's p.adjust(p, "BH")): sorted 0.005, 0.01, 0.03, 0.04, 0.5
 * of m = 5 give min over k >= j of p_(k) 5 / k: 0.025, 0.025, 0.05, 0.05, 0.5. */
static void test_bh_reference(void)
{
    const double p[] = {0.01, 0.04, 0.03, 0.005, 0.5, NAN};
    const double want[] = {0.025, 0.05, 0.05, 0.025, 0.5};
    double adj[6];
    ps_race_bh(adj, p, 6);
    for (int i = 0; i < 5; i++)
        CHECK_NEAR(adj[i], want[i], 1e-15);
    CHECK(isnan(adj[5]));
    /* where the two differ: Holm keeps all three at alpha 0.05 (0.06 each), BH drops all
     * three (0.04 each: the largest, 0.04 · 3 / 3, caps the others) */
    const double close[] = {0.02, 0.03, 0.04};
    ps_race_holm(adj, close, 3);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(adj[i], 0.06, 1e-15);
    ps_race_bh(adj, close, 3);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(adj[i], 0.04, 1e-15);
    ps_race_correction c;
    CHECK_EQ_INT(ps_race_correction_parse(&c, "bh"), 0);
    CHECK_EQ_INT(c, PS_RACE_BH);
    CHECK_EQ_INT(ps_race_correction_parse(&c, "holm"), 0);
    CHECK_EQ_INT(c, PS_RACE_HOLM);
    CHECK_EQ_INT(ps_race_correction_parse(&c, "bonferroni"), PS_EINVAL);
    CHECK(!strcmp(ps_race_correction_name(PS_RACE_BH), "bh"));
}

/* Four points on two rounds (10 and 8 examples): 0 the leader (17 right), 1 a little worse,
 * 2 near chance, 3 the same outcomes as 0 (a tie: 0 leads by its lower index). */
static const char *const outcomes[4] = {
    "1111111111" "11111110", "1110101111" "11011111",
    "0000110000" "00100000", "1111111111" "11111110",
};

static void decide_with(ps_race_verdict v[4], int32_t *leader, ps_race_test test,
                        int32_t min_folds, ps_race_correction correction)
{
    static uint8_t x[4][18];
    const uint8_t *px[4];
    for (int i = 0; i < 4; i++) {
        for (int e = 0; e < 18; e++)
            x[i][e] = outcomes[i][e] == '1';
        px[i] = x[i];
    }
    const int32_t round_n[2] = {10, 8};
    ps_race_params pr = {test, 0.05, min_folds, 0.25, correction};
    *leader = -2;
    (void)ps_race_decide(v, leader, px, 4, round_n, 2, &pr);
}

static void decide(ps_race_verdict v[4], int32_t *leader, ps_race_test test, int32_t min_folds)
{
    decide_with(v, leader, test, min_folds, PS_RACE_HOLM);
}

static void test_decide_mcnemar(void)
{
    ps_race_verdict v[4];
    int32_t leader;
    decide(v, &leader, PS_RACE_MCNEMAR, 2);
    CHECK_EQ_INT(leader, 0);
    CHECK(isnan(v[0].p) && !v[0].dropped);
    CHECK(v[1].statistic == 3 && v[1].n == 4);
    CHECK_NEAR(v[1].p, 0.3125, 1e-12);
    CHECK_NEAR(v[1].p_adj, 0.625, 1e-12);
    CHECK(v[2].statistic == 14 && v[2].n == 14);
    CHECK_NEAR(v[2].p, 6.103515625e-05, 1e-15);
    CHECK_NEAR(v[2].p_adj, 0.00018310546875, 1e-15);
    CHECK(v[3].n == 0 && v[3].p == 1.0 && v[3].p_adj == 1.0);
    CHECK(!v[1].dropped && v[2].dropped && !v[3].dropped); /* the tie survives */
    decide(v, &leader, PS_RACE_MCNEMAR, 3); /* too few rounds to drop anything */
    CHECK(!v[1].dropped && !v[2].dropped && !v[3].dropped);
    CHECK_NEAR(v[2].p_adj, 0.00018310546875, 1e-15);
}

/* The same data, Benjamini–Hochberg: p 0.3125, 6.1e-5, 1 of m = 3 adjust to 0.46875,
 * 1.83e-4 (as Holm's), 1: the same point dropped, the others' adjusted p smaller. */
static void test_decide_bh(void)
{
    ps_race_verdict v[4];
    int32_t leader;
    decide_with(v, &leader, PS_RACE_MCNEMAR, 2, PS_RACE_BH);
    CHECK_EQ_INT(leader, 0);
    CHECK_NEAR(v[1].p_adj, 0.46875, 1e-12);
    CHECK_NEAR(v[2].p_adj, 0.00018310546875, 1e-15);
    CHECK(v[3].p_adj == 1.0);
    CHECK(!v[1].dropped && v[2].dropped && !v[3].dropped);
}

static void test_decide_corrected_t(void)
{
    ps_race_verdict v[4];
    int32_t leader;
    decide(v, &leader, PS_RACE_T_CORRECTED, 2);
    CHECK_EQ_INT(leader, 0);
    CHECK_NEAR(v[1].statistic, 0.816496580927726, 1e-12);
    CHECK_NEAR(v[1].p, 0.28204710842448755, 1e-12);
    CHECK_NEAR(v[2].statistic, 25.311394008759486, 1e-10);
    CHECK_NEAR(v[2].p, 0.012569217922878451, 1e-12);
    CHECK(v[3].p == 1.0);
    /* Holm over 3: 0.0377 for point 2, which is then dropped; 1 and 3 survive */
    CHECK_NEAR(v[2].p_adj, 3 * 0.012569217922878451, 1e-12);
    CHECK(!v[1].dropped && v[2].dropped && !v[3].dropped);
}

static void test_names(void)
{
    ps_race_test t;
    CHECK_EQ_INT(ps_race_test_parse(&t, "t-corrected"), 0);
    CHECK_EQ_INT(t, PS_RACE_T_CORRECTED);
    CHECK_EQ_INT(ps_race_test_parse(&t, "mcnemar"), 0);
    CHECK_EQ_INT(t, PS_RACE_MCNEMAR);
    CHECK_EQ_INT(ps_race_test_parse(&t, "wilcoxon"), PS_EINVAL);
    CHECK(!strcmp(ps_race_test_name(PS_RACE_T_CORRECTED), "t-corrected"));
}

/* The planning estimate: 48 points, 5 rounds, min_folds 2, half survive each decision:
 * 48 + 48 + 24 + 12 + 6; never fewer than one point. */
static void test_expected_tasks(void)
{
    CHECK_NEAR(ps_race_expected_tasks(48, 5, 2, 0.5), 138.0, 1e-12);
    CHECK_NEAR(ps_race_expected_tasks(4, 5, 1, 0.1), 4 + 1 + 1 + 1 + 1, 1e-12);
    CHECK_NEAR(ps_race_expected_tasks(10, 5, 2, 1.0), 50.0, 1e-12);
}

CHECK_MAIN(T(test_expected_tasks), T(test_mcnemar_reference), T(test_corrected_t_reference), T(test_holm_reference),
           T(test_bh_reference), T(test_decide_mcnemar), T(test_decide_bh),
           T(test_decide_corrected_t), T(test_names))
