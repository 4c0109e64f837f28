/* pairsweep — the kinds that only move values: SPATIAL (the model input NCHW → CNHW, or the
 * Siamese split), FLATTEN (CNHW → flat), MERGE (rows back into features, a view) and CONCAT
 * (two flat tensors side by side). */
#include <string.h>

#include "net_internal.h"
#include "simd.h"

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

/* ---- FLATTEN: (C, M, HW) → (M, C·HW) -------------------------------------------------------- */

static int flatten_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    (void)net;
    int rc = ps__nn_need_spatial(d, err);
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

/* ---- CONCAT: (M, F1), (M, F2) → (M, F1 + F2) ------------------------------------------------- */

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

const ps_nn_ops ps__nn_spatial_ops = {
    .plan = spatial_plan, .forward = spatial_forward, .backward = spatial_backward,
};
const ps_nn_ops ps__nn_flatten_ops = {
    .plan = flatten_plan, .forward = flatten_forward, .backward = flatten_backward,
};
const ps_nn_ops ps__nn_merge_ops = {.plan = merge_plan};   /* a view: nothing to run */
const ps_nn_ops ps__nn_concat_ops = {
    .plan = concat_plan, .forward = concat_forward, .backward = concat_backward, .inputs = 2,
};
