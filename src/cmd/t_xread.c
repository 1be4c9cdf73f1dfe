/* t_xread.c — XREAD [COUNT n] [BLOCK ms] STREAMS key... id... and
 * XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS key... id...,
 * with Redis 7.0's replies and errors.
 *
 * Blocking goes through the wait registry like BLPOP (core/block.h):
 * with nothing to read the handler calls cmd_block(), XADD reports its
 * key ready (ready_created), and the command runs again (c->serving),
 * reading only the key that became ready, as Redis serves it. Keys on
 * several shards are coordinated by core/xblock.c, which tries the whole
 * call again whenever a watched key grows.
 *
 * "$" means "what arrives after the call": the top ID at the first try.
 * A later run must keep that ID, not read the top again, so the first
 * try that finds nothing pins the IDs it resolved, per client, on the
 * thread that runs every try of the call (the key's shard, or the
 * client's for a call across shards); later runs read the pin and drop
 * it once they answer. Pins of clients that timed out or left are
 * replaced by their next XREAD, and at most XREAD_PINS are kept per
 * thread (the oldest goes first).
 *
 * Thread: the shard running the command.
 */
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/t_stream.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/data/stream_cg.h"

#include <pthread.h>
#include <string.h>

#define XREAD_BLOCKED_DEFAULT_COUNT 1000 /* Redis's: a served waiter gets at most this without COUNT */
#define XREAD_PINS 1024

struct xread_pin {
    uint64_t client_id;
    int nstreams;
    struct stream_id *ids;
};

static __thread struct xread_pin pins[XREAD_PINS];
static __thread size_t npins;

/* Pins left when the shard's thread ends (their clients timed out or left)
 * go with it. */
static pthread_key_t pins_key;
static pthread_once_t pins_once = PTHREAD_ONCE_INIT;

static void pins_free(void *unused)
{
    (void)unused;
    for (size_t i = 0; i < npins; i++) rk_free(pins[i].ids);
    npins = 0;
}

static void pins_key_create(void) { pthread_key_create(&pins_key, pins_free); }

static struct xread_pin *pin_find(uint64_t client_id, int nstreams)
{
    for (size_t i = 0; i < npins; i++)
        if (pins[i].client_id == client_id && pins[i].nstreams == nstreams) return &pins[i];
    return NULL;
}

static void pin_drop(uint64_t client_id)
{
    for (size_t i = 0; i < npins; i++) {
        if (pins[i].client_id != client_id) continue;
        rk_free(pins[i].ids);
        memmove(&pins[i], &pins[i + 1], (npins - i - 1) * sizeof(pins[0]));
        npins--;
        return;
    }
}

static void pin_add(uint64_t client_id, const struct stream_id *ids, int nstreams)
{
    if (npins == 0) { /* the thread's destructor frees what is left at its end */
        pthread_once(&pins_once, pins_key_create);
        pthread_setspecific(pins_key, pins);
    }
    if (npins == XREAD_PINS) pin_drop(pins[0].client_id);
    struct xread_pin *p = &pins[npins++];
    p->client_id = client_id;
    p->nstreams = nstreams;
    p->ids = rk_malloc((size_t)nstreams * sizeof(*ids));
    memcpy(p->ids, ids, (size_t)nstreams * sizeof(*ids));
}

struct xread_call {
    long long count, deadline;
    bool block, noack;
    int streams_at, nstreams;
    int group_at; /* XREADGROUP: group name, consumer name after it */
};

