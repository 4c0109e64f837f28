/* pairsweep — a net's arena (ps_net_reserve): every node's activation and gradient, saved
 * values, one workspace and the input gradient in one float allocation, max-pooling indices
 * in one int32 one; gradient buffers that are never live together share space once the
 * caller has declared its outputs (ps_net_set_outputs). */
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"

int ps_net_set_outputs(ps_net *net, const int32_t *nodes, int32_t n, ps_err *err)
{
    if (net->cap)
        return ps_err_set(err, PS_ESTATE, "nn: ps_net_set_outputs after ps_net_reserve");
    if (!nodes || n <= 0)
        return ps_err_set(err, PS_EINVAL, "nn: %d output nodes, expected at least 1", n);
    for (int32_t i = 0; i < n; i++)
        if (nodes[i] < 0 || nodes[i] >= net->n_nodes)
            return ps_err_set(err, PS_EINVAL, "nn: output node %d, expected 0..%d", nodes[i],
                              net->n_nodes - 1);
    memset(net->is_out, 0, sizeof net->is_out);
    for (int32_t i = 0; i < n; i++)
        net->is_out[nodes[i]] = 1;
    net->recycle = 1;
    return 0;
}

/* A node whose gradient is always its only reader's, an ADD's (ps__nn_in_grad_ref): read by
 * that ADD only and not written by the caller. Its own buffer is never used. */
static int grad_by_ref(const ps_net *net, int32_t i)
{
    return net->nodes[i].by_ref && !net->is_out[i];
}

/* One gradient buffer (of a non-view node) and the backward steps it is live in: from its
 * first writer, step hi (n_nodes = the caller's ps_net_dout, before any node), down to its
 * last reader, step lo; a node's backward is step i. */
typedef struct grad_buf {
    int32_t node, lo, hi;
    size_t size, off;   /* floats, aligned */
} grad_buf;

static int buf_cmp(const void *a, const void *b)
{
    const grad_buf *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->node - y->node;
}

/* The live steps of every node's own gradient buffer (hi = -1: never written, none needed).
 * A buffer is written (first with acc = 0) by the backward of each node reading it, or a
 * view of it, and by the caller when declared; it is read by its node's backward and by the
 * backward of every node that gets it by reference from an ADD: root[i] is the node whose
 * buffer holds node i's gradient (i, or the first ADD of a chain passing it on). */
static void grad_liveness(const ps_net *net, int32_t *lo, int32_t *hi, int32_t *root)
{
    for (int32_t i = 0; i < net->n_nodes; i++) {
        lo[i] = i;
        hi[i] = -1;
    }
    for (int32_t i = 0; i < net->n_nodes; i++)
        if (net->is_out[i])
            hi[ps__nn_owner(net, i)] = net->n_nodes;
    for (int32_t k = net->n_nodes - 1; k >= 0; k--) {
        const ps_nn_node *d = &net->nodes[k];
        root[k] = k;
        int32_t ins[2] = {d->in, d->in2};
        for (int j = 0; j < 2 && !d->view; j++) {
            if (ins[j] < 0)
                continue;
            if (ps__nn_ops(d)->passes_grad && grad_by_ref(net, ins[j]))
                continue;   /* gets this ADD's buffer: nothing written */
            int32_t o = ps__nn_owner(net, ins[j]);
            hi[o] = k > hi[o] ? k : hi[o];
        }
    }
    for (int32_t k = net->n_nodes - 1; k >= 0; k--) {
        const ps_nn_node *d = &net->nodes[k];
        if (d->view || !ps__nn_ops(d)->passes_grad)
            continue;
        int32_t ins[2] = {d->in, d->in2};
        for (int j = 0; j < 2; j++)
            if (ins[j] >= 0 && grad_by_ref(net, ins[j])) {
                int32_t r = root[k];
                root[ins[j]] = r;
                lo[r] = ins[j] < lo[r] ? ins[j] : lo[r];
            }
    }
}

/* Lays out the gradient buffers from float offset base, sharing space between buffers whose
 * live steps do not overlap (first fit, largest first); returns the end offset. */
