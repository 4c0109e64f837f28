/* Tests of the scheduler's races (include/pairsweep/sched.h, "Racing") on a synthetic group
 * whose outcomes are known: driven by events as a driver would, no MPI, no HDF5, no MNIST.
 *
 * resnet's 5 grid points, 3 folds (rounds), 20 validation examples a round:
 *   grid 0  every example right            the leader
 *   grid 1  the same outcomes as grid 0    a tie: survives
 *   grid 2  every example wrong            clearly worse: dropped after round 2 (min_folds)
 *   grid 3  one example wrong a round      a little worse, not significantly: survives
 *   grid 4  its first fold diverges        ineligible: dropped after round 1
 * cnn (its own group, not raced differently): 2 points, every example right. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pairsweep/sched.h"

#define N_EX 20

static const char *race_job =
    "epochs: 2\n"
    "data: {n_train: 60, n_test: 50}\n"
    "protocol: {folds: 3, final: {seeds: 1, best: 1}, racing: {alpha: 0.05, min_folds: 2}}\n"
    "models:\n"
    "  - {name: resnet, grid: {lr: [0.1, 0.01, 0.001, 0.0001, 0.00001], batch_size: 10}}\n"
    "  - {name: cnn, grid: {lr: [0.1, 0.01], batch_size: 10}}\n";

static int parse(ps_job *job)
{
    ps_err err = {0};
    return ps_job_parse(job, race_job, strlen(race_job), "race.yaml", &err);
}

/* The outcomes of task t (N_EX bytes) and its status. */
static int32_t outcomes_of(const ps_task *t, uint8_t x[N_EX])
{
    for (int e = 0; e < N_EX; e++) {
        int right = 1;
        if (t->model == 0 && t->grid == 2)
            right = 0;
        else if (t->model == 0 && t->grid == 3)
            right = e != 0;
        x[e] = (uint8_t)right;
    }
    return t->model == 0 && t->grid == 4 && t->fold == 0 ? PS_TASK_DIVERGED : PS_TASK_DONE;
}

/* Worker w's task ends as outcomes_of says. */
static int finish(ps_sched *s, int32_t w, double now)
{
    const ps_task *t = ps_sched_running(s, w);
    if (!t)
        return -1;
    uint8_t x[N_EX];
    int32_t status = outcomes_of(t, x), right = 0;
    for (int e = 0; e < N_EX; e++)
        right += x[e];
    ps_sched_outcome r = {status, status == PS_TASK_DONE ? (float)right / N_EX : NAN, 1.0, 0,
                          status == PS_TASK_DONE ? x : NULL, N_EX};
    return ps_sched_result(s, w, &r, now, NULL);
}

/* What a run decided and handed out. */
typedef struct trace {
    char ran[64][PS_TASK_ID_LEN + 1];
    int32_t n_ran;
    ps_sched_drop drops[16];
    int32_t n_drops, pruned, early; /* early: a round handed out before the previous ended */
    int complete;
} trace;

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Runs s to the end with `workers` workers, finishing a pseudo-random running task each step
 * (seed picks the order); records what ran and what was decided. */
