/* Job files: YAML (libyaml's document API) into a ps_job, every error "PATH:LINE: ...". */
#define _POSIX_C_SOURCE 200809L
#include "pairsweep/job.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "pairsweep/models.h"
#include "pairsweep/path.h"
#include "pairsweep/rng.h"

/* MNIST holds 60,000 training and 10,000 test images; a pair takes two. */
#define MAX_TRAIN_PAIRS 30000
#define MAX_TEST_PAIRS 5000

typedef struct jctx {
    const char *path;
    yaml_document_t *doc;
    ps_err *err;
    int32_t line_epochs, line_step, line_folds, line_holdout, line_models; /* cross-checks */
} jctx;

static const char *const axis_names[PS_N_AXES] = {
    "batch_size", "lr", "momentum", "bn", "aux_weight", "weight_decay",
};

const char *ps_axis_name(ps_axis a)
{
    return (a >= 0 && a < PS_N_AXES) ? axis_names[a] : "?";
}

static int line_of(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

static int fail_at(jctx *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(jctx *c, int line, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return ps_err_set(c->err, PS_EINVAL, "%s:%d: %s", c->path, line, what);
}

static yaml_node_t *node_at(jctx *c, int id)
{
    return yaml_document_get_node(c->doc, id);
}

/* A short description of what a node is, for "got ..." in messages. */
static void describe(char *buf, size_t cap, const yaml_node_t *n)
{
    if (n->type == YAML_MAPPING_NODE)
        snprintf(buf, cap, "a mapping");
    else if (n->type == YAML_SEQUENCE_NODE)
        snprintf(buf, cap, "a list");
    else if (n->data.scalar.length == 0)
        snprintf(buf, cap, "nothing");
    else {
        /* At most 60 bytes of the value, control characters shown as '?': an error message
         * stays one line whatever the file holds. */
        char v[61];
        size_t len = n->data.scalar.length < 60 ? n->data.scalar.length : 60;
        for (size_t i = 0; i < len; i++) {
            unsigned char ch = n->data.scalar.value[i];
            v[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
        }
        v[len] = '\0';
        snprintf(buf, cap, "'%s'", v);
    }
}

static int is_plain_scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           n->data.scalar.length > 0;
}

static int get_int(jctx *c, const yaml_node_t *n, const char *what, long lo, long hi,
                   int32_t *out)
{
    char got[80];
    if (is_plain_scalar(n)) {
        const char *s = (const char *)n->data.scalar.value;
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (!errno && end != s && !*end) {
            if (v >= lo && v <= hi) {
                *out = (int32_t)v;
                return 0;
            }
            return fail_at(c, line_of(n), "%s: expected an integer in %ld..%ld, got %ld", what,
                           lo, hi, v);
        }
    }
    describe(got, sizeof got, n);
    return fail_at(c, line_of(n), "%s: expected an integer in %ld..%ld, got %s", what, lo, hi,
                   got);
}

static int get_u64(jctx *c, const yaml_node_t *n, const char *what, uint64_t *out)
{
    char got[80];
    if (is_plain_scalar(n)) {
        const char *s = (const char *)n->data.scalar.value;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (!errno && end != s && !*end && s[0] != '-') {
            *out = (uint64_t)v;
            return 0;
        }
    }
    describe(got, sizeof got, n);
    return fail_at(c, line_of(n), "%s: expected a non-negative integer, got %s", what, got);
}

/* A number in [lo, hi], or (lo, hi] when lo_open. */
static int get_num(jctx *c, const yaml_node_t *n, const char *what, double lo, int lo_open,
                   double hi, double *out)
{
    char got[80];
    if (is_plain_scalar(n)) {
        const char *s = (const char *)n->data.scalar.value;
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (!errno && end != s && !*end && isfinite(v)) {
            if ((lo_open ? v > lo : v >= lo) && v <= hi) {
                *out = v;
                return 0;
            }
            return fail_at(c, line_of(n), "%s: expected a number %s %g and <= %g, got %s", what,
                           lo_open ? ">" : ">=", lo, hi, s);
        }
    }
    describe(got, sizeof got, n);
    return fail_at(c, line_of(n), "%s: expected a number %s %g and <= %g, got %s", what,
                   lo_open ? ">" : ">=", lo, hi, got);
}

static int get_bool(jctx *c, const yaml_node_t *n, const char *what, int32_t *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", "On"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "off", "Off"};
    char got[80];
    if (is_plain_scalar(n)) {
        const char *s = (const char *)n->data.scalar.value;
        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
            if (!strcmp(s, yes[i])) { *out = 1; return 0; }
            if (!strcmp(s, no[i])) { *out = 0; return 0; }
        }
    }
    describe(got, sizeof got, n);
    return fail_at(c, line_of(n), "%s: expected true or false, got %s", what, got);
}

/* A name: 1..cap-1 characters of [A-Za-z0-9_.-]. */
static int valid_name(const char *s, size_t cap)
{
    size_t len = strlen(s);
    if (len == 0 || len >= cap || s[0] == '.' || s[0] == '-')
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '.' || *p == '-'))
            return 0;
    return 1;
}

