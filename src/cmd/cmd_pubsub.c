/* cmd_pubsub.c — SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
 * SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB, as Redis 7.0
 * answers them (outside cluster mode: shard channels are a namespace of
 * their own).
 *
 * The (un)subscribe commands change the calling client's subscriptions on
 * its own shard (CMD_CONN); PUBLISH and PUBSUB run on every shard (each
 * knows its own subscribers: net/pubsub.h) and their replies are combined.
 * Thread: the shard running the command. */
#include "ringkv/base/alloc.h"
#include "ringkv/base/str_refs.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/host.h"
#include "ringkv/proto/resp.h"

#include <string.h>

static const char *const sub_verb[] = {"subscribe", "psubscribe", "ssubscribe"};
static const char *const unsub_verb[] = {"unsubscribe", "punsubscribe", "sunsubscribe"};

/* [verb, name (or null), count]: a push in RESP3. */
static void reply_subscription(struct reply *r, const char *verb, const char *name, size_t len, long count)
{
    reply_push(r, 3);
    reply_bulk_cstr(r, verb);
    if (name) reply_bulk(r, name, len);
    else reply_null(r);
    reply_int(r, count);
}

static void subscribe(struct cmd_ctx *c, const struct cmd_args *a, enum pubsub_kind kind)
{
    for (int i = 1; i < a->argc; i++)
        reply_subscription(c->r, sub_verb[kind], a->argv[i], a->len[i],
                           client_subscribe(c->client, kind, a->argv[i], a->len[i]));
}

struct unsub_reply {
    struct reply *r;
    const char *verb;
    int n;
};

static void reply_one_unsub(const char *name, size_t len, long count, void *arg)
{
    struct unsub_reply *u = arg;
    reply_subscription(u->r, u->verb, name, len, count);
    u->n++;
}

/* Without arguments: from everything of the kind (one reply with a null
 * name when there was nothing). */
static void unsubscribe(struct cmd_ctx *c, const struct cmd_args *a, enum pubsub_kind kind)
{
    if (a->argc > 1) {
        for (int i = 1; i < a->argc; i++)
            reply_subscription(c->r, unsub_verb[kind], a->argv[i], a->len[i],
                               client_unsubscribe(c->client, kind, a->argv[i], a->len[i]));
        return;
    }
    struct unsub_reply u = {c->r, unsub_verb[kind], 0};
    client_unsubscribe_all(c->client, kind, reply_one_unsub, &u);
    if (u.n == 0) reply_subscription(c->r, unsub_verb[kind], NULL, 0, client_unsubscribe(c->client, kind, "", 0));
}

static void subscribe_command(struct cmd_ctx *c, const struct cmd_args *a) { subscribe(c, a, PUBSUB_CHANNEL); }
static void psubscribe_command(struct cmd_ctx *c, const struct cmd_args *a) { subscribe(c, a, PUBSUB_PATTERN); }
static void ssubscribe_command(struct cmd_ctx *c, const struct cmd_args *a) { subscribe(c, a, PUBSUB_SHARD); }
static void unsubscribe_command(struct cmd_ctx *c, const struct cmd_args *a) { unsubscribe(c, a, PUBSUB_CHANNEL); }
static void punsubscribe_command(struct cmd_ctx *c, const struct cmd_args *a) { unsubscribe(c, a, PUBSUB_PATTERN); }
static void sunsubscribe_command(struct cmd_ctx *c, const struct cmd_args *a) { unsubscribe(c, a, PUBSUB_SHARD); }

static void publish_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_int(c->r, host_publish(c->host, PUBSUB_CHANNEL, a->argv[1], a->len[1], a->argv[2], a->len[2]));
}

static void spublish_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_int(c->r, host_publish(c->host, PUBSUB_SHARD, a->argv[1], a->len[1], a->argv[2], a->len[2]));
}

/* ---- PUBSUB: each shard answers for its subscribers, the parts combine ---- */

