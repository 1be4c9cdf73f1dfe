/* test_snapshot.c — the point-in-time property of a snapshot slice
 * (persist/snapshot.h) without any ring or file: a keyspace of several
 * databases and every type is snapshotted while the walk is interleaved
 * with changes made through the db API the way commands make them
 * (in-place changes after db_lookup_write, SET over existing keys, DEL,
 * new keys, EXPIRE/PERSIST, APPEND, RENAME, MOVE, FLUSHDB, SWAPDB, active
 * expiry, rehashing). The chunks, parsed as one RDB image, must hold
 * exactly the dataset as it was at snap_slice_begin: each key once, with
 * its value and TTL of that moment, nothing added later. Afterwards every
 * record carries the database's parity again, so the next snapshot (or
 * one after a slice abandoned midway) is complete too. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringkv/base/config.h"
#include "ringkv/base/random.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/t_string.h"
#include "ringkv/data/db.h"
#include "ringkv/data/hashval.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/data/listval.h"
#include "ringkv/data/object.h"
#include "ringkv/data/set.h"
#include "ringkv/data/zset.h"
#include "ringkv/persist/rdb.h"
#include "ringkv/persist/snapshot.h"

#define NDBS 16
#define NKEYS 300 /* keys per filled database */

static struct config cfg;

static void setup(void)
{
    config_init(&cfg);
    obj_types_setup();
    rk_random_seed(0x5eed);
}

TestSuite(snapshot, .init = setup);

static unsigned long long rnd(unsigned long long n) { return rk_random_below(n); }

/* ---- a canonical digest of a value (independent of its encoding) ---------- */

struct item {
    unsigned char *s;
    size_t len;
    unsigned char *v; /* hash values */
    size_t vlen;
};

struct items {
    struct item *it;
    size_t n, cap;
};

static void items_add(struct items *a, const void *s, size_t len, const void *v, size_t vlen)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->it = realloc(a->it, a->cap * sizeof *a->it);
    }
    struct item *i = &a->it[a->n++];
    i->s = malloc(len + 1);
    memcpy(i->s, s, len);
    i->len = len;
    i->v = malloc(vlen + 1);
    if (vlen) memcpy(i->v, v, vlen);
    i->vlen = vlen;
}

static int item_cmp(const void *x, const void *y)
{
    const struct item *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void put_chunk(struct rdb_buf *d, const void *s, size_t len)
{
    uint64_t l = len;
    rdb_put_bytes(d, &l, sizeof l);
    rdb_put_bytes(d, s, len);
}

/* Sorted (sets, hashes), so two encodings of the same content agree. */
static void items_put(struct rdb_buf *d, struct items *a, bool values)
{
    if (a->n) qsort(a->it, a->n, sizeof *a->it, item_cmp);
    for (size_t i = 0; i < a->n; i++) {
        put_chunk(d, a->it[i].s, a->it[i].len);
        if (values) put_chunk(d, a->it[i].v, a->it[i].vlen);
        free(a->it[i].s);
        free(a->it[i].v);
    }
    free(a->it);
}

static void hash_item(const lp_value *f, const lp_value *v, void *arg)
{
    char fb[RK_LONG_STR_SIZE], vb[RK_LONG_STR_SIZE];
    size_t flen, vlen;
    const char *fs = hashval_str(f, fb, &flen), *vs = hashval_str(v, vb, &vlen);
    items_add(arg, fs, flen, vs, vlen);
}

static void digest(struct rdb_buf *d, struct kv *kv)
{
    char buf[RK_LONG_STR_SIZE];
    size_t len;
    rdb_put_byte(d, (unsigned char)kv->type);
    switch (kv->type) {
    case OBJ_STRING: {
        const char *s = kv_string(kv, buf, &len);
        put_chunk(d, s, len);
        break;
    }
    case OBJ_LIST: {
        struct listval_iter it;
        listval_entry e;
        if (listval_iter_init(&it, kv, LISTVAL_HEAD, 0)) {
            while (listval_next(&it, &e)) {
                if (e.str) put_chunk(d, e.str, e.len);
                else put_chunk(d, buf, ll2string(buf, e.ll));
            }
        }
        break;
    }
    case OBJ_SET: {
        struct items a = {0};
        struct set_iter it;
        struct set_elem e;
        set_iter_init(&it, kv);
        while (set_iter_next(&it, &e)) {
            const char *s = set_elem_str(&e, buf, &len);
            items_add(&a, s, len, NULL, 0);
        }
        set_iter_done(&it);
        items_put(d, &a, false);
        break;
    }
    case OBJ_HASH: {
        struct items a = {0};
        hashval_foreach(kv, hash_item, &a);
        items_put(d, &a, true);
        break;
    }
    case OBJ_ZSET: {
        struct zset_iter it;
        struct zset_elem e;
        zset_iter_rank(&it, kv, 0, false);
        while (zset_iter_next(&it, &e)) {
            const char *s = zset_elem_str(&e, buf, &len);
            put_chunk(d, s, len);
            rdb_put_bytes(d, &e.score, sizeof e.score);
        }
        break;
    }
    default: cr_assert_fail("unknown type %d", kv->type);
    }
}

/* ---- the dataset at a moment ----------------------------------------------- */

struct rec {
    int db;
    char *key;
    size_t klen;
    struct rdb_buf dig;
    long long expire;
    int seen;
};

struct model {
    struct rec *r;
    size_t n, cap;
};

static int rec_cmp(const void *x, const void *y)
{
    const struct rec *a = x, *b = y;
    if (a->db != b->db) return a->db < b->db ? -1 : 1;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);
    return c ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

struct record_arg {
    struct model *m;
    struct db *db;
    int id;
};

static void record_one(struct dict_node *n, void *arg)
{
    struct record_arg *ra = arg;
    struct model *m = ra->m;
    struct kv *kv = kv_of(n);
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->r = realloc(m->r, m->cap * sizeof *m->r);
    }
    struct rec *r = &m->r[m->n++];
    memset(r, 0, sizeof *r);
    r->db = ra->id;
    r->klen = kv->keylen;
    r->key = malloc(kv->keylen + 1);
    memcpy(r->key, kv_key(kv), kv->keylen);
    r->key[kv->keylen] = '\0';
    digest(&r->dig, kv);
    r->expire = db_get_expire(ra->db, kv); /* no side effect: the stored TTL */
}

