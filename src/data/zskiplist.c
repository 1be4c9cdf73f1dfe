/* zskiplist.c — skiplist ordered by (score, member) with rank spans; see
 * zskiplist.h. One thread (the owning shard), except the parse functions.
 *
 * Span invariant: for every node x (header included) and level i below
 * zsl->level, x->level[i].span is the number of level-0 steps from x to
 * x->level[i].forward, or to one past the tail when forward is NULL
 * (i.e. length - rank(x)). Rank queries add spans along the search path.
 * Score and lex ranges share the search code through a pair of bound
 * predicates (range_ops).
 */
#include "ringkv/data/zskiplist.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/random.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- nodes and order ---- */

static zsl_node *node_alloc(int height, double score, const void *m, size_t mlen)
{
    /* No NUL after the member: members are binary and carry a length, and
     * a byte more would push an 8-byte member's node from mimalloc's 48
     * to its 64-byte size class. */
    zsl_node *n = rk_malloc(sizeof(*n) + (size_t)height * sizeof(struct zsl_level) + mlen);
    n->score = score;
    n->backward = NULL;
    n->mlen = (uint32_t)mlen;
    n->height = (uint8_t)height;
    unsigned char *dst = (unsigned char *)&n->level[height];
    if (mlen) memcpy(dst, m, mlen);
    return n;
}

void zsl_node_free(zsl_node *node) { rk_free(node); }

/* Level k+1 with probability 1/4 of level k (Redis's ZSKIPLIST_P): count
 * pairs of zero bits, 32 pairs in 64 random bits. */
static int random_level(void)
{
    uint64_t r = rk_random64();
    int level = 1;
    while ((r & 3) == 0 && level < ZSL_MAX_LEVEL) {
        level++;
        r >>= 2;
    }
    return level;
}

static int member_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t min = alen < blen ? alen : blen;
    int c = min ? memcmp(a, b, min) : 0;
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

static int node_cmp(const zsl_node *n, double score, const void *m, size_t mlen)
{
    if (n->score != score) return n->score < score ? -1 : 1;
    return member_cmp(zsl_member(n), n->mlen, m, mlen);
}

zskiplist *zsl_create(void)
{
    zskiplist *zsl = rk_malloc(sizeof(*zsl));
    zsl->header = node_alloc(ZSL_MAX_LEVEL, 0, NULL, 0);
    for (int i = 0; i < ZSL_MAX_LEVEL; i++) {
        zsl->header->level[i].forward = NULL;
        zsl->header->level[i].span = 0;
    }
    zsl->tail = NULL;
    zsl->length = 0;
    zsl->level = 1;
    return zsl;
}

void zsl_free(zskiplist *zsl)
{
    zsl_node *n = zsl->header->level[0].forward;
    while (n) {
        zsl_node *next = n->level[0].forward;
        zsl_node_free(n);
        n = next;
    }
    zsl_node_free(zsl->header);
    rk_free(zsl);
}

/* ---- linking ---- */

/* Fills update[i] with the last node before (score, m) on each level and
 * rank[i] with its rank; returns the node at or after the spot. */
static zsl_node *find_spot(const zskiplist *zsl, double score, const void *m, size_t mlen,
                           zsl_node **update, size_t *rank)
{
    zsl_node *x = zsl->header;
    size_t r = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && node_cmp(x->level[i].forward, score, m, mlen) < 0) {
            r += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
        if (rank) rank[i] = r;
    }
    return x->level[0].forward;
}

