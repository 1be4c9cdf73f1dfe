/* db.c — one database of a shard's keyspace; see db.h. Single-threaded. */
#include "ringkv/data/db.h"
#include "ringkv/base/notify.h"
#include "ringkv/data/ready.h"
#include "ringkv/data/watch.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"

#include <limits.h>
#include <string.h>

struct expire_entry {
    struct dict_node node;
    struct kv *kv;
    long long when;
};

uint64_t db_key_hash(const char *key, size_t len) { return hash_bytes(key, len); }

static uint64_t kv_hash_node(const struct dict_node *n)
{
    const struct kv *kv = (const struct kv *)n;
    return db_key_hash(kv_key(kv), kv->keylen);
}

static bool kv_key_eq(const struct dict_node *n, const void *key, size_t len)
{
    const struct kv *kv = (const struct kv *)n;
    return kv->keylen == len && memcmp(kv_key(kv), key, len) == 0;
}

static uint64_t exp_hash_node(const struct dict_node *n)
{
    const struct expire_entry *e = (const struct expire_entry *)n;
    return db_key_hash(kv_key(e->kv), e->kv->keylen);
}

static bool exp_key_eq(const struct dict_node *n, const void *key, size_t len)
{
    const struct expire_entry *e = (const struct expire_entry *)n;
    return kv_key_eq(&e->kv->node, key, len);
}

static const struct dict_type keys_type = {kv_hash_node, kv_key_eq};
static const struct dict_type expires_type = {exp_hash_node, exp_key_eq};

void db_init(struct db *db, struct db_stats *stats, uint64_t seed)
{
    memset(db, 0, sizeof(*db));
    dict_init(&db->keys, &keys_type);
    dict_init(&db->expires, &expires_type);
    db->stats = stats;
    db->rng_state = seed | 1;
}

/* Tells the key's watchers it changed (after the change); `expired`:
 * its TTL removed it, nobody's write. */
static inline void signal_modified(struct db *db, const char *key, size_t len, bool expired)
{
    if (db->watch) watch_touch(db, key, len);
    struct db_change_hook *h = db->changes;
    if (RK_UNLIKELY(h != NULL) && (*h->live || __atomic_load_n(h->live_shared, __ATOMIC_RELAXED)))
        h->changed(h, key, len, expired);
}

static inline void changed_by(struct db *db, const char *key, size_t len, bool expired)
{
    db->stats->changes++;
    signal_modified(db, key, len, expired);
}

static inline void changed(struct db *db, const char *key, size_t len) { changed_by(db, key, len, false); }

/* A key was stored: clients blocked on it may be served (ready.h). A
 * stream stored back (a transaction moved it away) may have grown. */
static inline void stored(struct db *db, const struct kv *kv)
{
    if (db->ready && (kv->type == OBJ_LIST || kv->type == OBJ_ZSET || kv->type == OBJ_STREAM))
        ready_created(db, kv_key(kv), kv->keylen);
}

/* A stream is going (deleted, overwritten, renamed away): its blocked
 * XREADGROUP readers answer that it no longer exists, as in Redis. */
static inline void stream_gone(struct db *db, const struct kv *kv)
{
    if (db->ready && kv->type == OBJ_STREAM) ready_created(db, kv_key(kv), kv->keylen);
}

/* Before a record changes, is replaced or goes: a snapshot in progress
 * that lacks it writes it out first (db.h). */
static inline void keep_for_snapshot(struct db *db, struct kv *kv)
{
    if (RK_UNLIKELY(kv->snap != db->snap_parity)) db->snap->save(db->snap, db, kv);
}

/* A record entering the dict is newer than any snapshot in progress. */
static inline void mark_current(struct db *db, struct kv *kv) { kv->snap = db->snap_parity; }

/* An access, for eviction's sake: the LRU clock, or the LFU counter. */
static inline void touch(struct db *db, struct kv *kv)
{
    if (RK_LIKELY(!db->access || !db->access->lfu)) kv->lru = obj_lru_clock();
    else kv_lfu_touch(kv, db->access->lfu_log_factor, db->access->lfu_decay_time);
}

/* A new value: under LFU it starts with LFU_INIT_VAL accesses. */
static inline void fresh(struct db *db, struct kv *kv)
{
    if (RK_UNLIKELY(db->access && db->access->lfu)) kv_lfu_init(kv);
}

