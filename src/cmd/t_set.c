/* t_set.c — set commands (SADD ... SSCAN) with Redis 7.0's replies and
 * errors. Handlers run on the shard owning the keys (or, for keys on
 * several shards, on copies in the cross-shard scratch keyspace). */
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/data/db.h"
#include "ringkv/data/set.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/base/util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>


static void reply_elem(struct reply *r, const struct set_elem *e)
{
    if (e->str) reply_bulk(r, e->str, e->len);
    else reply_bulk_ll(r, e->ll);
}

/* Replies every member, as a RESP3 set (array) or an RESP2 array. */
static void reply_members(struct reply *r, struct kv *kv, bool as_set)
{
    size_t n = set_size(kv);
    if (as_set) reply_set(r, (long long)n);
    else reply_array(r, (long long)n);
    struct set_iter it;
    struct set_elem e;
    set_iter_init(&it, kv);
    while (set_iter_next(&it, &e)) reply_elem(r, &e);
    set_iter_done(&it);
}

static void sadd_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    struct kv *kv = tc_lookup_write(c, a->argv[1], a->len[1], OBJ_SET, &err);
    if (err) return;
    if (!kv) {
        kv = set_create(a->argv[1], a->len[1], c->cfg, a->argv[2], a->len[2], (size_t)a->argc - 2);
        db_add(c->db, kv);
    }
    long long added = 0;
    for (int i = 2; i < a->argc; i++) added += set_add(kv, c->cfg, a->argv[i], a->len[i]);
    if (added) notify_key(c, NOTIFY_SET, "sadd", a->argv[1], a->len[1]);
    else cmd_unchanged(c);
    reply_int(c->r, added);
}

static void srem_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    struct kv *kv = tc_lookup_write(c, a->argv[1], a->len[1], OBJ_SET, &err);
    if (err) return;
    long long removed = 0;
    bool emptied = false;
    for (int i = 2; kv && i < a->argc && !emptied; i++) {
        removed += set_remove(kv, a->argv[i], a->len[i]);
        emptied = set_size(kv) == 0;
    }
    if (removed) notify_key(c, NOTIFY_SET, "srem", a->argv[1], a->len[1]);
    else cmd_unchanged(c);
    if (emptied) tc_delete_emptied(c, kv, a->argv[1], a->len[1]);
    reply_int(c->r, removed);
}

static void smove_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *src = db_lookup_write(c->db, a->argv[1], a->len[1]);
    struct kv *dst = db_lookup_write(c->db, a->argv[2], a->len[2]);
    const char *m = a->argv[3];
    size_t mlen = a->len[3];
    if (!src) {
        cmd_unchanged(c);
        reply_int(c->r, 0);
        return;
    }
    if (src->type != OBJ_SET || (dst && dst->type != OBJ_SET)) {
        reply_error(c->r, RK_ERR_WRONGTYPE);
        return;
    }
    if (src == dst) {
        cmd_unchanged(c);
        reply_int(c->r, set_contains(src, m, mlen));
        return;
    }
    if (!set_remove(src, m, mlen)) {
        cmd_unchanged(c);
        reply_int(c->r, 0);
        return;
    }
    notify_key(c, NOTIFY_SET, "srem", a->argv[1], a->len[1]);
    if (set_size(src) == 0) tc_delete_emptied(c, src, a->argv[1], a->len[1]);
    if (!dst) {
        dst = set_create(a->argv[2], a->len[2], c->cfg, m, mlen, 1);
        db_add(c->db, dst);
    }
    if (set_add(dst, c->cfg, m, mlen)) notify_key(c, NOTIFY_SET, "sadd", a->argv[2], a->len[2]);
    reply_int(c->r, 1);
}

static void sismember_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_SET, &err);
    if (err) return;
    reply_int(c->r, kv && set_contains(kv, a->argv[2], a->len[2]));
}

