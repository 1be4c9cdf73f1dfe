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

#endif
