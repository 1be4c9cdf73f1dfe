/* fuzz_rdb.c — libFuzzer target for the RDB reader (rdb_load.c, rdb_file.c,
 * ziplist.c, lp_validate, intset_validate) fed untrusted bytes, as it is by
 * a dump.rdb at startup and by RESTORE.
 *
 * Input: byte 0 picks the mode, byte 1 the encoding limits (Redis's
 * defaults; tiny or zero ones, so that loaded values convert; or few
 * entries but long values), the rest is the image:
 *  - byte 0 even: a whole RDB file. It is walked three ways: building every
 *    key into a scratch keyspace (duplicates refused, as the server's
 *    loader does; a library with no code is refused, the way the
 *    function store would), skipping every key (rdb_skip_object, what a
 *    shard does with another shard's keys), and checking the checksum;
 *    when byte 1 has bit 2 set, also building every key with no on_key
 *    callback, so that the walk drops them. When byte 0
 *    has bit 1 set, the walks run on a copy whose last 8 bytes are the
 *    file's true CRC64, so the checked walk gets past the checksum.
 *  - byte 0 odd: a DUMP payload (type byte and value). Random bytes never
 *    carry a right CRC64, so the footer (RDB version 10 LE, CRC64 LE) is
 *    appended here, unless bit 1 is set: then the bytes are taken as a
 *    whole payload, footer included, which exercises its check.
 * The reader gets the bytes read-only and right before an inaccessible
 * page, as the server maps a dump.rdb: writing into them, or reading past
 * their end, faults.
 * Checks:
 *  - no crash, leak, hang or undefined behaviour (ASan, LSan, UBSan);
 *  - keys land in the database the file names, each once, with its TTL;
 *  - a failed walk says why;
 *  - skipping accepts whatever building accepts (building can fail where
 *    skipping cannot: duplicates or a bad listpack inside a blob), and
 *    for a payload, ends at the same byte;
 *  - with the true CRC64 in place, the checked walk agrees with the
 *    unchecked one; without it, it accepts nothing the unchecked one
 *    refuses;
 *  - every value built survives a deep copy and a free, and round-trips:
 *    DUMP of it is a payload RESTORE reads back into a value of the same
 *    type whose DUMP is the same bytes (the same size for hash tables,
 *    whose order is the table's). */
#include "ringkv/base/alloc.h"
#include "ringkv/base/config.h"
#include "ringkv/base/crc64.h"
#include "ringkv/data/db.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/data/object.h"
#include "ringkv/data/stream.h"
#include "ringkv/persist/rdb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) abort();                                                \
    } while (0)

#define DATABASES 16

static struct config cfg_default, cfg_tiny, cfg_zero, cfg_big_values;

static void limits(struct config *c, long long entries, long long value, long long list_fill,
                   long long list_depth)
{
    c->hash_max_listpack_entries = entries;
    c->hash_max_listpack_value = value;
    c->zset_max_listpack_entries = entries;
    c->zset_max_listpack_value = value;
    c->set_max_intset_entries = entries;
    c->set_max_listpack_entries = entries;
    c->set_max_listpack_value = value;
    c->list_max_listpack_size = list_fill;
    c->list_compress_depth = list_depth; /* lists built with compressed nodes */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    obj_types_setup();
    config_init(&cfg_default);
    config_init(&cfg_tiny);
    limits(&cfg_tiny, 2, 4, 2, 1);
    config_init(&cfg_zero);
    limits(&cfg_zero, 0, 0, 1, 0);
    config_init(&cfg_big_values);
    limits(&cfg_big_values, 3, 1 << 20, -1, 2); /* long values stay listpacks; 4 KB list nodes */
    return 0;
}

static const struct config *pick_config(uint8_t b)
{
    switch (b & 3) {
    case 0: return &cfg_default;
    case 1: return &cfg_tiny;
    case 2: return &cfg_zero;
    default: return &cfg_big_values;
    }
}

/* ---- read-only images ---------------------------------------------------------- */

/* The reader gets its bytes read-only, as the server gives it a dump.rdb
 * (mapped PROT_READ, and walked by every shard at once; RESTORE's argument
 * must not change either): a write into them faults. The bytes end where
 * an inaccessible page starts, so reading one byte past the end faults
 * too (ASan does not watch mapped memory). */
struct image {
    unsigned char *map;
    size_t maplen;
    const unsigned char *p;
};

