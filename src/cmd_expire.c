/* cmd_expire.c — reading and changing keys' time to live. Handlers run on
 * the shard owning the key. */
#include "ringkv/commands.h"
#include "ringkv/db.h"
#include "ringkv/util.h"

/* TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 missing, -1 persistent. */
static void ttl_generic(struct cmd_ctx *c, const struct cmd_args *a, bool ms, bool absolute)
{
    struct kv *kv = db_lookup_write(c->db, a->argv[1], a->len[1]);
    if (!kv) {
        reply_int(c->r, -2);
        return;
    }
    long long when = db_get_expire(c->db, kv);
    if (when < 0) {
        reply_int(c->r, -1);
        return;
    }
    long long v = absolute ? when : when - mstime();
    if (v < 0) v = 0;
    reply_int(c->r, ms ? v : (v + (absolute ? 0 : 500)) / 1000);
}

static void ttl_command(struct cmd_ctx *c, const struct cmd_args *a) { ttl_generic(c, a, false, false); }
static void pttl_command(struct cmd_ctx *c, const struct cmd_args *a) { ttl_generic(c, a, true, false); }
static void expiretime_command(struct cmd_ctx *c, const struct cmd_args *a) { ttl_generic(c, a, false, true); }
static void pexpiretime_command(struct cmd_ctx *c, const struct cmd_args *a) { ttl_generic(c, a, true, true); }

#define KEY1(name_, fn_, summary_, since_) \
    {.name = name_, .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1, \
     .fn = fn_, .group = "generic", .summary = summary_, .since = since_, .acl_categories = "keyspace read fast"}

const struct cmd_def expire_commands[] = {
    KEY1("ttl", ttl_command, "Returns the expiration time in seconds of a key.", "1.0.0"),
    KEY1("pttl", pttl_command, "Returns the expiration time in milliseconds of a key.", "2.6.0"),
    KEY1("expiretime", expiretime_command, "Returns the expiration time of a key as a Unix timestamp.", "7.0.0"),
    KEY1("pexpiretime", pexpiretime_command, "Returns the expiration time of a key as a Unix milliseconds timestamp.", "7.0.0"),
    {0},
};
