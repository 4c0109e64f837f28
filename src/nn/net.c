/* pairsweep — a net: planning (names, shapes, state layout), the forward / backward dispatch
 * over the nodes in order, and what kernels read of the net; the arena is arena.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"

static int resolve(const ps_net *net, const char *const *names, const int32_t *alias,
                   int32_t n_seen, const char *ref, int32_t prev, int32_t *out)
{
    if (!ref || !ref[0]) {
        *out = prev;
        return 0;
    }
    if (!strcmp(ref, "input")) {
        *out = PS_NN_INPUT;
        return 0;
    }
    for (int32_t i = n_seen - 1; i >= 0; i--)
        if (names[i] && !strcmp(names[i], ref)) {
            *out = alias[i];
            return 0;
        }
    (void)net;
    return -1;
}

static void add_view(ps_net *net, const char *prefix, const char *suffix, int32_t ndim,
                     const int32_t *shape, size_t offset, int trainable)
{
    ps_nn_view *v = &net->views[net->n_views++];
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s.%s", prefix, suffix);
    v->ndim = ndim;
    v->count = 1;
    for (int32_t i = 0; i < ndim; i++) {
        v->shape[i] = shape[i];
        v->count *= (size_t)shape[i];
    }
    v->offset = offset;
    v->trainable = trainable;
}

/* Lays out parameters (in node order, weight before bias) then buffers, and names views. */
static void layout_state(ps_net *net)
{
    size_t off = 0;
    net->n_views = 0;
    for (int32_t i = 0; i < net->n_nodes; i++) {
        ps_nn_node *d = &net->nodes[i];
        const ps_nn_ops *o = ps__nn_ops(d);
        if (!d->n_w)
            continue;
        int32_t ws[4] = {(int32_t)d->n_w}, bs[1] = {(int32_t)d->n_b};
        int32_t nd = o->weight_shape ? o->weight_shape(d, ws) : 1;
        d->w_off = off;
        add_view(net, d->name, "weight", nd, ws, off, 1);
        off += d->n_w;
        d->b_off = off;
        add_view(net, d->name, "bias", 1, bs, off, 1);
        off += d->n_b;
    }
    net->n_params = off;
    for (int32_t i = 0; i < net->n_nodes; i++) {
        ps_nn_node *d = &net->nodes[i];
        int32_t s[1] = {d->shape.c};
        for (int32_t j = 0; j < ps__nn_ops(d)->n_buffers; j++) {
            d->buf_off[j] = off;
            add_view(net, d->name, ps__nn_ops(d)->buffers[j], 1, s, off, 0);
            off += (size_t)s[0];
        }
    }
    net->n_state = off;
}

static void compute_flows(ps_net *net)
{
    for (int32_t i = 0; i < net->n_nodes; i++) {
        ps_nn_node *d = &net->nodes[i];
        int f = d->n_w > 0;
        int32_t ins[2] = {d->in, d->in2};
        for (int j = 0; j < 2; j++) {
            if (ins[j] == PS_NN_INPUT)
                f |= net->want_dinput;
            else if (ins[j] >= 0)
                f |= net->nodes[ins[j]].flows;
        }
        d->flows = f;
    }
}

static int check_name(const ps_layer_spec *s, int32_t i, ps_err *err)
{
    if (s->kind < 0 || s->kind >= PS_L_KIND_COUNT || !ps__nn_kinds[s->kind])
        return ps_err_set(err, PS_EINVAL, "nn: node %d: unknown layer kind %d", i, (int)s->kind);
    if (ps__nn_kinds[s->kind]->init && (!s->name || !s->name[0]))
        return ps_err_set(err, PS_EINVAL, "nn: node %d: a layer with parameters needs a name", i);
    if (s->name && strlen(s->name) + 16 >= PS_NN_NAME_MAX)
        return ps_err_set(err, PS_EINVAL, "nn: node %d: name '%s' too long", i, s->name);
    return 0;
}

