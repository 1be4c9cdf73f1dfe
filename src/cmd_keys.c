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
#include "ringkv/commands.h"
#include "ringkv/db.h"
#include "ringkv/glob.h"
#include "ringkv/object.h"
#include "ringkv/alloc.h"
#include "ringkv/random.h"
#include "ringkv/resp.h"
#include "ringkv/shard.h"
#include "ringkv/typecmd.h"
#include "ringkv/util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ERR_SAMEOBJ "ERR source and destination objects are the same"

static void del_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long n = 0;
    for (int i = 1; i < a->argc; i++) n += db_delete(c->db, a->argv[i], a->len[i]);
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
        if (nx) reply_int(c->r, 0);
        else reply_ok(c->r);
        return;
    }
    if (db_lookup_write(c->db, a->argv[2], a->len[2])) {
        if (nx) {
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
    if (!string2ll(a->argv[i], a->len[i], &id) || id < INT_MIN || id > INT_MAX) {
        reply_error(c->r, RK_ERR_NOT_INT);
        return NULL;
    }
    if (id < 0 || id >= c->shard->cfg.databases) {
        reply_error(c->r, RK_ERR_DB_RANGE);
        return NULL;
    }
    return shard_db(c->shard, (int)id);
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
    reply_int(c->r, 1);
}

/* Runs on every shard, each swapping its slice of the two databases. */
static void swapdb_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const errs[] = {"ERR invalid first DB index", "ERR invalid second DB index"};
    long long id[2];
    for (int i = 0; i < 2; i++) {
        if (!string2ll(a->argv[1 + i], a->len[1 + i], &id[i]) || id[i] < INT_MIN || id[i] > INT_MAX) {
            reply_error(c->r, errs[i]);
            return;
        }
    }
    int n = c->shard->cfg.databases;
    if (id[0] < 0 || id[0] >= n || id[1] < 0 || id[1] >= n) {
        reply_error(c->r, RK_ERR_DB_RANGE);
        return;
    }
    if (id[0] != id[1]) db_swap(shard_db(c->shard, (int)id[0]), shard_db(c->shard, (int)id[1]));
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
    if (o->pat && !glob_match(o->pat, o->plen, kv->key, kv->keylen, false)) return false;
    if (db_is_expired(db, kv, now)) {
        db_delete_kv(db, kv);
        db->stats->expired_keys++;
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
    unsigned nshards = c->shard->srv->nshards, shard = (unsigned)(cursor % nshards);
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
    for (long long i = 0; i < kept; i++) reply_bulk(c->r, st.items[i]->key, st.items[i]->keylen);
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
    if (kv) reply_bulk(c->r, kv->key, kv->keylen);
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

static void object_idletime_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = object_lookup(c, a);
    if (kv) reply_int(c->r, kv_idle_seconds(kv));
}

/* ringkv tracks LRU only (its policy is noeviction), as Redis does then. */
static void object_freq_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (object_lookup(c, a))
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
    reply_array(c->r, RK_ARRAY_LEN(lines));
    for (size_t i = 0; i < RK_ARRAY_LEN(lines); i++) reply_status(c->r, lines[i]);
}

#define OBJSUB(name_, fn_, summary_, since_)                                                                  \
    {.name = "object|" name_, .arity = 3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1, \
     .fn = fn_, .group = "generic", .summary = summary_, .since = since_, .acl_categories = "keyspace read slow"}

static const struct cmd_def object_subcommands[] = {
    OBJSUB("encoding", object_encoding_command, "Returns the internal encoding of a Redis object.", "2.2.3"),
    OBJSUB("refcount", object_refcount_command, "Returns the reference count of a value of a key.", "2.2.3"),
    OBJSUB("idletime", object_idletime_command, "Returns the time since the last access to a Redis object.", "2.2.3"),
    OBJSUB("freq", object_freq_command, "Returns the logarithmic access frequency counter of a Redis object.", "4.0.0"),
    {.name = "object|help", .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_CONN, .fn = object_help_command,
     .group = "generic", .summary = "Returns helpful text about the different subcommands.", .since = "6.2.0",
     .acl_categories = "keyspace slow"},
    {0},
};

