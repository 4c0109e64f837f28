/* Gradient buffers shared by liveness (ps_net_set_outputs): for every model of the zoo, a
 * few SGD steps of a net that declared its outputs give the same bits — parameter gradients
 * after every step, final state, evaluation logits — as a net where every node keeps a
 * gradient buffer of its own, and its arena is smaller. Also bad node ids, a call after
 * ps_net_reserve, and ps_net_dout on an undeclared node (aborts). */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "pairsweep/models.h"

#define BATCH 8   /* reserved; the last step runs a smaller batch */
#define STEPS 4

/* One training run's inputs, the same for both nets. */
typedef struct run_data {
    float x[BATCH * 2 * 14 * 14];   /* (BATCH, 2, 14, 14) */
    int32_t t[BATCH], d[2 * BATCH]; /* target; digit classes (2·BATCH) */
    float extra[STEPS][2][16 * 2 * BATCH * 14 * 14]; /* gradients into extra nodes */
} run_data;

typedef struct twin {
    ps_net *net;
    ps_model_info info;
    int32_t target, digits;
    int32_t extra[2];   /* intermediate nodes the caller also writes a gradient into, or -1 */
} twin;

static int twin_build(twin *w, const ps_model_info *info, int32_t use_bn, int recycle,
                      const char *const *extra, ps_err *err)
{
    w->info = *info;
    int rc = ps_model_build(&w->net, info, use_bn, err);
    if (rc)
        return rc;
    w->target = ps_net_find(w->net, info->target);
    w->digits = info->digits ? ps_net_find(w->net, info->digits) : -1;
    int32_t outs[4], n = 0;
    if (info->loss != PS_LOSS_DIGITS)
        outs[n++] = w->target;
    if (info->loss != PS_LOSS_TARGET)
        outs[n++] = w->digits;
    for (int j = 0; j < 2; j++) {
        w->extra[j] = extra && extra[j] ? ps_net_find(w->net, extra[j]) : -1;
        if (w->extra[j] >= 0)
            outs[n++] = w->extra[j];
    }
    if (recycle)
        rc = ps_net_set_outputs(w->net, outs, n, err);
    if (!rc)
        rc = ps_net_reserve(w->net, BATCH, err);
    if (rc)
        ps_net_free(w->net);
    ps_rng rng;
    ps_rng_seed(&rng, 11, 5);
    if (!rc)
        ps_net_init(w->net, &rng);
    return rc;
}

/* One SGD step on the first n pairs (the losses of src/train, plus the extra gradients). */
static void twin_step(twin *w, const run_data *r, int32_t n, int s, ps_rng *drop)
{
    ps_net *net = w->net;
    ps_net_forward(net, r->x, n, 1, drop);
    ps_net_zero_grad(net);
    if (w->info.loss != PS_LOSS_DIGITS)
        ps_nn_softmax_ce(ps_net_dout(net, w->target), ps_net_out(net, w->target), r->t, n, 2,
                         1.0f, NULL);
    if (w->info.loss != PS_LOSS_TARGET)
        ps_nn_softmax_ce(ps_net_dout(net, w->digits), ps_net_out(net, w->digits), r->d, 2 * n,
                         10, 1.4f, NULL);
    for (int j = 0; j < 2; j++) {
        if (w->extra[j] < 0)
            continue;
        ps_nn_shape sh = ps_net_shape(net, w->extra[j]);
        size_t m = (size_t)sh.rows * n * sh.c * sh.h * sh.w;
        float *g = ps_net_dout(net, w->extra[j]);
        CHECK(m <= sizeof r->extra[s][j] / sizeof(float));
        for (size_t i = 0; i < m && m <= sizeof r->extra[s][j] / sizeof(float); i++)
            g[i] += r->extra[s][j][i];
    }
    ps_net_backward(net);
    ps_nn_sgd_step(ps_net_state(net), ps_net_grads(net), ps_net_momentum(net),
                   ps_net_n_params(net), 0.05f, 0.9f, 1e-3f, 0);
}

/* The inputs, labels and extra gradients of every run, filled (or NULL: out of memory). */
static run_data *run_data_new(void)
{
    run_data *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    ps_rng rng;
    ps_rng_seed(&rng, 29, 3);
    for (size_t i = 0; i < sizeof r->x / sizeof r->x[0]; i++)
        r->x[i] = ps_rng_uniform_range(&rng, -1, 2);
    for (int i = 0; i < BATCH; i++) {
        r->d[2 * i] = (int32_t)ps_rng_below(&rng, 10);
        r->d[2 * i + 1] = (int32_t)ps_rng_below(&rng, 10);
        r->t[i] = r->d[2 * i] <= r->d[2 * i + 1];
    }
    for (int s = 0; s < STEPS; s++)
        for (int j = 0; j < 2; j++)
            for (size_t i = 0; i < sizeof r->extra[s][j] / sizeof(float); i++)
                r->extra[s][j][i] = ps_rng_uniform_range(&rng, -0.01f, 0.01f);
    return r;
}

