/* pairsweep — job files: a study described in YAML (the files of jobs/), read with libyaml.
 *
 * A job names the data, the protocol (k-fold or holdout selection, then a final phase on the
 * test pairs), the optimizer and schedule, and the models, each with a grid of
 * hyper-parameters (the cartesian product of its value lists). docs/job-format.md is the
 * reference of every key. Every error names the file, the line and what was expected. */
#ifndef PAIRSWEEP_JOB_H
#define PAIRSWEEP_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "pairsweep/common.h"
#include "pairsweep/data.h"
#include "pairsweep/hparams.h"
#include "pairsweep/race.h"
#include "pairsweep/train.h"

#define PS_JOB_MAX_VALUES 64    /* values of one grid key */
#define PS_JOB_MAX_MODELS 256
#define PS_JOB_MAX_GRID 10000   /* grid points of one model */
#define PS_JOB_MAX_TASKS 200000 /* selection tasks of a job */
/* The bounds of a whole plan, checked from the job before anything is planned (ps_job_size):
 * tasks of both phases, and the bytes of results (curves and weights) it would store. */
#define PS_JOB_MAX_PLAN_TASKS 1000000
#define PS_JOB_MAX_RESULT_BYTES ((int64_t)64 << 30) /* 64 GiB */
#define PS_JOB_NAME_MAX 64

/* The grid keys of a model are the hyper-parameters of hparams.h (ps_axis, in the order that
 * numbers grid points; ps_axis_name gives a key). */

typedef struct ps_job_axis {
    int32_t n;                       /* number of values, >= 1 */
    double v[PS_JOB_MAX_VALUES];     /* (n) the values */
    int32_t line;                    /* line of the key in the file, 0 when defaulted */
} ps_job_axis;

typedef struct ps_job_model {
    char name[PS_NAME_MAX];          /* a model of the zoo */
    char group[PS_NAME_MAX];         /* selection group (default: the model's name) */
    int32_t group_index;             /* index into ps_job.groups */
    int32_t line;                    /* line of the model's name */
    ps_job_axis axis[PS_N_AXES];
    int32_t n_grid;                  /* product of the axes' sizes */
} ps_job_model;

/* protocol.racing (docs/job-format.md, "Racing"): off unless the key is given. */
typedef struct ps_job_racing {
    int32_t on;                      /* 1: the selection of every group is raced */
    ps_race_test test;               /* default PS_RACE_MCNEMAR */
    double alpha;                    /* default 0.05 */
    ps_race_correction correction;   /* default PS_RACE_HOLM */
    int32_t min_folds;               /* rounds run by every point before any is dropped;
                                        default 2 */
    int32_t audit;                   /* 1: run the pruned tasks afterwards (low priority) */
    int32_t line;                    /* line of the key, 0 when not given */
} ps_job_racing;

/* A whole job, as read from its file. Everything is owned by the job (ps_job_free). */
typedef struct ps_job {
    char path[PS_PATH_MAX];          /* the file it came from */
    char *text;                      /* the file's full text, NUL-terminated */
    size_t text_len;
    char sha256[65];                 /* SHA-256 of text */
    char name[PS_JOB_NAME_MAX];      /* results go to results/NAME.h5 */
    char mnist_dir[PS_PATH_MAX];     /* "" when the job does not say */
    int32_t n_train, n_test;         /* pairs per task */
    int32_t epochs;
    uint64_t seed;                   /* base seed of every task seed */
    int32_t nesterov;
    int32_t lr_step_epoch;           /* 0: constant lr */
    float lr_step_gamma;
    ps_eval_kind select_eval;        /* PS_EVAL_KFOLD or PS_EVAL_HOLDOUT */
    int32_t folds;                   /* k of k-fold */
    int32_t holdout;                 /* validation pairs of the holdout protocol */
    int32_t select_reps;             /* repetitions of the selection (new pairs and init) */
    int32_t final_seeds;             /* seeds of the final phase; 0: no final phase */
    int32_t final_best;              /* setups per group that go to the final phase */
    double task_timeout;             /* protocol.task_timeout: seconds a task may run on an MPI
                                        worker before it is failed; 0: derived (sched.h) */
    ps_job_racing racing;            /* protocol.racing */
    int32_t n_models;
    ps_job_model *models;            /* (n_models) */
    int32_t n_groups;
    char (*groups)[PS_NAME_MAX];     /* (n_groups) group names, in order of first use */
    int32_t line_models;             /* line of the models key */
} ps_job;

