/* Tests of the sweep module without MPI: job files (and their errors), the plan, task ids and
 * seeds, fold sizes, the selection, the queue and the shards. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pairsweep/job.h"
#include "pairsweep/sweep.h"

static const char *good =
    "name: unit\n"                        /* 1 */
    "seed: 7\n"                           /* 2 */
    "epochs: 3\n"                         /* 3 */
    "data: {n_train: 100, n_test: 50}\n"  /* 4 */
    "optimizer:\n"                        /* 5 */
    "  momentum: 0.5\n"                   /* 6 */
    "schedule: {kind: step, step_epoch: 2, gamma: 0.5}\n" /* 7 */
    "protocol:\n"                         /* 8 */
    "  kind: kfold\n"                     /* 9 */
    "  folds: 4\n"                        /* 10 */
    "  final: {seeds: 3, best: 1}\n"      /* 11 */
    "models:\n"                           /* 12 */
    "  - name: cnn\n"                     /* 13 */
    "    grid:\n"                         /* 14 */
    "      batch_size: [10, 20]\n"        /* 15 */
    "      lr: [0.1, 0.01, 0.001]\n"      /* 16 */
    "      bn: [true, false]\n"           /* 17 */
    "  - name: siamese_aux\n"             /* 18 */
    "    grid:\n"                         /* 19 */
    "      lr: 0.05\n"                    /* 20 */
    "      aux_weight: [0.5, 1]\n"        /* 21 */
    "      batch_size: 25\n";             /* 22 */

static int parse(ps_job *job, const char *text, ps_err *err)
{
    return ps_job_parse(job, text, strlen(text), "t.yaml", err);
}

