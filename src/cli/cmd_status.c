/* pairsweep status: every cell of a study accounted for. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "pairsweep/report.h"

static void status_usage(FILE *out)
{
    fprintf(out,
            "usage: pairsweep status FILE.h5 [--all]\n"
            "\n"
            "Accounts for every cell of a study (model × grid point × fold × repetition):\n"
            "done, diverged, failed or missing, per model and phase, with the reasons of\n"
            "failed and diverged tasks. Results of a running (or killed) writer that are still\n"
            "in FILE.h5.journal are counted. Exit status 0 when the study is complete, 3 when\n"
            "tasks are missing, 2 for a file that is missing or not a results file, 1 on other\n"
            "errors.\n"
            "\n"
            "  --all       list every cell, not only those not done\n"
            "  -h, --help  this text\n");
}

int ps_cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int all = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
        switch (c) {
        case 'a': all = 1; break;
        case 'h': status_usage(stdout); return PS_EXIT_OK;
        default:
            fprintf(stderr, "pairsweep status: unknown option or missing argument '%s' (try "
                    "--help)\n", argv[optind - 1]);
            return PS_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "pairsweep status: expected one results file (try --help)\n");
        return PS_EXIT_USAGE;
    }
    const char *path = argv[optind];
    ps_results r;
    ps_err err = {0};
    int rc = ps_cli_check_results(path, &err);
    if (rc || (rc = ps_results_read(&r, path, &err)))
        return ps_cli_fail("status", rc, &err);
    int32_t missing = 0;
    rc = ps_report_status(stdout, &r, path, all, &missing, &err);
    int complete = r.complete && missing == 0;
    ps_results_free(&r);
    if (rc)
        return ps_cli_fail("status", rc, &err);
    return complete || !missing ? PS_EXIT_OK : PS_EXIT_STOPPED;
}