/* Resolves names (dropping optional BN when use_bn = 0) and plans every node. */
static int plan(ps_net *net, const ps_layer_spec *specs, int32_t n_specs, int32_t use_bn,
                ps_err *err)
{
    const char *names[PS_NN_MAX_NODES];
    int32_t alias[PS_NN_MAX_NODES];
    int32_t prev = PS_NN_INPUT;
    if (n_specs <= 0 || n_specs > PS_NN_MAX_NODES)
        return ps_err_set(err, PS_EINVAL, "nn: %d nodes, expected 1..%d", n_specs, PS_NN_MAX_NODES);
    for (int32_t i = 0; i < n_specs; i++) {
        const ps_layer_spec *s = &specs[i];
        int rc = check_name(s, i, err);
        if (rc)
            return rc;
        int32_t in, in2 = -2;
        if (resolve(net, names, alias, i, s->from, prev, &in))
            return ps_err_set(err, PS_EINVAL, "nn: node %d (%s): unknown input '%s'", i,
                              s->name ? s->name : "", s->from);
        const ps_nn_ops *o = ps__nn_kinds[s->kind];
        if (o->inputs == 2 && resolve(net, names, alias, i, s->from2, prev, &in2))
            return ps_err_set(err, PS_EINVAL, "nn: node %d (%s): unknown second input '%s'", i,
                              s->name ? s->name : "", s->from2 ? s->from2 : "");
        names[i] = s->name;
        if (o->optional && s->optional && !use_bn) {
            alias[i] = in;
            prev = in;
            continue;
        }
        ps_nn_node *d = &net->nodes[net->n_nodes];
        memset(d, 0, sizeof *d);
        d->kind = s->kind;
        snprintf(d->name, sizeof d->name, "%s", s->name ? s->name : "");
        d->in = in;
        d->in2 = in2;
        d->out = s->out;
        d->k = s->k;
        d->pad = s->pad;
        d->groups = s->groups > 0 ? s->groups : 1;
        d->split = s->split;
        d->p = s->p;
        d->nofuse = s->nofuse;
        d->ishape = *ps__nn_in_shape(net, in);
        ps_err why = {0, ""};
        rc = o->plan(net, d, &why);
        if (rc)
            return ps_err_set(err, rc, "nn: node %d (%s): %s", i, d->name, why.msg);
        alias[i] = net->n_nodes;
        prev = net->n_nodes;
        net->n_nodes++;
    }
    return 0;
}

/* Fuses each RELU into its input node when that can apply it (CONV, BN, ADD) and no other
 * node reads it (nn.h): the node applies the ReLU itself and the RELU becomes a view of it. */
static void fuse_relus(ps_net *net)
{
    for (int32_t j = 0; j < net->n_nodes; j++) {
        ps_nn_node *r = &net->nodes[j];
        if (!ps__nn_ops(r)->fusable || r->nofuse || r->in < 0)
            continue;
        ps_nn_node *d = &net->nodes[r->in];
        if (!ps__nn_ops(d)->fuses_relu || d->view || d->relu)
            continue;
        int readers = 0;
        for (int32_t k = 0; k < net->n_nodes; k++)
            readers += (net->nodes[k].in == r->in) + (net->nodes[k].in2 == r->in);
        if (readers != 1)
            continue;
        d->relu = 1;
        r->view = 1;
    }
}

/* Marks the nodes whose only reader is an ADD (by_ref): their gradient is the ADD's. */
static void mark_by_ref(ps_net *net)
{
    for (int32_t i = 0; i < net->n_nodes; i++) {
        ps_nn_node *d = &net->nodes[i];
        int readers = 0, adds = 0;
        for (int32_t k = 0; k < net->n_nodes; k++) {
            int r = (net->nodes[k].in == i) + (net->nodes[k].in2 == i);
            readers += r;
            adds += ps__nn_ops(&net->nodes[k])->passes_grad && r == 1;
        }
        d->by_ref = !d->view && !d->relu && readers == 1 && adds == 1;
    }
}

