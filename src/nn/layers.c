/* pairsweep — the layer kinds: plan (shapes, parameters, FLOPs), forward and backward of each.
 * Spatial tensors are CNHW (C, M, H, W), flat ones (M, F); M = rows · n. Parameter gradients
 * are accumulated (+=). An input gradient is written (=) by its first contributor of a
 * backward pass and accumulated by the others (ps__nn_in_grad says which), so no pass has to
 * clear the activation gradients first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"

/* Helpers of the hot loops are inlined into their callers, so they get the callers' AVX2
 * clone (net_internal.h, PS_NN_SIMD) rather than a baseline out-of-line copy. */
#define PS_NN_INLINE static inline __attribute__((always_inline))

#define ROWS(net, d) ((size_t)(d)->shape.rows * (size_t)(net)->n)
#define IROWS(net, d) ((size_t)(d)->ishape.rows * (size_t)(net)->n)
#define OUT(net, d) ((net)->arena + (d)->act)
#define DOUT(net, d) ps__nn_grad_buf(net, d)

static int need_spatial(const ps_nn_node *d, ps_err *err)
{
    if (d->ishape.spatial != 1)
        return ps_err_set(err, PS_EINVAL, "expected a spatial (C, M, H, W) input");
    return 0;
}

static int need_not_raw(const ps_nn_node *d, ps_err *err)
{
    if (d->ishape.spatial == 2)
        return ps_err_set(err, PS_EINVAL, "the model input must first go through a SPATIAL node");
    return 0;
}

static size_t saved_none(const ps_nn_node *d, int32_t batch)
{
    (void)d;
    (void)batch;
    return 0;
}

/* ---- SPATIAL: NCHW model input → CNHW ------------------------------------------------------ */

static int spatial_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    (void)net;
    if (d->ishape.spatial != 2 || d->in != PS_NN_INPUT)
        return ps_err_set(err, PS_EINVAL, "SPATIAL takes the model input");
    if (d->split && d->ishape.c != 2)
        return ps_err_set(err, PS_EINVAL, "a split needs a 2-channel input, got %d", d->ishape.c);
    d->shape = d->split ? (ps_nn_shape){1, 2, 1, d->ishape.h, d->ishape.w}
                        : (ps_nn_shape){1, 1, d->ishape.c, d->ishape.h, d->ishape.w};
    return 0;
}

PS_NN_SIMD static void spatial_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)training;
    (void)rng;
    const float *x = net->x;         /* (n, C, HW) */
    float *y = OUT(net, d);          /* (C, n, HW), or (1, 2n, HW) for a split */
    size_t n = (size_t)net->n, c = (size_t)d->ishape.c, hw = (size_t)d->ishape.h * d->ishape.w;
    if (d->split) {
        memcpy(y, x, n * c * hw * sizeof(float));
        return;
    }
    for (size_t ch = 0; ch < c; ch++)
        for (size_t m = 0; m < n; m++)
            memcpy(y + (ch * n + m) * hw, x + (m * c + ch) * hw, hw * sizeof(float));
}

PS_NN_SIMD static void spatial_backward(ps_net *net, ps_nn_node *d)
{
    int acc;
    float *dx = ps__nn_in_grad(net, d->in, &acc);
    if (!dx)
        return;
    const float *dy = DOUT(net, d);
    size_t n = (size_t)net->n, c = (size_t)d->ishape.c, hw = (size_t)d->ishape.h * d->ishape.w;
    for (size_t ch = 0; ch < c; ch++)
        for (size_t m = 0; m < n; m++) {
            float *o = dx + (m * c + ch) * hw;
            const float *g = d->split ? dy + (m * c + ch) * hw : dy + (ch * n + m) * hw;
            for (size_t s = 0; s < hw; s++)
                o[s] = acc ? o[s] + g[s] : g[s];
        }
}

/* Sums over a contiguous run, deterministic and vectorisable: 16 float lanes over blocks of
 * 256 values; after each block every lane's partial sum is added into a double lane, and the
 * 16 double lanes are added up at the end (the error stays that of a 16-term float sum per
 * lane and block, whatever n; no horizontal reduction per block). */
#define BN_LANES 16
#define BN_BLOCK 256

/* 8 floats as one value (GCC's vector extension: one AVX register in the AVX2 clone, two
 * SSE registers in the baseline); lane l of a BN_LANES sum is lane l % 8 of vector l / 8,
 * so the sums are the same bits as with arrays of lanes. (Written with arrays of 16 float
 * lanes, GCC shuffled them: BatchNorm's backward was 2-2.5x slower.) Loads and stores go
 * through memcpy (unaligned vector moves). */
typedef float ps_v8f __attribute__((vector_size(32)));
typedef int32_t ps_v8i __attribute__((vector_size(32)));

PS_NN_INLINE double lanes_total(const double *dl)
{
    double t = 0.0;
    for (int l = 0; l < BN_LANES; l++)
        t += dl[l];
    return t;
}

PS_NN_SIMD static double run_sum(const float *a, size_t n)
{
    double dl[BN_LANES] = {0}, tail = 0.0;
    size_t i = 0;
    for (; i + BN_BLOCK <= n; i += BN_BLOCK) {
        ps_v8f acc[2] = {{0}, {0}};
        for (size_t j = 0; j < BN_BLOCK; j += BN_LANES)
            for (int v = 0; v < 2; v++) {
                ps_v8f t;
                memcpy(&t, a + i + j + 8 * (size_t)v, sizeof t);
                acc[v] += t;
            }
        for (int l = 0; l < BN_LANES; l++)
            dl[l] += acc[l / 8][l % 8];
    }
    for (; i < n; i++)
        tail += a[i];
    return lanes_total(dl) + tail;
}

/* run_sum of g after the backward pass of a fused ReLU, g = y > 0 ? g : 0, written back in
 * place, in the same pass (the same bits as masking first, then run_sum). */
PS_NN_SIMD static double run_sum_masked(float *g, const float *y, size_t n)
{
    double dl[BN_LANES] = {0}, tail = 0.0;
    size_t i = 0;
    for (; i + BN_BLOCK <= n; i += BN_BLOCK) {
        ps_v8f acc[2] = {{0}, {0}};
        for (size_t j = 0; j < BN_BLOCK; j += BN_LANES)
            for (int v = 0; v < 2; v++) {
                const ps_v8f zero = {0};
                ps_v8f t, yv;
                size_t o = i + j + 8 * (size_t)v;
                memcpy(&t, g + o, sizeof t);
                memcpy(&yv, y + o, sizeof yv);
                t = (ps_v8f)((ps_v8i)t & (yv > zero));
                memcpy(g + o, &t, sizeof t);
                acc[v] += t;
            }
        for (int l = 0; l < BN_LANES; l++)
            dl[l] += acc[l / 8][l % 8];
    }
    for (; i < n; i++) {
        g[i] = y[i] > 0.0f ? g[i] : 0.0f;
        tail += g[i];
    }
    return lanes_total(dl) + tail;
}

