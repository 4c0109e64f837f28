/* Job files: the sections of a job (YAML read by job_yaml.c) into a ps_job, every error
 * "PATH:LINE: ...". */
#define _POSIX_C_SOURCE 200809L
#include "pairsweep/job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_yaml.h"
#include "pairsweep/models.h"
#include "pairsweep/path.h"
#include "pairsweep/rng.h"

/* MNIST holds 60,000 training and 10,000 test images; a pair takes two. */
#define MAX_TRAIN_PAIRS 30000
#define MAX_TEST_PAIRS 5000

static int parse_data(ps__jctx *c, ps_job *job, const yaml_node_t *n)
{
    static const char *const keys[] = {"mnist", "n_train", "n_test", NULL};
    unsigned seen = 0;
    int rc = ps__yaml_mapping(c, n, "data", "mnist, n_train, n_test");
    PS__YAML_FOR_PAIRS(n, p) {
        if (rc)
            break;
        yaml_node_t *v = ps__yaml_node(c, p->value);
        switch ((rc = ps__yaml_key(c, ps__yaml_node(c, p->key), "data", keys, &seen))) {
        case 0:
            rc = ps__yaml_text(c, v, "data.mnist", job->mnist_dir, sizeof job->mnist_dir);
            break;
        case 1: rc = ps__yaml_int(c, v, "data.n_train", 2, MAX_TRAIN_PAIRS, &job->n_train); break;
        case 2: rc = ps__yaml_int(c, v, "data.n_test", 1, MAX_TEST_PAIRS, &job->n_test); break;
        default: break;
        }
    }
    return rc < 0 ? rc : 0;
}

/* optimizer.momentum and optimizer.weight_decay are the defaults of the grid keys (def). */
static int parse_optimizer(ps__jctx *c, ps_job *job, const yaml_node_t *n, double def[PS_N_AXES])
{
    static const char *const keys[] = {"momentum", "nesterov", "weight_decay", NULL};
    unsigned seen = 0;
    int rc = ps__yaml_mapping(c, n, "optimizer", "momentum, nesterov, weight_decay");
    PS__YAML_FOR_PAIRS(n, p) {
        if (rc)
            break;
        yaml_node_t *v = ps__yaml_node(c, p->value);
        switch ((rc = ps__yaml_key(c, ps__yaml_node(c, p->key), "optimizer", keys, &seen))) {
        case 0:
            rc = ps__yaml_hparam(c, v, "optimizer.momentum", PS_AXIS_MOMENTUM,
                                 &def[PS_AXIS_MOMENTUM]);
            break;
        case 1: rc = ps__yaml_bool(c, v, "optimizer.nesterov", &job->nesterov); break;
        case 2:
            rc = ps__yaml_hparam(c, v, "optimizer.weight_decay", PS_AXIS_WD, &def[PS_AXIS_WD]);
            break;
        default: break;
        }
    }
    return rc < 0 ? rc : 0;
}

static int parse_schedule(ps__jctx *c, ps_job *job, const yaml_node_t *n)
{
    static const char *const keys[] = {"kind", "step_epoch", "gamma", NULL};
    unsigned seen = 0;
    char kind[32] = "constant";
    int kind_line = ps__yaml_line(n);
    double gamma = 0.1;
    int rc = ps__yaml_mapping(c, n, "schedule", "kind, step_epoch, gamma");
    PS__YAML_FOR_PAIRS(n, p) {
        if (rc)
            break;
        yaml_node_t *v = ps__yaml_node(c, p->value);
        switch ((rc = ps__yaml_key(c, ps__yaml_node(c, p->key), "schedule", keys, &seen))) {
        case 0:
            kind_line = ps__yaml_line(v);
            rc = ps__yaml_name(c, v, "schedule.kind", kind, sizeof kind);
            break;
        case 1:
            c->line_step = ps__yaml_line(v);
            rc = ps__yaml_int(c, v, "schedule.step_epoch", 1, 100000, &job->lr_step_epoch);
            break;
        case 2: rc = ps__yaml_num(c, v, "schedule.gamma", 0, 1, 1, &gamma); break;
        default: break;
        }
    }
    if (rc < 0)
        return rc;
    job->lr_step_gamma = (float)gamma;
    if (!strcmp(kind, "constant")) {
        if (seen & 6u)
            return ps__yaml_fail(c, kind_line, "schedule: step_epoch and gamma need kind: step "
                                               "(kind is constant)");
        job->lr_step_epoch = 0;
        job->lr_step_gamma = 1.0f;
        return 0;
    }
    if (strcmp(kind, "step"))
        return ps__yaml_fail(c, kind_line, "schedule.kind: expected constant or step, got '%s'",
                             kind);
    if (!(seen & 2u))
        return ps__yaml_fail(c, kind_line, "schedule: kind step needs step_epoch (the epoch "
                                           "from which lr is multiplied by gamma)");
    return 0;
}

