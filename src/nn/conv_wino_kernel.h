/* pairsweep — the 3×3 convolution by Winograd's F(2×2, 3×3) and its weight gradient by
 * F(3×3, 2×2), written once for a vector ISA like conv_direct_kernel.h, whose macros it uses,
 * with these of the ISA's file:
 *
 *   CD_SUB(a, b), CD_MUL(a, b)   a − b, a·b
 *   cd_transpose_regs(r)         r[CD_VW] (CD_VW rows of a vector) transposed in registers
 *   CW_NV(og)                    vectors of output channels of a register block (1, 2 or 4)
 *   CW_S(nv)                     tiles (forward) or input channels (weight gradient) of a
 *                                block of nv vectors (≤ PS_NN_WINO_MAX_S)
 *   CD_WINO_ENTRY, CD_WINO_DW_ENTRY   the names of the entry points (conv.h)
 *
 * Not a public header.
 *
 * The method (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
 * Each 2 × 2 tile of outputs of a plane is computed from the 4 × 4 input values under it:
 * Y = Aᵀ [Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B)] A, 16 multiply-adds per input channel for 4 outputs
 * where the direct convolution does 36. The weights' transforms U = G g Gᵀ (16 per pair of
 * channels, conv_direct.c) come in as u: (g, 16, cg, og). Per chunk of images the input is
 * copied channel-last with zero borders (xt: (mc, HP, WP, cg), by in-register transposes);
 * then per block of S tiles: each tile's 16 transformed values V = Bᵀ d B, vectors of
 * channels (v: (16, S, cg)); for each of the 16 positions ξ, M[ξ] (S, og) = V[ξ] (S, cg) ·
 * U[ξ] (cg, og), S tiles × NV vectors of output channels in registers, each V value
 * broadcast into NV FMAs; each tile's outputs Aᵀ M A (+ bias, ReLU) into yt: (mc, ho, wo,
 * og), transposed into y at the end of the chunk. The block's V and M stay in L1. The
 * transforms only add and subtract (and halve, exactly, for the weights), in one fixed order
 * per value, and the sums over the input channels run in order from zero, so every ISA gives
 * the same bits; they are not the direct kernel's bits (other terms, other roundings). */

#define CW_MAX_S PS_NN_WINO_MAX_S

/* dst[c·ldd + r] = src[r·lds + c] (or += when add), as ps__nn_transpose, in blocks of
 * CD_VW × CD_VW transposed in registers (cd_transpose_regs, the ISA's), the rest one by
 * one: the same values. */
CD_TARGET static void cw_transpose(float *dst, size_t ldd, const float *src, size_t lds,
                                   int rows, int cols, int add)
{
    int rb = rows - rows % CD_VW, cb = cols - cols % CD_VW;
    for (int r0 = 0; r0 < rb; r0 += CD_VW)
        for (int c0 = 0; c0 < cb; c0 += CD_VW) {
            cd_vec q[CD_VW];
            for (int i = 0; i < CD_VW; i++)
                q[i] = CD_LOAD(src + (size_t)(r0 + i) * lds + c0);
            cd_transpose_regs(q);
            for (int i = 0; i < CD_VW; i++) {
                float *d = dst + (size_t)(c0 + i) * ldd + r0;
                CD_STORE(d, add ? CD_ADD(CD_LOAD(d), q[i]) : q[i]);
            }
        }
    if (cb < cols)
        ps__nn_transpose(dst + (size_t)cb * ldd, ldd, src + cb, lds, rb, cols - cb, add);
    if (rb < rows)
        ps__nn_transpose(dst + rb, ldd, src + (size_t)rb * lds, lds, rows - rb, cols, add);
}

/* Bᵀ d B for the 4 × 4 vectors d (row-major), into t (row-major). Bᵀ = [1 0 −1 0; 0 1 1 0;
 * 0 −1 1 0; 0 1 0 −1]. */
