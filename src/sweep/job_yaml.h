/* pairsweep sweep — reading a job file's YAML (libyaml's document API): the text checks, the
 * document, and typed values, mappings and keys; every error "PATH:LINE: what was expected"
 * (PS_EINVAL). Internal to src/sweep (job.c reads the sections of a job with these). */
#ifndef PAIRSWEEP_SWEEP_JOB_YAML_H
#define PAIRSWEEP_SWEEP_JOB_YAML_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "pairsweep/common.h"
#include "pairsweep/hparams.h"
#include "pairsweep/job.h"

/* The reading of one job file. */
typedef struct ps__jctx {
    const char *path;          /* the file, for messages */
    yaml_document_t *doc;      /* set by ps__yaml_load */
    ps_err *err;
    int32_t line_epochs, line_step, line_folds, line_holdout, line_models; /* cross-checks */
} ps__jctx;

/* Line (from 1) of a node. */
int ps__yaml_line(const yaml_node_t *n);

/* Sets c->err to "PATH:LINE: <fmt ...>" and returns PS_EINVAL. */
int ps__yaml_fail(ps__jctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The node of id in the document. */
yaml_node_t *ps__yaml_node(ps__jctx *c, int id);

/* A short description of what a node is, for "got ..." in messages: "a mapping", "a list",
 * "nothing" or the quoted value (at most 60 bytes, control characters shown as '?'). */
void ps__yaml_describe(char *buf, size_t cap, const yaml_node_t *n);

/* Typed scalars: each returns 0 with *out set, or PS_EINVAL naming `what`, the line and the
 * expected value. Numbers are plain scalars only (a quoted number is a string). */
int ps__yaml_int(ps__jctx *c, const yaml_node_t *n, const char *what, long lo, long hi,
                 int32_t *out);
int ps__yaml_u64(ps__jctx *c, const yaml_node_t *n, const char *what, uint64_t *out);
/* A finite number in [lo, hi], or (lo, hi] when lo_open. */
int ps__yaml_num(ps__jctx *c, const yaml_node_t *n, const char *what, double lo, int lo_open,
                 double hi, double *out);
/* true/false, yes/no, on/off: 1 or 0. */
int ps__yaml_bool(ps__jctx *c, const yaml_node_t *n, const char *what, int32_t *out);
/* A name: 1..cap-1 characters of [A-Za-z0-9_.-], not starting with '.' or '-'. */
int ps__yaml_name(ps__jctx *c, const yaml_node_t *n, const char *what, char *buf, size_t cap);
/* A string of 1..cap-1 bytes. */
int ps__yaml_text(ps__jctx *c, const yaml_node_t *n, const char *what, char *buf, size_t cap);

/* A value of hyper-parameter a (hparams.h), checked as its kind and range say: an integer,
 * a number or a boolean (1 or 0). */
int ps__yaml_hparam(ps__jctx *c, const yaml_node_t *n, const char *what, ps_axis a,
                    double *out);

/* 1 when s is a name ps__yaml_name accepts. */
int ps__yaml_valid_name(const char *s, size_t cap);

/* 0 when n is a mapping, else PS_EINVAL "what: expected a mapping of <keys>". */
int ps__yaml_mapping(ps__jctx *c, const yaml_node_t *n, const char *what, const char *keys);

/* The index of key node k in keys (a NULL-terminated list of at most 32); an unknown,
 * or non-scalar key is PS_EINVAL naming the section and the known keys. Sets bit i of *seen
 * (a repeated key was refused before, by ps__yaml_load). */
int ps__yaml_key(ps__jctx *c, const yaml_node_t *k, const char *section,
                 const char *const *keys, unsigned *seen);

/* Each key/value pair p of mapping node n. */
#define PS__YAML_FOR_PAIRS(n, p) \
    for (yaml_node_pair_t *p = (n)->data.mapping.pairs.start; p < (n)->data.mapping.pairs.top; p++)

/* Checks that text (len bytes) is a job-sized text file (no control bytes, not empty, flow
 * collections nested at most 64 deep), parses its one YAML document, refuses a repeated key
 * in any of its mappings ("duplicate key 'X' (first at line N)") and calls
 * root(c, root node, user) while the document lives. Returns root's status, or PS_EINVAL for
 * a bad text or YAML (PS_ENOMEM when libyaml cannot start). */
int ps__yaml_load(ps__jctx *c, const char *text, size_t len,
                  int (*root)(ps__jctx *c, const yaml_node_t *n, void *user), void *user);

/* ---- protocol.racing (job_racing.c) ------------------------------------------------------ */

/* The defaults: off, mcnemar, alpha 0.05, min_folds 2, no audit. */
void ps__job_racing_defaults(ps_job_racing *r);

/* protocol.racing: true/false, or a mapping {test, alpha, min_folds, audit} (racing on). */
int ps__job_parse_racing(ps__jctx *c, ps_job_racing *r, const yaml_node_t *n);

/* Once the protocol is read: a race needs two rounds or more, min_folds below the rounds,
 * t-corrected two rounds before its first decision. */
int ps__job_check_racing(ps__jctx *c, const ps_job *job);

#endif
