/* t_string.c — string commands, as Redis 7.0's t_string.c: replies, error
 * strings, argument order of checks and the encodings values end up in.
 * Handlers run on the shard owning their keys; multi-key commands without
 * a combine rule (MSETNX, LCS) are plain single-shard code that the core's
 * cross-shard path runs on a scratch copy of their keys. */
#include "ringkv/cmd/t_string.h"
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/data/db.h"
#include "ringkv/base/numfmt.h"
#include "ringkv/data/object.h"
#include "ringkv/base/config.h"
#include "ringkv/base/util.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* ---- shared with bitops.c ------------------------------------------- */

struct kv *string_lookup_read(struct cmd_ctx *c, const char *key, size_t len, bool *wrongtype)
{
    struct kv *kv = db_lookup(c->db, key, len);
    *wrongtype = kv && kv->type != OBJ_STRING;
    if (*wrongtype) reply_error(c->r, RK_ERR_WRONGTYPE);
    return *wrongtype ? NULL : kv;
}

/* sds's greedy growth (sdsMakeRoomFor): double below 1 MB, then +1 MB. */
static size_t grown_capacity(size_t len)
{
    enum { SDS_MAX_PREALLOC = 1024 * 1024 };
    return len < SDS_MAX_PREALLOC ? len * 2 : len + SDS_MAX_PREALLOC;
}

struct kv *string_unshare(struct db *db, struct kv *kv, size_t len)
{
    if (kv->enc != ENC_RAW) {
        char buf[RK_LONG_STR_SIZE];
        size_t cur;
        const char *s = kv_string(kv, buf, &cur);
        struct kv *raw = kv_new_raw(kv_key(kv), kv->keylen, s, cur, len > cur ? grown_capacity(len) : cur);
        db_reencode(db, kv, raw);
        kv_free(kv);
        kv = raw;
    }
    struct rstr *str = kv->v.str;
    if (len > str->cap) {
        str = rk_realloc(str, sizeof(struct rstr) + grown_capacity(len));
        str->cap = rk_usable_size(str) - sizeof(struct rstr);
        kv->v.str = str;
    }
    if (len > str->len) {
        memset(str->data + str->len, 0, len - str->len);
        str->len = len;
    }
    return kv;
}

bool string_size_ok(struct cmd_ctx *c, size_t cur, size_t add)
{
    long long max = c->cfg->proto_max_bulk_len;
    if ((long long)cur <= max && (long long)add <= max - (long long)cur) return true;
    reply_error(c->r, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    return false;
}

/* ---- GET, SET and their variants ------------------------------------ */

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
    struct kv *kv = string_lookup_read(c, key, len, &wrongtype);
    if (wrongtype) return false;
    if (kv) reply_string_value(c->r, kv);
    else reply_null(c->r);
    return true;
}

static void get_command(struct cmd_ctx *c, const struct cmd_args *a) { get_generic(c, a->argv[1], a->len[1]); }

enum {
    SET_NX = 1 << 0, SET_XX = 1 << 1, SET_GET = 1 << 2, SET_KEEPTTL = 1 << 3,
    SET_EX = 1 << 4, SET_PX = 1 << 5, SET_EXAT = 1 << 6, SET_PXAT = 1 << 7, SET_PERSIST = 1 << 8,
};
#define SET_ANY_EXPIRE (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

enum ext_kind { EXT_SET = 1, EXT_GETEX = 2 };

/* Redis's parseExtendedStringArgumentsOrReply for SET (from argv[3]) and
 * GETEX (from argv[2]). An option may repeat, but not meet one it
 * excludes; a time option needs a following argument. */
