/* t_zset.c — sorted set commands on one key (ZADD ... ZSCAN) with Redis
 * 7.0's replies and errors; the pops (ZPOPMIN ... BZMPOP) live in
 * t_zpop.c, ZUNION/ZINTER/ZDIFF in t_zsetops.c.
 * Handlers run on the shard owning the keys (or on the cross-shard
 * scratch keyspace's copies). */
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/data/db.h"
#include "ringkv/base/numfmt.h"
#include "ringkv/cmd/t_zset.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/base/util.h"
#include "ringkv/data/zset.h"

#include <limits.h>
#include <string.h>


void zset_reply_member(struct reply *r, const struct zset_elem *e)
{
    if (e->str) reply_bulk(r, e->str, e->len);
    else reply_bulk_ll(r, e->ll);
}

void zset_reply_pair(struct reply *r, const struct zset_elem *e, bool nested)
{
    if (nested) reply_array(r, 2);
    zset_reply_member(r, e);
    reply_double(r, e->score);
}

static bool float_or_reply(struct cmd_ctx *c, const char *s, size_t len, double *out)
{
    if (string2d(s, len, out)) return true;
    reply_error(c->r, RK_ERR_NOT_FLOAT);
    return false;
}

/* ---- ZADD / ZINCRBY ---- */

static bool zadd_flags(struct cmd_ctx *c, const struct cmd_args *a, int *in, bool *ch, int *scoreidx)
{
    static const struct { const char *word; int flag; } opts[] = {
        {"nx", ZADD_IN_NX}, {"xx", ZADD_IN_XX}, {"incr", ZADD_IN_INCR}, {"gt", ZADD_IN_GT}, {"lt", ZADD_IN_LT},
    };
    int i = 2;
    *in = 0;
    *ch = false;
    for (; i < a->argc; i++) {
        size_t k;
        for (k = 0; k < RK_ARRAY_LEN(opts); k++)
            if (arg_is(a, i, opts[k].word)) break;
        if (k < RK_ARRAY_LEN(opts)) *in |= opts[k].flag;
        else if (arg_is(a, i, "ch")) *ch = true;
        else break;
    }
    *scoreidx = i;
    int elements = a->argc - i;
    if (elements == 0 || elements % 2) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return false;
    }
    if ((*in & ZADD_IN_NX) && (*in & ZADD_IN_XX)) {
        reply_error(c->r, "ERR XX and NX options at the same time are not compatible");
        return false;
    }
    int gt = *in & ZADD_IN_GT, lt = *in & ZADD_IN_LT, nx = *in & ZADD_IN_NX;
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
        reply_error(c->r, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return false;
    }
    if ((*in & ZADD_IN_INCR) && elements > 2) {
        reply_error(c->r, "ERR INCR option supports a single increment-element pair");
        return false;
    }
    return true;
}

static void zadd_generic(struct cmd_ctx *c, const struct cmd_args *a, int in_flags)
{
    int in, scoreidx;
    bool ch;
    if (!zadd_flags(c, a, &in, &ch, &scoreidx)) return;
    in |= in_flags;
    int elements = (a->argc - scoreidx) / 2;
    double *scores = rk_malloc((size_t)elements * sizeof(double));
    long long added = 0, updated = 0, processed = 0;
    double score = 0;
    for (int j = 0; j < elements; j++)
        if (!float_or_reply(c, a->argv[scoreidx + 2 * j], a->len[scoreidx + 2 * j], &scores[j])) goto out;
    bool err;
    struct kv *kv = tc_lookup_write(c, a->argv[1], a->len[1], OBJ_ZSET, &err);
    if (err) goto out;
    if (!kv && !(in & ZADD_IN_XX)) {
        kv = zset_create_for(a->argv[1], a->len[1], c->cfg, a->len[scoreidx + 1]);
        db_add(c->db, kv);
    }
    for (int j = 0; kv && j < elements; j++) {
        int out;
        double newscore = scores[j];
        const char *m = a->argv[scoreidx + 2 * j + 1];
        if (!zset_add(kv, c->cfg, scores[j], m, a->len[scoreidx + 2 * j + 1], in, &out, &newscore)) {
            reply_error(c->r, "ERR resulting score is not a number (NaN)");
            goto out;
        }
        added += !!(out & ZADD_OUT_ADDED);
        updated += !!(out & ZADD_OUT_UPDATED);
        processed += !(out & ZADD_OUT_NOP);
        score = newscore;
    }
    if (added || updated) {
        notify_key(c, NOTIFY_ZSET, (in & ZADD_IN_INCR) ? "zincr" : "zadd", a->argv[1], a->len[1]);
        /* As Redis: modified once anything was moved, even if a later pair
         * of the same call moved it back (redis-diff --seed 702); with one
         * pair, or an addition, the value itself tells. */
        if (updated && elements > 1 && !added) db_signal_modified(c->db, a->argv[1], a->len[1]);
    } else {
        cmd_unchanged(c);
    }
    if (in & ZADD_IN_INCR) {
        if (processed) reply_double(c->r, score);
        else reply_null(c->r);
    } else {
        reply_int(c->r, ch ? added + updated : added);
    }
out:
    rk_free(scores);
}

