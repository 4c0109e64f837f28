/* pairsweep — BN: batch normalisation per channel over (outer, C, inner); BatchNorm2d on
 * CNHW (outer 1), BatchNorm1d on flat (M, F) (inner 1). Training uses the batch statistics
 * and updates the running ones (PyTorch's momentum 0.1, unbiased variance); evaluation uses
 * the running ones. */
#include <math.h>
#include <string.h>

#include "net_internal.h"
#include "simd.h"

#define PS_NN_BN_EPS 1e-5f
#define PS_NN_BN_MOMENTUM 0.1f

static int bn_plan(ps_net *net, ps_nn_node *d, ps_err *err)
{
    (void)net;
    int rc = ps__nn_need_not_raw(d, err);
    if (rc)
        return rc;
    d->shape = d->ishape;
    d->n_w = d->n_b = (size_t)d->ishape.c;
    return 0;
}

/* Only the batch mean and 1/std per channel are kept: backward remakes x̂ = (x − mean)·invstd
 * from the input activation (one stream less to write in forward, and less memory). */
static size_t bn_saved(const ps_nn_node *d, int32_t batch)
{
    (void)batch;
    return 2 * (size_t)d->shape.c;
}

/* Σ (a − mu)² over a run (lanes as in run_sum). */
PS_NN_SIMD static double run_sqdev(const float *a, float mu, size_t n)
{
    double dl[PS_NN_LANES] = {0}, tail = 0.0;
    size_t i = 0;
    for (; i + PS_NN_BLOCK <= n; i += PS_NN_BLOCK) {
        ps_v8f acc[2] = {{0}, {0}};
        for (size_t j = 0; j < PS_NN_BLOCK; j += PS_NN_LANES)
            for (int v = 0; v < 2; v++) {
                ps_v8f t;
                memcpy(&t, a + i + j + 8 * (size_t)v, sizeof t);
                t -= mu;
                acc[v] += t * t;
            }
        for (int l = 0; l < PS_NN_LANES; l++)
            dl[l] += acc[l / 8][l % 8];
    }
    for (; i < n; i++)
        tail += ((double)a[i] - mu) * ((double)a[i] - mu);
    return lanes_total(dl) + tail;
}

/* Σ dy and Σ dy·x̂ with x̂ = (x − mu)·is, in one pass (lanes as in run_sum). masked: the
 * backward pass of a fused ReLU first, dy = y > 0 ? dy : 0, written back in place. */
PS_NN_INLINE void run_sum_dot_xhat(float *dy, const float *x, const float *y, int masked,
                                   float mu, float is, size_t n, double *sum, double *dot)
{
    double ds[PS_NN_LANES] = {0}, dd[PS_NN_LANES] = {0}, ts = 0.0, td = 0.0;
    size_t i = 0;
    for (; i + PS_NN_BLOCK <= n; i += PS_NN_BLOCK) {
        ps_v8f as[2] = {{0}, {0}}, ad[2] = {{0}, {0}};
        for (size_t j = 0; j < PS_NN_BLOCK; j += PS_NN_LANES)
            for (int v = 0; v < 2; v++) {
                size_t o = i + j + 8 * (size_t)v;
                ps_v8f g, h, yv;   /* memcpy: unaligned vector loads and stores */
                memcpy(&g, dy + o, sizeof g);
                memcpy(&h, x + o, sizeof h);
                h = (h - mu) * is;
                if (masked) {   /* g where y > 0, else 0 */
                    const ps_v8f zero = {0};
                    memcpy(&yv, y + o, sizeof yv);
                    g = (ps_v8f)((ps_v8i)g & (yv > zero));
                    memcpy(dy + o, &g, sizeof g);
                }
                as[v] += g;
                ad[v] += g * h;
            }
        for (int l = 0; l < PS_NN_LANES; l++) {
            ds[l] += as[l / 8][l % 8];
            dd[l] += ad[l / 8][l % 8];
        }
    }
    for (; i < n; i++) {
        float g = dy[i], h = (x[i] - mu) * is;
        if (masked) {
            g = y[i] > 0.0f ? g : 0.0f;
            dy[i] = g;
        }
        ts += g;
        td += (double)g * h;
    }
    *sum += lanes_total(ds) + ts;
    *dot += lanes_total(dd) + td;
}

static void bn_geom(const ps_net *net, const ps_nn_node *d, size_t *outer, size_t *inner)
{
    if (d->shape.spatial) {
        *outer = 1;
        *inner = ROWS(net, d) * d->shape.h * d->shape.w;
    } else {
        *outer = ROWS(net, d);
        *inner = 1;
    }
}