/* Trains both nets STEPS steps (the last on 5 pairs) and counts the differences: gradients
 * after each step, the state, the evaluation outputs. *bytes receives both arena sizes. */
static int compare_model(const ps_model_info *info, int32_t use_bn, const char *const *extra,
                         const run_data *r, size_t bytes[2])
{
    twin w[2];
    ps_err err;
    for (int v = 0; v < 2; v++)
        if (twin_build(&w[v], info, use_bn, v, extra, &err)) {
            fprintf(stderr, "  %s: %s\n", info->name, err.msg);
            if (v)
                ps_net_free(w[0].net);
            return -1;
        }
    size_t np = ps_net_n_params(w[0].net), ns = ps_net_n_state(w[0].net);
    int bad = 0;
    ps_rng drop[2];
    for (int v = 0; v < 2; v++)
        ps_rng_seed(&drop[v], 17, 2);
    for (int s = 0; s < STEPS; s++) {
        int32_t n = s == STEPS - 1 ? 5 : BATCH;
        for (int v = 0; v < 2; v++)
            twin_step(&w[v], r, n, s, &drop[v]);
        bad += memcmp(ps_net_grads(w[0].net), ps_net_grads(w[1].net), np * sizeof(float)) != 0;
    }
    bad += memcmp(ps_net_state(w[0].net), ps_net_state(w[1].net), ns * sizeof(float)) != 0;
    for (int v = 0; v < 2; v++)
        ps_net_forward(w[v].net, r->x, BATCH, 0, NULL);
    int32_t o = info->loss == PS_LOSS_DIGITS ? w[0].digits : w[0].target;
    size_t no = info->loss == PS_LOSS_DIGITS ? 2 * BATCH * 10 : BATCH * 2;
    bad += memcmp(ps_net_out(w[0].net, o), ps_net_out(w[1].net, o), no * sizeof(float)) != 0;
    if (bad)
        fprintf(stderr, "  %s (bn %d): %d differences\n", info->name, use_bn, bad);
    for (int v = 0; v < 2; v++) {
        bytes[v] = ps_net_arena_bytes(w[v].net);
        ps_net_free(w[v].net);
    }
    return bad;
}

static void test_same_bits_every_model(void)
{
    run_data *r = run_data_new();
    CHECK(r != NULL);
    if (!r)
        return;
    int32_t n = ps_models_count();
    for (int32_t i = 0; i < n; i++) {
        ps_model_info info;
        size_t bytes[2];
        CHECK(ps_model_get(&info, i) == 0);
        /* each model as built by default, and report 000's with BatchNorm switched */
        for (int b = 0; b < 1 + (info.optional_bn && !strcmp(info.report, "000")); b++) {
            int32_t use_bn = b ? !info.default_bn : -1;
            CHECK_EQ_INT(compare_model(&info, use_bn, NULL, r, bytes), 0);
            /* every zoo model has ≥ 2 gradient buffers never live together */
            if (bytes[1] >= bytes[0])
                fprintf(stderr, "  %s: arena %zu bytes recycled, %zu not\n", info.name,
                        bytes[1], bytes[0]);
            CHECK(bytes[1] < bytes[0]);
        }
    }
    free(r);
}

/* The caller also writes gradients into intermediate nodes: an ADD's by-reference input
 * (bn2, shortcut_bn: then ADD adds into their own buffers) and a node read by others. */
static void test_same_bits_extra_outputs(void)
{
    run_data *r = run_data_new();
    CHECK(r != NULL);
    if (!r)
        return;
    static const char *const sets[4][3] = {{"resnet_ws", "bn2", "conv1"},
                                           {"resnet_ws_aux", "shortcut_bn", "fc1"},
                                           {"resnet", "conv2", "shortcut_bn"},
                                           {"siamese", "bn1", "fc3"}};
    for (int k = 0; k < 4; k++) {
        ps_model_info info;
        ps_err err;
        size_t bytes[2];
        CHECK(ps_model_lookup(&info, sets[k][0], &err) == 0);
        CHECK_EQ_INT(compare_model(&info, -1, sets[k] + 1, r, bytes), 0);
        CHECK(bytes[1] < bytes[0]);
        /* BN off: resnet_ws's conv2 then feeds the ADD by reference */
        const char *const conv[2] = {"conv2", "shortcut"};
        if (!strcmp(sets[k][0], "resnet_ws"))
            CHECK_EQ_INT(compare_model(&info, 0, conv, r, bytes), 0);
    }
    free(r);
}

