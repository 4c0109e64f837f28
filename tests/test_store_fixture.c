/* pairsweep tests — TEST FIXTURES: synthetic tasks and results, the store tests' temporary
 * directory and plan (see test_store_fixture.h). */
#define _POSIX_C_SOURCE 200809L
#include "test_store_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fixture_result(ps_train_result *r, int32_t epochs, float acc_final, float loss_final,
                    unsigned salt)
{
    memset(r, 0, sizeof *r);
    r->status = PS_TASK_DONE;
    r->epochs = epochs;
    r->train_loss = malloc((size_t)epochs * sizeof(float));
    r->train_acc = malloc((size_t)epochs * sizeof(float));
    r->eval_loss = malloc((size_t)epochs * sizeof(float));
    r->eval_acc = malloc((size_t)epochs * sizeof(float));
    for (int32_t e = 0; e < epochs; e++) {
        /* progress goes from 0 (start) to 1 (last epoch) along an exponential approach */
        float p = epochs > 1 ? (1.0f - expf(-4.0f * (float)e / (float)(epochs - 1))) /
                                   (1.0f - expf(-4.0f)) : 1.0f;
        r->train_loss[e] = 0.7f + (loss_final - 0.7f) * p;
        r->train_acc[e] = 0.5f + (0.99f - 0.5f) * p;
        r->eval_loss[e] = 0.7f - 0.3f * p;
        r->eval_acc[e] = 0.5f + (acc_final - 0.5f) * p;
    }
    r->wall_seconds = 1.0 + (salt % 7);
    r->n_views = 2;
    r->views = calloc(2, sizeof(ps_state_view));
    strcpy(r->views[0].name, "conv1.weight");
    r->views[0].ndim = 4;
    r->views[0].shape[0] = 4; r->views[0].shape[1] = 2;
    r->views[0].shape[2] = 3; r->views[0].shape[3] = 3;
    r->views[0].offset = 0;
    r->views[0].count = 72;
    r->views[0].trainable = 1;
    strcpy(r->views[1].name, "bn1.running_mean");
    r->views[1].ndim = 1;
    r->views[1].shape[0] = 4;
    r->views[1].offset = 72;
    r->views[1].count = 4;
    r->n_state = 76;
    r->state = malloc(76 * sizeof(float));
    for (int i = 0; i < 76; i++)
        r->state[i] = (float)i * 0.01f + (float)salt;
}

void fixture_result_free(ps_train_result *r)
{
    free(r->train_loss);
    free(r->train_acc);
    free(r->eval_loss);
    free(r->eval_acc);
    free(r->views);
    free(r->state);
    memset(r, 0, sizeof *r);
}

void fixture_task(ps_task *t, int32_t phase, const char *model, int32_t model_index,
                  int32_t grid, int32_t fold, int32_t rep)
{
    memset(t, 0, sizeof *t);
    t->cfg.use_bn = -1;
    t->cfg.epochs = 25;
    t->cfg.batch_size = 100;
    t->cfg.lr = 0.01f;
    t->cfg.momentum = 0.9f;
    t->cfg.aux_weight = 1.0f;
    t->cfg.n_train = t->cfg.n_test = 1000;
    snprintf(t->cfg.model, sizeof t->cfg.model, "%s", model);
    t->phase = phase;
    t->model = model_index;
    t->grid = grid;
    t->fold = fold;
    t->rep = rep;
    t->cfg.seed = 1000u + (uint64_t)rep;
    t->cfg.fold = fold;
    char desc[160], hex[65];
    snprintf(desc, sizeof desc, "fixture %d %s %d %d %d", phase, model, grid, fold, rep);
    ps_sha256_hex(hex, desc, strlen(desc));
    memcpy(t->id, hex, PS_TASK_ID_LEN);
    t->id[PS_TASK_ID_LEN] = 0;
}

void fixture_meta(ps_store_meta *m, const char *name, const char *text, int32_t planned)
{
    memset(m, 0, sizeof *m);
    m->job_name = name;
    m->job_text = text;
    for (int i = 0; i < 4; i++)
        m->mnist_sha256[i] = "0000000000000000000000000000000000000000000000000000000000000000";
    m->ranks = 3;
    m->planned_tasks = planned;
}

static char tmpdir[256];

const char *tpath(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

const char JOB_A[] = "name: fixture\nmodels: [cnn, siamese]\n";
const char JOB_B[] = "name: fixture\nmodels: [cnn]\n";

void plan_task(ps_task *t, int i)
{
    static const char *const models[2] = {"cnn", "siamese"};
    if (i < 12)
        fixture_task(t, PS_PHASE_SELECT, models[i / 6], i / 6, (i / 3) % 2, i % 3, 0);
    else
        fixture_task(t, PS_PHASE_FINAL, models[(i - 12) / 4], (i - 12) / 4, 1, -1, (i - 12) % 4);
}

void add_plan_result(ps_store *s, int i, ps_err *err, int *rc)
{
    ps_task t;
    plan_task(&t, i);
    ps_train_result r;
    fixture_result(&r, 4 + i % 3, 0.7f + 0.01f * (float)i, 0.05f, (unsigned)i);
    if (i == 5) {
        r.status = PS_TASK_DIVERGED;
        strcpy(r.reason, "loss became NaN at epoch 3");
        for (int e = 2; e < r.epochs; e++)
            r.train_loss[e] = r.train_acc[e] = r.eval_loss[e] = r.eval_acc[e] = NAN;
    }
    *rc = ps_store_add(s, &t, &r, 1 + i % 2, err);
    fixture_result_free(&r);
}

int fixture_python(const char *script, const char *args)
{
    const char *src = getenv("PS_SOURCE_DIR");
    const char *py = getenv("PS_PYTHON");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s/tests/report/%s %s", py ? py : "/usr/bin/python3",
             src ? src : ".", script, args);
    return system(cmd);
}

void fixture_setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ps_test_store_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
}

void fixture_cleanup(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
}