static bool parse_ext_options(struct cmd_ctx *c, const struct cmd_args *a, enum ext_kind kind, int *flags,
                              int *expire_arg)
{
    static const struct { const char *word; int flag, conflicts, kinds; } opts[] = {
        {"nx", SET_NX, SET_XX, EXT_SET},
        {"xx", SET_XX, SET_NX, EXT_SET},
        {"get", SET_GET, 0, EXT_SET},
        {"keepttl", SET_KEEPTTL, SET_PERSIST | SET_ANY_EXPIRE, EXT_SET},
        {"persist", SET_PERSIST, SET_KEEPTTL | SET_ANY_EXPIRE, EXT_GETEX},
        {"ex", SET_EX, SET_KEEPTTL | SET_PERSIST | (SET_ANY_EXPIRE & ~SET_EX), EXT_SET | EXT_GETEX},
        {"px", SET_PX, SET_KEEPTTL | SET_PERSIST | (SET_ANY_EXPIRE & ~SET_PX), EXT_SET | EXT_GETEX},
        {"exat", SET_EXAT, SET_KEEPTTL | SET_PERSIST | (SET_ANY_EXPIRE & ~SET_EXAT), EXT_SET | EXT_GETEX},
        {"pxat", SET_PXAT, SET_KEEPTTL | SET_PERSIST | (SET_ANY_EXPIRE & ~SET_PXAT), EXT_SET | EXT_GETEX},
    };
    *flags = 0;
    *expire_arg = -1;
    for (int i = kind == EXT_SET ? 3 : 2; i < a->argc; i++) {
        size_t k;
        for (k = 0; k < RK_ARRAY_LEN(opts); k++)
            if (arg_is(a, i, opts[k].word)) break;
        bool takes_time = k < RK_ARRAY_LEN(opts) && (opts[k].flag & SET_ANY_EXPIRE);
        if (k == RK_ARRAY_LEN(opts) || (*flags & opts[k].conflicts) || !(opts[k].kinds & kind) ||
            (takes_time && i + 1 >= a->argc)) {
            reply_error(c->r, RK_ERR_SYNTAX);
            return false;
        }
        if (takes_time) *expire_arg = ++i;
        *flags |= opts[k].flag;
    }
    return true;
}

/* Redis's getExpireMillisecondsOrReply: an EX/PX/EXAT/PXAT argument as an
 * absolute unix time in ms; it must be positive and not overflow. */
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

/* SET, SETNX, SETEX, PSETEX and GETSET all come here. SETNX replies
 * integers instead of OK / null (ok_reply, abort_reply). */
static void set_generic(struct cmd_ctx *c, const char *key, size_t klen, const char *val, size_t vlen, int flags,
                        long long when, const char *ok_reply, const char *abort_reply)
{
    if (flags & SET_GET) {
        if (!get_generic(c, key, klen)) return;
    }
    struct kv *old = db_lookup_write(c->db, key, klen);
    bool found = old != NULL;
    if (((flags & SET_NX) && found) || ((flags & SET_XX) && !found)) {
        if (flags & SET_GET) return;
        if (abort_reply) reply_raw(c->r, abort_reply, strlen(abort_reply));
        else reply_null(c->r);
        return;
    }
    struct kv *kv = db_set_string(c->db, old, key, klen, val, vlen, flags & SET_KEEPTTL);
    notify_key(c, NOTIFY_STRING, "set", key, klen);
    if (when >= 0) {
        db_set_expire(c->db, kv, when);
        notify_key(c, NOTIFY_GENERIC, "expire", key, klen);
    }
    if (flags & SET_GET) return;
    if (ok_reply) reply_raw(c->r, ok_reply, strlen(ok_reply));
    else reply_ok(c->r);
}

static void set_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    int flags, expire_arg;
    long long when = -1;
    if (!parse_ext_options(c, a, EXT_SET, &flags, &expire_arg)) return;
    if (expire_arg > 0 && !expire_at_ms(c, a->argv[expire_arg], a->len[expire_arg], flags & SET_ANY_EXPIRE, "set", &when))
        return;
    set_generic(c, a->argv[1], a->len[1], a->argv[2], a->len[2], flags, when, NULL, NULL);
}

static void setnx_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    set_generic(c, a->argv[1], a->len[1], a->argv[2], a->len[2], SET_NX, -1, ":1\r\n", ":0\r\n");
}

static void setex_generic(struct cmd_ctx *c, const struct cmd_args *a, int unit, const char *name)
{
    long long when;
    if (!expire_at_ms(c, a->argv[2], a->len[2], unit, name, &when)) return;
    set_generic(c, a->argv[1], a->len[1], a->argv[3], a->len[3], 0, when, NULL, NULL);
}

