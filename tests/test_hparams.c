/* Tests of the hyper-parameter list (hparams.h), entry by entry: its declaration, the defaults
 * of a config, the job parser's keys and range checks, task ids, the /grid column, and
 * docs/job-format.md's grid table. A hyper-parameter added to PS_HPARAMS is tested here
 * without a new line of test. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pairsweep/hparams.h"
#include "pairsweep/job.h"
#include "pairsweep/store.h"
#include "pairsweep/sweep.h"

/* A value of a in its range other than its default. */
static double other_value(ps_axis a)
{
    const ps_hparam *h = ps_hparam_info(a);
    if (h->kind == PS_HP_SWITCH)
        return h->def == 1 ? 0 : 1;
    if (h->kind == PS_HP_INT)
        return h->def == h->lo ? h->lo + 1 : h->lo;
    double v = (h->lo + h->hi) / 2;
    return v == h->def ? h->hi : v;
}

/* v as it reads back from a config (its field's type). */
static double stored(ps_axis a, double v)
{
    ps_train_config c;
    memset(&c, 0, sizeof c);
    ps_hparam_set(&c, a, v);
    return ps_hparam_get(&c, a);
}

/* v as a job file writes it. */
static void yaml_value(char *buf, size_t cap, ps_axis a, double v)
{
    if (ps_hparam_info(a)->kind == PS_HP_SWITCH)
        snprintf(buf, cap, "%s", v ? "true" : "false");
    else
        snprintf(buf, cap, "%.17g", v);
}

static void test_declaration(void)
{
    CHECK(PS_N_AXES_FIXED == 6 && PS_N_AXES >= PS_N_AXES_FIXED);
    CHECK(ps_hparam_info(PS_N_AXES) == NULL && ps_hparam_info((ps_axis)-1) == NULL);
    CHECK(!strcmp(ps_axis_name(PS_N_AXES), "?"));
    for (int a = 0; a < PS_N_AXES; a++) {
        const ps_hparam *h = ps_hparam_info((ps_axis)a);
        CHECK(h != NULL);
        CHECK(h->key[0] && h->field[0] && h->label[0] && h->help[0]);
        CHECK(!strcmp(ps_axis_name((ps_axis)a), h->key));
        CHECK_EQ_INT(ps_hparam_find(h->key), a);
        CHECK(h->kind == PS_HP_INT || h->kind == PS_HP_NUM || h->kind == PS_HP_SWITCH);
        CHECK(h->lo < h->hi);
        if (h->kind == PS_HP_SWITCH)
            CHECK(h->lo == 0 && h->hi == 1 && (h->def == -1 || ps_hparam_in_range(a, h->def)));
        else
            CHECK(ps_hparam_in_range((ps_axis)a, h->def));
        double v = other_value((ps_axis)a);
        CHECK(ps_hparam_in_range((ps_axis)a, v) && v != h->def);
        CHECK(!ps_hparam_in_range((ps_axis)a, h->hi + 1) && !ps_hparam_in_range(a, h->lo - 1));
        CHECK(!ps_hparam_in_range((ps_axis)a, NAN));
        CHECK(h->lo_open == 0 || !ps_hparam_in_range((ps_axis)a, h->lo));
    }
    CHECK_EQ_INT(ps_hparam_find("no_such_key"), -1);
    char r[64];
    ps_hparam_range(r, sizeof r, PS_AXIS_LR);
    CHECK(!strcmp(r, "(0, 10]"));
    ps_hparam_range(r, sizeof r, PS_AXIS_BATCH);
    CHECK(!strcmp(r, "1..1000000"));
}

static void test_config_defaults(void)
{
    ps_train_config c;
    ps_train_config_default(&c);
    for (int a = 0; a < PS_N_AXES; a++)
        CHECK(ps_hparam_get(&c, (ps_axis)a) == stored(a, ps_hparam_info((ps_axis)a)->def));
    /* the first six as they were written out before the list */
    CHECK(c.batch_size == 100 && c.lr == 0.01f && c.momentum == 0.9f && c.use_bn == -1 &&
          c.aux_weight == 1.0f && c.weight_decay == 0.0f);
    for (int a = 0; a < PS_N_AXES; a++) {
        ps_train_config d = c;
        double v = other_value((ps_axis)a);
        ps_hparam_set(&d, (ps_axis)a, v);
        CHECK(ps_hparam_get(&d, (ps_axis)a) == stored(a, v));
        for (int b = 0; b < PS_N_AXES; b++)
            CHECK(b == a || ps_hparam_get(&d, (ps_axis)b) == ps_hparam_get(&c, (ps_axis)b));
    }
}

