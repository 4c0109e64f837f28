/* pairsweep — the direct convolutions (no columns): forward pass, input gradient (the
 * convolution of dY with the flipped weights) and weight gradient. Which layers take them,
 * which vector ISA runs them (chosen at run time), the weights transposed for them. The
 * kernels are conv_direct_kernel.h and conv_dw_kernel.h, compiled once per ISA
 * (conv_direct_avx512.c, conv_direct_avx2.c); the other layers take im2col + GEMM (conv.c). */
#include "conv.h"
#include "simd.h"

ps__nn_isa ps__nn_direct_isa(const ps_net *net)
{
#ifdef PS_NN_X86_GCC
    if (net->kernels == PS_NN_KERNELS_GEMM)
        return PS_NN_ISA_NONE;
    if (net->kernels == PS_NN_KERNELS_AUTO && __builtin_cpu_supports("avx512f"))
        return PS_NN_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return PS_NN_ISA_AVX2;
#else
    (void)net;
#endif
    return PS_NN_ISA_NONE;
}

/* 1 when (k, pad, wo) is one of PS_NN_DIRECT_SHAPES. */
static int direct_shape(int k, int pad, int wo)
{
#define IS_SHAPE(K, P, W) || (k == (K) && pad == (P) && wo == (W))
    return 0 PS_NN_DIRECT_SHAPES(IS_SHAPE);
#undef IS_SHAPE
}

/* 1 when a direct kernel computes a convolution of k, pad to wo outputs per row with cg
 * inputs and og outputs per group on this net. */
static int direct_ok(const ps_net *net, int k, int pad, int wo, int cg, int og)
{
    return k > 1 && cg * k * k >= 25 && og % 16 == 0 && direct_shape(k, pad, wo) &&
           ps__nn_direct_isa(net) != PS_NN_ISA_NONE;
}

int ps__nn_conv_direct_ok(const ps_net *net, const ps_nn_node *d)
{
    return d->pad < d->k &&
           direct_ok(net, d->k, d->pad, d->shape.w, d->ishape.c / d->groups, d->out / d->groups);
}

int ps__nn_conv_direct_dx_ok(const ps_net *net, const ps_nn_node *d)
{
    return d->pad < d->k && direct_ok(net, d->k, d->k - 1 - d->pad, d->ishape.w,
                                      d->out / d->groups, d->ishape.c / d->groups);
}

int ps__nn_conv_direct_dw_ok(const ps_net *net, const ps_nn_node *d)
{
    return ps__nn_conv_direct_ok(net, d);
}

/* Images per chunk of the direct weight gradient: dY's chunk, position-major, is reread for
 * every block of taps and channels, so it is kept to 8K floats (32 KiB: in L1), but at least
 * one image. */
static int dw_chunk(const ps_nn_node *d, int rows)
{
    int mc = 8192 / (d->out / d->groups) / (d->shape.h * d->shape.w);
    mc = mc > 0 ? mc : 1;
    return mc < rows ? mc : rows;
}

size_t ps__nn_conv_direct_dw_work(const ps_nn_node *d, int rows)
{
    size_t mc = (size_t)dw_chunk(d, rows);
    return (size_t)(d->ishape.c / d->groups) * mc * (d->ishape.h + 2 * d->pad) *
               (d->ishape.w + 2 * d->pad) +
           mc * d->shape.h * d->shape.w * (d->out / d->groups);
}

void ps__nn_conv_direct_dw(ps_net *net, ps_nn_node *d)
{
    int g = d->groups, m = (int)ROWS(net, d);
    ps__nn_direct_dw a = {
        .dwt = net->arena + d->save, .x = ps__nn_in_act(net, d->in), .dy = DOUT(net, d),
        .work = net->arena + net->ws, .m = m, .g = g, .cg = d->ishape.c / g,
        .og = d->out / g, .h = d->ishape.h, .w = d->ishape.w, .ho = d->shape.h,
        .wo = d->shape.w, .k = d->k, .pad = d->pad, .chunk = dw_chunk(d, m),
    };
    if (ps__nn_direct_isa(net) == PS_NN_ISA_AVX512)
        ps__nn_conv_dw_avx512(&a);
    else
        ps__nn_conv_dw_avx2(&a);
}

/* Runs a on the net's ISA. */
static void direct_run(const ps_net *net, const ps__nn_direct *a)
{
    if (ps__nn_direct_isa(net) == PS_NN_ISA_AVX512)
        ps__nn_conv_direct_avx512(a);
    else
        ps__nn_conv_direct_avx2(a);
}

PS_NN_SIMD void ps__nn_conv_direct_forward(ps_net *net, ps_nn_node *d)
{
    int g = d->groups, cg = d->ishape.c / g, og = d->out / g;
    const float *w = net->state + d->w_off;                 /* (g·og, cg, k, k) */
    float *wt = net->arena + d->save + d->n_w;              /* (g, cg·k·k, og) */
    size_t kk = (size_t)cg * d->k * d->k;
    for (int gi = 0; gi < g; gi++)
        ps__nn_transpose(wt + (size_t)gi * kk * og, (size_t)og, w + (size_t)gi * og * kk, kk,
                         og, (int)kk, 0);
    ps__nn_direct a = {
        .y = OUT(net, d), .x = ps__nn_in_act(net, d->in), .wt = wt,
        .b = net->state + d->b_off, .m = (int)ROWS(net, d), .g = g, .cg = cg, .og = og,
        .h = d->ishape.h, .w = d->ishape.w, .ho = d->shape.h, .wo = d->shape.w, .k = d->k,
        .pad = d->pad, .relu = d->relu,
    };
    direct_run(net, &a);
}

PS_NN_SIMD void ps__nn_conv_direct_dx(ps_net *net, ps_nn_node *d, float *dx, int acc)
{
    int g = d->groups, cg = d->ishape.c / g, og = d->out / g, kk2 = d->k * d->k;
    const float *w = net->state + d->w_off;                 /* (g·og, cg, k, k) */
    float *wf = net->arena + d->save + d->n_w;              /* (g, og·k·k, cg) */
    for (int gi = 0; gi < g; gi++)
        for (int o = 0; o < og; o++)
            for (int j = 0; j < kk2; j++)
                for (int c = 0; c < cg; c++)
                    wf[(((size_t)gi * og + o) * kk2 + j) * cg + c] =
                        w[(((size_t)gi * og + o) * cg + c) * kk2 + (kk2 - 1 - j)];
    ps__nn_direct a = {
        .y = dx, .x = DOUT(net, d), .wt = wf, .b = NULL, .m = (int)ROWS(net, d), .g = g,
        .cg = og, .og = cg, .h = d->shape.h, .w = d->shape.w, .ho = d->ishape.h,
        .wo = d->ishape.w, .k = d->k, .pad = d->k - 1 - d->pad, .acc = acc,
    };
    direct_run(net, &a);
}
