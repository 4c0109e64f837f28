/* Tests of the nn core's layers other than the convolution (test_nn_conv.c): gradients
 * against central finite differences (test_nn_gradcheck.h), ReLU fusion, forward values by
 * hand, parameter counts and names, losses, SGD and deterministic initialisation. */
#include <stdint.h>

#include "check.h"
#include "test_nn_gradcheck.h"
#include "pairsweep/nn.h"
#include "pairsweep/rng.h"

static void test_grad_bn2d(void)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "c1", .out = 3, .k = 3, .pad = 1},
        {.kind = PS_L_BN, .name = "bn"},
    };
    CHECK_EQ_INT(gradcheck(s, SPEC_N(s), 2, 4, 4, 3, "bn", NULL), 0);
}

static void test_grad_bn1d(void)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_FLATTEN},
        {.kind = PS_L_LINEAR, .name = "fc", .out = 5},
        {.kind = PS_L_BN, .name = "bn"},
    };
    CHECK_EQ_INT(gradcheck(s, SPEC_N(s), 2, 3, 3, 6, "bn", NULL), 0);
}

static void test_grad_relu_pool_flatten_linear(void)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "c1", .out = 3, .k = 3, .pad = 1},
        {.kind = PS_L_RELU},
        {.kind = PS_L_MAXPOOL},
        {.kind = PS_L_FLATTEN},
        {.kind = PS_L_LINEAR, .name = "fc", .out = 4},
    };
    CHECK_EQ_INT(gradcheck(s, SPEC_N(s), 2, 5, 5, 3, "fc", NULL), 0);
}

static void test_grad_split_merge_two_heads(void)
{
    /* Siamese: a shared branch on both digits, merged rows, plus an auxiliary head. */
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL, .split = 1},
        {.kind = PS_L_CONV, .name = "c1", .out = 3, .k = 3},
        {.kind = PS_L_BN, .name = "bn1"},
        {.kind = PS_L_RELU},
        {.kind = PS_L_FLATTEN, .name = "feat"},
        {.kind = PS_L_LINEAR, .name = "aux", .out = 4},
        {.kind = PS_L_MERGE, .from = "feat"},
        {.kind = PS_L_LINEAR, .name = "fc", .out = 2},
    };
    CHECK_EQ_INT(gradcheck(s, SPEC_N(s), 2, 5, 5, 4, "fc", "aux"), 0);
}

static void test_grad_residual_add(void)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL, .name = "x"},
        {.kind = PS_L_CONV, .name = "conv1", .out = 4, .k = 3, .pad = 1},
        {.kind = PS_L_RELU},
        {.kind = PS_L_CONV, .name = "conv2", .out = 4, .k = 3, .pad = 1},
        {.kind = PS_L_BN, .name = "bn2", .optional = 1},
        {.kind = PS_L_CONV, .name = "sc", .from = "x", .out = 4, .k = 1},
        {.kind = PS_L_BN, .name = "sc_bn"},
        {.kind = PS_L_ADD, .from = "bn2", .from2 = "sc_bn"},
        {.kind = PS_L_RELU, .name = "out"},
    };
    CHECK_EQ_INT(gradcheck(s, SPEC_N(s), 2, 4, 4, 3, "out", NULL), 0);
    /* a loss on an input of the ADD too: the ADD adds into sc_bn's own gradient buffer
     * instead of passing its gradient by reference */
    CHECK_EQ_INT(gradcheck(s, SPEC_N(s), 2, 4, 4, 3, "out", "sc_bn"), 0);
}

static void test_grad_concat_dropout(void)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_FLATTEN, .name = "f"},
        {.kind = PS_L_LINEAR, .name = "a", .out = 3},
        {.kind = PS_L_LINEAR, .name = "b", .from = "f", .out = 2},
        {.kind = PS_L_CONCAT, .from = "a", .from2 = "b"},
        {.kind = PS_L_DROPOUT, .name = "drop", .p = 0.3f},
        {.kind = PS_L_LINEAR, .name = "out", .out = 3},
    };
    CHECK_EQ_INT(gradcheck(s, SPEC_N(s), 2, 2, 3, 5, "out", NULL), 0);
}

