/* bench_train — training and evaluation speed of the nn core on one core, beside this
 * machine's sgemm limit. Not a test.
 *
 * Protocol (the same as bench/bench_torch.py, which trains the PyTorch twins on the very same
 * pairs, written by --pairs-out): 1000 training and 1000 test pairs of real MNIST digits
 * (seed --seed), normalised with the training pairs' mean and std; training = `--epochs`
 * epochs over the 1000 pairs in a fixed order of mini-batches of `--batch` (forward in
 * training mode, the model's loss, backward, SGD lr 0.01 momentum 0.9); evaluation = forward
 * in evaluation mode over the 1000 test pairs in one batch. Each is repeated `--reps` times,
 * the best repetition counts (the machine may be shared).
 *
 * Output: one line per measure, `key=value` separated by spaces (bench/bench.py reads them):
 *   sgemm n=1024 gflops=...
 *   model name=cnn loss=target params=... flops_train=... flops_fwd=... train_sps=...
 *         train_cpu_sps=... eval_sps=... eval_cpu_sps=... loss_last=... kernels=auto
 * train_sps is samples per wall second, train_cpu_sps per CPU second of this process.
 *
 * --kernels chooses the nets' kernels (nn.h, ps_nn_kernels: auto, avx2, gemm; default auto);
 * a comma-separated list (e.g. auto,avx2,gemm) measures each model with each choice,
 * interleaved repetition by repetition in this one process (an A/B on a shared machine), one
 * line per choice. Without --model: the models of --report (000, 002 or all; default 000).
 *
 * usage: bench_train [--model NAME]... [--report 000|002|all] [--batch B] [--epochs E]
 *                    [--reps R] [--seed S] [--kernels K[,K...]] [--mnist DIR]
 *                    [--pairs-out FILE] [--gemm N] [--no-gemm] */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pairsweep/data.h"
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

