/* t_zsetops.c — ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD
 * (Redis 7.0's zunionInterDiffGenericCommand): inputs may be sorted sets
 * or plain sets (members of a set score 1), with WEIGHTS and AGGREGATE.
 * Handlers run on the shard owning the keys (or on the cross-shard
 * scratch keyspace's copies). */
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/data/db.h"
#include "ringkv/base/numfmt.h"
#include "ringkv/data/set.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/base/util.h"
#include "ringkv/data/zset.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum zop { ZOP_UNION, ZOP_INTER, ZOP_DIFF };
enum aggr { AGGR_SUM, AGGR_MIN, AGGR_MAX };

/* One input: a zset, a set, or NULL for a missing key. */
struct zsrc {
    struct kv *kv;
    double weight;
};

/* Walks a set or a sorted set as (member, score) pairs. */
struct zsrc_iter {
    struct kv *kv;
    struct set_iter si;
    struct zset_iter zi;
};

static size_t src_len(const struct zsrc *s)
{
    if (!s->kv) return 0;
    return s->kv->type == OBJ_SET ? set_size(s->kv) : zset_length(s->kv);
}

static void src_iter_init(struct zsrc_iter *it, struct kv *kv)
{
    it->kv = kv;
    if (kv->type == OBJ_SET) set_iter_init(&it->si, kv);
    else zset_iter_rank(&it->zi, kv, 0, false);
}

static bool src_iter_next(struct zsrc_iter *it, struct zset_elem *e)
{
    if (it->kv->type != OBJ_SET) return zset_iter_next(&it->zi, e);
    struct set_elem se;
    if (!set_iter_next(&it->si, &se)) return false;
    *e = (struct zset_elem){se.str, se.len, se.ll, 1.0};
    return true;
}

static void src_iter_done(struct zsrc_iter *it)
{
    if (it->kv->type == OBJ_SET) set_iter_done(&it->si);
}

/* The member's score in src (1 for a set member); false if absent. */
static bool src_find(const struct zsrc *s, const char *m, size_t mlen, double *score)
{
    if (s->kv->type != OBJ_SET) return zset_score(s->kv, m, mlen, score);
    *score = 1.0;
    return set_contains(s->kv, m, mlen);
}

static void aggregate(double *target, double val, enum aggr ag)
{
    if (ag == AGGR_SUM) {
        *target += val;
        /* inf + -inf: Redis's convention is 0 */
        if (isnan(*target)) *target = 0.0;
    } else if (ag == AGGR_MIN) {
        *target = val < *target ? val : *target;
    } else {
        *target = val > *target ? val : *target;
    }
}

static int by_length(const void *x, const void *y)
{
    size_t a = src_len(x), b = src_len(y);
    return a < b ? -1 : a > b;
}

/* What the computation produced: the result set (skiplist), the longest
 * and total member bytes (for the listpack decision), or a count. */
struct zop_result {
    struct kv *zs;
    size_t maxlen, total;
    long long card;
};

static void result_add(struct zop_result *res, const struct config *cfg, double score, const char *m, size_t mlen)
{
    int out;
    zset_add(res->zs, cfg, score, m, mlen, 0, &out, NULL);
    res->total += mlen;
    if (mlen > res->maxlen) res->maxlen = mlen;
}

static void zinter(struct zsrc *src, int n, enum aggr ag, bool card_only, long long limit,
                   const struct config *cfg, struct zop_result *res)
{
    if (src_len(&src[0]) == 0) return;
    struct zsrc_iter it;
    struct zset_elem e;
    src_iter_init(&it, src[0].kv);
    while (src_iter_next(&it, &e)) {
        char buf[RK_LONG_STR_SIZE];
        size_t mlen;
        const char *m = zset_elem_str(&e, buf, &mlen);
        double score = src[0].weight * e.score, value;
        if (isnan(score)) score = 0;
        int j;
        for (j = 1; j < n; j++) {
            if (src[j].kv == src[0].kv) value = e.score;
            else if (!src_find(&src[j], m, mlen, &value)) break;
            aggregate(&score, value * src[j].weight, ag);
        }
        if (j < n) continue;
        if (card_only) {
            res->card++;
            if (limit && res->card >= limit) break;
        } else {
            result_add(res, cfg, score, m, mlen);
        }
    }
    src_iter_done(&it);
}

/* ZUNION's running scores: member -> aggregated score, one record each. */
struct acc_node {
    struct dict_node node;
    double score;
    uint32_t len;
    char m[];
};

