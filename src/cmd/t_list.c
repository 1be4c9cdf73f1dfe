/* t_list.c — list commands, with Redis 7.0's replies, errors and order of
 * checks. Handlers run on the shard owning their keys (LMOVE between two
 * shards runs on copies through the core's cross-shard path). The value
 * itself lives behind listval.h.
 *
 * Ready for the blocking variants (BLPOP, BLMOVE, BLMPOP: a later issue):
 * the pop and move steps are functions of their own that a blocked client
 * can be served with, and list_signal_ready() marks where a list comes
 * into existence, which is what wakes blocked clients in Redis.
 */
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/data/db.h"
#include "ringkv/data/listval.h"
#include "ringkv/base/config.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/base/util.h"

#include <limits.h>
#include <string.h>

static struct list_limits list_limits(const struct cmd_ctx *c)
{
    return list_limits_of(c->cfg->list_max_listpack_size, c->cfg->list_compress_depth);
}

/* A list key was just created (a push into a missing key, LMOVE's
 * destination). Blocked clients will be woken from here; nothing blocks
 * yet. */
static void list_signal_ready(struct cmd_ctx *c, struct kv *kv) { (void)c, (void)kv; }

static void reply_no_key(struct reply *r) { reply_error(r, RK_ERR_NO_KEY); }

/* The list at argv[i], or NULL after replying `missing` or WRONGTYPE. */
static struct kv *list_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, bool write,
                                tc_missing_fn missing)
{
    return tc_lookup_or_reply(c, a, i, OBJ_LIST, write, missing);
}

/* After entries were removed from key by `event`: raised, and a key never
 * holds an empty list. */
static void list_removed(struct cmd_ctx *c, struct kv *kv, const char *key, size_t klen, const char *event)
{
    notify_key(c, NOTIFY_LIST, event, key, klen);
    if (listval_len(kv) == 0) tc_delete_emptied(c, kv, key, klen);
    else listval_try_shrink(kv, list_limits(c));
}

static const char *pop_event(enum listval_where where) { return where == LISTVAL_HEAD ? "lpop" : "rpop"; }
static const char *push_event(enum listval_where where) { return where == LISTVAL_HEAD ? "lpush" : "rpush"; }

/* LEFT / RIGHT, or a syntax error. */
static bool where_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, enum listval_where *w)
{
    if (arg_is(a, i, "left")) *w = LISTVAL_HEAD;
    else if (arg_is(a, i, "right")) *w = LISTVAL_TAIL;
    else {
        reply_error(c->r, RK_ERR_SYNTAX);
        return false;
    }
    return true;
}

/* argv[i] as an integer >= min, else `msg` (without "ERR ") is replied,
 * for a bad number as well (Redis's getRangeLongFromObjectOrReply). */
static bool min_ll_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, long long min,
                            const char *msg, long long *out)
{
    return tc_range_ll_or_reply(c, a->argv[i], a->len[i], min, LLONG_MAX, msg, out);
}

/* ---- push ---- */

static void push_generic(struct cmd_ctx *c, const struct cmd_args *a, enum listval_where where,
                         bool only_existing)
{
    bool err;
    struct kv *kv = tc_lookup_write(c, a->argv[1], a->len[1], OBJ_LIST, &err);
    if (err) return;
    bool created = false;
    if (!kv) {
        if (only_existing) {
            reply_int(c->r, 0);
            return;
        }
        kv = listval_create(a->argv[1], a->len[1]);
        db_add(c->db, kv);
        created = true;
    }
    struct list_limits lim = list_limits(c);
    for (int j = 2; j < a->argc; j++) listval_push(kv, where, a->argv[j], a->len[j], lim);
    notify_key(c, NOTIFY_LIST, push_event(where), a->argv[1], a->len[1]);
    reply_int(c->r, (long long)listval_len(kv));
    if (created) list_signal_ready(c, kv);
}

