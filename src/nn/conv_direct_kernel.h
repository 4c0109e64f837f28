/* pairsweep — the direct forward convolution's kernel, written once for a vector ISA: each
 * ISA's file defines the macros below and includes this file once. Not a public header.
 *
 *   CD_TARGET        the target attribute of every function here
 *   CD_VW            floats per vector
 *   cd_vec           the vector type; CD_LOAD(p), CD_SET1(f), CD_FMA(a, b, c) = a·b + c with
 *                    one rounding, CD_RELU(a) = max(a, 0), CD_STORE(p, a) (unaligned)
 *   CD_SMAX(wo)      most columns of a block (a row of wo is cut into ≤ 3 blocks)
 *   CD_NV(s)         vectors of output channels per block of s columns (≤ CD_MAX_NV)
 *   CD_LAUNDER(wi)   1: each tap broadcasts its input values anew (rows of wi floats); 0:
 *                    the compiler may keep a row's values in registers across taps
 *   CD_PLANE(wo)     1: a square plane of wo × wo outputs makes one block (≤ CD_MAX_P)
 *   CD_NV_PLANE      vectors of output channels of such a block
 *   CD_PLANE_MI      images of such a block (≤ CD_MAX_MI): each weight vector loaded serves
 *                    CD_PLANE_MI planes (cd_block_images)
 *   CD_ROW_MI(wo)    images of a block of a row of wo outputs that is one block (≤ CD_MAX_MI;
 *                    cd_block_row_images), with CD_ROW_NV(wo) vectors of channels
 *   CD_ROW_XS(k, wo) 1: such a block input-stationary (each input value broadcast once into
 *                    every output it feeds, the row's k·CD_ROW_NV weight vectors in registers)
 *   CD_ROWS(k, wo)   > 1: a square plane of wo × wo outputs (not CD_PLANE) in blocks of up
 *                    to CD_ROWS rows (≤ CD_MAX_R) × CD_RCOLS(k, wo) columns × CD_RNV(k, wo)
 *                    vectors (cd_block_rows); 1: row by row
 *   CD_ENTRY         the name of the entry point (conv.h)
 *
 * The method. A block is S consecutive outputs of one output row (or, for the smallest
 * planes, every output of the plane) for NV·CD_VW output channels: S·NV vector accumulators
 * that stay in registers (the ISA's file chooses S and NV). For each input channel c and tap
 * (ky, kx), the block's NV vectors of weights (wt: (cg·k·k, og), transposed) are loaded once
 * and each input value is broadcast into NV FMAs. The sums start from the bias, run over c,
 * ky, kx in that order (the same operations per output on every ISA, hence the same bits),
 * take the fused ReLU, and are transposed into the channel-major output (og, m, ho, wo). The
 * zero padding is never read: the rows of taps outside the input are skipped (ky's range, at
 * run time; at compile time in a block of the whole plane), and so are the columns (k, pad
 * and the block's columns are constants, so the compiler leaves those FMAs out): a 5×5
 * "same" layer on 3×3 planes does 100 of the 225 multiply-adds per channel that im2col +
 * GEMM does. The skipped terms are exact zeros: the sums are the same bits as with them (but
 * for the sign of a sum that is exactly zero). */
#include <stddef.h>

#define CD_MAX_P 14 /* positions (accumulators per vector of channels) of a block */
#define CD_MAX_NV 4
#define CD_MAX_R 3 /* rows of a block of cd_block_rows */
#define CD_MAX_MI 3 /* images of a block of cd_block_images */
#define CD_MAX_K 5  /* taps of a row (CD_ROW_XS) */
#define CD_INLINE static inline __attribute__((always_inline))

/* The terms of one tap of one input channel: NV weight vectors at w; the input value of each
 * of the block's positions (r, s) broadcast into NV FMAs. Position (r, s) reads row r + DY of
 * xr (rows of WI floats), column X0 + s + KX − PAD, and has no term where that is padding:
 * columns outside 0 .. WI − 1 and, when H > 0, rows outside 0 .. H − 1 (all constants). */