static void test_job_parse_good(void)
{
    ps_job job;
    ps_err err = {0};
    int rc = parse(&job, good, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    CHECK_EQ_INT(rc, 0);
    CHECK(!strcmp(job.name, "unit"));
    CHECK_EQ_INT(job.seed, 7);
    CHECK_EQ_INT(job.epochs, 3);
    CHECK_EQ_INT(job.n_train, 100);
    CHECK_EQ_INT(job.n_test, 50);
    CHECK_EQ_INT(job.lr_step_epoch, 2);
    CHECK_NEAR(job.lr_step_gamma, 0.5, 0);
    CHECK_EQ_INT(job.select_eval, PS_EVAL_KFOLD);
    CHECK_EQ_INT(job.folds, 4);
    CHECK_EQ_INT(job.final_seeds, 3);
    CHECK_EQ_INT(job.n_models, 2);
    CHECK_EQ_INT(job.models[0].n_grid, 12);
    CHECK_EQ_INT(job.models[1].n_grid, 2);
    CHECK_EQ_INT(job.models[0].line, 13);
    CHECK_EQ_INT(job.n_groups, 2);
    CHECK_EQ_INT(job.models[1].group_index, 1);
    CHECK(!strcmp(job.sha256, job.sha256) && strlen(job.sha256) == 64);
    /* the optimizer's momentum is the grid's default; unset keys take the defaults */
    ps_train_config cfg;
    ps_job_config(&cfg, &job, 1, 1);
    CHECK_NEAR(cfg.momentum, 0.5, 1e-7);
    CHECK_NEAR(cfg.lr, 0.05, 1e-7);
    CHECK_NEAR(cfg.aux_weight, 1.0, 0);
    CHECK_EQ_INT(cfg.batch_size, 25);
    CHECK_EQ_INT(cfg.use_bn, -1);
    CHECK_EQ_INT(cfg.lr_step_epoch, 2);
    /* grid points in itertools.product order, the last key fastest: (batch, lr, bn) */
    ps_job_config(&cfg, &job, 0, 0);
    CHECK(cfg.batch_size == 10 && cfg.lr == 0.1f && cfg.use_bn == 1);
    ps_job_config(&cfg, &job, 0, 1);
    CHECK(cfg.batch_size == 10 && cfg.lr == 0.1f && cfg.use_bn == 0);
    ps_job_config(&cfg, &job, 0, 2);
    CHECK(cfg.batch_size == 10 && cfg.lr == 0.01f && cfg.use_bn == 1);
    ps_job_config(&cfg, &job, 0, 11);
    CHECK(cfg.batch_size == 20 && cfg.lr == 0.001f && cfg.use_bn == 0);
    ps_job_free(&job);
}

static void test_job_defaults(void)
{
    ps_job job;
    ps_err err = {0};
    CHECK_EQ_INT(ps_job_parse(&job, "models:\n  - name: cnn\n", 22, "dir/my-job.yaml", &err), 0);
    CHECK(!strcmp(job.name, "my-job"));
    CHECK_EQ_INT(job.n_train, 1000);
    CHECK_EQ_INT(job.epochs, 25);
    CHECK_EQ_INT(job.folds, 5);
    CHECK_EQ_INT(job.final_seeds, 15);
    CHECK_EQ_INT(job.models[0].n_grid, 1);
    ps_train_config cfg;
    ps_job_config(&cfg, &job, 0, 0);
    CHECK_NEAR(cfg.momentum, 0.9, 1e-7);
    CHECK_EQ_INT(cfg.lr_step_epoch, 0);
    ps_job_free(&job);
}

/* Each bad job: its text, the line the error must name, a phrase it must contain. */
static const struct {
    const char *text;
    int line;
    const char *phrase;
} bad[] = {
    {"", 1, "empty job file"},
    {"# only a comment\n", 1, "empty job file"},
    {"name: x\n\001\002binary\n", 2, "not a text file"},
    {"models: [\n  {name: cnn\n", 3, "not valid YAML"},
    {"name: x\nmodelz:\n  - name: cnn\n", 2, "unknown key 'modelz'"},
    {"models:\n  - name: cnn\n    grid: {lr: [0.1], lrr: 1}\n", 3, "unknown key 'lrr'"},
    {"epochs: ten\nmodels:\n  - name: cnn\n", 1, "epochs: expected an integer"},
    {"epochs: 0\nmodels:\n  - name: cnn\n", 1, "epochs: expected an integer in 1..10000, got 0"},
    {"models:\n  - name: cnn\n    grid:\n      lr: []\n", 4, "empty grid"},
    {"models:\n  - name: cnn\n    grid:\n      lr: [0.1, 0]\n", 4, "lr: expected a number > 0"},
    {"models:\n  - name: cnn\n    grid:\n      lr: -0.1\n", 4, "lr: expected a number > 0"},
    {"data: {n_train: 100}\nmodels:\n  - name: cnn\n    grid:\n      batch_size: [50, 90]\n", 5,
     "larger than the 80 training pairs"},
    {"protocol: {folds: 1}\nmodels:\n  - name: cnn\n", 1, "protocol.folds: expected an integer in 2"},
    {"models:\n  - name: cnn\n  - name: siamese\n  - name: cnn\n", 4, "already listed at line 2"},
    {"models: []\n", 1, "empty list"},
    {"name: x\n", 1, "missing required key 'models'"},
    {"models:\n  - grid: {lr: 0.1}\n", 2, "missing required key 'name'"},
    {"models:\n  - name: cnn\n    grid: {lr: [0.1, 0.1]}\n", 3, "given twice"},
    {"models:\n  - name: cnn\n    grid: {bn: [maybe]}\n", 3, "expected true or false"},
    {"schedule: {kind: step}\nmodels:\n  - name: cnn\n", 1, "needs step_epoch"},
    {"schedule: {kind: exp}\nmodels:\n  - name: cnn\n", 1, "expected constant or step"},
    {"epochs: 10\nschedule: {kind: step, step_epoch: 10}\nmodels:\n  - name: cnn\n", 2,
     "step_epoch: expected an epoch in 1..9"},
    {"protocol: {kind: holdout, holdout: 1000}\nmodels:\n  - name: cnn\n", 1,
     "fewer than data.n_train"},
    {"protocol: {kind: holdout, folds: 5}\nmodels:\n  - name: cnn\n", 1, "needs kind: kfold"},
    {"epochs: 5\nepochs: 6\nmodels:\n  - name: cnn\n", 2, "duplicate key 'epochs' (first at line 1)"},
    /* a repeated key is refused in every mapping, after models: too, first one in file order */
    {"models:\n  - name: cnn\nepochs: 5\nprotocol: {folds: 3}\nprotocol: {folds: 4}\n", 5,
     "duplicate key 'protocol' (first at line 4)"},
    {"models:\n  - name: cnn\n    grid: {lr: 0.1,\n      lr: 0.2}\n", 4,
     "duplicate key 'lr' (first at line 3)"},
    {"models:\n  - name: cnn\n    name: cnn\n", 3, "duplicate key 'name' (first at line 2)"},
    {"data:\n  n_test: 5\n  n_train: 9\n  n_test: 6\nmodels:\n  - name: cnn\n", 4,
     "duplicate key 'n_test' (first at line 2)"},
    {"models:\n  - name: cnn\nextra: {a: 1, a: 2}\n", 3, "duplicate key 'a' (first at line 3)"},
    {"models:\n  - name: cnn\nepochs: 0\n", 3, "epochs: expected an integer in 1..10000"},
    {"data: {n_train: 40000}\nmodels:\n  - name: cnn\n", 1, "n_train: expected an integer in 2..30000"},
    {"models:\n  - name: cnn\n---\nmodels:\n  - name: cnn\n", 3, "second YAML document"},
    {"models: cnn\n", 1, "models: expected a list"},
    {"data: [1, 2]\nmodels:\n  - name: cnn\n", 1, "data: expected a mapping"},
    {"models:\n  - name: 'a b'\n", 2, "expected a name"},
    {"epochs: \"5\"\nmodels:\n  - name: cnn\n", 1, "epochs: expected an integer"},
};

static void test_job_errors(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ps_job job;
        memset(&job, 0x5a, sizeof job);
        ps_err err = {0};
        int rc = ps_job_parse(&job, bad[i].text, strlen(bad[i].text), "bad.yaml", &err);
        char prefix[32];
        snprintf(prefix, sizeof prefix, "bad.yaml:%d: ", bad[i].line);
        if (rc != PS_EINVAL || strncmp(err.msg, prefix, strlen(prefix)) ||
            !strstr(err.msg, bad[i].phrase))
            fprintf(stderr, "case %zu: rc %d, message \"%s\" (want \"%s...%s\")\n", i, rc,
                    err.msg, prefix, bad[i].phrase);
        CHECK_EQ_INT(rc, PS_EINVAL);
        CHECK(!strncmp(err.msg, prefix, strlen(prefix)));
        CHECK_STR_CONTAINS(err.msg, bad[i].phrase);
        CHECK(!strchr(err.msg, '\n'));
        CHECK_EQ_INT(job.n_models, 0x5a5a5a5a); /* untouched on error */
    }
}

