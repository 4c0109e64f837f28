/* Tests of the nn core's convolution: im2col against plain loops, GEMM, forward values
 * against an independent direct computation, gradients against central finite differences
 * (test_nn_gradcheck.h), every kernels choice (im2col + GEMM, and the AVX-512 and AVX2 direct
 * kernels where the CPU has them: the log says which were not tested), and the kernels option
 * itself. Uses nn internals (src/nn/conv.h). */
#include <stdint.h>

#include "check.h"
#include "conv.h"
#include "test_nn_gradcheck.h"
#include "pairsweep/nn.h"
#include "pairsweep/rng.h"
#include "simd.h"

static void test_grad_conv(void)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "c1", .out = 3, .k = 3, .pad = 1},
        {.kind = PS_L_CONV, .name = "c2", .out = 4, .k = 2, .pad = 0},
    };
    CHECK_EQ_INT(gradcheck(s, SPEC_N(s), 2, 5, 6, 3, "c2", NULL), 0);
}

static void test_grad_conv_groups(void)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "c1", .out = 4, .k = 3, .pad = 2, .groups = 2},
        {.kind = PS_L_CONV, .name = "c2", .out = 6, .k = 5, .pad = 2, .groups = 2},
        {.kind = PS_L_CONV, .name = "c3", .out = 4, .k = 3, .pad = 1, .groups = 2},
    };
    /* c3: 3 → 2 channels per group, "same": input gradient as a convolution of dY */
    CHECK_EQ_INT(gradcheck(s, SPEC_N(s), 2, 6, 5, 2, "c3", NULL), 0);
}

static void test_grad_conv_chunks(void)
{
    /* c2's and c3's columns take 40·9·14·14 floats per image, more than a chunk (conv.c):
     * backward runs one image per chunk and sums the weight gradient over the chunks; c2
     * (40 → 40, "same") computes its input gradient as a convolution of dY, one image of
     * dY's columns per chunk too; c3 (40 → 3) as well, in one chunk. */
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "c1", .out = 40, .k = 3, .pad = 1},
        {.kind = PS_L_CONV, .name = "c2", .out = 40, .k = 3, .pad = 1},
        {.kind = PS_L_CONV, .name = "c3", .out = 3, .k = 3, .pad = 1},
    };
    CHECK_EQ_INT(gradcheck(s, SPEC_N(s), 2, 14, 14, 3, "c3", NULL), 0);
}

/* The parameter gradients do not depend on whether the input gradient is wanted: a first
 * layer that takes both gradients from im2col(dY) (2 → 2 channels, "same") without dx. */
static void test_grads_without_input_grad(void)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "c1", .out = 2, .k = 3, .pad = 1},
        {.kind = PS_L_CONV, .name = "c2", .out = 3, .k = 5, .pad = 2},
    };
    float x[4 * 2 * 6 * 5], g[2][2 * 18 + 2 + 3 * 50 + 3];
    ps_rng rng;
    ps_rng_seed(&rng, 11, 0);
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = ps_rng_uniform_range(&rng, -1, 1);
    for (int v = 0; v < 2; v++) {
        ps_net *net;
        ps_err err;
        CHECK(ps_net_create(&net, s, SPEC_N(s), 2, 6, 5, 1, &err) == 0);
        CHECK(ps_net_reserve(net, 4, &err) == 0);
        CHECK_EQ_INT(ps_net_n_params(net), sizeof g[0] / sizeof g[0][0]);
        ps_rng_seed(&rng, 12, 0);
        ps_net_init(net, &rng);
        ps_net_want_input_grad(net, v);
        ps_net_forward(net, x, 4, 1, NULL);
        ps_net_zero_grad(net);
        float *dy = ps_net_dout(net, 2);
        for (int i = 0; i < 4 * 3 * 30; i++)
            dy[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
        ps_net_backward(net);
        memcpy(g[v], ps_net_grads(net), sizeof g[v]);
        ps_net_free(net);
    }
    CHECK(!memcmp(g[0], g[1], sizeof g[0]));
}