PS_NN_SIMD static double run_sqdev(const float *a, float mu, size_t n)
{
    double dl[BN_LANES] = {0}, tail = 0.0;
    size_t i = 0;
    for (; i + BN_BLOCK <= n; i += BN_BLOCK) {
        ps_v8f acc[2] = {{0}, {0}};
        for (size_t j = 0; j < BN_BLOCK; j += BN_LANES)
            for (int v = 0; v < 2; v++) {
                ps_v8f t;
                memcpy(&t, a + i + j + 8 * (size_t)v, sizeof t);
                t -= mu;
                acc[v] += t * t;
            }
        for (int l = 0; l < BN_LANES; l++)
            dl[l] += acc[l / 8][l % 8];
    }
    for (; i < n; i++)
        tail += ((double)a[i] - mu) * ((double)a[i] - mu);
    return lanes_total(dl) + tail;
}

/* ReLU in place over a run. */
PS_NN_INLINE void relu_run(float *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = a[i] > 0.0f ? a[i] : 0.0f;
}

/* The backward pass of a fused ReLU in place: g = y > 0 ? g : 0 (y is the ReLU's output);
 * the same values as relu_backward's. */
PS_NN_INLINE void relu_mask_run(float *g, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = g[i];
        g[i] = y[i] > 0.0f ? v : 0.0f;
    }
}

/* ---- CONV: im2col over the batch + one GEMM per group -------------------------------------- */

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

PS_NN_SIMD void ps__nn_im2col(float *cols, const float *x, int c, int m, int ms, int h, int w,
                             int k, int pad, int ho, int wo)
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

PS_NN_SIMD void ps__nn_col2im(float *dx, const float *cols, int c, int m, int ms, int h, int w,
                             int k, int pad, int ho, int wo)
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

static int conv_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    (void)net;
    int rc = need_spatial(d, err);
    if (rc)
        return rc;
    int32_t ho = d->ishape.h + 2 * d->pad - d->k + 1, wo = d->ishape.w + 2 * d->pad - d->k + 1;
    if (d->k <= 0 || d->pad < 0 || d->out <= 0 || ho <= 0 || wo <= 0)
        return ps_err_set(err, PS_EINVAL, "conv k=%d pad=%d out=%d on %dx%d: no output", d->k,
                          d->pad, d->out, d->ishape.h, d->ishape.w);
    if (d->ishape.c % d->groups || d->out % d->groups)
        return ps_err_set(err, PS_EINVAL, "groups %d must divide %d inputs and %d outputs",
                          d->groups, d->ishape.c, d->out);
    d->shape = (ps_nn_shape){1, d->ishape.rows, d->out, ho, wo};
    size_t kk = (size_t)(d->ishape.c / d->groups) * d->k * d->k;
    d->n_w = (size_t)d->out * kk;
    d->n_b = (size_t)d->out;
    d->fl_fwd = 2.0 * (double)d->out * (double)kk * ho * wo * d->ishape.rows;
    d->fl_dw = d->fl_fwd;
    d->fl_dx = d->fl_fwd;
    return 0;
}

/* A 1×1 convolution without padding needs no im2col: its input (C, M·H·W) is its columns. */
static int conv_pointwise(const ps_nn_node *d)
{
    return d->k == 1 && d->pad == 0;
}

/* Convolutions run in chunks of images: im2col of a chunk, then its GEMM while the columns
 * are still in L2 (1 MiB per core here), instead of one im2col of the whole batch (tens of MB
 * for these models) that the GEMM would read back from memory. Backward makes the chunk's
 * columns again (cheaper than keeping them: measured 1.1-1.7x faster on the zoo's layers,
 * bench/README.md) and scatters its column gradients back at once. The chunk is sized so its
 * columns take about PS_NN_CONV_CHUNK_FLOATS floats: 256 KiB (interleaved A/B of 32K-512K
 * floats: 16K-64K were 1-5% faster per training step than 256K, 512K slower). */
#define PS_NN_CONV_CHUNK_FLOATS (64 * 1024)
/* ... but at least this many columns (output positions) per chunk: the small planes of
 * report 002's deeper layers (7×7, 3×3) with 25·C rows per image would otherwise make GEMMs
 * of 49 or 36 columns (256: aux_A6_k5 +6%, indep_A4_k5 +2.5%, report 000's models the same;
 * 512 and 1024 were slower). */
#define PS_NN_CONV_MIN_COLS 256

/* Images (rows) per chunk for this layer, at least 1, at most rows. */
static int conv_chunk(const ps_nn_node *d, int rows)
{
    size_t per = (size_t)d->ishape.c * d->k * d->k * d->shape.h * d->shape.w;
    int c = (int)(PS_NN_CONV_CHUNK_FLOATS / per);
    int hw = d->shape.h * d->shape.w, mn = (PS_NN_CONV_MIN_COLS + hw - 1) / hw;
    c = c < mn ? mn : c;
    c = c < 1 ? 1 : c;
    return c < rows ? c : rows;
}

/* A "same" convolution (output as large as its input) with no more output than input
 * channels computes its input gradient as a convolution of dY with the flipped, transposed
 * weights: dx = W'·im2col(dY), written straight into dx, instead of dcols = Wᵀ·dY and a
 * col2im scatter that adds k·k windows per input position (same FLOPs; im2col is a copy,
 * col2im read-modify-writes, and dx needs no clearing): resnet and resnet_ws (16 → 16) train
 * 8-10% faster (interleaved A/B). A "valid" convolution would need a larger padded dY (more
 * FLOPs), and with more output channels im2col(dY) copies more than col2im adds (report
 * 002's 16 → 32 → 64 layers were 3-7% slower that way): those keep col2im. */
static int dx_as_conv(const ps_nn_node *d)
{
    return !conv_pointwise(d) && 2 * d->pad == d->k - 1 && d->out <= d->ishape.c;
}

/* Images per chunk of dY's columns (og·k·k, chunk·h·w) for dx_as_conv. */
static int conv_dchunk(const ps_nn_node *d, int rows)
{
    size_t per = (size_t)(d->out / d->groups) * d->k * d->k * d->ishape.h * d->ishape.w;
    int c = (int)(PS_NN_CONV_CHUNK_FLOATS / per);
    int hw = d->ishape.h * d->ishape.w, mn = (PS_NN_CONV_MIN_COLS + hw - 1) / hw;
    c = c < mn ? mn : c;
    c = c < 1 ? 1 : c;
    return c < rows ? c : rows;
}

/* Nothing is kept from forward to backward: the input activation is, and backward remakes
 * the columns of each chunk. */
