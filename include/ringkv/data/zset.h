/* zset.h — the sorted set type's value in its two encodings, behind one
 * API that the sorted set commands, the set-algebra commands and SORT use.
 *
 *   listpack  member, score, member, score ... ordered by (score, member
 *             bytes); scores stored as Redis 7.0's d2string text, which the
 *             listpack keeps as an integer when it is one ("3", not "3.0";
 *             "-0" stays a string so the sign survives). Used while the set
 *             has at most zset-max-listpack-entries members of at most
 *             zset-max-listpack-value bytes.
 *   skiplist  struct zset: a zskiplist (order, ranks) plus a dict from
 *             member to skiplist node (O(1) ZSCORE). The dict entries are
 *             small records pointing at the nodes, which hold the member.
 * Conversions as Redis 7.0: listpack -> skiplist when a limit is passed;
 * back only where Redis does it (ZUNIONSTORE & co.'s results).
 *
 * The value is kv->v.ptr, encoding in kv->enc; calls that may reallocate
 * or convert update the record. Members handed out point into the value
 * and live until it changes. One thread: the shard owning the record.
 */
#ifndef RINGKV_ZSET_H
#define RINGKV_ZSET_H

#include "ringkv/base/config.h"
#include "ringkv/data/dict.h"
#include "ringkv/data/object.h"
#include "ringkv/data/zskiplist.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zset {
    struct dict dict;
    zskiplist *zsl;
};

/* One member with its score: bytes (str != NULL) or an integer. */
struct zset_elem {
    const char *str;
    size_t len;
    long long ll;
    double score;
};

/* ZADD's input flags and zset_add's outcome flags (Redis's names). */
enum {
    ZADD_IN_INCR = 1 << 0, ZADD_IN_NX = 1 << 1, ZADD_IN_XX = 1 << 2, ZADD_IN_GT = 1 << 3, ZADD_IN_LT = 1 << 4,
};
enum { ZADD_OUT_NOP = 1 << 0, ZADD_OUT_NAN = 1 << 1, ZADD_OUT_ADDED = 1 << 2, ZADD_OUT_UPDATED = 1 << 3 };

extern const struct obj_type_ops zset_type_ops;

/* A new empty sorted set record in the given encoding. */
struct kv *zset_create(const char *key, size_t klen, enum obj_encoding enc);
/* ZADD's choice for a new key whose first member is flen bytes long. */
struct kv *zset_create_for(const char *key, size_t klen, const struct config *cfg, size_t flen);

size_t zset_length(const struct kv *kv);
/* Redis's zsetAdd: false only when the result would be NaN (*out has
 * ZADD_OUT_NAN). *newscore (may be NULL) gets the score now held. */
bool zset_add(struct kv *kv, const struct config *cfg, double score, const char *m, size_t mlen, int in,
              int *out, double *newscore);
bool zset_del(struct kv *kv, const char *m, size_t mlen);
bool zset_score(struct kv *kv, const char *m, size_t mlen, double *score);
/* 0-based rank from the low end (or the high end if reverse); -1 if absent. */
long long zset_rank(struct kv *kv, const char *m, size_t mlen, bool reverse);

void zset_convert(struct kv *kv, enum obj_encoding enc);
/* Back to listpack if the set now fits (maxlen: longest member, total:
 * all members' bytes), as Redis's zsetConvertToListpackIfNeeded. */
void zset_shrink_if_fits(struct kv *kv, const struct config *cfg, size_t maxlen, size_t total);

/* Walking in order, or in reverse, from a start position. */
struct zset_iter {
    struct kv *kv;
    bool rev;
    unsigned char *p; /* listpack: next member entry */
    zsl_node *n;      /* skiplist: next node */
};

/* From the rank-th member (0-based, counted from the end walked from). */
void zset_iter_rank(struct zset_iter *it, struct kv *kv, size_t rank, bool rev);
/* From the first member in the range (the last one when rev). The walk
 * does not stop at the range's other end: callers check. */
void zset_iter_score(struct zset_iter *it, struct kv *kv, const zsl_range *r, bool rev);
void zset_iter_lex(struct zset_iter *it, struct kv *kv, const zsl_lex_range *r, bool rev);
bool zset_iter_next(struct zset_iter *it, struct zset_elem *e);

/* The member's bytes; integers are formatted into buf (RK_LONG_STR_SIZE). */
const char *zset_elem_str(const struct zset_elem *e, char *buf, size_t *len);

/* Range counts and deletions (ranks 0-based, inclusive, already clamped). */
size_t zset_count_score(struct kv *kv, const zsl_range *r);
size_t zset_count_lex(struct kv *kv, const zsl_lex_range *r);
size_t zset_delete_score(struct kv *kv, const zsl_range *r);
size_t zset_delete_lex(struct kv *kv, const zsl_lex_range *r);
size_t zset_delete_rank(struct kv *kv, size_t start, size_t end);

/* Random members: one, or up to count distinct ones (count < length). */
void zset_random(struct kv *kv, struct zset_elem *e);
size_t zset_random_distinct(struct kv *kv, size_t count, struct zset_elem *out);

/* Skiplist-encoded cursor step for ZSCAN: fn gets each member and score. */
uint64_t zset_scan(struct kv *kv, uint64_t cursor,
                   void (*fn)(const char *m, size_t mlen, double score, void *arg), void *arg);

#endif
