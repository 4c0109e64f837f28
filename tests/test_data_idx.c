/* Tests of src/data on files: idx reading (raw, gzip, broken files, the stream), MNIST loading
 * (streamed and pooled, broken directories), and the real MNIST files of $PS_MNIST_DIR. Pooling,
 * pairs and folds in memory are test_data_pairs.c's. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "pairsweep/data.h"

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
        T(test_real_mnist), T(test_missing_dir),
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
