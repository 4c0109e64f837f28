/* pairsweep — CONV: convolution (stride 1, zero padding, groups) as im2col over chunks of
 * the batch + one GEMM per group, or by the direct kernels where they apply (conv_direct.c:
 * forward, input gradient, weight gradient); the rest of backward by GEMMs, with col2im or
 * as a convolution of dY. */
#include <string.h>

#include "conv.h"
#include "simd.h"

static int conv_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    (void)net;
    int rc = ps__nn_need_spatial(d, err);
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

/* Images (rows) per chunk of columns that take `per` floats and hw columns per image: at
 * least 1, at most rows. */
static int chunk_rows(size_t per, int hw, int rows)
{
    int c = (int)(PS_NN_CONV_CHUNK_FLOATS / per);
    int mn = (PS_NN_CONV_MIN_COLS + hw - 1) / hw;
    c = c < mn ? mn : c;
    c = c < 1 ? 1 : c;
    return c < rows ? c : rows;
}

/* Images per chunk of this layer's columns (cin·k·k, chunk·ho·wo). */
static int conv_chunk(const ps_nn_node *d, int rows)
{
    size_t per = (size_t)d->ishape.c * d->k * d->k * d->shape.h * d->shape.w;
    return chunk_rows(per, d->shape.h * d->shape.w, rows);
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
    return !ps__nn_conv_pointwise(d) && 2 * d->pad == d->k - 1 && d->out <= d->ishape.c;
}

/* Images per chunk of dY's columns (og·k·k, chunk·h·w) for dx_as_conv. */
static int conv_dchunk(const ps_nn_node *d, int rows)
{
    size_t per = (size_t)(d->out / d->groups) * d->k * d->k * d->ishape.h * d->ishape.w;
    return chunk_rows(per, d->ishape.h * d->ishape.w, rows);
}

/* Nothing is kept from forward to backward: the input activation is, and backward remakes
 * the columns of each chunk. The workspace holds one chunk's columns, or the direct weight
 * gradient's chunk (conv_direct.c); the direct forward and input gradient need none. */
static size_t conv_work(const ps_net *net, const ps_nn_node *d, int32_t batch)
{
    if (ps__nn_conv_pointwise(d))
        return 0;
    int rows = d->shape.rows * batch;
    size_t a = (size_t)d->ishape.c * d->k * d->k * (size_t)conv_chunk(d, rows) * d->shape.h *
               d->shape.w;   /* one chunk's columns (or column gradients) */
    size_t b = dx_as_conv(d) ? (size_t)(d->out / d->groups) * d->k * d->k *
                                   (size_t)conv_dchunk(d, rows) * d->ishape.h * d->ishape.w
                             : 0;   /* one chunk of dY's columns, one group at a time */
    size_t c = ps__nn_conv_dense_ok(net, d) ? ps__nn_conv_dense_work(d, rows)
                                             : ps__nn_conv_direct_work(net, d, rows);
    a = a > b ? a : b;
    return a > c ? a : c;
}

/* The weight gradient's transpose, dWᵀ (kk, og) per group: OpenBLAS runs the long
 * reduction dWᵀ = cols·dYᵀ faster than dW = dY·colsᵀ for the zoo's shapes (e.g. og = 16,
 * kk = 144: 80 against 66 GFLOP/s, bench/README.md). */
static size_t conv_saved(const ps_nn_node *d, int32_t batch)
{
    (void)batch;
    return 2 * d->n_w;   /* dWᵀ, then the flipped weights of dx_as_conv or the transposed
                            weights of the direct kernel */
}

PS_NN_SIMD static void conv_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)training;
    (void)rng;
    if (ps__nn_conv_dense_ok(net, d)) {
        ps__nn_conv_dense_forward(net, d);
        return;
    }
    if (ps__nn_conv_direct_ok(net, d)) {
        ps__nn_conv_direct_forward(net, d);
        return;
    }
    int m = (int)ROWS(net, d), ho = d->shape.h, wo = d->shape.w, g = d->groups;
    int cin = d->ishape.c, cg = cin / g, og = d->out / g, kk = cg * d->k * d->k;
    int hw = ho * wo;
    size_t l = (size_t)m * hw;
    const float *x = ps__nn_in_act(net, d->in);             /* (cin, m, h, w) */
    const float *w = net->state + d->w_off;                 /* (out, cg, k, k) */
    const float *b = net->state + d->b_off;                 /* (out) */
    float *y = OUT(net, d);                                 /* (out, m, ho, wo) */
    /* y starts as the bias and the GEMMs add into it (beta 1): the bias pass is fused, and
     * OpenBLAS's beta-0 "small matrix" path is slower for these shapes. */
    for (int o = 0; o < d->out; o++) {
        float *yo = y + (size_t)o * l, bo = b[o];
        for (size_t i = 0; i < l; i++)
            yo[i] = bo;
    }
    if (ps__nn_conv_pointwise(d)) {   /* the input (cin, l) is its own columns */
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
        ps__nn_transpose(dw + (size_t)gi * og * kk, (size_t)kk, dwt + (size_t)gi * kk * og,
                         (size_t)og, kk, og, 1);
}

