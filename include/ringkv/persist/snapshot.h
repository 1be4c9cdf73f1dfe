/* snapshot.h — one shard's part of a point-in-time snapshot, without fork.
 *
 * At the cut (snap_slice_begin, which the caller runs at one point of the
 * global order on every shard) every database of the keyspace flips its
 * snapshot parity (db.h), so every record is "not saved yet". From then
 * on the slice serializes records in RDB form (rdb.h) on two paths:
 *   - the walk: snap_slice_step() scans the databases a little at a time
 *     (the shard keeps serving in between) and saves what it finds unsaved;
 *   - the hook: before any command changes, replaces or removes a record
 *     the snapshot lacks, the database hands it to the slice first.
 * Records stored after the cut carry the new parity and are skipped, so
 * the output is exactly the keyspace at the cut, with each key once.
 * Memory: only what waits in the output, chunk by chunk; a FLUSHDB or
 * SWAPDB during the walk saves its databases' rest at once.
 *
 * The output is a stream of self-contained chunks: each starts with its
 * own SELECTDB, so chunks of several shards may follow each other in any
 * order in one file. The slice knows nothing of files or rings; its owner
 * takes chunks (snap_slice_take) and ships them.
 * Single-threaded: the shard owning the keyspace.
 */
#ifndef RINGKV_SNAPSHOT_H
#define RINGKV_SNAPSHOT_H

#include "ringkv/data/db.h"
#include "ringkv/persist/rdb.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keyspace;

struct snap_slice {
    struct db_snap_hook hook;
    struct keyspace *ks;
    bool compress;
    bool active;          /* between begin and end */
    int walk_db;          /* where the walk is */
    uint64_t walk_cursor;
    bool walked;          /* the walk has seen every database */
    int out_db;           /* database of the last SELECTDB in `out`, -1: none yet */
    struct rdb_buf out;   /* the chunk being filled */
    uint64_t keys;        /* records saved */
    size_t budget;        /* keys the current step may still save */
};

/* The cut. compress: rdbcompression. */
void snap_slice_begin(struct snap_slice *sl, struct keyspace *ks, bool compress);
/* Walks on until about `max_keys` records were saved or `max_bytes` wait
 * in the output. Returns true once every database has been walked, when
 * the slice is complete (what is left in the output is its last chunk)
 * and no record needs the hook any more: the slice has ended. */
bool snap_slice_step(struct snap_slice *sl, size_t max_keys, size_t max_bytes);
/* Bytes waiting in the output. */
static inline size_t snap_slice_pending(const struct snap_slice *sl) { return sl->out.len; }
/* Takes what waits in the output (the caller owns *out, empty if nothing). */
void snap_slice_take(struct snap_slice *sl, struct rdb_buf *out);
/* Frees what the slice holds (after it ended). */
void snap_slice_free(struct snap_slice *sl);

#endif
