/* trk_table.h — the tracking table of client-side caching: for each key
 * a client read while tracking (CLIENT TRACKING ON, default mode), who
 * read it (Redis's TrackingTable, tracking.c).
 *
 * One table per shard, holding the keys that shard owns, so a read
 * registers and a write invalidates where the key lives, with no message
 * (net/tracking.h sends the invalidations). Keys are names, not (db, name)
 * pairs, as in Redis: a key read in one database is invalidated by a
 * change to the same name in another. A reader is a client id and the
 * shard its connection lives on; a client that stopped tracking or went
 * away stays in the table until the key is invalidated (Redis does no
 * cleanup by id either: the connection side filters).
 *
 * Single-threaded: a table belongs to one shard.
 */
#ifndef RINGKV_DATA_TRK_TABLE_H
#define RINGKV_DATA_TRK_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trk_reader {
    uint64_t id;        /* the client id */
    uint32_t shard;     /* where its connection lives */
};

struct trk_table;

struct trk_table *trk_table_create(void);
void trk_table_destroy(struct trk_table *t);

/* Remembers that reader read key; true when it is a new (key, reader)
 * item (false: already there). */
bool trk_table_add(struct trk_table *t, const char *key, size_t len, struct trk_reader reader);
/* Whether someone tracks key. */
bool trk_table_has(struct trk_table *t, const char *key, size_t len);
/* Forgets key and calls fn for each of its readers (in the order they
 * read it); false when nobody tracked it. fn must not change the table. */
typedef void (*trk_reader_fn)(const struct trk_reader *r, const char *key, size_t len, void *arg);
bool trk_table_take(struct trk_table *t, const char *key, size_t len, trk_reader_fn fn, void *arg);
/* Forgets every key (FLUSHALL, FLUSHDB: the readers get a null
 * invalidation instead). */
void trk_table_clear(struct trk_table *t);
/* A key picked at random (tracking-table-max-keys evicts such keys), into
 * key and len, valid until the table changes; false when empty. */
bool trk_table_random_key(struct trk_table *t, const char **key, size_t *len);

/* Keys tracked, and (key, reader) items: INFO tracking_total_keys/items. */
uint64_t trk_table_keys(const struct trk_table *t);
uint64_t trk_table_items(const struct trk_table *t);

#endif
