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
#include "pairsweep/sweep.h"
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
            "       pairsweep train --from FILE.h5 --task ID [--save OUT.h5] [--quiet]\n"
            "\n"
            "Trains one model of the zoo (`pairsweep models`) on fresh digit pairs for a seed\n"
            "(pairs, initialisation and batch order all come from it: equal options give\n"
            "bit-identical runs), prints a line per epoch and the final test accuracy.\n"
            "With --from, re-runs task ID of the study FILE.h5 (its /tasks table) with\n"
            "its stored config: the same curves and weights, bit for bit. Only --save, --force,\n"
            "--quiet, --mnist, --kernels and --eval go with --from.\n"
            "Exit status 0 when the run finished, 1 when it diverged or failed, 2 on bad usage.\n"
            "\n"
            "  --model NAME          model (required)\n"
            "  --seed S              seed, 0..18446744073709551615 (default 0)\n"
            "  --epochs N            epochs (default 25)\n");
    hp_usage(out);
    fprintf(out,
            "  --nesterov            Nesterov momentum\n"
            "  --n-train N           training pairs (default 1000)\n"
            "  --n-test N            test pairs (default 1000)\n"
            "  --lr-step EPOCH:GAMMA multiply the lr by GAMMA from EPOCH on (e.g. 15:0.1)\n"
            "  --holdout N           validate on the last N training pairs instead of testing\n"
            "  --fold K:F            validate on fold F of a K-fold split of the training pairs\n"
            "  --eval every|last     evaluate after every epoch (default), or only after the\n"
            "                        last one: times the training alone (the other epochs'\n"
            "                        lines and a --save file's curves have no test figures)\n"
            "  --kernels auto|avx2|gemm\n"
            "                        auto: the direct forward convolution where a layer suits\n"
            "                        it, in AVX-512 or else AVX2 + FMA as the CPU has, else\n"
            "                        im2col + GEMM; avx2: the same without AVX-512; gemm:\n"
            "                        always im2col + GEMM (the same results up to rounding;\n"
            "                        default auto; PS_NN_MAX_ISA=avx2 in the environment\n"
            "                        makes auto act as avx2)\n"
            "  --mnist DIR           MNIST directory (default: with --from the job's data.mnist,\n"
            "                        else $PS_MNIST_DIR, else searched: pairsweep data --help)\n"
            "  --from FILE.h5        re-run a task of this results file (with --task)\n"
            "  --task ID             the task id to re-run (its /tasks table)\n"
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
    if (!p->quiet && isnan(r->eval_loss[e])) /* --eval last: not evaluated */
        printf("epoch %3d/%d  train loss %.4f  train acc %6.2f%%  %.1f s\n", e + 1, r->epochs,
               (double)r->train_loss[e], 100.0 * r->train_acc[e], r->wall_seconds);
    else if (!p->quiet)
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

/* What the command line asks for. */
typedef struct train_opts {
    ps_train_config cfg;
    const char *mnist, *save;
    int force, quiet, kernels_given, eval_last;
    const char *from, *task;   /* --from FILE.h5 --task ID: re-run a stored task */
    char other[64];            /* the first option that --from does not take, or "" */
} train_opts;

/* Options that go with --from (the rest come from the stored task). */
static int from_allows(int c)
{
    return c == 'q' || c == 'o' || c == 'f' || c == 'd' || c == 'K' || c == 'R' || c == 'I' ||
           c == 'E' || c == 'h';
}

/* The checks after the options: --from with --task and alone, else --model. */
static int check_combination(const train_opts *o)
{
    const char *msg = NULL;
    if (o->from && !o->task)
        msg = "--from FILE.h5 needs --task ID";
    else if (o->task && !o->from)
        msg = "--task ID needs --from FILE.h5";
    else if (!o->from && !o->cfg.model[0])
        msg = "--model NAME is required (see `pairsweep models`)";
    if (msg) {
        fprintf(stderr, "pairsweep train: %s\n", msg);
        return PS_EXIT_USAGE;
    }
    if (o->from && o->other[0]) {
        fprintf(stderr, "pairsweep train: --%s cannot go with --from (the stored task sets it)\n",
                o->other);
        return PS_EXIT_USAGE;
    }
    return 0;
}

/* Parses the options into cfg; returns 0, or 2 after printing one line (bad usage), or -1
 * for --help (printed). */
static int parse_options(train_opts *o, int argc, char **argv)
{
    ps_train_config *cfg = &o->cfg;
    static const struct option fixed[] = {
        {"model", required_argument, NULL, 'M'},      {"seed", required_argument, NULL, 's'},
        {"epochs", required_argument, NULL, 'e'},     {"nesterov", no_argument, NULL, 'N'},
        {"n-train", required_argument, NULL, 't'},    {"n-test", required_argument, NULL, 'T'},
        {"lr-step", required_argument, NULL, 'S'},    {"holdout", required_argument, NULL, 'H'},
        {"fold", required_argument, NULL, 'F'},       {"mnist", required_argument, NULL, 'd'},
        {"save", required_argument, NULL, 'o'},       {"quiet", no_argument, NULL, 'q'},
        {"force", no_argument, NULL, 'f'},            {"help", no_argument, NULL, 'h'},
        {"kernels", required_argument, NULL, 'K'},    {"from", required_argument, NULL, 'R'},
        {"task", required_argument, NULL, 'I'},       {"eval", required_argument, NULL, 'E'},
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
    int li = -1;
    while (!rc && (c = getopt_long(argc, argv, ":qh", opts, &li)) != -1) {
        if (li >= 0 && !from_allows(c) && !o->other[0] && c != ':' && c != '?')
            snprintf(o->other, sizeof o->other, "%s", opts[li].name);
        li = -1;
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
            if (ps_cli_parse_u64(optarg, &cfg->seed))
                rc = ps_cli_bad_value("train", "--seed", "an integer 0..18446744073709551615",
                                      optarg);
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
                return ps_cli_bad_value("train", "--kernels", "auto, avx2 or gemm", optarg);
            o->kernels_given = 1;
            break;
        case 'E':
            if (strcmp(optarg, "every") && strcmp(optarg, "last"))
                return ps_cli_bad_value("train", "--eval", "every or last", optarg);
            o->eval_last = !strcmp(optarg, "last");
            break;
        case 'd': o->mnist = optarg; break;
        case 'o': o->save = optarg; break;
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'R': o->from = optarg; break;
        case 'I': o->task = optarg; break;
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
    return check_combination(o);
}

/* --from FILE.h5 --task ID: the stored task's config into o->cfg (--kernels kept when given),
 * its job's MNIST directory into dir unless --mnist was given. */
static int config_from(train_opts *o, char *dir, size_t cap, ps_err *err)
{
    int rc = ps_cli_check_results(o->from, err);
    ps_results r;
    if (rc || (rc = ps_results_read(&r, o->from, err)))
        return rc;
    ps_task task;
    ps_job job;
    rc = ps_sweep_find_task(&task, &job, &r, o->from, o->task, err);
    ps_results_free(&r);
    if (rc)
        return rc;
    ps_nn_kernels kernels = o->cfg.kernels;
    o->cfg = task.cfg;
    if (o->kernels_given)
        o->cfg.kernels = kernels;
    if (!o->mnist && job.mnist_dir[0])
        snprintf(dir, cap, "%s", job.mnist_dir);
    ps_job_free(&job);
    return 0;
}

int ps_cmd_train(int argc, char **argv)
{
    train_opts o = {0};
    ps_train_config_default(&o.cfg);
    int rc = parse_options(&o, argc, argv);
    if (rc)
        return rc < 0 ? PS_EXIT_OK : rc;
    char dir[PS_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", o.mnist ? o.mnist : ps_mnist_default_dir());
    ps_err err = {0, ""};
    if (o.from && (rc = config_from(&o, dir, sizeof dir, &err)))
        return ps_cli_fail("train", rc, &err);
    o.cfg.eval_last = o.eval_last;
    const ps_train_config cfg = o.cfg;
    const char *save = o.save;
    int quiet = o.quiet, force = o.force;
    ps_model_info info;
    if (ps_model_lookup(&info, cfg.model, &err)) {
        fprintf(stderr, "pairsweep train: %s\n", err.msg);
        return PS_EXIT_USAGE;
    }
    /* the paths, before any work: --save is refused now, not after the training */
    if ((rc = ps_cli_check_mnist_dir(dir, &err)) ||
        (save && (rc = ps_cli_check_output(save, dir, o.from, force ? PS_PATH_REPLACE : 0,
                                           "the --save file", "--force", &err))))
        return ps_cli_fail("train", rc, &err);
    ps_mnist m;
    if ((rc = ps_mnist_load(&m, dir, &err))) {
        fprintf(stderr, "pairsweep train: %s\n", err.msg);
        return ps_exit_status(rc);
    }
    printer p = {quiet, cfg.eval == PS_EVAL_TEST ? "test" : "val"};
    if (!quiet && o.from)
        printf("task %s of %s\n", o.task, o.from);
    if (!quiet)
        printf("model %s (%s), seed %llu, %d epochs, batch %d, lr %g, momentum %g%s, "
               "kernels %s: %s\n",
               info.name, info.arch, (unsigned long long)cfg.seed, cfg.epochs, cfg.batch_size,
               (double)cfg.lr, (double)cfg.momentum, cfg.nesterov ? " (Nesterov)" : "",
               ps_nn_kernels_name(cfg.kernels), ps_nn_kernels_isa(cfg.kernels));
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
