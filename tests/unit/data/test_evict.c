/* Choosing keys to evict (src/data/evict.c): each policy takes the key
 * Redis's would, the volatile ones only keys with a TTL, and noeviction
 * nothing; the pool survives its candidates being deleted meanwhile. */
#include <criterion/criterion.h>
#include "ringkv/base/config.h"
#include "ringkv/base/util.h"
#include "ringkv/data/evict.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/data/object.h"

#include <stdio.h>
#include <string.h>

static struct config cfg;
static struct keyspace *ks;
static struct evict_pool *pool;

static void setup(void)
{
    obj_types_setup();
    config_init(&cfg);
    ks = ks_create(16, 42);
    pool = evict_pool_create();
}

static void teardown(void)
{
    evict_pool_destroy(pool);
    ks_destroy(ks);
    config_free(&cfg);
}

TestSuite(evict, .init = setup, .fini = teardown);

static struct kv *add(int db, const char *key, long long expire_ms)
{
    struct kv *kv = kv_new_string(key, strlen(key), "value", 5);
    db_add(ks_db(ks, db), kv);
    if (expire_ms >= 0) db_set_expire(ks_db(ks, db), kv, expire_ms);
    return kv;
}

static bool exists(int db, const char *key) { return db_peek(ks_db(ks, db), key, strlen(key)) != NULL; }

static void use_policy(long long policy)
{
    cfg.maxmemory_policy = policy;
    cfg.maxmemory_samples = 64; /* sample everything: the choice is then exact */
    evict_configure(ks, &cfg);
}

Test(evict, noeviction_evicts_nothing)
{
    use_policy(MM_NOEVICTION);
    add(0, "k", -1);
    cr_assert_not(evict_one(ks, pool, &cfg));
    cr_assert(exists(0, "k"));
}

/* Sampling draws keys at random (the dict's layout is seeded per
 * process), so a key may go unsampled in a round: what a policy takes is
 * checked as "among the best few", which a sample of 64 over 20 keys
 * always reaches. */
static int idle_rank_gone(int db, const char *prefix, int n, int *gone)
{
    char name[128];
    int k = 0;
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s%d", prefix, i);
        if (!exists(db, name)) gone[k++] = i;
    }
    return k;
}

Test(evict, lru_takes_the_longest_idle_first)
{
    use_policy(MM_ALLKEYS_LRU);
    char name[16];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "k%d", i);
        struct kv *kv = add(0, name, -1);
        kv->lru = (obj_lru_clock() - (uint32_t)(1000 - i * 10)) & ((1u << OBJ_LRU_BITS) - 1); /* k0 idlest */
    }
    for (int i = 0; i < 5; i++) cr_assert(evict_one(ks, pool, &cfg));
    int gone[20];
    cr_assert_eq(idle_rank_gone(0, "k", 20, gone), 5);
    for (int i = 0; i < 5; i++) cr_assert_lt(gone[i], 8, "k%d went, not one of the 8 idlest", gone[i]);
    cr_assert_eq(ks->stats.evicted_keys, 5);
}

Test(evict, volatile_policies_take_only_keys_with_a_ttl)
{
    long long policies[] = {MM_VOLATILE_LRU, MM_VOLATILE_LFU, MM_VOLATILE_RANDOM, MM_VOLATILE_TTL};
    for (size_t p = 0; p < sizeof policies / sizeof policies[0]; p++) {
        use_policy(policies[p]);
        add(0, "persistent1", -1);
        add(1, "persistent2", -1);
        add(0, "volatile1", mstime() + 100000);
        add(2, "volatile2", mstime() + 200000);
        cr_assert(evict_one(ks, pool, &cfg));
        cr_assert(evict_one(ks, pool, &cfg));
        cr_assert_not(evict_one(ks, pool, &cfg), "%s evicted a key without a TTL",
                      config_policy_names[policies[p]]);
        cr_assert(exists(0, "persistent1") && exists(1, "persistent2"));
        cr_assert_not(exists(0, "volatile1") || exists(2, "volatile2"));
        ks_flush(ks);
    }
}