static int get_name(jctx *c, const yaml_node_t *n, const char *what, char *buf, size_t cap)
{
    char got[80];
    if (n->type == YAML_SCALAR_NODE && valid_name((const char *)n->data.scalar.value, cap)) {
        snprintf(buf, cap, "%s", (const char *)n->data.scalar.value);
        return 0;
    }
    describe(got, sizeof got, n);
    return fail_at(c, line_of(n), "%s: expected a name of 1..%zu characters [A-Za-z0-9_.-], got %s",
                   what, cap - 1, got);
}

static int get_text(jctx *c, const yaml_node_t *n, const char *what, char *buf, size_t cap)
{
    char got[80];
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.length > 0 && n->data.scalar.length < cap) {
        memcpy(buf, n->data.scalar.value, n->data.scalar.length + 1);
        return 0;
    }
    describe(got, sizeof got, n);
    return fail_at(c, line_of(n), "%s: expected a string of 1..%zu characters, got %s", what,
                   cap - 1, got);
}

/* Checks that n is a mapping. */
static int want_mapping(jctx *c, const yaml_node_t *n, const char *what, const char *keys)
{
    char got[80];
    if (n->type == YAML_MAPPING_NODE)
        return 0;
    describe(got, sizeof got, n);
    return fail_at(c, line_of(n), "%s: expected a mapping of %s, got %s", what, keys, got);
}

/* The index of key node k in keys (a NULL-terminated list); an unknown, repeated or
 * non-scalar key is an error naming the section and the known keys. */
static int key_index(jctx *c, const yaml_node_t *k, const char *section,
                     const char *const *keys, unsigned *seen)
{
    char known[256] = "";
    for (int i = 0; keys[i]; i++) {
        if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, keys[i])) {
            if (*seen & (1u << i))
                return fail_at(c, line_of(k), "%s: key '%s' given twice", section, keys[i]);
            *seen |= 1u << i;
            return i;
        }
        size_t len = strlen(known);
        snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", keys[i]);
    }
    char got[80];
    describe(got, sizeof got, k);
    return fail_at(c, line_of(k), "%s: unknown key %s (expected one of: %s)", section, got, known);
}

#define FOR_PAIRS(n, p) \
    for (yaml_node_pair_t *p = (n)->data.mapping.pairs.start; p < (n)->data.mapping.pairs.top; p++)

static int parse_data(jctx *c, ps_job *job, const yaml_node_t *n)
{
    static const char *const keys[] = {"mnist", "n_train", "n_test", NULL};
    unsigned seen = 0;
    int rc = want_mapping(c, n, "data", "mnist, n_train, n_test");
    FOR_PAIRS(n, p) {
        if (rc)
            break;
        yaml_node_t *v = node_at(c, p->value);
        switch ((rc = key_index(c, node_at(c, p->key), "data", keys, &seen))) {
        case 0: rc = get_text(c, v, "data.mnist", job->mnist_dir, sizeof job->mnist_dir); break;
        case 1: rc = get_int(c, v, "data.n_train", 2, MAX_TRAIN_PAIRS, &job->n_train); break;
        case 2: rc = get_int(c, v, "data.n_test", 1, MAX_TEST_PAIRS, &job->n_test); break;
        default: break;
        }
    }
    return rc < 0 ? rc : 0;
}

