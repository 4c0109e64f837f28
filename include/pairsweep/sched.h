/* pairsweep — the scheduling rules of a study, apart from any transport.
 *
 * A ps_sched decides which task a free worker gets (the costliest queued task, among those
 * that fit before the deadline), when a group's final phase is planned (the moment its own
 * selection is complete, from the selection's results), what a stop request or the deadline
 * does (no more hand-out; running tasks finish within the grace period, or are given up), and
 * the progress and ETA.
 *
 * It is a deterministic state machine: it reads no clock (every call that depends on time
 * takes `now`, seconds on one clock of the caller's choice), does no I/O and knows nothing of
 * MPI or of the results file. A driver feeds it events — a worker is free (ps_sched_next), a
 * result arrived (ps_sched_result), a stop request (ps_sched_signal), the time is now
 * (ps_sched_tick) — and acts on its answers and on the events it queues (ps_sched_poll):
 * running one process (one worker) or master/worker over MPI (one worker per rank). Workers
 * are numbered 0 .. workers − 1; a worker holds at most one task.
 *
 * Life of a scheduler: ps_sched_create (plans the selection tasks), ps_sched_mark_stored for
 * each task the results file already holds (resume), ps_sched_start (queues what is left),
 * then events until ps_sched_next answers PS_SCHED_END for every worker and none is busy.
 *
 * Racing (the job's protocol.racing; docs/job-format.md "Racing" gives the reasoning). A
 * grid point's selection tasks are its rounds (ps_job_select_round: fold f of repetition r is
 * round r × k + f). The selection tasks of a raced group are queued round by round: round
 * r + 1 of the group only once round r of every grid point of the group has finished (a
 * dropped point's tasks are finished: pruned). Other groups' tasks and final tasks fill the
 * workers meanwhile. When a round of a group is complete the scheduler decides: a surviving
 * point with a diverged or failed task is dropped as ineligible; once racing.min_folds rounds
 * are complete (and rounds remain), the surviving points are compared with ps_race_decide
 * (race.h) on the per-example outcomes of the completed rounds, leader the most correct
 * (ties: the earlier model, the lower grid point), each other point one-sided against it,
 * Holm across them, adjusted p < alpha dropped. A dropped point's remaining tasks become
 * pruned (finished without running; the point is no longer eligible), the decision is logged
 * (ps_sched_drops) and a PS_SCHED_EV_PRUNED event tells the driver, which stores them. Each
 * decision depends only on the outcomes of the completed rounds (ps_sched_outcome.correct,
 * ps_sched_mark_outcomes on resume): never on arrival order or the number of workers, and
 * ps_sched_start replays the decisions of what the file holds. The selection among the
 * survivors is the same as without racing. With audit (racing.audit, or opts.audit) the
 * pruned tasks of a group whose selection is complete are planned again as audit tasks
 * (phase PS_PHASE_AUDIT, ps_plan_audit), handed out only when no other task is queued. */
#ifndef PAIRSWEEP_SCHED_H
#define PAIRSWEEP_SCHED_H

#include <stdint.h>

#include "pairsweep/common.h"
#include "pairsweep/job.h"
#include "pairsweep/race.h"
#include "pairsweep/sweep.h"
#include "pairsweep/task.h"

typedef struct ps_sched ps_sched;

typedef struct ps_sched_opts {
    const ps_job *job;         /* must outlive the scheduler */
    const uint8_t *group_mask; /* (n_groups) the groups to run (a shard); NULL: all; copied */
    int32_t workers;           /* task slots, >= 1 */
    double start;              /* the time of the start (progress counts elapsed from it) */
    double deadline;           /* no task may run after this time; 0: no deadline */
    double grace;              /* seconds running tasks may finish after a stop request */
    double rate;               /* FLOP/s per worker assumed until results measure it; <= 0:
                                  PS_SCHED_DEFAULT_RATE */
    double task_timeout;       /* seconds a task may run before ps_sched_timeouts names its
                                  worker; <= 0: derived (PS_SCHED_TIMEOUT_*) */
    int audit;                 /* run a raced study's pruned tasks afterwards, as with the
                                  job's racing.audit */
} ps_sched_opts;