static void smismember_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_SET, &err);
    if (err) return;
    reply_array(c->r, a->argc - 2);
    for (int i = 2; i < a->argc; i++) reply_int(c->r, kv && set_contains(kv, a->argv[i], a->len[i]));
}

static void scard_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_SET, &err);
    if (err) return;
    reply_int(c->r, kv ? (long long)set_size(kv) : 0);
}

static void smembers_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_SET, &err);
    if (err) return;
    if (!kv) reply_set(c->r, 0);
    else reply_members(c->r, kv, true);
}

/* ---- SPOP / SRANDMEMBER ---- */

/* Owned copies of members, so they outlive changes to the set. */
struct elem_copies {
    char *buf;
    size_t *off, *len;
    size_t n;
};

static void copies_make(struct elem_copies *ec, const struct set_elem *e, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += e[i].str ? e[i].len : RK_LONG_STR_SIZE;
    ec->buf = rk_malloc(total ? total : 1);
    ec->off = rk_malloc((n ? n : 1) * sizeof(size_t));
    ec->len = rk_malloc((n ? n : 1) * sizeof(size_t));
    ec->n = n;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        ec->off[i] = at;
        if (e[i].str) {
            memcpy(ec->buf + at, e[i].str, e[i].len);
            ec->len[i] = e[i].len;
        } else {
            ec->len[i] = ll2string(ec->buf + at, e[i].ll);
        }
        at += ec->len[i];
    }
}

static void copies_free(struct elem_copies *ec)
{
    rk_free(ec->buf);
    rk_free(ec->off);
    rk_free(ec->len);
}

/* Few pops: pick them, reply them, remove them. */
static void spop_picked(struct cmd_ctx *c, struct kv *kv, size_t count)
{
    struct set_elem *picks = rk_malloc(count * sizeof(*picks));
    size_t n = set_random_distinct(kv, count, picks);
    struct elem_copies ec;
    copies_make(&ec, picks, n);
    rk_free(picks);
    reply_set(c->r, (long long)n);
    for (size_t i = 0; i < n; i++) {
        reply_bulk(c->r, ec.buf + ec.off[i], ec.len[i]);
        set_remove(kv, ec.buf + ec.off[i], ec.len[i]);
    }
    copies_free(&ec);
}

/* Most of the set goes: pick the few that stay into a new set, reply
 * everything else, and let the new set take the old one's place. */
static void spop_keep(struct cmd_ctx *c, struct kv *kv, size_t count)
{
    size_t remaining = set_size(kv) - count;
    struct set_elem *keep = rk_malloc(remaining * sizeof(*keep));
    size_t n = set_random_distinct(kv, remaining, keep);
    char buf[RK_LONG_STR_SIZE];
    size_t flen;
    const char *first = set_elem_str(&keep[0], buf, &flen);
    struct kv *kept = set_create(kv_key(kv), kv->keylen, c->cfg, first, flen, remaining);
    for (size_t i = 0; i < n; i++) set_add_elem(kept, c->cfg, &keep[i]);
    rk_free(keep);

    reply_set(c->r, (long long)count);
    struct set_iter it;
    struct set_elem e;
    set_iter_init(&it, kv);
    while (set_iter_next(&it, &e))
        if (!set_contains_elem(kept, &e)) reply_elem(c->r, &e);
    set_iter_done(&it);

    void *old = kv->v.ptr;
    enum obj_encoding old_enc = kv->enc;
    kv->v.ptr = kept->v.ptr;
    kv->enc = kept->enc;
    kept->v.ptr = old;
    kept->enc = old_enc;
    kv_free(kept);
}

