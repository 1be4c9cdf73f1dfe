/* t_string.c — string commands. Handlers run on the shard owning the key. */
#include "ringkv/commands.h"
#include "ringkv/db.h"
#include "ringkv/object.h"
#include "ringkv/util.h"

#include <limits.h>
#include <string.h>

/* Looks a key up for reading as a string: NULL (replied nothing) when it is
 * missing, or writes WRONGTYPE and sets *wrongtype. */
static struct kv *lookup_string(struct cmd_ctx *c, const char *key, size_t len, bool *wrongtype)
{
    struct kv *kv = db_lookup(c->db, key, len);
    *wrongtype = kv && kv->type != OBJ_STRING;
    if (*wrongtype) reply_error(c->r, RK_ERR_WRONGTYPE);
    return *wrongtype ? NULL : kv;
}

static void reply_string_value(struct reply *r, const struct kv *kv)
{
    char buf[RK_LONG_STR_SIZE];
    size_t len;
    const char *s = kv_string(kv, buf, &len);
    reply_bulk(r, s, len);
}

/* Replies with the value (or null); false after a WRONGTYPE error. */
static bool get_generic(struct cmd_ctx *c, const char *key, size_t len)
{
    bool wrongtype;
    struct kv *kv = lookup_string(c, key, len, &wrongtype);
    if (wrongtype) return false;
    if (kv) reply_string_value(c->r, kv);
    else reply_null(c->r);
    return true;
}

static void get_command(struct cmd_ctx *c, const struct cmd_args *a) { get_generic(c, a->argv[1], a->len[1]); }

enum {
    SET_NX = 1 << 0, SET_XX = 1 << 1, SET_GET = 1 << 2, SET_KEEPTTL = 1 << 3,
    SET_EX = 1 << 4, SET_PX = 1 << 5, SET_EXAT = 1 << 6, SET_PXAT = 1 << 7,
};
#define SET_ANY_EXPIRE (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

/* Parses SET's options from argv[first]; returns false after replying. */
static bool parse_set_options(struct cmd_ctx *c, const struct cmd_args *a, int first, int *flags, int *expire_arg)
{
    static const struct { const char *word; int flag, conflicts; } opts[] = {
        {"nx", SET_NX, SET_XX}, {"xx", SET_XX, SET_NX}, {"get", SET_GET, 0},
        {"keepttl", SET_KEEPTTL, SET_ANY_EXPIRE},
        {"ex", SET_EX, SET_KEEPTTL | SET_ANY_EXPIRE}, {"px", SET_PX, SET_KEEPTTL | SET_ANY_EXPIRE},
        {"exat", SET_EXAT, SET_KEEPTTL | SET_ANY_EXPIRE}, {"pxat", SET_PXAT, SET_KEEPTTL | SET_ANY_EXPIRE},
    };
    *flags = 0;
    *expire_arg = -1;
    for (int i = first; i < a->argc; i++) {
        size_t k;
        for (k = 0; k < RK_ARRAY_LEN(opts); k++)
            if (arg_is(a, i, opts[k].word)) break;
        if (k == RK_ARRAY_LEN(opts) || (*flags & opts[k].conflicts)) {
            reply_error(c->r, RK_ERR_SYNTAX);
            return false;
        }
        if (opts[k].flag & SET_ANY_EXPIRE) {
            if (i + 1 >= a->argc) {
                reply_error(c->r, RK_ERR_SYNTAX);
                return false;
            }
            *expire_arg = ++i;
        }
        *flags |= opts[k].flag;
    }
    return true;
}

/* Turns an EX/PX/EXAT/PXAT argument into an absolute unix time in ms. */
static bool expire_at_ms(struct cmd_ctx *c, const char *arg, size_t len, int unit_flag, const char *cmdname, long long *out)
{
    long long v;
    if (!string2ll(arg, len, &v)) {
        reply_error(c->r, RK_ERR_NOT_INT);
        return false;
    }
    bool seconds = unit_flag & (SET_EX | SET_EXAT);
    bool relative = unit_flag & (SET_EX | SET_PX);
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) goto invalid;
    if (seconds) v *= 1000;
    if (relative) {
        long long now = mstime();
        if (v > LLONG_MAX - now) goto invalid;
        v += now;
    }
    *out = v;
    return true;