/* Direct convolution on NCHW, zero padding, groups: an independent reference. */
static void direct_conv(float *y, const float *x, const float *w, const float *b, int n, int c,
                        int h, int wd, int o, int k, int pad, int g)
{
    int ho = h + 2 * pad - k + 1, wo = wd + 2 * pad - k + 1, cg = c / g, og = o / g;
    for (int m = 0; m < n; m++)
        for (int oc = 0; oc < o; oc++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    double s = b[oc];
                    int gi = oc / og;
                    for (int ic = 0; ic < cg; ic++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                int iy = oy + ky - pad, ix = ox + kx - pad;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                                    continue;
                                s += (double)w[((oc * cg + ic) * k + ky) * k + kx] *
                                     x[((m * c + gi * cg + ic) * h + iy) * wd + ix];
                            }
                    y[((m * o + oc) * ho + oy) * wo + ox] = (float)s;
                }
}

static void test_conv_forward_direct(void)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "c", .out = 4, .k = 3, .pad = 1, .groups = 2},
        {.kind = PS_L_CONV, .name = "d", .out = 2, .k = 2, .pad = 0},
    };
    ps_net *net;
    ps_err err;
    CHECK(ps_net_create(&net, s, 3, 2, 5, 4, 1, &err) == 0);
    CHECK(ps_net_reserve(net, 3, &err) == 0);
    ps_rng rng;
    ps_rng_seed(&rng, 5, 0);
    ps_net_init(net, &rng);
    float x[3 * 2 * 5 * 4], y1[3 * 4 * 5 * 4], y2[3 * 2 * 4 * 3];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = ps_rng_uniform_range(&rng, -1, 1);
    ps_net_forward(net, x, 3, 1, NULL);
    const float *st = ps_net_state(net);
    const ps_nn_view *v = ps_net_views(net);
    CHECK(!strcmp(v[0].name, "c.weight") && v[0].shape[1] == 1 && v[0].shape[3] == 3);
    direct_conv(y1, x, st + v[0].offset, st + v[1].offset, 3, 2, 5, 4, 4, 3, 1, 2);
    direct_conv(y2, y1, st + v[2].offset, st + v[3].offset, 3, 4, 5, 4, 2, 2, 0, 1);
    const float *out = ps_net_out(net, 2); /* CNHW (2, 3, 4, 3) */
    for (int m = 0; m < 3; m++)
        for (int c = 0; c < 2; c++)
            for (int j = 0; j < 12; j++)
                CHECK_NEAR(out[(c * 3 + m) * 12 + j], y2[(m * 2 + c) * 12 + j], 1e-5);
    ps_net_free(net);
}

/* The direct kernels' ISA a kernels choice should give on this CPU (the contract of
 * ps_nn_kernels, stated independently of conv_direct.c). */
static ps__nn_isa expected_isa(ps_nn_kernels kernels)
{
#ifdef PS_NN_X86_GCC
    if (kernels == PS_NN_KERNELS_GEMM)
        return PS_NN_ISA_NONE;
    if (kernels == PS_NN_KERNELS_AUTO && __builtin_cpu_supports("avx512f"))
        return PS_NN_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return PS_NN_ISA_AVX2;
#else
    (void)kernels;
#endif
    return PS_NN_ISA_NONE;
}

static const char *const isa_names[] = {"im2col + GEMM", "AVX2 + FMA direct convolution",
                                        "AVX-512 direct convolution"};

/* 1 when the space-separated list has the word name. */
static int listed(const char *list, const char *name)
{
    char l[128], key[PS_NN_NAME_MAX + 2];
    snprintf(l, sizeof l, " %s ", list);
    snprintf(key, sizeof key, " %s ", name);
    return strstr(l, key) != NULL;
}

static int n_wino; /* the forward passes and input gradients check_conv_path saw on Winograd */

static int n_wino5; /* those of them on F(m×m, 5×5) */

/* 0 when PS_NN_WINO=0 in the environment switches Winograd off (conv_direct.c). */
static int wino_on(void)
{
    const char *e = getenv("PS_NN_WINO");
    return !(e && !strcmp(e, "0"));
}

/* 0 when PS_NN_WINO5=0 switches F(m×m, 5×5) off. */
static int wino5_on(void)
{
    const char *e = getenv("PS_NN_WINO5");
    return wino_on() && !(e && !strcmp(e, "0"));
}

static int n_dense; /* the layers check_conv_path saw on the dense small-plane path */

/* 0 when PS_NN_DENSE=0 in the environment switches the dense path off (conv_dense.c). */
static int dense_on(void)
{
    const char *e = getenv("PS_NN_DENSE");
    return !(e && !strcmp(e, "0"));
}

