/* watch.c — WATCHed keys of one database; see watch.h. Thread: its shard. */
#include "ringkv/data/watch.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/data/db.h"
#include "ringkv/data/hashval.h"
#include "ringkv/data/intset.h"
#include "ringkv/data/listpack.h"
#include "ringkv/data/listval.h"
#include "ringkv/data/set.h"
#include "ringkv/data/stream.h"
#include "ringkv/data/zset.h"

#include <string.h>

struct watcher {
    uint64_t client;
    bool expired;              /* the key was stored but expired at WATCH */
    bool changed;
};

struct watched_key {
    struct dict_node node;
    uint64_t hash;
    struct watcher *w;
    uint32_t n, cap;
    size_t len;
    char key[];
};

struct watch_table {
    struct dict keys;
};

static uint64_t wk_hash(const struct dict_node *n) { return ((const struct watched_key *)n)->hash; }
static bool wk_eq(const struct dict_node *n, const void *key, size_t len)
{
    const struct watched_key *wk = (const struct watched_key *)n;
    return wk->len == len && memcmp(wk->key, key, len) == 0;
}
static const struct dict_type wk_type = {wk_hash, wk_eq};

static struct watched_key *find(const struct db *db, const char *key, size_t len)
{
    if (!db->watch) return NULL;
    return (struct watched_key *)dict_find(&db->watch->keys, key, len, db_key_hash(key, len));
}

void watch_add(struct db *db, const char *key, size_t len, uint64_t client, bool expired)
{
    if (!db->watch) {
        db->watch = rk_calloc(1, sizeof(*db->watch));
        dict_init(&db->watch->keys, &wk_type);
    }
    struct watched_key *wk = find(db, key, len);
    if (!wk) {
        wk = rk_calloc(1, sizeof(*wk) + len);
        wk->hash = db_key_hash(key, len);
        wk->len = len;
        memcpy(wk->key, key, len);
        dict_insert(&db->watch->keys, &wk->node, wk->hash);
    }
    for (uint32_t i = 0; i < wk->n; i++)
        if (wk->w[i].client == client) return; /* already watched */
    if (wk->n == wk->cap) {
        wk->cap = wk->cap ? wk->cap * 2 : 2;
        wk->w = rk_realloc(wk->w, wk->cap * sizeof(*wk->w));
    }
    wk->w[wk->n++] = (struct watcher){client, expired, false};
}

static void free_key(struct watched_key *wk)
{
    rk_free(wk->w);
    rk_free(wk);
}

void watch_remove(struct db *db, const char *key, size_t len, uint64_t client)
{
    struct watched_key *wk = find(db, key, len);
    if (!wk) return;
    for (uint32_t i = 0; i < wk->n; i++) {
        if (wk->w[i].client != client) continue;
        wk->w[i] = wk->w[--wk->n];
        break;
    }
    if (wk->n) return;
    dict_unlink(&db->watch->keys, key, len, wk->hash);
    free_key(wk);
    if (dict_size(&db->watch->keys) == 0) watch_free(db);
}

/* Stored and past its TTL, without deleting it (Redis's keyIsExpired). */
static bool stored_but_expired(struct db *db, const char *key, size_t len)
{
    struct kv *kv = (struct kv *)dict_find(&db->keys, key, len, db_key_hash(key, len));
    return kv && kv->expires && db_is_expired(db, kv, db_now_ms());
}

bool watch_changed(struct db *db, const char *key, size_t len, uint64_t client)
{
    struct watched_key *wk = find(db, key, len);
    if (!wk) return true;
    for (uint32_t i = 0; i < wk->n; i++) {
        if (wk->w[i].client != client) continue;
        if (wk->w[i].changed) return true;
        return !wk->w[i].expired && stored_but_expired(db, key, len);
    }
    return true;
}

bool watch_has(const struct db *db, const char *key, size_t len) { return find(db, key, len) != NULL; }