/* Links a node (its height and score already set) into its place. */
static void link_node(zskiplist *zsl, zsl_node *node)
{
    zsl_node *update[ZSL_MAX_LEVEL];
    size_t rank[ZSL_MAX_LEVEL];
    int h = node->height;
    find_spot(zsl, node->score, zsl_member(node), node->mlen, update, rank);
    for (int i = zsl->level; i < h; i++) {
        rank[i] = 0;
        update[i] = zsl->header;
        update[i]->level[i].span = zsl->length;
    }
    if (h > zsl->level) zsl->level = h;
    for (int i = 0; i < h; i++) {
        node->level[i].forward = update[i]->level[i].forward;
        update[i]->level[i].forward = node;
        node->level[i].span = update[i]->level[i].span - (rank[0] - rank[i]);
        update[i]->level[i].span = rank[0] - rank[i] + 1;
    }
    for (int i = h; i < zsl->level; i++) update[i]->level[i].span++;
    node->backward = update[0] == zsl->header ? NULL : update[0];
    if (node->level[0].forward) node->level[0].forward->backward = node;
    else zsl->tail = node;
    zsl->length++;
}

static void unlink_node(zskiplist *zsl, zsl_node *x, zsl_node **update)
{
    for (int i = 0; i < zsl->level; i++) {
        if (update[i]->level[i].forward == x) {
            update[i]->level[i].span += x->level[i].span - 1;
            update[i]->level[i].forward = x->level[i].forward;
        } else {
            update[i]->level[i].span--;
        }
    }
    if (x->level[0].forward) x->level[0].forward->backward = x->backward;
    else zsl->tail = x->backward;
    while (zsl->level > 1 && !zsl->header->level[zsl->level - 1].forward) zsl->level--;
    zsl->length--;
}

zsl_node *zsl_insert(zskiplist *zsl, double score, const void *m, size_t mlen)
{
    zsl_node *node = node_alloc(random_level(), score, m, mlen);
    link_node(zsl, node);
    return node;
}

bool zsl_delete(zskiplist *zsl, double score, const void *m, size_t mlen, zsl_node **out)
{
    zsl_node *update[ZSL_MAX_LEVEL];
    zsl_node *x = find_spot(zsl, score, m, mlen, update, NULL);
    if (!x || node_cmp(x, score, m, mlen) != 0) return false;
    unlink_node(zsl, x, update);
    if (out) *out = x;
    else zsl_node_free(x);
    return true;
}

zsl_node *zsl_update_score(zskiplist *zsl, zsl_node *node, double newscore)
{
    /* Still strictly between its neighbours: the order holds whatever the
     * members, so only the score changes. */
    if ((!node->backward || node->backward->score < newscore) &&
        (!node->level[0].forward || node->level[0].forward->score > newscore)) {
        node->score = newscore;
        return node;
    }
    zsl_node *update[ZSL_MAX_LEVEL];
    find_spot(zsl, node->score, zsl_member(node), node->mlen, update, NULL);
    unlink_node(zsl, node, update);
    node->score = newscore;
    link_node(zsl, node);
    return node;
}

/* ---- ranks ---- */

size_t zsl_rank(const zskiplist *zsl, double score, const void *m, size_t mlen)
{
    zsl_node *x = zsl->header;
    size_t rank = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && node_cmp(x->level[i].forward, score, m, mlen) <= 0) {
            rank += x->level[i].span;
            x = x->level[i].forward;
        }
        if (x != zsl->header && node_cmp(x, score, m, mlen) == 0) return rank;
    }
    return 0;
}

zsl_node *zsl_by_rank(const zskiplist *zsl, size_t rank)
{
    if (rank == 0 || rank > zsl->length) return NULL;
    zsl_node *x = zsl->header;
    size_t traversed = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span <= rank) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        if (traversed == rank) return x;
    }
    return NULL;
}

/* ---- ranges, generic over score and lex bounds ---- */

typedef struct range_ops {
    bool (*gte_min)(const zsl_node *n, const void *range);
    bool (*lte_max)(const zsl_node *n, const void *range);
} range_ops;

static zsl_node *first_in(const zskiplist *zsl, const range_ops *ops, const void *r)
{
    zsl_node *x = zsl->header;
    for (int i = zsl->level - 1; i >= 0; i--)
        while (x->level[i].forward && !ops->gte_min(x->level[i].forward, r)) x = x->level[i].forward;
    x = x->level[0].forward;
    return x && ops->lte_max(x, r) ? x : NULL;
}

