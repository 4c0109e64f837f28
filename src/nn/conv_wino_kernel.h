/* pairsweep — the 3×3 convolution by Winograd's F(2×2, 3×3), written once for a vector ISA
 * like conv_direct_kernel.h (whose macros it uses, with CD_SUB(a, b) = a − b and
 * CD_WINO_ENTRY, the name of the entry point, conv.h). Not a public header.
 *
 * The method (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
 * Each 2 × 2 tile of outputs of a plane is computed from the 4 × 4 input values under it:
 * Y = Aᵀ [Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B)] A, 16 multiply-adds per input channel for 4 outputs
 * where the direct convolution does 36. The weights' transforms U = G g Gᵀ (16 per pair of
 * channels, conv_direct.c) come in as u: (g, 16, cg, og). Per chunk of images: the input is
 * copied channel-last with zero borders (xt: (mc, HP, WP, cg)); each tile's 16 transformed
 * values are V = Bᵀ d B, vectors of channels (v: (16, T, cg), T tiles); for each of the 16
 * positions ξ, M[ξ] (T, og) = V[ξ] (T, cg) · U[ξ] (cg, og), in register blocks of S tiles ×
 * NV vectors of output channels, each V value broadcast into NV FMAs; then each tile's
 * outputs are Aᵀ M A (+ bias, ReLU) into yt: (mc, ho, wo, og), transposed into y. The
 * transforms only add and subtract, in one fixed order per value, the sums over the input
 * channels run in order from zero, so every ISA gives the same bits; they are not the direct
 * kernel's bits (other terms, other roundings). */

#define CW_MAX_S 12

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

/* One register block of the products: S tiles × NV vectors of output channels, the sums
 * over cg input channels in order. vt: V[ξ] at the block's first tile (rows of cg); ut: U[ξ]
 * at the block's first output channel (rows of og); mt: M[ξ] likewise (rows of og). */