/* Top-level keys after models: count like those before it: order does not matter. */
static void test_job_key_order(void)
{
    static const char before[] = "epochs: 7\nseed: 3\noptimizer: {momentum: 0.5}\n"
                                 "protocol: {folds: 3, final: {seeds: 2}}\n"
                                 "models:\n  - name: cnn\n    grid: {lr: 0.2}\n";
    static const char after[] = "models:\n  - name: cnn\n    grid: {lr: 0.2}\n"
                                "epochs: 7\nseed: 3\noptimizer: {momentum: 0.5}\n"
                                "protocol: {folds: 3, final: {seeds: 2}}\n";
    ps_job a, b;
    ps_err err = {0};
    CHECK_EQ_INT(ps_job_parse(&a, before, strlen(before), "a.yaml", &err), 0);
    CHECK_EQ_INT(ps_job_parse(&b, after, strlen(after), "a.yaml", &err), 0);
    CHECK_EQ_INT(b.epochs, 7);
    CHECK_EQ_INT(b.folds, 3);
    CHECK_EQ_INT(b.final_seeds, 2);
    CHECK(b.seed == 3);
    ps_train_config ca, cb;
    ps_job_config(&ca, &a, 0, 0);
    ps_job_config(&cb, &b, 0, 0);
    CHECK_NEAR(cb.momentum, 0.5, 1e-7);
    CHECK(ca.epochs == cb.epochs && ca.momentum == cb.momentum && ca.lr == cb.lr);
    ps_job_free(&a);
    ps_job_free(&b);
}

