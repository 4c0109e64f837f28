/* Tests of the nn core's convolution: im2col against plain loops, GEMM, forward values
 * against an independent direct computation, gradients against central finite differences
 * (test_nn_gradcheck.h), both kernel choices (im2col + GEMM, and the AVX-512 direct kernel
 * where the CPU has it), and the kernels option itself. Uses nn internals (src/nn/conv.h). */
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

/* Which path each CONV node of net takes in forward: the direct kernel exactly when the
 * kernels are PS_NN_KERNELS_AUTO and the CPU has AVX-512 (and the layer suits it: here all
 * do). Prints the path, so the log shows what ran. */
static void check_conv_path(ps_net *net, ps_nn_kernels kernels)
{
    int direct = 0;
#ifdef PS_NN_X86_GCC
    direct = kernels == PS_NN_KERNELS_AUTO && __builtin_cpu_supports("avx512f");
#endif
    printf("     kernels %s: %s\n", ps_nn_kernels_name(kernels),
           direct ? "AVX-512 direct convolution" : "im2col + GEMM");
    for (int32_t i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].kind == PS_L_CONV)
            CHECK_EQ_INT(ps__nn_conv_direct_ok(net, &net->nodes[i]), direct);
}

/* The values of nodes "ra", "b" and "c" (CNHW, n images of 10×10) off the reference ref (NCHW)
 * by more than 1e-4 relative. */
static int direct_shapes_off(const ps_net *net, float *const ref[3], int n)
{
    const char *names[3] = {"ra", "b", "c"};
    int outs[3] = {80, 16, 48}, bad = 0;
    for (int t = 0; t < 3; t++) {
        const float *out = ps_net_out(net, ps_net_find(net, names[t])); /* CNHW */
        for (int m = 0; m < n; m++)
            for (int c = 0; c < outs[t]; c++)
                for (int j = 0; j < 100; j++) {
                    float a = out[((size_t)c * n + m) * 100 + j];
                    float r = ref[t][((size_t)m * outs[t] + c) * 100 + j];
                    bad += fabsf(a - r) > 1e-4f * (1.0f + fabsf(r));
                }
    }
    return bad;
}

/* The zoo's second convolutions take conv_direct in forward when the kernels are
 * PS_NN_KERNELS_AUTO and the CPU has AVX-512 (conv_direct.c: ≥ 8 inputs, 16·j outputs, output
 * widths 10, 12, 14; else im2col + GEMM): against the independent reference, with the fused
 * ReLU, padding, 80 outputs (blocks of 32, 32 and 16 channels) and 48 (32, 16); then the
 * gradients through the same layers without the ReLU by finite differences. */
static void conv_direct_shapes(ps_nn_kernels kernels)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "a", .out = 80, .k = 3, .pad = 0},
        {.kind = PS_L_RELU, .name = "ra"},
        {.kind = PS_L_CONV, .name = "b", .out = 16, .k = 3, .pad = 1},
        {.kind = PS_L_CONV, .name = "c", .out = 48, .k = 3, .pad = 1},
    };
    enum { N = 2, C = 12, H = 12 };
    ps_net *net;
    ps_err err;
    CHECK(ps_net_create(&net, s, SPEC_N(s), C, H, H, 1, &err) == 0);
    CHECK(ps_net_set_kernels(net, kernels, &err) == 0);
    CHECK(ps_net_reserve(net, N, &err) == 0);
    check_conv_path(net, kernels);
    ps_rng rng;
    ps_rng_seed(&rng, 8, 0);
    ps_net_init(net, &rng);
    float *x = malloc(sizeof(float) * N * C * H * H), *y1 = malloc(sizeof(float) * N * 80 * 100),
          *y2 = malloc(sizeof(float) * N * 16 * 100), *y3 = malloc(sizeof(float) * N * 48 * 100);
    for (int i = 0; i < N * C * H * H; i++)
        x[i] = ps_rng_uniform_range(&rng, -1, 1);
    ps_net_forward(net, x, N, 1, NULL);
    const float *st = ps_net_state(net);
    const ps_nn_view *v = ps_net_views(net);
    direct_conv(y1, x, st + v[0].offset, st + v[1].offset, N, C, H, H, 80, 3, 0, 1);
    for (int i = 0; i < N * 80 * 100; i++)
        y1[i] = y1[i] > 0.0f ? y1[i] : 0.0f;
    direct_conv(y2, y1, st + v[2].offset, st + v[3].offset, N, 80, 10, 10, 16, 3, 1, 1);
    direct_conv(y3, y2, st + v[4].offset, st + v[5].offset, N, 16, 10, 10, 48, 3, 1, 1);
    float *const ref[3] = {y1, y2, y3};
    CHECK_EQ_INT(direct_shapes_off(net, ref, N), 0);
    free(x);
    free(y1);
    free(y2);
    free(y3);
    ps_net_free(net);
    /* without the ReLU: its kinks under a's bias, summed over 200 positions, would defeat
     * central differences (the ReLU's backward is checked in test_grad_fused_relus) */
    static const ps_layer_spec s2[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "a", .out = 80, .k = 3, .pad = 0},
        {.kind = PS_L_CONV, .name = "b", .out = 16, .k = 3, .pad = 1},
        {.kind = PS_L_CONV, .name = "c", .out = 48, .k = 3, .pad = 1},
    };
    CHECK_EQ_INT(gradcheck_kernels(kernels, s2, SPEC_N(s2), C, H, H, N, "c", NULL), 0);
}

/* Both kernel choices in one run, so that neither path goes untested on a CPU with AVX-512. */
static void test_conv_direct_shapes(void)
{
    conv_direct_shapes(PS_NN_KERNELS_AUTO);
    conv_direct_shapes(PS_NN_KERNELS_GEMM);
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
    CHECK(ps_nn_kernels_parse(&k, "avx2", &err) == PS_EINVAL && k == PS_NN_KERNELS_GEMM);
    CHECK_STR_CONTAINS(err.msg, "expected auto or gemm");
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
    check_conv_path(net, PS_NN_KERNELS_GEMM);
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
           T(test_conv_forward_direct), T(test_conv_direct_shapes), T(test_kernels_option),
           T(test_grad_conv), T(test_grad_conv_groups), T(test_grad_conv_chunks),
           T(test_grads_without_input_grad))