/* What a job's plan holds and would store, computed from the job alone (no task planned). */
typedef struct ps_job_size {
    int64_t select_tasks;
    int64_t final_tasks;             /* the most: every group with final.best eligible setups */
    int64_t curves_bytes;            /* tasks × epochs × 4 curves × 4 bytes */
    int64_t weights_bytes;           /* Σ over tasks of its net's state (parameters and
                                        buffers) × 4 bytes; a final task counted at its
                                        group's largest net */
} ps_job_size;

/* Parses a job from text (len bytes, need not be NUL-terminated); path names it in messages
 * and gives the default job name (its base name without extension). Checks the syntax, the
 * keys, the types and the ranges (epochs >= 1, lr > 0, batch size <= training pairs of a
 * task, folds >= 2, no duplicate model or grid value, ...), but not that the models exist:
 * see ps_job_check_models. On error returns PS_EINVAL with err = "PATH:LINE: what was
 * expected" and job untouched. */
int ps_job_parse(ps_job *job, const char *text, size_t len, const char *path, ps_err *err);

/* Reads path and parses it (a missing file is PS_EIO; an empty or binary file PS_EINVAL). */
int ps_job_load(ps_job *job, const char *path, ps_err *err);

/* Asks the model zoo about every model of the job: an unknown name, a bn value the model
 * cannot take (it has no switchable BatchNorm), or several aux_weight values for a model
 * without auxiliary loss is PS_EINVAL with the line of the offending key. */
int ps_job_check_models(const ps_job *job, ps_err *err);

/* The size of job's plan and results into *out, from the job alone (a net is built once per
 * model and bn value to count its state). The models must exist (ps_job_check_models).
 * Returns 0, or PS_EINVAL with err set when a net cannot be built. */
int ps_job_size_of(ps_job_size *out, const ps_job *job, ps_err *err);

/* ps_job_size_of, then the bounds: more than PS_JOB_MAX_PLAN_TASKS tasks or
 * PS_JOB_MAX_RESULT_BYTES bytes of results is PS_EINVAL "PATH:LINE: models: ..." with the
 * numbers. Called by ps_job_check_models: every run and --dry-run checks it before planning.
 * out may be NULL. */
int ps_job_check_size(const ps_job *job, ps_job_size *out, ps_err *err);

void ps_job_free(ps_job *job);

/* The value index of each key for grid point g of model m (idx has PS_N_AXES entries). */
void ps_job_grid_index(int32_t idx[PS_N_AXES], const ps_job_model *m, int32_t g);

/* The training config of grid point g of model m, everything but the seed and the evaluation
 * (seed 0, PS_EVAL_TEST): hyper-parameters, epochs, schedule, data sizes. */
void ps_job_config(ps_train_config *cfg, const ps_job *job, int32_t m, int32_t g);

/* Seeds of the tasks. A selection repetition's seed is shared by every model and grid point
 * (so that they are compared on the same pairs and folds); a final repetition's seed is
 * shared by every model (so that models are paired by seed). */
uint64_t ps_job_select_seed(const ps_job *job, int32_t rep);
uint64_t ps_job_final_seed(const ps_job *job, int32_t rep);

/* Training pairs of one selection task (n_train minus the validation part; with k-fold, of
 * the task whose validation fold is the largest). */
int32_t ps_job_select_train_pairs(const ps_job *job);

/* Selection tasks per repetition of a grid point: k under k-fold, 1 under holdout. */
int32_t ps_job_select_folds(const ps_job *job);

/* Selection tasks per grid point: repetitions × ps_job_select_folds. */
int32_t ps_job_select_per_point(const ps_job *job);

/* The round of a selection task (racing): rep × ps_job_select_folds + fold (k-fold), or rep
 * (holdout); the rounds of a grid point are 0 .. ps_job_select_per_point − 1, in plan order. */
int32_t ps_job_select_round(const ps_job *job, int32_t rep, int32_t fold);

/* The parameters of the job's race (race.h): its test, alpha and min_folds, and the
 * validation/training ratio of a selection task (1/(k − 1) for k-fold, holdout/(n_train −
 * holdout) for holdout). */
void ps_job_race_params(ps_race_params *p, const ps_job *job);

#endif
