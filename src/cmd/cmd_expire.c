/* cmd_expire.c — reading and changing keys' time to live, as Redis 7.0's
 * expire.c: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX XX GT LT), PERSIST,
 * TTL, PTTL, EXPIRETIME, PEXPIRETIME. Handlers run on the shard owning the
 * key. */
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/data/db.h"
#include "ringkv/base/util.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 missing, -1 persistent. Seconds
 * are rounded to the nearest, absolute times included, as Redis does. */
static void ttl_generic(struct cmd_ctx *c, const struct cmd_args *a, bool ms, bool absolute)
{
    struct kv *kv = db_lookup_notouch(c->db, a->argv[1], a->len[1]);
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
    reply_int(c->r, ms ? v : (v + 500) / 1000);
}

static void ttl_command(struct cmd_ctx *c, const struct cmd_args *a) { ttl_generic(c, a, false, false); }
static void pttl_command(struct cmd_ctx *c, const struct cmd_args *a) { ttl_generic(c, a, true, false); }
static void expiretime_command(struct cmd_ctx *c, const struct cmd_args *a) { ttl_generic(c, a, false, true); }
static void pexpiretime_command(struct cmd_ctx *c, const struct cmd_args *a) { ttl_generic(c, a, true, true); }

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

/* Redis's parseExtendedExpireArgumentsOrReply. */
static bool expire_flags_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int *flags)
{
    static const char *const words[] = {"nx", "xx", "gt", "lt"};
    *flags = 0;
    for (int j = 3; j < a->argc; j++) {
        int k = 0;
        while (k < 4 && !arg_is(a, j, words[k])) k++;
        if (k == 4) {
            /* Redis prints the option as a C string: up to a NUL byte. */
            reply_errorf(c->r, "ERR Unsupported option %.*s", (int)strnlen(a->argv[j], a->len[j]), a->argv[j]);
            return false;
        }
        *flags |= 1 << k;
    }
    if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT))) {
        reply_error(c->r, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return false;
    }
    if ((*flags & EXP_GT) && (*flags & EXP_LT)) {
        reply_error(c->r, "ERR GT and LT options at the same time are not compatible");
        return false;
    }
    return true;
}

/* Whether NX/XX/GT/LT let a key whose expiry is `cur` (-1: none) take `when`. */
static bool expire_condition_ok(int flags, long long cur, long long when)
{
    if ((flags & EXP_NX) && cur != -1) return false;
    if ((flags & EXP_XX) && cur == -1) return false;
    /* No expiry counts as an infinite TTL: GT never beats it, LT always does. */
    if ((flags & EXP_GT) && (cur == -1 || when <= cur)) return false;
    if ((flags & EXP_LT) && cur != -1 && when >= cur) return false;
    return true;
}

/* EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: `relative` adds the current time,
 * `seconds` scales by 1000. A time already past deletes the key. */
static void expire_generic(struct cmd_ctx *c, const struct cmd_args *a, bool relative, bool seconds, const char *name)
{
    int flags;
    long long when;
    if (!expire_flags_or_reply(c, a, &flags)) return;
    if (!arg_ll_or_reply(c, a, 2, &when, NULL)) return;
    /* The clock that decides below whether the time has passed: inside a
     * script, the script's frozen time, so EXPIRE key 0 deletes at once
     * however long the script has run (Redis 7.2's commandTimeSnapshot). */
    long long base = relative ? db_now_ms() : 0;
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) goto invalid;
        when *= 1000;
    }
    if (when > LLONG_MAX - base) goto invalid;
    when += base;

    struct kv *kv = db_lookup_write(c->db, a->argv[1], a->len[1]);
    if (!kv || !expire_condition_ok(flags, db_get_expire(c->db, kv), when)) {
        cmd_unchanged(c);
        reply_int(c->r, 0);
        return;
    }
    if (when <= db_now_ms()) {
        db_delete_kv(c->db, kv);
        notify_key(c, NOTIFY_GENERIC, "del", a->argv[1], a->len[1]);
    } else {
        db_set_expire(c->db, kv, when);
        notify_key(c, NOTIFY_GENERIC, "expire", a->argv[1], a->len[1]);
    }
    reply_int(c->r, 1);
    return;
