/* t_xinfo.c — XINFO STREAM [FULL [COUNT n]], GROUPS, CONSUMERS and HELP,
 * with Redis 7.0's fields (entries-read and lag by its rules, see
 * stream_cg.h). Thread: the shard running the command.
 */
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/t_stream.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/data/stream_cg.h"

static void xinfo_syntax_error(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_errorf(c->r, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try XINFO HELP.",
                 (int)(a->len[1] > 128 ? 128 : a->len[1]), a->argv[1]);
}

/* Redis reports its radix tree's node count: that of the compacted trie
 * of the nodes' 16-byte keys (a run of bytes with one way on is one
 * node, a fork is one node, each key ends in a leaf), which is what a
 * rax holds after any inserts and removals. Keys [lo, hi) share their
 * first `depth` bytes; the array is sorted, as byte order is ID order. */
static uint64_t rax_nodes(const unsigned char (*keys)[16], size_t lo, size_t hi, int depth)
{
    if (hi - lo == 1) return depth == 16 ? 1 : 2;
    int common = depth;
    while (common < 16 && keys[lo][common] == keys[hi - 1][common]) common++;
    uint64_t n = (common > depth) + 1; /* the shared run, then the fork */
    for (size_t i = lo; i < hi;) {
        size_t j = i + 1;
        while (j < hi && keys[j][common] == keys[i][common]) j++;
        n += rax_nodes(keys, i, j, common + 1);
        i = j;
    }
    return n;
}

static long long stream_rax_nodes(const struct stream *s)
{
    if (!s->nnodes) return 1; /* the empty root */
    unsigned char(*keys)[16] = rk_malloc(s->nnodes * sizeof(*keys));
    for (size_t i = 0; i < s->nnodes; i++) stream_id_encode(&s->nodes[s->head + i].master, keys[i]);
    uint64_t n = rax_nodes((const unsigned char(*)[16])keys, 0, s->nnodes, 0);
    rk_free(keys);
    return (long long)n;
}

static void reply_entries_read(struct reply *r, const struct stream_group *g)
{
    if (g->entries_read != STREAM_ENTRIES_READ_INVALID) reply_int(r, g->entries_read);
    else reply_null(r);
}

static void reply_lag(struct reply *r, const struct stream *s, const struct stream_group *g)
{
    long long lag;
    if (stream_group_lag(s, g, &lag)) reply_int(r, lag);
    else reply_null(r);
}

/* A PEL, at most count NACKs (0: all): [id, (owner,) delivery time, count]. */
static void reply_pel(struct reply *r, const struct stream_pel *pel, size_t count, bool owner)
{
    size_t n = count && count < pel->n ? count : pel->n;
    reply_array(r, (long long)n);
    for (size_t i = 0; i < n; i++) {
        const struct stream_nack *nack = pel->v[i];
        reply_array(r, owner ? 4 : 3);
        stream_reply_id(r, &nack->id);
        if (owner) reply_bulk(r, nack->consumer->name, nack->consumer->nlen);
        reply_int(r, nack->delivery_time);
        reply_int(r, (long long)nack->delivery_count);
    }
}

/* One group of XINFO STREAM ... FULL. */
static void reply_group_full(struct reply *r, const struct stream *s, const struct stream_group *g, size_t count)
{
    reply_map(r, 7);
    reply_bulk_cstr(r, "name");
    reply_bulk(r, g->name, g->nlen);
    reply_bulk_cstr(r, "last-delivered-id");
    stream_reply_id(r, &g->last_id);
    reply_bulk_cstr(r, "entries-read");
    reply_entries_read(r, g);
    reply_bulk_cstr(r, "lag");
    reply_lag(r, s, g);
    reply_bulk_cstr(r, "pel-count");
    reply_int(r, (long long)g->pel.n);
    reply_bulk_cstr(r, "pending");
    reply_pel(r, &g->pel, count, true);
    reply_bulk_cstr(r, "consumers");
    reply_array(r, (long long)g->nconsumers);
    for (size_t i = 0; i < g->nconsumers; i++) {
        const struct stream_consumer *con = g->consumers[i];
        reply_map(r, 4);
        reply_bulk_cstr(r, "name");
        reply_bulk(r, con->name, con->nlen);
        reply_bulk_cstr(r, "seen-time");
        reply_int(r, con->seen_time);
        reply_bulk_cstr(r, "pel-count");
        reply_int(r, (long long)con->pel.n);
        reply_bulk_cstr(r, "pending");
        reply_pel(r, &con->pel, count, false);
    }
}

static void reply_stream_info(struct cmd_ctx *c, const struct stream *s, bool full, long long count)
{
    reply_map(c->r, full ? 9 : 10);
    reply_bulk_cstr(c->r, "length");
    reply_int(c->r, (long long)s->length);
    reply_bulk_cstr(c->r, "radix-tree-keys");
    reply_int(c->r, (long long)s->nnodes);
    reply_bulk_cstr(c->r, "radix-tree-nodes");
    reply_int(c->r, stream_rax_nodes(s));
    reply_bulk_cstr(c->r, "last-generated-id");
    stream_reply_id(c->r, &s->last_id);
    reply_bulk_cstr(c->r, "max-deleted-entry-id");
    stream_reply_id(c->r, &s->max_deleted_id);
    reply_bulk_cstr(c->r, "entries-added");
    reply_int(c->r, (long long)s->entries_added);
    reply_bulk_cstr(c->r, "recorded-first-entry-id");
    stream_reply_id(c->r, &s->first_id);
    if (!full) {
        reply_bulk_cstr(c->r, "groups");
        reply_int(c->r, s->groups ? (long long)s->groups->n : 0);
        reply_bulk_cstr(c->r, "first-entry");
        stream_reply_edge(c->r, s, false);
        reply_bulk_cstr(c->r, "last-entry");
        stream_reply_edge(c->r, s, true);
        return;
    }
    struct stream_id lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX};
    reply_bulk_cstr(c->r, "entries");
    stream_reply_range(c->r, s, &lo, &hi, (size_t)count, false);
    reply_bulk_cstr(c->r, "groups");
    size_t ngroups = s->groups ? s->groups->n : 0;
    reply_array(c->r, (long long)ngroups);
    for (size_t i = 0; i < ngroups; i++) reply_group_full(c->r, s, s->groups->v[i], (size_t)count);
}

