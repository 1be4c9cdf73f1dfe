/* cmd_expire.c — reading and changing keys' time to live, as Redis 7.0's
 * expire.c: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX XX GT LT), PERSIST,
 * TTL, PTTL, EXPIRETIME, PEXPIRETIME. Handlers run on the shard owning the
 * key. */
#include "ringkv/commands.h"
#include "ringkv/db.h"
#include "ringkv/util.h"

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
    long long base = relative ? mstime() : 0;
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) goto invalid;
        when *= 1000;
    }
    if (when > LLONG_MAX - base) goto invalid;
    when += base;

    struct kv *kv = db_lookup_write(c->db, a->argv[1], a->len[1]);
    if (!kv || !expire_condition_ok(flags, db_get_expire(c->db, kv), when)) {
        reply_int(c->r, 0);
        return;
    }
    if (when <= mstime()) db_delete_kv(c->db, kv);
    else db_set_expire(c->db, kv, when);
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
    reply_int(c->r, kv && db_persist(c->db, kv));
}

#define KEY1(name_, fn_, summary_, since_) \
    {.name = name_, .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1, \
     .fn = fn_, .group = "generic", .summary = summary_, .since = since_, .acl_categories = "keyspace read fast"}
#define SETTER(name_, arity_, fn_, summary_, since_) \
    {.name = name_, .arity = arity_, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1, \
     .fn = fn_, .group = "generic", .summary = summary_, .since = since_, .acl_categories = "keyspace write fast"}

const struct cmd_def expire_commands[] = {
    KEY1("ttl", ttl_command, "Returns the expiration time in seconds of a key.", "1.0.0"),
    KEY1("pttl", pttl_command, "Returns the expiration time in milliseconds of a key.", "2.6.0"),
    KEY1("expiretime", expiretime_command, "Returns the expiration time of a key as a Unix timestamp.", "7.0.0"),
    KEY1("pexpiretime", pexpiretime_command, "Returns the expiration time of a key as a Unix milliseconds timestamp.", "7.0.0"),
    SETTER("expire", -3, expire_command, "Sets the expiration time of a key in seconds.", "1.0.0"),
    SETTER("pexpire", -3, pexpire_command, "Sets the expiration time of a key in milliseconds.", "2.6.0"),
    SETTER("expireat", -3, expireat_command, "Sets the expiration time of a key to a Unix timestamp.", "1.2.0"),
    SETTER("pexpireat", -3, pexpireat_command, "Sets the expiration time of a key to a Unix milliseconds timestamp.", "2.6.0"),
    SETTER("persist", 2, persist_command, "Removes the expiration time of a key.", "2.2.0"),
    {0},
};
