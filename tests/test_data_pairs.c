/* Tests of src/data in memory: pooling to 14×14 (dense and the sparse pooled set), pairs and
 * their rule, normalisation, folds, subsets. The files (idx, MNIST) are test_data_idx.c's. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "pairsweep/data.h"

#include <stdint.h>

static void test_pool_hand_computed(void)
{
    /* 2 images of 4×4 → 2×2 sums; values chosen so each sum is easy to compute by hand. */
    const uint8_t src[32] = {
        0, 4, 8, 8,     2, 2, 8, 8,     255, 255, 1, 2,   255, 255, 3, 4,
        10, 0, 0, 0,    0, 0, 0, 0,     0, 0, 0, 0,       0, 0, 0, 1,
    };
    uint16_t dst[8];
    ps_pool2x2_sum(dst, src, 2, 4, 4);
    const uint16_t want[8] = {8, 32, 1020, 10, 10, 0, 0, 1};
    for (int i = 0; i < 8; i++)
        CHECK_EQ_INT(dst[i], want[i]);
    /* the pixel value is the average: 1020 → 255, 10 → 2.5, 1 → 0.25, exactly */
    CHECK(ps_pool_pixel(1020) == 255.0f);
    CHECK(ps_pool_pixel(10) == 2.5f);
    CHECK(ps_pool_pixel(1) == 0.25f);
}

/* The sparse pooled set gives back exactly the dense sums it was given: images all zero, all
 * 1020 (more non-zero sums than first reserved: the buffer must grow), and mixed; added in
 * uneven parts; the buffer is trimmed when the set is full; bad input leaves it unchanged. */
