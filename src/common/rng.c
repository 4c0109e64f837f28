#include "pairsweep/rng.h"

#include <string.h>

uint64_t ps_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t ps_seed_derive(uint64_t seed, const char *tag)
{
    /* FNV-1a of the tag, then mixed with the seed. */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)tag; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return ps_mix64(seed ^ ps_mix64(h));
}

void ps_rng_seed(ps_rng *rng, uint64_t seed, uint64_t stream)
{
    rng->state = 0;
    rng->inc = (ps_mix64(stream) << 1) | 1u;
    (void)ps_rng_u32(rng);
    rng->state += ps_mix64(seed);
    (void)ps_rng_u32(rng);
}

uint32_t ps_rng_u32(ps_rng *rng)
{
    uint64_t old = rng->state;
    rng->state = old * 6364136223846793005ULL + rng->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

uint32_t ps_rng_below(ps_rng *rng, uint32_t n)
{
    /* Lemire's method is not needed here; rejection on the PCG reference threshold. */
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t r = ps_rng_u32(rng);
        if (r >= threshold)
            return r % n;
    }
}

float ps_rng_uniform(ps_rng *rng)
{
    return (float)(ps_rng_u32(rng) >> 8) * (1.0f / 16777216.0f);
}

float ps_rng_uniform_range(ps_rng *rng, float lo, float hi)
{
    return lo + (hi - lo) * ps_rng_uniform(rng);
}

void ps_rng_shuffle(ps_rng *rng, int32_t *idx, int32_t n)
{
    for (int32_t i = n - 1; i > 0; i--) {
        int32_t j = (int32_t)ps_rng_below(rng, (uint32_t)i + 1u);
        int32_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}