/* 1 when every output position of layer d's plane meets every input position through a tap
 * (a "same" layer on a plane no wider or taller than pad + 1) and the dense path should take
 * it: with the AVX2 kernels, planes of 2 to 16 positions, 64 or more rows on both sides of
 * its matrix (channels × positions). */
static int want_dense_path(const ps_nn_node *d, ps__nn_isa isa)
{
    int h = d->ishape.h, w = d->ishape.w, n = h * w;
    int cg = d->ishape.c / d->groups, og = d->out / d->groups;
    return isa == PS_NN_ISA_AVX2 && dense_on() && d->k == 2 * d->pad + 1 && h <= d->pad + 1 &&
           w <= d->pad + 1 && n > 1 && n <= 16 && cg * n >= 64 && og * n >= 64;
}

/* Which path each CONV node of net takes: a direct kernel of the expected ISA exactly for the
 * nodes named in `direct` (forward) and `dx` (input gradient), space-separated, when the
 * choice and the CPU give one, but for those the dense path takes (forward and both
 * gradients). Prints the path, so the log shows what ran. */
static void check_conv_path(ps_net *net, ps_nn_kernels kernels, const char *direct,
                            const char *dx)
{
    ps__nn_isa isa = expected_isa(kernels);
    printf("     kernels %s: %s\n", ps_nn_kernels_name(kernels), isa_names[isa]);
    CHECK_EQ_INT(ps__nn_direct_isa(net), isa);
    for (int32_t i = 0; i < net->n_nodes; i++) {
        const ps_nn_node *d = &net->nodes[i];
        if (d->kind != PS_L_CONV)
            continue;
        int dense = want_dense_path(d, isa);
        CHECK_EQ_INT(ps__nn_conv_dense_ok(net, d), dense);
        n_dense += dense;
        int want = isa != PS_NN_ISA_NONE && listed(direct, d->name) && !dense;
        int want_dx = isa != PS_NN_ISA_NONE && listed(dx, d->name) && !dense;
        if (ps__nn_conv_direct_ok(net, d) != want || ps__nn_conv_direct_dx_ok(net, d) != want_dx)
            fprintf(stderr, "  node %s: direct %d, dx %d; expected %d, %d\n", d->name,
                    ps__nn_conv_direct_ok(net, d), ps__nn_conv_direct_dx_ok(net, d), want,
                    want_dx);
        CHECK_EQ_INT(ps__nn_conv_direct_ok(net, d), want);
        CHECK_EQ_INT(ps__nn_conv_direct_dx_ok(net, d), want_dx);
        /* Winograd inside the direct path, 16·j channels on both sides: F(2×2, 3×3) for the
         * 3×3 layers on planes even, or odd from 7 with 32 channels or more on both sides;
         * F(m×m, 5×5) for the 5×5 layers on planes from 7, or smaller with 64 channels or
         * more on both sides */
        int cg = d->ishape.c / d->groups, og = d->out / d->groups;
        int wino = cg % 16 == 0 && og % 16 == 0 &&
                   ((d->k == 3 && wino_on()) || (d->k == 5 && wino5_on()));
        int big = cg >= 32 && og >= 32;
#define WINO_PLANE(n)                                                                          \
    (d->k == 5 ? (n) >= 7 || (cg >= 64 && og >= 64) : ((n) % 2 == 0 || ((n) >= 7 && big)))
        CHECK_EQ_INT(ps__nn_conv_wino_ok(net, d, 0),
                     want && wino && WINO_PLANE(d->shape.h) && WINO_PLANE(d->shape.w));
        CHECK_EQ_INT(ps__nn_conv_wino_ok(net, d, 1),
                     want_dx && wino && WINO_PLANE(d->ishape.h) && WINO_PLANE(d->ishape.w));
#undef WINO_PLANE
        if (d->k == 5)
            n_wino5 += ps__nn_conv_wino_ok(net, d, 0) + ps__nn_conv_wino_ok(net, d, 1);
        n_wino += ps__nn_conv_wino_ok(net, d, 0) + ps__nn_conv_wino_ok(net, d, 1);
    }
}

/* A chain of convolutions (each optionally followed by a ReLU) for test_conv_direct_shapes:
 * the input (c, h, w), the specs, and the CONV nodes that take a direct kernel in forward
 * and for their input gradient. */
typedef struct direct_case {
    int32_t c, h, w;
    ps_layer_spec s[8];
    int32_t n;
    const char *direct, *dx;
} direct_case;

