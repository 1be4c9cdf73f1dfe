/* strings_util.h — small helpers shared by the string, bitmap, key and
 * expire integration tests. Header-only; test threads only. */
#ifndef RINGKV_TEST_STRINGS_UTIL_H
#define RINGKV_TEST_STRINGS_UTIL_H

#include "harness.h"

#include <stdbool.h>

/* Puts a set at key (SADD key member), for wrong-type checks; false when
 * the build under test has no SADD, and the caller then skips them. */
static inline bool su_make_set(redisContext *c, const char *key, const char *member)
{
    redisReply *r = ts_cmd(c, "SADD %s %s", key, member);
    bool ok = r->type == REDIS_REPLY_INTEGER;
    freeReplyObject(r);
    return ok;
}

/* The integer of a reply (asserted to be one), freeing it. */
static inline long long su_int(redisReply *r)
{
    cr_assert_eq(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* Asserts that TTL key reads `want` seconds, as set by a command sent
 * after t0 (a ts_now_ms() reading): at most want, and at least want less
 * one (TTL rounds to the nearest second) less every whole second that has
 * passed since t0. An exact `want` would assume the commands in between
 * took under half a second, which a loaded machine (or a sanitizer) does
 * not promise. */
static inline void su_assert_ttl(redisContext *c, const char *key, long long want, long long t0)
{
    long long ttl = su_int(ts_cmd(c, "TTL %s", key));
    long long elapsed = ts_now_ms() - t0, low = want - 1 - elapsed / 1000;
    if (low < 0)
        low = 0;
    cr_assert(ttl >= low && ttl <= want, "TTL %s: %lld, want %lld (at least %lld, %lld ms after it was set)", key,
              ttl, want, low, elapsed);
}

/* The same for PTTL, in milliseconds (10 ms for the clocks' granularity). */
static inline void su_assert_pttl(redisContext *c, const char *key, long long want_ms, long long t0)
{
    long long pttl = su_int(ts_cmd(c, "PTTL %s", key));
    long long elapsed = ts_now_ms() - t0, low = want_ms - 10 - elapsed;
    if (low < 0)
        low = 0;
    cr_assert(pttl >= low && pttl <= want_ms, "PTTL %s: %lld, want %lld (at least %lld, %lld ms after it was set)",
              key, pttl, want_ms, low, elapsed);
}

#endif
