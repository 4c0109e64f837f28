/* pairsweep — nn internals of the convolution: im2col / col2im (im2col.c) and the direct
 * forward kernel (conv_direct.c), both used by conv.c. Not a public header. */
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

/* A 1×1 convolution without padding needs no im2col: its input (C, M·H·W) is its columns. */
static inline int ps__nn_conv_pointwise(const ps_nn_node *d)
{
    return d->k == 1 && d->pad == 0;
}

/* 1 when CONV node d's forward pass runs the direct kernel rather than im2col + GEMM: the net
 * has PS_NN_KERNELS_AUTO, the CPU AVX-512, and d one group, a window (not 1×1), 16·j outputs,
 * ≥ 8 inputs, an output width of 10, 12 or 14 (the zoo's second convolutions and first ones). */
int ps__nn_conv_direct_ok(const ps_net *net, const ps_nn_node *d);
/* The forward pass of CONV node d by the direct kernel (only when ps__nn_conv_direct_ok):
 * the output, its bias and fused ReLU; the transposed weights go to d's saved values, the
 * zero-padded input planes to the workspace. */
void ps__nn_conv_direct_forward(ps_net *net, ps_nn_node *d);

#endif
