/* Tests of the scheduling rules (include/pairsweep/sched.h), one per rule, driven by events
 * as a driver would drive them: no MPI, no HDF5, no MNIST, no clock (time is an argument). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pairsweep/sched.h"

/* Two groups: cnn (4 grid points) and resnet (2 grid points), 2 folds, 2 final seeds. */
static const char *two_groups =
    "epochs: 2\n"
    "data: {n_train: 100, n_test: 50}\n"
    "protocol: {folds: 2, final: {seeds: 2, best: 1}}\n"
    "models:\n"
    "  - {name: cnn, grid: {lr: [0.1, 0.01], batch_size: [10, 20]}}\n"
    "  - {name: resnet, grid: {lr: [0.1, 0.01], batch_size: 10}}\n";

static int parse(ps_job *job, const char *text)
{
    ps_err err = {0};
    return ps_job_parse(job, text, strlen(text), "t.yaml", &err);
}

/* A started scheduler of job; deadline 0: none. */
static ps_sched *start_limited(const ps_job *job, int32_t workers, double deadline,
                               double grace, double rate, double task_timeout)
{
    ps_sched_opts o = {job, NULL, workers, 0.0, deadline, grace, rate, task_timeout, 0};
    ps_sched *s = NULL;
    ps_err err = {0};
    if (ps_sched_create(&s, &o, &err) || ps_sched_start(s, &err)) {
        fprintf(stderr, "start: %s\n", err.msg);
        ps_sched_free(s);
        return NULL;
    }
    return s;
}

static ps_sched *start(const ps_job *job, int32_t workers, double deadline, double grace,
                       double rate)
{
    return start_limited(job, workers, deadline, grace, rate, 0);
}

/* The validation accuracy every test reports for a task: a function of the setup only. */
static float acc_of(const ps_task *t)
{
    return 0.5f + 0.01f * (float)t->grid + 0.001f * (float)t->fold + 0.1f * (float)t->model;
}

/* Worker w's task ended DONE after wall seconds, with acc_of its task. */
static int done(ps_sched *s, int32_t w, double wall, double now)
{
    const ps_task *t = ps_sched_running(s, w);
    ps_sched_outcome r = {PS_TASK_DONE, t ? acc_of(t) : NAN, wall, 0, NULL, 0};
    return ps_sched_result(s, w, &r, now, NULL);
}

static int status_of(ps_sched *s, int32_t w, int32_t status)
{
    ps_sched_outcome r = {status, NAN, 1.0, 0, NULL, 0};
    return ps_sched_result(s, w, &r, 0.0, NULL);
}

/* Counts the waiting events of a kind (and takes every event); group/count of the last. */
static int events(ps_sched *s, ps_sched_event_kind kind, ps_sched_event *last)
{
    int n = 0;
    ps_sched_event ev;
    while (ps_sched_poll(s, &ev))
        if (ev.kind == kind) {
            n++;
            if (last)
                *last = ev;
        }
    return n;
}

/* ---- the rules ----------------------------------------------------------------------------- */

/* The costliest task first; equal costs in plan order. */
static void test_longest_first(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job, two_groups), 0);
    ps_sched *s = start(&job, 12, 0, 0, 0);
    CHECK(s);
    int32_t n;
    const ps_task *plan = ps_sched_select_tasks(s, &n);
    CHECK_EQ_INT(n, 12);
    double last = HUGE_VAL;
    int32_t last_model = -1, last_index = -1;
    for (int32_t w = 0; w < n; w++) {
        ps_task t;
        double c;
        CHECK_EQ_INT(ps_sched_next(s, w, 0.0, &t, &c), PS_SCHED_TASK);
        CHECK(c == ps_train_cost_flops(&t.cfg));
        CHECK(c <= last);
        int32_t i = 0;
        while (i < n && strcmp(plan[i].id, t.id))
            i++;
        CHECK(i < n);
        if (c == last)
            CHECK(i > last_index); /* ties: plan order */
        CHECK(t.model >= last_model); /* cnn (11.6 MFLOP/sample) before resnet (3.3) */
        last = c;
        last_model = t.model;
        last_index = i;
    }
    ps_task t;
    CHECK_EQ_INT(ps_sched_next(s, 12, 0.0, &t, NULL), PS_SCHED_END); /* no such worker */
    ps_sched_free(s);
    ps_job_free(&job);
}

