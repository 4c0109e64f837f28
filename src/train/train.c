/* pairsweep — one training task (train.h): pairs from the seed, a model of the zoo, SGD over
 * shuffled mini-batches, evaluation after every epoch.
 *
 * Choices the contract leaves open:
 * - train_acc is the accuracy of the training-mode predictions made during the epoch (before
 *   each step), train_loss the mean of the optimised loss over the epoch's samples; no
 *   second pass over the training set.
 * - eval_loss is the target cross-entropy. siamese_v2 (trained on the digit losses only) has
 *   no trained target head, so its eval_loss is the cross-entropy of the target implied by its
 *   digit probabilities: P(d1 ≤ d2) = Σ_a p1(a) Σ_{b ≥ a} p2(b), loss −log P(true target).
 * - Evaluation runs in evaluation mode (BatchNorm running statistics) in chunks of the batch
 *   size; the arena is sized once for that batch size.
 * - Every parameter takes the SGD step, also those without gradient in the loss (siamese_v2's
 *   unused target head then only shrinks by weight decay); torch.optim.SGD would skip them.
 * - PS_EVAL_KFOLD and PS_EVAL_HOLDOUT still draw n_test test pairs (unused) so that a task's
 *   training pairs are the same whatever its evaluation; n_test must be > 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairsweep/models.h"
#include "pairsweep/nn.h"
#include "pairsweep/rng.h"
#include "pairsweep/train.h"

#define PAIR_FLOATS (2 * PS_IMG_PIXELS)

void ps_train_config_default(ps_train_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (int a = 0; a < PS_N_AXES; a++)
        ps_hparam_set(cfg, (ps_axis)a, ps_hparam_info((ps_axis)a)->def);
    cfg->epochs = 25;
    cfg->nesterov = 0;
    cfg->lr_step_epoch = 0;
    cfg->lr_step_gamma = 0.1f;
    cfg->seed = 0;
    cfg->n_train = 1000;
    cfg->n_test = 1000;
    cfg->eval = PS_EVAL_TEST;
    cfg->folds = 5;
    cfg->fold = 0;
    cfg->holdout = 100;
    cfg->kernels = PS_NN_KERNELS_AUTO;
}

/* Number of pairs trained on and evaluated on, for a config with valid sizes, when fold f is
 * the validation fold (k-fold; f is ignored otherwise). */
static void set_sizes(const ps_train_config *cfg, int32_t f, int32_t *n_fit, int32_t *n_eval)
{
    switch (cfg->eval) {
    case PS_EVAL_KFOLD:
        *n_eval = ps_fold_size(cfg->n_train, cfg->folds, f);
        *n_fit = cfg->n_train - *n_eval;
        break;
    case PS_EVAL_HOLDOUT:
        *n_eval = cfg->holdout;
        *n_fit = cfg->n_train - cfg->holdout;
        break;
    default:
        *n_fit = cfg->n_train;
        *n_eval = cfg->n_test;
    }
}

/* Every hyper-parameter at least the low end of its range (hparams.h), a finite number, and a
 * switch -1, 0 or 1. The high ends bound a study, not training: a run may diverge on purpose. */
static int check_hparams(const ps_train_config *cfg, ps_err *err)
{
    for (int a = 0; a < PS_N_AXES; a++) {
        const ps_hparam *h = ps_hparam_info((ps_axis)a);
        double v = ps_hparam_get(cfg, (ps_axis)a);
        if (h->kind == PS_HP_SWITCH && !(v == -1 || v == 0 || v == 1))
            return ps_err_set(err, PS_EINVAL, "train: %s %g, expected -1, 0 or 1", h->field, v);
        if (h->kind != PS_HP_SWITCH && !(isfinite(v) && (h->lo_open ? v > h->lo : v >= h->lo)))
            return ps_err_set(err, PS_EINVAL, "train: %s %g, expected a%s %s %g", h->field, v,
                              h->kind == PS_HP_INT ? "n integer" : " number",
                              h->lo_open ? ">" : ">=", h->lo);
    }
    return 0;
}

