/* bench_conv — one convolution layer of the zoo at a time, forward (or, with --backward,
 * forward, weight gradient and, but for first layers, input gradient), with each kernels
 * choice interleaved in this one process: GFLOP/s (2 per multiply-add of the layer's nominal
 * FLOPs, zero padding included) of the best of --reps wall-clock timings, each of --iters
 * calls: short timings, many of them, so that on a shared machine the best ones ran
 * undisturbed (process CPU time is no better on a VM: it undercounts when the host takes the
 * CPU away). Not a test; for choosing kernels (bench/README.md).
 *
 * Output: one line per layer and choice, `key=value` separated by spaces:
 *   conv layer=siamese.conv2 cin=16 out=32 k=3 pad=0 groups=1 h=12 rows=200 kernels=auto
 *        fwd_gflops=... train_gflops=...
 *
 * usage: bench_conv [--kernels K[,K...]] [--reps R] [--iters I] [--batch B] [--layer NAME]...
 *                   [--backward] */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairsweep/nn.h"
#include "pairsweep/rng.h"

/* The zoo's convolutions (after the first layer of each model; rows: 2 per sample where the
 * model runs a branch on both digits). */
typedef struct conv_case {
    const char *name;
    int32_t cin, out, k, pad, groups, h, rows;
} conv_case;

static const conv_case cases[] = {
    {"cnn.conv2", 32, 64, 3, 0, 1, 12, 1},
    {"siamese.conv2", 16, 32, 3, 0, 1, 12, 2},
    {"resnet.conv2", 16, 16, 3, 1, 1, 14, 1},
    {"resnet_ws.conv2", 16, 16, 3, 1, 1, 14, 2},
    {"A3_k3.conv2", 16, 32, 3, 1, 1, 7, 2},
    {"A4_k3.conv2", 32, 64, 3, 1, 1, 7, 2},
    {"A5_k3.conv3", 32, 64, 3, 1, 1, 3, 2},
    {"A6_k3.conv3", 64, 128, 3, 1, 1, 3, 2},
    {"A3_k5.conv2", 16, 32, 5, 2, 1, 7, 2},
    {"A4_k5.conv2", 32, 64, 5, 2, 1, 7, 2},
    {"indep_A4_k5.conv2", 64, 128, 5, 2, 2, 7, 1},
    {"A5_k5.conv3", 32, 64, 5, 2, 1, 3, 2},
    {"A6_k5.conv3", 64, 128, 5, 2, 1, 3, 2},
    {"indep_A6_k5.conv3", 128, 256, 5, 2, 2, 3, 1},
    {"resnet_ws.conv1", 1, 16, 3, 1, 1, 14, 2},
    {"A1_k5.conv1", 1, 16, 5, 2, 1, 14, 2},
    {"A2_k5.conv1", 1, 32, 5, 2, 1, 14, 2},
    {"indep_A4_k5.conv1", 2, 64, 5, 2, 2, 14, 1},
};

typedef struct bench_cfg {
    ps_nn_kernels kernels[4];
    int n_kernels, reps, iters, batch, backward;
} bench_cfg;

/* One timing: iters forward (+ backward) calls; seconds per call. */
static double time_calls(ps_net *net, const float *x, int n, int backward, int iters)
{
    double t0 = ps_now();
    for (int i = 0; i < iters; i++) {
        ps_net_forward(net, x, n, backward, NULL);
        if (backward) {
            ps_net_zero_grad(net);
            float *dy = ps_net_dout(net, 1);
            ps_nn_shape s = ps_net_shape(net, 1);
            memset(dy, 0, (size_t)s.rows * n * s.c * s.h * s.w * sizeof(float));
            dy[0] = 1.0f;
            ps_net_backward(net);
        }
    }
    return (ps_now() - t0) / iters;
}