static size_t conv_work(const ps_net *net, const ps_nn_node *d, int32_t batch)
{
    (void)net;
    if (conv_pointwise(d))
        return 0;
    int rows = d->shape.rows * batch;
    size_t a = (size_t)d->ishape.c * d->k * d->k * (size_t)conv_chunk(d, rows) * d->shape.h *
               d->shape.w;   /* one chunk's columns (or column gradients) */
    size_t b = dx_as_conv(d) ? (size_t)(d->out / d->groups) * d->k * d->k *
                                   (size_t)conv_dchunk(d, rows) * d->ishape.h * d->ishape.w
                             : 0;   /* one chunk of dY's columns, one group at a time */
    return a > b ? a : b;
}

/* The weight gradient's transpose, dWᵀ (kk, og) per group: OpenBLAS runs the long
 * reduction dWᵀ = cols·dYᵀ faster than dW = dY·colsᵀ for the zoo's shapes (e.g. og = 16,
 * kk = 144: 80 against 66 GFLOP/s, bench/README.md). */
static size_t conv_saved(const ps_nn_node *d, int32_t batch)
{
    (void)batch;
    return 2 * d->n_w;   /* dWᵀ, then the flipped weights of dx_as_conv */
}

#ifdef PS_NN_X86_GCC
#include <immintrin.h>
#define PS_NN_DIRECT 1
/* Direct forward convolution on AVX-512 (no columns): one output row of WO positions for 16
 * (NV = 1) or 32 (NV = 2) output channels at a time, in WO·NV vector accumulators (≤ 28 of
 * the 32 registers): for each input channel and tap, the weights of the output channels
 * (wt: (cin·k·k, out)) are loaded once and each input value is broadcast into NV FMAs. The
 * accumulators start from the bias, take the fused ReLU, and are transposed into the
 * channel-major output (out, m, ho, wo). For `siamese`'s conv2 (16 → 32, 12×12 → 10×10) 91
 * against 75 GFLOP/s for im2col + sgemm (bench/README.md). */
__attribute__((target("avx512f,fma"), always_inline)) static inline void
direct_row(float *y, size_t l, const float *src, size_t cs, int sw, int cin, int k,
           const float *wt, int out, int o0, const float *b, int relu, const int WO,
           const int NV)
{
    __m512 a[14][2];
    for (int v = 0; v < NV; v++) {
        __m512 bv = _mm512_loadu_ps(b + o0 + 16 * v);
        for (int p = 0; p < WO; p++)
            a[p][v] = bv;
    }
    for (int c = 0; c < cin; c++)
        for (int ky = 0; ky < k; ky++) {
            const float *xr = src + (size_t)c * cs + (size_t)ky * sw;
            const float *wr = wt + ((size_t)(c * k + ky) * k) * out + o0;
            for (int kx = 0; kx < k; kx++) {
                __m512 w0 = _mm512_loadu_ps(wr + (size_t)kx * out), w1 = w0;
                if (NV == 2)
                    w1 = _mm512_loadu_ps(wr + (size_t)kx * out + 16);
                for (int p = 0; p < WO; p++) {
                    __m512 xv = _mm512_set1_ps(xr[kx + p]);
                    a[p][0] = _mm512_fmadd_ps(xv, w0, a[p][0]);
                    if (NV == 2)
                        a[p][1] = _mm512_fmadd_ps(xv, w1, a[p][1]);
                }
            }
        }
    float buf[14][32];
    for (int p = 0; p < WO; p++)
        for (int v = 0; v < NV; v++) {
            __m512 t = a[p][v];
            if (relu)
                t = _mm512_max_ps(t, _mm512_setzero_ps());
            _mm512_storeu_ps(buf[p] + 16 * v, t);
        }
    for (int o = 0; o < 16 * NV; o++)
        for (int p = 0; p < WO; p++)
            y[(size_t)(o0 + o) * l + p] = buf[p][o];
}

#define DIRECT_CASE(W)                                                                       \
    case W:                                                                                  \
        if (nv == 2)                                                                         \
            direct_row(yr, l, sr, cs, sw, cin, k, wt, out, o0, b, relu, W, 2);               \
        else                                                                                 \
            direct_row(yr, l, sr, cs, sw, cin, k, wt, out, o0, b, relu, W, 1);               \
        break;

/* y (out, m, ho, wo) = the convolution of x (cin, m, h, w) (stride 1, zero padding pad) with
 * the transposed weights wt (cin·k·k, out) plus b, ReLU'd when relu; plane: cin·(h+2·pad)·
 * (w+2·pad) floats of workspace when pad. out is a multiple of 16, wo one of the cases. */
__attribute__((target("avx512f,fma"))) static void
conv_direct(float *y, const float *x, int m, int cin, int h, int w, int k, int pad, int ho,
            int wo, int out, const float *wt, const float *b, int relu, float *plane)
{
    size_t l = (size_t)m * ho * wo;
    int hp = h + 2 * pad, wp = w + 2 * pad;
    if (pad)
        memset(plane, 0, (size_t)cin * hp * wp * sizeof(float));
    for (int mm = 0; mm < m; mm++) {
        const float *src = x + (size_t)mm * h * w;
        size_t cs = (size_t)m * h * w;
        int sw = w;
        if (pad) {   /* the border stays zero: only the interiors are rewritten */
            for (int c = 0; c < cin; c++)
                for (int iy = 0; iy < h; iy++)
                    memcpy(plane + ((size_t)c * hp + iy + pad) * wp + pad,
                           x + (((size_t)c * m + mm) * h + iy) * w, (size_t)w * sizeof(float));
            src = plane;
            cs = (size_t)hp * wp;
            sw = wp;
        }
        for (int oy = 0; oy < ho; oy++) {
            const float *sr = src + (size_t)oy * sw;
            float *yr = y + ((size_t)mm * ho + oy) * wo;
            for (int o0 = 0; o0 < out; o0 += 32) {
                int nv = out - o0 >= 32 ? 2 : 1;
                switch (wo) {
                DIRECT_CASE(14)
                DIRECT_CASE(12)
                DIRECT_CASE(10)
                default:
                    break;
                }
            }
        }
    }
}
#endif

/* 1 when conv_forward computes this layer directly (conv_direct) rather than by im2col +
 * GEMM: AVX-512 present, one group, a window (not 1×1), 16·j outputs, an output width of 10,
 * 12 or 14 (the zoo's second convolutions and first ones). */
static int conv_direct_ok(const ps_nn_node *d)
{
#ifdef PS_NN_DIRECT
    int wo = d->shape.w;
    return d->groups == 1 && !conv_pointwise(d) && d->out % 16 == 0 && d->ishape.c >= 8 &&
           (wo == 14 || wo == 12 || wo == 10) && getenv("PS_NO_DIRECT") == NULL &&
           __builtin_cpu_supports("avx512f");
#else
    (void)d;
    return 0;
#endif
}