static int parse_optimizer(jctx *c, ps_job *job, const yaml_node_t *n, double *momentum,
                           double *wd)
{
    static const char *const keys[] = {"momentum", "nesterov", "weight_decay", NULL};
    unsigned seen = 0;
    int rc = want_mapping(c, n, "optimizer", "momentum, nesterov, weight_decay");
    FOR_PAIRS(n, p) {
        if (rc)
            break;
        yaml_node_t *v = node_at(c, p->value);
        switch ((rc = key_index(c, node_at(c, p->key), "optimizer", keys, &seen))) {
        case 0: rc = get_num(c, v, "optimizer.momentum", 0, 0, 0.999, momentum); break;
        case 1: rc = get_bool(c, v, "optimizer.nesterov", &job->nesterov); break;
        case 2: rc = get_num(c, v, "optimizer.weight_decay", 0, 0, 1, wd); break;
        default: break;
        }
    }
    return rc < 0 ? rc : 0;
}

static int parse_schedule(jctx *c, ps_job *job, const yaml_node_t *n)
{
    static const char *const keys[] = {"kind", "step_epoch", "gamma", NULL};
    unsigned seen = 0;
    char kind[32] = "constant";
    int kind_line = line_of(n);
    double gamma = 0.1;
    int rc = want_mapping(c, n, "schedule", "kind, step_epoch, gamma");
    FOR_PAIRS(n, p) {
        if (rc)
            break;
        yaml_node_t *v = node_at(c, p->value);
        switch ((rc = key_index(c, node_at(c, p->key), "schedule", keys, &seen))) {
        case 0:
            kind_line = line_of(v);
            rc = get_name(c, v, "schedule.kind", kind, sizeof kind);
            break;
        case 1:
            c->line_step = line_of(v);
            rc = get_int(c, v, "schedule.step_epoch", 1, 100000, &job->lr_step_epoch);
            break;
        case 2: rc = get_num(c, v, "schedule.gamma", 0, 1, 1, &gamma); break;
        default: break;
        }
    }
    if (rc < 0)
        return rc;
    job->lr_step_gamma = (float)gamma;
    if (!strcmp(kind, "constant")) {
        if (seen & 6u)
            return fail_at(c, kind_line,
                           "schedule: step_epoch and gamma need kind: step (kind is constant)");
        job->lr_step_epoch = 0;
        job->lr_step_gamma = 1.0f;
        return 0;
    }
    if (strcmp(kind, "step"))
        return fail_at(c, kind_line, "schedule.kind: expected constant or step, got '%s'", kind);
    if (!(seen & 2u))
        return fail_at(c, kind_line, "schedule: kind step needs step_epoch (the epoch from "
                                     "which lr is multiplied by gamma)");
    return 0;
}

static int parse_final(jctx *c, ps_job *job, const yaml_node_t *n)
{
    static const char *const keys[] = {"seeds", "best", NULL};
    unsigned seen = 0;
    int rc = want_mapping(c, n, "protocol.final", "seeds, best");
    FOR_PAIRS(n, p) {
        if (rc)
            break;
        yaml_node_t *v = node_at(c, p->value);
        switch ((rc = key_index(c, node_at(c, p->key), "protocol.final", keys, &seen))) {
        case 0: rc = get_int(c, v, "protocol.final.seeds", 0, 10000, &job->final_seeds); break;
        case 1: rc = get_int(c, v, "protocol.final.best", 1, 64, &job->final_best); break;
        default: break;
        }
    }
    return rc < 0 ? rc : 0;
}

