/* pairsweep — a task of a study: one training run of the plan (phase, model, grid point, fold
 * or repetition) and its identity. Shared by sweep (which plans and runs tasks) and store
 * (which records them). */
#ifndef PAIRSWEEP_TASK_H
#define PAIRSWEEP_TASK_H

#include <stdint.h>

#include "pairsweep/train.h"

/* The phases of a study, as X(constant, value, name): the one list of them, which makes the C
 * enum below and the HDF5 enum type of the results file's phase columns (src/store/h5io.c).
 * Values are stored: never renumber one. */
#define PS_PHASES(X)                                                                         \
    X(PS_PHASE_SELECT, 0, "select") /* grid point × CV fold (or holdout repetition) */       \
    X(PS_PHASE_FINAL, 1, "final")   /* chosen grid point × seed, evaluated on the test pairs */ \
    X(PS_PHASE_AUDIT, 2, "audit")   /* racing's audit: a pruned selection task run afterwards */

typedef enum ps_phase {
#define PS_PHASE_ENUM(constant, value, name) constant = value,
    PS_PHASES(PS_PHASE_ENUM)
#undef PS_PHASE_ENUM
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