PS_NN_SIMD static void conv_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)training;
    (void)rng;
    int m = (int)ROWS(net, d), ho = d->shape.h, wo = d->shape.w, g = d->groups;
    int cin = d->ishape.c, cg = cin / g, og = d->out / g, kk = cg * d->k * d->k;
    int hw = ho * wo;
    size_t l = (size_t)m * hw;
    const float *x = ps__nn_in_act(net, d->in);              /* (cin, m, h, w) */
    const float *w = net->state + d->w_off;                 /* (out, cg, k, k) */
    const float *b = net->state + d->b_off;                 /* (out) */
    float *y = OUT(net, d);                                 /* (out, m, ho, wo) */
#ifdef PS_NN_DIRECT
    if (conv_direct_ok(d)) {
        float *wt = net->arena + d->save + d->n_w;          /* (cin·k·k, out) */
        size_t kk2 = (size_t)cin * d->k * d->k;
        for (int o = 0; o < d->out; o++)
            for (size_t j = 0; j < kk2; j++)
                wt[j * d->out + o] = w[o * kk2 + j];
        conv_direct(y, x, m, cin, d->ishape.h, d->ishape.w, d->k, d->pad, ho, wo, d->out, wt,
                    b, d->relu, net->arena + net->ws);
        return;
    }
#endif
    /* y starts as the bias and the GEMMs add into it (beta 1): the bias pass is fused, and
     * OpenBLAS's beta-0 "small matrix" path is slower for these shapes. */
    for (int o = 0; o < d->out; o++) {
        float *yo = y + (size_t)o * l, bo = b[o];
        for (size_t i = 0; i < l; i++)
            yo[i] = bo;
    }
    if (conv_pointwise(d)) {   /* the input (cin, l) is its own columns */
        for (int gi = 0; gi < g; gi++)
            ps_nn_gemm(0, 0, og, (int)l, kk, 1.0f, w + (size_t)gi * og * kk, kk,
                       x + (size_t)gi * kk * l, (int)l, 1.0f, y + (size_t)gi * og * l, (int)l);
        if (d->relu)
            relu_run(y, (size_t)d->out * l);
        return;
    }
    int chunk = conv_chunk(d, m);
    float *cols = net->arena + net->ws;                     /* (cin·k·k, chunk·hw) */
    for (int i0 = 0; i0 < m; i0 += chunk) {
        int mc = m - i0 < chunk ? m - i0 : chunk, lc = mc * hw;
        ps__nn_im2col(cols, x + (size_t)i0 * d->ishape.h * d->ishape.w, cin, mc, m,
                     d->ishape.h, d->ishape.w, d->k, d->pad, ho, wo);
        for (int gi = 0; gi < g; gi++)   /* y[:, i0 chunk] (og, lc) with row stride l */
            ps_nn_gemm(0, 0, og, lc, kk, 1.0f, w + (size_t)gi * og * kk, kk,
                       cols + (size_t)gi * kk * lc, lc, 1.0f,
                       y + (size_t)gi * og * l + (size_t)i0 * hw, (int)l);
        if (d->relu)   /* while the chunk's outputs are still in cache */
            for (int o = 0; o < d->out; o++)
                relu_run(y + (size_t)o * l + (size_t)i0 * hw, (size_t)lc);
    }
}

/* dw (g, og, kk) += the transpose of each group's dwt (kk, og). */
static void add_transposed(float *dw, const float *dwt, int g, int og, int kk)
{
    for (int gi = 0; gi < g; gi++)
        for (int o = 0; o < og; o++)
            for (int j = 0; j < kk; j++)
                dw[((size_t)gi * og + o) * kk + j] += dwt[((size_t)gi * kk + j) * og + o];
}

/* Both gradients of a dx_as_conv layer from one im2col of dY per chunk and group, D =
 * im2col(dY) (og·k·k, chunk·h·w) with the same padding:
 *   dx[group, chunk] (=, or += when acc) = W'·D, W'[c][o, a, b] = W[o][c][k−1−a][k−1−b];
 *   dW[o][c][ky][kx] = Σ D[(o, k−1−ky, k−1−kx), p]·X[c, p], summed over the chunks as
 *   R = D·Xᵀ (og·k·k, cg) per group (the 2·pad = k−1 of a "same" convolution makes the
 *   shift of D's row (o, k−1−ky, k−1−kx) that of the input's row (c, ky, kx)).
 * So backward makes no columns of the input at all. dx may be NULL. */
static void conv_backward_via_dy(ps_net *net, ps_nn_node *d, const float *x, float *dx,
                                 int acc)
{
    int m = (int)ROWS(net, d), g = d->groups, k = d->k, kk2 = k * k;
    int cg = d->ishape.c / g, og = d->out / g, h = d->ishape.h, wi = d->ishape.w;
    int hw = h * wi, ko = og * kk2;
    size_t l = (size_t)m * hw;                              /* = m·ho·wo: same size */
    const float *w = net->state + d->w_off;                 /* (g·og, cg, k, k) */
    float *dw = net->grads + d->w_off;
    const float *dy = DOUT(net, d);                         /* (g·og, m, h, w) */
    float *r = net->arena + d->save;                        /* (g, og·k·k, cg) */
    float *wf = r + d->n_w;                                 /* (g, cg, og·k·k) */
    float *cols = net->arena + net->ws;                     /* (og·k·k, chunk·h·w) */
    if (dx)
        for (int gi = 0; gi < g; gi++)
            for (int o = 0; o < og; o++)
                for (int c = 0; c < cg; c++)
                    for (int j = 0; j < kk2; j++)
                        wf[((size_t)gi * cg + c) * ko + (size_t)o * kk2 + j] =
                            w[(((size_t)gi * og + o) * cg + c) * kk2 + (kk2 - 1 - j)];
    int chunk = conv_dchunk(d, m);
    for (int i0 = 0; i0 < m; i0 += chunk) {
        int mc = m - i0 < chunk ? m - i0 : chunk, lc = mc * hw;
        for (int gi = 0; gi < g; gi++) {
            ps__nn_im2col(cols, dy + (size_t)gi * og * l + (size_t)i0 * hw, og, mc, m, h, wi,
                         k, d->pad, h, wi);
            ps_nn_gemm(0, 1, ko, cg, lc, 1.0f, cols, lc,
                       x + (size_t)gi * cg * l + (size_t)i0 * hw, (int)l, i0 ? 1.0f : 0.0f,
                       r + (size_t)gi * ko * cg, cg);
            if (dx)
                ps_nn_gemm(0, 0, cg, lc, ko, 1.0f, wf + (size_t)gi * cg * ko, ko, cols, lc,
                           acc ? 1.0f : 0.0f, dx + (size_t)gi * cg * l + (size_t)i0 * hw,
                           (int)l);
        }
    }
    for (int gi = 0; gi < g; gi++)
        for (int o = 0; o < og; o++)
            for (int c = 0; c < cg; c++)
                for (int j = 0; j < kk2; j++)
                    dw[(((size_t)gi * og + o) * cg + c) * kk2 + j] +=
                        r[((size_t)gi * ko + (size_t)o * kk2 + (kk2 - 1 - j)) * cg + c];
}