static void run_to_end(ps_sched *s, int32_t workers, uint32_t seed, trace *tr)
{
    int32_t busy[16] = {0}, round_done[2][3] = {{0}};
    double now = 0;
    for (int step = 0; step < 1000; step++) {
        int32_t running = 0;
        for (int32_t w = 0; w < workers; w++) {
            ps_task t;
            if (!busy[w] && ps_sched_next(s, w, now, &t, NULL) == PS_SCHED_TASK) {
                busy[w] = 1;
                memcpy(tr->ran[tr->n_ran++], t.id, sizeof t.id);
                /* resnet round r > 0 before every point finished round r − 1 */
                if (t.phase == PS_PHASE_SELECT && t.model == 0 && t.fold > 0 &&
                    round_done[0][t.fold - 1] < 5)
                    tr->early++;
            }
            running += busy[w];
        }
        if (running == 0)
            break;
        seed = seed * 1103515245u + 12345u;
        int32_t pick = (int32_t)((seed >> 16) % (uint32_t)running), w = 0;
        for (int32_t k = -1; w < workers; w++)
            if (busy[w] && ++k == pick)
                break;
        const ps_task *t = ps_sched_running(s, w);
        if (t->phase == PS_PHASE_SELECT && t->model == 0)
            round_done[0][t->fold]++;
        (void)finish(s, w, now += 1.0);
        busy[w] = 0;
        int32_t n;
        const ps_sched_drop *d = ps_sched_drops(s, &n);
        for (int32_t k = 0; k < n; k++) /* a dropped point's pruned rounds count as done */
            for (int32_t r = d[k].round; r < 3 && d[k].model == 0; r++)
                round_done[0][r] += k >= tr->n_drops;
        tr->n_drops = n;
    }
    int32_t n;
    const ps_sched_drop *d = ps_sched_drops(s, &n);
    memcpy(tr->drops, d, (size_t)n * sizeof *d);
    tr->n_drops = n;
    ps_sched_status st;
    ps_sched_get_status(s, &st);
    tr->pruned = st.pruned;
    tr->complete = st.complete;
    qsort(tr->ran, (size_t)tr->n_ran, sizeof tr->ran[0], cmp_id);
}

static ps_sched *make(const ps_job *job, int32_t workers)
{
    ps_sched_opts o = {job, NULL, workers, 0.0, 0, 0, 0, 0, 0};
    ps_sched *s = NULL;
    ps_err err = {0};
    if (ps_sched_create(&s, &o, &err))
        return NULL;
    return s;
}

/* The clearly worse and the ineligible are dropped, the tie and the slightly worse survive;
 * their tasks never run; no round starts before the previous one ended. */
static void test_race_decisions(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job), 0);
    ps_sched *s = make(&job, 1);
    ps_err err = {0};
    CHECK(s && ps_sched_start(s, &err) == 0);
    trace tr;
    memset(&tr, 0, sizeof tr);
    run_to_end(s, 1, 1, &tr);
    CHECK(tr.complete);
    CHECK_EQ_INT(tr.early, 0);
    CHECK_EQ_INT(tr.n_drops, 2);
    const ps_sched_drop *a = &tr.drops[0], *b = &tr.drops[1];
    CHECK(a->model == 0 && a->grid == 4 && a->round == 1 && a->test == -1 && a->n_tasks == 2);
    CHECK(b->model == 0 && b->grid == 2 && b->round == 2 && b->n_tasks == 1);
    CHECK(b->test == PS_RACE_MCNEMAR && b->leader_model == 0 && b->leader_grid == 0);
    CHECK(b->v.statistic == 40 && b->v.n == 40); /* 2 rounds × 20, all discordant */
    CHECK_NEAR(b->v.p, ldexp(1.0, -40), 1e-25);
    CHECK_NEAR(b->v.p_adj, 3 * ldexp(1.0, -40), 1e-25); /* Holm over grids 1, 2, 3 */
    CHECK_EQ_INT(tr.pruned, 3);
    CHECK_EQ_INT(tr.n_ran, 15 - 3 + 6 + 2); /* resnet less the pruned, cnn, 2 final tasks */
    ps_sched_event ev;
    int pruned_events = 0;
    while (ps_sched_poll(s, &ev))
        pruned_events += ev.kind == PS_SCHED_EV_PRUNED;
    CHECK_EQ_INT(pruned_events, 2);
    const ps_selection *sel = ps_sched_selection(s);
    int32_t grid, n;
    double mean, sd;
    CHECK_EQ_INT(ps_selection_best(sel, 0, &grid, &mean, &sd, &n), 0);
    CHECK_EQ_INT(grid, 0); /* a tie with grid 1: the lower grid point */
    ps_sched_free(s);
    ps_job_free(&job);
}

/* The same decisions and the same tasks run, whatever the number of workers and the order in
 * which results arrive. */