static size_t layout_grads(ps_net *net, int32_t batch, size_t base)
{
    int32_t lo[PS_NN_MAX_NODES], hi[PS_NN_MAX_NODES], root[PS_NN_MAX_NODES], nb = 0;
    grad_buf b[PS_NN_MAX_NODES];
    grad_liveness(net, lo, hi, root);
    for (int32_t i = 0; i < net->n_nodes; i++) {
        ps_nn_node *d = &net->nodes[i];
        d->grad = base;
        if (d->view || grad_by_ref(net, i) || hi[i] < 0)
            continue;
        size_t sz = (ps__nn_numel(&d->shape) * (size_t)batch + 15) / 16 * 16;
        b[nb++] = (grad_buf){i, lo[i], hi[i], sz, 0};
    }
    qsort(b, (size_t)nb, sizeof *b, buf_cmp);
    size_t end = 0;
    for (int32_t i = 0; i < nb; i++) {
        size_t off = 0;
        for (int moved = 1; moved;) {   /* lowest offset clear of every placed overlapping one */
            moved = 0;
            for (int32_t j = 0; j < i; j++)
                if (b[j].lo <= b[i].hi && b[i].lo <= b[j].hi && off < b[j].off + b[j].size &&
                    b[j].off < off + b[i].size) {
                    off = b[j].off + b[j].size;
                    moved = 1;
                }
        }
        b[i].off = off;
        net->nodes[b[i].node].grad = base + off;
        end = off + b[i].size > end ? off + b[i].size : end;
    }
    for (int32_t i = 0; i < net->n_nodes; i++) {   /* views, and buffers passed by reference */
        ps_nn_node *d = &net->nodes[i];
        if (d->view)
            d->grad = net->nodes[d->in].grad;
        else if (grad_by_ref(net, i))
            d->grad = net->nodes[root[i]].grad;
    }
    return base + end;
}

/* Without ps_net_set_outputs: a gradient buffer per non-view node, in node order. */
static size_t layout_grads_own(ps_net *net, int32_t batch, size_t off)
{
    for (int32_t i = 0; i < net->n_nodes; i++) {
        ps_nn_node *d = &net->nodes[i];
        if (d->view)
            d->grad = net->nodes[d->in].grad;
        else {
            d->grad = off;
            off += ps__nn_numel(&d->shape) * (size_t)batch;
        }
    }
    return off;
}

int ps_net_reserve(ps_net *net, int32_t max_batch, ps_err *err)
{
    if (max_batch <= 0)
        return ps_err_set(err, PS_EINVAL, "nn: batch size %d, expected > 0", max_batch);
    if (max_batch <= net->cap)
        return 0;
    int rc = ps_nn_blas_check(err);
    if (rc)
        return rc;
    size_t off = 0, ioff = 0, ws = 0;
    for (int32_t i = 0; i < net->n_nodes; i++) {
        ps_nn_node *d = &net->nodes[i];
        if (!d->view) {
            d->act = off;
            off += ps__nn_numel(&d->shape) * (size_t)max_batch;
        } else
            d->act = net->nodes[d->in].act;
    }
    off = net->recycle ? layout_grads(net, max_batch, off) : layout_grads_own(net, max_batch, off);
    for (int32_t i = 0; i < net->n_nodes; i++) {
        ps_nn_node *d = &net->nodes[i];
        const ps_nn_ops *o = ps__nn_ops(d);
        d->save = off;
        off += o->saved ? o->saved(d, max_batch) : 0;
        d->idx = ioff;
        ioff += o->isaved ? o->isaved(d, max_batch) : 0;
        size_t w = o->work ? o->work(net, d, max_batch) : 0;
        ws = w > ws ? w : ws;
    }
    net->ws = off;
    off += ws;
    net->dinput = off;
    off += ps__nn_numel(&net->in_shape) * (size_t)max_batch;
    float *arena = malloc(off * sizeof(float));
    int32_t *iarena = malloc((ioff ? ioff : 1) * sizeof(int32_t));
    if (!arena || !iarena) {
        free(arena);
        free(iarena);
        return ps_err_set(err, PS_ENOMEM, "nn: out of memory for a %zu-float arena (batch %d)",
                          off, max_batch);
    }
    memset(arena, 0, off * sizeof(float));
    free(net->arena);
    free(net->iarena);
    net->arena = arena;
    net->iarena = iarena;
    net->cap = max_batch;
    net->arena_bytes = off * sizeof(float) + (ioff ? ioff : 1) * sizeof(int32_t);
    ps_nn_blas_single_thread();
    return 0;
}

size_t ps_net_arena_bytes(const ps_net *net) { return net->arena_bytes; }