PS_NN_SIMD static void conv_backward(ps_net *net, ps_nn_node *d)
{
    int m = (int)ROWS(net, d), ho = d->shape.h, wo = d->shape.w, g = d->groups;
    int cin = d->ishape.c, cg = cin / g, og = d->out / g, kk = cg * d->k * d->k;
    int hw = ho * wo, h = d->ishape.h, wi = d->ishape.w;
    size_t l = (size_t)m * hw;
    const float *x = ps__nn_in_act(net, d->in);              /* (cin, m, h, w) */
    const float *w = net->state + d->w_off;
    float *dw = net->grads + d->w_off, *db = net->grads + d->b_off;
    float *dy = DOUT(net, d);                               /* (out, l) */
    int acc;
    float *dx = ps__nn_in_grad(net, d->in, &acc);
    for (int o = 0; o < d->out; o++) {   /* with the fused ReLU's backward, in place */
        float *dyo = dy + (size_t)o * l;
        db[o] += (float)(d->relu ? run_sum_masked(dyo, OUT(net, d) + (size_t)o * l, l)
                                 : run_sum(dyo, l));
    }
    float *dwt = net->arena + d->save;                      /* (g, kk, og): dWᵀ per group */
    if (conv_pointwise(d)) {
        for (int gi = 0; gi < g; gi++)   /* dWᵀ = X·dYᵀ */
            ps_nn_gemm(0, 1, kk, og, (int)l, 1.0f, x + (size_t)gi * kk * l, (int)l,
                       dy + (size_t)gi * og * l, (int)l, 0.0f, dwt + (size_t)gi * kk * og, og);
        add_transposed(dw, dwt, g, og, kk);
        if (dx) /* dx = Wᵀ·dY straight into dx */
            for (int gi = 0; gi < g; gi++)
                ps_nn_gemm(1, 0, kk, (int)l, og, 1.0f, w + (size_t)gi * og * kk, kk,
                           dy + (size_t)gi * og * l, (int)l, acc ? 1.0f : 0.0f,
                           dx + (size_t)gi * kk * l, (int)l);
        return;
    }
    if (dx_as_conv(d)) {
        conv_backward_via_dy(net, d, x, dx, acc);
        return;
    }
    if (dx && !acc)
        memset(dx, 0, (size_t)cin * m * h * wi * sizeof(float));
    int chunk = conv_chunk(d, m);
    float *cols = net->arena + net->ws;                     /* (cin·k·k, chunk·hw) */
    for (int i0 = 0; i0 < m; i0 += chunk) {
        int mc = m - i0 < chunk ? m - i0 : chunk, lc = mc * hw;
        ps__nn_im2col(cols, x + (size_t)i0 * h * wi, cin, mc, m, h, wi, d->k, d->pad, ho, wo);
        for (int gi = 0; gi < g; gi++)   /* dWᵀ += cols · dY[:, chunk]ᵀ */
            ps_nn_gemm(0, 1, kk, og, lc, 1.0f, cols + (size_t)gi * kk * lc, lc,
                       dy + (size_t)gi * og * l + (size_t)i0 * hw, (int)l, i0 ? 1.0f : 0.0f,
                       dwt + (size_t)gi * kk * og, og);
        if (i0 + mc >= m)
            add_transposed(dw, dwt, g, og, kk);
        if (!dx)
            continue;
        for (int gi = 0; gi < g; gi++)   /* dcols = Wᵀ·dY[:, chunk], over the columns */
            ps_nn_gemm(1, 0, kk, lc, og, 1.0f, w + (size_t)gi * og * kk, kk,
                       dy + (size_t)gi * og * l + (size_t)i0 * hw, (int)l, 0.0f,
                       cols + (size_t)gi * kk * lc, lc);
        ps__nn_col2im(dx + (size_t)i0 * h * wi, cols, cin, mc, m, h, wi, d->k, d->pad, ho, wo);
    }
}

/* ---- BN: per channel over (outer, C, inner); BatchNorm2d on CNHW, BatchNorm1d on (M, F) ---- */

static int bn_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    (void)net;
    int rc = need_not_raw(d, err);
    if (rc)
        return rc;
    d->shape = d->ishape;
    d->n_w = d->n_b = (size_t)d->ishape.c;
    return 0;
}

/* Only the batch mean and 1/std per channel are kept: backward remakes x̂ = (x − mean)·invstd
 * from the input activation (one stream less to write in forward, and less memory). */
static size_t bn_saved(const ps_nn_node *d, int32_t batch)
{
    (void)batch;
    return 2 * (size_t)d->shape.c;
}

/* Σ dy and Σ dy·x̂ with x̂ = (x − mu)·is, in one pass (lanes as in run_sum). masked: the
 * backward pass of a fused ReLU first, dy = y > 0 ? dy : 0, written back in place. */
PS_NN_INLINE void run_sum_dot_xhat(float *dy, const float *x, const float *y, int masked,
                                   float mu, float is, size_t n, double *sum, double *dot)
{
    double ds[BN_LANES] = {0}, dd[BN_LANES] = {0}, ts = 0.0, td = 0.0;
    size_t i = 0;
    for (; i + BN_BLOCK <= n; i += BN_BLOCK) {
        ps_v8f as[2] = {{0}, {0}}, ad[2] = {{0}, {0}};
        for (size_t j = 0; j < BN_BLOCK; j += BN_LANES)
            for (int v = 0; v < 2; v++) {
                size_t o = i + j + 8 * (size_t)v;
                ps_v8f g, h, yv;   /* memcpy: unaligned vector loads and stores */
                memcpy(&g, dy + o, sizeof g);
                memcpy(&h, x + o, sizeof h);
                h = (h - mu) * is;
                if (masked) {   /* g where y > 0, else 0 */
                    const ps_v8f zero = {0};
                    memcpy(&yv, y + o, sizeof yv);
                    g = (ps_v8f)((ps_v8i)g & (yv > zero));
                    memcpy(dy + o, &g, sizeof g);
                }
                as[v] += g;
                ad[v] += g * h;
            }
        for (int l = 0; l < BN_LANES; l++) {
            ds[l] += as[l / 8][l % 8];
            dd[l] += ad[l / 8][l % 8];
        }
    }
    for (; i < n; i++) {
        float g = dy[i], h = (x[i] - mu) * is;
        if (masked) {
            g = y[i] > 0.0f ? g : 0.0f;
            dy[i] = g;
        }
        ts += g;
        td += (double)g * h;
    }
    *sum += lanes_total(ds) + ts;
    *dot += lanes_total(dd) + td;
}

