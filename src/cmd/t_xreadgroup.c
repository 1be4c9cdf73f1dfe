/* t_xreadgroup.c — XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK]
 * STREAMS key... id...: a consumer's history (an ID) or what its group
 * has not delivered yet (">"), with Redis 7.0's replies and errors.
 * Blocking works as XREAD's (t_xread.c): run again when a key becomes
 * ready, it answers Redis's errors when the key or the group is gone.
 * Thread: the shard running the command.
 */
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/t_stream.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/data/stream_cg.h"

#include <string.h>

#define NEW_ONLY ((struct stream_id){UINT64_MAX, UINT64_MAX}) /* ">": what the group has not delivered */

/* Each stream's group and ID (">": NEW_ONLY); false after a reply. Run
 * again for a key that became ready, the key gone or its group gone is
 * the answer, as Redis serves it. */
static bool resolve_groups(struct cmd_ctx *c, const struct cmd_args *a, const struct stream_read_call *x,
                           struct stream_id *ids, struct kv **kvs, struct stream_group **groups)
{
    const char *gname = a->argv[x->group_at];
    size_t glen = a->len[x->group_at];
    for (int i = 0; i < x->nstreams; i++) {
        int k = x->streams_at + i, at = k + x->nstreams;
        kvs[i] = NULL;
        groups[i] = NULL;
        if (!stream_read_key_served(c, a, k)) continue;
        bool err;
        struct kv *kv = c->serving ? tc_lookup_source(c, a->argv[k], a->len[k], OBJ_STREAM, &err)
                                   : tc_lookup_read(c, a->argv[k], a->len[k], OBJ_STREAM, &err);
        if (err) return false;
        if (!kv && c->serving) {
            reply_error(c->r, "UNBLOCKED the stream key no longer exists");
            return false;
        }
        struct stream_group *g = kv ? stream_group_find(kv->v.ptr, gname, glen) : NULL;
        if (!g) {
            if (c->serving)
                reply_error(c->r, "NOGROUP the consumer group this client was blocked on no longer exists");
            else
                reply_errorf(c->r, "NOGROUP No such key '%.*s' or consumer group '%.*s' in XREADGROUP with GROUP option",
                             (int)a->len[k], a->argv[k], (int)glen, gname);
            return false;
        }
        kvs[i] = kv;
        groups[i] = g;
        if (a->len[at] == 1 && a->argv[at][0] == '$') {
            reply_error(c->r, "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history "
                              "of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ "
                              "ID would just return an empty result set.");
            return false;
        }
        if (a->len[at] == 1 && a->argv[at][0] == '>') ids[i] = NEW_ONLY;
        else if (!stream_strict_id_or_reply(c, a->argv[at], a->len[at], &ids[i])) return false;
    }
    return true;
}

struct delivery {
    const struct stream *s;
    struct stream_group *g;
    struct stream_consumer *con;
    bool noack;
    long long now;
};

/* An entry XREADGROUP ">" replied: the group moves past it, and it is
 * pending for the consumer unless NOACK. */
static void deliver(void *arg, const struct stream_id *id)
{
    struct delivery *d = arg;
    if (stream_id_cmp(id, &d->g->last_id) > 0) stream_group_advance(d->s, d->g, id);
    if (!d->noack) stream_group_deliver(d->g, d->con, id, d->now);
}

/* The consumer's pending entries after `after` (its history): an entry
 * deleted since is [id, nil]; each one replied counts as delivered again. */
static void reply_history(struct reply *r, const struct stream *s, struct stream_consumer *con,
                          const struct stream_id *after, size_t count, long long now)
{
    struct stream_id start = *after;
    stream_id_incr(&start);
    size_t at = reply_defer(r), n = 0;
    for (size_t i = stream_pel_seek(&con->pel, &start); i < con->pel.n && (!count || n < count); i++, n++) {
        struct stream_nack *nack = con->pel.v[i];
        if (stream_reply_entry_at(r, s, &nack->id)) {
            nack->delivery_time = now;
            nack->delivery_count++;
        } else {
            reply_array(r, 2);
            stream_reply_id(r, &nack->id);
            reply_null_array(r);
        }
    }
    reply_defer_array(r, at, (long long)n);
}

