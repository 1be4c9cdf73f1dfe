/* rdb_file.c — walking a whole RDB image: header, AUX fields, functions,
 * databases, EOF and checksum (see rdb.h). The walk decides nothing about
 * keys itself: the caller's callbacks say which keys to build and take
 * them, so one shard can load its slice while stepping over the rest. */
#include "ringkv/persist/rdb.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/crc64.h"

#include <stdio.h>
#include <string.h>

struct walk {
    struct rdb_reader r;
    const struct rdb_walk_ops *ops;
    void *arg;
    int ndbs, db;
    long long expire_ms, idle;
    char *key;
    size_t key_cap;
    char *err;
    size_t errlen;
};

static bool walk_error(struct walk *w, const char *why)
{
    snprintf(w->err, w->errlen, "%s at offset %zu", why, rdb_reader_offset(&w->r));
    return false;
}

static bool reader_error(struct walk *w)
{
    return walk_error(w, w->r.why ? w->r.why : "unexpected end of data");
}

static bool read_header(struct walk *w, size_t len)
{
    const unsigned char *img = w->r.start;
    if (len < 9 || memcmp(img, "REDIS", 5) != 0) return walk_error(w, "Wrong signature trying to load DB from file");
    int version = 0;
    for (int i = 5; i < 9; i++) {
        if (img[i] < '0' || img[i] > '9') return walk_error(w, "Wrong signature trying to load DB from file");
        version = version * 10 + (img[i] - '0');
    }
    if (version < 1 || version > RDB_VERSION) {
        char why[64];
        snprintf(why, sizeof why, "Can't handle RDB format version %d", version);
        return walk_error(w, why);
    }
    w->r.version = version;
    w->r.p += 9;
    return true;
}

/* The checksum covers everything before its own 8 bytes; 0 means the
 * writer had rdbchecksum off. */
static bool checksum_ok(const unsigned char *img, size_t len)
{
    if (len < 8) return false;
    uint64_t stored = 0;
    for (int i = 0; i < 8; i++) stored |= (uint64_t)img[len - 8 + i] << (8 * i);
    return stored == 0 || stored == crc64(0, img, len - 8);
}

static bool read_key(struct walk *w, int type)
{
    const unsigned char *s;
    size_t klen;
    if (!rdb_read_string(&w->r, 0, &s, &klen)) return reader_error(w);
    if (w->key_cap < klen + 1) {
        rk_free(w->key);
        w->key_cap = klen + 1;
        w->key = rk_malloc(w->key_cap);
    }
    memcpy(w->key, s, klen);
    w->key[klen] = '\0';
    bool want = w->ops->want_key && w->ops->on_key && w->ops->want_key(w->arg, w->db, w->key, klen);
    if (!want) {
        if (!rdb_skip_object(&w->r, type)) return reader_error(w);
    } else {
        struct kv *kv = rdb_read_object(&w->r, type, w->key, klen);
        if (!kv && w->r.error != RDB_ERR_EMPTY_KEY) return reader_error(w);
        if (!kv) w->r.error = RDB_OK; /* Redis skips empty keys */
        if (kv && !w->ops->on_key) kv_free(kv); /* wanted, but nobody takes it */
        else if (kv && !w->ops->on_key(w->arg, w->db, kv, w->expire_ms, w->idle))
            return walk_error(w, "Duplicate key or key refused");
    }
    w->expire_ms = -1;
    w->idle = -1;
    return true;
}

static bool read_fixed(struct walk *w, size_t n, uint64_t *v)
{
    unsigned char c;
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rdb_read_byte(&w->r, &c)) return reader_error(w);
        *v |= (uint64_t)c << (8 * i);
    }
    return true;
}

static bool read_function(struct walk *w)
{
    const unsigned char *code;
    size_t n;
    if (!rdb_read_string(&w->r, 0, &code, &n)) return reader_error(w);
    char why[256] = "";
    if (w->ops->on_function && !w->ops->on_function(w->arg, code, n, why, sizeof why)) {
        char msg[320];
        snprintf(msg, sizeof msg, "Failed loading library: %s", why);
        return walk_error(w, msg);
    }
    return true;
}

static bool read_step(struct walk *w, bool *eof)
{
    struct rdb_reader *r = &w->r;
    unsigned char op;
    uint64_t v, v2;
    const unsigned char *s;
    size_t n;
    if (!rdb_read_byte(r, &op)) return reader_error(w);
    switch (op) {
    case RDB_OPCODE_EOF: *eof = true; return true;
    case RDB_OPCODE_SELECTDB:
        if (!rdb_read_len(r, &v)) return reader_error(w);
        if (v >= (uint64_t)w->ndbs) return walk_error(w, "Data file was created with more databases than configured");
        w->db = (int)v;
        return true;
    case RDB_OPCODE_RESIZEDB: return (rdb_read_len(r, &v) && rdb_read_len(r, &v2)) || reader_error(w);
    case RDB_OPCODE_EXPIRETIME_MS:
        if (!read_fixed(w, 8, &v)) return false;
        w->expire_ms = (long long)v;
        return true;
    case RDB_OPCODE_EXPIRETIME:
        if (!read_fixed(w, 4, &v)) return false;
        w->expire_ms = (long long)(int32_t)v * 1000;
        return true;
    case RDB_OPCODE_IDLE:
        if (!rdb_read_len(r, &v)) return reader_error(w);
        w->idle = v > (uint64_t)INT64_MAX ? INT64_MAX : (long long)v;
        return true;
    case RDB_OPCODE_FREQ: return read_fixed(w, 1, &v); /* LFU counters: no LFU policy yet */
    case RDB_OPCODE_AUX:
        return (rdb_read_string(r, 0, &s, &n) && rdb_read_string(r, 1, &s, &n)) || reader_error(w);
    case RDB_OPCODE_FUNCTION2: return read_function(w);
    case RDB_OPCODE_FUNCTION: return walk_error(w, "Pre-release function format not supported");
    case RDB_OPCODE_MODULE_AUX: return walk_error(w, "Module auxiliary data is not supported");
    default:
        if (!rdb_is_object_type(op)) return walk_error(w, "Unknown RDB encoding type");
        return read_key(w, op);
    }
}

bool rdb_walk(const unsigned char *img, size_t len, const struct config *cfg, int ndbs, bool verify_checksum,
              const struct rdb_walk_ops *ops, void *arg, char *err, size_t errlen)
{
    struct walk w = {.ops = ops, .arg = arg, .ndbs = ndbs, .expire_ms = -1, .idle = -1, .err = err,
                     .errlen = errlen};
    rdb_reader_init(&w.r, img, len, cfg);
    bool ok = read_header(&w, len);
    bool eof = false;
    while (ok && !eof) ok = read_step(&w, &eof);
    if (ok && w.r.version >= 5) {
        /* The checksum follows EOF, and nothing after it. */
        size_t rest = (size_t)(w.r.end - w.r.p);
        if (rest != 8) ok = walk_error(&w, rest < 8 ? "Short read or truncated checksum" : "Trailing data after the checksum");
        else if (verify_checksum && !checksum_ok(img, len)) ok = walk_error(&w, "Wrong RDB checksum");
    }
    rk_free(w.key);
    rdb_reader_free(&w.r);
    return ok;
}
