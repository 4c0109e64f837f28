/* Job files: protocol.racing (include/pairsweep/job.h, docs/job-format.md "Racing"), its
 * cross-checks, and the race's parameters and rounds. */
#include <string.h>

#include "job_yaml.h"
#include "pairsweep/job.h"

void ps__job_racing_defaults(ps_job_racing *r)
{
    memset(r, 0, sizeof *r);
    r->test = PS_RACE_MCNEMAR;
    r->alpha = 0.05;
    r->correction = PS_RACE_HOLM;
    r->min_folds = 2;
}

/* racing: {test, alpha, min_folds, audit, correction} */
static int parse_mapping(ps__jctx *c, ps_job_racing *r, const yaml_node_t *n)
{
    static const char *const keys[] = {"test", "alpha", "min_folds", "audit", "correction",
                                       NULL};
    unsigned seen = 0;
    int rc = 0;
    PS__YAML_FOR_PAIRS(n, p) {
        if (rc)
            break;
        yaml_node_t *v = ps__yaml_node(c, p->value);
        char name[32];
        switch ((rc = ps__yaml_key(c, ps__yaml_node(c, p->key), "protocol.racing", keys,
                                   &seen))) {
        case 0:
            rc = ps__yaml_name(c, v, "protocol.racing.test", name, sizeof name);
            if (!rc && ps_race_test_parse(&r->test, name))
                rc = ps__yaml_fail(c, ps__yaml_line(v), "protocol.racing.test: expected mcnemar "
                                   "or t-corrected, got '%s'", name);
            break;
        case 1: rc = ps__yaml_num(c, v, "protocol.racing.alpha", 0, 1, 0.5, &r->alpha); break;
        case 2:
            rc = ps__yaml_int(c, v, "protocol.racing.min_folds", 1, 100000, &r->min_folds);
            break;
        case 3: rc = ps__yaml_bool(c, v, "protocol.racing.audit", &r->audit); break;
        case 4:
            rc = ps__yaml_name(c, v, "protocol.racing.correction", name, sizeof name);
            if (!rc && ps_race_correction_parse(&r->correction, name))
                rc = ps__yaml_fail(c, ps__yaml_line(v), "protocol.racing.correction: expected "
                                   "holm or bh, got '%s'", name);
            break;
        default: break;
        }
    }
    return rc < 0 ? rc : 0;
}

int ps__job_parse_racing(ps__jctx *c, ps_job_racing *r, const yaml_node_t *n)
{
    r->line = ps__yaml_line(n);
    if (n->type == YAML_SCALAR_NODE)
        return ps__yaml_bool(c, n, "protocol.racing", &r->on);
    int rc = ps__yaml_mapping(c, n, "protocol.racing", "test, alpha, min_folds, audit, "
                              "correction (or true/false)");
    r->on = 1;
    return rc ? rc : parse_mapping(c, r, n);
}

int ps__job_check_racing(ps__jctx *c, const ps_job *job)
{
    const ps_job_racing *r = &job->racing;
    int32_t rounds = ps_job_select_per_point(job);
    if (!r->on)
        return 0;
    if (rounds < 2)
        return ps__yaml_fail(c, r->line, "protocol.racing: a race needs two selection rounds or "
                             "more (folds x repetitions), this protocol has %d", (int)rounds);
    if (r->min_folds >= rounds)
        return ps__yaml_fail(c, r->line, "protocol.racing.min_folds: %d of %d rounds leaves "
                             "nothing to prune (expected 1..%d)", (int)r->min_folds,
                             (int)rounds, (int)rounds - 1);
    if (r->test == PS_RACE_T_CORRECTED && r->min_folds < 2)
        return ps__yaml_fail(c, r->line, "protocol.racing.min_folds: t-corrected needs two "
                             "rounds or more (expected min_folds >= 2)");
    return 0;
}

int32_t ps_job_select_round(const ps_job *job, int32_t rep, int32_t fold)
{
    return job->select_eval == PS_EVAL_KFOLD ? rep * job->folds + fold : rep;
}

void ps_job_race_params(ps_race_params *p, const ps_job *job)
{
    p->test = job->racing.test;
    p->alpha = job->racing.alpha;
    p->min_folds = job->racing.min_folds;
    p->correction = job->racing.correction;
    if (job->select_eval == PS_EVAL_KFOLD)
        p->test_train_ratio = 1.0 / (job->folds - 1);
    else
        p->test_train_ratio = (double)job->holdout / (job->n_train - job->holdout);
}
