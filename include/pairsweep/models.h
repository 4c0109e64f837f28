/* pairsweep — the model zoo of both reports, declared as data: report 000's seven models as
 * layer tables, report 002's 36 models as one family table (structure × channel plan ×
 * kernel), and the comparisons the reports draw between them. Adding a model is adding an
 * entry; adding a comparison is adding a row.
 *
 * Report 000: Bohan Wang, Ke Wang, Anqi Hou, "Evaluating Impacts of Weight Sharing and Auxiliary
 * Loss on Neural Networks"; report 002: Virginia Bordignon, "Image Classification: The Impact of
 * Weight Sharing and Auxiliary Losses" (both EPFL EE-559). */
#ifndef PAIRSWEEP_MODELS_H
#define PAIRSWEEP_MODELS_H

#include <stdint.h>

#include "pairsweep/common.h"
#include "pairsweep/nn.h"

/* What a model is trained on and how it predicts. */
typedef enum ps_loss_kind {
    PS_LOSS_TARGET = 0,     /* target CE; predict argmax of the target logits */
    PS_LOSS_TARGET_AUX = 1, /* target CE + w·(CE digit 1 + CE digit 2); predict by target */
    PS_LOSS_DIGITS = 2,     /* CE digit 1 + CE digit 2; predict argmax(d1) ≤ argmax(d2) */
} ps_loss_kind;

/* One entry of the zoo. */
typedef struct ps_model_info {
    const char *name;       /* "cnn", "siamese_aux", "shared_A5_k3", ... */
    const char *report;     /* "000" or "002" */
    char arch[320];         /* one-line architecture */
    ps_loss_kind loss;
    int32_t default_bn;     /* what use_bn = -1 means */
    int32_t optional_bn;    /* 1 when use_bn switches BatchNorm layers on/off */
    const char *target;     /* node of the target logits, flat (N, 2) */
    const char *digits;     /* node of the digit logits, flat (2N, 10) (row 2i digit 1 of pair
                               i, 2i+1 digit 2), or NULL */
    int32_t index;          /* position in the zoo */
} ps_model_info;

/* Number of models in the zoo. */
int32_t ps_models_count(void);

/* The model at index i (0 ≤ i < ps_models_count()); returns 0 or PS_EINVAL. */
int ps_model_get(ps_model_info *info, int32_t i);

/* The model named name; returns 0 or PS_EINVAL ("unknown model 'x'"). */
int ps_model_lookup(ps_model_info *info, const char *name, ps_err *err);

/* The model's layer specs (at most PS_NN_MAX_NODES) into specs; *n receives their number. */
void ps_model_specs(ps_layer_spec *specs, int32_t *n, const ps_model_info *info);

/* Builds the model's net for 2×14×14 inputs; use_bn −1 = the model's default, 0/1 = off/on
 * (only models with optional BatchNorm change). Parameters are zero until ps_net_init.
 * Returns 0 or a negative code with err set; *net is NULL on error. */
int ps_model_build(ps_net **net, const ps_model_info *info, int32_t use_bn, ps_err *err);

/* ---- the comparisons the reports draw ------------------------------------------------------
 * Each isolates one design choice: the accuracy of a minus the accuracy of b. */

/* Two models of the zoo that differ in one choice. */
typedef struct ps_model_comparison {
    const char *effect;     /* the choice, as the report names it: "weight sharing", ... */
    const char *a, *b;      /* the model with the choice and the one without */
    const char *what;       /* what differs between a and b, in a phrase */
} ps_model_comparison;

/* A family of comparisons: model "<a_prefix><setup>" against "<b_prefix><setup>" for every
 * setup (channel plan × kernel) both exist for. */
typedef struct ps_model_family {
    const char *effect;     /* as in ps_model_comparison */
    const char *a_prefix, *b_prefix;
    const char *what;
} ps_model_family;

/* Report 000's comparisons, in report order; *n receives their number. The table is static. */
const ps_model_comparison *ps_models_comparisons(int32_t *n);

/* Report 002's families of comparisons, in report order; *n receives their number. The table
 * is static. */
const ps_model_family *ps_models_families(int32_t *n);

#endif
