/* A task's result as it crosses MPI (one message: head, views, 4 curves, state, outcomes); shared by the
 * sweep's master and workers and by bench/bench_master, so the format lives in one place. */
#include <stdlib.h>
#include <string.h>

#include "pairsweep/sweep.h"
static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

void *ps_sweep_result_pack(size_t *len, const char *id, const ps_train_result *r, int interrupted)
{
    ps_sweep_wire_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.id, id, sizeof h.id);
    h.interrupted = interrupted;
    if (!interrupted) {
        h.status = r->status;
        memcpy(h.reason, r->reason, sizeof h.reason);
        h.reason[sizeof h.reason - 1] = '\0';
        h.epochs = r->epochs;
        h.n_views = r->n_views;
        h.n_state = r->n_state;
        h.wall_seconds = r->wall_seconds;
        h.n_outcomes = r->outcomes ? r->n_outcomes : 0;
    }
    size_t off_views = align8(sizeof h);
    size_t off_curves = off_views + (size_t)h.n_views * sizeof(ps_state_view);
    size_t off_state = off_curves + 4 * (size_t)h.epochs * sizeof(float);
    size_t off_outcomes = off_state + (size_t)h.n_state * sizeof(float);
    size_t total = off_outcomes + (size_t)h.n_outcomes;
    char *buf = calloc(1, total);
    if (!buf)
        return NULL;
    memcpy(buf, &h, sizeof h);
    if (h.n_views)
        memcpy(buf + off_views, r->views, (size_t)h.n_views * sizeof(ps_state_view));
    const float *curves[4] = {r->train_loss, r->train_acc, r->eval_loss, r->eval_acc};
    for (int c = 0; c < 4 && h.epochs; c++)
        memcpy(buf + off_curves + (size_t)c * h.epochs * sizeof(float), curves[c],
               (size_t)h.epochs * sizeof(float));
    if (h.n_state)
        memcpy(buf + off_state, r->state, (size_t)h.n_state * sizeof(float));
    if (h.n_outcomes)
        memcpy(buf + off_outcomes, r->outcomes, (size_t)h.n_outcomes);
    *len = total;
    return buf;
}

int ps_sweep_result_unpack(ps_train_result *r, ps_sweep_wire_head *h, char *buf, size_t len)
{
    if (len < sizeof *h)
        return -1;
    memcpy(h, buf, sizeof *h);
    size_t off_views = align8(sizeof *h);
    size_t off_curves = off_views + (size_t)h->n_views * sizeof(ps_state_view);
    size_t off_state = off_curves + 4 * (size_t)h->epochs * sizeof(float);
    size_t off_outcomes = off_state + h->n_state * sizeof(float);
    if (h->n_views < 0 || h->epochs < 0 || h->n_outcomes < 0 ||
        off_outcomes + (size_t)h->n_outcomes != len)
        return -1;
    memset(r, 0, sizeof *r);
    r->status = (ps_task_status)h->status;
    memcpy(r->reason, h->reason, sizeof r->reason);
    r->epochs = h->epochs;
    r->n_views = h->n_views;
    r->views = h->n_views ? (ps_state_view *)(void *)(buf + off_views) : NULL;
    float *curves = (float *)(void *)(buf + off_curves);
    r->train_loss = curves;
    r->train_acc = curves + h->epochs;
    r->eval_loss = curves + 2 * (size_t)h->epochs;
    r->eval_acc = curves + 3 * (size_t)h->epochs;
    r->n_state = (size_t)h->n_state;
    r->state = h->n_state ? (float *)(void *)(buf + off_state) : NULL;
    r->wall_seconds = h->wall_seconds;
    r->n_outcomes = h->n_outcomes;
    r->outcomes = h->n_outcomes ? (uint8_t *)(buf + off_outcomes) : NULL;
    return 0;
}