static zsl_node *last_in(const zskiplist *zsl, const range_ops *ops, const void *r)
{
    zsl_node *x = zsl->header;
    for (int i = zsl->level - 1; i >= 0; i--)
        while (x->level[i].forward && ops->lte_max(x->level[i].forward, r)) x = x->level[i].forward;
    return x != zsl->header && ops->gte_min(x, r) ? x : NULL;
}

/* Unlinks up to `limit` nodes from x on while they are within the range's
 * max (if ops is given), reporting each to fn before freeing it. */
static size_t delete_run(zskiplist *zsl, zsl_node **update, zsl_node *x, const range_ops *ops,
                         const void *r, size_t limit, zsl_removed_fn *fn, void *ctx)
{
    size_t removed = 0;
    while (x && removed < limit && (!ops || ops->lte_max(x, r))) {
        zsl_node *next = x->level[0].forward;
        unlink_node(zsl, x, update);
        if (fn) fn(ctx, x);
        zsl_node_free(x);
        removed++;
        x = next;
    }
    return removed;
}

static size_t delete_in(zskiplist *zsl, const range_ops *ops, const void *r, zsl_removed_fn *fn,
                        void *ctx)
{
    zsl_node *update[ZSL_MAX_LEVEL], *x = zsl->header;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && !ops->gte_min(x->level[i].forward, r)) x = x->level[i].forward;
        update[i] = x;
    }
    return delete_run(zsl, update, x->level[0].forward, ops, r, SIZE_MAX, fn, ctx);
}

/* Score bounds. */

bool zsl_score_gte_min(double score, const zsl_range *r) { return r->minex ? score > r->min : score >= r->min; }
bool zsl_score_lte_max(double score, const zsl_range *r) { return r->maxex ? score < r->max : score <= r->max; }

bool zsl_range_is_empty(const zsl_range *r)
{
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

static bool node_gte_min(const zsl_node *n, const void *r) { return zsl_score_gte_min(n->score, r); }
static bool node_lte_max(const zsl_node *n, const void *r) { return zsl_score_lte_max(n->score, r); }
static const range_ops score_ops = {node_gte_min, node_lte_max};

zsl_node *zsl_first_in_range(const zskiplist *zsl, const zsl_range *r)
{
    return zsl_range_is_empty(r) ? NULL : first_in(zsl, &score_ops, r);
}

zsl_node *zsl_last_in_range(const zskiplist *zsl, const zsl_range *r)
{
    return zsl_range_is_empty(r) ? NULL : last_in(zsl, &score_ops, r);
}

size_t zsl_delete_range_by_score(zskiplist *zsl, const zsl_range *r, zsl_removed_fn *fn, void *ctx)
{
    return zsl_range_is_empty(r) ? 0 : delete_in(zsl, &score_ops, r, fn, ctx);
}

/* Lex bounds: "-" sorts before every member and "+" after, and both count
 * as exclusive, exactly as Redis's shared.minstring / maxstring. */

static int bound_cmp(const zsl_lex_bound *a, const zsl_lex_bound *b)
{
    if (a->kind == b->kind && (a->kind == ZSL_LEX_MIN || a->kind == ZSL_LEX_MAX)) return 0;
    if (a->kind == ZSL_LEX_MIN || b->kind == ZSL_LEX_MAX) return -1;
    if (a->kind == ZSL_LEX_MAX || b->kind == ZSL_LEX_MIN) return 1;
    return member_cmp(a->s, a->len, b->s, b->len);
}

static int value_cmp(const void *m, size_t mlen, const zsl_lex_bound *b)
{
    zsl_lex_bound v = {ZSL_LEX_INCL, m, mlen};
    return bound_cmp(&v, b);
}

bool zsl_lex_gte_min(const void *m, size_t mlen, const zsl_lex_range *r)
{
    int c = value_cmp(m, mlen, &r->min);
    return r->min.kind == ZSL_LEX_INCL ? c >= 0 : c > 0;
}

bool zsl_lex_lte_max(const void *m, size_t mlen, const zsl_lex_range *r)
{
    int c = value_cmp(m, mlen, &r->max);
    return r->max.kind == ZSL_LEX_INCL ? c <= 0 : c < 0;
}

bool zsl_lex_range_is_empty(const zsl_lex_range *r)
{
    int c = bound_cmp(&r->min, &r->max);
    return c > 0 || (c == 0 && (r->min.kind != ZSL_LEX_INCL || r->max.kind != ZSL_LEX_INCL));
}

static bool node_lex_gte_min(const zsl_node *n, const void *r) { return zsl_lex_gte_min(zsl_member(n), n->mlen, r); }
static bool node_lex_lte_max(const zsl_node *n, const void *r) { return zsl_lex_lte_max(zsl_member(n), n->mlen, r); }
static const range_ops lex_ops = {node_lex_gte_min, node_lex_lte_max};

zsl_node *zsl_first_in_lex_range(const zskiplist *zsl, const zsl_lex_range *r)
{
    return zsl_lex_range_is_empty(r) ? NULL : first_in(zsl, &lex_ops, r);
}

zsl_node *zsl_last_in_lex_range(const zskiplist *zsl, const zsl_lex_range *r)
{
    return zsl_lex_range_is_empty(r) ? NULL : last_in(zsl, &lex_ops, r);
}

size_t zsl_delete_range_by_lex(zskiplist *zsl, const zsl_lex_range *r, zsl_removed_fn *fn, void *ctx)
{
    return zsl_lex_range_is_empty(r) ? 0 : delete_in(zsl, &lex_ops, r, fn, ctx);
}

/* Ranks (1-based, inclusive). */

size_t zsl_delete_range_by_rank(zskiplist *zsl, size_t start, size_t end, zsl_removed_fn *fn,
                                void *ctx)
{
    if (start == 0 || start > end || start > zsl->length) return 0;
    zsl_node *update[ZSL_MAX_LEVEL], *x = zsl->header;
    size_t traversed = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span < start) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
    }
    return delete_run(zsl, update, x->level[0].forward, NULL, NULL, end - start + 1, fn, ctx);
}

