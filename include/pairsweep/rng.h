/* pairsweep — the one random generator: PCG32 (O'Neill, "PCG XSH RR 64/32"), seeded through
 * SplitMix64 so that any 64-bit seed, and any hash of a task's description, gives a
 * well-mixed stream. Every use of randomness (pairs, folds, initialisation, batch order,
 * dropout) takes a ps_rng passed in: there is no global state. */
#ifndef PAIRSWEEP_RNG_H
#define PAIRSWEEP_RNG_H

#include <stdint.h>

typedef struct ps_rng {
    uint64_t state; /* PCG state */
    uint64_t inc;   /* PCG stream (odd) */
} ps_rng;

/* Seeds rng from seed and a stream number; distinct (seed, stream) give independent streams. */
void ps_rng_seed(ps_rng *rng, uint64_t seed, uint64_t stream);

/* Next 32 random bits. */
uint32_t ps_rng_u32(ps_rng *rng);

/* Uniform integer in [0, n), without modulo bias; n must be > 0. */
uint32_t ps_rng_below(ps_rng *rng, uint32_t n);

/* Uniform float in [0, 1) with 24 random bits. */
float ps_rng_uniform(ps_rng *rng);

/* Uniform float in [lo, hi). */
float ps_rng_uniform_range(ps_rng *rng, float lo, float hi);

/* Fisher–Yates shuffle of idx[0..n). */
void ps_rng_shuffle(ps_rng *rng, int32_t *idx, int32_t n);

/* SplitMix64 mixing step: a good 64-bit hash of x. */
uint64_t ps_mix64(uint64_t x);

/* Derives a sub-seed from a seed and a short tag ("pairs", "init", "batch", ...). */
uint64_t ps_seed_derive(uint64_t seed, const char *tag);

#endif
