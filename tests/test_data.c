/* Tests of src/data: idx reading (raw, gzip, broken files), pooling, pairs, folds, and the
 * real MNIST files of $PS_MNIST_DIR. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "pairsweep/data.h"
#include "pairsweep/rng.h"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

/* Writes an idx3 file of n images rows×cols with pixel (i, r, c) = (i*7 + r*3 + c) & 255,
 * declaring hdr_n images; truncate_by bytes are cut from the end; gz writes gzip. */
static void write_images(const char *path, uint32_t magic, uint32_t hdr_n, uint32_t n,
                         uint32_t rows, uint32_t cols, size_t truncate_by, int gz)
{
    size_t len = 16 + (size_t)n * rows * cols;
    unsigned char *buf = malloc(len);
    put_be32(buf, magic); put_be32(buf + 4, hdr_n); put_be32(buf + 8, rows); put_be32(buf + 12, cols);
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t r = 0; r < rows; r++)
            for (uint32_t c = 0; c < cols; c++)
                buf[16 + ((size_t)i * rows + r) * cols + c] = (unsigned char)((i * 7 + r * 3 + c) & 255);
    len -= truncate_by;
    if (gz) {
        gzFile f = gzopen(path, "wb");
        gzwrite(f, buf, (unsigned)len);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(buf, 1, len, f);
        fclose(f);
    }
    free(buf);
}

static void write_labels(const char *path, uint32_t n, int gz, int bad_label)
{
    unsigned char *buf = malloc(8 + n);
    put_be32(buf, 0x801); put_be32(buf + 4, n);
    for (uint32_t i = 0; i < n; i++)
        buf[8 + i] = (unsigned char)(i % 10);
    if (bad_label)
        buf[8 + n / 2] = 11;
    if (gz) {
        gzFile f = gzopen(path, "wb");
        gzwrite(f, buf, 8 + n);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(buf, 1, 8 + n, f);
        fclose(f);
    }
    free(buf);
}

static void test_idx_raw_and_gzip_agree(void)
{
    write_images(tmp_path("a.idx"), 0x803, 5, 5, 4, 6, 0, 0);
    write_images(tmp_path("a.idx.gz"), 0x803, 5, 5, 4, 6, 0, 1);
    ps_idx_images a = {0}, b = {0};
    ps_err err = {0};
    CHECK_EQ_INT(ps_idx_read_images(&a, tmp_path("a.idx"), &err), 0);
    CHECK_EQ_INT(ps_idx_read_images(&b, tmp_path("a.idx.gz"), &err), 0);
    CHECK_EQ_INT(a.n, 5); CHECK_EQ_INT(a.rows, 4); CHECK_EQ_INT(a.cols, 6);
    CHECK_EQ_INT(b.n, 5);
    CHECK(memcmp(a.pixels, b.pixels, 5 * 4 * 6) == 0);
    CHECK_EQ_INT(a.pixels[(3 * 4 + 2) * 6 + 5], (3 * 7 + 2 * 3 + 5) & 255);
    ps_idx_images_free(&a);
    ps_idx_images_free(&b);
}

/* Expects failure with code and a message naming the file and containing what. */
static int expect_fail(int rc, const ps_err *err, int code, const char *path, const char *what)
{
    if (rc != code) {
        fprintf(stderr, "expected code %d, got %d (%s)\n", code, rc, err->msg);
        return 0;
    }
    if (!strstr(err->msg, path) || !strstr(err->msg, what) || strchr(err->msg, '\n')) {
        fprintf(stderr, "message '%s' should name %s and say '%s' on one line\n", err->msg, path, what);
        return 0;
    }
    return 1;
}