static void save_node(struct dict_node *n, void *arg)
{
    struct db *db = arg;
    keep_for_snapshot(db, kv_of(n));
}

void db_snapshot_all(struct db *db)
{
    if (db->snap) dict_foreach(&db->keys, save_node, db);
}

void db_snapshot_begin(struct db *db, struct db_snap_hook *hook)
{
    db->snap = hook;
    db->snap_parity ^= 1;
}

void db_snapshot_end(struct db *db) { db->snap = NULL; }

static void free_kv_node(struct dict_node *n, void *arg) { kv_free(kv_of(n)); }
static void free_exp_node(struct dict_node *n, void *arg) { rk_free(n); }

void db_flush(struct db *db)
{
    ready_streams_going(db);
    db_snapshot_all(db);
    db->stats->changes += dict_size(&db->keys);
    watch_touch_all(db, NULL);
    dict_clear(&db->expires, free_exp_node, NULL);
    dict_clear(&db->keys, free_kv_node, NULL);
    db->avg_ttl = 0;
}

void db_deinit(struct db *db)
{
    watch_free(db);
    ready_free(db);
    db_flush(db);
}

uint64_t db_size(const struct db *db) { return dict_size(&db->keys); }
uint64_t db_expires_size(const struct db *db) { return dict_size(&db->expires); }

void db_overhead(const struct db *db, uint64_t *keys, uint64_t *expires)
{
    *keys = dict_buckets(&db->keys) * sizeof(void *) + dict_size(&db->keys) * KV_HEADER;
    *expires = dict_buckets(&db->expires) * sizeof(void *) + dict_size(&db->expires) * sizeof(struct expire_entry);
}