CD_TARGET CD_INLINE void cd_tap_fma(cd_vec (*a)[CD_MAX_NV], const float *xr,
                                    const cd_vec *wv, const int R, const int S, const int NV,
                                    const int X0, const int KX, const int PAD, const int WI,
                                    const int DY, const int H)
{
    /* an opaque copy of the pointer per tap (CD_LAUNDER): else the compiler merges the
     * broadcasts of the same input value across taps and keeps them all in registers */
    if (CD_LAUNDER(WI))
        __asm__ volatile("" : "+r"(xr));
#pragma GCC unroll 3
    for (int r = 0; r < R; r++) {
        if (H > 0 && (r + DY < 0 || r + DY >= H))
            continue;
#pragma GCC unroll 14
        for (int s = 0; s < S; s++) {
            const int col = X0 + s + KX - PAD;
            if (col < 0 || col >= WI)
                continue;
            cd_vec xv = CD_SET1(xr[(r + DY) * WI + col]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                a[r * S + s][v] = CD_FMA(xv, wv[v], a[r * S + s][v]);
        }
    }
}

/* The same with the block's NV weight vectors loaded from w. */
CD_TARGET CD_INLINE void cd_tap(cd_vec (*a)[CD_MAX_NV], const float *xr, const float *w,
                                const int R, const int S, const int NV, const int X0,
                                const int KX, const int PAD, const int WI, const int DY,
                                const int H)
{
    cd_vec wv[CD_MAX_NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++)
        wv[v] = CD_LOAD(w + CD_VW * v);
    cd_tap_fma(a, xr, wv, R, S, NV, X0, KX, PAD, WI, DY, H);
}

/* The sums of a block of P positions × NV vectors start from the bias (b, or NULL: 0). */
CD_TARGET CD_INLINE void cd_start(cd_vec (*a)[CD_MAX_NV], const float *b, const int P,
                                  const int NV)
{
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
        cd_vec bv = b ? CD_LOAD(b + CD_VW * v) : CD_SET1(0.0f);
#pragma GCC unroll 14
        for (int p = 0; p < P; p++)
            a[p][v] = bv;
    }
}

/* The sums of a block of R×S positions (r, s) × NV vectors, ReLU'd when d->relu, transposed
 * into the channel-major y (channel stride l, rows of WO, at the block's first output):
 * stored, or added when d->acc. */