static void test_race_independent_of_order(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job), 0);
    static trace ref, tr;
    static const int32_t workers[] = {1, 2, 3, 7};
    for (int k = 0; k < 4; k++)
        for (uint32_t seed = 1; seed <= 5; seed++) {
            ps_sched *s = make(&job, workers[k]);
            ps_err err = {0};
            CHECK(s && ps_sched_start(s, &err) == 0);
            trace *t = k == 0 && seed == 1 ? &ref : &tr;
            memset(t, 0, sizeof *t);
            run_to_end(s, workers[k], seed, t);
            ps_sched_free(s);
            CHECK(t->complete && t->early == 0);
            CHECK_EQ_INT(t->n_drops, ref.n_drops);
            CHECK_EQ_INT(t->n_ran, ref.n_ran);
            for (int32_t i = 0; i < t->n_ran; i++)
                CHECK(!strcmp(t->ran[i], ref.ran[i]));
            for (int32_t i = 0; i < t->n_drops; i++)
                CHECK(!memcmp(&t->drops[i], &ref.drops[i], sizeof t->drops[i]));
        }
    ps_job_free(&job);
}

/* Resume mid-race: what the file holds (results with their outcomes, pruned rows) is marked
 * stored; the start replays the decisions and the rest runs as without the stop. */
static void test_race_resume(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job), 0);
    static trace ref, tr;
    ps_sched *s = make(&job, 2);
    ps_err err = {0};
    CHECK(s && ps_sched_start(s, &err) == 0);
    memset(&ref, 0, sizeof ref);
    run_to_end(s, 2, 3, &ref);
    ps_sched_free(s);
    /* the first run: 2 workers until 12 results are in (past the first decision) */
    s = make(&job, 2);
    CHECK(s && ps_sched_start(s, &err) == 0);
    ps_task done_tasks[64];
    int32_t n_done = 0;
    for (int step = 0; n_done < 12; step++) {
        ps_task t;
        if (ps_sched_next(s, 0, 0, &t, NULL) == PS_SCHED_TASK) {
            done_tasks[n_done++] = t;
            CHECK_EQ_INT(finish(s, 0, 1.0), 0);
        }
        CHECK(step < 100);
    }
    int32_t n_drops, n_sel;
    const ps_sched_drop *d = ps_sched_drops(s, &n_drops);
    CHECK(n_drops >= 1);
    const ps_task *plan = ps_sched_select_tasks(s, &n_sel);
    ps_task pruned[16];
    int32_t n_pruned = 0;
    for (int32_t k = 0; k < n_drops; k++)
        for (int32_t j = 0; j < d[k].n_tasks; j++)
            pruned[n_pruned++] = plan[d[k].first_task + j];
    ps_sched_free(s);
    /* the resumed run: the file's rows (the last pruned row lost to the kill) */
    s = make(&job, 3);
    CHECK(s);
    for (int32_t i = 0; i < n_done; i++) {
        uint8_t x[N_EX];
        int32_t st = outcomes_of(&done_tasks[i], x);
        CHECK_EQ_INT(ps_sched_mark_stored(s, done_tasks[i].id, done_tasks[i].phase, st, 0.9f), 0);
        if (st == PS_TASK_DONE && done_tasks[i].phase == PS_PHASE_SELECT)
            CHECK_EQ_INT(ps_sched_mark_outcomes(s, done_tasks[i].id, x, N_EX), 0);
    }
    for (int32_t i = 0; i + 1 < n_pruned; i++)
        CHECK_EQ_INT(ps_sched_mark_stored(s, pruned[i].id, PS_PHASE_SELECT, PS_TASK_PRUNED, NAN),
                     0);
    CHECK_EQ_INT(ps_sched_start(s, &err), 0);
    CHECK(ps_sched_was_stored(s, pruned[0].id) && !ps_sched_was_stored(s, pruned[n_pruned - 1].id));
    memset(&tr, 0, sizeof tr);
    run_to_end(s, 3, 7, &tr);
    ps_sched_free(s);
    CHECK(tr.complete);
    CHECK_EQ_INT(tr.n_drops, ref.n_drops);
    for (int32_t i = 0; i < tr.n_drops; i++)
        CHECK(!memcmp(&tr.drops[i], &ref.drops[i], sizeof tr.drops[i]));
    CHECK_EQ_INT(tr.n_ran + n_done, ref.n_ran); /* nothing runs twice, nothing pruned runs */
    ps_job_free(&job);
}