/* A task that cannot finish before the deadline is refused; a smaller one may still start. */
static void test_deadline_refuses(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job, two_groups), 0);
    int32_t n;
    ps_sched *s = start(&job, 1, 0, 0, 0);
    CHECK(s);
    const ps_task *plan = ps_sched_select_tasks(s, &n);
    double big = ps_train_cost_flops(&plan[0].cfg), small = ps_train_cost_flops(&plan[8].cfg);
    CHECK(small < big);
    ps_sched_free(s);
    /* rate 1 FLOP/s: the deadline leaves room for a small task (with the margin), not a big */
    double deadline = small * PS_SCHED_DEADLINE_MARGIN * 1.01;
    s = start(&job, 1, deadline, 0, 1.0);
    CHECK(s);
    ps_task t;
    double c;
    CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, &c), PS_SCHED_TASK);
    CHECK(c == small && t.model == 1);
    CHECK_EQ_INT(events(s, PS_SCHED_EV_REFUSED, NULL), 0);
    CHECK_EQ_INT(status_of(s, 0, PS_TASK_FAILED), 0); /* unmeasured: the rate stays 1 */
    /* later the small ones no longer fit either: nothing runs, so nothing ever will */
    CHECK_EQ_INT(ps_sched_next(s, 0, deadline / 2, &t, &c), PS_SCHED_END);
    ps_sched_event ev;
    CHECK_EQ_INT(events(s, PS_SCHED_EV_REFUSED, &ev), 1);
    CHECK_EQ_INT(ev.count, 11);
    ps_sched_status st;
    ps_sched_get_status(s, &st);
    CHECK(st.deadline_hit && !st.stopping && !st.complete);
    ps_sched_free(s);
    ps_job_free(&job);
}

/* The first stop request ends the hand-out; running tasks finish within the grace period. */
static void test_first_signal_stops_handout(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job, two_groups), 0);
    ps_sched *s = start(&job, 2, 0, 60, 0);
    CHECK(s);
    ps_task t;
    CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
    CHECK_EQ_INT(ps_sched_next(s, 1, 0.0, &t, NULL), PS_SCHED_TASK);
    ps_sched_signal(s, 10.0);
    CHECK_EQ_INT(events(s, PS_SCHED_EV_STOP, NULL), 1);
    int32_t w[2];
    CHECK_EQ_INT(ps_sched_tick(s, 69.0, w, 2), 0); /* within the grace period */
    CHECK_EQ_INT(done(s, 0, 50.0, 60.0), 0);      /* a running task finishes: it counts */
    CHECK_EQ_INT(ps_sched_next(s, 0, 60.0, &t, NULL), PS_SCHED_END);
    ps_sched_status st;
    ps_sched_get_status(s, &st);
    CHECK(st.stopping && st.stopped && !st.deadline_hit);
    CHECK_EQ_INT(st.finished[0], 1);
    CHECK_EQ_INT(st.running, 1);
    ps_sched_free(s);
    ps_job_free(&job);
}

/* A second stop request gives the running tasks up at once, each named once. */
static void test_second_signal_abandons(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job, two_groups), 0);
    ps_sched *s = start(&job, 3, 0, 60, 0);
    CHECK(s);
    ps_task t;
    CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
    CHECK_EQ_INT(ps_sched_next(s, 2, 0.0, &t, NULL), PS_SCHED_TASK);
    ps_sched_signal(s, 10.0);
    int32_t w[3];
    CHECK_EQ_INT(ps_sched_tick(s, 11.0, w, 3), 0);
    ps_sched_signal(s, 12.0);
    CHECK_EQ_INT(events(s, PS_SCHED_EV_STOP, NULL), 1); /* the first request only */
    CHECK_EQ_INT(ps_sched_tick(s, 12.0, w, 1), 1);     /* cap 1: one now, one later */
    CHECK_EQ_INT(w[0], 0);
    CHECK_EQ_INT(ps_sched_tick(s, 12.0, w, 3), 1);
    CHECK_EQ_INT(w[0], 2);
    CHECK_EQ_INT(ps_sched_tick(s, 13.0, w, 3), 0);
    ps_sched_outcome gave_up = {0, NAN, 0, 1, NULL, 0};
    CHECK_EQ_INT(ps_sched_result(s, 0, &gave_up, 13.0, NULL), 0);
    CHECK_EQ_INT(ps_sched_result(s, 2, &gave_up, 13.0, NULL), 0);
    ps_sched_status st;
    ps_sched_get_status(s, &st);
    CHECK_EQ_INT(st.abandoned, 2);
    CHECK_EQ_INT(st.finished[0], 0);
    CHECK_EQ_INT(st.queued, 10); /* given up, not queued again: they run on resume */
    CHECK_EQ_INT(ps_sched_result(s, 2, &gave_up, 13.0, NULL), PS_ESTATE);
    ps_sched_free(s);
    ps_job_free(&job);
}

