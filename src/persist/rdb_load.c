/* rdb_load.c — reading RDB values from untrusted bytes (see rdb.h).
 *
 * Every read checks what is left before touching it; lengths that claim
 * more than the input can hold end the read. Values are rebuilt through
 * the types' APIs (listval_push, hashval_set, set_add, zset_add), which
 * pick the encodings this server's limits call for and refuse nothing a
 * client could not also build; duplicates a well-formed file cannot hold
 * are reported as corruption, as Redis's loader does. */
#include "ringkv/persist/rdb.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/config.h"
#include "ringkv/base/crc64.h"
#include "ringkv/base/util.h"
#include "ringkv/data/hashval.h"
#include "ringkv/data/intset.h"
#include "ringkv/data/listpack.h"
#include "ringkv/data/listval.h"
#include "ringkv/data/set.h"
#include "ringkv/data/ziplist.h"
#include "ringkv/data/zset.h"

#include <liblzf/lzf.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RDB_ENC_INT8 = 0, RDB_ENC_INT16 = 1, RDB_ENC_INT32 = 2, RDB_ENC_LZF = 3 };
enum { QUICKLIST_NODE_PLAIN = 1, QUICKLIST_NODE_PACKED = 2 };
/* LZF turns 3 input bytes into at most 264 output bytes: a claimed
 * length beyond this ratio cannot be real and is not allocated. */
#define LZF_MAX_RATIO 90

void rdb_reader_init(struct rdb_reader *r, const void *p, size_t len, const struct config *cfg)
{
    memset(r, 0, sizeof *r);
    r->start = r->p = p;
    r->end = r->p + len;
    r->cfg = cfg;
    r->version = RDB_VERSION;
}

void rdb_reader_free(struct rdb_reader *r)
{
    for (int i = 0; i < 2; i++) rk_free(r->scratch[i]);
    r->scratch[0] = r->scratch[1] = NULL;
}

static bool fail(struct rdb_reader *r, enum rdb_error e, const char *why)
{
    if (r->error == RDB_OK) {
        r->error = e;
        r->why = why;
    }
    return false;
}

static bool corrupt(struct rdb_reader *r, const char *why) { return fail(r, RDB_ERR_CORRUPT, why); }

bool rdb_fail(struct rdb_reader *r, enum rdb_error e, const char *why) { return fail(r, e, why); }

static size_t left(const struct rdb_reader *r) { return (size_t)(r->end - r->p); }

static bool take(struct rdb_reader *r, size_t n, const unsigned char **out)
{
    if (left(r) < n) return corrupt(r, "unexpected end of data");
    *out = r->p;
    r->p += n;
    return true;
}

bool rdb_read_raw(struct rdb_reader *r, size_t n, const unsigned char **out) { return take(r, n, out); }

bool rdb_read_byte(struct rdb_reader *r, unsigned char *c)
{
    const unsigned char *p;
    if (!take(r, 1, &p)) return false;
    *c = *p;
    return true;
}

static uint64_t get_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* A length, or (*encoded) the special-encoding number of a string. */
static bool read_len_or_enc(struct rdb_reader *r, uint64_t *len, bool *encoded)
{
    unsigned char c;
    const unsigned char *p;
    *encoded = false;
    if (!rdb_read_byte(r, &c)) return false;
    switch (c >> 6) {
    case 0: *len = c & 0x3F; return true;
    case 1:
        if (!take(r, 1, &p)) return false;
        *len = (uint64_t)(c & 0x3F) << 8 | p[0];
        return true;
    case 3:
        *encoded = true;
        *len = c & 0x3F;
        return true;
    default:
        if (c == 0x80) {
            if (!take(r, 4, &p)) return false;
            *len = get_be(p, 4);
            return true;
        }
        if (c == 0x81) {
            if (!take(r, 8, &p)) return false;
            *len = get_be(p, 8);
            return true;
        }
        return corrupt(r, "unknown length encoding");
    }
}

bool rdb_read_len(struct rdb_reader *r, uint64_t *len)
{
    bool encoded;
    if (!read_len_or_enc(r, len, &encoded)) return false;
    return !encoded || corrupt(r, "encoded value where a length belongs");
}

static unsigned char *scratch(struct rdb_reader *r, int slot, size_t n)
{
    if (r->scratch_cap[slot] < n) {
        rk_free(r->scratch[slot]);
        r->scratch[slot] = rk_malloc(n);
        r->scratch_cap[slot] = n;
    }
    return r->scratch[slot];
}