/* Both gradients of a dx_as_conv layer from one im2col of dY per chunk and group, D =
 * im2col(dY) (og·k·k, chunk·h·w) with the same padding:
 *   dx[group, chunk] (=, or += when acc) = W'·D, W'[c][o, a, b] = W[o][c][k−1−a][k−1−b];
 *   dW[o][c][ky][kx] = Σ D[(o, k−1−ky, k−1−kx), p]·X[c, p], summed over the chunks as
 *   R = D·Xᵀ (og·k·k, cg) per group (the 2·pad = k−1 of a "same" convolution makes the
 *   shift of D's row (o, k−1−ky, k−1−kx) that of the input's row (c, ky, kx)).
 * So backward makes no columns of the input at all. dx may be NULL; want_dw = 0: dx only. */
static void conv_backward_via_dy(ps_net *net, ps_nn_node *d, const float *x, float *dx,
                                 int acc, int want_dw)
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
            if (want_dw)
                ps_nn_gemm(0, 1, ko, cg, lc, 1.0f, cols, lc,
                           x + (size_t)gi * cg * l + (size_t)i0 * hw, (int)l,
                           i0 ? 1.0f : 0.0f, r + (size_t)gi * ko * cg, cg);
            if (dx)
                ps_nn_gemm(0, 0, cg, lc, ko, 1.0f, wf + (size_t)gi * cg * ko, ko, cols, lc,
                           acc ? 1.0f : 0.0f, dx + (size_t)gi * cg * l + (size_t)i0 * hw,
                           (int)l);
        }
    }
    for (int gi = 0; gi < g && want_dw; gi++)
        for (int o = 0; o < og; o++)
            for (int c = 0; c < cg; c++)
                for (int j = 0; j < kk2; j++)
                    dw[(((size_t)gi * og + o) * cg + c) * kk2 + j] +=
                        r[((size_t)gi * ko + (size_t)o * kk2 + (kk2 - 1 - j)) * cg + c];
}

/* Both gradients of a 1×1 convolution without padding: dWᵀ = X·dYᵀ, dx = Wᵀ·dY straight
 * into dx (may be NULL). */
static void conv_backward_pointwise(ps_net *net, ps_nn_node *d, const float *x, float *dx,
                                    int acc)
{
    int g = d->groups, cg = d->ishape.c / g, og = d->out / g, kk = cg;
    size_t l = ROWS(net, d) * d->shape.h * d->shape.w;
    const float *w = net->state + d->w_off, *dy = DOUT(net, d);
    float *dwt = net->arena + d->save;                      /* (g, kk, og): dWᵀ per group */
    for (int gi = 0; gi < g; gi++)
        ps_nn_gemm(0, 1, kk, og, (int)l, 1.0f, x + (size_t)gi * kk * l, (int)l,
                   dy + (size_t)gi * og * l, (int)l, 0.0f, dwt + (size_t)gi * kk * og, og);
    add_transposed(net->grads + d->w_off, dwt, g, og, kk);
    for (int gi = 0; gi < g && dx; gi++)
        ps_nn_gemm(1, 0, kk, (int)l, og, 1.0f, w + (size_t)gi * og * kk, kk,
                   dy + (size_t)gi * og * l, (int)l, acc ? 1.0f : 0.0f,
                   dx + (size_t)gi * kk * l, (int)l);
}

/* The gradients by the columns of each chunk of images: dWᵀ += cols·dYᵀ (when want_dw), and
 * dx (may be NULL) by dcols = Wᵀ·dY and col2im. */
