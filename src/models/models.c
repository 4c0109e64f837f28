/* pairsweep — the zoo. Report 000's models are layer tables (Table I counts with BatchNorm
 * on: cnn 59373, siamese 46033, siamese_aux 45937, siamese_v2 46033, resnet 65666, resnet_ws
 * 66260, resnet_ws_aux 66260); report 002's 36 models come from one family table. */
#include <stdio.h>
#include <string.h>

#include "pairsweep/models.h"

#define N_OF(a) ((int32_t)(sizeof(a) / sizeof(a[0])))

/* ---- report 000: tables ---------------------------------------------------------------- */

#define SPATIAL(nm, sp) {.kind = PS_L_SPATIAL, .name = nm, .split = sp}
#define CONV(nm, o, kk, pd) {.kind = PS_L_CONV, .name = nm, .out = o, .k = kk, .pad = pd}
#define CONV_FROM(nm, src, o, kk, pd) \
    {.kind = PS_L_CONV, .name = nm, .from = src, .out = o, .k = kk, .pad = pd}
#define BN_OPT(nm) {.kind = PS_L_BN, .name = nm, .optional = 1}
#define BN(nm) {.kind = PS_L_BN, .name = nm}
#define RELU {.kind = PS_L_RELU}
#define POOL {.kind = PS_L_MAXPOOL}
#define FLAT {.kind = PS_L_FLATTEN}
#define LIN(nm, o) {.kind = PS_L_LINEAR, .name = nm, .out = o}
#define MERGE {.kind = PS_L_MERGE}
#define ADD(a, b) {.kind = PS_L_ADD, .from = a, .from2 = b}

/* (32, 64, 25, BN): two unpadded 3×3 convolutions, each ReLU then BN; max-pool; two linear. */
static const ps_layer_spec cnn_specs[] = {
    SPATIAL("x", 0),
    CONV("conv1", 32, 3, 0), RELU, BN_OPT("bn1"),
    CONV("conv2", 64, 3, 0), RELU, BN_OPT("bn2"),
    POOL, FLAT,
    LIN("fc1", 25), RELU,
    LIN("fc2", 2),
};

/* (16, 32, 50, 25, BN): one branch for both digits (rows 2i, 2i+1), digit logits fc2,
 * then the two 10-vectors → 25 → 2. */
static const ps_layer_spec siamese_specs[] = {
    SPATIAL("x", 1),
    CONV("conv1", 16, 3, 0), RELU, BN_OPT("bn1"),
    CONV("conv2", 32, 3, 0), RELU, BN_OPT("bn2"),
    POOL, FLAT,
    LIN("fc1", 50), RELU,
    LIN("fc2", 10),
    MERGE,
    LIN("fc3", 25), RELU,
    LIN("fc4", 2),
};

/* (16, 16, 80): conv → ReLU → conv, plus a 1×1 conv + BN shortcut; add, ReLU, max-pool. */
static const ps_layer_spec resnet_specs[] = {
    SPATIAL("x", 0),
    CONV("conv1", 16, 3, 1), RELU,
    CONV("conv2", 16, 3, 1),
    CONV_FROM("shortcut", "x", 16, 1, 0), BN("shortcut_bn"),
    ADD("conv2", "shortcut_bn"), RELU,
    POOL, FLAT,
    LIN("fc1", 80), RELU,
    LIN("fc2", 2),
};

/* Weight-shared residual branch per digit (conv-BN-ReLU-conv-BN + 1×1 conv-BN shortcut),
 * digit logits fc2, then 20 → 2. */
static const ps_layer_spec resnet_ws_specs[] = {
    SPATIAL("x", 1),
    CONV("conv1", 16, 3, 1), BN_OPT("bn1"), RELU,
    CONV("conv2", 16, 3, 1), BN_OPT("bn2"),
    CONV_FROM("shortcut", "x", 16, 1, 0), BN("shortcut_bn"),
    ADD("bn2", "shortcut_bn"), RELU,
    POOL, FLAT,
    LIN("fc1", 80), RELU,
    LIN("fc2", 10),
    MERGE,
    LIN("fc3", 2),
};

typedef struct table_model {
    const char *name;
    const char *arch;
    const ps_layer_spec *specs;
    int32_t n_specs;
    ps_loss_kind loss;
    int32_t default_bn, optional_bn;
    const char *target, *digits;
} table_model;

