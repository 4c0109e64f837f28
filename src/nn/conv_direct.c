/* pairsweep — the direct convolutions (no columns): forward pass, input gradient (the
 * convolution of dY with the flipped weights) and weight gradient. Which layers take them,
 * which vector ISA runs them (chosen at run time), the weights transposed for them. The
 * kernels are conv_direct_kernel.h and conv_dw_kernel.h, compiled once per ISA
 * (conv_direct_avx512.c, conv_direct_avx2.c); the 3×3 layers of 16·j channels on even
 * planes (and of 32 or more on 7×7 ones) take Winograd's F(2×2, 3×3) instead
 * (conv_wino_kernel.h, the weights transformed here): 2.25× fewer multiply-adds, other bits
 * than the direct kernel's, the same on both ISAs; the 5×5 layers of 16·j channels on planes
 * from 7 (and of 64 or more on smaller ones) F(4×4, 5×5), or F(3×3, 5×5) on planes under 7
 * (conv_wino5_kernel.h): 3.3× and 1.65× fewer on report 002's 7 × 7 and 3 × 3 planes,
 * output errors about ten times GEMM's (rms 6e-7 on outputs of 1), also the same on both
 * ISAs. The other layers take im2col + GEMM (conv.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "simd.h"

/* PS_NN_MAX_ISA: 1 when it caps the direct kernels at AVX2 ("avx2"), 0 when unset or
 * "avx512", -1 for any other value. */
static int max_isa_avx2(void)
{
    const char *e = getenv("PS_NN_MAX_ISA");
    if (!e || !*e || !strcmp(e, "avx512") || !strcmp(e, "AVX512"))
        return 0;
    return !strcmp(e, "avx2") || !strcmp(e, "AVX2") ? 1 : -1;
}

int ps_nn_check_env(ps_err *err)
{
    if (max_isa_avx2() < 0)
        return ps_err_set(err, PS_EINVAL,
                          "environment: PS_NN_MAX_ISA='%s', expected avx512 or avx2 (or empty)",
                          getenv("PS_NN_MAX_ISA"));
    return 0;
}

/* The ISA of a kernels choice on this CPU, under PS_NN_MAX_ISA. */
static ps__nn_isa kernels_isa(ps_nn_kernels kernels)
{
#ifdef PS_NN_X86_GCC
    static int cap = -2;
    if (cap == -2)
        cap = max_isa_avx2() == 1;
    if (kernels == PS_NN_KERNELS_GEMM)
        return PS_NN_ISA_NONE;
    if (kernels == PS_NN_KERNELS_AUTO && !cap && __builtin_cpu_supports("avx512f"))
        return PS_NN_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return PS_NN_ISA_AVX2;
#else
    (void)kernels;
#endif
    return PS_NN_ISA_NONE;
}

ps__nn_isa ps__nn_direct_isa(const ps_net *net)
{
    return kernels_isa(net->kernels);
}

const char *ps_nn_kernels_isa(ps_nn_kernels kernels)
{
    static const char *const names[] = {"gemm", "avx2", "avx512"};
    return names[kernels_isa(kernels)];
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
    return d->pad < d->k && !ps__nn_conv_dense_ok(net, d) &&
           direct_ok(net, d->k, d->pad, d->shape.w, d->ishape.c / d->groups, d->out / d->groups);
}

int ps__nn_conv_direct_dx_ok(const ps_net *net, const ps_nn_node *d)
{
    return d->pad < d->k && !ps__nn_conv_dense_ok(net, d) && direct_ok(net, d->k, d->k - 1 - d->pad, d->ishape.w,
                                      d->out / d->groups, d->ishape.c / d->groups);
}

int ps__nn_conv_direct_dw_ok(const ps_net *net, const ps_nn_node *d)
{
    return ps__nn_conv_direct_ok(net, d);
}