static int check_config(const ps_train_config *cfg, ps_model_info *info, ps_err *err)
{
    char name[PS_NAME_MAX + 1];
    memcpy(name, cfg->model, PS_NAME_MAX);
    name[PS_NAME_MAX] = 0;
    int rc = ps_model_lookup(info, name, err);
    if (rc)
        return rc;
    if (cfg->epochs < 1 || cfg->epochs > 100000)
        return ps_err_set(err, PS_EINVAL, "train: epochs %d, expected 1..100000", cfg->epochs);
    rc = check_hparams(cfg, err);
    if (rc)
        return rc;
    if (!(cfg->momentum < 1.0f))
        return ps_err_set(err, PS_EINVAL, "train: momentum %g, expected < 1",
                          (double)cfg->momentum);
    if (!isfinite(cfg->lr_step_gamma))
        return ps_err_set(err, PS_EINVAL, "train: lr_step_gamma %g, expected a finite number",
                          (double)cfg->lr_step_gamma);
    if (cfg->nesterov && cfg->momentum <= 0.0f)
        return ps_err_set(err, PS_EINVAL, "train: Nesterov momentum needs momentum > 0");
    if (cfg->lr_step_epoch < 0)
        return ps_err_set(err, PS_EINVAL, "train: lr_step_epoch %d, expected ≥ 0",
                          cfg->lr_step_epoch);
    if (cfg->n_train < 1 || cfg->n_test < 1)
        return ps_err_set(err, PS_EINVAL, "train: %d training and %d test pairs, expected > 0",
                          cfg->n_train, cfg->n_test);
    if (cfg->eval == PS_EVAL_KFOLD &&
        (cfg->folds < 2 || cfg->folds > cfg->n_train || cfg->fold < 0 || cfg->fold >= cfg->folds))
        return ps_err_set(err, PS_EINVAL, "train: fold %d of %d folds of %d pairs", cfg->fold,
                          cfg->folds, cfg->n_train);
    if (cfg->eval == PS_EVAL_HOLDOUT && (cfg->holdout < 1 || cfg->holdout >= cfg->n_train))
        return ps_err_set(err, PS_EINVAL, "train: holdout %d of %d pairs, expected 1..n-1",
                          cfg->holdout, cfg->n_train);
    if (cfg->eval != PS_EVAL_TEST && cfg->eval != PS_EVAL_KFOLD && cfg->eval != PS_EVAL_HOLDOUT)
        return ps_err_set(err, PS_EINVAL, "train: unknown evaluation kind %d", (int)cfg->eval);
    int32_t n_fit, n_eval;
    set_sizes(cfg, 0, &n_fit, &n_eval); /* fold 0 is the largest: the fewest training pairs */
    if (cfg->batch_size < 1 || cfg->batch_size > n_fit)
        return ps_err_set(err, PS_EINVAL, "train: batch size %d, expected 1..%d (the training "
                          "pairs)", cfg->batch_size, n_fit);
    return 0;
}

/* ---- the data of a task --------------------------------------------------------------------- */

/* fold[i] of the n training pairs: 1 when pair i validates, 0 when it trains (the k-fold split
 * of ps_folds_make, or the last `holdout`). */
static int validation_mask(int32_t *val, const ps_train_config *cfg, int32_t n, ps_err *err)
{
    if (cfg->eval == PS_EVAL_KFOLD) {
        int rc = ps_folds_make(val, n, cfg->folds, ps_seed_derive(cfg->seed, "folds"), err);
        if (rc)
            return rc;
        for (int32_t i = 0; i < n; i++)
            val[i] = val[i] == cfg->fold;
    } else {
        for (int32_t i = 0; i < n; i++)
            val[i] = i >= n - cfg->holdout;
    }
    return 0;
}