PS_NN_SIMD static void bn_forward(ps_net *net, ps_nn_node *d, int training, ps_rng *rng)
{
    (void)rng;
    size_t outer, inner, c = (size_t)d->shape.c;
    bn_geom(net, d, &outer, &inner);
    size_t cnt = outer * inner;
    const float *x = ps__nn_in_act(net, d->in);
    float *y = OUT(net, d);
    float *mean = net->arena + d->save, *invstd = mean + c; /* (c), (c) */
    const float *gamma = net->state + d->w_off, *beta = net->state + d->b_off;
    float *rm = net->state + d->buf_off[0], *rv = net->state + d->buf_off[1];
    for (size_t ch = 0; ch < c; ch++) {
        float mu, is;
        if (training) {
            /* two passes (mean, then squared deviations) as PyTorch does */
            double s = 0.0, s2 = 0.0;
            for (size_t o = 0; o < outer; o++)
                s += run_sum(x + (o * c + ch) * inner, inner);
            double mu_d = s / (double)cnt;
            for (size_t o = 0; o < outer; o++)
                s2 += run_sqdev(x + (o * c + ch) * inner, (float)mu_d, inner);
            double var = s2 / (double)cnt;
            double unbiased = cnt > 1 ? s2 / (double)(cnt - 1) : var;
            mu = (float)mu_d;
            is = (float)(1.0 / sqrt(var + (double)PS_NN_BN_EPS));
            rm[ch] = (1.0f - PS_NN_BN_MOMENTUM) * rm[ch] + PS_NN_BN_MOMENTUM * mu;
            rv[ch] = (1.0f - PS_NN_BN_MOMENTUM) * rv[ch] + PS_NN_BN_MOMENTUM * (float)unbiased;
        } else {
            mu = rm[ch];
            is = 1.0f / sqrtf(rv[ch] + PS_NN_BN_EPS);
        }
        if (training) {   /* for backward; evaluation keeps nothing */
            mean[ch] = mu;
            invstd[ch] = is;
        }
        float sc = gamma[ch] * is, bt = beta[ch];   /* y = γ·(x − mu)·is + β */
        for (size_t o = 0; o < outer; o++) {
            size_t j0 = (o * c + ch) * inner;
            const float *xr = x + j0;
            float *yr = y + j0;
            if (d->relu)   /* the fused ReLU in the same pass */
                for (size_t i = 0; i < inner; i++) {
                    float v = (xr[i] - mu) * sc + bt;
                    yr[i] = v > 0.0f ? v : 0.0f;
                }
            else
                for (size_t i = 0; i < inner; i++)
                    yr[i] = (xr[i] - mu) * sc + bt;
        }
    }
}

PS_NN_SIMD static void bn_backward(ps_net *net, ps_nn_node *d)
{
    size_t outer, inner, c = (size_t)d->shape.c;
    bn_geom(net, d, &outer, &inner);
    size_t cnt = outer * inner;
    float *dy = DOUT(net, d);
    const float *x = ps__nn_in_act(net, d->in), *y = OUT(net, d);
    const float *mean = net->arena + d->save, *invstd = mean + c;
    const float *gamma = net->state + d->w_off;
    float *dgamma = net->grads + d->w_off, *dbeta = net->grads + d->b_off;
    int acc;
    float *dx = ps__nn_in_grad(net, d->in, &acc);
    for (size_t ch = 0; ch < c; ch++) {
        double sdy = 0.0, sdyx = 0.0;
        float mu = mean[ch], is = invstd[ch];
        for (size_t o = 0; o < outer; o++) {
            size_t j0 = (o * c + ch) * inner;
            if (d->relu)   /* with the fused ReLU's backward, in place */
                run_sum_dot_xhat(dy + j0, x + j0, y + j0, 1, mu, is, inner, &sdy, &sdyx);
            else
                run_sum_dot_xhat(dy + j0, x + j0, y + j0, 0, mu, is, inner, &sdy, &sdyx);
        }
        dgamma[ch] += (float)sdyx;
        dbeta[ch] += (float)sdy;
        if (!dx)
            continue;
        /* dx = γ·is/cnt · (cnt·dy − Σdy − x̂·Σdy·x̂) = p·dy + q·(x − mu) + r */
        float k = gamma[ch] * invstd[ch] / (float)cnt;
        float p = k * (float)cnt, q = -k * (float)sdyx * is, r = -k * (float)sdy;
        for (size_t o = 0; o < outer; o++) {
            size_t j0 = (o * c + ch) * inner;
            const float *dyr = dy + j0, *xr = x + j0;
            float *dxr = dx + j0;
            if (acc)
                for (size_t i = 0; i < inner; i++)
                    dxr[i] += p * dyr[i] + q * (xr[i] - mu) + r;
            else
                for (size_t i = 0; i < inner; i++)
                    dxr[i] = p * dyr[i] + q * (xr[i] - mu) + r;
        }
    }
}

/* PyTorch's: weight 1, bias 0, running mean 0, running variance 1 (nothing drawn). */
static void bn_init(ps_net *net, const ps_nn_node *d, ps_rng *rng)
{
    (void)rng;
    for (size_t j = 0; j < d->n_w; j++) {
        net->state[d->w_off + j] = 1.0f;
        net->state[d->b_off + j] = 0.0f;
        net->state[d->buf_off[0] + j] = 0.0f;
        net->state[d->buf_off[1] + j] = 1.0f;
    }
}

const ps_nn_ops ps__nn_bn_ops = {
    .plan = bn_plan, .forward = bn_forward, .backward = bn_backward, .saved = bn_saved,
    .init = bn_init, .n_buffers = 2, .buffers = {"running_mean", "running_var"},
    .optional = 1, .fuses_relu = 1,
};