static int bench_case(const conv_case *c, const bench_cfg *cfg)
{
    ps_layer_spec s[2] = {{.kind = PS_L_SPATIAL},
                          {.kind = PS_L_CONV, .name = "c", .out = c->out, .k = c->k,
                           .pad = c->pad, .groups = c->groups}};
    ps_net *net[4];
    ps_err err;
    int n = c->rows * cfg->batch, in_c = c->cin;   /* the rows as images of their own */
    size_t nx = (size_t)n * in_c * c->h * c->h;
    float *x = malloc(nx * sizeof *x);
    ps_rng rng;
    ps_rng_seed(&rng, 3, 0);
    for (size_t i = 0; i < nx; i++)
        x[i] = ps_rng_uniform_range(&rng, -1, 1);
    for (int k = 0; k < cfg->n_kernels; k++) {
        int32_t out = 1;
        if (ps_net_create(&net[k], s, 2, in_c, c->h, c->h, 1, &err) ||
            ps_net_set_outputs(net[k], &out, 1, &err) ||
            ps_net_set_kernels(net[k], cfg->kernels[k], &err) ||
            ps_net_reserve(net[k], n, &err)) {
            fprintf(stderr, "bench_conv: %s: %s\n", c->name, err.msg);
            return 1;
        }
        ps_rng_seed(&rng, 4, 0);
        ps_net_init(net[k], &rng);
        ps_net_want_input_grad(net[k], c->cin > 2);   /* as in the zoo: not first layers */
        time_calls(net[k], x, n, cfg->backward, 1); /* warm-up */
    }
    double best[4];
    for (int k = 0; k < cfg->n_kernels; k++)
        best[k] = 1e30;
    for (int r = 0; r < cfg->reps; r++)
        for (int k = 0; k < cfg->n_kernels; k++) {
            double t = time_calls(net[k], x, n, cfg->backward, cfg->iters);
            best[k] = t < best[k] ? t : best[k];
        }
    for (int k = 0; k < cfg->n_kernels; k++) {
        double fl = cfg->backward ? ps_net_flops_train(net[k]) : ps_net_flops_forward(net[k]);
        printf("conv layer=%s cin=%d out=%d k=%d pad=%d groups=%d h=%d rows=%d kernels=%s "
               "%s_gflops=%.2f us=%.1f\n",
               c->name, c->cin, c->out, c->k, c->pad, c->groups, c->h, n,
               ps_nn_kernels_name(cfg->kernels[k]), cfg->backward ? "train" : "fwd",
               fl * n / best[k] / 1e9, best[k] * 1e6);
        ps_net_free(net[k]);
    }
    fflush(stdout);
    free(x);
    return 0;
}

static int parse_kernels(bench_cfg *cfg, const char *list)
{
    char buf[128];
    ps_err err;
    snprintf(buf, sizeof buf, "%s", list);
    cfg->n_kernels = 0;
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (cfg->n_kernels == 4 ||
            ps_nn_kernels_parse(&cfg->kernels[cfg->n_kernels++], t, &err))
            return 2;
    return cfg->n_kernels ? 0 : 2;
}

int main(int argc, char **argv)
{
    bench_cfg cfg = {{PS_NN_KERNELS_AUTO, PS_NN_KERNELS_AVX2, PS_NN_KERNELS_GEMM}, 3, 40, 2,
                     100, 0};
    const char *only[32];
    int n_only = 0;
    static const struct option longopts[] = {
        {"kernels", required_argument, 0, 'k'}, {"reps", required_argument, 0, 'r'},
        {"iters", required_argument, 0, 'i'},   {"batch", required_argument, 0, 'b'},
        {"layer", required_argument, 0, 'l'},   {"backward", no_argument, 0, 'B'},
        {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (o) {
        case 'k':
            if (parse_kernels(&cfg, optarg)) {
                fprintf(stderr, "bench_conv: --kernels %s: expected a list of auto, gemm, "
                                "avx2\n", optarg);
                return 2;
            }
            break;
        case 'r': cfg.reps = atoi(optarg); break;
        case 'i': cfg.iters = atoi(optarg); break;
        case 'b': cfg.batch = atoi(optarg); break;
        case 'l':
            if (n_only < 32)
                only[n_only++] = optarg;
            break;
        case 'B': cfg.backward = 1; break;
        default:
            fprintf(stderr, "usage: bench_conv [--kernels K[,K...]] [--reps R] [--iters I] "
                            "[--batch B] [--layer NAME]... [--backward]\n");
            return 2;
        }
    }
    ps_nn_blas_single_thread();
    int rc = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int want = n_only == 0;
        for (int j = 0; j < n_only; j++)
            want |= strstr(cases[i].name, only[j]) != NULL;
        if (want)
            rc |= bench_case(&cases[i], &cfg);
    }
    return rc;
}