/* Every key of every database, without touching anything (no lookup). */
static void model_record(struct model *m, struct keyspace *ks)
{
    memset(m, 0, sizeof *m);
    for (int i = 0; i < ks->ndbs; i++) {
        struct record_arg ra = {m, ks_db(ks, i), i};
        dict_foreach(&ks_db(ks, i)->keys, record_one, &ra);
    }
    if (m->n) qsort(m->r, m->n, sizeof *m->r, rec_cmp);
}

static void model_free(struct model *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->r[i].key);
        rdb_buf_free(&m->r[i].dig);
    }
    free(m->r);
    memset(m, 0, sizeof *m);
}

static struct rec *model_find(struct model *m, int db, const char *key, size_t klen)
{
    struct rec k = {.db = db, .key = (char *)key, .klen = klen};
    return m->n ? bsearch(&k, m->r, m->n, sizeof *m->r, rec_cmp) : NULL;
}

/* ---- the slice's output ---------------------------------------------------- */

struct chunks {
    struct rdb_buf *c;
    size_t n, cap;
    size_t bytes;
};

static void take(struct snap_slice *sl, struct chunks *ch)
{
    struct rdb_buf b;
    snap_slice_take(sl, &b);
    cr_assert_eq(snap_slice_pending(sl), 0);
    if (b.len == 0) {
        rdb_buf_free(&b);
        return;
    }
    cr_assert_eq(b.data[0], RDB_OPCODE_SELECTDB, "every chunk starts with its own SELECTDB");
    if (ch->n == ch->cap) {
        ch->cap = ch->cap ? ch->cap * 2 : 64;
        ch->c = realloc(ch->c, ch->cap * sizeof *ch->c);
    }
    ch->bytes += b.len;
    ch->c[ch->n++] = b;
}

static void chunks_free(struct chunks *ch)
{
    for (size_t i = 0; i < ch->n; i++) rdb_buf_free(&ch->c[i]);
    free(ch->c);
    memset(ch, 0, sizeof *ch);
}

struct check {
    struct model *m;
    size_t keys;
};

static bool check_want(void *arg, int db, const char *key, size_t klen)
{
    (void)arg, (void)db, (void)key, (void)klen;
    return true;
}

static bool check_key(void *arg, int db, struct kv *kv, long long expire_ms, long long idle)
{
    struct check *c = arg;
    (void)idle;
    const char *key = kv_key(kv);
    struct rec *r = model_find(c->m, db, key, kv->keylen);
    if (!r) cr_assert_fail("db %d key %.*s is in the snapshot but was not there at the cut", db, (int)kv->keylen, key);
    if (r->seen) cr_assert_fail("db %d key %.*s is in the snapshot twice", db, (int)kv->keylen, key);
    r->seen = 1;
    struct rdb_buf d = {0};
    digest(&d, kv);
    if (d.len != r->dig.len || memcmp(d.data, r->dig.data, d.len) != 0)
        cr_assert_fail("db %d key %.*s: the snapshot has another value than at the cut (type %d, was %d)", db,
                       (int)kv->keylen, key, kv->type, r->dig.data[0]);
    if (expire_ms != r->expire)
        cr_assert_fail("db %d key %.*s: expire %lld, was %lld at the cut", db, (int)kv->keylen, key, expire_ms,
                       r->expire);
    rdb_buf_free(&d);
    kv_free(kv);
    c->keys++;
    return true;
}

/* The chunks (in order, or backwards: each is self-contained) between a
 * header and EOF + a zero checksum hold exactly the model. */