static bool read_lzf(struct rdb_reader *r, int slot, const unsigned char **s, size_t *len)
{
    uint64_t clen, ulen;
    const unsigned char *in;
    if (!rdb_read_len(r, &clen) || !rdb_read_len(r, &ulen)) return false;
    if (clen == 0 || ulen == 0 || clen > UINT_MAX || ulen > UINT_MAX || ulen / LZF_MAX_RATIO > clen)
        return corrupt(r, "bad LZF lengths");
    if (!take(r, clen, &in)) return false;
    unsigned char *out = scratch(r, slot, ulen);
    if (lzf_decompress(in, (unsigned)clen, out, (unsigned)ulen) != ulen)
        return corrupt(r, "invalid LZF compressed string");
    *s = out;
    *len = ulen;
    return true;
}

bool rdb_read_string(struct rdb_reader *r, int slot, const unsigned char **s, size_t *len)
{
    uint64_t n;
    bool encoded;
    if (!read_len_or_enc(r, &n, &encoded)) return false;
    if (!encoded) {
        if (!take(r, n, s)) return false;
        *len = n;
        return true;
    }
    const unsigned char *p;
    long long v;
    switch (n) {
    case RDB_ENC_INT8:
        if (!take(r, 1, &p)) return false;
        v = (int8_t)p[0];
        break;
    case RDB_ENC_INT16:
        if (!take(r, 2, &p)) return false;
        v = (int16_t)get_le(p, 2);
        break;
    case RDB_ENC_INT32:
        if (!take(r, 4, &p)) return false;
        v = (int32_t)get_le(p, 4);
        break;
    case RDB_ENC_LZF: return read_lzf(r, slot, s, len);
    default: return corrupt(r, "unknown string encoding");
    }
    char *out = (char *)scratch(r, slot, RK_LONG_STR_SIZE);
    *len = ll2string(out, v);
    *s = (const unsigned char *)out;
    return true;
}

static bool skip_string(struct rdb_reader *r)
{
    uint64_t n, ulen;
    bool encoded;
    const unsigned char *p;
    if (!read_len_or_enc(r, &n, &encoded)) return false;
    if (!encoded) return take(r, n, &p);
    switch (n) {
    case RDB_ENC_INT8: return take(r, 1, &p);
    case RDB_ENC_INT16: return take(r, 2, &p);
    case RDB_ENC_INT32: return take(r, 4, &p);
    case RDB_ENC_LZF: return rdb_read_len(r, &n) && rdb_read_len(r, &ulen) && take(r, n, &p);
    default: return corrupt(r, "unknown string encoding");
    }
}

/* RDB_TYPE_ZSET's text scores: a length byte, with 253..255 for NaN and
 * the infinities. */
static bool read_text_double(struct rdb_reader *r, double *d)
{
    unsigned char n;
    const unsigned char *p;
    if (!rdb_read_byte(r, &n)) return false;
    if (n == 255) { *d = -INFINITY; return true; }
    if (n == 254) { *d = INFINITY; return true; }
    if (n == 253) { *d = NAN; return true; }
    if (!take(r, n, &p)) return false;
    char buf[256];
    memcpy(buf, p, n);
    buf[n] = '\0';
    return sscanf(buf, "%lg", d) == 1 || corrupt(r, "unreadable score");
}

static bool read_binary_double(struct rdb_reader *r, double *d)
{
    const unsigned char *p;
    if (!take(r, 8, &p)) return false;
    uint64_t bits = get_le(p, 8);
    memcpy(d, &bits, 8);
    return true;
}

/* ---- collections ---------------------------------------------------------- */

/* A count claimed by the input bounds only what the input can hold: each
 * element takes at least one byte. */
static bool plausible_count(struct rdb_reader *r, uint64_t n, unsigned min_bytes_each)
{
    return n <= left(r) / min_bytes_each || corrupt(r, "count larger than the data");
}

static struct kv *finish(struct rdb_reader *r, struct kv *kv, bool ok, size_t len)
{
    if (!ok) {
        kv_free(kv);
        return NULL;
    }
    if (len == 0) {
        kv_free(kv);
        fail(r, RDB_ERR_EMPTY_KEY, "empty key");
        return NULL;
    }
    return kv;
}

static void push_entry(struct kv *list, const lp_value *v, struct list_limits lim)
{
    char buf[RK_LONG_STR_SIZE];
    if (v->str) listval_push(list, LISTVAL_TAIL, v->str, v->len, lim);
    else listval_push(list, LISTVAL_TAIL, buf, ll2string(buf, v->ll), lim);
}

/* Appends every entry of a listpack the input held (already validated). */
static void push_listpack(struct kv *list, unsigned char *lp, struct list_limits lim)
{
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
        lp_value v;
        lp_get(p, &v);
        push_entry(list, &v, lim);
    }
}