static void test_idx_broken_files(void)
{
    ps_idx_images img = {0};
    ps_idx_labels lab = {0};
    ps_err err = {0};
    const char *p = tmp_path("trunc.idx");
    write_images(p, 0x803, 5, 5, 4, 6, 7, 0);
    CHECK(expect_fail(ps_idx_read_images(&img, p, &err), &err, PS_EFORMAT, p, "truncated"));
    CHECK(img.pixels == NULL);
    p = tmp_path("trunc.idx.gz");
    write_images(p, 0x803, 5, 5, 4, 6, 7, 1);
    CHECK(expect_fail(ps_idx_read_images(&img, p, &err), &err, PS_EFORMAT, p, "truncated"));
    p = tmp_path("magic.idx");
    write_images(p, 0x801, 5, 5, 4, 6, 0, 0);
    CHECK(expect_fail(ps_idx_read_images(&img, p, &err), &err, PS_EFORMAT, p, "magic"));
    p = tmp_path("dims.idx");
    write_images(p, 0x803, 5, 5, 0, 6, 0, 0);
    CHECK(expect_fail(ps_idx_read_images(&img, p, &err), &err, PS_EFORMAT, p, "dimensions"));
    p = tmp_path("count.idx");
    write_images(p, 0x803, 4, 5, 4, 6, 0, 0); /* header says 4, file holds 5 */
    CHECK(expect_fail(ps_idx_read_images(&img, p, &err), &err, PS_EFORMAT, p, "longer"));
    p = tmp_path("count2.idx");
    write_images(p, 0x803, 6, 5, 4, 6, 0, 0); /* header says 6, file holds 5 */
    CHECK(expect_fail(ps_idx_read_images(&img, p, &err), &err, PS_EFORMAT, p, "truncated"));
    p = tmp_path("missing.idx");
    CHECK(expect_fail(ps_idx_read_images(&img, p, &err), &err, PS_EIO, p, "cannot open"));
    p = tmp_path("badlabel.idx");
    write_labels(p, 20, 0, 1);
    CHECK(expect_fail(ps_idx_read_labels(&lab, p, &err), &err, PS_EFORMAT, p, "outside 0..9"));
    CHECK(lab.labels == NULL);
}

static void test_idx_corrupt_gzip(void)
{
    /* A valid gzip whose deflate data is overwritten in the middle. */
    const char *p = tmp_path("corrupt.idx.gz");
    write_images(p, 0x803, 50, 50, 28, 28, 0, 1);
    FILE *f = fopen(p, "r+b");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size / 2, SEEK_SET);
    for (int i = 0; i < 64; i++)
        fputc(0xA5 ^ i, f);
    fclose(f);
    ps_idx_images img = {0};
    ps_err err = {0};
    int rc = ps_idx_read_images(&img, p, &err);
    CHECK_EQ_INT(rc, PS_EFORMAT);
    CHECK_STR_CONTAINS(err.msg, p);
    CHECK(img.pixels == NULL);
}

static void test_pool_hand_computed(void)
{
    /* 2 images of 4×4 → 2×2; values chosen so each average is easy to compute by hand. */
    const uint8_t src[32] = {
        0, 4, 8, 8,     2, 2, 8, 8,     255, 255, 1, 2,   255, 255, 3, 4,
        10, 0, 0, 0,    0, 0, 0, 0,     0, 0, 0, 0,       0, 0, 0, 1,
    };
    float dst[8];
    ps_pool2x2(dst, src, 2, 4, 4);
    const float want[8] = {2.0f, 8.0f, 255.0f, 2.5f, 2.5f, 0.0f, 0.0f, 0.25f};
    for (int i = 0; i < 8; i++)
        CHECK_NEAR(dst[i], want[i], 0.0);
}

/* Synthetic pooled images: image i has every pixel equal to i, label i % 10. */
static void synth(float *x, uint8_t *y, int m)
{
    for (int i = 0; i < m; i++) {
        for (int p = 0; p < PS_IMG_PIXELS; p++)
            x[(size_t)i * PS_IMG_PIXELS + p] = (float)i;
        y[i] = (uint8_t)((i * 7) % 10);
    }
}