int ps_net_create(ps_net **out, const ps_layer_spec *specs, int32_t n_specs, int32_t in_c,
                  int32_t in_h, int32_t in_w, int32_t use_bn, ps_err *err)
{
    *out = NULL;
    if (in_c <= 0 || in_h <= 0 || in_w <= 0)
        return ps_err_set(err, PS_EINVAL, "nn: input %dx%dx%d, expected positive sizes", in_c,
                          in_h, in_w);
    ps_net *net = calloc(1, sizeof *net);
    if (!net)
        return ps_err_set(err, PS_ENOMEM, "nn: out of memory for a net");
    net->in_shape = (ps_nn_shape){2, 1, in_c, in_h, in_w};
    int rc = plan(net, specs, n_specs, use_bn, err);
    if (rc) {
        free(net);
        return rc;
    }
    fuse_relus(net);
    mark_by_ref(net);
    layout_state(net);
    compute_flows(net);
    net->state = calloc(net->n_state ? net->n_state : 1, sizeof(float));
    net->grads = calloc(net->n_params ? net->n_params : 1, sizeof(float));
    net->mom = calloc(net->n_params ? net->n_params : 1, sizeof(float));
    if (!net->state || !net->grads || !net->mom) {
        size_t n_state = net->n_state;
        ps_net_free(net);
        return ps_err_set(err, PS_ENOMEM, "nn: out of memory for %zu parameters", n_state);
    }
    *out = net;
    return 0;
}

void ps_net_free(ps_net *net)
{
    if (!net)
        return;
    free(net->state);
    free(net->grads);
    free(net->mom);
    free(net->arena);
    free(net->iarena);
    free(net);
}

void ps_net_init(ps_net *net, ps_rng *rng)
{
    for (int32_t i = 0; i < net->n_nodes; i++) {
        const ps_nn_node *d = &net->nodes[i];
        if (ps__nn_ops(d)->init)
            ps__nn_ops(d)->init(net, d, rng);
    }
    memset(net->mom, 0, net->n_params * sizeof(float));
    memset(net->grads, 0, net->n_params * sizeof(float));
}

int ps_net_set_kernels(ps_net *net, ps_nn_kernels kernels, ps_err *err)
{
    if (!ps_nn_kernels_name(kernels))
        return ps_err_set(err, PS_EINVAL, "nn: kernels %d, expected 0..%d", (int)kernels,
                          PS_NN_KERNELS_COUNT - 1);
    if (net->cap)
        return ps_err_set(err, PS_ESTATE, "nn: ps_net_set_kernels after ps_net_reserve");
    net->kernels = kernels;
    return 0;
}

static const char *const kernels_names[PS_NN_KERNELS_COUNT] = {
    [PS_NN_KERNELS_AUTO] = "auto",
    [PS_NN_KERNELS_GEMM] = "gemm",
    [PS_NN_KERNELS_AVX2] = "avx2",
};

const char *ps_nn_kernels_name(ps_nn_kernels kernels)
{
    return (int)kernels >= 0 && kernels < PS_NN_KERNELS_COUNT ? kernels_names[kernels] : NULL;
}

int ps_nn_kernels_parse(ps_nn_kernels *out, const char *name, ps_err *err)
{
    char list[64] = "";
    for (int k = 0; k < PS_NN_KERNELS_COUNT; k++) {
        if (name && !strcmp(name, kernels_names[k])) {
            *out = (ps_nn_kernels)k;
            return 0;
        }
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s",
                 !k ? "" : k == PS_NN_KERNELS_COUNT - 1 ? " or " : ", ", kernels_names[k]);
    }
    return ps_err_set(err, PS_EINVAL, "nn: kernels '%s', expected %s", name ? name : "", list);
}

void ps_net_forward(ps_net *net, const float *x, int32_t n, int training, ps_rng *rng)
{
    net->x = x;
    net->n = n;
    for (int32_t i = 0; i < net->n_nodes; i++) {
        ps_nn_node *d = &net->nodes[i];
        if (!d->view)
            ps__nn_ops(d)->forward(net, d, training, rng);
    }
}

void ps_net_zero_grad(ps_net *net)
{
    memset(net->grads, 0, net->n_params * sizeof(float));
    memset(net->gset, 0, sizeof net->gset);
    memset(net->gref, 0, sizeof net->gref);
    net->gset_input = 0;
}

void ps_net_backward(ps_net *net)
{
    for (int32_t i = net->n_nodes - 1; i >= 0; i--) {
        ps_nn_node *d = &net->nodes[i];
        /* a node no loss reached has a zero gradient: nothing to propagate */
        if (d->flows && !d->view && net->gset[ps__nn_owner(net, i)])
            ps__nn_ops(d)->backward(net, d);
    }
    if (net->want_dinput && !net->gset_input) {
        memset(net->arena + net->dinput, 0,
               ps__nn_numel(&net->in_shape) * (size_t)net->n * sizeof(float));
        net->gset_input = 1;
    }
    if (net->recycle) {   /* the buffers are reused: the next pass starts from nothing */
        memset(net->gset, 0, sizeof net->gset);
        memset(net->gref, 0, sizeof net->gref);
    }
}