#define WINO_CHUNK_FLOATS 32768
#define WINO_DW_CHUNK_FLOATS 131072
/* F(m×m, 5×5)'s chunks hold their tiles' V and M too (512 KiB) */
#define WINO5_CHUNK_FLOATS 131072
#define WINO_FLOATS(k) ((k) == 5 ? WINO5_CHUNK_FLOATS : WINO_CHUNK_FLOATS)

/* The planes of outputs Winograd's tiles cover well: even, or odd from 7 (the overhanging
 * tiles compute 16 outputs for 12.25 on 7 × 7 planes; on 3 × 3 ones 16 for 9), there with 32
 * channels or more on both sides (bench_conv --backward, Zen 4: A4_k3.conv2, 32 → 64 on
 * 7 × 7, 5–8% faster, 35–40% with AVX2; A3_k3.conv2, 16 → 32, 30–50% slower). */
#define WINO_PLANE(n, cg, og) ((n) % 2 == 0 || ((n) >= 7 && (cg) >= 32 && (og) >= 32))
/* The 5×5 layers' planes for F(m×m, 5×5): from 7, or smaller with 64 channels or more on
 * both sides (bench_conv --backward, best of 3 alternations, Zen 5: 7 × 7 planes 1.54–1.65×
 * as fast as the direct kernel with AVX-512, 1.49–1.86× with AVX2 (4 × 4 tiles; 3 × 3 ones
 * 1.07–1.35×); A6_k5.conv3, 64 → 128 on 3 × 3, 12–32% faster, A5_k5.conv3, 32 → 64, 13%
 * slower, its weights' transforms and the tile's padding weighing more against 81
 * multiply-adds per pair of channels). */
#define WINO5_PLANE(n, cg, og) ((n) >= 7 || ((cg) >= 64 && (og) >= 64))

/* A Winograd tile for k × k windows to planes of ho × wo outputs: m × m outputs from α × α
 * inputs, α = m + k − 1. The 5×5 layers take 4 × 4 tiles on planes from 7 (report 002's
 * 7 × 7: four tiles, 256 multiply-adds per pair of channels, where nine 3 × 3 tiles do 441),
 * 3 × 3 ones on smaller planes (a 3 × 3 plane: 49, where a 4 × 4 tile does 64). */
#define WINO_M(k, ho, wo) ((k) == 3 ? 2 : (ho) >= 7 && (wo) >= 7 ? 4 : 3)
#define WINO_ALPHA2(k, m) (((m) + (k)-1) * ((m) + (k)-1))
/* Tiles per side of n outputs, and the inputs they span. */
#define WINO_TILES(m, n) (((n) + (m)-1) / (m))
#define WINO_SPAN(k, m, n) ((m)*WINO_TILES(m, n) + (k)-1)

/* Winograd's F(2×2, 3×3) for a 3×3 convolution of cg inputs and og outputs per group to
 * planes of ho × wo (even) outputs, F(m×m, 5×5) for a 5×5 one (WINO5_PLANE, WINO_M): where the
 * direct kernel would run it, with vectors of channels on both sides (cg, og multiples of 16,
 * for every ISA alike). PS_NN_WINO=0 in the environment keeps the direct kernel for both,
 * PS_NN_WINO5=0 for the 5×5 layers (benchmarks). */
static int env_off(const char *name)
{
    const char *e = getenv(name);
    return e && !strcmp(e, "0");
}

static int wino_ok(const ps_net *net, int k, int pad, int ho, int wo, int cg, int og)
{
    static int off = -1, off5 = -1;
    if (off < 0) {
        off = env_off("PS_NN_WINO");
        off5 = env_off("PS_NN_WINO5");
    }
    int plane = k == 3   ? WINO_PLANE(ho, cg, og) && WINO_PLANE(wo, cg, og)
                : k == 5 ? !off5 && WINO5_PLANE(ho, cg, og) && WINO5_PLANE(wo, cg, og)
                         : 0;
    return !off && plane && cg % 16 == 0 && og % 16 == 0 && direct_ok(net, k, pad, wo, cg, og);
}