/* The end of the grace period gives the running tasks up; so does reaching the deadline. */
static void test_grace_expiry_abandons(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job, two_groups), 0);
    ps_sched *s = start(&job, 1, 0, 5, 0);
    CHECK(s);
    ps_task t;
    CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
    ps_sched_signal(s, 10.0);
    int32_t w;
    CHECK_EQ_INT(ps_sched_tick(s, 14.9, &w, 1), 0);
    CHECK_EQ_INT(ps_sched_tick(s, 15.0, &w, 1), 1);
    ps_sched_free(s);
    s = start(&job, 1, 100.0, 60, 0);
    CHECK(s);
    CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
    CHECK_EQ_INT(ps_sched_tick(s, 99.0, &w, 1), 0);
    CHECK_EQ_INT(ps_sched_tick(s, 100.0, &w, 1), 1); /* no grace at the deadline */
    CHECK_EQ_INT(events(s, PS_SCHED_EV_DEADLINE, NULL), 1);
    ps_sched_status st;
    ps_sched_get_status(s, &st);
    CHECK(st.stopping && st.deadline_hit && !st.stopped);
    ps_sched_free(s);
    ps_job_free(&job);
}

/* A task past its time limit: its worker is named once and retired (never another task),
 * its task is recorded failed (finished, its grid point not eligible) and the study completes
 * on the other worker. The limit: the job's task_timeout, else factor × the estimated time at
 * the measured rate, at least the floor. */
static void test_timeout_retires_worker(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job, two_groups), 0);
    ps_sched *s = start_limited(&job, 2, 0, 5, 0, 30.0);
    CHECK(s);
    ps_task t;
    int32_t w[2];
    CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
    CHECK_EQ_INT(ps_sched_next(s, 1, 0.0, &t, NULL), PS_SCHED_TASK);
    CHECK(ps_sched_task_limit(s, 0) == 30.0);
    CHECK_EQ_INT(done(s, 1, 1.0, 1.0), 0);
    CHECK_EQ_INT(ps_sched_timeouts(s, 30.0, w, 2), 0);
    CHECK_EQ_INT(ps_sched_timeouts(s, 30.5, w, 2), 1);
    CHECK_EQ_INT(w[0], 0);
    CHECK_EQ_INT(ps_sched_timeouts(s, 99.0, w, 2), 0); /* named once */
    CHECK_EQ_INT(status_of(s, 0, PS_TASK_FAILED), 0);   /* the driver records it failed */
    CHECK_EQ_INT(ps_sched_next(s, 0, 100.0, &t, NULL), PS_SCHED_END);
    int32_t ran = 0; /* worker 1 runs everything else, final phase included */
    while (ps_sched_next(s, 1, 100.0 + ran, &t, NULL) == PS_SCHED_TASK) {
        CHECK_EQ_INT(done(s, 1, 1.0, 101.0 + ran), 0);
        ran++;
        CHECK_EQ_INT(ps_sched_next(s, 0, 100.0 + ran, &t, NULL), PS_SCHED_END);
    }
    ps_sched_status st;
    ps_sched_get_status(s, &st);
    CHECK(st.complete && st.retired == 1 && !st.stopping);
    CHECK_EQ_INT(ran, 12 - 2 + 4); /* 12 selection tasks less the 2 above, 4 final */
    ps_sched_free(s);
    /* derived: 10 × cost / rate, at least 600 s */
    s = start(&job, 1, 0, 5, 1e3);
    double cost;
    CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, &cost), PS_SCHED_TASK);
    double want = fmax(PS_SCHED_TIMEOUT_FACTOR * cost / 1e3, PS_SCHED_TIMEOUT_FLOOR);
    CHECK_NEAR(ps_sched_task_limit(s, 0), want, 1e-6 * want);
    CHECK(want > PS_SCHED_TIMEOUT_FLOOR); /* 1 kFLOP/s: far past the floor */
    CHECK_EQ_INT(ps_sched_timeouts(s, want * 0.999, w, 1), 0);
    CHECK_EQ_INT(ps_sched_timeouts(s, want * 1.001, w, 1), 1);
    ps_sched_free(s);
    s = start(&job, 1, 0, 5, 1e30); /* a task of no time at all: the floor */
    CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
    CHECK(ps_sched_task_limit(s, 0) == PS_SCHED_TIMEOUT_FLOOR);
    ps_sched_free(s);
    ps_job_free(&job);
}

