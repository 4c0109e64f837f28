/* pairsweep — the training core: a small graph of layers (convolution, batch normalisation,
 * ReLU, max-pooling, linear, flatten, views, addition, concatenation, dropout) with forward and
 * backward passes in C over OpenBLAS, softmax cross-entropy, SGD and PyTorch's default
 * initialisation. No ML framework underneath.
 *
 * Tensors. The model input is NCHW (N, C, H, W) as stored by the data module. Inside the
 * network a "spatial" tensor is kept channel-major, CNHW (C, M, H, W), so that a convolution
 * over the whole mini-batch is one GEMM whose result is already in that layout and batch
 * normalisation reads each channel as one contiguous run; a "flat" tensor is row-major
 * (M, F). M is rows·N: a node has `rows` rows per sample (2 after the Siamese split, where
 * row 2i is digit 1 of pair i and row 2i+1 its digit 2, so a branch run once on 2N rows is
 * the weight-shared branch applied to both digits and gradients add up in the shared weights
 * by construction).
 *
 * Memory. A net owns a handful of allocations made by ps_net_create (state: parameters then
 * buffers; parameter gradients; momentum) and by ps_net_reserve (one float arena with every
 * node's activation, gradient and saved values plus one im2col workspace; one int32 arena for
 * max-pooling indices). A net whose caller declares the nodes it writes gradients into
 * (ps_net_set_outputs) lets gradients that are never live together share arena space.
 * ps_net_forward, ps_net_backward and ps_nn_sgd_step never allocate.
 * Backward passes *add* into parameter gradients; ps_net_zero_grad clears them and starts a
 * new pass for the activation gradients (each is written by its first contributor, then
 * added to, so none has to be cleared as a whole).
 */
#ifndef PAIRSWEEP_NN_H
#define PAIRSWEEP_NN_H

#include <stddef.h>
#include <stdint.h>

#include "pairsweep/common.h"
#include "pairsweep/rng.h"

#define PS_NN_NAME_MAX 48
#define PS_NN_MAX_NODES 64

/* ---- GEMM: the only caller of cblas_sgemm ------------------------------------------------ */

/* C (m×n) = alpha · op(A) · op(B) + beta · C, row-major, op(X) = X or Xᵀ (ta, tb non-zero).
 * lda, ldb, ldc are the row strides of A, B, C as stored. */
void ps_nn_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc);

/* Makes the BLAS single-threaded in this process, through the vendor's own function
 * (openblas_set_num_threads, bli_thread_set_num_threads, ...; a BLAS without one is left to its
 * environment variables). Each MPI rank trains its own task on one core: the ranks are the
 * parallelism, and BLAS threads would only oversubscribe the cores. Idempotent;
 * ps_net_reserve calls it (nets that only plan, for counts, do not). */
void ps_nn_blas_single_thread(void);

/* Checks that cblas_sgemm comes from the BLAS the build chose (OpenBLAS by default) and not,
 * say, from GSL's reference libgslcblas, which a link order can slip in and which is ~10×
 * slower. Returns 0 or PS_ESTATE naming both libraries; 0 when it cannot tell (a BLAS without
 * a function of its own to compare with, e.g. MKL). ps_net_reserve calls it. */
int ps_nn_blas_check(ps_err *err);

/* ---- layer specifications ----------------------------------------------------------------- */

typedef enum ps_layer_kind {
    PS_L_SPATIAL = 0, /* model input NCHW → CNHW; split=1: (N,2,H,W) → (1, 2N, H, W) (a view) */
    PS_L_CONV,        /* spatial → spatial: out channels, kernel k, zero padding pad, groups */
    PS_L_BN,          /* batch normalisation: BatchNorm2d on spatial, BatchNorm1d on flat */
    PS_L_RELU,
    PS_L_MAXPOOL,     /* 2×2, stride 2, floor (spatial) */
    PS_L_LINEAR,      /* flat (M, in) → flat (M, out) */
    PS_L_FLATTEN,     /* spatial (C, M, H, W) → flat (M, C·H·W) in PyTorch's (c, h, w) order */
    PS_L_MERGE,       /* flat (rows·N, F) → flat (N, rows·F): a view; undoes the split */
    PS_L_ADD,         /* from + from2, equal shapes */
    PS_L_CONCAT,      /* flat (M, F1), (M, F2) → (M, F1 + F2) */
    PS_L_DROPOUT,     /* training: zero with probability p, scale by 1/(1−p); eval: identity */
    PS_L_KIND_COUNT
} ps_layer_kind;