static void lpush_command(struct cmd_ctx *c, const struct cmd_args *a) { push_generic(c, a, LISTVAL_HEAD, false); }
static void rpush_command(struct cmd_ctx *c, const struct cmd_args *a) { push_generic(c, a, LISTVAL_TAIL, false); }
static void lpushx_command(struct cmd_ctx *c, const struct cmd_args *a) { push_generic(c, a, LISTVAL_HEAD, true); }
static void rpushx_command(struct cmd_ctx *c, const struct cmd_args *a) { push_generic(c, a, LISTVAL_TAIL, true); }

/* ---- ranges and pops ---- */

/* Replies `count` entries from index `start` on, towards the tail, or
 * with `reverse` from index start+count-1 towards the head. */
static void reply_entries(struct cmd_ctx *c, struct kv *kv, long start, long count, bool reverse)
{
    struct listval_iter it;
    listval_entry e;
    reply_array(c->r, count);
    listval_iter_init(&it, kv, reverse ? LISTVAL_TAIL : LISTVAL_HEAD, reverse ? start + count - 1 : start);
    while (count-- > 0 && listval_next(&it, &e)) listval_reply_entry(c->r, &e);
}

/* Redis's addListRangeReply: start/end as LRANGE takes them. */
static void reply_range(struct cmd_ctx *c, struct kv *kv, long long start, long long end)
{
    long long llen = (long long)listval_len(kv);
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) {
        reply_array(c->r, 0);
        return;
    }
    if (end >= llen) end = llen - 1;
    reply_entries(c, kv, (long)start, (long)(end - start + 1), false);
}

/* Pops up to count entries from one end and replies them as an array, in
 * pop order. Shared by LPOP/RPOP with a count and LMPOP (and BLMPOP). */
static void pop_range_reply(struct cmd_ctx *c, struct kv *kv, const char *key, size_t klen, enum listval_where where,
                            long long count)
{
    long long llen = (long long)listval_len(kv);
    long n = (long)(count < llen ? count : llen);
    bool head = where == LISTVAL_HEAD;
    reply_entries(c, kv, head ? 0 : (long)(llen - n), n, !head);
    listval_del_range(kv, head ? 0 : -n, (size_t)n);
    list_removed(c, kv, key, klen, pop_event(where));
}

/* Pops one entry and replies it as a bulk string (LPOP/RPOP, BLPOP). */
static void pop_one_reply(struct cmd_ctx *c, struct kv *kv, const char *key, size_t klen, enum listval_where where)
{
    listval_entry e;
    listval_index(kv, where == LISTVAL_HEAD ? 0 : -1, &e);
    listval_reply_entry(c->r, &e);
    listval_del_range(kv, where == LISTVAL_HEAD ? 0 : -1, 1);
    list_removed(c, kv, key, klen, pop_event(where));
}

static void pop_generic(struct cmd_ctx *c, const struct cmd_args *a, enum listval_where where)
{
    bool has_count = a->argc == 3;
    long long count = 0;
    if (a->argc > 3) {
        reply_errorf(c->r, "ERR wrong number of arguments for '%s' command",
                     where == LISTVAL_HEAD ? "lpop" : "rpop");
        return;
    }
    if (has_count && !tc_positive_ll_or_reply(c, a->argv[2], a->len[2], NULL, &count)) return;
    struct kv *kv = list_or_reply(c, a, 1, true, has_count ? reply_null_array : reply_null);
    if (!kv) return;
    if (!has_count) pop_one_reply(c, kv, a->argv[1], a->len[1], where);
    else if (count == 0) reply_array(c->r, 0);
    else pop_range_reply(c, kv, a->argv[1], a->len[1], where, count);
}

static void lpop_command(struct cmd_ctx *c, const struct cmd_args *a) { pop_generic(c, a, LISTVAL_HEAD); }
static void rpop_command(struct cmd_ctx *c, const struct cmd_args *a) { pop_generic(c, a, LISTVAL_TAIL); }

