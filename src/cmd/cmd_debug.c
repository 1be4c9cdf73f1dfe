/* cmd_debug.c — DEBUG, as Redis 7.0's debug.c: the subcommands its test
 * suite leans on (SLEEP, SET-ACTIVE-EXPIRE, OBJECT, RELOAD, DIGEST,
 * DIGEST-VALUE, PROTOCOL, ...). Redis lists DEBUG as one command without
 * subcommands, so COMMAND shows it so; where a call runs is picked from
 * its arguments (debug_variant, commands.h's cmd_variant_fn): OBJECT and
 * the other one-key subcommands on their key's shard, DIGEST-VALUE split
 * by key, DIGEST, SET-ACTIVE-EXPIRE and POPULATE on every shard, RELOAD with its
 * client, the rest on the client's shard. DEBUG SLEEP therefore stops
 * only the client's shard (Redis stops its one thread): clients of other
 * shards are served meanwhile unless their commands need that shard.
 * The server admits DEBUG only as enable-debug-command allows (dispatch.c,
 * CMD_PROTECTED). Handlers run on the shard the dispatcher picked.
 */
#include "ringkv/base/alloc.h"
#include "ringkv/base/config.h"
#include "ringkv/base/glob.h"
#include "ringkv/base/log.h"
#include "ringkv/base/random.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/host.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/data/hashval.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/data/listval.h"
#include "ringkv/data/object.h"
#include "ringkv/data/quicklist.h"
#include "ringkv/data/set.h"
#include "ringkv/data/stream.h"
#include "ringkv/data/zset.h"
#include "ringkv/persist/rdb.h"
#include "ringkv/script/sha1.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEBUG_FLAGS (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_PROTECTED)

static void subcommand_error(struct cmd_ctx *c, const struct cmd_args *a)
{
    int n = a->len[1] < 128 ? (int)a->len[1] : 128;
    reply_errorf(c->r, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try DEBUG HELP.", n,
                 a->argv[1]);
}

/* An argument as a C string (arguments are not NUL-terminated). */
static const char *arg_cstr(const struct cmd_args *a, int i, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.*s", (int)a->len[i], a->argv[i]);
    return buf;
}

/* ---- digests (debug.c's xorDigest, mixDigest, xorObjectDigest) ----------- */

/* digest ^= SHA1(p): order-independent. */
static void xor_digest(unsigned char *digest, const void *p, size_t len)
{
    uint8_t hash[20];
    sha1(p, len, hash);
    for (int j = 0; j < 20; j++) digest[j] ^= hash[j];
}

/* digest = SHA1(digest ^ SHA1(p)): order matters. */
static void mix_digest(unsigned char *digest, const void *p, size_t len)
{
    uint8_t out[20];
    xor_digest(digest, p, len);
    sha1(digest, 20, out);
    memcpy(digest, out, 20);
}

/* A listpack-style value: its bytes, or its integer in decimal. */
static void mix_value(unsigned char *digest, const unsigned char *str, size_t len, long long ll)
{
    char buf[RK_LONG_STR_SIZE];
    if (str) mix_digest(digest, str, len);
    else mix_digest(digest, buf, ll2string(buf, ll));
}

static void hash_field_digest(const lp_value *field, const lp_value *value, void *arg)
{
    unsigned char ele[20] = {0};
    mix_value(ele, field->str, field->len, field->ll);
    mix_value(ele, value->str, value->len, value->ll);
    xor_digest(arg, ele, 20);
}

