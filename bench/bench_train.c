/* bench_train — training speed of the nn core on one core, beside this machine's sgemm limit.
 *
 * For each model (default: the seven of report 000) and a batch size, runs training steps
 * (forward in training mode, loss as the model's kind, backward, SGD with momentum) on
 * synthetic pairs for a few seconds and prints: training samples/s, FLOPs per training
 * sample (2 per multiply-add of convolutions and linear layers), the achieved GFLOP/s, and
 * the single-thread sgemm GFLOP/s of a 1024×1024×1024 product measured in the same run, with
 * the ratio of the two. On a shared machine the wall-clock rate also counts other processes:
 * the rate per CPU second of this process is printed too. Not a test.
 *
 * usage: bench_train [--model NAME]... [--batch B] [--seconds S | --steps N] [--gemm N]
 *   --seconds S  run each model for S seconds (default 2); --steps N: exactly N steps
 *   --gemm N     side of the square sgemm measured (default 1024) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pairsweep/models.h"
#include "pairsweep/nn.h"
#include "pairsweep/rng.h"

/* CPU seconds of this process: on a shared machine, wall time also counts other processes. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best-of GFLOP/s of C = A·B (n×n×n) through ps_nn_gemm. */
static double gemm_gflops(int n, double seconds)
{
    float *a = malloc((size_t)n * n * sizeof(float)), *b = malloc((size_t)n * n * sizeof(float));
    float *c = malloc((size_t)n * n * sizeof(float));
    if (!a || !b || !c) {
        free(a);
        free(b);
        free(c);
        return 0.0;
    }
    ps_rng rng;
    ps_rng_seed(&rng, 1, 0);
    for (size_t i = 0; i < (size_t)n * n; i++) {
        a[i] = ps_rng_uniform(&rng);
        b[i] = ps_rng_uniform(&rng);
    }
    double best = 0.0, t_end = ps_now() + seconds;
    ps_nn_gemm(0, 0, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n); /* warm-up */
    do {
        double t0 = ps_now();
        ps_nn_gemm(0, 0, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double g = 2.0 * n * (double)n * n / (ps_now() - t0) / 1e9;
        best = g > best ? g : best;
    } while (ps_now() < t_end);
    free(a);
    free(b);
    free(c);
    return best;
}

static void step(ps_net *net, const ps_model_info *info, const float *x, const int32_t *t,
                 const int32_t *d, int32_t n)
{
    int32_t ti = ps_net_find(net, info->target);
    int32_t di = info->digits ? ps_net_find(net, info->digits) : -1;
    ps_net_forward(net, x, n, 1, NULL);
    ps_net_zero_grad(net);
    if (info->loss != PS_LOSS_DIGITS)
        ps_nn_softmax_ce(ps_net_dout(net, ti), ps_net_out(net, ti), t, n, 2, 1.0f, NULL);
    if (info->loss != PS_LOSS_TARGET)
        ps_nn_softmax_ce(ps_net_dout(net, di), ps_net_out(net, di), d, 2 * n, 10, 2.0f, NULL);
    ps_net_backward(net);
    ps_nn_sgd_step(ps_net_state(net), ps_net_grads(net), ps_net_momentum(net),
                   ps_net_n_params(net), 0.01f, 0.9f, 0.0f, 0);
}

static int bench_model(const char *name, int32_t batch, double seconds, long max_steps,
                       double gemm)
{
    ps_model_info info;
    ps_net *net;
    ps_err err;
    if (ps_model_lookup(&info, name, &err) || ps_model_build(&net, &info, -1, &err) ||
        ps_net_reserve(net, batch, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 1;
    }
    ps_rng rng;
    ps_rng_seed(&rng, 2, 0);
    ps_net_init(net, &rng);
    size_t nx = (size_t)batch * 2 * 196;
    float *x = malloc(nx * sizeof(float));
    int32_t *t = malloc((size_t)batch * sizeof(int32_t)), *d = malloc(2 * (size_t)batch * 4);
    for (size_t i = 0; i < nx; i++)
        x[i] = ps_rng_uniform_range(&rng, -0.5f, 2.5f);
    for (int32_t i = 0; i < batch; i++) {
        d[2 * i] = (int32_t)ps_rng_below(&rng, 10);
        d[2 * i + 1] = (int32_t)ps_rng_below(&rng, 10);
        t[i] = d[2 * i] <= d[2 * i + 1];
    }
    step(net, &info, x, t, d, batch);
    step(net, &info, x, t, d, batch);
    long steps = 0;
    double t0 = ps_now(), c0 = cpu_now(), el;
    do {
        step(net, &info, x, t, d, batch);
        steps++;
        el = ps_now() - t0;
    } while (max_steps ? steps < max_steps : el < seconds);
    double cpu = cpu_now() - c0;
    double sps = (double)steps * batch / el, fl = ps_net_flops_train(net);
    double gf = sps * fl / 1e9;
    printf("%-14s batch %4d  %9.0f samples/s  %8.3f MFLOP/sample  %6.1f GFLOP/s  "
           "sgemm %6.1f GFLOP/s  ratio %5.1f%%  (per CPU second: %.0f samples/s)\n",
           name, batch, sps, fl / 1e6, gf, gemm, 100.0 * gf / gemm,
           (double)steps * batch / cpu);
    fflush(stdout);
    free(x);
    free(t);
    free(d);
    ps_net_free(net);
    return 0;
}

int main(int argc, char **argv)
{
    const char *names[64];
    int n_names = 0, batch = 100, gn = 1024;
    long max_steps = 0;
    double seconds = 2.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc && n_names < 64)
            names[n_names++] = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            max_steps = atol(argv[++i]);
        else if (!strcmp(argv[i], "--gemm") && i + 1 < argc)
            gn = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_train [--model NAME]... [--batch B] "
                            "[--seconds S | --steps N] [--gemm N]\n");
            return 2;
        }
    }
    if (batch < 1 || seconds <= 0 || gn < 16) {
        fprintf(stderr, "bench_train: batch >= 1, seconds > 0, gemm >= 16 expected\n");
        return 2;
    }
    ps_nn_blas_single_thread();
    double gemm = gemm_gflops(gn, 1.0);
    printf("sgemm %dx%dx%d, one thread: %.1f GFLOP/s\n", gn, gn, gn, gemm);
    int rc = 0;
    if (n_names)
        for (int i = 0; i < n_names; i++)
            rc |= bench_model(names[i], batch, seconds, max_steps, gemm);
    else
        for (int32_t i = 0; i < ps_models_count(); i++) {
            ps_model_info info;
            ps_model_get(&info, i);
            if (!strcmp(info.report, "000"))
                rc |= bench_model(info.name, batch, seconds, max_steps, gemm);
        }
    return rc;
}