CD_TARGET CD_INLINE void cd_finish(const ps__nn_direct *d, float *y, size_t l,
                                   cd_vec (*a)[CD_MAX_NV], const int WO, const int S,
                                   const int R, const int NV)
{
    float buf[CD_MAX_P][CD_MAX_NV * CD_VW];
#pragma GCC unroll 14
    for (int p = 0; p < R * S; p++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            CD_STORE(buf[p] + CD_VW * v, d->relu ? CD_RELU(a[p][v]) : a[p][v]);
    for (int o = 0; o < NV * CD_VW; o++)
#pragma GCC unroll 3
        for (int r = 0; r < R; r++)
#pragma GCC unroll 14
            for (int s = 0; s < S; s++) {
                float *yo = y + (size_t)o * l + (size_t)r * WO + s;
                *yo = d->acc ? *yo + buf[r * S + s][o] : buf[r * S + s][o];
            }
}

/* One block of layer d: NV·CD_VW output channels of one image at columns X0 .. X0+S−1 of row
 * oy. x: the image's group, channel stride cs, rows of WI floats; wt, b (or NULL), y: at the
 * block's first output channel; y's channel stride l, row stride WO. */
CD_TARGET CD_INLINE void cd_block(const ps__nn_direct *d, float *y, size_t l, const float *x,
                                  size_t cs, int oy, const float *wt, const float *b,
                                  const int K, const int PAD, const int WI, const int WO,
                                  const int X0, const int S, const int NV)
{
    cd_vec a[CD_MAX_P][CD_MAX_NV];
    int h = d->h, cg = d->cg, og = d->og;
    int ky0 = PAD - oy > 0 ? PAD - oy : 0, ky1 = h + PAD - oy < K ? h + PAD - oy : K;
    cd_start(a, b, S, NV);
    for (int c = 0; c < cg; c++)   /* ky0 .. ky1: the rows of taps inside the input */
        for (int ky = ky0; ky < ky1; ky++) {
            const float *xr = x + (size_t)c * cs + (size_t)(oy + ky - PAD) * WI;
            const float *wr = wt + (size_t)((c * K + ky) * K) * og;
#pragma GCC unroll 5
            for (int kx = 0; kx < K; kx++)
                cd_tap(a, xr, wr + (size_t)kx * og, 1, S, NV, X0, kx, PAD, WI, 0, 0);
        }
    cd_finish(d, y, l, a, WO, S, 1, NV);
}

/* cd_block's R = 1 block (columns X0 .. X0+S−1 of row oy × NV vectors) for MI images at once
 * (x and y of image i at i·hw and i·ohw): each weight vector loaded serves MI images. The same
 * terms in the same order per output as cd_block: the same bits. */
CD_TARGET CD_INLINE void cd_block_row_images(const ps__nn_direct *d, float *y, size_t l,
                                             size_t ohw, const float *x, size_t cs, size_t hw,
                                             int oy, const float *wt, const float *b,
                                             const int K, const int PAD, const int WI,
                                             const int WO, const int X0, const int S,
                                             const int NV, const int MI)
{
    cd_vec a[CD_MAX_MI][CD_MAX_P][CD_MAX_NV];
    int h = d->h, cg = d->cg, og = d->og;
    int ky0 = PAD - oy > 0 ? PAD - oy : 0, ky1 = h + PAD - oy < K ? h + PAD - oy : K;
#pragma GCC unroll 3
    for (int i = 0; i < MI; i++)
        cd_start(a[i], b, S, NV);
    for (int c = 0; c < cg; c++)
        for (int ky = ky0; ky < ky1; ky++) {
            const float *xr = x + (size_t)c * cs + (size_t)(oy + ky - PAD) * WI;
            const float *wr = wt + (size_t)((c * K + ky) * K) * og;
            if (CD_ROW_XS(K, WO)) {
                /* input-stationary: the row's K·NV weight vectors stay in registers and each
                 * input value is broadcast once, into the outputs it feeds (output s takes
                 * column j through tap kx = j − X0 − s + PAD: j ascending is kx ascending,
                 * the same order per output) */
                cd_vec wk[CD_MAX_K][CD_MAX_NV];
#pragma GCC unroll 5
                for (int kx = 0; kx < K; kx++)
#pragma GCC unroll 4
                    for (int v = 0; v < NV; v++)
                        wk[kx][v] = CD_LOAD(wr + (size_t)kx * og + CD_VW * v);
#pragma GCC unroll 3
                for (int i = 0; i < MI; i++)
#pragma GCC unroll 7
                    for (int j = 0; j < WI; j++) {
                        if (j < X0 - PAD || j > X0 + S - 1 + K - 1 - PAD)
                            continue;
                        cd_vec xv = CD_SET1(xr[(size_t)i * hw + j]);
#pragma GCC unroll 14
                        for (int s = 0; s < S; s++) {
                            const int kx = j - X0 - s + PAD;
                            if (kx < 0 || kx >= K)
                                continue;
#pragma GCC unroll 4
                            for (int v = 0; v < NV; v++)
                                a[i][s][v] = CD_FMA(xv, wk[kx][v], a[i][s][v]);
                        }
                    }
                continue;
            }
#pragma GCC unroll 5
            for (int kx = 0; kx < K; kx++) {
                cd_vec wv[CD_MAX_NV];
#pragma GCC unroll 4
                for (int v = 0; v < NV; v++)
                    wv[v] = CD_LOAD(wr + (size_t)kx * og + CD_VW * v);
#pragma GCC unroll 3
                for (int i = 0; i < MI; i++)
                    cd_tap_fma(a[i], xr + (size_t)i * hw, wv, 1, S, NV, X0, kx, PAD, WI, 0, 0);
            }
        }
#pragma GCC unroll 3
    for (int i = 0; i < MI; i++)
        cd_finish(d, y + (size_t)i * ohw, l, a[i], WO, S, 1, NV);
}

/* A block of the whole plane (R = S = WO rows and columns) × NV vectors for MI images at
 * once (x and y of image i at i·hw and i·ohw): each weight vector loaded serves the FMAs of MI
 * images, so that the layer's weights (up to 800 KiB a group, from L2) are read 1/MI as often.
 * Per output the terms come in the order c, ky, kx, as in cd_block: the same bits. */
CD_TARGET CD_INLINE void cd_block_images(const ps__nn_direct *d, float *y, size_t l,
                                         size_t ohw, const float *x, size_t cs, size_t hw,
                                         const float *wt, const float *b, const int K,
                                         const int PAD, const int WI, const int WO,
                                         const int NV, const int MI)
{
    cd_vec a[CD_MAX_MI][CD_MAX_P][CD_MAX_NV];
    const int R = WO, H = R + K - 1 - 2 * PAD;
    int cg = d->cg, og = d->og;
#pragma GCC unroll 3
    for (int i = 0; i < MI; i++)
        cd_start(a[i], b, R * WO, NV);
    for (int c = 0; c < cg; c++)
#pragma GCC unroll 5
        for (int ky = 0; ky < K; ky++)
#pragma GCC unroll 5
            for (int kx = 0; kx < K; kx++) {
                const float *w = wt + (size_t)((c * K + ky) * K + kx) * og;
                cd_vec wv[CD_MAX_NV];
#pragma GCC unroll 4
                for (int v = 0; v < NV; v++)
                    wv[v] = CD_LOAD(w + CD_VW * v);
#pragma GCC unroll 3
                for (int i = 0; i < MI; i++)
                    cd_tap_fma(a[i], x + (size_t)c * cs + (size_t)i * hw, wv, R, WO, NV, 0, kx,
                               PAD, WI, ky - PAD, H);
            }
#pragma GCC unroll 3
    for (int i = 0; i < MI; i++)
        cd_finish(d, y + (size_t)i * ohw, l, a[i], WO, WO, R, NV);
}

/* A block of R output rows oy .. oy + R − 1 (R > 1, every row inside the plane) × S columns
 * from X0 × NV vectors, walking the input rows once: each input value is broadcast once into
 * the FMAs of every output row it feeds (output row r takes input row i through tap row
 * ky = i − r), with R·NV weight vectors per input row and column tap. Per output the terms
 * still come in the order c, ky, kx (i ascending is ky ascending), so the sums are the same
 * bits as cd_block's. Input rows outside the plane (padding) are skipped at run time. */
CD_TARGET CD_INLINE void cd_block_rows(const ps__nn_direct *d, float *y, size_t l,
                                       const float *x, size_t cs, int oy, const float *wt,
                                       const float *b, const int K, const int PAD,
                                       const int WI, const int WO, const int X0, const int S,
                                       const int R, const int NV)
{
    cd_vec a[CD_MAX_P][CD_MAX_NV];
    int h = d->h, cg = d->cg, og = d->og;
    cd_start(a, b, R * S, NV);
    for (int c = 0; c < cg; c++) {
        const float *wc = wt + (size_t)c * K * K * og;
#pragma GCC unroll 7
        for (int i = 0; i < R + K - 1; i++) {
            int iy = oy + i - PAD;
            if (iy < 0 || iy >= h)
                continue;
            const float *xr = x + (size_t)c * cs + (size_t)iy * WI;
#pragma GCC unroll 5
            for (int kx = 0; kx < K; kx++) {
                if (CD_LAUNDER(WI))
                    __asm__ volatile("" : "+r"(xr));
                cd_vec wv[CD_MAX_R][CD_MAX_NV];
#pragma GCC unroll 3
                for (int r = 0; r < R; r++)
#pragma GCC unroll 4
                    for (int v = 0; v < NV; v++)
                        if (i - r >= 0 && i - r < K)
                            wv[r][v] = CD_LOAD(wc + (size_t)((i - r) * K + kx) * og + CD_VW * v);
#pragma GCC unroll 14
                for (int s = 0; s < S; s++) {
                    const int col = X0 + s + kx - PAD;
                    if (col < 0 || col >= WI)
                        continue;
                    cd_vec xv = CD_SET1(xr[col]);
#pragma GCC unroll 3
                    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
                        for (int v = 0; v < NV; v++)
                            if (i - r >= 0 && i - r < K)
                                a[r * S + s][v] = CD_FMA(xv, wv[r][v], a[r * S + s][v]);
                }
            }
        }
    }
    cd_finish(d, y, l, a, WO, S, R, NV);
}

/* N outputs in CD_SPLIT_N(N, M) ≤ 3 blocks of at most M (as equal as can be): block j starts at
 * CD_SPLIT_X and has CD_SPLIT_S outputs (constants for constant N, M). Column blocks of a row
 * of WO outputs: at most CD_SMAX(WO) columns. */
#define CD_SPLIT_N(N, M) (((N) + (M) - 1) / (M))
#define CD_SPLIT_S(N, M, j) ((N) / CD_SPLIT_N(N, M) + ((j) < (N) % CD_SPLIT_N(N, M)))
#define CD_SPLIT_X(N, M, j)                                                                    \
    ((j) * ((N) / CD_SPLIT_N(N, M)) +                                                          \
     ((j) < (N) % CD_SPLIT_N(N, M) ? (j) : (N) % CD_SPLIT_N(N, M)))
#define CD_NB(WO) CD_SPLIT_N(WO, CD_SMAX(WO))
/* A row of WO outputs as one block for several images, or input-stationary
 * (cd_block_row_images) */
#define CD_ROW_BLOCK(K, WO) ((CD_ROW_MI(WO) > 1 || CD_ROW_XS(K, WO)) && CD_NB(WO) == 1)
#define CD_BS(WO, j) CD_SPLIT_S(WO, CD_SMAX(WO), j)
#define CD_BX(WO, j) CD_SPLIT_X(WO, CD_SMAX(WO), j)

/* The blocks of cd_block_rows over rows OY .. OY + R − 1 of an image: its columns in blocks
 * of at most CD_RCOLS(K, WO). */
CD_TARGET CD_INLINE void cd_rows(const ps__nn_direct *a, float *y, size_t l, const float *x,
                                 size_t cs, const float *wt, const float *b, const int K,
                                 const int PAD, const int WI, const int WO, const int OY,
                                 const int R, const int NV)
{
    const int M = CD_RCOLS(K, WO);
    float *yr = y + (size_t)OY * WO;
    cd_block_rows(a, yr + CD_SPLIT_X(WO, M, 0), l, x, cs, OY, wt, b, K, PAD, WI, WO,
                  CD_SPLIT_X(WO, M, 0), CD_SPLIT_S(WO, M, 0), R, NV);
    if (CD_SPLIT_N(WO, M) > 1)
        cd_block_rows(a, yr + CD_SPLIT_X(WO, M, 1), l, x, cs, OY, wt, b, K, PAD, WI, WO,
                      CD_SPLIT_X(WO, M, 1), CD_SPLIT_S(WO, M, 1), R, NV);
    if (CD_SPLIT_N(WO, M) > 2)
        cd_block_rows(a, yr + CD_SPLIT_X(WO, M, 2), l, x, cs, OY, wt, b, K, PAD, WI, WO,
                      CD_SPLIT_X(WO, M, 2), CD_SPLIT_S(WO, M, 2), R, NV);
}

/* One image of a square plane of WO × WO outputs in blocks of at most CD_ROWS(K, WO) rows. */
CD_TARGET CD_INLINE void cd_image_rows(const ps__nn_direct *a, float *y, size_t l,
                                       const float *x, size_t cs, const float *wt,
                                       const float *b, const int K, const int PAD,
                                       const int WI, const int WO, const int NV)
{
    const int M = CD_ROWS(K, WO);
    cd_rows(a, y, l, x, cs, wt, b, K, PAD, WI, WO, CD_SPLIT_X(WO, M, 0), CD_SPLIT_S(WO, M, 0),
            NV);
    if (CD_SPLIT_N(WO, M) > 1)
        cd_rows(a, y, l, x, cs, wt, b, K, PAD, WI, WO, CD_SPLIT_X(WO, M, 1),
                CD_SPLIT_S(WO, M, 1), NV);
    if (CD_SPLIT_N(WO, M) > 2)
        cd_rows(a, y, l, x, cs, wt, b, K, PAD, WI, WO, CD_SPLIT_X(WO, M, 2),
                CD_SPLIT_S(WO, M, 2), NV);
}

/* Output channels o0 .. o0 + NV·CD_VW − 1 of group gi, images m0 .. m1 − 1: per image, one
 * block of the whole plane (R > 1), blocks of rows (R = 0: cd_image_rows), or one block per
 * row and column block (R = 1). */
CD_TARGET CD_INLINE void cd_channels(const ps__nn_direct *a, int gi, int o0, int m0, int m1,
                                     const int K, const int PAD, const int WO, const int R,
                                     const int NV)
{
    const int WI = WO + K - 1 - 2 * PAD;
    size_t hw = (size_t)a->h * WI, ohw = (size_t)a->ho * WO, l = (size_t)a->m * ohw;
    size_t cs = (size_t)a->m * hw;                          /* x's channel stride */
    const float *wt = a->wt + (size_t)gi * a->cg * K * K * a->og + o0;
    const float *b = a->b ? a->b + (size_t)gi * a->og + o0 : NULL;
    if (R > 1) {   /* whole planes, CD_PLANE_MI images at a time */
        int mm = m0;
        for (; mm + CD_PLANE_MI <= m1; mm += CD_PLANE_MI)
            cd_block_images(a, a->y + ((size_t)gi * a->og + o0) * l + mm * ohw, l, ohw,
                            a->x + ((size_t)gi * a->cg * a->m + mm) * hw, cs, hw, wt, b, K,
                            PAD, WI, WO, NV, CD_PLANE_MI);
        for (; mm < m1; mm++)
            cd_block_images(a, a->y + ((size_t)gi * a->og + o0) * l + mm * ohw, l, ohw,
                            a->x + ((size_t)gi * a->cg * a->m + mm) * hw, cs, hw, wt, b, K,
                            PAD, WI, WO, NV, 1);
        return;
    }
    if (R == 1 && CD_ROW_BLOCK(K, WO)) {
        /* rows, CD_ROW_MI images at a time */
        int mm = m0;
        for (; mm + CD_ROW_MI(WO) <= m1; mm += CD_ROW_MI(WO))
            for (int oy = 0; oy < a->ho; oy++)
                cd_block_row_images(a, a->y + ((size_t)gi * a->og + o0) * l + mm * ohw +
                                    (size_t)oy * WO, l, ohw,
                                    a->x + ((size_t)gi * a->cg * a->m + mm) * hw, cs, hw, oy,
                                    wt, b, K, PAD, WI, WO, 0, WO, NV, CD_ROW_MI(WO));
        for (; mm < m1; mm++)
            for (int oy = 0; oy < a->ho; oy++)
                cd_block_row_images(a, a->y + ((size_t)gi * a->og + o0) * l + mm * ohw +
                                    (size_t)oy * WO, l, ohw,
                                    a->x + ((size_t)gi * a->cg * a->m + mm) * hw, cs, hw, oy,
                                    wt, b, K, PAD, WI, WO, 0, WO, NV, 1);
        return;
    }
    for (int mm = m0; mm < m1; mm++) {
        const float *x = a->x + ((size_t)gi * a->cg * a->m + mm) * hw;
        float *y = a->y + ((size_t)gi * a->og + o0) * l + mm * ohw;
        if (R == 0) {
            cd_image_rows(a, y, l, x, cs, wt, b, K, PAD, WI, WO, NV);
            continue;
        }
        for (int oy = 0; oy < a->ho; oy++) {
            float *yr = y + (size_t)oy * WO;
            cd_block(a, yr + CD_BX(WO, 0), l, x, cs, oy, wt, b, K, PAD, WI, WO, CD_BX(WO, 0),
                     CD_BS(WO, 0), NV);
            if (CD_NB(WO) > 1)
                cd_block(a, yr + CD_BX(WO, 1), l, x, cs, oy, wt, b, K, PAD, WI, WO,
                         CD_BX(WO, 1), CD_BS(WO, 1), NV);
            if (CD_NB(WO) > 2)
                cd_block(a, yr + CD_BX(WO, 2), l, x, cs, oy, wt, b, K, PAD, WI, WO,
                         CD_BX(WO, 2), CD_BS(WO, 2), NV);
        }
    }
}

/* Input bytes of a tile of images: the images of a tile are computed for one block of
 * output channels after another, so their input stays in cache while the weights of a
 * block of channels are used by all of them (report 002's conv3 has up to 800 KiB of
 * weights per group: read once per tile rather than once per image). */
#define CD_TILE_BYTES (64 * 1024)

/* The layer in blocks of R rows (see cd_block) and NV vectors of channels: per group and tile
 * of images, the output channels in blocks of NV vectors, then of 2 and 1 for the rest (og
 * is a multiple of 16). */
CD_TARGET CD_INLINE void cd_layer_blocks(const ps__nn_direct *a, const int K, const int PAD,
                                         const int WO, const int R, const int NV)
{
    size_t per = (size_t)a->cg * a->h * a->w * sizeof(float);
    int tile = per >= CD_TILE_BYTES ? 1 : (int)(CD_TILE_BYTES / per);
    for (int gi = 0; gi < a->g; gi++)
        for (int m0 = 0; m0 < a->m; m0 += tile) {
            int m1 = a->m - m0 < tile ? a->m : m0 + tile, o0 = 0;
            for (; a->og - o0 >= NV * CD_VW; o0 += NV * CD_VW)
                cd_channels(a, gi, o0, m0, m1, K, PAD, WO, R, NV);
            for (; a->og - o0 >= 2 * CD_VW; o0 += 2 * CD_VW)
                cd_channels(a, gi, o0, m0, m1, K, PAD, WO, R, 2);
            for (; o0 < a->og; o0 += CD_VW)
                cd_channels(a, gi, o0, m0, m1, K, PAD, WO, R, 1);
        }
}

/* One layer of shape (K, PAD, WO): square planes of CD_PLANE(WO) ≠ 0 in blocks of the whole
 * plane, the others row by row. */
CD_TARGET CD_INLINE void cd_layer(const ps__nn_direct *a, const int K, const int PAD,
                                  const int WO)
{
    if (CD_PLANE(WO) && a->ho == WO)
        cd_layer_blocks(a, K, PAD, WO, WO, CD_NV_PLANE);
    else if (CD_ROWS(K, WO) > 1 && a->ho == WO)
        cd_layer_blocks(a, K, PAD, WO, 0, CD_RNV(K, WO));
    else if (CD_ROW_BLOCK(K, WO))
        cd_layer_blocks(a, K, PAD, WO, 1, CD_ROW_NV(WO));
    else
        cd_layer_blocks(a, K, PAD, WO, 1, CD_NV(CD_BS(WO, 0)));
}

/* One function per shape, then the entry point that picks it. */
#define CD_SHAPE_FN(K, P, W)                                                                 \
    CD_TARGET static void cd_layer_##K##_##P##_##W(const ps__nn_direct *a)                  \
    {                                                                                        \
        cd_layer(a, K, P, W);                                                                \
    }
PS_NN_DIRECT_SHAPES(CD_SHAPE_FN)
#undef CD_SHAPE_FN

void CD_ENTRY(const ps__nn_direct *a)
{
#define CD_SHAPE_CASE(K, P, W)                                                               \
    if (a->k == (K) && a->pad == (P) && a->wo == (W)) {                                      \
        cd_layer_##K##_##P##_##W(a);                                                         \
        return;                                                                              \
    }
    PS_NN_DIRECT_SHAPES(CD_SHAPE_CASE)
#undef CD_SHAPE_CASE
}
