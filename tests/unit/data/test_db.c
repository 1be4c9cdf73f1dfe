/* The keyspace's expiry clock: within one command a key does not expire
 * between two lookups (a command may hold the record it found first:
 * BITOP AND d b b read freed memory when b expired between its two
 * lookups, found by fuzz_exec). */
#include <criterion/criterion.h>
#include "ringkv/data/db.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/data/object.h"
#include "ringkv/base/util.h"

#include <limits.h>
#include <stdio.h>
#include <time.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

Test(db, no_key_expires_within_a_command)
{
    obj_types_setup();
    struct db_stats stats = {0};
    struct db db;
    db_init(&db, &stats, 1);
    struct kv *kv = kv_new_string("b", 1, "v", 1);
    db_add(&db, kv);
    db_set_expire(&db, kv, mstime() + 20);

    db_command_begin();
    struct kv *first = db_lookup(&db, "b", 1);
    cr_assert_eq(first, kv);
    sleep_ms(40); /* the TTL passes while the command runs */
    cr_assert_eq(db_lookup(&db, "b", 1), first, "the key expired between two lookups of one command");
    db_command_end();

    /* The next command sees the clock again: the key is gone. */
    db_command_begin();
    cr_assert_null(db_lookup(&db, "b", 1));
    db_command_end();
    cr_assert_eq(stats.expired_keys, 1);
    cr_assert_eq(db_size(&db), 0);
    db_deinit(&db);
}

/* A keyspace's databases are separate but count hits and misses together
 * (INFO's keyspace_hits is per shard, not per database). */
Test(keyspace, databases_share_counters)
{
    obj_types_setup();
    struct keyspace *ks = ks_create(3, 1);
    cr_assert_eq(ks->ndbs, 3);
    db_add(ks_db(ks, 0), kv_new_string("k", 1, "v", 1));
    db_add(ks_db(ks, 2), kv_new_string("k", 1, "w", 1));
    cr_assert_not_null(db_lookup(ks_db(ks, 0), "k", 1));
    cr_assert_null(db_lookup(ks_db(ks, 1), "k", 1));
    cr_assert_eq(ks->stats.hits, 1);
    cr_assert_eq(ks->stats.misses, 1);

    ks_flush(ks);
    cr_assert_eq(db_size(ks_db(ks, 0)) + db_size(ks_db(ks, 2)), 0);
    ks_reset_stats(ks);
    cr_assert_eq(ks->stats.hits + ks->stats.misses, 0);
    ks_destroy(ks);
}

/* Active expiry averages the TTLs it samples (INFO's avg_ttl); TTLs near
 * LLONG_MAX (PEXPIREAT takes them) overflowed the sum, found by fuzz_exec
 * (UBSan: signed integer overflow in db_active_expire). */
Test(db, active_expiry_averages_huge_ttls)
{
    obj_types_setup();
    struct db_stats stats = {0};
    struct db db;
    db_init(&db, &stats, 1);
    for (int i = 0; i < 30; i++) {
        char key[8];
        int n = snprintf(key, sizeof key, "k%d", i);
        struct kv *kv = kv_new_string(key, (size_t)n, "v", 1);
        db_add(&db, kv);
        db_set_expire(&db, kv, LLONG_MAX / 2 + i);
    }
    cr_assert_eq(db_active_expire(&db, mstime(), 1000), 0);
    cr_assert_gt(db.avg_ttl, 0, "avg_ttl %lld", db.avg_ttl);
    cr_assert_eq(db_size(&db), 30);
    db_deinit(&db);
}
