/* pairsweep data: check the MNIST files and summarise a pair set. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pairsweep/data.h"
#include "pairsweep/rng.h"

static void data_usage(FILE *out)
{
    fprintf(out,
            "usage: pairsweep data [--mnist DIR] [--pairs N] [--seed S]\n"
            "\n"
            "Reads the four MNIST idx files (raw or .gz) of DIR, checks them, prints their\n"
            "SHA-256 against the reference values (scripts/mnist.sha256), then makes the\n"
            "reports' pair sets for a seed and prints their size, target balance and digit\n"
            "histogram.\n"
            "\n"
            "  --mnist DIR   MNIST directory (default: $PS_MNIST_DIR, else the first of\n"
            "                the folders below that holds the files)\n"
            "  --pairs N     training and test pairs (default 1000)\n"
            "  --seed S      seed of the pairs (default 0)\n"
            "  -h, --help    this text\n"
            "\n"
            "Where MNIST is looked for, in every command: --mnist DIR; a job file's\n"
            "data.mnist (pairsweep run); $PS_MNIST_DIR; then the first of data/mnist (in\n"
            "the working directory), $XDG_DATA_HOME/pairsweep/mnist (default\n"
            "~/.local/share/pairsweep/mnist) and the installation's share/pairsweep/mnist\n"
            "(beside the program's bin/, then %s/mnist) that holds\n"
            "train-images-idx3-ubyte (or .gz).\n", PS_DATADIR);
}


static void print_set(const char *what, const ps_pairs *p)
{
    int ones = 0, hist[10] = {0};
    for (int32_t i = 0; i < p->n; i++) {
        ones += p->target[i];
        hist[p->classes[2 * i]]++;
        hist[p->classes[2 * i + 1]]++;
    }
    float mean, std;
    ps_pairs_stats(p, &mean, &std);
    printf("  %-5s %5d pairs  input %d x 2 x %d x %d  target 1 (digit 1 <= digit 2): %d (%.1f%%)\n",
           what, p->n, p->n, PS_IMG, PS_IMG, ones, 100.0 * ones / p->n);
    printf("        pixel mean %.3f, std %.3f (0..255 scale, before normalisation)\n", mean, std);
    printf("        digits:");
    for (int d = 0; d < 10; d++)
        printf(" %d:%d", d, hist[d]);
    printf("\n");
}

int ps_cmd_data(int argc, char **argv)
{
    static const struct option opts[] = {
        {"mnist", required_argument, NULL, 'm'},
        {"pairs", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = ps_mnist_default_dir();
    long n = 1000, seed = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': dir = optarg; break;
        case 'n':
            if (ps_cli_opt_long(&n, "data", "--pairs", optarg, 1, 5000))
                return PS_EXIT_USAGE;
            break;
        case 's':
            if (ps_cli_opt_long(&seed, "data", "--seed", optarg, 0, 2147483647L))
                return PS_EXIT_USAGE;
            break;
        case 'h': data_usage(stdout); return PS_EXIT_OK;
        case ':':
            fprintf(stderr, "pairsweep data: option '%s' needs a value (try --help)\n",
                    argv[optind - 1]);
            return PS_EXIT_USAGE;
        default:
            fprintf(stderr, "pairsweep data: unknown option '%s' (try --help)\n",
                    argv[optind - 1]);
            return PS_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pairsweep data: unexpected argument '%s' (try --help)\n", argv[optind]);
        return PS_EXIT_USAGE;
    }
    ps_mnist m;
    ps_err err = {0};
    int rc = ps_cli_check_mnist_dir(dir, &err);
    if (rc || (rc = ps_mnist_load(&m, dir, &err)))
        return ps_cli_fail("data", rc, &err);
    printf("MNIST in %s: %d training and %d test images, pooled 2x2 to %dx%d\n", m.dir, m.train.n,
           m.test.n, PS_IMG, PS_IMG);
    for (int i = 0; i < 4; i++) {
        int same = !strcmp(m.sha256[i], ps_mnist_reference_sha256(i));
        printf("  %-40s sha256 %s  %s\n", m.path[i], m.sha256[i],
               same ? "= reference" : "(differs from the reference: another copy or compressed)");
    }
    ps_pairs tr, te;
    rc = ps_pairs_make_train_test(&tr, &te, &m, (int32_t)n, (int32_t)n, (uint64_t)seed, &err);
    if (rc) {
        ps_mnist_free(&m);
        return ps_cli_fail("data", rc, &err);
    }
    printf("pairs for seed %ld:\n", seed);
    print_set("train", &tr);
    print_set("test", &te);
    ps_pairs_free(&tr);
    ps_pairs_free(&te);
    ps_mnist_free(&m);
    return PS_EXIT_OK;
}