static void bn_geom(const ps_net *net, const ps_nn_node *d, size_t *outer, size_t *inner)
{
    if (d->shape.spatial) {
        *outer = 1;
        *inner = ROWS(net, d) * d->shape.h * d->shape.w;
    } else {
        *outer = ROWS(net, d);
        *inner = 1;
    }
}

PS_NN_SIMD static void bn_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)rng;
    size_t outer, inner, c = (size_t)d->shape.c;
    bn_geom(net, d, &outer, &inner);
    size_t cnt = outer * inner;
    const float *x = ps__nn_in_act(net, d->in);
    float *y = OUT(net, d);
    float *mean = net->arena + d->save, *invstd = mean + c; /* (c), (c) */
    const float *gamma = net->state + d->w_off, *beta = net->state + d->b_off;
    float *rm = net->state + d->rm_off, *rv = net->state + d->rv_off;
    for (size_t ch = 0; ch < c; ch++) {
        float mu, is;
        if (training) {
            /* two passes (mean, then squared deviations) as PyTorch does */
            double s = 0.0, s2 = 0.0;
            for (size_t o = 0; o < outer; o++)
                s += run_sum(x + (o * c + ch) * inner, inner);
            double mu_d = s / (double)cnt;
            for (size_t o = 0; o < outer; o++)
                s2 += run_sqdev(x + (o * c + ch) * inner, (float)mu_d, inner);
            double var = s2 / (double)cnt;
            double unbiased = cnt > 1 ? s2 / (double)(cnt - 1) : var;
            mu = (float)mu_d;
            is = (float)(1.0 / sqrt(var + (double)PS_NN_BN_EPS));
            rm[ch] = (1.0f - PS_NN_BN_MOMENTUM) * rm[ch] + PS_NN_BN_MOMENTUM * mu;
            rv[ch] = (1.0f - PS_NN_BN_MOMENTUM) * rv[ch] + PS_NN_BN_MOMENTUM * (float)unbiased;
        } else {
            mu = rm[ch];
            is = 1.0f / sqrtf(rv[ch] + PS_NN_BN_EPS);
        }
        if (training) {   /* for backward; evaluation keeps nothing */
            mean[ch] = mu;
            invstd[ch] = is;
        }
        float sc = gamma[ch] * is, bt = beta[ch];   /* y = γ·(x − mu)·is + β */
        for (size_t o = 0; o < outer; o++) {
            size_t j0 = (o * c + ch) * inner;
            const float *xr = x + j0;
            float *yr = y + j0;
            if (d->relu)   /* the fused ReLU in the same pass */
                for (size_t i = 0; i < inner; i++) {
                    float v = (xr[i] - mu) * sc + bt;
                    yr[i] = v > 0.0f ? v : 0.0f;
                }
            else
                for (size_t i = 0; i < inner; i++)
                    yr[i] = (xr[i] - mu) * sc + bt;
        }
    }
}

PS_NN_SIMD static void bn_backward(ps_net *net, ps_nn_node *d)
{
    size_t outer, inner, c = (size_t)d->shape.c;
    bn_geom(net, d, &outer, &inner);
    size_t cnt = outer * inner;
    float *dy = DOUT(net, d);
    const float *x = ps__nn_in_act(net, d->in), *y = OUT(net, d);
    const float *mean = net->arena + d->save, *invstd = mean + c;
    const float *gamma = net->state + d->w_off;
    float *dgamma = net->grads + d->w_off, *dbeta = net->grads + d->b_off;
    int acc;
    float *dx = ps__nn_in_grad(net, d->in, &acc);
    for (size_t ch = 0; ch < c; ch++) {
        double sdy = 0.0, sdyx = 0.0;
        float mu = mean[ch], is = invstd[ch];
        for (size_t o = 0; o < outer; o++) {
            size_t j0 = (o * c + ch) * inner;
            if (d->relu)   /* with the fused ReLU's backward, in place */
                run_sum_dot_xhat(dy + j0, x + j0, y + j0, 1, mu, is, inner, &sdy, &sdyx);
            else
                run_sum_dot_xhat(dy + j0, x + j0, y + j0, 0, mu, is, inner, &sdy, &sdyx);
        }
        dgamma[ch] += (float)sdyx;
        dbeta[ch] += (float)sdy;
        if (!dx)
            continue;
        /* dx = γ·is/cnt · (cnt·dy − Σdy − x̂·Σdy·x̂) = p·dy + q·(x − mu) + r */
        float k = gamma[ch] * invstd[ch] / (float)cnt;
        float p = k * (float)cnt, q = -k * (float)sdyx * is, r = -k * (float)sdy;
        for (size_t o = 0; o < outer; o++) {
            size_t j0 = (o * c + ch) * inner;
            const float *dyr = dy + j0, *xr = x + j0;
            float *dxr = dx + j0;
            if (acc)
                for (size_t i = 0; i < inner; i++)
                    dxr[i] += p * dyr[i] + q * (xr[i] - mu) + r;
            else
                for (size_t i = 0; i < inner; i++)
                    dxr[i] = p * dyr[i] + q * (xr[i] - mu) + r;
        }
    }
}

/* ---- RELU ----------------------------------------------------------------------------------- */

static int same_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    (void)net;
    int rc = need_not_raw(d, err);
    if (rc)
        return rc;
    d->shape = d->ishape;
    return 0;
}

PS_NN_SIMD static void relu_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)training;
    (void)rng;
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    const float *x = ps__nn_in_act(net, d->in);
    float *y = OUT(net, d);
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

PS_NN_SIMD static void relu_backward(ps_net *net, ps_nn_node *d)
{
    int acc;
    float *dx = ps__nn_in_grad(net, d->in, &acc);
    if (!dx)
        return;
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    const float *y = OUT(net, d), *dy = DOUT(net, d);
    /* unconditional loads: branch-free selects that vectorise */
    if (acc)
        for (size_t i = 0; i < n; i++) {
            float g = dy[i];
            dx[i] += y[i] > 0.0f ? g : 0.0f;
        }
    else
        for (size_t i = 0; i < n; i++) {
            float g = dy[i];
            dx[i] = y[i] > 0.0f ? g : 0.0f;
        }
}

/* ---- MAXPOOL 2×2 stride 2 (floor), first maximum wins as in PyTorch ------------------------- */

static int pool_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    (void)net;
    int rc = need_spatial(d, err);
    if (rc)
        return rc;
    if (d->ishape.h < 2 || d->ishape.w < 2)
        return ps_err_set(err, PS_EINVAL, "max-pooling a %dx%d input", d->ishape.h, d->ishape.w);
    d->shape = d->ishape;
    d->shape.h /= 2;
    d->shape.w /= 2;
    return 0;
}

static size_t pool_isaved(const ps_nn_node *d, int32_t batch)
{
    return ps__nn_numel(&d->shape) * (size_t)batch;
}