struct name_list {
    struct reply *r;
    long long n;
};

static void reply_name(const char *name, size_t len, void *arg)
{
    struct name_list *nl = arg;
    reply_bulk(nl->r, name, len);
    nl->n++;
}

static void channels(struct cmd_ctx *c, const struct cmd_args *a, enum pubsub_kind kind)
{
    if (a->argc > 3) {
        reply_errorf(c->r, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try PUBSUB HELP.",
                     (int)a->len[1], a->argv[1]);
        return;
    }
    struct name_list nl = {c->r, 0};
    size_t at = reply_defer(c->r);
    host_pubsub_channels(c->host, kind, a->argc == 3 ? a->argv[2] : NULL, a->argc == 3 ? a->len[2] : 0, reply_name,
                         &nl);
    reply_defer_array(c->r, at, nl.n);
}

/* A flat array [channel, count, ...] in RESP3 too (Redis 7.0). */
static void numsub(struct cmd_ctx *c, const struct cmd_args *a, enum pubsub_kind kind)
{
    reply_array(c->r, 2LL * (a->argc - 2));
    for (int i = 2; i < a->argc; i++) {
        reply_bulk(c->r, a->argv[i], a->len[i]);
        reply_int(c->r, host_pubsub_numsub(c->host, kind, a->argv[i], a->len[i]));
    }
}

static void pubsub_channels_command(struct cmd_ctx *c, const struct cmd_args *a) { channels(c, a, PUBSUB_CHANNEL); }
static void pubsub_shardchannels_command(struct cmd_ctx *c, const struct cmd_args *a) { channels(c, a, PUBSUB_SHARD); }
static void pubsub_numsub_command(struct cmd_ctx *c, const struct cmd_args *a) { numsub(c, a, PUBSUB_CHANNEL); }
static void pubsub_shardnumsub_command(struct cmd_ctx *c, const struct cmd_args *a) { numsub(c, a, PUBSUB_SHARD); }

/* Each shard lists its patterns; NUMPAT counts the distinct ones. */
static void pubsub_numpat_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct name_list nl = {c->r, 0};
    size_t at = reply_defer(c->r);
    host_pubsub_patterns(c->host, reply_name, &nl);
    reply_defer_array(c->r, at, nl.n);
}

/* The bytes of the bulk string that spans [p, p + span). */
static bool bulk_at(const char *p, size_t span, const char **s, size_t *len)
{
    const char *cr = memchr(p, '\r', span);
    long long n;
    if (p[0] != '$' || !cr || !string2ll(p + 1, (size_t)(cr - p - 1), &n) || n < 0) return false;
    *s = cr + 2;
    *len = (size_t)n;
    return true;
}

/* The distinct bulk strings of the parts' arrays (a channel may have
 * subscribers on several shards). */
static void union_of_parts(struct str_refs *set, const char *const *parts, const size_t *lens, int nparts)
{
    for (int p = 0; p < nparts; p++) {
        long long n;
        size_t at;
        if (!resp_aggregate_header(parts[p], lens[p], &n, &at)) continue;
        for (long long i = 0; i < n; i++) {
            const char *s;
            size_t blen;
            size_t span = resp_value_span(parts[p] + at, lens[p] - at);
            if (!span || !bulk_at(parts[p] + at, span, &s, &blen)) break;
            str_refs_push(set, s, blen);
            at += span;
        }
    }
    str_refs_unique(set);
}

static void channels_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens,
                             int nparts)
{
    for (int p = 0; p < nparts; p++)
        if (lens[p] && parts[p][0] == '-') {
            reply_error_raw(r, parts[p], lens[p]);
            return;
        }
    struct str_refs set = {0};
    union_of_parts(&set, parts, lens, nparts);
    reply_array(r, (long long)set.n);
    for (size_t i = 0; i < set.n; i++) reply_bulk(r, set.v[i].s, set.v[i].len);
    str_refs_free(&set);
}