invalid:
    reply_errorf(c->r, "ERR invalid expire time in '%s' command", cmdname);
    return false;
}

/* SET, SETNX, SETEX, PSETEX and GETSET all come here. */
static void set_generic(struct cmd_ctx *c, const char *key, size_t klen, const char *val, size_t vlen, int flags,
                        long long when, const char *ok_reply)
{
    if (flags & SET_GET) {
        if (!get_generic(c, key, klen)) return;
    }
    bool found = db_lookup_write(c->db, key, klen) != NULL;
    if (((flags & SET_NX) && found) || ((flags & SET_XX) && !found)) {
        if (!(flags & SET_GET)) reply_null(c->r);
        return;
    }
    struct kv *kv = kv_new_string(key, klen, val, vlen);
    db_set(c->db, kv, flags & SET_KEEPTTL);
    if (when >= 0) db_set_expire(c->db, kv, when);
    if (flags & SET_GET) return;
    if (ok_reply) reply_raw(c->r, ok_reply, strlen(ok_reply));
    else reply_ok(c->r);
}

static void set_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    int flags, expire_arg;
    long long when = -1;
    if (!parse_set_options(c, a, 3, &flags, &expire_arg)) return;
    if (expire_arg > 0 && !expire_at_ms(c, a->argv[expire_arg], a->len[expire_arg], flags & SET_ANY_EXPIRE, "set", &when))
        return;
    set_generic(c, a->argv[1], a->len[1], a->argv[2], a->len[2], flags, when, NULL);
}

static void setnx_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool found = db_lookup_write(c->db, a->argv[1], a->len[1]) != NULL;
    if (!found) set_generic(c, a->argv[1], a->len[1], a->argv[2], a->len[2], SET_NX, -1, ":1\r\n");
    else reply_int(c->r, 0);
}

static void setex_generic(struct cmd_ctx *c, const struct cmd_args *a, int unit, const char *name)
{
    long long when;
    if (!expire_at_ms(c, a->argv[2], a->len[2], unit, name, &when)) return;
    set_generic(c, a->argv[1], a->len[1], a->argv[3], a->len[3], 0, when, NULL);
}

static void setex_command(struct cmd_ctx *c, const struct cmd_args *a) { setex_generic(c, a, SET_EX, "setex"); }
static void psetex_command(struct cmd_ctx *c, const struct cmd_args *a) { setex_generic(c, a, SET_PX, "psetex"); }

static void getset_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    set_generic(c, a->argv[1], a->len[1], a->argv[2], a->len[2], SET_GET, -1, NULL);
}

/* INCR, DECR, INCRBY, DECRBY. The TTL survives, as in Redis. */
static void incr_generic(struct cmd_ctx *c, const char *key, size_t klen, long long by)
{
    long long v = 0;
    struct kv *kv = db_lookup_write(c->db, key, klen);
    if (kv && kv->type != OBJ_STRING) {
        reply_error(c->r, RK_ERR_WRONGTYPE);
        return;
    }
    if (kv && !kv_string_ll(kv, &v)) {
        reply_error(c->r, RK_ERR_NOT_INT);
        return;
    }
    if ((by < 0 && v < 0 && by < LLONG_MIN - v) || (by > 0 && v > 0 && by > LLONG_MAX - v)) {
        reply_error(c->r, RK_ERR_OVERFLOW);
        return;
    }
    v += by;
    if (kv && kv->enc == ENC_INT) {
        kv->v.i = v;
    } else {
        struct kv *fresh = kv_new_int(key, klen, v);
        db_set(c->db, fresh, true);
    }
    reply_int(c->r, v);
}

static void incr_command(struct cmd_ctx *c, const struct cmd_args *a) { incr_generic(c, a->argv[1], a->len[1], 1); }
static void decr_command(struct cmd_ctx *c, const struct cmd_args *a) { incr_generic(c, a->argv[1], a->len[1], -1); }