static int parse_final(ps__jctx *c, ps_job *job, const yaml_node_t *n)
{
    static const char *const keys[] = {"seeds", "best", NULL};
    unsigned seen = 0;
    int rc = ps__yaml_mapping(c, n, "protocol.final", "seeds, best");
    PS__YAML_FOR_PAIRS(n, p) {
        if (rc)
            break;
        yaml_node_t *v = ps__yaml_node(c, p->value);
        switch ((rc = ps__yaml_key(c, ps__yaml_node(c, p->key), "protocol.final", keys, &seen))) {
        case 0: rc = ps__yaml_int(c, v, "protocol.final.seeds", 0, 10000, &job->final_seeds); break;
        case 1: rc = ps__yaml_int(c, v, "protocol.final.best", 1, 64, &job->final_best); break;
        default: break;
        }
    }
    return rc < 0 ? rc : 0;
}

static int parse_protocol(ps__jctx *c, ps_job *job, const yaml_node_t *n)
{
    static const char *const keys[] = {"kind",  "folds", "holdout", "repetitions",
                                       "final", "task_timeout", "racing", NULL};
    unsigned seen = 0;
    char kind[32] = "kfold";
    int kind_line = ps__yaml_line(n);
    int rc = ps__yaml_mapping(c, n, "protocol", "kind, folds, holdout, repetitions, final, "
                              "task_timeout, racing");
    PS__YAML_FOR_PAIRS(n, p) {
        if (rc)
            break;
        yaml_node_t *v = ps__yaml_node(c, p->value);
        switch ((rc = ps__yaml_key(c, ps__yaml_node(c, p->key), "protocol", keys, &seen))) {
        case 0:
            kind_line = ps__yaml_line(v);
            rc = ps__yaml_name(c, v, "protocol.kind", kind, sizeof kind);
            break;
        case 1:
            c->line_folds = ps__yaml_line(v);
            rc = ps__yaml_int(c, v, "protocol.folds", 2, 1000, &job->folds);
            break;
        case 2:
            c->line_holdout = ps__yaml_line(v);
            rc = ps__yaml_int(c, v, "protocol.holdout", 1, MAX_TRAIN_PAIRS, &job->holdout);
            break;
        case 3: rc = ps__yaml_int(c, v, "protocol.repetitions", 1, 10000, &job->select_reps); break;
        case 4: rc = parse_final(c, job, v); break;
        case 5:
            rc = ps__yaml_num(c, v, "protocol.task_timeout", 0, 1, 1e9, &job->task_timeout);
            break;
        case 6: rc = ps__job_parse_racing(c, &job->racing, v); break;
        default: break;
        }
    }
    if (rc < 0)
        return rc;
    if (!strcmp(kind, "kfold")) {
        job->select_eval = PS_EVAL_KFOLD;
        if (seen & 4u)
            return ps__yaml_fail(c, c->line_holdout,
                                 "protocol.holdout: needs kind: holdout (kind is kfold)");
    } else if (!strcmp(kind, "holdout")) {
        job->select_eval = PS_EVAL_HOLDOUT;
        if (seen & 2u)
            return ps__yaml_fail(c, c->line_folds,
                                 "protocol.folds: needs kind: kfold (kind is holdout)");
    } else {
        return ps__yaml_fail(c, kind_line, "protocol.kind: expected kfold or holdout, got '%s'",
                             kind);
    }
    return 0;
}