/* The plan's size from the job alone, and the bounds refused before anything is planned. */
static void test_job_size(void)
{
    static const char tiny[] = "epochs: 3\nprotocol: {folds: 2, final: {seeds: 2}}\nmodels:\n"
                               "  - name: cnn\n    grid: {lr: [0.1, 0.2]}\n"
                               "  - name: resnet\n    group: cnn\n    grid: {lr: 0.1}\n";
    ps_job job;
    ps_job_size z;
    ps_err err = {0};
    CHECK_EQ_INT(ps_job_parse(&job, tiny, strlen(tiny), "s.yaml", &err), 0);
    CHECK_EQ_INT(ps_job_check_size(&job, &z, &err), 0);
    CHECK(z.select_tasks == 6 && z.final_tasks == 2); /* one group: its best setup × 2 seeds */
    CHECK(z.curves_bytes == 8 * 3 * 4 * 4);
    CHECK(z.weights_bytes > 0 && z.weights_bytes % 4 == 0);
    ps_job_free(&job);
    /* 4 models × 64 grid points, the best 64 of each × 10,000 seeds: 2,560,000 final tasks */
    char text[4096] = "epochs: 1\nprotocol: {folds: 2, final: {seeds: 10000, best: 64}}\n"
                      "models:\n";
    static const char *const names[] = {"cnn", "resnet", "siamese", "siamese_aux"};
    for (int i = 0; i < 4; i++) {
        size_t len = strlen(text);
        len += (size_t)snprintf(text + len, sizeof text - len, "  - name: %s\n    grid: {lr: [",
                                names[i]);
        for (int k = 0; k < 64; k++)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%g", k ? ", " : "",
                                    0.001 * (k + 1));
        snprintf(text + len, sizeof text - len, "]}\n");
    }
    CHECK_EQ_INT(ps_job_parse(&job, text, strlen(text), "huge.yaml", &err), 0);
    CHECK_EQ_INT(ps_job_check_models(&job, &err), PS_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "huge.yaml:4: models: a plan of 2560512 tasks (512 selection, "
                                "up to 2560000 final)");
    CHECK_STR_CONTAINS(err.msg, "expected at most 1000000 tasks and 64 GiB");
    ps_job_free(&job);
}

static void test_job_load_missing(void)
{
    ps_job job;
    ps_err err = {0};
    int rc = ps_job_load(&job, "/nonexistent/job.yaml", &err);
    CHECK_EQ_INT(rc, PS_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "/nonexistent/job.yaml: does not exist");
}

static void test_task_id(void)
{
    ps_train_config a;
    ps_train_config_default(&a);
    snprintf(a.model, sizeof a.model, "cnn");
    char id[PS_TASK_ID_LEN + 1], id2[PS_TASK_ID_LEN + 1];
    ps_task_make_id(id, &a);
    CHECK_EQ_INT(strlen(id), 16);
    for (int i = 0; i < 16; i++)
        CHECK(strchr("0123456789abcdef", id[i]));
    /* the id is a function of the canonical text only */
    char text[1024], hex[65];
    int n = ps_task_canonical(text, sizeof text, &a);
    CHECK(n > 0);
    ps_sha256_hex(hex, text, (size_t)n);
    CHECK(!strncmp(hex, id, 16));
    /* every field that changes the result changes the id */
    ps_train_config b;
#define CHANGES(stmt) do { b = a; stmt; ps_task_make_id(id2, &b); CHECK(strcmp(id, id2)); } while (0)
    CHANGES(snprintf(b.model, sizeof b.model, "siamese"));
    CHANGES(b.use_bn = 1);
    CHANGES(b.epochs = 24);
    CHANGES(b.batch_size = 50);
    CHANGES(b.lr = 0.0100001f);
    CHANGES(b.momentum = 0);
    CHANGES(b.nesterov = 1);
    CHANGES(b.weight_decay = 1e-4f);
    CHANGES(b.lr_step_epoch = 3);
    CHANGES(b.aux_weight = 0.5f);
    CHANGES(b.seed = 1);
    CHANGES(b.n_train = 999);
    CHANGES(b.n_test = 999);
    CHANGES((b.eval = PS_EVAL_KFOLD, b.folds = 5, b.fold = 0));
    CHANGES((b.eval = PS_EVAL_HOLDOUT, b.holdout = 100));
#undef CHANGES
    /* a fold number means nothing to a test task */
    b = a;
    b.fold = 3;
    ps_task_make_id(id2, &b);
    CHECK(!strcmp(id, id2));
    a.eval = PS_EVAL_KFOLD;
    a.folds = 5;
    a.fold = 1;
    ps_task_make_id(id, &a);
    b = a;
    b.fold = 2;
    ps_task_make_id(id2, &b);
    CHECK(strcmp(id, id2));
}