/* Splits all into fit (pairs with val[i] 0) and val (val[i] 1), each in the order of all. */
static int split_pairs(ps_pairs *fit, ps_pairs *val, const ps_pairs *all,
                       const ps_train_config *cfg, ps_err *err)
{
    int32_t *mask = malloc((size_t)all->n * sizeof *mask);
    int32_t *idx = malloc((size_t)all->n * sizeof *idx);
    int rc = !mask || !idx ? ps_err_set(err, PS_ENOMEM, "train: out of memory for folds")
                           : validation_mask(mask, cfg, all->n, err);
    int32_t nf = 0, nv = 0;
    for (int32_t i = 0; !rc && i < all->n; i++)
        if (!mask[i])
            idx[nf++] = i;
    for (int32_t i = 0; !rc && i < all->n; i++)
        if (mask[i])
            idx[nf + nv++] = i;
    if (!rc)
        rc = ps_pairs_subset(fit, all, idx, nf, err);
    if (!rc) {
        rc = ps_pairs_subset(val, all, idx + nf, nv, err);
        if (rc)
            ps_pairs_free(fit);
    }
    free(mask);
    free(idx);
    return rc;
}

int ps_train_sets(ps_pairs *fit, ps_pairs *val, ps_pairs *test, float *mean, float *std,
                  const ps_train_config *cfg, const ps_mnist *m, ps_err *err)
{
    ps_pairs all = {0};
    memset(fit, 0, sizeof *fit);
    memset(val, 0, sizeof *val);
    int rc = ps_pairs_make_train_test(&all, test, m, cfg->n_train, cfg->n_test, cfg->seed, err);
    if (rc)
        return rc;
    if (cfg->eval == PS_EVAL_TEST) {
        *fit = all;
    } else {
        rc = split_pairs(fit, val, &all, cfg, err);
        ps_pairs_free(&all);
        if (rc) {
            ps_pairs_free(test);
            return rc;
        }
    }
    ps_pairs_stats(fit, mean, std);
    ps_pairs_normalize(fit, *mean, *std);
    ps_pairs_normalize(val, *mean, *std);
    ps_pairs_normalize(test, *mean, *std);
    return 0;
}

/* ---- the trainer ----------------------------------------------------------------------------- */

typedef struct trainer {
    const ps_train_config *cfg;
    ps_model_info info;
    ps_net *net;
    int32_t target, digits;    /* node indices; digits −1 when the model has none */
    int32_t cap;               /* batch capacity */
    float *bx;                 /* (cap, 2, 14, 14) */
    int32_t *bt;               /* (cap) targets */
    int32_t *bc;               /* (2·cap) digits, row 2i digit 1 of pair i */
    int32_t *order;            /* (n_fit) */
} trainer;

static void gather(trainer *t, const ps_pairs *p, const int32_t *idx, int32_t n)
{
    for (int32_t b = 0; b < n; b++) {
        int32_t i = idx[b];
        memcpy(t->bx + (size_t)b * PAIR_FLOATS, p->x + (size_t)i * PAIR_FLOATS,
               PAIR_FLOATS * sizeof(float));
        t->bt[b] = p->target[i];
        t->bc[2 * b] = p->classes[2 * i];
        t->bc[2 * b + 1] = p->classes[2 * i + 1];
    }
}

/* The first largest of c logits (ps_nn_softmax_ce's prediction). */
static int32_t argmax_of(const float *z, int32_t c)
{
    int32_t best = 0;
    for (int32_t j = 1; j < c; j++)
        if (z[j] > z[best])
            best = j;
    return best;
}

static int32_t argmax10(const float *z)
{
    return argmax_of(z, 10);
}

/* Digit-based predictions (siamese_v2) and the implied target cross-entropy (sum); each
 * pair's outcome into hit (n entries, 1 correct) when hit is not NULL. */