/* One grid key: a value or a list of values, each checked, none repeated. */
static int parse_axis(ps__jctx *c, ps_job_axis *ax, ps_axis a, const yaml_node_t *n, int32_t mi)
{
    char what[96];
    snprintf(what, sizeof what, "models[%d].grid.%s", (int)mi, ps_axis_name(a));
    const yaml_node_item_t *it = NULL, *top = NULL;
    int single = n->type != YAML_SEQUENCE_NODE;
    if (!single) {
        it = n->data.sequence.items.start;
        top = n->data.sequence.items.top;
        if (it == top)
            return ps__yaml_fail(c, ps__yaml_line(n), "%s: empty grid (expected at least one "
                                 "value)", what);
        if (top - it > PS_JOB_MAX_VALUES)
            return ps__yaml_fail(c, ps__yaml_line(n), "%s: more than %d values", what,
                                 PS_JOB_MAX_VALUES);
    }
    ax->n = 0;
    ax->line = ps__yaml_line(n);
    for (int k = 0; single ? k < 1 : it + k < top; k++) {
        const yaml_node_t *v = single ? n : ps__yaml_node(c, it[k]);
        double dv = 0;
        int rc = ps__yaml_hparam(c, v, what, a, &dv);
        if (rc)
            return rc;
        for (int j = 0; j < ax->n; j++)
            if (ax->v[j] == dv)
                return ps__yaml_fail(c, ps__yaml_line(v), "%s: value %g given twice", what, dv);
        ax->v[ax->n++] = dv;
    }
    return 0;
}

_Static_assert(PS_N_AXES <= 32, "ps__yaml_key tells at most 32 keys apart");

/* The grid: its keys are the hyper-parameters, ps_axis order. */
static int parse_grid(ps__jctx *c, ps_job_model *m, const yaml_node_t *n, int32_t mi)
{
    const char *keys[PS_N_AXES + 1];
    char section[64], known[256] = "";
    for (int a = 0; a < PS_N_AXES; a++) {
        keys[a] = ps_axis_name((ps_axis)a);
        size_t len = strlen(known);
        snprintf(known + len, sizeof known - len, "%s%s", a ? ", " : "", keys[a]);
    }
    keys[PS_N_AXES] = NULL;
    unsigned seen = 0;
    snprintf(section, sizeof section, "models[%d].grid", (int)mi);
    int rc = ps__yaml_mapping(c, n, section, known);
    PS__YAML_FOR_PAIRS(n, p) {
        if (rc)
            break;
        rc = ps__yaml_key(c, ps__yaml_node(c, p->key), section, keys, &seen);
        if (rc >= 0)
            rc = parse_axis(c, &m->axis[rc], (ps_axis)rc, ps__yaml_node(c, p->value), mi);
    }
    return rc < 0 ? rc : 0;
}

static int parse_model(ps__jctx *c, ps_job_model *m, const yaml_node_t *n, int32_t mi)
{
    static const char *const keys[] = {"name", "group", "grid", NULL};
    char section[64];
    unsigned seen = 0;
    snprintf(section, sizeof section, "models[%d]", (int)mi);
    int rc = ps__yaml_mapping(c, n, section, "name, group, grid");
    PS__YAML_FOR_PAIRS(n, p) {
        if (rc)
            break;
        yaml_node_t *v = ps__yaml_node(c, p->value);
        char what[80];
        switch ((rc = ps__yaml_key(c, ps__yaml_node(c, p->key), section, keys, &seen))) {
        case 0:
            m->line = ps__yaml_line(v);
            snprintf(what, sizeof what, "%s.name", section);
            rc = ps__yaml_name(c, v, what, m->name, sizeof m->name);
            break;
        case 1:
            snprintf(what, sizeof what, "%s.group", section);
            rc = ps__yaml_name(c, v, what, m->group, sizeof m->group);
            break;
        case 2: rc = parse_grid(c, m, v, mi); break;
        default: break;
        }
    }
    if (rc < 0)
        return rc;
    if (!(seen & 1u))
        return ps__yaml_fail(c, ps__yaml_line(n), "%s: missing required key 'name' (a model of "
                             "`pairsweep models`)", section);
    if (!m->group[0])
        snprintf(m->group, sizeof m->group, "%s", m->name);
    return 0;
}

/* One grid point: def (every hyper-parameter's default, or the optimizer's). */
static void model_defaults(ps_job_model *m, const double def[PS_N_AXES])
{
    for (int a = 0; a < PS_N_AXES; a++) {
        m->axis[a].n = 1;
        m->axis[a].v[0] = def[a];
        m->axis[a].line = 0;
    }
}