static void assert_snapshot_is(struct model *m, struct chunks *ch, bool backwards)
{
    struct rdb_buf img = {0};
    rdb_put_header(&img, 0);
    for (size_t i = 0; i < ch->n; i++) {
        const struct rdb_buf *c = &ch->c[backwards ? ch->n - 1 - i : i];
        rdb_put_bytes(&img, c->data, c->len);
    }
    rdb_put_byte(&img, RDB_OPCODE_EOF);
    static const unsigned char zero[8];
    rdb_put_bytes(&img, zero, 8);
    for (size_t i = 0; i < m->n; i++) m->r[i].seen = 0;
    struct check c = {m, 0};
    const struct rdb_walk_ops ops = {.want_key = check_want, .on_key = check_key};
    char err[256] = "";
    cr_assert(rdb_walk(img.data, img.len, &cfg, NDBS, false, &ops, &c, err, sizeof err), "%s", err);
    for (size_t i = 0; i < m->n; i++)
        if (!m->r[i].seen) cr_assert_fail("db %d key %s is missing from the snapshot", m->r[i].db, m->r[i].key);
    cr_assert_eq(c.keys, m->n);
    rdb_buf_free(&img);
}

/* After a slice: no snapshot in progress, every record has the parity. */
struct parity_arg {
    struct db *db;
    size_t bad;
};

static void parity_one(struct dict_node *n, void *arg)
{
    struct parity_arg *pa = arg;
    struct kv *kv = kv_of(n);
    if (kv->snap != pa->db->snap_parity || db_snapshot_lacks(pa->db, kv)) pa->bad++;
}

static void assert_all_current(struct keyspace *ks)
{
    for (int i = 0; i < ks->ndbs; i++) {
        struct db *db = ks_db(ks, i);
        cr_assert_null(db->snap, "db %d still has a snapshot hook", i);
        struct parity_arg pa = {db, 0};
        dict_foreach(&db->keys, parity_one, &pa);
        cr_assert_eq(pa.bad, 0, "db %d: %zu records without the current parity", i, pa.bad);
        cr_assert_eq(db->snap_parity, ks_db(ks, 0)->snap_parity, "all databases share one parity");
    }
}

/* ---- building keys as commands do ---------------------------------------- */

static struct list_limits fill_of(void) { return list_limits_of(cfg.list_max_listpack_size, cfg.list_compress_depth); }

static void hset(struct kv *kv, const char *f, size_t flen, const char *v, size_t vlen)
{
    const struct hashval_limits lim = {cfg.hash_max_listpack_entries, cfg.hash_max_listpack_value};
    size_t lens[2] = {flen, vlen};
    hashval_prepare(kv, lens, 2, &lim);
    hashval_set(kv, f, flen, v, vlen, &lim);
}

static void zadd(struct kv *kv, double score, const char *m, size_t mlen)
{
    int out = 0;
    zset_add(kv, &cfg, score, m, mlen, 0, &out, NULL);
}

static const double special_scores[] = {INFINITY, -INFINITY, -0.0, 0.1, 1e300, -2.5, 3};

/* A new value of a type chosen by `i` (different sizes and encodings). */
static struct kv *make_value(const char *key, size_t klen, unsigned i)
{
    char buf[256];
    int n;
    switch (i % 8) {
    case 0: n = snprintf(buf, sizeof buf, "v%u", i); return kv_new_string(key, klen, buf, (size_t)n);
    case 1: return kv_new_int(key, klen, (long long)i * 1000003 - 70000);
    case 2:
        memset(buf, 'a' + (char)(i % 26), 100);
        n = snprintf(buf, 20, "%u", i);
        buf[n] = '-';
        return kv_new_string(key, klen, buf, 100);
    case 3: {
        struct kv *kv = listval_create(key, klen);
        bool big = i % 40 == 3;
        unsigned len = big ? 1500 : 1 + i % 6;
        for (unsigned j = 0; j < len; j++) {
            n = snprintf(buf, sizeof buf, j % 2 ? "%u" : "item-%u-%u", j, i);
            listval_push(kv, LISTVAL_TAIL, buf, (size_t)n, fill_of());
        }
        cr_assert_eq(kv->enc, big ? ENC_QUICKLIST : ENC_LISTPACK);
        return kv;
    }
    case 4: {
        bool big = i % 48 == 4;
        unsigned len = big ? 200 : 1 + i % 7;
        bool ints = !big && i % 16 < 8;
        struct kv *kv = NULL;
        for (unsigned j = 0; j < len; j++) {
            n = snprintf(buf, sizeof buf, ints ? "%u" : "m%u", j * 3 + i);
            if (!kv) kv = set_create(key, klen, &cfg, buf, (size_t)n, len);
            set_add(kv, &cfg, buf, (size_t)n);
        }
        cr_assert_eq(kv->enc, big ? ENC_HASHTABLE : ints ? ENC_INTSET : ENC_LISTPACK);
        return kv;
    }
    case 5: {
        struct kv *kv = hashval_create(key, klen);
        bool big = i % 48 == 5; /* a hashtable: a long value, and more fields */
        unsigned len = big ? 150 : 1 + i % 5;
        for (unsigned j = 0; j < len; j++) {
            char f[32];
            int fl = snprintf(f, sizeof f, "f%u", j);
            n = snprintf(buf, sizeof buf, j % 2 ? "%u" : "value %u of %u", j, i);
            if (big && j == 0) {
                memset(buf + n, '.', 80);
                n += 80;
            }
            hset(kv, f, (size_t)fl, buf, (size_t)n);
        }
        cr_assert_eq(kv->enc, big ? ENC_HASHTABLE : ENC_LISTPACK);
        return kv;
    }
    case 6: {
        bool big = i % 48 == 6;
        unsigned len = big ? 200 : 1 + i % 7;
        struct kv *kv = zset_create_for(key, klen, &cfg, 4);
        for (unsigned j = 0; j < len; j++) {
            n = snprintf(buf, sizeof buf, "z%u", j);
            double sc = j < 7 ? special_scores[(j + i) % 7] : j / 3.0;
            zadd(kv, sc, buf, (size_t)n);
        }
        cr_assert_eq(kv->enc, big ? ENC_SKIPLIST : ENC_LISTPACK);
        return kv;
    }
    default:
        if (i % 3 == 0) return kv_new_string(key, klen, "007", 3);
        for (int j = 0; j < 60; j++) buf[j] = (char)rnd(256);
        return kv_new_string(key, klen, buf, 60);
    }
}