void zadd_command(struct cmd_ctx *c, const struct cmd_args *a) { zadd_generic(c, a, 0); }
static void zincrby_command(struct cmd_ctx *c, const struct cmd_args *a) { zadd_generic(c, a, ZADD_IN_INCR); }

/* ---- single-member reads and ZREM ---- */

static void zrem_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    struct kv *kv = tc_lookup_write(c, a->argv[1], a->len[1], OBJ_ZSET, &err);
    if (err) return;
    long long n = 0;
    bool emptied = false;
    for (int i = 2; kv && i < a->argc && !emptied; i++) {
        n += zset_del(kv, a->argv[i], a->len[i]);
        emptied = zset_length(kv) == 0;
    }
    if (n) notify_key(c, NOTIFY_ZSET, "zrem", a->argv[1], a->len[1]);
    else cmd_unchanged(c);
    if (emptied) tc_delete_emptied(c, kv, a->argv[1], a->len[1]);
    reply_int(c->r, n);
}

static void zcard_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_ZSET, &err);
    if (!err) reply_int(c->r, kv ? (long long)zset_length(kv) : 0);
}

static void zscore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    double s;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_ZSET, &err);
    if (err) return;
    if (kv && zset_score(kv, a->argv[2], a->len[2], &s)) reply_double(c->r, s);
    else reply_null(c->r);
}

static void zmscore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_ZSET, &err);
    if (err) return;
    reply_array(c->r, a->argc - 2);
    for (int i = 2; i < a->argc; i++) {
        double s;
        if (kv && zset_score(kv, a->argv[i], a->len[i], &s)) reply_double(c->r, s);
        else reply_null(c->r);
    }
}

static void zrank_generic(struct cmd_ctx *c, const struct cmd_args *a, bool reverse)
{
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_ZSET, &err);
    if (err) return;
    long long rank = kv ? zset_rank(kv, a->argv[2], a->len[2], reverse) : -1;
    if (rank >= 0) reply_int(c->r, rank);
    else reply_null(c->r);
}

static void zrank_command(struct cmd_ctx *c, const struct cmd_args *a) { zrank_generic(c, a, false); }
static void zrevrank_command(struct cmd_ctx *c, const struct cmd_args *a) { zrank_generic(c, a, true); }

static bool score_range_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int min, int max, zsl_range *r)
{
    if (zsl_parse_range(a->argv[min], a->len[min], a->argv[max], a->len[max], r)) return true;
    reply_error(c->r, "ERR min or max is not a float");
    return false;
}

static bool lex_range_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int min, int max, zsl_lex_range *r)
{
    if (zsl_parse_lex_range(a->argv[min], a->len[min], a->argv[max], a->len[max], r)) return true;
    reply_error(c->r, "ERR min or max not valid string range item");
    return false;
}

static void zcount_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    zsl_range r;
    bool err;
    if (!score_range_or_reply(c, a, 2, 3, &r)) return;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_ZSET, &err);
    if (!err) reply_int(c->r, kv ? (long long)zset_count_score(kv, &r) : 0);
}

static void zlexcount_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    zsl_lex_range r;
    bool err;
    if (!lex_range_or_reply(c, a, 2, 3, &r)) return;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_ZSET, &err);
    if (!err) reply_int(c->r, kv ? (long long)zset_count_lex(kv, &r) : 0);
}