/* A blob holding a listpack (validated here) or a ziplist (converted):
 * the listpack, owned by the caller when *owned. One not owned may be the
 * input itself: read it only. */
static unsigned char *blob_listpack(struct rdb_reader *r, const unsigned char *s, size_t len, bool ziplist,
                                    bool *owned)
{
    *owned = ziplist;
    if (ziplist) {
        size_t count;
        unsigned char *lp = ziplist_to_listpack(s, len, &count);
        if (!lp) corrupt(r, "invalid ziplist");
        return lp;
    }
    if (!lp_validate(s, len, true)) {
        corrupt(r, "invalid listpack");
        return NULL;
    }
    return (unsigned char *)s;
}

static struct kv *read_list(struct rdb_reader *r, int type, const char *key, size_t klen)
{
    /* Nodes are rebuilt under this server's limits (Redis, too, recompresses
     * a loaded node at its own depth); a compressed node arrives as an LZF
     * string, which rdb_read_string expands. */
    struct list_limits lim = list_limits_of(r->cfg->list_max_listpack_size, r->cfg->list_compress_depth);
    uint64_t n;
    if (type == RDB_TYPE_LIST_ZIPLIST) n = 1;
    else if (!rdb_read_len(r, &n) || !plausible_count(r, n, 1)) return NULL;
    struct kv *kv = listval_create(key, klen);
    bool ok = true;
    for (uint64_t i = 0; ok && i < n; i++) {
        const unsigned char *s;
        size_t len;
        uint64_t container = QUICKLIST_NODE_PACKED;
        if (type == RDB_TYPE_LIST_QUICKLIST_2 && !rdb_read_len(r, &container)) { ok = false; break; }
        if (container != QUICKLIST_NODE_PACKED && container != QUICKLIST_NODE_PLAIN) {
            ok = corrupt(r, "unknown quicklist node container");
            break;
        }
        if (!rdb_read_string(r, 0, &s, &len)) { ok = false; break; }
        if (type == RDB_TYPE_LIST || container == QUICKLIST_NODE_PLAIN) {
            listval_push(kv, LISTVAL_TAIL, s, len, lim);
            continue;
        }
        bool owned;
        unsigned char *lp = blob_listpack(r, s, len, type != RDB_TYPE_LIST_QUICKLIST_2, &owned);
        if (!lp) { ok = false; break; }
        push_listpack(kv, lp, lim);
        if (owned) lp_free(lp);
    }
    return finish(r, kv, ok, ok ? listval_len(kv) : 1);
}

static struct kv *read_set(struct rdb_reader *r, int type, const char *key, size_t klen)
{
    const unsigned char *s;
    size_t len;
    if (type == RDB_TYPE_SET_INTSET) {
        if (!rdb_read_string(r, 0, &s, &len)) return NULL;
        /* An aligned copy: the blob may sit anywhere in the input. */
        intset *is = rk_malloc(len ? len : 1);
        memcpy(is, s, len);
        if (!intset_validate(is, len, true)) {
            rk_free(is);
            corrupt(r, "invalid intset");
            return NULL;
        }
        struct kv *kv = NULL;
        int64_t v;
        for (uint32_t i = 0; intset_get(is, i, &v); i++) {
            char buf[RK_LONG_STR_SIZE];
            size_t n = ll2string(buf, v);
            if (!kv) kv = set_create(key, klen, r->cfg, buf, n, intset_len(is));
            set_add(kv, r->cfg, buf, n);
        }
        rk_free(is);
        if (!kv) fail(r, RDB_ERR_EMPTY_KEY, "empty key");
        return kv;
    }
    uint64_t n;
    if (!rdb_read_len(r, &n) || !plausible_count(r, n, 1)) return NULL;
    struct kv *kv = NULL;
    bool ok = true;
    for (uint64_t i = 0; ok && i < n; i++) {
        if (!rdb_read_string(r, 0, &s, &len)) { ok = false; break; }
        if (!kv) kv = set_create(key, klen, r->cfg, (const char *)s, len, n);
        if (!set_add(kv, r->cfg, (const char *)s, len)) ok = corrupt(r, "duplicate set members");
    }
    if (!kv) {
        if (ok) fail(r, RDB_ERR_EMPTY_KEY, "empty key");
        return NULL;
    }
    return finish(r, kv, ok, 1);
}

