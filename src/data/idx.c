/* MNIST idx files, raw or gzip. zlib's gz* functions read both transparently; the file's
 * own first bytes (1f 8b) decide whether it is compressed, not its name. */
#define _POSIX_C_SOURCE 200809L
#include "pairsweep/data.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "pairsweep/path.h"

#define IDX_MAGIC_IMAGES 0x00000803u
#define IDX_MAGIC_LABELS 0x00000801u
#define IDX_MAX_DIM 1024
#define IDX_MAX_ITEMS 100000000

/* zlib's message without the "PATH: " it starts with ("<fd:N>: " for a file opened with
 * gzdopen, as open_idx does). */
static const char *zlib_reason(const char *msg, const char *path)
{
    size_t n = strlen(path);
    if (!msg || !*msg)
        return "zlib error";
    if (!strncmp(msg, path, n) && msg[n] == ':' && msg[n + 1] == ' ')
        return msg + n + 2;
    const char *fd = strstr(msg, ">: ");
    if (!strncmp(msg, "<fd:", 4) && fd)
        return fd + 3;
    return msg;
}

/* Reads exactly len bytes; returns 0, or PS_EFORMAT when the file ends early, or PS_EIO.
 * base and total place these bytes in the part being read, for the message of a truncated
 * file ("promises total bytes, the file has base + what was read"). */
static int read_part(gzFile f, void *buf, size_t len, size_t base, size_t total,
                     const char *path, const char *what, ps_err *err)
{
    size_t done = 0;
    while (done < len) {
        unsigned chunk = (len - done) > (1u << 30) ? (1u << 30) : (unsigned)(len - done);
        int n = gzread(f, (char *)buf + done, chunk);
        int zerr = Z_OK;
        const char *msg = n > 0 ? NULL : gzerror(f, &zerr);
        if (n < 0 || (n == 0 && zerr != Z_OK && zerr != Z_STREAM_END))
            return ps_err_set(err, PS_EFORMAT, "%s: %s (%s)", path,
                              zerr == Z_ERRNO ? "cannot read" : "corrupt gzip data",
                              zerr == Z_ERRNO ? strerror(errno) : zlib_reason(msg, path));
        if (n == 0) {
            if (!strcmp(what, "the header"))
                return ps_err_set(err, PS_EFORMAT, "%s: truncated: %zu bytes, shorter than an "
                                  "idx header", path, base + done);
            return ps_err_set(err, PS_EFORMAT,
                              "%s: truncated: the header promises %zu bytes of %s, the file has %zu",
                              path, total, what, base + done);
        }
        done += (size_t)n;
    }
    return 0;
}

/* Reads the payload of len bytes into a new buffer (*out, malloc'ed). The buffer grows with
 * what the file really holds (from at most 16 MiB, doubling), so that a header that lies about
 * the counts (up to 10^14 bytes) costs an error message, not a failed huge allocation. */
static int read_payload(gzFile f, uint8_t **out, size_t len, const char *path, const char *what,
                        ps_err *err)
{
    size_t cap = len < ((size_t)16 << 20) ? len : ((size_t)16 << 20), done = 0;
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf)
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory for %zu bytes", path, cap);
    for (;;) {
        int rc = read_part(f, buf + done, cap - done, done, len, path, what, err);
        if (rc) {
            free(buf);
            return rc;
        }
        done = cap;
        if (done == len)
            break;
        size_t ncap = cap > len / 2 ? len : 2 * cap;
        uint8_t *nb = realloc(buf, ncap);
        if (!nb) {
            free(buf);
            return ps_err_set(err, PS_ENOMEM, "%s: out of memory for %zu bytes", path, ncap);
        }
        buf = nb;
        cap = ncap;
    }
    *out = buf;
    return 0;
}

static int read_exact(gzFile f, void *buf, size_t len, const char *path, const char *what,
                      ps_err *err)
{
    return read_part(f, buf, len, 0, len, path, what, err);
}

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* After the payload, the file must end: extra bytes mean the header lies about the counts. */
static int expect_eof(gzFile f, const char *path, ps_err *err)
{
    unsigned char extra;
    int n = gzread(f, &extra, 1);
    if (n > 0)
        return ps_err_set(err, PS_EFORMAT,
                          "%s: the file is longer than its header says (trailing data)", path);
    if (n < 0) {
        int zerr = 0;
        const char *msg = gzerror(f, &zerr);
        return ps_err_set(err, PS_EFORMAT, "%s: corrupt gzip data at the end (%s)", path,
                          zlib_reason(msg, path));
    }
    return 0;
}

/* Opens an idx file (path.h: a regular file, else refused without blocking). */
static int open_idx(gzFile *out, const char *path, ps_err *err)
{
    int fd = -1;
    int rc = ps_path_open_read(&fd, path, "an idx file", err);
    if (rc)
        return rc;
    gzFile f = gzdopen(fd, "rb");
    if (!f) {
        close(fd);
        return ps_err_set(err, PS_ENOMEM, "%s: cannot open: out of memory (zlib)", path);
    }
    *out = f;
    return 0;
}