#define PS_SCHED_DEFAULT_RATE 1.5e10
#define PS_SCHED_DEADLINE_MARGIN 1.25 /* a task starts only if cost / rate × margin fits */
/* A task's time limit unless opts.task_timeout says: max(factor × its estimated seconds at
 * the current rate, floor). */
#define PS_SCHED_TIMEOUT_FACTOR 10.0
#define PS_SCHED_TIMEOUT_FLOOR 600.0

/* The answer to a free worker. */
typedef enum ps_sched_answer {
    PS_SCHED_END,              /* nothing, ever: the hand-out is over for every worker */
    PS_SCHED_WAIT,             /* nothing now: a running task's result may bring more */
    PS_SCHED_TASK,             /* a task to run */
} ps_sched_answer;

/* How a task ended on its worker. */
typedef struct ps_sched_outcome {
    int32_t status;            /* ps_task_status: DONE, DIVERGED or FAILED */
    float eval_acc;            /* accuracy of the last epoch on the evaluation set; NaN: none */
    double wall_seconds;       /* the run's wall time: a DONE result measures the FLOP rate */
    int interrupted;           /* given up on request: not finished (it runs again on resume);
                                  the other fields are ignored */
    const uint8_t *correct;    /* (n_correct) a raced selection task's per-example outcomes
                                  (ps_train_result.outcomes); copied. NULL: none */
    int32_t n_correct;
} ps_sched_outcome;

/* What happened, for the driver to act on (store the selection, tell the user). */
typedef enum ps_sched_event_kind {
    PS_SCHED_EV_SELECTED,      /* group's selection is complete; its `count` final tasks are
                                  planned (those not stored yet are queued) */
    PS_SCHED_EV_STOP,          /* the first stop request: no more hand-out; running tasks may
                                  finish within the grace period */
    PS_SCHED_EV_DEADLINE,      /* the deadline is reached: running tasks are given up */
    PS_SCHED_EV_REFUSED,       /* none of the `count` queued tasks fits before the deadline: no
                                  more are started (reported once) */
    PS_SCHED_EV_PRUNED,        /* a race dropped `count` grid points of `group`: entries
                                  first .. first + count − 1 of ps_sched_drops */
} ps_sched_event_kind;

typedef struct ps_sched_event {
    ps_sched_event_kind kind;
    int32_t group;             /* SELECTED, PRUNED: the group; else -1 */
    int32_t count;             /* SELECTED: final tasks planned; REFUSED: tasks queued;
                                  PRUNED: grid points dropped */
    int32_t first;             /* PRUNED: the first of them in ps_sched_drops */
} ps_sched_event;

/* A grid point a race dropped, and why. */
typedef struct ps_sched_drop {
    int32_t model, grid;       /* the dropped point */
    int32_t round;             /* rounds complete at the decision */
    int32_t leader_model, leader_grid; /* -1 when dropped as ineligible */
    int32_t test;              /* ps_race_test; -1: ineligible (a diverged or failed task) */
    ps_race_verdict v;         /* the statistic, n, p and adjusted p (NaN when ineligible) */
    int32_t first_task;        /* its pruned tasks: ps_sched_select_tasks entries first_task
                                  .. first_task + n_tasks − 1 (rounds `round` onwards) */
    int32_t n_tasks;
} ps_sched_drop;

