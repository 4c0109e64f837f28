/* pairsweep — nn internals of the convolution: im2col / col2im (im2col.c) and the direct
 * forward kernels (conv_direct.c, one file per ISA), both used by conv.c. Not a public
 * header. */
#ifndef PAIRSWEEP_NN_CONV_H
#define PAIRSWEEP_NN_CONV_H

#include "net_internal.h"

/* im2col of m images of x (c, ms, h, w) — x points at the first of the m, ms is the number
 * of images per channel in x's layout — into cols (c·k·k, m·ho·wo); col2im adds back. */
void ps__nn_im2col(float *cols, const float *x, int c, int m, int ms, int h, int w, int k,
                   int pad, int ho, int wo);
void ps__nn_col2im(float *dx, const float *cols, int c, int m, int ms, int h, int w, int k,
                   int pad, int ho, int wo);
/* The same as ps__nn_im2col with plain loops (any plane size; the reference the tests compare
 * the fast path with). */
void ps__nn_im2col_plain(float *cols, const float *x, int c, int m, int ms, int h, int w,
                         int k, int pad, int ho, int wo);

/* dst[c·ldd + r] = src[r·lds + c] (or += when add), r < rows, c < cols, in tiles of 16 × 16:
 * both sides then touch at most 16 cache lines per tile (a weight matrix of report 002's
 * conv3, 128 × 1600 floats, written with a stride of a row took 2% of training). A copy (or
 * one addition) per element, so the same values as an element-by-element loop. */
static inline void ps__nn_transpose(float *dst, size_t ldd, const float *src, size_t lds,
                                    int rows, int cols, int add)
{
    for (int r0 = 0; r0 < rows; r0 += 16)
        for (int c0 = 0; c0 < cols; c0 += 16) {
            int r1 = rows - r0 < 16 ? rows : r0 + 16, c1 = cols - c0 < 16 ? cols : c0 + 16;
            for (int c = c0; c < c1; c++)
                for (int r = r0; r < r1; r++) {
                    float *q = dst + (size_t)c * ldd + r;
                    float v = src[(size_t)r * lds + c];
                    *q = add ? *q + v : v;
                }
        }
}

/* A 1×1 convolution without padding needs no im2col: its input (C, M·H·W) is its columns. */
static inline int ps__nn_conv_pointwise(const ps_nn_node *d)
{
    return d->k == 1 && d->pad == 0;
}

/* The dense small-plane convolution (conv_dense.c): "same" layers whose kernel reaches every
 * input position from every output position (report 002's 5×5 layers on 3×3 planes), as
 * three sgemms, with the AVX2 kernels; where it applies it does the forward pass and both
 * gradients, and the direct kernels (ps__nn_conv_direct_*_ok) do not. Planes of at most PS_NN_DENSE_MAX_N positions. */
#define PS_NN_DENSE_MAX_N 16
int ps__nn_conv_dense_ok(const ps_net *net, const ps_nn_node *d);
size_t ps__nn_conv_dense_work(const ps_nn_node *d, int rows);   /* floats */
void ps__nn_conv_dense_forward(ps_net *net, ps_nn_node *d);
/* dW += (into net->grads), dx (=, or += when acc; NULL: none) from DOUT (ReLU'd). */
void ps__nn_conv_dense_backward(ps_net *net, ps_nn_node *d, const float *x, float *dx,
                                int acc);

/* The vector instruction set of a net's direct kernels: its kernels choice capped by what
 * the CPU has (__builtin_cpu_supports, at run time). */
typedef enum ps__nn_isa {
    PS_NN_ISA_NONE = 0, /* no direct kernel: im2col + GEMM */
    PS_NN_ISA_AVX2,     /* AVX2 + FMA, 8 floats per vector */
    PS_NN_ISA_AVX512    /* AVX-512F, 16 floats per vector */
} ps__nn_isa;
ps__nn_isa ps__nn_direct_isa(const ps_net *net);