static void spop_with_count(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long l;
    if (!tc_positive_ll_or_reply(c, a->argv[2], a->len[2], NULL, &l)) return;
    bool err;
    struct kv *kv = tc_lookup_write(c, a->argv[1], a->len[1], OBJ_SET, &err);
    if (err) return;
    if (!kv || l == 0) {
        reply_set(c->r, 0);
        return;
    }
    size_t size = set_size(kv), count = (size_t)l;
    notify_key(c, NOTIFY_SET, "spop", a->argv[1], a->len[1]);
    if (count >= size) {
        reply_members(c->r, kv, true);
        tc_delete_emptied(c, kv, a->argv[1], a->len[1]);
        return;
    }
    /* As Redis: popping one by one is cheaper unless few members remain. */
    if ((size - count) * 5 > count) spop_picked(c, kv, count);
    else spop_keep(c, kv, count);
}

typedef void with_count_fn(struct cmd_ctx *c, const struct cmd_args *a);

/* SPOP and SRANDMEMBER: "key [count]". The counted form runs with_count;
 * otherwise a random member of the set goes into *e and the set's record
 * is returned. NULL once replied (the counted form, a syntax error, nil
 * for a missing key, WRONGTYPE). */
static struct kv *random_member_or_reply(struct cmd_ctx *c, const struct cmd_args *a, bool write,
                                         with_count_fn *with_count, struct set_elem *e)
{
    if (a->argc == 3) {
        with_count(c, a);
        return NULL;
    }
    if (a->argc > 3) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return NULL;
    }
    struct kv *kv = tc_lookup_or_reply(c, a, 1, OBJ_SET, write, reply_null);
    if (kv) set_random(kv, e);
    return kv;
}

static void spop_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct set_elem e;
    struct kv *kv = random_member_or_reply(c, a, true, spop_with_count, &e);
    if (!kv) return;
    struct elem_copies ec;
    copies_make(&ec, &e, 1);
    reply_bulk(c->r, ec.buf, ec.len[0]);
    set_remove(kv, ec.buf, ec.len[0]);
    copies_free(&ec);
    notify_key(c, NOTIFY_SET, "spop", a->argv[1], a->len[1]);
    if (set_size(kv) == 0) tc_delete_emptied(c, kv, a->argv[1], a->len[1]);
}

/* count picks with repetition, in chunks to bound the scratch memory. */
static void reply_random_repeated(struct reply *r, struct kv *kv, unsigned long long count)
{
    enum { CHUNK = 256 };
    reply_array(r, (long long)count);
    while (count) {
        size_t n = count < CHUNK ? (size_t)count : CHUNK;
        for (size_t i = 0; i < n; i++) {
            struct set_elem e;
            set_random(kv, &e);
            reply_elem(r, &e);
        }
        count -= n;
    }
}

static void srandmember_with_count(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long l;
    if (!tc_range_ll_or_reply(c, a->argv[2], a->len[2], -LLONG_MAX, LLONG_MAX, NULL, &l)) return;
    bool uniq = l >= 0;
    unsigned long long count = (unsigned long long)(l >= 0 ? l : -l);
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_SET, &err);
    if (err) return;
    if (!kv || count == 0) {
        reply_array(c->r, 0);
        return;
    }
    size_t size = set_size(kv);
    if (!uniq || count == 1) {
        reply_random_repeated(c->r, kv, count);
    } else if (count >= size) {
        reply_members(c->r, kv, false);
    } else {
        struct set_elem *picks = rk_malloc((size_t)count * sizeof(*picks));
        size_t n = set_random_distinct(kv, (size_t)count, picks);
        reply_array(c->r, (long long)n);
        for (size_t i = 0; i < n; i++) reply_elem(c->r, &picks[i]);
        rk_free(picks);
    }
}

static void srandmember_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct set_elem e;
    if (random_member_or_reply(c, a, false, srandmember_with_count, &e)) reply_elem(c->r, &e);
}

/* ---- set algebra ---- */

/* Looks up the source sets: false after a WRONGTYPE reply. Missing keys
 * are NULL in sets[]; *missing counts them. */
