/* ready.c — keys clients block on, and those that became ready; see
 * ready.h. Thread: the database's shard. */
#include "ringkv/data/ready.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/db.h"

#include <string.h>

struct waited_key {
    struct dict_node node;
    uint64_t hash;
    uint32_t waiters;
    bool queued;               /* in the ready queue */
    size_t len;
    char key[];
};

struct ready_keys {
    struct dict keys;
    struct waited_key **queue; /* ready, oldest first */
    size_t head, n, cap;
};

static uint64_t wk_hash(const struct dict_node *n) { return ((const struct waited_key *)n)->hash; }
static bool wk_eq(const struct dict_node *n, const void *key, size_t len)
{
    const struct waited_key *w = (const struct waited_key *)n;
    return w->len == len && memcmp(w->key, key, len) == 0;
}
static const struct dict_type wk_type = {wk_hash, wk_eq};

static struct waited_key *find(const struct db *db, const char *key, size_t len)
{
    if (!db->ready) return NULL;
    return (struct waited_key *)dict_find(&db->ready->keys, key, len, db_key_hash(key, len));
}

void ready_wait(struct db *db, const char *key, size_t len)
{
    if (!db->ready) {
        db->ready = rk_calloc(1, sizeof(*db->ready));
        dict_init(&db->ready->keys, &wk_type);
    }
    struct waited_key *w = find(db, key, len);
    if (!w) {
        w = rk_calloc(1, sizeof(*w) + len);
        w->hash = db_key_hash(key, len);
        w->len = len;
        memcpy(w->key, key, len);
        dict_insert(&db->ready->keys, &w->node, w->hash);
    }
    w->waiters++;
}

/* A key nobody waits for any more goes, unless it is queued (taken later). */
static void drop_if_unused(struct db *db, struct waited_key *w)
{
    if (w->waiters || w->queued) return;
    dict_unlink(&db->ready->keys, w->key, w->len, w->hash);
    rk_free(w);
    if (dict_size(&db->ready->keys) == 0) ready_free(db);
}

void ready_unwait(struct db *db, const char *key, size_t len)
{
    struct waited_key *w = find(db, key, len);
    if (!w || w->waiters == 0) return;
    w->waiters--;
    drop_if_unused(db, w);
}

void ready_created(struct db *db, const char *key, size_t len)
{
    struct waited_key *w = find(db, key, len);
    if (!w || w->queued || w->waiters == 0) return;
    struct ready_keys *rk = db->ready;
    if (rk->head + rk->n == rk->cap) {
        if (rk->head) { /* reuse the taken front */
            memmove(rk->queue, rk->queue + rk->head, rk->n * sizeof(*rk->queue));
            rk->head = 0;
        } else {
            rk->cap = rk->cap ? rk->cap * 2 : 8;
            rk->queue = rk_realloc(rk->queue, rk->cap * sizeof(*rk->queue));
        }
    }
    rk->queue[rk->head + rk->n++] = w;
    w->queued = true;
}

bool ready_pending(const struct db *db) { return db->ready && db->ready->n > 0; }

void ready_take(struct db *db, ready_fn fn, void *arg)
{
    while (db->ready && db->ready->n) {
        struct ready_keys *rk = db->ready;
        struct waited_key *w = rk->queue[rk->head++];
        rk->n--;
        w->queued = false;
        w->waiters++; /* held while fn runs: its waiters may all leave */
        fn(w->key, w->len, arg);
        w->waiters--;
        drop_if_unused(db, w);
    }
}

static void free_node(struct dict_node *n, void *arg) { rk_free(n); }

void ready_free(struct db *db)
{
    if (!db->ready) return;
    dict_clear(&db->ready->keys, free_node, NULL);
    rk_free(db->ready->queue);
    rk_free(db->ready);
    db->ready = NULL;
}

struct rescan {
    struct db *db;
};

static void rescan_one(struct dict_node *n, void *arg)
{
    struct db *db = ((struct rescan *)arg)->db;
    struct waited_key *w = (struct waited_key *)n;
    struct kv *kv = db_peek(db, w->key, w->len);
    if (kv && (kv->type == OBJ_LIST || kv->type == OBJ_ZSET || kv->type == OBJ_STREAM)) ready_created(db, w->key, w->len);
}

static void stream_going(struct dict_node *n, void *arg)
{
    struct db *db = arg;
    struct waited_key *w = (struct waited_key *)n;
    struct kv *kv = db_peek(db, w->key, w->len);
    if (kv && kv->type == OBJ_STREAM) ready_created(db, w->key, w->len);
}

void ready_streams_going(struct db *db)
{
    if (db->ready) dict_foreach(&db->ready->keys, stream_going, db); /* queues only */
}

void ready_rescan(struct db *db)
{
    if (!db->ready) return;
    struct rescan r = {db};
    dict_foreach(&db->ready->keys, rescan_one, &r); /* queues only: the dict stays as it is */
}
