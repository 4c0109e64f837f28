/* The run of a study, inside src/sweep: rank 0's side (the master: scheduler, results file,
 * progress) and the drivers that move tasks and results (one process, or MPI).
 *
 *   study.c         ps_sweep_run: start-up, the job, the results file, which driver
 *   master.c        rank 0, whatever the transport: events to the scheduler, results to the
 *                   store (group commit), progress and messages
 *   record.c        rows to the store: /grid, /models, /plan, /selection; resume
 *   local_driver.c  one process: rank 0 runs every task itself
 *   mpi_driver.c    MPI: start-up, the master's loop, the worker's loop (the only mpi.h user)
 *   execute.c       one task in this process (a worker's, or rank 0's alone)
 *   sched.c, sched_progress.c  the scheduling rules (include/pairsweep/sched.h) */
#ifndef PAIRSWEEP_SWEEP_INTERNAL_H
#define PAIRSWEEP_SWEEP_INTERNAL_H

#include "pairsweep/sched.h"
#include "pairsweep/store.h"
#include "pairsweep/sweep.h"

/* ---- one task in this process (execute.c) ------------------------------------------------ */

typedef struct ps__run {
    ps_train_result r;         /* the result (a FAILED one when the run failed) */
    int interrupted;           /* the callback gave the task up: r is empty */
    int owned;                 /* how r is freed: 0 nothing, 1 train result, 2 failed result */
} ps__run;

/* Runs task t (cb may give it up between epochs). A run that fails becomes a FAILED result
 * with NaN curves and the reason. Free with ps__run_free. */
void ps__run_task(ps__run *x, const ps_task *t, const ps_mnist *mn, ps_epoch_cb cb, void *user);

/* A FAILED result without curves for cfg saying why (for a worker out of memory). */
void ps__run_failed(ps__run *x, const ps_train_config *cfg, const char *why);

void ps__run_free(ps__run *x);

/* ---- rank 0 (master.c) ------------------------------------------------------------------- */

#define PS__PEND_MAX PS_STORE_GROUP_MAX

/* A result appended to the store (ps_store_append) but not yet durable: it is counted as
 * stored and reported only once ps_store_sync has returned (group commit). */
typedef struct ps__pending {
    int32_t phase, status;
    char event[320];
} ps__pending;

#define PS__SIGNAL_MERGE 2.0

typedef struct ps__master {
    const ps_sweep_opts *o;
    const ps_job *job;
    ps_err *err;
    uint8_t *mask;             /* (n_groups) the groups of this shard */
    ps_sched *sched;
    ps_store *store;
    int32_t stored[3];         /* tasks durable in the file, per phase (select, final,
                                  audit) */
    int32_t ran;               /* tasks run (and stored) by this run */
    int32_t diverged, failed, pruned; /* in the file */
    int32_t signals;           /* signals seen (the count in o->stop already read) */
    double first_signal;       /* when the first was seen */
    ps__pending *pend;         /* (PS__PEND_MAX) appended, not yet synced */
    int32_t n_pend;
    ps_sweep_best *best;       /* (n_models) for the progress callback */
    char event[320];           /* an event not reported yet */
    double last_progress;
    int failed_rc;             /* the first error that stopped the run (0: none) */
    int32_t hung;              /* workers retired after a task timeout */
    int ending;                /* *o->ending was seen: stop now, wait for no worker */
} ps__master;

/* Rank 0 for a job with `workers` task slots, started at time t0: the shard's groups and the
 * scheduler (its selection tasks planned, nothing queued). 0 or a negative code with err. */
int ps__master_init(ps__master *m, const ps_sweep_opts *o, const ps_job *job, int32_t workers,
                    double t0, ps_err *err);
void ps__master_free(ps__master *m);

/* Starts the scheduler (after ps__record_resume) and acts on its events: the groups whose
 * selection the file completes get their /selection rows and final tasks. */
int ps__master_start(ps__master *m);

/* Passes new stop requests and the time to the scheduler and acts on its events. A signal
 * seen less than PS__SIGNAL_MERGE s after the first is the same request delivered twice (under
 * SLURM, scancel signals rank 0 and the batch shell, which forwards it), not a second one.
 * Returns how many workers (written to abandon[0 .. cap)) must give their task up now. */
int32_t ps__master_tick(ps__master *m, int32_t *abandon, int32_t cap);

/* The workers whose task ran past its time limit (ps_sched_timeouts): each task is recorded
 * as FAILED "timeout after N s on rank R" (worker w is rank w + rank_offset), the worker is
 * retired for good and m->hung counts it. Returns how many (written to retired[0 .. cap));
 * a record that fails stops the run (ps__master_fail). */