/* ---- argument parsing ---- */

/* strtod over a NUL-terminated copy, as Redis runs it on the sds: leading
 * spaces and an embedded NUL end are accepted, trailing bytes are not. */
static bool parse_score_bound(const char *s, size_t len, double *out, bool *ex)
{
    *ex = len > 0 && s[0] == '(';
    if (*ex) s++, len--;
    char stack[128], *buf = len < sizeof(stack) ? stack : rk_malloc(len + 1);
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    *out = strtod(buf, &end);
    bool ok = *end == '\0' && !isnan(*out);
    if (buf != stack) rk_free(buf);
    return ok;
}

bool zsl_parse_range(const char *min, size_t minlen, const char *max, size_t maxlen, zsl_range *out)
{
    return parse_score_bound(min, minlen, &out->min, &out->minex) &&
           parse_score_bound(max, maxlen, &out->max, &out->maxex);
}

/* Redis tests the byte after '-' / '+' against the sds terminator, so
 * "-\0anything" still means "-". */
static bool parse_lex_bound(const char *s, size_t len, zsl_lex_bound *b)
{
    if (len == 0) return false;
    b->s = (const unsigned char *)s + 1;
    b->len = len - 1;
    switch (s[0]) {
    case '+': b->kind = ZSL_LEX_MAX; return len == 1 || s[1] == '\0';
    case '-': b->kind = ZSL_LEX_MIN; return len == 1 || s[1] == '\0';
    case '(': b->kind = ZSL_LEX_EXCL; return true;
    case '[': b->kind = ZSL_LEX_INCL; return true;
    default: return false;
    }
}

bool zsl_parse_lex_range(const char *min, size_t minlen, const char *max, size_t maxlen,
                         zsl_lex_range *out)
{
    return parse_lex_bound(min, minlen, &out->min) && parse_lex_bound(max, maxlen, &out->max);
}
