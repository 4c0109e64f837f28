/* pairsweep train: one model, one seed, fresh pairs; a line per epoch and the final test
 * accuracy; optionally the run (config, curves, weights) saved to HDF5. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pairsweep/data.h"
#include "pairsweep/models.h"
#include "pairsweep/store.h"
#include "pairsweep/train.h"

static void train_usage(FILE *out)
{
    fprintf(out,
            "usage: pairsweep train --model NAME [options]\n"
            "\n"
            "Trains one model of the zoo (`pairsweep models`) on fresh digit pairs for a seed\n"
            "(pairs, initialisation and batch order all come from it: equal options give\n"
            "bit-identical runs), prints a line per epoch and the final test accuracy.\n"
            "Exit status 0 when the run finished, 1 when it diverged or failed, 2 on bad usage.\n"
            "\n"
            "  --model NAME          model (required)\n"
            "  --seed S              seed (default 0)\n"
            "  --epochs N            epochs (default 25)\n"
            "  --lr X                learning rate (default 0.01)\n"
            "  --batch-size N        mini-batch size (default 100)\n"
            "  --momentum X          SGD momentum (default 0.9; 0 = plain SGD)\n"
            "  --nesterov            Nesterov momentum\n"
            "  --weight-decay X      L2 weight decay (default 0)\n"
            "  --aux-weight X        weight w of the digit losses, target + w (d1 + d2)\n"
            "                        (models with auxiliary losses; default 1)\n"
            "  --bn on|off           BatchNorm where the model has optional BatchNorm\n"
            "                        (default: the model's own)\n"
            "  --n-train N           training pairs (default 1000)\n"
            "  --n-test N            test pairs (default 1000)\n"
            "  --lr-step EPOCH:GAMMA multiply the lr by GAMMA from EPOCH on (e.g. 15:0.1)\n"
            "  --holdout N           validate on the last N training pairs instead of testing\n"
            "  --fold K:F            validate on fold F of a K-fold split of the training pairs\n"
            "  --kernels auto|avx2|gemm\n"
            "                        auto: the direct forward convolution where a layer suits\n"
            "                        it, in AVX-512 or else AVX2 + FMA as the CPU has, else\n"
            "                        im2col + GEMM; avx2: the same without AVX-512; gemm:\n"
            "                        always im2col + GEMM (the same results up to rounding;\n"
            "                        default auto)\n"
            "  --mnist DIR           MNIST directory (default: $PS_MNIST_DIR, else data/mnist)\n"
            "  --save FILE.h5        save config, curves and final weights to FILE.h5\n"
            "  -q, --quiet           only the final line\n"
            "  -h, --help            this text\n");
}


static int parse_float(const char *s, double lo, double hi, float *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = (float)v;
    return 0;
}

static int parse_pair(const char *s, long *a, char sep, char *rest, size_t cap)
{
    const char *colon = strchr(s, sep);
    if (!colon || (size_t)(colon - s) >= 32 || strlen(colon + 1) >= cap)
        return -1;
    char head[32];
    memcpy(head, s, (size_t)(colon - s));
    head[colon - s] = 0;
    snprintf(rest, cap, "%s", colon + 1);
    return ps_cli_parse_long(head, 0, 1000000, a);
}

typedef struct printer {
    int quiet;
    const char *eval_name;
} printer;

static int print_epoch(void *user, int32_t e, const ps_train_result *r)
{
    const printer *p = user;
    if (!p->quiet)
        printf("epoch %3d/%d  train loss %.4f  train acc %6.2f%%  %s loss %.4f  %s acc %6.2f%%"
               "  %.1f s\n",
               e + 1, r->epochs, (double)r->train_loss[e], 100.0 * r->train_acc[e], p->eval_name,
               (double)r->eval_loss[e], p->eval_name, 100.0 * r->eval_acc[e], r->wall_seconds);
    fflush(stdout);
    return 0;
}

static int bad(const char *opt, const char *want, const char *got)
{
    fprintf(stderr, "pairsweep train: %s: expected %s, got '%s'\n", opt, want, got);
    return 2;
}

/* Parses the options into cfg; returns 0, or 2 after printing one line (bad usage), or -1
 * for --help (printed). */
