/* t_hash.c — hash commands, with Redis 7.0's replies, errors and order of
 * checks. Handlers run on the shard owning the key; the value lives
 * behind hashval.h.
 */
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/data/db.h"
#include "ringkv/data/hashval.h"
#include "ringkv/base/numfmt.h"
#include "ringkv/base/config.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/base/util.h"

#include <limits.h>
#include <math.h>
#include <string.h>

static struct hashval_limits hash_limits(const struct cmd_ctx *c)
{
    return (struct hashval_limits){c->cfg->hash_max_listpack_entries,
                                   c->cfg->hash_max_listpack_value};
}

static struct kv *hash_or_reply(struct cmd_ctx *c, const struct cmd_args *a, bool write,
                                tc_missing_fn missing)
{
    return tc_lookup_or_reply(c, a, 1, OBJ_HASH, write, missing);
}

/* The hash at argv[1] for writing, created (empty, in the db) if missing;
 * NULL after WRONGTYPE. Callers add a field before they can fail, so no
 * empty hash is ever left behind. */
static struct kv *hash_for_write(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    struct kv *kv = tc_lookup_write(c, a->argv[1], a->len[1], OBJ_HASH, &err);
    if (err || kv) return kv;
    kv = hashval_create(a->argv[1], a->len[1]);
    db_add(c->db, kv);
    return kv;
}

static void reply_view(struct reply *r, const lp_value *v)
{
    if (v->str) reply_bulk(r, v->str, v->len);
    else reply_bulk_ll(r, v->ll);
}

/* ---- setting ---- */

static void hset_generic(struct cmd_ctx *c, const struct cmd_args *a, bool reply_count)
{
    if (a->argc % 2 == 1) {
        reply_errorf(c->r, "ERR wrong number of arguments for '%s' command", reply_count ? "hset" : "hmset");
        return;
    }
    struct kv *kv = hash_for_write(c, a);
    if (!kv) return;
    struct hashval_limits lim = hash_limits(c);
    hashval_prepare(kv, a->len + 2, a->argc - 2, &lim);
    long long created = 0;
    for (int i = 2; i < a->argc; i += 2)
        created += hashval_set(kv, a->argv[i], a->len[i], a->argv[i + 1], a->len[i + 1], &lim);
    notify_key(c, NOTIFY_HASH, "hset", a->argv[1], a->len[1]);
    if (reply_count) reply_int(c->r, created);
    else reply_ok(c->r);
}

static void hset_command(struct cmd_ctx *c, const struct cmd_args *a) { hset_generic(c, a, true); }
static void hmset_command(struct cmd_ctx *c, const struct cmd_args *a) { hset_generic(c, a, false); }

static void hsetnx_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = hash_for_write(c, a);
    lp_value v;
    if (!kv) return;
    if (hashval_get(kv, a->argv[2], a->len[2], &v)) {
        cmd_unchanged(c);
        reply_int(c->r, 0);
        return;
    }
    struct hashval_limits lim = hash_limits(c);
    hashval_prepare(kv, a->len + 2, 2, &lim);
    hashval_set(kv, a->argv[2], a->len[2], a->argv[3], a->len[3], &lim);
    notify_key(c, NOTIFY_HASH, "hset", a->argv[1], a->len[1]);
    reply_int(c->r, 1);
}

static void hincrby_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long incr, value = 0;
    if (!arg_ll_or_reply(c, a, 3, &incr, NULL)) return;
    struct kv *kv = hash_for_write(c, a);
    lp_value cur;
    if (!kv) return;
    if (hashval_get(kv, a->argv[2], a->len[2], &cur)) {
        value = cur.ll;
        if (cur.str && !string2ll((const char *)cur.str, cur.len, &value)) {
            reply_error(c->r, "ERR hash value is not an integer");
            return;
        }
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        reply_error(c->r, RK_ERR_OVERFLOW);
        return;
    }
    value += incr;
    char buf[RK_LONG_STR_SIZE];
    struct hashval_limits lim = hash_limits(c);
    hashval_set(kv, a->argv[2], a->len[2], buf, ll2string(buf, value), &lim);
    notify_key(c, NOTIFY_HASH, "hincrby", a->argv[1], a->len[1]);
    reply_int(c->r, value);
}