static int wino_fwd(const ps_net *net, const ps_nn_node *d)
{
    return d->pad < d->k && !ps__nn_conv_dense_ok(net, d) &&
           wino_ok(net, d->k, d->pad, d->shape.h, d->shape.w, d->ishape.c / d->groups,
                   d->out / d->groups);
}

static int wino_dx(const ps_net *net, const ps_nn_node *d)
{
    return d->pad < d->k && !ps__nn_conv_dense_ok(net, d) &&
           wino_ok(net, d->k, d->k - 1 - d->pad, d->ishape.h, d->ishape.w, d->out / d->groups,
                   d->ishape.c / d->groups);
}

int ps__nn_conv_wino_ok(const ps_net *net, const ps_nn_node *d, int dx)
{
    return dx ? wino_dx(net, d) : wino_fwd(net, d);
}

/* Workspace floats of one image of a Winograd convolution of k × k windows (the chunk's
 * input, its tiles' whole span, and output, channel-last). */
static size_t wino_image(int k, int cg, int og, int ho, int wo)
{
    int mt = WINO_M(k, ho, wo);
    size_t tiles = (size_t)WINO_TILES(mt, ho) * WINO_TILES(mt, wo);
    return (size_t)WINO_SPAN(k, mt, ho) * WINO_SPAN(k, mt, wo) * cg + (size_t)ho * wo * og +
           (k == 5 ? (size_t)WINO_ALPHA2(k, mt) * tiles * (cg + og) : 0);   /* 5×5: V, M */
}

/* Images per chunk of a Winograd convolution: its per-image workspace kept to `floats` (32K,
 * 128 KiB in L2, for F(2×2, 3×3); 128K with the tiles' V and M for the 5×5 ones), but at
 * least one image. */
static int wino_chunk(size_t per_image, int rows, size_t floats)
{
    int mc = (int)(floats / per_image);
    mc = mc > 0 ? mc : 1;
    return mc < rows ? mc : rows;
}

static size_t wino_work(int k, int g, int cg, int og, int h, int w, int ho, int wo, int rows)
{
    size_t per = wino_image(k, cg, og, ho, wo);
    return 16 + (size_t)g * WINO_ALPHA2(k, WINO_M(k, ho, wo)) * cg * og +
           (size_t)wino_chunk(per, rows, WINO_FLOATS(k)) * per +
           (k == 3 ? 16 * PS_NN_WINO_MAX_S * (size_t)(cg + og) : 0) +   /* a block's V, M */
           (size_t)h * w * cg;             /* the scratch plane of a padded input */
}

/* U = G g Gᵀ for each pair of channels: u (g, 16, ci, co) from the 3×3 filters at
 * f(gi, i, o) (row-major, flipped when flip), G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]. */
static void wino3_weights(float *u, const float *w, int g, int ci, int co, int cg, int flip)
{
    for (int gi = 0; gi < g; gi++)
        for (int i = 0; i < ci; i++)
            for (int o = 0; o < co; o++) {
                /* forward: filter (o, i) of w (g·co, cg = ci, 3, 3); dx: (i, o) flipped */
                const float *f = flip ? w + (((size_t)gi * ci + i) * cg + o) * 9
                                      : w + (((size_t)gi * co + o) * cg + i) * 9;
                float k[9], t[12];
                for (int j = 0; j < 9; j++)
                    k[j] = f[flip ? 8 - j : j];
                for (int j = 0; j < 3; j++) {   /* G g: rows */
                    t[0 * 3 + j] = k[0 * 3 + j];
                    t[1 * 3 + j] = (k[0 * 3 + j] + k[1 * 3 + j] + k[2 * 3 + j]) * 0.5f;
                    t[2 * 3 + j] = (k[0 * 3 + j] - k[1 * 3 + j] + k[2 * 3 + j]) * 0.5f;
                    t[3 * 3 + j] = k[2 * 3 + j];
                }
                float *uo = u + (size_t)gi * 16 * ci * co + (size_t)i * co + o;
                for (int r = 0; r < 4; r++) {   /* (G g) Gᵀ: columns */
                    const float *q = t + r * 3;
                    float v[4] = {q[0], (q[0] + q[1] + q[2]) * 0.5f, (q[0] - q[1] + q[2]) * 0.5f,
                                  q[2]};
                    for (int c = 0; c < 4; c++)
                        uo[(size_t)(r * 4 + c) * ci * co] = v[c];
                }
            }
}