CD_TARGET CD_INLINE void cw_input_tile(cd_vec t[16], const cd_vec d[16])
{
    cd_vec r[16];
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {   /* rows: Bᵀ d */
        r[0 * 4 + j] = CD_SUB(d[0 * 4 + j], d[2 * 4 + j]);
        r[1 * 4 + j] = CD_ADD(d[1 * 4 + j], d[2 * 4 + j]);
        r[2 * 4 + j] = CD_SUB(d[2 * 4 + j], d[1 * 4 + j]);
        r[3 * 4 + j] = CD_SUB(d[1 * 4 + j], d[3 * 4 + j]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {   /* columns: (Bᵀ d) B */
        t[i * 4 + 0] = CD_SUB(r[i * 4 + 0], r[i * 4 + 2]);
        t[i * 4 + 1] = CD_ADD(r[i * 4 + 1], r[i * 4 + 2]);
        t[i * 4 + 2] = CD_SUB(r[i * 4 + 2], r[i * 4 + 1]);
        t[i * 4 + 3] = CD_SUB(r[i * 4 + 1], r[i * 4 + 3]);
    }
}

/* One register block of products, out (rows of og) (+)= A · B over K in order: S rows × NV
 * vectors of output channels in registers; A's element (s, k) at a[s·as + k·ak], broadcast
 * into NV FMAs; B's row k at b + k·og. first: = rather than +=. The forward products are
 * M[ξ] = V[ξ] U[ξ] (rows: tiles, K: input channels), the weight gradient's dM[ξ] += V[ξ]ᵀ W[ξ]
 * (rows: input channels, K: tiles). */
CD_TARGET CD_INLINE void cw_block(float *out, const float *a, size_t as, size_t ak,
                                  const float *b, int K, int og, int first, const int S,
                                  const int NV)
{
    cd_vec acc[CW_MAX_S][CD_MAX_NV];
#pragma GCC unroll 16
    for (int s = 0; s < S; s++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            acc[s][v] = CD_SET1(0.0f);
    for (int k = 0; k < K; k++) {
        cd_vec w[CD_MAX_NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            w[v] = CD_LOAD(b + (size_t)k * og + CD_VW * v);
#pragma GCC unroll 16
        for (int s = 0; s < S; s++) {
            cd_vec x = CD_SET1(a[s * as + k * ak]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                acc[s][v] = CD_FMA(x, w[v], acc[s][v]);
        }
    }
#pragma GCC unroll 16
    for (int s = 0; s < S; s++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) {
            float *p = out + (size_t)s * og + CD_VW * v;
            CD_STORE(p, first ? acc[s][v] : CD_ADD(CD_LOAD(p), acc[s][v]));
        }
}

/* out (M rows of og) (+)= A · B (cw_block's terms) in blocks of at most SMAX rows, of even
 * sizes (16 as 8 + 8, not 12 + 4: a short block has too few accumulators to hide the FMA
 * latency) × NV vectors. The blocks do not change the sums: each runs over K in order. */
CD_TARGET CD_INLINE void cw_products_nv(float *out, const float *a, size_t as, size_t ak,
                                        const float *b, int M, int K, int og, int first,
                                        const int NV, const int SMAX)
{
    const int nb = (M + SMAX - 1) / SMAX, SB = (M + nb - 1) / nb;
    for (int o = 0; o < og; o += NV * CD_VW)
        for (int r = 0; r < M; r += SB) {
            float *ot = out + (size_t)r * og + o;
            const float *at = a + r * as, *bt = b + o;
            switch (M - r < SB ? M - r : SB) {
#define CW_CASE(S)                                                                           \
    case S:                                                                                  \
        if (S <= SMAX)                                                                       \
            cw_block(ot, at, as, ak, bt, K, og, first, S <= SMAX ? S : 1, NV);               \
        break;
                CW_CASE(1) CW_CASE(2) CW_CASE(3) CW_CASE(4) CW_CASE(5) CW_CASE(6)
                CW_CASE(7) CW_CASE(8) CW_CASE(9) CW_CASE(10) CW_CASE(11) CW_CASE(12)
                CW_CASE(13) CW_CASE(14) CW_CASE(15) CW_CASE(16)
#undef CW_CASE
            }
        }
}

/* The same with the ISA's block for og output channels (CW_NV(og) vectors, CW_S(NV) rows). */
CD_TARGET CD_INLINE void cw_products(float *out, const float *a, size_t as, size_t ak,
                                     const float *b, int M, int K, int og, int first)
{
    switch (CW_NV(og)) {
    case 4: cw_products_nv(out, a, as, ak, b, M, K, og, first, 4, CW_S(4)); break;
    case 2: cw_products_nv(out, a, as, ak, b, M, K, og, first, 2, CW_S(2)); break;
    default: cw_products_nv(out, a, as, ak, b, M, K, og, first, 1, CW_S(1)); break;
    }
}

/* M[ξ] (T, og) = V[ξ] (T, cg) · U[ξ] (cg, og). */
CD_TARGET static void cw_gemm(float *m, const float *v, const float *u, int T, int cg, int og)
{
    cw_products(m, v, (size_t)cg, 1, u, T, cg, og, 1);
}

/* dM[ξ] (cg, og) (+)= V[ξ]ᵀ · W[ξ] over T tiles, V[ξ] (T, cg), W[ξ] (T, og). */
CD_TARGET static void cw_dw_gemm(float *dm, const float *v, const float *w, int T, int cg,
                                 int og, int first)
{
    cw_products(dm, v, 1, (size_t)cg, w, cg, T, og, first);
}

/* Images i0 .. i0 + mc − 1 of group gi of x (g·cg, m, h, w), channel-last with pad zeros
 * before and zeros after up to HT × WT (≥ h + 2·pad, w + 2·pad: the tiles of an odd plane
 * overhang it): xt (mc, HT, WT, cg), whole planes transposed (through the scratch xs (h, w,
 * cg) unless the plane fills xt's). */
CD_TARGET static void cw_input_planes(float *xt, float *xs, const float *x, int m, int gi,
                                      int cg, int i0, int mc, int h, int w, int pad, int HT,
                                      int WT)
{
    const size_t plane = (size_t)h * w;
    for (int mm = 0; mm < mc; mm++) {
        float *xi = xt + (size_t)mm * HT * WT * cg;
        const float *xg = x + ((size_t)gi * cg * m + i0 + mm) * plane;
        if (!pad && HT == h && WT == w) {
            cw_transpose(xi, (size_t)cg, xg, (size_t)m * plane, cg, (int)plane, 0);
            continue;
        }
        cw_transpose(xs, (size_t)cg, xg, (size_t)m * plane, cg, (int)plane, 0);
        for (int y = 0; y < HT; y++) {
            float *row = xi + (size_t)y * WT * cg;
            if (y < pad || y >= h + pad) {
                memset(row, 0, (size_t)WT * cg * sizeof(float));
                continue;
            }
            memset(row, 0, (size_t)pad * cg * sizeof(float));
            memcpy(row + (size_t)pad * cg, xs + (size_t)(y - pad) * w * cg,
                   (size_t)w * cg * sizeof(float));
            memset(row + (size_t)(w + pad) * cg, 0, (size_t)(WT - w - pad) * cg * sizeof(float));
        }
    }
}

/* V = Bᵀ d B of tile t (image mm, tile row ty, column tx) of xt (rows of WP·cg), every
 * vector of channels, into v + ξ·ld (ξ = 0 .. 15). */
CD_TARGET CD_INLINE void cw_input_transform(float *v, size_t ld, const float *xt, int cg, int HP,
                                            int WP, int mm, int ty, int tx)
{
    const float *d0 = xt + (((size_t)mm * HP + 2 * ty) * WP + 2 * tx) * cg;
    for (int c = 0; c < cg; c += CD_VW) {
        cd_vec d[16], tv[16];
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++)
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++)
                d[i * 4 + j] = CD_LOAD(d0 + ((size_t)i * WP + j) * cg + c);
        cw_input_tile(tv, d);
#pragma GCC unroll 16
        for (int xi = 0; xi < 16; xi++)
            CD_STORE(v + xi * ld + c, tv[xi]);
    }
}

/* The convolution of one group for images i0 .. i0 + mc − 1 (see the top of this file). */
CD_TARGET static void cw_chunk(const ps__nn_direct *a, const float *u, float *work, int gi,
                               int i0, int mc)
{
    const int cg = a->cg, og = a->og, h = a->h, w = a->w, ho = a->ho, wo = a->wo,
              pad = a->pad;
    /* tiles of an odd plane overhang it by a row and a column: HP × WP inputs (zeros past
     * the padding), outputs past ho × wo not stored */
    const int th = (ho + 1) / 2, tw = (wo + 1) / 2, HP = 2 * th + 2, WP = 2 * tw + 2,
              T = mc * th * tw;
    float *xt = work;                                    /* (mc, HP, WP, cg) */
    float *v = xt + (size_t)mc * HP * WP * cg;           /* (16, CW_MAX_S, cg) */
    float *m = v + (size_t)16 * CW_MAX_S * cg;           /* (16, CW_MAX_S, og) */
    float *yt = m + (size_t)16 * CW_MAX_S * og;          /* (mc, ho, wo, og) */
    float *xs = yt + (size_t)mc * ho * wo * og;          /* (h, w, cg) */
    const size_t oplane = (size_t)ho * wo;

    cw_input_planes(xt, xs, a->x, a->m, gi, cg, i0, mc, h, w, pad, HP, WP);

    /* Per block of SB tiles (the last one shorter): V = Bᵀ d B, M = V U, Y = Aᵀ M A, the
     * block's V and M in L1. */
    const float *ug = u + (size_t)gi * 16 * cg * og;
    const float *b = a->b ? a->b + (size_t)gi * og : NULL;
    const int SB = CW_S(CW_NV(og)), per = th * tw;
    for (int t0 = 0; t0 < T; t0 += SB) {
        const int S = T - t0 < SB ? T - t0 : SB;
        for (int s = 0; s < S; s++) {   /* v: (16, S, cg) */
            int t = t0 + s, mm = t / per;
            cw_input_transform(v + (size_t)s * cg, (size_t)S * cg, xt, cg, HP, WP, mm,
                               t % per / tw, t % tw);
        }
        for (int xi = 0; xi < 16; xi++)   /* m: (16, S, og) */
            cw_gemm(m + (size_t)xi * S * og, v + (size_t)xi * S * cg,
                    ug + (size_t)xi * cg * og, S, cg, og);
        for (int s = 0; s < S; s++) {   /* Aᵀ = [1 1 1 0; 0 1 −1 −1], + bias, ReLU */
            int t = t0 + s, mm = t / per, ty = t % per / tw, tx = t % tw;
            float *y0 = yt + (((size_t)mm * ho + 2 * ty) * wo + 2 * tx) * og;
            const int full_r = 2 * ty + 1 < ho, nj = 2 * tx + 1 < wo ? 2 : 1;
            for (int o = 0; o < og; o += CD_VW) {
                cd_vec q[16], p[8];
#pragma GCC unroll 16
                for (int xi = 0; xi < 16; xi++)
                    q[xi] = CD_LOAD(m + ((size_t)xi * S + s) * og + o);
#pragma GCC unroll 4
                for (int i = 0; i < 4; i++) {   /* rows: M A */
                    p[i * 2 + 0] = CD_ADD(CD_ADD(q[i * 4 + 0], q[i * 4 + 1]), q[i * 4 + 2]);
                    p[i * 2 + 1] = CD_SUB(CD_SUB(q[i * 4 + 1], q[i * 4 + 2]), q[i * 4 + 3]);
                }
#pragma GCC unroll 2
                for (int j = 0; j < nj; j++) {   /* columns: Aᵀ (M A) */
                    cd_vec r0 = CD_ADD(CD_ADD(p[0 * 2 + j], p[1 * 2 + j]), p[2 * 2 + j]);
                    cd_vec r1 = CD_SUB(CD_SUB(p[1 * 2 + j], p[2 * 2 + j]), p[3 * 2 + j]);
                    if (b) {
                        cd_vec bv = CD_LOAD(b + o);
                        r0 = CD_ADD(r0, bv);
                        r1 = CD_ADD(r1, bv);
                    }
                    if (a->relu) {
                        r0 = CD_RELU(r0);
                        r1 = CD_RELU(r1);
                    }
                    CD_STORE(y0 + (size_t)j * og + o, r0);
                    if (full_r)
                        CD_STORE(y0 + ((size_t)wo + j) * og + o, r1);
                }
            }
        }
    }

    /* y (og, m, ho, wo) from yt (mc, ho·wo, og). */
    for (int mm = 0; mm < mc; mm++)
        cw_transpose(a->y + ((size_t)gi * og * a->m + i0 + mm) * oplane,
                     (size_t)a->m * oplane, yt + (size_t)mm * oplane * og, (size_t)og,
                     (int)oplane, og, a->acc);
}

void CD_WINO_ENTRY(const ps__nn_direct *a, const float *u, float *work, int chunk)
{
    for (int gi = 0; gi < a->g; gi++)
        for (int i0 = 0; i0 < a->m; i0 += chunk)
            cw_chunk(a, u, work, gi, i0, a->m - i0 < chunk ? a->m - i0 : chunk);
}

/* The weight gradient by F(3×3, 2×2), the dual of the forward algorithm (Lavin and Gray):
 * dW = Gᵀ [Σ_tiles (A dY_t Aᵀ) ⊙ (Bᵀ d_t B)] G, d_t the 4 × 4 input values under the 2 × 2
 * output-gradient tile dY_t, A = (Aᵀ)ᵀ and G as in the forward pass. Per chunk of images,
 * V (16, T, cg) and W (16, T, og) are the transformed input and output gradient; for each ξ
 * the products Σ_t V[ξ][t][c]·W[ξ][t][o] run over the chunk's tiles in order in register
 * blocks of CB channels × NV vectors of output channels, and are added into dM (16, cg, og)
 * (the first chunk sets it); dWᵀ = Gᵀ dM G at the end. Every ISA: the same operations, the
 * same bits (the chunks depend on the layer only). */

/* A dY Aᵀ for the 2 × 2 vectors q (row-major) into t (4 × 4): (A y) = (y0, y0 + y1, y0 − y1,
 * −y1) on the rows, then on the columns. */
CD_TARGET CD_INLINE void cw_dy_tile(cd_vec t[16], const cd_vec q[4])
{
    const cd_vec z = CD_SET1(0.0f);
    cd_vec r[8];
#pragma GCC unroll 2
    for (int j = 0; j < 2; j++) {   /* rows: A dY (4 × 2) */
        r[0 * 2 + j] = q[0 * 2 + j];
        r[1 * 2 + j] = CD_ADD(q[0 * 2 + j], q[1 * 2 + j]);
        r[2 * 2 + j] = CD_SUB(q[0 * 2 + j], q[1 * 2 + j]);
        r[3 * 2 + j] = CD_SUB(z, q[1 * 2 + j]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {   /* columns: (A dY) Aᵀ */
        t[i * 4 + 0] = r[i * 2 + 0];
        t[i * 4 + 1] = CD_ADD(r[i * 2 + 0], r[i * 2 + 1]);
        t[i * 4 + 2] = CD_SUB(r[i * 2 + 0], r[i * 2 + 1]);
        t[i * 4 + 3] = CD_SUB(z, r[i * 2 + 1]);
    }
}

/* The weight gradient's buffers in its workspace, for a2 transformed values per tile and
 * chunks of `chunk` images of `per` tiles: dM (a2, cg, og); the chunk's input (chunk, HP, WP,
 * cg) and output gradient (chunk, HO, WO, og) channel-last; their transforms V (a2, T, cg)
 * and W (a2, T, og), T = chunk·per; a scratch plane. */
typedef struct cw_dw_bufs {
    float *dm, *xt, *dyt, *v, *wv, *xs;
} cw_dw_bufs;

static inline cw_dw_bufs cw_dw_buffers(float *work, int a2, int chunk, int per, int cg, int og,
                                       int HP, int WP, int HO, int WO)
{
    cw_dw_bufs b;
    b.dm = work;
    b.xt = b.dm + (size_t)a2 * cg * og;
    b.dyt = b.xt + (size_t)chunk * HP * WP * cg;
    b.v = b.dyt + (size_t)chunk * HO * WO * og;
    b.wv = b.v + (size_t)a2 * chunk * per * cg;
    b.xs = b.wv + (size_t)a2 * chunk * per * og;
    return b;
}

/* Images i0 .. i0 + mc − 1 of group gi of the weight gradient's input and output gradient,
 * channel-last into bf's xt (HP × WP, with the padding) and dyt (HO × WO). */
CD_TARGET static void cw_dw_planes(const ps__nn_direct_dw *a, const cw_dw_bufs *bf, int gi,
                                   int i0, int mc, int HP, int WP, int HO, int WO)
{
    cw_input_planes(bf->xt, bf->xs, a->x, a->m, gi, a->cg, i0, mc, a->h, a->w, a->pad, HP, WP);
    cw_input_planes(bf->dyt, bf->xs, a->dy, a->m, gi, a->og, i0, mc, a->ho, a->wo, 0, HO, WO);
}

CD_TARGET void CD_WINO_DW_ENTRY(const ps__nn_direct_dw *a)
{
    const int chunk = a->chunk, cg = a->cg, og = a->og, ho = a->ho, wo = a->wo;
    /* an odd plane's tiles overhang it: dY made 2·th × 2·tw with zeros, the input HP × WP */
    const int th = (ho + 1) / 2, tw = (wo + 1) / 2, per = th * tw, HP = 2 * th + 2,
              WP = 2 * tw + 2, HO = 2 * th, WO = 2 * tw;
    const cw_dw_bufs bf = cw_dw_buffers(a->work, 16, chunk, per, cg, og, HP, WP, HO, WO);
    float *dm = bf.dm, *xt = bf.xt, *dyt = bf.dyt, *v = bf.v, *wv = bf.wv;
    for (int gi = 0; gi < a->g; gi++) {
        for (int i0 = 0; i0 < a->m; i0 += chunk) {
            const int mc = a->m - i0 < chunk ? a->m - i0 : chunk, T = mc * per;
            cw_dw_planes(a, &bf, gi, i0, mc, HP, WP, HO, WO);
            for (int t = 0; t < T; t++) {
                int mm = t / per, ty = t % per / tw, tx = t % tw;
                cw_input_transform(v + (size_t)t * cg, (size_t)T * cg, xt, cg, HP, WP, mm, ty,
                                   tx);
                const float *q0 = dyt + (((size_t)mm * HO + 2 * ty) * WO + 2 * tx) * og;
                for (int o = 0; o < og; o += CD_VW) {
                    cd_vec q[4], tv[16];
                    q[0] = CD_LOAD(q0 + o);
                    q[1] = CD_LOAD(q0 + og + o);
                    q[2] = CD_LOAD(q0 + (size_t)WO * og + o);
                    q[3] = CD_LOAD(q0 + ((size_t)WO + 1) * og + o);
                    cw_dy_tile(tv, q);
#pragma GCC unroll 16
                    for (int xi = 0; xi < 16; xi++)
                        CD_STORE(wv + ((size_t)xi * T + t) * og + o, tv[xi]);
                }
            }
            for (int xi = 0; xi < 16; xi++)
                cw_dw_gemm(dm + (size_t)xi * cg * og, v + (size_t)xi * T * cg,
                           wv + (size_t)xi * T * og, T, cg, og, i0 == 0);
        }
        /* dWᵀ (cg·9, og) = Gᵀ dM G per channel, vectors of output channels: Gᵀ = [1 ½ ½ 0;
         * 0 ½ −½ 0; 0 ½ ½ 1] on the rows, then on the columns. */
        float *dwt = a->dwt + (size_t)gi * cg * 9 * og;
        const cd_vec half = CD_SET1(0.5f);
        for (int c = 0; c < cg; c++)
            for (int o = 0; o < og; o += CD_VW) {
                cd_vec q[16], r[12];
#pragma GCC unroll 16
                for (int xi = 0; xi < 16; xi++)
                    q[xi] = CD_LOAD(dm + ((size_t)xi * cg + c) * og + o);
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++) {
                    cd_vec s12 = CD_MUL(CD_ADD(q[1 * 4 + j], q[2 * 4 + j]), half);
                    r[0 * 4 + j] = CD_ADD(q[0 * 4 + j], s12);
                    r[1 * 4 + j] = CD_MUL(CD_SUB(q[1 * 4 + j], q[2 * 4 + j]), half);
                    r[2 * 4 + j] = CD_ADD(s12, q[3 * 4 + j]);
                }
#pragma GCC unroll 3
                for (int i = 0; i < 3; i++) {
                    cd_vec s12 = CD_MUL(CD_ADD(r[i * 4 + 1], r[i * 4 + 2]), half);
                    float *d = dwt + ((size_t)c * 9 + i * 3) * og + o;
                    CD_STORE(d, CD_ADD(r[i * 4 + 0], s12));
                    CD_STORE(d + og, CD_MUL(CD_SUB(r[i * 4 + 1], r[i * 4 + 2]), half));
                    CD_STORE(d + 2 * (size_t)og, CD_ADD(s12, r[i * 4 + 3]));
                }
            }
    }
}