static void test_plan_select(void)
{
    ps_job job;
    ps_err err = {0};
    CHECK_EQ_INT(parse(&job, good, &err), 0);
    ps_task *t = NULL;
    int32_t n = 0;
    CHECK_EQ_INT(ps_plan_select(&t, &n, &job, NULL, &err), 0);
    CHECK_EQ_INT(n, (12 + 2) * 4);
    for (int32_t i = 0; i < n; i++) {
        CHECK_EQ_INT(t[i].phase, PS_PHASE_SELECT);
        CHECK_EQ_INT(t[i].cfg.eval, PS_EVAL_KFOLD);
        CHECK_EQ_INT(t[i].cfg.folds, 4);
        CHECK(t[i].fold >= 0 && t[i].fold < 4 && t[i].cfg.fold == t[i].fold);
        /* selection: one seed for every model and grid point (same pairs, same folds) */
        CHECK(t[i].cfg.seed == t[0].cfg.seed);
        for (int32_t j = 0; j < i; j++)
            CHECK(strcmp(t[i].id, t[j].id));
    }
    CHECK_EQ_INT(t[5].model, 0);
    CHECK_EQ_INT(t[5].grid, 1);
    CHECK_EQ_INT(t[5].fold, 1);
    /* a mask keeps only the groups asked for */
    uint8_t mask[2] = {0, 1};
    free(t);
    CHECK_EQ_INT(ps_plan_select(&t, &n, &job, mask, &err), 0);
    CHECK_EQ_INT(n, 2 * 4);
    CHECK_EQ_INT(t[0].model, 1);
    free(t);
    /* final tasks: one seed per repetition, shared by every model, unlike the selection's */
    ps_task f0[3], f1[3];
    ps_plan_final(f0, &job, 0, 5);
    ps_plan_final(f1, &job, 1, 0);
    for (int r = 0; r < 3; r++) {
        CHECK(f0[r].cfg.seed == f1[r].cfg.seed);
        CHECK(f0[r].cfg.seed != ps_job_select_seed(&job, 0));
        CHECK_EQ_INT(f0[r].cfg.eval, PS_EVAL_TEST);
        CHECK_EQ_INT(f0[r].phase, PS_PHASE_FINAL);
        CHECK_EQ_INT(f0[r].rep, r);
        CHECK_EQ_INT(f0[r].grid, 5);
        if (r)
            CHECK(f0[r].cfg.seed != f0[r - 1].cfg.seed);
    }
    CHECK_EQ_INT(ps_plan_final_count(&job, NULL), 2 * 3);
    CHECK_EQ_INT(ps_job_select_per_point(&job), 4);
    ps_job_free(&job);
}

/* The fold sizes of ps_fold_size are those of ps_folds_make's split; a selection task trains
 * on at least n - ⌈n/k⌉ pairs. */
static void test_fold_sizes(void)
{
    const int32_t ns[] = {7, 100, 101, 999}, ks[] = {2, 3, 5, 7};
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            int32_t n = ns[a], k = ks[b], fold[999], count[7] = {0}, sum = 0;
            ps_err err = {0};
            CHECK_EQ_INT(ps_folds_make(fold, n, k, 42, &err), 0);
            for (int32_t i = 0; i < n; i++)
                count[fold[i]]++;
            for (int32_t f = 0; f < k; f++) {
                CHECK_EQ_INT(ps_fold_size(n, k, f), count[f]);
                sum += ps_fold_size(n, k, f);
            }
            CHECK_EQ_INT(sum, n);
            CHECK_EQ_INT(ps_fold_size(n, k, 0), (n + k - 1) / k);
            CHECK_EQ_INT(ps_fold_size(n, k, k - 1), n / k);
        }
    ps_job job;
    ps_err err = {0};
    CHECK_EQ_INT(parse(&job, "data: {n_train: 101}\nprotocol: {folds: 5, repetitions: 2}\n"
                             "models:\n  - {name: cnn, grid: {batch_size: 10}}\n", &err), 0);
    CHECK_EQ_INT(ps_job_select_train_pairs(&job), 101 - 21);
    CHECK_EQ_INT(ps_job_select_per_point(&job), 2 * 5);
    ps_job_free(&job);
}

