/* str_refs.h — a growable list of borrowed byte strings, and its distinct
 * members: how a reply gathered from several shards counts or lists each
 * name once (PUBSUB CHANNELS and NUMPAT, INFO's pubsub counts), in
 * O(n log n) rather than comparing every pair. Single-threaded. */
#ifndef RINGKV_BASE_STR_REFS_H
#define RINGKV_BASE_STR_REFS_H

#include <stddef.h>

struct str_ref {
    const char *s;  /* not owned */
    size_t len;
};

struct str_refs {
    struct str_ref *v;
    size_t n, cap;
};

void str_refs_push(struct str_refs *r, const char *s, size_t len);
/* Sorts the list (by length, then bytes) and drops repeats; returns how
 * many distinct strings are left. */
size_t str_refs_unique(struct str_refs *r);
void str_refs_free(struct str_refs *r);

#endif
