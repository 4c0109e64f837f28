/* pairsweep tests — TEST FIXTURES: synthetic tasks and training results written through the
 * store API, with realistic but made-up numbers (no training is run), and the temporary
 * directory and 20-task plan that the store tests (test_store.c, test_store_crash.c) share.
 * Used by the store and report tests and by the fixture generator; never by the program
 * itself. */
#ifndef PAIRSWEEP_TESTS_STORE_FIXTURE_H
#define PAIRSWEEP_TESTS_STORE_FIXTURE_H

#include "pairsweep/store.h"

/* A synthetic result: `epochs` epochs whose final test accuracy is acc_final, a training loss
 * decaying from 0.7, and a small state of two views ("conv1.weight" 4×2×3×3 trainable,
 * "bn1.running_mean" 4 buffer) filled from `salt`. Free with ps_train_result_free-like
 * fixture_result_free. */
void fixture_result(ps_train_result *r, int32_t epochs, float acc_final, float loss_final,
                    unsigned salt);
void fixture_result_free(ps_train_result *r);

/* A task of the given identity; its id is derived from (phase, model, grid, fold, rep). */
void fixture_task(ps_task *t, int32_t phase, const char *model, int32_t model_index,
                  int32_t grid, int32_t fold, int32_t rep);

/* The root metadata of a fixture study named name with job text text. */
void fixture_meta(ps_store_meta *m, const char *name, const char *text, int32_t planned);

/* The job texts of the store tests: JOB_B is another job than JOB_A. */
extern const char JOB_A[];
extern const char JOB_B[];

/* The fixture plan: 2 models × 2 grid points × 3 folds, then 4 reps of grid 1. */
#define N_PLAN 20

/* Plan task i (0 <= i < N_PLAN) of the fixture plan. */
void plan_task(ps_task *t, int i);

/* Adds the result of plan task i to s (task 5 diverged with NaN curves from epoch 3); the
 * status of ps_store_add goes to *rc, its message to err. */
void add_plan_result(ps_store *s, int i, ps_err *err, int *rc);

/* Runs tests/report/SCRIPT ARGS with $PS_PYTHON (an h5py check of a file); its exit status. */
int fixture_python(const char *script, const char *args);

/* Creates the tests' temporary directory /tmp/ps_test_store_XXXXXX; exits on failure.
 * fixture_cleanup removes it with everything in it. */
void fixture_setup(void);
void fixture_cleanup(void);

/* The path of name inside the temporary directory; the result stays valid for the next 7
 * calls (8 buffers in turn). */
const char *tpath(const char *name);

#endif
