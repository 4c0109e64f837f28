/* pairsweep — the 5×5 convolution by Winograd's F(m×m, 5×5), m = 3 or 4, and its weight
 * gradient by F(5×5, m×m), written once for a vector ISA like conv_wino_kernel.h, after which
 * it is included (it uses its cw_transpose, cw_input_planes and cw_products, and the ISA's
 * macros listed there), once with C5_M defined as 3 and then once as 4, with these of the
 * ISA's file:
 *
 *   CD_WINO5_ENTRY, CD_WINO5_DW_ENTRY, CD_WINO5_U_ENTRY   the names of the entry points
 *                                                          (conv.h), defined by the second
 *
 * Not a public header.
 *
 * The method is conv_wino_kernel.h's with larger tiles (Lavin and Gray 2016; the matrices by
 * the Toom-Cook construction at the points 0, 1, −1, 2, −2, ½ and ∞ for m = 3, and also −½
 * for m = 4): each m × m tile of outputs of a plane is computed from the α × α input values
 * under it (α = m + 4), Y = Aᵀ [Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B)] A, α² multiply-adds per input
 * channel for m² outputs where the direct convolution does 25 each (at most). Report 002's
 * 7 × 7 planes take four 4 × 4 tiles overhanging them by a row and a column: 256
 * multiply-adds per pair of channels against the direct kernel's 841 without the padding
 * (nine 3 × 3 tiles would do 441); a 3 × 3 plane is one 3 × 3 tile, 49 against 81.
 *
 * The weights' transforms U = G g Gᵀ (α² per pair of channels, CD_WINO5_U_ENTRY) come in as
 * u: (g, α², cg, og). Per chunk of images: the input channel-last with zero borders (as in
 * conv_wino_kernel.h); every tile's α² transformed values V = Bᵀ d B (vectors of channels);
 * for each of the α² positions in turn, M[ξ] = V[ξ] U[ξ] over all the chunk's tiles in
 * register blocks; each tile's outputs Aᵀ M A (+ bias, ReLU). Bᵀ's entries are quarters and
 * small integers, so its products are exact but for the sums' roundings; the transforms run in one fixed order per value
 * (c5_comb), and the sums over the input channels in order from zero, so every ISA gives the
 * same bits. */

#define C5_CAT2(a, b) a##_m##b
#define C5_CAT(a, b) C5_CAT2(a, b)
#define C5(name) C5_CAT(name, C5_M) /* a name of this tile size's instance */
#define C5_A (C5_M + 4)             /* α: values per side of a tile's transforms */
#define C5_A2 (C5_A * C5_A)

#if C5_M == 3
/* Bᵀ (α × α): the input transform, V = Bᵀ d B. */
static const float C5(c5_bt)[C5_A][C5_A] = {
    {2.0f, -4.0f, -2.5f, 5.0f, 0.5f, -1.0f, 0.0f},
    {0.0f, 2.0f, -2.0f, -4.5f, 0.5f, 1.0f, 0.0f},
    {0.0f, -2.0f, 6.0f, -3.5f, -1.5f, 1.0f, 0.0f},
    {0.0f, 1.0f, -1.5f, -2.0f, 1.5f, 1.0f, 0.0f},
    {0.0f, -1.0f, 2.5f, 0.0f, -2.5f, 1.0f, 0.0f},
    {0.0f, 4.0f, 0.0f, -5.0f, 0.0f, 1.0f, 0.0f},
    {0.0f, -2.0f, 4.0f, 2.5f, -5.0f, -0.5f, 1.0f},
};

/* Aᵀ (m × α): the output transform, Y = Aᵀ M A. */
static const float C5(c5_at)[C5_M][C5_A] = {
    {1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 0.0f},
    {0.0f, 1.0f, -1.0f, 2.0f, -2.0f, 0.5f, 0.0f},
    {0.0f, 1.0f, 1.0f, 4.0f, 4.0f, 0.25f, 1.0f},
};

/* G (α × 5), rounded to float: the weights' transforms U = G g Gᵀ, the weight gradient's
 * dW = Gᵀ dM G. */