static void image_make(struct image *im, const unsigned char *src, size_t len)
{
    static size_t page;
    if (!page) page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data = (len + page - 1) / page * page;
    im->maplen = data + page;
    im->map = mmap(NULL, im->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(im->map != MAP_FAILED);
    unsigned char *p = im->map + data - len;
    memcpy(p, src, len);
    CHECK(mprotect(im->map, data, PROT_READ) == 0);
    CHECK(mprotect(im->map + data, page, PROT_NONE) == 0);
    im->p = p;
}

static void image_free(struct image *im) { munmap(im->map, im->maplen); }

/* ---- values ---------------------------------------------------------------- */

/* Every entry of a stream read from the input, both ways, with its
 * fields: the loader's checks must leave nothing the walk trips on. */
static void walk_stream(const struct stream *s)
{
    struct stream_id lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX}, id;
    for (int rev = 0; rev < 2; rev++) {
        struct stream_iter it;
        int64_t nf;
        uint64_t n = 0;
        stream_iter_init(&it, s, &lo, &hi, rev);
        while (stream_iter_next(&it, &id, &nf)) {
            for (int64_t i = 0; i < nf; i++) {
                lp_value f, v;
                stream_iter_field(&it, &f, &v);
            }
            n++;
        }
        CHECK(n == s->length);
    }
}

static void check_value(const struct config *cfg, const struct kv *kv)
{
    CHECK(kv->type < OBJ_TYPE_MAX && kv->enc < ENC_MAX);
    if (kv->type != OBJ_STRING) {
        const struct obj_type_ops *ops = obj_type_ops((enum obj_type)kv->type);
        CHECK(ops && ops->dup_value && ops->free_value);
        if (ops->value_bytes) (void)ops->value_bytes(kv->v.ptr, (enum obj_encoding)kv->enc);
    }
    if (kv->type == OBJ_STREAM) walk_stream(kv->v.ptr);
    kv_free(kv_dup(kv, "copy", 4));

    /* DUMP, RESTORE, DUMP again. */
    struct rdb_buf a = {0}, b = {0};
    rdb_dump_payload(&a, kv, false);
    bool bad = true;
    struct kv *back = rdb_restore_payload(a.data, a.len, cfg, kv_key(kv), kv->keylen, &bad);
    CHECK(!bad && back);
    CHECK(back->type == kv->type);
    rdb_dump_payload(&b, back, false);
    CHECK(a.len == b.len);
    if (kv->enc != ENC_HASHTABLE) CHECK(memcmp(a.data, b.data, a.len) == 0);
    kv_free(back);
    rdb_buf_free(&a);
    rdb_buf_free(&b);
}

/* ---- whole files ------------------------------------------------------------ */

struct build {
    const struct config *cfg;
    struct keyspace *ks;
    uint64_t keys, expiring; /* added */
};

static bool want_all(void *arg, int db, const char *key, size_t klen)
{
    (void)arg;
    (void)key;
    (void)klen;
    CHECK(db >= 0 && db < DATABASES);
    return true;
}

static bool want_none(void *arg, int db, const char *key, size_t klen)
{
    (void)arg;
    (void)key;
    (void)klen;
    CHECK(db >= 0 && db < DATABASES);
    return false;
}

static bool on_key(void *arg, int dbid, struct kv *kv, long long expire_ms, long long idle)
{
    struct build *bd = arg;
    (void)idle;
    CHECK(dbid >= 0 && dbid < DATABASES);
    struct db *db = ks_db(bd->ks, dbid);
    if (db_peek(db, kv_key(kv), kv->keylen)) {
        kv_free(kv);
        return false; /* "Duplicate key ... found in RDB file" */
    }
    check_value(bd->cfg, kv);
    db_add(db, kv);
    bd->keys++;
    if (expire_ms >= 0) {
        db_set_expire(db, kv, expire_ms);
        CHECK(db_get_expire(db, kv) == expire_ms);
        bd->expiring++;
    }
    CHECK(db_peek(db, kv_key(kv), kv->keylen) == kv);
    return true;
}

static bool on_key_never(void *arg, int dbid, struct kv *kv, long long expire_ms, long long idle)
{
    (void)arg, (void)dbid, (void)kv, (void)expire_ms, (void)idle;
    abort(); /* want_key said no to every key */
}

static bool on_function(void *arg, const unsigned char *code, size_t len, char *err, size_t errlen)
{
    (void)arg;
    volatile unsigned char sink = 0;
    for (size_t i = 0; i < len; i++) sink ^= code[i]; /* ASan sees any overrun */
    (void)sink;
    if (len == 0) { /* the walk's refusal path: the function store refuses such code */
        snprintf(err, errlen, "Missing library metadata");
        return false;
    }
    return true;
}

static bool walk(const unsigned char *img, size_t len, const struct config *cfg, bool verify,
                 const struct rdb_walk_ops *ops, void *arg)
{
    char err[512];
    err[0] = '\0';
    bool ok = rdb_walk(img, len, cfg, DATABASES, verify, ops, arg, err, sizeof err);
    if (!ok) CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err));
    return ok;
}

