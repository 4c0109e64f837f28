/* pairsweep — the one place that calls cblas_sgemm. */
#include <cblas.h>

#include "pairsweep/nn.h"

void ps_nn_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc)
{
    if (m <= 0 || n <= 0)
        return;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void ps_nn_blas_single_thread(void)
{
    /* One process (MPI rank) trains one task on one core; the ranks are the parallelism.
     * OpenBLAS threads would only compete with the other ranks for the same cores. */
    openblas_set_num_threads(1);
}