/* How the scheduling stands (at the end: how it ended). */
typedef struct ps_sched_status {
    int complete;              /* every planned task of both phases finished */
    int stopping;              /* the hand-out is over: stop request, deadline or halt */
    int stopped;               /* ... because of a stop request (not the deadline, no halt) */
    int deadline_hit;          /* the deadline refused a task or was reached */
    int halted;                /* ps_sched_halt was called */
    int32_t planned;           /* tasks planned: selection, plus final tasks (as planned for a
                                  selected group, as expected for the others) */
    int32_t finished[2];       /* planned tasks finished (stored or a result), per phase */
    int32_t queued, running, abandoned;
    int32_t retired;           /* workers retired by ps_sched_timeouts */
    int32_t pruned;            /* selection tasks a race pruned (finished without running) */
    int32_t audit_planned, audit_finished; /* audit tasks (counted in planned and complete) */
    double rate;               /* measured FLOP/s per worker; 0 before a measured result */
} ps_sched_status;

/* Plans the selection tasks of the job's groups of o->group_mask (ps_plan_select) and makes a
 * scheduler with o->workers free workers and nothing queued yet. Returns 0 with *out set, or
 * a negative code with err set (two tasks with one id, out of memory) and *out NULL. */
int ps_sched_create(ps_sched **out, const ps_sched_opts *o, ps_err *err);

/* Frees s (NULL: nothing). */
void ps_sched_free(ps_sched *s);

/* Before ps_sched_start: the results file holds task id of phase `phase` with this status and
 * last-epoch evaluation accuracy. A selection task of the plan counts towards its grid point;
 * a final task is not queued when its group's final phase is planned. An id seen before is
 * ignored: returns 1. Returns 0, PS_ESTATE after ps_sched_start, or PS_ENOMEM. */
int ps_sched_mark_stored(ps_sched *s, const char *id, int32_t phase, int32_t status,
                         float eval_acc);

/* Before ps_sched_start: the per-example outcomes (n bytes, copied) the results file holds for
 * selection task id of a raced study, from which ps_sched_start replays the race. Returns 0,
 * 1 when id is not a selection task of the plan (ignored), PS_ESTATE after ps_sched_start, or
 * PS_ENOMEM. */
int ps_sched_mark_outcomes(ps_sched *s, const char *id, const uint8_t *correct, int32_t n);

/* Queues the work: first the final tasks of each group whose selection the stored tasks
 * complete (in group order; each queues a PS_SCHED_EV_SELECTED event), then the selection
 * tasks not stored, in plan order. A raced group's race is first replayed from what was
 * marked (decisions, PS_SCHED_EV_PRUNED events; a group its pruning completes gets its final
 * tasks), then only its first open round is queued. Returns 0, PS_ESTATE when called twice,
 * or PS_ENOMEM with err set. */
int ps_sched_start(ps_sched *s, ps_err *err);

/* Free worker w asks for work at time now. PS_SCHED_TASK: *task (and *cost, its estimated
 * FLOPs, when cost is not NULL) is the costliest queued task whose cost fits before the
 * deadline at the current rate (ties: the earliest queued; audit tasks only when no other
 * queued task fits); w now runs it. Otherwise nothing
 * is handed out: PS_SCHED_END once the hand-out is over (a stop request, the deadline, a
 * halt, or nothing queued that fits while no task runs), else PS_SCHED_WAIT. The first time
 * the deadline refuses every queued task a PS_SCHED_EV_REFUSED event is queued. w must be
 * free (else PS_SCHED_END). */
ps_sched_answer ps_sched_next(ps_sched *s, int32_t w, double now, ps_task *task, double *cost);
/* (A worker retired by ps_sched_timeouts always gets PS_SCHED_END.) */

/* The time limit of the task worker w runs (seconds from its start): opts.task_timeout when
 * > 0, else max(PS_SCHED_TIMEOUT_FACTOR × its estimated seconds at the current rate,
 * PS_SCHED_TIMEOUT_FLOOR). 0 when w runs nothing. */
double ps_sched_task_limit(const ps_sched *s, int32_t w);

/* The workers whose task has run longer than its time limit at time now (a worker hung in a
 * kernel, or a dead node the transport does not report), each named once, into
 * workers[0 .. cap); returns how many. Each is retired: it gets no task again
 * (ps_sched_next answers PS_SCHED_END for it). Its task still runs for the scheduler: the
 * driver records it as failed (ps_sched_result, status FAILED: it counts as finished and its
 * grid point is not eligible) and stops waiting for that worker. */
