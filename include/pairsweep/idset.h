/* pairsweep — a set of task ids, each with a non-negative index: the one lookup structure of
 * task ids, shared by the scheduler (plan index, ids already stored) and the store (id → row).
 *
 * Ids are strings of at most PS_IDSET_ID_MAX characters (a task id is 16 hex characters);
 * longer ones are told apart by their first PS_IDSET_ID_MAX characters only. Open addressing,
 * at most half full: a lookup is a hash and a probe or two. */
#ifndef PAIRSWEEP_IDSET_H
#define PAIRSWEEP_IDSET_H

#include <stddef.h>
#include <stdint.h>

#define PS_IDSET_ID_MAX 16

typedef struct ps_idset_slot {
    char id[PS_IDSET_ID_MAX];  /* not NUL-terminated when PS_IDSET_ID_MAX long */
    int32_t value;             /* the id's index; -1: an empty slot */
} ps_idset_slot;

typedef struct ps_idset {
    ps_idset_slot *slot;       /* (cap) */
    size_t cap;                /* a power of 2, 0 before ps_idset_init */
    size_t n;                  /* ids held */
} ps_idset;

/* An empty set with room for `expected` ids before it grows. Returns 0 or PS_ENOMEM (then *s
 * is an empty set that holds nothing and can still be freed). */
int ps_idset_init(ps_idset *s, size_t expected);

/* Frees the slots; *s is then an empty set (ps_idset_init again to reuse it). */
void ps_idset_free(ps_idset *s);

/* Empties the set, keeping its room (cannot fail). */
void ps_idset_clear(ps_idset *s);

/* Adds id with index value (>= 0). Returns 0 when added, 1 when id was already there (its
 * index is left as it was), PS_ENOMEM when the set could not grow (nothing changed). */
int ps_idset_put(ps_idset *s, const char *id, int32_t value);

/* The index of id, or -1 when the set does not hold it. */
int32_t ps_idset_get(const ps_idset *s, const char *id);

#endif