/* The layer shapes the direct kernels are written for, as X(k, pad, output width): stride 1,
 * the input width is wo + k − 1 − 2·pad, any height. Each is compiled per ISA with these as
 * constants (conv_direct_kernel.h, conv_dw_kernel.h). The zoo's: 3×3 valid to 10 wide (cnn,
 * siamese conv2) and its input gradient, 3×3 with padding 2 to 12 wide; 3×3 "same" at 14, 7
 * and 3 (resnet conv1 and conv2, report 002's k3 conv1–conv3), 5×5 "same" at 14, 7 and 3
 * (report 002's k5 conv1, conv2 and conv3). */
#define PS_NN_DIRECT_SHAPES(X)                                                               \
    X(3, 0, 10) X(3, 1, 14) X(3, 1, 7) X(3, 1, 3) X(3, 2, 12) X(5, 2, 14) X(5, 2, 7) X(5, 2, 3)

/* One direct convolution (every group of every image): y (=, or += when acc) x ∗ w + b,
 * ReLU'd when relu; (k, pad, wo) one of PS_NN_DIRECT_SHAPES, og a multiple of 16. */
typedef struct ps__nn_direct {
    float *y;          /* (g·og, m, ho, wo) */
    const float *x;    /* (g·cg, m, h, w) */
    const float *wt;   /* (g, cg·k·k, og): each group's weights transposed */
    const float *b;    /* (g·og), or NULL: no bias */
    int m, g, cg, og;  /* images, groups, input and output channels per group */
    int h, w, ho, wo, k, pad;
    int relu, acc;     /* relu: max(·, 0) (not with acc); acc: add into y */
} ps__nn_direct;
/* One direct weight gradient (every group): dwt = the transposed weight gradient of a
 * convolution of x with output gradient dy; (k, pad, wo) one of PS_NN_DIRECT_SHAPES, og a
 * multiple of 16. */
typedef struct ps__nn_direct_dw {
    float *dwt;        /* (g, cg·k·k, og) */
    const float *x;    /* (g·cg, m, h, w) */
    const float *dy;   /* (g·og, m, ho, wo) */
    float *work;       /* ps__nn_conv_direct_dw_work floats */
    int m, g, cg, og, h, w, ho, wo, k, pad;
    int chunk;         /* images per chunk */
} ps__nn_direct_dw;
/* The kernels of each ISA (conv_direct_avx512.c, conv_direct_avx2.c); call only on a CPU that
 * has it. */
void ps__nn_conv_direct_avx512(const ps__nn_direct *a);
void ps__nn_conv_direct_avx2(const ps__nn_direct *a);
void ps__nn_conv_dw_avx512(const ps__nn_direct_dw *a);
void ps__nn_conv_dw_avx2(const ps__nn_direct_dw *a);
/* Most tiles (forward) or channels (weight gradient) of a register block of the Winograd
 * kernels: their buffers of a block are sized by it. */
#define PS_NN_WINO_MAX_S 16
/* The 3×3 convolution a by Winograd's F(2×2, 3×3) (conv_wino_kernel.h): u the transformed
 * weights (g, 16, cg, og), work ps__nn_conv_wino_work floats for chunks of `chunk` images. */
void ps__nn_conv_wino_avx512(const ps__nn_direct *a, const float *u, float *work, int chunk);
void ps__nn_conv_wino_avx2(const ps__nn_direct *a, const float *u, float *work, int chunk);
/* The weight gradient a of a 3×3 layer by F(3×3, 2×2): a->work at a 64-byte boundary, its
 * chunks of a->chunk images sized by conv_direct.c for it. */
void ps__nn_conv_wino_dw_avx512(const ps__nn_direct_dw *a);
void ps__nn_conv_wino_dw_avx2(const ps__nn_direct_dw *a);
/* The same for a 5×5 layer by F(m×m, 5×5), m = 3 or 4, and its weight gradient by
 * F(5×5, m×m) (conv_wino5_kernel.h): u (g, (m + 4)², cg, og). */
void ps__nn_conv_wino5_avx512(const ps__nn_direct *a, const float *u, float *work, int chunk,
                              int m);
void ps__nn_conv_wino5_avx2(const ps__nn_direct *a, const float *u, float *work, int chunk,
                            int m);