static void setex_command(struct cmd_ctx *c, const struct cmd_args *a) { setex_generic(c, a, SET_EX, "setex"); }
static void psetex_command(struct cmd_ctx *c, const struct cmd_args *a) { setex_generic(c, a, SET_PX, "psetex"); }

static void getset_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    set_generic(c, a->argv[1], a->len[1], a->argv[2], a->len[2], SET_GET, -1, NULL, NULL);
}

/* GETEX: the option errors come first, then a missing key (null), then
 * the expire value; the TTL changes after the reply is written. */
static void getex_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    int flags, expire_arg;
    if (!parse_ext_options(c, a, EXT_GETEX, &flags, &expire_arg)) return;
    bool wrongtype;
    struct kv *kv = string_lookup_read(c, a->argv[1], a->len[1], &wrongtype);
    if (wrongtype) return;
    if (!kv) {
        reply_null(c->r);
        return;
    }
    long long when = -1;
    if (expire_arg > 0 && !expire_at_ms(c, a->argv[expire_arg], a->len[expire_arg], flags & SET_ANY_EXPIRE, "getex", &when))
        return;
    reply_string_value(c->r, kv);
    const char *key = a->argv[1];
    size_t klen = a->len[1];
    if ((flags & (SET_EXAT | SET_PXAT)) && when <= db_now_ms()) {
        db_delete_kv(c->db, kv);
        notify_key(c, NOTIFY_GENERIC, "del", key, klen);
    } else if (when >= 0) {
        db_set_expire(c->db, kv, when);
        notify_key(c, NOTIFY_GENERIC, "expire", key, klen);
    } else if ((flags & SET_PERSIST) && db_persist(c->db, kv)) {
        notify_key(c, NOTIFY_GENERIC, "persist", key, klen);
    }
}

static void getdel_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (get_generic(c, a->argv[1], a->len[1]) && db_delete(c->db, a->argv[1], a->len[1]))
        notify_key(c, NOTIFY_GENERIC, "del", a->argv[1], a->len[1]);
}

/* ---- counters -------------------------------------------------------- */

/* The record of key for a read-modify-write, or NULL; false after WRONGTYPE. */
static bool lookup_string_write(struct cmd_ctx *c, const char *key, size_t len, struct kv **out)
{
    *out = db_lookup_write(c->db, key, len);
    if (*out && (*out)->type != OBJ_STRING) {
        reply_error(c->r, RK_ERR_WRONGTYPE);
        return false;
    }
    return true;
}

/* INCR, DECR, INCRBY, DECRBY. The result is an int record; the TTL stays. */
static void incr_generic(struct cmd_ctx *c, const char *key, size_t klen, long long by)
{
    long long v = 0;
    struct kv *kv;
    if (!lookup_string_write(c, key, klen, &kv)) return;
    if (kv && !kv_string_ll(kv, &v)) {
        reply_error(c->r, RK_ERR_NOT_INT);
        return;
    }
    if ((by < 0 && v < 0 && by < LLONG_MIN - v) || (by > 0 && v > 0 && by > LLONG_MAX - v)) {
        reply_error(c->r, RK_ERR_OVERFLOW);
        return;
    }
    v += by;
    if (kv && kv->enc == ENC_INT) kv->v.i = v;
    else db_set(c->db, kv_new_int(key, klen, v), true);
    notify_key(c, NOTIFY_STRING, "incrby", key, klen);
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

/* INCRBYFLOAT: long double arithmetic, stored and replied in Redis's
 * human-friendly form; the result is a string record (embstr/raw), never
 * int, as createStringObjectFromLongDouble makes it. */
static void incrbyfloat_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv;
    if (!lookup_string_write(c, a->argv[1], a->len[1], &kv)) return;
    long double value = 0, incr;
    char nbuf[RK_LONG_STR_SIZE];
    size_t len;
    const char *s = kv ? kv_string(kv, nbuf, &len) : NULL;
    if ((kv && kv->enc != ENC_INT && !string2ld(s, len, &value)) || !string2ld(a->argv[2], a->len[2], &incr)) {
        reply_error(c->r, RK_ERR_NOT_FLOAT);
        return;
    }
    if (kv && kv->enc == ENC_INT) value = (long double)kv->v.i;
    value += incr;
    if (isnan(value) || isinf(value)) {
        reply_error(c->r, "ERR increment would produce NaN or Infinity");
        return;
    }
    char *buf = rk_malloc(RK_MAX_LD_CHARS);
    size_t n = ld2string(buf, RK_MAX_LD_CHARS, value, LD_STR_HUMAN);
    struct kv *fresh = n <= OBJ_EMBSTR_MAX ? kv_new_embstr(a->argv[1], a->len[1], buf, n)
                                           : kv_new_raw(a->argv[1], a->len[1], buf, n, n);
    db_set(c->db, fresh, true);
    notify_key(c, NOTIFY_STRING, "incrbyfloat", a->argv[1], a->len[1]);
    reply_bulk(c->r, buf, n);
    rk_free(buf);
}