static size_t key_name(char *buf, size_t cap, const char *prefix, unsigned i)
{
    return (size_t)snprintf(buf, cap, "%s%u", prefix, i);
}

/* Fills db with nkeys keys "k:<i>": every type, some with a TTL in the
 * future and a few whose TTL has passed (stored, not yet removed). */
static void fill_db(struct db *db, unsigned nkeys, unsigned salt)
{
    long long now = mstime();
    for (unsigned i = 0; i < nkeys; i++) {
        char key[32];
        size_t klen = key_name(key, sizeof key, "k:", i);
        struct kv *kv = make_value(key, klen, i + salt);
        db_add(db, kv);
        if (i % 5 == 0) db_set_expire(db, kv, now + 3600000 + i);
        else if (i % 37 == 1) db_set_expire(db, kv, now - 1000 - i);
    }
}

static struct keyspace *make_keyspace(uint64_t seed)
{
    struct keyspace *ks = ks_create(NDBS, seed);
    for (int d = 0; d <= 5; d++) fill_db(ks_db(ks, d), NKEYS, (unsigned)d * 11);
    fill_db(ks_db(ks, 9), 20, 900);   /* small: swapped in later */
    fill_db(ks_db(ks, 15), 40, 1500); /* moved to, renamed in */
    return ks;
}

/* ---- changes, as the commands make them ---------------------------------- */

struct changer {
    struct keyspace *ks;
    unsigned counter;
};

static int any_db(void)
{
    static const int dbs[] = {0, 1, 2, 3, 4, 5, 7, 9, 15};
    return dbs[rnd(sizeof dbs / sizeof dbs[0])];
}

