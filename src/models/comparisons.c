/* pairsweep — the comparisons the reports draw between models of the zoo, as data: which pair
 * of models isolates which design choice. `pairsweep report` tests every comparison whose two
 * models are in a study. */
#include "pairsweep/models.h"

/* Report 000: its pairs of models and the effect each measures. */
static const ps_model_comparison comparisons000[] = {
    {"weight sharing", "siamese", "cnn",
     "one branch shared by both digits against both digits as channels of one network"},
    {"weight sharing", "resnet_ws", "resnet",
     "one residual branch shared by both digits against both digits as channels"},
    {"auxiliary loss", "siamese_aux", "siamese",
     "target loss + w (digit losses) against the target loss alone (siamese_aux: no BN by "
     "default)"},
    {"auxiliary loss", "resnet_ws_aux", "resnet_ws",
     "target loss + w (digit losses) against the target loss alone"},
};

/* Report 002: its structures, compared setup by setup (channel plan × kernel). */
static const ps_model_family families002[] = {
    {"weight sharing", "shared_", "indep_",
     "one convolution stack run on both digits against two independent stacks"},
    {"auxiliary loss", "aux_", "shared_",
     "a digit head per branch and its loss added to the target loss against the target loss "
     "alone"},
};

const ps_model_comparison *ps_models_comparisons(int32_t *n)
{
    *n = (int32_t)(sizeof comparisons000 / sizeof comparisons000[0]);
    return comparisons000;
}

const ps_model_family *ps_models_families(int32_t *n)
{
    *n = (int32_t)(sizeof families002 / sizeof families002[0]);
    return families002;
}
