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
    CHECK(expect_fail(ps_idx_read_images(&img, p, &err), &err, PS_EINVAL, p, "does not exist"));
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
    CHECK_EQ_INT(m.train.n, 60000);
    CHECK_EQ_INT(m.test.n, 10000);
    /* The first training image is a 5, the first test image a 7 (MNIST's well-known heads). */
    CHECK_EQ_INT(m.train.y[0], 5);
    CHECK_EQ_INT(m.test.y[0], 7);
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

/* A directory NAME of synthetic MNIST files (write_images' pixels, labels i % 10): n_train and
 * n_test 28×28 images, gzip when gz. Returns the directory. */
static const char *synth_mnist_dir(const char *name, uint32_t n_train, uint32_t n_test, int gz)
{
    static char dir[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(dir[k], sizeof dir[k], "%s/%s", tmpdir, name);
    mkdir(dir[k], 0755);
    const char *ext = gz ? ".gz" : "";
    char p[600];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte%s", dir[k], ext);
    write_images(p, 0x803, n_train, n_train, 28, 28, 0, gz);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte%s", dir[k], ext);
    write_labels(p, n_train, gz, 0);
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte%s", dir[k], ext);
    write_images(p, 0x803, n_test, n_test, 28, 28, 0, gz);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte%s", dir[k], ext);
    write_labels(p, n_test, gz, 0);
    return dir[k];
}

/* The 2×2 sum at (r, c) of image i of write_images, from its formula. */
static int synth_sum(int i, int r, int c)
{
    int s = 0;
    for (int dr = 0; dr < 2; dr++)
        for (int dc = 0; dc < 2; dc++)
            s += (i * 7 + (2 * r + dr) * 3 + (2 * c + dc)) & 255;
    return s;
}

/* ps_mnist_load streams and pools the images block by block (here 130 and 67 images: full
 * blocks and a partial one); the sums must be those of the pixels' formula, the same from raw
 * and gzip files, and the SHA-256 that of each file on disk. */
static void test_mnist_load_streamed_raw_and_gzip(void)
{
    const char *draw = synth_mnist_dir("synth-raw", 130, 67, 0);
    const char *dgz = synth_mnist_dir("synth-gz", 130, 67, 1);
    ps_mnist a, b;
    ps_err err = {0};
    int rc = ps_mnist_load(&a, draw, &err);
    CHECK_EQ_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    rc = ps_mnist_load(&b, dgz, &err);
    CHECK_EQ_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "%s\n", err.msg);
        ps_mnist_free(&a);
        return;
    }
    CHECK_EQ_INT(a.train.n, 130); CHECK_EQ_INT(a.test.n, 67);
    CHECK_EQ_INT(b.train.n, 130); CHECK_EQ_INT(b.test.n, 67);
    int bad = 0;
    for (int set = 0; set < 2; set++) {
        const ps_pooled *pa = set ? &a.test : &a.train, *pb = set ? &b.test : &b.train;
        for (int i = 0; i < pa->n; i++) {
            uint16_t xa[PS_IMG_PIXELS], xb[PS_IMG_PIXELS];
            ps_pooled_image(xa, pa, i);
            ps_pooled_image(xb, pb, i);
            bad += pa->y[i] != i % 10;
            bad += pb->y[i] != i % 10;
            for (int r = 0; r < PS_IMG; r++)
                for (int c = 0; c < PS_IMG; c++) {
                    bad += xa[r * PS_IMG + c] != synth_sum(i, r, c);
                    bad += xb[r * PS_IMG + c] != synth_sum(i, r, c);
                }
        }
    }
    CHECK_EQ_INT(bad, 0);
    for (int i = 0; i < 4; i++) {
        char want[65];
        CHECK_EQ_INT(ps_sha256_file(want, a.path[i], &err), 0);
        CHECK(strcmp(a.sha256[i], want) == 0);
        CHECK_EQ_INT(ps_sha256_file(want, b.path[i], &err), 0);
        CHECK(strcmp(b.sha256[i], want) == 0);
        CHECK(strcmp(a.sha256[i], b.sha256[i]) != 0); /* the files differ, their content not */
    }
    ps_mnist_free(&a);
    ps_mnist_free(&b);
}

/* Broken image files found while streaming (after the header and the labels were accepted)
 * fail the load with one line naming the file. */