/* One random change to one random key (existing or not). */
static void change_one(struct changer *ch)
{
    struct keyspace *ks = ch->ks;
    struct db *db = ks_db(ks, any_db());
    char key[32], buf[128];
    size_t klen = key_name(key, sizeof key, "k:", (unsigned)rnd(NKEYS + 30));
    int n;
    db_command_begin();
    switch (rnd(14)) {
    case 0:
    case 1: { /* LPUSH / SADD / HSET / ZADD / LPOP / SREM / HDEL / ZREM in place */
        struct kv *kv = db_lookup_write(db, key, klen);
        if (!kv) break;
        n = snprintf(buf, sizeof buf, "new-%u", ch->counter++);
        bool remove = rnd(3) == 0;
        switch (kv->type) {
        case OBJ_LIST:
            if (remove) listval_del_range(kv, 0, 1);
            else listval_push(kv, rnd(2) ? LISTVAL_HEAD : LISTVAL_TAIL, buf, (size_t)n, fill_of());
            if (listval_len(kv) == 0) db_delete_kv(db, kv);
            else listval_try_shrink(kv, fill_of());
            break;
        case OBJ_SET:
            if (remove) {
                struct set_elem e;
                set_random(kv, &e);
                set_remove_elem(kv, &e);
            } else {
                set_add(kv, &cfg, buf, (size_t)n);
            }
            if (set_size(kv) == 0) db_delete_kv(db, kv);
            break;
        case OBJ_HASH:
            if (remove) hashval_delete(kv, "f0", 2);
            else hset(kv, buf, (size_t)n, "x", 1);
            if (hashval_len(kv) == 0) db_delete_kv(db, kv);
            break;
        case OBJ_ZSET:
            if (remove) zset_del(kv, "z0", 2);
            else zadd(kv, (double)rnd(1000) / 7, buf, (size_t)n);
            if (zset_length(kv) == 0) db_delete_kv(db, kv);
            break;
        default: { /* INCR-like: a new value in place or a new record */
            n = snprintf(buf, sizeof buf, "%llu", rnd(1000000));
            db_set_string(db, kv, key, klen, buf, (size_t)n, true);
        }
        }
        break;
    }
    case 2: { /* SET key value [KEEPTTL] */
        struct kv *old = db_lookup_write(db, key, klen);
        switch (rnd(4)) {
        case 0: n = snprintf(buf, sizeof buf, "%llu", rnd(100000)); break;
        case 1: n = snprintf(buf, sizeof buf, "short-%u", ch->counter++); break;
        case 2: memset(buf, 'S', 80); n = 80; break;
        default: /* 40 bytes (an embstr), a NUL among them */
            memset(buf, 'T', 40);
            snprintf(buf, 12, "%u", ch->counter++);
            n = 40;
            break;
        }
        db_set_string(db, old, key, klen, buf, (size_t)n, rnd(2) == 0);
        break;
    }
    case 3: /* SET of another type over the key (SUNIONSTORE, SORT STORE ...) */
        db_set(db, make_value(key, klen, (unsigned)rnd(1000)), rnd(2) == 0);
        break;
    case 4: /* DEL */
        db_delete(db, key, klen);
        break;
    case 5: { /* a new key */
        n = (int)key_name(buf, sizeof buf, "new:", ch->counter++);
        if (!db_lookup_write(db, buf, (size_t)n)) db_add(db, make_value(buf, (size_t)n, ch->counter));
        break;
    }
    case 6: { /* EXPIRE / PEXPIREAT */
        struct kv *kv = db_lookup_write(db, key, klen);
        if (kv) db_set_expire(db, kv, mstime() + 1000000 + (long long)rnd(1000000));
        break;
    }
    case 7: { /* PERSIST */
        struct kv *kv = db_lookup_write(db, key, klen);
        if (kv) db_persist(db, kv);
        break;
    }
    case 8: { /* APPEND */
        struct kv *kv = db_lookup_write(db, key, klen);
        if (!kv || kv->type != OBJ_STRING) break;
        char nb[RK_LONG_STR_SIZE];
        size_t cur;
        kv_string(kv, nb, &cur);
        kv = string_unshare(db, kv, cur + 5);
        memcpy(kv->v.str->data + cur, "+tail", 5);
        db_touch(db, key, klen);
        break;
    }
    case 9: { /* RENAME key dst */
        if (!db_lookup_write(db, key, klen)) break;
        n = (int)key_name(buf, sizeof buf, "k:", (unsigned)rnd(NKEYS + 30));
        if (n == (int)klen && memcmp(buf, key, klen) == 0) break;
        if (db_lookup_write(db, buf, (size_t)n)) db_delete(db, buf, (size_t)n);
        long long when;
        struct kv *kv = db_detach(db, key, klen, &when);
        kv = kv_rename(kv, buf, (size_t)n);
        db_add(db, kv);
        if (when >= 0) db_set_expire(db, kv, when);
        break;
    }
    case 10: { /* MOVE key db */
        struct db *dst = ks_db(ks, any_db());
        if (dst == db || !db_lookup_write(db, key, klen) || db_lookup_write(dst, key, klen)) break;
        long long when;
        struct kv *kv = db_detach(db, key, klen, &when);
        db_add(dst, kv);
        if (when >= 0) db_set_expire(dst, kv, when);
        break;
    }
    case 11: { /* COPY key dst REPLACE */
        struct kv *kv = db_lookup_write(db, key, klen);
        if (!kv) break;
        n = (int)key_name(buf, sizeof buf, "copy:", (unsigned)rnd(50));
        struct kv *copy = kv_dup(kv, buf, (size_t)n);
        long long when = db_get_expire(db, kv);
        db_set(db, copy, false);
        if (when >= 0) db_set_expire(db, copy, when);
        break;
    }
    case 12: /* a read (GET, TYPE ...) */
        db_lookup(db, key, klen);
        break;
    default: /* the timer's active expiry and rehashing */
        db_active_expire(db, mstime(), 1000);
        db_maintain(db, 100);
        break;
    }
    db_command_end();
}

/* The big changes, once each at a given step of the walk. */
static void change_at_step(struct changer *ch, unsigned step)
{
    struct keyspace *ks = ch->ks;
    char key[32];
    switch (step) {
    case 5: db_flush(ks_db(ks, 4)); break;                 /* FLUSHDB */
    case 15: db_swap(ks_db(ks, 1), ks_db(ks, 9)); break;   /* SWAPDB 1 9 */
    case 30: db_swap(ks_db(ks, 0), ks_db(ks, 2)); break;   /* SWAPDB 0 2, the walk in db 0 */
    case 45:                                               /* much deleted: the table shrinks */
        for (unsigned i = 0; i < NKEYS; i++)
            if (i % 10) db_delete(ks_db(ks, 3), key, key_name(key, sizeof key, "k:", i));
        for (int j = 0; j < 50; j++) db_maintain(ks_db(ks, 3), 1000);
        break;
    case 60: /* many new keys: the table grows and rehashes under the walk */
        for (unsigned i = 0; i < 3000; i++) {
            size_t klen = key_name(key, sizeof key, "grow:", i);
            db_add(ks_db(ks, 5), make_value(key, klen, i * 8 + i % 2)); /* strings, ints */
        }
        break;
    case 75: db_swap(ks_db(ks, 5), ks_db(ks, 7)); break; /* with an empty one */
    case 90: db_flush(ks_db(ks, 9)); break;
    case 110: db_swap(ks_db(ks, 9), ks_db(ks, 15)); break;
    case 150: db_swap(ks_db(ks, 0), ks_db(ks, 3)); break;
    default: break;
    }
}

