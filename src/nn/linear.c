/* pairsweep — LINEAR: y = x·Wᵀ + b on flat (M, in) → (M, out), by GEMM. */
#include <string.h>

#include "net_internal.h"

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
    const float *x = ps__nn_in_act(net, d->in);      /* (m, fin) */
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

/* PyTorch's layout: (out, in). */
static int32_t linear_weight_shape(const ps_nn_node *d, int32_t shape[4])
{
    shape[0] = d->out;
    shape[1] = d->ishape.c * d->ishape.h * d->ishape.w;
    return 2;
}

const ps_nn_ops ps__nn_linear_ops = {
    .plan = linear_plan, .forward = linear_forward, .backward = linear_backward,
    .init = ps__nn_init_fan_in, .weight_shape = linear_weight_shape,
};
