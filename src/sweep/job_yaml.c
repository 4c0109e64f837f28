/* Reading a job file's YAML (job_yaml.h): text checks, the document, typed values. */
#define _POSIX_C_SOURCE 200809L
#include "job_yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ps__yaml_line(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

int ps__yaml_fail(ps__jctx *c, int line, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return ps_err_set(c->err, PS_EINVAL, "%s:%d: %s", c->path, line, what);
}

yaml_node_t *ps__yaml_node(ps__jctx *c, int id)
{
    return yaml_document_get_node(c->doc, id);
}

void ps__yaml_describe(char *buf, size_t cap, const yaml_node_t *n)
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

int ps__yaml_int(ps__jctx *c, const yaml_node_t *n, const char *what, long lo, long hi,
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
            return ps__yaml_fail(c, ps__yaml_line(n),
                                 "%s: expected an integer in %ld..%ld, got %ld", what, lo, hi, v);
        }
    }
    ps__yaml_describe(got, sizeof got, n);
    return ps__yaml_fail(c, ps__yaml_line(n), "%s: expected an integer in %ld..%ld, got %s", what,
                         lo, hi, got);
}

int ps__yaml_u64(ps__jctx *c, const yaml_node_t *n, const char *what, uint64_t *out)
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
    ps__yaml_describe(got, sizeof got, n);
    return ps__yaml_fail(c, ps__yaml_line(n), "%s: expected a non-negative integer, got %s", what,
                         got);
}

int ps__yaml_num(ps__jctx *c, const yaml_node_t *n, const char *what, double lo, int lo_open,
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
            return ps__yaml_fail(c, ps__yaml_line(n),
                                 "%s: expected a number %s %g and <= %g, got %s", what,
                                 lo_open ? ">" : ">=", lo, hi, s);
        }
    }
    ps__yaml_describe(got, sizeof got, n);
    return ps__yaml_fail(c, ps__yaml_line(n), "%s: expected a number %s %g and <= %g, got %s", what,
                         lo_open ? ">" : ">=", lo, hi, got);
}

int ps__yaml_bool(ps__jctx *c, const yaml_node_t *n, const char *what, int32_t *out)
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
    ps__yaml_describe(got, sizeof got, n);
    return ps__yaml_fail(c, ps__yaml_line(n), "%s: expected true or false, got %s", what, got);
}

int ps__yaml_hparam(ps__jctx *c, const yaml_node_t *n, const char *what, ps_axis a,
                    double *out)
{
    const ps_hparam *h = ps_hparam_info(a);
    int32_t iv;
    int rc;
    switch (h->kind) {
    case PS_HP_INT:
        rc = ps__yaml_int(c, n, what, (long)h->lo, (long)h->hi, &iv);
        break;
    case PS_HP_SWITCH:
        rc = ps__yaml_bool(c, n, what, &iv);
        break;
    default:
        return ps__yaml_num(c, n, what, h->lo, h->lo_open, h->hi, out);
    }
    if (!rc)
        *out = iv;
    return rc;
}

int ps__yaml_valid_name(const char *s, size_t cap)
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

int ps__yaml_name(ps__jctx *c, const yaml_node_t *n, const char *what, char *buf, size_t cap)
{
    char got[80];
    if (n->type == YAML_SCALAR_NODE &&
        ps__yaml_valid_name((const char *)n->data.scalar.value, cap)) {
        snprintf(buf, cap, "%s", (const char *)n->data.scalar.value);
        return 0;
    }
    ps__yaml_describe(got, sizeof got, n);
    return ps__yaml_fail(c, ps__yaml_line(n),
                         "%s: expected a name of 1..%zu characters [A-Za-z0-9_.-], got %s", what,
                         cap - 1, got);
}

int ps__yaml_text(ps__jctx *c, const yaml_node_t *n, const char *what, char *buf, size_t cap)
{
    char got[80];
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.length > 0 && n->data.scalar.length < cap) {
        memcpy(buf, n->data.scalar.value, n->data.scalar.length + 1);
        return 0;
    }
    ps__yaml_describe(got, sizeof got, n);
    return ps__yaml_fail(c, ps__yaml_line(n), "%s: expected a string of 1..%zu characters, got %s",
                         what, cap - 1, got);
}

int ps__yaml_mapping(ps__jctx *c, const yaml_node_t *n, const char *what, const char *keys)
{
    char got[80];
    if (n->type == YAML_MAPPING_NODE)
        return 0;
    ps__yaml_describe(got, sizeof got, n);
    return ps__yaml_fail(c, ps__yaml_line(n), "%s: expected a mapping of %s, got %s", what, keys,
                         got);
}

int ps__yaml_key(ps__jctx *c, const yaml_node_t *k, const char *section,
                 const char *const *keys, unsigned *seen)
{
    char known[256] = "";
    for (int i = 0; keys[i]; i++) {
        if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, keys[i])) {
            *seen |= 1u << i;
            return i;
        }
        size_t len = strlen(known);
        snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", keys[i]);
    }
    char got[80];
    ps__yaml_describe(got, sizeof got, k);
    return ps__yaml_fail(c, ps__yaml_line(k), "%s: unknown key %s (expected one of: %s)", section,
                         got, known);
}

#define MAX_FLOW_DEPTH 64

