/* snapshot.c — one shard's part of a fork-less snapshot (see snapshot.h). */
#include "ringkv/persist/snapshot.h"
#include "ringkv/data/keyspace.h"

#include <string.h>

static void save_record(struct snap_slice *sl, struct db *db, struct kv *kv)
{
    int id = (int)(db - sl->ks->dbs);
    if (sl->out_db != id) {
        rdb_put_select_db(&sl->out, id);
        sl->out_db = id;
    }
    rdb_put_entry(&sl->out, kv, db_get_expire(db, kv), sl->compress);
    kv->snap = db->snap_parity;
    sl->keys++;
    if (sl->budget) sl->budget--;
}

static void on_change(struct db_snap_hook *h, struct db *db, struct kv *kv)
{
    save_record((struct snap_slice *)h, db, kv);
}

void snap_slice_begin(struct snap_slice *sl, struct keyspace *ks, bool compress)
{
    memset(sl, 0, sizeof *sl);
    sl->hook.save = on_change;
    sl->ks = ks;
    sl->compress = compress;
    sl->active = true;
    sl->out_db = -1;
    for (int i = 0; i < ks->ndbs; i++) db_snapshot_begin(ks_db(ks, i), &sl->hook);
}

struct walk_visit {
    struct snap_slice *sl;
    struct db *db;
};

static void visit(struct dict_node *n, void *arg)
{
    struct walk_visit *w = arg;
    struct kv *kv = kv_of(n);
    if (db_snapshot_lacks(w->db, kv)) save_record(w->sl, w->db, kv);
}

bool snap_slice_step(struct snap_slice *sl, size_t max_keys, size_t max_bytes)
{
    if (!sl->active) return true;
    sl->budget = max_keys ? max_keys : 1;
    while (sl->walk_db < sl->ks->ndbs) {
        struct db *db = ks_db(sl->ks, sl->walk_db);
        struct walk_visit w = {sl, db};
        do {
            sl->walk_cursor = db_scan(db, sl->walk_cursor, visit, &w);
            /* A scan step covers a bucket or two: a few records at most. */
        } while (sl->walk_cursor != 0 && sl->budget > 0 && sl->out.len < max_bytes);
        if (sl->walk_cursor != 0) return false;
        sl->walk_db++;
        if (sl->budget == 0 || sl->out.len >= max_bytes) return false;
    }
    for (int i = 0; i < sl->ks->ndbs; i++) db_snapshot_end(ks_db(sl->ks, i));
    sl->active = false;
    sl->walked = true;
    return true;
}

void snap_slice_take(struct snap_slice *sl, struct rdb_buf *out)
{
    *out = sl->out;
    sl->out = (struct rdb_buf){0};
    sl->out_db = -1; /* the next chunk names its database again */
}

static void mark_only(struct db_snap_hook *h, struct db *db, struct kv *kv) { kv->snap = db->snap_parity; }

void snap_slice_free(struct snap_slice *sl)
{
    /* Ended early: the records it did not reach get the parity anyway, or
     * the next snapshot would take them for saved. */
    if (sl->active) {
        sl->hook.save = mark_only;
        for (int i = 0; i < sl->ks->ndbs; i++) {
            db_snapshot_all(ks_db(sl->ks, i));
            db_snapshot_end(ks_db(sl->ks, i));
        }
    }
    rdb_buf_free(&sl->out);
    sl->active = false;
}