static void incrby_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long by;
    if (arg_ll_or_reply(c, a, 2, &by, NULL)) incr_generic(c, a->argv[1], a->len[1], by);
}

static void decrby_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long by;
    if (!arg_ll_or_reply(c, a, 2, &by, NULL)) return;
    if (by == LLONG_MIN) {
        reply_error(c->r, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, a->argv[1], a->len[1], -by);
}

static void mget_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_array(c->r, a->argc - 1);
    for (int i = 1; i < a->argc; i++) {
        struct kv *kv = db_lookup(c->db, a->argv[i], a->len[i]);
        if (kv && kv->type == OBJ_STRING) reply_string_value(c->r, kv);
        else reply_null(c->r);
    }
}

static void mset_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc % 2 == 0) {
        reply_error(c->r, "ERR wrong number of arguments for 'mset' command");
        return;
    }
    for (int i = 1; i < a->argc; i += 2) db_set(c->db, kv_new_string(a->argv[i], a->len[i], a->argv[i + 1], a->len[i + 1]), false);
    reply_ok(c->r);
}

static void strlen_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool wrongtype;
    struct kv *kv = lookup_string(c, a->argv[1], a->len[1], &wrongtype);
    if (wrongtype) return;
    size_t len = 0;
    char buf[RK_LONG_STR_SIZE];
    if (kv) kv_string(kv, buf, &len);
    reply_int(c->r, (long long)len);
}

#define STR(name_, arity_, flags_, fn_, first_, last_, step_, summary_, since_, acl_) \
    {.name = name_, .arity = arity_, .flags = flags_, .first_key = first_, .last_key = last_, .key_step = step_, \
     .fn = fn_, .group = "string", .summary = summary_, .since = since_, .acl_categories = acl_}

const struct cmd_def string_commands[] = {
    STR("get", 2, CMD_READONLY | CMD_FAST, get_command, 1, 1, 1, "Returns the string value of a key.", "1.0.0", "read string fast"),
    STR("set", -3, CMD_WRITE | CMD_DENYOOM, set_command, 1, 1, 1, "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "1.0.0", "write string slow"),
    STR("setnx", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, setnx_command, 1, 1, 1, "Set the string value of a key only when the key doesn't exist.", "1.0.0", "write string fast"),
    STR("setex", 4, CMD_WRITE | CMD_DENYOOM, setex_command, 1, 1, 1, "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", "2.0.0", "write string slow"),
    STR("psetex", 4, CMD_WRITE | CMD_DENYOOM, psetex_command, 1, 1, 1, "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", "2.6.0", "write string slow"),
    STR("getset", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, getset_command, 1, 1, 1, "Returns the previous string value of a key after setting it to a new value.", "1.0.0", "write string fast"),
    STR("incr", 2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, incr_command, 1, 1, 1, "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "1.0.0", "write string fast"),
    STR("decr", 2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, decr_command, 1, 1, 1, "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "1.0.0", "write string fast"),
    STR("incrby", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, incrby_command, 1, 1, 1, "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "1.0.0", "write string fast"),
    STR("decrby", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, decrby_command, 1, 1, 1, "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", "1.0.0", "write string fast"),
    STR("strlen", 2, CMD_READONLY | CMD_FAST, strlen_command, 1, 1, 1, "Returns the length of a string value.", "2.2.0", "read string fast"),
    {.name = "mget", .arity = -2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = -1, .key_step = 1,
     .fn = mget_command, .combine = COMBINE_KEYED, .group = "string", .summary = "Atomically returns the string values of one or more keys.", .since = "1.0.0", .acl_categories = "read string fast"},
    {.name = "mset", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = -1, .key_step = 2,
     .fn = mset_command, .combine = COMBINE_OK, .group = "string", .summary = "Atomically creates or modifies the string values of one or more keys.", .since = "1.0.1", .acl_categories = "write string slow"},
    {0},
};