static void test_pairs_rule_and_reproducibility(void)
{
    enum { M = 500, N = 200 };
    float *x = malloc(sizeof(float) * M * PS_IMG_PIXELS);
    uint8_t y[M];
    synth(x, y, M);
    ps_pairs a, b, c;
    ps_err err = {0};
    CHECK_EQ_INT(ps_pairs_make(&a, x, y, M, N, 42, &err), 0);
    CHECK_EQ_INT(ps_pairs_make(&b, x, y, M, N, 42, &err), 0);
    CHECK_EQ_INT(ps_pairs_make(&c, x, y, M, N, 43, &err), 0);
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
    CHECK_EQ_INT(ps_pairs_make(&c, x, y, M, M / 2 + 1, 1, &err), PS_EINVAL);
    ps_pairs_free(&a); ps_pairs_free(&b); ps_pairs_free(&c);
    free(x);
}

static void test_normalize(void)
{
    enum { M = 100, N = 30 };
    float *x = malloc(sizeof(float) * M * PS_IMG_PIXELS);
    uint8_t y[M];
    synth(x, y, M);
    ps_pairs a;
    ps_err err = {0};
    CHECK_EQ_INT(ps_pairs_make(&a, x, y, M, N, 5, &err), 0);
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
    float *x = malloc(sizeof(float) * M * PS_IMG_PIXELS);
    uint8_t y[M];
    synth(x, y, M);
    ps_pairs a, s;
    ps_err err = {0};
    CHECK_EQ_INT(ps_pairs_make(&a, x, y, M, N, 5, &err), 0);
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
    free(x);
}

/* The real MNIST files (CI fetches them with scripts/setup.sh): counts, checksums, balance. */
static void test_real_mnist(void)
{
    const char *dir = getenv("PS_MNIST_DIR");
    CHECK(dir != NULL); /* set by the test harness; the data is part of the set-up */
    ps_mnist m;
    ps_err err = {0};
    int rc = ps_mnist_load(&m, dir, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(m.n_train, 60000);
    CHECK_EQ_INT(m.n_test, 10000);
    /* The first training image is a 5, the first test image a 7 (MNIST's well-known heads). */
    CHECK_EQ_INT(m.train_y[0], 5);
    CHECK_EQ_INT(m.test_y[0], 7);
    ps_pairs tr, te;
    CHECK_EQ_INT(ps_pairs_make_train_test(&tr, &te, &m, 1000, 1000, 1, &err), 0);
    int ones = 0;
    for (int i = 0; i < tr.n; i++)
        ones += tr.target[i];
    /* P(d1 <= d2) for uniform digits is 0.55; 1000 pairs keep it within ±0.06 easily. */
    CHECK(ones > 490 && ones < 610);
    ps_pairs_free(&tr);
    ps_pairs_free(&te);
    ps_mnist_free(&m);
}

static void test_missing_dir(void)
{
    ps_mnist m;
    ps_err err = {0};
    CHECK_EQ_INT(ps_mnist_load(&m, tmp_path("nope"), &err), PS_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "nope");
}

static void test_image_label_count_mismatch(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/mm", tmpdir);
    mkdir(dir, 0755);
    char p[600];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", dir); write_images(p, 0x803, 10, 10, 28, 28, 0, 0);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte.gz", dir); write_labels(p, 9, 1, 0);
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", dir); write_images(p, 0x803, 10, 10, 28, 28, 0, 0);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", dir); write_labels(p, 10, 0, 0);
    ps_mnist m;
    ps_err err = {0};
    CHECK_EQ_INT(ps_mnist_load(&m, dir, &err), PS_EFORMAT);
    CHECK_STR_CONTAINS(err.msg, "9 labels");
    CHECK_STR_CONTAINS(err.msg, "train-labels-idx1-ubyte.gz");
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ps_test_data_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    static const check_test tests[] = {
        T(test_idx_raw_and_gzip_agree), T(test_idx_broken_files), T(test_idx_corrupt_gzip),
        T(test_pool_hand_computed), T(test_pairs_rule_and_reproducibility), T(test_normalize),
        T(test_folds_disjoint_complete), T(test_subset), T(test_real_mnist), T(test_missing_dir),
        T(test_image_label_count_mismatch),
    };
    int rc = check_run(tests, (int)(sizeof tests / sizeof tests[0]));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