static const float C5(c5_g)[C5_A][5] = {
    {1.0f / 2, 0.0f, 0.0f, 0.0f, 0.0f},
    {-1.0f / 3, -1.0f / 3, -1.0f / 3, -1.0f / 3, -1.0f / 3},
    {1.0f / 9, -1.0f / 9, 1.0f / 9, -1.0f / 9, 1.0f / 9},
    {1.0f / 36, 1.0f / 18, 1.0f / 9, 2.0f / 9, 4.0f / 9},
    {-1.0f / 60, 1.0f / 30, -1.0f / 15, 2.0f / 15, -4.0f / 15},
    {32.0f / 45, 16.0f / 45, 8.0f / 45, 4.0f / 45, 2.0f / 45},
    {0.0f, 0.0f, 0.0f, 0.0f, 1.0f},
};
#elif C5_M == 4
static const float C5(c5_bt)[C5_A][C5_A] = {
    {1.0f, 0.0f, -5.25f, 0.0f, 5.25f, 0.0f, -1.0f, 0.0f},
    {0.0f, 1.0f, 1.0f, -4.25f, -4.25f, 1.0f, 1.0f, 0.0f},
    {0.0f, -1.0f, 1.0f, 4.25f, -4.25f, -1.0f, 1.0f, 0.0f},
    {0.0f, 0.5f, 0.25f, -2.5f, -1.25f, 2.0f, 1.0f, 0.0f},
    {0.0f, -0.5f, 0.25f, 2.5f, -1.25f, -2.0f, 1.0f, 0.0f},
    {0.0f, 2.0f, 4.0f, -2.5f, -5.0f, 0.5f, 1.0f, 0.0f},
    {0.0f, -2.0f, 4.0f, 2.5f, -5.0f, -0.5f, 1.0f, 0.0f},
    {0.0f, -1.0f, 0.0f, 5.25f, 0.0f, -5.25f, 0.0f, 1.0f},
};

static const float C5(c5_at)[C5_M][C5_A] = {
    {1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 0.0f},
    {0.0f, 1.0f, -1.0f, 2.0f, -2.0f, 0.5f, -0.5f, 0.0f},
    {0.0f, 1.0f, 1.0f, 4.0f, 4.0f, 0.25f, 0.25f, 0.0f},
    {0.0f, 1.0f, -1.0f, 8.0f, -8.0f, 0.125f, -0.125f, 1.0f},
};

static const float C5(c5_g)[C5_A][5] = {
    {1.0f, 0.0f, 0.0f, 0.0f, 0.0f},
    {-2.0f / 9, -2.0f / 9, -2.0f / 9, -2.0f / 9, -2.0f / 9},
    {-2.0f / 9, 2.0f / 9, -2.0f / 9, 2.0f / 9, -2.0f / 9},
    {1.0f / 90, 1.0f / 45, 2.0f / 45, 4.0f / 45, 8.0f / 45},
    {1.0f / 90, -1.0f / 45, 2.0f / 45, -4.0f / 45, 8.0f / 45},
    {32.0f / 45, 16.0f / 45, 8.0f / 45, 4.0f / 45, 2.0f / 45},
    {32.0f / 45, -16.0f / 45, 8.0f / 45, -4.0f / 45, 2.0f / 45},
    {0.0f, 0.0f, 0.0f, 0.0f, 1.0f},
};
#else
#error "conv_wino5_kernel.h: C5_M must be 3 or 4"
#endif

#ifndef PS_NN_C5_COMB
#define PS_NN_C5_COMB
/* Σ_k c[k·cs]·d[k·ds] over k < n with c[k·cs] ≠ 0, in order of k: the first term as is (or
 * times c), then ±1 by addition or subtraction, the others by FMA. c is a row or column of one
 * of the constant tables above, so under the full unrolling the zero terms and the tests
 * fold away. */
CD_TARGET CD_INLINE cd_vec c5_comb(const float *c, int cs, int n, const cd_vec *d, int ds)
{
    cd_vec acc = CD_SET1(0.0f);
    int first = 1;
#pragma GCC unroll 8
    for (int k = 0; k < n; k++) {
        const float ck = c[k * cs];
        if (ck == 0.0f)
            continue;
        const cd_vec t = d[k * ds];
        if (first)
            acc = ck == 1.0f ? t : CD_MUL(CD_SET1(ck), t);
        else if (ck == 1.0f)
            acc = CD_ADD(acc, t);
        else if (ck == -1.0f)
            acc = CD_SUB(acc, t);
        else
            acc = CD_FMA(CD_SET1(ck), t, acc);
        first = 0;
    }
    return acc;
}

#endif

/* V = Bᵀ d B of tile (image mm, tile row ty, column tx) of xt (rows of WP·cg), every vector
 * of channels, into v + ξ·ld (ξ = 0 .. α² − 1). */
