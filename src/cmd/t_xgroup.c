/* t_xgroup.c — consumer group management and acknowledgements: XGROUP
 * CREATE | SETID | DESTROY | CREATECONSUMER | DELCONSUMER | HELP, XACK and
 * XPENDING, with Redis 7.0's replies, errors and their order (its
 * xgroupCommand, xackCommand, xpendingCommand). Thread: the shard running
 * the command.
 */
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/t_stream.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/data/db.h"
#include "ringkv/data/ready.h"
#include "ringkv/data/stream_cg.h"

#include <string.h>

static void xgroup_syntax_error(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_errorf(c->r, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try XGROUP HELP.",
                 (int)(a->len[1] > 128 ? 128 : a->len[1]), a->argv[1]);
}

/* XGROUP's options after the ID (CREATE: MKSTREAM, ENTRIESREAD; SETID:
 * ENTRIESREAD); false after a reply. */
static bool xgroup_options(struct cmd_ctx *c, const struct cmd_args *a, bool create, bool setid, bool *mkstream,
                           long long *entries_read)
{
    for (int i = 5; i < a->argc;) {
        if (create && arg_is(a, i, "mkstream")) {
            *mkstream = true;
            i++;
        } else if ((create || setid) && arg_is(a, i, "entriesread") && i + 1 < a->argc) {
            if (!arg_ll_or_reply(c, a, i + 1, entries_read, NULL)) return false;
            if (*entries_read < 0 && *entries_read != STREAM_ENTRIES_READ_INVALID) {
                reply_error(c->r, "ERR value for ENTRIESREAD must be positive or -1");
                return false;
            }
            i += 2;
        } else {
            xgroup_syntax_error(c, a);
            return false;
        }
    }
    return true;
}

/* The group ID argument: "$" is the stream's last ID (0-0 without one). */
static bool group_id_or_reply(struct cmd_ctx *c, const struct cmd_args *a, const struct stream *s, bool strict,
                              struct stream_id *id)
{
    if (a->len[4] == 1 && a->argv[4][0] == '$') {
        *id = s ? s->last_id : (struct stream_id){0, 0};
        return true;
    }
    if (stream_parse_id(a->argv[4], a->len[4], 0, strict, NULL, id)) return true;
    reply_error(c->r, STREAM_ERR_ID);
    return false;
}

static void xgroup_create(struct cmd_ctx *c, const struct cmd_args *a, struct kv *kv, long long entries_read)
{
    struct stream_id id;
    if (!group_id_or_reply(c, a, kv ? kv->v.ptr : NULL, true, &id)) return;
    if (!kv) { /* MKSTREAM */
        kv = kv_new_object(a->argv[2], a->len[2], OBJ_STREAM, ENC_STREAM, stream_new());
        db_add(c->db, kv);
    }
    if (!stream_group_create(kv->v.ptr, a->argv[3], a->len[3], &id, entries_read)) {
        reply_error(c->r, "BUSYGROUP Consumer Group name already exists");
        return;
    }
    notify_key(c, NOTIFY_STREAM, "xgroup-create", a->argv[2], a->len[2]);
    reply_ok(c->r);
}

/* Every XGROUP subcommand but HELP: Redis's checks in its order, then the
 * subcommand's own work. */
static void xgroup_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    cmd_quiet_write(c); /* as Redis: no signalModifiedKey */
    bool create = arg_is(a, 1, "create"), setid = arg_is(a, 1, "setid"), mkstream = false;
    long long entries_read = STREAM_ENTRIES_READ_INVALID;
    if (!xgroup_options(c, a, create, setid, &mkstream, &entries_read)) return;
    bool err;
    struct kv *kv = tc_lookup_write(c, a->argv[2], a->len[2], OBJ_STREAM, &err);
    if (err) return;
    struct stream *s = kv ? kv->v.ptr : NULL;
    struct stream_group *g = s ? stream_group_find(s, a->argv[3], a->len[3]) : NULL;
    if (!mkstream) {
        if (!s) {
            reply_error(c->r, "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
                              "want to use the MKSTREAM option to create an empty stream automatically.");
            return;
        }
        if (!g && !create && !arg_is(a, 1, "destroy")) {
            reply_errorf(c->r, "NOGROUP No such consumer group '%.*s' for key name '%.*s'", (int)a->len[3],
                         a->argv[3], (int)a->len[2], a->argv[2]);
            return;
        }
    }
    if (create && a->argc >= 5 && a->argc <= 8) {
        xgroup_create(c, a, kv, entries_read);
    } else if (setid && (a->argc == 5 || a->argc == 7)) {
        struct stream_id id;
        if (!group_id_or_reply(c, a, s, false, &id)) return;
        g->last_id = id;
        g->entries_read = entries_read;
        notify_key(c, NOTIFY_STREAM, "xgroup-setid", a->argv[2], a->len[2]);
        reply_ok(c->r);
    } else if (arg_is(a, 1, "destroy") && a->argc == 4) {
        if (g) {
            stream_group_destroy(s, g);
            ready_created(c->db, a->argv[2], a->len[2]); /* its blocked readers get -NOGROUP */
            notify_key(c, NOTIFY_STREAM, "xgroup-destroy", a->argv[2], a->len[2]);
        }
        reply_int(c->r, g != NULL);
    } else if (arg_is(a, 1, "createconsumer") && a->argc == 5) {
        bool made = stream_consumer_create(g, a->argv[4], a->len[4], mstime()) != NULL;
        if (made) notify_key(c, NOTIFY_STREAM, "xgroup-createconsumer", a->argv[2], a->len[2]);
        reply_int(c->r, made);
    } else if (arg_is(a, 1, "delconsumer") && a->argc == 5) {
        struct stream_consumer *con = stream_consumer_find(g, a->argv[4], a->len[4]);
        long long pending = con ? (long long)stream_consumer_delete(g, con) : 0;
        if (con) notify_key(c, NOTIFY_STREAM, "xgroup-delconsumer", a->argv[2], a->len[2]);
        reply_int(c->r, pending);
    } else {
        xgroup_syntax_error(c, a);
    }
}