static void value_digest(unsigned char *digest, struct kv *kv)
{
    uint32_t aux = htonl((uint32_t)kv->type);
    mix_digest(digest, &aux, sizeof aux);
    char buf[128];
    switch (kv->type) {
    case OBJ_STRING: {
        size_t len;
        const char *s = kv_string(kv, buf, &len);
        mix_digest(digest, s, len);
        break;
    }
    case OBJ_LIST: {
        struct listval_iter it;
        listval_entry e;
        if (listval_iter_init(&it, kv, LISTVAL_HEAD, 0))
            while (listval_next(&it, &e)) mix_value(digest, e.str, e.len, e.ll);
        break;
    }
    case OBJ_SET: {
        struct set_iter it;
        struct set_elem e;
        set_iter_init(&it, kv);
        while (set_iter_next(&it, &e)) {
            if (e.str) xor_digest(digest, e.str, e.len);
            else xor_digest(digest, buf, ll2string(buf, e.ll));
        }
        set_iter_done(&it);
        break;
    }
    case OBJ_ZSET: {
        struct zset_iter it;
        struct zset_elem e;
        zset_iter_rank(&it, kv, 0, false);
        while (zset_iter_next(&it, &e)) {
            unsigned char ele[20] = {0};
            mix_value(ele, (const unsigned char *)e.str, e.len, e.ll);
            int n = snprintf(buf, sizeof buf, "%.17g", e.score);
            mix_digest(ele, buf, (size_t)n);
            xor_digest(digest, ele, 20);
        }
        break;
    }
    case OBJ_HASH: hashval_foreach(kv, hash_field_digest, digest); break;
    case OBJ_STREAM: {
        struct stream_iter it;
        struct stream_id min = {0, 0}, max = {UINT64_MAX, UINT64_MAX}, id;
        int64_t nfields;
        stream_iter_init(&it, kv->v.ptr, &min, &max, false);
        while (stream_iter_next(&it, &id, &nfields)) {
            int n = snprintf(buf, sizeof buf, "%llu.%llu", (unsigned long long)id.ms, (unsigned long long)id.seq);
            mix_digest(digest, buf, (size_t)n);
            while (nfields--) {
                lp_value f, v;
                stream_iter_field(&it, &f, &v);
                mix_value(digest, f.str, f.len, f.ll);
                mix_value(digest, v.str, v.len, v.ll);
            }
        }
        break;
    }
    }
    if (kv->expires) xor_digest(digest, "!!expire!!", 10);
}

static void digest_hex(const unsigned char *digest, char *out)
{
    for (int i = 0; i < 20; i++) snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* DEBUG DIGEST-VALUE key...: split by key shard (COMBINE_KEYED). Expired
 * keys not yet removed count, as in Redis. */
static void digest_value_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_array(c->r, a->argc - 2);
    for (int i = 2; i < a->argc; i++) {
        unsigned char digest[20] = {0};
        char hex[41];
        struct kv *kv = db_peek(c->db, a->argv[i], a->len[i]);
        if (kv) value_digest(digest, kv);
        digest_hex(digest, hex);
        reply_status(c->r, hex);
    }
}

struct db_digest {
    unsigned char digest[20];
};

static void key_digest(struct dict_node *n, void *arg)
{
    struct kv *kv = kv_of(n);
    unsigned char digest[20] = {0};
    mix_digest(digest, kv_key(kv), kv->keylen);
    value_digest(digest, kv);
    xor_digest(((struct db_digest *)arg)->digest, digest, 20);
}

/* DEBUG DIGEST's part on one shard: per database, "-" when this shard
 * has no key there, else the XOR of its keys' digests, in hex. */
static void digest_part(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct obuf line;
    obuf_init(&line);
    for (int i = 0; i < c->ks->ndbs; i++) {
        struct db *db = ks_db(c->ks, i);
        if (i) obuf_append(&line, " ", 1);
        if (db_size(db) == 0) {
            obuf_append(&line, "-", 1);
            continue;
        }
        struct db_digest d = {{0}};
        dict_foreach(&db->keys, key_digest, &d);
        char hex[41];
        digest_hex(d.digest, hex);
        obuf_append(&line, hex, 40);
    }
    obuf_append(&line, "", 1);
    reply_status(c->r, line.data);
    obuf_free(&line);
}