CD_TARGET static void C5(c5_input_transform)(float *v, size_t ld, const float *xt, int cg,
                                             int HP, int WP, int mm, int ty, int tx)
{
    const float *d0 = xt + (((size_t)mm * HP + C5_M * ty) * WP + C5_M * tx) * cg;
    for (int c = 0; c < cg; c += CD_VW) {
        cd_vec d[C5_A * C5_A], r[C5_A * C5_A];
#pragma GCC unroll 8
        for (int i = 0; i < C5_A; i++)
#pragma GCC unroll 8
            for (int j = 0; j < C5_A; j++)
                d[i * C5_A + j] = CD_LOAD(d0 + ((size_t)i * WP + j) * cg + c);
#pragma GCC unroll 8
        for (int i = 0; i < C5_A; i++)   /* rows: Bᵀ d */
#pragma GCC unroll 8
            for (int j = 0; j < C5_A; j++)
                r[i * C5_A + j] = c5_comb(C5(c5_bt)[i], 1, C5_A, d + j, C5_A);
#pragma GCC unroll 8
        for (int i = 0; i < C5_A; i++)   /* columns: (Bᵀ d) B */
#pragma GCC unroll 8
            for (int j = 0; j < C5_A; j++)
                CD_STORE(v + (size_t)(i * C5_A + j) * ld + c,
                         c5_comb(C5(c5_bt)[j], 1, C5_A, r + i * C5_A, 1));
    }
}

/* The convolution of one group for images i0 .. i0 + mc − 1: cw_chunk's steps, but each
 * over the whole chunk, the α² products M[ξ] = V[ξ] U[ξ] one after the other over all its
 * tiles. The weights' α² transforms of a layer (up to 1.6 MiB) do not stay in cache, so the
 * chunk's tiles share each U[ξ] while it is in L1 (blocks of S tiles, each reading all of
 * them, ran 2.5–4× slower on the 3 × 3 planes). */
CD_TARGET static void C5(c5_chunk)(const ps__nn_direct *a, const float *u, float *work,
                                   int gi, int i0, int mc)
{
    const int cg = a->cg, og = a->og, h = a->h, w = a->w, ho = a->ho, wo = a->wo,
              pad = a->pad;
    /* tiles overhang the plane by up to m − 1 rows and columns: HP × WP inputs (zeros past
     * the padding), outputs past ho × wo not stored */
    const int th = (ho + C5_M - 1) / C5_M, tw = (wo + C5_M - 1) / C5_M, HP = C5_M * th + 4,
              WP = C5_M * tw + 4, per = th * tw, T = mc * per;
    float *xt = work;                                    /* (mc, HP, WP, cg) */
    float *v = xt + (size_t)mc * HP * WP * cg;           /* (α², T, cg) */
    float *m = v + (size_t)C5_A2 * T * cg;               /* (α², T, og) */
    float *yt = m + (size_t)C5_A2 * T * og;              /* (mc, ho, wo, og) */
    float *xs = yt + (size_t)mc * ho * wo * og;          /* (h, w, cg) */
    const size_t oplane = (size_t)ho * wo;

    cw_input_planes(xt, xs, a->x, a->m, gi, cg, i0, mc, h, w, pad, HP, WP);
    for (int t = 0; t < T; t++)
        C5(c5_input_transform)(v + (size_t)t * cg, (size_t)T * cg, xt, cg, HP, WP, t / per,
                               t % per / tw, t % tw);
    const float *ug = u + (size_t)gi * C5_A2 * cg * og;
    for (int xi = 0; xi < C5_A2; xi++)
        cw_gemm(m + (size_t)xi * T * og, v + (size_t)xi * T * cg, ug + (size_t)xi * cg * og,
                T, cg, og);

    const float *b = a->b ? a->b + (size_t)gi * og : NULL;
    for (int t = 0; t < T; t++) {   /* Y = Aᵀ M A, + bias, ReLU */
        int mm = t / per, ty = t % per / tw, tx = t % tw;
        float *y0 = yt + (((size_t)mm * ho + C5_M * ty) * wo + C5_M * tx) * og;
        const int ni = ho - C5_M * ty < C5_M ? ho - C5_M * ty : C5_M,
                  nj = wo - C5_M * tx < C5_M ? wo - C5_M * tx : C5_M;
        for (int o = 0; o < og; o += CD_VW) {
            cd_vec q[C5_A * C5_A], p[C5_A * C5_M];
#pragma GCC unroll 64
            for (int xi = 0; xi < C5_A2; xi++)
                q[xi] = CD_LOAD(m + ((size_t)xi * T + t) * og + o);
#pragma GCC unroll 8
            for (int i = 0; i < C5_A; i++)   /* rows: M A */
#pragma GCC unroll 4
                for (int j = 0; j < C5_M; j++)
                    p[i * C5_M + j] = c5_comb(C5(c5_at)[j], 1, C5_A, q + i * C5_A, 1);
            const cd_vec bv = b ? CD_LOAD(b + o) : CD_SET1(0.0f);
#pragma GCC unroll 4
            for (int i = 0; i < C5_M; i++)   /* columns: Aᵀ (M A) */
#pragma GCC unroll 4
                for (int j = 0; j < C5_M; j++) {
                    if (i >= ni || j >= nj)
                        continue;
                    cd_vec r = c5_comb(C5(c5_at)[i], 1, C5_A, p + j, C5_M);
                    if (b)
                        r = CD_ADD(r, bv);
                    if (a->relu)
                        r = CD_RELU(r);
                    CD_STORE(y0 + ((size_t)i * wo + j) * og + o, r);
                }
        }
    }

    /* y (og, m, ho, wo) from yt (mc, ho·wo, og). */
    for (int mm = 0; mm < mc; mm++)
        cw_transpose(a->y + ((size_t)gi * og * a->m + i0 + mm) * oplane,
                     (size_t)a->m * oplane, yt + (size_t)mm * oplane * og, (size_t)og,
                     (int)oplane, og, a->acc);
}