static void llen_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = list_or_reply(c, a, 1, false, tc_reply_zero);
    if (kv) reply_int(c->r, (long long)listval_len(kv));
}

static void lrange_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long start, end;
    if (!arg_ll_or_reply(c, a, 2, &start, NULL) || !arg_ll_or_reply(c, a, 3, &end, NULL)) return;
    struct kv *kv = list_or_reply(c, a, 1, false, tc_reply_empty_array);
    if (kv) reply_range(c, kv, start, end);
}

/* ---- by index or value ---- */

static void lindex_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = list_or_reply(c, a, 1, false, reply_null);
    long long index;
    if (!kv || !arg_ll_or_reply(c, a, 2, &index, NULL)) return;
    listval_entry e;
    if (listval_index(kv, (long)index, &e)) listval_reply_entry(c->r, &e);
    else reply_null(c->r);
}

static void lset_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = list_or_reply(c, a, 1, true, reply_no_key);
    long long index;
    if (!kv || !arg_ll_or_reply(c, a, 2, &index, NULL)) return;
    listval_entry e;
    if (!listval_index(kv, (long)index, &e)) {
        reply_error(c->r, "ERR index out of range");
        return;
    }
    listval_replace(kv, &e, a->argv[3], a->len[3], list_limits(c));
    /* A big value may have made it a quicklist; a small one may let it
     * go back (Redis 7.2 checks both ways too). */
    listval_try_shrink(kv, list_limits(c));
    notify_key(c, NOTIFY_LIST, "lset", a->argv[1], a->len[1]);
    reply_ok(c->r);
}

static void linsert_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool after;
    if (arg_is(a, 2, "after")) after = true;
    else if (arg_is(a, 2, "before")) after = false;
    else {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    struct kv *kv = list_or_reply(c, a, 1, true, tc_reply_zero);
    if (!kv) return;
    struct listval_iter it;
    listval_entry e;
    listval_iter_init(&it, kv, LISTVAL_HEAD, 0);
    while (listval_next(&it, &e)) {
        if (listval_entry_eq(&e, a->argv[3], a->len[3])) {
            listval_insert(kv, &e, after, a->argv[4], a->len[4], list_limits(c));
            notify_key(c, NOTIFY_LIST, "linsert", a->argv[1], a->len[1]);
            reply_int(c->r, (long long)listval_len(kv));
            return;
        }
    }
    cmd_unchanged(c); /* no pivot */
    reply_int(c->r, -1);
}

static void lrem_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long count;
    if (!arg_ll_or_reply(c, a, 2, &count, NULL)) return;
    struct kv *kv = list_or_reply(c, a, 1, true, tc_reply_zero);
    if (!kv) return;
    /* Negative counts remove from the tail; LLONG_MIN's magnitude is
     * beyond any list, so it removes all matches. */
    unsigned long long limit = count < 0 ? 0ULL - (unsigned long long)count : (unsigned long long)count;
    enum listval_where from = count < 0 ? LISTVAL_TAIL : LISTVAL_HEAD;
    unsigned long long removed = 0;
    struct listval_iter it;
    listval_entry e;
    listval_iter_init(&it, kv, from, from == LISTVAL_HEAD ? 0 : -1);
    while (listval_next(&it, &e)) {
        if (!listval_entry_eq(&e, a->argv[3], a->len[3])) continue;
        listval_iter_del(&it, &e);
        if (++removed == limit) break;
    }
    if (removed) list_removed(c, kv, a->argv[1], a->len[1], "lrem");
    else cmd_unchanged(c);
    reply_int(c->r, (long long)removed);
}

