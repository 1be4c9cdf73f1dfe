/* t_hll.c — the HyperLogLog commands, as Redis 7.0's hyperloglog.c:
 * PFADD, PFCOUNT, PFMERGE and the internal PFSELFTEST and PFDEBUG.
 * An HLL is a string value in Redis's representation (data/hll.h), so
 * these commands read and change string records; a string that is not an
 * HLL answers Redis's own WRONGTYPE text, a corrupt one INVALIDOBJ.
 * PFCOUNT and PFMERGE over keys on several shards are plain single-shard
 * code run by the core's cross-shard path (their key specs say how).
 * Handlers run on the shard owning their keys. */
#include "ringkv/base/alloc.h"
#include "ringkv/base/config.h"
#include "ringkv/base/random.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/cmd/t_string.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/data/db.h"
#include "ringkv/data/hll.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_NOT_HLL "WRONGTYPE Key is not a valid HyperLogLog string value."
#define ERR_CORRUPT "INVALIDOBJ Corrupted HLL object detected"

/* ---- lookups ------------------------------------------------------------ */

static const uint8_t *hll_bytes(const struct kv *kv, char *numbuf, size_t *len)
{
    return (const uint8_t *)kv_string(kv, numbuf, len);
}

/* Redis's isHLLObjectOrReply for a record found: a string holding an HLL,
 * or false after replying WRONGTYPE (either text). */
static bool hll_or_reply(struct cmd_ctx *c, const struct kv *kv)
{
    if (kv->type != OBJ_STRING) {
        reply_error(c->r, RK_ERR_WRONGTYPE);
        return false;
    }
    char nbuf[RK_LONG_STR_SIZE];
    size_t len;
    const uint8_t *s = hll_bytes(kv, nbuf, &len);
    if (kv->enc == ENC_INT || !hll_valid(s, len)) {
        reply_error(c->r, ERR_NOT_HLL);
        return false;
    }
    return true;
}

/* A new empty HLL stored under key, as a raw string (Redis creates it so:
 * OBJECT ENCODING says "raw"). */
static struct kv *hll_store_new(struct cmd_ctx *c, const char *key, size_t klen)
{
    uint8_t empty[HLL_EMPTY_SIZE];
    hll_write_empty(empty);
    struct kv *kv = kv_new_raw(key, klen, (const char *)empty, HLL_EMPTY_SIZE, HLL_EMPTY_SIZE + 8);
    db_add(c->db, kv);
    return kv;
}

/* The record's value as a raw string the HLL functions may change. */
static struct kv *hll_unshare(struct cmd_ctx *c, struct kv *kv) { return string_unshare(c->db, kv, 0); }

static uint8_t *hll_data(struct kv *kv) { return (uint8_t *)kv->v.str->data; }

/* ---- PFADD / PFCOUNT / PFMERGE ------------------------------------------- */

static void pfadd_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = db_lookup_write(c->db, a->argv[1], a->len[1]);
    int updated = 0;
    if (!kv) {
        kv = hll_store_new(c, a->argv[1], a->len[1]);
        updated++;
    } else {
        if (!hll_or_reply(c, kv)) return;
        kv = hll_unshare(c, kv);
    }
    size_t sparse_max = (size_t)c->cfg->hll_sparse_max_bytes;
    for (int j = 2; j < a->argc; j++) {
        int r = hll_add(&kv->v.str, a->argv[j], a->len[j], sparse_max);
        if (r < 0) {
            reply_error(c->r, ERR_CORRUPT);
            return;
        }
        updated += r;
    }
    if (updated) {
        hll_cache_invalidate(hll_data(kv));
        notify_key(c, NOTIFY_STRING, "pfadd", a->argv[1], a->len[1]);
    }
    reply_int(c->r, updated ? 1 : 0);
}

/* Merges the HLL at key (if any) into max; false after replying an error.
 * *dense tells whether it is dense. */
