/* pairsweep — the study: the task plan of a job, the selection of the best setups, the order
 * of the work, and the MPI master/worker run into one resumable results file.
 *
 * Phase select: every model × grid point × repetition × fold (k-fold) or × repetition
 * (holdout). Phase final: the best `final.best` setups of each group (by mean validation
 * accuracy over their selection tasks; ties go to the earlier model, then the lower grid
 * point) × `final.seeds` seeds, trained on all training pairs, tested on the test pairs. A
 * group's final tasks are planned as soon as its own selection is complete. */
#ifndef PAIRSWEEP_SWEEP_H
#define PAIRSWEEP_SWEEP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "pairsweep/common.h"
#include "pairsweep/job.h"
#include "pairsweep/task.h"

/* ---- task identity ---------------------------------------------------------------------- */

/* Writes the canonical text of a config (every field that changes the result, floats printed
 * so that they read back exactly) into buf; returns its length, or a negative code when cap
 * is too small. */
int ps_task_canonical(char *buf, size_t cap, const ps_train_config *cfg);

/* id = the first 16 hex characters of the SHA-256 of the canonical text. */
void ps_task_make_id(char id[PS_TASK_ID_LEN + 1], const ps_train_config *cfg);

/* ---- the plan --------------------------------------------------------------------------- */

/* Assigns every group of the job to one of n_shards shards (group_shard has n_groups
 * entries), balancing the estimated cost (longest group first onto the least loaded shard;
 * deterministic). A group is never split, so a shard can run its groups' final phase. Fails
 * with PS_EINVAL when n_shards exceeds the number of groups. */
int ps_plan_shards(int32_t *group_shard, const ps_job *job, int32_t n_shards, ps_err *err);

/* All selection tasks of the models whose group has group_mask[g] != 0 (NULL: every group),
 * in the order model, grid point, repetition, fold. *tasks is malloc'ed (caller frees).
 * Fails with PS_EINVAL if two tasks would have the same id. */
int ps_plan_select(ps_task **tasks, int32_t *n, const ps_job *job, const uint8_t *group_mask,
                   ps_err *err);

/* Racing's audit of a pruned selection task: the same training (config, outcomes kept) in
 * phase PS_PHASE_AUDIT, its id the first 16 hex of the SHA-256 of the pruned task's canonical
 * text followed by "audit=1\n" (so it never collides with a planned task's). */
void ps_plan_audit(ps_task *audit, const ps_task *pruned);

/* The final tasks of (model, grid point g): job->final_seeds tasks written to tasks. */
void ps_plan_final(ps_task *tasks, const ps_job *job, int32_t model, int32_t g);

/* How many final tasks a group will have when every grid point is eligible: its best
 * min(grid points, final.best) setups × final.seeds. */
int32_t ps_plan_group_finals(const ps_job *job, int32_t group);

/* Σ ps_plan_group_finals over the groups of group_mask (NULL: every group). */
int32_t ps_plan_final_count(const ps_job *job, const uint8_t *group_mask);

/* Estimated cost of a group's tasks (selection plus its final phase at its costliest grid
 * points), in FLOPs. */
double ps_plan_group_cost(const ps_job *job, int32_t group);

/* ---- the selection ---------------------------------------------------------------------- */

typedef struct ps_sel_stat {
    int32_t expected;          /* selection tasks of the grid point */
    int32_t n_done;            /* finished with status DONE */
    int32_t n_bad;             /* diverged or failed */
    double sum, sumsq;         /* of the DONE tasks' validation accuracy */
} ps_sel_stat;

typedef struct ps_selection {
    const ps_job *job;
    int32_t *offset;           /* (n_models) index of a model's first grid point in stat */
    ps_sel_stat *stat;         /* (Σ n_grid) */
    int32_t *pending;          /* (n_groups) selection tasks not finished; -1: not planned */
} ps_selection;

/* Prepares the tracker for the groups of group_mask (NULL: all). */
int ps_selection_init(ps_selection *s, const ps_job *job, const uint8_t *group_mask, ps_err *err);
void ps_selection_free(ps_selection *s);

/* Counts one finished selection task; returns its group's index when this task completes
 * the group's selection, else -1. */
int32_t ps_selection_add(ps_selection *s, const ps_task *t, int32_t status, float eval_acc);

/* 1 when every selection task of the group has finished. */
int ps_selection_group_complete(const ps_selection *s, int32_t group);

/* A model's best grid point: eligible points are those whose selection tasks all finished
 * DONE (a diverged or failed fold disqualifies the point); best = highest mean validation
 * accuracy, ties to the lower index. Returns 0, or -1 when no point is eligible. std is the
 * sample standard deviation (n - 1), 0 for one task. */