/* ---- editing and reading parts -------------------------------------- */

static void append_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv;
    if (!lookup_string_write(c, a->argv[1], a->len[1], &kv)) return;
    if (!kv) {
        db_add(c->db, kv_new_string(a->argv[1], a->len[1], a->argv[2], a->len[2]));
        notify_key(c, NOTIFY_STRING, "append", a->argv[1], a->len[1]);
        reply_int(c->r, (long long)a->len[2]);
        return;
    }
    char nbuf[RK_LONG_STR_SIZE];
    size_t cur;
    kv_string(kv, nbuf, &cur);
    if (!string_size_ok(c, cur, a->len[2])) return;
    kv = string_unshare(c->db, kv, cur + a->len[2]);
    memcpy(kv->v.str->data + cur, a->argv[2], a->len[2]);
    notify_key(c, NOTIFY_STRING, "append", a->argv[1], a->len[1]);
    reply_int(c->r, (long long)kv->v.str->len);
}

static void setrange_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long offset;
    if (!arg_ll_or_reply(c, a, 2, &offset, NULL)) return;
    if (offset < 0) {
        reply_error(c->r, "ERR offset is out of range");
        return;
    }
    struct kv *kv;
    if (!lookup_string_write(c, a->argv[1], a->len[1], &kv)) return;
    size_t vlen = a->len[3], cur = 0;
    char nbuf[RK_LONG_STR_SIZE];
    if (kv) kv_string(kv, nbuf, &cur);
    if (vlen == 0) { /* nothing to write: no key is created, none converted */
        cmd_unchanged(c);
        reply_int(c->r, (long long)cur);
        return;
    }
    if (!string_size_ok(c, (size_t)offset, vlen)) return;
    size_t end = (size_t)offset + vlen;
    if (!kv) {
        kv = kv_new_raw(a->argv[1], a->len[1], NULL, end, end);
        db_add(c->db, kv);
    } else {
        kv = string_unshare(c->db, kv, end);
    }
    memcpy(kv->v.str->data + offset, a->argv[3], vlen);
    notify_key(c, NOTIFY_STRING, "setrange", a->argv[1], a->len[1]);
    reply_int(c->r, (long long)kv->v.str->len);
}

/* GETRANGE and SUBSTR: Redis's index clamping, an empty bulk when the
 * range is empty or the key missing. */
static void getrange_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long start, end;
    if (!arg_ll_or_reply(c, a, 2, &start, NULL) || !arg_ll_or_reply(c, a, 3, &end, NULL)) return;
    bool wrongtype;
    struct kv *kv = string_lookup_read(c, a->argv[1], a->len[1], &wrongtype);
    if (wrongtype) return;
    if (!kv) {
        reply_bulk(c->r, "", 0);
        return;
    }
    char nbuf[RK_LONG_STR_SIZE];
    size_t len;
    const char *s = kv_string(kv, nbuf, &len);
    long long n = (long long)len;
    if (start < 0 && end < 0 && start > end) {
        reply_bulk(c->r, "", 0);
        return;
    }
    if (start < 0) start += n;
    if (end < 0) end += n;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= n) end = n - 1;
    if (start > end || n == 0) reply_bulk(c->r, "", 0);
    else reply_bulk(c->r, s + start, (size_t)(end - start + 1));
}

