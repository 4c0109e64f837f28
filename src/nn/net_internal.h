/* pairsweep — nn internals shared by net.c (planning, dispatch), arena.c (the arena) and the
 * layer files (one per family of layer kinds, each with its row of the table of kinds,
 * layers.c). Not a public header.
 *
 * Conventions of the kernels. Spatial tensors are CNHW (C, M, H, W), flat ones (M, F);
 * M = rows · n. Parameter gradients are accumulated (+=). An input gradient is written (=) by
 * its first contributor of a backward pass and accumulated by the others (ps__nn_in_grad
 * says which), so no pass has to clear the activation gradients first. */
#ifndef PAIRSWEEP_NN_NET_INTERNAL_H
#define PAIRSWEEP_NN_NET_INTERNAL_H

#include "pairsweep/nn.h"

#define PS_NN_INPUT (-1) /* node index of the model input */

/* One node of a built net: its spec (names copied), resolved inputs, shapes and where its
 * parameters, activations and saved values live. */
typedef struct ps_nn_node {
    ps_layer_kind kind;
    char name[PS_NN_NAME_MAX];
    int32_t in, in2;           /* node indices, PS_NN_INPUT = model input, in2 -2 if unused */
    int32_t out, k, pad, groups, split;
    float p;
    ps_nn_shape shape;         /* output */
    ps_nn_shape ishape;        /* input `in` (for ADD/CONCAT also see in2's node) */
    int32_t view;              /* output aliases the input (MERGE, a fused RELU) */
    int32_t relu;              /* ReLU applied to the output in place (fused: fuses_relu) */
    int32_t nofuse;            /* RELU: not to be fused */
    int32_t by_ref;            /* read by one ADD only: its gradient may be the ADD's buffer */
    int32_t flows;             /* gradient flows into this node's output */
    size_t w_off, b_off;       /* parameters (weight, bias) in state; CONV/LINEAR/BN */
    size_t n_w, n_b;
    size_t buf_off[2];         /* buffers in state (ps_nn_ops.buffers): BN running mean, var */
    size_t act, grad;          /* float arena offsets of output and its gradient */
    size_t save;               /* float arena: BN mean, invstd; DROPOUT mask; CONV dWᵀ, W' */
    size_t idx;                /* int arena: MAXPOOL argmax */
    double fl_fwd, fl_dw, fl_dx; /* FLOPs per sample */
} ps_nn_node;

struct ps_net {
    int32_t n_nodes;
    ps_nn_node nodes[PS_NN_MAX_NODES];
    ps_nn_shape in_shape;      /* raw NCHW input: spatial = 2, rows 1 */
    int32_t want_dinput;
    size_t n_params, n_state;
    float *state;              /* (n_state) parameters then buffers */
    float *grads;              /* (n_params) */
    float *mom;                /* (n_params) */
    int32_t n_views;
    ps_nn_view views[4 * PS_NN_MAX_NODES]; /* ≤ 4 per node (BN: weight, bias, 2 buffers) */
    int32_t cap;               /* reserved batch size, 0 = none */
    int32_t n;                 /* batch of the last forward */
    float *arena;              /* activations, gradients, saved values, workspace, dinput */
    int32_t *iarena;           /* max-pooling indices */
    size_t ws;                 /* im2col workspace offset */
    size_t dinput;             /* input gradient offset */
    const float *x;            /* input of the last forward (n, C, H, W) */
    uint8_t gset[PS_NN_MAX_NODES]; /* node gradient holds a contribution of this backward
                                     (indexed by the node owning the storage) */
    uint8_t gset_input;        /* the same for the input gradient */
    int32_t gref[PS_NN_MAX_NODES]; /* 0: a node's gradient is in its own buffer; j + 1: it
                                     is node j's gradient buffer (ADD by reference) */
    int32_t recycle;           /* ps_net_set_outputs was called: gradient buffers by liveness */
    ps_nn_kernels kernels;     /* ps_net_set_kernels */
    uint8_t is_out[PS_NN_MAX_NODES]; /* declared output: the caller may write its gradient */
    size_t arena_bytes;        /* both arenas, bytes */
};

static inline size_t ps__nn_numel(const ps_nn_shape *s)
{
    return (size_t)s->rows * (size_t)s->c * (size_t)s->h * (size_t)s->w;
}

/* The buffer that holds a node's output gradient in this backward pass: its own, or the
 * buffer of the ADD that passed it by reference (ps__nn_in_grad_ref). */
static inline float *ps__nn_grad_buf(const ps_net *net, const ps_nn_node *d)
{
    int32_t r = net->gref[d - net->nodes];
    return net->arena + (r ? net->nodes[r - 1].grad : d->grad);
}

/* The node whose arena storage a node's output uses (views share their input's). */
static inline int32_t ps__nn_owner(const ps_net *net, int32_t node)
{
    while (node >= 0 && net->nodes[node].view)
        node = net->nodes[node].in;
    return node;
}

/* Rows of a node's output in the current batch; a node's output and output gradient. */
#define ROWS(net, d) ((size_t)(d)->shape.rows * (size_t)(net)->n)
#define OUT(net, d) ((net)->arena + (d)->act)
#define DOUT(net, d) ps__nn_grad_buf(net, d)