/* U = G g Gᵀ of every pair of channels, vectors of output channels: u (g, α², ci, co) from
 * wt (g, ci, 25, co), the filters transposed (and flipped for the input gradient) by
 * conv_direct.c. G rounded to float, in c5_comb's order: the same bits on every ISA. */
CD_TARGET static void C5(c5_weights)(float *u, const float *wt, int g, int ci, int co)
{
    for (int gi = 0; gi < g; gi++)
        for (int i = 0; i < ci; i++)
            for (int o = 0; o < co; o += CD_VW) {
                const float *k0 = wt + ((size_t)gi * ci + i) * 25 * co + o;
                cd_vec k[25], t[C5_A * 5];
#pragma GCC unroll 25
                for (int j = 0; j < 25; j++)
                    k[j] = CD_LOAD(k0 + (size_t)j * co);
#pragma GCC unroll 8
                for (int r = 0; r < C5_A; r++)   /* G g: rows */
#pragma GCC unroll 5
                    for (int j = 0; j < 5; j++)
                        t[r * 5 + j] = c5_comb(C5(c5_g)[r], 1, 5, k + j, 5);
                float *uo = u + (size_t)gi * C5_A2 * ci * co + (size_t)i * co + o;
#pragma GCC unroll 8
                for (int r = 0; r < C5_A; r++)   /* (G g) Gᵀ: columns */
#pragma GCC unroll 8
                    for (int c = 0; c < C5_A; c++)
                        CD_STORE(uo + (size_t)(r * C5_A + c) * ci * co,
                                 c5_comb(C5(c5_g)[c], 1, 5, t + r * 5, 1));
            }
}

static void C5(c5_conv)(const ps__nn_direct *a, const float *u, float *work, int chunk)
{
    for (int gi = 0; gi < a->g; gi++)
        for (int i0 = 0; i0 < a->m; i0 += chunk)
            C5(c5_chunk)(a, u, work, gi, i0, a->m - i0 < chunk ? a->m - i0 : chunk);
}

/* The weight gradient by F(5×5, m×m), the dual of the forward algorithm (conv_wino_kernel.h's
 * with these matrices): dW = Gᵀ [Σ_tiles (A dY_t Aᵀ) ⊙ (Bᵀ d_t B)] G, dY_t an m × m tile of
 * the output gradient (zeros past the plane), d_t the α × α input values under it. Per chunk of
 * images V (α², T, cg) and W (α², T, og); dM (α², cg, og) += V[ξ]ᵀ W[ξ] over the chunk's
 * tiles in order (the first chunk sets it); dWᵀ = Gᵀ dM G at the end. */