/* A RELU fused into the CONV, BN or ADD before it (nn.h) gives the same bits as the RELU kept
 * as a node of its own (nofuse): outputs, parameter gradients and the input gradient, in
 * training and evaluation mode. Fused paths: conv (chunked and 1×1), BN 2d and 1d, add. */
static void test_fused_relu_equals_unfused(void)
{
    ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL, .name = "x"},
        {.kind = PS_L_CONV, .name = "conv1", .out = 4, .k = 3, .pad = 1},
        {.kind = PS_L_RELU},
        {.kind = PS_L_CONV, .name = "conv2", .out = 4, .k = 3, .pad = 1},
        {.kind = PS_L_BN, .name = "bn2"},
        {.kind = PS_L_RELU},
        {.kind = PS_L_CONV, .name = "conv3", .out = 4, .k = 3, .pad = 1},
        {.kind = PS_L_CONV, .name = "sc", .from = "x", .out = 4, .k = 1},
        {.kind = PS_L_RELU},
        {.kind = PS_L_ADD, .from = "conv3", .from2 = "sc"},
        {.kind = PS_L_RELU},
        {.kind = PS_L_MAXPOOL},
        {.kind = PS_L_FLATTEN},
        {.kind = PS_L_LINEAR, .name = "fc1", .out = 6},
        {.kind = PS_L_BN, .name = "bn3"},
        {.kind = PS_L_RELU},
        {.kind = PS_L_LINEAR, .name = "out", .out = 3},
    };
    int32_t ns = SPEC_N(s), n = 5, c = 2, h = 6, w = 6;
    ps_net *net[2];
    ps_err err;
    float x[5 * 2 * 6 * 6];
    ps_rng rng;
    ps_rng_seed(&rng, 77, 0);
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = ps_rng_uniform_range(&rng, -1.5f, 1.5f);
    for (int v = 0; v < 2; v++) {
        for (int32_t i = 0; i < ns; i++)
            s[i].nofuse = v;
        CHECK(ps_net_create(&net[v], s, ns, c, h, w, 1, &err) == 0);
        CHECK(ps_net_reserve(net[v], n, &err) == 0);
        ps_rng_seed(&rng, 78, 0);
        ps_net_init(net[v], &rng);
        ps_net_want_input_grad(net[v], 1);
        ps_net_forward(net[v], x, n, 1, NULL);
        ps_net_zero_grad(net[v]);
        float *dy = ps_net_dout(net[v], ps_net_find(net[v], "out"));
        ps_rng_seed(&rng, 79, 0);
        for (int32_t i = 0; i < n * 3; i++)
            dy[i] = ps_rng_uniform_range(&rng, -1.0f, 1.0f);
        ps_net_backward(net[v]);
    }
    CHECK(ps_net_n_nodes(net[0]) == ps_net_n_nodes(net[1]));
    /* fused: the RELU after conv1 (node 2) shares conv1's output; unfused: its own */
    CHECK(ps_net_out(net[0], 1) == ps_net_out(net[0], 2));
    CHECK(ps_net_out(net[1], 1) != ps_net_out(net[1], 2));
    int32_t o0 = ps_net_find(net[0], "out"), o1 = ps_net_find(net[1], "out");
    size_t np = ps_net_n_params(net[0]);
    CHECK(!memcmp(ps_net_out(net[0], o0), ps_net_out(net[1], o1), (size_t)n * 3 * sizeof(float)));
    CHECK(!memcmp(ps_net_grads(net[0]), ps_net_grads(net[1]), np * sizeof(float)));
    CHECK(!memcmp(ps_net_dinput(net[0]), ps_net_dinput(net[1]), sizeof x));
    int nz = 0;   /* the checks are not vacuous: gradients reach the first conv */
    for (size_t i = 0; i < 4 * 18; i++)
        nz += ps_net_grads(net[0])[i] != 0.0f;
    CHECK(nz > 36);
    for (int v = 0; v < 2; v++)
        ps_net_forward(net[v], x, n, 0, NULL);
    CHECK(!memcmp(ps_net_out(net[0], o0), ps_net_out(net[1], o1), (size_t)n * 3 * sizeof(float)));
    ps_net_free(net[0]);
    ps_net_free(net[1]);
}

