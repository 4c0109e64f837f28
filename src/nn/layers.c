/* pairsweep — the table of layer kinds, one row per ps_layer_kind (each kind's ops live in
 * its family's file), and the checks their plans share. */
#include <math.h>

#include "net_internal.h"

const ps_nn_ops *const ps__nn_kinds[PS_L_KIND_COUNT] = {
    [PS_L_SPATIAL] = &ps__nn_spatial_ops,
    [PS_L_CONV] = &ps__nn_conv_ops,
    [PS_L_BN] = &ps__nn_bn_ops,
    [PS_L_RELU] = &ps__nn_relu_ops,
    [PS_L_MAXPOOL] = &ps__nn_maxpool_ops,
    [PS_L_LINEAR] = &ps__nn_linear_ops,
    [PS_L_FLATTEN] = &ps__nn_flatten_ops,
    [PS_L_MERGE] = &ps__nn_merge_ops,
    [PS_L_ADD] = &ps__nn_add_ops,
    [PS_L_CONCAT] = &ps__nn_concat_ops,
    [PS_L_DROPOUT] = &ps__nn_dropout_ops,
};

int ps__nn_need_spatial(const ps_nn_node *d, ps_err *err)
{
    if (d->ishape.spatial != 1)
        return ps_err_set(err, PS_EINVAL, "expected a spatial (C, M, H, W) input");
    return 0;
}

int ps__nn_need_not_raw(const ps_nn_node *d, ps_err *err)
{
    if (d->ishape.spatial == 2)
        return ps_err_set(err, PS_EINVAL, "the model input must first go through a SPATIAL node");
    return 0;
}

int ps__nn_same_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    (void)net;
    int rc = ps__nn_need_not_raw(d, err);
    if (rc)
        return rc;
    d->shape = d->ishape;
    return 0;
}

void ps__nn_init_fan_in(ps_net *net, const ps_nn_node *d, ps_rng *rng)
{
    size_t fan_in = d->n_w / (size_t)d->out;
    float bound = 1.0f / sqrtf((float)fan_in);
    for (size_t j = 0; j < d->n_w; j++)
        net->state[d->w_off + j] = ps_rng_uniform_range(rng, -bound, bound);
    for (size_t j = 0; j < d->n_b; j++)
        net->state[d->b_off + j] = ps_rng_uniform_range(rng, -bound, bound);
}