static void xgroup_help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    (void)a;
    static const char *const lines[] = {
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

/* ---- XACK ---- */

static void xack_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    cmd_quiet_write(c); /* as Redis: no signalModifiedKey */
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_STREAM, &err);
    if (err) return;
    struct stream_group *g = kv ? stream_group_find(kv->v.ptr, a->argv[2], a->len[2]) : NULL;
    if (!g) {
        reply_int(c->r, 0);
        return;
    }
    size_t n = (size_t)a->argc - 3;
    struct stream_id *ids = rk_malloc(n * sizeof(*ids));
    long long acked = 0;
    for (size_t j = 0; j < n; j++)
        if (!stream_strict_id_or_reply(c, a->argv[j + 3], a->len[j + 3], &ids[j])) goto done;
    for (size_t j = 0; j < n; j++) acked += stream_group_ack(g, &ids[j]);
    reply_int(c->r, acked);
done:
    rk_free(ids);
}

/* ---- XPENDING ---- */

struct pending_args {
    bool summary;
    long long count, minidle;
    struct stream_id start, end;
    int consumer_at; /* 0: none */
};

static bool pending_args_or_reply(struct cmd_ctx *c, const struct cmd_args *a, struct pending_args *p)
{
    memset(p, 0, sizeof(*p));
    p->summary = a->argc == 3;
    if (a->argc != 3 && (a->argc < 6 || a->argc > 9)) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return false;
    }
    if (p->summary) return true;
    int at = 3;
    if (arg_is(a, 3, "idle")) {
        if (!arg_ll_or_reply(c, a, 4, &p->minidle, NULL)) return false;
        if (a->argc < 8) {
            reply_error(c->r, RK_ERR_SYNTAX);
            return false;
        }
        at += 2;
    }
    if (!arg_ll_or_reply(c, a, at + 2, &p->count, NULL)) return false;
    if (p->count < 0) p->count = 0;
    if (!stream_bound_or_reply(c, a->argv[at], a->len[at], 0, true, &p->start)) return false;
    if (!stream_bound_or_reply(c, a->argv[at + 1], a->len[at + 1], UINT64_MAX, false, &p->end)) return false;
    if (at + 3 < a->argc) p->consumer_at = at + 3;
    return true;
}

static void pending_summary(struct cmd_ctx *c, const struct stream_group *g)
{
    reply_array(c->r, 4);
    reply_int(c->r, (long long)g->pel.n);
    if (!g->pel.n) {
        reply_null(c->r);
        reply_null(c->r);
        reply_null_array(c->r);
        return;
    }
    stream_reply_id(c->r, &g->pel.v[0]->id);
    stream_reply_id(c->r, &g->pel.v[g->pel.n - 1]->id);
    size_t at = reply_defer(c->r), n = 0;
    for (size_t i = 0; i < g->nconsumers; i++) {
        const struct stream_consumer *con = g->consumers[i];
        if (!con->pel.n) continue;
        reply_array(c->r, 2);
        reply_bulk(c->r, con->name, con->nlen);
        reply_bulk_ll(c->r, (long long)con->pel.n);
        n++;
    }
    reply_defer_array(c->r, at, (long long)n);
}

static void pending_range(struct cmd_ctx *c, const struct cmd_args *a, const struct stream_group *g,
                          const struct pending_args *p)
{
    const struct stream_pel *pel = &g->pel;
    if (p->consumer_at) {
        const struct stream_consumer *con = stream_consumer_find(g, a->argv[p->consumer_at], a->len[p->consumer_at]);
        if (!con) {
            reply_array(c->r, 0);
            return;
        }
        pel = &con->pel;
    }
    long long now = mstime(), count = p->count;
    size_t at = reply_defer(c->r), n = 0;
    for (size_t i = stream_pel_seek(pel, &p->start); count && i < pel->n; i++) {
        const struct stream_nack *nack = pel->v[i];
        if (stream_id_cmp(&nack->id, &p->end) > 0) break;
        if (p->minidle && now - nack->delivery_time < p->minidle) continue;
        n++;
        count--;
        long long idle = now - nack->delivery_time;
        reply_array(c->r, 4);
        stream_reply_id(c->r, &nack->id);
        reply_bulk(c->r, nack->consumer->name, nack->consumer->nlen);
        reply_int(c->r, idle < 0 ? 0 : idle);
        reply_int(c->r, (long long)nack->delivery_count);
    }
    reply_defer_array(c->r, at, (long long)n);
}