/* ---- ZRANGE and its variants ---- */

enum zrange_type { ZR_AUTO, ZR_RANK, ZR_SCORE, ZR_LEX };
enum zrange_dir { ZD_AUTO, ZD_FORWARD, ZD_REVERSE };

/* Where a range goes: the client, or a new sorted set (ZRANGESTORE). */
struct zrange_out {
    struct cmd_ctx *c;
    bool withscores;
    int dst_at; /* argument index of the destination, 0: reply */
    struct kv *dst;
    size_t defer_at;
    long long n;
};

static void out_begin(struct zrange_out *o)
{
    if (o->dst_at) o->dst = zset_create("", 0, ENC_LISTPACK);
    else o->defer_at = reply_defer(o->c->r);
}

static void out_emit(struct zrange_out *o, const struct zset_elem *e)
{
    o->n++;
    if (!o->dst_at) {
        if (o->withscores) zset_reply_pair(o->c->r, e, o->c->r->resp > 2);
        else zset_reply_member(o->c->r, e);
        return;
    }
    char buf[RK_LONG_STR_SIZE];
    size_t len;
    const char *m = zset_elem_str(e, buf, &len);
    int flags;
    zset_add(o->dst, o->c->cfg, e->score, m, len, 0, &flags, NULL);
}

static void out_end(struct zrange_out *o, const struct cmd_args *a)
{
    if (o->dst_at) {
        if (!o->dst) o->dst = zset_create("", 0, ENC_LISTPACK);
        tc_store_result(o->c, a->argv[o->dst_at], a->len[o->dst_at], o->dst, zset_length(o->dst), NOTIFY_ZSET,
                        "zrangestore");
        return;
    }
    reply_defer_array(o->c->r, o->defer_at, o->withscores && o->c->r->resp == 2 ? 2 * o->n : o->n);
}

static void range_by_rank(struct zrange_out *o, struct kv *kv, long long start, long long end, bool rev)
{
    long long llen = (long long)zset_length(kv);
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    out_begin(o);
    if (start <= end && start < llen) {
        if (end >= llen) end = llen - 1;
        struct zset_iter it;
        struct zset_elem e;
        long long left = end - start + 1;
        zset_iter_rank(&it, kv, (size_t)start, rev);
        while (left-- && zset_iter_next(&it, &e)) out_emit(o, &e);
    }
}

/* LIMIT's offset as Redis: a negative one skips everything. False when
 * nothing is left. */
static bool skip_offset(struct zset_iter *it, long long offset)
{
    struct zset_elem e;
    if (offset < 0) return false;
    while (offset-- > 0)
        if (!zset_iter_next(it, &e)) return false;
    return true;
}

/* A negative LIMIT count means no limit. */
static void range_by_score(struct zrange_out *o, struct kv *kv, const zsl_range *r, long long offset,
                           long long limit, bool rev)
{
    struct zset_iter it;
    struct zset_elem e;
    out_begin(o);
    zset_iter_score(&it, kv, r, rev);
    if (!skip_offset(&it, offset)) return;
    if (limit < 0) limit = LLONG_MAX;
    while (limit-- && zset_iter_next(&it, &e)) {
        if (rev ? !zsl_score_gte_min(e.score, r) : !zsl_score_lte_max(e.score, r)) break;
        out_emit(o, &e);
    }
}

static void range_by_lex(struct zrange_out *o, struct kv *kv, const zsl_lex_range *r, long long offset,
                         long long limit, bool rev)
{
    struct zset_iter it;
    struct zset_elem e;
    out_begin(o);
    zset_iter_lex(&it, kv, r, rev);
    if (!skip_offset(&it, offset)) return;
    if (limit < 0) limit = LLONG_MAX;
    while (limit-- && zset_iter_next(&it, &e)) {
        char buf[RK_LONG_STR_SIZE];
        size_t len;
        const char *m = zset_elem_str(&e, buf, &len);
        if (rev ? !zsl_lex_gte_min(m, len, r) : !zsl_lex_lte_max(m, len, r)) break;
        out_emit(o, &e);
    }
}

struct zrange_opts {
    enum zrange_type type;
    enum zrange_dir dir;
    bool withscores;
    long long offset, limit;
};