static int parse_options(ps_train_config *cfg, const char **mnist, const char **save,
                         int *quiet, int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'M'},      {"seed", required_argument, NULL, 's'},
        {"epochs", required_argument, NULL, 'e'},     {"lr", required_argument, NULL, 'l'},
        {"batch-size", required_argument, NULL, 'b'}, {"momentum", required_argument, NULL, 'm'},
        {"nesterov", no_argument, NULL, 'N'},         {"weight-decay", required_argument, NULL, 'w'},
        {"aux-weight", required_argument, NULL, 'a'}, {"bn", required_argument, NULL, 'B'},
        {"n-train", required_argument, NULL, 't'},    {"n-test", required_argument, NULL, 'T'},
        {"lr-step", required_argument, NULL, 'S'},    {"holdout", required_argument, NULL, 'H'},
        {"fold", required_argument, NULL, 'F'},       {"mnist", required_argument, NULL, 'd'},
        {"save", required_argument, NULL, 'o'},       {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},             {"kernels", required_argument, NULL, 'K'},
        {NULL, 0, NULL, 0},
    };
    long v;
    char rest[64];
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
        switch (c) {
        case 'M':
            if (strlen(optarg) >= sizeof cfg->model)
                return bad("--model", "a model name", optarg);
            snprintf(cfg->model, sizeof cfg->model, "%s", optarg);
            break;
        case 's':
            if (ps_cli_parse_long(optarg, 0, 2147483647L, &v))
                return bad("--seed", "an integer >= 0", optarg);
            cfg->seed = (uint64_t)v;
            break;
        case 'e':
            if (ps_cli_parse_long(optarg, 1, 100000, &v))
                return bad("--epochs", "an integer 1..100000", optarg);
            cfg->epochs = (int32_t)v;
            break;
        case 'l':
            if (parse_float(optarg, 0, 1e6, &cfg->lr))
                return bad("--lr", "a number >= 0", optarg);
            break;
        case 'b':
            if (ps_cli_parse_long(optarg, 1, 60000, &v))
                return bad("--batch-size", "an integer >= 1", optarg);
            cfg->batch_size = (int32_t)v;
            break;
        case 'm':
            if (parse_float(optarg, 0, 0.999999, &cfg->momentum))
                return bad("--momentum", "a number in [0, 1)", optarg);
            break;
        case 'N': cfg->nesterov = 1; break;
        case 'w':
            if (parse_float(optarg, 0, 1e6, &cfg->weight_decay))
                return bad("--weight-decay", "a number >= 0", optarg);
            break;
        case 'a':
            if (parse_float(optarg, 0, 1e6, &cfg->aux_weight))
                return bad("--aux-weight", "a number >= 0", optarg);
            break;
        case 'B':
            if (strcmp(optarg, "on") && strcmp(optarg, "off"))
                return bad("--bn", "on or off", optarg);
            cfg->use_bn = !strcmp(optarg, "on");
            break;
        case 't':
            if (ps_cli_parse_long(optarg, 1, 30000, &v))
                return bad("--n-train", "an integer 1..30000", optarg);
            cfg->n_train = (int32_t)v;
            break;
        case 'T':
            if (ps_cli_parse_long(optarg, 1, 5000, &v))
                return bad("--n-test", "an integer 1..5000", optarg);
            cfg->n_test = (int32_t)v;
            break;
        case 'S':
            if (parse_pair(optarg, &v, ':', rest, sizeof rest) || v < 1 ||
                parse_float(rest, 0, 1e6, &cfg->lr_step_gamma))
                return bad("--lr-step", "EPOCH:GAMMA, e.g. 15:0.1", optarg);
            cfg->lr_step_epoch = (int32_t)v;
            break;
        case 'H':
            if (ps_cli_parse_long(optarg, 1, 30000, &v))
                return bad("--holdout", "an integer >= 1", optarg);
            cfg->eval = PS_EVAL_HOLDOUT;
            cfg->holdout = (int32_t)v;
            break;
        case 'F': {
            long f;
            if (parse_pair(optarg, &v, ':', rest, sizeof rest) || ps_cli_parse_long(rest, 0, 1000, &f))
                return bad("--fold", "K:F, e.g. 5:0", optarg);
            cfg->eval = PS_EVAL_KFOLD;
            cfg->folds = (int32_t)v;
            cfg->fold = (int32_t)f;
            break;
        }
        case 'K':
            if (ps_nn_kernels_parse(&cfg->kernels, optarg, NULL))
                return bad("--kernels", "auto, avx2 or gemm", optarg);
            break;
        case 'd': *mnist = optarg; break;
        case 'o': *save = optarg; break;
        case 'q': *quiet = 1; break;
        case 'h': train_usage(stdout); return -1;
        case ':':
            fprintf(stderr, "pairsweep train: option '%s' needs a value (try --help)\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "pairsweep train: unknown option '%s' (try --help)\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pairsweep train: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!cfg->model[0]) {
        fprintf(stderr, "pairsweep train: --model NAME is required (see `pairsweep models`)\n");
        return 2;
    }
    return 0;
}

int ps_cmd_train(int argc, char **argv)
{
    ps_train_config cfg;
    ps_train_config_default(&cfg);
    const char *dir = ps_mnist_default_dir(), *save = NULL;
    int quiet = 0;
    int rc = parse_options(&cfg, &dir, &save, &quiet, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    ps_err err = {0, ""};
    ps_model_info info;
    if (ps_model_lookup(&info, cfg.model, &err)) {
        fprintf(stderr, "pairsweep train: %s\n", err.msg);
        return 2;
    }
    ps_mnist m;
    if ((rc = ps_mnist_load(&m, dir, &err))) {
        fprintf(stderr, "pairsweep train: %s\n", err.msg);
        return ps_exit_status(rc);
    }
    printer p = {quiet, cfg.eval == PS_EVAL_TEST ? "test" : "val"};
    if (!quiet)
        printf("model %s (%s), seed %llu, %d epochs, batch %d, lr %g, momentum %g%s\n",
               info.name, info.arch, (unsigned long long)cfg.seed, cfg.epochs, cfg.batch_size,
               (double)cfg.lr, (double)cfg.momentum, cfg.nesterov ? " (Nesterov)" : "");
    ps_train_result r;
    rc = ps_train_run(&r, &cfg, &m, print_epoch, &p, &err);
    ps_mnist_free(&m);
    if (rc) {
        fprintf(stderr, "pairsweep train: %s\n", err.msg);
        return ps_exit_status(rc);
    }
    int status = 0;
    if (r.status == PS_TASK_DONE) {
        printf("final %s accuracy %.2f%%  (%s, seed %llu, %.1f s)\n", p.eval_name,
               100.0 * r.eval_acc[r.epochs - 1], info.name, (unsigned long long)cfg.seed,
               r.wall_seconds);
    } else {
        printf("diverged: %s (%s, seed %llu)\n", r.reason, info.name,
               (unsigned long long)cfg.seed);
        status = 1;
    }
    if (save) {
        if ((rc = ps_store_write_run(save, &cfg, &r, &err))) {
            fprintf(stderr, "pairsweep train: %s\n", err.msg);
            status = 1;
        } else if (!quiet) {
            printf("saved %s\n", save);
        }
    }
    ps_train_result_free(&r);
    return status;
}
