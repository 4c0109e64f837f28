/* pairsweep — the dense small-plane convolution: a "same" convolution whose kernel reaches
 * every input position of the plane from every output position (h − 1 ≤ pad and w − 1 ≤ pad:
 * report 002's 5×5 layers on 3×3 planes) is a dense matrix product. With n = h·w positions,
 * each pair (output p, input q) of a plane meets exactly one tap, so per group
 *
 *   Y (og·n, m) = T (og·n, cg·n) · X (cg·n, m),   T[(o, p), (c, q)] = W[o, c, tap(p, q)],
 *   dX = Tᵀ · dY,   dT = dY · Xᵀ,   dW[o, c, t] = Σ over the pairs (p, q) of tap t of dT,
 *
 * three OpenBLAS sgemms of the same multiply-adds as the direct kernel (81 per pair of
 * channels on 3×3 planes, no padding term) but register-blocked by OpenBLAS, where the direct
 * kernel broadcasts one input value per FMA. X and Y are packed from and to the layer's
 * (c, m, h, w) layout by tiled transposes; T is made from W (the h × w window of each filter
 * per output position) by the forward pass, and again by the backward one.
 *
 * Where: with the AVX2 kernels only. Measured on a Zen 5 (bench_conv --backward, A6_k5.conv3,
 * forward and both gradients, against the direct kernels), it depends on OpenBLAS's kernels:
 * with the Haswell ones (OPENBLAS_CORETYPE=Haswell, the faster on a Zen 4) 10.4 ms against
 * 11.8 (AVX2 direct) and 8.2 (AVX-512 direct); with the auto-detected Cooperlake ones 5.2 ms
 * against 11.6 and 7.9. Training with AVX2 (bench_train, alternated with PS_NN_DENSE=0):
 * aux_A6_k5 +8–13%, indep_A6_k5 +8–9%, shared_A5_k5 +4–9% (Haswell kernels), up to +24%
 * (Cooperlake); with AVX-512 −1 to −8% (Haswell), +3–9% (Cooperlake). So the AVX-512
 * kernels keep the direct kernel, and for these layers the AVX2 choice gives other bits than
 * AUTO on an AVX-512 CPU (OpenBLAS's order of the sums). PS_NN_DENSE=0 in the environment
 * keeps the direct kernel (benchmarks). */
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "simd.h"

/* 1 when layer d's shape suits the dense path (whatever the kernels choice). */
static int dense_shape(const ps_nn_node *d)
{
    int h = d->ishape.h, w = d->ishape.w, n = h * w, p = d->pad, k = d->k;
    int cg = d->ishape.c / d->groups, og = d->out / d->groups;
    /* every (output, input) pair within the kernel: 0 ≤ i − o + pad ≤ k − 1 for all i, o */
    int dense = p - (h - 1) >= 0 && p + (h - 1) <= k - 1 && p - (w - 1) >= 0 &&
                p + (w - 1) <= k - 1;
    return dense && n > 1 && n <= PS_NN_DENSE_MAX_N && k > 1 && d->shape.h == h &&
           d->shape.w == w && cg * n >= 64 && og * n >= 64;
}

int ps__nn_conv_dense_ok(const ps_net *net, const ps_nn_node *d)
{
    static int off = -1;
    if (off < 0) {
        const char *e = getenv("PS_NN_DENSE");
        off = e && !strcmp(e, "0");
    }
    return !off && dense_shape(d) && ps__nn_direct_isa(net) == PS_NN_ISA_AVX2;
}

size_t ps__nn_conv_dense_work(const ps_nn_node *d, int rows)
{
    size_t n = (size_t)d->ishape.h * d->ishape.w, kd = (size_t)(d->ishape.c / d->groups) * n,
           md = (size_t)(d->out / d->groups) * n;
    return md * kd + kd * (size_t)rows + md * (size_t)rows;
}

/* The workspace: T or dT (md, kd), X or dX (kd, m), Y or dY (md, m). */
typedef struct dense_ws {
    float *t, *x, *y;
    int n, cg, og, kd, md, m, k, pad, w;
} dense_ws;

static dense_ws dense_layout(ps_net *net, const ps_nn_node *d)
{
    dense_ws s;
    s.n = d->ishape.h * d->ishape.w;
    s.cg = d->ishape.c / d->groups;
    s.og = d->out / d->groups;
    s.kd = s.cg * s.n;
    s.md = s.og * s.n;
    s.m = (int)ROWS(net, d);
    s.k = d->k;
    s.pad = d->pad;
    s.w = d->ishape.w;
    s.t = net->arena + net->ws;
    s.x = s.t + (size_t)s.md * s.kd;
    s.y = s.x + (size_t)s.kd * s.m;
    return s;
}

/* The h × w window of filter wc (k × k) that output position p of a plane W wide reads:
 * its row qy, column qx is the tap of input position (qy, qx). */
static inline const float *dense_window(const dense_ws *s, const float *wc, int p, int W)
{
    return wc + (s->pad - p / W) * s->k + (s->pad - p % W);
}

/* t = T of group gi from the weights w (g·og, cg, k, k): for output position p, the row of
 * channel pair (o, c) is the h × w window of the k × k filter at (pad − py, pad − px).
 * H, W: the plane (constants for the zoo's 3 × 3, so that the window's rows are copied as
 * runs of W floats). */