#define DC_CONV(nm, o, kk, p, g) {.kind = PS_L_CONV, .name = nm, .out = o, .k = kk, .pad = p, \
                                  .groups = g}
#define DC_RELU(nm) {.kind = PS_L_RELU, .name = nm}
/* The zoo's shapes (conv.h, PS_NN_DIRECT_SHAPES) and their neighbours: 3×3 "same" at 14 (80
 * outputs: blocks of 32, 32, 16 / 16), 3×3 valid to 12 (not a direct shape) and to 10;
 * report 002's 5×5 and 3×3 "same" on 14×14, 7×7 and 3×3 planes (and 5×3: not square, row
 * by row), with groups; first layers of 1 input (5×5: direct) and of 2 (3×3, 18
 * multiply-adds per output: im2col + GEMM). The AVX2 kernels take the 3×3 "same" layers on
 * square 7×7 and 3×3 planes in blocks of rows (cd_block_rows: "c" of the 7×7 case, "b" of
 * the 3×3 one, forward and dx), the 5×3 plane row by row. Winograd (conv_wino_kernel.h) takes
 * the 3×3 layers of 16·j channels on even planes ("a" and "c" of the first case, "b" of the
 * third) and on 7×7 ones with 32 or more (the fifth case: tiles overhanging the plane);
 * F(m×m, 5×5) (conv_wino5_kernel.h) the 5×5 layers of 16·j channels on planes from 7 (4×4
 * tiles: "b" of the third case, 14×14; the eighth, 7×7, with groups) and on smaller ones with
 * 64 or more (3×3 tiles: the last two, 3×3, where the AVX2 kernels take the dense path
 * instead, and 5×3). */
static const direct_case direct_cases[] = {
    {16, 14, 14, {{.kind = PS_L_SPATIAL}, DC_CONV("a", 80, 3, 1, 1), DC_RELU("ra"),
                  DC_CONV("b", 32, 3, 0, 2), DC_CONV("c", 48, 3, 0, 1)}, 5, "a c", "a c"},
    {2, 14, 14, {{.kind = PS_L_SPATIAL}, DC_CONV("a", 32, 5, 2, 2), DC_RELU("ra"),
                 DC_CONV("b", 16, 3, 1, 1)}, 4, "a b", "b"},
    {2, 14, 14, {{.kind = PS_L_SPATIAL}, DC_CONV("a", 16, 3, 1, 1),
                 DC_CONV("b", 32, 5, 2, 1)}, 3, "b", "b"},
    {2, 7, 7, {{.kind = PS_L_SPATIAL}, DC_CONV("a", 16, 5, 2, 1), DC_RELU("ra"),
               DC_CONV("b", 64, 5, 2, 2), DC_RELU("rb"), DC_CONV("c", 48, 3, 1, 1),
               DC_CONV("d", 32, 5, 2, 2)}, 7, "a b c d", "c"},
    {32, 7, 7, {{.kind = PS_L_SPATIAL}, DC_CONV("a", 32, 3, 1, 1), DC_RELU("ra"),
                DC_CONV("b", 48, 3, 1, 1)}, 4, "a b", "a b"},
    {16, 3, 3, {{.kind = PS_L_SPATIAL}, DC_CONV("a", 96, 5, 2, 1), DC_RELU("ra"),
                DC_CONV("b", 32, 3, 1, 2), DC_CONV("c", 16, 5, 2, 1)}, 5, "a b c", "a b c"},
    {16, 5, 3, {{.kind = PS_L_SPATIAL}, DC_CONV("a", 96, 5, 2, 1), DC_RELU("ra"),
                DC_CONV("b", 32, 3, 1, 2)}, 4, "a b", "a b"},
    {32, 7, 7, {{.kind = PS_L_SPATIAL}, DC_CONV("a", 64, 5, 2, 1), DC_RELU("ra"),
                DC_CONV("b", 32, 5, 2, 2)}, 4, "a b", "a b"},
    {64, 3, 3, {{.kind = PS_L_SPATIAL}, DC_CONV("a", 128, 5, 2, 1), DC_RELU("ra"),
                DC_CONV("b", 64, 5, 2, 1)}, 4, "a b", "a b"},
    {64, 5, 3, {{.kind = PS_L_SPATIAL}, DC_CONV("a", 64, 5, 2, 1)}, 2, "a", "a"},
};

/* The reference of one node in y (NCHW, n images): a convolution (direct_conv, in double)
 * or a ReLU of x, which has c channels of h × wd, updated to the output's. */