static void ltrim_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long start, end;
    if (!arg_ll_or_reply(c, a, 2, &start, NULL) || !arg_ll_or_reply(c, a, 3, &end, NULL)) return;
    struct kv *kv = list_or_reply(c, a, 1, true, reply_ok);
    if (!kv) return;
    long long llen = (long long)listval_len(kv), ltrim, rtrim;
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) {
        ltrim = llen;
        rtrim = 0;
    } else {
        if (end >= llen) end = llen - 1;
        ltrim = start;
        rtrim = llen - end - 1;
    }
    listval_del_range(kv, 0, (size_t)ltrim);
    listval_del_range(kv, (long)-rtrim, (size_t)rtrim);
    if (ltrim + rtrim == 0) { /* as Redis: no change counted, but its watchers hear of it */
        cmd_unchanged(c);
        db_signal_modified(c->db, a->argv[1], a->len[1]);
    }
    list_removed(c, kv, a->argv[1], a->len[1], "ltrim");
    reply_ok(c->r);
}

struct lpos_opts {
    long long rank, count, maxlen; /* count -1: not given (reply a single index) */
};

static bool lpos_opts_or_reply(struct cmd_ctx *c, const struct cmd_args *a, struct lpos_opts *o)
{
    *o = (struct lpos_opts){.rank = 1, .count = -1, .maxlen = 0};
    for (int j = 3; j < a->argc; j++) {
        bool more = j + 1 < a->argc;
        if (more && arg_is(a, j, "rank")) {
            if (!arg_ll_or_reply(c, a, ++j, &o->rank, NULL)) return false;
            if (o->rank == 0) {
                reply_error(c->r, "ERR RANK can't be zero: use 1 to start from the first match, "
                                  "2 from the second ... or use negative to start from the end "
                                  "of the list");
                return false;
            }
        } else if (more && arg_is(a, j, "count")) {
            if (!min_ll_or_reply(c, a, ++j, 0, "COUNT can't be negative", &o->count)) return false;
        } else if (more && arg_is(a, j, "maxlen")) {
            if (!min_ll_or_reply(c, a, ++j, 0, "MAXLEN can't be negative", &o->maxlen)) return false;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

static void lpos_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct lpos_opts o;
    if (!lpos_opts_or_reply(c, a, &o)) return;
    enum listval_where from = o.rank < 0 ? LISTVAL_TAIL : LISTVAL_HEAD;
    long long rank = o.rank == LLONG_MIN ? 1 : o.rank < 0 ? -o.rank : o.rank;
    /* Redis 7.0 negates LLONG_MIN to itself, so every match passes its
     * rank test and its COUNT test never stops: all matches from the tail. */
    if (o.rank == LLONG_MIN && o.count > 0) o.count = 0;
    struct kv *kv = list_or_reply(c, a, 1, false, o.count != -1 ? tc_reply_empty_array : reply_null);
    if (!kv) return;
    size_t at = o.count != -1 ? reply_defer(c->r) : 0;
    long long llen = (long long)listval_len(kv), index = 0, matches = 0, found = -1, replied = 0;
    struct listval_iter it;
    listval_entry e;
    listval_iter_init(&it, kv, from, from == LISTVAL_HEAD ? 0 : -1);
    for (; (o.maxlen == 0 || index < o.maxlen) && listval_next(&it, &e); index++) {
        if (!listval_entry_eq(&e, a->argv[2], a->len[2]) || ++matches < rank) continue;
        long long pos = from == LISTVAL_HEAD ? index : llen - index - 1;
        if (o.count == -1) {
            found = pos;
            break;
        }
        reply_int(c->r, pos);
        if (++replied == o.count) break; /* COUNT 0: all matches */
    }
    if (o.count != -1) reply_defer_array(c->r, at, replied);
    else if (found >= 0) reply_int(c->r, found);
    else reply_null(c->r);
}

/* ---- moving between lists ---- */

/* Pops from src and pushes onto the list at dstkey (created if missing),
 * replying the value moved. src and dst may be the same list. Shared by
 * LMOVE and RPOPLPUSH (and BLMOVE). */
static void move_value(struct cmd_ctx *c, const struct cmd_args *a, struct kv *src, struct kv *dst,
                       enum listval_where from, enum listval_where to)
{
    const char *dstkey = a->argv[2];
    size_t dstlen = a->len[2];
    listval_entry e;
    listval_index(src, from == LISTVAL_HEAD ? 0 : -1, &e);
    /* The value must outlive its removal: copy it (an integer is
     * formatted, which the push stores as an integer again). */
    char small[64], *val = small; /* 64 >= RK_LONG_STR_SIZE */
    size_t len = e.len;
    if (!e.str) {
        len = ll2string(small, e.ll);
    } else {
        if (len > sizeof small) val = rk_malloc(len);
        memcpy(val, e.str, len);
    }
    listval_del_range(src, from == LISTVAL_HEAD ? 0 : -1, 1);
    bool created = !dst;
    if (created) {
        dst = listval_create(dstkey, dstlen);
        db_add(c->db, dst);
    }
    listval_push(dst, to, val, len, list_limits(c));
    reply_bulk(c->r, val, len);
    if (val != small) rk_free(val);
    if (created) list_signal_ready(c, dst);
    notify_key(c, NOTIFY_LIST, push_event(to), dstkey, dstlen);
    if (src != dst) {
        list_removed(c, src, a->argv[1], a->len[1], pop_event(from));
    } else {
        notify_key(c, NOTIFY_LIST, pop_event(from), a->argv[1], a->len[1]);
        /* As Redis: a list rotated onto itself is modified, even when the
         * element went back where it was (RIGHT RIGHT, one element). */
        db_signal_modified(c->db, a->argv[1], a->len[1]);
    }
}

static void move_generic(struct cmd_ctx *c, const struct cmd_args *a, enum listval_where from,
                         enum listval_where to)
{
    struct kv *src = list_or_reply(c, a, 1, true, reply_null);
    if (!src) return;
    bool err;
    struct kv *dst = tc_lookup_write(c, a->argv[2], a->len[2], OBJ_LIST, &err);
    if (err) return;
    move_value(c, a, src, dst, from, to);
}

static void lmove_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    enum listval_where from, to;
    if (where_or_reply(c, a, 3, &from) && where_or_reply(c, a, 4, &to)) move_generic(c, a, from, to);
}

static void rpoplpush_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    move_generic(c, a, LISTVAL_TAIL, LISTVAL_HEAD);
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count], and BLMPOP with
 * its timeout first (read after the rest, as Redis does): at = the
 * numkeys argument. A blocking call that finds every list empty waits
 * (cmd_block) instead of answering nil. */