static void xinfo_stream_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = tc_lookup_or_reply(c, a, 2, OBJ_STREAM, false, stream_reply_no_such_key); /* before the options, as Redis */
    if (!kv) return;
    long long count = 10; /* FULL's default: a bounded reply */
    int optc = a->argc - 3;
    bool full = optc > 0;
    if (full) {
        if ((optc != 1 && optc != 3) || !arg_is(a, 3, "full") || (optc == 3 && !arg_is(a, 4, "count"))) {
            xinfo_syntax_error(c, a);
            return;
        }
        if (optc == 3) {
            if (!arg_ll_or_reply(c, a, 5, &count, NULL)) return;
            if (count < 0) count = 10;
        }
    }
    reply_stream_info(c, kv->v.ptr, full, count);
}

static void xinfo_groups_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = tc_lookup_or_reply(c, a, 2, OBJ_STREAM, false, stream_reply_no_such_key);
    if (!kv) return;
    const struct stream *s = kv->v.ptr;
    size_t n = s->groups ? s->groups->n : 0;
    reply_array(c->r, (long long)n);
    for (size_t i = 0; i < n; i++) {
        const struct stream_group *g = s->groups->v[i];
        reply_map(c->r, 6);
        reply_bulk_cstr(c->r, "name");
        reply_bulk(c->r, g->name, g->nlen);
        reply_bulk_cstr(c->r, "consumers");
        reply_int(c->r, (long long)g->nconsumers);
        reply_bulk_cstr(c->r, "pending");
        reply_int(c->r, (long long)g->pel.n);
        reply_bulk_cstr(c->r, "last-delivered-id");
        stream_reply_id(c->r, &g->last_id);
        reply_bulk_cstr(c->r, "entries-read");
        reply_entries_read(c->r, g);
        reply_bulk_cstr(c->r, "lag");
        reply_lag(c->r, s, g);
    }
}

static void xinfo_consumers_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = tc_lookup_or_reply(c, a, 2, OBJ_STREAM, false, stream_reply_no_such_key);
    if (!kv) return;
    const struct stream_group *g = stream_group_find(kv->v.ptr, a->argv[3], a->len[3]);
    if (!g) {
        reply_errorf(c->r, "NOGROUP No such consumer group '%.*s' for key name '%.*s'", (int)a->len[3], a->argv[3],
                     (int)a->len[2], a->argv[2]);
        return;
    }
    long long now = mstime();
    reply_array(c->r, (long long)g->nconsumers);
    for (size_t i = 0; i < g->nconsumers; i++) {
        const struct stream_consumer *con = g->consumers[i];
        long long idle = now - con->seen_time;
        reply_map(c->r, 3);
        reply_bulk_cstr(c->r, "name");
        reply_bulk(c->r, con->name, con->nlen);
        reply_bulk_cstr(c->r, "pending");
        reply_int(c->r, (long long)con->pel.n);
        reply_bulk_cstr(c->r, "idle");
        reply_int(c->r, idle < 0 ? 0 : idle);
    }
}

static void xinfo_help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    (void)a;
    static const char *const lines[] = {
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

static const struct cmd_def xinfo_subcommands[] = {
    {.name = "xinfo|stream", .arity = -3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .fn = xinfo_stream_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "read stream", .group = "stream",
     .summary = "Get information about a stream", .since = "5.0.0", .complexity = "O(1)",
     .syntax = "key full=[FULL [COUNT count:integer]]",
     .history = (const char *const[]){"6.0.0", "Added the `FULL` modifier.", "7.0.0",
                                      "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, "
                                      "`entries-read` and `lag` fields",
                                      NULL}},
    {.name = "xinfo|groups", .arity = 3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .fn = xinfo_groups_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "read stream", .group = "stream",
     .summary = "List the consumer groups of a stream", .since = "5.0.0", .complexity = "O(1)", .syntax = "key",
     .history = (const char *const[]){"7.0.0", "Added the `entries-read` and `lag` fields", NULL}},
    {.name = "xinfo|consumers", .arity = 4, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .fn = xinfo_consumers_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "read stream",
     .group = "stream", .tips = "nondeterministic_output", .summary = "List the consumers in a consumer group",
     .since = "5.0.0", .complexity = "O(1)", .syntax = "key groupname"},
    {.name = "xinfo|help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = xinfo_help_command,
     .acl_categories = "stream", .group = "stream", .summary = "Show helpful text about the different subcommands",
     .since = "5.0.0", .complexity = "O(1)"},
    {0},
};

const struct cmd_def xinfo_commands[] = {
    {.name = "xinfo", .arity = -2, .subcommands = xinfo_subcommands, .group = "stream",
     .summary = "A container for stream introspection commands", .since = "5.0.0",
     .complexity = "Depends on subcommand."},
    {0},
};