static bool lookup_sets(struct cmd_ctx *c, const struct cmd_args *a, int first, int n, bool storing,
                        struct kv **sets, int *missing)
{
    *missing = 0;
    for (int i = 0; i < n; i++) {
        bool err;
        const char *k = a->argv[first + i];
        size_t kl = a->len[first + i];
        sets[i] = storing ? tc_lookup_store_source(c, k, kl, OBJ_SET, &err) : tc_lookup_read(c, k, kl, OBJ_SET, &err);
        if (err) return false;
        *missing += sets[i] == NULL;
    }
    return true;
}

static int by_size(const void *x, const void *y)
{
    size_t a = set_size(*(struct kv *const *)x), b = set_size(*(struct kv *const *)y);
    return a < b ? -1 : a > b;
}

static void store_result(struct cmd_ctx *c, const char *dst, size_t dlen, struct kv *result, const char *event)
{
    tc_store_result(c, dst, dlen, result, set_size(result), NOTIFY_SET, event);
}

enum inter_mode { INTER_REPLY, INTER_STORE, INTER_CARD };

static void sinter_generic(struct cmd_ctx *c, const struct cmd_args *a, int first, int n,
                           enum inter_mode mode, int dst_at, long long limit)
{
    struct kv **sets = rk_malloc((size_t)n * sizeof(*sets));
    int missing;
    if (!lookup_sets(c, a, first, n, mode == INTER_STORE, sets, &missing)) goto out;
    if (missing) {
        if (mode == INTER_STORE) tc_store_nothing(c, a->argv[dst_at], a->len[dst_at]);
        else if (mode == INTER_REPLY) reply_set(c->r, 0);
        else reply_int(c->r, 0);
        goto out;
    }
    qsort(sets, (size_t)n, sizeof(*sets), by_size);
    struct kv *result = mode == INTER_STORE ? set_create_intset(a->argv[dst_at], a->len[dst_at]) : NULL;
    size_t at = mode == INTER_REPLY ? reply_defer(c->r) : 0;
    long long count = 0;
    struct set_iter it;
    struct set_elem e;
    set_iter_init(&it, sets[0]);
    while (set_iter_next(&it, &e)) {
        int j;
        for (j = 1; j < n; j++)
            if (sets[j] != sets[0] && !set_contains_elem(sets[j], &e)) break;
        if (j < n) continue;
        count++;
        if (mode == INTER_REPLY) reply_elem(c->r, &e);
        else if (mode == INTER_STORE) set_add_elem(result, c->cfg, &e);
        else if (limit && count >= limit) break;
    }
    set_iter_done(&it);
    if (mode == INTER_REPLY) reply_defer_set(c->r, at, count);
    else if (mode == INTER_CARD) reply_int(c->r, count);
    else store_result(c, a->argv[dst_at], a->len[dst_at], result, "sinterstore");
out:
    rk_free(sets);
}

enum setop { SETOP_UNION, SETOP_DIFF };

/* Adds (or, for remove, takes out) every member of src into dst. */
static void merge_set(struct cmd_ctx *c, struct kv *dst, struct kv *src, bool remove)
{
    struct set_iter it;
    struct set_elem e;
    set_iter_init(&it, src);
    while (set_iter_next(&it, &e)) {
        if (remove) set_remove_elem(dst, &e);
        else set_add_elem(dst, c->cfg, &e);
        if (remove && set_size(dst) == 0) break;
    }
    set_iter_done(&it);
}

/* SDIFF, the first way: each member of the first set checked against the
 * others; cheaper when the first set is small (Redis's choice). */
static void diff_by_lookup(struct cmd_ctx *c, struct kv *result, struct kv **sets, int n)
{
    struct set_iter it;
    struct set_elem e;
    set_iter_init(&it, sets[0]);
    while (set_iter_next(&it, &e)) {
        int j;
        for (j = 1; j < n; j++)
            if (sets[j] && (sets[j] == sets[0] || set_contains_elem(sets[j], &e))) break;
        if (j == n) set_add_elem(result, c->cfg, &e);
    }
    set_iter_done(&it);
}

