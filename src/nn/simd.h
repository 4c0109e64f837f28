/* pairsweep — nn internals: how the element-wise kernels use the CPU's vectors, and the
 * helpers of their hot loops that more than one layer file uses (deterministic sums over a
 * run, ReLU over a run). Not a public header. */
#ifndef PAIRSWEEP_NN_SIMD_H
#define PAIRSWEEP_NN_SIMD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The element-wise kernels (im2col, BatchNorm, ReLU, pooling, ...) are compiled twice on
 * x86-64 with GCC: for AVX2 (x86-64-v3) and for the baseline (SSE2), picked at load time by
 * the CPU (an ifunc); the baseline build would use 4-float vectors only. Results are the same
 * bits either way: the reductions have explicit lanes, and ISO C mode (-std=c11) keeps GCC
 * from contracting a·b + c into FMAs. -DPS_NN_NO_CLONES builds the baseline only. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(PS_NN_NO_CLONES)
#define PS_NN_SIMD __attribute__((target_clones("arch=x86-64-v3", "default")))
#define PS_NN_X86_GCC 1 /* also: conv_direct.c's AVX-512 kernel (target attributes) */
#else
#define PS_NN_SIMD
#endif

/* Helpers of the hot loops are inlined into their callers, so they get the callers' AVX2
 * clone (PS_NN_SIMD) rather than a baseline out-of-line copy. */
#define PS_NN_INLINE static inline __attribute__((always_inline))

/* Sums over a contiguous run, deterministic and vectorisable: 16 float lanes over blocks of
 * 256 values; after each block every lane's partial sum is added into a double lane, and the
 * 16 double lanes are added up at the end (the error stays that of a 16-term float sum per
 * lane and block, whatever n; no horizontal reduction per block). */
#define PS_NN_LANES 16
#define PS_NN_BLOCK 256

/* 8 floats as one value (GCC's vector extension: one AVX register in the AVX2 clone, two
 * SSE registers in the baseline); lane l of a PS_NN_LANES sum is lane l % 8 of vector l / 8,
 * so the sums are the same bits as with arrays of lanes. (Written with arrays of 16 float
 * lanes, GCC shuffled them: BatchNorm's backward was 2-2.5x slower.) Loads and stores go
 * through memcpy (unaligned vector moves). */
typedef float ps_v8f __attribute__((vector_size(32)));
typedef int32_t ps_v8i __attribute__((vector_size(32)));

PS_NN_INLINE double lanes_total(const double *dl)
{
    double t = 0.0;
    for (int l = 0; l < PS_NN_LANES; l++)
        t += dl[l];
    return t;
}

PS_NN_INLINE double run_sum(const float *a, size_t n)
{
    double dl[PS_NN_LANES] = {0}, tail = 0.0;
    size_t i = 0;
    for (; i + PS_NN_BLOCK <= n; i += PS_NN_BLOCK) {
        ps_v8f acc[2] = {{0}, {0}};
        for (size_t j = 0; j < PS_NN_BLOCK; j += PS_NN_LANES)
            for (int v = 0; v < 2; v++) {
                ps_v8f t;
                memcpy(&t, a + i + j + 8 * (size_t)v, sizeof t);
                acc[v] += t;
            }
        for (int l = 0; l < PS_NN_LANES; l++)
            dl[l] += acc[l / 8][l % 8];
    }
    for (; i < n; i++)
        tail += a[i];
    return lanes_total(dl) + tail;
}

/* run_sum of g after the backward pass of a fused ReLU, g = y > 0 ? g : 0, written back in
 * place, in the same pass (the same bits as masking first, then run_sum). */
PS_NN_INLINE double run_sum_masked(float *g, const float *y, size_t n)
{
    double dl[PS_NN_LANES] = {0}, tail = 0.0;
    size_t i = 0;
    for (; i + PS_NN_BLOCK <= n; i += PS_NN_BLOCK) {
        ps_v8f acc[2] = {{0}, {0}};
        for (size_t j = 0; j < PS_NN_BLOCK; j += PS_NN_LANES)
            for (int v = 0; v < 2; v++) {
                const ps_v8f zero = {0};
                ps_v8f t, yv;
                size_t o = i + j + 8 * (size_t)v;
                memcpy(&t, g + o, sizeof t);
                memcpy(&yv, y + o, sizeof yv);
                t = (ps_v8f)((ps_v8i)t & (yv > zero));
                memcpy(g + o, &t, sizeof t);
                acc[v] += t;
            }
        for (int l = 0; l < PS_NN_LANES; l++)
            dl[l] += acc[l / 8][l % 8];
    }
    for (; i < n; i++) {
        g[i] = y[i] > 0.0f ? g[i] : 0.0f;
        tail += g[i];
    }
    return lanes_total(dl) + tail;
}

/* ReLU in place over a run. */
PS_NN_INLINE void relu_run(float *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = a[i] > 0.0f ? a[i] : 0.0f;
}

/* The backward pass of a fused ReLU in place: g = y > 0 ? g : 0 (y is the ReLU's output);
 * the same values as relu_backward's. */
PS_NN_INLINE void relu_mask_run(float *g, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = g[i];
        g[i] = y[i] > 0.0f ? v : 0.0f;
    }
}

#endif