/* Flow collections ([...] and {...}) nested deeper than any job needs are refused before
 * libyaml sees them: libyaml 0.2.5's scanner is quadratic in the nesting depth (100,000
 * levels take over a minute). Quoted strings and comments are skipped. */
static int check_nesting(ps__jctx *c, const char *text, size_t len)
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
                return ps__yaml_fail(c, line, "lists or mappings nested more than %d deep "
                                              "(expected a job file)", MAX_FLOW_DEPTH);
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

/* A text file: no NUL and no control characters but tab, newline and carriage return. */
static int check_text(ps__jctx *c, const char *text, size_t len)
{
    if (len == 0)
        return ps__yaml_fail(c, 1, "empty job file (expected a mapping with name, data, "
                                   "protocol, models)");
    int line = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n')
            line++;
        else if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f)
            return ps__yaml_fail(c, line, "not a text file (control byte 0x%02x at offset %zu; "
                                          "expected a YAML job)", ch, i);
    }
    return check_nesting(c, text, len);
}

/* Keys of one mapping, to sort: the key node and its place in the mapping. */
typedef struct key_ref {
    const yaml_node_t *k;
    size_t at;
} key_ref;

static int key_cmp(const yaml_node_t *x, const yaml_node_t *y)
{
    size_t lx = x->data.scalar.length, ly = y->data.scalar.length;
    int d = memcmp(x->data.scalar.value, y->data.scalar.value, lx < ly ? lx : ly);
    return d ? d : (lx > ly) - (lx < ly);
}

/* By key, then by place: each key's uses in file order. */
static int key_ref_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int d = key_cmp(x->k, y->k);
    return d ? d : (x->at > y->at) - (x->at < y->at);
}

/* The earliest repeated scalar key of mapping m: its second use into *dup and its first into
 * *first (both NULL when none). Sorted, not compared pairwise: a mapping of a million keys
 * takes a second, not hours. Returns 0 or PS_ENOMEM. */
static int mapping_duplicate(ps__jctx *c, const yaml_node_t *m, const yaml_node_t **dup,
                             const yaml_node_t **first)
{
    size_t n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start), used = 0;
    *dup = *first = NULL;
    if (n < 2)
        return 0;
    key_ref *refs = malloc(n * sizeof *refs);
    if (!refs)
        return PS_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *k = ps__yaml_node(c, m->data.mapping.pairs.start[i].key);
        if (k && k->type == YAML_SCALAR_NODE) /* other keys: refused by ps__yaml_key */
            refs[used++] = (key_ref){k, i};
    }
    qsort(refs, used, sizeof *refs, key_ref_cmp);
    size_t best = n;
    for (size_t i = 1; i < used; i++) {
        /* a later use of a key; the earliest of them all is a second use */
        if (!key_cmp(refs[i - 1].k, refs[i].k) && refs[i].at < best) {
            best = refs[i].at;
            *dup = refs[i].k;
            *first = refs[i - 1].k;
        }
    }
    free(refs);
    return 0;
}

/* YAML's mapping keys are unique: the first repeated key of the document (in file order),
 * whichever mapping holds it, is an error "FILE:LINE: duplicate key 'X' (first at line N)". */
static int check_duplicate_keys(ps__jctx *c)
{
    const yaml_node_t *dup = NULL, *first = NULL;
    for (yaml_node_t *n = c->doc->nodes.start; n < c->doc->nodes.top; n++) {
        const yaml_node_t *d, *f;
        if (n->type != YAML_MAPPING_NODE)
            continue;
        if (mapping_duplicate(c, n, &d, &f))
            return ps_err_set(c->err, PS_ENOMEM, "%s: out of memory", c->path);
        if (d && (!dup || d->start_mark.index < dup->start_mark.index)) {
            dup = d;
            first = f;
        }
    }
    if (!dup)
        return 0;
    char key[80];
    ps__yaml_describe(key, sizeof key, dup);
    return ps__yaml_fail(c, ps__yaml_line(dup), "duplicate key %s (first at line %d)", key,
                         ps__yaml_line(first));
}

int ps__yaml_load(ps__jctx *c, const char *text, size_t len,
                  int (*root)(ps__jctx *c, const yaml_node_t *n, void *user), void *user)
{
    int rc = check_text(c, text, len);
    if (rc)
        return rc;
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    if (!yaml_parser_initialize(&parser))
        return ps_err_set(c->err, PS_ENOMEM, "%s: out of memory", c->path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = ps__yaml_fail(c, (int)parser.problem_mark.line + 1, "not valid YAML: %s%s%s",
                           parser.problem ? parser.problem : "syntax error",
                           parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return rc;
    }
    c->doc = &doc;
    yaml_node_t *top = yaml_document_get_root_node(&doc);
    if (!top) {
        rc = ps__yaml_fail(c, 1, "empty job file (expected a mapping with name, data, protocol, "
                                 "models)");
    } else if (yaml_parser_load(&parser, &extra)) {
        if (yaml_document_get_root_node(&extra))
            rc = ps__yaml_fail(c, (int)extra.start_mark.line + 1,
                               "a second YAML document (expected one job per file)");
        yaml_document_delete(&extra);
    }
    if (!rc)
        rc = check_duplicate_keys(c);
    if (!rc)
        rc = root(c, top, user);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    c->doc = NULL;
    return rc;
}
