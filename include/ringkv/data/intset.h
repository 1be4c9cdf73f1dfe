/* intset.h — a sorted array of distinct 64-bit integers stored with the
 * narrowest width (16, 32 or 64 bits) that fits every member: the compact
 * encoding of sets whose members are all integers.
 *
 * The layout is Redis's intset (little-endian <encoding u32> <length u32>
 * <members>), so it can be written to or read from RDB / DUMP as is. The
 * width only grows: adding a member that needs more bits rewrites the
 * array wider; removing never narrows it (as in Redis).
 *
 * Memory (measured in tests/unit/data/test_intset.c, memory_per_element):
 * 8 bytes of header plus 2, 4 or 8 bytes per member; 100 members below
 * 32768 take 208 bytes (a 224-byte mimalloc block), 2.24 bytes each.
 *
 * Add and remove are O(n) (a memmove), find O(log n). Every call that
 * changes the set may move it and returns the new pointer. One thread.
 */
#ifndef RINGKV_INTSET_H
#define RINGKV_INTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct intset {
    uint32_t encoding; /* bytes per member: 2, 4 or 8 */
    uint32_t length;
    int8_t contents[];
} intset;

intset *intset_new(void);
void intset_free(intset *is);
/* Adds v if absent; *added (may be NULL) tells whether it was. */
intset *intset_add(intset *is, int64_t v, bool *added);
/* Removes v if present; *removed (may be NULL) tells whether it was. */
intset *intset_remove(intset *is, int64_t v, bool *removed);
bool intset_find(const intset *is, int64_t v);
/* Member at pos (0 = smallest); false if pos >= length. */
bool intset_get(const intset *is, uint32_t pos, int64_t *v);
/* A uniformly random member (thread-local generator); set not empty. */
int64_t intset_random(const intset *is);
/* Smallest / largest member; set not empty. */
int64_t intset_min(const intset *is);
int64_t intset_max(const intset *is);
uint32_t intset_len(const intset *is);
/* Serialized size: header + members. */
size_t intset_bytes(const intset *is);
/* Check of untrusted bytes (RDB, RESTORE) of length size: known width,
 * size matching the length, not empty (as Redis) and, if deep, members
 * strictly ascending. */
bool intset_validate(const void *p, size_t size, bool deep);

#endif
