/* Tests of the zoo: Table I parameter counts, the 002 family against an independent formula,
 * names, output shapes, BatchNorm on/off, FLOPs, the comparisons the reports draw. */
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
        /* not cut by its buffer: /models stores the whole of it */
        CHECK(strlen(info.arch) < sizeof info.arch - 1);
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

/* ---- complete models: the training loss's gradient against central differences -------------
 * L = target CE (+ w·(CE d1 + CE d2) for aux models; CE d1 + CE d2 only for siamese_v2), as
 * src/train computes it, on a batch of 3 random inputs in training mode (BatchNorm with batch
 * statistics). Step h = 1e-3; |a − f| ≤ 3e-2·|a| + 1e-2·max|a| + 2e-4 (max over the tensor;
 * float rounding of L ≈ 1 over 2h is ~3e-5). A coordinate whose ±h step crosses a ReLU or
 * max-pool kink (conv1 of cnn feeds 432 ReLUs per channel) gets a second chance with
 * h = 1e-4 and an absolute term of 1e-3 (rounding over 2h is then ~3e-4). 10 coordinates per
 * tensor. */

typedef struct mcheck {
    ps_net *net;
    ps_model_info info;
    int32_t target, digits;
    float x[3 * 2 * 14 * 14];
    int32_t t[3], d[6];
} mcheck;

static double model_loss(mcheck *m, int grad)
{
    ps_net_forward(m->net, m->x, 3, 1, NULL);
    if (grad)
        ps_net_zero_grad(m->net);
    double l = 0.0;
    float w = 0.7f;
    if (m->info.loss != PS_LOSS_DIGITS)
        l += ps_nn_softmax_ce(grad ? ps_net_dout(m->net, m->target) : NULL,
                              ps_net_out(m->net, m->target), m->t, 3, 2, 1.0f, NULL);
    if (m->info.loss != PS_LOSS_TARGET) {
        float k = m->info.loss == PS_LOSS_DIGITS ? 2.0f : 2.0f * w;
        l += k * ps_nn_softmax_ce(grad ? ps_net_dout(m->net, m->digits) : NULL,
                                  ps_net_out(m->net, m->digits), m->d, 6, 10, k, NULL);
    }
    if (grad)
        ps_net_backward(m->net);
    return l;
}

static double central(mcheck *m, float *p, float h)
{
    float keep = *p;
    *p = keep + h;
    double lp = model_loss(m, 0);
    *p = keep - h;
    double lm = model_loss(m, 0);
    *p = keep;
    return (lp - lm) / (2.0 * (double)h);
}

static int model_gradcheck(const char *name)
{
    mcheck m;
    ps_err err;
    ps_rng rng;
    if (ps_model_lookup(&m.info, name, &err) || ps_model_build(&m.net, &m.info, -1, &err) ||
        ps_net_reserve(m.net, 3, &err))
        return -1;
    m.target = ps_net_find(m.net, m.info.target);
    m.digits = m.info.digits ? ps_net_find(m.net, m.info.digits) : -1;
    ps_rng_seed(&rng, 3, 1);
    ps_net_init(m.net, &rng);
    for (size_t i = 0; i < sizeof m.x / sizeof m.x[0]; i++)
        m.x[i] = ps_rng_uniform_range(&rng, -1, 2);
    for (int i = 0; i < 3; i++) {
        m.d[2 * i] = (int32_t)ps_rng_below(&rng, 10);
        m.d[2 * i + 1] = (int32_t)ps_rng_below(&rng, 10);
        m.t[i] = m.d[2 * i] <= m.d[2 * i + 1];
    }
    model_loss(&m, 1);
    size_t np = ps_net_n_params(m.net);
    float *an = malloc(np * sizeof(float)), *st = ps_net_state(m.net);
    memcpy(an, ps_net_grads(m.net), np * sizeof(float));
    const ps_nn_view *v = ps_net_views(m.net);
    int bad = 0;
    for (int32_t j = 0; j < ps_net_n_views(m.net); j++) {
        if (!v[j].trainable)
            continue;
        double amax = 0.0;
        for (size_t i = 0; i < v[j].count; i++)
            amax = fmax(amax, fabs(an[v[j].offset + i]));
        size_t step = v[j].count > 10 ? v[j].count / 10 : 1;
        for (size_t i = 0; i < v[j].count; i += step) {
            float *p = st + v[j].offset + i;
            double a = an[v[j].offset + i];
            double f = central(&m, p, 1e-3f);
            int ok = fabs(a - f) <= 3e-2 * fabs(a) + 1e-2 * amax + 2e-4;
            if (!ok) { /* a kink crossed at h = 1e-3: a 10× smaller step must then agree */
                f = central(&m, p, 1e-4f);
                ok = fabs(a - f) <= 3e-2 * fabs(a) + 1e-2 * amax + 1e-3;
            }
            if (!ok) {
                if (bad < 3)
                    fprintf(stderr, "  %s %s[%zu]: analytic %.6g numeric %.6g\n", name,
                            v[j].name, i, a, f);
                bad++;
            }
        }
    }
    free(an);
    ps_net_free(m.net);
    return bad;
}

static void test_model_gradients(void)
{
    const char *names[] = {"cnn", "siamese", "siamese_aux", "siamese_v2", "resnet",
                           "resnet_ws_aux", "indep_A3_k3", "shared_A5_k5", "aux_A3_k5"};
    for (int i = 0; i < 9; i++)
        CHECK_EQ_INT(model_gradcheck(names[i]), 0);
}

/* Every comparison names two distinct models of the zoo; every family pairs each of its
 * b-structure's setups with an a-structure model of the same setup (12 setups each). */
static void test_comparisons(void)
{
    ps_model_info ia, ib;
    ps_err err;
    int32_t nc, nf;
    const ps_model_comparison *c = ps_models_comparisons(&nc);
    const ps_model_family *f = ps_models_families(&nf);
    CHECK_EQ_INT(nc, 4);
    CHECK_EQ_INT(nf, 2);
    for (int32_t i = 0; i < nc; i++) {
        CHECK(c[i].effect && c[i].what && strcmp(c[i].a, c[i].b));
        CHECK_EQ_INT(ps_model_lookup(&ia, c[i].a, &err), 0);
        CHECK_EQ_INT(ps_model_lookup(&ib, c[i].b, &err), 0);
    }
    for (int32_t i = 0; i < nf; i++) {
        int pairs = 0;
        CHECK(f[i].effect && f[i].what && strcmp(f[i].a_prefix, f[i].b_prefix));
        for (int32_t m = 0; m < ps_models_count(); m++) {
            ps_model_get(&ib, m);
            size_t lb = strlen(f[i].b_prefix);
            if (strncmp(ib.name, f[i].b_prefix, lb))
                continue;
            char a[64];
            snprintf(a, sizeof a, "%s%s", f[i].a_prefix, ib.name + lb);
            CHECK_EQ_INT(ps_model_lookup(&ia, a, &err), 0);
            pairs++;
        }
        CHECK_EQ_INT(pairs, 12);
    }
}

CHECK_MAIN(T(test_table1_counts), T(test_report002_counts), T(test_outputs_and_flops),
           T(test_model_gradients), T(test_comparisons))
