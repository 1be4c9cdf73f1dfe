/* pickset.h — a small open-addressing set of non-zero 64-bit values, for
 * random samplers that must not pick the same item twice (SRANDMEMBER,
 * SPOP, ZRANDMEMBER with a count): they remember indexes or node
 * addresses here. Sized once for the number of picks, so it never grows.
 * Header-only; one thread (the caller's).
 */
#ifndef RINGKV_PICKSET_H
#define RINGKV_PICKSET_H

#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pickset {
    uint64_t *slots;
    uint64_t mask;
};

/* Room for `count` values at a load factor of at most one half. */
static inline void pickset_init(struct pickset *ps, size_t count)
{
    uint64_t size = 16;
    while (size < count * 2) size <<= 1;
    ps->slots = rk_calloc(size, sizeof(uint64_t));
    ps->mask = size - 1;
}

static inline void pickset_free(struct pickset *ps) { rk_free(ps->slots); }

/* Adds v (not 0); false if it was there already. */
static inline bool pickset_add(struct pickset *ps, uint64_t v)
{
    for (uint64_t i = hash_bytes(&v, sizeof v);; i++) {
        uint64_t *s = &ps->slots[i & ps->mask];
        if (*s == v) return false;
        if (*s == 0) {
            *s = v;
            return true;
        }
    }
}

#endif