static int parse(ps_job *job, const char *text, ps_err *err)
{
    return ps_job_parse(job, text, strlen(text), "t.yaml", err);
}

/* Every key: accepted with a value in range (and as a list), refused out of range with
 * "t.yaml:4: models[0].grid.KEY: expected ...". */
static void test_job_keys(void)
{
    static const char *head = "models:\n  - name: siamese_aux\n    grid:\n";
    for (int a = 0; a < PS_N_AXES; a++) {
        const ps_hparam *h = ps_hparam_info((ps_axis)a);
        char text[512], v[64], w[64], prefix[128];
        double x = other_value((ps_axis)a);
        yaml_value(v, sizeof v, a, x);
        snprintf(text, sizeof text, "%s      %s: %s\n", head, h->key, v);
        ps_job job;
        ps_err err = {0};
        CHECK_EQ_INT(parse(&job, text, &err), 0);
        ps_train_config c, d;
        ps_job_config(&c, &job, 0, 0);
        ps_train_config_default(&d);
        for (int b = 0; b < PS_N_AXES; b++)
            CHECK(ps_hparam_get(&c, (ps_axis)b) == (b == a ? stored(a, x)
                                                            : ps_hparam_get(&d, (ps_axis)b)));
        ps_job_free(&job);
        /* two values: two grid points, this axis varying (a batch within the training pairs) */
        yaml_value(w, sizeof w, a,
                   h->kind == PS_HP_NUM ? h->hi : h->kind == PS_HP_INT ? x + 1 : !x);
        snprintf(text, sizeof text, "%s      %s: [%s, %s]\n", head, h->key, v, w);
        CHECK_EQ_INT(parse(&job, text, &err), 0);
        CHECK_EQ_INT(job.models[0].n_grid, 2);
        ps_job_config(&d, &job, 0, 1);
        CHECK(ps_hparam_get(&d, (ps_axis)a) != ps_hparam_get(&c, (ps_axis)a));
        ps_job_free(&job);
        /* out of range, both ends */
        snprintf(prefix, sizeof prefix, "t.yaml:4: models[0].grid.%s: expected ", h->key);
        for (int end = 0; end < 2; end++) {
            if (h->kind == PS_HP_SWITCH)
                snprintf(v, sizeof v, "%s", end ? "2" : "maybe");
            else
                yaml_value(v, sizeof v, a, end ? h->hi + 1 : h->lo - 1);
            snprintf(text, sizeof text, "%s      %s: %s\n", head, h->key, v);
            CHECK_EQ_INT(parse(&job, text, &err), PS_EINVAL);
            if (strncmp(err.msg, prefix, strlen(prefix)))
                fprintf(stderr, "'%s' does not start with '%s'\n", err.msg, prefix);
            CHECK(!strncmp(err.msg, prefix, strlen(prefix)));
        }
    }
}

/* Every hyper-parameter is part of a task's identity. */
static void test_task_ids(void)
{
    ps_train_config c;
    ps_train_config_default(&c);
    snprintf(c.model, sizeof c.model, "cnn");
    char id[PS_TASK_ID_LEN + 1], id2[PS_TASK_ID_LEN + 1], text[64];
    ps_task_make_id(id, &c);
    /* none added yet, or at its default: nothing after pairsweep-task/1's lines */
    CHECK_EQ_INT(ps_hparams_task_text(text, sizeof text, &c), 0);
    for (int a = 0; a < PS_N_AXES; a++) {
        ps_train_config d = c;
        ps_hparam_set(&d, (ps_axis)a, other_value((ps_axis)a));
        ps_task_make_id(id2, &d);
        if (!strcmp(id, id2))
            fprintf(stderr, "%s does not change the task id\n", ps_axis_name((ps_axis)a));
        CHECK(strcmp(id, id2));
    }
}