static double digits_predict(const float *d, const int32_t *target, int32_t n, int32_t *correct,
                             uint8_t *hit)
{
    double loss = 0.0;
    int32_t right = 0;
    for (int32_t i = 0; i < n; i++) {
        const float *z1 = d + (size_t)(2 * i) * 10, *z2 = z1 + 10;
        int ok = (argmax10(z1) <= argmax10(z2)) == (target[i] == 1);
        right += ok;
        if (hit)
            hit[i] = (uint8_t)ok;
        double p1[10], p2[10], s1 = 0, s2 = 0, m1 = z1[argmax10(z1)], m2 = z2[argmax10(z2)];
        for (int j = 0; j < 10; j++) {
            p1[j] = exp((double)z1[j] - m1);
            p2[j] = exp((double)z2[j] - m2);
            s1 += p1[j];
            s2 += p2[j];
        }
        double le = 0.0, tail = 0.0;  /* P(d1 ≤ d2) */
        for (int a = 9; a >= 0; a--) {
            tail += p2[a] / s2;
            le += p1[a] / s1 * tail;
        }
        double pt = target[i] == 1 ? le : 1.0 - le;
        loss += -log(pt > 1e-300 ? pt : 1e-300);
    }
    *correct = right;
    return loss;
}

/* The loss of the last forward on a batch of n (mean), its correct predictions, and — when
 * grad is set — dLoss/d(outputs) added into the output gradients. */
static double batch_loss(trainer *t, int32_t n, int grad, int32_t *correct)
{
    ps_net *net = t->net;
    const float *tl = ps_net_out(net, t->target);
    float *dt = grad ? ps_net_dout(net, t->target) : NULL;
    ps_loss_kind kind = t->info.loss;
    double loss = 0.0;
    if (kind == PS_LOSS_DIGITS) {
        /* CE d1 + CE d2 = 2 · mean CE over the 2n digit rows */
        float *dd = grad ? ps_net_dout(net, t->digits) : NULL;
        loss = 2.0 * ps_nn_softmax_ce(dd, ps_net_out(net, t->digits), t->bc, 2 * n, 10, 2.0f,
                                      NULL);
        digits_predict(ps_net_out(net, t->digits), t->bt, n, correct, NULL);
        return loss;
    }
    loss = ps_nn_softmax_ce(dt, tl, t->bt, n, 2, 1.0f, correct);
    if (kind == PS_LOSS_TARGET_AUX) {
        float w = t->cfg->aux_weight;
        float *dd = grad ? ps_net_dout(net, t->digits) : NULL;
        loss += (double)w * 2.0 *
                ps_nn_softmax_ce(dd, ps_net_out(net, t->digits), t->bc, 2 * n, 10, 2.0f * w,
                                 NULL);
    }
    return loss;
}

/* One epoch of SGD; returns 0 or 1 when the loss stopped being finite. */
static int train_epoch(trainer *t, const ps_pairs *fit, ps_rng *batch_rng, ps_rng *drop_rng,
                       float lr, float *loss_out, float *acc_out)
{
    const ps_train_config *cfg = t->cfg;
    ps_net *net = t->net;
    for (int32_t i = 0; i < fit->n; i++)
        t->order[i] = i;
    ps_rng_shuffle(batch_rng, t->order, fit->n);
    double sum = 0.0;
    int64_t right = 0;
    for (int32_t b0 = 0; b0 < fit->n; b0 += cfg->batch_size) {
        int32_t n = fit->n - b0 < cfg->batch_size ? fit->n - b0 : cfg->batch_size, c = 0;
        gather(t, fit, t->order + b0, n);
        ps_net_forward(net, t->bx, n, 1, drop_rng);
        ps_net_zero_grad(net);
        double l = batch_loss(t, n, 1, &c);
        if (!isfinite(l))
            return 1;
        sum += l * n;
        right += c;
        ps_net_backward(net);
        ps_nn_sgd_step(ps_net_state(net), ps_net_grads(net), ps_net_momentum(net),
                       ps_net_n_params(net), lr, cfg->momentum, cfg->weight_decay, cfg->nesterov);
    }
    *loss_out = (float)(sum / fit->n);
    *acc_out = (float)((double)right / fit->n);
    return 0;
}

