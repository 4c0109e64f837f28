/* pairsweep report: the reports' tables and figures from results files. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "pairsweep/path.h"
#include "pairsweep/report.h"

static void report_usage(FILE *out)
{
    fprintf(out,
            "usage: pairsweep report FILE.h5 [FILE.h5 ...] [--format text|markdown|csv|latex]\n"
            "                        [--out DIR [--force]]\n"
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
            "               (drawn with gnuplot; the .gp scripts are kept beside them);\n"
            "               DIR is created, or must be empty unless --force\n"
            "  --force      write into a DIR that holds files (replacing those of the same\n"
            "               names)\n"
            "  -h, --help   this text\n");
}

/* Checks and reads the n files; returns 0 with files[0..n) read, or a code with err set and
 * nothing left to free. */
static int read_all(ps_results *files, const char *const *paths, int n, ps_err *err)
{
    int rc = 0, i = 0;
    for (; i < n && !rc; i++)
        rc = ps_cli_check_results(paths[i], err);
    for (i = 0; i < n && !rc; i++)
        if ((rc = ps_results_read(&files[i], paths[i], err)))
            break;
    if (rc)
        while (i-- > 0)
            ps_results_free(&files[i]);
    return rc;
}

/* Writes the report; the --out directory, when it does not exist, is made only once the
 * files are read, and removed again (if still empty) when the report fails. */
static int write_all(const ps_results *files, const char *const *paths, int n,
                     const ps_report_opts *ro, int force, ps_err *err)
{
    int created = 0, rc = 0;
    if (ro->out_dir) {
        rc = ps_path_check_output_dir(ro->out_dir, force ? PS_PATH_REPLACE : 0,
                                      "the --out directory", "--force", err);
        if (rc == 1 && mkdir(ro->out_dir, 0777) != 0)
            return ps_err_set(err, PS_EIO, "%s: cannot create the --out directory: %s",
                              ro->out_dir, strerror(errno));
        created = rc == 1;
        if (rc < 0)
            return rc;
    }
    rc = ps_report_write(stdout, files, paths, n, ro, err);
    if (rc && created)
        rmdir(ro->out_dir); /* fails, as it should, when files were written into it */
    return rc;
}

int ps_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ps_report_opts ro = {PS_REPORT_TEXT, NULL};
    ps_err err = {0};
    int c, force = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (ps_report_format_parse(&ro.fmt, optarg, &err))
                return ps_cli_fail("report", PS_EINVAL, &err);
            break;
        case 'o': ro.out_dir = optarg; break;
        case 'F': force = 1; break;
        case 'h': report_usage(stdout); return PS_EXIT_OK;
        default:
            fprintf(stderr, "pairsweep report: %s '%s' (try --help)\n",
                    optopt ? "bad option or missing argument for" : "unknown option",
                    argv[optind - 1]);
            return PS_EXIT_USAGE;
        }
    }
    int n = argc - optind;
    if (n < 1) {
        fprintf(stderr, "pairsweep report: no results file given (try --help)\n");
        return PS_EXIT_USAGE;
    }
    const char *const *paths = (const char *const *)argv + optind;
    ps_results *files = calloc((size_t)n, sizeof *files);
    if (!files) {
        fprintf(stderr, "pairsweep report: out of memory\n");
        return PS_EXIT_FAILURE;
    }
    int rc = read_all(files, paths, n, &err);
    if (!rc) {
        rc = write_all(files, paths, n, &ro, force, &err);
        for (int i = 0; i < n; i++)
            ps_results_free(&files[i]);
    }
    free(files);
    if (rc) {
        fflush(stdout);
        return ps_cli_fail("report", rc, &err);
    }
    return PS_EXIT_OK;
}