/* At the sweep's batch of 100, resnet_ws's gradients (as large as its activations, about
 * 18 MiB) mostly share space: the arena shrinks by more than a third. */
static void test_resnet_ws_arena(void)
{
    ps_model_info info;
    ps_err err;
    ps_net *net[2];
    CHECK(ps_model_lookup(&info, "resnet_ws", &err) == 0);
    for (int v = 0; v < 2; v++) {
        CHECK(ps_model_build(&net[v], &info, -1, &err) == 0);
        int32_t t = ps_net_find(net[v], "fc3");
        if (v)
            CHECK(ps_net_set_outputs(net[v], &t, 1, &err) == 0);
        CHECK(ps_net_reserve(net[v], 100, &err) == 0);
    }
    size_t a = ps_net_arena_bytes(net[0]), b = ps_net_arena_bytes(net[1]);
    fprintf(stderr, "  resnet_ws batch 100: arena %.1f MiB, recycled %.1f MiB\n",
            a / 1048576.0, b / 1048576.0);
    CHECK(a > 30u << 20);
    CHECK(b < a / 3 * 2);
    for (int v = 0; v < 2; v++)
        ps_net_free(net[v]);
}

static void test_set_outputs_errors(void)
{
    ps_model_info info;
    ps_err err;
    ps_net *net;
    CHECK(ps_model_lookup(&info, "cnn", &err) == 0);
    CHECK(ps_model_build(&net, &info, -1, &err) == 0);
    int32_t n = ps_net_n_nodes(net), bad[3] = {-1, n, 1000}, ok[2] = {0, n - 1};
    for (int i = 0; i < 3; i++) {
        int32_t ids[2] = {n - 1, bad[i]};
        CHECK_EQ_INT(ps_net_set_outputs(net, ids, 2, &err), PS_EINVAL);
        CHECK_STR_CONTAINS(err.msg, "output node");
    }
    CHECK_EQ_INT(ps_net_set_outputs(net, ok, 0, &err), PS_EINVAL);
    CHECK_EQ_INT(ps_net_set_outputs(net, NULL, 1, &err), PS_EINVAL);
    CHECK_EQ_INT(ps_net_arena_bytes(net), 0);
    /* nothing was declared: a plain net, where any node's gradient may be written */
    CHECK(ps_net_reserve(net, 2, &err) == 0);
    size_t plain = ps_net_arena_bytes(net);
    CHECK(plain > 0);
    CHECK_EQ_INT(ps_net_set_outputs(net, ok + 1, 1, &err), PS_ESTATE);
    CHECK_STR_CONTAINS(err.msg, "ps_net_reserve");
    ps_net_free(net);
    CHECK(ps_model_build(&net, &info, -1, &err) == 0);
    CHECK_EQ_INT(ps_net_set_outputs(net, ok + 1, 1, &err), 0);
    CHECK(ps_net_reserve(net, 2, &err) == 0);
    CHECK(ps_net_arena_bytes(net) < plain);
    ps_net_free(net);
}

/* ps_net_dout on a node the caller did not declare is a programming error: the process
 * aborts naming the node rather than write into a buffer another gradient uses. */
static void test_undeclared_dout_aborts(void)
{
    ps_model_info info;
    ps_err err;
    ps_net *net;
    CHECK(ps_model_lookup(&info, "cnn", &err) == 0);
    CHECK(ps_model_build(&net, &info, -1, &err) == 0);
    int32_t t = ps_net_find(net, "fc2"), other = ps_net_find(net, "fc1");
    CHECK(ps_net_set_outputs(net, &t, 1, &err) == 0);
    CHECK(ps_net_reserve(net, 2, &err) == 0);
    float x[2 * 2 * 14 * 14] = {0};
    ps_net_forward(net, x, 2, 1, NULL);
    ps_net_zero_grad(net);
    CHECK(ps_net_dout(net, t) != NULL); /* declared: fine */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0});
        ps_net_dout(net, other);
        _exit(0);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    ps_net_free(net);
}

CHECK_MAIN(T(test_same_bits_every_model), T(test_same_bits_extra_outputs),
           T(test_resnet_ws_arena), T(test_set_outputs_errors), T(test_undeclared_dout_aborts))