static void direct_case_ref(float *y, const float *x, const float *w, const float *b,
                            const ps_layer_spec *sp, int n, int *c, int *h, int *wd)
{
    size_t cnt = (size_t)n * *c * *h * *wd;
    if (sp->kind == PS_L_RELU) {
        for (size_t j = 0; j < cnt; j++)
            y[j] = x[j] > 0.0f ? x[j] : 0.0f;
        return;
    }
    direct_conv(y, x, w, b, n, *c, *h, *wd, sp->out, sp->k, sp->pad,
                sp->groups ? sp->groups : 1);
    *c = sp->out;
    *h += 2 * sp->pad - sp->k + 1;
    *wd += 2 * sp->pad - sp->k + 1;
}

/* A backward pass of net after its forward on n samples, the last node's output gradient a
 * fixed pattern: the parameter gradients and the input gradient are appended to *out (n_out
 * floats, realloc'd). */
static void direct_case_backward(ps_net *net, int n, float **out, size_t *n_out)
{
    int32_t last = ps_net_n_nodes(net) - 1;
    ps_nn_shape sh = ps_net_shape(net, last);
    size_t ny = (size_t)n * sh.rows * sh.c * sh.h * sh.w, np = ps_net_n_params(net);
    size_t nx = (size_t)n * net->in_shape.c * net->in_shape.h * net->in_shape.w;
    ps_net_zero_grad(net);
    float *dy = ps_net_dout(net, last);
    for (size_t i = 0; i < ny; i++)
        dy[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
    ps_net_backward(net);
    *out = realloc(*out, (*n_out + np + nx) * sizeof **out);
    memcpy(*out + *n_out, ps_net_grads(net), np * sizeof(float));
    memcpy(*out + *n_out + np, ps_net_dinput(net), nx * sizeof(float));
    *n_out += np + nx;
}

/* The forward values of case t's net built with `kernels`, at every node not followed by a
 * fused ReLU, against the reference in double: the number of values off by more than 1e-4
 * relative (-1: the net did not build). Those outputs (CNHW, one after the other) and then
 * the gradients of a backward pass (direct_case_backward) are returned in *out (malloc'd),
 * *n_out floats. */
static int direct_case_off(const direct_case *t, ps_nn_kernels kernels, int n, float **out,
                           size_t *n_out)
{
    ps_net *net;
    ps_err err;
    if (ps_net_create(&net, t->s, t->n, t->c, t->h, t->w, 1, &err) ||
        ps_net_set_kernels(net, kernels, &err) || ps_net_reserve(net, n, &err))
        return -1;
    ps_net_want_input_grad(net, 1);
    check_conv_path(net, kernels, t->direct, t->dx);
    ps_rng rng;
    ps_rng_seed(&rng, 8, 0);
    ps_net_init(net, &rng);
    size_t cap = (size_t)n * 128 * t->h * t->w;
    float *x = malloc(cap * sizeof *x), *y = malloc(cap * sizeof *y);
    *out = malloc((size_t)t->n * cap * sizeof **out);
    *n_out = 0;
    for (size_t i = 0; i < (size_t)n * t->c * t->h * t->w; i++)
        x[i] = ps_rng_uniform_range(&rng, -1, 1);
    ps_net_forward(net, x, n, 1, NULL);
    const float *st = ps_net_state(net);
    const ps_nn_view *v = ps_net_views(net);
    int bad = 0, c = t->c, h = t->h, wd = t->w;
    for (int32_t i = 1; i < t->n; i++, memcpy(x, y, cap * sizeof *x)) {
        const ps_layer_spec *sp = &t->s[i];
        direct_case_ref(y, x, st + v[0].offset, st + v[1].offset, sp, n, &c, &h, &wd);
        if (sp->kind == PS_L_CONV)
            v += 2;
        if (i + 1 < t->n && t->s[i + 1].kind == PS_L_RELU)
            continue;   /* the node's output is the ReLU's (fused) */
        const float *got = ps_net_out(net, ps_net_find(net, sp->name)); /* CNHW */
        int hw = h * wd;
        for (int m = 0; m < n; m++)
            for (int ch = 0; ch < c; ch++)
                for (int j = 0; j < hw; j++) {
                    float a = got[((size_t)ch * n + m) * hw + j];
                    float r = y[((size_t)m * c + ch) * hw + j];
                    bad += fabsf(a - r) > 1e-4f * (1.0f + fabsf(r));
                }
        memcpy(*out + *n_out, got, (size_t)n * c * hw * sizeof(float));
        *n_out += (size_t)n * c * hw;
    }
    direct_case_backward(net, n, out, n_out);
    free(x);
    free(y);
    ps_net_free(net);
    return bad;
}

/* The gradients of case t's net without its ReLUs (their kinks under the biases, summed over
 * many positions, would defeat central differences; the ReLU's backward is checked in
 * test_grad_fused_relus) by finite differences through the forward pass of `kernels`. */
static int direct_case_grads(const direct_case *t, ps_nn_kernels kernels, int n)
{
    ps_layer_spec s[8];
    int32_t k = 0;
    for (int32_t i = 0; i < t->n; i++)
        if (t->s[i].kind != PS_L_RELU)
            s[k++] = t->s[i];
    /* without the ReLUs the loss is linear in each coordinate: a large step is exact */
    return gradcheck_step(kernels, s, k, t->c, t->h, t->w, n, s[k - 1].name, NULL, 0.1f);
}

/* Every kernels choice on the zoo's layer shapes (direct_cases): the path each layer takes
 * (check_conv_path), forward values against the reference in double, gradients by finite
 * differences; AUTO and AVX2 give the same bits, forward and backward (the same operations
 * per output), but where AVX2 takes the dense path and AUTO does not. A choice whose ISA this CPU lacks falls back, and the log names what was not
 * tested. */
static void test_conv_direct_shapes(void)
{
    enum { N = 2 };
    static const ps_nn_kernels ks[3] = {PS_NN_KERNELS_AUTO, PS_NN_KERNELS_AVX2,
                                        PS_NN_KERNELS_GEMM};
    if (expected_isa(PS_NN_KERNELS_AUTO) != PS_NN_ISA_AVX512)
        printf("     SKIPPED: the AVX-512 direct kernels (this CPU has no AVX-512F)\n");
    if (expected_isa(PS_NN_KERNELS_AVX2) != PS_NN_ISA_AVX2)
        printf("     SKIPPED: the AVX2 direct kernels (this CPU has no AVX2 + FMA)\n");
    for (size_t t = 0; t < sizeof direct_cases / sizeof direct_cases[0]; t++) {
        const direct_case *dc = &direct_cases[t];
        float *out[3];
        size_t n_out[3];
        int dense[3];
        for (int i = 0; i < 3; i++) {
            int before = n_dense;
            CHECK_EQ_INT(direct_case_off(dc, ks[i], N, &out[i], &n_out[i]), 0);
            CHECK_EQ_INT(direct_case_grads(dc, ks[i], N), 0);
            dense[i] = n_dense - before;
        }
        /* the same bits, but where the AVX2 choice took the dense path and AUTO did not (an
         * AVX-512 CPU): those are OpenBLAS's sums, checked against the reference above */
        CHECK(n_out[0] == n_out[1]);
        if (dense[0] == dense[1])
            CHECK(!memcmp(out[0], out[1], n_out[0] * sizeof(float)));
        for (int i = 0; i < 3; i++)
            free(out[i]);
    }
    /* Winograd ran, forward and input gradient, on cases 1 and 2's 3×3 layers ("a", "c"; "b"
     * of case 2), for AUTO and AVX2 alike (the same bits, above), wherever a direct kernel
     * does. */
    printf("     Winograd: %d forward passes and input gradients, %d of them F(m×m, 5×5)\n",
           n_wino, n_wino5);
    if (expected_isa(PS_NN_KERNELS_AVX2) != PS_NN_ISA_NONE && wino_on())
        CHECK(n_wino >= 8);
    /* F(m×m, 5×5): "b" of the third case and both layers of the eighth, forward and input
     * gradient, for AUTO and AVX2 */
    if (expected_isa(PS_NN_KERNELS_AVX2) != PS_NN_ISA_NONE && wino5_on())
        CHECK(n_wino5 >= 12);
    /* the dense path ran on the 5×5 layers of the 3×3 planes ("a", "c" of case 6) with the
     * AVX2 kernels (and AUTO, on a CPU without AVX-512) */
    printf("     dense small-plane path: %d layers\n", n_dense);
    if (expected_isa(PS_NN_KERNELS_AVX2) == PS_NN_ISA_AVX2 && dense_on())
        CHECK(n_dense >= 2);
}

/* The direct input gradient adds into a gradient that already holds a contribution: "a" is
 * read by "b" and "c", whose input gradients both take the direct kernel where the CPU has
 * one (checked by finite differences, every kernels choice). */
static void test_conv_direct_dx_acc(void)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "a", .out = 16, .k = 3, .pad = 1},
        {.kind = PS_L_CONV, .name = "b", .from = "a", .out = 16, .k = 5, .pad = 2},
        {.kind = PS_L_CONV, .name = "c", .from = "a", .out = 16, .k = 3, .pad = 1},
        {.kind = PS_L_ADD, .name = "s", .from = "b", .from2 = "c"},
    };
    /* the same on 14×14 planes, all 3×3: "c"'s input gradient adds by Winograd's kernel */
    static const ps_layer_spec s14[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "a", .out = 16, .k = 3, .pad = 1},
        {.kind = PS_L_CONV, .name = "b", .from = "a", .out = 16, .k = 3, .pad = 1},
        {.kind = PS_L_CONV, .name = "c", .from = "a", .out = 16, .k = 3, .pad = 1},
        {.kind = PS_L_ADD, .name = "s", .from = "b", .from2 = "c"},
    };
    /* and on 3×3 planes, 5×5: "b" and "c" take the dense path, "c"'s input gradient adds */
    static const ps_layer_spec s3[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "a", .out = 32, .k = 5, .pad = 2},
        {.kind = PS_L_CONV, .name = "b", .from = "a", .out = 32, .k = 5, .pad = 2},
        {.kind = PS_L_CONV, .name = "c", .from = "a", .out = 32, .k = 5, .pad = 2, .groups = 2},
        {.kind = PS_L_ADD, .name = "s", .from = "b", .from2 = "c"},
    };
    static const ps_nn_kernels ks[3] = {PS_NN_KERNELS_AUTO, PS_NN_KERNELS_AVX2,
                                        PS_NN_KERNELS_GEMM};
    for (int p = 0; p < 3; p++) {
        const ps_layer_spec *sp = p == 2 ? s3 : p ? s14 : s;
        int n = p == 2 ? SPEC_N(s3) : p ? SPEC_N(s14) : SPEC_N(s), hw = p == 2 ? 3 : p ? 14 : 7;
        for (int i = 0; i < 3; i++) {
            ps_net *net;
            ps_err err;
            CHECK(ps_net_create(&net, sp, n, 16, hw, hw, 1, &err) == 0);
            CHECK(ps_net_set_kernels(net, ks[i], &err) == 0);
            check_conv_path(net, ks[i], "a b c", "a b c");
            ps_net_free(net);
            CHECK_EQ_INT(gradcheck_step(ks[i], sp, n, 16, hw, hw, 2, "s", NULL, 0.1f), 0);
        }
    }
}