static void test_grad_pool_odd_accumulate(void)
{
    /* Backward runs the flatten of c1 first, then the pool adds into c1's gradient (its
     * window positions, never the odd row and column it leaves out). */
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "c1", .out = 3, .k = 3, .pad = 1},
        {.kind = PS_L_MAXPOOL, .name = "p"},
        {.kind = PS_L_FLATTEN, .from = "c1"},
        {.kind = PS_L_LINEAR, .name = "f", .out = 2},
    };
    CHECK_EQ_INT(gradcheck(s, SPEC_N(s), 2, 5, 7, 3, "p", "f"), 0);
    /* evaluation mode pools the same values (without keeping the maxima's positions) */
    ps_net *net;
    ps_err err;
    CHECK(ps_net_create(&net, s, SPEC_N(s), 2, 5, 7, 1, &err) == 0);
    CHECK(ps_net_reserve(net, 3, &err) == 0);
    ps_rng rng;
    ps_rng_seed(&rng, 3, 0);
    ps_net_init(net, &rng);
    float x[3 * 2 * 5 * 7], keep[3 * 3 * 2 * 3];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = ps_rng_uniform_range(&rng, -1, 1);
    int32_t p = ps_net_find(net, "p");
    ps_net_forward(net, x, 3, 1, NULL);
    memcpy(keep, ps_net_out(net, p), sizeof keep);
    ps_net_forward(net, x, 3, 0, NULL);
    CHECK(!memcmp(keep, ps_net_out(net, p), sizeof keep));
    ps_net_free(net);
}

static void test_grad_fused_relus(void)
{
    /* the fused paths under finite differences: conv+ReLU (1×1 too), BN 1d+ReLU, add+ReLU */
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL, .name = "x"},
        {.kind = PS_L_CONV, .name = "c1", .out = 3, .k = 3, .pad = 1},
        {.kind = PS_L_RELU},
        {.kind = PS_L_CONV, .name = "sc", .from = "x", .out = 3, .k = 1},
        {.kind = PS_L_RELU},
        {.kind = PS_L_ADD, .from = "c1", .from2 = "sc"},
        {.kind = PS_L_RELU},
        {.kind = PS_L_FLATTEN},
        {.kind = PS_L_LINEAR, .name = "fc", .out = 4},
        {.kind = PS_L_BN, .name = "bn"},
        {.kind = PS_L_RELU, .name = "out"},
    };
    CHECK_EQ_INT(gradcheck(s, SPEC_N(s), 2, 4, 4, 5, "out", NULL), 0);
}

static void test_bn_pool_forward_hand(void)
{
    /* One channel, batch 2 of 2×2 images: values 1..8; mean 4.5, biased var 5.25. */
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_BN, .name = "bn"},
        {.kind = PS_L_MAXPOOL, .name = "pool"},
    };
    ps_net *net;
    ps_err err;
    CHECK(ps_net_create(&net, s, 3, 1, 2, 2, 1, &err) == 0);
    CHECK(ps_net_reserve(net, 2, &err) == 0);
    ps_rng rng;
    ps_rng_seed(&rng, 5, 0);
    ps_net_init(net, &rng);
    float x[8] = {1, 4, 3, 2, 5, 6, 8, 7};
    ps_net_forward(net, x, 2, 1, NULL);
    const float *y = ps_net_out(net, 1);
    double is = 1.0 / sqrt(5.25 + 1e-5);
    for (int i = 0; i < 8; i++)
        CHECK_NEAR(y[i], (x[i] - 4.5) * is, 1e-6);
    const float *p = ps_net_out(net, 2);
    CHECK_NEAR(p[0], (4 - 4.5) * is, 1e-6);
    CHECK_NEAR(p[1], (8 - 4.5) * is, 1e-6);
    const float *st = ps_net_state(net);
    CHECK_NEAR(st[2], 0.1 * 4.5, 1e-6);                  /* running_mean */
    CHECK_NEAR(st[3], 0.9 + 0.1 * (5.25 * 8 / 7), 1e-6); /* running_var, unbiased */
    ps_net_forward(net, x, 2, 0, NULL);                  /* eval: running statistics */
    CHECK_NEAR(y[0], (1 - st[2]) / sqrt(st[3] + 1e-5), 1e-5);
    ps_net_free(net);
}

