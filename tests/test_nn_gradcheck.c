/* pairsweep — the finite-difference gradient check of the nn tests (test_nn_gradcheck.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_nn_gradcheck.h"
#include "pairsweep/rng.h"

#define H_STEP 1e-3f

typedef struct gcheck {
    float h;            /* the step of the central differences */
    ps_net *net;
    int32_t outs[2], n_outs;
    float *r[2];        /* (numel of each output) */
    float *x;           /* (n, C, H, W) */
    int32_t n;
    size_t n_x;
} gcheck;

static double gc_loss(gcheck *g)
{
    ps_rng drop;
    ps_rng_seed(&drop, 99, 5); /* the same dropout mask for every evaluation */
    ps_net_forward(g->net, g->x, g->n, 1, &drop);
    double l = 0.0;
    for (int j = 0; j < g->n_outs; j++) {
        ps_nn_shape s = ps_net_shape(g->net, g->outs[j]);
        size_t cnt = (size_t)s.rows * s.c * s.h * s.w * g->n;
        const float *y = ps_net_out(g->net, g->outs[j]);
        for (size_t i = 0; i < cnt; i++)
            l += (double)g->r[j][i] * y[i];
    }
    return l;
}

static void gc_backward(gcheck *g)
{
    gc_loss(g);
    ps_net_zero_grad(g->net);
    for (int j = 0; j < g->n_outs; j++) {
        ps_nn_shape s = ps_net_shape(g->net, g->outs[j]);
        size_t cnt = (size_t)s.rows * s.c * s.h * s.w * g->n;
        float *dy = ps_net_dout(g->net, g->outs[j]);
        for (size_t i = 0; i < cnt; i++)
            dy[i] += g->r[j][i];
    }
    ps_net_backward(g->net);
}

/* Compares analytic gradients an[0..cnt) of the values v[0..cnt) with central differences. */
static int gc_compare(gcheck *g, float *v, const float *an, size_t cnt, const char *what)
{
    double amax = 0.0;
    for (size_t i = 0; i < cnt; i++)
        amax = fabs(an[i]) > amax ? fabs(an[i]) : amax;
    size_t step = cnt > 48 ? cnt / 48 : 1;
    int bad = 0;
    for (size_t i = 0; i < cnt; i += step) {
        float keep = v[i];
        v[i] = keep + g->h;
        double lp = gc_loss(g);
        v[i] = keep - g->h;
        double lm = gc_loss(g);
        v[i] = keep;
        double f = (lp - lm) / ((double)(keep + g->h) - (double)(keep - g->h));
        if (fabs(an[i] - f) > 2e-2 * fabs(an[i]) + 1e-2 * amax + 1e-3) {
            if (bad < 3)
                fprintf(stderr, "  %s[%zu]: analytic %.6g, numeric %.6g\n", what, i,
                        (double)an[i], f);
            bad++;
        }
    }
    return bad;
}

int gradcheck_step(ps_nn_kernels kernels, const ps_layer_spec *specs, int32_t n_specs,
                   int32_t c, int32_t h, int32_t w, int32_t n, const char *out1,
                   const char *out2, float step)
{
    gcheck g = {.h = step};
    ps_err err;
    if (ps_net_create(&g.net, specs, n_specs, c, h, w, 1, &err) ||
        ps_net_set_kernels(g.net, kernels, &err) || ps_net_reserve(g.net, n, &err)) {
        fprintf(stderr, "  build: %s\n", err.msg);
        return -1;
    }
    ps_rng rng;
    ps_rng_seed(&rng, 1234, 0);
    ps_net_init(g.net, &rng);
    ps_net_want_input_grad(g.net, 1);
    g.n = n;
    g.n_x = (size_t)n * c * h * w;
    g.x = malloc(g.n_x * sizeof(float));
    for (size_t i = 0; i < g.n_x; i++)
        g.x[i] = ps_rng_uniform_range(&rng, -1.5f, 1.5f);
    const char *outs[2] = {out1, out2};
    for (int j = 0; j < 2 && outs[j]; j++) {
        g.outs[j] = ps_net_find(g.net, outs[j]);
        ps_nn_shape s = ps_net_shape(g.net, g.outs[j]);
        size_t cnt = (size_t)s.rows * s.c * s.h * s.w * n;
        g.r[j] = malloc(cnt * sizeof(float));
        for (size_t i = 0; i < cnt; i++)
            g.r[j][i] = ps_rng_uniform_range(&rng, -1.0f, 1.0f);
        g.n_outs = j + 1;
    }
    /* Shift parameters a little off their init so BN's gamma/beta are not the trivial 1/0. */
    float *st = ps_net_state(g.net);
    for (size_t i = 0; i < ps_net_n_params(g.net); i++)
        st[i] += ps_rng_uniform_range(&rng, -0.2f, 0.2f);
    gc_backward(&g);
    size_t np = ps_net_n_params(g.net);
    float *an = malloc((np + g.n_x) * sizeof(float));
    memcpy(an, ps_net_grads(g.net), np * sizeof(float));
    memcpy(an + np, ps_net_dinput(g.net), g.n_x * sizeof(float));
    int bad = 0;
    const ps_nn_view *v = ps_net_views(g.net);
    for (int32_t i = 0; i < ps_net_n_views(g.net); i++)
        if (v[i].trainable)
            bad += gc_compare(&g, st + v[i].offset, an + v[i].offset, v[i].count, v[i].name);
    bad += gc_compare(&g, g.x, an + np, g.n_x, "input");
    free(an);
    free(g.x);
    free(g.r[0]);
    free(g.r[1]);
    ps_net_free(g.net);
    return bad;
}

int gradcheck_kernels(ps_nn_kernels kernels, const ps_layer_spec *specs, int32_t n_specs,
                      int32_t c, int32_t h, int32_t w, int32_t n, const char *out1,
                      const char *out2)
{
    return gradcheck_step(kernels, specs, n_specs, c, h, w, n, out1, out2, H_STEP);
}

int gradcheck(const ps_layer_spec *specs, int32_t n_specs, int32_t c, int32_t h, int32_t w,
              int32_t n, const char *out1, const char *out2)
{
    return gradcheck_kernels(PS_NN_KERNELS_AUTO, specs, n_specs, c, h, w, n, out1, out2);
}