/* The kernels option: names, parsing, and ps_net_set_kernels's errors (a value out of range,
 * a call after ps_net_reserve: nothing changed). */
static void test_kernels_option(void)
{
    ps_nn_kernels k = PS_NN_KERNELS_AUTO;
    ps_err err;
    CHECK(ps_nn_kernels_parse(&k, "gemm", &err) == 0 && k == PS_NN_KERNELS_GEMM);
    CHECK(!strcmp(ps_nn_kernels_name(k), "gemm"));
    CHECK(!strcmp(ps_nn_kernels_name(PS_NN_KERNELS_AUTO), "auto"));
    CHECK(ps_nn_kernels_name(PS_NN_KERNELS_COUNT) == NULL);
    CHECK(ps_nn_kernels_parse(&k, "avx2", &err) == 0 && k == PS_NN_KERNELS_AVX2);
    CHECK(!strcmp(ps_nn_kernels_name(k), "avx2"));
    CHECK(ps_nn_kernels_parse(&k, "avx512", &err) == PS_EINVAL && k == PS_NN_KERNELS_AVX2);
    CHECK_STR_CONTAINS(err.msg, "expected auto, gemm or avx2");
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "c", .out = 16, .k = 3},
    };
    ps_net *net;
    CHECK(ps_net_create(&net, s, SPEC_N(s), 8, 12, 12, 1, &err) == 0);
    CHECK(ps_net_set_kernels(net, PS_NN_KERNELS_COUNT, &err) == PS_EINVAL);
    CHECK(ps_net_set_kernels(net, PS_NN_KERNELS_GEMM, &err) == 0);
    CHECK(ps_net_reserve(net, 2, &err) == 0);
    CHECK(ps_net_set_kernels(net, PS_NN_KERNELS_AUTO, &err) == PS_ESTATE);
    CHECK_STR_CONTAINS(err.msg, "ps_net_reserve");
    check_conv_path(net, PS_NN_KERNELS_GEMM, "", "");
    ps_net_free(net);
}