static void strlen_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool wrongtype;
    struct kv *kv = string_lookup_read(c, a->argv[1], a->len[1], &wrongtype);
    if (wrongtype) return;
    size_t len = 0;
    char buf[RK_LONG_STR_SIZE];
    if (kv) kv_string(kv, buf, &len);
    reply_int(c->r, (long long)len);
}

/* ---- several keys ---------------------------------------------------- */

static void mget_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_array(c->r, a->argc - 1);
    for (int i = 1; i < a->argc; i++) {
        struct kv *kv = db_lookup(c->db, a->argv[i], a->len[i]);
        if (kv && kv->type == OBJ_STRING) reply_string_value(c->r, kv);
        else reply_null(c->r);
    }
}

static bool mset_arity_ok(struct cmd_ctx *c, const struct cmd_args *a, const char *name)
{
    if (a->argc % 2 == 1) return true;
    reply_errorf(c->r, "ERR wrong number of arguments for '%s' command", name);
    return false;
}

static void mset_pairs(struct cmd_ctx *c, const struct cmd_args *a)
{
    for (int i = 1; i < a->argc; i += 2) {
        db_set(c->db, kv_new_string(a->argv[i], a->len[i], a->argv[i + 1], a->len[i + 1]), false);
        notify_key(c, NOTIFY_STRING, "set", a->argv[i], a->len[i]);
    }
}

static void mset_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (!mset_arity_ok(c, a, "mset")) return;
    mset_pairs(c, a);
    reply_ok(c->r);
}

/* MSETNX: nothing is set when any key exists. */
static void msetnx_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (!mset_arity_ok(c, a, "msetnx")) return;
    for (int i = 1; i < a->argc; i += 2) {
        if (db_lookup_write(c->db, a->argv[i], a->len[i])) {
            reply_int(c->r, 0);
            return;
        }
    }
    mset_pairs(c, a);
    reply_int(c->r, 1);
}

/* ---- LCS ------------------------------------------------------------- */

struct lcs_opts {
    bool idx, len, withmatchlen;
    long long minmatchlen;
};

/* Options come after the key lookups, as in Redis (a WRONGTYPE wins). */
static bool lcs_parse(struct cmd_ctx *c, const struct cmd_args *a, struct lcs_opts *o)
{
    memset(o, 0, sizeof(*o));
    for (int j = 3; j < a->argc; j++) {
        if (arg_is(a, j, "idx")) o->idx = true;
        else if (arg_is(a, j, "len")) o->len = true;
        else if (arg_is(a, j, "withmatchlen")) o->withmatchlen = true;
        else if (arg_is(a, j, "minmatchlen") && j + 1 < a->argc) {
            if (!arg_ll_or_reply(c, a, ++j, &o->minmatchlen, NULL)) return false;
            if (o->minmatchlen < 0) o->minmatchlen = 0;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return false;
        }
    }
    if (o->idx && o->len) {
        reply_error(c->r, "ERR If you want both the length and indexes, please just use IDX.");
        return false;
    }
    return true;
}

static void lcs_emit_range(struct reply *r, const struct lcs_opts *o, uint32_t as, uint32_t ae, uint32_t bs, uint32_t be)
{
    reply_array(r, 2 + o->withmatchlen);
    reply_array(r, 2);
    reply_int(r, as);
    reply_int(r, ae);
    reply_array(r, 2);
    reply_int(r, bs);
    reply_int(r, be);
    if (o->withmatchlen) reply_int(r, ae - as + 1);
}

/* Walks the DP table back from the end as Redis does, building the LCS
 * string and, with IDX, emitting the matched ranges from last to first. */
static void lcs_walk(struct reply *r, const struct lcs_opts *o, const uint32_t *dp, const char *a, uint32_t alen,
                     const char *b, uint32_t blen, char *result, long long *nranges)
{
#define LCS(A, B) dp[(B) + ((size_t)(A) * (blen + 1))]
    uint32_t idx = LCS(alen, blen), i = alen, j = blen;
    uint32_t as = alen, ae = 0, bs = 0, be = 0; /* as == alen: no open range */
    while (i > 0 && j > 0) {
        bool emit = false;
        if (a[i - 1] == b[j - 1]) {
            if (result) result[idx - 1] = a[i - 1];
            if (as == alen) {
                as = ae = i - 1;
                bs = be = j - 1;
            } else if (as == i && bs == j) {
                as--;
                bs--;
            } else {
                emit = true;
            }
            if (as == 0 || bs == 0) emit = true;
            idx--, i--, j--;
        } else {
            if (LCS(i - 1, j) > LCS(i, j - 1)) i--;
            else j--;
            if (as != alen) emit = true;
        }
        if (emit) {
            if (o->idx && (o->minmatchlen == 0 || ae - as + 1 >= (unsigned long long)o->minmatchlen)) {
                lcs_emit_range(r, o, as, ae, bs, be);
                (*nranges)++;
            }
            as = alen;
        }
    }
#undef LCS
}