static bool hex_digest(const char *p, unsigned char *out)
{
    for (int i = 0; i < 20; i++) {
        unsigned v;
        if (sscanf(p + 2 * i, "%2x", &v) != 1) return false;
        out[i] = (unsigned char)v;
    }
    return true;
}

/* computeDatasetDigest over every shard: a database's keys are XORed, so
 * each shard's XOR of its own keys combines by XOR; the databases are
 * mixed in order (each non-empty one mixes its number in first). */
static void digest_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens,
                           int nparts)
{
    unsigned char final[20] = {0};
    const char *pos[MAX_SHARDS];
    for (int p = 0; p < nparts; p++) {
        if (lens[p] == 0 || parts[p][0] != '+') {
            reply_raw(r, parts[p], lens[p]); /* a part's error */
            return;
        }
        pos[p] = parts[p] + 1;
    }
    for (uint32_t db = 0;; db++) {
        unsigned char xor[20] = {0};
        bool any = false, more = false;
        for (int p = 0; p < nparts; p++) {
            const char *q = pos[p];
            if (*q == '\r') continue;
            more = true;
            unsigned char d[20];
            if (*q != '-' && hex_digest(q, d)) {
                any = true;
                for (int j = 0; j < 20; j++) xor[j] ^= d[j];
            }
            while (*q != ' ' && *q != '\r') q++;
            if (*q == ' ') q++;
            pos[p] = q;
        }
        if (!more) break;
        if (!any) continue;
        uint32_t aux = htonl(db);
        mix_digest(final, &aux, sizeof aux);
        for (int j = 0; j < 20; j++) final[j] ^= xor[j];
    }
    char hex[41];
    digest_hex(final, hex);
    reply_status(r, hex);
}

/* ---- one key: OBJECT, LISTPACK, QUICKLIST ------------------------------- */

static void key_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = db_peek(c->db, a->argv[2], a->len[2]);
    if (!kv) {
        reply_error(c->r, "ERR no such key");
        return;
    }
    if (arg_is(a, 1, "listpack")) {
        if (kv->enc != ENC_LISTPACK) {
            reply_error(c->r, "ERR Not a listpack encoded object.");
            return;
        }
        log_notice("DEBUG LISTPACK: key '%.*s', %s, %zu bytes", (int)a->len[2], a->argv[2], obj_type_name(kv->type),
                   lp_bytes(kv->v.ptr));
        reply_status(c->r, "Listpack structure printed on stdout");
        return;
    }
    if (arg_is(a, 1, "quicklist")) {
        if (kv->enc != ENC_QUICKLIST) {
            reply_error(c->r, "ERR Not a quicklist encoded object.");
            return;
        }
        const quicklist *ql = kv->v.ptr;
        log_notice("DEBUG QUICKLIST: key '%.*s', {count : %zu} {len : %zu} {fill : %d}", (int)a->len[2], a->argv[2],
                   ql->count, ql->len, ql->fill);
        int i = 0;
        for (const quicklist_node *n = ql->head; n; n = n->next, i++)
            log_notice("DEBUG QUICKLIST: node %d {container : PACKED, recompress: 0} {count : %u} {sz : %u}", i,
                       n->count, n->sz);
        reply_status(c->r, "Quicklist structure printed on stdout");
        return;
    }
    /* OBJECT */
    char extra[160] = "";
    if (kv->type == OBJ_LIST && kv->enc == ENC_LISTPACK) {
        /* Redis 7.0 keeps every list as a quicklist: a small one is one node. */
        size_t count = listval_len(kv), sz = lp_bytes(kv->v.ptr);
        snprintf(extra, sizeof extra,
                 " ql_nodes:1 ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:0 ql_uncompressed_size:%zu",
                 (double)count, (int)c->cfg->list_max_listpack_size, sz);
    } else if (kv->enc == ENC_QUICKLIST) {
        const quicklist *ql = kv->v.ptr;
        unsigned long sz = 0;
        for (const quicklist_node *n = ql->head; n; n = n->next) sz += n->sz;
        snprintf(extra, sizeof extra,
                 " ql_nodes:%lu ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:%d ql_uncompressed_size:%lu",
                 (unsigned long)ql->len, ql->len ? (double)ql->count / (double)ql->len : 0.0, ql->fill, 0, sz);
    }
    struct rdb_buf b = {0};
    rdb_put_value(&b, kv, c->cfg->rdb_compression);
    bool shared = kv->type == OBJ_STRING && kv->enc == ENC_INT && kv->v.i >= 0 && kv->v.i < 10000;
    char line[512];
    snprintf(line, sizeof line,
             "Value at:%p refcount:%d encoding:%s serializedlength:%zu lru:%u lru_seconds_idle:%lld%s", (void *)kv,
             shared ? INT_MAX : 1, kv_encoding_name(kv), b.len, (unsigned)kv->lru, kv_idle_seconds(kv), extra);
    rdb_buf_free(&b);
    reply_status(c->r, line);
}

