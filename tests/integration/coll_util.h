/* coll_util.h — checks shared by the collection integration tests
 * (test_sets.c, test_zsets.c, test_sort.c): unordered array comparison,
 * encodings, and keys spread over shards. Header-only, one test process. */
#ifndef RINGKV_TEST_COLL_UTIL_H
#define RINGKV_TEST_COLL_UTIL_H

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringkv/base/util.h"

static inline int cu_strcmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Whether r is an array holding exactly the space-separated words of
 * `want` in any order ("" for none). */
static inline bool cu_unordered_is(const redisReply *r, const char *want, char *why, size_t cap)
{
    char buf[4096];
    char *words[512];
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s", want);
    for (char *t = strtok(buf, " "); t && n < 512; t = strtok(NULL, " ")) words[n++] = t;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != n) {
        char d[512];
        ts_reply_describe(r, d, sizeof d);
        snprintf(why, cap, "want %zu members {%s}, got %s", n, want, d);
        return false;
    }
    char **got = malloc((n ? n : 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++) got[i] = r->element[i]->str ? r->element[i]->str : "(nil)";
    qsort(got, n, sizeof(char *), cu_strcmp);
    qsort(words, n, sizeof(char *), cu_strcmp);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) ok = strcmp(got[i], words[i]) == 0;
    free(got);
    if (!ok) {
        char d[512];
        ts_reply_describe(r, d, sizeof d);
        snprintf(why, cap, "want {%s}, got %s", want, d);
    }
    return ok;
}

#define cu_assert_unordered(expr, want)                                      \
    do {                                                                     \
        redisReply *cu_r_ = (expr);                                          \
        char cu_w_[1024];                                                    \
        bool cu_ok_ = cu_unordered_is(cu_r_, (want), cu_w_, sizeof cu_w_);   \
        freeReplyObject(cu_r_);                                              \
        cr_assert(cu_ok_, "%s: %s", #expr, cu_w_);                           \
    } while (0)

/* OBJECT ENCODING arrived with the generic key commands; until a server
 * has it, encoding checks are skipped (reported by Criterion). */
static inline void cu_require_object_encoding(redisContext *c)
{
    redisReply *r = ts_cmd(c, "OBJECT ENCODING nosuchkey-cu");
    bool unknown = r->type == REDIS_REPLY_ERROR && strstr(r->str, "unknown command");
    freeReplyObject(r);
    if (unknown) cr_skip_test("OBJECT ENCODING not implemented");
}

/* Asserts the encoding: `ours` on ringkv, `redis` on redis-server 7.0. */
#define cu_assert_encoding(c, key, ours, redis)                              \
    ts_assert_bulk(ts_cmd((c), "OBJECT ENCODING %s", (key)), ts_is_redis() ? (redis) : (ours))

/* The shard (of 4) owning key, with the server's contiguous slot split. */
static inline unsigned cu_quarter(const char *key) { return key_hash_slot(key, strlen(key)) * 4 / RK_SLOTS; }

#endif
