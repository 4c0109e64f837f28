/* pairsweep — the finite-difference gradient check of the nn tests (test_nn_layers.c,
 * test_nn_conv.c).
 *
 * Gradient checks. The loss is L = Σ r·y over the chosen outputs (r fixed random weights),
 * accumulated in double; the forward pass is float. Central differences with step h = 1e-3
 * (inputs and weights are O(1); a step of 1e-2 crosses ReLU / max-pool kinks too often).
 * For a checked coordinate with analytic gradient a and numeric gradient f the test requires
 * |a − f| ≤ 2e-2·|a| + 1e-2·max|a| + 1e-3 (max over the tensor): float rounding of L (|L| ~ 10)
 * divided by 2h is ~1e-4 — the absolute term covers it, e.g. for a bias before BatchNorm whose
 * true gradient is 0 — and the rare step that crosses a kink moves f by a small fraction of
 * the tensor's scale. Up to 48 coordinates per tensor are checked (all of small tensors). */
#ifndef PAIRSWEEP_TESTS_TEST_NN_GRADCHECK_H
#define PAIRSWEEP_TESTS_TEST_NN_GRADCHECK_H

#include <stdint.h>

#include "pairsweep/nn.h"

#define SPEC_N(a) ((int32_t)(sizeof(a) / sizeof(a[0])))

/* Builds a net with the given kernels, initialises it, and checks the gradients of every
 * parameter tensor and of the input, the loss being over outputs out1 and out2 (NULL: none).
 * Returns the number of mismatching coordinates (or -1 if the net did not build). */
int gradcheck_kernels(ps_nn_kernels kernels, const ps_layer_spec *specs, int32_t n_specs,
                      int32_t c, int32_t h, int32_t w, int32_t n, const char *out1,
                      const char *out2);

/* gradcheck_kernels with another step than 1e-3. For a net of convolutions (and additions)
 * alone, the loss is linear in each coordinate, so central differences are exact at any step
 * up to rounding, and a large step (0.1) keeps the forward pass's rounding (Winograd's
 * F(m×m, 5×5): a few units in the sixth digit) from showing in the differences. */
int gradcheck_step(ps_nn_kernels kernels, const ps_layer_spec *specs, int32_t n_specs,
                   int32_t c, int32_t h, int32_t w, int32_t n, const char *out1,
                   const char *out2, float step);

/* gradcheck_kernels with PS_NN_KERNELS_AUTO. */
int gradcheck(const ps_layer_spec *specs, int32_t n_specs, int32_t c, int32_t h, int32_t w,
              int32_t n, const char *out1, const char *out2);

#endif
