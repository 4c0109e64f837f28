/* pairsweep — a task of a study: one training run of the plan (phase, model, grid point, fold
 * or repetition) and its identity. Shared by sweep (which plans and runs tasks) and store
 * (which records them). */
#ifndef PAIRSWEEP_TASK_H
#define PAIRSWEEP_TASK_H

#include <stdint.h>

#include "pairsweep/train.h"

typedef enum ps_phase {
    PS_PHASE_SELECT = 0, /* grid point × CV fold (or holdout repetition) */
    PS_PHASE_FINAL = 1,  /* chosen grid point × seed, evaluated on the test pairs */
    PS_PHASE_AUDIT = 2,  /* racing's audit: a pruned selection task run afterwards */
} ps_phase;

#define PS_TASK_ID_LEN 16 /* hex characters of a task id */

typedef struct ps_task {
    char id[PS_TASK_ID_LEN + 1]; /* first 16 hex of SHA-256 of the canonical description */
    int32_t phase;               /* ps_phase */
    int32_t model;               /* index of the model in the job */
    int32_t grid;                /* index of the grid point within the model's grid */
    int32_t fold;                /* CV fold, or -1 */
    int32_t rep;                 /* repetition (seed number) within the phase */
    ps_train_config cfg;         /* everything the training needs */
} ps_task;

#endif