static bool zset_insert(struct rdb_reader *r, struct kv *kv, double score, const void *m, size_t mlen)
{
    if (isnan(score)) return corrupt(r, "sorted set with a NaN score");
    int out = 0;
    zset_add(kv, r->cfg, score, m, mlen, 0, &out, NULL);
    return (out & ZADD_OUT_ADDED) || corrupt(r, "duplicate sorted set members");
}

static bool entry_double(const lp_value *v, double *d)
{
    if (!v->str) {
        *d = (double)v->ll;
        return true;
    }
    char buf[256];
    if (v->len == 0 || v->len >= sizeof buf) return false;
    memcpy(buf, v->str, v->len);
    buf[v->len] = '\0';
    char *end;
    *d = strtod(buf, &end);
    return *end == '\0';
}

/* Member/score or field/value pairs from a listpack: visit(kv, a, b). */
typedef bool (*pair_fn)(struct rdb_reader *r, struct kv *kv, const lp_value *a, const lp_value *b);

static bool read_pairs(struct rdb_reader *r, struct kv *kv, const unsigned char *s, size_t len, bool ziplist,
                       pair_fn visit)
{
    bool owned;
    unsigned char *lp = blob_listpack(r, s, len, ziplist, &owned);
    if (!lp) return false;
    /* Counted by walking, not with lp_len: that caches the count in the
     * header of a listpack saying "unknown" (65535), and this one may be
     * the input itself, which is read-only (a mapped file). */
    size_t n = 0;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) n++;
    bool ok = n % 2 == 0 || corrupt(r, "odd number of entries in pairs");
    for (unsigned char *p = lp_first(lp); ok && p; p = lp_next(lp, lp_next(lp, p))) {
        lp_value a, b;
        lp_get(p, &a);
        lp_get(lp_next(lp, p), &b);
        ok = visit(r, kv, &a, &b);
    }
    if (owned) lp_free(lp);
    return ok;
}

static bool zset_pair(struct rdb_reader *r, struct kv *kv, const lp_value *m, const lp_value *sc)
{
    double score;
    if (!entry_double(sc, &score)) return corrupt(r, "unreadable score");
    char buf[RK_LONG_STR_SIZE];
    if (m->str) return zset_insert(r, kv, score, m->str, m->len);
    return zset_insert(r, kv, score, buf, ll2string(buf, m->ll));
}

static struct kv *read_zset(struct rdb_reader *r, int type, const char *key, size_t klen)
{
    const unsigned char *s;
    size_t len;
    if (type == RDB_TYPE_ZSET_LISTPACK || type == RDB_TYPE_ZSET_ZIPLIST) {
        if (!rdb_read_string(r, 0, &s, &len)) return NULL;
        struct kv *kv = zset_create(key, klen, ENC_LISTPACK);
        bool ok = read_pairs(r, kv, s, len, type == RDB_TYPE_ZSET_ZIPLIST, zset_pair);
        return finish(r, kv, ok, ok ? zset_length(kv) : 1);
    }
    uint64_t n;
    if (!rdb_read_len(r, &n) || !plausible_count(r, n, 2)) return NULL;
    bool big = n > (uint64_t)r->cfg->zset_max_listpack_entries;
    struct kv *kv = zset_create(key, klen, big ? ENC_SKIPLIST : ENC_LISTPACK);
    bool ok = true;
    size_t maxlen = 0, total = 0;
    for (uint64_t i = 0; ok && i < n; i++) {
        double score;
        if (!rdb_read_string(r, 0, &s, &len)) { ok = false; break; }
        ok = type == RDB_TYPE_ZSET_2 ? read_binary_double(r, &score) : read_text_double(r, &score);
        if (ok) ok = zset_insert(r, kv, score, s, len);
        if (len > maxlen) maxlen = len;
        total += len;
    }
    if (ok) zset_shrink_if_fits(kv, r->cfg, maxlen, total);
    return finish(r, kv, ok, ok ? zset_length(kv) : 1);
}

static bool hash_pair(struct rdb_reader *r, struct kv *kv, const lp_value *f, const lp_value *v)
{
    const struct hashval_limits lim = {r->cfg->hash_max_listpack_entries, r->cfg->hash_max_listpack_value};
    char fb[RK_LONG_STR_SIZE], vb[RK_LONG_STR_SIZE];
    size_t flen, vlen;
    const char *fs = hashval_str(f, fb, &flen), *vs = hashval_str(v, vb, &vlen);
    return hashval_set(kv, fs, flen, vs, vlen, &lim) || corrupt(r, "duplicate hash fields");
}