static bool merge_key_or_reply(struct cmd_ctx *c, const char *key, size_t klen, uint8_t *max, bool *dense)
{
    struct kv *kv = db_lookup(c->db, key, klen);
    if (!kv) return true; /* a missing key is an empty HLL */
    if (!hll_or_reply(c, kv)) return false;
    char nbuf[RK_LONG_STR_SIZE];
    size_t len;
    const uint8_t *s = hll_bytes(kv, nbuf, &len);
    if (hll_encoding_of(s) == HLL_DENSE) *dense = true;
    if (!hll_merge(max, s, len)) {
        reply_error(c->r, ERR_CORRUPT);
        return false;
    }
    return true;
}

/* The union's registers of argv[first..], one per byte (caller frees), or
 * NULL after replying an error. */
static uint8_t *merge_keys_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int first, bool *dense)
{
    uint8_t *max = rk_calloc(HLL_REGISTERS, 1);
    *dense = false;
    for (int j = first; j < a->argc; j++) {
        if (!merge_key_or_reply(c, a->argv[j], a->len[j], max, dense)) {
            rk_free(max);
            return NULL;
        }
    }
    return max;
}

/* One key: its cached cardinality, computed and cached when stale. */
static void pfcount_one(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = db_lookup(c->db, a->argv[1], a->len[1]);
    if (!kv) {
        reply_int(c->r, 0);
        return;
    }
    if (!hll_or_reply(c, kv)) return;
    kv = hll_unshare(c, kv);
    uint8_t *s = hll_data(kv);
    uint64_t card;
    if (!hll_cache_get(s, &card)) {
        bool invalid = false;
        card = hll_count(s, kv->v.str->len, &invalid);
        if (invalid) {
            reply_error(c->r, ERR_CORRUPT);
            return;
        }
        hll_cache_set(s, card);
        /* The value changed, though PFCOUNT is no write command: WATCH
         * and the save counter hear of it, as in Redis. */
        db_touch(c->db, a->argv[1], a->len[1]);
    }
    reply_int(c->r, (long long)card);
}

/* Several keys: the cardinality of their union; no key changes. */
static void pfcount_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc == 2) {
        pfcount_one(c, a);
        return;
    }
    bool dense;
    uint8_t *max = merge_keys_or_reply(c, a, 1, &dense);
    if (!max) return;
    reply_int(c->r, (long long)hll_count_registers(max));
    rk_free(max);
}

/* The destination counts among the sources (PFMERGE dst with no source
 * makes dst exist). It turns dense when any input was dense. */
static void pfmerge_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool dense;
    uint8_t *max = merge_keys_or_reply(c, a, 1, &dense);
    if (!max) return;
    struct kv *kv = db_lookup_write(c->db, a->argv[1], a->len[1]);
    kv = kv ? hll_unshare(c, kv) : hll_store_new(c, a->argv[1], a->len[1]);
    if (dense && !hll_to_dense(&kv->v.str)) {
        reply_error(c->r, ERR_CORRUPT);
        rk_free(max);
        return;
    }
    size_t sparse_max = (size_t)c->cfg->hll_sparse_max_bytes;
    for (long j = 0; j < HLL_REGISTERS; j++)
        if (max[j]) hll_set(&kv->v.str, j, max[j], sparse_max); /* the target was read whole: valid */
    hll_cache_invalidate(hll_data(kv));
    rk_free(max);
    /* As Redis: the target counts as modified even when the merge left it
     * as it was (its watchers hear of it). */
    db_signal_modified(c->db, a->argv[1], a->len[1]);
    notify_key(c, NOTIFY_STRING, "pfadd", a->argv[1], a->len[1]); /* as Redis: a mass PFADD */
    reply_ok(c->r);
}

/* ---- PFSELFTEST --------------------------------------------------------- */

/* Registers set at random read back the same, and neighbours keep theirs. */
static bool selftest_registers(struct cmd_ctx *c, uint8_t *regs, uint8_t *expect)
{
    for (int round = 0; round < 1000; round++) {
        for (long i = 0; i < HLL_REGISTERS; i++) {
            expect[i] = (uint8_t)(rk_random64() & HLL_REGISTER_MAX);
            hll_dense_set(regs, i, expect[i]);
        }
        for (long i = 0; i < HLL_REGISTERS; i++) {
            unsigned v = hll_dense_get(regs, i);
            if (v != expect[i]) {
                reply_errorf(c->r, "TESTFAILED Register %ld should be %d but is %u", i, expect[i], v);
                return false;
            }
        }
    }
    return true;
}