static void test_pooled_round_trip(void)
{
    enum { M = 300 };
    uint16_t *x = malloc(sizeof(uint16_t) * M * PS_IMG_PIXELS);
    uint8_t y[M];
    for (int i = 0; i < M; i++) {
        for (int p = 0; p < PS_IMG_PIXELS; p++) {
            uint16_t v = (uint16_t)((i * 31 + p * 17) % 1021);
            if (i % 3 == 0)
                v = 0;                         /* a blank image */
            else if (i % 3 == 1)
                v = (p * i) % 5 ? 0 : v;       /* sparse, as MNIST's */
            else if (i % 7 == 2)
                v = 1020;                      /* every sum at its largest */
            x[(size_t)i * PS_IMG_PIXELS + p] = v;
        }
        y[i] = (uint8_t)((i * 3) % 10);
    }
    ps_pooled s;
    ps_err err = {0};
    CHECK_EQ_INT(ps_pooled_init(&s, M, &err), 0);
    int parts[] = {1, 0, 64, 100, 135};
    int at = 0;
    for (int k = 0; k < 5; k++) {
        CHECK_EQ_INT(ps_pooled_add(&s, x + (size_t)at * PS_IMG_PIXELS, y + at, parts[k], &err), 0);
        at += parts[k];
    }
    CHECK_EQ_INT(s.n, M);
    size_t nz = 0;
    for (size_t j = 0; j < (size_t)M * PS_IMG_PIXELS; j++)
        nz += x[j] != 0;
    CHECK_EQ_INT(s.start[M], nz);
    CHECK_EQ_INT(s.sum_cap, (nz + 3) / 4 * 4); /* trimmed */
    CHECK(nz > (size_t)M * 56); /* more than first reserved: it grew */
    int bad = 0;
    for (int i = 0; i < M; i++) {
        uint16_t d[PS_IMG_PIXELS];
        ps_pooled_image(d, &s, i);
        bad += memcmp(d, x + (size_t)i * PS_IMG_PIXELS, sizeof d) != 0;
        bad += s.y[i] != y[i];
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(ps_pooled_bytes(&s) < (size_t)M * PS_IMG_PIXELS * sizeof(uint16_t));
    CHECK_EQ_INT(ps_pooled_add(&s, x, y, 1, &err), PS_EINVAL); /* full */
    ps_pooled_free(&s);
    CHECK_EQ_INT(ps_pooled_init(&s, 4, &err), 0);
    x[5] = 1021;
    CHECK_EQ_INT(ps_pooled_add(&s, x, y, 1, &err), PS_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "1020");
    x[5] = 0;
    y[0] = 10;
    CHECK_EQ_INT(ps_pooled_add(&s, x, y, 1, &err), PS_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "0..9");
    CHECK_EQ_INT(s.n, 0);
    CHECK_EQ_INT(ps_pooled_init(&s, 0, &err), PS_EINVAL);
    ps_pooled_free(&s);
    free(x);
}

/* Synthetic pooled images: image i (< 256) has every 2×2 sum equal to 4i (pixel value i),
 * label (7i) % 10. */
static void synth(uint16_t *x, uint8_t *y, int m)
{
    for (int i = 0; i < m; i++) {
        for (int p = 0; p < PS_IMG_PIXELS; p++)
            x[(size_t)i * PS_IMG_PIXELS + p] = (uint16_t)(4 * i);
        y[i] = (uint8_t)((i * 7) % 10);
    }
}

/* s := a pooled set of the m dense images x (m, 14, 14) and labels y (m), added in two
 * parts. */
static void pooled_of(ps_pooled *s, const uint16_t *x, const uint8_t *y, int m)
{
    ps_err err = {0};
    memset(s, 0, sizeof *s);
    CHECK_EQ_INT(ps_pooled_init(s, m, &err), 0);
    CHECK_EQ_INT(ps_pooled_add(s, x, y, m / 3, &err), 0);
    CHECK_EQ_INT(ps_pooled_add(s, x + (size_t)(m / 3) * PS_IMG_PIXELS, y + m / 3, m - m / 3, &err), 0);
    CHECK_EQ_INT(s->n, m);
}

/* The pairs' float pixels are the sums / 4, bit for bit: image i's sum at pixel 0 is i (to
 * find it again) and (13i + 7p) % 1021 at pixel p > 0; the expected value is computed in
 * double, independently of ps_pool_pixel. */
static void test_pairs_pixels_exact(void)
{
    enum { M = 400, N = 150 };
    uint16_t *x = malloc(sizeof(uint16_t) * M * PS_IMG_PIXELS);
    uint8_t y[M];
    for (int i = 0; i < M; i++) {
        x[(size_t)i * PS_IMG_PIXELS] = (uint16_t)i;
        for (int p = 1; p < PS_IMG_PIXELS; p++)
            x[(size_t)i * PS_IMG_PIXELS + p] = (uint16_t)((13 * i + 7 * p) % 1021);
        y[i] = (uint8_t)(i % 10);
    }
    ps_pooled set;
    pooled_of(&set, x, y, M);
    ps_pairs a;
    ps_err err = {0};
    CHECK_EQ_INT(ps_pairs_make(&a, &set, N, 3, &err), 0);
    int bad = 0;
    for (int j = 0; j < 2 * N; j++) {
        const float *img = a.x + (size_t)j * PS_IMG_PIXELS;
        int i = (int)(img[0] * 4.0f);
        CHECK(i >= 0 && i < M);
        if (i < 0 || i >= M)
            continue;
        CHECK_EQ_INT(a.classes[j], y[i]);
        for (int p = 1; p < PS_IMG_PIXELS; p++) {
            float want = (float)((double)((13 * i + 7 * p) % 1021) / 4.0);
            bad += memcmp(&img[p], &want, sizeof want) != 0;
        }
    }
    CHECK_EQ_INT(bad, 0);
    ps_pairs_free(&a);
    ps_pooled_free(&set);
    free(x);
}

static void test_pairs_rule_and_reproducibility(void)
{
    enum { M = 250, N = 100 };
    uint16_t *x = malloc(sizeof(uint16_t) * M * PS_IMG_PIXELS);
    uint8_t y[M];
    synth(x, y, M);
    ps_pooled set;
    pooled_of(&set, x, y, M);
    ps_pairs a, b, c;
    ps_err err = {0};
    CHECK_EQ_INT(ps_pairs_make(&a, &set, N, 42, &err), 0);
    CHECK_EQ_INT(ps_pairs_make(&b, &set, N, 42, &err), 0);
    CHECK_EQ_INT(ps_pairs_make(&c, &set, N, 43, &err), 0);
    CHECK(memcmp(a.x, b.x, sizeof(float) * N * 2 * PS_IMG_PIXELS) == 0);
    CHECK(memcmp(a.target, b.target, sizeof(int32_t) * N) == 0);
    CHECK(memcmp(a.x, c.x, sizeof(float) * N * 2 * PS_IMG_PIXELS) != 0);
    int used[M] = {0};
    int ones = 0;
    for (int i = 0; i < N; i++) {
        int i1 = (int)a.x[(size_t)(2 * i) * PS_IMG_PIXELS];
        int i2 = (int)a.x[(size_t)(2 * i + 1) * PS_IMG_PIXELS];
        CHECK_EQ_INT(a.classes[2 * i], y[i1]);
        CHECK_EQ_INT(a.classes[2 * i + 1], y[i2]);
        CHECK_EQ_INT(a.target[i], y[i1] <= y[i2] ? 1 : 0);
        used[i1]++;
        used[i2]++;
        ones += a.target[i];
    }
    for (int i = 0; i < M; i++)
        CHECK(used[i] <= 1); /* no image appears twice: pairs come from one permutation */
    CHECK(ones > 0 && ones < N);
    CHECK_EQ_INT(ps_pairs_make(&c, &set, M / 2 + 1, 1, &err), PS_EINVAL);
    ps_pairs_free(&a); ps_pairs_free(&b); ps_pairs_free(&c);
    ps_pooled_free(&set);
    free(x);
}

static void test_normalize(void)
{
    enum { M = 100, N = 30 };
    uint16_t *x = malloc(sizeof(uint16_t) * M * PS_IMG_PIXELS);
    uint8_t y[M];
    synth(x, y, M);
    ps_pooled set;
    pooled_of(&set, x, y, M);
    ps_pairs a;
    ps_err err = {0};
    CHECK_EQ_INT(ps_pairs_make(&a, &set, N, 5, &err), 0);
    float mean, std;
    ps_pairs_stats(&a, &mean, &std);
    /* independent: the mean of the 2N image indices (every pixel of an image is its index) */
    double s = 0, s2 = 0;
    for (int i = 0; i < 2 * N; i++) {
        double v = a.x[(size_t)i * PS_IMG_PIXELS];
        s += v; s2 += v * v;
    }
    double mu = s / (2 * N), sd = sqrt(s2 / (2 * N) - mu * mu);
    CHECK_NEAR(mean, mu, 1e-3);
    CHECK_NEAR(std, sd, 1e-3);
    ps_pairs_normalize(&a, mean, std);
    float m2, s2n;
    ps_pairs_stats(&a, &m2, &s2n);
    CHECK_NEAR(m2, 0.0, 1e-5);
    CHECK_NEAR(s2n, 1.0, 1e-5);
    ps_pairs_free(&a);
    ps_pooled_free(&set);
    free(x);
}

static void test_folds_disjoint_complete(void)
{
    enum { N = 1003, K = 5 };
    int32_t f[N], g[N], h[N];
    ps_err err = {0};
    CHECK_EQ_INT(ps_folds_make(f, N, K, 9, &err), 0);
    CHECK_EQ_INT(ps_folds_make(g, N, K, 9, &err), 0);
    CHECK_EQ_INT(ps_folds_make(h, N, K, 10, &err), 0);
    int size[K] = {0};
    for (int i = 0; i < N; i++) {
        CHECK(f[i] >= 0 && f[i] < K);
        size[f[i]]++;
    }
    int total = 0;
    for (int k = 0; k < K; k++) {
        CHECK(size[k] == N / K || size[k] == N / K + 1);
        total += size[k];
    }
    CHECK_EQ_INT(total, N); /* each item in exactly one fold: disjoint and complete */
    CHECK(memcmp(f, g, sizeof f) == 0);
    CHECK(memcmp(f, h, sizeof f) != 0);
    CHECK_EQ_INT(ps_folds_make(f, N, 1, 9, &err), PS_EINVAL);
}

static void test_subset(void)
{
    enum { M = 100, N = 20 };
    uint16_t *x = malloc(sizeof(uint16_t) * M * PS_IMG_PIXELS);
    uint8_t y[M];
    synth(x, y, M);
    ps_pooled set;
    pooled_of(&set, x, y, M);
    ps_pairs a, s;
    ps_err err = {0};
    CHECK_EQ_INT(ps_pairs_make(&a, &set, N, 5, &err), 0);
    int32_t idx[3] = {4, 0, 19};
    CHECK_EQ_INT(ps_pairs_subset(&s, &a, idx, 3, &err), 0);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(s.target[i], a.target[idx[i]]);
        CHECK(memcmp(s.x + (size_t)i * 2 * PS_IMG_PIXELS, a.x + (size_t)idx[i] * 2 * PS_IMG_PIXELS,
                     sizeof(float) * 2 * PS_IMG_PIXELS) == 0);
    }
    int32_t bad = 20;
    CHECK_EQ_INT(ps_pairs_subset(&s, &a, &bad, 1, &err), PS_EINVAL);
    ps_pairs_free(&a);
    ps_pairs_free(&s);
    ps_pooled_free(&set);
    free(x);
}

CHECK_MAIN(T(test_pool_hand_computed), T(test_pooled_round_trip), T(test_pairs_pixels_exact),
           T(test_pairs_rule_and_reproducibility), T(test_normalize),
           T(test_folds_disjoint_complete), T(test_subset))
