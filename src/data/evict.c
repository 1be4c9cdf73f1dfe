/* evict.c — picking keys to evict (see evict.h), after Redis's evict.c. */
#include "ringkv/data/evict.h"
#include "ringkv/base/notify.h"
#include "ringkv/base/alloc.h"

#include <limits.h>
#include <string.h>

#define POOL_SIZE 16        /* Redis's EVPOOL_SIZE */
#define POOL_KEY_INLINE 48  /* names up to this long need no allocation */

/* A candidate's name lives in the slot (moved with it) or on the heap. */
struct candidate {
    unsigned long long score; /* higher: better to evict */
    int db;                   /* -1: empty slot */
    size_t len;
    char *heap_key;           /* NULL: the name is in inline_key */
    char inline_key[POOL_KEY_INLINE];
};

/* As Redis's pool: the filled slots first, by ascending score, then the
 * empty ones. */
struct evict_pool {
    struct candidate c[POOL_SIZE];
    int next_db;                   /* the random policies' turn */
    bool fresh;                    /* just sampled by evict_best_score */
};

static const char *key_of(const struct candidate *c) { return c->heap_key ? c->heap_key : c->inline_key; }

struct evict_pool *evict_pool_create(void)
{
    struct evict_pool *p = rk_calloc(1, sizeof *p);
    for (int i = 0; i < POOL_SIZE; i++) p->c[i].db = -1;
    return p;
}

static void clear(struct candidate *c)
{
    rk_free(c->heap_key);
    c->heap_key = NULL;
    c->db = -1;
}

void evict_pool_destroy(struct evict_pool *p)
{
    if (!p) return;
    for (int i = 0; i < POOL_SIZE; i++) clear(&p->c[i]);
    rk_free(p);
}

void evict_configure(struct keyspace *ks, const struct config *cfg)
{
    ks->access.lfu = config_policy_lfu(cfg->maxmemory_policy);
    ks->access.lfu_log_factor = cfg->lfu_log_factor;
    ks->access.lfu_decay_time = cfg->lfu_decay_time;
}

static unsigned long long score_of(const struct kv *kv, long long when, const struct config *cfg)
{
    switch (cfg->maxmemory_policy) {
    case MM_VOLATILE_TTL: return ULLONG_MAX - (unsigned long long)when; /* sooner to expire: better */
    case MM_ALLKEYS_LFU:
    case MM_VOLATILE_LFU: return 255 - kv_lfu_counter(kv, cfg->lfu_decay_time);
    default: return (unsigned long long)kv_idle_seconds(kv) * 1000;
    }
}

static bool in_pool(const struct evict_pool *p, int db, const struct kv *kv)
{
    for (int i = 0; i < POOL_SIZE && p->c[i].db >= 0; i++)
        if (p->c[i].db == db && p->c[i].len == kv->keylen && memcmp(key_of(&p->c[i]), kv_key(kv), kv->keylen) == 0)
            return true;
    return false;
}

/* Redis's evictionPoolPopulate step: keeps the best POOL_SIZE seen. */
static void pool_insert(struct evict_pool *p, int db, const struct kv *kv, unsigned long long score)
{
    if (in_pool(p, db, kv)) return;
    int k = 0;
    while (k < POOL_SIZE && p->c[k].db >= 0 && p->c[k].score < score) k++;
    bool full = p->c[POOL_SIZE - 1].db >= 0;
    if (k == 0 && full) return; /* worse than everything in a full pool */
    if (k < POOL_SIZE && p->c[k].db >= 0) {
        if (!full) {
            /* Room on the right: the better ones move up. */
            memmove(&p->c[k + 1], &p->c[k], sizeof(p->c[0]) * (size_t)(POOL_SIZE - k - 1));
        } else {
            /* Full: the worst (leftmost) goes, the lesser ones move down. */
            k--;
            clear(&p->c[0]);
            memmove(&p->c[0], &p->c[1], sizeof(p->c[0]) * (size_t)k);
        }
    } else if (k == POOL_SIZE) {
        k--; /* full and better than all: the worst goes */
        clear(&p->c[0]);
        memmove(&p->c[0], &p->c[1], sizeof(p->c[0]) * (size_t)k);
    }
    struct candidate *c = &p->c[k];
    c->score = score;
    c->db = db;
    c->len = kv->keylen;
    c->heap_key = kv->keylen > POOL_KEY_INLINE ? rk_malloc(kv->keylen) : NULL;
    memcpy(c->heap_key ? c->heap_key : c->inline_key, kv_key(kv), kv->keylen);
}