/* With audit, the pruned tasks run afterwards as audit tasks, after everything else queued. */
static void test_race_audit(void)
{
    ps_job job;
    CHECK_EQ_INT(parse(&job), 0);
    ps_sched_opts o = {&job, NULL, 1, 0.0, 0, 0, 0, 0, 1};
    ps_sched *s = NULL;
    ps_err err = {0};
    CHECK_EQ_INT(ps_sched_create(&s, &o, &err), 0);
    CHECK_EQ_INT(ps_sched_start(s, &err), 0);
    ps_task t;
    int32_t audits = 0, after = 0;
    while (ps_sched_next(s, 0, 0, &t, NULL) == PS_SCHED_TASK) {
        if (t.phase == PS_PHASE_AUDIT)
            audits++;
        else
            after += audits > 0; /* a study task handed out after an audit task */
        CHECK_EQ_INT(finish(s, 0, 1.0), 0);
    }
    ps_sched_status st;
    ps_sched_get_status(s, &st);
    CHECK_EQ_INT(audits, 3);
    CHECK(st.complete && st.audit_planned == 3 && st.audit_finished == 3 && st.pruned == 3);
    CHECK_EQ_INT(after, 0);
    ps_sched_free(s);
    ps_job_free(&job);
}

/* protocol.racing: off by default, true/false or a mapping, the checks that need the
 * protocol (a race needs two rounds; min_folds below them; t-corrected two rounds). */
static void test_racing_key(void)
{
    static const struct { const char *protocol; int ok, on; const char *msg; int bh; } cases[] = {
        {"{folds: 3}", 1, 0, NULL, 0},
        {"{folds: 3, racing: true}", 1, 1, NULL, 0},
        {"{folds: 3, racing: false}", 1, 0, NULL, 0},
        {"{folds: 3, racing: {test: t-corrected, alpha: 0.1, min_folds: 2, audit: true}}", 1, 1,
         NULL, 0},
        {"{folds: 3, racing: {correction: bh}}", 1, 1, NULL, 1},
        {"{folds: 3, racing: {correction: holm, alpha: 0.1}}", 1, 1, NULL, 0},
        {"{folds: 3, racing: {correction: fdr}}", 0, 0, "expected holm or bh, got 'fdr'", 0},
        {"{folds: 3, racing: {test: wilcoxon}}", 0, 0, "expected mcnemar or t-corrected", 0},
        {"{folds: 3, racing: {min_folds: 3}}", 0, 0, "leaves nothing to prune", 0},
        {"{folds: 3, racing: {test: t-corrected, min_folds: 1}}", 0, 0, "needs two rounds", 0},
        {"{folds: 3, racing: {alpha: 0.7}}", 0, 0, "protocol.racing.alpha", 0},
        {"{kind: holdout, holdout: 20, racing: true}", 0, 0, "this protocol has 1", 0},
        {"{kind: holdout, holdout: 20, repetitions: 4, racing: true}", 1, 1, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "data: {n_train: 60, n_test: 50}\nprotocol: %s\n"
                 "models:\n  - {name: resnet, grid: {batch_size: 10}}\n", cases[i].protocol);
        ps_job job;
        ps_err err = {0};
        int rc = ps_job_parse(&job, text, strlen(text), "r.yaml", &err);
        CHECK_EQ_INT(rc == 0, cases[i].ok);
        if (!cases[i].ok) {
            CHECK_STR_CONTAINS(err.msg, cases[i].msg);
            CHECK_STR_CONTAINS(err.msg, "r.yaml:2: ");
            continue;
        }
        CHECK_EQ_INT(job.racing.on, cases[i].on);
        CHECK_EQ_INT(job.racing.correction, cases[i].bh ? PS_RACE_BH : PS_RACE_HOLM);
        ps_race_params rp;
        ps_job_race_params(&rp, &job);
        CHECK_EQ_INT(rp.correction, job.racing.correction);
        ps_job_free(&job);
    }
}

CHECK_MAIN(T(test_racing_key), T(test_race_decisions), T(test_race_independent_of_order), T(test_race_resume),
           T(test_race_audit))
