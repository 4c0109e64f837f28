/* PyTorch twin test, C side: for each model, writes into an HDF5 file (one group per model)
 *   state0/<state_dict name>   the initial state (PyTorch's default init from a seed)
 *   x (n,2,14,14), target (n), classes (n,2)
 *   logits0 (n,2), digits0 (n,2,10)  training-mode outputs before any step
 *   logits1 (n,2)                    training-mode outputs before the second step
 *   state2/<name>                    the state after two SGD steps (momentum, weight decay),
 *                                    running statistics included
 *   logits_eval (n,2)                evaluation-mode outputs of the final state
 * and attributes lr, momentum, weight_decay, nesterov (every other model), aux_weight, loss
 * ("target",
 * "target_aux", "digits"). tests/twin/twin.py rebuilds each model in PyTorch, loads state0 by
 * name and compares. The loss is the one src/train optimises: target CE, + w·(CE d1 + CE d2)
 * for aux models, CE d1 + CE d2 for siamese_v2.
 * usage: twin_dump OUT.h5 */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairsweep/models.h"
#include "pairsweep/nn.h"
#include "pairsweep/rng.h"

#define N 6
#define LR 0.05f
#define MOMENTUM 0.9f
#define WD 1e-3f
#define AUXW 0.75f

static const char *const models[] = {
    "cnn",         "siamese",     "siamese_aux",  "siamese_v2", "resnet", "resnet_ws",
    "resnet_ws_aux", "indep_A3_k5", "shared_A5_k3", "aux_A4_k3", "aux_A1_k5",
    "aux_A6_k5",     "indep_A4_k5",
};

typedef struct batch {
    float x[N * 2 * 196];
    int32_t target[N], classes[2 * N];
} batch;

static double loss_and_grad(ps_net *net, const ps_model_info *info, const batch *b)
{
    int32_t t = ps_net_find(net, info->target);
    int32_t d = info->digits ? ps_net_find(net, info->digits) : -1;
    ps_net_zero_grad(net);
    double l = 0.0;
    if (info->loss != PS_LOSS_DIGITS)
        l += ps_nn_softmax_ce(ps_net_dout(net, t), ps_net_out(net, t), b->target, N, 2, 1.0f,
                              NULL);
    if (info->loss != PS_LOSS_TARGET) {
        float k = info->loss == PS_LOSS_DIGITS ? 2.0f : 2.0f * AUXW;
        l += k * ps_nn_softmax_ce(ps_net_dout(net, d), ps_net_out(net, d), b->classes, 2 * N,
                                  10, k, NULL);
    }
    ps_net_backward(net);
    return l;
}

static int write_floats(hid_t g, const char *name, int rank, const hsize_t *dims,
                        const float *v)
{
    return H5LTmake_dataset_float(g, name, rank, dims, v) < 0 ? -1 : 0;
}

static int write_state(hid_t g, const char *group, const ps_net *net)
{
    hid_t s = H5Gcreate2(g, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (s < 0)
        return -1;
    const ps_nn_view *v = ps_net_views(net);
    const float *st = ps_net_state_const(net);
    int rc = 0;
    for (int32_t i = 0; i < ps_net_n_views(net) && !rc; i++) {
        hsize_t dims[4];
        for (int j = 0; j < v[i].ndim; j++)
            dims[j] = (hsize_t)v[i].shape[j];
        rc = write_floats(s, v[i].name, v[i].ndim, dims, st + v[i].offset);
    }
    H5Gclose(s);
    return rc;
}

static int dump_model(hid_t f, const char *name, uint64_t seed, int nesterov)
{
    ps_model_info info;
    ps_net *net;
    ps_err err;
    if (ps_model_lookup(&info, name, &err) || ps_model_build(&net, &info, -1, &err) ||
        ps_net_reserve(net, N, &err)) {
        fprintf(stderr, "twin_dump: %s\n", err.msg);
        return -1;
    }
    ps_rng rng;
    ps_rng_seed(&rng, seed, 1);
    ps_net_init(net, &rng);
    batch b;
    for (int i = 0; i < N * 2 * 196; i++)
        b.x[i] = ps_rng_uniform_range(&rng, -0.5f, 2.5f);
    for (int i = 0; i < N; i++) {
        b.classes[2 * i] = (int32_t)ps_rng_below(&rng, 10);
        b.classes[2 * i + 1] = (int32_t)ps_rng_below(&rng, 10);
        b.target[i] = b.classes[2 * i] <= b.classes[2 * i + 1];
    }
    hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = write_state(g, "state0", net);
    hsize_t dx[4] = {N, 2, 14, 14}, dt[1] = {N}, dc[2] = {N, 2}, dl[2] = {N, 2},
            dd[3] = {N, 2, 10};
    rc |= write_floats(g, "x", 4, dx, b.x);
    rc |= H5LTmake_dataset_int(g, "target", 1, dt, b.target) < 0;
    rc |= H5LTmake_dataset_int(g, "classes", 2, dc, b.classes) < 0;
    int32_t t = ps_net_find(net, info.target);
    for (int step = 0; step < 2; step++) {
        ps_net_forward(net, b.x, N, 1, NULL);
        rc |= write_floats(g, step ? "logits1" : "logits0", 2, dl, ps_net_out(net, t));
        if (!step && info.digits)
            rc |= write_floats(g, "digits0", 3, dd, ps_net_out(net, ps_net_find(net, info.digits)));
        loss_and_grad(net, &info, &b);
        ps_nn_sgd_step(ps_net_state(net), ps_net_grads(net), ps_net_momentum(net),
                       ps_net_n_params(net), LR, MOMENTUM, WD, nesterov);
    }
    rc |= write_state(g, "state2", net);
    ps_net_forward(net, b.x, N, 0, NULL);
    rc |= write_floats(g, "logits_eval", 2, dl, ps_net_out(net, t));
    float attrs[4] = {LR, MOMENTUM, WD, AUXW};
    const char *an[4] = {"lr", "momentum", "weight_decay", "aux_weight"};
    for (int i = 0; i < 4; i++)
        rc |= H5LTset_attribute_float(g, ".", an[i], &attrs[i], 1) < 0;
    const char *loss = info.loss == PS_LOSS_TARGET ? "target"
                       : info.loss == PS_LOSS_TARGET_AUX ? "target_aux" : "digits";
    rc |= H5LTset_attribute_string(g, ".", "loss", loss) < 0;
    rc |= H5LTset_attribute_int(g, ".", "nesterov", &nesterov, 1) < 0;
    H5Gclose(g);
    ps_net_free(net);
    return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: twin_dump OUT.h5\n");
        return 2;
    }
    hid_t f = H5Fcreate(argv[1], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        fprintf(stderr, "twin_dump: cannot create %s\n", argv[1]);
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        rc |= dump_model(f, models[i], 1000 + i, (int)(i % 2)); /* every other: Nesterov */
    H5Fclose(f);
    return rc ? 1 : 0;
}