static void lcs_compute(struct cmd_ctx *c, const struct lcs_opts *o, const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen >= UINT32_MAX - 1 || blen >= UINT32_MAX - 1) {
        reply_error(c->r, "ERR String too long for LCS");
        return;
    }
    unsigned long long cells = (unsigned long long)(alen + 1) * (blen + 1);
    if (cells * sizeof(uint32_t) > (unsigned long long)c->cfg->proto_max_bulk_len) {
        reply_error(c->r, "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        return;
    }
    uint32_t *dp = rk_malloc(cells * sizeof(uint32_t));
    memset(dp, 0, (blen + 1) * sizeof(uint32_t));
    for (size_t i = 1; i <= alen; i++) {
        uint32_t *row = dp + i * (blen + 1), *up = row - (blen + 1);
        row[0] = 0;
        for (size_t j = 1; j <= blen; j++) {
            if (a[i - 1] == b[j - 1]) row[j] = up[j - 1] + 1;
            else row[j] = up[j] > row[j - 1] ? up[j] : row[j - 1];
        }
    }
    uint32_t total = dp[cells - 1];
    char *result = o->idx || !o->len ? rk_malloc(total + 1) : NULL;
    long long nranges = 0;
    size_t at = 0;
    if (o->idx) {
        reply_map(c->r, 2);
        reply_bulk_cstr(c->r, "matches");
        at = reply_defer(c->r);
    }
    if (result) lcs_walk(c->r, o, dp, a, (uint32_t)alen, b, (uint32_t)blen, result, &nranges);
    if (o->idx) {
        reply_defer_array(c->r, at, nranges);
        reply_bulk_cstr(c->r, "len");
        reply_int(c->r, total);
    } else if (o->len) {
        reply_int(c->r, total);
    } else {
        reply_bulk(c->r, result, total);
    }
    rk_free(result);
    rk_free(dp);
}

static void lcs_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *ka = db_lookup(c->db, a->argv[1], a->len[1]);
    struct kv *kb = db_lookup(c->db, a->argv[2], a->len[2]);
    if ((ka && ka->type != OBJ_STRING) || (kb && kb->type != OBJ_STRING)) {
        reply_error(c->r, "ERR The specified keys must contain string values");
        return;
    }
    struct lcs_opts o;
    if (!lcs_parse(c, a, &o)) return;
    char bufa[RK_LONG_STR_SIZE], bufb[RK_LONG_STR_SIZE];
    size_t alen = 0, blen = 0;
    const char *sa = ka ? kv_string(ka, bufa, &alen) : "";
    const char *sb = kb ? kv_string(kb, bufb, &blen) : "";
    lcs_compute(c, &o, sa, alen, sb, blen);
}

