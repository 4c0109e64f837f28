/* One task in this process: a worker's, or rank 0's when it runs alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_internal.h"

/* A FAILED result with NaN curves (epochs of cfg) and the reason. */
static void failed_result(ps_train_result *r, const ps_train_config *cfg, const char *why,
                          double wall)
{
    memset(r, 0, sizeof *r);
    r->status = PS_TASK_FAILED;
    snprintf(r->reason, sizeof r->reason, "%.*s", (int)sizeof r->reason - 1, why);
    r->wall_seconds = wall;
    float *c = malloc(4 * (size_t)cfg->epochs * sizeof *c);
    if (!c)
        return; /* epochs stays 0: a row without curves */
    for (int32_t i = 0; i < 4 * cfg->epochs; i++)
        c[i] = NAN;
    r->epochs = cfg->epochs;
    r->train_loss = c;
    r->train_acc = c + cfg->epochs;
    r->eval_loss = c + 2 * (size_t)cfg->epochs;
    r->eval_acc = c + 3 * (size_t)cfg->epochs;
}

void ps__run_task(ps__run *x, const ps_task *t, const ps_mnist *mn, ps_epoch_cb cb, void *user)
{
    ps_err e = {0};
    double t0 = ps_now();
    x->interrupted = 0;
    int rc = ps_train_run(&x->r, &t->cfg, mn, cb, user, &e);
    if (rc == PS_EINTR) {
        x->interrupted = 1;
        x->owned = 0;
        memset(&x->r, 0, sizeof x->r);
    } else if (rc < 0) {
        failed_result(&x->r, &t->cfg, e.msg[0] ? e.msg : ps_strerror(rc), ps_now() - t0);
        x->owned = 2;
    } else {
        x->owned = 1;
    }
}

void ps__run_failed(ps__run *x, const ps_train_config *cfg, const char *why)
{
    failed_result(&x->r, cfg, why, 0);
    x->r.epochs = 0;
    x->interrupted = 0;
    x->owned = 2;
}

void ps__run_free(ps__run *x)
{
    if (x->owned == 1)
        ps_train_result_free(&x->r);
    else if (x->owned == 2)
        free(x->r.train_loss);
    memset(x, 0, sizeof *x);
}