static bool stored(struct db *db, const char *key, size_t len)
{
    return dict_find(&db->keys, key, len, db_key_hash(key, len)) != NULL;
}

void watch_touch(struct db *db, const char *key, size_t len)
{
    struct watched_key *wk = find(db, key, len);
    if (!wk) return;
    for (uint32_t i = 0; i < wk->n; i++) {
        struct watcher *w = &wk->w[i];
        /* A stale key deleted is no logical change (Redis 7.0); once
         * gone, the watcher watches a missing key like anyone. */
        if (w->expired) {
            if (!stored(db, key, len)) w->expired = false;
            continue;
        }
        w->changed = true;
    }
}

struct touch_all {
    struct db *emptied, *with;
};

static void touch_one(struct dict_node *n, void *arg)
{
    struct touch_all *ta = arg;
    struct watched_key *wk = (struct watched_key *)n;
    bool in_emptied = stored(ta->emptied, wk->key, wk->len);
    bool in_with = ta->with && stored(ta->with, wk->key, wk->len);
    if (!in_emptied && !in_with) return;
    for (uint32_t i = 0; i < wk->n; i++) {
        struct watcher *w = &wk->w[i];
        if (w->expired) {
            if (!in_with) {
                w->expired = false; /* a stale key deleted: no change */
                continue;
            }
            if (stored_but_expired(ta->with, wk->key, wk->len)) continue; /* stale for stale */
        } else if (!in_emptied && stored_but_expired(ta->with, wk->key, wk->len)) {
            w->expired = true; /* nothing replaced with a stale key */
            continue;
        }
        w->changed = true;
    }
}

void watch_touch_all(struct db *emptied, struct db *replaced_with)
{
    if (!emptied->watch) return;
    struct touch_all ta = {emptied, replaced_with};
    dict_foreach(&emptied->watch->keys, touch_one, &ta);
}

static void free_node(struct dict_node *n, void *arg) { free_key((struct watched_key *)n); }

void watch_free(struct db *db)
{
    if (!db->watch) return;
    dict_clear(&db->watch->keys, free_node, NULL);
    rk_free(db->watch);
    db->watch = NULL;
}

bool watch_fingerprint_exact(const struct kv *kv)
{
    return !kv || kv->type == OBJ_STRING || kv->enc == ENC_LISTPACK || kv->enc == ENC_INTSET;
}

/* A collection's element count: not its bytes, which move when its table
 * rehashes or shrinks with nothing in it changed (an SADD of members
 * already there broke a WATCH, found by redis-diff --seed 78). */
static uint64_t elements(const struct kv *kv)
{
    switch (kv->type) {
    case OBJ_SET: return set_size(kv);
    case OBJ_HASH: return hashval_len(kv);
    case OBJ_ZSET: return zset_length(kv);
    case OBJ_LIST: return listval_len(kv);
    case OBJ_STREAM: return ((const struct stream *)kv->v.ptr)->length;
    default: return kv_bytes(kv);
    }
}

uint64_t watch_fingerprint(const struct kv *kv)
{
    if (!kv) return 0;
    uint64_t h = ((uint64_t)kv->type << 8 | kv->enc) * 0x9e3779b97f4a7c15ULL;
    if (kv->type == OBJ_STRING) {
        /* A string's encoding may change with its value left as it was
         * (SETBIT of a bit already set, on an embstr made raw): no change. */
        h = (uint64_t)OBJ_STRING * 0x9e3779b97f4a7c15ULL;
        char num[RK_LONG_STR_SIZE];
        size_t len;
        const char *s = kv_string(kv, num, &len);
        return h ^ hash_bytes(s, len);
    }
    if (kv->enc == ENC_LISTPACK) return h ^ hash_bytes(kv->v.ptr, lp_bytes(kv->v.ptr));
    if (kv->enc == ENC_INTSET) return h ^ hash_bytes(kv->v.ptr, intset_bytes(kv->v.ptr));
    return h ^ elements(kv); /* large collections: their size (see watch.h) */
}