const struct cmd_def string_commands[] = {
    {.name = "get", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = get_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "string", .group = "string",
     .summary = "Get the value of a key", .since = "1.0.0", .complexity = "O(1)", .syntax = "key"},
    {.name = "set", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = set_command,
     .key_specs = (const struct cmd_key_spec[]){
         {.flags = KS_RW | KS_ACCESS | KS_UPDATE | KS_VARIABLE_FLAGS, .begin = KS_BEGIN_INDEX, .index = 1,
          .find = KS_FIND_RANGE, .lastkey = 0, .keystep = 1, .notes = "RW and ACCESS due to the optional `GET` argument"},
         {0}},
     .acl_categories = "string", .group = "string", .summary = "Set the string value of a key", .since = "1.0.0",
     .complexity = "O(1)",
     .syntax =
         "key value condition=[NX | XX]@2.6.12 [GET]@6.2.0 expiration=[EX seconds:integer@2.6.12 | PX "
         "milliseconds:integer@2.6.12 | EXAT unix-time-seconds:unix-time@6.2.0 | PXAT "
         "unix-time-milliseconds:unix-time@6.2.0 | KEEPTTL@6.0.0]",
     .history = (const char *const[]){
         "2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options.",
         "6.0.0", "Added the `KEEPTTL` option.",
         "6.2.0", "Added the `GET`, `EXAT` and `PXAT` option.",
         "7.0.0", "Allowed the `NX` and `GET` options to be used together.",
         NULL}},
    {.name = "setnx", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .fn = setnx_command, .key_flags = KS_OW | KS_INSERT, .acl_categories = "string",
     .group = "string", .summary = "Set the value of a key, only if the key does not exist", .since = "1.0.0",
     .complexity = "O(1)", .syntax = "key value"},
    {.name = "setex", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = setex_command, .key_flags = KS_OW | KS_UPDATE, .acl_categories = "string", .group = "string",
     .summary = "Set the value and expiration of a key", .since = "2.0.0", .complexity = "O(1)",
     .syntax = "key seconds:integer value"},
    {.name = "psetex", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = psetex_command, .key_flags = KS_OW | KS_UPDATE, .acl_categories = "string", .group = "string",
     .summary = "Set the value and expiration in milliseconds of a key", .since = "2.6.0", .complexity = "O(1)",
     .syntax = "key milliseconds:integer value"},
    {.name = "getset", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .fn = getset_command, .key_flags = KS_RW | KS_ACCESS | KS_UPDATE, .acl_categories = "string",
     .group = "string", .summary = "Set the string value of a key and return its old value", .since = "1.0.0",
     .complexity = "O(1)", .deprecated_since = "6.2.0", .replaced_by = "`SET` with the `!GET` argument",
     .syntax = "key value"},
    {.name = "getex", .arity = -2, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = getex_command,
     .key_specs = (const struct cmd_key_spec[]){
         {.flags = KS_RW | KS_ACCESS | KS_UPDATE, .begin = KS_BEGIN_INDEX, .index = 1,
          .find = KS_FIND_RANGE, .lastkey = 0, .keystep = 1, .notes = "RW and UPDATE because it changes the TTL"},
         {0}},
     .acl_categories = "string", .group = "string",
     .summary = "Get the value of a key and optionally set its expiration", .since = "6.2.0", .complexity = "O(1)",
     .syntax =
         "key expiration=[EX seconds:integer | PX milliseconds:integer | EXAT unix-time-seconds:unix-time | "
         "PXAT unix-time-milliseconds:unix-time | PERSIST]"},
    {.name = "getdel", .arity = 2, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = getdel_command, .key_flags = KS_RW | KS_ACCESS | KS_DELETE, .acl_categories = "string", .group = "string",
     .summary = "Get the value of a key and delete the key", .since = "6.2.0", .complexity = "O(1)", .syntax = "key"},
    {.name = "incr", .arity = 2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .fn = incr_command, .key_flags = KS_RW | KS_ACCESS | KS_UPDATE, .acl_categories = "string",
     .group = "string", .summary = "Increment the integer value of a key by one", .since = "1.0.0",
     .complexity = "O(1)", .syntax = "key"},
    {.name = "decr", .arity = 2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .fn = decr_command, .key_flags = KS_RW | KS_ACCESS | KS_UPDATE, .acl_categories = "string",
     .group = "string", .summary = "Decrement the integer value of a key by one", .since = "1.0.0",
     .complexity = "O(1)", .syntax = "key"},
    {.name = "incrby", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .fn = incrby_command, .key_flags = KS_RW | KS_ACCESS | KS_UPDATE, .acl_categories = "string",
     .group = "string", .summary = "Increment the integer value of a key by the given amount", .since = "1.0.0",
     .complexity = "O(1)", .syntax = "key increment:integer"},
    {.name = "decrby", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .fn = decrby_command, .key_flags = KS_RW | KS_ACCESS | KS_UPDATE, .acl_categories = "string",
     .group = "string", .summary = "Decrement the integer value of a key by the given number", .since = "1.0.0",
     .complexity = "O(1)", .syntax = "key decrement:integer"},
    {.name = "incrbyfloat", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .fn = incrbyfloat_command, .key_flags = KS_RW | KS_ACCESS | KS_UPDATE,
     .acl_categories = "string", .group = "string",
     .summary = "Increment the float value of a key by the given amount", .since = "2.6.0", .complexity = "O(1)",
     .syntax = "key increment:double"},
    {.name = "append", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .fn = append_command, .key_flags = KS_RW | KS_INSERT, .acl_categories = "string",
     .group = "string", .summary = "Append a value to a key", .since = "2.0.0",
     .complexity =
         "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already "
         "present value is of any size, since the dynamic string library used by Redis will double the free "
         "space available on every reallocation.",
     .syntax = "key value"},
    {.name = "setrange", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = setrange_command, .key_flags = KS_RW | KS_UPDATE, .acl_categories = "string", .group = "string",
     .summary = "Overwrite part of a string at key starting at the specified offset", .since = "2.2.0",
     .complexity =
         "O(1), not counting the time taken to copy the new string in place. Usually, this string is very "
         "small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of "
         "the value argument.",
     .syntax = "key offset:integer value"},
    {.name = "getrange", .arity = 4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = getrange_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "string", .group = "string",
     .summary = "Get a substring of the string stored at a key", .since = "2.4.0",
     .complexity =
         "O(N) where N is the length of the returned string. The complexity is ultimately determined by the "
         "returned length, but because creating a substring from an existing string is very cheap, it can be "
         "considered O(1) for small strings.",
     .syntax = "key start:integer end:integer"},
    {.name = "substr", .arity = 4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = getrange_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "string", .group = "string",
     .summary = "Get a substring of the string stored at a key", .since = "1.0.0",
     .complexity =
         "O(N) where N is the length of the returned string. The complexity is ultimately determined by the "
         "returned length, but because creating a substring from an existing string is very cheap, it can be "
         "considered O(1) for small strings.",
     .deprecated_since = "2.0.0", .replaced_by = "`GETRANGE`", .syntax = "key start:integer end:integer"},
    {.name = "strlen", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = strlen_command, .key_flags = KS_RO, .acl_categories = "string", .group = "string",
     .summary = "Get the length of the value stored in a key", .since = "2.2.0", .complexity = "O(1)",
     .syntax = "key"},
    {.name = "lcs", .arity = -3, .flags = CMD_READONLY, .first_key = 1, .last_key = 2, .key_step = 1,
     .fn = lcs_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "string", .group = "string",
     .summary = "Find longest common substring", .since = "7.0.0",
     .complexity = "O(N*M) where N and M are the lengths of s1 and s2, respectively",
     .syntax = "key1:key key2:key#0 [LEN] [IDX] [MINMATCHLEN len:integer] [WITHMATCHLEN]"},
    {.name = "mget", .arity = -2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = -1, .key_step = 1,
     .fn = mget_command, .combine = COMBINE_KEYED, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "string",
     .tips = "request_policy:multi_shard", .group = "string", .summary = "Get the values of all the given keys",
     .since = "1.0.0", .complexity = "O(N) where N is the number of keys to retrieve.", .syntax = "key [key ...]"},
    {.name = "mset", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = -1, .key_step = 2,
     .fn = mset_command, .combine = COMBINE_OK, .key_flags = KS_OW | KS_UPDATE, .acl_categories = "string",
     .tips = "request_policy:multi_shard response_policy:all_succeeded", .group = "string",
     .summary = "Set multiple keys to multiple values", .since = "1.0.1",
     .complexity = "O(N) where N is the number of keys to set.", .syntax = "key value [key value ...]"},
    {.name = "msetnx", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = -1, .key_step = 2,
     .fn = msetnx_command, .key_flags = KS_OW | KS_INSERT, .acl_categories = "string",
     .tips = "request_policy:multi_shard response_policy:agg_min", .group = "string",
     .summary = "Set multiple keys to multiple values, only if none of the keys exist", .since = "1.0.1",
     .complexity = "O(N) where N is the number of keys to set.", .syntax = "key value [key value ...]"},
    {0},
};