/* Counts of up to 10^7 distinct elements stay within six standard errors,
 * the sparse and dense forms agree, and small HLLs stay sparse. */
static bool selftest_error(struct cmd_ctx *c, struct rstr **dense, struct rstr **sparse)
{
    double relerr = 1.04 / sqrt(HLL_REGISTERS);
    uint64_t seed = rk_random64();
    size_t sparse_max = (size_t)c->cfg->hll_sparse_max_bytes;
    long long checkpoint = 1;
    for (long long j = 1; j <= 10000000; j++) {
        uint64_t ele = (uint64_t)j ^ seed;
        hll_add(dense, &ele, sizeof(ele), sparse_max);
        hll_add(sparse, &ele, sizeof(ele), sparse_max);
        if (j != checkpoint) continue;
        const uint8_t *d = (const uint8_t *)(*dense)->data, *s = (const uint8_t *)(*sparse)->data;
        if ((size_t)j < sparse_max / 2 && hll_encoding_of(s) != HLL_SPARSE) {
            reply_error(c->r, "TESTFAILED sparse encoding not used");
            return false;
        }
        uint64_t card = hll_count(d, (*dense)->len, NULL);
        if (card != hll_count(s, (*sparse)->len, NULL)) {
            reply_error(c->r, "TESTFAILED dense/sparse disagree");
            return false;
        }
        long long abserr = llabs(checkpoint - (long long)card);
        long long maxerr = j == 10 ? 1 : (long long)ceil(relerr * 6 * (double)checkpoint);
        if (abserr > maxerr) {
            reply_errorf(c->r, "TESTFAILED Too big error. card:%lld abserr:%lld", checkpoint, abserr);
            return false;
        }
        checkpoint *= 10;
    }
    return true;
}

static void pfselftest_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    (void)a;
    struct rstr *dense = hll_create(), *sparse = hll_create();
    uint8_t *expect = rk_malloc(HLL_REGISTERS);
    bool ok = hll_to_dense(&dense);
    ok = ok && selftest_registers(c, (uint8_t *)dense->data + HLL_HDR_SIZE, expect);
    if (ok) memset(dense->data + HLL_HDR_SIZE, 0, HLL_DENSE_SIZE - HLL_HDR_SIZE);
    ok = ok && selftest_error(c, &dense, &sparse);
    if (ok) reply_ok(c->r);
    rk_free(expect);
    rk_free(dense);
    rk_free(sparse);
}

/* ---- PFDEBUG ------------------------------------------------------------ */

/* The sparse opcodes as text: "z:len" (ZERO), "Z:len" (XZERO), "v:value,len". */
static void pfdebug_decode(struct cmd_ctx *c, const uint8_t *s, size_t len)
{
    struct obuf out;
    obuf_init(&out);
    const uint8_t *end = s + len;
    for (const uint8_t *p = s + HLL_HDR_SIZE; p < end;) {
        struct hll_op op;
        hll_sparse_op(p, end, &op);
        char item[32];
        int n = op.kind == HLL_OP_VAL ? snprintf(item, sizeof(item), "v:%u,%u ", op.value, op.runlen)
                                      : snprintf(item, sizeof(item), "%c:%u ", op.kind == HLL_OP_ZERO ? 'z' : 'Z', op.runlen);
        obuf_append(&out, item, (size_t)n);
        p += op.size;
    }
    if (out.len) reply_bulk(c->r, out.data, out.len - 1); /* without the last space */
    else reply_bulk(c->r, "", 0); /* a header alone: no opcode */
    obuf_free(&out);
}

static void pfdebug_getreg(struct cmd_ctx *c, struct kv *kv)
{
    if (!hll_to_dense(&kv->v.str)) {
        reply_error(c->r, ERR_CORRUPT);
        return;
    }
    const uint8_t *regs = hll_data(kv) + HLL_HDR_SIZE;
    reply_array(c->r, HLL_REGISTERS);
    for (long j = 0; j < HLL_REGISTERS; j++) reply_int(c->r, hll_dense_get(regs, j));
}

