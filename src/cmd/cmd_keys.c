/* cmd_keys.c — generic key commands, as Redis 7.0's db.c and object.c:
 * DEL, UNLINK, EXISTS, TOUCH, TYPE, KEYS, RENAME, RENAMENX, COPY, MOVE,
 * SWAPDB, SCAN, RANDOMKEY, OBJECT.
 *
 * Where the keys live decides how a command runs: multi-key counts fan out
 * per shard and add up (COMBINE_SUM); KEYS, SWAPDB and RANDOMKEY run on
 * every shard; RENAME and COPY are single-shard code that the core's
 * cross-shard path runs on a scratch copy when their keys are apart; MOVE
 * stays on one shard (a key's slot, so its shard, is the same in every
 * db); SCAN goes to the shard its cursor names. Handlers run on the shard
 * the dispatcher picked. */
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/data/db.h"
#include "ringkv/base/glob.h"
#include "ringkv/data/object.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/random.h"
#include "ringkv/proto/resp.h"
#include "ringkv/base/config.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/base/util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ERR_SAMEOBJ "ERR source and destination objects are the same"

static void del_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long n = 0;
    for (int i = 1; i < a->argc; i++) {
        if (!db_delete(c->db, a->argv[i], a->len[i])) continue;
        notify_key(c, NOTIFY_GENERIC, "del", a->argv[i], a->len[i]);
        n++;
    }
    reply_int(c->r, n);
}

static void exists_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long n = 0;
    for (int i = 1; i < a->argc; i++) n += db_lookup_notouch(c->db, a->argv[i], a->len[i]) != NULL;
    reply_int(c->r, n);
}

static void touch_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long n = 0;
    for (int i = 1; i < a->argc; i++) n += db_lookup(c->db, a->argv[i], a->len[i]) != NULL;
    reply_int(c->r, n);
}

static void type_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = db_lookup_notouch(c->db, a->argv[1], a->len[1]);
    reply_status(c->r, kv ? obj_type_name(kv->type) : "none");
}

/* ---- KEYS ------------------------------------------------------------ */

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

/* ---- RENAME, COPY, MOVE, SWAPDB -------------------------------------- */

static void rename_generic(struct cmd_ctx *c, const struct cmd_args *a, bool nx)
{
    bool samekey = a->len[1] == a->len[2] && memcmp(a->argv[1], a->argv[2], a->len[1]) == 0;
    if (!db_lookup_write(c->db, a->argv[1], a->len[1])) {
        reply_error(c->r, RK_ERR_NO_KEY);
        return;
    }
    if (samekey) {
        cmd_unchanged(c);
        if (nx) reply_int(c->r, 0);
        else reply_ok(c->r);
        return;
    }
    if (db_lookup_write(c->db, a->argv[2], a->len[2])) {
        if (nx) {
            cmd_unchanged(c);
            reply_int(c->r, 0);
            return;
        }
        db_delete(c->db, a->argv[2], a->len[2]);
    }
    long long when;
    struct kv *kv = db_detach(c->db, a->argv[1], a->len[1], &when);
    kv = kv_rename(kv, a->argv[2], a->len[2]);
    db_add(c->db, kv);
    if (when >= 0) db_set_expire(c->db, kv, when);
    notify_key(c, NOTIFY_GENERIC, "rename_from", a->argv[1], a->len[1]);
    notify_key(c, NOTIFY_GENERIC, "rename_to", a->argv[2], a->len[2]);
    if (nx) reply_int(c->r, 1);
    else reply_ok(c->r);
}

static void rename_command(struct cmd_ctx *c, const struct cmd_args *a) { rename_generic(c, a, false); }
static void renamenx_command(struct cmd_ctx *c, const struct cmd_args *a) { rename_generic(c, a, true); }

/* A database index argument: Redis's getIntFromObjectOrReply, then the
 * range check. Returns the db or NULL after replying. */
static struct db *db_arg_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i)
{
    long long id;
    if (!tc_range_ll_or_reply(c, a->argv[i], a->len[i], INT_MIN, INT_MAX, NULL, &id)) return NULL;
    if (id < 0 || id >= c->ks->ndbs) {
        reply_error(c->r, RK_ERR_DB_RANGE);
        return NULL;
    }
    return ks_db(c->ks, (int)id);
}

