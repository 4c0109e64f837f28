/* Digit pairs as in EE-559's generate_pair_sets: a random permutation of the images, the
 * first 2N form N pairs (2i, 2i+1), target 1 when digit 1 ≤ digit 2. The pooled images are
 * sparse 2×2 sums of bytes; they become float pixels (sum / 4, exact) here. */
#include "pairsweep/data.h"
#include "pairsweep/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int pairs_alloc(ps_pairs *p, int32_t n, ps_err *err)
{
    memset(p, 0, sizeof *p);
    p->x = malloc((size_t)n * 2 * PS_IMG_PIXELS * sizeof(float));
    p->target = malloc((size_t)n * sizeof(int32_t));
    p->classes = malloc((size_t)n * 2 * sizeof(int32_t));
    if (!p->x || !p->target || !p->classes) {
        ps_pairs_free(p);
        return ps_err_set(err, PS_ENOMEM, "out of memory for %d pairs", n);
    }
    p->n = n;
    return 0;
}

int ps_pairs_make(ps_pairs *out, const ps_pooled *set, int32_t n, uint64_t seed, ps_err *err)
{
    int32_t m = set->n;
    if (n <= 0 || (int64_t)2 * n > m)
        return ps_err_set(err, PS_EINVAL, "cannot make %d pairs from %d images (need 1..%d)", n,
                          m, m / 2);
    int32_t *perm = malloc((size_t)m * sizeof(int32_t));
    if (!perm)
        return ps_err_set(err, PS_ENOMEM, "out of memory for a permutation of %d", m);
    ps_pairs p;
    int rc = pairs_alloc(&p, n, err);
    if (rc) {
        free(perm);
        return rc;
    }
    for (int32_t i = 0; i < m; i++)
        perm[i] = i;
    ps_rng rng;
    ps_rng_seed(&rng, seed, 0x70616972u /* "pair" */);
    ps_rng_shuffle(&rng, perm, m);
    uint16_t sum[PS_IMG_PIXELS]; /* (14, 14) */
    for (int32_t i = 0; i < n; i++) {
        for (int d = 0; d < 2; d++) {
            int32_t src = perm[2 * i + d];
            float *dst = p.x + ((size_t)2 * i + d) * PS_IMG_PIXELS; /* (14, 14) */
            ps_pooled_image(sum, set, src);
            for (int k = 0; k < PS_IMG_PIXELS; k++)
                dst[k] = ps_pool_pixel(sum[k]);
            p.classes[2 * i + d] = set->y[src];
        }
        p.target[i] = p.classes[2 * i] <= p.classes[2 * i + 1];
    }
    free(perm);
    *out = p;
    return 0;
}

int ps_pairs_make_train_test(ps_pairs *train, ps_pairs *test, const ps_mnist *m,
                             int32_t n_train, int32_t n_test, uint64_t seed, ps_err *err)
{
    ps_pairs a, b;
    int rc = ps_pairs_make(&a, &m->train, n_train, ps_seed_derive(seed, "train pairs"), err);
    if (rc)
        return rc;
    rc = ps_pairs_make(&b, &m->test, n_test, ps_seed_derive(seed, "test pairs"), err);
    if (rc) {
        ps_pairs_free(&a);
        return rc;
    }
    *train = a;
    *test = b;
    return 0;
}

int ps_pairs_subset(ps_pairs *out, const ps_pairs *src, const int32_t *idx, int32_t n,
                    ps_err *err)
{
    for (int32_t i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= src->n)
            return ps_err_set(err, PS_EINVAL, "pair index %d outside 0..%d", idx[i], src->n - 1);
    ps_pairs p;
    int rc = pairs_alloc(&p, n, err);
    if (rc)
        return rc;
    for (int32_t i = 0; i < n; i++) {
        int32_t s = idx[i];
        memcpy(p.x + (size_t)i * 2 * PS_IMG_PIXELS, src->x + (size_t)s * 2 * PS_IMG_PIXELS,
               2 * PS_IMG_PIXELS * sizeof(float));
        p.target[i] = src->target[s];
        p.classes[2 * i] = src->classes[2 * s];
        p.classes[2 * i + 1] = src->classes[2 * s + 1];
    }
    *out = p;
    return 0;
}

void ps_pairs_free(ps_pairs *p)
{
    free(p->x);
    free(p->target);
    free(p->classes);
    memset(p, 0, sizeof *p);
}

void ps_pairs_stats(const ps_pairs *p, float *mean, float *std)
{
    /* Accumulate in double: 2·10^5 pixels summed in float would lose digits. */
    size_t len = (size_t)p->n * 2 * PS_IMG_PIXELS;
    double s = 0, s2 = 0;
    for (size_t i = 0; i < len; i++) {
        s += p->x[i];
        s2 += (double)p->x[i] * p->x[i];
    }
    double mu = len ? s / (double)len : 0.0;
    double var = len ? s2 / (double)len - mu * mu : 0.0;
    *mean = (float)mu;
    *std = (float)sqrt(var > 0 ? var : 0);
}

void ps_pairs_normalize(ps_pairs *p, float mean, float std)
{
    size_t len = (size_t)p->n * 2 * PS_IMG_PIXELS;
    float inv = std > 0 ? 1.0f / std : 1.0f;
    for (size_t i = 0; i < len; i++)
        p->x[i] = (p->x[i] - mean) * inv;
}

int ps_folds_make(int32_t *fold, int32_t n, int32_t k, uint64_t seed, ps_err *err)
{
    if (k < 2 || k > n)
        return ps_err_set(err, PS_EINVAL, "cannot split %d items into %d folds (need 2..%d)", n,
                          k, n);
    int32_t *perm = malloc((size_t)n * sizeof(int32_t));
    if (!perm)
        return ps_err_set(err, PS_ENOMEM, "out of memory for %d fold indices", n);
    for (int32_t i = 0; i < n; i++)
        perm[i] = i;
    ps_rng rng;
    ps_rng_seed(&rng, seed, 0x666f6c64u /* "fold" */);
    ps_rng_shuffle(&rng, perm, n);
    /* Position j of the permutation goes to fold j mod k: the sizes of ps_fold_size. */
    for (int32_t j = 0; j < n; j++)
        fold[perm[j]] = j % k;
    free(perm);
    return 0;
}

int32_t ps_fold_size(int32_t n, int32_t k, int32_t f)
{
    return n / k + (f < n % k);
}
