/* pairsweep report — the effects the reports argue about: each comparison of the zoo whose
 * two models are in a study, tested on the test, CV and holdout data it has. */
#define _POSIX_C_SOURCE 200809L
#include "effects.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pairsweep/models.h"

typedef struct effect {
    const char *effect;        /* the zoo's label (a static string) */
    char a[PS_NAME_MAX], b[PS_NAME_MAX];
    const char *data;          /* "test", "cv", "holdout" */
    ps_compare cmp;
    double p_holm;
    int ok;
} effect;

static int cmp_obs_key(const obs *x, const obs *y)
{
    return x->fold == y->fold && x->rep == y->rep;
}

/* Compares a and b on one kind of data; returns 0 with e->ok set, or a skip reason. */
static const char *compare(effect *e, const ps_results *r, int phase, int kind)
{
    int32_t ga = phase == PS_PHASE_FINAL ? -1 : study_chosen(r, e->a, kind);
    int32_t gb = phase == PS_PHASE_FINAL ? -1 : study_chosen(r, e->b, kind);
    obs *oa = NULL, *ob = NULL;
    int32_t na = 0, nb = 0;
    if (study_gather(&oa, &na, r, phase, e->a, ga, kind) ||
        study_gather(&ob, &nb, r, phase, e->b, gb, kind)) {
        free(oa);
        free(ob);
        return "out of memory";
    }
    const char *why = NULL;
    if (na == 0 || nb == 0) {
        why = "no finished runs";
    } else {
        double *xa = malloc((size_t)(na + nb) * sizeof *xa), *xb = xa ? xa + na : NULL;
        int32_t m = 0;
        int paired = na == nb;
        for (int32_t i = 0; xa && paired && i < na; i++) {
            int32_t j = 0;
            while (j < nb && !cmp_obs_key(&oa[i], &ob[j]))
                j++;
            if (j == nb) {
                paired = 0;
                break;
            }
            xa[m] = oa[i].acc;
            xb[m++] = ob[j].acc;
        }
        if (!xa) {
            why = "out of memory";
        } else if (kind == SEL_CV) {
            int32_t k = 0;
            for (int32_t i = 0; i < na; i++)
                k = oa[i].fold + 1 > k ? oa[i].fold + 1 : k;
            if (!paired || k < 2)
                why = "the folds of the two models do not match";
            else
                ps_stats_nadeau_bengio(&e->cmp, xa, xb, m, 1.0 / (k - 1));
        } else if (paired) {
            ps_stats_paired(&e->cmp, xa, xb, m);
        } else {
            for (int32_t i = 0; i < na; i++)
                xa[i] = oa[i].acc;
            for (int32_t i = 0; i < nb; i++)
                xb[i] = ob[i].acc;
            ps_stats_welch(&e->cmp, xa, na, xb, nb);
        }
        if (!why && isnan(e->cmp.p))
            why = "too few runs (or no spread) for a test";
        free(xa);
    }
    free(oa);
    free(ob);
    e->ok = why == NULL;
    return why;
}

static int has_model(const char **models, int32_t nm, const char *m)
{
    for (int32_t i = 0; i < nm; i++)
        if (!strcmp(models[i], m))
            return 1;
    return 0;
}

/* The (effect, a, b) pairs of the zoo's comparisons (ps_models_comparisons, one per family
 * and setup for ps_models_families) whose two models are in the study. */
static int effect_pairs(effect **out, int32_t *n, rtable *t, const char **models, int32_t nm)
{
    int32_t nc, nf;
    const ps_model_comparison *cs = ps_models_comparisons(&nc);
    const ps_model_family *fs = ps_models_families(&nf);
    effect *e = calloc((size_t)nc + (size_t)nf * (size_t)nm + 1, sizeof *e);
    if (!e)
        return PS_ENOMEM;
    int32_t k = 0;
    for (int32_t i = 0; i < nc; i++) {
        const ps_model_comparison *c = &cs[i];
        int ha = has_model(models, nm, c->a), hb = has_model(models, nm, c->b);
        if (ha && hb) {
            e[k].effect = c->effect;
            snprintf(e[k].a, PS_NAME_MAX, "%s", c->a);
            snprintf(e[k].b, PS_NAME_MAX, "%s", c->b);
            k++;
        } else if (ha || hb) {
            rt_note(t, "skipped: %s (%s vs %s): %s is not in this study", c->effect, c->a, c->b,
                    ha ? c->b : c->a);
        }
    }
    for (int32_t f = 0; f < nf; f++)
        for (int32_t i = 0; i < nm; i++) {
            const ps_model_family *fa = &fs[f];
            size_t lb = strlen(fa->b_prefix);
            if (strncmp(models[i], fa->b_prefix, lb))
                continue;
            char a[PS_NAME_MAX + 16];
            snprintf(a, sizeof a, "%s%s", fa->a_prefix, models[i] + lb);
            if (!has_model(models, nm, a))
                continue;
            e[k].effect = fa->effect;
            memcpy(e[k].a, a, PS_NAME_MAX - 1); /* fits: has_model found it */
            snprintf(e[k].b, PS_NAME_MAX, "%s", models[i]);
            k++;
        }
    *out = e;
    *n = k;
    return 0;
}

