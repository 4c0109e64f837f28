/* pairsweep report — the effects table (internal). */
#ifndef PAIRSWEEP_REPORT_EFFECTS_H
#define PAIRSWEEP_REPORT_EFFECTS_H

#include "study.h"

/* Builds the "effects" table of a study into t: every comparison of the zoo
 * (ps_models_comparisons, ps_models_families) whose two models are among models[0..nm), tested
 * on each kind of data the study has (test: paired or Welch t; CV: Nadeau-Bengio; holdout:
 * paired or Welch t), Holm-adjusted within each kind; skipped comparisons are noted. machine:
 * the CSV columns (full precision). Returns 0 or PS_ENOMEM (t is then still to be freed). */
int effects_table(rtable *t, const ps_results *r, int machine, const char **models, int32_t nm);

#endif