/* One node of a net, as data. `from` and `from2` name earlier nodes ("" = the previous node,
 * "input" = the model input). A BN node with optional=1 is left out when the net is built
 * with use_bn = 0; a name that refers to it then means its input. */
typedef struct ps_layer_spec {
    ps_layer_kind kind;
    const char *name;  /* state_dict prefix for layers with parameters; a label otherwise */
    const char *from;  /* NULL or "" = previous node */
    const char *from2; /* second input of ADD / CONCAT */
    int32_t out;       /* CONV: output channels; LINEAR: output features */
    int32_t k, pad;    /* CONV: kernel side, zero padding */
    int32_t groups;    /* CONV: groups (0 = 1) */
    int32_t split;     /* SPATIAL: 1 = Siamese split of a 2-channel input into 2 rows */
    int32_t optional;  /* BN: dropped when use_bn = 0 */
    float p;           /* DROPOUT: probability of zeroing */
    int32_t nofuse;    /* RELU: keep it a node of its own (see below; for tests) */
} ps_layer_spec;

/* Fusion. A RELU whose input is a CONV, BN or ADD node read by nothing else is fused into
 * it: that node applies the ReLU to its own output in the same pass (and masks its output
 * gradient in its backward pass), and the RELU node becomes a view of it. Results are the
 * same bits as unfused; ps_net_out of the fused node then returns the ReLU's output. */

/* A named tensor of the net's state: parameters first, then buffers (running statistics).
 * Names and layouts are PyTorch's state_dict ones ("conv1.weight" out×in×kh×kw,
 * "bn1.running_mean"); BatchNorm's num_batches_tracked is not kept (it only matters to
 * PyTorch when momentum is None). */
typedef struct ps_nn_view {
    char name[PS_NN_NAME_MAX];
    int32_t ndim;
    int32_t shape[4];
    size_t offset;     /* into ps_net_state() */
    size_t count;
    int32_t trainable; /* 1 parameter, 0 buffer */
} ps_nn_view;

/* Shape of a node's output: layout, rows per sample, and per-row (c, h, w); flat tensors have
 * h = w = 1 and c features. */
typedef struct ps_nn_shape {
    int32_t spatial;   /* 1: CNHW, 0: flat (M, c) */
    int32_t rows;
    int32_t c, h, w;
} ps_nn_shape;

typedef struct ps_net ps_net;

/* Builds a net from specs for an input of (in_c, in_h, in_w) per sample: resolves names,
 * checks every shape (a kernel larger than its input, a LINEAR on a spatial tensor, ...),
 * lays out the state and allocates parameters, gradients and momentum (zeroed; call
 * ps_net_init). use_bn = 0 leaves out optional BN nodes. Returns 0, or PS_EINVAL (err names
 * the node and what was expected) / PS_ENOMEM; *out is NULL on error. */
int ps_net_create(ps_net **out, const ps_layer_spec *specs, int32_t n_specs, int32_t in_c,
                  int32_t in_h, int32_t in_w, int32_t use_bn, ps_err *err);

void ps_net_free(ps_net *net);

/* PyTorch's default initialisation from rng: Conv2d/Linear weights kaiming_uniform(a=√5),
 * i.e. U(±1/√fan_in), biases U(±1/√fan_in), drawn in node order, weight before bias; BN
 * weight 1, bias 0, running mean 0, running var 1. Momentum buffers are cleared. */
void ps_net_init(ps_net *net, ps_rng *rng);

/* Allocates the activation arena for batches of up to max_batch samples (replacing a smaller
 * one). Returns 0 or PS_ENOMEM / PS_EINVAL. */
int ps_net_reserve(ps_net *net, int32_t max_batch, ps_err *err);