static inline void dense_make_t_hw(const dense_ws *s, float *t, const float *w, int gi,
                                   const int H, const int W)
{
    int kk = s->k * s->k, n = H * W;
    for (int o = 0; o < s->og; o++)
        for (int c = 0; c < s->cg; c++) {
            const float *wc = w + (((size_t)gi * s->og + o) * s->cg + c) * kk;
            for (int p = 0; p < n; p++) {
                const float *win = dense_window(s, wc, p, W);
                float *tr = t + ((size_t)o * n + p) * s->kd + (size_t)c * n;
                for (int qy = 0; qy < H; qy++)
                    for (int qx = 0; qx < W; qx++)
                        tr[qy * W + qx] = win[qy * s->k + qx];
            }
        }
}

static void dense_make_t(const dense_ws *s, float *t, const float *w, int gi)
{
    if (s->n == 9 && s->w == 3)
        dense_make_t_hw(s, t, w, gi, 3, 3);
    else
        dense_make_t_hw(s, t, w, gi, s->n / s->w, s->w);
}

/* dst (c·n + q, m) from src (c, m, n) of group gi's c channels (channel stride m·n). */
static void dense_pack(float *dst, const float *src, int c, int m, int n)
{
    for (int j = 0; j < c; j++)
        ps__nn_transpose(dst + (size_t)j * n * m, (size_t)m, src + (size_t)j * m * n,
                         (size_t)n, m, n, 0);
}

/* dst (c, m, n) (=, or += when add) from src (c·n + q, m). */
static void dense_unpack(float *dst, const float *src, int c, int m, int n, int add)
{
    for (int j = 0; j < c; j++)
        ps__nn_transpose(dst + (size_t)j * m * n, (size_t)n, src + (size_t)j * n * m,
                         (size_t)m, n, m, add);
}

PS_NN_SIMD void ps__nn_conv_dense_forward(ps_net *net, ps_nn_node *d)
{
    dense_ws s = dense_layout(net, d);
    const float *x = ps__nn_in_act(net, d->in);             /* (g·cg, m, h, w) */
    const float *w = net->state + d->w_off;                 /* (g·og, cg, k, k) */
    const float *b = net->state + d->b_off;
    float *y = OUT(net, d);                                 /* (g·og, m, h, w) */
    size_t l = (size_t)s.m * s.n;
    for (int gi = 0; gi < d->groups; gi++) {
        dense_make_t(&s, s.t, w, gi);
        dense_pack(s.x, x + (size_t)gi * s.cg * l, s.cg, s.m, s.n);
        ps_nn_gemm(0, 0, s.md, s.m, s.kd, 1.0f, s.t, s.kd, s.x, s.m, 0.0f, s.y, s.m);
        float *yg = y + (size_t)gi * s.og * l;
        dense_unpack(yg, s.y, s.og, s.m, s.n, 0);
        for (int o = 0; o < s.og; o++) {
            float *yo = yg + (size_t)o * l, bo = b[gi * s.og + o];
            if (d->relu)
                for (size_t i = 0; i < l; i++) {
                    float v = yo[i] + bo;
                    yo[i] = v > 0.0f ? v : 0.0f;
                }
            else
                for (size_t i = 0; i < l; i++)
                    yo[i] += bo;
        }
    }
}

PS_NN_SIMD void ps__nn_conv_dense_backward(ps_net *net, ps_nn_node *d, const float *x,
                                           float *dx, int acc)
{
    dense_ws s = dense_layout(net, d);
    const float *w = net->state + d->w_off;
    float *dw = net->grads + d->w_off;                      /* (g·og, cg, k, k) */
    const float *dy = DOUT(net, d);                         /* (g·og, m, h, w), ReLU'd */
    size_t l = (size_t)s.m * s.n;
    int kk = s.k * s.k, hh = s.n / s.w;
    for (int gi = 0; gi < d->groups; gi++) {
        dense_pack(s.y, dy + (size_t)gi * s.og * l, s.og, s.m, s.n);
        dense_pack(s.x, x + (size_t)gi * s.cg * l, s.cg, s.m, s.n);
        /* dT = dY · Xᵀ, then each pair's term into its tap */
        ps_nn_gemm(0, 1, s.md, s.kd, s.m, 1.0f, s.y, s.m, s.x, s.m, 0.0f, s.t, s.kd);
        for (int o = 0; o < s.og; o++)
            for (int c = 0; c < s.cg; c++) {
                float *wc = dw + (((size_t)gi * s.og + o) * s.cg + c) * kk;
                for (int p = 0; p < s.n; p++) {   /* T's window, written back */
                    const float *tr = s.t + ((size_t)o * s.n + p) * s.kd + (size_t)c * s.n;
                    float *win = wc + (dense_window(&s, wc, p, s.w) - wc);
                    for (int qy = 0; qy < hh; qy++)
                        for (int qx = 0; qx < s.w; qx++)
                            win[qy * s.k + qx] += tr[qy * s.w + qx];
                }
            }
        if (!dx)
            continue;
        /* dX = Tᵀ · dY, T made again in dT's place (kept from the forward pass it would add
         * g·og·cg·n² floats to the node: 5 MiB for indep_A6_k5's conv3), dX into X's */
        dense_make_t(&s, s.t, w, gi);
        ps_nn_gemm(1, 0, s.kd, s.m, s.md, 1.0f, s.t, s.kd, s.y, s.m, 0.0f, s.x, s.m);
        dense_unpack(dx + (size_t)gi * s.cg * l, s.x, s.cg, s.m, s.n, acc);
    }
}
