/* pairsweep — the direct forward convolution on AVX-512 (no columns), for the convolutions
 * it suits (ps__nn_conv_direct_ok); the others, and every backward pass, take im2col + GEMM
 * (conv.c). */
#include <string.h>

#include "conv.h"
#include "simd.h"

#ifdef PS_NN_X86_GCC
#include <immintrin.h>
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

int ps__nn_conv_direct_ok(const ps_net *net, const ps_nn_node *d)
{
#ifdef PS_NN_X86_GCC
    int wo = d->shape.w;
    return net->kernels == PS_NN_KERNELS_AUTO && d->groups == 1 && !ps__nn_conv_pointwise(d) &&
           d->out % 16 == 0 && d->ishape.c >= 8 && (wo == 14 || wo == 12 || wo == 10) &&
           __builtin_cpu_supports("avx512f");
#else
    (void)net;
    (void)d;
    return 0;
#endif
}

PS_NN_SIMD void ps__nn_conv_direct_forward(ps_net *net, ps_nn_node *d)
{
#ifdef PS_NN_X86_GCC
    int cin = d->ishape.c;
    const float *x = ps__nn_in_act(net, d->in);             /* (cin, m, h, w) */
    const float *w = net->state + d->w_off;                 /* (out, cin, k, k) */
    const float *b = net->state + d->b_off;                 /* (out) */
    float *wt = net->arena + d->save + d->n_w;              /* (cin·k·k, out) */
    size_t kk2 = (size_t)cin * d->k * d->k;
    for (int o = 0; o < d->out; o++)
        for (size_t j = 0; j < kk2; j++)
            wt[j * d->out + o] = w[o * kk2 + j];
    conv_direct(OUT(net, d), x, (int)ROWS(net, d), cin, d->ishape.h, d->ishape.w, d->k, d->pad,
                d->shape.h, d->shape.w, d->out, wt, b, d->relu, net->arena + net->ws);
#else
    (void)net;
    (void)d;
#endif
}