/* ---- every shard: SET-ACTIVE-EXPIRE -------------------------------------- */

static void set_active_expire_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    char buf[32];
    c->ks->active_expire_off = atoi(arg_cstr(a, 2, buf, sizeof buf)) == 0;
    reply_ok(c->r);
}

/* ---- every shard: POPULATE -------------------------------------------------- */

/* POPULATE count [prefix] [size]: each shard makes the keys prefix:0 ..
 * prefix:count-1 it owns, skipping those that exist, with the values
 * Redis makes ("value:N", or that zero-padded or cut to size bytes). */
static void populate_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long count, size = 0;
    if (!tc_positive_ll_or_reply(c, a->argv[2], a->len[2], NULL, &count)) return;
    if (a->argc == 5 && !tc_positive_ll_or_reply(c, a->argv[4], a->len[4], NULL, &size)) return;
    char prefix[64];
    const char *pre = a->argc >= 4 ? arg_cstr(a, 3, prefix, sizeof prefix) : "key";
    char *value = size ? rk_calloc(1, (size_t)size) : NULL;
    for (long long j = 0; j < count; j++) {
        char key[128], val[64];
        int klen = snprintf(key, sizeof key, "%s:%lld", pre, j);
        if (klen >= (int)sizeof key) klen = (int)sizeof key - 1; /* as Redis's 128-byte buffer cuts it */
        if (slot_home(key_hash_slot(key, (size_t)klen), c->nshards) != c->shard_index) continue;
        if (db_lookup_write(c->db, key, (size_t)klen)) continue;
        size_t vlen = (size_t)snprintf(val, sizeof val, "value:%lld", j);
        if (!size) {
            db_add(c->db, kv_new_string(key, (size_t)klen, val, vlen));
            continue;
        }
        memcpy(value, val, vlen < (size_t)size ? vlen : (size_t)size);
        db_add(c->db, kv_new_string(key, (size_t)klen, value, (size_t)size));
        memset(value, 0, vlen < (size_t)size ? vlen : (size_t)size);
    }
    rk_free(value);
    reply_ok(c->r);
}

/* ---- with the client: RELOAD ---------------------------------------------- */

static void reload_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    unsigned flags = 0;
    for (int i = 2; i < a->argc; i++) {
        if (arg_is(a, i, "merge")) flags |= HOST_RELOAD_MERGE;
        else if (arg_is(a, i, "noflush")) flags |= HOST_RELOAD_NOFLUSH;
        else if (arg_is(a, i, "nosave")) flags |= HOST_RELOAD_NOSAVE;
        else {
            reply_error(c->r, "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
            return;
        }
    }
    host_debug_reload(c->host, flags, client_defer_reply(c->client));
}

/* ---- on the client's shard ------------------------------------------------ */