/* Best-of GFLOP/s of C = A·B (n×n×n) through ps_nn_gemm, over `seconds`. */
static double gemm_gflops(int n, double seconds)
{
    float *a = malloc((size_t)n * n * sizeof(float)), *b = malloc((size_t)n * n * sizeof(float));
    float *c = malloc((size_t)n * n * sizeof(float));
    double best = 0.0;
    if (a && b && c) {
        ps_rng rng;
        ps_rng_seed(&rng, 1, 0);
        for (size_t i = 0; i < (size_t)n * n; i++) {
            a[i] = ps_rng_uniform(&rng);
            b[i] = ps_rng_uniform(&rng);
        }
        double t_end = ps_now() + seconds;
        ps_nn_gemm(0, 0, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n); /* warm-up */
        do {
            double t0 = ps_now();
            ps_nn_gemm(0, 0, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
            double g = 2.0 * n * (double)n * n / (ps_now() - t0) / 1e9;
            best = g > best ? g : best;
        } while (ps_now() < t_end);
    }
    free(a);
    free(b);
    free(c);
    return best;
}

#define MAX_KERNELS 4

typedef struct bench_opts {
    int32_t batch, epochs, reps;
    uint64_t seed;
    ps_nn_kernels kernels[MAX_KERNELS]; /* measured interleaved, repetition by repetition */
    int n_kernels;
} bench_opts;

/* One training step on pairs [i0, i0 + n); returns the loss. */
static double step(ps_net *net, const ps_model_info *info, const ps_pairs *p, int32_t i0,
                   int32_t n, int32_t ti, int32_t di)
{
    double loss = 0.0;
    ps_net_forward(net, p->x + (size_t)i0 * 2 * 196, n, 1, NULL);
    ps_net_zero_grad(net);
    if (info->loss != PS_LOSS_DIGITS)
        loss += ps_nn_softmax_ce(ps_net_dout(net, ti), ps_net_out(net, ti), p->target + i0, n,
                                 2, 1.0f, NULL);
    if (info->loss != PS_LOSS_TARGET)
        loss += 2.0 * ps_nn_softmax_ce(ps_net_dout(net, di), ps_net_out(net, di),
                                       p->classes + 2 * (size_t)i0, 2 * n, 10, 2.0f, NULL);
    ps_net_backward(net);
    ps_nn_sgd_step(ps_net_state(net), ps_net_grads(net), ps_net_momentum(net),
                   ps_net_n_params(net), 0.01f, 0.9f, 0.0f, 0);
    return loss;
}

static const char *loss_name(ps_loss_kind k)
{
    return k == PS_LOSS_TARGET ? "target" : k == PS_LOSS_TARGET_AUX ? "target_aux" : "digits";
}

/* Best-of times (wall and CPU seconds) of a model's training and evaluation. */
typedef struct bench_best {
    double w, c, ew, ec, loss;
} bench_best;

/* One repetition of model `info` on net: training from a fresh initialisation (`epochs` over
 * the training pairs), then evaluation (the test pairs in one batch, 5 times); keeps the best
 * times in *best. */
static int bench_rep(ps_net *net, const ps_model_info *info, const bench_opts *o,
                     const ps_pairs *train, const ps_pairs *test, bench_best *best)
{
    ps_err err;
    int32_t ti = ps_net_find(net, info->target);
    int32_t di = info->digits ? ps_net_find(net, info->digits) : -1, nb = train->n / o->batch;
    if (ps_net_reserve(net, o->batch, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 1;
    }
    ps_rng rng;
    ps_rng_seed(&rng, o->seed, 7);
    ps_net_init(net, &rng);
    double w0 = ps_now(), c0 = cpu_now();
    for (int32_t e = 0; e < o->epochs; e++)
        for (int32_t b = 0; b < nb; b++)
            best->loss = step(net, info, train, b * o->batch, o->batch, ti, di);
    double w = ps_now() - w0, c = cpu_now() - c0;
    best->w = w < best->w ? w : best->w;
    best->c = c < best->c ? c : best->c;
    if (ps_net_reserve(net, test->n, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 1;
    }
    ps_net_forward(net, test->x, test->n, 0, NULL); /* warm-up */
    w0 = ps_now();
    c0 = cpu_now();
    for (int k = 0; k < 5; k++)
        ps_net_forward(net, test->x, test->n, 0, NULL);
    w = (ps_now() - w0) / 5;
    c = (cpu_now() - c0) / 5;
    best->ew = w < best->ew ? w : best->ew;
    best->ec = c < best->ec ? c : best->ec;
    return 0;
}

/* Model `name` with every kernels choice of o, one net each, interleaved: repetition r of
 * each choice runs before repetition r + 1 of any, so a change in the machine's load hits
 * them alike. One output line per choice. */
static int bench_model(const char *name, const bench_opts *o, const ps_pairs *train,
                       const ps_pairs *test)
{
    ps_model_info info;
    ps_net *net[MAX_KERNELS] = {0};
    bench_best best[MAX_KERNELS];
    ps_err err;
    int rc = ps_model_lookup(&info, name, &err);
    for (int k = 0; k < o->n_kernels && !rc; k++) {
        int32_t outs[2], n_outs = 0;
        rc = ps_model_build(&net[k], &info, -1, &err);
        if (!rc && info.loss != PS_LOSS_DIGITS)
            outs[n_outs++] = ps_net_find(net[k], info.target);
        if (!rc && info.loss != PS_LOSS_TARGET)
            outs[n_outs++] = ps_net_find(net[k], info.digits);
        rc = rc ? rc
                : ps_net_set_outputs(net[k], outs, n_outs, &err) ||  /* what step writes */
                      ps_net_set_kernels(net[k], o->kernels[k], &err);
        best[k] = (bench_best){1e30, 1e30, 1e30, 1e30, 0.0};
    }
    if (rc)
        fprintf(stderr, "bench_train: %s\n", err.msg);
    for (int r = 0; r < o->reps && !rc; r++)
        for (int k = 0; k < o->n_kernels && !rc; k++)
            rc = bench_rep(net[k], &info, o, train, test, &best[k]);
    double samples = (double)o->epochs * (train->n / o->batch) * o->batch;
    for (int k = 0; k < o->n_kernels && !rc; k++)
        printf("model name=%s loss=%s params=%zu flops_train=%.0f flops_fwd=%.0f "
               "train_sps=%.1f train_cpu_sps=%.1f eval_sps=%.1f eval_cpu_sps=%.1f "
               "loss_last=%.6f kernels=%s\n",
               name, loss_name(info.loss), ps_net_n_params(net[k]), ps_net_flops_train(net[k]),
               ps_net_flops_forward(net[k]), samples / best[k].w, samples / best[k].c,
               test->n / best[k].ew, test->n / best[k].ec, best[k].loss,
               ps_nn_kernels_name(o->kernels[k]));
    fflush(stdout);
    for (int k = 0; k < o->n_kernels; k++)
        ps_net_free(net[k]);
    return rc != 0;
}

/* The pairs as raw little-endian arrays: int32 n_train, n_test; then for train and test:
 * x float32 (n, 2, 14, 14), target int32 (n), classes int32 (n, 2). */
static int write_pairs(const char *path, const ps_pairs *train, const ps_pairs *test)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    int32_t hdr[2] = {train->n, test->n};
    int bad = fwrite(hdr, sizeof hdr, 1, f) != 1;
    const ps_pairs *ps[2] = {train, test};
    for (int i = 0; i < 2 && !bad; i++) {
        size_t n = (size_t)ps[i]->n;
        bad |= fwrite(ps[i]->x, sizeof(float), n * 392, f) != n * 392;
        bad |= fwrite(ps[i]->target, sizeof(int32_t), n, f) != n;
        bad |= fwrite(ps[i]->classes, sizeof(int32_t), 2 * n, f) != 2 * n;
    }
    bad |= fclose(f) != 0;
    return bad;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_train [--model NAME]... [--report 000|002|all] [--batch B] "
                    "[--epochs E] [--reps R] [--seed S] [--kernels K[,K...]] [--mnist DIR] "
                    "[--pairs-out FILE] [--gemm N] [--no-gemm]\n");
}

/* The kernels choices of a comma-separated list (auto,avx2,gemm) into o. Returns 0, or 2
 * with a message. */
static int parse_kernels(bench_opts *o, const char *list)
{
    char buf[128];
    ps_err err;
    snprintf(buf, sizeof buf, "%s", list);
    o->n_kernels = 0;
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (o->n_kernels == MAX_KERNELS) {
            fprintf(stderr, "bench_train: --kernels: at most %d choices\n", MAX_KERNELS);
            return 2;
        }
        if (ps_nn_kernels_parse(&o->kernels[o->n_kernels++], t, &err)) {
            fprintf(stderr, "bench_train: --kernels: %s\n", err.msg);
            return 2;
        }
    }
    return o->n_kernels ? 0 : 2;
}