int ps_selection_best(const ps_selection *s, int32_t model, int32_t *grid, double *mean,
                      double *std, int32_t *n);

/* The setups of a group that go to the final phase: its best job->final_best eligible
 * (model, grid point) pairs, best first. Returns how many were written (≤ cap). */
int32_t ps_selection_final_setups(const ps_selection *s, int32_t group, int32_t *models,
                                  int32_t *grids, int32_t cap);

/* ---- the queue of work ------------------------------------------------------------------ */

typedef struct ps_queue {
    int32_t n, cap;
    ps_task *tasks;            /* (cap) */
    double *cost;              /* (cap) estimated FLOPs */
    int64_t *seq;              /* (cap) push order, to break ties */
    int64_t next_seq;
} ps_queue;

void ps_queue_init(ps_queue *q);
void ps_queue_free(ps_queue *q);

/* Adds a task (cost from ps_train_cost_flops). */
int ps_queue_push(ps_queue *q, const ps_task *t, ps_err *err);

/* Removes the costliest task whose cost is at most max_cost (ties: the earliest pushed) into
 * *out and returns 1; returns 0 when no task fits (or the queue is empty). */
int ps_queue_pop(ps_queue *q, double max_cost, ps_task *out, double *cost);

/* Σ of the costs of the queued tasks. */
double ps_queue_cost(const ps_queue *q);

/* ---- the run ---------------------------------------------------------------------------- */

/* A snapshot of the study, given to the progress callback on rank 0. */
typedef struct ps_sweep_best {
    const char *model;
    int32_t grid;              /* -1 while no grid point has all its folds */
    double mean;               /* mean validation accuracy of that grid point */
    int32_t selected;          /* 1 once the group's selection is complete */
} ps_sweep_best;

typedef struct ps_sweep_progress {
    int32_t done[3], total[3]; /* tasks stored / planned, per phase (select, final, audit;
                                  a pruned task counts as done) */
    int32_t running;           /* tasks on workers now */
    int32_t n_models;
    const ps_sweep_best *best; /* (n_models) */
    double elapsed, eta;       /* seconds; eta < 0 when unknown */
    const char *event;         /* what just happened, one line (no newline) */
} ps_sweep_progress;

typedef void (*ps_sweep_progress_cb)(void *user, const ps_sweep_progress *p);

typedef struct ps_sweep_opts {
    const char *job_path;
    const char *output;        /* NULL: results/NAME.h5, or results/NAME.shardI-of-N.h5 */
    const char *mnist_dir;     /* NULL: the job's data.mnist, else $PS_MNIST_DIR, else data/mnist */
    int restart;               /* replace a results file of another job */
    int audit;                 /* a raced study: also run its pruned tasks (racing's audit,
                                  as with the job's racing.audit); PS_EINVAL when the job does
                                  not race */
    int32_t shard, n_shards;   /* run shard `shard` (0-based) of n_shards; n_shards 0/1: all */
    double deadline;           /* seconds from the start; 0: none */
    double grace;              /* after a stop signal, seconds running tasks may finish */
    double rate;               /* FLOP/s per worker assumed before any task is measured */
    volatile sig_atomic_t *stop; /* set (non-zero) by a signal handler: stop handing out
                                    tasks; a second signal (stop >= 2) abandons running ones */
    volatile sig_atomic_t *ending; /* set (non-zero) by a signal handler when the launcher is
                                    ending the job and will kill every rank in a moment (Open
                                    MPI's mpirun, on SIGINT or SIGTERM: SIGTERM to the ranks,
                                    SIGKILL 1 s later): a stop at once, with no grace; rank 0
                                    waits for no worker, records the stop and closes the
                                    results file (may be NULL) */
    ps_sweep_progress_cb progress; /* rank 0 only; may be NULL */
    void *user;
} ps_sweep_opts;

/* How a run ended. */
typedef struct ps_sweep_summary {
    int32_t rank, ranks;       /* this process's MPI rank, the world size */
    char output[PS_PATH_MAX];  /* the results file (rank 0) */
    char job_name[PS_JOB_NAME_MAX];
    int complete;              /* every planned task is stored */
    int stopped;               /* a signal stopped the run */
    int deadline_hit;          /* tasks were left because of the deadline */
    int32_t planned, stored;   /* tasks planned, stored (now, in the file) */
    int32_t ran;               /* tasks run by this invocation */
    int32_t diverged, failed;  /* in the file */
    int32_t pruned;            /* in the file: selection tasks a race dropped (never run) */
    int32_t abandoned;         /* running tasks given up at the stop */
    int ended;                 /* opts->ending was set: the launcher is ending the MPI job (MPI
                                  is not finalised: the workers are being killed) */
    double elapsed;            /* wall seconds */
    double master_cpu;         /* rank 0's CPU seconds (user + system), start-up included */
    double loop_cpu, loop_wall;/* rank 0's CPU and wall seconds while it handed out tasks */
    double rate;               /* measured FLOP/s per worker (0 when nothing ran) */
    int32_t hung_ranks;        /* worker ranks that stopped answering: each one's task ran past
                                  its time limit and is stored as failed (timeout); the MPI job
                                  must be ended by ps_sweep_end */
} ps_sweep_summary;