/* The options before the keys; false after a reply. */
static bool parse_options(struct cmd_ctx *c, const struct cmd_args *a, bool group_cmd, struct xread_call *x)
{
    memset(x, 0, sizeof(*x));
    for (int i = 1; i < a->argc; i++) {
        int more = a->argc - i - 1;
        if (arg_is(a, i, "block") && more) {
            if (c->from_script) {
                reply_errorf(c->r, "ERR %.*s command is not allowed with BLOCK option from scripts",
                             (int)a->len[0], a->argv[0]);
                return false;
            }
            i++;
            if (!tc_ms_timeout_or_reply(c, a->argv[i], a->len[i], &x->deadline)) return false;
            x->block = true;
        } else if (arg_is(a, i, "count") && more) {
            i++;
            if (!arg_ll_or_reply(c, a, i, &x->count, NULL)) return false;
            if (x->count < 0) x->count = 0;
        } else if (arg_is(a, i, "streams") && more) {
            x->streams_at = i + 1;
            if ((a->argc - x->streams_at) % 2) {
                reply_error(c->r, "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
                                  "specified.");
                return false;
            }
            x->nstreams = (a->argc - x->streams_at) / 2;
            if (group_cmd && !x->group_at) {
                reply_error(c->r, "ERR Missing GROUP option for XREADGROUP");
                return false;
            }
            return true;
        } else if (arg_is(a, i, "group") && more >= 2) {
            if (!group_cmd) {
                reply_error(c->r, "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
                return false;
            }
            x->group_at = i + 1;
            i += 2;
        } else if (arg_is(a, i, "noack")) {
            if (!group_cmd) {
                reply_error(c->r, "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
                return false;
            }
            x->noack = true;
        } else {
            break;
        }
    }
    reply_error(c->r, RK_ERR_SYNTAX);
    return false;
}

/* Each stream's "greater than" ID ("$": its top, or the pinned one);
 * false after a reply. *dollar tells whether "$" was used. */
static bool resolve_ids(struct cmd_ctx *c, const struct cmd_args *a, const struct xread_call *x,
                        struct stream_id *ids, struct kv **kvs, bool *dollar)
{
    const struct xread_pin *pin = c->serving ? pin_find(c->client_id, x->nstreams) : NULL;
    *dollar = false;
    for (int i = 0; i < x->nstreams; i++) {
        int k = x->streams_at + i, at = k + x->nstreams;
        bool err;
        /* run again for a key that became ready: one of another type
         * now (DEL then LPUSH) is as good as missing, as in Redis */
        struct kv *kv = c->serving ? tc_lookup_source(c, a->argv[k], a->len[k], OBJ_STREAM, &err)
                                   : tc_lookup_read(c, a->argv[k], a->len[k], OBJ_STREAM, &err);
        if (err) return false;
        kvs[i] = kv;
        if (a->len[at] == 1 && a->argv[at][0] == '>') {
            reply_error(c->r, "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
                              "<consumer> option.");
            return false;
        }
        if (a->len[at] == 1 && a->argv[at][0] == '$') {
            *dollar = true;
            if (pin) ids[i] = pin->ids[i];
            else ids[i] = kv ? ((struct stream *)kv->v.ptr)->last_id : (struct stream_id){0, 0};
        } else if (!stream_strict_id_or_reply(c, a->argv[at], a->len[at], &ids[i])) {
            return false;
        }
    }
    return true;
}

/* Whether the stream has an entry after id (its top is past it). */
static bool has_after(const struct stream *s, const struct stream_id *id)
{
    struct stream_id top;
    return s->length && stream_last_entry(s, &top) && stream_id_cmp(&top, id) > 0;
}

/* Replies what each stream has after its ID; false when none had any
 * (nothing written). */
static bool serve(struct cmd_ctx *c, const struct cmd_args *a, const struct xread_call *x,
                  const struct stream_id *ids, struct kv *const *kvs)
{
    size_t at = 0, n = 0;
    size_t count = (size_t)x->count;
    if (c->serving && !count) count = XREAD_BLOCKED_DEFAULT_COUNT;
    for (int i = 0; i < x->nstreams; i++) {
        int k = x->streams_at + i;
        if (c->serving && c->served_key &&
            (a->len[k] != c->served_len || memcmp(a->argv[k], c->served_key, c->served_len) != 0))
            continue;
        struct kv *kv = kvs[i];
        if (!kv || !has_after(kv->v.ptr, &ids[i])) continue;
        if (n++ == 0) at = reply_defer(c->r);
        if (c->r->resp == 2) reply_array(c->r, 2);
        reply_bulk(c->r, a->argv[k], a->len[k]);
        struct stream_id start = ids[i], end = {UINT64_MAX, UINT64_MAX};
        stream_id_incr(&start);
        stream_reply_range(c->r, kv->v.ptr, &start, &end, count, false);
    }
    if (!n) return false;
    if (c->r->resp == 2) reply_defer_array(c->r, at, (long long)n);
    else reply_defer_map(c->r, at, (long long)n);
    return true;
}

static void xread_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct xread_call x;
    if (!parse_options(c, a, false, &x)) return;
    struct stream_id *ids = rk_malloc(((size_t)x.nstreams + 1) * sizeof(*ids));
    struct kv **kvs = rk_malloc(((size_t)x.nstreams + 1) * sizeof(*kvs));
    bool dollar;
    if (!resolve_ids(c, a, &x, ids, kvs, &dollar)) goto done;
    if (serve(c, a, &x, ids, kvs)) {
        if (c->serving) pin_drop(c->client_id);
        goto done;
    }
    if (x.block && !c->serving) {
        pin_drop(c->client_id); /* a pin of an earlier call that timed out */
        if (dollar) pin_add(c->client_id, ids, x.nstreams);
    }
    if (x.block && c->may_block) cmd_block(c, x.deadline);
    else reply_null_array(c->r);
done:
    rk_free(kvs);
    rk_free(ids);
}

/* ---- XREADGROUP ---- */

#define NEW_ONLY ((struct stream_id){UINT64_MAX, UINT64_MAX}) /* ">": what the group has not delivered */

static bool is_served(const struct cmd_ctx *c, const struct cmd_args *a, int k)
{
    return !c->serving || !c->served_key ||
           (a->len[k] == c->served_len && memcmp(a->argv[k], c->served_key, c->served_len) == 0);
}

/* Each stream's group and ID (">": NEW_ONLY); false after a reply. Run
 * again for a key that became ready, the key gone or its group gone is
 * the answer, as Redis serves it. */
static bool resolve_groups(struct cmd_ctx *c, const struct cmd_args *a, const struct xread_call *x,
                           struct stream_id *ids, struct kv **kvs, struct stream_group **groups)
{
    const char *gname = a->argv[x->group_at];
    size_t glen = a->len[x->group_at];
    for (int i = 0; i < x->nstreams; i++) {
        int k = x->streams_at + i, at = k + x->nstreams;
        kvs[i] = NULL;
        groups[i] = NULL;
        if (!is_served(c, a, k)) continue;
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
static bool serve_group(struct cmd_ctx *c, const struct cmd_args *a, const struct xread_call *x,
                        const struct stream_id *ids, struct kv *const *kvs, struct stream_group *const *groups)
{
    size_t at = 0, n = 0, count = (size_t)x->count;
    if (c->serving && !count) count = XREAD_BLOCKED_DEFAULT_COUNT;
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
        struct stream_consumer *con = stream_consumer_get(g, a->argv[x->group_at + 1], a->len[x->group_at + 1], now);
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
    struct xread_call x;
    if (!parse_options(c, a, true, &x)) return;
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

/* ---- keys and the table ---- */

/* The keys follow the first STREAMS from argument `from` on: half of
 * what is left. */
static int streams_keys(const struct cmd_args *a, int from, int *pos, int max)
{
    int first = 0;
    for (int i = from; i < a->argc && !first; i++)
        if (arg_is(a, i, "streams")) first = i + 1;
    if (!first || (a->argc - first) % 2) return 0;
    int n = 0;
    for (int i = first; i < first + (a->argc - first) / 2 && n < max; i++) pos[n++] = i;
    return n;
}

static int xread_getkeys(const struct cmd_args *a, int *pos, int max) { return streams_keys(a, 1, pos, max); }
static int xreadgroup_getkeys(const struct cmd_args *a, int *pos, int max) { return streams_keys(a, 4, pos, max); }

const struct cmd_def xread_commands[] = {
    {.name = "xread", .arity = -4, .flags = CMD_READONLY | CMD_BLOCKING | CMD_BLOCK_ON_GROWTH, .fn = xread_command,
     .getkeys = xread_getkeys, .group = "stream",
     .summary = "Return never seen elements in multiple streams, with IDs greater than the ones reported by the "
                "caller for each stream. Can block.",
     .since = "5.0.0",
     .complexity = "For each stream mentioned: O(N) with N being the number of elements being returned, it means "
                   "that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay "
                   "O(M) time in order to serve the M clients blocked on the stream getting new data.",
     .acl_categories = "read stream slow blocking",
     .key_specs = (const struct cmd_key_spec[]){{.flags = KS_RO | KS_ACCESS, .begin = KS_BEGIN_KEYWORD,
                                                 .keyword = "STREAMS", .startfrom = 1, .find = KS_FIND_RANGE,
                                                 .lastkey = -1, .keystep = 1, .limit = 2},
                                                {0}},
     .syntax = "[COUNT count:integer] [BLOCK milliseconds:integer] streams=<STREAMS key [key ...] id [id ...]>"},
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
