/* zskiplist.h — the ordered half of a big sorted set: a skiplist sorted by
 * (score, member bytes) whose links carry spans, so rank lookups and
 * rank ranges are O(log n) (Redis's zskiplist design).
 *
 * The member lives in the node's own allocation, after its levels. A node
 * keeps its address for its whole life (zsl_update_score relinks the same
 * node), so the sorted set's dict may point at nodes and hash the member
 * in place. The range deletions call back with each node before freeing
 * it, so the caller can drop it from that dict.
 *
 * Ranges follow ZRANGEBYSCORE (min/max with '(' for exclusive, "-inf",
 * "+inf") and ZRANGEBYLEX ('[' inclusive, '(' exclusive, "-" and "+").
 * Lex ranges assume all scores are equal, as Redis documents.
 *
 * Memory (measured in tests/unit/data/test_zskiplist.c, memory_per_element):
 * a node is 24 bytes + 16 per level (4/3 levels on average) + the member,
 * one allocation; 100000 members of 8 bytes take 53.3 bytes per node
 * allocated (mimalloc classes: 48 bytes for a 1-level node, 64 for 2).
 * The sorted set's dict entry comes on top.
 *
 * One thread (the owning shard).
 */
#ifndef RINGKV_ZSKIPLIST_H
#define RINGKV_ZSKIPLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZSL_MAX_LEVEL 32 /* enough for 2^64 elements with p = 1/4 */

typedef struct zsl_node {
    double score;
    struct zsl_node *backward;
    uint32_t mlen;  /* member length */
    uint8_t height; /* number of levels */
    struct zsl_level {
        struct zsl_node *forward;
        size_t span; /* level-0 steps to forward (rank distance) */
    } level[];
    /* mlen member bytes (no NUL) follow level[height - 1] */
} zsl_node;

typedef struct zskiplist {
    zsl_node *header, *tail;
    size_t length;
    int level; /* highest level in use */
} zskiplist;

/* Score interval; minex/maxex make a bound exclusive. */
typedef struct zsl_range {
    double min, max;
    bool minex, maxex;
} zsl_range;

enum zsl_lex_kind { ZSL_LEX_INCL, ZSL_LEX_EXCL, ZSL_LEX_MIN, ZSL_LEX_MAX };

/* One ZRANGEBYLEX bound; s/len only for INCL and EXCL (they point into
 * the caller's argument, which must outlive the range). */
typedef struct zsl_lex_bound {
    enum zsl_lex_kind kind;
    const unsigned char *s;
    size_t len;
} zsl_lex_bound;

typedef struct zsl_lex_range {
    zsl_lex_bound min, max;
} zsl_lex_range;

/* Called with each node a range deletion removes, before it is freed. */
typedef void zsl_removed_fn(void *ctx, zsl_node *node);

static inline const unsigned char *zsl_member(const zsl_node *n)
{
    return (const unsigned char *)&n->level[n->height];
}

zskiplist *zsl_create(void);
void zsl_free(zskiplist *zsl);
static inline size_t zsl_length(const zskiplist *zsl) { return zsl->length; }

/* Inserts a member the caller knows is absent (members are under 4 GB,
 * as proto-max-bulk-len keeps them); returns its node. */
zsl_node *zsl_insert(zskiplist *zsl, double score, const void *m, size_t mlen);
/* Removes (score, m); false if absent. If out is not NULL the unlinked
 * node is handed to the caller (free it with zsl_node_free), else freed. */
bool zsl_delete(zskiplist *zsl, double score, const void *m, size_t mlen, zsl_node **out);
void zsl_node_free(zsl_node *node);
/* Moves `node` (currently at its score) to newscore; returns the same
 * node, its rank possibly changed. */
zsl_node *zsl_update_score(zskiplist *zsl, zsl_node *node, double newscore);

/* 1-based rank of (score, m), or 0 if absent. */
size_t zsl_rank(const zskiplist *zsl, double score, const void *m, size_t mlen);
/* Node at 1-based rank, or NULL. */
zsl_node *zsl_by_rank(const zskiplist *zsl, size_t rank);

/* Walking: first/last node, and neighbours; NULL at either end. */
static inline zsl_node *zsl_first(const zskiplist *zsl) { return zsl->header->level[0].forward; }
static inline zsl_node *zsl_last(const zskiplist *zsl) { return zsl->tail; }
static inline zsl_node *zsl_next(const zsl_node *n) { return n->level[0].forward; }
static inline zsl_node *zsl_prev(const zsl_node *n) { return n->backward; }

/* Score ranges. */
bool zsl_range_is_empty(const zsl_range *r);
bool zsl_score_gte_min(double score, const zsl_range *r);
bool zsl_score_lte_max(double score, const zsl_range *r);
zsl_node *zsl_first_in_range(const zskiplist *zsl, const zsl_range *r);
zsl_node *zsl_last_in_range(const zskiplist *zsl, const zsl_range *r);

/* Lex ranges. */
bool zsl_lex_range_is_empty(const zsl_lex_range *r);
bool zsl_lex_gte_min(const void *m, size_t mlen, const zsl_lex_range *r);
bool zsl_lex_lte_max(const void *m, size_t mlen, const zsl_lex_range *r);
zsl_node *zsl_first_in_lex_range(const zskiplist *zsl, const zsl_lex_range *r);
zsl_node *zsl_last_in_lex_range(const zskiplist *zsl, const zsl_lex_range *r);

/* Range deletions (ZREMRANGEBYSCORE/BYLEX/BYRANK); return how many were
 * removed. Ranks are 1-based and inclusive. fn may be NULL. */
size_t zsl_delete_range_by_score(zskiplist *zsl, const zsl_range *r, zsl_removed_fn *fn, void *ctx);
size_t zsl_delete_range_by_lex(zskiplist *zsl, const zsl_lex_range *r, zsl_removed_fn *fn, void *ctx);
size_t zsl_delete_range_by_rank(zskiplist *zsl, size_t start, size_t end, zsl_removed_fn *fn,
                                void *ctx);

/* Argument parsing as Redis 7.0 does it (any thread, pure). A score bound
 * is strtod's syntax after an optional '(' with nothing left over and no
 * NaN; a lex bound is "-", "+", or '[' / '(' followed by the member.
 * False means the caller replies "ERR min or max is not a float" or
 * "ERR min or max not valid string range item". */
bool zsl_parse_range(const char *min, size_t minlen, const char *max, size_t maxlen, zsl_range *out);
bool zsl_parse_lex_range(const char *min, size_t minlen, const char *max, size_t maxlen,
                         zsl_lex_range *out);

#endif
