/* pairsweep merge: join the shard files of one study. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "pairsweep/path.h"
#include "pairsweep/store.h"

static void merge_usage(FILE *out)
{
    fprintf(out,
            "usage: pairsweep merge [--force] OUT.h5 SHARD.h5 [SHARD.h5 ...]\n"
            "\n"
            "Joins the results files of one study (e.g. the shards of a SLURM job array) into\n"
            "OUT.h5: every shard must come from the same job text (same job_sha256), else\n"
            "nothing is written; tasks are deduplicated by task id (the first shard wins), with\n"
            "their curves and weights, including results still in a shard's journal. OUT.h5 is\n"
            "written under a temporary name and renamed; the shards are only read. An existing\n"
            "OUT.h5 is refused unless --force; OUT.h5 may never be one of the shards (under any\n"
            "name: a link to a shard is the shard).\n"
            "\n"
            "  -f, --force  replace an existing OUT.h5\n"
            "  -h, --help   this text\n");
}

int ps_cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, force = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        if (c == 'h') {
            merge_usage(stdout);
            return PS_EXIT_OK;
        }
        if (c == 'f') {
            force = 1;
            continue;
        }
        fprintf(stderr, "pairsweep merge: unknown option '%s' (try --help)\n", argv[optind - 1]);
        return PS_EXIT_USAGE;
    }
    if (argc - optind < 2) {
        fprintf(stderr, "pairsweep merge: expected OUT.h5 and at least one shard (try --help)\n");
        return PS_EXIT_USAGE;
    }
    const char *out = argv[optind];
    const char *const *shards = (const char *const *)argv + optind + 1;
    int n_shards = argc - optind - 1;
    ps_err err = {0};
    int rc = 0;
    for (int i = 0; i < n_shards && !rc; i++)
        rc = ps_cli_check_results(shards[i], &err);
    if (!rc)
        rc = ps_path_check_output(out, shards, n_shards, force ? PS_PATH_REPLACE : 0,
                                  "the merged file OUT.h5", "--force", &err);
    int32_t n = 0;
    if (rc || (rc = ps_store_merge(out, shards, n_shards, &n, &err)))
        return ps_cli_fail("merge", rc, &err);
    printf("%s: %d tasks from %d shard(s)\n", out, (int)n, n_shards);
    return PS_EXIT_OK;
}
