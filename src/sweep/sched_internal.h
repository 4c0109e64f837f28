/* The scheduler's state, shared by its rules (sched.c) and its progress (sched_progress.c). */
#ifndef PAIRSWEEP_SCHED_INTERNAL_H
#define PAIRSWEEP_SCHED_INTERNAL_H

#include "pairsweep/idset.h"
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
};

/* FLOP/s per worker: measured, else assumed. */
double ps__sched_rate(const ps_sched *s);

/* Workers running a task. */
int32_t ps__sched_n_running(const ps_sched *s);

#endif