static void test_plan_holdout(void)
{
    const char *text = "epochs: 2\nprotocol: {kind: holdout, holdout: 100, repetitions: 10,"
                       " final: {seeds: 10, best: 1}}\nmodels:\n"
                       "  - {name: a, group: s1}\n  - {name: b, group: s1}\n"
                       "  - {name: c, group: s2}\n";
    ps_job job;
    ps_err err = {0};
    CHECK_EQ_INT(parse(&job, text, &err), 0);
    CHECK_EQ_INT(job.n_groups, 2);
    ps_task *t = NULL;
    int32_t n = 0;
    CHECK_EQ_INT(ps_plan_select(&t, &n, &job, NULL, &err), 0);
    CHECK_EQ_INT(n, 30);
    for (int32_t i = 0; i < n; i++) {
        CHECK_EQ_INT(t[i].fold, -1);
        CHECK_EQ_INT(t[i].cfg.holdout, 100);
        CHECK_EQ_INT(t[i].cfg.eval, PS_EVAL_HOLDOUT);
        /* repetition r: the same seed for every model */
        CHECK(t[i].cfg.seed == ps_job_select_seed(&job, t[i].rep));
    }
    CHECK(t[0].cfg.seed != t[1].cfg.seed);
    CHECK_EQ_INT(ps_plan_final_count(&job, NULL), 2 * 10);
    CHECK_EQ_INT(ps_plan_group_finals(&job, 0), 10);
    CHECK_EQ_INT(ps_job_select_per_point(&job), 10);
    free(t);
    ps_job_free(&job);
}

static void test_selection(void)
{
    const char *text = "protocol: {folds: 2, final: {seeds: 1, best: 2}}\nmodels:\n"
                       "  - {name: a, group: g, grid: {lr: [0.1, 0.2, 0.3]}}\n"
                       "  - {name: b, group: g, grid: {lr: [0.1, 0.2]}}\n"
                       "  - {name: c, grid: {lr: [0.1, 0.2]}}\n";
    ps_job job;
    ps_err err = {0};
    CHECK_EQ_INT(parse(&job, text, &err), 0);
    ps_selection s;
    CHECK_EQ_INT(ps_selection_init(&s, &job, NULL, &err), 0);
    ps_task *t = NULL;
    int32_t n = 0;
    CHECK_EQ_INT(ps_plan_select(&t, &n, &job, NULL, &err), 0);
    CHECK_EQ_INT(n, 14);
    /* accuracies by (model, grid): a: .7 .8 .8 (a/1 and a/2 tie), b: .9 (one fold diverged) .85,
     * c: .6 .6 */
    const float acc[3][3] = {{0.7f, 0.8f, 0.8f}, {0.9f, 0.85f, 0}, {0.6f, 0.6f, 0}};
    int32_t completed = -2, completed_at = -1;
    for (int32_t i = 0; i < n; i++) {
        int status = (t[i].model == 1 && t[i].grid == 0 && t[i].fold == 1) ? PS_TASK_DIVERGED
                                                                           : PS_TASK_DONE;
        float a = acc[t[i].model][t[i].grid] + (t[i].fold ? 0.01f : -0.01f);
        int32_t grp = ps_selection_add(&s, &t[i], status, a);
        if (grp == 0) {
            completed = grp;
            completed_at = i;
        }
        if (i < 9)
            CHECK_EQ_INT(grp, -1);
    }
    CHECK_EQ_INT(completed, 0);
    CHECK_EQ_INT(completed_at, 9); /* group g = models a and b: the first 10 tasks */
    CHECK(ps_selection_group_complete(&s, 1));
    int32_t g, cnt;
    double mean, std;
    CHECK_EQ_INT(ps_selection_best(&s, 0, &g, &mean, &std, &cnt), 0);
    CHECK_EQ_INT(g, 1); /* tie between 1 and 2: the lower */
    CHECK_NEAR(mean, 0.8, 1e-6);
    CHECK_NEAR(std, 0.0141421, 1e-5);
    CHECK_EQ_INT(cnt, 2);
    CHECK_EQ_INT(ps_selection_best(&s, 1, &g, &mean, &std, &cnt), 0);
    CHECK_EQ_INT(g, 1); /* grid 0 has a diverged fold: not eligible */
    CHECK_EQ_INT(ps_selection_best(&s, 2, &g, &mean, &std, &cnt), 0);
    CHECK_EQ_INT(g, 0);
    int32_t ms[4], gs[4];
    CHECK_EQ_INT(ps_selection_final_setups(&s, 0, ms, gs, 4), 2);
    CHECK(ms[0] == 1 && gs[0] == 1); /* b/1: .85 */
    CHECK(ms[1] == 0 && gs[1] == 1); /* a/1: .8, before a/2 */
    CHECK_EQ_INT(ps_selection_final_setups(&s, 1, ms, gs, 4), 2);
    CHECK(ms[0] == 2 && gs[0] == 0 && gs[1] == 1);
    ps_selection_free(&s);
    free(t);
    ps_job_free(&job);
}

