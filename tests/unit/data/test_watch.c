/* WATCHed keys, as the key's owner keeps them: a change reported by the
 * database (write, delete, expiry, TTL) marks the key's watchers, other
 * keys and other databases stay clean; FLUSHDB and SWAPDB touch only keys
 * that exist; a key stored but already expired at WATCH time does not
 * count as changed when it is deleted or replaced by nothing (Redis
 * 7.0's multi.c rules); fingerprints tell in-place changes apart. */
#include <criterion/criterion.h>
#include "ringkv/base/util.h"
#include "ringkv/data/db.h"
#include "ringkv/data/object.h"
#include "ringkv/data/watch.h"

#include <string.h>
#include <time.h>

static struct db_stats stats;
static struct db db0, db1;

static void setup(void)
{
    obj_types_setup();
    db_init(&db0, &stats, 1);
    db_init(&db1, &stats, 2);
}

static void teardown(void)
{
    db_deinit(&db0);
    db_deinit(&db1);
}

TestSuite(watch, .init = setup, .fini = teardown);

static void set(struct db *db, const char *k, const char *v)
{
    db_set(db, kv_new_string(k, strlen(k), v, strlen(v)), false);
}

static void watch(struct db *db, const char *k, uint64_t client)
{
    struct kv *kv = db_peek(db, k, strlen(k));
    bool stale = kv && kv->expires && db_is_expired(db, kv, mstime());
    watch_add(db, k, strlen(k), client, stale);
}

static bool changed(struct db *db, const char *k, uint64_t client)
{
    return watch_changed(db, k, strlen(k), client);
}

Test(watch, writes_and_deletes_touch_only_their_key)
{
    set(&db0, "x", "1");
    watch(&db0, "x", 7);
    watch(&db0, "y", 7);
    watch(&db0, "x", 8);
    cr_assert(!changed(&db0, "x", 7) && !changed(&db0, "y", 7));
    set(&db0, "z", "1");
    set(&db1, "x", "1");
    cr_assert(!changed(&db0, "x", 7), "another key or another database's x");
    set(&db0, "x", "1");
    cr_assert(changed(&db0, "x", 7) && changed(&db0, "x", 8), "the same value written counts");
    cr_assert(!changed(&db0, "y", 7));
    cr_assert(!db_delete(&db0, "y", 1));
    cr_assert(!changed(&db0, "y", 7), "deleting a missing key is no change");
    set(&db0, "y", "v");
    cr_assert(changed(&db0, "y", 7));
}

Test(watch, ttl_changes_and_expiry_touch)
{
    set(&db0, "x", "1");
    set(&db0, "e", "1");
    watch(&db0, "x", 1);
    watch(&db0, "e", 1);
    struct kv *x = db_peek(&db0, "x", 1);
    cr_assert(!db_persist(&db0, x), "no TTL to remove: no change");
    cr_assert(!changed(&db0, "x", 1));
    db_set_expire(&db0, x, mstime() + 100000);
    cr_assert(changed(&db0, "x", 1));
    db_set_expire(&db0, db_peek(&db0, "e", 1), mstime() - 1);
    watch_remove(&db0, "e", 1, 1);
    watch(&db0, "e", 2); /* stale at WATCH time */
    watch(&db0, "x", 3);
    db_command_begin();
    cr_assert_null(db_lookup(&db0, "e", 1), "lazily expired");
    db_command_end();
    cr_assert(!changed(&db0, "e", 2), "a key stale at WATCH that is deleted did not change");
    set(&db0, "e", "new");
    cr_assert(changed(&db0, "e", 2), "once deleted, a write to it counts");
}

Test(watch, a_key_expiring_after_watch_is_a_change)
{
    set(&db0, "k", "1");
    db_set_expire(&db0, db_peek(&db0, "k", 1), mstime() + 30);
    watch(&db0, "k", 1);
    cr_assert(!changed(&db0, "k", 1));
    struct timespec ts = {0, 60 * 1000000L};
    nanosleep(&ts, NULL);
    cr_assert(changed(&db0, "k", 1), "stored but expired since WATCH");
}

Test(watch, flush_touches_existing_keys_only)
{
    set(&db0, "here", "1");
    watch(&db0, "here", 1);
    watch(&db0, "missing", 1);
    db_flush(&db0);
    cr_assert(changed(&db0, "here", 1));
    cr_assert(!changed(&db0, "missing", 1));
}

Test(watch, swapdb_touches_keys_existing_in_either_database)
{
    set(&db1, "only1", "1");
    set(&db0, "only0", "1");
    watch(&db0, "only1", 1);
    watch(&db0, "only0", 1);
    watch(&db0, "neither", 1);
    db_swap(&db0, &db1);
    cr_assert(changed(&db0, "only1", 1), "created by the swap");
    cr_assert(changed(&db0, "only0", 1), "removed by the swap");
    cr_assert(!changed(&db0, "neither", 1));
    cr_assert(watch_has(&db0, "neither", 7), "watches stay with the database number");
    cr_assert(!watch_has(&db1, "neither", 7));
}

Test(watch, forgetting_a_watch_and_a_missing_registration)
{
    watch(&db0, "k", 1);
    watch_remove(&db0, "k", 1, 1);
    cr_assert(!watch_has(&db0, "k", 1), "the last watcher gone: the key is no longer watched");
    cr_assert_null(db0.watch, "the registry is freed when empty");
    cr_assert(changed(&db0, "k", 1), "never registered counts as changed");
}

Test(watch, fingerprints_see_in_place_changes)
{
    set(&db0, "s", "abc");
    struct kv *kv = db_peek(&db0, "s", 1);
    uint64_t before = watch_fingerprint(kv);
    cr_assert_eq(watch_fingerprint(kv), before, "stable");
    memcpy(kv_key_mut(kv) + kv->keylen, "abd", 3);
    cr_assert_neq(watch_fingerprint(kv), before, "same length, other bytes");
    cr_assert_eq(watch_fingerprint(NULL), 0);
}