/* The evaluation on val: mean loss and accuracy; each pair's outcome into hit (val->n
 * entries, 1 correct) when hit is not NULL. */
static void evaluate(trainer *t, const ps_pairs *val, float *loss_out, float *acc_out,
                     uint8_t *hit)
{
    double sum = 0.0;
    int64_t right = 0;
    for (int32_t b0 = 0; b0 < val->n; b0 += t->cap) {
        int32_t n = val->n - b0 < t->cap ? val->n - b0 : t->cap, c = 0;
        for (int32_t b = 0; b < n; b++)
            t->order[b] = b0 + b;
        gather(t, val, t->order, n);
        ps_net_forward(t->net, t->bx, n, 0, NULL);
        if (t->info.loss == PS_LOSS_DIGITS) {
            sum += digits_predict(ps_net_out(t->net, t->digits), t->bt, n, &c,
                                  hit ? hit + b0 : NULL);
        } else {
            const float *z = ps_net_out(t->net, t->target); /* (n, 2) */
            sum += n * ps_nn_softmax_ce(NULL, z, t->bt, n, 2, 0.0f, &c);
            for (int32_t b = 0; hit && b < n; b++)
                hit[b0 + b] = argmax_of(z + 2 * (size_t)b, 2) == t->bt[b];
        }
        right += c;
    }
    *loss_out = (float)(sum / val->n);
    *acc_out = (float)((double)right / val->n);
}

/* ---- results ---------------------------------------------------------------------------------- */

void ps_train_result_free(ps_train_result *r)
{
    if (!r)
        return;
    free(r->train_loss);
    free(r->train_acc);
    free(r->eval_loss);
    free(r->eval_acc);
    free(r->views);
    free(r->state);
    free(r->outcomes);
    memset(r, 0, sizeof *r);
}

static int copy_views(ps_state_view **out, int32_t *n_out, const ps_net *net, ps_err *err)
{
    int32_t n = ps_net_n_views(net);
    const ps_nn_view *v = ps_net_views(net);
    ps_state_view *s = calloc((size_t)(n ? n : 1), sizeof *s);
    if (!s)
        return ps_err_set(err, PS_ENOMEM, "train: out of memory for %d views", n);
    for (int32_t i = 0; i < n; i++) {
        memcpy(s[i].name, v[i].name, sizeof s[i].name < sizeof v[i].name ? sizeof s[i].name
                                                                          : sizeof v[i].name);
        s[i].name[PS_NAME_MAX - 1] = 0;
        s[i].ndim = v[i].ndim;
        memcpy(s[i].shape, v[i].shape, sizeof s[i].shape);
        s[i].offset = v[i].offset;
        s[i].count = v[i].count;
        s[i].trainable = v[i].trainable;
    }
    *out = s;
    *n_out = n;
    return 0;
}

static int result_alloc(ps_train_result *r, int32_t epochs, const ps_net *net, ps_err *err)
{
    memset(r, 0, sizeof *r);
    r->epochs = epochs;
    r->train_loss = malloc((size_t)epochs * sizeof(float));
    r->train_acc = malloc((size_t)epochs * sizeof(float));
    r->eval_loss = malloc((size_t)epochs * sizeof(float));
    r->eval_acc = malloc((size_t)epochs * sizeof(float));
    r->n_state = ps_net_n_state(net);
    r->state = malloc((r->n_state ? r->n_state : 1) * sizeof(float));
    if (!r->train_loss || !r->train_acc || !r->eval_loss || !r->eval_acc || !r->state) {
        ps_train_result_free(r);
        return ps_err_set(err, PS_ENOMEM, "train: out of memory for the result");
    }
    for (int32_t e = 0; e < epochs; e++)
        r->train_loss[e] = r->train_acc[e] = r->eval_loss[e] = r->eval_acc[e] = NAN;
    int rc = copy_views(&r->views, &r->n_views, net, err);
    if (rc)
        ps_train_result_free(r);
    return rc;
}

