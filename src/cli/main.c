/* pairsweep — command-line entry: `pairsweep COMMAND [options]`. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "pairsweep/common.h"
#include "pairsweep/nn.h"

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
#ifdef PS_HAVE_CMD_DATA
    {"data", ps_cmd_data, "check the MNIST files and summarise a pair set"},
#endif
#ifdef PS_HAVE_CMD_MODELS
    {"models", ps_cmd_models, "list the model zoo: architecture, parameters, FLOPs"},
#endif
#ifdef PS_HAVE_CMD_TRAIN
    {"train", ps_cmd_train, "train one model on fresh pairs and print its curves"},
#endif
#ifdef PS_HAVE_CMD_RUN
    {"run", ps_cmd_run, "run a study (job file) with MPI into results/JOB.h5, resumably"},
#endif
#ifdef PS_HAVE_CMD_REPORT
    {"report", ps_cmd_report, "print the tables and draw the figures of results files"},
#endif
#ifdef PS_HAVE_CMD_STATUS
    {"status", ps_cmd_status, "account for every task of a study: done, diverged, failed, missing"},
#endif
#ifdef PS_HAVE_CMD_EXPORT
    {"export", ps_cmd_export, "write the exact pairs a task trained and was evaluated on (HDF5)"},
#endif
#ifdef PS_HAVE_CMD_MERGE
    {"merge", ps_cmd_merge, "join the shard files of one study into one file"},
#endif
};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pairsweep COMMAND [options]\n"
            "\n"
            "Runs studies of small neural networks on MNIST digit pairs (is digit 1 <= digit 2?)\n"
            "as MPI sweeps over models, hyper-parameter grids, CV folds and seeds.\n"
            "\n"
            "commands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "`pairsweep COMMAND --help` describes a command; `--version`, alone or after a\n"
            "command, prints the version. Version %s.\n",
            PS_VERSION);
}

/* 1 when --version is among the arguments (before a "--"): every command answers it. */
static int asks_version(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--version"))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return PS_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return PS_EXIT_OK;
    }
    if (asks_version(argc, argv)) {
        printf("pairsweep %s\n", PS_VERSION);
        return PS_EXIT_OK;
    }
    ps_err err = {0};
    if (ps_nn_check_env(&err)) {
        fprintf(stderr, "pairsweep: %s\n", err.msg);
        return PS_EXIT_USAGE;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "pairsweep: unknown command '%s' (try 'pairsweep --help')\n", argv[1]);
    return PS_EXIT_USAGE;
}
