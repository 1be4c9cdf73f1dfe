/* cmd_dump.c — DUMP and RESTORE: a value as Redis 7.0's payload (RDB
 * value, RDB version, CRC64), so payloads travel between ringkv and Redis
 * both ways. */
#include "ringkv/base/config.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/data/db.h"
#include "ringkv/persist/rdb.h"

#include <string.h>

#define ERR_BUSYKEY "BUSYKEY Target key name already exists."
#define ERR_BAD_PAYLOAD "ERR DUMP payload version or checksum are wrong"

static void dump_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = db_lookup(c->db, a->argv[1], a->len[1]);
    if (!kv) {
        reply_null(c->r);
        return;
    }
    struct rdb_buf b = {0};
    rdb_dump_payload(&b, kv, c->cfg->rdb_compression);
    reply_bulk(c->r, b.data, b.len);
    rdb_buf_free(&b);
}

struct restore_opts {
    bool replace, absttl;
    long long idle, freq; /* -1: not given */
};

/* Redis's order of checks: options, then the key, then the TTL. */
static bool parse_restore(struct cmd_ctx *c, const struct cmd_args *a, struct restore_opts *o)
{
    *o = (struct restore_opts){.idle = -1, .freq = -1};
    for (int j = 4; j < a->argc; j++) {
        bool more = j + 1 < a->argc;
        if (arg_is(a, j, "replace")) {
            o->replace = true;
        } else if (arg_is(a, j, "absttl")) {
            o->absttl = true;
        } else if (arg_is(a, j, "idletime") && more && o->freq == -1) {
            if (!arg_ll_or_reply(c, a, ++j, &o->idle, NULL)) return false;
            if (o->idle < 0) {
                reply_error(c->r, "ERR Invalid IDLETIME value, must be >= 0");
                return false;
            }
        } else if (arg_is(a, j, "freq") && more && o->idle == -1) {
            if (!arg_ll_or_reply(c, a, ++j, &o->freq, NULL)) return false;
            if (o->freq < 0 || o->freq > 255) {
                reply_error(c->r, "ERR Invalid FREQ value, must be >= 0 and <= 255");
                return false;
            }
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

static void restore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct restore_opts o;
    if (!parse_restore(c, a, &o)) return;
    const char *key = a->argv[1];
    size_t klen = a->len[1];
    if (!o.replace && db_lookup_write(c->db, key, klen)) {
        reply_error(c->r, ERR_BUSYKEY);
        return;
    }
    long long ttl;
    if (!arg_ll_or_reply(c, a, 2, &ttl, NULL)) return;
    if (ttl < 0) {
        reply_error(c->r, "ERR Invalid TTL value, must be >= 0");
        return;
    }
    bool bad_payload;
    struct kv *kv = rdb_restore_payload((const unsigned char *)a->argv[3], a->len[3], c->cfg, key, klen,
                                        &bad_payload);
    if (!kv) {
        reply_error(c->r, bad_payload ? ERR_BAD_PAYLOAD : "ERR Bad data format");
        return;
    }
    bool deleted = o.replace && db_delete(c->db, key, klen);
    if (ttl && !o.absttl) ttl += db_now_ms();
    if (ttl && ttl <= db_now_ms()) { /* already expired: nothing is created */
        if (deleted) notify_key(c, NOTIFY_GENERIC, "del", key, klen);
        kv_free(kv);
        reply_ok(c->r);
        return;
    }
    db_add(c->db, kv);
    if (ttl) db_set_expire(c->db, kv, ttl);
    /* As Redis's objectSetLRUOrLFU: each option counts under its policy. */
    bool lfu = config_policy_lfu(c->cfg->maxmemory_policy);
    if (lfu && o.freq >= 0) kv_lfu_set(kv, (unsigned)o.freq);
    if (!lfu && o.idle >= 0) kv_set_idle(kv, o.idle);
    notify_key(c, NOTIFY_GENERIC, "restore", key, klen);
    reply_ok(c->r);
}

const struct cmd_def dump_commands[] = {
    {.name = "dump", .arity = 2, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = dump_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "keyspace",
     .tips = "nondeterministic_output", .group = "generic",
     .summary = "Return a serialized version of the value stored at the specified key.", .since = "2.6.0",
     .complexity = "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis "
                   "objects composing the value and M their average size. For small string values the time "
                   "complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
     .syntax = "key"},
    {.name = "restore", .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = restore_command, .key_flags = KS_OW | KS_UPDATE, .acl_categories = "keyspace dangerous",
     .group = "generic",
     .summary = "Create a key using the provided serialized value, previously obtained using DUMP.",
     .since = "2.6.0",
     .complexity = "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N "
                   "is the number of Redis objects composing the value and M their average size. For small string "
                   "values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for "
                   "sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is "
                   "O(log(N)).",
     .syntax = "key ttl:integer serialized-value [REPLACE]@3.0.0 [ABSTTL]@5.0.0 [IDLETIME seconds:integer]@5.0.0 "
               "[FREQ frequency:integer]@5.0.0",
     .history = (const char *const[]){"3.0.0", "Added the `REPLACE` modifier.", "5.0.0", "Added the `ABSTTL` modifier.",
                                      "5.0.0", "Added the `IDLETIME` and `FREQ` options.", NULL}},
    {0},
};
