/* cmd_multi.c — MULTI, EXEC, DISCARD, WATCH, UNWATCH in the command table,
 * and the work WATCH leaves on the shards that own the watched keys.
 *
 * MULTI, EXEC, DISCARD and UNWATCH change the calling connection's
 * transaction state: the connection handles them itself (net/multi.c),
 * before any handler, since while in MULTI it queues what follows instead
 * of running it (CMD_TX_CONTROL; their table entries serve COMMAND and
 * the checks every command goes through). WATCH is a keyed command like
 * any other: it runs on the shards owning its keys and registers the
 * client there (data/watch.h); the connection remembers the keys, to ask
 * those shards at EXEC whether they changed (watch_check_cmd) and to
 * forget them (unwatch_keys_cmd). Thread: the shard running the command.
 */
#include "ringkv/cmd/cmd_multi.h"
#include "ringkv/base/util.h"
#include "ringkv/data/db.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/data/watch.h"

static bool stored_expired(struct db *db, const char *key, size_t len)
{
    struct kv *kv = db_peek(db, key, len);
    return kv && kv->expires && db_is_expired(db, kv, db_now_ms());
}

static void watch_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    for (int i = 1; i < a->argc; i++)
        watch_add(c->db, a->argv[i], a->len[i], c->client_id, stored_expired(c->db, a->argv[i], a->len[i]));
    reply_ok(c->r);
}

/* argv = [name, key, db, key, db, ...]: keys with their databases. */
static struct db *pair_db(struct cmd_ctx *c, const struct cmd_args *a, int i)
{
    long long db = 0;
    if (!string2ll(a->argv[i + 1], a->len[i + 1], &db) || db < 0 || db >= c->ks->ndbs) return NULL;
    return ks_db(c->ks, (int)db);
}

static void unwatch_keys_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    for (int i = 1; i + 1 < a->argc; i += 2) {
        struct db *db = pair_db(c, a, i);
        if (db) watch_remove(db, a->argv[i], a->len[i], c->client_id);
    }
    reply_ok(c->r);
}

/* EXEC's question, asked under its locks: did any of these keys change
 * since the client watched them? :1 if so. The watches end either way. */
static void watch_check_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool changed = false;
    for (int i = 1; i + 1 < a->argc; i += 2) {
        struct db *db = pair_db(c, a, i);
        changed |= !db || watch_changed(db, a->argv[i], a->len[i], c->client_id);
        if (db) watch_remove(db, a->argv[i], a->len[i], c->client_id);
    }
    reply_int(c->r, changed);
}

const struct cmd_def unwatch_keys_cmd = {.name = "watch|forget", .arity = -3, .first_key = 1, .last_key = -2,
                                         .key_step = 2, .fn = unwatch_keys_command, .combine = COMBINE_OK};
const struct cmd_def watch_check_cmd = {.name = "watch|check", .arity = -3, .first_key = 1, .last_key = -2,
                                        .key_step = 2, .fn = watch_check_command};

#define TX_FLAGS (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

const struct cmd_def multi_commands[] = {
    {.name = "multi", .arity = 1, .flags = TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY | CMD_TX_CONTROL,
     .acl_categories = "transaction", .group = "transactions", .summary = "Mark the start of a transaction block",
     .since = "1.2.0", .complexity = "O(1)"},
    {.name = "exec", .arity = 1, .flags = TX_FLAGS | CMD_SKIP_SLOWLOG | CMD_TX_CONTROL,
     .acl_categories = "transaction", .group = "transactions",
     .summary = "Execute all commands issued after MULTI", .since = "1.2.0",
     .complexity = "Depends on commands in the transaction"},
    {.name = "discard", .arity = 1, .flags = TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY | CMD_TX_CONTROL,
     .acl_categories = "transaction", .group = "transactions",
     .summary = "Discard all commands issued after MULTI", .since = "2.0.0",
     .complexity = "O(N), when N is the number of queued commands"},
    {.name = "watch", .arity = -2, .flags = TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY, .first_key = 1, .last_key = -1,
     .key_step = 1, .key_flags = KS_RO, .fn = watch_command, .combine = COMBINE_OK,
     .acl_categories = "transaction", .group = "transactions",
     .summary = "Watch the given keys to determine execution of the MULTI/EXEC block", .since = "2.2.0",
     .complexity = "O(1) for every key.", .syntax = "key [key ...]"},
    {.name = "unwatch", .arity = 1, .flags = TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY | CMD_TX_CONTROL,
     .acl_categories = "transaction", .group = "transactions", .summary = "Forget about all watched keys",
     .since = "2.2.0", .complexity = "O(1)"},
    {0},
};