/* The 5×5 filters for the weights' transforms of F(m×m, 5×5): wt (g, ci, 25, co) from the
 * layer's weights w (g·og, cg, 5, 5): forward (ci = cg, co = og) each group's (og, cg·25)
 * transposed; input gradient (flip: ci = og, co = cg) each filter flipped, in the order of
 * wt's rows (w's 25 taps of a filter are in L1). */
static void wino5_filters(float *wt, const float *w, int g, int ci, int co, int cg, int flip)
{
    size_t per = (size_t)ci * 25 * co;   /* floats per group, in w and in wt */
    for (int gi = 0; gi < g; gi++) {
        const float *wg = w + gi * per;
        float *tg = wt + gi * per;
        if (!flip) {
            ps__nn_transpose(tg, (size_t)co, wg, (size_t)ci * 25, co, ci * 25, 0);
            continue;
        }
        for (int i = 0; i < ci; i++)   /* filter (i, o) of the input gradient: (o, i) of w */
            for (int j = 0; j < 25; j++)
                for (int o = 0; o < co; o++)
                    tg[((size_t)i * 25 + j) * co + o] = wg[((size_t)i * cg + o) * 25 + 24 - j];
    }
}

/* The Winograd weight gradient's workspace per image (channel-last input and output
 * gradient, their transforms) and its chunks: kept to WINO_DW_CHUNK_FLOATS, at least one
 * image. The chunks set the order of the sums: they depend on the layer only. */
static size_t wino_dw_image(const ps_nn_node *d)
{
    int g = d->groups, cg = d->ishape.c / g, og = d->out / g, k = d->k,
        mt = WINO_M(k, d->shape.h, d->shape.w);
    size_t th = (size_t)WINO_TILES(mt, d->shape.h), tw = (size_t)WINO_TILES(mt, d->shape.w);
    return (size_t)WINO_SPAN(k, mt, d->shape.h) * WINO_SPAN(k, mt, d->shape.w) * cg +
           (size_t)mt * mt * th * tw * og + (size_t)WINO_ALPHA2(k, mt) * th * tw * (cg + og);
}

static size_t wino_dw_work(const ps_nn_node *d, int rows)
{
    int g = d->groups, cg = d->ishape.c / g, og = d->out / g;
    size_t per = wino_dw_image(d), xs = (size_t)d->ishape.h * d->ishape.w * cg,
           dys = (size_t)d->shape.h * d->shape.w * og;   /* the scratch planes */
    return 16 + (size_t)WINO_ALPHA2(d->k, WINO_M(d->k, d->shape.h, d->shape.w)) * cg * og +
           (size_t)wino_chunk(per, rows, WINO_DW_CHUNK_FLOATS) * per + (xs > dys ? xs : dys);
}

size_t ps__nn_conv_direct_work(const ps_net *net, const ps_nn_node *d, int rows)
{
    int g = d->groups, cg = d->ishape.c / g, og = d->out / g;
    size_t a = !ps__nn_conv_direct_dw_ok(net, d) ? 0
               : wino_fwd(net, d)                ? wino_dw_work(d, rows)
                                                 : ps__nn_conv_direct_dw_work(d, rows);
    size_t b = wino_fwd(net, d) ? wino_work(d->k, g, cg, og, d->ishape.h, d->ishape.w,
                                            d->shape.h, d->shape.w, rows)
                                : 0;
    size_t c = wino_dx(net, d) ? wino_work(d->k, g, og, cg, d->shape.h, d->shape.w,
                                           d->ishape.h, d->ishape.w, rows)
                               : 0;
    a = a > b ? a : b;
    return a > c ? a : c;
}