/* What a layer kind is: its operations (plan: shapes, parameter counts, FLOPs, can fail;
 * forward and backward, cannot fail), what it keeps in the arena, its parameters and buffers,
 * and how net.c may wire it. net.c and arena.c decide nothing by kind but through these. A
 * new kind: its file with its kernels and one of these, a ps_layer_kind (nn.h), its extern
 * line below, its row of ps__nn_kinds (layers.c), the file in CMakeLists.txt, its tests. */
typedef struct ps_nn_ops {
    int (*plan)(ps_net *net, ps_nn_node *d, ps_err *err);
    /* NULL only for a kind whose every node is a view (plan sets d->view) */
    void (*forward)(ps_net *net, ps_nn_node *d, int training, ps_rng *rng);
    void (*backward)(ps_net *net, ps_nn_node *d);
    size_t (*saved)(const ps_nn_node *d, int32_t batch);   /* floats saved; NULL: none */
    size_t (*isaved)(const ps_nn_node *d, int32_t batch);  /* int32 saved; NULL: none */
    size_t (*work)(const ps_net *net, const ps_nn_node *d, int32_t batch); /* workspace
                                  floats (one workspace, the largest need); NULL: none */
    /* Sets the parameters (weight n_w, bias n_b) and buffers for ps_net_init, drawing from
     * rng in node order, weight before bias. NULL exactly for the kinds without parameters
     * (a spec of a kind with parameters needs a name: its state_dict prefix). */
    void (*init)(ps_net *net, const ps_nn_node *d, ps_rng *rng);
    /* The weight's view shape ("NAME.weight"); returns its ndim. NULL: (n_w). Bias: (n_b). */
    int32_t (*weight_shape)(const ps_nn_node *d, int32_t shape[4]);
    int32_t n_buffers;         /* buffers of (shape.c) floats each, after every parameter */
    const char *buffers[2];    /* their names ("NAME.running_mean") */
    int32_t inputs;            /* 2: the spec's from2 is a second input; else 1 */
    int32_t optional;          /* a spec with optional = 1 is left out when use_bn = 0 */
    int32_t fuses_relu;        /* applies a RELU that follows it itself (nn.h, d->relu) */
    int32_t fusable;           /* a RELU: a view of its input when that input fuses it */
    int32_t passes_grad;       /* passes its output gradient by reference to an input it
                                  alone reads (ps__nn_in_grad_ref): ADD */
} ps_nn_ops;

/* The table of kinds (layers.c): one row per ps_layer_kind, each the ops of one layer file. */
extern const ps_nn_ops *const ps__nn_kinds[PS_L_KIND_COUNT];
extern const ps_nn_ops ps__nn_spatial_ops, ps__nn_flatten_ops, ps__nn_merge_ops,
    ps__nn_concat_ops;                                           /* reshape.c */
extern const ps_nn_ops ps__nn_relu_ops, ps__nn_add_ops, ps__nn_dropout_ops; /* elementwise.c */
extern const ps_nn_ops ps__nn_conv_ops;                          /* conv.c */
extern const ps_nn_ops ps__nn_bn_ops;                            /* batchnorm.c */
extern const ps_nn_ops ps__nn_maxpool_ops;                       /* pool.c */
extern const ps_nn_ops ps__nn_linear_ops;                        /* linear.c */

static inline const ps_nn_ops *ps__nn_ops(const ps_nn_node *d)
{
    return ps__nn_kinds[d->kind];
}

/* Checks shared by the kinds' plans (layers.c): 0, or PS_EINVAL with err saying what was
 * expected. need_spatial: a spatial (C, M, H, W) input; need_not_raw: not the model input
 * itself; same_plan: need_not_raw, and the output has the input's shape. */
int ps__nn_need_spatial(const ps_nn_node *d, ps_err *err);
int ps__nn_need_not_raw(const ps_nn_node *d, ps_err *err);
int ps__nn_same_plan(ps_net *net, ps_nn_node *d, ps_err *err);
/* PyTorch's default initialisation of Conv2d and Linear (kaiming_uniform with a = √5): the
 * weight, then the bias, from U(±1/√fan_in), fan_in = n_w / out. */
void ps__nn_init_fan_in(ps_net *net, const ps_nn_node *d, ps_rng *rng);

/* Pointers of a node's input(s) and output. The model input is net->x / dinput. */
const ps_nn_shape *ps__nn_in_shape(const ps_net *net, int32_t in);
const float *ps__nn_in_act(const ps_net *net, int32_t in);
/* The gradient buffer of input `in` for a backward kernel, or NULL when no gradient flows
 * there. *acc = 0: the buffer holds nothing yet this pass and the caller must write all of
 * it (=); *acc = 1: add (+=). The buffer counts as written after the call. */
float *ps__nn_in_grad(ps_net *net, int32_t in, int *acc);
/* For ADD's backward: when input `in` is read by this ADD only and holds no gradient yet this
 * pass, its gradient (= the ADD's) is passed by reference: the input reads the ADD node
 * `add`'s gradient buffer, nothing is copied, and 1 is returned; else 0 (use ps__nn_in_grad). */
int ps__nn_in_grad_ref(ps_net *net, int32_t in, int32_t add);

#endif
