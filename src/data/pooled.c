/* Pooled images kept sparse: per image a mask of its non-zero 2×2 sums (one uint16 a row) and
 * those sums in row order. MNIST's 70000 images take about 9 MB this way instead of 27 MB as
 * dense uint16 sums (55 MB as floats). */
#include "pairsweep/data.h"

#include <stdlib.h>
#include <string.h>

/* Sums per image reserved at first: MNIST's images have 50 non-zero 2×2 sums on average. */
#define SUMS_PER_IMAGE 56
/* ... but at most this many at first (a huge label count must not cost a huge allocation
 * before a single image was read); the buffer grows by half when full. */
#define SUMS_FIRST_MAX ((size_t)1 << 22)

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
    t.sum = malloc(t.sum_cap * sizeof *t.sum);
    if (!t.y || !t.mask || !t.start || !t.sum) {
        ps_pooled_free(&t);
        return ps_err_set(err, PS_ENOMEM, "pooled images: out of memory for %d images", cap);
    }
    t.start[0] = 0;
    *s = t;
    return 0;
}

/* Makes room for need sums in all; returns 0 or PS_ENOMEM (s unchanged). */
static int grow_sums(ps_pooled *s, size_t need, ps_err *err)
{
    if (need <= s->sum_cap)
        return 0;
    size_t most = (size_t)s->cap * PS_IMG_PIXELS, ncap = s->sum_cap + s->sum_cap / 2;
    if (ncap < need)
        ncap = need;
    if (ncap > most)
        ncap = most > need ? most : need;
    uint16_t *ns = realloc(s->sum, ncap * sizeof *ns);
    if (!ns)
        return ps_err_set(err, PS_ENOMEM, "pooled images: out of memory for %zu sums", ncap);
    s->sum = ns;
    s->sum_cap = ncap;
    return 0;
}

int ps_pooled_add(ps_pooled *s, const uint16_t *x, const uint8_t *y, int32_t k, ps_err *err)
{
    if (k < 0 || k > s->cap - s->n)
        return ps_err_set(err, PS_EINVAL, "pooled images: cannot add %d images to %d of %d", k,
                          s->n, s->cap);
    size_t nz = 0, len = (size_t)k * PS_IMG_PIXELS;
    for (size_t j = 0; j < len; j++) {
        if (x[j] > 4 * 255)
            return ps_err_set(err, PS_EINVAL, "pooled images: sum %u of image %d is above 1020",
                              (unsigned)x[j], s->n + (int32_t)(j / PS_IMG_PIXELS));
        nz += x[j] != 0;
    }
    for (int32_t i = 0; i < k; i++)
        if (y[i] > 9)
            return ps_err_set(err, PS_EINVAL, "pooled images: label %u of image %d is outside "
                              "0..9", (unsigned)y[i], s->n + i);
    int rc = grow_sums(s, s->start[s->n] + nz, err);
    if (rc)
        return rc;
    for (int32_t i = 0; i < k; i++) {
        const uint16_t *img = x + (size_t)i * PS_IMG_PIXELS; /* (14, 14) */
        uint16_t *mask = s->mask + (size_t)s->n * PS_IMG;    /* (14) */
        size_t at = s->start[s->n];
        for (int r = 0; r < PS_IMG; r++) {
            unsigned bits = 0;
            for (int c = 0; c < PS_IMG; c++)
                if (img[r * PS_IMG + c]) {
                    bits |= 1u << c;
                    s->sum[at++] = img[r * PS_IMG + c];
                }
            mask[r] = (uint16_t)bits;
        }
        s->y[s->n] = y[i];
        s->start[++s->n] = at;
    }
    if (s->n == s->cap && s->start[s->n] < s->sum_cap) {
        /* all there: give back the room left (a smaller realloc cannot really fail; if it
         * does, the larger buffer stays) */
        size_t used = s->start[s->n] ? s->start[s->n] : 1;
        uint16_t *ns = realloc(s->sum, used * sizeof *ns);
        if (ns) {
            s->sum = ns;
            s->sum_cap = used;
        }
    }
    return 0;
}

void ps_pooled_image(uint16_t *dst, const ps_pooled *s, int32_t i)
{
    const uint16_t *mask = s->mask + (size_t)i * PS_IMG; /* (14) */
    const uint16_t *v = s->sum + s->start[i];
    for (int r = 0; r < PS_IMG; r++)
        for (int c = 0; c < PS_IMG; c++)
            dst[r * PS_IMG + c] = (mask[r] >> c) & 1u ? *v++ : 0;
}

size_t ps_pooled_bytes(const ps_pooled *s)
{
    return (size_t)s->cap * (1 + PS_IMG * sizeof *s->mask) +
           ((size_t)s->cap + 1) * sizeof *s->start + s->sum_cap * sizeof *s->sum;
}

void ps_pooled_free(ps_pooled *s)
{
    free(s->y);
    free(s->mask);
    free(s->start);
    free(s->sum);
    memset(s, 0, sizeof *s);
}
