/* Tests of one training task: determinism (bit-identical for equal configs, different for
 * different seeds), learning, k-fold / holdout evaluation, divergence, stopping, bad configs,
 * state views and costs. Needs MNIST (PS_MNIST_DIR). Kept small: a few seconds in all. */
#include <stdint.h>

#include "check.h"
#include "pairsweep/train.h"

static ps_mnist mnist;
static int mnist_ok;

static int load(void)
{
    if (mnist_ok)
        return 1;
    const char *dir = getenv("PS_MNIST_DIR");
    ps_err err;
    if (ps_mnist_load(&mnist, dir ? dir : "data/mnist", &err)) {
        fprintf(stderr, "MNIST: %s\n", err.msg);
        return 0;
    }
    mnist_ok = 1;
    return 1;
}

static void small(ps_train_config *c, const char *model)
{
    ps_train_config_default(c);
    snprintf(c->model, sizeof c->model, "%s", model);
    c->epochs = 2;
    c->batch_size = 50;
    c->n_train = 200;
    c->n_test = 100;
    c->seed = 7;
}

static int same_result(const ps_train_result *a, const ps_train_result *b)
{
    size_t e = (size_t)a->epochs * sizeof(float);
    return a->epochs == b->epochs && a->n_state == b->n_state &&
           !memcmp(a->train_loss, b->train_loss, e) && !memcmp(a->eval_loss, b->eval_loss, e) &&
           !memcmp(a->train_acc, b->train_acc, e) && !memcmp(a->eval_acc, b->eval_acc, e) &&
           !memcmp(a->state, b->state, a->n_state * sizeof(float));
}

static void test_deterministic(void)
{
    CHECK(load());
    const char *models[] = {"cnn", "siamese_aux", "resnet_ws", "indep_A3_k5", "aux_A1_k3"};
    for (int i = 0; i < 5; i++) {
        ps_train_config c;
        small(&c, models[i]);
        c.epochs = 1;
        ps_train_result a, b, d;
        ps_err err;
        CHECK(ps_train_run(&a, &c, &mnist, NULL, NULL, &err) == 0);
        CHECK(ps_train_run(&b, &c, &mnist, NULL, NULL, &err) == 0);
        c.seed = 8;
        CHECK(ps_train_run(&d, &c, &mnist, NULL, NULL, &err) == 0);
        CHECK(a.status == PS_TASK_DONE && d.status == PS_TASK_DONE);
        CHECK(same_result(&a, &b));
        CHECK(!same_result(&a, &d));
        CHECK(memcmp(a.state, d.state, a.n_state * sizeof(float)));
        ps_train_result_free(&a);
        ps_train_result_free(&b);
        ps_train_result_free(&d);
    }
}

static void test_learns(void)
{
    CHECK(load());
    /* siamese_aux and siamese_v2 with momentum 0.9, lr 0.05: well above chance in 6 epochs. */
    const char *models[] = {"siamese_aux", "siamese_v2"};
    for (int i = 0; i < 2; i++) {
        ps_train_config c;
        small(&c, models[i]);
        c.n_train = 1000;
        c.n_test = 500;
        c.epochs = 6;
        c.lr = 0.05f;
        ps_train_result r;
        ps_err err;
        CHECK(ps_train_run(&r, &c, &mnist, NULL, NULL, &err) == 0);
        CHECK(r.status == PS_TASK_DONE);
        fprintf(stderr, "  %s: train loss %.3f -> %.3f, test acc %.3f\n", models[i],
                (double)r.train_loss[0], (double)r.train_loss[5], (double)r.eval_acc[5]);
        CHECK(r.train_loss[5] < r.train_loss[0]);
        CHECK(r.eval_acc[5] > 0.75f);
        CHECK(r.eval_loss[5] > 0.0f && r.eval_loss[5] < 0.69f);
        CHECK(r.wall_seconds > 0.0);
        ps_train_result_free(&r);
    }
}

static void test_kfold_holdout(void)
{
    CHECK(load());
    ps_train_config c;
    small(&c, "shared_A1_k3");
    c.epochs = 1;
    c.eval = PS_EVAL_KFOLD;
    c.folds = 5;
    c.fold = 3;
    ps_train_result a, b;
    ps_err err;
    CHECK(ps_train_run(&a, &c, &mnist, NULL, NULL, &err) == 0);
    c.fold = 4;
    CHECK(ps_train_run(&b, &c, &mnist, NULL, NULL, &err) == 0);
    CHECK(a.eval_acc[0] != b.eval_acc[0] || a.train_loss[0] != b.train_loss[0]);
    /* accuracy over 40 validation pairs is a multiple of 1/40 */
    CHECK_NEAR(a.eval_acc[0] * 40, floorf(a.eval_acc[0] * 40 + 0.5f), 1e-4);
    ps_train_result_free(&a);
    ps_train_result_free(&b);
    c.eval = PS_EVAL_HOLDOUT;
    c.holdout = 30;
    CHECK(ps_train_run(&a, &c, &mnist, NULL, NULL, &err) == 0);
    CHECK_NEAR(a.eval_acc[0] * 30, floorf(a.eval_acc[0] * 30 + 0.5f), 1e-4);
    ps_train_result_free(&a);
    c.holdout = 200;
    CHECK(ps_train_run(&a, &c, &mnist, NULL, NULL, &err) == PS_EINVAL);
}