static void fuzz_file(const unsigned char *data, size_t size, uint8_t limits, bool fix_crc)
{
    const struct config *cfg = pick_config(limits);
    unsigned char *buf = rk_malloc(size ? size : 1);
    memcpy(buf, data, size);
    if (fix_crc && size >= 8) {
        uint64_t crc = crc64(0, buf, size - 8);
        for (int i = 0; i < 8; i++) buf[size - 8 + i] = (unsigned char)(crc >> (8 * i));
    }
    struct image im;
    image_make(&im, buf, size);
    rk_free(buf);
    const unsigned char *img = im.p;

    const struct rdb_walk_ops build_ops = {want_all, on_key, on_function};
    const struct rdb_walk_ops skip_ops = {want_none, on_key_never, on_function};

    struct build bd = {cfg, ks_create(DATABASES, 1), 0, 0};
    bool built = walk(img, size, cfg, false, &build_ops, &bd);
    uint64_t keys = 0, expiring = 0;
    for (int i = 0; i < DATABASES; i++) {
        keys += db_size(ks_db(bd.ks, i));
        expiring += db_expires_size(ks_db(bd.ks, i));
    }
    CHECK(keys == bd.keys && expiring == bd.expiring);
    ks_destroy(bd.ks);

    bool skipped = walk(img, size, cfg, false, &skip_ops, NULL);
    if (built) CHECK(skipped);

    if (limits & 4) {
        /* Keys wanted but nobody to take them (any callback may be NULL):
         * built and dropped, without the duplicate check. */
        const struct rdb_walk_ops drop_ops = {want_all, NULL, on_function};
        bool dropped = walk(img, size, cfg, false, &drop_ops, NULL);
        if (built) CHECK(dropped);
        if (dropped) CHECK(skipped);
    }

    bool verified = walk(img, size, cfg, true, &skip_ops, NULL);
    if (verified) CHECK(skipped);
    if (fix_crc && size >= 8) CHECK(verified == skipped);
    image_free(&im);
}

/* ---- DUMP payloads ----------------------------------------------------------- */

static void fuzz_payload(const unsigned char *data, size_t size, const struct config *cfg, bool raw)
{
    size_t len = raw ? size : size + 10;
    unsigned char *buf = rk_malloc(len ? len : 1);
    memcpy(buf, data, size);
    if (!raw) {
        buf[size] = RDB_VERSION & 0xFF;
        buf[size + 1] = (RDB_VERSION >> 8) & 0xFF;
        uint64_t crc = crc64(0, buf, size + 2);
        for (int i = 0; i < 8; i++) buf[size + 2 + i] = (unsigned char)(crc >> (8 * i));
        CHECK(rdb_payload_ok(buf, len));
    }
    struct image whole;
    image_make(&whole, buf, len);
    rk_free(buf);
    bool bad = false;
    struct kv *kv = rdb_restore_payload(whole.p, len, cfg, "key", 3, &bad);
    if (bad) {
        CHECK(!kv && raw);
        image_free(&whole);
        return;
    }

    /* The value alone (so that the inaccessible page follows it) through
     * the reader API, then stepped over: building gives what RESTORE gave,
     * both end at the same byte, and skipping accepts what building does. */
    struct image value;
    image_make(&value, whole.p, len - 10);
    struct rdb_reader r, s;
    unsigned char type;
    rdb_reader_init(&r, value.p, len - 10, cfg);
    struct kv *again = NULL;
    if (rdb_read_byte(&r, &type) && rdb_is_object_type(type)) {
        again = rdb_read_object(&r, type, "key", 3);
        if (!again) CHECK(r.error != RDB_OK && r.why);
    }
    CHECK((kv != NULL) == (again != NULL));
    rdb_reader_init(&s, value.p, len - 10, cfg);
    if (rdb_read_byte(&s, &type) && rdb_is_object_type(type)) {
        bool skipped = rdb_skip_object(&s, type);
        if (again) CHECK(skipped && rdb_reader_offset(&s) == rdb_reader_offset(&r));
    }
    rdb_reader_free(&r);
    rdb_reader_free(&s);
    if (again) kv_free(again);

    if (kv) {
        check_value(cfg, kv);
        kv_free(kv);
    }
    image_free(&value);
    image_free(&whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    if (data[0] & 1) fuzz_payload(data + 2, size - 2, pick_config(data[1]), data[0] & 2);
    else fuzz_file(data + 2, size - 2, data[1], data[0] & 2);
    return 0;
}