static int parse_protocol(jctx *c, ps_job *job, const yaml_node_t *n)
{
    static const char *const keys[] = {"kind", "folds", "holdout", "repetitions", "final", NULL};
    unsigned seen = 0;
    char kind[32] = "kfold";
    int kind_line = line_of(n);
    int rc = want_mapping(c, n, "protocol", "kind, folds, holdout, repetitions, final");
    FOR_PAIRS(n, p) {
        if (rc)
            break;
        yaml_node_t *v = node_at(c, p->value);
        switch ((rc = key_index(c, node_at(c, p->key), "protocol", keys, &seen))) {
        case 0:
            kind_line = line_of(v);
            rc = get_name(c, v, "protocol.kind", kind, sizeof kind);
            break;
        case 1:
            c->line_folds = line_of(v);
            rc = get_int(c, v, "protocol.folds", 2, 1000, &job->folds);
            break;
        case 2:
            c->line_holdout = line_of(v);
            rc = get_int(c, v, "protocol.holdout", 1, MAX_TRAIN_PAIRS, &job->holdout);
            break;
        case 3: rc = get_int(c, v, "protocol.repetitions", 1, 10000, &job->select_reps); break;
        case 4: rc = parse_final(c, job, v); break;
        default: break;
        }
    }
    if (rc < 0)
        return rc;
    if (!strcmp(kind, "kfold")) {
        job->select_eval = PS_EVAL_KFOLD;
        if (seen & 4u)
            return fail_at(c, c->line_holdout, "protocol.holdout: needs kind: holdout (kind is kfold)");
    } else if (!strcmp(kind, "holdout")) {
        job->select_eval = PS_EVAL_HOLDOUT;
        if (seen & 2u)
            return fail_at(c, c->line_folds, "protocol.folds: needs kind: kfold (kind is holdout)");
    } else {
        return fail_at(c, kind_line, "protocol.kind: expected kfold or holdout, got '%s'", kind);
    }
    return 0;
}

/* One grid key: a value or a list of values, each checked, none repeated. */
static int parse_axis(jctx *c, ps_job_axis *ax, ps_axis a, const yaml_node_t *n, int32_t mi)
{
    char what[96];
    snprintf(what, sizeof what, "models[%d].grid.%s", (int)mi, axis_names[a]);
    const yaml_node_item_t *it = NULL, *top = NULL;
    int single = n->type != YAML_SEQUENCE_NODE;
    if (!single) {
        it = n->data.sequence.items.start;
        top = n->data.sequence.items.top;
        if (it == top)
            return fail_at(c, line_of(n), "%s: empty grid (expected at least one value)", what);
        if (top - it > PS_JOB_MAX_VALUES)
            return fail_at(c, line_of(n), "%s: more than %d values", what, PS_JOB_MAX_VALUES);
    }
    ax->n = 0;
    ax->line = line_of(n);
    for (int k = 0; single ? k < 1 : it + k < top; k++) {
        const yaml_node_t *v = single ? n : node_at(c, it[k]);
        int32_t iv = 0;
        double dv = 0;
        int rc;
        switch (a) {
        case PS_AXIS_BATCH: rc = get_int(c, v, what, 1, 1000000, &iv); dv = iv; break;
        case PS_AXIS_LR: rc = get_num(c, v, what, 0, 1, 10, &dv); break;
        case PS_AXIS_MOMENTUM: rc = get_num(c, v, what, 0, 0, 0.999, &dv); break;
        case PS_AXIS_BN: rc = get_bool(c, v, what, &iv); dv = iv; break;
        case PS_AXIS_AUX: rc = get_num(c, v, what, 0, 0, 100, &dv); break;
        default: rc = get_num(c, v, what, 0, 0, 1, &dv); break;
        }
        if (rc)
            return rc;
        for (int j = 0; j < ax->n; j++)
            if (ax->v[j] == dv)
                return fail_at(c, line_of(v), "%s: value %g given twice", what, dv);
        ax->v[ax->n++] = dv;
    }
    return 0;
}