int32_t ps_sched_timeouts(ps_sched *s, double now, int32_t *workers, int32_t cap);

/* Worker w's task ended as r says, at time now; w is free again. A finished task counts as
 * done; a DONE one with its wall time measures the rate; a selection task counts towards its
 * grid point, and the one that completes its group's selection plans the group's final tasks
 * (the best final.best eligible setups × final.seeds, ties to the earlier model and lower grid
 * point; a group with no eligible setup gets none) and queues PS_SCHED_EV_SELECTED. A raced
 * selection task's outcomes are kept; the result that completes a round of its group
 * triggers the decision (PS_SCHED_EV_PRUNED) and queues the next round. An
 * interrupted task is not finished: it is counted as abandoned and not queued again. Returns 0,
 * PS_ESTATE when w runs nothing, or PS_ENOMEM with err set. */
int ps_sched_result(ps_sched *s, int32_t w, const ps_sched_outcome *r, double now, ps_err *err);

/* A stop request (a signal) at time now. The first one ends the hand-out (PS_SCHED_EV_STOP,
 * unless the hand-out was already over) and gives running tasks `grace` seconds; the second
 * one makes them be given up at the next ps_sched_tick. */
void ps_sched_signal(ps_sched *s, double now);

/* The run cannot go on (the driver's error): the hand-out ends and running tasks are given up
 * at the next ps_sched_tick. No event. */
void ps_sched_halt(ps_sched *s);

/* The time is now. Reaching the deadline ends the hand-out (PS_SCHED_EV_DEADLINE). When
 * running tasks must be given up (after a halt, a second stop request, the deadline, or the
 * end of the grace period), writes the workers whose task is to be given up and was not
 * named before into workers[0 .. cap) and returns how many (a worker over cap is named by a
 * later call). Returns 0 otherwise. */
int32_t ps_sched_tick(ps_sched *s, double now, int32_t *workers, int32_t cap);

/* Takes the oldest queued event into *ev: 1, or 0 when none waits. */
int ps_sched_poll(ps_sched *s, ps_sched_event *ev);

/* The progress at time now into *p (event NULL): tasks finished (stored or a result) and
 * planned per phase, running tasks, elapsed seconds, and the ETA — the estimated FLOPs left
 * (queued tasks, the rest of the running ones, the final phases not planned yet) over the
 * measured rate × workers; −1 before a measured result. best (n_models entries) gets each
 * model's best grid point so far (grid −1: none yet) and p->best points to it. */
void ps_sched_progress(const ps_sched *s, double now, ps_sweep_progress *p, ps_sweep_best *best);

/* How the scheduling stands (see ps_sched_status). */
void ps_sched_get_status(const ps_sched *s, ps_sched_status *st);

/* The task worker w runs, or NULL when w is free (valid until the next call that changes s). */
const ps_task *ps_sched_running(const ps_sched *s, int32_t w);

/* The plan's selection tasks, in plan order (model, grid point, repetition, fold): *n of them.
 * The pointer is valid until the next ps_sched_start or ps_sched_result (planning final tasks
 * may move the array): copy what must outlive those calls. */
const ps_task *ps_sched_select_tasks(const ps_sched *s, int32_t *n);

/* The selection tracker: per grid point, the selection results so far. */
const ps_selection *ps_sched_selection(const ps_sched *s);

/* The grid points dropped by races so far, in the order decided: *n of them (valid until the
 * next call that changes s). */
const ps_sched_drop *ps_sched_drops(const ps_sched *s, int32_t *n);

/* 1 when task id was marked stored (ps_sched_mark_stored) before the start, else 0: the
 * driver stores a pruned task only when the file does not hold it yet. */
int ps_sched_was_stored(const ps_sched *s, const char *id);

#endif