/* The /grid row of a config and its round trip through a results file. */
static void check_grid_row(const ps_store_grid_row *r, const ps_train_config *c)
{
#define SAME(ID, field, key, kind, def, lo, lo_open, hi, label, help) \
    CHECK((double)r->field == ps_hparam_get(c, PS_AXIS_##ID));
    PS_HPARAMS(SAME)
#undef SAME
    CHECK(!strcmp(r->model, c->model) && r->grid == 3 && r->epochs == c->epochs);
}

static void test_grid_column(void)
{
    ps_train_config c;
    ps_train_config_default(&c);
    snprintf(c.model, sizeof c.model, "cnn");
    for (int a = 0; a < PS_N_AXES; a++)
        ps_hparam_set(&c, (ps_axis)a, other_value((ps_axis)a));
    ps_store_grid_row row;
    ps_store_grid_row_set(&row, 3, &c);
    check_grid_row(&row, &c);

    char dir[] = "/tmp/test_hparams.XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/grid.h5", dir);
    ps_store_meta m;
    memset(&m, 0, sizeof m);
    m.job_name = "grid";
    m.job_text = "models: [{name: cnn}]\n";
    for (int i = 0; i < 4; i++)
        m.mnist_sha256[i] = "0000000000000000000000000000000000000000000000000000000000000000";
    m.ranks = 1;
    ps_store *s;
    ps_err err = {0};
    ps_results r;
    int ok = ps_store_open(&s, path, &m, 0, &err) == 0 &&
             ps_store_write_grid(s, &row, 1, &err) == 0 && ps_store_close(s, 0, &err) == 0 &&
             ps_results_read_trusted(&r, path, &err) == 0;
    if (!ok)
        fprintf(stderr, "%s\n", err.msg);
    unlink(path);
    rmdir(dir);
    CHECK(ok);
    CHECK_EQ_INT(r.n_grid, 1);
    check_grid_row(&r.grid[0], &c);
    ps_results_free(&r);
}

/* Text of path, whitespace runs as one space. */
static char *read_squeezed(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *t = calloc(1 << 20, 1);
    size_t n = t ? fread(t, 1, (1 << 20) - 1, f) : 0, k = 0;
    fclose(f);
    for (size_t i = 0; t && i < n; i++)
        if (!(t[i] == ' ' || t[i] == '\n') || (k > 0 && t[k - 1] != ' '))
            t[k++] = t[i] == '\n' ? ' ' : t[i];
    if (t)
        t[k] = '\0';
    return t;
}

/* docs/job-format.md: a row of the grid table per key with its range, and the order of the
 * grid points. */
static void test_docs(void)
{
    const char *src = getenv("PS_SOURCE_DIR");
    char path[1024], want[256], range[64];
    snprintf(path, sizeof path, "%s/docs/job-format.md", src ? src : ".");
    char *doc = read_squeezed(path);
    CHECK(doc != NULL);
    const char *grid = strstr(doc, "`grid`: each key is one value");
    CHECK(grid != NULL);
    char order[512] = "itertools.product(";
    for (int a = 0; a < PS_N_AXES; a++) {
        const ps_hparam *h = ps_hparam_info((ps_axis)a);
        ps_hparam_range(range, sizeof range, (ps_axis)a);
        if (h->kind == PS_HP_SWITCH)
            snprintf(want, sizeof want, "| `%s` | booleans |", h->key);
        else
            snprintf(want, sizeof want, "| `%s` | %s in %s |", h->key,
                     h->kind == PS_HP_INT ? "integers" : "numbers", range);
        if (!strstr(grid, want))
            fprintf(stderr, "docs/job-format.md: no grid row '%s'\n", want);
        CHECK(strstr(grid, want));
        snprintf(order + strlen(order), sizeof order - strlen(order), "%s%s", a ? ", " : "",
                 h->key);
    }
    strcat(order, ")");
    CHECK_STR_CONTAINS(grid, order);
    free(doc);
}

CHECK_MAIN(T(test_declaration), T(test_config_defaults), T(test_job_keys), T(test_task_ids),
           T(test_grid_column), T(test_docs))