static void protocol_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct reply *r = c->r;
    if (arg_is(a, 2, "string")) {
        reply_bulk_cstr(r, "Hello World");
    } else if (arg_is(a, 2, "integer")) {
        reply_int(r, 12345);
    } else if (arg_is(a, 2, "double")) {
        if (r->resp >= 3) reply_raw(r, ",3.141\r\n", 8);
        else reply_bulk_cstr(r, "3.141");
    } else if (arg_is(a, 2, "bignum")) {
        static const char big[] = "1234567999999999999999999999999999999";
        if (r->resp >= 3) {
            reply_raw(r, "(", 1);
            reply_raw(r, big, sizeof big - 1);
            reply_raw(r, "\r\n", 2);
        } else {
            reply_bulk_cstr(r, big);
        }
    } else if (arg_is(a, 2, "null")) {
        reply_null(r);
    } else if (arg_is(a, 2, "array") || arg_is(a, 2, "set")) {
        if (arg_is(a, 2, "set")) reply_set(r, 3);
        else reply_array(r, 3);
        for (int j = 0; j < 3; j++) reply_int(r, j);
    } else if (arg_is(a, 2, "map")) {
        reply_map(r, 3);
        for (int j = 0; j < 3; j++) {
            reply_int(r, j);
            reply_bool(r, j == 1);
        }
    } else if (arg_is(a, 2, "attrib")) {
        if (r->resp >= 3) {
            reply_raw(r, "|1\r\n", 4);
            reply_bulk_cstr(r, "key-popularity");
            reply_array(r, 2);
            reply_bulk_cstr(r, "key:123");
            reply_int(r, 90);
        }
        reply_bulk_cstr(r, "Some real reply following the attribute");
    } else if (arg_is(a, 2, "push")) {
        if (r->resp < 3) {
            reply_error(r, "ERR RESP2 is not supported by this command");
            return;
        }
        reply_push(r, 2);
        reply_bulk_cstr(r, "server-cpu-usage");
        reply_int(r, 42);
        reply_bulk_cstr(r, "Some real reply following the push reply");
    } else if (arg_is(a, 2, "true")) {
        reply_bool(r, true);
    } else if (arg_is(a, 2, "false")) {
        reply_bool(r, false);
    } else if (arg_is(a, 2, "verbatim")) {
        reply_verbatim(r, "This is a verbatim\nstring", 25, "txt");
    } else {
        reply_error(r, "ERR Wrong protocol type name. Please use one of the following: "
                       "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
    }
}

/* Stops this shard's loop, as Redis's stops its one thread. */
static void sleep_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    char buf[64];
    double dtime = strtod(arg_cstr(a, 2, buf, sizeof buf), NULL);
    long long utime = (long long)(dtime * 1000000);
    if (utime > 0) {
        struct timespec tv = {.tv_sec = utime / 1000000, .tv_nsec = (utime % 1000000) * 1000};
        nanosleep(&tv, NULL);
    }
    reply_ok(c->r);
}

/* ringkv's quicklist keeps every element in a listpack node (no plain
 * nodes): the threshold is checked as Redis checks it, and has no effect. */
static void packed_threshold_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    char buf[64];
    long long sz;
    if (!config_parse_memory(arg_cstr(a, 2, buf, sizeof buf), &sz) || sz < 0 || sz > (1LL << 32) - (1 << 20))
        reply_error(c->r, "ERR argument must be a memory value bigger than 1 and smaller than 4gb");
    else reply_ok(c->r);
}

/* Redis's stringmatchlen_fuzz_test: random patterns against random
 * strings, only checking that matching survives them. */