/* Every zoo model of report `report` ("000", "002" or "all"). */
static int bench_report(const char *report, const bench_opts *o, const ps_pairs *train,
                        const ps_pairs *test)
{
    int rc = 0;
    for (int32_t i = 0; i < ps_models_count(); i++) {
        ps_model_info info;
        ps_model_get(&info, i);
        if (!strcmp(report, "all") || !strcmp(info.report, report))
            rc |= bench_model(info.name, o, train, test);
    }
    return rc;
}

int main(int argc, char **argv)
{
    const char *names[64], *mnist_dir = NULL, *pairs_out = NULL, *report = "000";
    int n_names = 0, gn = 1024, no_gemm = 0;
    bench_opts o = {100, 5, 3, 1, {PS_NN_KERNELS_AUTO}, 1};
    ps_err err;
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},  {"batch", required_argument, 0, 'b'},
        {"epochs", required_argument, 0, 'e'}, {"reps", required_argument, 0, 'r'},
        {"seed", required_argument, 0, 's'},   {"mnist", required_argument, 0, 'd'},
        {"pairs-out", required_argument, 0, 'p'}, {"gemm", required_argument, 0, 'g'},
        {"no-gemm", no_argument, 0, 'G'},      {"kernels", required_argument, 0, 'k'},
        {"report", required_argument, 0, 'R'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (n_names < 64)
                names[n_names++] = optarg;
            break;
        case 'b': o.batch = atoi(optarg); break;
        case 'e': o.epochs = atoi(optarg); break;
        case 'r': o.reps = atoi(optarg); break;
        case 's': o.seed = strtoull(optarg, NULL, 10); break;
        case 'd': mnist_dir = optarg; break;
        case 'p': pairs_out = optarg; break;
        case 'g': gn = atoi(optarg); break;
        case 'G': no_gemm = 1; break;
        case 'k':
            if (parse_kernels(&o, optarg))
                return 2;
            break;
        case 'R': report = optarg; break;
        default: usage(); return 2;
        }
    }
    if (optind != argc || o.batch < 1 || o.batch > 1000 || o.epochs < 1 || o.reps < 1 ||
        gn < 16) {
        usage();
        return 2;
    }
    ps_nn_blas_single_thread();
    ps_mnist mn;
    ps_pairs train, test;
    if (ps_mnist_load(&mn, mnist_dir ? mnist_dir : ps_mnist_default_dir(), &err) ||
        ps_pairs_make_train_test(&train, &test, &mn, 1000, 1000, o.seed, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 1;
    }
    ps_mnist_free(&mn);
    float mean, sd;
    ps_pairs_stats(&train, &mean, &sd);
    ps_pairs_normalize(&train, mean, sd);
    ps_pairs_normalize(&test, mean, sd);
    if (pairs_out && write_pairs(pairs_out, &train, &test)) {
        fprintf(stderr, "bench_train: cannot write %s\n", pairs_out);
        return 1;
    }
    if (!no_gemm)
        printf("sgemm n=%d gflops=%.2f\n", gn, gemm_gflops(gn, 1.0));
    fflush(stdout);
    int rc = n_names ? 0 : bench_report(report, &o, &train, &test);
    for (int i = 0; i < n_names; i++)
        rc |= bench_model(names[i], &o, &train, &test);
    ps_pairs_free(&train);
    ps_pairs_free(&test);
    return rc;
}
