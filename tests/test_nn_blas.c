/* ps_nn_blas_check: with GSL's reference CBLAS linked before OpenBLAS, cblas_sgemm resolves to
 * libgslcblas (~10x slower); the check must say so and ps_net_reserve must refuse. The test
 * program is linked in that bad order on purpose. */
#include "check.h"
#include "pairsweep/nn.h"

static void test_bad_link_order_refused(void)
{
    ps_err err = {0, ""};
    CHECK(ps_nn_blas_check(&err) == PS_ESTATE);
    CHECK_STR_CONTAINS(err.msg, "gslcblas");
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_FLATTEN},
        {.kind = PS_L_LINEAR, .name = "fc", .out = 2},
    };
    ps_net *net;
    CHECK(ps_net_create(&net, s, 3, 2, 2, 2, 1, &err) == 0);
    CHECK(ps_net_reserve(net, 4, &err) == PS_ESTATE);
    ps_net_free(net);
}

CHECK_MAIN(T(test_bad_link_order_refused))
