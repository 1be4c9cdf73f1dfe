/* t_xclaim.c — taking pending entries over from another consumer: XCLAIM
 * (IDLE, TIME, RETRYCOUNT, FORCE, JUSTID, LASTID) and XAUTOCLAIM (a cursor
 * over the group's PEL), with Redis 7.0's replies and errors: entries
 * deleted from the stream leave the PEL when met. Thread: the shard
 * running the command.
 */
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/t_stream.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/data/stream_cg.h"

#include <limits.h>
#include <string.h>

static void no_group(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_errorf(c->r, "NOGROUP No such key '%.*s' or consumer group '%.*s'", (int)a->len[1], a->argv[1],
                 (int)a->len[2], a->argv[2]);
}

/* The stream at argv[1] and its group argv[2]; NULL after a reply. */
static struct stream_group *group_or_reply(struct cmd_ctx *c, const struct cmd_args *a, struct stream **s)
{
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_STREAM, &err);
    if (err) return NULL;
    struct stream_group *g = kv ? stream_group_find(kv->v.ptr, a->argv[2], a->len[2]) : NULL;
    if (!g) no_group(c, a);
    *s = kv ? kv->v.ptr : NULL;
    return g;
}

static bool entry_exists(const struct stream *s, const struct stream_id *id)
{
    struct stream_iter it;
    struct stream_id got;
    int64_t nf;
    stream_iter_init(&it, s, id, id, false);
    return stream_iter_next(&it, &got, &nf);
}

/* Hands nack to the claiming consumer (found or made once per call) and
 * replies its ID or entry. */
static void claim(struct cmd_ctx *c, const struct cmd_args *a, struct stream *s, struct stream_group *g,
                  struct stream_consumer **con, struct stream_nack *nack, bool justid)
{
    if (!*con) *con = stream_consumer_for(c, g, a->argv[3], a->len[3], a->argv[1], a->len[1], mstime());
    stream_nack_assign(nack, *con);
    if (justid) {
        stream_reply_id(c->r, &nack->id);
    } else {
        stream_reply_entry_at(c->r, s, &nack->id);
    }
}

/* ---- XCLAIM ---- */

struct claim_opts {
    long long retrycount, deliverytime;
    bool force, justid;
    struct stream_id last_id;
};

/* The options after the IDs (from argv[j]); false after a reply. */
static bool claim_opts_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int j, long long now,
                                struct claim_opts *o)
{
    for (; j < a->argc; j++) {
        bool more = j + 1 < a->argc;
        if (arg_is(a, j, "force")) {
            o->force = true;
        } else if (arg_is(a, j, "justid")) {
            o->justid = true;
        } else if (arg_is(a, j, "idle") && more) {
            if (!arg_ll_or_reply(c, a, ++j, &o->deliverytime, "ERR Invalid IDLE option argument for XCLAIM"))
                return false;
            o->deliverytime = now - o->deliverytime;
        } else if (arg_is(a, j, "time") && more) {
            if (!arg_ll_or_reply(c, a, ++j, &o->deliverytime, "ERR Invalid TIME option argument for XCLAIM"))
                return false;
        } else if (arg_is(a, j, "retrycount") && more) {
            if (!arg_ll_or_reply(c, a, ++j, &o->retrycount, "ERR Invalid RETRYCOUNT option argument for XCLAIM"))
                return false;
        } else if (arg_is(a, j, "lastid") && more) {
            if (!stream_strict_id_or_reply(c, a->argv[j + 1], a->len[j + 1], &o->last_id)) return false;
            j++;
        } else {
            reply_errorf(c->r, "ERR Unrecognized XCLAIM option '%.*s'", (int)a->len[j], a->argv[j]);
            return false;
        }
    }
    return true;
}

/* One ID of XCLAIM: claimed (and replied), or skipped; true if replied. */
static bool xclaim_one(struct cmd_ctx *c, const struct cmd_args *a, struct stream *s, struct stream_group *g,
                       const struct stream_id *id, const struct claim_opts *o, long long minidle, long long now,
                       struct stream_consumer **con)
{
    struct stream_nack *nack = stream_pel_find(&g->pel, id);
    if (!entry_exists(s, id)) { /* deleted from the stream: it leaves the PEL */
        if (nack) stream_group_ack(g, id);
        return false;
    }
    if (!nack) {
        if (!o->force) return false;
        nack = stream_group_add_nack(g, id, now);
    }
    if (nack->consumer && minidle && now - nack->delivery_time < minidle) return false;
    nack->delivery_time = o->deliverytime;
    if (o->retrycount >= 0) nack->delivery_count = (uint64_t)o->retrycount;
    else if (!o->justid) nack->delivery_count++;
    claim(c, a, s, g, con, nack, o->justid);
    return true;
}