static int parse_models(ps__jctx *c, ps_job *job, const yaml_node_t *n,
                        const double def[PS_N_AXES])
{
    char got[80];
    if (n->type != YAML_SEQUENCE_NODE) {
        ps__yaml_describe(got, sizeof got, n);
        return ps__yaml_fail(c, ps__yaml_line(n), "models: expected a list of models ({name, "
                             "grid}), got %s", got);
    }
    ptrdiff_t count = n->data.sequence.items.top - n->data.sequence.items.start;
    if (count == 0)
        return ps__yaml_fail(c, ps__yaml_line(n), "models: empty list (expected at least one "
                             "model)");
    if (count > PS_JOB_MAX_MODELS)
        return ps__yaml_fail(c, ps__yaml_line(n), "models: more than %d models", PS_JOB_MAX_MODELS);
    job->models = calloc((size_t)count, sizeof *job->models);
    if (!job->models)
        return ps_err_set(c->err, PS_ENOMEM, "%s: out of memory", c->path);
    for (int32_t i = 0; i < (int32_t)count; i++) {
        ps_job_model *m = &job->models[i];
        model_defaults(m, def);
        int rc = parse_model(c, m, ps__yaml_node(c, n->data.sequence.items.start[i]), i);
        if (rc)
            return rc;
        for (int32_t j = 0; j < i; j++)
            if (!strcmp(job->models[j].name, m->name))
                return ps__yaml_fail(c, m->line, "models[%d].name: model '%s' is already listed "
                                     "at line %d", (int)i, m->name, (int)job->models[j].line);
        job->n_models = i + 1;
    }
    return 0;
}

static int parse_root(ps__jctx *c, const yaml_node_t *root, void *out)
{
    static const char *const keys[] = {"name", "description", "seed", "epochs", "data",
                                       "optimizer", "schedule", "protocol", "models", NULL};
    ps_job *job = out;
    unsigned seen = 0;
    double def[PS_N_AXES]; /* of the grid keys */
    for (int a = 0; a < PS_N_AXES; a++)
        def[a] = ps_hparam_info((ps_axis)a)->def;
    const yaml_node_t *models = NULL;
    int rc = ps__yaml_mapping(c, root, "job", "name, data, protocol, models, ...");
    PS__YAML_FOR_PAIRS(root, p) {
        if (rc)
            break;
        yaml_node_t *v = ps__yaml_node(c, p->value);
        char scratch[512];
        switch ((rc = ps__yaml_key(c, ps__yaml_node(c, p->key), "job", keys, &seen))) {
        case 0: rc = ps__yaml_name(c, v, "name", job->name, sizeof job->name); break;
        case 1: rc = ps__yaml_text(c, v, "description", scratch, sizeof scratch); break;
        case 2: rc = ps__yaml_u64(c, v, "seed", &job->seed); break;
        case 3:
            c->line_epochs = ps__yaml_line(v);
            rc = ps__yaml_int(c, v, "epochs", 1, 10000, &job->epochs);
            break;
        case 4: rc = parse_data(c, job, v); break;
        case 5: rc = parse_optimizer(c, job, v, def); break;
        case 6: rc = parse_schedule(c, job, v); break;
        case 7: rc = parse_protocol(c, job, v); break;
        case 8: /* read after the loop: optimizer's values, wherever written, are the grid
                   defaults */
            models = v;
            c->line_models = ps__yaml_line(v);
            rc = 0;
            break;
        default: break;
        }
    }
    if (rc < 0)
        return rc;
    if (!models)
        return ps__yaml_fail(c, ps__yaml_line(root), "job: missing required key 'models' (a list "
                             "of {name, grid})");
    job->line_models = c->line_models;
    return parse_models(c, job, models, def);
}

