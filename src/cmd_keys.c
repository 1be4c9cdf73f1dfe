/* cmd_keys.c — generic key commands: DEL, UNLINK, EXISTS, TOUCH, TYPE, KEYS.
 * Multi-key forms fan out per shard and add up (COMBINE_SUM). */
#include "ringkv/commands.h"
#include "ringkv/db.h"
#include "ringkv/glob.h"
#include "ringkv/object.h"
#include "ringkv/util.h"

static void del_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long n = 0;
    for (int i = 1; i < a->argc; i++) n += db_delete(c->db, a->argv[i], a->len[i]);
    reply_int(c->r, n);
}

static void exists_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long n = 0;
    for (int i = 1; i < a->argc; i++) n += db_exists(c->db, a->argv[i], a->len[i]);
    reply_int(c->r, n);
}

static void touch_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long n = 0;
    for (int i = 1; i < a->argc; i++) n += db_lookup_write(c->db, a->argv[i], a->len[i]) != NULL;
    reply_int(c->r, n);
}

static void type_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = db_lookup_write(c->db, a->argv[1], a->len[1]);
    reply_status(c->r, kv ? obj_type_name(kv->type) : "none");
}

struct keys_state {
    struct cmd_ctx *c;
    const char *pat;
    size_t plen;
    bool all;
    long long now, n;
};

static void keys_visit(struct dict_node *node, void *arg)
{
    struct keys_state *st = arg;
    struct kv *kv = kv_of(node);
    if (!st->all && !glob_match(st->pat, st->plen, kv_key(kv), kv->keylen, false)) return;
    if (db_is_expired(st->c->db, kv, st->now)) return;
    reply_bulk(st->c->r, kv_key(kv), kv->keylen);
    st->n++;
}

/* Each shard lists its own keys; the parts are concatenated. */
static void keys_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct keys_state st = {c, a->argv[1], a->len[1], a->len[1] == 1 && a->argv[1][0] == '*', mstime(), 0};
    size_t at = reply_defer(c->r);
    dict_foreach(&c->db->keys, keys_visit, &st);
    reply_defer_array(c->r, at, st.n);
}

#define MULTIKEY(name_, flags_, fn_, summary_, since_, acl_) \
    {.name = name_, .arity = -2, .flags = flags_, .first_key = 1, .last_key = -1, .key_step = 1, .fn = fn_, \
     .combine = COMBINE_SUM, .group = "generic", .summary = summary_, .since = since_, .acl_categories = acl_}

const struct cmd_def keys_commands[] = {
    MULTIKEY("del", CMD_WRITE, del_command, "Deletes one or more keys.", "1.0.0", "keyspace write slow"),
    MULTIKEY("unlink", CMD_WRITE | CMD_FAST, del_command, "Asynchronously deletes one or more keys.", "4.0.0", "keyspace write fast"),
    MULTIKEY("exists", CMD_READONLY | CMD_FAST, exists_command, "Determines whether one or more keys exist.", "1.0.0", "keyspace read fast"),
    MULTIKEY("touch", CMD_READONLY | CMD_FAST, touch_command, "Returns the number of existing keys out of those specified after updating the time they were last accessed.", "3.2.1", "keyspace read fast"),
    {.name = "type", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = type_command, .group = "generic", .summary = "Determines the type of value stored at a key.", .since = "1.0.0", .acl_categories = "keyspace read fast"},
    {.name = "keys", .arity = 2, .flags = CMD_READONLY | CMD_ALL_SHARDS, .fn = keys_command, .combine = COMBINE_CONCAT,
     .group = "generic", .summary = "Returns all key names that match a pattern.", .since = "1.0.0", .acl_categories = "keyspace read slow dangerous"},
    {0},
};