#define MULTIKEY(name_, flags_, fn_, summary_, since_, acl_) \
    {.name = name_, .arity = -2, .flags = flags_, .first_key = 1, .last_key = -1, .key_step = 1, .fn = fn_, \
     .combine = COMBINE_SUM, .group = "generic", .summary = summary_, .since = since_, .acl_categories = acl_}
#define GENERIC(name_, arity_, flags_, fn_, first_, last_, summary_, since_, acl_) \
    {.name = name_, .arity = arity_, .flags = flags_, .first_key = first_, .last_key = last_, .key_step = 1, \
     .fn = fn_, .group = "generic", .summary = summary_, .since = since_, .acl_categories = acl_}

const struct cmd_def keys_commands[] = {
    MULTIKEY("del", CMD_WRITE, del_command, "Deletes one or more keys.", "1.0.0", "keyspace write slow"),
    MULTIKEY("unlink", CMD_WRITE | CMD_FAST, del_command, "Asynchronously deletes one or more keys.", "4.0.0", "keyspace write fast"),
    MULTIKEY("exists", CMD_READONLY | CMD_FAST, exists_command, "Determines whether one or more keys exist.", "1.0.0", "keyspace read fast"),
    MULTIKEY("touch", CMD_READONLY | CMD_FAST, touch_command, "Returns the number of existing keys out of those specified after updating the time they were last accessed.", "3.2.1", "keyspace read fast"),
    GENERIC("type", 2, CMD_READONLY | CMD_FAST, type_command, 1, 1, "Determines the type of value stored at a key.", "1.0.0", "keyspace read fast"),
    GENERIC("rename", 3, CMD_WRITE, rename_command, 1, 2, "Renames a key and overwrites the destination.", "1.0.0", "keyspace write slow"),
    GENERIC("renamenx", 3, CMD_WRITE | CMD_FAST, renamenx_command, 1, 2, "Renames a key only when the target key name doesn't exist.", "1.0.0", "keyspace write fast"),
    {.name = "copy", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 2, .key_step = 1,
     .fn = copy_command, .key_db = copy_key_db, .group = "generic", .summary = "Copies the value of a key to a new key.",
     .since = "6.2.0", .acl_categories = "keyspace write slow"},
    GENERIC("move", 3, CMD_WRITE | CMD_FAST, move_command, 1, 1, "Moves a key to another database.", "1.0.0", "keyspace write fast"),
    {.name = "swapdb", .arity = 3, .flags = CMD_WRITE | CMD_FAST | CMD_ALL_SHARDS, .fn = swapdb_command, .combine = COMBINE_OK,
     .group = "server", .summary = "Swaps two Redis databases.", .since = "4.0.0", .acl_categories = "keyspace write fast dangerous"},
    {.name = "keys", .arity = 2, .flags = CMD_READONLY | CMD_ALL_SHARDS, .fn = keys_command, .combine = COMBINE_CONCAT,
     .group = "generic", .summary = "Returns all key names that match a pattern.", .since = "1.0.0", .acl_categories = "keyspace read slow dangerous"},
    {.name = "scan", .arity = -2, .flags = CMD_READONLY, .fn = scan_command, .route = scan_route,
     .group = "generic", .summary = "Iterates over the key names in the database.", .since = "2.8.0", .acl_categories = "keyspace read slow"},
    {.name = "randomkey", .arity = 1, .flags = CMD_READONLY | CMD_ALL_SHARDS, .fn = randomkey_command,
     .combine = COMBINE_CUSTOM, .combine_fn = randomkey_combine, .group = "generic",
     .summary = "Returns a random key name from the database.", .since = "1.0.0", .acl_categories = "keyspace read slow"},
    {.name = "object", .arity = -2, .subcommands = object_subcommands, .group = "generic",
     .summary = "A container for object introspection commands.", .since = "2.2.3", .acl_categories = "slow"},
    {0},
};