int32_t ps__master_timeouts(ps__master *m, int32_t *retired, int32_t cap, int32_t rank_offset);

/* Free worker w asks for work (ps_sched_next, then the events it caused). */
ps_sched_answer ps__master_next(ps__master *m, int32_t w, ps_task *task);

/* Worker w's task ended (x: its result, or given up): the scheduler learns it at once (w is
 * free again); *done gets the task, for ps__master_record. */
int ps__master_result(ps__master *m, int32_t w, const ps_train_result *r, int interrupted,
                      ps_task *done);

/* Stores task t's result from rank `rank` (group: appended, made durable by a later commit;
 * else synced at once) and acts on the scheduler's events; an interrupted task only gets a
 * message. Errors stop the run (ps__master_fail) and are returned. */
int ps__master_record(ps__master *m, const ps_task *t, const ps_train_result *r, int interrupted,
                      int32_t rank, int group);

/* Stores selection task t as pruned by a race (no curves, no weights; reason says why), with
 * group commit like a result; no line is reported for it. */
int ps__master_store_pruned(ps__master *m, const ps_task *t, const char *reason);

/* Makes every appended result durable (one sync), then counts and reports them in order.
 * A failed sync stops the run; the results it lost run again on resume. */
int ps__master_commit(ps__master *m);

/* The pending results waiting for ps__master_commit. */
int32_t ps__master_pending(const ps__master *m);

/* Stops the run on error rc (0: nothing); the first error is kept. */
void ps__master_fail(ps__master *m, int rc);

/* Reports progress (at most once a second unless force), after committing what waits. */
void ps__master_progress(ps__master *m, int force);

/* Reports a one-line event (printf format) at once. */
void ps__master_event(ps__master *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the results file (record.c) --------------------------------------------------------- */

/* The /grid, /models and /plan tables (a resumed file keeps its own). */
int ps__record_tables(ps__master *m);

/* What the file at path already holds: counted, marked stored in the scheduler (a task of a
 * model this run does not plan is PS_ESTATE). */
int ps__record_resume(ps__master *m, const char *path);

/* Group grp's selection is complete: one /selection row per model of the group; chosen gets
 * a one-line summary of the choices. */
int ps__record_selection(ps__master *m, int32_t grp, char *chosen, size_t cap);

/* A race dropped grid points (ps_sched_drops entries first .. first + count − 1): for each, a
 * /race row and its pruned tasks, except what the file holds already (a resumed race: a
 * point's /race row was stored before its first pruned task). line gets a one-line summary,
 * "" when nothing was new. */
int ps__record_drops(ps__master *m, int32_t first, int32_t count, char *line, size_t cap);

/* ---- drivers ----------------------------------------------------------------------------- */

/* One process: rank 0 runs the tasks itself until the hand-out ends. */
int ps__local_run(ps__master *m, const ps_mnist *mn);

/* MPI start-up: MPI_Init unless initialised (*inited says whether it was), rank and size. */
int ps__mpi_start(int *rank, int *ranks, int *inited, ps_err *err);

/* MPI_Finalize unless MPI was initialised before ps__mpi_start, or unless abandoned: rank 0
 * left workers that stopped answering (finalising would wait for them; ps_sweep_end ends the
 * MPI job instead), or the launcher is ending the job (it kills the workers). */
void ps__mpi_finish(int inited, int abandoned);

/* Every rank gets rank 0's job (rank 0 passes job_rc, the result of reading it, and the
 * MNIST directory) and loads MNIST; an error on any rank fails all of them (rank 0's err
 * names the rank). On failure nothing is left allocated. */
int ps__mpi_setup(int rank, int ranks, int job_rc, const char *mnist_dir, ps_job *job,
                  ps_mnist *mn, ps_err *err);

/* Rank 0 with ranks − 1 workers: hands tasks out and collects results until the hand-out ends
 * and every worker is idle, then ends the workers' loops; when the launcher is ending the job
 * (m->ending), returns at once instead, leaving the workers to it. */
int ps__mpi_master(ps__master *m, int32_t ranks);

/* Rank 0 cannot run the study: waits for every worker's READY and ends its loop. */
void ps__mpi_release(int32_t ranks);

/* A worker rank: runs the tasks rank 0 sends until it says stop; *ran counts them. */
int ps__mpi_worker(const ps_mnist *mn, int32_t *ran);

#endif