static struct kv *read_hash(struct rdb_reader *r, int type, const char *key, size_t klen)
{
    const unsigned char *s;
    size_t len;
    struct kv *kv;
    if (type != RDB_TYPE_HASH) {
        if (!rdb_read_string(r, 0, &s, &len)) return NULL;
        kv = hashval_create(key, klen);
        bool ok;
        if (type == RDB_TYPE_HASH_ZIPMAP) {
            size_t count;
            unsigned char *lp = zipmap_to_listpack(s, len, &count);
            ok = lp ? read_pairs(r, kv, lp, lp_bytes(lp), false, hash_pair) : corrupt(r, "invalid zipmap");
            lp_free(lp);
        } else {
            ok = read_pairs(r, kv, s, len, type == RDB_TYPE_HASH_ZIPLIST, hash_pair);
        }
        return finish(r, kv, ok, ok ? hashval_len(kv) : 1);
    }
    uint64_t n;
    if (!rdb_read_len(r, &n) || !plausible_count(r, n, 2)) return NULL;
    kv = hashval_create(key, klen);
    bool ok = true;
    for (uint64_t i = 0; ok && i < n; i++) {
        const unsigned char *v;
        size_t vlen;
        if (!rdb_read_string(r, 0, &s, &len) || !rdb_read_string(r, 1, &v, &vlen)) { ok = false; break; }
        lp_value f = {s, len, 0}, val = {v, vlen, 0};
        ok = hash_pair(r, kv, &f, &val);
    }
    return finish(r, kv, ok, ok ? hashval_len(kv) : 1);
}

struct kv *rdb_read_object(struct rdb_reader *r, int type, const char *key, size_t klen)
{
    const unsigned char *s;
    size_t len;
    switch (type) {
    case RDB_TYPE_STRING:
        if (!rdb_read_string(r, 0, &s, &len)) return NULL;
        return kv_new_string(key, klen, (const char *)s, len);
    case RDB_TYPE_LIST:
    case RDB_TYPE_LIST_ZIPLIST:
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2: return read_list(r, type, key, klen);
    case RDB_TYPE_SET:
    case RDB_TYPE_SET_INTSET: return read_set(r, type, key, klen);
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2:
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_ZSET_LISTPACK: return read_zset(r, type, key, klen);
    case RDB_TYPE_HASH:
    case RDB_TYPE_HASH_ZIPMAP:
    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK: return read_hash(r, type, key, klen);
    case RDB_TYPE_MODULE:
    case RDB_TYPE_MODULE_2: fail(r, RDB_ERR_UNSUPPORTED, "module values are not supported"); return NULL;
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2: return rdb_read_stream(r, type, key, klen);
    default: corrupt(r, "unknown value type"); return NULL;
    }
}

bool rdb_skip_object(struct rdb_reader *r, int type)
{
    uint64_t n, container;
    const unsigned char *p;
    switch (type) {
    case RDB_TYPE_STRING:
    case RDB_TYPE_HASH_ZIPMAP:
    case RDB_TYPE_LIST_ZIPLIST:
    case RDB_TYPE_SET_INTSET:
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK:
    case RDB_TYPE_ZSET_LISTPACK: return skip_string(r);
    case RDB_TYPE_LIST:
    case RDB_TYPE_SET:
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2:
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2:
    case RDB_TYPE_HASH:
        if (!rdb_read_len(r, &n) || !plausible_count(r, n, 1)) return false;
        for (uint64_t i = 0; i < n; i++) {
            if (type == RDB_TYPE_LIST_QUICKLIST_2 && !rdb_read_len(r, &container)) return false;
            if (!skip_string(r)) return false;
            if (type == RDB_TYPE_HASH && !skip_string(r)) return false;
            if (type == RDB_TYPE_ZSET_2 && !take(r, 8, &p)) return false;
            double d;
            if (type == RDB_TYPE_ZSET && !read_text_double(r, &d)) return false;
        }
        return true;
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2: {
        struct kv *kv = rdb_read_stream(r, type, "", 0); /* checked whole, as a stream is read */
        if (kv) kv_free(kv);
        return kv != NULL;
    }
    default: return rdb_read_object(r, type, "", 0) != NULL; /* fails with the right error */
    }
}

struct kv *rdb_restore_payload(const unsigned char *p, size_t len, const struct config *cfg, const char *key,
                               size_t klen, bool *bad_payload)
{
    *bad_payload = !rdb_payload_ok(p, len);
    if (*bad_payload) return NULL;
    struct rdb_reader r;
    rdb_reader_init(&r, p, len - 10, cfg);
    unsigned char type;
    struct kv *kv = NULL;
    if (rdb_read_byte(&r, &type) && rdb_is_object_type(type)) kv = rdb_read_object(&r, type, key, klen);
    rdb_reader_free(&r);
    return kv;
}