/* nn internals (src/nn/conv.h): the fast im2col against the plain loops, for every
 * window width it specialises and others, with and without padding, on a slice of the images
 * (ms > m), and a plane too large for its stack buffer. */
static void test_im2col_fast_equals_plain(void)
{
    static const int shapes[][4] = {/* h = w, k, pad */ {14, 3, 0}, {14, 3, 1}, {12, 3, 0},
                                    {7, 5, 2},  {5, 5, 2},  {3, 3, 1},  {9, 2, 0}, {17, 4, 3},
                                    {70, 3, 1}, {6, 1, 0}};
    ps_rng rng;
    ps_rng_seed(&rng, 5, 0);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int h = shapes[s][0], k = shapes[s][1], pad = shapes[s][2], c = 2, m = 2, ms = 3;
        int ho = h + 2 * pad - k + 1;
        size_t nx = (size_t)c * ms * h * h, nc = (size_t)c * k * k * m * ho * ho;
        float *x = malloc(nx * sizeof *x), *a = malloc(nc * sizeof *a), *b = malloc(nc * sizeof *b);
        for (size_t i = 0; i < nx; i++)
            x[i] = ps_rng_uniform(&rng);
        for (size_t i = 0; i < nc; i++)
            a[i] = b[i] = -1.0f;
        ps__nn_im2col(a, x + (size_t)h * h, c, m, ms, h, h, k, pad, ho, ho);
        ps__nn_im2col_plain(b, x + (size_t)h * h, c, m, ms, h, h, k, pad, ho, ho);
        CHECK(memcmp(a, b, nc * sizeof *a) == 0);
        /* col2im is im2col's adjoint: <im2col(x), y> = <x, col2im(y)> (y random, in b) */
        for (size_t i = 0; i < nc; i++)
            b[i] = ps_rng_uniform(&rng) - 0.5f;
        double lhs = 0.0, rhs = 0.0;
        for (size_t i = 0; i < nc; i++)
            lhs += (double)a[i] * b[i];
        float *dx = calloc(nx, sizeof *dx);
        ps__nn_col2im(dx + (size_t)h * h, b, c, m, ms, h, h, k, pad, ho, ho);
        for (size_t i = 0; i < nx; i++)
            rhs += (double)x[i] * dx[i];
        CHECK_NEAR(lhs, rhs, 1e-4 * (1.0 + fabs(lhs)));
        free(dx);
        free(x);
        free(a);
        free(b);
    }
}