static const table_model report000[] = {
    {"cnn", "conv 2>32 k3, ReLU, BN; conv 32>64 k3, ReLU, BN; maxpool 2; linear 1600>25, ReLU; "
            "linear 25>2",
     cnn_specs, N_OF(cnn_specs), PS_LOSS_TARGET, 1, 1, "fc2", NULL},
    {"siamese", "shared branch per digit: conv 1>16 k3, ReLU, BN; conv 16>32 k3, ReLU, BN; "
                "maxpool 2; linear 800>50, ReLU; linear 50>10; concat 20 > linear 25, ReLU > "
                "linear 2; target loss",
     siamese_specs, N_OF(siamese_specs), PS_LOSS_TARGET, 1, 1, "fc4", "fc2"},
    {"siamese_aux", "siamese without BN; loss target CE + w (CE digit 1 + CE digit 2)",
     siamese_specs, N_OF(siamese_specs), PS_LOSS_TARGET_AUX, 0, 1, "fc4", "fc2"},
    {"siamese_v2", "siamese trained on CE digit 1 + CE digit 2 only; predicts "
                   "argmax(d1) <= argmax(d2)",
     siamese_specs, N_OF(siamese_specs), PS_LOSS_DIGITS, 1, 1, "fc4", "fc2"},
    {"resnet", "conv 2>16 k3 p1, ReLU; conv 16>16 k3 p1; + shortcut 1x1 conv 2>16, BN; ReLU; "
               "maxpool 2; linear 784>80, ReLU; linear 80>2",
     resnet_specs, N_OF(resnet_specs), PS_LOSS_TARGET, 1, 0, "fc2", NULL},
    {"resnet_ws", "shared branch per digit: conv 1>16 k3 p1, BN, ReLU; conv 16>16 k3 p1, BN; "
                  "+ shortcut 1x1 conv 1>16, BN; ReLU; maxpool 2; linear 784>80, ReLU; "
                  "linear 80>10; concat 20 > linear 2; target loss",
     resnet_ws_specs, N_OF(resnet_ws_specs), PS_LOSS_TARGET, 1, 1, "fc3", "fc2"},
    {"resnet_ws_aux", "resnet_ws with loss target CE + w (CE digit 1 + CE digit 2)",
     resnet_ws_specs, N_OF(resnet_ws_specs), PS_LOSS_TARGET_AUX, 1, 1, "fc3", "fc2"},
};

/* ---- report 002: a family -------------------------------------------------------------------
 * The report leaves padding and pooling open. Chosen here: every conv layer is "same"
 * padded (pad (k−1)/2), followed by ReLU and a 2×2 max-pool (14 → 7 → 3 → 1), no BatchNorm;
 * the branch output is flattened; the two branches' features are concatenated → linear 2.
 *   indep:  two independent stacks, implemented as grouped convolutions (groups = 2: group 0
 *           sees digit 1, group 1 digit 2; the same parameter count as two stacks, and
 *           PyTorch's Conv2d(groups=2) is its twin); flatten is then the concatenation.
 *   shared: one stack run on both digits (Siamese rows), merged → linear 2.
 *   aux:    shared + a linear F → 10 digit head on each branch ("aux"); loss = target CE +
 *           w·(CE digit 1 + CE digit 2), w = aux_weight (the report: 1). */

typedef struct plan002 {
    const char *name;
    int32_t n;
    int32_t ch[3];
} plan002;

static const plan002 plans002[] = {
    {"A1", 1, {16}},         {"A2", 1, {32}},         {"A3", 2, {16, 32}},
    {"A4", 2, {32, 64}},     {"A5", 3, {16, 32, 64}}, {"A6", 3, {32, 64, 128}},
};
static const int32_t kernels002[] = {3, 5};
#define N_STRUCTURES002 3 /* indep, shared, aux */
static const char *const conv_names[] = {"conv1", "conv2", "conv3"};

/* Names of the 36 models, "indep_A1_k3" ... "aux_A6_k5", in zoo order. */
static const char *const names002[] = {
#define K2(s, a) s "_" a "_k3", s "_" a "_k5"
#define P6(s) K2(s, "A1"), K2(s, "A2"), K2(s, "A3"), K2(s, "A4"), K2(s, "A5"), K2(s, "A6")
    P6("indep"), P6("shared"), P6("aux")
#undef P6
#undef K2
};

#define N000 N_OF(report000)
#define N002 (N_STRUCTURES002 * N_OF(plans002) * N_OF(kernels002))

int32_t ps_models_count(void) { return N000 + N002; }

static void decode002(int32_t j, int32_t *st, int32_t *pl, int32_t *kk)
{
    *kk = j % N_OF(kernels002);
    *pl = (j / N_OF(kernels002)) % N_OF(plans002);
    *st = j / (N_OF(kernels002) * N_OF(plans002));
}