/* Checks between keys, once everything is read. */
static int cross_check(ps__jctx *c, ps_job *job)
{
    if (job->lr_step_epoch >= job->epochs && job->lr_step_epoch > 0)
        return ps__yaml_fail(c, c->line_step, "schedule.step_epoch: expected an epoch in 1..%d "
                             "(below epochs), got %d", (int)job->epochs - 1,
                             (int)job->lr_step_epoch);
    if (job->select_eval == PS_EVAL_KFOLD && job->folds > job->n_train)
        return ps__yaml_fail(c, c->line_folds ? c->line_folds : 1, "protocol.folds: %d folds "
                             "of %d training pairs (expected folds <= data.n_train)",
                             (int)job->folds, (int)job->n_train);
    if (job->select_eval == PS_EVAL_HOLDOUT && job->holdout >= job->n_train)
        return ps__yaml_fail(c, c->line_holdout ? c->line_holdout : 1, "protocol.holdout: %d "
                             "validation pairs of %d training pairs (expected fewer than "
                             "data.n_train)", (int)job->holdout, (int)job->n_train);
    int64_t tasks = 0;
    for (int32_t i = 0; i < job->n_models; i++) {
        int64_t points = 1;
        for (int a = 0; a < PS_N_AXES; a++)
            points *= job->models[i].axis[a].n;
        if (points > PS_JOB_MAX_GRID)
            return ps__yaml_fail(c, job->models[i].line, "models[%d].grid: %lld grid points "
                                 "(expected at most %d per model)", (int)i, (long long)points,
                                 PS_JOB_MAX_GRID);
        tasks += points * ps_job_select_per_point(job);
    }
    if (tasks > PS_JOB_MAX_TASKS)
        return ps__yaml_fail(c, c->line_models, "models: %lld selection tasks (expected at most "
                             "%d)", (long long)tasks, PS_JOB_MAX_TASKS);
    int32_t avail = ps_job_select_train_pairs(job);
    for (int32_t i = 0; i < job->n_models; i++) {
        const ps_job_axis *ax = &job->models[i].axis[PS_AXIS_BATCH];
        for (int32_t k = 0; k < ax->n; k++)
            if (ax->v[k] > avail)
                return ps__yaml_fail(c, ax->line ? ax->line : job->models[i].line,
                                     "models[%d].grid.batch_size: %g is larger than the %d "
                                     "training pairs of a selection task", (int)i, ax->v[k],
                                     (int)avail);
    }
    return ps__job_check_racing(c, job);
}

static int set_groups(ps_job *job, ps_err *err)
{
    size_t n = job->n_models > 0 ? (size_t)job->n_models : 1;
    job->groups = calloc(n, sizeof *job->groups);
    if (!job->groups)
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory", job->path);
    job->n_groups = 0;
    for (int32_t i = 0; i < job->n_models; i++) {
        ps_job_model *m = &job->models[i];
        int32_t g = 0;
        while (g < job->n_groups && strcmp(job->groups[g], m->group))
            g++;
        if (g == job->n_groups)
            memcpy(job->groups[job->n_groups++], m->group, PS_NAME_MAX);
        m->group_index = g;
        m->n_grid = 1;
        for (int a = 0; a < PS_N_AXES; a++)
            m->n_grid *= m->axis[a].n;
    }
    return 0;
}

static void job_defaults(ps_job *job, const char *path)
{
    memset(job, 0, sizeof *job);
    snprintf(job->path, sizeof job->path, "%s", path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(job->name, sizeof job->name, "%s", base);
    char *dot = strrchr(job->name, '.');
    if (dot && dot != job->name)
        *dot = '\0';
    if (!ps__yaml_valid_name(job->name, sizeof job->name))
        snprintf(job->name, sizeof job->name, "job");
    job->n_train = 1000;
    job->n_test = 1000;
    job->epochs = 25;
    job->seed = 0;
    job->lr_step_gamma = 1.0f;
    job->select_eval = PS_EVAL_KFOLD;
    job->folds = 5;
    job->holdout = 100;
    job->select_reps = 1;
    job->final_seeds = 15;
    job->final_best = 1;
    ps__job_racing_defaults(&job->racing);
}

int ps_job_parse(ps_job *out, const char *text, size_t len, const char *path, ps_err *err)
{
    ps_job job;
    ps__jctx c = {.path = path, .err = err};
    job_defaults(&job, path);
    int rc = ps__yaml_load(&c, text, len, parse_root, &job);
    if (!rc)
        rc = cross_check(&c, &job);
    if (!rc)
        rc = set_groups(&job, err);
    if (!rc) {
        job.text = malloc(len + 1);
        if (!job.text)
            rc = ps_err_set(err, PS_ENOMEM, "%s: out of memory", path);
    }
    if (rc) {
        ps_job_free(&job);
        return rc;
    }
    memcpy(job.text, text, len);
    job.text[len] = '\0';
    job.text_len = len;
    ps_sha256_hex(job.sha256, text, len);
    *out = job;
    return 0;
}

int ps_job_load(ps_job *job, const char *path, ps_err *err)
{
    FILE *f = NULL;
    int rc0 = ps_path_fopen_read(&f, path, "a YAML job file", err);
    if (rc0)
        return rc0;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = 0;
    while (buf) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap || len >= (size_t)16 << 20)
            break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
        } else {
            buf = nb;
            cap *= 2;
        }
    }
    if (!buf)
        rc = ps_err_set(err, PS_ENOMEM, "%s: out of memory", path);
    else if (ferror(f))
        rc = ps_err_set(err, PS_EIO, "%s: read error: %s", path, strerror(errno));
    else if (len >= (size_t)16 << 20)
        rc = ps_err_set(err, PS_EINVAL, "%s: larger than 16 MiB (expected a YAML job)", path);
    fclose(f);
    if (!rc)
        rc = ps_job_parse(job, buf, len, path, err);
    free(buf);
    return rc;
}

