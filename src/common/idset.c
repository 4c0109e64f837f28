/* A set of task ids with an index each: open addressing with linear probing. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "pairsweep/common.h"
#include "pairsweep/idset.h"
#include "pairsweep/rng.h"

static uint64_t id_hash(const char *id)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a, then a mix */
    for (int i = 0; i < PS_IDSET_ID_MAX && id[i]; i++)
        h = (h ^ (unsigned char)id[i]) * 1099511628211ull;
    return ps_mix64(h);
}

/* The slot of id, or the empty slot where it would go. */
static size_t find_slot(const ps_idset_slot *slot, size_t cap, const char *id)
{
    size_t i = (size_t)id_hash(id) & (cap - 1);
    while (slot[i].value >= 0 && strncmp(slot[i].id, id, PS_IDSET_ID_MAX) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

static ps_idset_slot *slots_new(size_t cap)
{
    ps_idset_slot *slot = malloc(cap * sizeof *slot);
    if (slot)
        for (size_t i = 0; i < cap; i++)
            slot[i].value = -1;
    return slot;
}

int ps_idset_init(ps_idset *s, size_t expected)
{
    size_t cap = 64;
    while (cap < 2 * expected + 2)
        cap *= 2;
    s->n = 0;
    s->slot = slots_new(cap);
    s->cap = s->slot ? cap : 0;
    return s->slot ? 0 : PS_ENOMEM;
}

void ps_idset_free(ps_idset *s)
{
    free(s->slot);
    memset(s, 0, sizeof *s);
}

void ps_idset_clear(ps_idset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        s->slot[i].value = -1;
    s->n = 0;
}

/* Doubles the room (at least 64 slots); 0 or PS_ENOMEM. */
static int grow(ps_idset *s)
{
    size_t cap = s->cap ? 2 * s->cap : 64;
    ps_idset_slot *slot = slots_new(cap);
    if (!slot)
        return PS_ENOMEM;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slot[i].value >= 0)
            slot[find_slot(slot, cap, s->slot[i].id)] = s->slot[i];
    free(s->slot);
    s->slot = slot;
    s->cap = cap;
    return 0;
}

int ps_idset_put(ps_idset *s, const char *id, int32_t value)
{
    if (s->cap && s->slot[find_slot(s->slot, s->cap, id)].value >= 0)
        return 1;
    if (2 * (s->n + 1) > s->cap && grow(s))
        return PS_ENOMEM;
    ps_idset_slot *slot = &s->slot[find_slot(s->slot, s->cap, id)];
    memset(slot->id, 0, sizeof slot->id);
    memcpy(slot->id, id, strnlen(id, PS_IDSET_ID_MAX));
    slot->value = value;
    s->n++;
    return 0;
}

int32_t ps_idset_get(const ps_idset *s, const char *id)
{
    return s->cap ? s->slot[find_slot(s->slot, s->cap, id)].value : -1;
}