/* Options after <src> <min> <max> (Redis's zrangeGenericCommand step 1). */
static bool zrange_opts_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int first, bool store,
                                 struct zrange_opts *o)
{
    for (int j = first; j < a->argc; j++) {
        int left = a->argc - j - 1;
        if (!store && arg_is(a, j, "withscores")) {
            o->withscores = true;
        } else if (arg_is(a, j, "limit") && left >= 2) {
            if (!arg_ll_or_reply(c, a, j + 1, &o->offset, NULL) || !arg_ll_or_reply(c, a, j + 2, &o->limit, NULL))
                return false;
            j += 2;
        } else if (o->dir == ZD_AUTO && arg_is(a, j, "rev")) {
            o->dir = ZD_REVERSE;
        } else if (o->type == ZR_AUTO && arg_is(a, j, "bylex")) {
            o->type = ZR_LEX;
        } else if (o->type == ZR_AUTO && arg_is(a, j, "byscore")) {
            o->type = ZR_SCORE;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return false;
        }
    }
    if (o->dir == ZD_AUTO) o->dir = ZD_FORWARD;
    if (o->type == ZR_AUTO) o->type = ZR_RANK;
    if (o->limit != -1 && o->type == ZR_RANK) {
        reply_error(c->r, "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
        return false;
    }
    if (o->withscores && o->type == ZR_LEX) {
        reply_error(c->r, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return false;
    }
    return true;
}

/* argv[src_at] is the source key; dst_at the destination (0: reply). */
static void zrange_generic(struct cmd_ctx *c, const struct cmd_args *a, int src_at, int dst_at,
                           enum zrange_type type, enum zrange_dir dir)
{
    struct zrange_opts o = {type, dir, false, 0, -1};
    if (!zrange_opts_or_reply(c, a, src_at + 3, dst_at > 0, &o)) return;
    bool rev = o.dir == ZD_REVERSE;
    int minidx = src_at + 1, maxidx = src_at + 2;
    if (rev && o.type != ZR_RANK) {
        minidx = src_at + 2;
        maxidx = src_at + 1;
    }
    long long start = 0, end = 0;
    zsl_range sr;
    zsl_lex_range lr;
    if (o.type == ZR_RANK) {
        if (!arg_ll_or_reply(c, a, minidx, &start, NULL) || !arg_ll_or_reply(c, a, maxidx, &end, NULL)) return;
    } else if (o.type == ZR_SCORE) {
        if (!score_range_or_reply(c, a, minidx, maxidx, &sr)) return;
    } else if (!lex_range_or_reply(c, a, minidx, maxidx, &lr)) {
        return;
    }
    struct zrange_out out = {.c = c, .withscores = o.withscores, .dst_at = dst_at};
    struct kv *kv = db_lookup(c->db, a->argv[src_at], a->len[src_at]);
    if (!kv) {
        if (dst_at) out_end(&out, a);
        else reply_array(c->r, 0);
        return;
    }
    if (kv->type != OBJ_ZSET) {
        reply_error(c->r, RK_ERR_WRONGTYPE);
        return;
    }
    if (o.type == ZR_RANK) range_by_rank(&out, kv, start, end, rev);
    else if (o.type == ZR_SCORE) range_by_score(&out, kv, &sr, o.offset, o.limit, rev);
    else range_by_lex(&out, kv, &lr, o.offset, o.limit, rev);
    out_end(&out, a);
}

static void zrange_command(struct cmd_ctx *c, const struct cmd_args *a) { zrange_generic(c, a, 1, 0, ZR_AUTO, ZD_AUTO); }
static void zrangestore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    zrange_generic(c, a, 2, 1, ZR_AUTO, ZD_AUTO);
}
static void zrevrange_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    zrange_generic(c, a, 1, 0, ZR_RANK, ZD_REVERSE);
}
static void zrangebyscore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    zrange_generic(c, a, 1, 0, ZR_SCORE, ZD_FORWARD);
}
static void zrevrangebyscore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    zrange_generic(c, a, 1, 0, ZR_SCORE, ZD_REVERSE);
}
static void zrangebylex_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    zrange_generic(c, a, 1, 0, ZR_LEX, ZD_FORWARD);
}
static void zrevrangebylex_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    zrange_generic(c, a, 1, 0, ZR_LEX, ZD_REVERSE);
}