void ps__nn_conv_wino5_dw_avx512(const ps__nn_direct_dw *a, int m);
void ps__nn_conv_wino5_dw_avx2(const ps__nn_direct_dw *a, int m);
/* The weights' transforms of F(m×m, 5×5): u (g, (m + 4)², ci, co) from wt (g, ci, 25, co). */
void ps__nn_conv_wino5_u_avx512(float *u, const float *wt, int g, int ci, int co, int m);
void ps__nn_conv_wino5_u_avx2(float *u, const float *wt, int g, int ci, int co, int m);

/* 1 when CONV node d's forward pass runs a direct kernel rather than im2col + GEMM: the net's
 * ps__nn_direct_isa is not NONE, and d has a window (not 1×1), one of PS_NN_DIRECT_SHAPES,
 * 16·j outputs per group and ≥ 25 multiply-adds per output (cg·k·k: the first 3×3 layers of
 * 1–2 inputs, 9 or 18, stay on im2col + GEMM, where the direct kernel's transposition of its
 * output costs more than the columns do; their 5×5 twins, 25, run 1.5× faster direct). The
 * same layers for every ISA, so AVX-512 and AVX2 give the same bits. */
int ps__nn_conv_direct_ok(const ps_net *net, const ps_nn_node *d);
/* The forward pass of CONV node d by the direct kernel (only when ps__nn_conv_direct_ok):
 * the output, its bias and fused ReLU; the transposed weights go to d's saved values. */
void ps__nn_conv_direct_forward(ps_net *net, ps_nn_node *d);

/* 1 when the input gradient of CONV node d is computed by a direct kernel, as the
 * convolution of dY with the flipped, transposed weights (padding k − 1 − pad): the same
 * conditions as ps__nn_conv_direct_ok for that convolution (og inputs and cg outputs per
 * group, d's input width as its output width). */
int ps__nn_conv_direct_dx_ok(const ps_net *net, const ps_nn_node *d);
/* dx (=, or += when acc) the input gradient of CONV node d from its output gradient (already
 * masked by a fused ReLU), by the direct kernel (only when ps__nn_conv_direct_dx_ok); the
 * flipped weights go to d's saved values, after dWᵀ. */
void ps__nn_conv_direct_dx(ps_net *net, ps_nn_node *d, float *dx, int acc);

/* 1 when the weight gradient of CONV node d is computed by a direct kernel: for the layers
 * whose forward pass is (ps__nn_conv_direct_ok; the first 3×3 layers, 9 or 18 multiply-adds
 * per output, measured no faster: AVX-512 ±5%, AVX2 10–25% slower than im2col + GEMM). */
int ps__nn_conv_direct_dw_ok(const ps_net *net, const ps_nn_node *d);
/* Workspace floats the direct weight gradient of d needs for `rows` images. */
size_t ps__nn_conv_direct_dw_work(const ps_nn_node *d, int rows);
/* 1 when the direct forward pass (dx 0) or input gradient (dx 1) of CONV node d runs
 * Winograd's F(2×2, 3×3) (conv_wino_kernel.h: 3×3 windows, even output planes or odd ones
 * from 7 with 32 channels or more) or F(m×m, 5×5) (conv_wino5_kernel.h: 5×5 windows, planes
 * from 7 with m = 4, or smaller ones with 64 channels or more with m = 3), 16·j channels
 * on both sides, where the dense path does not run, not switched off by PS_NN_WINO=0 (both) or PS_NN_WINO5=0 (the
 * 5×5 one) in the environment. */
int ps__nn_conv_wino_ok(const ps_net *net, const ps_nn_node *d, int dx);
/* Workspace floats the direct kernels of d need for `rows` images: the weight gradient's, or
 * Winograd's (the transformed weights and a chunk's buffers) for the forward pass and input
 * gradient of the 3×3 and 5×5 layers that take it. */
size_t ps__nn_conv_direct_work(const ps_net *net, const ps_nn_node *d, int rows);
/* dWᵀ (g, cg·k·k, og) in d's saved values = the transposed weight gradient of CONV node d
 * from its input and output gradient (already masked by a fused ReLU), by the direct kernel
 * (only when ps__nn_conv_direct_dw_ok); uses the workspace. */
void ps__nn_conv_direct_dw(ps_net *net, ps_nn_node *d);

#endif
