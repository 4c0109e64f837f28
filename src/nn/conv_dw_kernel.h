/* pairsweep — the direct weight gradient's kernel, written once for a vector ISA like
 * conv_direct_kernel.h (whose macros it uses, and its own):
 *
 *   CD_DW_JR(k)      rows of taps of a block (CD_DW_JR·k ≤ CD_DW_MAXJ)
 *   CD_DW_NV(k)      vectors of output channels of a block (≤ CD_MAX_NV)
 *   CD_DW_ENTRY      the name of the entry point (conv.h)
 *
 * The method. dWᵀ[(c, ky, kx), o] = Σ over images and output positions p of
 * X[c, p + (ky, kx) − pad] · dY[o, p]. Per chunk of images, the input is copied into planes
 * with zero borders and dY made position-major, (positions, og); a block is J taps of one
 * input channel (CD_DW_JR rows of the window) × NV vectors of output channels, J·NV vector
 * accumulators. For each output position, the block's NV vectors of dY
 * are loaded once and the input value under each tap is broadcast into NV FMAs; the taps that
 * fall on padding are left out. Each sum runs
 * over the chunk's positions in order (images, rows, columns), then is added to dWᵀ: the same
 * operations per weight on every ISA, hence the same bits. The chunks (a->chunk images) are
 * small enough for dY's to stay in L1: it is reread for every block. */

#include <string.h>

#define CD_DW_MAXJ 9

/* One output row's terms of a block: for each of the row's WO positions, the NV vectors of
 * dY at dr are loaded once and the input value under each tap of rows R0 .. R1 − 1 of the
 * block (xr: the padded plane's row under the block's first tap row) broadcast into NV FMAs.
 * The taps whose input column is padding are left out at compile time: their terms are exact
 * zeros (x = 0), so the sums are the same but for the sign of a sum that is exactly zero. */