static int parse_grid(jctx *c, ps_job_model *m, const yaml_node_t *n, int32_t mi)
{
    static const char *const keys[] = {"batch_size", "lr", "momentum", "bn", "aux_weight",
                                       "weight_decay", NULL};
    char section[64];
    unsigned seen = 0;
    snprintf(section, sizeof section, "models[%d].grid", (int)mi);
    int rc = want_mapping(c, n, section, "batch_size, lr, momentum, bn, aux_weight, weight_decay");
    FOR_PAIRS(n, p) {
        if (rc)
            break;
        rc = key_index(c, node_at(c, p->key), section, keys, &seen);
        if (rc >= 0)
            rc = parse_axis(c, &m->axis[rc], (ps_axis)rc, node_at(c, p->value), mi);
    }
    return rc < 0 ? rc : 0;
}

static int parse_model(jctx *c, ps_job_model *m, const yaml_node_t *n, int32_t mi)
{
    static const char *const keys[] = {"name", "group", "grid", NULL};
    char section[64];
    unsigned seen = 0;
    snprintf(section, sizeof section, "models[%d]", (int)mi);
    int rc = want_mapping(c, n, section, "name, group, grid");
    FOR_PAIRS(n, p) {
        if (rc)
            break;
        yaml_node_t *v = node_at(c, p->value);
        char what[80];
        switch ((rc = key_index(c, node_at(c, p->key), section, keys, &seen))) {
        case 0:
            m->line = line_of(v);
            snprintf(what, sizeof what, "%s.name", section);
            rc = get_name(c, v, what, m->name, sizeof m->name);
            break;
        case 1:
            snprintf(what, sizeof what, "%s.group", section);
            rc = get_name(c, v, what, m->group, sizeof m->group);
            break;
        case 2: rc = parse_grid(c, m, v, mi); break;
        default: break;
        }
    }
    if (rc < 0)
        return rc;
    if (!(seen & 1u))
        return fail_at(c, line_of(n), "%s: missing required key 'name' (a model of `pairsweep "
                                      "models`)", section);
    if (!m->group[0])
        snprintf(m->group, sizeof m->group, "%s", m->name);
    return 0;
}

static void model_defaults(ps_job_model *m, double momentum, double wd)
{
    static const double def[PS_N_AXES] = {100, 0.01, 0, -1, 1, 0};
    for (int a = 0; a < PS_N_AXES; a++) {
        m->axis[a].n = 1;
        m->axis[a].v[0] = def[a];
        m->axis[a].line = 0;
    }
    m->axis[PS_AXIS_MOMENTUM].v[0] = momentum;
    m->axis[PS_AXIS_WD].v[0] = wd;
}

static int parse_models(jctx *c, ps_job *job, const yaml_node_t *n, double momentum, double wd)
{
    char got[80];
    if (n->type != YAML_SEQUENCE_NODE) {
        describe(got, sizeof got, n);
        return fail_at(c, line_of(n), "models: expected a list of models ({name, grid}), got %s",
                       got);
    }
    ptrdiff_t count = n->data.sequence.items.top - n->data.sequence.items.start;
    if (count == 0)
        return fail_at(c, line_of(n), "models: empty list (expected at least one model)");
    if (count > PS_JOB_MAX_MODELS)
        return fail_at(c, line_of(n), "models: more than %d models", PS_JOB_MAX_MODELS);
    job->models = calloc((size_t)count, sizeof *job->models);
    if (!job->models)
        return ps_err_set(c->err, PS_ENOMEM, "%s: out of memory", c->path);
    for (int32_t i = 0; i < (int32_t)count; i++) {
        ps_job_model *m = &job->models[i];
        model_defaults(m, momentum, wd);
        int rc = parse_model(c, m, node_at(c, n->data.sequence.items.start[i]), i);
        if (rc)
            return rc;
        for (int32_t j = 0; j < i; j++)
            if (!strcmp(job->models[j].name, m->name))
                return fail_at(c, m->line, "models[%d].name: model '%s' is already listed at "
                                           "line %d", (int)i, m->name, (int)job->models[j].line);
        job->n_models = i + 1;
    }
    return 0;
}