static void copy_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct db *dst = c->db;
    bool replace = false;
    for (int j = 3; j < a->argc; j++) {
        if (arg_is(a, j, "replace")) {
            replace = true;
        } else if (arg_is(a, j, "db") && j + 1 < a->argc) {
            if (!(dst = db_arg_or_reply(c, a, ++j))) return;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return;
        }
    }
    if (dst == c->db && a->len[1] == a->len[2] && memcmp(a->argv[1], a->argv[2], a->len[1]) == 0) {
        reply_error(c->r, ERR_SAMEOBJ);
        return;
    }
    struct kv *src = db_lookup(c->db, a->argv[1], a->len[1]);
    if (!src) {
        reply_int(c->r, 0);
        return;
    }
    long long when = db_get_expire(c->db, src);
    if (db_lookup_write(dst, a->argv[2], a->len[2])) {
        if (!replace) {
            reply_int(c->r, 0);
            return;
        }
        db_delete(dst, a->argv[2], a->len[2]);
    }
    struct kv *copy = kv_dup(src, a->argv[2], a->len[2]);
    db_add(dst, copy);
    if (when >= 0) db_set_expire(dst, copy, when);
    notify_key_in(c, dst->id, NOTIFY_GENERIC, "copy_to", a->argv[2], a->len[2]);
    reply_int(c->r, 1);
}

/* COPY's destination lives in the db its DB option names (the last one,
 * as the handler reads them); for the cross-shard path. */
static int copy_key_db(const struct cmd_args *a, int pos, int selected)
{
    int db = selected;
    long long id;
    for (int j = 3; pos == 2 && j + 1 < a->argc; j++) {
        if (!arg_is(a, j, "db")) continue;
        if (string2ll(a->argv[j + 1], a->len[j + 1], &id) && id >= 0 && id <= INT_MAX) db = (int)id;
        j++;
    }
    return db;
}

static void move_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct db *dst = db_arg_or_reply(c, a, 2);
    if (!dst) return;
    if (dst == c->db) {
        reply_error(c->r, ERR_SAMEOBJ);
        return;
    }
    if (!db_lookup_write(c->db, a->argv[1], a->len[1]) || db_lookup_write(dst, a->argv[1], a->len[1])) {
        reply_int(c->r, 0);
        return;
    }
    long long when;
    struct kv *kv = db_detach(c->db, a->argv[1], a->len[1], &when);
    db_add(dst, kv);
    if (when >= 0) db_set_expire(dst, kv, when);
    notify_key(c, NOTIFY_GENERIC, "move_from", a->argv[1], a->len[1]);
    notify_key_in(c, dst->id, NOTIFY_GENERIC, "move_to", a->argv[1], a->len[1]);
    reply_int(c->r, 1);
}

/* Runs on every shard, each swapping its slice of the two databases. */
static void swapdb_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const errs[] = {"invalid first DB index", "invalid second DB index"};
    long long id[2];
    for (int i = 0; i < 2; i++) {
        if (!tc_range_ll_or_reply(c, a->argv[1 + i], a->len[1 + i], INT_MIN, INT_MAX, errs[i], &id[i])) return;
    }
    int n = c->ks->ndbs;
    if (id[0] < 0 || id[0] >= n || id[1] < 0 || id[1] >= n) {
        reply_error(c->r, RK_ERR_DB_RANGE);
        return;
    }
    if (id[0] != id[1]) db_swap(ks_db(c->ks, (int)id[0]), ks_db(c->ks, (int)id[1]));
    reply_ok(c->r);
}

/* ---- SCAN ------------------------------------------------------------ */

/* The cursor a client sees: the shard's dict cursor times the shard count,
 * plus the shard. Cursor 0 starts at shard 0; when a shard's scan ends the
 * cursor moves on to the next shard, and to 0 after the last. Keys never
 * move between shards, so every shard's dict_scan guarantee carries over. */
static unsigned scan_route(const struct cmd_args *a, unsigned nshards)
{
    uint64_t cursor;
    if (!scan_cursor_parse(a->argv[1], a->len[1], &cursor)) return nshards; /* answered where it is */
    return (unsigned)(cursor % nshards);
}

