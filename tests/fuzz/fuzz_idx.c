/* libFuzzer harness: the MNIST idx reader (ps_idx_read_images, the streaming ps_idx_stream_*
 * that ps_mnist_load uses, and ps_idx_read_labels, raw or gzip). The readers take a path, so
 * each input is written to a file in /dev/shm (or $TMPDIR) and read with each. Besides crashes, sanitizer reports and leaks (or a huge allocation: a
 * header that lies about the counts), it checks the contract: success means a consistent
 * result; failure means PS_EIO/PS_EFORMAT with one line naming the file. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pairsweep/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken contract: say which (the check-fuzz log shows it), then crash so libFuzzer keeps
 * the input. */
#define BROKEN(why, msg) \
    do { \
        fprintf(stderr, "fuzz_idx: CONTRACT BROKEN: %s: %s\n", why, msg); \
        __builtin_trap(); \
    } while (0)

static char path[256];

static void make_path(void)
{
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/ps-fuzz-idx-%ld", dir ? dir : "/tmp", (long)getpid());
}

static void check_message(const ps_err *err, int rc)
{
    if (rc != PS_EFORMAT && rc != PS_EIO)
        BROKEN("unexpected error code", err->msg);
    if (strncmp(err->msg, path, strlen(path)) != 0 || strchr(err->msg, '\n'))
        BROKEN("the message is not one line starting with the file name", err->msg);
}

/* The streaming reader (what ps_mnist_load uses), a few images at a time, must agree with the
 * whole-file reader: the same verdict, the same bytes, and on failure a proper message. */
static void check_stream(int whole_rc, const ps_idx_images *img)
{
    ps_idx_stream s;
    ps_err err;
    memset(&err, 0, sizeof err);
    int rc = ps_idx_stream_open(&s, path, &err);
    size_t image = rc ? 0 : (size_t)s.rows * (size_t)s.cols;
    uint8_t *buf = rc ? NULL : malloc(3 * image);
    if (!rc && !buf) {
        ps_idx_stream_close(&s);
        return; /* an image too large to hold three of: nothing to compare */
    }
    for (int32_t i = 0; !rc && i < s.n; i += 3) {
        int32_t k = s.n - i < 3 ? s.n - i : 3;
        rc = ps_idx_stream_read(&s, buf, k, &err);
        if (!rc && whole_rc == 0 && memcmp(buf, img->pixels + (size_t)i * image, (size_t)k * image))
            BROKEN("the stream read other bytes than the whole-file reader", path);
    }
    if (!rc)
        rc = ps_idx_stream_finish(&s, &err);
    else
        ps_idx_stream_close(&s); /* also after a failed open: it leaves s closed */
    free(buf);
    if ((rc == 0) != (whole_rc == 0))
        BROKEN("the stream and the whole-file reader disagree", err.msg[0] ? err.msg : path);
    if (rc)
        check_message(&err, rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0])
        make_path();
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);

    ps_idx_images img;
    ps_idx_labels lab;
    ps_err err;
    memset(&err, 0, sizeof err);
    int rc = ps_idx_read_images(&img, path, &err);
    if (rc == 0) {
        if (img.n < 1 || img.rows < 1 || img.cols < 1 || img.rows > 1024 || img.cols > 1024)
            BROKEN("implausible dimensions accepted", path);
        /* touch every pixel: the buffer must really hold n x rows x cols bytes */
        unsigned sum = 0;
        for (size_t i = 0; i < (size_t)img.n * (size_t)img.rows * (size_t)img.cols; i++)
            sum += img.pixels[i];
        if (img.rows % 2 == 0 && img.cols % 2 == 0 && img.n <= 64) {
            uint16_t *pooled = malloc((size_t)img.n * (size_t)(img.rows / 2) *
                                      (size_t)(img.cols / 2) * sizeof(uint16_t));
            if (pooled)
                ps_pool2x2_sum(pooled, img.pixels, img.n, img.rows, img.cols);
            free(pooled);
        }
        (void)sum;
    } else {
        check_message(&err, rc);
    }
    check_stream(rc, &img);
    if (rc == 0)
        ps_idx_images_free(&img);
    memset(&err, 0, sizeof err);
    rc = ps_idx_read_labels(&lab, path, &err);
    if (rc == 0) {
        if (lab.n < 1)
            BROKEN("no labels accepted", path);
        for (int32_t i = 0; i < lab.n; i++)
            if (lab.labels[i] > 9)
                BROKEN("a label outside 0..9 accepted", path);
        ps_idx_labels_free(&lab);
    } else {
        check_message(&err, rc);
    }
    unlink(path);
    return 0;
}