static int parse_root(jctx *c, ps_job *job, const yaml_node_t *root)
{
    static const char *const keys[] = {"name", "description", "seed", "epochs", "data",
                                       "optimizer", "schedule", "protocol", "models", NULL};
    unsigned seen = 0;
    double momentum = 0.9, wd = 0;
    const yaml_node_t *models = NULL;
    int rc = want_mapping(c, root, "job", "name, data, protocol, models, ...");
    FOR_PAIRS(root, p) {
        if (rc)
            break;
        yaml_node_t *v = node_at(c, p->value);
        char scratch[512];
        switch ((rc = key_index(c, node_at(c, p->key), "job", keys, &seen))) {
        case 0: rc = get_name(c, v, "name", job->name, sizeof job->name); break;
        case 1: rc = get_text(c, v, "description", scratch, sizeof scratch); break;
        case 2: rc = get_u64(c, v, "seed", &job->seed); break;
        case 3:
            c->line_epochs = line_of(v);
            rc = get_int(c, v, "epochs", 1, 10000, &job->epochs);
            break;
        case 4: rc = parse_data(c, job, v); break;
        case 5: rc = parse_optimizer(c, job, v, &momentum, &wd); break;
        case 6: rc = parse_schedule(c, job, v); break;
        case 7: rc = parse_protocol(c, job, v); break;
        case 8: /* after optimizer: its values are the grid defaults */
            models = v;
            c->line_models = line_of(v);
            break;
        default: break;
        }
    }
    if (rc < 0)
        return rc;
    if (!models)
        return fail_at(c, line_of(root), "job: missing required key 'models' (a list of {name, "
                                         "grid})");
    return parse_models(c, job, models, momentum, wd);
}

int32_t ps_job_select_train_pairs(const ps_job *job)
{
    if (job->select_eval == PS_EVAL_HOLDOUT)
        return job->n_train - job->holdout;
    /* the largest fold has ceil(n/k) pairs */
    return job->n_train - (job->n_train + job->folds - 1) / job->folds;
}

/* Checks between keys, once everything is read. */
static int cross_check(jctx *c, ps_job *job)
{
    if (job->lr_step_epoch >= job->epochs && job->lr_step_epoch > 0)
        return fail_at(c, c->line_step, "schedule.step_epoch: expected an epoch in 1..%d (below "
                       "epochs), got %d", (int)job->epochs - 1, (int)job->lr_step_epoch);
    if (job->select_eval == PS_EVAL_KFOLD && job->folds > job->n_train)
        return fail_at(c, c->line_folds ? c->line_folds : 1, "protocol.folds: %d folds of %d "
                       "training pairs (expected folds <= data.n_train)", (int)job->folds,
                       (int)job->n_train);
    if (job->select_eval == PS_EVAL_HOLDOUT && job->holdout >= job->n_train)
        return fail_at(c, c->line_holdout ? c->line_holdout : 1, "protocol.holdout: %d "
                       "validation pairs of %d training pairs (expected fewer than data.n_train)",
                       (int)job->holdout, (int)job->n_train);
    int64_t tasks = 0;
    for (int32_t i = 0; i < job->n_models; i++) {
        int64_t points = 1;
        for (int a = 0; a < PS_N_AXES; a++)
            points *= job->models[i].axis[a].n;
        if (points > PS_JOB_MAX_GRID)
            return fail_at(c, job->models[i].line, "models[%d].grid: %lld grid points (expected "
                           "at most %d per model)", (int)i, (long long)points, PS_JOB_MAX_GRID);
        tasks += points * job->select_reps *
                 (job->select_eval == PS_EVAL_KFOLD ? job->folds : 1);
    }
    if (tasks > PS_JOB_MAX_TASKS)
        return fail_at(c, c->line_models, "models: %lld selection tasks (expected at most %d)",
                       (long long)tasks, PS_JOB_MAX_TASKS);
    int32_t avail = ps_job_select_train_pairs(job);
    for (int32_t i = 0; i < job->n_models; i++) {
        const ps_job_axis *ax = &job->models[i].axis[PS_AXIS_BATCH];
        for (int32_t k = 0; k < ax->n; k++)
            if (ax->v[k] > avail)
                return fail_at(c, ax->line ? ax->line : job->models[i].line,
                               "models[%d].grid.batch_size: %g is larger than the %d training "
                               "pairs of a selection task", (int)i, ax->v[k], (int)avail);
    }
    return 0;
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
    if (!valid_name(job->name, sizeof job->name))
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
}

