/* pairsweep — the direct convolution kernels (forward pass, input and weight gradients) in
 * AVX-512F: 16 floats per vector, 32 vector registers. Forward (and input gradient): a whole
 * output row per block (up to 14 outputs) × 2 vectors of channels (≤ 28 accumulators), 7-wide
 * rows of 2 images at once; 3×3 planes as one block of 9 outputs × 1 vector for 3 images at
 * once (27 accumulators), so that each weight vector loaded serves the whole plane of 3
 * images (the whole plane: 2.2× faster than row by row on report 002's conv3; 3 images × 1
 * vector rather than 1 image × 2 vectors: the 5×5 conv3 layers' forward + gradients 1.3–1.5×
 * faster, their weights (up to 800 KiB) being read from L2 a third as often). Weight
 * gradient: the 3×3 window × 2 vectors (18 accumulators), a row of a 5×5 window × 4 vectors
 * (20). Broadcasts
 * are folded into the FMAs. Compiled for AVX-512 by target attributes only (the rest of the
 * binary runs on any x86-64); conv_direct.c calls it only on a CPU that has AVX-512F. */
#include "conv.h"
#include "simd.h"

#ifdef PS_NN_X86_GCC
#include <immintrin.h>

#define CD_TARGET __attribute__((target("avx512f,fma")))
#define CD_VW 16
typedef __m512 cd_vec;
#define CD_LOAD(p) _mm512_loadu_ps(p)
#define CD_SET1(f) _mm512_set1_ps(f)
#define CD_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define CD_RELU(a) _mm512_max_ps(a, _mm512_setzero_ps())
#define CD_STORE(p, a) _mm512_storeu_ps(p, a)
#define CD_ADD(a, b) _mm512_add_ps(a, b)
#define CD_SMAX(wo) 14
#define CD_NV(s) ((s) <= 4 ? 4 : 2)
#define CD_PLANE(wo) ((wo) <= 3)
#define CD_NV_PLANE 1
#define CD_PLANE_MI 3
#define CD_ROW_MI(wo) ((wo) == 7 ? 2 : 1)
#define CD_ROW_NV(wo) 2
#define CD_ROW_XS(k, wo) 0
#define CD_LAUNDER(wi) 1
#define CD_ROWS(k, wo) 1
#define CD_RCOLS(k, wo) 1
#define CD_RNV(k, wo) 1
#define CD_ENTRY ps__nn_conv_direct_avx512
#include "conv_direct_kernel.h"
#define CD_DW_JR(k) ((k) == 3 ? 3 : 1)
#define CD_DW_NV(k) ((k) == 3 ? 2 : 4)
#define CD_DW_ENTRY ps__nn_conv_dw_avx512
#include "conv_dw_kernel.h"
/* Winograd (conv_wino_kernel.h): 6 tiles × 4 vectors where og is a multiple of 64, else 12
 * tiles (or channels) × 2 or 1 (16 × 1 measured 7–25% slower on the 16-channel layers). */
#define CD_SUB(a, b) _mm512_sub_ps(a, b)
#define CD_MUL(a, b) _mm512_mul_ps(a, b)
/* r (16 rows of 16) transposed in registers (unpack, shuffle, then 128-bit lane shuffles). */
__attribute__((target("avx512f"))) static inline void cd_transpose_regs(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int h = 0; h < 16; h += 8)
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
            t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xdd);
        }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    }
}
#define CW_NV(og) ((og) % 64 == 0 ? 4 : (og) % 32 == 0 ? 2 : 1)
#define CW_S(nv) ((nv) == 4 ? 6 : 12)
#define CD_WINO_ENTRY ps__nn_conv_wino_avx512
#define CD_WINO_DW_ENTRY ps__nn_conv_wino_dw_avx512
#include "conv_wino_kernel.h"
#define CD_WINO5_ENTRY ps__nn_conv_wino5_avx512
#define CD_WINO5_DW_ENTRY ps__nn_conv_wino5_dw_avx512
#define CD_WINO5_U_ENTRY ps__nn_conv_wino5_u_avx512
#define C5_M 3
#include "conv_wino5_kernel.h"
#undef C5_M
#define C5_M 4
#include "conv_wino5_kernel.h"
#undef C5_M
#else
void ps__nn_conv_direct_avx512(const ps__nn_direct *a)
{
    (void)a;
}

void ps__nn_conv_dw_avx512(const ps__nn_direct_dw *a)
{
    (void)a;
}

void ps__nn_conv_wino_avx512(const ps__nn_direct *a, const float *u, float *work, int chunk)
{
    (void)a, (void)u, (void)work, (void)chunk;
}

void ps__nn_conv_wino_dw_avx512(const ps__nn_direct_dw *a)
{
    (void)a;
}

void ps__nn_conv_wino5_avx512(const ps__nn_direct *a, const float *u, float *work, int chunk,
                              int m)
{
    (void)a, (void)u, (void)work, (void)chunk, (void)m;
}

void ps__nn_conv_wino5_dw_avx512(const ps__nn_direct_dw *a, int m)
{
    (void)a, (void)m;
}

void ps__nn_conv_wino5_u_avx512(float *u, const float *wt, int g, int ci, int co, int m)
{
    (void)u, (void)wt, (void)g, (void)ci, (void)co, (void)m;
}
#endif
