/* pairsweep — tests of the results file's format: a new file describes itself (enum types,
 * units, the curves' task ids, tagged weight groups, a whole architecture string; checked with
 * h5py by check_selfdesc.py), and files of format 1 (made from a new one by make_format1.py:
 * no binary fixture in the repository) are read, resumed and merged into format 2, while a file
 * of a newer format is refused. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>

#include "check.h"
#include "pairsweep/store.h"
#include "test_store_fixture.h"

#define ARCH_LEN 300 /* longer than format 1's 159 characters */

/* A study file of JOB_A at path holding plan results [from, to), its grid, models (cnn's
 * architecture ARCH_LEN characters long), plan and cnn's selection; closed complete when it
 * holds every planned task. */
static void write_study(const char *path, int from, int to)
{
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, N_PLAN);
    ps_err err = {0};
    ps_store *s;
    CHECK_EQ_INT(ps_store_open(&s, path, &m, 0, &err), 0);
    ps_store_grid_row g[4];
    memset(g, 0, sizeof g);
    for (int i = 0; i < 4; i++) {
        strcpy(g[i].model, i < 2 ? "cnn" : "siamese");
        g[i].grid = i % 2;
    }
    ps_store_model_row mr[2];
    memset(mr, 0, sizeof mr);
    strcpy(mr[0].model, "cnn");
    for (int i = 0; i < ARCH_LEN; i++)
        mr[0].arch[i] = "conv 2>16 k3; "[i % 14];
    strcpy(mr[1].model, "siamese");
    strcpy(mr[1].arch, "shared conv16-conv32");
    ps_store_plan_row plan[N_PLAN];
    memset(plan, 0, sizeof plan);
    for (int i = 0; i < N_PLAN; i++) {
        ps_task t;
        plan_task(&t, i);
        memcpy(plan[i].task_id, t.id, sizeof plan[i].task_id);
        plan[i].phase = t.phase;
        strcpy(plan[i].model, t.cfg.model);
        plan[i].grid = t.grid;
        plan[i].fold = t.fold;
        plan[i].rep = t.rep;
    }
    CHECK_EQ_INT(ps_store_write_grid(s, g, 4, &err), 0);
    CHECK_EQ_INT(ps_store_write_models(s, mr, 2, &err), 0);
    CHECK_EQ_INT(ps_store_write_plan(s, plan, N_PLAN, &err), 0);
    for (int i = from; i < to; i++) {
        int rc;
        add_plan_result(s, i, &err, &rc);
        CHECK_EQ_INT(rc, 0);
    }
    ps_store_selection sel = {"cnn", 1, 0.81f, 0.02f, 3};
    CHECK_EQ_INT(ps_store_set_selection(s, &sel, &err), 0);
    CHECK_EQ_INT(ps_store_close(s, from == 0 && to == N_PLAN, &err), 0);
}

/* Runs script FILE [ARGS] of tests/report. */
static int check_file(const char *script, const char *path, const char *args)
{
    char a[1200];
    snprintf(a, sizeof a, "%s %s", path, args);
    return fixture_python(script, a);
}

static void test_self_describing(void)
{
    const char *p = tpath("sd.h5");
    write_study(p, 0, N_PLAN);
    ps_results r;
    ps_err err = {0};
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
    CHECK_EQ_INT(r.format_version, PS_STORE_FORMAT);
    CHECK_EQ_INT(r.n_models, 2);
    CHECK_EQ_INT(strlen(r.models[0].arch), ARCH_LEN); /* the whole string, back */
    CHECK(!strncmp(r.models[0].arch, "conv 2>16 k3; conv", 18));
    CHECK_EQ_INT(r.rows[5].status, PS_TASK_DIVERGED);
    CHECK_EQ_INT(r.rows[19].phase, PS_PHASE_FINAL);
    ps_results_free(&r);
    CHECK_EQ_INT(check_file("check_selfdesc.py", p, "cnn 300"), 0);
}

/* /race grows at each checkpoint: a later row's longer names keep every character (a table
 * sized from its first rows cut "resnet_ws_aux" to "res" after a first "cnn"). */
static void test_race_rows_grow(void)
{
    const char *p = tpath("race.h5");
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, N_PLAN);
    ps_err err = {0};
    ps_store *s;
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), 0);
    static const char *const names[] = {"cnn", "resnet_ws_aux", "siamese_v2"};
    for (int k = 0; k < 3; k++) {
        ps_store_race_row row;
        memset(&row, 0, sizeof row);
        strcpy(row.model, names[k]);
        strcpy(row.leader_model, names[2 - k]);
        strcpy(row.test, k ? "t-corrected" : "mcnemar");
        row.grid = k;
        row.round = 1;
        row.rounds = 5;
        row.pruned = 4;
        CHECK_EQ_INT(ps_store_append_race(s, &row, &err), 0);
        int rc;
        add_plan_result(s, k, &err, &rc); /* ps_store_add: synced, then a checkpoint */
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_INT(ps_store_checkpoint(s, &err), 0);
    }
    CHECK_EQ_INT(ps_store_close(s, 0, &err), 0);
    ps_results r;
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0);
    CHECK_EQ_INT(r.n_race, 3);
    for (int k = 0; k < 3 && k < r.n_race; k++) {
        CHECK(!strcmp(r.race[k].model, names[k]));
        CHECK(!strcmp(r.race[k].leader_model, names[2 - k]));
        CHECK(!strcmp(r.race[k].test, k ? "t-corrected" : "mcnemar"));
    }
    ps_results_free(&r);
}