/* ---- ZREMRANGEBY* ---- */

static void zremrange_generic(struct cmd_ctx *c, const struct cmd_args *a, enum zrange_type type)
{
    long long start = 0, end = 0;
    zsl_range sr;
    zsl_lex_range lr;
    if (type == ZR_RANK) {
        if (!arg_ll_or_reply(c, a, 2, &start, NULL) || !arg_ll_or_reply(c, a, 3, &end, NULL)) return;
    } else if (type == ZR_SCORE) {
        if (!score_range_or_reply(c, a, 2, 3, &sr)) return;
    } else if (!lex_range_or_reply(c, a, 2, 3, &lr)) {
        return;
    }
    bool err;
    struct kv *kv = tc_lookup_write(c, a->argv[1], a->len[1], OBJ_ZSET, &err);
    if (err) return;
    if (!kv) {
        reply_int(c->r, 0);
        return;
    }
    size_t n;
    if (type == ZR_RANK) {
        long long llen = (long long)zset_length(kv);
        if (start < 0) start += llen;
        if (end < 0) end += llen;
        if (start < 0) start = 0;
        if (start > end || start >= llen) {
            cmd_unchanged(c);
            reply_int(c->r, 0);
            return;
        }
        if (end >= llen) end = llen - 1;
        n = zset_delete_rank(kv, (size_t)start, (size_t)end);
    } else {
        n = type == ZR_SCORE ? zset_delete_score(kv, &sr) : zset_delete_lex(kv, &lr);
    }
    static const char *const events[] = {[ZR_RANK] = "zremrangebyrank", [ZR_SCORE] = "zremrangebyscore",
                                         [ZR_LEX] = "zremrangebylex"};
    if (n) notify_key(c, NOTIFY_ZSET, events[type], a->argv[1], a->len[1]);
    else cmd_unchanged(c);
    if (zset_length(kv) == 0) tc_delete_emptied(c, kv, a->argv[1], a->len[1]);
    reply_int(c->r, (long long)n);
}

static void zremrangebyrank_command(struct cmd_ctx *c, const struct cmd_args *a) { zremrange_generic(c, a, ZR_RANK); }
static void zremrangebyscore_command(struct cmd_ctx *c, const struct cmd_args *a) { zremrange_generic(c, a, ZR_SCORE); }
static void zremrangebylex_command(struct cmd_ctx *c, const struct cmd_args *a) { zremrange_generic(c, a, ZR_LEX); }

/* ---- ZRANDMEMBER ---- */

static void zrandmember_with_count(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long l;
    bool withscores = false, err;
    if (!tc_range_ll_or_reply(c, a->argv[2], a->len[2], -LLONG_MAX, LLONG_MAX, NULL, &l)) return;
    if (a->argc > 4 || (a->argc == 4 && !arg_is(a, 3, "withscores"))) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    if (a->argc == 4) {
        withscores = true;
        if (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2) {
            reply_error(c->r, "ERR value is out of range");
            return;
        }
    }
    bool uniq = l >= 0;
    unsigned long long count = (unsigned long long)(l >= 0 ? l : -l);
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_ZSET, &err);
    if (err) return;
    if (!kv || count == 0) {
        reply_array(c->r, 0);
        return;
    }
    bool nested = withscores && c->r->resp > 2;
    size_t size = zset_length(kv);
    if (!uniq || count == 1) {
        reply_array(c->r, (long long)(withscores && !nested ? count * 2 : count));
        for (unsigned long long i = 0; i < count; i++) {
            struct zset_elem e;
            zset_random(kv, &e);
            if (withscores) zset_reply_pair(c->r, &e, nested);
            else zset_reply_member(c->r, &e);
        }
        return;
    }
    if (count >= size) {
        struct zrange_out out = {.c = c, .withscores = withscores};
        range_by_rank(&out, kv, 0, -1, false);
        out_end(&out, a);
        return;
    }
    struct zset_elem *picks = rk_malloc((size_t)count * sizeof(*picks));
    size_t n = zset_random_distinct(kv, (size_t)count, picks);
    reply_array(c->r, (long long)(withscores && !nested ? n * 2 : n));
    for (size_t i = 0; i < n; i++) {
        if (withscores) zset_reply_pair(c->r, &picks[i], nested);
        else zset_reply_member(c->r, &picks[i]);
    }
    rk_free(picks);
}