static void hincrbyfloat_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long double incr, value = 0;
    if (!string2ld(a->argv[3], a->len[3], &incr)) {
        reply_error(c->r, RK_ERR_NOT_FLOAT);
        return;
    }
    if (isnan(incr) || isinf(incr)) {
        reply_error(c->r, "ERR value is NaN or Infinity");
        return;
    }
    struct kv *kv = hash_for_write(c, a);
    lp_value cur;
    if (!kv) return;
    if (hashval_get(kv, a->argv[2], a->len[2], &cur)) {
        value = (long double)cur.ll;
        if (cur.str && !string2ld((const char *)cur.str, cur.len, &value)) {
            reply_error(c->r, "ERR hash value is not a float");
            return;
        }
    }
    value += incr;
    if (isnan(value) || isinf(value)) {
        reply_error(c->r, "ERR increment would produce NaN or Infinity");
        return;
    }
    char buf[RK_MAX_LD_CHARS];
    size_t len = ld2string(buf, sizeof buf, value, LD_STR_HUMAN);
    struct hashval_limits lim = hash_limits(c);
    hashval_set(kv, a->argv[2], a->len[2], buf, len, &lim);
    notify_key(c, NOTIFY_HASH, "hincrbyfloat", a->argv[1], a->len[1]);
    reply_bulk(c->r, buf, len);
}

/* ---- reading ---- */

static void hget_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = hash_or_reply(c, a, false, reply_null);
    lp_value v;
    if (!kv) return;
    if (hashval_get(kv, a->argv[2], a->len[2], &v)) reply_view(c->r, &v);
    else reply_null(c->r);
}

static void hmget_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_HASH, &err);
    if (err) return;
    reply_array(c->r, a->argc - 2);
    for (int i = 2; i < a->argc; i++) {
        lp_value v;
        if (kv && hashval_get(kv, a->argv[i], a->len[i], &v)) reply_view(c->r, &v);
        else reply_null(c->r);
    }
}

static void hlen_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = hash_or_reply(c, a, false, tc_reply_zero);
    if (kv) reply_int(c->r, (long long)hashval_len(kv));
}

static void hstrlen_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = hash_or_reply(c, a, false, tc_reply_zero);
    lp_value v;
    if (!kv) return;
    size_t len = 0;
    char buf[RK_LONG_STR_SIZE];
    if (hashval_get(kv, a->argv[2], a->len[2], &v)) hashval_str(&v, buf, &len);
    reply_int(c->r, (long long)len);
}

static void hexists_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = hash_or_reply(c, a, false, tc_reply_zero);
    lp_value v;
    if (kv) reply_int(c->r, hashval_get(kv, a->argv[2], a->len[2], &v));
}

static void hdel_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = hash_or_reply(c, a, true, tc_reply_zero);
    if (!kv) return;
    long long deleted = 0;
    bool emptied = false;
    for (int i = 2; i < a->argc && !emptied; i++) {
        if (!hashval_delete(kv, a->argv[i], a->len[i])) continue;
        deleted++;
        emptied = hashval_len(kv) == 0;
    }
    if (deleted) notify_key(c, NOTIFY_HASH, "hdel", a->argv[1], a->len[1]);
    else cmd_unchanged(c);
    if (emptied) tc_delete_emptied(c, kv, a->argv[1], a->len[1]);
    reply_int(c->r, deleted);
}

enum { WITH_FIELDS = 1, WITH_VALUES = 2 };

struct emit {
    struct reply *r;
    int what;
};

static void emit_pair(const lp_value *field, const lp_value *value, void *arg)
{
    const struct emit *e = arg;
    if (e->what & WITH_FIELDS) reply_view(e->r, field);
    if (e->what & WITH_VALUES) reply_view(e->r, value);
}

/* HKEYS, HVALS, HGETALL (a map in RESP3). */
static void getall_generic(struct cmd_ctx *c, const struct cmd_args *a, int what)
{
    bool both = what == (WITH_FIELDS | WITH_VALUES);
    struct kv *kv = hash_or_reply(c, a, false, both ? tc_reply_empty_map : tc_reply_empty_array);
    if (!kv) return;
    long long n = (long long)hashval_len(kv);
    if (both) reply_map(c->r, n);
    else reply_array(c->r, n);
    struct emit e = {c->r, what};
    hashval_foreach(kv, emit_pair, &e);
}

static void hkeys_command(struct cmd_ctx *c, const struct cmd_args *a) { getall_generic(c, a, WITH_FIELDS); }
static void hvals_command(struct cmd_ctx *c, const struct cmd_args *a) { getall_generic(c, a, WITH_VALUES); }
static void hgetall_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    getall_generic(c, a, WITH_FIELDS | WITH_VALUES);
}

/* ---- HRANDFIELD ---- */

/* A pick: the field, or with values a [field, value] pair in RESP3 and
 * both flat in RESP2. */