static void test_queue(void)
{
    ps_job job;
    ps_err err = {0};
    CHECK_EQ_INT(parse(&job, good, &err), 0);
    ps_task *t = NULL;
    int32_t n = 0;
    CHECK_EQ_INT(ps_plan_select(&t, &n, &job, NULL, &err), 0);
    ps_queue q;
    ps_queue_init(&q);
    for (int32_t i = 0; i < n; i++)
        CHECK_EQ_INT(ps_queue_push(&q, &t[i], &err), 0);
    double total = ps_queue_cost(&q), sum = 0, last = 1e300, c;
    ps_task out;
    int32_t popped = 0;
    while (ps_queue_pop(&q, 1e300, &out, &c)) {
        CHECK(c <= last);
        CHECK(c == ps_train_cost_flops(&out.cfg));
        last = c;
        sum += c;
        popped++;
    }
    CHECK_EQ_INT(popped, n);
    CHECK_NEAR(sum, total, total * 1e-12);
    /* ties: the order of pushing; a cost limit skips what does not fit */
    ps_queue_free(&q);
    for (int32_t i = 0; i < 4; i++)
        CHECK_EQ_INT(ps_queue_push(&q, &t[i], &err), 0);
    CHECK(ps_queue_pop(&q, 1e300, &out, &c));
    CHECK(!strcmp(out.id, t[0].id));
    CHECK(ps_queue_pop(&q, 1e300, &out, &c));
    CHECK(!strcmp(out.id, t[1].id));
    CHECK(!ps_queue_pop(&q, c * 0.5, &out, &c));
    CHECK_EQ_INT(q.n, 2);
    ps_queue_free(&q);
    free(t);
    ps_job_free(&job);
}

static void test_shards(void)
{
    const char *text = "models:\n  - {name: cnn, grid: {lr: [0.1, 0.2, 0.3]}}\n"
                       "  - {name: siamese}\n  - {name: siamese_aux}\n  - {name: siamese_v2}\n"
                       "  - {name: resnet, grid: {lr: [0.1, 0.2]}}\n";
    ps_job job;
    ps_err err = {0};
    CHECK_EQ_INT(parse(&job, text, &err), 0);
    int32_t s1[5], s2[5];
    CHECK_EQ_INT(ps_plan_shards(s1, &job, 2, &err), 0);
    CHECK_EQ_INT(ps_plan_shards(s2, &job, 2, &err), 0);
    int used[2] = {0, 0};
    for (int g = 0; g < 5; g++) {
        CHECK_EQ_INT(s1[g], s2[g]);
        CHECK(s1[g] == 0 || s1[g] == 1);
        used[s1[g]]++;
    }
    CHECK(used[0] > 0 && used[1] > 0);
    CHECK_EQ_INT(s1[0], 0); /* the costliest group goes first onto shard 0 */
    CHECK_EQ_INT(ps_plan_shards(s1, &job, 6, &err), PS_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "expected 1..5");
    char path[256];
    ps_sweep_default_output(path, sizeof path, &job, 1, 3);
    CHECK(!strcmp(path, "results/t.shard2-of-3.h5"));
    ps_job_free(&job);
}

CHECK_MAIN(T(test_job_parse_good), T(test_job_defaults), T(test_job_errors), T(test_job_key_order), T(test_job_size),
           T(test_job_load_missing), T(test_task_id), T(test_plan_select), T(test_fold_sizes),
           T(test_plan_holdout), T(test_selection), T(test_queue), T(test_shards))
