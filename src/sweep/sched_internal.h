/* The scheduler's state, shared by its rules (sched.c), its races (sched_race.c) and its
 * progress (sched_progress.c). */
#ifndef PAIRSWEEP_SCHED_INTERNAL_H
#define PAIRSWEEP_SCHED_INTERNAL_H

#include "pairsweep/idset.h"
#include "pairsweep/race.h"
#include "pairsweep/sched.h"

/* The state of a task of the plan. */
enum { T_PLANNED, T_QUEUED, T_RUNNING, T_FINISHED, T_ABANDONED };

typedef struct slot {
    int32_t task;              /* index into tasks; -1: the worker is free */
    double start, cost;        /* when it started; its estimated FLOPs */
    int flagged;               /* named by ps_sched_tick as to be given up */
    int retired;               /* named by ps_sched_timeouts: no task ever again */
} slot;

struct ps_sched {
    const ps_job *job;
    uint8_t *mask;             /* (n_groups) the groups of this run */
    ps_task *tasks;            /* (cap) the selection tasks in plan order, then final tasks */
    uint8_t *state;            /* (cap) T_* of each task */
    int32_t n_tasks, n_select, cap;
    ps_idset index;            /* task id -> index into tasks */
    ps_idset stored;           /* ids marked stored (planned or not) */
    ps_selection sel;
    ps_queue q;
    int32_t *final_planned;    /* (n_groups) final tasks once a group is selected, else -1 */
    double *final_estimate;    /* (n_groups) FLOPs of a group's final phase, estimated */
    slot *w;                   /* (workers) */
    int32_t workers;
    int32_t finished[2];       /* planned tasks finished, per phase */
    int32_t abandoned, retired; /* tasks given up; workers retired by a timeout */
    double start, deadline, grace, rate0, stop_time, task_timeout;
    double flops_done, wall_done; /* of the measured (DONE) results */
    int32_t signals;           /* stop requests so far */
    int started, stopping, deadline_hit, halted;
    ps_sched_event *ev;        /* (ev_cap) events not taken yet, oldest first */
    int32_t n_ev, ev_cap;
    /* racing (sched_race.c); race_on 0: none of it is allocated */
    int race_on, audit;
    ps_race_params rp;
    int32_t rounds;            /* rounds of a grid point */
    int32_t *round;            /* (n_groups) a raced group's round queued now */
    int32_t *point_task;       /* (Σ n_grid, indexed as sel.stat) a point's first task in
                                  tasks[]; -1 when its group is not run */
    double *point_cost;        /* (Σ n_grid) FLOPs of one of its selection tasks */
    uint8_t *alive;            /* (Σ n_grid) 0 once a race dropped the point */
    uint8_t **correct;         /* (n_select) a finished task's outcomes (malloc'ed) or NULL */
    int32_t *n_correct;        /* (n_select) */
    uint8_t *bad;              /* (n_select) 1: the task diverged or failed */
    ps_sched_drop *drops;      /* (cap_drops) the decisions, in order */
    int32_t n_drops, cap_drops, pruned;
    ps_queue q_low;            /* audit tasks: handed out when nothing else is queued */
    int32_t audit_planned, audit_finished;
};

/* Queues task i (its state becomes QUEUED) on q. */
int ps__sched_enqueue(ps_sched *s, int32_t i, ps_err *err);

/* Group grp's selection is complete: plans its final tasks (and its audit tasks). */
int ps__sched_plan_finals(ps_sched *s, int32_t grp, ps_err *err);

/* Room for n tasks in tasks[] and state[]; 0 or PS_ENOMEM. */
int ps__sched_reserve(ps_sched *s, int32_t n);

/* ---- racing (sched_race.c) ---------------------------------------------------------------- */

/* At creation: the race's state when the job races (else nothing). */
int ps__race_init(ps_sched *s, int audit, ps_err *err);
void ps__race_free(ps_sched *s);

/* 1 when group g is raced. */
int ps__race_group(const ps_sched *s, int32_t g);

/* Selection task i finished with this status (stored, or a result). */
void ps__race_status(ps_sched *s, int32_t i, int32_t status);

/* Keeps the outcomes (n bytes, copied) of selection task i. 0 or PS_ENOMEM. */
int ps__race_keep(ps_sched *s, int32_t i, const uint8_t *x, int32_t n);

/* Raced group g: decides every complete round not decided yet (dropping points, pruning their
 * tasks, logging and announcing the drops; a pruned task may complete the group's selection),
 * then queues the tasks of the open round not queued yet. */
int ps__race_advance(ps_sched *s, int32_t g, ps_err *err);

/* Group g's selection is complete: with audit, its pruned tasks are planned again as audit
 * tasks (those the file holds count as finished, the others go to q_low). */
int ps__race_plan_audit(ps_sched *s, int32_t g, ps_err *err);

/* The estimated FLOPs of the raced groups' rounds not queued yet (surviving points only). */
double ps__race_flops_ahead(const ps_sched *s);

/* Queues an event. */
void ps__sched_event(ps_sched *s, ps_sched_event_kind kind, int32_t group, int32_t count,
                     int32_t first);

/* FLOP/s per worker: measured, else assumed. */
double ps__sched_rate(const ps_sched *s);

/* Workers running a task. */
int32_t ps__sched_n_running(const ps_sched *s);

#endif