static void zrandmember_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc >= 3) {
        zrandmember_with_count(c, a);
        return;
    }
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_ZSET, &err);
    if (err) return;
    if (!kv) {
        reply_null(c->r);
        return;
    }
    struct zset_elem e;
    zset_random(kv, &e);
    zset_reply_member(c->r, &e);
}

/* ---- ZSCAN ---- */

static void zscan_collect(const char *m, size_t mlen, double score, void *arg)
{
    struct zset_elem e = {m, mlen, 0, score};
    scan_batch_push(arg, &e);
}

static void zscan_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    uint64_t cursor;
    struct scan_opts o;
    struct kv *kv = scan_key_or_reply(c, a, OBJ_ZSET, &cursor, &o);
    if (!kv) return;
    struct scan_batch b = {.size = sizeof(struct zset_elem)};
    if (kv->enc == ENC_SKIPLIST) {
        long budget = o.count * 10;
        do {
            cursor = zset_scan(kv, cursor, zscan_collect, &b);
        } while (cursor && budget-- && b.n < (size_t)o.count);
    } else {
        struct zset_iter it;
        struct zset_elem e;
        zset_iter_rank(&it, kv, 0, false);
        while (zset_iter_next(&it, &e)) scan_batch_push(&b, &e);
        cursor = 0;
    }
    scan_reply_cursor(c->r, cursor);
    size_t at = reply_defer(c->r);
    long long n = 0;
    const struct zset_elem *items = b.items;
    for (size_t i = 0; i < b.n; i++) {
        char buf[RK_LONG_STR_SIZE], sbuf[RK_MAX_D_CHARS];
        size_t len;
        const char *m = zset_elem_str(&items[i], buf, &len);
        if (!scan_matches(&o, m, len)) continue;
        reply_bulk(c->r, m, len);
        reply_bulk(c->r, sbuf, d2string(sbuf, sizeof sbuf, items[i].score));
        n += 2;
    }
    reply_defer_array(c->r, at, n);
    rk_free(b.items);
}


/* Complexity texts Redis gives several commands alike. */
#define ZRANGE_LIMIT_COMPLEXITY                                                                            \
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being " \
    "returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can "        \
    "consider it O(log(N))."
#define ZREMRANGE_COMPLEXITY                                                                               \
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements "      \
    "removed by the operation."


