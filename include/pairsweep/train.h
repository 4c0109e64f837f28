/* pairsweep — one training task: fresh pairs for a seed, a model of the zoo, SGD for a number
 * of epochs, evaluation after every epoch, curves and final weights.
 *
 * A task's result depends only on its config (pairs, initialisation and batch order all come
 * from config->seed), never on which rank runs it. */
#ifndef PAIRSWEEP_TRAIN_H
#define PAIRSWEEP_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "pairsweep/common.h"
#include "pairsweep/data.h"
#include "pairsweep/hparams.h"
#include "pairsweep/nn.h"

#define PS_NAME_MAX 48         /* model names, parameter names */

/* How a task is evaluated after every epoch. */
typedef enum ps_eval_kind {
    PS_EVAL_TEST = 0,    /* train on all n_train pairs, evaluate on the n_test test pairs */
    PS_EVAL_KFOLD = 1,   /* train on folds != fold of the n_train pairs, validate on fold */
    PS_EVAL_HOLDOUT = 2, /* the last `holdout` of the n_train pairs validate, the rest train
                            (report 002: 900 train / 100 validation) */
} ps_eval_kind;

/* Everything that defines a task. Two equal configs give bit-identical results. The
 * hyper-parameters of a model's grid (batch_size, lr, momentum, use_bn, aux_weight,
 * weight_decay and those added since) are declared in hparams.h. */
typedef struct ps_train_config {
    char model[PS_NAME_MAX];   /* a name of the zoo (pairsweep models) */
    int32_t use_bn;            /* -1: the model's default, 0: off, 1: on (where it has BN) */
    int32_t epochs;
    int32_t batch_size;
    float lr;
    float momentum;            /* 0: plain SGD */
    int32_t nesterov;          /* 0/1 */
    float weight_decay;
    int32_t lr_step_epoch;     /* 0: constant lr; else lr *= lr_step_gamma from this epoch on
                                  (report 002: 15 and 0.1) */
    float lr_step_gamma;
    float aux_weight;          /* weight of each digit loss in target + w·(digit1 + digit2);
                                  used by models with auxiliary losses */
    uint64_t seed;             /* pairs, folds, initialisation, batch order */
    int32_t n_train, n_test;   /* pairs from MNIST's training and test sets */
    ps_eval_kind eval;
    int32_t folds, fold;       /* PS_EVAL_KFOLD: k and the validation fold */
    int32_t holdout;           /* PS_EVAL_HOLDOUT: number of validation pairs */
    ps_nn_kernels kernels;     /* how, not what: the same results up to rounding (nn.h), so
                                  neither in a task's id nor in its stored config */
    int32_t keep_outcomes;     /* 1: the result carries the per-example outcomes of the last
                                  epoch's evaluation (racing); more output, not another
                                  training, so not in a task's id either */
    int32_t eval_last;         /* 1: evaluate only after the last epoch (the other epochs'
                                  eval_loss and eval_acc are NaN), to time the training alone
                                  (`pairsweep train --eval last`); neither in a task's id nor
                                  in its stored config: sweeps always evaluate every epoch */
    PS_HPARAMS_ADDED(PS_HP_FIELD) /* hyper-parameters added after the first six */
} ps_train_config;

/* Fills cfg with the defaults: every hyper-parameter's (hparams.h: batch 100, lr 0.01,
 * momentum 0.9, use_bn -1, aux_weight 1, no weight decay), 25 epochs, no Nesterov, constant lr,
 * seed 0, 1000/1000 pairs, PS_EVAL_TEST, PS_NN_KERNELS_AUTO, evaluation every epoch. */
void ps_train_config_default(ps_train_config *cfg);

/* The statuses of a finished task, as X(constant, value, name): the one list of them. The C
 * enum below and the HDF5 enum type of the results file's status columns (src/store/h5io.c,
 * where h5dump and h5py show the names) are both made from it, so adding a status is adding
 * one line here; a value missing from the HDF5 enum could not be stored. Values are stored:
 * never renumber one. */