struct scan_state {
    struct kv **items;
    size_t n, cap;
};

static void scan_collect(struct dict_node *node, void *arg)
{
    struct scan_state *st = arg;
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 32;
        st->items = rk_realloc(st->items, st->cap * sizeof(*st->items));
    }
    st->items[st->n++] = kv_of(node);
}

struct key_scan_opts {
    long long count;
    const char *pat, *type;
    size_t plen, tlen;
};

static bool scan_parse(struct cmd_ctx *c, const struct cmd_args *a, struct key_scan_opts *o)
{
    *o = (struct key_scan_opts){.count = 10};
    for (int i = 2; i < a->argc; i += 2) {
        if (i + 1 >= a->argc) goto syntax;
        if (arg_is(a, i, "count")) {
            if (!arg_ll_or_reply(c, a, i + 1, &o->count, NULL)) return false;
            if (o->count < 1) goto syntax;
        } else if (arg_is(a, i, "match")) {
            o->pat = a->argv[i + 1];
            o->plen = a->len[i + 1];
            if (o->plen == 1 && o->pat[0] == '*') o->pat = NULL; /* "*" matches even "" */
        } else if (arg_is(a, i, "type")) {
            o->type = a->argv[i + 1];
            o->tlen = a->len[i + 1];
        } else {
            goto syntax;
        }
    }
    return true;
syntax:
    reply_error(c->r, RK_ERR_SYNTAX);
    return false;
}

/* Whether a collected key goes into the reply; expired ones are deleted. */
static bool scan_keep(struct db *db, struct kv *kv, const struct key_scan_opts *o, long long now)
{
    if (o->pat && !glob_match(o->pat, o->plen, kv_key(kv), kv->keylen, false)) return false;
    if (db_is_expired(db, kv, now)) {
        db_delete_expired(db, kv);
        return false;
    }
    const char *type = obj_type_name(kv->type);
    return !o->type || (strlen(type) == o->tlen && strncasecmp(type, o->type, o->tlen) == 0);
}

static void scan_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    uint64_t cursor;
    if (!scan_cursor_or_reply(c, a->argv[1], a->len[1], &cursor)) return;
    struct key_scan_opts o;
    if (!scan_parse(c, a, &o)) return;
    /* scan_route sent the call to the shard the cursor names: this one. */
    unsigned nshards = c->nshards, shard = (unsigned)(cursor % nshards);
    uint64_t dc = cursor / nshards;
    struct scan_state st = {0};
    /* Redis's bound: at most count*10 buckets per call. */
    long long budget = o.count > LLONG_MAX / 10 ? LLONG_MAX : o.count * 10;
    do {
        dc = db_scan(c->db, dc, scan_collect, &st);
    } while (dc && budget-- && st.n < (unsigned long long)o.count);

    long long now = mstime(), kept = 0;
    for (size_t i = 0; i < st.n; i++)
        if (scan_keep(c->db, st.items[i], &o, now)) st.items[kept++] = st.items[i];

    uint64_t next = dc ? dc * nshards + shard : (shard + 1 < nshards ? shard + 1 : 0);
    reply_array(c->r, 2);
    char buf[RK_LONG_STR_SIZE];
    reply_bulk(c->r, buf, ull2string(buf, next));
    reply_array(c->r, kept);
    for (long long i = 0; i < kept; i++) reply_bulk(c->r, kv_key(st.items[i]), st.items[i]->keylen);
    rk_free(st.items);
}

/* ---- RANDOMKEY ------------------------------------------------------- */

/* Each shard answers [its key count, a random key or null]; the combiner
 * picks a shard with probability proportional to its count, so every key
 * is equally likely, as with one keyspace. */
static void randomkey_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = db_random(c->db);
    reply_array(c->r, 2);
    reply_int(c->r, kv ? (long long)db_size(c->db) : 0);
    if (kv) reply_bulk(c->r, kv_key(kv), kv->keylen);
    else reply_null(c->r);
}