static void test_linear_forward_hand(void)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_FLATTEN},
        {.kind = PS_L_LINEAR, .name = "fc", .out = 2},
    };
    ps_net *net;
    ps_err err;
    CHECK(ps_net_create(&net, s, 3, 2, 1, 2, 1, &err) == 0);
    CHECK(ps_net_reserve(net, 1, &err) == 0);
    float *st = ps_net_state(net);
    float w[8] = {1, 2, 3, 4, -1, 0, 0.5f, 2}, b[2] = {0.25f, -1};
    memcpy(st, w, sizeof w);
    memcpy(st + 8, b, sizeof b);
    float x[4] = {1, -1, 2, 0.5f}; /* (1, 2, 1, 2) → flat (c, h, w) order: 1, -1, 2, 0.5 */
    ps_net_forward(net, x, 1, 1, NULL);
    const float *y = ps_net_out(net, 2);
    CHECK_NEAR(y[0], 1 - 2 + 6 + 2 + 0.25, 1e-6);
    CHECK_NEAR(y[1], -1 + 0 + 1 + 1 - 1, 1e-6);
    ps_net_free(net);
}

static void test_param_count_and_names(void)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "conv1", .out = 32, .k = 3},
        {.kind = PS_L_BN, .name = "bn1", .optional = 1},
        {.kind = PS_L_FLATTEN},
        {.kind = PS_L_LINEAR, .name = "fc1", .out = 2},
    };
    ps_net *net;
    ps_err err;
    CHECK(ps_net_create(&net, s, 5, 2, 14, 14, 1, &err) == 0);
    CHECK_EQ_INT(ps_net_n_params(net), 32 * 18 + 32 + 64 + 32 * 144 * 2 + 2);
    CHECK_EQ_INT(ps_net_n_state(net), ps_net_n_params(net) + 64);
    const ps_nn_view *v = ps_net_views(net);
    CHECK(!strcmp(v[0].name, "conv1.weight") && v[0].ndim == 4 && v[0].shape[0] == 32 &&
          v[0].shape[1] == 2 && v[0].shape[2] == 3);
    CHECK(!strcmp(v[6].name, "bn1.running_mean") && !v[6].trainable);
    ps_net_free(net);
    CHECK(ps_net_create(&net, s, 5, 2, 14, 14, 0, &err) == 0); /* BN off */
    CHECK_EQ_INT(ps_net_n_params(net), 32 * 18 + 32 + 32 * 144 * 2 + 2);
    ps_net_free(net);
    static const ps_layer_spec bad[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_LINEAR, .name = "fc1", .out = 2},
    };
    CHECK(ps_net_create(&net, bad, 2, 2, 14, 14, 1, &err) == PS_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "fc1");
    CHECK(net == NULL);
}

static void test_softmax_ce(void)
{
    float z[4] = {0.0f, logf(3.0f), 1000.0f, 1000.0f}; /* second row: huge but stable */
    int32_t lab[2] = {1, 0}, right;
    float g[4] = {0};
    double l = ps_nn_softmax_ce(g, z, lab, 2, 2, 1.0f, &right);
    CHECK_NEAR(l, (-log(0.75) + log(2.0)) / 2, 1e-6);
    CHECK_EQ_INT(right, 2); /* a tie takes the first maximum: label 0 */
    CHECK_NEAR(g[0], 0.25 / 2, 1e-6);
    CHECK_NEAR(g[1], -0.25 / 2, 1e-6);
    CHECK_NEAR(g[2], -0.5 / 2, 1e-6);
    /* finite differences of the mean loss with scale 0.5 */
    float z2[6] = {0.3f, -1.2f, 2.0f, 0.1f, 0.0f, -0.4f}, g2[6] = {0};
    int32_t lab2[2] = {2, 1};
    ps_nn_softmax_ce(g2, z2, lab2, 2, 3, 0.5f, NULL);
    for (int i = 0; i < 6; i++) {
        float keep = z2[i];
        z2[i] = keep + 1e-3f;
        double lp = ps_nn_softmax_ce(NULL, z2, lab2, 2, 3, 0, NULL);
        z2[i] = keep - 1e-3f;
        double lm = ps_nn_softmax_ce(NULL, z2, lab2, 2, 3, 0, NULL);
        z2[i] = keep;
        CHECK_NEAR(g2[i], 0.5 * (lp - lm) / 2e-3, 1e-4);
    }
}