#define PS_TASK_STATUSES(X)                                                                   \
    X(PS_TASK_DONE, 0, "done")                                                                \
    X(PS_TASK_DIVERGED, 1, "diverged") /* a loss became NaN or infinite: curves stop there */ \
    X(PS_TASK_FAILED, 2, "failed")     /* an error (reason says which) */                     \
    X(PS_TASK_PRUNED, 3, "pruned")     /* never run: its grid point was dropped by a race */

/* Status of a finished task. */
typedef enum ps_task_status {
#define PS_STATUS_ENUM(constant, value, name) constant = value,
    PS_TASK_STATUSES(PS_STATUS_ENUM)
#undef PS_STATUS_ENUM
} ps_task_status;

/* One named tensor of a model's state (parameters, then buffers such as running statistics),
 * named and laid out as PyTorch's state_dict would name them ("conv1.weight" as
 * out×in×kh×kw, "bn1.running_mean", ...). */
typedef struct ps_state_view {
    char name[PS_NAME_MAX];
    int32_t ndim;
    int32_t shape[4];
    size_t offset;             /* into ps_train_result.state */
    size_t count;              /* product of shape */
    int32_t trainable;         /* 1 for parameters, 0 for buffers */
} ps_state_view;

/* What a task produces. Curves have `epochs` entries; after divergence the remaining
 * entries are NaN. */
typedef struct ps_train_result {
    ps_task_status status;
    char reason[128];          /* empty when done */
    int32_t epochs;
    float *train_loss;         /* (epochs) mean training loss of the epoch (the loss optimised) */
    float *train_acc;          /* (epochs) training accuracy of the epoch (target task) */
    float *eval_loss;          /* (epochs) validation or test loss (target cross-entropy) */
    float *eval_acc;           /* (epochs) validation or test accuracy */
    double wall_seconds;
    int32_t n_views;
    ps_state_view *views;      /* (n_views) */
    size_t n_state;
    float *state;              /* (n_state) final parameters then buffers */
    int32_t n_outcomes;        /* evaluation pairs, when config keep_outcomes; else 0 */
    uint8_t *outcomes;         /* (n_outcomes) 1 where the last epoch's evaluation classified
                                  the pair correctly (the pairs in the task's order); NULL
                                  without keep_outcomes or after divergence */
} ps_train_result;

/* Called after every epoch (may be NULL); returning non-zero stops training (PS_EINTR). */
typedef int (*ps_epoch_cb)(void *user, int32_t epoch, const ps_train_result *partial);

/* Runs one task on MNIST m. Returns 0 when the task ran (result->status tells DONE or
 * DIVERGED), or a negative code with err set for a bad config (unknown model, batch size
 * larger than the training set, ...) or out of memory; then result is zeroed. The caller
 * frees result with ps_train_result_free. */
int ps_train_run(ps_train_result *result, const ps_train_config *cfg, const ps_mnist *m,
                 ps_epoch_cb cb, void *user, ps_err *err);

void ps_train_result_free(ps_train_result *result);

/* The pairs a task of cfg trains and is evaluated on, as ps_train_run makes them: fit (the
 * pairs it trains on), val (the validation fold or holdout; n 0 under PS_EVAL_TEST) and test
 * (the n_test test pairs, drawn whatever the evaluation), all normalised with the mean and
 * standard deviation of fit (returned in *mean, *std). Returns 0 (the caller frees the three
 * with ps_pairs_free) or a negative code with err set; then nothing needs freeing. The sizes
 * of cfg must be valid (ps_train_run checks them). */
int ps_train_sets(ps_pairs *fit, ps_pairs *val, ps_pairs *test, float *mean, float *std,
                  const ps_train_config *cfg, const ps_mnist *m, ps_err *err);

/* The state views a config's model would have (names, shapes, offsets), without training:
 * *views is malloc'ed (caller frees), *n_state receives the total float count. */
int ps_train_state_views(ps_state_view **views, int32_t *n_views, size_t *n_state,
                         const ps_train_config *cfg, ps_err *err);

/* Estimated cost of a task in FLOPs (training forward+backward per sample × epochs × pairs,
 * plus evaluation), used to order tasks longest first and to respect deadlines. */
double ps_train_cost_flops(const ps_train_config *cfg);

#endif