CD_TARGET static void C5(c5_dw)(const ps__nn_direct_dw *a)
{
    const int chunk = a->chunk, cg = a->cg, og = a->og, ho = a->ho, wo = a->wo;
    const int th = (ho + C5_M - 1) / C5_M, tw = (wo + C5_M - 1) / C5_M, per = th * tw,
              HP = C5_M * th + 4, WP = C5_M * tw + 4, HO = C5_M * th, WO = C5_M * tw;
    const cw_dw_bufs bf = cw_dw_buffers(a->work, C5_A2, chunk, per, cg, og, HP, WP, HO, WO);
    float *dm = bf.dm, *xt = bf.xt, *dyt = bf.dyt, *v = bf.v, *wv = bf.wv;
    for (int gi = 0; gi < a->g; gi++) {
        for (int i0 = 0; i0 < a->m; i0 += chunk) {
            const int mc = a->m - i0 < chunk ? a->m - i0 : chunk, T = mc * per;
            cw_dw_planes(a, &bf, gi, i0, mc, HP, WP, HO, WO);
            for (int t = 0; t < T; t++) {
                int mm = t / per, ty = t % per / tw, tx = t % tw;
                C5(c5_input_transform)(v + (size_t)t * cg, (size_t)T * cg, xt, cg, HP, WP, mm,
                                       ty, tx);
                const float *q0 = dyt + (((size_t)mm * HO + C5_M * ty) * WO + C5_M * tx) * og;
                for (int o = 0; o < og; o += CD_VW) {
                    cd_vec q[C5_M * C5_M], r[C5_A * C5_M];
#pragma GCC unroll 4
                    for (int i = 0; i < C5_M; i++)
#pragma GCC unroll 4
                        for (int j = 0; j < C5_M; j++)
                            q[i * C5_M + j] = CD_LOAD(q0 + ((size_t)i * WO + j) * og + o);
#pragma GCC unroll 8
                    for (int i = 0; i < C5_A; i++)   /* rows: A dY (α × m), A = (Aᵀ)ᵀ */
#pragma GCC unroll 4
                        for (int j = 0; j < C5_M; j++)
                            r[i * C5_M + j] = c5_comb(&C5(c5_at)[0][i], C5_A, C5_M, q + j, C5_M);
#pragma GCC unroll 8
                    for (int i = 0; i < C5_A; i++)   /* columns: (A dY) Aᵀ */
#pragma GCC unroll 8
                        for (int j = 0; j < C5_A; j++)
                            CD_STORE(wv + ((size_t)(i * C5_A + j) * T + t) * og + o,
                                     c5_comb(&C5(c5_at)[0][j], C5_A, C5_M, r + i * C5_M, 1));
                }
            }
            for (int xi = 0; xi < C5_A2; xi++)
                cw_dw_gemm(dm + (size_t)xi * cg * og, v + (size_t)xi * T * cg,
                           wv + (size_t)xi * T * og, T, cg, og, i0 == 0);
        }
        /* dWᵀ (cg·25, og) = Gᵀ dM G per channel, vectors of output channels: Gᵀ on the rows,
         * then on the columns. */
        float *dwt = a->dwt + (size_t)gi * cg * 25 * og;
        for (int c = 0; c < cg; c++)
            for (int o = 0; o < og; o += CD_VW) {
                cd_vec q[C5_A * C5_A], r[5 * C5_A];
#pragma GCC unroll 64
                for (int xi = 0; xi < C5_A2; xi++)
                    q[xi] = CD_LOAD(dm + ((size_t)xi * cg + c) * og + o);
#pragma GCC unroll 5
                for (int i = 0; i < 5; i++)   /* rows: Gᵀ dM (5 × α) */
#pragma GCC unroll 8
                    for (int j = 0; j < C5_A; j++)
                        r[i * C5_A + j] = c5_comb(&C5(c5_g)[0][i], 5, C5_A, q + j, C5_A);
#pragma GCC unroll 5
                for (int i = 0; i < 5; i++)   /* columns: (Gᵀ dM) G */
#pragma GCC unroll 5
                    for (int j = 0; j < 5; j++)
                        CD_STORE(dwt + ((size_t)c * 25 + i * 5 + j) * og + o,
                                 c5_comb(&C5(c5_g)[0][j], 5, C5_A, r + i * C5_A, 1));
            }
    }
}

#if C5_M == 4
/* The entry points: the instance of tile size m. */
CD_TARGET void CD_WINO5_ENTRY(const ps__nn_direct *a, const float *u, float *work, int chunk,
                              int m)
{
    (m == 4 ? c5_conv_m4 : c5_conv_m3)(a, u, work, chunk);
}

CD_TARGET void CD_WINO5_DW_ENTRY(const ps__nn_direct_dw *a, int m)
{
    (m == 4 ? c5_dw_m4 : c5_dw_m3)(a);
}

CD_TARGET void CD_WINO5_U_ENTRY(float *u, const float *wt, int g, int ci, int co, int m)
{
    (m == 4 ? c5_weights_m4 : c5_weights_m3)(u, wt, g, ci, co);
}
#endif

#undef C5_A2
#undef C5_A
#undef C5
#undef C5_CAT
#undef C5_CAT2