/* What each stream has for the consumer; false when none had anything
 * (nothing written). History reads always answer, even empty. */
static bool serve_group(struct cmd_ctx *c, const struct cmd_args *a, const struct stream_read_call *x,
                        const struct stream_id *ids, struct kv *const *kvs, struct stream_group *const *groups)
{
    size_t at = 0, n = 0, count = (size_t)x->count;
    if (c->serving && !count) count = STREAM_READ_BLOCKED_COUNT;
    long long now = mstime();
    const struct stream_id new_only = NEW_ONLY;
    for (int i = 0; i < x->nstreams; i++) {
        if (!groups[i]) continue;
        struct stream *s = kvs[i]->v.ptr;
        struct stream_group *g = groups[i];
        bool history = stream_id_cmp(&ids[i], &new_only) != 0;
        struct stream_id top;
        if (!history && !(s->length && stream_last_entry(s, &top) && stream_id_cmp(&top, &g->last_id) > 0)) continue;
        int k = x->streams_at + i;
        if (n++ == 0) at = reply_defer(c->r);
        if (c->r->resp == 2) reply_array(c->r, 2);
        reply_bulk(c->r, a->argv[k], a->len[k]);
        struct stream_consumer *con =
            stream_consumer_for(c, g, a->argv[x->group_at + 1], a->len[x->group_at + 1], a->argv[k], a->len[k], now);
        if (history) {
            reply_history(c->r, s, con, &ids[i], count, now);
        } else {
            struct delivery d = {s, g, con, x->noack, now};
            struct stream_id start = g->last_id, end = {UINT64_MAX, UINT64_MAX};
            stream_id_incr(&start);
            stream_reply_range_each(c->r, s, &start, &end, count, false, deliver, &d);
        }
    }
    if (!n) return false;
    if (c->r->resp == 2) reply_defer_array(c->r, at, (long long)n);
    else reply_defer_map(c->r, at, (long long)n);
    return true;
}

static void xreadgroup_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    cmd_quiet_write(c); /* as Redis: no signalModifiedKey */
    struct stream_read_call x;
    if (!stream_read_options_or_reply(c, a, true, &x)) return;
    size_t n = (size_t)x.nstreams + 1;
    struct stream_id *ids = rk_malloc(n * sizeof(*ids));
    struct kv **kvs = rk_malloc(n * sizeof(*kvs));
    struct stream_group **groups = rk_malloc(n * sizeof(*groups));
    if (resolve_groups(c, a, &x, ids, kvs, groups) && !serve_group(c, a, &x, ids, kvs, groups)) {
        if (x.block && c->may_block) cmd_block(c, x.deadline);
        else reply_null_array(c->r);
    }
    rk_free(groups);
    rk_free(kvs);
    rk_free(ids);
}

static int xreadgroup_getkeys(const struct cmd_args *a, int *pos, int max) { return stream_read_keys(a, 4, pos, max); }

const struct cmd_def xreadgroup_commands[] = {
    {.name = "xreadgroup", .arity = -7, .flags = CMD_WRITE | CMD_BLOCKING | CMD_BLOCK_ON_GROWTH,
     .fn = xreadgroup_command, .getkeys = xreadgroup_getkeys, .group = "stream",
     .summary = "Return new entries from a stream using a consumer group, or access the history of the pending "
                "entries for a given consumer. Can block.",
     .since = "5.0.0",
     .complexity = "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant "
                   "(e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other "
                   "side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked "
                   "on the stream getting new data.",
     .acl_categories = "write stream slow blocking",
     .key_specs = (const struct cmd_key_spec[]){{.flags = KS_RO | KS_ACCESS, .begin = KS_BEGIN_KEYWORD,
                                                 .keyword = "STREAMS", .startfrom = 4, .find = KS_FIND_RANGE,
                                                 .lastkey = -1, .keystep = 1, .limit = 2},
                                                {0}},
     .syntax = "group_consumer=<GROUP group consumer> [COUNT count:integer] [BLOCK milliseconds:integer] [NOACK] "
               "streams=<STREAMS key [key ...] id [id ...]>"},
    {0},
};
