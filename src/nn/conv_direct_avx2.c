/* pairsweep — the direct convolution kernels (forward pass, input and weight gradients) in
 * AVX2 + FMA: 8 floats per vector, 16 vector registers. Forward (and input gradient): blocks
 * of up to 6 outputs of a row × 2 vectors of channels (≤ 12 accumulators: rows of 14 outputs
 * as 5 + 5 + 4, measured faster than 7 + 7; rows of 10 as 5 + 5), 7-wide rows as one block of
 * 7 (14 accumulators, faster than 4 + 3), 3-wide rows as 3 outputs × 4 vectors; but 3×3
 * layers on square 7×7 and 3×3 planes in blocks of up to 3 rows × 4 columns × 1 vector
 * (cd_block_rows: each input value broadcast once for the 3 output rows it feeds; forward
 * 10–30% faster than rows of 7 × 2 vectors, which spill; 5×5 layers 15–30% slower so); 3-wide
 * rows of 5×5 layers for 3 images at once × 1 vector (9 accumulators: each weight vector
 * loaded serves 3 images; forward + gradients of report 002's 5×5 conv3 layers 5–10% faster
 * than 1 image × 4 vectors), input-stationary (CD_ROW_XS: the row's 5 weight vectors in
 * registers, each input value broadcast once into the 3 outputs it feeds: 9 + 5 + 1 registers,
 * where the tap-by-tap order kept 9 input values and spilled accumulators; forward 5–12%
 * faster, training of indep_A6_k5 2.5%; 7-wide rows so, 1 vector, measured 10% slower: 7
 * accumulators are too few to hide the FMA latency). Each tap
 * broadcasts its input values anew, but on 3-wide inputs, where the compiler may keep a row's
 * 3 values in registers across taps (elsewhere the values it keeps spill accumulators).
 * Weight gradient: the 3×3 window × 1 vector (9 accumulators; 3 taps × 4 vectors measured
 * slower), a row of a 5×5 window × 2 vectors (10). The same operations per output as the
 * AVX-512 kernels, so the same bits. Compiled for AVX2 by target attributes only;
 * conv_direct.c calls it only on a CPU that has AVX2 and FMA. */
#include "conv.h"
#include "simd.h"

#ifdef PS_NN_X86_GCC
#include <immintrin.h>

#define CD_TARGET __attribute__((target("avx2,fma")))
#define CD_VW 8
typedef __m256 cd_vec;
#define CD_LOAD(p) _mm256_loadu_ps(p)
#define CD_SET1(f) _mm256_set1_ps(f)
#define CD_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define CD_RELU(a) _mm256_max_ps(a, _mm256_setzero_ps())
#define CD_STORE(p, a) _mm256_storeu_ps(p, a)
#define CD_ADD(a, b) _mm256_add_ps(a, b)
#define CD_SMAX(wo) ((wo) == 7 ? 7 : 6)
#define CD_NV(s) ((s) <= 3 ? 4 : 2)
#define CD_PLANE(wo) 0
#define CD_NV_PLANE 1
#define CD_PLANE_MI 1
#define CD_ROW_MI(wo) ((wo) == 3 ? 3 : 1)
#define CD_ROW_NV(wo) 1
#define CD_ROW_XS(k, wo) ((k) == 5 && (wo) == 3)
#define CD_LAUNDER(wi) ((wi) > 3)
#define CD_ROWS(k, wo) ((k) == 3 && (wo) <= 7 ? 3 : 1)
#define CD_RCOLS(k, wo) 4
#define CD_RNV(k, wo) 1
#define CD_ENTRY ps__nn_conv_direct_avx2
#include "conv_direct_kernel.h"
#define CD_DW_JR(k) ((k) == 3 ? 3 : 1)
#define CD_DW_NV(k) ((k) == 3 ? 1 : 2)
#define CD_DW_ENTRY ps__nn_conv_dw_avx2
#include "conv_dw_kernel.h"
/* Winograd (conv_wino_kernel.h): 6 tiles (or channels) × 2 vectors, 12 accumulators. */
#define CD_SUB(a, b) _mm256_sub_ps(a, b)
#define CD_MUL(a, b) _mm256_mul_ps(a, b)
/* r (8 rows of 8) transposed in registers (unpack, shuffle, then 128-bit lane permutes). */
__attribute__((target("avx2"))) static inline void cd_transpose_regs(__m256 r[8])
{
    __m256 t[8], s[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        s[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
    }
}
#define CW_NV(og) 2
#define CW_S(nv) 6
#define CD_WINO_ENTRY ps__nn_conv_wino_avx2
#define CD_WINO_DW_ENTRY ps__nn_conv_wino_dw_avx2
#include "conv_wino_kernel.h"
#define CD_WINO5_ENTRY ps__nn_conv_wino5_avx2
#define CD_WINO5_DW_ENTRY ps__nn_conv_wino5_dw_avx2
#define CD_WINO5_U_ENTRY ps__nn_conv_wino5_u_avx2
#define C5_M 3
#include "conv_wino5_kernel.h"
#undef C5_M
#define C5_M 4
#include "conv_wino5_kernel.h"
#undef C5_M
#else
void ps__nn_conv_direct_avx2(const ps__nn_direct *a)
{
    (void)a;
}

void ps__nn_conv_dw_avx2(const ps__nn_direct_dw *a)
{
    (void)a;
}

void ps__nn_conv_wino_avx2(const ps__nn_direct *a, const float *u, float *work, int chunk)
{
    (void)a, (void)u, (void)work, (void)chunk;
}

void ps__nn_conv_wino_dw_avx2(const ps__nn_direct_dw *a)
{
    (void)a;
}

void ps__nn_conv_wino5_avx2(const ps__nn_direct *a, const float *u, float *work, int chunk,
                            int m)
{
    (void)a, (void)u, (void)work, (void)chunk, (void)m;
}

void ps__nn_conv_wino5_dw_avx2(const ps__nn_direct_dw *a, int m)
{
    (void)a, (void)m;
}

void ps__nn_conv_wino5_u_avx2(float *u, const float *wt, int g, int ci, int co, int m)
{
    (void)u, (void)wt, (void)g, (void)ci, (void)co, (void)m;
}
#endif