static void populate(struct evict_pool *p, struct keyspace *ks, const struct config *cfg)
{
    bool vol = config_policy_volatile(cfg->maxmemory_policy);
    for (int d = 0; d < ks->ndbs; d++) {
        struct db *db = ks_db(ks, d);
        if ((vol ? db_expires_size(db) : db_size(db)) == 0) continue;
        for (long long i = 0; i < cfg->maxmemory_samples; i++) {
            long long when;
            struct kv *kv = db_sample(db, vol, &when);
            if (kv) pool_insert(p, d, kv, score_of(kv, when, cfg));
        }
    }
}

/* Evicts the record whether or not its time has come, as Redis does. */
static bool evict_key(struct keyspace *ks, int d, struct kv *kv)
{
    struct db *db = ks_db(ks, d);
    db_notify(db, NOTIFY_EVICTED, "evicted", kv_key(kv), kv->keylen);
    db_delete_kv(db, kv);
    ks->stats.evicted_keys++;
    return true;
}

/* Takes the best candidate still present: the rightmost filled slot,
 * emptied whether its key is still there or not. */
static bool evict_from_pool(struct evict_pool *p, struct keyspace *ks, bool vol)
{
    for (int k = POOL_SIZE - 1; k >= 0; k--) {
        struct candidate *c = &p->c[k];
        if (c->db < 0) continue;
        struct kv *kv = db_peek(ks_db(ks, c->db), key_of(c), c->len);
        bool ok = kv && (!vol || kv->expires) && evict_key(ks, c->db, kv);
        clear(c);
        if (ok) return true;
    }
    return false;
}

static bool evict_random(struct evict_pool *p, struct keyspace *ks, bool vol)
{
    for (int n = 0; n < ks->ndbs; n++) {
        int d = (p->next_db + n) % ks->ndbs;
        long long when;
        struct kv *kv = db_sample(ks_db(ks, d), vol, &when);
        if (!kv) continue;
        p->next_db = (d + 1) % ks->ndbs;
        return evict_key(ks, d, kv);
    }
    return false;
}

bool evict_best_score(struct keyspace *ks, struct evict_pool *pool, const struct config *cfg,
                      unsigned long long *score)
{
    long long policy = cfg->maxmemory_policy;
    if (!config_policy_ranks(policy)) return false;
    populate(pool, ks, cfg);
    pool->fresh = true;
    for (int k = POOL_SIZE - 1; k >= 0; k--)
        if (pool->c[k].db >= 0) {
            *score = pool->c[k].score;
            return true;
        }
    return false;
}

bool evict_one(struct keyspace *ks, struct evict_pool *pool, const struct config *cfg)
{
    long long policy = cfg->maxmemory_policy;
    if (policy == MM_NOEVICTION) return false;
    bool vol = config_policy_volatile(policy);
    if (!config_policy_ranks(policy)) return evict_random(pool, ks, vol);
    /* A round sampled just before (evict_best_score) is not sampled again. */
    if (pool->fresh) {
        pool->fresh = false;
        if (evict_from_pool(pool, ks, vol)) return true;
    }
    for (int tries = 0; tries < 4; tries++) {
        populate(pool, ks, cfg);
        if (evict_from_pool(pool, ks, vol)) return true;
    }
    return false;
}