CD_TARGET CD_INLINE void cw_gemm_block(float *mt, const float *vt, const float *ut, int cg,
                                       int og, const int S, const int NV)
{
    cd_vec acc[CW_MAX_S][CD_MAX_NV];
#pragma GCC unroll 12
    for (int s = 0; s < S; s++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            acc[s][v] = CD_SET1(0.0f);
    for (int c = 0; c < cg; c++) {
        cd_vec w[CD_MAX_NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            w[v] = CD_LOAD(ut + (size_t)c * og + CD_VW * v);
#pragma GCC unroll 12
        for (int s = 0; s < S; s++) {
            cd_vec b = CD_SET1(vt[(size_t)s * cg + c]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                acc[s][v] = CD_FMA(b, w[v], acc[s][v]);
        }
    }
#pragma GCC unroll 12
    for (int s = 0; s < S; s++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            CD_STORE(mt + (size_t)s * og + CD_VW * v, acc[s][v]);
}

/* M[ξ] = V[ξ] · U[ξ] for T tiles: blocks of SB tiles (the last one shorter) × NV vectors of
 * output channels. */
CD_TARGET CD_INLINE void cw_gemm_nv(float *m, const float *v, const float *u, int T, int cg,
                                    int og, const int NV, const int SB)
{
    for (int o = 0; o < og; o += NV * CD_VW)
        for (int t = 0; t < T; t += SB) {
            const float *vt = v + (size_t)t * cg, *ut = u + o;
            float *mt = m + (size_t)t * og + o;
            switch (T - t < SB ? T - t : SB) {
#define CW_CASE(S)                                                                           \
    case S:                                                                                  \
        if (S <= SB)                                                                         \
            cw_gemm_block(mt, vt, ut, cg, og, S <= SB ? S : 1, NV);                          \
        break;
                CW_CASE(1) CW_CASE(2) CW_CASE(3) CW_CASE(4) CW_CASE(5) CW_CASE(6)
                CW_CASE(7) CW_CASE(8) CW_CASE(9) CW_CASE(10) CW_CASE(11) CW_CASE(12)
#undef CW_CASE
            }
        }
}

/* The same with the ISA's block for og output channels (CW_NV(og) vectors, CW_S(NV) tiles). */
CD_TARGET static void cw_gemm(float *m, const float *v, const float *u, int T, int cg, int og)
{
    switch (CW_NV(og)) {
    case 4: cw_gemm_nv(m, v, u, T, cg, og, 4, CW_S(4)); break;
    case 2: cw_gemm_nv(m, v, u, T, cg, og, 2, CW_S(2)); break;
    default: cw_gemm_nv(m, v, u, T, cg, og, 1, CW_S(1)); break;
    }
}

/* The convolution of one group for images i0 .. i0 + mc − 1 (see the top of this file). */
CD_TARGET static void cw_chunk(const ps__nn_direct *a, const float *u, float *work, int gi,
                               int i0, int mc)
{
    const int cg = a->cg, og = a->og, h = a->h, w = a->w, ho = a->ho, wo = a->wo,
              pad = a->pad;
    const int HP = h + 2 * pad, WP = w + 2 * pad, th = ho / 2, tw = wo / 2, T = mc * th * tw;
    float *xt = work;                                    /* (mc, HP, WP, cg) */
    float *v = xt + (size_t)mc * HP * WP * cg;           /* (16, CW_MAX_S, cg) */
    float *m = v + (size_t)16 * CW_MAX_S * cg;           /* (16, CW_MAX_S, og) */
    float *yt = m + (size_t)16 * CW_MAX_S * og;          /* (mc, ho, wo, og) */
    float *xs = yt + (size_t)mc * ho * wo * og;          /* (h, w, cg) */
    const size_t plane = (size_t)h * w, oplane = (size_t)ho * wo;

    /* The input, channel-last with zero borders (whole planes transposed, into the scratch
     * xs when there are borders). */
    for (int mm = 0; mm < mc; mm++) {
        float *xi = xt + (size_t)mm * HP * WP * cg;
        const float *xg = a->x + ((size_t)gi * cg * a->m + i0 + mm) * plane;
        if (!pad) {
            cw_transpose(xi, (size_t)cg, xg, (size_t)a->m * plane, cg, (int)plane, 0);
            continue;
        }
        cw_transpose(xs, (size_t)cg, xg, (size_t)a->m * plane, cg, (int)plane, 0);
        for (int y = 0; y < HP; y++) {
            float *row = xi + (size_t)y * WP * cg;
            if (y < pad || y >= h + pad) {
                memset(row, 0, (size_t)WP * cg * sizeof(float));
                continue;
            }
            memset(row, 0, (size_t)pad * cg * sizeof(float));
            memcpy(row + (size_t)pad * cg, xs + (size_t)(y - pad) * w * cg,
                   (size_t)w * cg * sizeof(float));
            memset(row + (size_t)(w + pad) * cg, 0, (size_t)pad * cg * sizeof(float));
        }
    }

    /* Per block of SB tiles (the last one shorter): V = Bᵀ d B, M = V U, Y = Aᵀ M A, the
     * block's V and M in L1. */
    const float *ug = u + (size_t)gi * 16 * cg * og;
    const float *b = a->b ? a->b + (size_t)gi * og : NULL;
    const int SB = CW_S(CW_NV(og)), per = th * tw;
    for (int t0 = 0; t0 < T; t0 += SB) {
        const int S = T - t0 < SB ? T - t0 : SB;
        for (int s = 0; s < S; s++) {   /* v: (16, S, cg) */
            int t = t0 + s, mm = t / per, ty = t % per / tw, tx = t % tw;
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
                    CD_STORE(v + ((size_t)xi * S + s) * cg + c, tv[xi]);
            }
        }
        for (int xi = 0; xi < 16; xi++)   /* m: (16, S, og) */
            cw_gemm(m + (size_t)xi * S * og, v + (size_t)xi * S * cg,
                    ug + (size_t)xi * cg * og, S, cg, og);
        for (int s = 0; s < S; s++) {   /* Aᵀ = [1 1 1 0; 0 1 −1 −1], + bias, ReLU */
            int t = t0 + s, mm = t / per, ty = t % per / tw, tx = t % tw;
            float *y0 = yt + (((size_t)mm * ho + 2 * ty) * wo + 2 * tx) * og;
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
                for (int j = 0; j < 2; j++) {   /* columns: Aᵀ (M A) */
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