static void effect_row(rtable *t, const effect *e, int machine)
{
    const ps_compare *c = &e->cmp;
    char cmp[128], n[32], v[8][48];
    snprintf(cmp, sizeof cmp, "%s − %s", e->a, e->b);
    snprintf(n, sizeof n, c->n_a == c->n_b && strcmp(c->method, "Welch t") ? "%d" : "%d/%d",
             (int)c->n_a, (int)c->n_b);
    int sig = e->p_holm < 0.05;
    if (machine) {
        double nums[6] = {c->diff, c->ci_lo, c->ci_hi, c->t, c->df, 0};
        for (int q = 0; q < 5; q++)
            fmt_num(v[q], 48, nums[q], 6);
        fmt_p(v[5], 48, c->p, 1);
        fmt_p(v[6], 48, e->p_holm, 1);
        char na[16], nb[16];
        snprintf(na, sizeof na, "%d", (int)c->n_a);
        snprintf(nb, sizeof nb, "%d", (int)c->n_b);
        rt_row(t, (const char *[]){e->effect, e->a, e->b, e->data, c->method, na, nb, v[0],
                                   v[1], v[2], v[3], v[4], v[5], v[6], sig ? "1" : "0"});
        return;
    }
    snprintf(v[0], 48, "%+.2f", c->diff);
    snprintf(v[1], 48, "[%+.2f, %+.2f]", c->ci_lo, c->ci_hi);
    fmt_p(v[2], 48, c->p, 0);
    fmt_p(v[3], 48, e->p_holm, 0);
    rt_row(t, (const char *[]){e->effect, cmp, e->data, c->method, n, v[0], v[1], v[2], v[3],
                               sig ? "significant" : "not significant"});
}

static void effect_sentence(rtable *t, const effect *e)
{
    const ps_compare *c = &e->cmp;
    char p[32];
    fmt_p(p, sizeof p, e->p_holm, 0);
    static const char *const what[] = {"test accuracy", "CV accuracy", "validation accuracy"};
    int w = !strcmp(e->data, "test") ? 0 : !strcmp(e->data, "cv") ? 1 : 2;
    rt_note(t, "%s: %s − %s = %+.1f points [%+.1f, %+.1f] of %s (%s, n = %d%s), p %s%s (Holm), "
            "%s.", e->effect, e->a, e->b, c->diff, c->ci_lo, c->ci_hi, what[w], c->method,
            (int)c->n_a, c->n_a == c->n_b ? "" : " vs other", p[0] == '<' ? "" : "= ", p,
            e->p_holm < 0.05 ? "significant" : "not significant");
}

int effects_table(rtable *t, const ps_results *r, int machine, const char **models, int32_t nm)
{
    static const char *const hcols[] = {"Effect", "Comparison", "Data", "Test", "n",
                                        "Diff. (points)", "95% CI", "p", "p (Holm)", "Verdict",
                                        NULL};
    static const char *const mcols[] = {"effect", "a", "b", "data", "method", "n_a", "n_b",
                                        "diff", "ci_lo", "ci_hi", "t", "df", "p", "p_holm",
                                        "significant", NULL};
    rt_init(t, "effects", "Effects: differences in mean accuracy (a − b, percentage points)",
            machine ? mcols : hcols);
    effect *pairs;
    int32_t np;
    if (effect_pairs(&pairs, &np, t, models, nm))
        return PS_ENOMEM;
    static const struct { const char *data; int phase, kind; } kinds[] = {
        {"test", PS_PHASE_FINAL, SEL_ANY}, {"cv", PS_PHASE_SELECT, SEL_CV},
        {"holdout", PS_PHASE_SELECT, SEL_HOLDOUT}};
    effect *fam = malloc((size_t)(np ? np : 1) * sizeof *fam);
    double *p = malloc((size_t)(np ? np : 1) * 2 * sizeof *p), *adj = p ? p + np : NULL;
    for (int k = 0; fam && p && k < 3; k++) {
        int32_t nf = 0;
        for (int32_t i = 0; i < np; i++) {
            effect e = pairs[i];
            e.data = kinds[k].data;
            const char *why = compare(&e, r, kinds[k].phase, kinds[k].kind);
            if (why && strcmp(why, "no finished runs"))
                rt_note(t, "skipped: %s (%s vs %s) on %s data: %s", e.effect, e.a, e.b, e.data,
                        why);
            if (e.ok) {
                p[nf] = e.cmp.p;
                fam[nf++] = e;
            }
        }
        ps_stats_holm(adj, p, nf); /* Holm within each family of comparisons */
        for (int32_t i = 0; i < nf; i++) {
            fam[i].p_holm = adj[i];
            effect_row(t, &fam[i], machine);
        }
        for (int32_t i = 0; i < nf; i++)
            effect_sentence(t, &fam[i]);
    }
    int rc = fam && p ? 0 : PS_ENOMEM;
    if (t->nrows == 0)
        rt_note(t, "No comparison applies to the models of this study.");
    free(fam);
    free(p);
    free(pairs);
    rt_note(t, "Tests: paired t where the models share seeds (same repetition → same pairs), "
            "Welch otherwise; Nadeau-Bengio corrected resampled t on CV folds (variance × (1/n + "
            "1/(k−1))). Holm's correction within each family (test, cv, holdout); significant "
            "at 0.05 after it.");
    return rc;
}
