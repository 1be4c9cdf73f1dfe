/* keyspace.c — a slice's databases and their shared counters; see
 * keyspace.h. Thread: the owner's. */
#include "ringkv/data/keyspace.h"
#include "ringkv/base/alloc.h"

#include <string.h>

struct keyspace *ks_create(int ndbs, uint64_t seed)
{
    struct keyspace *ks = rk_calloc(1, sizeof(*ks));
    ks->ndbs = ndbs;
    ks->dbs = rk_calloc((size_t)ndbs, sizeof(struct db));
    for (int i = 0; i < ndbs; i++) {
        db_init(&ks->dbs[i], &ks->stats, seed + (uint64_t)i);
        ks->dbs[i].access = &ks->access;
        ks->dbs[i].events = &ks->events;
        ks->dbs[i].id = i;
    }
    return ks;
}

void ks_destroy(struct keyspace *ks)
{
    if (!ks) return;
    for (int i = 0; i < ks->ndbs; i++) db_deinit(&ks->dbs[i]);
    rk_free(ks->dbs);
    rk_free(ks);
}

void ks_flush(struct keyspace *ks)
{
    for (int i = 0; i < ks->ndbs; i++) db_flush(&ks->dbs[i]);
}

void ks_reset_stats(struct keyspace *ks)
{
    uint64_t changes = ks->stats.changes;
    memset(&ks->stats, 0, sizeof(ks->stats));
    ks->stats.changes = changes;
}