/* A group's final phase is planned exactly when its own selection completes: not before, and
 * the other group is unaffected. */
static void test_final_phase_follows_selection(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job, two_groups), 0);
    ps_sched *s = start(&job, 1, 0, 0, 0);
    CHECK(s);
    ps_task t;
    int32_t cnn_left = 8; /* cnn's tasks are the costliest: they come first */
    while (cnn_left > 0) {
        CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
        CHECK_EQ_INT(t.phase, PS_PHASE_SELECT);
        CHECK_EQ_INT(t.model, 0);
        CHECK_EQ_INT(done(s, 0, 1.0, 0.0), 0);
        ps_sched_event ev;
        int selected = events(s, PS_SCHED_EV_SELECTED, &ev);
        ps_sweep_progress p;
        ps_sweep_best best[2];
        ps_sched_progress(s, 0.0, &p, best);
        if (--cnn_left > 0) {
            CHECK_EQ_INT(selected, 0);
            CHECK(!best[0].selected);
        } else {
            CHECK_EQ_INT(selected, 1);
            CHECK_EQ_INT(ev.group, 0);
            CHECK_EQ_INT(ev.count, 2); /* best 1 setup × 2 seeds */
            CHECK(best[0].selected && !best[1].selected);
            CHECK_EQ_INT(best[0].grid, 3); /* acc_of grows with the grid point */
        }
    }
    /* the final tasks of cnn's best point are queued, costlier than resnet's selection */
    for (int r = 0; r < 2; r++) {
        CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
        CHECK(t.phase == PS_PHASE_FINAL && t.model == 0 && t.grid == 3 && t.rep == r);
        CHECK_EQ_INT(done(s, 0, 1.0, 0.0), 0);
    }
    for (int k = 0; k < 4; k++) {
        CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
        CHECK(t.phase == PS_PHASE_SELECT && t.model == 1);
        CHECK_EQ_INT(done(s, 0, 1.0, 0.0), 0);
        CHECK_EQ_INT(events(s, PS_SCHED_EV_SELECTED, NULL), k == 3);
    }
    for (int r = 0; r < 2; r++) {
        CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
        CHECK(t.phase == PS_PHASE_FINAL && t.model == 1);
        CHECK_EQ_INT(done(s, 0, 1.0, 0.0), 0);
    }
    CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_END);
    ps_sched_status st;
    ps_sched_get_status(s, &st);
    CHECK(st.complete);
    CHECK_EQ_INT(st.planned, 16);
    ps_sched_free(s);
    ps_job_free(&job);
}