/* The workspace at a 64-byte boundary (its sizes above have 16 floats to spare): the
 * Winograd buffers' rows are multiples of 16 floats, so no vector load of theirs then
 * straddles two cache lines (measured: AVX-512 slower by up to 20% from one net to the next
 * without). */
static float *wino_base(const ps_net *net)
{
    uintptr_t p = (uintptr_t)(net->arena + net->ws);
    return (float *)((p + 63) & ~(uintptr_t)63);
}

/* Runs a by Winograd's F(2×2, 3×3) or F(m×m, 5×5) on the net's ISA; w the layer's weights,
 * wt room for them transposed (the 5×5 ones). */
static void wino_run(ps_net *net, const ps__nn_direct *a, const float *w, float *wt, int flip)
{
    float *u = wino_base(net);
    int avx512 = ps__nn_direct_isa(net) == PS_NN_ISA_AVX512;
    int chunk = wino_chunk(wino_image(a->k, a->cg, a->og, a->ho, a->wo), a->m, WINO_FLOATS(a->k));
    int mt = WINO_M(a->k, a->ho, a->wo);
    float *work = u + (size_t)a->g * WINO_ALPHA2(a->k, mt) * a->cg * a->og;
    if (a->k == 5) {
        wino5_filters(wt, w, a->g, a->cg, a->og, flip ? a->og : a->cg, flip);
        (avx512 ? ps__nn_conv_wino5_u_avx512 : ps__nn_conv_wino5_u_avx2)(u, wt, a->g, a->cg,
                                                                          a->og, mt);
        (avx512 ? ps__nn_conv_wino5_avx512 : ps__nn_conv_wino5_avx2)(a, u, work, chunk, mt);
        return;
    }
    wino3_weights(u, w, a->g, a->cg, a->og, flip ? a->og : a->cg, flip);
    (avx512 ? ps__nn_conv_wino_avx512 : ps__nn_conv_wino_avx2)(a, u, work, chunk);
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
    if (wino_fwd(net, d)) {
        a.work = wino_base(net);
        a.chunk = wino_chunk(wino_dw_image(d), m, WINO_DW_CHUNK_FLOATS);
        int avx512 = ps__nn_direct_isa(net) == PS_NN_ISA_AVX512;
        if (d->k == 5)
            (avx512 ? ps__nn_conv_wino5_dw_avx512 : ps__nn_conv_wino5_dw_avx2)(
                &a, WINO_M(d->k, d->shape.h, d->shape.w));
        else
            (avx512 ? ps__nn_conv_wino_dw_avx512 : ps__nn_conv_wino_dw_avx2)(&a);
        return;
    }
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
    if (wino_fwd(net, d)) {
        ps__nn_direct a = {
            .y = OUT(net, d), .x = ps__nn_in_act(net, d->in), .b = net->state + d->b_off,
            .m = (int)ROWS(net, d), .g = g, .cg = cg, .og = og, .h = d->ishape.h,
            .w = d->ishape.w, .ho = d->shape.h, .wo = d->shape.w, .k = d->k, .pad = d->pad,
            .relu = d->relu,
        };
        wino_run(net, &a, w, net->arena + d->save + d->n_w, 0);
        return;
    }
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
    if (wino_dx(net, d)) {
        ps__nn_direct a = {
            .y = dx, .x = DOUT(net, d), .b = NULL, .m = (int)ROWS(net, d), .g = g, .cg = og,
            .og = cg, .h = d->shape.h, .w = d->shape.w, .ho = d->ishape.h, .wo = d->ishape.w,
            .k = d->k, .pad = d->k - 1 - d->pad, .acc = acc,
        };
        wino_run(net, &a, w, net->arena + d->save + d->n_w, 1);
        return;
    }
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