int ps_idx_stream_open(ps_idx_stream *s, const char *path, ps_err *err)
{
    memset(s, 0, sizeof *s);
    gzFile f = NULL;
    int rc = open_idx(&f, path, err);
    if (rc)
        return rc;
    unsigned char hdr[16];
    rc = read_exact(f, hdr, 4, path, "the header", err);
    if (rc)
        goto fail;
    uint32_t magic = be32(hdr);
    if (magic != IDX_MAGIC_IMAGES) {
        rc = ps_err_set(err, PS_EFORMAT,
                        "%s: not an idx3-ubyte image file (magic 0x%08x, expected 0x%08x)", path,
                        magic, IDX_MAGIC_IMAGES);
        goto fail;
    }
    if ((rc = read_exact(f, hdr + 4, 12, path, "the header", err)))
        goto fail;
    uint32_t n = be32(hdr + 4), rows = be32(hdr + 8), cols = be32(hdr + 12);
    if (n == 0 || n > IDX_MAX_ITEMS || rows == 0 || rows > IDX_MAX_DIM || cols == 0 ||
        cols > IDX_MAX_DIM) {
        rc = ps_err_set(err, PS_EFORMAT,
                        "%s: implausible dimensions %u x %u x %u (expected 1..%d images of "
                        "1..%d x 1..%d pixels)",
                        path, n, rows, cols, IDX_MAX_ITEMS, IDX_MAX_DIM, IDX_MAX_DIM);
        goto fail;
    }
    s->gz = f;
    s->path = path;
    s->n = (int32_t)n;
    s->rows = (int32_t)rows;
    s->cols = (int32_t)cols;
    s->done = 0;
    return 0;
fail:
    gzclose(f);
    return rc;
}

int ps_idx_stream_read(ps_idx_stream *s, uint8_t *dst, int32_t count, ps_err *err)
{
    if (count < 0 || count > s->n - s->done)
        return ps_err_set(err, PS_EINVAL, "%s: cannot read %d more images (%d of %d read)",
                          s->path, count, s->done, s->n);
    size_t image = (size_t)s->rows * (size_t)s->cols;
    int rc = read_part((gzFile)s->gz, dst, (size_t)count * image, (size_t)s->done * image,
                       (size_t)s->n * image, s->path, "pixels", err);
    if (!rc)
        s->done += count;
    return rc;
}

int ps_idx_stream_finish(ps_idx_stream *s, ps_err *err)
{
    int rc = s->done == s->n
                 ? expect_eof((gzFile)s->gz, s->path, err)
                 : ps_err_set(err, PS_EINVAL, "%s: closed after %d of %d images", s->path,
                              s->done, s->n);
    ps_idx_stream_close(s);
    return rc;
}

void ps_idx_stream_close(ps_idx_stream *s)
{
    if (s->gz)
        gzclose((gzFile)s->gz);
    memset(s, 0, sizeof *s);
}

int ps_idx_read_images(ps_idx_images *out, const char *path, ps_err *err)
{
    ps_idx_stream s;
    uint8_t *pixels = NULL;
    int rc = ps_idx_stream_open(&s, path, err);
    if (rc)
        return rc;
    size_t len = (size_t)s.n * (size_t)s.rows * (size_t)s.cols;
    if ((rc = read_payload((gzFile)s.gz, &pixels, len, path, "pixels", err))) {
        ps_idx_stream_close(&s);
        return rc;
    }
    s.done = s.n;
    int32_t n = s.n, rows = s.rows, cols = s.cols;
    if ((rc = ps_idx_stream_finish(&s, err))) {
        free(pixels);
        return rc;
    }
    out->n = n;
    out->rows = rows;
    out->cols = cols;
    out->pixels = pixels;
    return 0;
}

int ps_idx_read_labels(ps_idx_labels *out, const char *path, ps_err *err)
{
    gzFile f = NULL;
    int rc = open_idx(&f, path, err);
    if (rc)
        return rc;
    unsigned char hdr[8];
    uint8_t *labels = NULL;
    rc = read_exact(f, hdr, 4, path, "the header", err);
    if (rc)
        goto fail;
    uint32_t magic = be32(hdr);
    if (magic != IDX_MAGIC_LABELS) {
        rc = ps_err_set(err, PS_EFORMAT,
                        "%s: not an idx1-ubyte label file (magic 0x%08x, expected 0x%08x)", path,
                        magic, IDX_MAGIC_LABELS);
        goto fail;
    }
    if ((rc = read_exact(f, hdr + 4, 4, path, "the header", err)))
        goto fail;
    uint32_t n = be32(hdr + 4);
    if (n == 0 || n > IDX_MAX_ITEMS) {
        rc = ps_err_set(err, PS_EFORMAT, "%s: implausible label count %u (expected 1..%d)", path,
                        n, IDX_MAX_ITEMS);
        goto fail;
    }
    if ((rc = read_payload(f, &labels, n, path, "labels", err)) ||
        (rc = expect_eof(f, path, err)))
        goto fail;
    for (uint32_t i = 0; i < n; i++)
        if (labels[i] > 9) {
            rc = ps_err_set(err, PS_EFORMAT, "%s: label %u of item %u is outside 0..9", path,
                            labels[i], i);
            goto fail;
        }
    gzclose(f);
    out->n = (int32_t)n;
    out->labels = labels;
    return 0;
fail:
    free(labels);
    gzclose(f);
    return rc;
}

void ps_idx_images_free(ps_idx_images *img)
{
    free(img->pixels);
    memset(img, 0, sizeof *img);
}

void ps_idx_labels_free(ps_idx_labels *lab)
{
    free(lab->labels);
    memset(lab, 0, sizeof *lab);
}

void ps_pool2x2_sum(uint16_t *dst, const uint8_t *src, int32_t n, int32_t rows, int32_t cols)
{
    int32_t orow = rows / 2, ocol = cols / 2;
    for (int32_t i = 0; i < n; i++) {
        const uint8_t *s = src + (size_t)i * rows * cols;
        uint16_t *d = dst + (size_t)i * orow * ocol;
        for (int32_t r = 0; r < orow; r++)
            for (int32_t c = 0; c < ocol; c++) {
                const uint8_t *p = s + (size_t)(2 * r) * cols + 2 * c;
                d[r * ocol + c] = (uint16_t)(p[0] + p[1] + p[cols] + p[cols + 1]);
            }
    }
}
