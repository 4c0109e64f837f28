/* Tests of the zoo: Table I parameter counts, the 002 family against an independent formula,
 * names, output shapes, BatchNorm on/off, FLOPs. */
#include "check.h"
#include "pairsweep/models.h"

static size_t count_of(const char *name, int32_t use_bn)
{
    ps_model_info info;
    ps_err err;
    ps_net *net;
    if (ps_model_lookup(&info, name, &err) || ps_model_build(&net, &info, use_bn, &err)) {
        fprintf(stderr, "  %s: %s\n", name, err.msg);
        return 0;
    }
    size_t n = ps_net_n_params(net);
    ps_net_free(net);
    return n;
}

static void test_table1_counts(void)
{
    /* Report 000, Table I (with BatchNorm, as the table lists them). */
    CHECK_EQ_INT(count_of("cnn", 1), 59373);
    CHECK_EQ_INT(count_of("siamese", 1), 46033);
    CHECK_EQ_INT(count_of("siamese_aux", -1), 45937); /* default: no BN */
    CHECK_EQ_INT(count_of("siamese_v2", 1), 46033);
    CHECK_EQ_INT(count_of("resnet", 1), 65666);
    CHECK_EQ_INT(count_of("resnet_ws", 1), 66260);
    CHECK_EQ_INT(count_of("resnet_ws_aux", 1), 66260);
    /* defaults */
    CHECK_EQ_INT(count_of("cnn", -1), 59373);
    CHECK_EQ_INT(count_of("siamese", -1), 46033);
    CHECK_EQ_INT(count_of("resnet_ws_aux", -1), 66260);
    /* BN off removes 2·channels per optional BN layer; resnet's shortcut BN stays. */
    CHECK_EQ_INT(count_of("cnn", 0), 59373 - 2 * (32 + 64));
    CHECK_EQ_INT(count_of("siamese", 0), 45937);
    CHECK_EQ_INT(count_of("siamese_aux", 1), 46033);
    CHECK_EQ_INT(count_of("resnet", 0), 65666);
    CHECK_EQ_INT(count_of("resnet_ws", 0), 66260 - 2 * (16 + 16));
}

/* Independent count for report 002: conv layers c_{l-1}·k²·c_l + c_l (×2 for two independent
 * stacks), "same" padding and 2×2 pooling halve the side (floor) per layer, F = c_L·s², the
 * head 2F·2 + 2, the aux head F·10 + 10. */
static size_t formula002(int structure, const int *ch, int n, int k)
{
    size_t p = 0;
    int in = 1, side = 14;
    for (int l = 0; l < n; l++) {
        p += (size_t)in * k * k * ch[l] + ch[l];
        in = ch[l];
        side /= 2;
    }
    if (structure == 0)
        p *= 2;
    size_t f = (size_t)in * side * side;
    p += 2 * f * 2 + 2;
    if (structure == 2)
        p += f * 10 + 10;
    return p;
}

static void test_report002_counts(void)
{
    static const char *st[] = {"indep", "shared", "aux"};
    static const int plans[6][3] = {{16}, {32}, {16, 32}, {32, 64}, {16, 32, 64}, {32, 64, 128}};
    static const int nl[6] = {1, 1, 2, 2, 3, 3};
    int seen = 0;
    for (int s = 0; s < 3; s++)
        for (int a = 0; a < 6; a++)
            for (int k = 3; k <= 5; k += 2) {
                char name[48];
                snprintf(name, sizeof name, "%s_A%d_k%d", st[s], a + 1, k);
                CHECK_EQ_INT(count_of(name, -1), formula002(s, plans[a], nl[a], k));
                seen++;
            }
    CHECK_EQ_INT(seen, 36);
    /* a concrete one by hand: shared_A1_k3 = conv 1→16 (160) + linear 2·16·49 → 2 (3138) */
    CHECK_EQ_INT(count_of("shared_A1_k3", -1), 160 + 3138);
    CHECK_EQ_INT(ps_models_count(), 7 + 36);
}

static void test_outputs_and_flops(void)
{
    for (int32_t i = 0; i < ps_models_count(); i++) {
        ps_model_info info;
        ps_err err;
        ps_net *net;
        CHECK(ps_model_get(&info, i) == 0);
        CHECK(ps_model_build(&net, &info, -1, &err) == 0);
        ps_nn_shape t = ps_net_shape(net, ps_net_find(net, info.target));
        CHECK(!t.spatial && t.rows == 1 && t.c == 2);
        if (info.digits) {
            ps_nn_shape d = ps_net_shape(net, ps_net_find(net, info.digits));
            CHECK(!d.spatial && d.rows == 2 && d.c == 10);
        }
        CHECK(info.loss != PS_LOSS_TARGET || !info.digits || strcmp(info.report, "002"));
        CHECK(ps_net_flops_train(net) > 2 * ps_net_flops_forward(net));
        CHECK(strlen(info.arch) > 20);
        ps_net_free(net);
    }
    /* cnn: 2·(32·18·144 + 64·288·100 + 1600·25 + 25·2) forward FLOPs per sample */
    ps_model_info info;
    ps_net *net;
    ps_err err;
    CHECK(ps_model_lookup(&info, "cnn", &err) == 0 && ps_model_build(&net, &info, 1, &err) == 0);
    double fwd = 2.0 * (32 * 18 * 144 + 64 * 288 * 100 + 1600 * 25 + 25 * 2);
    CHECK_NEAR(ps_net_flops_forward(net), fwd, 0.5);
    CHECK_NEAR(ps_net_flops_train(net), 3 * fwd - 2.0 * 32 * 18 * 144, 0.5);
    ps_net_free(net);
    CHECK(ps_model_lookup(&info, "nope", &err) == PS_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "nope");
}

CHECK_MAIN(T(test_table1_counts), T(test_report002_counts), T(test_outputs_and_flops))