static void mpop(struct cmd_ctx *c, const struct cmd_args *a, int at, bool blocking)
{
    long long numkeys, count = -1;
    enum listval_where where;
    if (!min_ll_or_reply(c, a, at, 1, "numkeys should be greater than 0", &numkeys)) return;
    if (numkeys >= a->argc - at - 1) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    int where_at = at + 1 + (int)numkeys;
    if (!where_or_reply(c, a, where_at, &where)) return;
    for (int j = where_at + 1; j < a->argc; j++) {
        if (count == -1 && j + 1 < a->argc && arg_is(a, j, "count")) {
            if (!min_ll_or_reply(c, a, ++j, 1, "count should be greater than 0", &count)) return;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return;
        }
    }
    if (count == -1) count = 1;
    long long deadline = -1;
    if (blocking && !tc_timeout_or_reply(c, a, 1, &deadline)) return;
    for (int k = at + 1; k < where_at; k++) {
        bool err;
        struct kv *kv = tc_lookup_source(c, a->argv[k], a->len[k], OBJ_LIST, &err);
        if (err) return;
        if (!kv) continue;
        reply_array(c->r, 2);
        reply_bulk(c->r, a->argv[k], a->len[k]);
        pop_range_reply(c, kv, a->argv[k], a->len[k], where, count);
        return;
    }
    if (deadline >= 0 && c->may_block) cmd_block(c, deadline);
    else reply_null_array(c->r);
}