static void test_diverges(void)
{
    CHECK(load());
    ps_train_config c;
    small(&c, "siamese_aux");
    c.epochs = 3;
    c.lr = 1e30f;
    ps_train_result r;
    ps_err err;
    CHECK(ps_train_run(&r, &c, &mnist, NULL, NULL, &err) == 0);
    CHECK(r.status == PS_TASK_DIVERGED);
    CHECK_STR_CONTAINS(r.reason, "not finite");
    CHECK(isnan(r.train_loss[2]) && isnan(r.eval_acc[2]));
    ps_train_result_free(&r);
}

static int stop_after_first(void *user, int32_t epoch, const ps_train_result *partial)
{
    int *calls = user;
    (*calls)++;
    int state_ok = partial->n_state > 0 && isfinite(partial->state[0]) &&
                   isfinite(partial->state[partial->n_state - 1]);
    return epoch == 0 && state_ok && isfinite(partial->eval_acc[0]) &&
           isnan(partial->eval_acc[1]);
}

static void test_callback_stops(void)
{
    CHECK(load());
    ps_train_config c;
    small(&c, "shared_A1_k3");
    c.epochs = 3;
    ps_train_result r;
    ps_err err;
    int calls = 0;
    CHECK(ps_train_run(&r, &c, &mnist, stop_after_first, &calls, &err) == PS_EINTR);
    CHECK_EQ_INT(calls, 1);
    CHECK(r.state == NULL && r.epochs == 0);
}

static void test_bad_configs(void)
{
    CHECK(load());
    ps_train_config c;
    ps_train_result r;
    ps_err err;
    small(&c, "no_such_model");
    CHECK(ps_train_run(&r, &c, &mnist, NULL, NULL, &err) == PS_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "no_such_model");
    small(&c, "cnn");
    c.batch_size = 201;
    CHECK(ps_train_run(&r, &c, &mnist, NULL, NULL, &err) == PS_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "batch size");
    small(&c, "cnn");
    c.momentum = 0;
    c.nesterov = 1;
    CHECK(ps_train_run(&r, &c, &mnist, NULL, NULL, &err) == PS_EINVAL);
    CHECK(r.state == NULL);
}

static void test_views_and_cost(void)
{
    ps_train_config c;
    ps_train_config_default(&c);
    snprintf(c.model, sizeof c.model, "siamese");
    ps_state_view *v;
    int32_t n;
    size_t n_state;
    ps_err err;
    CHECK(ps_train_state_views(&v, &n, &n_state, &c, &err) == 0);
    size_t params = 0;
    int has_rv = 0;
    for (int32_t i = 0; i < n; i++) {
        params += v[i].trainable ? v[i].count : 0;
        has_rv |= !strcmp(v[i].name, "bn2.running_var") && v[i].count == 32 && !v[i].trainable;
    }
    CHECK_EQ_INT(params, 46033);
    CHECK_EQ_INT(n_state, 46033 + 2 * (16 + 32));
    CHECK(has_rv);
    CHECK(!strcmp(v[0].name, "conv1.weight") && v[0].shape[0] == 16 && v[0].shape[1] == 1);
    free(v);
    c.use_bn = 0;
    CHECK(ps_train_state_views(&v, &n, &n_state, &c, &err) == 0);
    CHECK_EQ_INT(n_state, 45937);
    free(v);
    double c25 = ps_train_cost_flops(&c);
    c.epochs = 50;
    CHECK_NEAR(ps_train_cost_flops(&c) / c25, 2.0, 1e-9);
    CHECK(c25 > 1e9);
    snprintf(c.model, sizeof c.model, "nope");
    CHECK(ps_train_state_views(&v, &n, &n_state, &c, &err) == PS_EINVAL);
}

CHECK_MAIN(T(test_views_and_cost), T(test_bad_configs), T(test_deterministic), T(test_learns),
           T(test_kfold_holdout), T(test_diverges), T(test_callback_stops))