static void trainer_free(trainer *t)
{
    ps_net_free(t->net);
    free(t->bx);
    free(t->bt);
    free(t->bc);
    free(t->order);
}

static int trainer_init(trainer *t, const ps_train_config *cfg, int32_t n_fit, ps_err *err)
{
    memset(t, 0, sizeof *t);
    t->cfg = cfg;
    int rc = check_config(cfg, &t->info, err);
    if (!rc)
        rc = ps_model_build(&t->net, &t->info, cfg->use_bn, err);
    if (rc)
        return rc;
    t->cap = cfg->batch_size;
    t->target = ps_net_find(t->net, t->info.target);
    t->digits = t->info.digits ? ps_net_find(t->net, t->info.digits) : -1;
    t->bx = malloc((size_t)t->cap * PAIR_FLOATS * sizeof(float));
    t->bt = malloc((size_t)t->cap * sizeof(int32_t));
    t->bc = malloc((size_t)t->cap * 2 * sizeof(int32_t));
    t->order = malloc((size_t)(n_fit > t->cap ? n_fit : t->cap) * sizeof(int32_t));
    if (!t->bx || !t->bt || !t->bc || !t->order) {
        trainer_free(t);
        return ps_err_set(err, PS_ENOMEM, "train: out of memory for batches");
    }
    /* batch_loss writes the gradients of these two only: the others can share space */
    int32_t outs[2] = {t->target, t->digits};
    rc = ps_net_set_outputs(t->net, outs, t->digits >= 0 ? 2 : 1, err);
    if (!rc)
        rc = ps_net_set_kernels(t->net, cfg->kernels, err);
    if (!rc)
        rc = ps_net_reserve(t->net, t->cap, err);
    if (rc)
        trainer_free(t);
    return rc;
}

static void mark_diverged(ps_train_result *r, int32_t epoch, const char *what)
{
    r->status = PS_TASK_DIVERGED;
    snprintf(r->reason, sizeof r->reason, "%s loss not finite in epoch %d", what, epoch + 1);
    for (int32_t e = epoch; e < r->epochs; e++)
        r->train_loss[e] = r->train_acc[e] = r->eval_loss[e] = r->eval_acc[e] = NAN;
    free(r->outcomes);
    r->outcomes = NULL;
    r->n_outcomes = 0;
}