static uint64_t acc_hash(const struct dict_node *n)
{
    const struct acc_node *a = (const struct acc_node *)n;
    return hash_bytes(a->m, a->len);
}

static bool acc_eq(const struct dict_node *n, const void *key, size_t len)
{
    const struct acc_node *a = (const struct acc_node *)n;
    return a->len == len && memcmp(a->m, key, len) == 0;
}

static const struct dict_type acc_type = {acc_hash, acc_eq};

static void acc_free(struct dict_node *n, void *arg) { rk_free(n); }

static void acc_add(struct dict *acc, const char *m, size_t mlen, double score, enum aggr ag)
{
    uint64_t h = hash_bytes(m, mlen);
    struct acc_node *a = (struct acc_node *)dict_find(acc, m, mlen, h);
    if (a) {
        aggregate(&a->score, score, ag);
        return;
    }
    a = rk_malloc(sizeof(*a) + mlen);
    a->score = score;
    a->len = (uint32_t)mlen;
    memcpy(a->m, m, mlen);
    dict_insert(acc, &a->node, h);
}

struct acc_move {
    struct zop_result *res;
    const struct config *cfg;
};

static void acc_to_result(struct dict_node *n, void *arg)
{
    struct acc_move *mv = arg;
    const struct acc_node *a = (const struct acc_node *)n;
    result_add(mv->res, mv->cfg, a->score, a->m, a->len);
}

static void zunion(struct zsrc *src, int n, enum aggr ag, const struct config *cfg, struct zop_result *res)
{
    struct dict acc;
    dict_init(&acc, &acc_type);
    for (int i = 0; i < n; i++) {
        if (src_len(&src[i]) == 0) continue;
        struct zsrc_iter it;
        struct zset_elem e;
        src_iter_init(&it, src[i].kv);
        while (src_iter_next(&it, &e)) {
            char buf[RK_LONG_STR_SIZE];
            size_t mlen;
            const char *m = zset_elem_str(&e, buf, &mlen);
            double score = src[i].weight * e.score;
            acc_add(&acc, m, mlen, isnan(score) ? 0 : score, ag);
        }
        src_iter_done(&it);
    }
    struct acc_move mv = {res, cfg};
    dict_foreach(&acc, acc_to_result, &mv);
    dict_clear(&acc, acc_free, NULL);
}

static void zdiff(struct zsrc *src, int n, const struct config *cfg, struct zop_result *res)
{
    if (src_len(&src[0]) == 0) return;
    struct zsrc_iter it;
    struct zset_elem e;
    src_iter_init(&it, src[0].kv);
    while (src_iter_next(&it, &e)) {
        char buf[RK_LONG_STR_SIZE];
        size_t mlen;
        const char *m = zset_elem_str(&e, buf, &mlen);
        int j;
        double unused;
        for (j = 1; j < n; j++)
            if (src[j].kv && (src[j].kv == src[0].kv || src_find(&src[j], m, mlen, &unused))) break;
        if (j == n) result_add(res, cfg, e.score, m, mlen);
    }
    src_iter_done(&it);
}

struct zop_opts {
    enum aggr ag;
    bool withscores;
    long long limit;
};