static void xpending_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct pending_args p;
    if (!pending_args_or_reply(c, a, &p)) return;
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_STREAM, &err);
    if (err) return;
    const struct stream_group *g = kv ? stream_group_find(kv->v.ptr, a->argv[2], a->len[2]) : NULL;
    if (!g) {
        reply_errorf(c->r, "NOGROUP No such key '%.*s' or consumer group '%.*s'", (int)a->len[1], a->argv[1],
                     (int)a->len[2], a->argv[2]);
        return;
    }
    if (p.summary) pending_summary(c, g);
    else pending_range(c, a, g, &p);
}

/* ---- the table ---- */

#define XGROUP_SUB(name_, arity_, flags_, ksflags_, since_, complexity_, summary_, syntax_, ...)              \
    {.name = "xgroup|" name_, .arity = arity_, .flags = flags_, .first_key = 2, .last_key = 2, .key_step = 1, \
     .fn = xgroup_command, .key_flags = ksflags_, .group = "stream", .summary = summary_, .since = since_,    \
     .complexity = complexity_, .syntax = syntax_, .acl_categories = "write stream slow", __VA_ARGS__}

static const struct cmd_def xgroup_subcommands[] = {
    XGROUP_SUB("create", -5, CMD_WRITE | CMD_DENYOOM, KS_RW | KS_INSERT, "5.0.0", "O(1)", "Create a consumer group.",
               "key groupname id=<id | new_id=$> [MKSTREAM] [ENTRIESREAD entries_read:integer]",
               .history = (const char *const[]){"7.0.0", "Added the `entries_read` named argument.", NULL}),
    XGROUP_SUB("setid", -5, CMD_WRITE, KS_RW | KS_UPDATE, "5.0.0", "O(1)",
               "Set a consumer group to an arbitrary last delivered ID value.",
               "key groupname id=<id | new_id=$> [ENTRIESREAD entries_read:integer]",
               .history = (const char *const[]){"7.0.0", "Added the optional `entries_read` argument.", NULL}),
    XGROUP_SUB("destroy", 4, CMD_WRITE, KS_RW | KS_DELETE, "5.0.0",
               "O(N) where N is the number of entries in the group's pending entries list (PEL).",
               "Destroy a consumer group.", "key groupname"),
    XGROUP_SUB("createconsumer", 5, CMD_WRITE | CMD_DENYOOM, KS_RW | KS_INSERT, "6.2.0", "O(1)",
               "Create a consumer in a consumer group.", "key groupname consumername"),
    XGROUP_SUB("delconsumer", 5, CMD_WRITE, KS_RW | KS_DELETE, "5.0.0", "O(1)",
               "Delete a consumer from a consumer group.", "key groupname consumername"),
    {.name = "xgroup|help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = xgroup_help_command,
     .acl_categories = "stream", .group = "stream", .summary = "Show helpful text about the different subcommands",
     .since = "5.0.0", .complexity = "O(1)"},
    {0},
};

const struct cmd_def xgroup_commands[] = {
    {.name = "xgroup", .arity = -2, .subcommands = xgroup_subcommands, .group = "stream",
     .summary = "A container for consumer groups commands", .since = "5.0.0", .complexity = "Depends on subcommand."},
    {.name = "xack", .arity = -4, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = xack_command, .key_flags = KS_RW | KS_UPDATE, .group = "stream", .acl_categories = "write stream fast",
     .summary = "Marks a pending message as correctly processed, effectively removing it from the pending entries "
                "list of the consumer group. Return value of the command is the number of messages successfully "
                "acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
     .since = "5.0.0", .complexity = "O(1) for each message ID processed.", .syntax = "key group id [id ...]"},
    {.name = "xpending", .arity = -3, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = xpending_command, .key_flags = KS_RO | KS_ACCESS, .group = "stream", .acl_categories = "read stream slow",
     .tips = "nondeterministic_output",
     .summary = "Return information and entries from a stream consumer group pending entries list, that are "
                "messages fetched but never acknowledged.",
     .since = "5.0.0",
     .complexity = "O(N) with N being the number of elements returned, so asking for a small fixed number of "
                   "entries per call is O(1). O(M), where M is the total number of entries scanned when used with "
                   "the IDLE filter. When the command returns just the summary and the list of consumers is small, "
                   "it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
     .syntax = "key group filters=[[IDLE min-idle-time:integer]@6.2.0 start end count:integer [consumer]]",
     .history = (const char *const[]){"6.2.0", "Added the `IDLE` option and exclusive range intervals.", NULL}},
    {0},
};