/* ---- the tests ------------------------------------------------------------ */

/* One snapshot with changes between its steps (when `changes`); returns
 * the steps it took. The output must be the dataset at the cut. */
static unsigned snapshot_during_changes(struct keyspace *ks, bool compress, bool changes, size_t max_keys)
{
    struct model m;
    model_record(&m, ks);
    struct snap_slice sl;
    snap_slice_begin(&sl, ks, compress);
    struct chunks ch = {0};
    struct changer chg = {ks, 0};
    unsigned step = 0;
    bool done = false;
    while (!done) {
        if (changes) {
            change_at_step(&chg, step);
            for (int k = (int)rnd(6); k > 0; k--) change_one(&chg);
            if (rnd(4) == 0) take(&sl, &ch); /* the hook's output between steps */
            for (int k = (int)rnd(3); k > 0; k--) change_one(&chg);
        }
        done = snap_slice_step(&sl, max_keys + rnd(3), 1 << 20);
        take(&sl, &ch);
        step++;
        cr_assert_lt(step, 100000, "the walk does not end");
    }
    take(&sl, &ch);
    cr_assert(snap_slice_step(&sl, 10, 1 << 20), "an ended slice stays ended");
    cr_assert_eq(snap_slice_pending(&sl), 0);
    cr_assert_eq(sl.keys, m.n, "%llu records saved for %zu keys at the cut", (unsigned long long)sl.keys, m.n);
    snap_slice_free(&sl);
    assert_all_current(ks);
    assert_snapshot_is(&m, &ch, false);
    assert_snapshot_is(&m, &ch, true);
    chunks_free(&ch);
    model_free(&m);
    return step;
}

static void point_in_time(bool compress)
{
    struct keyspace *ks = make_keyspace(42);
    unsigned steps = snapshot_during_changes(ks, compress, true, 5);
    cr_assert_gt(steps, 30, "the walk took %u steps", steps);
    /* The next snapshot sees the changed dataset (also under changes). */
    snapshot_during_changes(ks, compress, true, 9);
    /* ... and one without changes, in one go or in small steps. */
    snapshot_during_changes(ks, compress, false, 1);
    snapshot_during_changes(ks, compress, false, 1000000);
    ks_destroy(ks);
}

Test(snapshot, point_in_time_under_changes) { point_in_time(true); }
Test(snapshot, point_in_time_under_changes_uncompressed) { point_in_time(false); }

/* Other interleavings: several seeds. */
Test(snapshot, point_in_time_other_seeds)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        rk_random_seed(seed * 7919);
        struct keyspace *ks = make_keyspace(seed);
        snapshot_during_changes(ks, seed % 2, true, 1 + seed * 3);
        snapshot_during_changes(ks, true, true, 3);
        ks_destroy(ks);
    }
}

/* The modified state, key by key: a fixed set of changes whose old and
 * new values are known. */
Test(snapshot, old_values_kept_new_ones_left_out)
{
    struct keyspace *ks = ks_create(NDBS, 3);
    struct db *db = ks_db(ks, 0);
    char buf[64];
    for (unsigned i = 0; i < 200; i++) {
        size_t n = key_name(buf, sizeof buf, "s:", i);
        db_add(db, kv_new_string(buf, n, "old", 3));
    }
    struct kv *l = listval_create("list", 4);
    listval_push(l, LISTVAL_TAIL, "a", 1, fill_of());
    db_add(db, l);
    db_set_expire(db, db_lookup_write(db, "s:1", 3), 4102444800000LL);
    struct model m;
    model_record(&m, ks);

    struct snap_slice sl;
    snap_slice_begin(&sl, ks, true);
    struct chunks ch = {0};
    cr_assert_not(snap_slice_step(&sl, 3, 1 << 20));
    take(&sl, &ch);
    for (unsigned i = 0; i < 200; i++) {
        size_t n = key_name(buf, sizeof buf, "s:", i);
        struct kv *kv = db_lookup_write(db, buf, n);
        if (i % 4 == 0) db_set_string(db, kv, buf, n, "new", 3, false);
        else if (i % 4 == 1) db_delete(db, buf, n);
        else if (i % 4 == 2) db_set_expire(db, kv, 1);
    }
    listval_push(db_lookup_write(db, "list", 4), LISTVAL_TAIL, "b", 1, fill_of());
    db_add(db, kv_new_string("later", 5, "x", 1));
    db_set_expire(db, db_lookup_write(db, "later", 5), 4102444800000LL);
    while (!snap_slice_step(&sl, 3, 1 << 20)) take(&sl, &ch);
    take(&sl, &ch);
    snap_slice_free(&sl);
    assert_snapshot_is(&m, &ch, false);
    model_free(&m);
    chunks_free(&ch);

    /* The next snapshot has the new values. */
    model_record(&m, ks);
    struct rec *r = model_find(&m, 0, "later", 5);
    cr_assert_not_null(r);
    cr_assert_eq(r->expire, 4102444800000LL);
    cr_assert_null(model_find(&m, 0, "s:1", 3));
    cr_assert_eq(model_find(&m, 0, "s:2", 3)->expire, 1);
    snap_slice_begin(&sl, ks, true);
    while (!snap_slice_step(&sl, 3, 1 << 20)) take(&sl, &ch);
    take(&sl, &ch);
    snap_slice_free(&sl);
    assert_snapshot_is(&m, &ch, false);
    model_free(&m);
    chunks_free(&ch);
    assert_all_current(ks);
    ks_destroy(ks);
}