const struct cmd_def zset_commands[] = {
    ZSET_CMD("zadd", -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, zadd_command, 1, 1,
         "Add one or more members to a sorted set, or update its score if it already exists", "1.2.0",
         "write sortedset fast",
         .key_flags = KS_RW | KS_UPDATE,
         .complexity = "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
         .syntax = "key condition=[NX | XX]@3.0.2 comparison=[GT | LT]@6.2.0 change=[CH]@3.0.2 increment=[INCR]@3.0.2 "
                   "score:double member [score:double member ...]",
         .history = (const char *const[]){"2.4.0", "Accepts multiple elements.", "3.0.2",
                                          "Added the `XX`, `NX`, `CH` and `INCR` options.", "6.2.0",
                                          "Added the `GT` and `LT` options.", NULL}),
    ZSET_CMD("zincrby", 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, zincrby_command, 1, 1,
         "Increment the score of a member in a sorted set", "1.2.0", "write sortedset fast",
         .key_flags = KS_RW | KS_ACCESS | KS_UPDATE,
         .complexity = "O(log(N)) where N is the number of elements in the sorted set.",
         .syntax = "key increment:integer member"),
    ZSET_CMD("zrem", -3, CMD_WRITE | CMD_FAST, zrem_command, 1, 1, "Remove one or more members from a sorted set", "1.2.0",
         "write sortedset fast",
         .key_flags = KS_RW | KS_DELETE,
         .complexity = "O(M*log(N)) with N being the number of elements in the sorted set and M the number of "
                       "elements to be removed.",
         .syntax = "key member [member ...]",
         .history = (const char *const[]){"2.4.0", "Accepts multiple elements.", NULL}),
    ZSET_CMD("zcard", 2, CMD_READONLY | CMD_FAST, zcard_command, 1, 1, "Get the number of members in a sorted set", "1.2.0",
         "read sortedset fast",
         .key_flags = KS_RO,
         .complexity = "O(1)",
         .syntax = "key"),
    ZSET_CMD("zscore", 3, CMD_READONLY | CMD_FAST, zscore_command, 1, 1,
         "Get the score associated with the given member in a sorted set", "1.2.0", "read sortedset fast",
         .key_flags = KS_RO | KS_ACCESS,
         .complexity = "O(1)",
         .syntax = "key member"),
    ZSET_CMD("zmscore", -3, CMD_READONLY | CMD_FAST, zmscore_command, 1, 1,
         "Get the score associated with the given members in a sorted set", "6.2.0", "read sortedset fast",
         .key_flags = KS_RO | KS_ACCESS,
         .complexity = "O(N) where N is the number of members being requested.",
         .syntax = "key member [member ...]"),
    ZSET_CMD("zrank", 3, CMD_READONLY | CMD_FAST, zrank_command, 1, 1, "Determine the index of a member in a sorted set",
         "2.0.0", "read sortedset fast",
         .key_flags = KS_RO | KS_ACCESS,
         .complexity = "O(log(N))",
         .syntax = "key member"),
    ZSET_CMD("zrevrank", 3, CMD_READONLY | CMD_FAST, zrevrank_command, 1, 1,
         "Determine the index of a member in a sorted set, with scores ordered from high to low", "2.0.0",
         "read sortedset fast",
         .key_flags = KS_RO | KS_ACCESS,
         .complexity = "O(log(N))",
         .syntax = "key member"),
    ZSET_CMD("zcount", 4, CMD_READONLY | CMD_FAST, zcount_command, 1, 1,
         "Count the members in a sorted set with scores within the given values", "2.0.0", "read sortedset fast",
         .key_flags = KS_RO | KS_ACCESS,
         .complexity = "O(log(N)) with N being the number of elements in the sorted set.",
         .syntax = "key min:double max:double"),
    ZSET_CMD("zlexcount", 4, CMD_READONLY | CMD_FAST, zlexcount_command, 1, 1,
         "Count the number of members in a sorted set between a given lexicographical range", "2.8.9",
         "read sortedset fast",
         .key_flags = KS_RO | KS_ACCESS,
         .complexity = "O(log(N)) with N being the number of elements in the sorted set.",
         .syntax = "key min max"),
    ZSET_CMD("zrange", -4, CMD_READONLY, zrange_command, 1, 1, "Return a range of members in a sorted set", "1.2.0",
         "read sortedset slow",
         .key_flags = KS_RO | KS_ACCESS,
         .complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
                       "elements returned.",
         .syntax = "key start stop sortby=[BYSCORE | BYLEX]@6.2.0 [REV]@6.2.0 [LIMIT offset:integer "
                   "count:integer]@6.2.0 [WITHSCORES]",
         .history = (const char *const[]){"6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.", NULL}),
    ZSET_CMD("zrangestore", -5, CMD_WRITE | CMD_DENYOOM, zrangestore_command, 1, 2,
         "Store a range of members from sorted set into another key", "6.2.0", "write sortedset slow",
         .key_specs = (const struct cmd_key_spec[]){KEY_SPEC_RANGE(KS_OW | KS_UPDATE, 1, 0, 1),
                                                    KEY_SPEC_RANGE(KS_RO | KS_ACCESS, 2, 0, 1), {0}},
         .complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
                       "elements stored into the destination key.",
         .syntax = "dst:key src:key min max sortby=[BYSCORE | BYLEX] [REV] [LIMIT offset:integer count:integer]"),
    ZSET_CMD("zrevrange", -4, CMD_READONLY, zrevrange_command, 1, 1,
         "Return a range of members in a sorted set, by index, with scores ordered from high to low", "1.2.0",
         "read sortedset slow",
         .key_flags = KS_RO | KS_ACCESS,
         .complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
                       "elements returned.",
         .syntax = "key start:integer stop:integer [WITHSCORES]",
         .deprecated_since = "6.2.0",
         .replaced_by = "`ZRANGE` with the `REV` argument"),
    ZSET_CMD("zrangebyscore", -4, CMD_READONLY, zrangebyscore_command, 1, 1,
         "Return a range of members in a sorted set, by score", "1.0.5", "read sortedset slow",
         .key_flags = KS_RO | KS_ACCESS,
         .complexity = ZRANGE_LIMIT_COMPLEXITY,
         .syntax = "key min:double max:double [WITHSCORES]@2.0.0 [LIMIT offset:integer count:integer]",
         .history = (const char *const[]){"2.0.0", "Added the `WITHSCORES` modifier.", NULL},
         .deprecated_since = "6.2.0",
         .replaced_by = "`ZRANGE` with the `BYSCORE` argument"),
    ZSET_CMD("zrevrangebyscore", -4, CMD_READONLY, zrevrangebyscore_command, 1, 1,
         "Return a range of members in a sorted set, by score, with scores ordered from high to low", "2.2.0",
         "read sortedset slow",
         .key_flags = KS_RO | KS_ACCESS,
         .complexity = ZRANGE_LIMIT_COMPLEXITY,
         .syntax = "key max:double min:double [WITHSCORES] [LIMIT offset:integer count:integer]",
         .history = (const char *const[]){"2.1.6", "`min` and `max` can be exclusive.", NULL},
         .deprecated_since = "6.2.0",
         .replaced_by = "`ZRANGE` with the `REV` and `BYSCORE` arguments"),
    ZSET_CMD("zrangebylex", -4, CMD_READONLY, zrangebylex_command, 1, 1,
         "Return a range of members in a sorted set, by lexicographical range", "2.8.9", "read sortedset slow",
         .key_flags = KS_RO | KS_ACCESS,
         .complexity = ZRANGE_LIMIT_COMPLEXITY,
         .syntax = "key min max [LIMIT offset:integer count:integer]",
         .deprecated_since = "6.2.0",
         .replaced_by = "`ZRANGE` with the `BYLEX` argument"),
    ZSET_CMD("zrevrangebylex", -4, CMD_READONLY, zrevrangebylex_command, 1, 1,
         "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
         "2.8.9", "read sortedset slow",
         .key_flags = KS_RO | KS_ACCESS,
         .complexity = ZRANGE_LIMIT_COMPLEXITY,
         .syntax = "key max min [LIMIT offset:integer count:integer]",
         .deprecated_since = "6.2.0",
         .replaced_by = "`ZRANGE` with the `REV` and `BYLEX` arguments"),
    ZSET_CMD("zremrangebyrank", 4, CMD_WRITE, zremrangebyrank_command, 1, 1,
         "Remove all members in a sorted set within the given indexes", "2.0.0", "write sortedset slow",
         .key_flags = KS_RW | KS_DELETE,
         .complexity = ZREMRANGE_COMPLEXITY,
         .syntax = "key start:integer stop:integer"),
    ZSET_CMD("zremrangebyscore", 4, CMD_WRITE, zremrangebyscore_command, 1, 1,
         "Remove all members in a sorted set within the given scores", "1.2.0", "write sortedset slow",
         .key_flags = KS_RW | KS_DELETE,
         .complexity = ZREMRANGE_COMPLEXITY,
         .syntax = "key min:double max:double"),
    ZSET_CMD("zremrangebylex", 4, CMD_WRITE, zremrangebylex_command, 1, 1,
         "Remove all members in a sorted set between the given lexicographical range", "2.8.9", "write sortedset slow",
         .key_flags = KS_RW | KS_DELETE,
         .complexity = ZREMRANGE_COMPLEXITY,
         .syntax = "key min max"),
    ZSET_CMD("zrandmember", -2, CMD_READONLY, zrandmember_command, 1, 1,
         "Get one or multiple random elements from a sorted set", "6.2.0", "read sortedset slow",
         .key_flags = KS_RO | KS_ACCESS,
         .tips = "nondeterministic_output",
         .complexity = "O(N) where N is the number of elements returned",
         .syntax = "key options=[count:integer [WITHSCORES]]"),
    ZSET_CMD("zscan", -3, CMD_READONLY, zscan_command, 1, 1,
         "Incrementally iterate sorted sets elements and associated scores", "2.8.0", "read sortedset slow",
         .key_flags = KS_RO | KS_ACCESS,
         .tips = "nondeterministic_output",
         .complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
                       "cursor to return back to 0. N is the number of elements inside the collection..",
         .syntax = "key cursor:integer [MATCH pattern] [COUNT count:integer]"),
    {0},
};