static bool diff_prefers_lookup(struct kv **sets, int n)
{
    unsigned long long one = 0, two = 0;
    for (int j = 0; j < n; j++) {
        if (!sets[j]) continue;
        one += set_size(sets[0]);
        two += set_size(sets[j]);
    }
    return one / 2 <= two;
}

static void sunion_diff_generic(struct cmd_ctx *c, const struct cmd_args *a, int first, int n, int dst_at,
                                enum setop op)
{
    struct kv **sets = rk_malloc((size_t)n * sizeof(*sets));
    int missing;
    if (!lookup_sets(c, a, first, n, dst_at > 0, sets, &missing)) goto out;
    const char *rkey = dst_at > 0 ? a->argv[dst_at] : "";
    size_t rlen = dst_at > 0 ? a->len[dst_at] : 0;
    struct kv *result = set_create_intset(rkey, rlen);
    if (op == SETOP_UNION) {
        for (int j = 0; j < n; j++)
            if (sets[j]) merge_set(c, result, sets[j], false);
    } else if (sets[0] && diff_prefers_lookup(sets, n)) {
        diff_by_lookup(c, result, sets, n);
    } else if (sets[0]) {
        merge_set(c, result, sets[0], false);
        for (int j = 1; j < n && set_size(result); j++)
            if (sets[j]) merge_set(c, result, sets[j], true);
    }
    if (dst_at > 0) {
        store_result(c, rkey, rlen, result, op == SETOP_UNION ? "sunionstore" : "sdiffstore");
    } else {
        reply_members(c->r, result, true);
        kv_free(result);
    }
out:
    rk_free(sets);
}

static void sinter_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    sinter_generic(c, a, 1, a->argc - 1, INTER_REPLY, 0, 0);
}

static void sinterstore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    sinter_generic(c, a, 2, a->argc - 2, INTER_STORE, 1, 0);
}

static void sintercard_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long numkeys, limit = 0;
    if (!tc_range_ll_or_reply(c, a->argv[1], a->len[1], 1, LLONG_MAX, "numkeys should be greater than 0", &numkeys))
        return;
    if (numkeys > a->argc - 2) {
        reply_error(c->r, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (int i = 2 + (int)numkeys; i < a->argc; i++) {
        if (arg_is(a, i, "limit") && i + 1 < a->argc) {
            i++;
            if (!tc_positive_ll_or_reply(c, a->argv[i], a->len[i], "LIMIT can't be negative", &limit)) return;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return;
        }
    }
    sinter_generic(c, a, 2, (int)numkeys, INTER_CARD, 0, limit);
}

static void sunion_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    sunion_diff_generic(c, a, 1, a->argc - 1, 0, SETOP_UNION);
}

static void sunionstore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    sunion_diff_generic(c, a, 2, a->argc - 2, 1, SETOP_UNION);
}

static void sdiff_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    sunion_diff_generic(c, a, 1, a->argc - 1, 0, SETOP_DIFF);
}

static void sdiffstore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    sunion_diff_generic(c, a, 2, a->argc - 2, 1, SETOP_DIFF);
}

/* ---- SSCAN ---- */

static void scan_collect(const char *s, size_t len, void *arg)
{
    struct set_elem e = {s, len, 0};
    scan_batch_push(arg, &e);
}

static void sscan_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    uint64_t cursor;
    struct scan_opts o;
    struct kv *kv = scan_key_or_reply(c, a, OBJ_SET, &cursor, &o);
    if (!kv) return;
    struct scan_batch b = {.size = sizeof(struct set_elem)};
    if (kv->enc == ENC_HASHTABLE) {
        long budget = o.count * 10;
        do {
            cursor = set_scan(kv, cursor, scan_collect, &b);
        } while (cursor && budget-- && b.n < (size_t)o.count);
    } else {
        struct set_iter it;
        struct set_elem e;
        set_iter_init(&it, kv);
        while (set_iter_next(&it, &e)) scan_batch_push(&b, &e);
        set_iter_done(&it);
        cursor = 0;
    }
    scan_reply_cursor(c->r, cursor);
    size_t at = reply_defer(c->r);
    long long n = 0;
    const struct set_elem *items = b.items;
    for (size_t i = 0; i < b.n; i++) {
        char buf[RK_LONG_STR_SIZE];
        size_t len;
        const char *s = set_elem_str(&items[i], buf, &len);
        if (!scan_matches(&o, s, len)) continue;
        reply_bulk(c->r, s, len);
        n++;
    }
    reply_defer_array(c->r, at, n);
    rk_free(b.items);
}

