/* pairsweep report: the reports' tables and figures from results files. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "pairsweep/report.h"

static void report_usage(FILE *out)
{
    fprintf(out,
            "usage: pairsweep report FILE.h5 [FILE.h5 ...] [--format text|markdown|csv|latex]\n"
            "                        [--out DIR]\n"
            "\n"
            "Prints, from results files alone: the study's state (INCOMPLETE with the missing\n"
            "count when tasks are missing), Table I (model, architecture, parameters), the\n"
            "selection (chosen grid point, CV accuracy mean ± sd, runner-up), report 002's\n"
            "per-setup table for holdout studies, Table II (test accuracy mean ± sd, 95%% CI,\n"
            "min, max, seeds), and the effects (weight sharing, auxiliary loss) as differences\n"
            "with 95%% CI and p-values: paired t where models share seeds, Welch otherwise,\n"
            "Nadeau-Bengio corrected t on CV folds, Holm-corrected.\n"
            "Files of one job (shards) are joined; files of different jobs are reported in turn.\n"
            "\n"
            "  --format F   text (default), markdown, csv (numbers at full precision), latex\n"
            "               (booktabs)\n"
            "  --out DIR    also write each table to DIR/<table>.<ext> and the figures\n"
            "               DIR/fig1_train_loss.{png,svg,pdf}, DIR/fig2_accuracy.{png,svg,pdf}\n"
            "               (drawn with gnuplot; the .gp scripts are kept beside them)\n"
            "  -h, --help   this text\n");
}

int ps_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ps_report_opts ro = {PS_REPORT_TEXT, NULL};
    ps_err err = {0};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (ps_report_format_parse(&ro.fmt, optarg, &err)) {
                fprintf(stderr, "pairsweep report: %s\n", err.msg);
                return 2;
            }
            break;
        case 'o': ro.out_dir = optarg; break;
        case 'h': report_usage(stdout); return 0;
        default:
            fprintf(stderr, "pairsweep report: %s '%s' (try --help)\n",
                    optopt ? "bad option or missing argument for" : "unknown option",
                    argv[optind - 1]);
            return 2;
        }
    }
    int n = argc - optind;
    if (n < 1) {
        fprintf(stderr, "pairsweep report: no results file given (try --help)\n");
        return 2;
    }
    if (ro.out_dir && mkdir(ro.out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "pairsweep report: --out %s: %s\n", ro.out_dir, strerror(errno));
        return 1;
    }
    ps_results *files = calloc((size_t)n, sizeof *files);
    if (!files) {
        fprintf(stderr, "pairsweep report: out of memory\n");
        return 1;
    }
    int rc = 0, nread = 0;
    for (; nread < n && !rc; nread++)
        if ((rc = ps_results_read(&files[nread], argv[optind + nread], &err)))
            break;
    if (!rc)
        rc = ps_report_write(stdout, files, (const char *const *)argv + optind, n, &ro, &err);
    for (int i = 0; i < nread; i++)
        ps_results_free(&files[i]);
    free(files);
    if (rc) {
        fflush(stdout);
        fprintf(stderr, "pairsweep report: %s\n", err.msg);
        return ps_exit_status(rc);
    }
    return 0;
}
