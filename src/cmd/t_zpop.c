/* t_zpop.c — popping from sorted sets: ZPOPMIN, ZPOPMAX, ZMPOP and their
 * blocking forms BZPOPMIN, BZPOPMAX, BZMPOP (which wait through
 * cmd_block when every key is empty), with Redis 7.0's replies. Handlers
 * run on the shard owning the keys (or on the cross-shard scratch
 * keyspace's copies). */
#include "ringkv/cmd/t_zset.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/data/db.h"

#include <limits.h>

/* ---- ZPOPMIN / ZPOPMAX / ZMPOP ---- */

/* Redis's genericZpopCommand: pops from the first existing key among
 * argv[first..first+nkeys-1]. count -1: a single pop without COUNT. */
static void zpop_generic(struct cmd_ctx *c, const struct cmd_args *a, int first, int nkeys, bool max, bool emitkey,
                         long long count, bool nested, bool nil_when_empty, long long deadline)
{
    struct kv *kv = NULL;
    int at = first;
    for (; at < first + nkeys; at++) {
        bool err;
        kv = tc_lookup_source(c, a->argv[at], a->len[at], OBJ_ZSET, &err);
        if (err) return;
        if (kv) break;
    }
    if (!kv) {
        if (deadline >= 0 && c->may_block) cmd_block(c, deadline); /* BZPOP*, BZMPOP */
        else if (nil_when_empty) reply_null_array(c->r);
        else reply_array(c->r, 0);
        return;
    }
    if (count == 0) {
        reply_array(c->r, 0);
        return;
    }
    if (count == -1) count = 1;
    long long llen = (long long)zset_length(kv), n = count > llen ? llen : count;
    if (!nested && !emitkey) reply_array(c->r, n * 2);
    else if (nested && !emitkey) reply_array(c->r, n);
    else if (!nested) {
        reply_array(c->r, n * 2 + 1);
        reply_bulk(c->r, a->argv[at], a->len[at]);
    } else {
        reply_array(c->r, 2);
        reply_bulk(c->r, a->argv[at], a->len[at]);
        reply_array(c->r, n);
    }
    struct zset_iter it;
    struct zset_elem e;
    zset_iter_rank(&it, kv, 0, max);
    for (long long i = 0; i < n && zset_iter_next(&it, &e); i++) zset_reply_pair(c->r, &e, nested);
    if (max) zset_delete_rank(kv, (size_t)(llen - n), (size_t)llen - 1);
    else zset_delete_rank(kv, 0, (size_t)n - 1);
    notify_key(c, NOTIFY_ZSET, max ? "zpopmax" : "zpopmin", a->argv[at], a->len[at]);
    if (zset_length(kv) == 0) tc_delete_emptied(c, kv, a->argv[at], a->len[at]);
}

static void zpop_minmax(struct cmd_ctx *c, const struct cmd_args *a, bool max)
{
    long long count = -1;
    if (a->argc > 3) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    if (a->argc == 3 && !tc_positive_ll_or_reply(c, a->argv[2], a->len[2], NULL, &count)) return;
    zpop_generic(c, a, 1, 1, max, false, count, c->r->resp > 2 && count != -1, false, -1);
}

static void zpopmin_command(struct cmd_ctx *c, const struct cmd_args *a) { zpop_minmax(c, a, false); }
static void zpopmax_command(struct cmd_ctx *c, const struct cmd_args *a) { zpop_minmax(c, a, true); }

/* ZMPOP numkeys key... MIN|MAX [COUNT n], and BZMPOP with its timeout
 * first (read after the rest, as Redis does): at = the numkeys argument. */
static void mpop(struct cmd_ctx *c, const struct cmd_args *a, int at, bool blocking)
{
    long long numkeys, count = -1;
    if (!tc_range_ll_or_reply(c, a->argv[at], a->len[at], 1, LLONG_MAX, "numkeys should be greater than 0", &numkeys))
        return;
    if (numkeys >= a->argc - at - 1) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    int where_at = at + 1 + (int)numkeys;
    bool max = arg_is(a, where_at, "max");
    if (!max && !arg_is(a, where_at, "min")) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    for (int j = where_at + 1; j < a->argc; j++) {
        if (count == -1 && arg_is(a, j, "count") && j + 1 < a->argc) {
            j++;
            if (!tc_range_ll_or_reply(c, a->argv[j], a->len[j], 1, LLONG_MAX, "count should be greater than 0", &count))
                return;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return;
        }
    }
    if (count == -1) count = 1;
    long long deadline = -1;
    if (blocking && !tc_timeout_or_reply(c, a, 1, &deadline)) return;
    zpop_generic(c, a, at + 1, (int)numkeys, max, true, count, true, true, deadline);
}