static int sintercard_getkeys(const struct cmd_args *a, int *pos, int max)
{
    return tc_numkeys_positions(a, 1, 0, pos, max);
}

#define SETCMD(name_, arity_, flags_, fn_, first_, last_, summary_, since_, acl_, ...)                   \
    {.name = name_, .arity = arity_, .flags = flags_, .first_key = first_, .last_key = last_, .key_step = 1, \
     .fn = fn_, .group = "set", .summary = summary_, .since = since_, .acl_categories = acl_, __VA_ARGS__}
/* Complexity texts the set algebra commands share (SINTERCARD too). */
#define SETS_TOTAL_COMPLEXITY "O(N) where N is the total number of elements in all given sets."
#define SETS_INTER_COMPLEXITY \
    "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."
#define MEMBERS_HISTORY (const char *const[]){"2.4.0", "Accepts multiple `member` arguments.", NULL}

const struct cmd_def set_commands[] = {
    SETCMD("sadd", -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, sadd_command, 1, 1, "Add one or more members to a set",
           "1.0.0", "set", .key_flags = KS_RW | KS_INSERT, .syntax = "key member [member ...]", .history = MEMBERS_HISTORY,
           .complexity = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."),
    SETCMD("srem", -3, CMD_WRITE | CMD_FAST, srem_command, 1, 1, "Remove one or more members from a set", "1.0.0", "set",
           .key_flags = KS_RW | KS_DELETE, .syntax = "key member [member ...]", .history = MEMBERS_HISTORY,
           .complexity = "O(N) where N is the number of members to be removed."),
    SETCMD("smove", 4, CMD_WRITE | CMD_FAST, smove_command, 1, 2, "Move a member from one set to another", "1.0.0", "set",
           .key_specs = KEY_SPECS_SOURCE_DEST,
           .syntax = "source:key destination:key member", .complexity = "O(1)"),
    SETCMD("sismember", 3, CMD_READONLY | CMD_FAST, sismember_command, 1, 1,
           "Determine if a given value is a member of a set", "1.0.0", "set", .key_flags = KS_RO, .syntax = "key member",
           .complexity = "O(1)"),
    SETCMD("smismember", -3, CMD_READONLY | CMD_FAST, smismember_command, 1, 1,
           "Returns the membership associated with the given elements for a set", "6.2.0", "set",
           .key_flags = KS_RO | KS_ACCESS, .syntax = "key member [member ...]",
           .complexity = "O(N) where N is the number of elements being checked for membership"),
    SETCMD("scard", 2, CMD_READONLY | CMD_FAST, scard_command, 1, 1, "Get the number of members in a set", "1.0.0", "set",
           .key_flags = KS_RO, .syntax = "key", .complexity = "O(1)"),
    SETCMD("smembers", 2, CMD_READONLY, smembers_command, 1, 1, "Get all the members in a set", "1.0.0", "set",
           .key_flags = KS_RO | KS_ACCESS, .tips = "nondeterministic_output_order", .syntax = "key",
           .complexity = "O(N) where N is the set cardinality."),
    SETCMD("spop", -2, CMD_WRITE | CMD_FAST, spop_command, 1, 1,
           "Remove and return one or multiple random members from a set", "1.0.0", "set",
           .key_flags = KS_RW | KS_ACCESS | KS_DELETE, .tips = "nondeterministic_output", .syntax = "key [count:integer]@3.2.0",
           .history = (const char *const[]){"3.2.0", "Added the `count` argument.", NULL},
           .complexity = "Without the count argument O(1), otherwise O(N) where N is the value of the passed count."),
    SETCMD("srandmember", -2, CMD_READONLY, srandmember_command, 1, 1, "Get one or multiple random members from a set",
           "1.0.0", "set", .key_flags = KS_RO | KS_ACCESS, .tips = "nondeterministic_output",
           .syntax = "key [count:integer]@2.6.0",
           .history = (const char *const[]){"2.6.0", "Added the optional `count` argument.", NULL},
           .complexity = "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count."),
    SETCMD("sinter", -2, CMD_READONLY, sinter_command, 1, -1, "Intersect multiple sets", "1.0.0", "set",
           .key_flags = KS_RO | KS_ACCESS, .tips = "nondeterministic_output_order", .syntax = "key [key ...]",
           .complexity = SETS_INTER_COMPLEXITY),
    {.name = "sintercard", .arity = -3, .flags = CMD_READONLY, .fn = sintercard_command, .getkeys = sintercard_getkeys,
     .key_specs = (const struct cmd_key_spec[]){KEY_SPEC_KEYNUM(KS_RO | KS_ACCESS, 1), {0}},
     .group = "set", .summary = "Intersect multiple sets and return the cardinality of the result", .since = "7.0.0",
     .acl_categories = "set", .syntax = "numkeys:integer key [key ...] [LIMIT limit:integer]",
     .complexity = SETS_INTER_COMPLEXITY},
    SETCMD("sinterstore", -3, CMD_WRITE | CMD_DENYOOM, sinterstore_command, 1, -1,
           "Intersect multiple sets and store the resulting set in a key", "1.0.0", "set",
           .key_specs = KEY_SPECS_DEST_SOURCES(KS_RW | KS_UPDATE), .syntax = "destination:key key [key ...]",
           .complexity = SETS_INTER_COMPLEXITY),
    SETCMD("sunion", -2, CMD_READONLY, sunion_command, 1, -1, "Add multiple sets", "1.0.0", "set",
           .key_flags = KS_RO | KS_ACCESS, .tips = "nondeterministic_output_order", .syntax = "key [key ...]",
           .complexity = SETS_TOTAL_COMPLEXITY),
    SETCMD("sunionstore", -3, CMD_WRITE | CMD_DENYOOM, sunionstore_command, 1, -1,
           "Add multiple sets and store the resulting set in a key", "1.0.0", "set",
           .key_specs = KEY_SPECS_DEST_SOURCES(KS_OW | KS_UPDATE), .syntax = "destination:key key [key ...]",
           .complexity = SETS_TOTAL_COMPLEXITY),
    SETCMD("sdiff", -2, CMD_READONLY, sdiff_command, 1, -1, "Subtract multiple sets", "1.0.0", "set",
           .key_flags = KS_RO | KS_ACCESS, .tips = "nondeterministic_output_order", .syntax = "key [key ...]",
           .complexity = SETS_TOTAL_COMPLEXITY),
    SETCMD("sdiffstore", -3, CMD_WRITE | CMD_DENYOOM, sdiffstore_command, 1, -1,
           "Subtract multiple sets and store the resulting set in a key", "1.0.0", "set",
           .key_specs = KEY_SPECS_DEST_SOURCES(KS_OW | KS_UPDATE), .syntax = "destination:key key [key ...]",
           .complexity = SETS_TOTAL_COMPLEXITY),
    SETCMD("sscan", -3, CMD_READONLY, sscan_command, 1, 1, "Incrementally iterate Set elements", "2.8.0", "set",
           .key_flags = KS_RO | KS_ACCESS, .tips = "nondeterministic_output",
           .syntax = "key cursor:integer [MATCH pattern] [COUNT count:integer]",
           .complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
                         "cursor to return back to 0. N is the number of elements inside the collection.."),
    {0},
};