static void test_sgd_torch_formula(void)
{
    /* Two steps by hand: g=grad+wd·p; buf=m·buf+g; nesterov g+m·buf; p -= lr·(...). */
    float p[1] = {1.0f}, g[1] = {0.5f}, buf[1] = {0};
    ps_nn_sgd_step(p, g, buf, 1, 0.1f, 0.9f, 0.01f, 0);
    double b1 = 0.5 + 0.01, p1 = 1.0 - 0.1 * b1;
    CHECK_NEAR(p[0], p1, 1e-7);
    ps_nn_sgd_step(p, g, buf, 1, 0.1f, 0.9f, 0.01f, 0);
    double b2 = 0.9 * b1 + 0.5 + 0.01 * p1;
    CHECK_NEAR(p[0], p1 - 0.1 * b2, 1e-6);
    float q[1] = {1.0f}, bq[1] = {0};
    ps_nn_sgd_step(q, g, bq, 1, 0.1f, 0.9f, 0.0f, 1);
    CHECK_NEAR(q[0], 1.0 - 0.1 * (0.5 + 0.9 * 0.5), 1e-7);
    float r[1] = {1.0f};
    ps_nn_sgd_step(r, g, NULL, 1, 0.1f, 0.0f, 0.0f, 0);
    CHECK_NEAR(r[0], 0.95, 1e-7);
}

static void test_init_deterministic(void)
{
    static const ps_layer_spec s[] = {
        {.kind = PS_L_SPATIAL},
        {.kind = PS_L_CONV, .name = "c", .out = 8, .k = 3},
        {.kind = PS_L_FLATTEN},
        {.kind = PS_L_LINEAR, .name = "fc", .out = 2},
    };
    ps_net *a, *b;
    ps_err err;
    CHECK(ps_net_create(&a, s, 4, 2, 6, 6, 1, &err) == 0);
    CHECK(ps_net_create(&b, s, 4, 2, 6, 6, 1, &err) == 0);
    ps_rng r1, r2;
    ps_rng_seed(&r1, 42, 0);
    ps_rng_seed(&r2, 42, 0);
    ps_net_init(a, &r1);
    ps_net_init(b, &r2);
    CHECK(!memcmp(ps_net_state(a), ps_net_state(b), ps_net_n_state(a) * sizeof(float)));
    /* kaiming_uniform(a=√5): |w| ≤ 1/√fan_in, fan_in = 2·3·3 = 18 for the conv */
    const float *st = ps_net_state(a);
    float mx = 0;
    for (int i = 0; i < 8 * 18; i++)
        mx = fabsf(st[i]) > mx ? fabsf(st[i]) : mx;
    CHECK(mx <= 1.0f / sqrtf(18.0f) && mx > 0.8f / sqrtf(18.0f));
    ps_rng_seed(&r2, 43, 0);
    ps_net_init(b, &r2);
    CHECK(memcmp(ps_net_state(a), ps_net_state(b), ps_net_n_state(a) * sizeof(float)));
    ps_net_free(a);
    ps_net_free(b);
}

CHECK_MAIN(T(test_bn_pool_forward_hand), T(test_linear_forward_hand),
           T(test_param_count_and_names), T(test_softmax_ce), T(test_sgd_torch_formula),
           T(test_init_deterministic), T(test_grad_bn2d), T(test_grad_bn1d),
           T(test_grad_relu_pool_flatten_linear), T(test_grad_split_merge_two_heads),
           T(test_grad_residual_add), T(test_grad_concat_dropout),
           T(test_fused_relu_equals_unfused), T(test_grad_fused_relus),
           T(test_grad_pool_odd_accumulate))