#define MAX_FLOW_DEPTH 64

/* Flow collections ([...] and {...}) nested deeper than any job needs are refused before
 * libyaml sees them: libyaml 0.2.5's scanner is quadratic in the nesting depth (100,000
 * levels take over a minute). Quoted strings and comments are skipped. */
static int check_nesting(jctx *c, const char *text, size_t len)
{
    int line = 1, depth = 0;
    char quote = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (ch == '\n')
            line++;
        if (quote) {
            if (ch == quote)
                quote = 0;
            else if (ch == '\\' && quote == '"' && i + 1 < len)
                i++;
        } else if (ch == '"' || ch == '\'') {
            quote = ch;
        } else if (ch == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t' ||
                                 text[i - 1] == '\n')) {
            while (i + 1 < len && text[i + 1] != '\n')
                i++;
        } else if (ch == '[' || ch == '{') {
            if (++depth > MAX_FLOW_DEPTH)
                return fail_at(c, line, "lists or mappings nested more than %d deep (expected "
                                        "a job file)", MAX_FLOW_DEPTH);
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

/* A text file: no NUL and no control characters but tab, newline and carriage return. */
static int check_text(jctx *c, const char *text, size_t len)
{
    if (len == 0)
        return fail_at(c, 1, "empty job file (expected a mapping with name, data, protocol, "
                              "models)");
    int line = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n')
            line++;
        else if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f)
            return fail_at(c, line, "not a text file (control byte 0x%02x at offset %zu; "
                                    "expected a YAML job)", ch, i);
    }
    return check_nesting(c, text, len);
}

static int load_document(jctx *c, ps_job *job, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    if (!yaml_parser_initialize(&parser))
        return ps_err_set(c->err, PS_ENOMEM, "%s: out of memory", c->path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = 0;
    if (!yaml_parser_load(&parser, &doc)) {
        rc = fail_at(c, (int)parser.problem_mark.line + 1, "not valid YAML: %s%s%s",
                     parser.problem ? parser.problem : "syntax error",
                     parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return rc;
    }
    c->doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        rc = fail_at(c, 1, "empty job file (expected a mapping with name, data, protocol, models)");
    } else if (yaml_parser_load(&parser, &extra)) {
        if (yaml_document_get_root_node(&extra))
            rc = fail_at(c, (int)extra.start_mark.line + 1,
                         "a second YAML document (expected one job per file)");
        yaml_document_delete(&extra);
    }
    if (!rc)
        rc = parse_root(c, job, root);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int ps_job_parse(ps_job *out, const char *text, size_t len, const char *path, ps_err *err)
{
    ps_job job;
    jctx c = {.path = path, .err = err};
    job_defaults(&job, path);
    int rc = check_text(&c, text, len);
    if (!rc)
        rc = load_document(&c, &job, text, len);
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
    cfg->batch_size = (int32_t)m->axis[PS_AXIS_BATCH].v[idx[PS_AXIS_BATCH]];
    cfg->lr = (float)m->axis[PS_AXIS_LR].v[idx[PS_AXIS_LR]];
    cfg->momentum = (float)m->axis[PS_AXIS_MOMENTUM].v[idx[PS_AXIS_MOMENTUM]];
    cfg->use_bn = (int32_t)m->axis[PS_AXIS_BN].v[idx[PS_AXIS_BN]];
    cfg->aux_weight = (float)m->axis[PS_AXIS_AUX].v[idx[PS_AXIS_AUX]];
    cfg->weight_decay = (float)m->axis[PS_AXIS_WD].v[idx[PS_AXIS_WD]];
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
    return 0;
}