PS_NN_SIMD static void pool_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)rng;
    size_t planes = (size_t)d->shape.c * ROWS(net, d);
    int h = d->ishape.h, w = d->ishape.w, ho = d->shape.h, wo = d->shape.w;
    const float *x = ps__nn_in_act(net, d->in);
    float *y = OUT(net, d);
    int32_t *arg = net->iarena + d->idx;  /* like y: index into x */
    for (size_t p = 0; p < planes; p++)
        for (int oy = 0; oy < ho; oy++) {
            size_t r0 = p * h * w + (size_t)(2 * oy) * w;
            const float *a = x + r0, *b = a + w;
            float *yr = y + (p * ho + oy) * wo;
            int32_t *ar = arg + (p * ho + oy) * wo;
            for (int ox = 0; ox < wo; ox++) {
                /* scan order (0,0) (0,1) (1,0) (1,1); strict > keeps the first maximum */
                int j = 2 * ox;
                float m = a[j];
                if (!training) {   /* evaluation keeps no positions of the maxima */
                    m = a[j + 1] > m ? a[j + 1] : m;
                    m = b[j] > m ? b[j] : m;
                    yr[ox] = b[j + 1] > m ? b[j + 1] : m;
                    continue;
                }
                /* branch-free, the index by masks (GCC made branches of the selects, and
                 * they mispredict: 2.5x faster pooling, training 3-8%): the first maximum
                 * of each row, then the second row's only when strictly larger, i.e. the
                 * first in scan order */
                float t = a[j + 1] > m ? a[j + 1] : m, u = b[j + 1] > b[j] ? b[j + 1] : b[j];
                int32_t kt = a[j + 1] > m, ku = b[j + 1] > b[j], sel = -(int32_t)(u > t);
                yr[ox] = u > t ? u : t;
                ar[ox] = (int32_t)(r0 + j) + (((w + ku) & sel) | (kt & ~sel));
            }
        }
}

PS_NN_SIMD static void pool_backward(ps_net *net, ps_nn_node *d)
{
    int acc;
    float *dx = ps__nn_in_grad(net, d->in, &acc);
    if (!dx)
        return;
    if (!acc)
        memset(dx, 0, ps__nn_numel(&d->ishape) * (size_t)net->n * sizeof(float));
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    const float *dy = DOUT(net, d);
    const int32_t *arg = net->iarena + d->idx;
    for (size_t j = 0; j < n; j++)
        dx[arg[j]] += dy[j];
}

/* ---- LINEAR: y = x Wᵀ + b ------------------------------------------------------------------ */

static int linear_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    (void)net;
    if (d->ishape.spatial)
        return ps_err_set(err, PS_EINVAL, "LINEAR needs a flat input (FLATTEN first)");
    if (d->out <= 0)
        return ps_err_set(err, PS_EINVAL, "LINEAR with %d outputs", d->out);
    d->shape = (ps_nn_shape){0, d->ishape.rows, d->out, 1, 1};
    d->n_w = (size_t)d->out * d->ishape.c;
    d->n_b = (size_t)d->out;
    d->fl_fwd = 2.0 * (double)d->n_w * d->ishape.rows;
    d->fl_dw = d->fl_fwd;
    d->fl_dx = d->fl_fwd;
    return 0;
}

static void linear_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)training;
    (void)rng;
    int m = (int)ROWS(net, d), fin = d->ishape.c, fout = d->out;
    const float *x = ps__nn_in_act(net, d->in);       /* (m, fin) */
    const float *w = net->state + d->w_off;          /* (fout, fin) */
    const float *b = net->state + d->b_off;          /* (fout) */
    float *y = OUT(net, d);                          /* (m, fout) */
    for (int i = 0; i < m; i++)
        memcpy(y + (size_t)i * fout, b, (size_t)fout * sizeof(float));
    ps_nn_gemm(0, 1, m, fout, fin, 1.0f, x, fin, w, fin, 1.0f, y, fout);
}

static void linear_backward(ps_net *net, ps_nn_node *d)
{
    int m = (int)ROWS(net, d), fin = d->ishape.c, fout = d->out;
    const float *x = ps__nn_in_act(net, d->in), *dy = DOUT(net, d);
    const float *w = net->state + d->w_off;
    float *dw = net->grads + d->w_off, *db = net->grads + d->b_off;
    int acc;
    float *dx = ps__nn_in_grad(net, d->in, &acc);
    ps_nn_gemm(1, 0, fout, fin, m, 1.0f, dy, fout, x, fin, 1.0f, dw, fin);
    for (int i = 0; i < m; i++)
        for (int o = 0; o < fout; o++)
            db[o] += dy[(size_t)i * fout + o];
    if (dx)
        ps_nn_gemm(0, 0, m, fin, fout, 1.0f, dy, fout, w, fin, acc ? 1.0f : 0.0f, dx, fin);
}

/* ---- FLATTEN: (C, M, HW) → (M, C·HW) -------------------------------------------------------- */

static int flatten_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    (void)net;
    int rc = need_spatial(d, err);
    if (rc)
        return rc;
    d->shape = (ps_nn_shape){0, d->ishape.rows, d->ishape.c * d->ishape.h * d->ishape.w, 1, 1};
    return 0;
}

PS_NN_SIMD static void flatten_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)training;
    (void)rng;
    size_t m = ROWS(net, d), c = (size_t)d->ishape.c, hw = (size_t)d->ishape.h * d->ishape.w;
    const float *x = ps__nn_in_act(net, d->in);
    float *y = OUT(net, d);
    for (size_t ch = 0; ch < c; ch++)
        for (size_t r = 0; r < m; r++)
            memcpy(y + (r * c + ch) * hw, x + (ch * m + r) * hw, hw * sizeof(float));
}

PS_NN_SIMD static void flatten_backward(ps_net *net, ps_nn_node *d)
{
    int acc;
    float *dx = ps__nn_in_grad(net, d->in, &acc);
    if (!dx)
        return;
    size_t m = ROWS(net, d), c = (size_t)d->ishape.c, hw = (size_t)d->ishape.h * d->ishape.w;
    const float *dy = DOUT(net, d);
    for (size_t ch = 0; ch < c; ch++)
        for (size_t r = 0; r < m; r++) {
            float *o = dx + (ch * m + r) * hw;
            const float *g = dy + (r * c + ch) * hw;
            if (acc)
                for (size_t s = 0; s < hw; s++)
                    o[s] += g[s];
            else
                memcpy(o, g, hw * sizeof(float));
        }
}

/* ---- MERGE: (rows·N, F) → (N, rows·F), a view ------------------------------------------------ */

static int merge_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    (void)net;
    if (d->ishape.spatial || d->in == PS_NN_INPUT)
        return ps_err_set(err, PS_EINVAL, "MERGE needs a flat node as input");
    d->shape = (ps_nn_shape){0, 1, d->ishape.rows * d->ishape.c, 1, 1};
    d->view = 1;
    return 0;
}