int ps_train_run(ps_train_result *result, const ps_train_config *cfg, const ps_mnist *m,
                 ps_epoch_cb cb, void *user, ps_err *err)
{
    double t0 = ps_now();
    memset(result, 0, sizeof *result);
    ps_model_info info;
    int rc = check_config(cfg, &info, err);
    if (rc)
        return rc;
    ps_pairs fit, val, test;
    float mean, std;
    rc = ps_train_sets(&fit, &val, &test, &mean, &std, cfg, m, err);
    if (rc)
        return rc;
    if (cfg->eval == PS_EVAL_TEST)
        val = test; /* evaluated on the test pairs */
    else
        ps_pairs_free(&test);
    trainer t;
    rc = trainer_init(&t, cfg, fit.n, err);
    if (!rc) {
        rc = result_alloc(result, cfg->epochs, t.net, err);
        if (rc)
            trainer_free(&t);
    }
    if (rc) {
        ps_pairs_free(&fit);
        ps_pairs_free(&val);
        return rc;
    }
    ps_rng init_rng, batch_rng, drop_rng;
    ps_rng_seed(&init_rng, ps_seed_derive(cfg->seed, "init"), 0);
    ps_rng_seed(&batch_rng, ps_seed_derive(cfg->seed, "batch"), 0);
    ps_rng_seed(&drop_rng, ps_seed_derive(cfg->seed, "dropout"), 0);
    ps_net_init(t.net, &init_rng);
    for (int32_t e = 0; e < cfg->epochs; e++) {
        float lr = cfg->lr;
        if (cfg->lr_step_epoch > 0 && e >= cfg->lr_step_epoch)
            lr *= cfg->lr_step_gamma;
        if (train_epoch(&t, &fit, &batch_rng, &drop_rng, lr, &result->train_loss[e],
                        &result->train_acc[e])) {
            mark_diverged(result, e, "training");
            break;
        }
        int last = e == cfg->epochs - 1 && cfg->keep_outcomes;
        int skip_eval = cfg->eval_last && e + 1 < cfg->epochs; /* --eval last */
        if (last && !(result->outcomes = malloc((size_t)(val.n ? val.n : 1)))) {
            rc = ps_err_set(err, PS_ENOMEM, "train: out of memory for the outcomes");
            break;
        }
        if (skip_eval)
            result->eval_loss[e] = result->eval_acc[e] = NAN;
        else
            evaluate(&t, &val, &result->eval_loss[e], &result->eval_acc[e],
                     last ? result->outcomes : NULL);
        if (last)
            result->n_outcomes = val.n;
        if (!skip_eval && !isfinite(result->eval_loss[e])) {
            mark_diverged(result, e, "evaluation");
            break;
        }
        result->wall_seconds = ps_now() - t0;
        /* the callback sees the state after this epoch too */
        memcpy(result->state, ps_net_state(t.net), result->n_state * sizeof(float));
        if (cb && cb(user, e, result)) {
            rc = ps_err_set(err, PS_EINTR, "train: %s stopped after epoch %d", info.name, e + 1);
            break;
        }
    }
    memcpy(result->state, ps_net_state(t.net), result->n_state * sizeof(float));
    result->wall_seconds = ps_now() - t0;
    trainer_free(&t);
    ps_pairs_free(&fit);
    ps_pairs_free(&val);
    if (rc)
        ps_train_result_free(result);
    return rc;
}

int ps_train_state_views(ps_state_view **views, int32_t *n_views, size_t *n_state,
                         const ps_train_config *cfg, ps_err *err)
{
    ps_model_info info;
    char name[PS_NAME_MAX + 1];
    memcpy(name, cfg->model, PS_NAME_MAX);
    name[PS_NAME_MAX] = 0;
    int rc = ps_model_lookup(&info, name, err);
    if (rc)
        return rc;
    ps_net *net;
    rc = ps_model_build(&net, &info, cfg->use_bn, err);
    if (rc)
        return rc;
    rc = copy_views(views, n_views, net, err);
    if (!rc)
        *n_state = ps_net_n_state(net);
    ps_net_free(net);
    return rc;
}

double ps_train_cost_flops(const ps_train_config *cfg)
{
    ps_model_info info;
    char name[PS_NAME_MAX + 1];
    memcpy(name, cfg->model, PS_NAME_MAX);
    name[PS_NAME_MAX] = 0;
    ps_net *net;
    if (ps_model_lookup(&info, name, NULL) || ps_model_build(&net, &info, cfg->use_bn, NULL))
        return 0.0;
    /* Every fold of a task is priced as the smallest (⌊n/k⌋ validation pairs): the folds of a
     * grid point cost the same, so the queue hands them out in plan order. */
    int32_t n_fit = cfg->n_train, n_eval = cfg->n_test;
    if (cfg->eval != PS_EVAL_KFOLD || cfg->folds >= 2)
        set_sizes(cfg, cfg->folds - 1, &n_fit, &n_eval);
    double per_epoch = ps_net_flops_train(net) * n_fit + ps_net_flops_forward(net) * n_eval;
    ps_net_free(net);
    return per_epoch * (cfg->epochs > 0 ? cfg->epochs : 0);
}