/* A group whose every grid point has a failed or diverged task gets no final tasks. */
static void test_failed_group_no_finals(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job, two_groups), 0);
    ps_sched *s = start(&job, 1, 0, 0, 0);
    CHECK(s);
    ps_task t;
    for (int k = 0; k < 8; k++) { /* cnn: every grid point has one bad fold */
        CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
        CHECK_EQ_INT(status_of(s, 0, t.fold == 0 ? PS_TASK_DIVERGED : PS_TASK_DONE), 0);
    }
    ps_sched_event ev;
    CHECK_EQ_INT(events(s, PS_SCHED_EV_SELECTED, &ev), 1);
    CHECK(ev.group == 0 && ev.count == 0);
    CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
    CHECK(t.phase == PS_PHASE_SELECT && t.model == 1); /* no cnn final task */
    ps_sched_status st;
    ps_sched_get_status(s, &st);
    CHECK_EQ_INT(st.planned, 12 + 0 + 2);
    ps_sched_free(s);
    ps_job_free(&job);
}

/* Resume: stored tasks are not run again; a group whose selection the file completes gets
 * its final tasks at the start, less those stored. */
static void test_resume_skips_stored(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job, two_groups), 0);
    ps_sched_opts o = {&job, NULL, 1, 0.0, 0, 0, 0, 0, 0};
    ps_sched *s = NULL;
    ps_err err = {0};
    CHECK_EQ_INT(ps_sched_create(&s, &o, &err), 0);
    int32_t n;
    const ps_task *plan = ps_sched_select_tasks(s, &n);
    ps_task fin[2];
    ps_plan_final(fin, &job, 0, 3); /* cnn's best point under acc_of */
    for (int32_t i = 0; i < n; i++)
        if (plan[i].model == 0 || i == 8) /* all of cnn, one of resnet */
            CHECK_EQ_INT(ps_sched_mark_stored(s, plan[i].id, PS_PHASE_SELECT, PS_TASK_DONE,
                                              acc_of(&plan[i])), 0);
    CHECK_EQ_INT(ps_sched_mark_stored(s, plan[0].id, PS_PHASE_SELECT, PS_TASK_DONE, 0.9f), 1);
    CHECK_EQ_INT(ps_sched_mark_stored(s, fin[1].id, PS_PHASE_FINAL, PS_TASK_DONE, 0.9f), 0);
    char id8[PS_TASK_ID_LEN + 1], id9[PS_TASK_ID_LEN + 1]; /* plan is not valid after start */
    snprintf(id8, sizeof id8, "%s", plan[8].id);
    snprintf(id9, sizeof id9, "%s", plan[9].id);
    CHECK_EQ_INT(ps_sched_start(s, &err), 0);
    CHECK_EQ_INT(ps_sched_mark_stored(s, id9, PS_PHASE_SELECT, 0, 0.9f), PS_ESTATE);
    ps_sched_event ev;
    CHECK_EQ_INT(events(s, PS_SCHED_EV_SELECTED, &ev), 1);
    CHECK(ev.group == 0 && ev.count == 2);
    ps_sched_status st;
    ps_sched_get_status(s, &st);
    CHECK_EQ_INT(st.finished[0], 9);
    CHECK_EQ_INT(st.finished[1], 1);
    CHECK_EQ_INT(st.queued, 1 + 3); /* cnn's unstored final task, resnet's 3 selection tasks */
    ps_task t;
    CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
    CHECK(!strcmp(t.id, fin[0].id));
    CHECK_EQ_INT(done(s, 0, 1.0, 0.0), 0);
    for (int k = 0; k < 3; k++) {
        CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, NULL), PS_SCHED_TASK);
        CHECK(strcmp(t.id, id8) && t.model == 1);
        CHECK_EQ_INT(done(s, 0, 1.0, 0.0), 0);
    }
    ps_sched_free(s);
    ps_job_free(&job);
}