/* Parses one part "*2 :N <bulk>"; false when malformed. */
static bool randomkey_part(const char *p, size_t len, unsigned long long *count, const char **key, size_t *klen)
{
    long long n;
    size_t hdr;
    if (!resp_aggregate_header(p, len, &n, &hdr) || n != 2 || hdr >= len || p[hdr] != ':') return false;
    const char *crlf = memchr(p + hdr, '\r', len - hdr);
    long long cnt;
    if (!crlf || !string2ll(p + hdr + 1, (size_t)(crlf - p - hdr - 1), &cnt) || cnt < 0) return false;
    *count = (unsigned long long)cnt;
    *key = crlf + 2;
    *klen = len - (size_t)(*key - p);
    return *key <= p + len;
}

static void randomkey_combine(struct reply *r, const struct cmd_args *a, const char *const *parts,
                              const size_t *lens, int nparts)
{
    unsigned long long counts[MAX_SHARDS], total = 0;
    const char *keys[MAX_SHARDS];
    size_t klens[MAX_SHARDS];
    for (int p = 0; p < nparts; p++) {
        if (!randomkey_part(parts[p], lens[p], &counts[p], &keys[p], &klens[p])) counts[p] = 0;
        total += counts[p];
    }
    if (total == 0) {
        reply_null(r);
        return;
    }
    unsigned long long pick = rk_random_below(total);
    int p = 0;
    while (pick >= counts[p]) pick -= counts[p++];
    reply_raw(r, keys[p], klens[p]);
}

/* ---- OBJECT ---------------------------------------------------------- */

static struct kv *object_lookup(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = db_lookup_notouch(c->db, a->argv[2], a->len[2]);
    if (!kv) reply_null(c->r);
    return kv;
}

static void object_encoding_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = object_lookup(c, a);
    if (kv) reply_bulk_cstr(c->r, kv_encoding_name(kv));
}

/* Redis shares the objects of the integers 0..9999 (OBJ_SHARED_INTEGERS)
 * and reports INT_MAX references for them; every other value has one. */
static void object_refcount_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = object_lookup(c, a);
    if (!kv) return;
    bool shared = kv->type == OBJ_STRING && kv->enc == ENC_INT && kv->v.i >= 0 && kv->v.i < 10000;
    reply_int(c->r, shared ? INT_MAX : 1);
}

/* Records keep either the LRU clock or LFU counters (object.h), as the
 * policy says; each subcommand answers only for its own. */
static void object_idletime_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = object_lookup(c, a);
    if (!kv) return;
    if (config_policy_lfu(c->cfg->maxmemory_policy))
        reply_error(c->r, "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
                          "switching between policies at runtime LRU and LFU data will take some time to adjust.");
    else
        reply_int(c->r, kv_idle_seconds(kv));
}

static void object_freq_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = object_lookup(c, a);
    if (!kv) return;
    if (config_policy_lfu(c->cfg->maxmemory_policy))
        reply_int(c->r, kv_lfu_counter(kv, c->cfg->lfu_decay_time));
    else
        reply_error(c->r, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
                          "that when switching between policies at runtime LRU and LFU data will take some time to "
                          "adjust.");
}