static void test_mnist_load_stream_errors(void)
{
    static const struct { uint32_t hdr_n, n; size_t cut; int gz; const char *what; } cases[] = {
        {100, 100, 1000, 0, "truncated"},  /* ends inside image 98 */
        {100, 100, 1000, 1, "truncated"},
        {100, 101, 0, 0, "longer"},        /* one image more than the header says */
        {100, 101, 0, 1, "longer"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char name[32];
        snprintf(name, sizeof name, "broken%zu", k);
        const char *d = synth_mnist_dir(name, 100, 20, cases[k].gz);
        char p[600];
        snprintf(p, sizeof p, "%s/train-images-idx3-ubyte%s", d, cases[k].gz ? ".gz" : "");
        write_images(p, 0x803, cases[k].hdr_n, cases[k].n, 28, 28, cases[k].cut, cases[k].gz);
        ps_mnist m;
        ps_err err = {0};
        CHECK(expect_fail(ps_mnist_load(&m, d, &err), &err, PS_EFORMAT, p, cases[k].what));
    }
    /* images that are not 28 × 28 are refused at the header */
    const char *d = synth_mnist_dir("not28", 10, 10, 0);
    char p[600];
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", d);
    write_images(p, 0x803, 10, 10, 14, 56, 0, 0);
    ps_mnist m;
    ps_err err = {0};
    CHECK(expect_fail(ps_mnist_load(&m, d, &err), &err, PS_EFORMAT, p, "28 x 28"));
}

/* The stream's own contract: reads in order up to n, finish checks everything was read. */
static void test_idx_stream(void)
{
    const char *p = tmp_path("stream.idx.gz");
    write_images(p, 0x803, 7, 7, 4, 6, 0, 1);
    ps_idx_stream s;
    ps_err err = {0};
    uint8_t buf[7 * 24];
    CHECK_EQ_INT(ps_idx_stream_open(&s, p, &err), 0);
    CHECK_EQ_INT(s.n, 7); CHECK_EQ_INT(s.rows, 4); CHECK_EQ_INT(s.cols, 6);
    CHECK_EQ_INT(ps_idx_stream_read(&s, buf, 3, &err), 0);
    CHECK_EQ_INT(ps_idx_stream_read(&s, buf + 3 * 24, 2, &err), 0);
    CHECK(expect_fail(ps_idx_stream_read(&s, buf, 3, &err), &err, PS_EINVAL, p, "5 of 7"));
    CHECK_EQ_INT(ps_idx_stream_read(&s, buf + 5 * 24, 2, &err), 0);
    int bad = 0;
    for (int i = 0; i < 7; i++)
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 6; c++)
                bad += buf[(i * 4 + r) * 6 + c] != ((i * 7 + r * 3 + c) & 255);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(ps_idx_stream_finish(&s, &err), 0);
    CHECK(s.gz == NULL);
    ps_idx_stream_close(&s); /* closing twice is harmless */
    CHECK_EQ_INT(ps_idx_stream_open(&s, p, &err), 0);
    CHECK_EQ_INT(ps_idx_stream_read(&s, buf, 6, &err), 0);
    CHECK(expect_fail(ps_idx_stream_finish(&s, &err), &err, PS_EINVAL, p, "6 of 7"));
    CHECK(s.gz == NULL);
    p = tmp_path("stream-magic.idx");
    write_images(p, 0x801, 7, 7, 4, 6, 0, 0);
    CHECK(expect_fail(ps_idx_stream_open(&s, p, &err), &err, PS_EFORMAT, p, "magic"));
    CHECK(s.gz == NULL);
    ps_idx_stream_close(&s); /* a failed open leaves the stream closed */
}

/* The real files: image i's pooled sums against the file's bytes read here by hand (gzseek to
 * the image, works for raw and gzip files alike), for images at both ends and in between. */
static void test_real_mnist_hand_pooled(void)
{
    const char *dir = getenv("PS_MNIST_DIR");
    CHECK(dir != NULL);
    if (!dir)
        return;
    ps_mnist m;
    ps_err err = {0};
    int rc = ps_mnist_load(&m, dir, &err);
    CHECK_EQ_INT(rc, 0);
    if (rc)
        return;
    static const int train_idx[] = {0, 1, 63, 64, 12345, 59999};
    static const int test_idx[] = {0, 4321, 9999};
    int bad = 0, checked = 0;
    for (int set = 0; set < 2; set++) {
        gzFile f = gzopen(m.path[set ? 2 : 0], "rb");
        CHECK(f != NULL);
        if (!f)
            continue;
        const int *idx = set ? test_idx : train_idx;
        int count = set ? 3 : 6;
        for (int k = 0; k < count; k++) {
            unsigned char img[28 * 28];
            CHECK(gzseek(f, 16 + (z_off_t)idx[k] * 784, SEEK_SET) >= 0);
            CHECK_EQ_INT(gzread(f, img, sizeof img), (int)sizeof img);
            uint16_t x[PS_IMG_PIXELS];
            ps_pooled_image(x, set ? &m.test : &m.train, idx[k]);
            for (int r = 0; r < 14; r++)
                for (int c = 0; c < 14; c++) {
                    int sum = img[2 * r * 28 + 2 * c] + img[2 * r * 28 + 2 * c + 1] +
                              img[(2 * r + 1) * 28 + 2 * c] + img[(2 * r + 1) * 28 + 2 * c + 1];
                    bad += x[r * 14 + c] != sum;
                    checked++;
                }
        }
        gzclose(f);
    }
    CHECK_EQ_INT(checked, 9 * PS_IMG_PIXELS);
    CHECK_EQ_INT(bad, 0);
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
        T(test_pool_hand_computed), T(test_pooled_round_trip), T(test_pairs_pixels_exact),
        T(test_pairs_rule_and_reproducibility), T(test_normalize),
        T(test_folds_disjoint_complete), T(test_subset), T(test_real_mnist), T(test_missing_dir),
        T(test_image_label_count_mismatch), T(test_mnist_load_streamed_raw_and_gzip),
        T(test_mnist_load_stream_errors), T(test_idx_stream), T(test_real_mnist_hand_pooled),
    };
    int rc = check_run(tests, (int)(sizeof tests / sizeof tests[0]));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