static void conv_backward_cols(ps_net *net, ps_nn_node *d, const float *x, float *dx, int acc,
                               int want_dw)
{
    int m = (int)ROWS(net, d), ho = d->shape.h, wo = d->shape.w, g = d->groups;
    int cin = d->ishape.c, cg = cin / g, og = d->out / g, kk = cg * d->k * d->k;
    int hw = ho * wo, h = d->ishape.h, wi = d->ishape.w;
    size_t l = (size_t)m * hw;
    const float *w = net->state + d->w_off, *dy = DOUT(net, d);
    float *dwt = net->arena + d->save;                      /* (g, kk, og): dWᵀ per group */
    float *cols = net->arena + net->ws;                     /* (cin·k·k, chunk·hw) */
    if (dx && !acc)
        memset(dx, 0, (size_t)cin * m * h * wi * sizeof(float));
    int chunk = conv_chunk(d, m);
    for (int i0 = 0; i0 < m; i0 += chunk) {
        int mc = m - i0 < chunk ? m - i0 : chunk, lc = mc * hw;
        if (want_dw) {
            ps__nn_im2col(cols, x + (size_t)i0 * h * wi, cin, mc, m, h, wi, d->k, d->pad, ho,
                          wo);
            for (int gi = 0; gi < g; gi++)   /* dWᵀ += cols · dY[:, chunk]ᵀ */
                ps_nn_gemm(0, 1, kk, og, lc, 1.0f, cols + (size_t)gi * kk * lc, lc,
                           dy + (size_t)gi * og * l + (size_t)i0 * hw, (int)l,
                           i0 ? 1.0f : 0.0f, dwt + (size_t)gi * kk * og, og);
            if (i0 + mc >= m)
                add_transposed(net->grads + d->w_off, dwt, g, og, kk);
        }
        if (!dx)
            continue;
        for (int gi = 0; gi < g; gi++)   /* dcols = Wᵀ·dY[:, chunk], over the columns */
            ps_nn_gemm(1, 0, kk, lc, og, 1.0f, w + (size_t)gi * og * kk, kk,
                       dy + (size_t)gi * og * l + (size_t)i0 * hw, (int)l, 0.0f,
                       cols + (size_t)gi * kk * lc, lc);
        ps__nn_col2im(dx + (size_t)i0 * h * wi, cols, cin, mc, m, h, wi, d->k, d->pad, ho, wo);
    }
}

/* The bias gradient (with the fused ReLU's backward, in place on dY), then the input and
 * weight gradients: each by a direct kernel where it applies, the rest by GEMMs. */
PS_NN_SIMD static void conv_backward(ps_net *net, ps_nn_node *d)
{
    size_t l = ROWS(net, d) * d->shape.h * d->shape.w;
    const float *x = ps__nn_in_act(net, d->in);             /* (cin, m, h, w) */
    float *db = net->grads + d->b_off, *dy = DOUT(net, d);  /* dy: (out, l) */
    int acc, want_dw = 1;
    float *dx = ps__nn_in_grad(net, d->in, &acc);
    for (int o = 0; o < d->out; o++) {
        float *dyo = dy + (size_t)o * l;
        db[o] += (float)(d->relu ? run_sum_masked(dyo, OUT(net, d) + (size_t)o * l, l)
                                 : run_sum(dyo, l));
    }
    if (ps__nn_conv_dense_ok(net, d)) {
        ps__nn_conv_dense_backward(net, d, x, dx, acc);
        return;
    }
    if (dx && ps__nn_conv_direct_dx_ok(net, d)) {
        ps__nn_conv_direct_dx(net, d, dx, acc);
        dx = NULL;
    }
    if (ps__nn_conv_direct_dw_ok(net, d)) {
        ps__nn_conv_direct_dw(net, d);
        add_transposed(net->grads + d->w_off, net->arena + d->save, d->groups,
                       d->out / d->groups, d->ishape.c / d->groups * d->k * d->k);
        want_dw = 0;
    }
    if (ps__nn_conv_pointwise(d))
        conv_backward_pointwise(net, d, x, dx, acc);
    else if (dx_as_conv(d) && (dx || want_dw))
        conv_backward_via_dy(net, d, x, dx, acc, want_dw);
    else if (dx || want_dw)
        conv_backward_cols(net, d, x, dx, acc, want_dw);
}

/* PyTorch's layout: (out, cin / groups, k, k). */
static int32_t conv_weight_shape(const ps_nn_node *d, int32_t shape[4])
{
    shape[0] = d->out;
    shape[1] = d->ishape.c / d->groups;
    shape[2] = d->k;
    shape[3] = d->k;
    return 4;
}

const ps_nn_ops ps__nn_conv_ops = {
    .plan = conv_plan, .forward = conv_forward, .backward = conv_backward,
    .saved = conv_saved, .work = conv_work, .init = ps__nn_init_fan_in,
    .weight_shape = conv_weight_shape, .fuses_relu = 1,
};