CD_TARGET CD_INLINE void cd_dw_row(cd_vec (*acc)[CD_MAX_NV], const float *xr, const float *dr,
                                   int og, const int K, const int PAD, const int WO,
                                   const int WP, const int R0, const int R1, const int NV)
{
    const int WI = WO + K - 1 - 2 * PAD;
#pragma GCC unroll 14
    for (int x = 0; x < WO; x++) {
        const float *xx = xr + x;
        __asm__ volatile("" : "+r"(xx));   /* as CD_LAUNDER */
        cd_vec dv[CD_MAX_NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            dv[v] = CD_LOAD(dr + (size_t)x * og + CD_VW * v);
#pragma GCC unroll 3
        for (int r = R0; r < R1; r++)
#pragma GCC unroll 5
            for (int kx = 0; kx < K; kx++) {
                if (x + kx - PAD < 0 || x + kx - PAD >= WI)
                    continue;
                cd_vec xv = CD_SET1(xx[r * WP + kx]);
#pragma GCC unroll 4
                for (int v = 0; v < NV; v++)
                    acc[r * K + kx][v] = CD_FMA(xv, dv[v], acc[r * K + kx][v]);
            }
    }
}

/* One block: taps (ky0 .. ky0 + JR − 1, 0 .. K − 1) of one input channel × NV·CD_VW output
 * channels, summed over mc images of ho rows (h input rows); xp: the channel's padded planes
 * (mc, HP, WP) at row ky0; dyt: (mc·ho·WO, og) at the block's first output channel; dwt:
 * (cg·K·K, og) at the same channel and at tap (ky0, 0); first: = rather than +=. Per output
 * row, the tap rows whose input row is padding are left out (their terms are zeros, as the
 * columns in cd_dw_row): rows lo .. hi − 1 of the block remain, one of a few compiled cases. */
CD_TARGET CD_INLINE void cd_dw_block(float *dwt, const float *xp, const float *dyt, int og,
                                     int mc, int ho, int h, int ky0, int first, const int K,
                                     const int PAD, const int WO, const int WP, const int HP,
                                     const int JR, const int NV)
{
    cd_vec acc[CD_DW_MAXJ][CD_MAX_NV];
#pragma GCC unroll 9
    for (int j = 0; j < JR * K; j++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            acc[j][v] = CD_SET1(0.0f);
    for (int mm = 0; mm < mc; mm++)
        for (int y = 0; y < ho; y++) {
            const float *xr = xp + ((size_t)mm * HP + y) * WP;
            const float *dr = dyt + ((size_t)mm * ho + y) * WO * og;
            int lo = PAD - ky0 - y, hi = h + PAD - ky0 - y;   /* input row iy = y + ky0 + r − PAD */
            lo = lo < 0 ? 0 : lo;
            hi = hi > JR ? JR : hi;
            if (lo == 0 && hi == JR)
                cd_dw_row(acc, xr, dr, og, K, PAD, WO, WP, 0, JR, NV);
            else if (JR == 3 && lo == 1 && hi == 3)
                cd_dw_row(acc, xr, dr, og, K, PAD, WO, WP, 1, 3, NV);
            else if (JR == 3 && lo == 0 && hi == 2)
                cd_dw_row(acc, xr, dr, og, K, PAD, WO, WP, 0, 2, NV);
            else if (JR == 3 && lo == 2 && hi == 3)
                cd_dw_row(acc, xr, dr, og, K, PAD, WO, WP, 2, 3, NV);
            else if (JR == 3 && lo == 0 && hi == 1)
                cd_dw_row(acc, xr, dr, og, K, PAD, WO, WP, 0, 1, NV);
            else if (JR == 3 && lo == 1 && hi == 2)
                cd_dw_row(acc, xr, dr, og, K, PAD, WO, WP, 1, 2, NV);
        }
#pragma GCC unroll 9
    for (int j = 0; j < JR * K; j++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) {
            float *p = dwt + (size_t)j * og + CD_VW * v;
            CD_STORE(p, first ? acc[j][v] : CD_ADD(CD_LOAD(p), acc[j][v]));
        }
}

/* One chunk of images m0 .. m0 + mc − 1 of group gi: the padded planes and dY position-major
 * into the workspace, then every block. */
CD_TARGET CD_INLINE void cd_dw_chunk(const ps__nn_direct_dw *a, int gi, int m0, int mc,
                                     const int K, const int PAD, const int WO)
{
    const int WI = WO + K - 1 - 2 * PAD, WP = WO + K - 1;
    int h = a->h, hp = h + 2 * PAD, og = a->og, hw = a->ho * WO;
    size_t plane = (size_t)mc * hp * WP;                     /* one channel of xp */
    float *xp = a->work, *dyt = a->work + (size_t)a->cg * plane;
    memset(xp, 0, (size_t)a->cg * plane * sizeof(float));
    for (int c = 0; c < a->cg; c++)
        for (int mm = 0; mm < mc; mm++)
            for (int iy = 0; iy < h; iy++)
                memcpy(xp + (size_t)c * plane + ((size_t)mm * hp + iy + PAD) * WP + PAD,
                       a->x + ((((size_t)gi * a->cg + c) * a->m + m0 + mm) * h + iy) * WI,
                       (size_t)WI * sizeof(float));
    for (int o = 0; o < og; o++) {
        const float *d = a->dy + (((size_t)gi * og + o) * a->m + m0) * hw;
        for (int p = 0; p < mc * hw; p++)
            dyt[(size_t)p * og + o] = d[p];
    }
    float *dwt = a->dwt + (size_t)gi * a->cg * K * K * og;
    const int JR = CD_DW_JR(K), NV = CD_DW_NV(K);
    for (int c = 0; c < a->cg; c++)
        for (int ky = 0; ky < K; ky += JR) {
            float *dw = dwt + ((size_t)c * K + ky) * K * og;
            const float *xc = xp + (size_t)c * plane + (size_t)ky * WP;
            int o0 = 0;
            for (; og - o0 >= NV * CD_VW; o0 += NV * CD_VW)
                cd_dw_block(dw + o0, xc, dyt + o0, og, mc, a->ho, h, ky, m0 == 0, K, PAD, WO,
                            WP, hp, JR, NV);
            for (; o0 < og; o0 += CD_VW)
                cd_dw_block(dw + o0, xc, dyt + o0, og, mc, a->ho, h, ky, m0 == 0, K, PAD, WO,
                            WP, hp, JR, 1);
        }
}

/* The weight gradient of one layer of shape (K, PAD, WO), every group, chunk by chunk. */
CD_TARGET CD_INLINE void cd_dw_layer(const ps__nn_direct_dw *a, const int K, const int PAD,
                                     const int WO)
{
    int chunk = a->chunk;
    for (int gi = 0; gi < a->g; gi++)
        for (int m0 = 0; m0 < a->m; m0 += chunk)
            cd_dw_chunk(a, gi, m0, a->m - m0 < chunk ? a->m - m0 : chunk, K, PAD, WO);
}

#define CD_DW_SHAPE_FN(K, P, W)                                                              \
    CD_TARGET static void cd_dw_layer_##K##_##P##_##W(const ps__nn_direct_dw *a)            \
    {                                                                                        \
        cd_dw_layer(a, K, P, W);                                                             \
    }
PS_NN_DIRECT_SHAPES(CD_DW_SHAPE_FN)
#undef CD_DW_SHAPE_FN

void CD_DW_ENTRY(const ps__nn_direct_dw *a)
{
#define CD_DW_SHAPE_CASE(K, P, W)                                                            \
    if (a->k == (K) && a->pad == (P) && a->wo == (W)) {                                      \
        cd_dw_layer_##K##_##P##_##W(a);                                                      \
        return;                                                                              \
    }
    PS_NN_DIRECT_SHAPES(CD_DW_SHAPE_CASE)
#undef CD_DW_SHAPE_CASE
}
