/* pairsweep — softmax cross-entropy and torch.optim.SGD's update. */
#include <math.h>

#include "pairsweep/nn.h"

double ps_nn_softmax_ce(float *dlogits, const float *logits, const int32_t *labels, int32_t m,
                        int32_t c, float scale, int32_t *correct)
{
    double total = 0.0;
    int32_t right = 0;
    for (int32_t i = 0; i < m; i++) {
        const float *z = logits + (size_t)i * c;   /* (c) */
        int32_t best = 0;
        for (int32_t j = 1; j < c; j++)
            if (z[j] > z[best])
                best = j;
        right += best == labels[i];
        double mx = z[best], s = 0.0;
        for (int32_t j = 0; j < c; j++)
            s += exp((double)z[j] - mx);
        double lse = mx + log(s);
        total += lse - (double)z[labels[i]];
        if (dlogits) {
            float *g = dlogits + (size_t)i * c;
            double k = (double)scale / (double)m;
            for (int32_t j = 0; j < c; j++) {
                double p = exp((double)z[j] - lse);
                g[j] += (float)(k * (p - (j == labels[i] ? 1.0 : 0.0)));
            }
        }
    }
    if (correct)
        *correct = right;
    return m > 0 ? total / (double)m : 0.0;
}

void ps_nn_sgd_step(float *p, const float *grad, float *buf, size_t n, float lr,
                    float momentum, float weight_decay, int nesterov)
{
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        if (weight_decay != 0.0f)
            g += weight_decay * p[i];
        if (momentum != 0.0f) {
            buf[i] = momentum * buf[i] + g;
            g = nesterov ? g + momentum * buf[i] : buf[i];
        }
        p[i] -= lr * g;
    }
}