invalid:
    reply_errorf(c->r, "ERR invalid expire time in '%s' command", name);
}

static void expire_command(struct cmd_ctx *c, const struct cmd_args *a) { expire_generic(c, a, true, true, "expire"); }
static void pexpire_command(struct cmd_ctx *c, const struct cmd_args *a) { expire_generic(c, a, true, false, "pexpire"); }
static void expireat_command(struct cmd_ctx *c, const struct cmd_args *a) { expire_generic(c, a, false, true, "expireat"); }
static void pexpireat_command(struct cmd_ctx *c, const struct cmd_args *a) { expire_generic(c, a, false, false, "pexpireat"); }

static void persist_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = db_lookup_write(c->db, a->argv[1], a->len[1]);
    bool persisted = kv && db_persist(c->db, kv);
    if (persisted) notify_key(c, NOTIFY_GENERIC, "persist", a->argv[1], a->len[1]);
    else cmd_unchanged(c);
    reply_int(c->r, persisted);
}

const struct cmd_def expire_commands[] = {
    {.name = "ttl", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = ttl_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "keyspace",
     .tips = "nondeterministic_output", .group = "generic", .summary = "Get the time to live for a key in seconds",
     .since = "1.0.0", .complexity = "O(1)", .syntax = "key",
     .history = (const char *const[]){"2.8.0", "Added the -2 reply.", NULL}},
    {.name = "pttl", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = pttl_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "keyspace",
     .tips = "nondeterministic_output", .group = "generic",
     .summary = "Get the time to live for a key in milliseconds", .since = "2.6.0", .complexity = "O(1)",
     .syntax = "key", .history = (const char *const[]){"2.8.0", "Added the -2 reply.", NULL}},
    {.name = "expiretime", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .fn = expiretime_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "keyspace",
     .group = "generic", .summary = "Get the expiration Unix timestamp for a key", .since = "7.0.0",
     .complexity = "O(1)", .syntax = "key"},
    {.name = "pexpiretime", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .fn = pexpiretime_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "keyspace",
     .group = "generic", .summary = "Get the expiration Unix timestamp for a key in milliseconds", .since = "7.0.0",
     .complexity = "O(1)", .syntax = "key"},
    {.name = "expire", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = expire_command, .key_flags = KS_RW | KS_UPDATE, .acl_categories = "keyspace", .group = "generic",
     .summary = "Set a key's time to live in seconds", .since = "1.0.0", .complexity = "O(1)",
     .syntax = "key seconds:integer condition=[NX | XX | GT | LT]@7.0.0",
     .history = (const char *const[]){"7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.", NULL}},
    {.name = "pexpire", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = pexpire_command, .key_flags = KS_RW | KS_UPDATE, .acl_categories = "keyspace", .group = "generic",
     .summary = "Set a key's time to live in milliseconds", .since = "2.6.0", .complexity = "O(1)",
     .syntax = "key milliseconds:integer condition=[NX | XX | GT | LT]@7.0.0",
     .history = (const char *const[]){"7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.", NULL}},
    {.name = "expireat", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = expireat_command, .key_flags = KS_RW | KS_UPDATE, .acl_categories = "keyspace", .group = "generic",
     .summary = "Set the expiration for a key as a UNIX timestamp", .since = "1.2.0", .complexity = "O(1)",
     .syntax = "key unix-time-seconds:unix-time condition=[NX | XX | GT | LT]@7.0.0",
     .history = (const char *const[]){"7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.", NULL}},
    {.name = "pexpireat", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = pexpireat_command, .key_flags = KS_RW | KS_UPDATE, .acl_categories = "keyspace", .group = "generic",
     .summary = "Set the expiration for a key as a UNIX timestamp specified in milliseconds", .since = "2.6.0",
     .complexity = "O(1)", .syntax = "key unix-time-milliseconds:unix-time condition=[NX | XX | GT | LT]@7.0.0",
     .history = (const char *const[]){"7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.", NULL}},
    {.name = "persist", .arity = 2, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = persist_command, .key_flags = KS_RW | KS_UPDATE, .acl_categories = "keyspace", .group = "generic",
     .summary = "Remove the expiration from a key", .since = "2.2.0", .complexity = "O(1)", .syntax = "key"},
    {0},
};