/* Runs a study with MPI (initialising and finalising it; started without mpirun, the process
 * is a one-rank world and runs every task itself). Rank 0 reads the job, plans, hands tasks
 * to workers longest first, stores results as they arrive, resumes what the file already
 * holds, and stops cleanly on *opts->stop or at the deadline. Returns 0 when the run ended
 * normally (complete, or stopped/deadline with summary saying so), or a negative code with
 * err set (on rank 0; workers return the same code with a short message). */
int ps_sweep_run(const ps_sweep_opts *opts, ps_sweep_summary *summary, ps_err *err);

/* The last call of a run, once its summary is printed: when ranks were left hung
 * (summary->hung_ranks > 0; the results file is closed already) ends the whole MPI job with
 * MPI_Abort(status) — the one way to end a rank that does not answer; it does not return.
 * Otherwise returns at once. */
void ps_sweep_end(const ps_sweep_summary *summary, int status);

/* The plan without running it (for --dry-run): counts per phase and model and estimated
 * cost. No MPI, no file. */
typedef struct ps_sweep_plan_model {
    char name[PS_NAME_MAX];
    char group[PS_NAME_MAX];
    int32_t n_grid, n_select, n_final;
    double select_flops, final_flops;
    int32_t shard;             /* the shard that holds it (0 without shards) */
} ps_sweep_plan_model;

typedef struct ps_sweep_plan {
    int32_t n_models;
    ps_sweep_plan_model *models; /* (n_models) */
    int32_t n_select, n_final;
    double flops;              /* total estimated FLOPs */
} ps_sweep_plan;

int ps_sweep_plan_job(ps_sweep_plan *plan, const ps_job *job, int32_t n_shards, ps_err *err);
void ps_sweep_plan_free(ps_sweep_plan *plan);

/* The default output path of a job: results/NAME.h5 or results/NAME.shardI-of-N.h5 (I 1-based). */
void ps_sweep_default_output(char *buf, size_t cap, const ps_job *job, int32_t shard,
                             int32_t n_shards);

/* ---- a stored task ------------------------------------------------------------------------ */

struct ps_results; /* store.h */

/* The task id of the results r read from path (ps_results_read), its config planned again from
 * the job text stored in the file, so that it is exactly what the task ran with. On success
 * *job holds the parsed job (the caller frees it with ps_job_free) and *task the task.
 * PS_EINVAL when no row of /tasks has the id, PS_EFORMAT when the job text is missing or does
 * not plan it; then *job needs no freeing. */
int ps_sweep_find_task(ps_task *task, ps_job *job, const struct ps_results *r, const char *path,
                       const char *id, ps_err *err);

/* ---- results on the wire (rank 0 and the workers) ----------------------------------------- */

/* MPI tags of the master/worker protocol. */
enum { PS_SWEEP_TAG_READY = 11, PS_SWEEP_TAG_TASK, PS_SWEEP_TAG_RESULT, PS_SWEEP_TAG_ABORT,
       PS_SWEEP_TAG_STOP };

/* The head of a packed result; views, 4 curves (epochs each), state and outcomes follow,
 * 8-aligned. */
typedef struct ps_sweep_wire_head {
    char id[PS_TASK_ID_LEN + 1];
    int32_t interrupted;       /* the task was given up (ABORT); nothing else is valid */
    int32_t status;
    char reason[128];
    int32_t epochs;
    int32_t n_views;
    uint64_t n_state;
    double wall_seconds;
    int32_t n_outcomes;        /* per-example outcomes (racing), bytes after the state */
} ps_sweep_wire_head;

/* Packs task id's result into one malloc'ed buffer of *len bytes (NULL when out of memory);
 * with interrupted set, only the id and the flag are sent. All ranks run the same binary. */
void *ps_sweep_result_pack(size_t *len, const char *id, const ps_train_result *r,
                           int interrupted);

/* Reads a packed result: *h gets the head, *r views of buf (pointers into it: free buf, not
 * r). Returns 0, or -1 when len disagrees with the head. */
int ps_sweep_result_unpack(ps_train_result *r, ps_sweep_wire_head *h, char *buf, size_t len);

#endif