uint64_t db_rand(struct db *db)
{
    /* xorshift64*: cheap, and only used for sampling. */
    uint64_t x = db->rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    db->rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint64_t rng_cb(void *arg) { return db_rand(arg); }

static struct expire_entry *find_expire(struct db *db, const struct kv *kv)
{
    return (struct expire_entry *)dict_find(&db->expires, kv_key(kv), kv->keylen, db_key_hash(kv_key(kv), kv->keylen));
}

long long db_get_expire(struct db *db, const struct kv *kv)
{
    if (!kv->expires) return -1;
    struct expire_entry *e = find_expire(db, kv);
    return e ? e->when : -1;
}

bool db_is_expired(struct db *db, const struct kv *kv, long long now_ms)
{
    if (!kv->expires) return false;
    long long when = db_get_expire(db, kv);
    return when >= 0 && now_ms >= when;
}

static void set_expire(struct db *db, struct kv *kv, long long when_ms)
{
    struct expire_entry *e = kv->expires ? find_expire(db, kv) : NULL;
    if (!e) {
        e = rk_malloc(sizeof(*e));
        e->kv = kv;
        dict_insert(&db->expires, &e->node, db_key_hash(kv_key(kv), kv->keylen));
        kv->expires = 1;
    }
    e->when = when_ms;
}

void db_set_expire(struct db *db, struct kv *kv, long long when_ms)
{
    keep_for_snapshot(db, kv);
    set_expire(db, kv, when_ms);
    changed(db, kv_key(kv), kv->keylen);
}

static void remove_expire(struct db *db, struct kv *kv, uint64_t hash)
{
    struct dict_node *n = dict_unlink(&db->expires, kv_key(kv), kv->keylen, hash);
    rk_free(n);
    kv->expires = 0;
}

bool db_persist(struct db *db, struct kv *kv)
{
    if (!kv->expires) return false;
    keep_for_snapshot(db, kv);
    remove_expire(db, kv, db_key_hash(kv_key(kv), kv->keylen));
    changed(db, kv_key(kv), kv->keylen);
    return true;
}

/* Expiry is judged against one clock reading per command, like Redis's
 * command time snapshot: a key cannot expire between two lookups of the
 * same command (BITOP AND d b b, or a source that is also the target), so
 * the records a command already holds stay valid. -1: outside a command;
 * 0: in one, clock not read yet (most commands touch no TTL). */
static __thread long long command_now_ms = -1;
/* Commands a script runs nest in the script's command: one reading for
 * the whole script, as Redis 7 freezes time during a script. */
static __thread int command_depth;

void db_command_begin(void)
{
    if (command_depth++ == 0) command_now_ms = 0;
}

void db_command_end(void)
{
    if (--command_depth == 0) command_now_ms = -1;
}

int db_command_depth(void) { return command_depth; }

/* A transaction's run on this shard (EXEC): one reading for all of it,
 * taken at its start as Redis fixes the time for the commands of an EXEC
 * (a TTL its SET gives counts from the clock, not from a later reading). */
static __thread int freeze_depth;
static __thread long long frozen_ms;

void db_time_freeze_begin(void)
{
    if (freeze_depth++ == 0) frozen_ms = mstime();
}

void db_time_freeze_end(void) { freeze_depth--; }

long long db_now_ms(void)
{
    if (freeze_depth) return frozen_ms;
    if (command_now_ms < 0) return mstime();
    if (command_now_ms == 0) command_now_ms = mstime();
    return command_now_ms;
}

static bool (*expiry_paused)(void);

void db_set_expiry_gate(bool (*paused)(void)) { expiry_paused = paused; }

static void delete_kv(struct db *db, struct kv *kv, bool expired);

void db_delete_expired(struct db *db, struct kv *kv)
{
    if (expiry_paused && expiry_paused()) return;
    db_notify(db, NOTIFY_EXPIRED, "expired", kv_key(kv), kv->keylen);
    delete_kv(db, kv, true);
    db->stats->expired_keys++;
}

/* Every way to a record for reading or writing but db_peek comes here,
 * so a snapshot in progress gets the record before anyone can change it
 * (saving a record early costs nothing: each is saved once either way). */
static struct kv *lookup(struct db *db, const char *key, size_t len, uint64_t hash)
{
    struct kv *kv = (struct kv *)dict_find(&db->keys, key, len, hash);
    if (!kv) return NULL;
    keep_for_snapshot(db, kv);
    if (kv->expires && db_is_expired(db, kv, db_now_ms())) {
        db_delete_expired(db, kv);
        return NULL;
    }
    return kv;
}

/* A read found no key: a keyspace miss, raised as "keymiss". */
static void missed(struct db *db, const char *key, size_t len)
{
    db->stats->misses++;
    db_notify(db, NOTIFY_KEY_MISS, "keymiss", key, len);
}

struct kv *db_lookup(struct db *db, const char *key, size_t len)
{
    struct kv *kv = lookup(db, key, len, db_key_hash(key, len));
    if (kv) {
        db->stats->hits++;
        touch(db, kv);
    } else {
        missed(db, key, len);
    }
    return kv;
}

struct kv *db_lookup_write(struct db *db, const char *key, size_t len)
{
    struct kv *kv = lookup(db, key, len, db_key_hash(key, len));
    if (kv) {
        touch(db, kv);
        db->stats->write_lookups++;
        if (!watch_fingerprint_exact(kv)) db->stats->big_write_lookups++;
    }
    return kv;
}

struct kv *db_lookup_store_source(struct db *db, const char *key, size_t len)
{
    struct kv *kv = lookup(db, key, len, db_key_hash(key, len));
    if (kv) touch(db, kv);
    return kv;
}

struct kv *db_lookup_notouch(struct db *db, const char *key, size_t len)
{
    struct kv *kv = lookup(db, key, len, db_key_hash(key, len));
    if (kv) db->stats->hits++;
    else missed(db, key, len);
    return kv;
}

struct kv *db_peek(struct db *db, const char *key, size_t len)
{
    return (struct kv *)dict_find(&db->keys, key, len, db_key_hash(key, len));
}

bool db_exists(struct db *db, const char *key, size_t len)
{
    return lookup(db, key, len, db_key_hash(key, len)) != NULL;
}

/* A record for a key that was absent goes in. */
static void insert_new(struct db *db, struct kv *kv, uint64_t hash)
{
    kv->expires = 0;
    mark_current(db, kv);
    fresh(db, kv);
    dict_insert(&db->keys, &kv->node, hash);
    changed(db, kv_key(kv), kv->keylen);
    stored(db, kv);
    db_notify(db, NOTIFY_NEW, "new", kv_key(kv), kv->keylen);
}

void db_add(struct db *db, struct kv *kv) { insert_new(db, kv, db_key_hash(kv_key(kv), kv->keylen)); }

void db_restore(struct db *db, struct kv *kv, long long when)
{
    kv->expires = 0;
    mark_current(db, kv);
    dict_insert(&db->keys, &kv->node, db_key_hash(kv_key(kv), kv->keylen));
    if (when >= 0) set_expire(db, kv, when);
    if (kv->type != OBJ_STREAM) stored(db, kv); /* a stream back unchanged has nothing new for its readers */
}

static void replace_record(struct db *db, struct kv *old, struct kv *repl)
{
    uint64_t hash = db_key_hash(kv_key(old), old->keylen);
    keep_for_snapshot(db, old);
    mark_current(db, repl);
    fresh(db, repl);
    dict_replace(&db->keys, &old->node, &repl->node, hash);
    repl->expires = old->expires;
    if (old->expires) {
        struct expire_entry *e = (struct expire_entry *)dict_find(&db->expires, kv_key(old), old->keylen, hash);
        if (e) e->kv = repl;
    }
}

void db_swap_record(struct db *db, struct kv *old, struct kv *repl)
{
    if (repl->type != OBJ_STREAM) stream_gone(db, old);
    replace_record(db, old, repl);
    changed(db, kv_key(repl), repl->keylen);
}

void db_reencode(struct db *db, struct kv *old, struct kv *repl)
{
    replace_record(db, old, repl);
    repl->lru = old->lru;
}

void db_set(struct db *db, struct kv *kv, bool keep_ttl)
{
    uint64_t hash = db_key_hash(kv_key(kv), kv->keylen);
    struct kv *old = lookup(db, kv_key(kv), kv->keylen, hash);
    if (!old) {
        insert_new(db, kv, hash);
        return;
    }
    if (old->expires && !keep_ttl) remove_expire(db, old, hash);
    db_swap_record(db, old, kv);
    kv_free(old);
    stored(db, kv);
}

static bool overwrite_in_place(struct kv *old, const char *val, size_t vlen)
{
    long long ll;
    if (vlen <= 20 && string2ll(val, vlen, &ll)) {
        if (old->enc != ENC_INT) return false;
        old->v.i = ll;
        return true;
    }
    if (vlen > OBJ_EMBSTR_MAX) {
        /* Not into a buffer much bigger than the value: Redis stores a new
         * value trimmed (trimStringObjectIfNeeded: spare <= len/10). */
        if (old->enc != ENC_RAW || old->v.str->cap < vlen || old->v.str->cap - vlen > vlen / 10) return false;
        memcpy(old->v.str->data, val, vlen);
        old->v.str->len = vlen;
        return true;
    }
    if (old->enc != ENC_EMBSTR || rk_usable_size(old) < KV_HEADER_EMBSTR + old->keylen + vlen) return false;
    memcpy(kv_key_mut(old) + old->keylen, val, vlen);
    old->embstr_len = vlen;
    return true;
}

struct kv *db_set_string(struct db *db, struct kv *old, const char *key, size_t klen, const char *val,
                         size_t vlen, bool keep_ttl)
{
    if (!old) {
        struct kv *kv = kv_new_string(key, klen, val, vlen);
        db_add(db, kv);
        return kv;
    }
    keep_for_snapshot(db, old);
    if (old->expires && !keep_ttl) db_persist(db, old);
    touch(db, old);
    if (old->type == OBJ_STRING && overwrite_in_place(old, val, vlen)) {
        changed(db, key, klen);
        return old;
    }
    struct kv *kv = kv_new_string(key, klen, val, vlen);
    db_swap_record(db, old, kv);
    kv_free(old);
    return kv;
}

void db_touch(struct db *db, const char *key, size_t len) { changed(db, key, len); }

void db_signal_modified(struct db *db, const char *key, size_t len)
{
    db->stats->signals++;
    signal_modified(db, key, len, false);
}

struct kv *db_take(struct db *db, const char *key, size_t len, long long *when)
{
    uint64_t hash = db_key_hash(key, len);
    struct kv *kv = lookup(db, key, len, hash);
    if (!kv) return NULL;
    *when = -1;
    if (kv->expires) {
        *when = db_get_expire(db, kv);
        remove_expire(db, kv, hash);
    }
    dict_unlink(&db->keys, key, len, hash);
    return kv;
}

struct kv *db_detach(struct db *db, const char *key, size_t len, long long *when)
{
    struct kv *kv = db_take(db, key, len, when);
    if (kv) changed(db, key, len);
    if (kv) stream_gone(db, kv);
    return kv;
}

static void delete_kv(struct db *db, struct kv *kv, bool expired)
{
    keep_for_snapshot(db, kv);
    uint64_t hash = db_key_hash(kv_key(kv), kv->keylen);
    if (kv->expires) remove_expire(db, kv, hash);
    dict_unlink(&db->keys, kv_key(kv), kv->keylen, hash);
    changed_by(db, kv_key(kv), kv->keylen, expired); /* before the free: the key bytes live in kv */
    stream_gone(db, kv);
    kv_free(kv);
}

void db_delete_kv(struct db *db, struct kv *kv) { delete_kv(db, kv, false); }

bool db_delete(struct db *db, const char *key, size_t len)
{
    uint64_t hash = db_key_hash(key, len);
    struct kv *kv = lookup(db, key, len, hash);
    if (!kv) return false;
    db_delete_kv(db, kv);
    return true;
}

#define EXPIRE_SAMPLE 20

uint64_t db_active_expire(struct db *db, long long now_ms, long long budget_us)
{
    long long start = monotonic_us();
    uint64_t deleted = 0;
    long long ttl_sum = 0, ttl_samples = 0;
    for (;;) {
        uint64_t n = dict_size(&db->expires);
        if (n == 0) break;
        unsigned sample = n < EXPIRE_SAMPLE ? (unsigned)n : EXPIRE_SAMPLE, stale = 0;
        for (unsigned i = 0; i < sample; i++) {
            struct expire_entry *e = (struct expire_entry *)dict_random(&db->expires, rng_cb, db);
            if (!e) break;
            if (now_ms >= e->when) {
                db_delete_expired(db, e->kv);
                stale++;
                deleted++;
            } else {
                /* Saturates: a client may set a TTL near LLONG_MAX. */
                if (__builtin_add_overflow(ttl_sum, e->when - now_ms, &ttl_sum)) ttl_sum = LLONG_MAX;
                ttl_samples++;
            }
        }
        db->stats->expire_cycles++;
        if (stale * 4 <= sample || monotonic_us() - start > budget_us) break;
    }
    if (ttl_samples) {
        long long avg = ttl_sum / ttl_samples;
        /* Redis smooths the estimate the same way (2% of the new sample). */
        db->avg_ttl = db->avg_ttl ? (db->avg_ttl / 50) * 49 + (avg / 50) : avg;
    }
    if (dict_size(&db->expires) == 0) db->avg_ttl = 0;
    return deleted;
}

void db_maintain(struct db *db, long long budget_us)
{
    dict_rehash_for(&db->keys, budget_us);
    dict_rehash_for(&db->expires, budget_us);
}

struct kv *db_random(struct db *db)
{
    long long now = db_now_ms();
    for (int tries = 0; tries < 100; tries++) {
        struct kv *kv = (struct kv *)dict_random(&db->keys, rng_cb, db);
        if (!kv) return NULL;
        if (!db_is_expired(db, kv, now)) return kv;
        /* Redis returns an expired key only if all keys are volatile; we
         * delete it and try again, so an expired key is never returned. */
        db_delete_expired(db, kv);
    }
    return NULL;
}

struct kv *db_sample(struct db *db, bool volatile_only, long long *when)
{
    if (!volatile_only) {
        struct kv *kv = (struct kv *)dict_random(&db->keys, rng_cb, db);
        *when = kv && kv->expires ? db_get_expire(db, kv) : -1;
        return kv;
    }
    struct expire_entry *e = (struct expire_entry *)dict_random(&db->expires, rng_cb, db);
    if (!e) return NULL;
    *when = e->when;
    return e->kv;
}

void db_swap(struct db *a, struct db *b)
{
    db_snapshot_all(a);
    db_snapshot_all(b);
    watch_touch_all(a, b);
    watch_touch_all(b, a);
    struct db tmp = *a;
    *a = *b;
    *b = tmp;
    /* WATCHes and blocked clients belong to the database number (Redis),
     * not its contents. */
    b->watch = a->watch;
    a->watch = tmp.watch;
    struct ready_keys *r = b->ready;
    b->ready = a->ready;
    a->ready = r;
    /* The counters and the sampling generator stay with the slot. */
    b->stats = a->stats;
    a->stats = tmp.stats;
    uint64_t rng = a->rng_state;
    a->rng_state = b->rng_state;
    b->rng_state = rng;
    b->id = a->id;
    a->id = tmp.id;
    ready_rescan(a); /* Redis 7.0 serves clients blocked on keys the swap brought */
    ready_rescan(b);
}

uint64_t db_scan(struct db *db, uint64_t cursor, dict_scan_fn fn, void *arg)
{
    return dict_scan(&db->keys, cursor, fn, arg);
}