static void numpat_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens,
                           int nparts)
{
    struct str_refs set = {0};
    union_of_parts(&set, parts, lens, nparts);
    reply_int(r, (long long)set.n);
    str_refs_free(&set);
}

/* [channel, count, ...] per shard: counts added up. */
static void numsub_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens,
                           int nparts)
{
    int n = a->argc - 2;
    long long *sum = rk_calloc((size_t)n + 1, sizeof(long long));
    for (int p = 0; p < nparts; p++) {
        long long count;
        size_t at;
        if (!resp_aggregate_header(parts[p], lens[p], &count, &at)) continue;
        for (int i = 0; i < n; i++) {
            at += resp_value_span(parts[p] + at, lens[p] - at); /* the channel */
            long long v = 0;
            size_t span = resp_value_span(parts[p] + at, lens[p] - at);
            if (span > 3 && parts[p][at] == ':') string2ll(parts[p] + at + 1, span - 3, &v);
            sum[i] += v;
            at += span;
        }
    }
    reply_array(r, 2LL * n);
    for (int i = 0; i < n; i++) {
        reply_bulk(r, a->argv[2 + i], a->len[2 + i]);
        reply_int(r, sum[i]);
    }
    rk_free(sum);
}

static void pubsub_help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const lines[] = {
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

#define SUB_FLAGS (CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_CONN)
#define PUBSUB_INFO_FLAGS (CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_ALL_SHARDS)
#define SHARD_CHANNEL_SPEC(last_) ((const struct cmd_key_spec[]){KEY_SPEC_RANGE(KS_NOT_KEY, 1, last_, 1), {0}})

static const struct cmd_def pubsub_subcommands[] = {
    {.name = "pubsub|channels", .arity = -2, .flags = PUBSUB_INFO_FLAGS, .fn = pubsub_channels_command,
     .combine = COMBINE_CUSTOM, .combine_fn = channels_combine, .group = "pubsub",
     .summary = "List active channels", .since = "2.8.0",
     .complexity = "O(N) where N is the number of active channels, and assuming constant time pattern matching "
                   "(relatively short channels and patterns)",
     .syntax = "[pattern]"},
    {.name = "pubsub|numpat", .arity = 2, .flags = PUBSUB_INFO_FLAGS, .fn = pubsub_numpat_command,
     .combine = COMBINE_CUSTOM, .combine_fn = numpat_combine, .group = "pubsub",
     .summary = "Get the count of unique patterns pattern subscriptions", .since = "2.8.0", .complexity = "O(1)"},
    {.name = "pubsub|numsub", .arity = -2, .flags = PUBSUB_INFO_FLAGS, .fn = pubsub_numsub_command,
     .combine = COMBINE_CUSTOM, .combine_fn = numsub_combine, .group = "pubsub",
     .summary = "Get the count of subscribers for channels", .since = "2.8.0",
     .complexity = "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
     .syntax = "[channel [channel ...]]"},
    {.name = "pubsub|shardchannels", .arity = -2, .flags = PUBSUB_INFO_FLAGS, .fn = pubsub_shardchannels_command,
     .combine = COMBINE_CUSTOM, .combine_fn = channels_combine, .group = "pubsub",
     .summary = "List active shard channels", .since = "7.0.0",
     .complexity = "O(N) where N is the number of active shard channels, and assuming constant time pattern "
                   "matching (relatively short shard channels).",
     .syntax = "[pattern]"},
    {.name = "pubsub|shardnumsub", .arity = -2, .flags = PUBSUB_INFO_FLAGS, .fn = pubsub_shardnumsub_command,
     .combine = COMBINE_CUSTOM, .combine_fn = numsub_combine, .group = "pubsub",
     .summary = "Get the count of subscribers for shard channels", .since = "7.0.0",
     .complexity = "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
     .syntax = "[shardchannel [shardchannel ...]]"},
    {.name = "pubsub|help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = pubsub_help_command,
     .group = "pubsub", .summary = "Show helpful text about the different subcommands", .since = "6.2.0",
     .complexity = "O(1)"},
    {0},
};

const struct cmd_def pubsub_commands[] = {
    {.name = "subscribe", .arity = -2, .flags = SUB_FLAGS, .fn = subscribe_command, .group = "pubsub",
     .summary = "Listen for messages published to the given channels", .since = "2.0.0",
     .complexity = "O(N) where N is the number of channels to subscribe to.", .syntax = "channel [channel ...]"},
    {.name = "unsubscribe", .arity = -1, .flags = SUB_FLAGS, .fn = unsubscribe_command, .group = "pubsub",
     .summary = "Stop listening for messages posted to the given channels", .since = "2.0.0",
     .complexity = "O(N) where N is the number of clients already subscribed to a channel.",
     .syntax = "[channel [channel ...]]"},
    {.name = "psubscribe", .arity = -2, .flags = SUB_FLAGS, .fn = psubscribe_command, .group = "pubsub",
     .summary = "Listen for messages published to channels matching the given patterns", .since = "2.0.0",
     .complexity = "O(N) where N is the number of patterns the client is already subscribed to.",
     .syntax = "pattern [pattern ...]"},
    {.name = "punsubscribe", .arity = -1, .flags = SUB_FLAGS, .fn = punsubscribe_command, .group = "pubsub",
     .summary = "Stop listening for messages posted to channels matching the given patterns", .since = "2.0.0",
     .complexity = "O(N+M) where N is the number of patterns the client is already subscribed and M is the number "
                   "of total patterns subscribed in the system (by any client).",
     .syntax = "[pattern [pattern ...]]"},
    {.name = "ssubscribe", .arity = -2, .flags = SUB_FLAGS, .first_key = 1, .last_key = -1, .key_step = 1,
     .fn = ssubscribe_command, .key_specs = SHARD_CHANNEL_SPEC(-1), .group = "pubsub",
     .summary = "Listen for messages published to the given shard channels", .since = "7.0.0",
     .complexity = "O(N) where N is the number of shard channels to subscribe to.",
     .syntax = "shardchannel [shardchannel ...]"},
    {.name = "sunsubscribe", .arity = -1, .flags = SUB_FLAGS, .first_key = 1, .last_key = -1, .key_step = 1,
     .fn = sunsubscribe_command, .key_specs = SHARD_CHANNEL_SPEC(-1), .group = "pubsub",
     .summary = "Stop listening for messages posted to the given shard channels", .since = "7.0.0",
     .complexity = "O(N) where N is the number of clients already subscribed to a shard channel.",
     .syntax = "[shardchannel [shardchannel ...]]"},
    {.name = "publish", .arity = 3, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_MAY_REPLICATE | CMD_ALL_SHARDS,
     .fn = publish_command, .combine = COMBINE_SUM, .group = "pubsub", .summary = "Post a message to a channel",
     .since = "2.0.0",
     .complexity = "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total "
                   "number of subscribed patterns (by any client).",
     .syntax = "channel message"},
    {.name = "spublish", .arity = 3, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_MAY_REPLICATE | CMD_ALL_SHARDS,
     .first_key = 1, .last_key = 1, .key_step = 1, .fn = spublish_command, .combine = COMBINE_SUM,
     .key_specs = SHARD_CHANNEL_SPEC(0), .group = "pubsub", .summary = "Post a message to a shard channel",
     .since = "7.0.0", .complexity = "O(N) where N is the number of clients subscribed to the receiving shard channel.",
     .syntax = "shardchannel message"},
    {.name = "pubsub", .arity = -2, .subcommands = pubsub_subcommands, .group = "pubsub",
     .summary = "A container for Pub/Sub commands", .since = "2.8.0", .complexity = "Depends on subcommand."},
    {0},
};