static void xclaim_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    cmd_quiet_write(c); /* as Redis: no signalModifiedKey */
    struct stream *s;
    struct stream_group *g = group_or_reply(c, a, &s);
    if (!g) return;
    long long minidle;
    if (!arg_ll_or_reply(c, a, 4, &minidle, "ERR Invalid min-idle-time argument for XCLAIM")) return;
    if (minidle < 0) minidle = 0;
    size_t max = (size_t)a->argc - 5;
    struct stream_id *ids = rk_malloc((max + 1) * sizeof(*ids));
    int j = 5;
    while (j < a->argc && stream_parse_id(a->argv[j], a->len[j], 0, true, NULL, &ids[j - 5])) j++;
    size_t nids = (size_t)(j - 5);
    long long now = mstime();
    struct claim_opts o = {.retrycount = -1, .deliverytime = -1};
    if (claim_opts_or_reply(c, a, j, now, &o)) {
        if (stream_id_cmp(&o.last_id, &g->last_id) > 0) g->last_id = o.last_id;
        if (o.deliverytime == -1 || o.deliverytime < 0 || o.deliverytime > now) o.deliverytime = now;
        struct stream_consumer *con = NULL;
        size_t at = reply_defer(c->r), n = 0;
        for (size_t i = 0; i < nids; i++) n += xclaim_one(c, a, s, g, &ids[i], &o, minidle, now, &con);
        reply_defer_array(c->r, at, (long long)n);
    }
    rk_free(ids);
}

/* ---- XAUTOCLAIM ---- */

#define AUTOCLAIM_ATTEMPTS_FACTOR 10 /* PEL entries looked at per entry asked for (Redis's) */

static void xautoclaim_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    cmd_quiet_write(c); /* as Redis: no signalModifiedKey */
    long long minidle, count = 100;
    bool justid = false;
    struct stream_id start;
    if (!arg_ll_or_reply(c, a, 4, &minidle, "ERR Invalid min-idle-time argument for XAUTOCLAIM")) return;
    if (minidle < 0) minidle = 0;
    if (!stream_bound_or_reply(c, a->argv[5], a->len[5], 0, true, &start)) return;
    for (int j = 6; j < a->argc; j++) {
        if (arg_is(a, j, "count") && j + 1 < a->argc) {
            if (!tc_range_ll_or_reply(c, a->argv[j + 1], a->len[j + 1], 1, LONG_MAX / 16, "COUNT must be > 0",
                                      &count))
                return;
            j++;
        } else if (arg_is(a, j, "justid")) {
            justid = true;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return;
        }
    }
    struct stream *s;
    struct stream_group *g = group_or_reply(c, a, &s);
    if (!g) return;
    /* at most what the PEL holds can be deleted: count may be huge */
    size_t cap = (size_t)count < g->pel.n ? (size_t)count : g->pel.n;
    struct stream_id *deleted = rk_malloc((cap + 1) * sizeof(*deleted));
    size_t ndeleted = 0, n = 0, i = stream_pel_seek(&g->pel, &start);
    long long attempts = count * AUTOCLAIM_ATTEMPTS_FACTOR, now = mstime();
    struct stream_consumer *con = NULL;
    struct obuf claimed; /* the claimed entries go after the cursor, known last */
    obuf_init(&claimed);
    struct reply cr;
    reply_init(&cr, &claimed, c->r->resp);
    struct reply *out = c->r;
    c->r = &cr;
    while (attempts-- && count && i < g->pel.n) {
        struct stream_nack *nack = g->pel.v[i];
        if (!entry_exists(s, &nack->id)) { /* the next one moves into place i */
            deleted[ndeleted++] = nack->id;
            stream_group_ack(g, &deleted[ndeleted - 1]);
            count--;
            continue;
        }
        i++;
        if (minidle && now - nack->delivery_time < minidle) continue;
        nack->delivery_time = now;
        if (!justid) nack->delivery_count++;
        claim(c, a, s, g, &con, nack, justid);
        n++;
        count--;
    }
    c->r = out;
    struct stream_id next = i < g->pel.n ? g->pel.v[i]->id : (struct stream_id){0, 0};
    reply_array(c->r, 3);
    stream_reply_id(c->r, &next);
    reply_array(c->r, (long long)n);
    reply_raw(c->r, claimed.data, claimed.len);
    obuf_free(&claimed);
    reply_array(c->r, (long long)ndeleted);
    for (size_t k = 0; k < ndeleted; k++) stream_reply_id(c->r, &deleted[k]);
    rk_free(deleted);
}

const struct cmd_def xclaim_commands[] = {
    {.name = "xclaim", .arity = -6, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = xclaim_command, .key_flags = KS_RW | KS_UPDATE, .group = "stream", .acl_categories = "write stream fast",
     .tips = "nondeterministic_output",
     .summary = "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered "
                "to the specified consumer.",
     .since = "5.0.0", .complexity = "O(log N) with N being the number of messages in the PEL of the consumer group.",
     .syntax = "key group consumer min-idle-time id [id ...] [IDLE ms:integer] [TIME unix-time-milliseconds:unix-time] "
               "[RETRYCOUNT count:integer] [FORCE] [JUSTID] [LASTID id]"},
    {.name = "xautoclaim", .arity = -6, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = xautoclaim_command, .key_flags = KS_RW | KS_DELETE, .group = "stream",
     .acl_categories = "write stream fast", .tips = "nondeterministic_output",
     .summary = "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered "
                "to the specified consumer.",
     .since = "6.2.0", .complexity = "O(1) if COUNT is small.",
     .syntax = "key group consumer min-idle-time start [COUNT count:integer] [JUSTID]",
     .history = (const char *const[]){"7.0.0",
                                      "Added an element to the reply array, containing deleted entries the command "
                                      "cleared from the PEL",
                                      NULL}},
    {0},
};