static void stringmatch_test_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    char str[32], pat[32];
    for (int i = 0; i < 200000; i++) {
        size_t slen = rk_random_below(sizeof str), plen = rk_random_below(sizeof pat);
        for (size_t j = 0; j < slen; j++) str[j] = (char)(rk_random_below(256));
        for (size_t j = 0; j < plen; j++) pat[j] = (char)(rk_random_below(256));
        glob_match(pat, plen, str, slen, false);
        glob_match(pat, plen, str, slen, true);
    }
    reply_status(c->r, "Apparently Redis did not crash: test passed");
}

static void help_command(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "AOF-FLUSH-SLEEP <microsec>",
        "    Server will sleep before flushing the AOF, this is used for testing.",
        "ASSERT",
        "    Crash by assertion failed.",
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "CONFIG-REWRITE-FORCE-ALL",
        "    Like CONFIG REWRITE but writes all configuration options, including",
        "    keywords not listed in original configuration file or default values.",
        "CRASH-AND-RECOVER [<milliseconds>]",
        "    Hard crash and restart after a <milliseconds> delay (default 0).",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LEAK <string>",
        "    Create a memory leak of the input string.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "HTSTATS <dbid>",
        "    Return hash table statistics of the specified Redis database.",
        "HTSTATS-KEY <key>",
        "    Like HTSTATS but for the hash table stored at <key>'s value.",
        "LOADAOF",
        "    Flush the AOF buffers on disk and reload the AOF in memory.",
        "REPLICATE <string>",
        "    Replicates the provided string to replicas, allowing data divergence.",
        "MALLCTL <key> [<val>]",
        "    Get or set a malloc tuning integer.",
        "MALLCTL-STR <key> [<val>]",
        "    Get or set a malloc tuning string.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "DROP-CLUSTER-PACKET-FILTER <packet-type>",
        "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
        "OOM",
        "    Crash the server simulating an out-of-memory error.",
        "PANIC",
        "    Crash the server simulating a panic.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB.",
        "    * NOFLUSH: the existing database will not be removed before load, but",
        "      conflicting keys will generate an exception and kill the server.",
        "    * NOSAVE: the database will be loaded from an existing RDB file.",
        "    Examples:",
        "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
        "      the database.",
        "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
        "      existing RDB file.",
        "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
        "      file to the database.",
        "RESTART [<milliseconds>]",
        "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
        "SDSLEN <key>",
        "    Show low level SDS string info representing `key` and value.",
        "SEGFAULT",
        "    Crash the server with sigsegv.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Sets the threshold for elements to be inserted as plain vs packed nodes",
        "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
        "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
        "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "STRINGMATCH-TEST",
        "    Run a fuzz tester against the stringmatchlen() function.",
        "STRUCTSIZE",
        "    Return the size of different Redis core C structures.",
        "LISTPACK <key>",
        "    Show low level info about the listpack encoding of <key>.",
        "QUICKLIST <key> [<0|1>]",
        "    Show low level info about the quicklist encoding of <key>.",
        "    The optional argument (0 by default) sets the level of detail",
        "CLIENT-EVICTION",
        "    Show low level client eviction pools info (maxmemory-clients).",
        "PAUSE-CRON <0|1>",
        "    Stop periodic cron job processing.",
        "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
        "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
        "    In case NEVER is provided the last observed peak will never be reset",
        "    In case RESET is provided the peak reset time will be restored to the default value",
        "REPLYBUFFER RESIZING <0|1>",
        "    Enable or disable the reply buffer resize cron job",
        "CLUSTERLINK KILL <to|from|all> <node-id>",
        "    Kills the link based on the direction to/from (both) with the provided node.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

static void debug_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc == 2 && arg_is(a, 1, "help")) {
        help_command(c);
    } else if (a->argc == 3 && arg_is(a, 1, "log")) {
        log_warn("DEBUG LOG: %.*s", (int)a->len[2], a->argv[2]);
        reply_ok(c->r);
    } else if (a->argc == 3 && arg_is(a, 1, "protocol")) {
        protocol_command(c, a);
    } else if (a->argc == 3 && arg_is(a, 1, "sleep")) {
        sleep_command(c, a);
    } else if (a->argc == 3 && arg_is(a, 1, "quicklist-packed-threshold")) {
        packed_threshold_command(c, a);
    } else if (a->argc == 2 && arg_is(a, 1, "stringmatch-test")) {
        stringmatch_test_command(c, a);
    } else if (a->argc == 2 && arg_is(a, 1, "change-repl-id")) {
        /* no replication: nothing to change */
        log_warn("Changing replication IDs after receiving DEBUG change-repl-id");
        reply_ok(c->r);
    } else if (a->argc == 3 && arg_is(a, 1, "error")) {
        char msg[1024];
        int n = snprintf(msg, sizeof msg, "%.*s", (int)a->len[2], a->argv[2]);
        if (n >= (int)sizeof msg) n = (int)sizeof msg - 1;
        for (int i = 0; i < n; i++)
            if (msg[i] == '\r' || msg[i] == '\n') msg[i] = ' ';
        reply_error_len(c->r, msg, (size_t)n);
    } else {
        subcommand_error(c, a);
    }
}