/* Progress: counts per phase, running tasks, best per model; the ETA from the measured rate. */
static void test_progress_eta(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job, "epochs: 2\ndata: {n_train: 100, n_test: 50}\n"
                             "protocol: {folds: 2, final: {seeds: 2, best: 1}}\n"
                             "models:\n  - {name: resnet, grid: {lr: [0.1, 0.01], batch_size: 10}}\n"), 0);
    ps_sched *s = start(&job, 1, 0, 0, 0);
    CHECK(s);
    ps_sweep_progress p;
    ps_sweep_best best[1];
    ps_sched_progress(s, 3.0, &p, best);
    CHECK(p.done[0] == 0 && p.total[0] == 4 && p.done[1] == 0 && p.total[1] == 2);
    CHECK(p.running == 0 && p.eta == -1 && p.elapsed == 3.0 && best[0].grid == -1);
    ps_task t;
    double flops = 0, c;
    for (int k = 0; k < 4; k++) { /* the selection, each task 2 s */
        CHECK_EQ_INT(ps_sched_next(s, 0, 0.0, &t, &c), PS_SCHED_TASK);
        flops += c;
        CHECK_EQ_INT(done(s, 0, 2.0, 0.0), 0);
    }
    double rate = flops / 8.0;
    CHECK_EQ_INT(ps_sched_next(s, 0, 10.0, &t, &c), PS_SCHED_TASK); /* a final task */
    ps_sched_progress(s, 10.5, &p, best);
    CHECK(p.done[0] == 4 && p.done[1] == 0 && p.total[1] == 2 && p.running == 1);
    CHECK(best[0].grid == 1 && best[0].selected);
    double left = c + (c - 0.5 * rate); /* one queued, one running for 0.5 s */
    CHECK_NEAR(p.eta, left / rate, 1e-9 * left / rate);
    ps_sched_status st;
    ps_sched_get_status(s, &st);
    CHECK_NEAR(st.rate, rate, 1e-9 * rate);
    ps_sched_free(s);
    ps_job_free(&job);
}

/* The final tasks planned (the plan) do not depend on the order results arrive in. */
static void finals_in_order(const ps_job *job, const int32_t *order, char ids[][PS_TASK_ID_LEN + 1],
                            int32_t *n_ids)
{
    ps_sched *s = start(job, 12, 0, 0, 0);
    if (!s)
        return;
    ps_task t;
    for (int32_t w = 0; w < 12; w++)
        (void)ps_sched_next(s, w, 0.0, &t, NULL);
    for (int32_t k = 0; k < 12; k++)
        (void)done(s, order[k], 1.0, 1.0 + k);
    *n_ids = 0;
    for (int32_t w = 0; w < 12; w++)
        if (ps_sched_next(s, w, 20.0, &t, NULL) == PS_SCHED_TASK)
            memcpy(ids[(*n_ids)++], t.id, sizeof t.id);
    ps_sched_free(s);
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_plan_independent_of_arrival_order(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job, "epochs: 2\ndata: {n_train: 100, n_test: 50}\n"
                             "protocol: {folds: 2, final: {seeds: 2, best: 2}}\n"
                             "models:\n  - {name: cnn, group: g, grid: {lr: [0.1, 0.01], batch_size: 10}}\n"
                             "  - {name: resnet, group: g, grid: {lr: [0.1, 0.01], batch_size: 10}}\n"
                             "  - {name: siamese, grid: {lr: [0.1, 0.01], batch_size: 10}}\n"), 0);
    int32_t orders[3][12];
    for (int32_t k = 0; k < 12; k++) {
        orders[0][k] = k;
        orders[1][k] = 11 - k;
        orders[2][k] = (5 * k + 3) % 12;
    }
    char ids[3][12][PS_TASK_ID_LEN + 1];
    int32_t n[3] = {-1, -1, -1};
    for (int o = 0; o < 3; o++) {
        finals_in_order(&job, orders[o], ids[o], &n[o]);
        qsort(ids[o], (size_t)(n[o] > 0 ? n[o] : 0), sizeof ids[o][0], cmp_id);
    }
    CHECK_EQ_INT(n[0], 2 * 2 + 2 * 2); /* the best 2 setups × 2 seeds of each group */
    for (int o = 1; o < 3; o++) {
        CHECK_EQ_INT(n[o], n[0]);
        for (int32_t i = 0; i < n[0]; i++)
            CHECK(!strcmp(ids[o][i], ids[0][i]));
    }
    ps_job_free(&job);
}

CHECK_MAIN(T(test_longest_first), T(test_deadline_refuses), T(test_first_signal_stops_handout),
           T(test_second_signal_abandons), T(test_grace_expiry_abandons),
           T(test_final_phase_follows_selection), T(test_failed_group_no_finals),
           T(test_resume_skips_stored), T(test_progress_eta),
           T(test_plan_independent_of_arrival_order), T(test_timeout_retires_worker))
