/* Pooled images kept sparse: per image a mask of its non-zero 2×2 sums (one uint16 a row) and
 * those sums in row order, 10 bits each (a byte of low bits, and 2 high bits packed 4 a byte).
 * MNIST's 70000 images take 6.7 MB this way instead of 27 MB as dense uint16 sums (55 MB as
 * floats). */
#include "pairsweep/data.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Sums per image reserved at first: MNIST's images have 50 non-zero 2×2 sums on average. */
#define SUMS_PER_IMAGE 56 /* a multiple of 4 */
/* ... but at most this many at first (a huge label count must not cost a huge allocation
 * before a single image was read); the buffer grows by half when full. */
#define SUMS_FIRST_MAX ((size_t)1 << 22) /* a multiple of 4 */

int ps_pooled_init(ps_pooled *s, int32_t cap, ps_err *err)
{
    if (cap < 1 || cap == INT32_MAX)
        return ps_err_set(err, PS_EINVAL, "pooled images: room for %d images, expected 1..%d",
                          cap, INT32_MAX - 1);
    ps_pooled t;
    memset(&t, 0, sizeof t);
    t.cap = cap;
    t.sum_cap = (size_t)cap * SUMS_PER_IMAGE;
    if (t.sum_cap > SUMS_FIRST_MAX)
        t.sum_cap = SUMS_FIRST_MAX;
    t.y = malloc((size_t)cap);
    t.mask = malloc((size_t)cap * PS_IMG * sizeof *t.mask);
    t.start = malloc(((size_t)cap + 1) * sizeof *t.start);
    t.lo = malloc(t.sum_cap);
    t.hi = malloc(t.sum_cap / 4);
    if (!t.y || !t.mask || !t.start || !t.lo || !t.hi) {
        ps_pooled_free(&t);
        return ps_err_set(err, PS_ENOMEM, "pooled images: out of memory for %d images", cap);
    }
    t.start[0] = 0;
    *s = t;
    return 0;
}

/* Gives lo and hi room for ncap sums (a multiple of 4, ≥ what they hold); returns 0 or
 * PS_ENOMEM, when s keeps its sums and sum_cap stays within both buffers. */
static int resize_sums(ps_pooled *s, size_t ncap, ps_err *err)
{
    uint8_t *nl = realloc(s->lo, ncap);
    if (!nl)
        return ps_err_set(err, PS_ENOMEM, "pooled images: out of memory for %zu sums", ncap);
    s->lo = nl;
    uint8_t *nh = realloc(s->hi, ncap / 4);
    if (!nh) {
        if (ncap < s->sum_cap)
            s->sum_cap = ncap; /* lo shrank: the room is what it has */
        return ps_err_set(err, PS_ENOMEM, "pooled images: out of memory for %zu sums", ncap);
    }
    s->hi = nh;
    s->sum_cap = ncap;
    return 0;
}

/* Makes room for need sums in all, growing by half at least; returns 0 or PS_ENOMEM. */
static int grow_sums(ps_pooled *s, size_t need, ps_err *err)
{
    if (need <= s->sum_cap)
        return 0;
    size_t most = (size_t)s->cap * PS_IMG_PIXELS, ncap = s->sum_cap + s->sum_cap / 2;
    if (ncap < need)
        ncap = need;
    if (ncap > most)
        ncap = most > need ? most : need;
    return resize_sums(s, (ncap + 3) & ~(size_t)3, err);
}

/* Checks k images x (k, 14, 14) and labels y (k) for ps_pooled_add; *nz receives the number of
 * their non-zero sums. */
static int check_images(size_t *nz, const ps_pooled *s, const uint16_t *x, const uint8_t *y,
                        int32_t k, ps_err *err)
{
    if (k < 0 || k > s->cap - s->n)
        return ps_err_set(err, PS_EINVAL, "pooled images: cannot add %d images to %d of %d", k,
                          s->n, s->cap);
    size_t count = 0, len = (size_t)k * PS_IMG_PIXELS;
    for (size_t j = 0; j < len; j++) {
        if (x[j] > 4 * 255)
            return ps_err_set(err, PS_EINVAL, "pooled images: sum %u of image %d is above 1020",
                              (unsigned)x[j], s->n + (int32_t)(j / PS_IMG_PIXELS));
        count += x[j] != 0;
    }
    for (int32_t i = 0; i < k; i++)
        if (y[i] > 9)
            return ps_err_set(err, PS_EINVAL, "pooled images: label %u of image %d is outside "
                              "0..9", (unsigned)y[i], s->n + i);
    if (count > UINT32_MAX - s->start[s->n])
        return ps_err_set(err, PS_ENOMEM, "pooled images: more than %u non-zero sums",
                          (unsigned)UINT32_MAX);
    *nz = count;
    return 0;
}

int ps_pooled_add(ps_pooled *s, const uint16_t *x, const uint8_t *y, int32_t k, ps_err *err)
{
    size_t nz = 0;
    int rc = check_images(&nz, s, x, y, k, err);
    if (!rc)
        rc = grow_sums(s, s->start[s->n] + nz, err);
    if (rc)
        return rc;
    for (int32_t i = 0; i < k; i++) {
        const uint16_t *img = x + (size_t)i * PS_IMG_PIXELS; /* (14, 14) */
        uint16_t *mask = s->mask + (size_t)s->n * PS_IMG;    /* (14) */
        uint32_t j = s->start[s->n];
        for (int r = 0; r < PS_IMG; r++) {
            unsigned bits = 0;
            for (int c = 0; c < PS_IMG; c++) {
                unsigned v = img[r * PS_IMG + c];
                if (!v)
                    continue;
                bits |= 1u << c;
                s->lo[j] = (uint8_t)(v & 255u);
                if (j % 4 == 0)
                    s->hi[j / 4] = (uint8_t)(v >> 8);
                else
                    s->hi[j / 4] |= (uint8_t)((v >> 8) << (2 * (j % 4)));
                j++;
            }
            mask[r] = (uint16_t)bits;
        }
        s->y[s->n] = y[i];
        s->start[++s->n] = j;
    }
    size_t used = ((size_t)s->start[s->n] + 3) & ~(size_t)3;
    if (s->n == s->cap && used < s->sum_cap)
        /* all there: give back the room left (a smaller realloc cannot really fail; if it
         * does, the larger buffers stay) */
        resize_sums(s, used ? used : 4, NULL);
    return 0;
}

void ps_pooled_image(uint16_t *dst, const ps_pooled *s, int32_t i)
{
    const uint16_t *mask = s->mask + (size_t)i * PS_IMG; /* (14) */
    uint32_t j = s->start[i];
    for (int r = 0; r < PS_IMG; r++)
        for (int c = 0; c < PS_IMG; c++) {
            uint16_t v = 0;
            if ((mask[r] >> c) & 1u) {
                v = (uint16_t)(s->lo[j] | (((s->hi[j / 4] >> (2 * (j % 4))) & 3u) << 8));
                j++;
            }
            dst[r * PS_IMG + c] = v;
        }
}

size_t ps_pooled_bytes(const ps_pooled *s)
{
    return (size_t)s->cap * (1 + PS_IMG * sizeof *s->mask) +
           ((size_t)s->cap + 1) * sizeof *s->start + s->sum_cap + s->sum_cap / 4;
}

void ps_pooled_free(ps_pooled *s)
{
    free(s->y);
    free(s->mask);
    free(s->start);
    free(s->lo);
    free(s->hi);
    memset(s, 0, sizeof *s);
}