/* Declares the nodes whose gradients the caller writes (ps_net_dout: the loss outputs, and
 * any other node the caller adds a gradient into), so that ps_net_reserve can give node
 * gradients that are never live at the same time in a backward pass the same arena space
 * (a node's gradient lives from the backward of its last reader to its own). Results are
 * the same bits; the arena is smaller. Call before ps_net_reserve; without the call every
 * node keeps a gradient buffer of its own. Afterwards ps_net_dout on an undeclared node is a
 * programming error and aborts with a message naming the node; node gradients are
 * meaningful only during ps_net_backward, which ends the pass (the next ps_net_dout starts
 * from zero). Returns 0, PS_EINVAL (a node id outside 0..n_nodes−1, n ≤ 0; nothing
 * changed) or PS_ESTATE (the arena is already reserved). */
int ps_net_set_outputs(ps_net *net, const int32_t *nodes, int32_t n, ps_err *err);

/* The kernels a net computes with, chosen at run time (one binary runs on every x86-64 CPU).
 * Every choice gives the same results up to float rounding, but not always the same bits: the
 * direct convolutions sum in another order than im2col + GEMM. The AVX-512 and the AVX2 direct
 * kernels give the same bits (the same operations per output, in the same order); but with
 * AVX2, report 002's 5×5 layers on 3×3 planes take the dense path (conv_dense.c: sgemms,
 * OpenBLAS's order), so there AVX2 and AVX-512 give other last digits. */
typedef enum ps_nn_kernels {
    PS_NN_KERNELS_AUTO = 0, /* the fastest the CPU has: the direct convolutions where they
                               apply (src/nn/conv_direct.c; Winograd's F(2×2, 3×3) for the
                               3×3 layers of 16·j channels on even or 7×7 planes, F(4×4,
                               5×5) for the 5×5 ones on planes from 7, F(3×3, 5×5) on
                               smaller ones of 64 channels or more) in AVX-512, else in AVX2 + FMA, else (and for the other
                               layers) im2col + GEMM */
    PS_NN_KERNELS_GEMM = 1, /* every convolution by im2col (or the input itself) + GEMM */
    PS_NN_KERNELS_AVX2 = 2, /* AUTO capped at AVX2 + FMA: the AVX-512 kernels are not used
                               (GEMM on a CPU without AVX2 and FMA); "same" layers whose
                               kernel covers the whole plane (5×5 on 3×3) by the dense
                               path's sgemms */
    PS_NN_KERNELS_COUNT
} ps_nn_kernels;

/* PS_NN_MAX_ISA in the environment caps the vector instruction set of every net's kernels in
 * the process, as ONEDNN_MAX_CPU_ISA does oneDNN's: "avx2" makes PS_NN_KERNELS_AUTO act as
 * PS_NN_KERNELS_AVX2 (the AVX-512 kernels are not used), "avx512" or unset is no cap. It
 * changes the speed, and the last digits only of the nets with 5×5 layers on 3×3 planes
 * (report 002's A5_k5 and A6_k5: the dense path, above): the other kernels of both ISAs give
 * the same bits. Read once, at the first net's choice. Returns 0, or PS_EINVAL for any other value (the nets then
 * take no cap): the command-line checks it before any work. */
int ps_nn_check_env(ps_err *err);

/* What a kernels choice computes with on this CPU (under PS_NN_MAX_ISA): "avx512" or "avx2"
 * (the direct and Winograd convolutions in that instruction set, im2col + GEMM for the other
 * layers), or "gemm" (im2col + GEMM for every convolution). */
const char *ps_nn_kernels_isa(ps_nn_kernels kernels);

/* Chooses the kernels of a net (a new net has PS_NN_KERNELS_AUTO). Call before
 * ps_net_reserve. Returns 0, PS_EINVAL (not a ps_nn_kernels value) or PS_ESTATE (the arena is
 * already reserved); on error nothing changed. */
int ps_net_set_kernels(ps_net *net, ps_nn_kernels kernels, ps_err *err);

/* The name of a kernels choice as options spell it ("auto", "gemm", "avx2"), or NULL for a
 * value out of range. */
const char *ps_nn_kernels_name(ps_nn_kernels kernels);

/* The kernels choice a name spells (ps_nn_kernels_name) into *out. Returns 0, or PS_EINVAL
 * naming the valid names (*out untouched). */
int ps_nn_kernels_parse(ps_nn_kernels *out, const char *name, ps_err *err);