static void lmpop_command(struct cmd_ctx *c, const struct cmd_args *a) { mpop(c, a, 1, false); }
static void blmpop_command(struct cmd_ctx *c, const struct cmd_args *a) { mpop(c, a, 2, true); }

/* BLPOP/BRPOP key [key ...] timeout: one element from the first list that
 * has one, [key, element]. */
static void bpop(struct cmd_ctx *c, const struct cmd_args *a, enum listval_where where)
{
    long long deadline;
    if (!tc_timeout_or_reply(c, a, a->argc - 1, &deadline)) return;
    for (int k = 1; k < a->argc - 1; k++) {
        bool err;
        struct kv *kv = tc_lookup_source(c, a->argv[k], a->len[k], OBJ_LIST, &err);
        if (err) return;
        if (!kv) continue;
        reply_array(c->r, 2);
        reply_bulk(c->r, a->argv[k], a->len[k]);
        pop_one_reply(c, kv, a->argv[k], a->len[k], where);
        return;
    }
    if (c->may_block) cmd_block(c, deadline);
    else reply_null_array(c->r);
}

static void blpop_command(struct cmd_ctx *c, const struct cmd_args *a) { bpop(c, a, LISTVAL_HEAD); }
static void brpop_command(struct cmd_ctx *c, const struct cmd_args *a) { bpop(c, a, LISTVAL_TAIL); }

/* BLMOVE/BRPOPLPUSH: an empty source waits; the destination is checked
 * when there is something to move, as in Redis. */
static void bmove(struct cmd_ctx *c, const struct cmd_args *a, enum listval_where from, enum listval_where to,
                  int timeout_at)
{
    long long deadline;
    if (!tc_timeout_or_reply(c, a, timeout_at, &deadline)) return;
    bool err;
    struct kv *src = tc_lookup_source(c, a->argv[1], a->len[1], OBJ_LIST, &err);
    if (err) return;
    if (!src) {
        if (c->may_block) cmd_block(c, deadline);
        else reply_null(c->r);
        return;
    }
    struct kv *dst = tc_lookup_write(c, a->argv[2], a->len[2], OBJ_LIST, &err);
    if (err) return;
    move_value(c, a, src, dst, from, to);
}

static void blmove_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    enum listval_where from, to;
    if (where_or_reply(c, a, 3, &from) && where_or_reply(c, a, 4, &to)) bmove(c, a, from, to, 5);
}

static void brpoplpush_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bmove(c, a, LISTVAL_TAIL, LISTVAL_HEAD, 3);
}

static int lmpop_getkeys(const struct cmd_args *a, int *pos, int max)
{
    return tc_numkeys_positions(a, 1, 0, pos, max);
}

static int blmpop_getkeys(const struct cmd_args *a, int *pos, int max)
{
    return tc_numkeys_positions(a, 2, 0, pos, max);
}

#define LIST(name_, arity_, flags_, fn_, last_, summary_, since_, complexity_, acl_, ...)        \
    {.name = name_, .arity = arity_, .flags = flags_, .first_key = 1, .last_key = last_,         \
     .key_step = 1, .fn = fn_, .group = "list", .summary = summary_, .since = since_,            \
     .complexity = complexity_, .acl_categories = acl_, __VA_ARGS__}

#define PUSH_COMPLEXITY "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."