static void view_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)net;
    (void)d;
    (void)training;
    (void)rng;
}

static void view_backward(ps_net *net, ps_nn_node *d)
{
    (void)net;
    (void)d;
}

/* ---- ADD / CONCAT ------------------------------------------------------------------------- */

static int add_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    int rc = need_not_raw(d, err);
    if (rc)
        return rc;
    const ps_nn_shape *b = ps__nn_in_shape(net, d->in2);
    if (memcmp(b, &d->ishape, sizeof *b))
        return ps_err_set(err, PS_EINVAL, "ADD of different shapes (%d,%d,%d,%d) and (%d,%d,%d,%d)",
                          d->ishape.rows, d->ishape.c, d->ishape.h, d->ishape.w, b->rows, b->c,
                          b->h, b->w);
    d->shape = d->ishape;
    return 0;
}

PS_NN_SIMD static void add_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)training;
    (void)rng;
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    const float *a = ps__nn_in_act(net, d->in), *b = ps__nn_in_act(net, d->in2);
    float *y = OUT(net, d);
    if (d->relu)
        for (size_t i = 0; i < n; i++) {
            float v = a[i] + b[i];
            y[i] = v > 0.0f ? v : 0.0f;
        }
    else
        for (size_t i = 0; i < n; i++)
            y[i] = a[i] + b[i];
}

PS_NN_SIMD static void add_backward(ps_net *net, ps_nn_node *d)
{
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    float *dy = DOUT(net, d);
    if (d->relu)   /* the fused ReLU's backward, in place */
        relu_mask_run(dy, OUT(net, d), n);
    int32_t ins[2] = {d->in, d->in2};
    for (int j = 0; j < 2; j++) {
        if (ps__nn_in_grad_ref(net, ins[j], (int32_t)(d - net->nodes)))
            continue;   /* the input reads dy where it is: nothing to copy */
        int acc;
        float *g = ps__nn_in_grad(net, ins[j], &acc);
        if (g && acc)
            for (size_t i = 0; i < n; i++)
                g[i] += dy[i];
        else if (g)
            memcpy(g, dy, n * sizeof(float));
    }
}

static int concat_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    const ps_nn_shape *b = ps__nn_in_shape(net, d->in2);
    if (d->ishape.spatial || b->spatial || d->ishape.rows != b->rows)
        return ps_err_set(err, PS_EINVAL, "CONCAT needs two flat inputs with equal rows");
    d->shape = (ps_nn_shape){0, d->ishape.rows, d->ishape.c + b->c, 1, 1};
    return 0;
}

static void concat_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)training;
    (void)rng;
    size_t m = ROWS(net, d), f1 = (size_t)d->ishape.c, f = (size_t)d->shape.c, f2 = f - f1;
    const float *a = ps__nn_in_act(net, d->in), *b = ps__nn_in_act(net, d->in2);
    float *y = OUT(net, d);
    for (size_t r = 0; r < m; r++) {
        memcpy(y + r * f, a + r * f1, f1 * sizeof(float));
        memcpy(y + r * f + f1, b + r * f2, f2 * sizeof(float));
    }
}

static void concat_backward(ps_net *net, ps_nn_node *d)
{
    size_t m = ROWS(net, d), f1 = (size_t)d->ishape.c, f = (size_t)d->shape.c, f2 = f - f1;
    const float *dy = DOUT(net, d);
    int acc_a, acc_b;
    float *da = ps__nn_in_grad(net, d->in, &acc_a);
    for (size_t r = 0; da && r < m; r++)
        for (size_t i = 0; i < f1; i++)
            da[r * f1 + i] = (acc_a ? da[r * f1 + i] : 0.0f) + dy[r * f + i];
    float *db = ps__nn_in_grad(net, d->in2, &acc_b);
    for (size_t r = 0; db && r < m; r++)
        for (size_t i = 0; i < f2; i++)
            db[r * f2 + i] = (acc_b ? db[r * f2 + i] : 0.0f) + dy[r * f + f1 + i];
}

/* ---- DROPOUT -------------------------------------------------------------------------------- */

static int dropout_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    if (!(d->p >= 0.0f && d->p < 1.0f))
        return ps_err_set(err, PS_EINVAL, "dropout p=%g, expected 0 <= p < 1", (double)d->p);
    return same_plan(net, d, err);
}

static size_t dropout_saved(const ps_nn_node *d, int32_t batch)
{
    return ps__nn_numel(&d->shape) * (size_t)batch;
}

static void dropout_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    const float *x = ps__nn_in_act(net, d->in);
    float *y = OUT(net, d), *mask = net->arena + d->save;
    float keep = 1.0f / (1.0f - d->p);
    for (size_t i = 0; i < n; i++) {
        mask[i] = (!training || d->p == 0.0f) ? 1.0f
                  : ps_rng_uniform(rng) >= d->p ? keep : 0.0f;
        y[i] = x[i] * mask[i];
    }
}

PS_NN_SIMD static void dropout_backward(ps_net *net, ps_nn_node *d)
{
    int acc;
    float *dx = ps__nn_in_grad(net, d->in, &acc);
    if (!dx)
        return;
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    const float *dy = DOUT(net, d), *mask = net->arena + d->save;
    for (size_t i = 0; i < n; i++)
        dx[i] = (acc ? dx[i] : 0.0f) + dy[i] * mask[i];
}

const ps_nn_ops ps__nn_ops_table[PS_L_KIND_COUNT] = {
    [PS_L_SPATIAL] = {spatial_plan, spatial_forward, spatial_backward, NULL, NULL, NULL},
    [PS_L_CONV] = {conv_plan, conv_forward, conv_backward, conv_saved, NULL, conv_work},
    [PS_L_BN] = {bn_plan, bn_forward, bn_backward, bn_saved, NULL, NULL},
    [PS_L_RELU] = {same_plan, relu_forward, relu_backward, NULL, NULL, NULL},
    [PS_L_MAXPOOL] = {pool_plan, pool_forward, pool_backward, NULL, pool_isaved, NULL},
    [PS_L_LINEAR] = {linear_plan, linear_forward, linear_backward, NULL, NULL, NULL},
    [PS_L_FLATTEN] = {flatten_plan, flatten_forward, flatten_backward, NULL, NULL, NULL},
    [PS_L_MERGE] = {merge_plan, view_forward, view_backward, NULL, NULL, NULL},
    [PS_L_ADD] = {add_plan, add_forward, add_backward, NULL, NULL, NULL},
    [PS_L_CONCAT] = {concat_plan, concat_forward, concat_backward, saved_none, NULL, NULL},
    [PS_L_DROPOUT] = {dropout_plan, dropout_forward, dropout_backward, dropout_saved, NULL, NULL},
};
