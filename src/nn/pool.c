/* pairsweep — MAXPOOL: 2×2 max-pooling, stride 2, floor (odd last rows and columns are left
 * out); the first maximum in scan order wins, as in PyTorch. */
#include <string.h>

#include "net_internal.h"
#include "simd.h"

static int pool_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    (void)net;
    int rc = ps__nn_need_spatial(d, err);
    if (rc)
        return rc;
    if (d->ishape.h < 2 || d->ishape.w < 2)
        return ps_err_set(err, PS_EINVAL, "max-pooling a %dx%d input", d->ishape.h, d->ishape.w);
    d->shape = d->ishape;
    d->shape.h /= 2;
    d->shape.w /= 2;
    return 0;
}

static size_t pool_isaved(const ps_nn_node *d, int32_t batch)
{
    return ps__nn_numel(&d->shape) * (size_t)batch;
}

PS_NN_SIMD static void pool_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)rng;
    size_t planes = (size_t)d->shape.c * ROWS(net, d);
    int h = d->ishape.h, w = d->ishape.w, ho = d->shape.h, wo = d->shape.w;
    const float *x = ps__nn_in_act(net, d->in);
    float *y = OUT(net, d);
    int32_t *arg = net->iarena + d->idx;  /* like y: index into x */
    for (size_t p = 0; p < planes; p++)
        for (int oy = 0; oy < ho; oy++) {
            size_t r0 = p * h * w + (size_t)(2 * oy) * w;
            const float *a = x + r0, *b = a + w;
            float *yr = y + (p * ho + oy) * wo;
            int32_t *ar = arg + (p * ho + oy) * wo;
            for (int ox = 0; ox < wo; ox++) {
                /* scan order (0,0) (0,1) (1,0) (1,1); strict > keeps the first maximum */
                int j = 2 * ox;
                float m = a[j];
                if (!training) {   /* evaluation keeps no positions of the maxima */
                    m = a[j + 1] > m ? a[j + 1] : m;
                    m = b[j] > m ? b[j] : m;
                    yr[ox] = b[j + 1] > m ? b[j + 1] : m;
                    continue;
                }
                /* branch-free, the index by masks (GCC made branches of the selects, and
                 * they mispredict: 2.5x faster pooling, training 3-8%): the first maximum
                 * of each row, then the second row's only when strictly larger, i.e. the
                 * first in scan order */
                float t = a[j + 1] > m ? a[j + 1] : m, u = b[j + 1] > b[j] ? b[j + 1] : b[j];
                int32_t kt = a[j + 1] > m, ku = b[j + 1] > b[j], sel = -(int32_t)(u > t);
                yr[ox] = u > t ? u : t;
                ar[ox] = (int32_t)(r0 + j) + (((w + ku) & sel) | (kt & ~sel));
            }
        }
}

PS_NN_SIMD static void pool_backward(ps_net *net, ps_nn_node *d)
{
    int acc;
    float *dx = ps__nn_in_grad(net, d->in, &acc);
    if (!dx)
        return;
    if (!acc)
        memset(dx, 0, ps__nn_numel(&d->ishape) * (size_t)net->n * sizeof(float));
    size_t n = ps__nn_numel(&d->shape) * (size_t)net->n;
    const float *dy = DOUT(net, d);
    const int32_t *arg = net->iarena + d->idx;
    for (size_t j = 0; j < n; j++)
        dx[arg[j]] += dy[j];
}

const ps_nn_ops ps__nn_maxpool_ops = {
    .plan = pool_plan, .forward = pool_forward, .backward = pool_backward, .isaved = pool_isaved,
};
