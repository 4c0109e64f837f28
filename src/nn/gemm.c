/* pairsweep — the one place that calls cblas_sgemm. */
#define _GNU_SOURCE /* dladdr */
#include <cblas.h>
#include <dlfcn.h>
#include <string.h>

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

/* The file name of the shared object that defines fn, or NULL when it cannot be told. */
static const char *library_of(void (*fn)(void))
{
    Dl_info info;
    void *addr;
    memcpy(&addr, &fn, sizeof addr);  /* a function's address as data, for dladdr */
    if (!dladdr(addr, &info) || !info.dli_fname)
        return NULL;
    return info.dli_fname;
}

int ps_nn_blas_check(ps_err *err)
{
    const char *gemm = library_of((void (*)(void))cblas_sgemm);
    const char *ob = library_of((void (*)(void))openblas_set_num_threads);
    if (!gemm || !ob)
        return 0; /* cannot tell: assume the linker took OpenBLAS's */
    if (strcmp(gemm, ob))
        return ps_err_set(err, PS_ESTATE, "nn: cblas_sgemm comes from %s, not from OpenBLAS "
                          "(%s): fix the link order (a reference CBLAS such as GSL's "
                          "libgslcblas is ~10x slower)", gemm, ob);
    return 0;
}