/* The entries debug_variant hands out: the command's facts, with their
 * own routing. */
static const struct cmd_def debug_variants[] = {
#define V_KEY 0
    {.name = "debug", .arity = -2, .flags = DEBUG_FLAGS, .first_key = 2, .last_key = 2, .key_step = 1,
     .fn = key_command},
#define V_DIGEST_VALUE 1
    {.name = "debug", .arity = -2, .flags = DEBUG_FLAGS, .first_key = 2, .last_key = -1, .key_step = 1,
     .fn = digest_value_command, .combine = COMBINE_KEYED},
#define V_DIGEST 2
    {.name = "debug", .arity = -2, .flags = DEBUG_FLAGS | CMD_ALL_SHARDS | CMD_ALL_DBS, .fn = digest_part,
     .combine = COMBINE_CUSTOM, .combine_fn = digest_combine},
#define V_ACTIVE_EXPIRE 3
    {.name = "debug", .arity = -2, .flags = DEBUG_FLAGS | CMD_ALL_SHARDS, .fn = set_active_expire_command,
     .combine = COMBINE_OK},
#define V_RELOAD 4
    {.name = "debug", .arity = -2, .flags = DEBUG_FLAGS | CMD_CONN, .fn = reload_command},
#define V_POPULATE 5
    {.name = "debug", .arity = -2, .flags = DEBUG_FLAGS | CMD_WRITE | CMD_ALL_SHARDS, .fn = populate_command,
     .combine = COMBINE_OK},
    {0},
};

static const struct cmd_def *debug_variant(const struct cmd_args *a)
{
    if ((a->argc == 3 && (arg_is(a, 1, "object") || arg_is(a, 1, "listpack"))) ||
        ((a->argc == 3 || a->argc == 4) && arg_is(a, 1, "quicklist")))
        return &debug_variants[V_KEY];
    if (arg_is(a, 1, "digest-value")) return &debug_variants[V_DIGEST_VALUE];
    if (a->argc == 2 && arg_is(a, 1, "digest")) return &debug_variants[V_DIGEST];
    if (a->argc == 3 && arg_is(a, 1, "set-active-expire")) return &debug_variants[V_ACTIVE_EXPIRE];
    if (arg_is(a, 1, "reload")) return &debug_variants[V_RELOAD];
    if (a->argc >= 3 && a->argc <= 5 && arg_is(a, 1, "populate")) return &debug_variants[V_POPULATE];
    return &debug_commands[0];
}

const struct cmd_def debug_commands[] = {
    {.name = "debug", .arity = -2, .flags = DEBUG_FLAGS, .fn = debug_command, .variant = debug_variant,
     .variants = debug_variants, .group = "server", .summary = "A container for debugging commands",
     .since = "1.0.0", .complexity = "Depends on subcommand.", .syscmd = true},
    {0},
};