/* A slice abandoned midway (a failed BGSAVE, a shard stopping): every
 * record gets the parity, and the next snapshot is complete. */
Test(snapshot, abandoned_slice_leaves_records_current)
{
    struct keyspace *ks = make_keyspace(7);
    for (int round = 0; round < 3; round++) {
        struct snap_slice sl;
        snap_slice_begin(&sl, ks, true);
        struct changer chg = {ks, 1000u * (unsigned)round};
        struct chunks ch = {0};
        for (unsigned step = 0; step < 10u + 20u * (unsigned)round; step++) {
            if (round == 1) change_at_step(&chg, step);
            for (int k = 0; k < 3; k++) change_one(&chg);
            cr_assert_not(snap_slice_step(&sl, 4, 1 << 20), "the walk ended too soon");
            if (step % 2) take(&sl, &ch);
        }
        cr_assert(sl.active);
        snap_slice_free(&sl); /* drops what is still pending, too */
        chunks_free(&ch);
        assert_all_current(ks);
        snapshot_during_changes(ks, true, round == 2, 6);
    }
    /* Abandoned right at the cut. */
    struct snap_slice sl;
    snap_slice_begin(&sl, ks, false);
    snap_slice_free(&sl);
    assert_all_current(ks);
    snapshot_during_changes(ks, false, false, 50);
    ks_destroy(ks);
}

/* FLUSHALL, SWAPDB and FLUSHDB right at the cut: everything is saved at
 * once (the output holds the whole dataset before the walk starts). */
Test(snapshot, flush_and_swap_right_after_the_cut)
{
    struct keyspace *ks = make_keyspace(11);
    struct model m;
    model_record(&m, ks);
    struct snap_slice sl;
    snap_slice_begin(&sl, ks, true);
    struct chunks ch = {0};
    db_swap(ks_db(ks, 0), ks_db(ks, 1));
    cr_assert_eq(sl.keys, db_size(ks_db(ks, 0)) + db_size(ks_db(ks, 1)), "SWAPDB saves both databases");
    ks_flush(ks);
    cr_assert_eq(sl.keys, m.n, "FLUSHALL saves what the walk has not");
    take(&sl, &ch);
    fill_db(ks_db(ks, 2), 100, 77); /* newer than the cut */
    cr_assert(snap_slice_step(&sl, 1000000, 1 << 20));
    take(&sl, &ch);
    cr_assert_eq(sl.keys, m.n);
    snap_slice_free(&sl);
    assert_snapshot_is(&m, &ch, false);
    chunks_free(&ch);
    model_free(&m);
    assert_all_current(ks);
    ks_destroy(ks);
}

/* An empty keyspace: done at the first step, no output. */
Test(snapshot, empty_keyspace)
{
    struct keyspace *ks = ks_create(NDBS, 1);
    struct model m;
    model_record(&m, ks);
    struct snap_slice sl;
    snap_slice_begin(&sl, ks, true);
    cr_assert(snap_slice_step(&sl, 1, 1));
    cr_assert_eq(snap_slice_pending(&sl), 0);
    struct chunks ch = {0};
    take(&sl, &ch);
    cr_assert_eq(ch.n, 0);
    snap_slice_free(&sl);
    assert_snapshot_is(&m, &ch, false);
    assert_all_current(ks);
    model_free(&m);
    ks_destroy(ks);
}

/* max_bytes bounds a step's output (one scan step over at most). */
Test(snapshot, steps_stop_at_max_bytes)
{
    struct keyspace *ks = make_keyspace(5);
    struct model m;
    model_record(&m, ks);
    struct snap_slice sl;
    snap_slice_begin(&sl, ks, true);
    struct chunks ch = {0};
    unsigned steps = 0;
    bool done = false;
    while (!done) {
        done = snap_slice_step(&sl, 1000000, 4096);
        steps++;
        take(&sl, &ch);
    }
    cr_assert_gt(steps, 5);
    cr_assert_gt(ch.n, 5);
    snap_slice_free(&sl);
    assert_snapshot_is(&m, &ch, true);
    chunks_free(&ch);
    model_free(&m);
    ks_destroy(ks);
}

/* The database's own changes save the record first even when nobody
 * looked it up (active expiry, eviction-like sampling, db_peek holders):
 * db_set_expire, db_persist, db_delete_kv, db_set_string, db_swap_record. */
