/* pairsweep — the element-wise kinds: RELU, ADD (with a fused ReLU, and its gradient passed
 * by reference to an input read by it alone) and DROPOUT. */
#include <string.h>

#include "net_internal.h"
#include "simd.h"

/* ---- RELU ----------------------------------------------------------------------------------- */

PS_NN_SIMD static void relu_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)training;
    (void)rng;
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    const float *x = ps__nn_in_act(net, d->in);
    float *y = OUT(net, d);
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

PS_NN_SIMD static void relu_backward(ps_net *net, ps_nn_node *d)
{
    int acc;
    float *dx = ps__nn_in_grad(net, d->in, &acc);
    if (!dx)
        return;
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    const float *y = OUT(net, d), *dy = DOUT(net, d);
    /* unconditional loads: branch-free selects that vectorise */
    if (acc)
        for (size_t i = 0; i < n; i++) {
            float g = dy[i];
            dx[i] += y[i] > 0.0f ? g : 0.0f;
        }
    else
        for (size_t i = 0; i < n; i++) {
            float g = dy[i];
            dx[i] = y[i] > 0.0f ? g : 0.0f;
        }
}

/* ---- ADD: from + from2, equal shapes --------------------------------------------------------- */

static int add_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    int rc = ps__nn_need_not_raw(d, err);
    if (rc)
        return rc;
    const ps_nn_shape *b = ps__nn_in_shape(net, d->in2);
    if (memcmp(b, &d->ishape, sizeof *b))
        return ps_err_set(err, PS_EINVAL, "ADD of different shapes (%d,%d,%d,%d) and (%d,%d,%d,%d)",
                          d->ishape.rows, d->ishape.c, d->ishape.h, d->ishape.w, b->rows, b->c,
                          b->h, b->w);
    d->shape = d->ishape;
    return 0;
}

PS_NN_SIMD static void add_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)training;
    (void)rng;
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    const float *a = ps__nn_in_act(net, d->in), *b = ps__nn_in_act(net, d->in2);
    float *y = OUT(net, d);
    if (d->relu)
        for (size_t i = 0; i < n; i++) {
            float v = a[i] + b[i];
            y[i] = v > 0.0f ? v : 0.0f;
        }
    else
        for (size_t i = 0; i < n; i++)
            y[i] = a[i] + b[i];
}

PS_NN_SIMD static void add_backward(ps_net *net, ps_nn_node *d)
{
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    float *dy = DOUT(net, d);
    if (d->relu)   /* the fused ReLU's backward, in place */
        relu_mask_run(dy, OUT(net, d), n);
    int32_t ins[2] = {d->in, d->in2};
    for (int j = 0; j < 2; j++) {
        if (ps__nn_in_grad_ref(net, ins[j], (int32_t)(d - net->nodes)))
            continue;   /* the input reads dy where it is: nothing to copy */
        int acc;
        float *g = ps__nn_in_grad(net, ins[j], &acc);
        if (g && acc)
            for (size_t i = 0; i < n; i++)
                g[i] += dy[i];
        else if (g)
            memcpy(g, dy, n * sizeof(float));
    }
}

/* ---- DROPOUT -------------------------------------------------------------------------------- */

static int dropout_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    if (!(d->p >= 0.0f && d->p < 1.0f))
        return ps_err_set(err, PS_EINVAL, "dropout p=%g, expected 0 <= p < 1", (double)d->p);
    return ps__nn_same_plan(net, d, err);
}

static size_t dropout_saved(const ps_nn_node *d, int32_t batch)
{
    return ps__nn_numel(&d->shape) * (size_t)batch;
}

static void dropout_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    const float *x = ps__nn_in_act(net, d->in);
    float *y = OUT(net, d), *mask = net->arena + d->save;
    float keep = 1.0f / (1.0f - d->p);
    for (size_t i = 0; i < n; i++) {
        mask[i] = (!training || d->p == 0.0f) ? 1.0f
                  : ps_rng_uniform(rng) >= d->p ? keep : 0.0f;
        y[i] = x[i] * mask[i];
    }
}

PS_NN_SIMD static void dropout_backward(ps_net *net, ps_nn_node *d)
{
    int acc;
    float *dx = ps__nn_in_grad(net, d->in, &acc);
    if (!dx)
        return;
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    const float *dy = DOUT(net, d), *mask = net->arena + d->save;
    for (size_t i = 0; i < n; i++)
        dx[i] = (acc ? dx[i] : 0.0f) + dy[i] * mask[i];
}

const ps_nn_ops ps__nn_relu_ops = {
    .plan = ps__nn_same_plan, .forward = relu_forward, .backward = relu_backward, .fusable = 1,
};
const ps_nn_ops ps__nn_add_ops = {
    .plan = add_plan, .forward = add_forward, .backward = add_backward, .inputs = 2,
    .fuses_relu = 1, .passes_grad = 1,
};
const ps_nn_ops ps__nn_dropout_ops = {
    .plan = dropout_plan, .forward = dropout_forward, .backward = dropout_backward,
    .saved = dropout_saved,
};
