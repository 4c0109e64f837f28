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
#include "pairsweep/path.h"
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
            "  --mnist DIR           MNIST directory (default: $PS_MNIST_DIR, else data/mnist)\n"
            "  --save FILE.h5        save config, curves and final weights to FILE.h5\n"
            "  --force               replace an existing --save FILE.h5\n"
            "  -q, --quiet           only the final line\n"
            "  -h, --help            this text\n");
}


/* A number option into a float: ps_cli_parse_double, or the one-line message (status 2). */
static int opt_float(float *out, const char *opt, const char *text, double lo, double hi,
                     const char *want)
{
    double v;
    if (ps_cli_parse_double(text, lo, hi, &v))
        return ps_cli_bad_value("train", opt, want, text);
    *out = (float)v;
    return 0;
}

/* --lr-step EPOCH:GAMMA into cfg; 0, or the one-line message (status 2). */
static int opt_lr_step(ps_train_config *cfg, const char *text)
{
    char head[32];
    const char *tail;
    long e;
    double g;
    if (ps_cli_split(text, ':', head, sizeof head, &tail) ||
        ps_cli_parse_long(head, 1, 100000, &e) || ps_cli_parse_double(tail, 0, 1e6, &g))
        return ps_cli_bad_value("train", "--lr-step", "EPOCH:GAMMA with EPOCH 1..100000 and "
                                "GAMMA 0..1e6, e.g. 15:0.1", text);
    cfg->lr_step_epoch = (int32_t)e;
    cfg->lr_step_gamma = (float)g;
    return 0;
}

/* --fold K:F into cfg; 0, or the one-line message (status 2). */
static int opt_fold(ps_train_config *cfg, const char *text)
{
    char head[32];
    const char *tail;
    long k, f;
    if (ps_cli_split(text, ':', head, sizeof head, &tail) ||
        ps_cli_parse_long(head, 2, 30000, &k) || ps_cli_parse_long(tail, 0, k - 1, &f))
        return ps_cli_bad_value("train", "--fold", "K:F with K 2..30000 and F 0..K-1, e.g. 5:0",
                                text);
    cfg->eval = PS_EVAL_KFOLD;
    cfg->folds = (int32_t)k;
    cfg->fold = (int32_t)f;
    return 0;
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

/* Parses the options into cfg; returns 0, or 2 after printing one line (bad usage), or -1
 * for --help (printed). */
static int parse_options(ps_train_config *cfg, const char **mnist, const char **save,
                         int *force, int *quiet, int argc, char **argv)
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
        {"force", no_argument, NULL, 'f'},            {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long v;
    int c, rc = 0;
    opterr = 0;
    optind = 1;
    while (!rc && (c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
        switch (c) {
        case 'M':
            if (strlen(optarg) >= sizeof cfg->model)
                return ps_cli_bad_value("train", "--model", "a model name", optarg);
            snprintf(cfg->model, sizeof cfg->model, "%s", optarg);
            break;
        case 's':
            if (!(rc = ps_cli_opt_long(&v, "train", "--seed", optarg, 0, 2147483647L)))
                cfg->seed = (uint64_t)v;
            break;
        case 'e':
            if (!(rc = ps_cli_opt_long(&v, "train", "--epochs", optarg, 1, 100000)))
                cfg->epochs = (int32_t)v;
            break;
        case 'l': rc = opt_float(&cfg->lr, "--lr", optarg, 0, 1e6, "a number 0..1e6"); break;
        case 'b':
            if (!(rc = ps_cli_opt_long(&v, "train", "--batch-size", optarg, 1, 60000)))
                cfg->batch_size = (int32_t)v;
            break;
        case 'm':
            rc = opt_float(&cfg->momentum, "--momentum", optarg, 0, 0.999999,
                           "a number in [0, 1)");
            break;
        case 'N': cfg->nesterov = 1; break;
        case 'w':
            rc = opt_float(&cfg->weight_decay, "--weight-decay", optarg, 0, 1e6,
                           "a number 0..1e6");
            break;
        case 'a':
            rc = opt_float(&cfg->aux_weight, "--aux-weight", optarg, 0, 1e6, "a number 0..1e6");
            break;
        case 'B':
            if (strcmp(optarg, "on") && strcmp(optarg, "off"))
                return ps_cli_bad_value("train", "--bn", "on or off", optarg);
            cfg->use_bn = !strcmp(optarg, "on");
            break;
        case 't':
            if (!(rc = ps_cli_opt_long(&v, "train", "--n-train", optarg, 1, 30000)))
                cfg->n_train = (int32_t)v;
            break;
        case 'T':
            if (!(rc = ps_cli_opt_long(&v, "train", "--n-test", optarg, 1, 5000)))
                cfg->n_test = (int32_t)v;
            break;
        case 'S': rc = opt_lr_step(cfg, optarg); break;
        case 'H':
            if (!(rc = ps_cli_opt_long(&v, "train", "--holdout", optarg, 1, 30000))) {
                cfg->eval = PS_EVAL_HOLDOUT;
                cfg->holdout = (int32_t)v;
            }
            break;
        case 'F': rc = opt_fold(cfg, optarg); break;
        case 'd': *mnist = optarg; break;
        case 'o': *save = optarg; break;
        case 'f': *force = 1; break;
        case 'q': *quiet = 1; break;
        case 'h': train_usage(stdout); return -1;
        case ':':
            fprintf(stderr, "pairsweep train: option '%s' needs a value (try --help)\n",
                    argv[optind - 1]);
            return PS_EXIT_USAGE;
        default:
            fprintf(stderr, "pairsweep train: unknown option '%s' (try --help)\n",
                    argv[optind - 1]);
            return PS_EXIT_USAGE;
        }
    }
    if (rc)
        return rc;
    if (optind < argc) {
        fprintf(stderr, "pairsweep train: unexpected argument '%s'\n", argv[optind]);
        return PS_EXIT_USAGE;
    }
    if (!cfg->model[0]) {
        fprintf(stderr, "pairsweep train: --model NAME is required (see `pairsweep models`)\n");
        return PS_EXIT_USAGE;
    }
    return 0;
}

int ps_cmd_train(int argc, char **argv)
{
    ps_train_config cfg;
    ps_train_config_default(&cfg);
    const char *dir = ps_mnist_default_dir(), *save = NULL;
    int quiet = 0, force = 0;
    int rc = parse_options(&cfg, &dir, &save, &force, &quiet, argc, argv);
    if (rc)
        return rc < 0 ? PS_EXIT_OK : rc;
    ps_err err = {0, ""};
    ps_model_info info;
    if (ps_model_lookup(&info, cfg.model, &err)) {
        fprintf(stderr, "pairsweep train: %s\n", err.msg);
        return PS_EXIT_USAGE;
    }
    /* the paths, before any work: --save is refused now, not after the training */
    if ((rc = ps_cli_check_mnist_dir(dir, &err)) ||
        (save && (rc = ps_cli_check_output(save, dir, NULL, force ? PS_PATH_REPLACE : 0,
                                           "the --save file", "--force", &err))))
        return ps_cli_fail("train", rc, &err);
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