Test(snapshot, changes_without_a_lookup)
{
    struct keyspace *ks = ks_create(NDBS, 9);
    struct db *db = ks_db(ks, 0);
    char key[32], val[32];
    long long now = mstime();
    for (unsigned i = 0; i < 200; i++) {
        size_t klen = key_name(key, sizeof key, "s:", i);
        struct kv *kv = kv_new_string(key, klen, val, (size_t)snprintf(val, sizeof val, "old-%u", i));
        db_add(db, kv);
        if (i % 3 == 0) db_set_expire(db, kv, now + 3600000);
        else if (i % 10 == 1) db_set_expire(db, kv, now - 5000); /* expired, still stored */
    }
    struct model m;
    model_record(&m, ks);
    struct snap_slice sl;
    snap_slice_begin(&sl, ks, true);
    struct chunks ch = {0};
    cr_assert_not(snap_slice_step(&sl, 2, 1 << 20));
    take(&sl, &ch);
    uint64_t before = sl.keys;
    for (unsigned i = 0; i < 200; i++) db_peek(db, key, key_name(key, sizeof key, "s:", i));
    cr_assert_eq(sl.keys, before, "db_peek saves nothing");

    for (unsigned i = 0; i < 200; i++) {
        size_t klen = key_name(key, sizeof key, "s:", i);
        struct kv *kv = db_peek(db, key, klen);
        if (!kv || i % 10 == 1) continue;
        switch (i % 5) {
        case 0: db_set_expire(db, kv, now + 7200000); break;
        case 1: db_persist(db, kv); break;
        case 2: db_delete_kv(db, kv); break;
        case 3: db_set_string(db, kv, key, klen, "new", 3, i % 2); break;
        default: {
            struct kv *repl = kv_new_string(key, klen, "replaced", 8);
            db_swap_record(db, kv, repl);
            kv_free(kv);
        }
        }
    }
    /* the timer deletes the expired keys: straight from the expires dict */
    cr_assert_gt(db_active_expire(db, mstime(), 1000000), 0);
    /* records picked at random (eviction's sampling) */
    for (int i = 0; i < 50; i++) {
        struct kv *kv = db_random(db);
        if (kv) db_set_expire(db, kv, now + 100 + i);
    }
    while (!snap_slice_step(&sl, 2, 1 << 20)) take(&sl, &ch);
    take(&sl, &ch);
    cr_assert_eq(sl.keys, m.n);
    snap_slice_free(&sl);
    assert_snapshot_is(&m, &ch, false);
    assert_all_current(ks);
    chunks_free(&ch);
    model_free(&m);
    ks_destroy(ks);
}

/* The database the walk is in, mid-scan (cursor not 0), changes
 * wholesale: emptied, swapped with a bigger or an empty one, shrunk by
 * mass deletion, grown by mass insertion. The walk's cursor goes on over
 * whatever the slot holds now. */
Test(snapshot, database_under_the_walk_changes_wholesale)
{
    for (int what = 0; what < 5; what++) {
        struct keyspace *ks = ks_create(NDBS, 100 + (uint64_t)what);
        fill_db(ks_db(ks, 0), 100, 1);
        fill_db(ks_db(ks, 1), 400, 2);
        fill_db(ks_db(ks, 2), 2000, 3);
        fill_db(ks_db(ks, 3), 30, 4);
        struct model m;
        model_record(&m, ks);
        struct snap_slice sl;
        snap_slice_begin(&sl, ks, true);
        struct chunks ch = {0};
        bool done = false, changed = false;
        while (!done) {
            if (!changed && sl.walk_db == 1 && sl.walk_cursor != 0) {
                struct db *db = ks_db(ks, 1);
                char key[32];
                changed = true;
                switch (what) {
                case 0: db_flush(db); break;
                case 1: db_swap(db, ks_db(ks, 2)); break; /* a bigger table under the cursor */
                case 2: db_swap(db, ks_db(ks, 7)); break; /* an empty one */
                case 3:
                    for (unsigned i = 0; i < 400; i++)
                        if (i % 20) db_delete(db, key, key_name(key, sizeof key, "k:", i));
                    for (int j = 0; j < 100; j++) db_maintain(db, 1000);
                    break;
                default:
                    for (unsigned i = 0; i < 5000; i++) {
                        size_t klen = key_name(key, sizeof key, "grow:", i);
                        db_add(db, kv_new_string(key, klen, "g", 1));
                    }
                    for (int j = 0; j < 3; j++) db_maintain(db, 10);
                    break;
                }
            }
            done = snap_slice_step(&sl, 3, 1 << 20);
            take(&sl, &ch);
        }
        cr_assert(changed, "case %d: the walk never stood inside db 1", what);
        take(&sl, &ch);
        cr_assert_eq(sl.keys, m.n, "case %d", what);
        snap_slice_free(&sl);
        assert_snapshot_is(&m, &ch, false);
        assert_all_current(ks);
        chunks_free(&ch);
        model_free(&m);
        ks_destroy(ks);
    }
}
