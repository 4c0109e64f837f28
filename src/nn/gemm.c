/* pairsweep — the one place that calls cblas_sgemm. The BLAS is CMake's choice (OpenBLAS
 * unless -DBLA_VENDOR says otherwise): ps_blas_config.h includes its CBLAS header and names
 * its thread-count function, if it has one (cmake/blas.cmake). */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <string.h>

#include "ps_blas_config.h"
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
     * BLAS threads would only compete with the other ranks for the same cores. A BLAS without
     * such a function is left to its environment variables (BLIS_NUM_THREADS and the like). */
#ifdef PS_BLAS_THREADS_FN
    PS_BLAS_THREADS_FN(1);
#endif
}

#if PS_BLAS_GUARD
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
#endif

int ps_nn_blas_check(ps_err *err)
{
#if PS_BLAS_GUARD
    const char *gemm = library_of((void (*)(void))cblas_sgemm);
    const char *own = library_of((void (*)(void))PS_BLAS_THREADS_FN);
    if (!gemm || !own)
        return 0; /* cannot tell: assume the linker took the chosen BLAS's */
    if (strcmp(gemm, own))
        return ps_err_set(err, PS_ESTATE, "nn: cblas_sgemm comes from %s, not from the BLAS "
                          "pairsweep was built with (%s, %s): fix the link order (a reference "
                          "CBLAS such as GSL's libgslcblas is ~10x slower)", gemm, PS_BLAS_VENDOR,
                          own);
#else
    (void)err; /* no function of the BLAS's own to compare with: cannot tell */
#endif
    return 0;
}