static void object_help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const lines[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

static const struct cmd_def object_subcommands[] = {
    {.name = "object|encoding", .arity = 3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .fn = object_encoding_command, .key_flags = KS_RO, .acl_categories = "keyspace",
     .tips = "nondeterministic_output", .group = "generic",
     .summary = "Inspect the internal encoding of a Redis object", .since = "2.2.3", .complexity = "O(1)",
     .syntax = "key"},
    {.name = "object|refcount", .arity = 3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .fn = object_refcount_command, .key_flags = KS_RO, .acl_categories = "keyspace",
     .tips = "nondeterministic_output", .group = "generic",
     .summary = "Get the number of references to the value of the key", .since = "2.2.3", .complexity = "O(1)",
     .syntax = "key"},
    {.name = "object|idletime", .arity = 3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .fn = object_idletime_command, .key_flags = KS_RO, .acl_categories = "keyspace",
     .tips = "nondeterministic_output", .group = "generic",
     .summary = "Get the time since a Redis object was last accessed", .since = "2.2.3", .complexity = "O(1)",
     .syntax = "key"},
    {.name = "object|freq", .arity = 3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .fn = object_freq_command, .key_flags = KS_RO, .acl_categories = "keyspace", .tips = "nondeterministic_output",
     .group = "generic", .summary = "Get the logarithmic access frequency counter of a Redis object",
     .since = "4.0.0", .complexity = "O(1)", .syntax = "key"},
    {.name = "object|help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .first_key = 0, .last_key = 0,
     .key_step = 0, .fn = object_help_command, .acl_categories = "keyspace", .group = "generic",
     .summary = "Show helpful text about the different subcommands", .since = "6.2.0", .complexity = "O(1)"},
    {0},
};

const struct cmd_def keys_commands[] = {
    {.name = "del", .arity = -2, .flags = CMD_WRITE, .first_key = 1, .last_key = -1, .key_step = 1,
     .fn = del_command, .combine = COMBINE_SUM, .key_flags = KS_RM | KS_DELETE, .acl_categories = "keyspace",
     .tips = "request_policy:multi_shard response_policy:agg_sum", .group = "generic", .summary = "Delete a key",
     .since = "1.0.0",
     .complexity =
         "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other "
         "than a string, the individual complexity for this key is O(M) where M is the number of elements in "
         "the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
     .syntax = "key [key ...]"},
    {.name = "unlink", .arity = -2, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = -1, .key_step = 1,
     .fn = del_command, .combine = COMBINE_SUM, .key_flags = KS_RM | KS_DELETE, .acl_categories = "keyspace",
     .tips = "request_policy:multi_shard response_policy:agg_sum", .group = "generic",
     .summary = "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
     .since = "4.0.0",
     .complexity =
         "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different "
         "thread in order to reclaim memory, where N is the number of allocations the deleted objects where "
         "composed of.",
     .syntax = "key [key ...]"},
    {.name = "exists", .arity = -2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = -1, .key_step = 1,
     .fn = exists_command, .combine = COMBINE_SUM, .key_flags = KS_RO, .acl_categories = "keyspace",
     .tips = "request_policy:multi_shard response_policy:agg_sum", .group = "generic",
     .summary = "Determine if a key exists", .since = "1.0.0",
     .complexity = "O(N) where N is the number of keys to check.", .syntax = "key [key ...]",
     .history = (const char *const[]){"3.0.3", "Accepts multiple `key` arguments.", NULL}},
    {.name = "touch", .arity = -2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = -1, .key_step = 1,
     .fn = touch_command, .combine = COMBINE_SUM, .key_flags = KS_RO, .acl_categories = "keyspace",
     .tips = "request_policy:multi_shard response_policy:agg_sum", .group = "generic",
     .summary = "Alters the last access time of a key(s). Returns the number of existing keys specified.",
     .since = "3.2.1", .complexity = "O(N) where N is the number of keys that will be touched.",
     .syntax = "key [key ...]"},
    {.name = "type", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = type_command, .key_flags = KS_RO, .acl_categories = "keyspace", .group = "generic",
     .summary = "Determine the type stored at key", .since = "1.0.0", .complexity = "O(1)", .syntax = "key"},
    {.name = "rename", .arity = 3, .flags = CMD_WRITE, .first_key = 1, .last_key = 2, .key_step = 1,
     .fn = rename_command,
     .key_specs = (const struct cmd_key_spec[]){
         {.flags = KS_RW | KS_ACCESS | KS_DELETE, .begin = KS_BEGIN_INDEX, .index = 1,
          .find = KS_FIND_RANGE, .lastkey = 0, .keystep = 1},
         {.flags = KS_OW | KS_UPDATE, .begin = KS_BEGIN_INDEX, .index = 2,
          .find = KS_FIND_RANGE, .lastkey = 0, .keystep = 1},
         {0}},
     .acl_categories = "keyspace", .group = "generic", .summary = "Rename a key", .since = "1.0.0",
     .complexity = "O(1)", .syntax = "key newkey:key"},
    {.name = "renamenx", .arity = 3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 2, .key_step = 1,
     .fn = renamenx_command,
     .key_specs = (const struct cmd_key_spec[]){
         {.flags = KS_RW | KS_ACCESS | KS_DELETE, .begin = KS_BEGIN_INDEX, .index = 1,
          .find = KS_FIND_RANGE, .lastkey = 0, .keystep = 1},
         {.flags = KS_OW | KS_INSERT, .begin = KS_BEGIN_INDEX, .index = 2,
          .find = KS_FIND_RANGE, .lastkey = 0, .keystep = 1},
         {0}},
     .acl_categories = "keyspace", .group = "generic", .summary = "Rename a key, only if the new key does not exist",
     .since = "1.0.0", .complexity = "O(1)", .syntax = "key newkey:key",
     .history = (const char *const[]){
         "3.2.0", "The command no longer returns an error when source and destination names are the same.",
         NULL}},
    {.name = "copy", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 2, .key_step = 1,
     .fn = copy_command, .key_db = copy_key_db,
     .key_specs = (const struct cmd_key_spec[]){
         {.flags = KS_RO | KS_ACCESS, .begin = KS_BEGIN_INDEX, .index = 1,
          .find = KS_FIND_RANGE, .lastkey = 0, .keystep = 1},
         {.flags = KS_OW | KS_UPDATE, .begin = KS_BEGIN_INDEX, .index = 2,
          .find = KS_FIND_RANGE, .lastkey = 0, .keystep = 1},
         {0}},
     .acl_categories = "keyspace", .group = "generic", .summary = "Copy a key", .since = "6.2.0",
     .complexity =
         "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
     .syntax = "source:key destination:key [DB destination-db:integer] [REPLACE]"},
    {.name = "move", .arity = 3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = move_command, .key_flags = KS_RW | KS_ACCESS | KS_UPDATE, .acl_categories = "keyspace",
     .group = "generic", .summary = "Move a key to another database", .since = "1.0.0", .complexity = "O(1)",
     .syntax = "key db:integer"},
    {.name = "swapdb", .arity = 3, .flags = CMD_WRITE | CMD_FAST | CMD_ALL_SHARDS | CMD_ALL_DBS, .first_key = 0, .last_key = 0,
     .key_step = 0, .fn = swapdb_command, .combine = COMBINE_OK, .acl_categories = "keyspace dangerous",
     .group = "server", .summary = "Swaps two Redis databases", .since = "4.0.0",
     .complexity = "O(N) where N is the count of clients watching or blocking on keys from both databases.",
     .syntax = "index1:integer index2:integer"},
    {.name = "keys", .arity = 2, .flags = CMD_READONLY | CMD_ALL_SHARDS, .first_key = 0, .last_key = 0,
     .key_step = 0, .fn = keys_command, .combine = COMBINE_CONCAT, .acl_categories = "keyspace dangerous",
     .tips = "request_policy:all_shards nondeterministic_output_order", .group = "generic",
     .summary = "Find all keys matching the given pattern", .since = "1.0.0",
     .complexity =
         "O(N) with N being the number of keys in the database, under the assumption that the key names in "
         "the database and the given pattern have limited length.",
     .syntax = "pattern"},
    {.name = "scan", .arity = -2, .flags = CMD_READONLY, .first_key = 0, .last_key = 0, .key_step = 0,
     .fn = scan_command, .route = scan_route, .acl_categories = "keyspace",
     .tips = "nondeterministic_output request_policy:special", .group = "generic",
     .summary = "Incrementally iterate the keys space", .since = "2.8.0",
     .complexity =
         "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor "
         "to return back to 0. N is the number of elements inside the collection.",
     .syntax = "cursor:integer [MATCH pattern] [COUNT count:integer] [TYPE type]@6.0.0",
     .history = (const char *const[]){"6.0.0", "Added the `TYPE` subcommand.", NULL}},
    {.name = "randomkey", .arity = 1, .flags = CMD_READONLY | CMD_ALL_SHARDS, .first_key = 0, .last_key = 0,
     .key_step = 0, .fn = randomkey_command, .combine = COMBINE_CUSTOM, .combine_fn = randomkey_combine,
     .acl_categories = "keyspace", .tips = "request_policy:all_shards nondeterministic_output", .group = "generic",
     .summary = "Return a random key from the keyspace", .since = "1.0.0", .complexity = "O(1)"},
    {.name = "object", .arity = -2, .flags = 0, .first_key = 0, .last_key = 0, .key_step = 0,
     .subcommands = object_subcommands, .group = "generic",
     .summary = "A container for object introspection commands", .since = "2.2.3",
     .complexity = "Depends on subcommand."},
    {0},
};
