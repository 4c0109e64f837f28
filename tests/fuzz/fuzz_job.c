/* libFuzzer harness: the job-file parser (ps_job_parse, ps_job_check_models and the grid
 * helpers). Besides crashes, sanitizer reports and leaks, it checks the error contract: every
 * refusal is PS_EINVAL/PS_ENOMEM with one line "fuzz.yaml:LINE: ..." (LINE >= 1). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairsweep/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken contract: say which (the check-fuzz log shows it), then crash so libFuzzer keeps
 * the input. */
#define BROKEN(why, msg) \
    do { \
        fprintf(stderr, "fuzz_job: CONTRACT BROKEN: %s: %s\n", why, msg); \
        __builtin_trap(); \
    } while (0)

static void check_message(const ps_err *err, int rc)
{
    static const char prefix[] = "fuzz.yaml:";
    if (rc != PS_EINVAL && rc != PS_ENOMEM)
        BROKEN("unexpected error code", err->msg);
    if (rc == PS_ENOMEM)
        return;
    const char *m = err->msg;
    if (strncmp(m, prefix, sizeof prefix - 1) != 0)
        BROKEN("the message does not start with the file name", m);
    const char *p = m + sizeof prefix - 1;
    char *end;
    long line = strtol(p, &end, 10);
    if (end == p || *end != ':' || line < 1)
        BROKEN("no line number after the file name", m);
    static int multiline = -1; /* PS_FUZZ_JOB_MULTILINE=1: tolerate (to look past finding F1) */
    if (multiline < 0)
        multiline = getenv("PS_FUZZ_JOB_MULTILINE") && !strcmp(getenv("PS_FUZZ_JOB_MULTILINE"), "1");
    if (!multiline && (strchr(m, '\n') || strchr(m, '\r')))
        BROKEN("the message is more than one line", m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_job job;
    ps_err err;
    memset(&err, 0, sizeof err);
    int rc = ps_job_parse(&job, (const char *)data, size, "fuzz.yaml", &err);
    if (rc) {
        check_message(&err, rc);
        return 0;
    }
    if (job.n_models < 1 || job.text_len != size || memcmp(job.text, data, size) != 0)
        BROKEN("a parsed job without models or without its text", job.path);
    rc = ps_job_check_models(&job, &err);
    if (rc)
        check_message(&err, rc);
    for (int32_t m = 0; m < job.n_models; m++) {
        const ps_job_model *jm = &job.models[m];
        if (jm->n_grid < 1 || jm->group_index < 0 || jm->group_index >= job.n_groups)
            BROKEN("a model without grid points or group", jm->name);
        /* the first and last grid points: indices in range, configs built */
        int32_t pts[2] = {0, jm->n_grid - 1};
        for (int k = 0; k < 2; k++) {
            int32_t idx[PS_N_AXES];
            ps_job_grid_index(idx, jm, pts[k]);
            for (int a = 0; a < PS_N_AXES; a++)
                if (idx[a] < 0 || idx[a] >= jm->axis[a].n)
                    BROKEN("grid index out of range", jm->name);
            ps_train_config cfg;
            ps_job_config(&cfg, &job, m, pts[k]);
            if (cfg.batch_size < 1 || !(cfg.lr > 0) || cfg.epochs < 1)
                BROKEN("a config out of range", jm->name);
        }
    }
    (void)ps_job_select_seed(&job, 0);
    (void)ps_job_final_seed(&job, 0);
    if (ps_job_select_train_pairs(&job) < 1)
        BROKEN("no training pairs in a selection task", job.path);
    ps_job_free(&job);
    return 0;
}