static void pfdebug_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = db_lookup_write(c->db, a->argv[2], a->len[2]);
    if (!kv) {
        reply_error(c->r, "ERR The specified key does not exist");
        return;
    }
    if (!hll_or_reply(c, kv)) return;
    kv = hll_unshare(c, kv);
    bool sparse = hll_encoding_of(hll_data(kv)) == HLL_SPARSE;
    if (arg_is(a, 1, "getreg")) {
        pfdebug_getreg(c, kv);
    } else if (arg_is(a, 1, "decode")) {
        if (sparse) pfdebug_decode(c, hll_data(kv), kv->v.str->len);
        else reply_error(c->r, "ERR HLL encoding is not sparse");
    } else if (arg_is(a, 1, "encoding")) {
        reply_status(c->r, sparse ? "sparse" : "dense");
    } else if (arg_is(a, 1, "todense")) {
        if (!hll_to_dense(&kv->v.str)) reply_error(c->r, ERR_CORRUPT);
        else reply_int(c->r, sparse);
    } else {
        /* Redis prints the name as a C string: up to a NUL byte. */
        reply_errorf(c->r, "ERR Unknown PFDEBUG subcommand '%.*s'", (int)strnlen(a->argv[1], a->len[1]), a->argv[1]);
    }
}

/* ---- the table ---------------------------------------------------------- */

const struct cmd_def hll_commands[] = {
    {.name = "pfadd", .arity = -2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .fn = pfadd_command, .key_flags = KS_RW | KS_INSERT, .acl_categories = "hyperloglog",
     .group = "hyperloglog", .summary = "Adds the specified elements to the specified HyperLogLog.",
     .since = "2.8.9", .complexity = "O(1) to add every element.", .syntax = "key [element [element ...]]"},
    /* Redis flags PFCOUNT read-only though one key's cached count is
     * rewritten in place: a stale cache lost on a copy costs a recount. */
    {.name = "pfcount", .arity = -2, .flags = CMD_READONLY | CMD_MAY_REPLICATE, .first_key = 1, .last_key = -1, .key_step = 1,
     .fn = pfcount_command,
     .key_specs = (const struct cmd_key_spec[]){
         {.flags = KS_RW | KS_ACCESS, .begin = KS_BEGIN_INDEX, .index = 1, .find = KS_FIND_RANGE, .lastkey = -1,
          .keystep = 1,
          .notes = "RW because it may change the internal representation of the key, and propagate to replicas"},
         {0}},
     .acl_categories = "hyperloglog", .group = "hyperloglog",
     .summary = "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
     .since = "2.8.9",
     .complexity = "O(1) with a very small average constant time when called with a single key. O(N) with N "
                   "being the number of keys, and much bigger constant times, when called with multiple keys.",
     .syntax = "key [key ...]"},
    {.name = "pfmerge", .arity = -2, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = -1,
     .key_step = 1, .fn = pfmerge_command,
     .key_specs = (const struct cmd_key_spec[]){KEY_SPEC_RANGE(KS_RW | KS_ACCESS | KS_INSERT, 1, 0, 1),
                                                KEY_SPEC_RANGE(KS_RO | KS_ACCESS, 2, -1, 1), {0}},
     .acl_categories = "hyperloglog", .group = "hyperloglog", .summary = "Merge N different HyperLogLogs into a single one.",
     .since = "2.8.9", .complexity = "O(N) to merge N HyperLogLogs, but with high constant times.",
     .syntax = "destkey:key sourcekey:key [sourcekey:key ...]"},
    {.name = "pfselftest", .arity = 1, .flags = CMD_ADMIN, .fn = pfselftest_command, .acl_categories = "hyperloglog",
     .group = "hyperloglog", .summary = "An internal command for testing HyperLogLog values", .since = "2.8.9",
     .complexity = "N/A", .syscmd = true},
    {.name = "pfdebug", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_ADMIN, .first_key = 2, .last_key = 2,
     .key_step = 1, .fn = pfdebug_command, .key_flags = KS_RW | KS_ACCESS, .acl_categories = "hyperloglog",
     .group = "hyperloglog", .summary = "Internal commands for debugging HyperLogLog values", .since = "2.8.9",
     .complexity = "N/A", .syscmd = true, .syntax = "subcommand key"},
    {0},
};