Test(evict, volatile_ttl_takes_the_nearest_expiry_first)
{
    use_policy(MM_VOLATILE_TTL);
    long long now = mstime();
    add(0, "late", now + 900000);
    add(1, "soon", now + 1000);
    add(0, "middle", now + 50000);
    cr_assert(evict_one(ks, pool, &cfg));
    cr_assert_not(exists(1, "soon"));
    cr_assert(evict_one(ks, pool, &cfg));
    cr_assert_not(exists(0, "middle"));
    cr_assert(exists(0, "late"));
}

Test(evict, lfu_takes_the_least_used_first)
{
    use_policy(MM_ALLKEYS_LFU);
    cfg.lfu_log_factor = 0; /* every access counts */
    evict_configure(ks, &cfg);
    add(0, "cold", -1);
    add(0, "warm", -1);
    add(0, "hot", -1);
    struct db *db = ks_db(ks, 0);
    for (int i = 0; i < 50; i++) db_lookup(db, "hot", 3);
    for (int i = 0; i < 10; i++) db_lookup(db, "warm", 4);
    cr_assert_gt(kv_lfu_counter(db_peek(db, "hot", 3), 1), kv_lfu_counter(db_peek(db, "warm", 4), 1));
    cr_assert_eq(kv_lfu_counter(db_peek(db, "cold", 4), 1), LFU_INIT_VAL);
    cr_assert(evict_one(ks, pool, &cfg));
    cr_assert_not(exists(0, "cold"));
    cr_assert(evict_one(ks, pool, &cfg));
    cr_assert_not(exists(0, "warm"));
    cr_assert(exists(0, "hot"));
}

Test(evict, random_policies_empty_every_database)
{
    use_policy(MM_ALLKEYS_RANDOM);
    char name[16];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "r%d", i);
        add(i % 16, name, -1);
    }
    int n = 0;
    while (evict_one(ks, pool, &cfg)) n++;
    cr_assert_eq(n, 40);
    for (int d = 0; d < 16; d++) cr_assert_eq(db_size(ks_db(ks, d)), 0);
}

/* Candidates whose keys went away meanwhile are skipped, not evicted
 * twice nor trusted: the pool holds names, not records. */
Test(evict, pool_candidates_deleted_meanwhile_are_skipped)
{
    use_policy(MM_ALLKEYS_LRU);
    char name[16];
    for (int i = 0; i < 30; i++) {
        snprintf(name, sizeof name, "p%d", i);
        struct kv *kv = add(0, name, -1);
        kv->lru = (obj_lru_clock() - (uint32_t)(3000 - i * 10)) & ((1u << OBJ_LRU_BITS) - 1);
    }
    cr_assert(evict_one(ks, pool, &cfg)); /* fills the pool, takes one of the idlest */
    int deleted = 0;
    for (int i = 0; i < 10; i++) {       /* the best candidates go behind its back */
        snprintf(name, sizeof name, "p%d", i);
        deleted += db_delete(ks_db(ks, 0), name, strlen(name));
    }
    cr_assert(evict_one(ks, pool, &cfg));
    cr_assert_eq(db_size(ks_db(ks, 0)), (uint64_t)(30 - 1 - deleted - 1));
    int gone[30];
    int n = idle_rank_gone(0, "p", 30, gone);
    cr_assert_eq(n, deleted + 2);
    cr_assert_lt(gone[n - 1], 18, "p%d went, not among the idlest left", gone[n - 1]);
    cr_assert_eq(ks->stats.evicted_keys, 2);
}

/* Long names live outside the pool's slots; shifting slots keeps them
 * (every eviction finds its key by the name the pool kept). */
Test(evict, long_names_survive_pool_shifts)
{
    use_policy(MM_ALLKEYS_LRU);
    char name[128];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "%0100d", i);
        struct kv *kv = add(0, name, -1);
        kv->lru = (obj_lru_clock() - (uint32_t)(5000 - i * 10)) & ((1u << OBJ_LRU_BITS) - 1);
    }
    for (int i = 0; i < 40; i++) cr_assert(evict_one(ks, pool, &cfg), "eviction %d found nothing", i + 1);
    cr_assert_eq(db_size(ks_db(ks, 0)), 0);
    cr_assert_eq(ks->stats.evicted_keys, 40);
}