/* Every row and curve of a and b the same, bit for bit (NaN included). */
static void check_same_results(const ps_results *a, const ps_results *b)
{
    CHECK_EQ_INT(a->n_rows, b->n_rows);
    CHECK_EQ_INT(a->epochs_max, b->epochs_max);
    CHECK(!memcmp(a->rows, b->rows, (size_t)a->n_rows * sizeof *a->rows));
    size_t cells = (size_t)a->n_rows * (size_t)a->epochs_max * sizeof(float);
    CHECK(!memcmp(a->train_loss, b->train_loss, cells) && !memcmp(a->eval_acc, b->eval_acc, cells));
    CHECK_EQ_INT(a->n_plan, b->n_plan);
    CHECK(!memcmp(a->plan, b->plan, (size_t)a->n_plan * sizeof *a->plan));
    CHECK_EQ_INT(a->n_sel, b->n_sel);
    CHECK(!memcmp(a->sel, b->sel, (size_t)a->n_sel * sizeof *a->sel));
}

static void test_format1_read_and_resume(void)
{
    const char *p2 = tpath("part2.h5"), *p1 = tpath("part1.h5");
    write_study(p2, 0, 12);
    CHECK_EQ_INT(check_file("make_format1.py", p2, p1), 0);
    ps_results a, b;
    ps_err err = {0};
    CHECK_EQ_INT(ps_results_read(&a, p2, &err), 0);
    CHECK_EQ_INT(ps_results_read(&b, p1, &err), 0);
    CHECK_EQ_INT(b.format_version, 1);
    check_same_results(&a, &b);
    CHECK_EQ_INT(strlen(b.models[0].arch), 159); /* format 1 cut it */
    ps_results_free(&a);
    ps_results_free(&b);

    /* a run of the same job resumes it: converted, then continued */
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, N_PLAN);
    ps_store *s;
    CHECK_EQ_INT(ps_store_open(&s, p1, &m, 0, &err), 0);
    for (int i = 12; i < N_PLAN; i++) {
        int rc;
        add_plan_result(s, i, &err, &rc);
        CHECK_EQ_INT(rc, 0);
    }
    CHECK_EQ_INT(ps_store_close(s, 1, &err), 0);
    write_study(tpath("whole.h5"), 0, N_PLAN);
    CHECK_EQ_INT(ps_results_read(&a, tpath("whole.h5"), &err), 0);
    CHECK_EQ_INT(ps_results_read(&b, p1, &err), 0);
    CHECK_EQ_INT(b.format_version, PS_STORE_FORMAT);
    check_same_results(&a, &b);
    ps_results_free(&a);
    ps_results_free(&b);
    CHECK_EQ_INT(check_file("check_selfdesc.py", p1, "cnn 159"), 0);
}

static void test_format1_merge(void)
{
    const char *old = tpath("m_old.h5"), *new = tpath("m_new.h5"), *out = tpath("m_out.h5");
    write_study(tpath("m_tmp.h5"), 0, 10);
    CHECK_EQ_INT(check_file("make_format1.py", tpath("m_tmp.h5"), old), 0);
    write_study(new, 10, N_PLAN);
    const char *shards[2] = {old, new};
    int32_t n = 0;
    ps_err err = {0};
    CHECK_EQ_INT(ps_store_merge(out, shards, 2, &n, &err), 0);
    CHECK_EQ_INT(n, N_PLAN);
    ps_results r;
    CHECK_EQ_INT(ps_results_read(&r, out, &err), 0);
    CHECK_EQ_INT(r.format_version, PS_STORE_FORMAT);
    CHECK_EQ_INT(r.complete, 1);
    ps_results_free(&r);
    CHECK_EQ_INT(check_file("check_selfdesc.py", out, "cnn 159"), 0);
    /* one file merged alone is converted */
    CHECK_EQ_INT(ps_store_merge(tpath("m_one.h5"), shards, 1, &n, &err), 0);
    CHECK_EQ_INT(check_file("check_selfdesc.py", tpath("m_one.h5"), ""), 0);
}

static void test_newer_format_refused(void)
{
    const char *p = tpath("newer.h5");
    write_study(p, 0, 4);
    CHECK_EQ_INT(check_file("set_format_version.py", p, "3"), 0);
    ps_store_meta m;
    fixture_meta(&m, "fixture", JOB_A, N_PLAN);
    ps_store *s = NULL;
    ps_err err = {0};
    CHECK_EQ_INT(ps_store_open(&s, p, &m, 0, &err), PS_ESTATE);
    CHECK_STR_CONTAINS(err.msg, "written by a newer pairsweep (results format 3");
    const char *shards[1] = {p};
    CHECK_EQ_INT(ps_store_merge(tpath("newer_m.h5"), shards, 1, NULL, &err), PS_EFORMAT);
    CHECK_STR_CONTAINS(err.msg, "newer pairsweep");
    ps_results r;
    CHECK_EQ_INT(ps_results_read(&r, p, &err), 0); /* still readable for report/status */
    CHECK_EQ_INT(r.format_version, 3);
    ps_results_free(&r);
}

int main(void)
{
    fixture_setup();
    static const check_test tests[] = {
        T(test_self_describing),
        T(test_race_rows_grow),
        T(test_format1_read_and_resume),
        T(test_format1_merge),
        T(test_newer_format_refused),
    };
    int rc = check_run(tests, (int)(sizeof tests / sizeof tests[0]));
    fixture_cleanup();
    return rc;
}