/* Bytes of the arenas ps_net_reserve allocated (0 before): activations, gradients, saved
 * values, workspace and input gradient, plus the max-pooling indices. */
size_t ps_net_arena_bytes(const ps_net *net);

/* Forward pass on x (n, in_c, in_h, in_w), n ≤ the reserved batch. training = 1 uses batch
 * statistics (and updates running statistics) and dropout (from rng, which may be NULL when
 * the net has no dropout); training = 0 is evaluation mode. */
void ps_net_forward(ps_net *net, const float *x, int32_t n, int training, ps_rng *rng);

/* Clears every parameter gradient and every node gradient (node gradients lazily: see
 * ps_net_dout). Call after ps_net_forward, before adding output gradients. */
void ps_net_zero_grad(ps_net *net);

/* Backward pass of the last forward: the caller has added dLoss/d(output) into the gradient
 * buffers of output nodes (ps_net_dout); parameter gradients are accumulated into
 * ps_net_grads(). Nodes that no output gradient reaches are skipped (their gradient is 0).
 * The model input's gradient is computed only if ps_net_want_input_grad was set. */
void ps_net_backward(ps_net *net);

/* Asks backward to also fill the gradient with respect to the input (tests). */
void ps_net_want_input_grad(ps_net *net, int on);

/* The input gradient (n, in_c, in_h, in_w) after backward (only when wanted). */
const float *ps_net_dinput(const ps_net *net);

/* Node lookup: index of a node by name (dropped optional nodes resolve to their input), or -1. */
int32_t ps_net_find(const ps_net *net, const char *name);
int32_t ps_net_n_nodes(const ps_net *net);
ps_nn_shape ps_net_shape(const ps_net *net, int32_t node);
/* A node's output after forward: (rows·n, c·h·w) for flat, (c, rows·n, h, w) for spatial. */
const float *ps_net_out(const ps_net *net, int32_t node);
/* The gradient buffer of a node's output, same layout, for the caller to add dLoss/d(output)
 * into; the first call after ps_net_zero_grad clears it. Backward reads it. After
 * ps_net_set_outputs only the declared nodes may be asked (any other aborts). */
float *ps_net_dout(ps_net *net, int32_t node);

/* State and gradients: n_params trainable floats then buffers (n_state in all). */
size_t ps_net_n_params(const ps_net *net);
size_t ps_net_n_state(const ps_net *net);
float *ps_net_state(ps_net *net);
const float *ps_net_state_const(const ps_net *net);
float *ps_net_grads(ps_net *net);           /* (n_params) */
float *ps_net_momentum(ps_net *net);        /* (n_params) SGD momentum buffer */
int32_t ps_net_n_views(const ps_net *net);
const ps_nn_view *ps_net_views(const ps_net *net);

/* FLOPs per sample (2 per multiply-add of convolutions and linear layers; element-wise work
 * is not counted): the forward pass, and one training step (forward, weight gradients, and
 * input gradients of every layer that needs them). */
double ps_net_flops_forward(const ps_net *net);
double ps_net_flops_train(const ps_net *net);

/* ---- losses and optimiser ----------------------------------------------------------------- */

/* Softmax cross-entropy of logits (m, c) against labels (m), numerically stable (log-sum-exp
 * after subtracting the row max). Returns the mean over rows (accumulated in double). When
 * dlogits is not NULL, adds scale · ∂(mean loss)/∂logits = scale · (softmax − onehot) / m into
 * it. When correct is not NULL, *correct receives the number of rows whose argmax (first
 * maximum) equals the label. */
double ps_nn_softmax_ce(float *dlogits, const float *logits, const int32_t *labels, int32_t m,
                        int32_t c, float scale, int32_t *correct);

/* One step of torch.optim.SGD (dampening 0) over n parameters:
 *   g = grad + wd·p;  buf = momentum·buf + g;  g = nesterov ? g + momentum·buf : buf;
 *   p -= lr·g.  With momentum 0 the buffer is not used (may be NULL). buf must start at 0. */
void ps_nn_sgd_step(float *p, const float *grad, float *buf, size_t n, float lr,
                    float momentum, float weight_decay, int nesterov);

#endif