const struct cmd_def list_commands[] = {
    LIST("lpush", -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, lpush_command, 1, "Prepend one or multiple elements to a list", "1.0.0", PUSH_COMPLEXITY, "write list fast",
         .key_flags = KS_RW | KS_INSERT, .syntax = "key element [element ...]", .history = (const char *const[]){"2.4.0", "Accepts multiple `element` arguments.", NULL}),
    LIST("rpush", -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, rpush_command, 1, "Append one or multiple elements to a list", "1.0.0", PUSH_COMPLEXITY, "write list fast",
         .key_flags = KS_RW | KS_INSERT, .syntax = "key element [element ...]", .history = (const char *const[]){"2.4.0", "Accepts multiple `element` arguments.", NULL}),
    LIST("lpushx", -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, lpushx_command, 1, "Prepend an element to a list, only if the list exists", "2.2.0", PUSH_COMPLEXITY, "write list fast",
         .key_flags = KS_RW | KS_INSERT, .syntax = "key element [element ...]", .history = (const char *const[]){"4.0.0", "Accepts multiple `element` arguments.", NULL}),
    LIST("rpushx", -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, rpushx_command, 1, "Append an element to a list, only if the list exists", "2.2.0", PUSH_COMPLEXITY, "write list fast",
         .key_flags = KS_RW | KS_INSERT, .syntax = "key element [element ...]", .history = (const char *const[]){"4.0.0", "Accepts multiple `element` arguments.", NULL}),
    LIST("lpop", -2, CMD_WRITE | CMD_FAST, lpop_command, 1, "Remove and get the first elements in a list", "1.0.0", "O(N) where N is the number of elements returned", "write list fast",
         .key_flags = KS_RW | KS_ACCESS | KS_DELETE, .syntax = "key [count:integer]@6.2.0", .history = (const char *const[]){"6.2.0", "Added the `count` argument.", NULL}),
    LIST("rpop", -2, CMD_WRITE | CMD_FAST, rpop_command, 1, "Remove and get the last elements in a list", "1.0.0", "O(N) where N is the number of elements returned", "write list fast",
         .key_flags = KS_RW | KS_ACCESS | KS_DELETE, .syntax = "key [count:integer]@6.2.0", .history = (const char *const[]){"6.2.0", "Added the `count` argument.", NULL}),
    LIST("llen", 2, CMD_READONLY | CMD_FAST, llen_command, 1, "Get the length of a list", "1.0.0", "O(1)", "read list fast",
         .key_flags = KS_RO, .syntax = "key"),
    LIST("lrange", 4, CMD_READONLY, lrange_command, 1, "Get a range of elements from a list", "1.0.0", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", "read list slow",
         .key_flags = KS_RO | KS_ACCESS, .syntax = "key start:integer stop:integer"),
    LIST("lindex", 3, CMD_READONLY, lindex_command, 1, "Get an element from a list by its index", "1.0.0", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", "read list slow",
         .key_flags = KS_RO | KS_ACCESS, .syntax = "key index:integer"),
    LIST("lset", 4, CMD_WRITE | CMD_DENYOOM, lset_command, 1, "Set the value of an element in a list by its index", "1.0.0", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", "write list slow",
         .key_flags = KS_RW | KS_UPDATE, .syntax = "key index:integer element"),
    LIST("linsert", 5, CMD_WRITE | CMD_DENYOOM, linsert_command, 1, "Insert an element before or after another element in a list", "2.2.0", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", "write list slow",
         .key_flags = KS_RW | KS_INSERT, .syntax = "key where=<BEFORE | AFTER> pivot element"),
    LIST("lrem", 4, CMD_WRITE, lrem_command, 1, "Remove elements from a list", "1.0.0", "O(N+M) where N is the length of the list and M is the number of elements removed.", "write list slow",
         .key_flags = KS_RW | KS_DELETE, .syntax = "key count:integer element"),
    LIST("ltrim", 4, CMD_WRITE, ltrim_command, 1, "Trim a list to the specified range", "1.0.0", "O(N) where N is the number of elements to be removed by the operation.", "write list slow",
         .key_flags = KS_RW | KS_DELETE, .syntax = "key start:integer stop:integer"),
    LIST("lpos", -3, CMD_READONLY, lpos_command, 1, "Return the index of matching elements on a list", "6.0.6", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", "read list slow",
         .key_flags = KS_RO | KS_ACCESS, .syntax = "key element [RANK rank:integer] [COUNT num-matches:integer] [MAXLEN len:integer]"),
    LIST("lmove", 5, CMD_WRITE | CMD_DENYOOM, lmove_command, 2, "Pop an element from a list, push it to another list and return it", "6.2.0", "O(1)", "write list slow",
         .key_specs = KEY_SPECS_SOURCE_DEST, .syntax = "source:key destination:key wherefrom=<LEFT | RIGHT> whereto=<LEFT | RIGHT>"),
    LIST("rpoplpush", 3, CMD_WRITE | CMD_DENYOOM, rpoplpush_command, 2, "Remove the last element in a list, prepend it to another list and return it", "1.2.0", "O(1)", "write list slow",
         .key_specs = KEY_SPECS_SOURCE_DEST, .syntax = "source:key destination:key", .deprecated_since = "6.2.0", .replaced_by = "`LMOVE` with the `RIGHT` and `LEFT` arguments"),
    {.name = "lmpop", .arity = -4, .flags = CMD_WRITE, .fn = lmpop_command, .getkeys = lmpop_getkeys,
     .key_specs = (const struct cmd_key_spec[]){KEY_SPEC_KEYNUM(KS_RW | KS_ACCESS | KS_DELETE, 1), {0}},
     .syntax = "numkeys:integer key [key ...] where=<LEFT | RIGHT> [COUNT count:integer]",
     .group = "list", .summary = "Pop elements from a list", .since = "7.0.0",
     .complexity = "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
     .acl_categories = "write list slow"},
    LIST("blpop", -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, blpop_command, -2, "Remove and get the first element in a list, or block until one is available", "2.0.0", "O(N) where N is the number of provided keys.", "write list slow blocking",
         .key_flags = KS_RW | KS_ACCESS | KS_DELETE, .syntax = "key [key ...] timeout:double", .history = (const char *const[]){"6.0.0", "`timeout` is interpreted as a double instead of an integer.", NULL}),
    LIST("brpop", -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, brpop_command, -2, "Remove and get the last element in a list, or block until one is available", "2.0.0", "O(N) where N is the number of provided keys.", "write list slow blocking",
         .key_flags = KS_RW | KS_ACCESS | KS_DELETE, .syntax = "key [key ...] timeout:double", .history = (const char *const[]){"6.0.0", "`timeout` is interpreted as a double instead of an integer.", NULL}),
    LIST("brpoplpush", 4, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING | CMD_BLOCK_ON_SOURCE, brpoplpush_command, 2, "Pop an element from a list, push it to another list and return it; or block until one is available", "2.2.0", "O(1)", "write list slow blocking",
         .key_specs = KEY_SPECS_SOURCE_DEST, .syntax = "source:key destination:key timeout:double", .deprecated_since = "6.2.0", .replaced_by = "`BLMOVE` with the `RIGHT` and `LEFT` arguments",
         .history = (const char *const[]){"6.0.0", "`timeout` is interpreted as a double instead of an integer.", NULL}),
    LIST("blmove", 6, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING | CMD_BLOCK_ON_SOURCE, blmove_command, 2, "Pop an element from a list, push it to another list and return it; or block until one is available", "6.2.0", "O(1)", "write list slow blocking",
         .key_specs = KEY_SPECS_SOURCE_DEST, .syntax = "source:key destination:key wherefrom=<LEFT | RIGHT> whereto=<LEFT | RIGHT> timeout:double"),
    {.name = "blmpop", .arity = -5, .flags = CMD_WRITE | CMD_BLOCKING, .fn = blmpop_command, .getkeys = blmpop_getkeys,
     .key_specs = (const struct cmd_key_spec[]){KEY_SPEC_KEYNUM(KS_RW | KS_ACCESS | KS_DELETE, 2), {0}},
     .syntax = "timeout:double numkeys:integer key [key ...] where=<LEFT | RIGHT> [COUNT count:integer]",
     .group = "list", .summary = "Pop elements from a list, or block until one is available", .since = "7.0.0",
     .complexity = "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
     .acl_categories = "write list slow blocking"},
    {0},
};