void ps_net_want_input_grad(ps_net *net, int on)
{
    net->want_dinput = on != 0;
    compute_flows(net);
}

const float *ps_net_dinput(const ps_net *net) { return net->arena + net->dinput; }

int32_t ps_net_find(const ps_net *net, const char *name)
{
    for (int32_t i = net->n_nodes - 1; i >= 0; i--)
        if (!strcmp(net->nodes[i].name, name))
            return i;
    return -1;
}

int32_t ps_net_n_nodes(const ps_net *net) { return net->n_nodes; }
ps_nn_shape ps_net_shape(const ps_net *net, int32_t node) { return net->nodes[node].shape; }
const float *ps_net_out(const ps_net *net, int32_t node)
{
    return net->arena + net->nodes[node].act;
}
float *ps_net_dout(ps_net *net, int32_t node)
{
    if (net->recycle && !net->is_out[node]) {   /* a caller bug: its buffer is shared */
        fprintf(stderr, "pairsweep: nn: ps_net_dout on node %d (%s), not declared by "
                "ps_net_set_outputs\n", node, net->nodes[node].name);
        abort();
    }
    int32_t o = ps__nn_owner(net, node);
    float *g = net->arena + net->nodes[node].grad;
    if (!net->gset[o]) {
        memset(g, 0, ps__nn_numel(&net->nodes[o].shape) * (size_t)net->n * sizeof(float));
        net->gset[o] = 1;
    }
    return g;
}
size_t ps_net_n_params(const ps_net *net) { return net->n_params; }
size_t ps_net_n_state(const ps_net *net) { return net->n_state; }
float *ps_net_state(ps_net *net) { return net->state; }
const float *ps_net_state_const(const ps_net *net) { return net->state; }
float *ps_net_grads(ps_net *net) { return net->grads; }
float *ps_net_momentum(ps_net *net) { return net->mom; }
int32_t ps_net_n_views(const ps_net *net) { return net->n_views; }
const ps_nn_view *ps_net_views(const ps_net *net) { return net->views; }

double ps_net_flops_forward(const ps_net *net)
{
    double f = 0;
    for (int32_t i = 0; i < net->n_nodes; i++)
        f += net->nodes[i].fl_fwd;
    return f;
}

double ps_net_flops_train(const ps_net *net)
{
    double f = 0;
    for (int32_t i = 0; i < net->n_nodes; i++) {
        const ps_nn_node *d = &net->nodes[i];
        f += d->fl_fwd + d->fl_dw;
        if (d->in >= 0 && net->nodes[d->in].flows)
            f += d->fl_dx;
    }
    return f;
}

const ps_nn_shape *ps__nn_in_shape(const ps_net *net, int32_t in)
{
    return in == PS_NN_INPUT ? &net->in_shape : &net->nodes[in].shape;
}

const float *ps__nn_in_act(const ps_net *net, int32_t in)
{
    return in == PS_NN_INPUT ? net->x : net->arena + net->nodes[in].act;
}

float *ps__nn_in_grad(ps_net *net, int32_t in, int *acc)
{
    if (in == PS_NN_INPUT) {
        *acc = net->gset_input;
        net->gset_input = 1;
        return net->want_dinput ? net->arena + net->dinput : NULL;
    }
    if (!net->nodes[in].flows)
        return NULL;
    int32_t o = ps__nn_owner(net, in);
    *acc = net->gset[o];
    net->gset[o] = 1;
    return net->arena + net->nodes[in].grad;
}

int ps__nn_in_grad_ref(ps_net *net, int32_t in, int32_t add)
{
    if (in < 0 || !net->nodes[in].by_ref || !net->nodes[in].flows || net->gset[in])
        return 0;
    int32_t r = net->gref[add];
    net->gref[in] = r ? r : add + 1;
    net->gset[in] = 1;
    return 1;
}
