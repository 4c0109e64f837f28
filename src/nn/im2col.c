/* pairsweep — im2col and col2im: the columns of a convolution's input windows (CNHW
 * images), and their gradients added back; a fast path for the zoo's window widths and the
 * plain loops it is tested against. */
#include <string.h>

#include "conv.h"
#include "simd.h"

void ps__nn_im2col_plain(float *cols, const float *x, int c, int m, int ms, int h, int w,
                         int k, int pad, int ho, int wo)
{
    size_t l = (size_t)m * ho * wo;  /* cols: (c·k·k, m·ho·wo); x: (c, ms, h, w), m ≤ ms used */
    for (int ch = 0; ch < c; ch++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = cols + ((size_t)(ch * k + ky) * k + kx) * l;
                int lo = pad - kx > 0 ? pad - kx : 0;
                int hi = w + pad - kx < wo ? w + pad - kx : wo;
                for (int mm = 0; mm < m; mm++) {
                    const float *xp = x + ((size_t)ch * ms + mm) * h * w;
                    float *rp = row + (size_t)mm * ho * wo;
                    for (int oy = 0; oy < ho; oy++) {
                        int iy = oy + ky - pad;
                        float *o = rp + (size_t)oy * wo;
                        if (iy < 0 || iy >= h || lo >= hi) {
                            memset(o, 0, (size_t)wo * sizeof(float));
                            continue;
                        }
                        /* rows are short (≤ 14 floats): a plain loop beats memcpy calls */
                        const float *xr = xp + (size_t)iy * w + (kx - pad);
                        for (int ox = 0; ox < lo; ox++)
                            o[ox] = 0.0f;
                        for (int ox = lo; ox < hi; ox++)
                            o[ox] = xr[ox];
                        for (int ox = hi; ox < wo; ox++)
                            o[ox] = 0.0f;
                    }
                }
            }
}

/* dst (rows, cols) with row stride ds  =  (add: +=) src (rows, cols) with row stride ss.
 * Inlined for the widths of the zoo's layers (window_any), so a row is a few vector moves
 * rather than a loop of unknown length or a memcpy call (3x faster im2col, bench/README.md). */
typedef float ps_v4f __attribute__((vector_size(16)));

/* One row: dst (=, or += when add) src, in 8- and 4-float vector moves then single floats
 * (left to itself GCC assembled these rows float by float with inserts). */
PS_NN_INLINE void row_copy(float *restrict d, const float *restrict s, int cols, int add)
{
    int x = 0;
    for (; x + 8 <= cols; x += 8) {
        ps_v8f a, b;
        memcpy(&a, s + x, sizeof a);
        if (add) {
            memcpy(&b, d + x, sizeof b);
            a += b;
        }
        memcpy(d + x, &a, sizeof a);
    }
    for (; x + 4 <= cols; x += 4) {
        ps_v4f a, b;
        memcpy(&a, s + x, sizeof a);
        if (add) {
            memcpy(&b, d + x, sizeof b);
            a += b;
        }
        memcpy(d + x, &a, sizeof a);
    }
    for (; x < cols; x++)
        d[x] = add ? d[x] + s[x] : s[x];
}

PS_NN_INLINE void window(float *restrict dst, int ds, const float *restrict src, int ss,
                         int rows, int cols, int add)
{
    for (int y = 0; y < rows; y++)
        row_copy(dst + (size_t)y * ds, src + (size_t)y * ss, cols, add);
}

#define WINDOW_CASE(W)                                                                       \
    case W:                                                                                  \
        if (add)                                                                             \
            window(dst, ds, src, ss, rows, W, 1);                                            \
        else                                                                                 \
            window(dst, ds, src, ss, rows, W, 0);                                            \
        break;

PS_NN_INLINE void window_any(float *restrict dst, int ds, const float *restrict src, int ss,
                             int rows, int cols, int add)
{
    switch (cols) {
    WINDOW_CASE(14)
    WINDOW_CASE(12)
    WINDOW_CASE(10)
    WINDOW_CASE(7)
    WINDOW_CASE(5)
    WINDOW_CASE(3)
    default:
        window(dst, ds, src, ss, rows, cols, add);
    }
}