static void test_gemm_transposes(void)
{
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, -1, 2, 0.5f, 1}, c[4];
    /* A (2×3) · B (3×2) */
    ps_nn_gemm(0, 0, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2);
    CHECK_NEAR(c[0], 1 * 1 + 2 * -1 + 3 * 0.5, 1e-6);
    CHECK_NEAR(c[3], 4 * 0 + 5 * 2 + 6 * 1, 1e-6);
    /* Aᵀ (3×2 stored as 2×3)ᵀ... use A as (2×3): Aᵀ·A' with B stored (2×3): (3×3)? keep 2×2: */
    ps_nn_gemm(0, 1, 2, 2, 3, 1, a, 3, a, 3, 0, c, 2); /* A·Aᵀ */
    CHECK_NEAR(c[1], 1 * 4 + 2 * 5 + 3 * 6, 1e-6);
    ps_nn_gemm(1, 0, 2, 2, 3, 1, b, 2, b, 2, 0, c, 2); /* Bᵀ·B, B (3×2) */
    CHECK_NEAR(c[0], 1 + 1 + 0.25, 1e-6);
    CHECK_NEAR(c[1], 0 - 2 + 0.5, 1e-6);
}

CHECK_MAIN(T(test_gemm_transposes), T(test_im2col_fast_equals_plain),
           T(test_conv_forward_direct), T(test_conv_direct_shapes), T(test_conv_direct_dx_acc),
           T(test_kernels_option),
           T(test_grad_conv), T(test_grad_conv_groups), T(test_grad_conv_chunks),
           T(test_grads_without_input_grad))
