/* pairsweep merge: join the shard files of one study. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "pairsweep/store.h"

static void merge_usage(FILE *out)
{
    fprintf(out,
            "usage: pairsweep merge OUT.h5 SHARD.h5 [SHARD.h5 ...]\n"
            "\n"
            "Joins the results files of one study (e.g. the shards of a SLURM job array) into\n"
            "OUT.h5: every shard must come from the same job text (same job_sha256), else\n"
            "nothing is written; tasks are deduplicated by task id (the first shard wins), with\n"
            "their curves and weights, including results still in a shard's journal. OUT.h5 is\n"
            "written under a temporary name and renamed; the shards are only read.\n"
            "\n"
            "  -h, --help  this text\n");
}

int ps_cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            merge_usage(stdout);
            return 0;
        }
        fprintf(stderr, "pairsweep merge: unknown option '%s' (try --help)\n", argv[optind - 1]);
        return 2;
    }
    if (argc - optind < 2) {
        fprintf(stderr, "pairsweep merge: expected OUT.h5 and at least one shard (try --help)\n");
        return 2;
    }
    const char *out = argv[optind];
    for (int i = optind + 1; i < argc; i++)
        if (!strcmp(argv[i], out)) {
            fprintf(stderr, "pairsweep merge: OUT.h5 (%s) must not be one of the shards\n", out);
            return 2;
        }
    ps_err err = {0};
    int32_t n = 0;
    int rc = ps_store_merge(out, (const char *const *)argv + optind + 1, argc - optind - 1, &n,
                            &err);
    if (rc) {
        fprintf(stderr, "pairsweep merge: %s\n", err.msg);
        return ps_exit_status(rc);
    }
    printf("%s: %d tasks from %d shard(s)\n", out, (int)n, argc - optind - 1);
    return 0;
}