static void arch002(char *out, size_t cap, int32_t st, const plan002 *p, int32_t k)
{
    int len = snprintf(out, cap, "%s: ", st == 0 ? "two independent stacks (grouped conv, "
                                                   "groups 2)"
                                                 : "one shared stack per digit");
    int32_t in = 1, side = 14;
    for (int32_t l = 0; l < p->n && len < (int)cap; l++) {
        len += snprintf(out + len, cap - (size_t)len, "conv %d>%d k%d same, ReLU, maxpool 2; ",
                        in, p->ch[l], k);
        in = p->ch[l];
        side /= 2;
    }
    int32_t f = in * side * side;
    if (len < (int)cap)
        snprintf(out + len, cap - (size_t)len, "flatten %d, concat %d > linear 2%s", f, 2 * f,
                 st == 2 ? "; aux linear per branch " "> 10 digits, loss target + w (d1 + d2)"
                         : "");
}

int ps_model_get(ps_model_info *info, int32_t i)
{
    if (i < 0 || i >= ps_models_count())
        return PS_EINVAL;
    memset(info, 0, sizeof *info);
    info->index = i;
    if (i < N000) {
        const table_model *t = &report000[i];
        info->name = t->name;
        info->report = "000";
        snprintf(info->arch, sizeof info->arch, "%s", t->arch);
        info->loss = t->loss;
        info->default_bn = t->default_bn;
        info->optional_bn = t->optional_bn;
        info->target = t->target;
        info->digits = t->digits;
        return 0;
    }
    int32_t st, pl, kk;
    decode002(i - N000, &st, &pl, &kk);
    info->name = names002[i - N000];
    info->report = "002";
    arch002(info->arch, sizeof info->arch, st, &plans002[pl], kernels002[kk]);
    info->loss = st == 2 ? PS_LOSS_TARGET_AUX : PS_LOSS_TARGET;
    info->target = "fc";
    info->digits = st == 2 ? "aux" : NULL;
    return 0;
}

int ps_model_lookup(ps_model_info *info, const char *name, ps_err *err)
{
    for (int32_t i = 0; i < ps_models_count(); i++) {
        ps_model_get(info, i);
        if (!strcmp(info->name, name))
            return 0;
    }
    return ps_err_set(err, PS_EINVAL, "unknown model '%s' (see `pairsweep models`)", name);
}

static void specs002(ps_layer_spec *s, int32_t *n, int32_t st, const plan002 *p, int32_t k)
{
    int32_t g = st == 0 ? 2 : 1, i = 0;
    s[i++] = (ps_layer_spec){.kind = PS_L_SPATIAL, .name = "x", .split = st != 0};
    for (int32_t l = 0; l < p->n; l++) {
        s[i++] = (ps_layer_spec){.kind = PS_L_CONV, .name = conv_names[l], .out = g * p->ch[l],
                                 .k = k, .pad = (k - 1) / 2, .groups = g};
        s[i++] = (ps_layer_spec){.kind = PS_L_RELU};
        s[i++] = (ps_layer_spec){.kind = PS_L_MAXPOOL};
    }
    s[i++] = (ps_layer_spec){.kind = PS_L_FLATTEN, .name = "features"};
    if (st == 2)
        s[i++] = (ps_layer_spec){.kind = PS_L_LINEAR, .name = "aux", .out = 10};
    if (st != 0)
        s[i++] = (ps_layer_spec){.kind = PS_L_MERGE, .from = "features"};
    s[i++] = (ps_layer_spec){.kind = PS_L_LINEAR, .name = "fc", .out = 2};
    *n = i;
}

void ps_model_specs(ps_layer_spec *specs, int32_t *n, const ps_model_info *info)
{
    if (info->index < N000) {
        const table_model *t = &report000[info->index];
        memcpy(specs, t->specs, (size_t)t->n_specs * sizeof *specs);
        *n = t->n_specs;
        return;
    }
    int32_t st, pl, kk;
    decode002(info->index - N000, &st, &pl, &kk);
    specs002(specs, n, st, &plans002[pl], kernels002[kk]);
}

int ps_model_build(ps_net **net, const ps_model_info *info, int32_t use_bn, ps_err *err)
{
    ps_layer_spec specs[PS_NN_MAX_NODES];
    int32_t n;
    *net = NULL;
    ps_model_specs(specs, &n, info);
    int32_t bn = use_bn < 0 ? info->default_bn : use_bn != 0;
    int rc = ps_net_create(net, specs, n, 2, 14, 14, bn, err);
    if (rc)
        return rc;
    if (ps_net_find(*net, info->target) < 0 ||
        (info->digits && ps_net_find(*net, info->digits) < 0)) {
        ps_net_free(*net);
        *net = NULL;
        return ps_err_set(err, PS_EINVAL, "model %s: output node missing", info->name);
    }
    return 0;
}