/* Options after the keys, argv[j..]; Redis's order of checks. */
static bool zop_opts_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int j, enum zop op, bool store,
                              bool card_only, struct zsrc *src, int n, struct zop_opts *o)
{
    while (j < a->argc) {
        int left = a->argc - j;
        if (op != ZOP_DIFF && !card_only && left >= n + 1 && arg_is(a, j, "weights")) {
            for (int i = 0; i < n; i++) {
                j++;
                if (!string2d(a->argv[j], a->len[j], &src[i].weight)) {
                    reply_error(c->r, "ERR weight value is not a float");
                    return false;
                }
            }
            j++;
        } else if (op != ZOP_DIFF && !card_only && left >= 2 && arg_is(a, j, "aggregate")) {
            j++;
            if (arg_is(a, j, "sum")) o->ag = AGGR_SUM;
            else if (arg_is(a, j, "min")) o->ag = AGGR_MIN;
            else if (arg_is(a, j, "max")) o->ag = AGGR_MAX;
            else {
                reply_error(c->r, RK_ERR_SYNTAX);
                return false;
            }
            j++;
        } else if (!store && !card_only && arg_is(a, j, "withscores")) {
            o->withscores = true;
            j++;
        } else if (card_only && left >= 2 && arg_is(a, j, "limit")) {
            if (!tc_positive_ll_or_reply(c, a->argv[j + 1], a->len[j + 1], "LIMIT can't be negative", &o->limit))
                return false;
            j += 2;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

static void reply_result(struct cmd_ctx *c, struct kv *zs, bool withscores)
{
    bool nested = withscores && c->r->resp > 2;
    size_t n = zset_length(zs);
    reply_array(c->r, (long long)(withscores && !nested ? 2 * n : n));
    struct zset_iter it;
    struct zset_elem e;
    zset_iter_rank(&it, zs, 0, false);
    while (zset_iter_next(&it, &e)) {
        if (nested) reply_array(c->r, 2);
        reply_bulk(c->r, e.str, e.len);
        if (withscores) reply_double(c->r, e.score);
    }
}

/* dst_at: argument index of the destination (0: none); numkeys at nk_at. */
static void zop_generic(struct cmd_ctx *c, const struct cmd_args *a, int dst_at, int nk_at, enum zop op,
                        bool card_only, const char *name)
{
    long long n;
    if (!arg_ll_or_reply(c, a, nk_at, &n, NULL)) return;
    if (n < 1) {
        reply_errorf(c->r, "ERR at least 1 input key is needed for '%s' command", name);
        return;
    }
    if (n > a->argc - nk_at - 1) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    struct zsrc *src = rk_malloc((size_t)n * sizeof(*src));
    for (int i = 0; i < n; i++) {
        int k = nk_at + 1 + i;
        struct kv *kv = dst_at ? db_lookup_store_source(c->db, a->argv[k], a->len[k])
                               : db_lookup(c->db, a->argv[k], a->len[k]);
        if (kv && kv->type != OBJ_ZSET && kv->type != OBJ_SET) {
            reply_error(c->r, RK_ERR_WRONGTYPE);
            goto out;
        }
        src[i] = (struct zsrc){kv, 1.0};
    }
    struct zop_opts o = {AGGR_SUM, false, 0};
    if (!zop_opts_or_reply(c, a, nk_at + 1 + (int)n, op, dst_at > 0, card_only, src, (int)n, &o)) goto out;
    if (op != ZOP_DIFF) qsort(src, (size_t)n, sizeof(*src), by_length);
    const struct config *cfg = c->cfg;
    struct zop_result res = {.zs = zset_create("", 0, ENC_SKIPLIST)};
    if (op == ZOP_INTER) zinter(src, (int)n, o.ag, card_only, o.limit, cfg, &res);
    else if (op == ZOP_UNION) zunion(src, (int)n, o.ag, cfg, &res);
    else zdiff(src, (int)n, cfg, &res);
    if (dst_at) {
        zset_shrink_if_fits(res.zs, cfg, res.maxlen, res.total);
        tc_store_result(c, a->argv[dst_at], a->len[dst_at], res.zs, zset_length(res.zs), NOTIFY_ZSET, name);
        goto out;
    }
    if (card_only) reply_int(c->r, res.card);
    else reply_result(c, res.zs, o.withscores);
    kv_free(res.zs);
out:
    rk_free(src);
}

static void zunion_command(struct cmd_ctx *c, const struct cmd_args *a) { zop_generic(c, a, 0, 1, ZOP_UNION, false, "zunion"); }
static void zinter_command(struct cmd_ctx *c, const struct cmd_args *a) { zop_generic(c, a, 0, 1, ZOP_INTER, false, "zinter"); }
static void zdiff_command(struct cmd_ctx *c, const struct cmd_args *a) { zop_generic(c, a, 0, 1, ZOP_DIFF, false, "zdiff"); }
static void zintercard_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    zop_generic(c, a, 0, 1, ZOP_INTER, true, "zintercard");
}
static void zunionstore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    zop_generic(c, a, 1, 2, ZOP_UNION, false, "zunionstore");
}
static void zinterstore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    zop_generic(c, a, 1, 2, ZOP_INTER, false, "zinterstore");
}
static void zdiffstore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    zop_generic(c, a, 1, 2, ZOP_DIFF, false, "zdiffstore");
}

static int numkeys_at1(const struct cmd_args *a, int *pos, int max) { return tc_numkeys_positions(a, 1, 0, pos, max); }
static int store_numkeys_at2(const struct cmd_args *a, int *pos, int max) { return tc_numkeys_positions(a, 2, 1, pos, max); }

