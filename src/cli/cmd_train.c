/* pairsweep train: one model, one seed, fresh pairs; a line per epoch and the final test
 * accuracy; optionally the run (config, curves, weights) saved to HDF5. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <limits.h>
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

/* `--KEY` of hyper-parameter a: its grid key with '_' written '-'. */
static void hp_option(char *buf, size_t cap, ps_axis a)
{
    snprintf(buf, cap, "--%s", ps_axis_name(a));
    for (char *p = buf; *p; p++)
        if (*p == '_')
            *p = '-';
}

/* The help line of every hyper-parameter (hparams.h): what, range, default. */
static void hp_usage(FILE *out)
{
    for (int a = 0; a < PS_N_AXES; a++) {
        const ps_hparam *h = ps_hparam_info((ps_axis)a);
        char opt[64], range[64], tail[128];
        hp_option(opt, sizeof opt, (ps_axis)a);
        snprintf(opt + strlen(opt), sizeof opt - strlen(opt), " %s",
                 h->kind == PS_HP_SWITCH ? "on|off" : h->kind == PS_HP_INT ? "N" : "X");
        ps_hparam_range(range, sizeof range, (ps_axis)a);
        if (h->kind == PS_HP_SWITCH)
            snprintf(tail, sizeof tail, "(default: %s)",
                     h->def < 0 ? "the model's own" : h->def ? "on" : "off");
        else
            snprintf(tail, sizeof tail, "in %s (default %g)", range, h->def);
        /* one line when it fits in 80 columns, else the range on a line of its own */
        int wrap = 24 + strlen(h->help) + 1 + strlen(tail) > 80;
        fprintf(out, "  %-21s %s%s%s\n", opt, h->help, wrap ? "\n                        " : " ",
                tail);
    }
}

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
            "  --epochs N            epochs (default 25)\n");
    hp_usage(out);
    fprintf(out,
            "  --nesterov            Nesterov momentum\n"
            "  --n-train N           training pairs (default 1000)\n"
            "  --n-test N            test pairs (default 1000)\n"
            "  --lr-step EPOCH:GAMMA multiply the lr by GAMMA from EPOCH on (e.g. 15:0.1)\n"
            "  --holdout N           validate on the last N training pairs instead of testing\n"
            "  --fold K:F            validate on fold F of a K-fold split of the training pairs\n"
            "  --kernels auto|gemm   auto: the AVX-512 direct forward convolution where the CPU\n"
            "                        has it and a layer suits it, else im2col + GEMM; gemm:\n"
            "                        always im2col + GEMM (the same results up to rounding;\n"
            "                        default auto)\n"
            "  --mnist DIR           MNIST directory (default: $PS_MNIST_DIR, else searched:\n"
            "                        see pairsweep data --help)\n"
            "  --save FILE.h5        save config, curves and final weights to FILE.h5\n"
            "  --force               replace an existing --save FILE.h5\n"
            "  -q, --quiet           only the final line\n"
            "  -h, --help            this text\n");
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

/* Sets hyper-parameter a of cfg from the text of its option; 0, or 2 after printing one line. */
static int parse_hparam(ps_train_config *cfg, ps_axis a, const char *arg)
{
    const ps_hparam *h = ps_hparam_info(a);
    char opt[64], range[64], want[96];
    hp_option(opt, sizeof opt, a);
    double v;
    if (h->kind == PS_HP_SWITCH) {
        if (strcmp(arg, "on") && strcmp(arg, "off"))
            return ps_cli_bad_value("train", opt, "on or off", arg);
        v = !strcmp(arg, "on");
    } else {
        long iv = 0;
        int bad = h->kind == PS_HP_INT ? ps_cli_parse_long(arg, LONG_MIN, LONG_MAX, &iv)
                                       : ps_cli_parse_double(arg, -HUGE_VAL, HUGE_VAL, &v);
        if (h->kind == PS_HP_INT && !bad)
            v = (double)iv;
        if (bad || !ps_hparam_in_range(a, v)) {
            ps_hparam_range(range, sizeof range, a);
            snprintf(want, sizeof want, "%s in %s",
                     h->kind == PS_HP_INT ? "an integer" : "a number", range);
            return ps_cli_bad_value("train", opt, want, arg);
        }
    }
    ps_hparam_set(cfg, a, v);
    return 0;
}

#define HP_OPT 1000 /* getopt_long's value of hyper-parameter a: HP_OPT + a */

/* Parses the options into cfg; returns 0, or 2 after printing one line (bad usage), or -1
 * for --help (printed). */
static int parse_options(ps_train_config *cfg, const char **mnist, const char **save,
                         int *force, int *quiet, int argc, char **argv)
{
    static const struct option fixed[] = {
        {"model", required_argument, NULL, 'M'},      {"seed", required_argument, NULL, 's'},
        {"epochs", required_argument, NULL, 'e'},     {"nesterov", no_argument, NULL, 'N'},
        {"n-train", required_argument, NULL, 't'},    {"n-test", required_argument, NULL, 'T'},
        {"lr-step", required_argument, NULL, 'S'},    {"holdout", required_argument, NULL, 'H'},
        {"fold", required_argument, NULL, 'F'},       {"mnist", required_argument, NULL, 'd'},
        {"save", required_argument, NULL, 'o'},       {"quiet", no_argument, NULL, 'q'},
        {"force", no_argument, NULL, 'f'},            {"help", no_argument, NULL, 'h'},
        {"kernels", required_argument, NULL, 'K'},
        {NULL, 0, NULL, 0},
    };
    /* the hyper-parameters' options (hparams.h), then the fixed ones */
    struct option opts[PS_N_AXES + sizeof fixed / sizeof fixed[0]];
    char names[PS_N_AXES][64];
    for (int a = 0; a < PS_N_AXES; a++) {
        hp_option(names[a], sizeof names[a], (ps_axis)a);
        opts[a] = (struct option){names[a] + 2, required_argument, NULL, HP_OPT + a};
    }
    memcpy(opts + PS_N_AXES, fixed, sizeof fixed);
    long v;
    int c, rc = 0;
    opterr = 0;
    optind = 1;
    while (!rc && (c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
        if (c >= HP_OPT && c < HP_OPT + PS_N_AXES) {
            rc = parse_hparam(cfg, (ps_axis)(c - HP_OPT), optarg);
            continue;
        }
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
        case 'N': cfg->nesterov = 1; break;
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
        case 'K':
            if (ps_nn_kernels_parse(&cfg->kernels, optarg, NULL))
                return ps_cli_bad_value("train", "--kernels", "auto or gemm", optarg);
            break;
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