void ps_job_free(ps_job *job)
{
    free(job->text);
    free(job->models);
    free(job->groups);
    job->text = NULL;
    job->models = NULL;
    job->groups = NULL;
    job->n_models = job->n_groups = 0;
}

void ps_job_grid_index(int32_t idx[PS_N_AXES], const ps_job_model *m, int32_t g)
{
    for (int a = PS_N_AXES - 1; a >= 0; a--) {
        idx[a] = g % m->axis[a].n;
        g /= m->axis[a].n;
    }
}

void ps_job_config(ps_train_config *cfg, const ps_job *job, int32_t mi, int32_t g)
{
    const ps_job_model *m = &job->models[mi];
    int32_t idx[PS_N_AXES];
    ps_job_grid_index(idx, m, g);
    ps_train_config_default(cfg);
    snprintf(cfg->model, sizeof cfg->model, "%s", m->name);
    for (int a = 0; a < PS_N_AXES; a++)
        ps_hparam_set(cfg, (ps_axis)a, m->axis[a].v[idx[a]]);
    cfg->nesterov = job->nesterov;
    cfg->epochs = job->epochs;
    cfg->lr_step_epoch = job->lr_step_epoch;
    cfg->lr_step_gamma = job->lr_step_epoch ? job->lr_step_gamma : 1.0f;
    cfg->n_train = job->n_train;
    cfg->n_test = job->n_test;
    cfg->seed = 0;
    cfg->eval = PS_EVAL_TEST;
    cfg->folds = 0;
    cfg->fold = 0;
    cfg->holdout = 0;
}

uint64_t ps_job_select_seed(const ps_job *job, int32_t rep)
{
    return ps_mix64(ps_seed_derive(job->seed, "select") ^ (uint64_t)rep);
}

uint64_t ps_job_final_seed(const ps_job *job, int32_t rep)
{
    return ps_mix64(ps_seed_derive(job->seed, "final") ^ (uint64_t)rep);
}

int ps_job_check_models(const ps_job *job, ps_err *err)
{
    for (int32_t i = 0; i < job->n_models; i++) {
        const ps_job_model *m = &job->models[i];
        ps_model_info info;
        ps_err e;
        if (ps_model_lookup(&info, m->name, &e) < 0)
            return ps_err_set(err, PS_EINVAL, "%s:%d: models[%d].name: %s%s", job->path,
                              (int)m->line, (int)i, e.msg,
                              strstr(e.msg, "pairsweep models") ? ""
                                                                : " (see `pairsweep models`)");
        const ps_job_axis *bn = &m->axis[PS_AXIS_BN], *aux = &m->axis[PS_AXIS_AUX];
        if (!info.optional_bn && bn->line && (bn->n > 1 || bn->v[0] != info.default_bn))
            return ps_err_set(err, PS_EINVAL, "%s:%d: models[%d].grid.bn: model '%s' cannot "
                              "switch BatchNorm (expected no bn key, or bn: %s)", job->path,
                              (int)bn->line, (int)i, m->name, info.default_bn ? "true" : "false");
        if (info.loss != PS_LOSS_TARGET_AUX && aux->line && aux->n > 1)
            return ps_err_set(err, PS_EINVAL, "%s:%d: models[%d].grid.aux_weight: model '%s' has "
                              "no auxiliary loss (expected one value or none)", job->path,
                              (int)aux->line, (int)i, m->name);
    }
    return ps_job_check_size(job, NULL, err);
}