/* Facts the read and STORE forms share (Redis documents them alike). */
#define ZOP_READ_KEYS (const struct cmd_key_spec[]){KEY_SPEC_KEYNUM(KS_RO | KS_ACCESS, 1), {0}}
#define ZOP_STORE_KEYS \
    (const struct cmd_key_spec[]){KEY_SPEC_RANGE(KS_OW | KS_UPDATE, 1, 0, 1), KEY_SPEC_KEYNUM(KS_RO | KS_ACCESS, 2), {0}}
#define ZOP_WEIGHTS_SYNTAX "[WEIGHTS weight:integer [weight:integer ...]] aggregate=[AGGREGATE <SUM | MIN | MAX>]"
#define ZINTER_COMPLEXITY                                                                                  \
    "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input " \
    "sorted sets and M being the number of elements in the resulting sorted set."
#define ZDIFF_COMPLEXITY                                                                                   \
    "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size " \
    "of the first set, and K is the size of the result set."

#define ZOPCMD(name_, arity_, flags_, fn_, getkeys_, summary_, since_, acl_, ...)                            \
    {.name = name_, .arity = arity_, .flags = flags_, .fn = fn_, .getkeys = getkeys_, .group = "sorted-set", \
     .summary = summary_, .since = since_, .acl_categories = acl_, __VA_ARGS__}

const struct cmd_def zsetops_commands[] = {
    ZOPCMD("zunion", -3, CMD_READONLY, zunion_command, numkeys_at1, "Add multiple sorted sets", "6.2.0",
           "read sortedset slow",
           .key_specs = ZOP_READ_KEYS,
           .complexity = "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
                         "the number of elements in the resulting sorted set.",
           .syntax = "numkeys:integer key [key ...] " ZOP_WEIGHTS_SYNTAX " [WITHSCORES]"),
    ZOPCMD("zinter", -3, CMD_READONLY, zinter_command, numkeys_at1, "Intersect multiple sorted sets", "6.2.0",
           "read sortedset slow",
           .key_specs = ZOP_READ_KEYS,
           .complexity = ZINTER_COMPLEXITY,
           .syntax = "numkeys:integer key [key ...] " ZOP_WEIGHTS_SYNTAX " [WITHSCORES]"),
    ZOPCMD("zdiff", -3, CMD_READONLY, zdiff_command, numkeys_at1, "Subtract multiple sorted sets", "6.2.0",
           "read sortedset slow",
           .key_specs = ZOP_READ_KEYS,
           .complexity = ZDIFF_COMPLEXITY,
           .syntax = "numkeys:integer key [key ...] [WITHSCORES]"),
    ZOPCMD("zintercard", -3, CMD_READONLY, zintercard_command, numkeys_at1,
           "Intersect multiple sorted sets and return the cardinality of the result", "7.0.0", "read sortedset slow",
           .key_specs = ZOP_READ_KEYS,
           .complexity = "O(N*K) worst case with N being the smallest input sorted set, K being the number of input "
                         "sorted sets.",
           .syntax = "numkeys:integer key [key ...] [LIMIT limit:integer]"),
    ZOPCMD("zunionstore", -4, CMD_WRITE | CMD_DENYOOM, zunionstore_command, store_numkeys_at2,
           "Add multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", "write sortedset slow",
           .key_specs = ZOP_STORE_KEYS,
           .complexity = "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
                         "the number of elements in the resulting sorted set.",
           .syntax = "destination:key numkeys:integer key [key ...] " ZOP_WEIGHTS_SYNTAX),
    ZOPCMD("zinterstore", -4, CMD_WRITE | CMD_DENYOOM, zinterstore_command, store_numkeys_at2,
           "Intersect multiple sorted sets and store the resulting sorted set in a new key", "2.0.0",
           "write sortedset slow",
           .key_specs = ZOP_STORE_KEYS,
           .complexity = ZINTER_COMPLEXITY,
           .syntax = "destination:key numkeys:integer key [key ...] " ZOP_WEIGHTS_SYNTAX),
    ZOPCMD("zdiffstore", -4, CMD_WRITE | CMD_DENYOOM, zdiffstore_command, store_numkeys_at2,
           "Subtract multiple sorted sets and store the resulting sorted set in a new key", "6.2.0",
           "write sortedset slow",
           .key_specs = ZOP_STORE_KEYS,
           .complexity = ZDIFF_COMPLEXITY,
           .syntax = "destination:key numkeys:integer key [key ...]"),
    {0},
};