static void emit_pick(const lp_value *field, const lp_value *value, void *arg)
{
    const struct emit *e = arg;
    if (e->what & WITH_VALUES && e->r->resp > 2) reply_array(e->r, 2);
    emit_pair(field, value, arg);
}

static void hrandfield_count(struct cmd_ctx *c, const struct cmd_args *a, long long l, bool withvalues)
{
    struct kv *kv = hash_or_reply(c, a, false, tc_reply_empty_array);
    if (!kv) return;
    unsigned long long count = l >= 0 ? (unsigned long long)l : 0ULL - (unsigned long long)l;
    bool unique = l >= 0;
    size_t size = hashval_len(kv);
    if (count == 0) {
        reply_array(c->r, 0);
        return;
    }
    /* Picks with repetition, and a single pick, come in random order;
     * more distinct ones than the hash holds are the whole hash. */
    if (!unique || count == 1) unique = false;
    else if (count > size) count = size;
    bool flat_pairs = withvalues && c->r->resp == 2;
    reply_array(c->r, (long long)(flat_pairs ? count * 2 : count));
    struct emit e = {c->r, WITH_FIELDS | (withvalues ? WITH_VALUES : 0)};
    if (unique && count == size) hashval_foreach(kv, emit_pick, &e);
    else hashval_random(kv, (size_t)count, unique, emit_pick, &e);
}

static void hrandfield_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc >= 3) {
        long long l;
        if (!tc_range_ll_or_reply(c, a->argv[2], a->len[2], -LLONG_MAX, LLONG_MAX, NULL, &l)) return;
        bool withvalues = a->argc == 4;
        if (a->argc > 4 || (withvalues && !arg_is(a, 3, "withvalues"))) {
            reply_error(c->r, RK_ERR_SYNTAX);
            return;
        }
        /* Pairs double the reply's length: Redis bounds the count. */
        if (withvalues && (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2)) {
            reply_error(c->r, "ERR value is out of range");
            return;
        }
        hrandfield_count(c, a, l, withvalues);
        return;
    }
    struct kv *kv = hash_or_reply(c, a, false, reply_null);
    if (!kv) return;
    struct emit e = {c->r, WITH_FIELDS};
    hashval_random(kv, 1, false, emit_pair, &e);
}

/* ---- HSCAN ---- */

static void batch_add(const lp_value *field, const lp_value *value, void *arg)
{
    scan_batch_push(arg, field);
    scan_batch_push(arg, value);
}

static void hscan_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    uint64_t cursor;
    struct scan_opts o;
    struct kv *kv = scan_key_or_reply(c, a, OBJ_HASH, &cursor, &o);
    if (!kv) return;
    /* field, value, field, value... */
    struct scan_batch b = {.size = sizeof(lp_value)};
    if (kv->enc == ENC_HASHTABLE) {
        /* Redis's bound: ten times COUNT steps, so a sparse table cannot
         * make one call walk it all; a field and its value count two. */
        long long steps = o.count > LLONG_MAX / 10 ? LLONG_MAX : (long long)o.count * 10;
        do {
            cursor = hashval_scan(kv, cursor, batch_add, &b);
        } while (cursor && steps-- && b.n < (size_t)o.count);
    } else {
        hashval_foreach(kv, batch_add, &b);
        cursor = 0;
    }
    scan_reply_cursor(c->r, cursor);
    size_t at = reply_defer(c->r);
    long long n = 0;
    const lp_value *items = b.items;
    for (size_t i = 0; i < b.n; i += 2) {
        char buf[RK_LONG_STR_SIZE];
        size_t len;
        const char *s = hashval_str(&items[i], buf, &len);
        if (!scan_matches(&o, s, len)) continue;
        reply_bulk(c->r, s, len);
        reply_view(c->r, &items[i + 1]);
        n += 2;
    }
    reply_defer_array(c->r, at, n);
    rk_free(b.items);
}

#define HASH(name_, arity_, flags_, fn_, summary_, since_, complexity_, acl_, ...)                 \
    {.name = name_, .arity = arity_, .flags = flags_, .first_key = 1, .last_key = 1, .key_step = 1, \
     .fn = fn_, .group = "hash", .summary = summary_, .since = since_, .complexity = complexity_,  \
     .acl_categories = acl_, __VA_ARGS__}