/* The largest zero-padded plane kept on the stack; larger planes take the slow path. */
#define PS_NN_PLANE_MAX (64 * 64)

PS_NN_SIMD void ps__nn_im2col(float *cols, const float *x, int c, int m, int ms, int h,
                              int w, int k, int pad, int ho, int wo)
{
    size_t l = (size_t)m * ho * wo;  /* cols: (c·k·k, m·ho·wo); x: (c, ms, h, w), m ≤ ms used */
    size_t hwo = (size_t)ho * wo;
    int hp = h + 2 * pad, wp = w + 2 * pad;
    float plane[PS_NN_PLANE_MAX];    /* (hp, wp): one image of one channel, zero-padded */
    if ((size_t)hp * wp > PS_NN_PLANE_MAX) {
        ps__nn_im2col_plain(cols, x, c, m, ms, h, w, k, pad, ho, wo);
        return;
    }
    if (pad)
        memset(plane, 0, (size_t)hp * wp * sizeof(float));
    for (int ch = 0; ch < c; ch++)
        for (int mm = 0; mm < m; mm++) {
            const float *xp = x + ((size_t)ch * ms + mm) * h * w, *src = xp;
            if (pad) {   /* the border stays zero: only the interior is rewritten */
                window_any(plane + (size_t)pad * wp + pad, wp, xp, w, h, w, 0);
                src = plane;
            }
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                    window_any(cols + ((size_t)(ch * k + ky) * k + kx) * l + mm * hwo, wo,
                               src + (size_t)ky * wp + kx, wp, ho, wo, 0);
        }
}

static void col2im_plain(float *dx, const float *cols, int c, int m, int ms, int h, int w,
                         int k, int pad, int ho, int wo)
{
    size_t l = (size_t)m * ho * wo;
    for (int ch = 0; ch < c; ch++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                const float *row = cols + ((size_t)(ch * k + ky) * k + kx) * l;
                int lo = pad - kx > 0 ? pad - kx : 0;
                int hi = w + pad - kx < wo ? w + pad - kx : wo;
                for (int mm = 0; mm < m; mm++) {
                    float *xp = dx + ((size_t)ch * ms + mm) * h * w;
                    const float *rp = row + (size_t)mm * ho * wo;
                    for (int oy = 0; oy < ho; oy++) {
                        int iy = oy + ky - pad;
                        if (iy < 0 || iy >= h)
                            continue;
                        const float *o = rp + (size_t)oy * wo;
                        float *xr = xp + (size_t)iy * w + (kx - pad);
                        for (int ox = lo; ox < hi; ox++)
                            xr[ox] += o[ox];
                    }
                }
            }
}

PS_NN_SIMD void ps__nn_col2im(float *dx, const float *cols, int c, int m, int ms, int h,
                              int w, int k, int pad, int ho, int wo)
{
    size_t l = (size_t)m * ho * wo, hwo = (size_t)ho * wo;
    int hp = h + 2 * pad, wp = w + 2 * pad;
    float plane[PS_NN_PLANE_MAX];    /* (hp, wp): one image's gradient, padded */
    if ((size_t)hp * wp > PS_NN_PLANE_MAX) {
        col2im_plain(dx, cols, c, m, ms, h, w, k, pad, ho, wo);
        return;
    }
    for (int ch = 0; ch < c; ch++)
        for (int mm = 0; mm < m; mm++) {
            float *xp = dx + ((size_t)ch * ms + mm) * h * w, *dst = xp;
            if (pad) {   /* sum the windows in the padded plane, then add its interior */
                memset(plane, 0, (size_t)hp * wp * sizeof(float));
                dst = plane;
            }
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                    window_any(dst + (size_t)ky * wp + kx, wp,
                               cols + ((size_t)(ch * k + ky) * k + kx) * l + mm * hwo, wo, ho,
                               wo, 1);
            if (pad)
                window_any(xp, w, plane + (size_t)pad * wp + pad, wp, h, w, 1);
        }
}