static void zmpop_command(struct cmd_ctx *c, const struct cmd_args *a) { mpop(c, a, 1, false); }
static void bzmpop_command(struct cmd_ctx *c, const struct cmd_args *a) { mpop(c, a, 2, true); }

/* BZPOPMIN/BZPOPMAX key [key ...] timeout: [key, member, score]. */
static void bzpop(struct cmd_ctx *c, const struct cmd_args *a, bool max)
{
    long long deadline;
    if (tc_timeout_or_reply(c, a, a->argc - 1, &deadline))
        zpop_generic(c, a, 1, a->argc - 2, max, true, -1, false, true, deadline);
}

static void bzpopmin_command(struct cmd_ctx *c, const struct cmd_args *a) { bzpop(c, a, false); }
static void bzpopmax_command(struct cmd_ctx *c, const struct cmd_args *a) { bzpop(c, a, true); }

static int zmpop_getkeys(const struct cmd_args *a, int *pos, int max) { return tc_numkeys_positions(a, 1, 0, pos, max); }
static int bzmpop_getkeys(const struct cmd_args *a, int *pos, int max) { return tc_numkeys_positions(a, 2, 0, pos, max); }

#define ZPOP_COMPLEXITY                                                                                    \
    "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of "        \
    "elements popped."

const struct cmd_def zset_pop_commands[] = {
    ZSET_CMD("zpopmin", -2, CMD_WRITE | CMD_FAST, zpopmin_command, 1, 1,
         "Remove and return members with the lowest scores in a sorted set", "5.0.0", "write sortedset fast",
         .key_flags = KS_RW | KS_ACCESS | KS_DELETE,
         .complexity = ZPOP_COMPLEXITY,
         .syntax = "key [count:integer]"),
    ZSET_CMD("zpopmax", -2, CMD_WRITE | CMD_FAST, zpopmax_command, 1, 1,
         "Remove and return members with the highest scores in a sorted set", "5.0.0", "write sortedset fast",
         .key_flags = KS_RW | KS_ACCESS | KS_DELETE,
         .complexity = ZPOP_COMPLEXITY,
         .syntax = "key [count:integer]"),
    {.name = "zmpop", .arity = -4, .flags = CMD_WRITE, .fn = zmpop_command, .getkeys = zmpop_getkeys,
     .group = "sorted-set", .since = "7.0.0", .acl_categories = "write sortedset slow",
     .summary = "Remove and return members with scores in a sorted set",
     .key_specs = (const struct cmd_key_spec[]){KEY_SPEC_KEYNUM(KS_RW | KS_ACCESS | KS_DELETE, 1), {0}},
     .complexity = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the "
                   "sorted set, and M being the number of elements popped.",
     .syntax = "numkeys:integer key [key ...] where=<MIN | MAX> [COUNT count:integer]"},
    ZSET_CMD("bzpopmin", -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING | CMD_FAST, bzpopmin_command, 1, -2,
         "Remove and return the member with the lowest score from one or more sorted sets, or block until one is "
         "available", "5.0.0", "write sortedset fast blocking",
         .key_flags = KS_RW | KS_ACCESS | KS_DELETE,
         .complexity = "O(log(N)) with N being the number of elements in the sorted set.",
         .syntax = "key [key ...] timeout:double",
         .history = (const char *const[]){"6.0.0", "`timeout` is interpreted as a double instead of an integer.", NULL}),
    ZSET_CMD("bzpopmax", -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING | CMD_FAST, bzpopmax_command, 1, -2,
         "Remove and return the member with the highest score from one or more sorted sets, or block until one is "
         "available", "5.0.0", "write sortedset fast blocking",
         .key_flags = KS_RW | KS_ACCESS | KS_DELETE,
         .complexity = "O(log(N)) with N being the number of elements in the sorted set.",
         .syntax = "key [key ...] timeout:double",
         .history = (const char *const[]){"6.0.0", "`timeout` is interpreted as a double instead of an integer.", NULL}),
    {.name = "bzmpop", .arity = -5, .flags = CMD_WRITE | CMD_BLOCKING, .fn = bzmpop_command, .getkeys = bzmpop_getkeys,
     .group = "sorted-set", .since = "7.0.0", .acl_categories = "write sortedset slow blocking",
     .summary = "Remove and return members with scores in a sorted set or block until one is available",
     .key_specs = (const struct cmd_key_spec[]){KEY_SPEC_KEYNUM(KS_RW | KS_ACCESS | KS_DELETE, 2), {0}},
     .complexity = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the "
                   "sorted set, and M being the number of elements popped.",
     .syntax = "timeout:double numkeys:integer key [key ...] where=<MIN | MAX> [COUNT count:integer]"},
    {0},
};