const struct cmd_def hash_commands[] = {
    HASH("hset", -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, hset_command, "Set the string value of a hash field", "2.0.0", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", "write hash fast",
         .key_flags = KS_RW | KS_UPDATE, .syntax = "key field value [field value ...]", .history = (const char *const[]){"4.0.0", "Accepts multiple `field` and `value` arguments.", NULL}),
    HASH("hmset", -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, hmset_command, "Set multiple hash fields to multiple values", "2.0.0", "O(N) where N is the number of fields being set.", "write hash fast",
         .key_flags = KS_RW | KS_UPDATE, .syntax = "key field value [field value ...]", .deprecated_since = "4.0.0", .replaced_by = "`HSET` with multiple field-value pairs"),
    HASH("hsetnx", 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, hsetnx_command, "Set the value of a hash field, only if the field does not exist", "2.0.0", "O(1)", "write hash fast",
         .key_flags = KS_RW | KS_INSERT, .syntax = "key field value"),
    HASH("hget", 3, CMD_READONLY | CMD_FAST, hget_command, "Get the value of a hash field", "2.0.0", "O(1)", "read hash fast",
         .key_flags = KS_RO | KS_ACCESS, .syntax = "key field"),
    HASH("hmget", -3, CMD_READONLY | CMD_FAST, hmget_command, "Get the values of all the given hash fields", "2.0.0", "O(N) where N is the number of fields being requested.", "read hash fast",
         .key_flags = KS_RO | KS_ACCESS, .syntax = "key field [field ...]"),
    HASH("hdel", -3, CMD_WRITE | CMD_FAST, hdel_command, "Delete one or more hash fields", "2.0.0", "O(N) where N is the number of fields to be removed.", "write hash fast",
         .key_flags = KS_RW | KS_DELETE, .syntax = "key field [field ...]", .history = (const char *const[]){"2.4.0", "Accepts multiple `field` arguments.", NULL}),
    HASH("hlen", 2, CMD_READONLY | CMD_FAST, hlen_command, "Get the number of fields in a hash", "2.0.0", "O(1)", "read hash fast",
         .key_flags = KS_RO, .syntax = "key"),
    HASH("hstrlen", 3, CMD_READONLY | CMD_FAST, hstrlen_command, "Get the length of the value of a hash field", "3.2.0", "O(1)", "read hash fast",
         .key_flags = KS_RO, .syntax = "key field"),
    HASH("hexists", 3, CMD_READONLY | CMD_FAST, hexists_command, "Determine if a hash field exists", "2.0.0", "O(1)", "read hash fast",
         .key_flags = KS_RO, .syntax = "key field"),
    HASH("hkeys", 2, CMD_READONLY, hkeys_command, "Get all the fields in a hash", "2.0.0", "O(N) where N is the size of the hash.", "read hash slow",
         .key_flags = KS_RO | KS_ACCESS, .tips = "nondeterministic_output_order", .syntax = "key"),
    HASH("hvals", 2, CMD_READONLY, hvals_command, "Get all the values in a hash", "2.0.0", "O(N) where N is the size of the hash.", "read hash slow",
         .key_flags = KS_RO | KS_ACCESS, .tips = "nondeterministic_output_order", .syntax = "key"),
    HASH("hgetall", 2, CMD_READONLY, hgetall_command, "Get all the fields and values in a hash", "2.0.0", "O(N) where N is the size of the hash.", "read hash slow",
         .key_flags = KS_RO | KS_ACCESS, .tips = "nondeterministic_output_order", .syntax = "key"),
    HASH("hincrby", 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, hincrby_command, "Increment the integer value of a hash field by the given number", "2.0.0", "O(1)", "write hash fast",
         .key_flags = KS_RW | KS_ACCESS | KS_UPDATE, .syntax = "key field increment:integer"),
    HASH("hincrbyfloat", 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, hincrbyfloat_command, "Increment the float value of a hash field by the given amount", "2.6.0", "O(1)", "write hash fast",
         .key_flags = KS_RW | KS_ACCESS | KS_UPDATE, .syntax = "key field increment:double"),
    HASH("hrandfield", -2, CMD_READONLY, hrandfield_command, "Get one or multiple random fields from a hash", "6.2.0", "O(N) where N is the number of fields returned", "read hash slow",
         .key_flags = KS_RO | KS_ACCESS, .tips = "nondeterministic_output", .syntax = "key options=[count:integer [WITHVALUES]]"),
    HASH("hscan", -3, CMD_READONLY, hscan_command, "Incrementally iterate hash fields and associated values", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "read hash slow",
         .key_flags = KS_RO | KS_ACCESS, .tips = "nondeterministic_output", .syntax = "key cursor:integer [MATCH pattern] [COUNT count:integer]"),
    {0},
};
