/* Unit tests for the ziplist and zipmap readers: every encoding through
 * a small test-only encoder, byte arrays that redis-server 7.0 accepted
 * (RESTORE with sanitize-dump-payload yes), and malformed input of every
 * kind: each case gets a buffer of exactly its size, so that a read past
 * the end shows under ASan. */
#include "ds_check.h"
#include "ringkv/base/util.h"
#include "ringkv/data/listpack.h"
#include "ringkv/data/ziplist.h"

#include <limits.h>

/* ---- a growable byte buffer ---- */

typedef struct buf {
    unsigned char *b;
    size_t len, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 16;
        b->b = realloc(b->b, b->cap);
    }
    if (n) memcpy(b->b + b->len, p, n);
    b->len += n;
}

static void put_u8(buf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}

static void put_le(buf *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) put_u8(b, (unsigned)(v >> (8 * i)) & 0xFF);
}

static void put_be32(buf *b, uint32_t v)
{
    for (int i = 3; i >= 0; i--) put_u8(b, (v >> (8 * i)) & 0xFF);
}

static void set_le(unsigned char *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* An exact-size heap copy, so ASan sees any read past `size`. */
__attribute__((noinline)) static unsigned char *exact(const void *p, size_t size)
{
    unsigned char *c = malloc(size ? size : 1);
    if (size) memcpy(c, p, size);
    return c;
}

/* ---- what a listpack should hold ---- */

typedef struct want {
    bool is_int;
    long long ll;
    unsigned char *s;
    size_t len;
} want;

typedef struct wants {
    want *w;
    size_t n, cap;
} wants;

static void want_add(wants *ws, bool is_int, long long ll, const void *s, size_t len)
{
    if (ws->n == ws->cap) {
        ws->cap = ws->cap * 2 + 16;
        ws->w = realloc(ws->w, ws->cap * sizeof(want));
    }
    want *w = &ws->w[ws->n++];
    w->is_int = is_int;
    w->ll = ll;
    w->s = is_int ? NULL : exact(s, len);
    w->len = len;
}

static void wants_free(wants *ws)
{
    for (size_t i = 0; i < ws->n; i++) free(ws->w[i].s);
    free(ws->w);
}

/* The listpack holds exactly ws, in order: integers as integers, strings
 * with the same bytes (as integers if they read as one), and is valid and
 * not much bigger than the input. */
static void expect_lp(unsigned char *lp, size_t count, const wants *ws, size_t in_size)
{
    cr_assert(lp != NULL, "rejected a valid input");
    cr_assert(lp_validate(lp, lp_bytes(lp), true));
    cr_assert_eq(count, ws->n);
    cr_assert_eq(lp_len(lp), ws->n);
    cr_assert_leq(lp_bytes(lp), 2 * in_size + 16);
    unsigned char *p = lp_first(lp);
    for (size_t i = 0; i < ws->n; i++) {
        const want *w = &ws->w[i];
        REQUIRE(p != NULL, "entry %zu missing", i);
        lp_value v;
        lp_get(p, &v);
        if (w->is_int) {
            REQUIRE(v.str == NULL && v.ll == w->ll, "entry %zu: want %lld", i, w->ll);
        } else {
            char tmp[RK_LONG_STR_SIZE];
            size_t len;
            const unsigned char *s = lp_get_str(p, &len, tmp);
            long long ll;
            REQUIRE(len == w->len && (len == 0 || memcmp(s, w->s, len) == 0), "entry %zu", i);
            REQUIRE((v.str == NULL) == string2ll((const char *)w->s, w->len, &ll), "entry %zu", i);
        }
        p = lp_next(lp, p);
    }
    cr_assert(p == NULL, "extra entries");
}

/* ---- a test-only ziplist encoder ---- */

enum zl_enc {
    Z_AUTO, /* what Redis picks */
    Z_STR6, Z_STR14, Z_STR32,
    Z_INT8, Z_INT16, Z_INT24, Z_INT32, Z_INT64, Z_IMM,
};

typedef struct zlb {
    buf body;       /* the entries */
    size_t prev;    /* size of the last entry */
    size_t tail;    /* offset of the last entry in the finished ziplist */
    size_t n;
    bool big_prevlen; /* always the 5-byte prevlen form */
    size_t starts[64]; /* offsets of the first entries, for corrupting them */
    wants ws;
} zlb;

/* Appends an entry made of the given encoding+data bytes, with the right
 * prevlen in front. */
static void zl_raw(zlb *z, const void *encdata, size_t n)
{
    buf e = {0};
    if (z->prev < 254 && !z->big_prevlen) put_u8(&e, (unsigned)z->prev);
    else { put_u8(&e, 0xFE); put_le(&e, z->prev, 4); }
    put(&e, encdata, n);
    z->tail = 10 + z->body.len;
    if (z->n < RK_ARRAY_LEN(z->starts)) z->starts[z->n] = z->tail;
    put(&z->body, e.b, e.len);
    z->prev = e.len;
    z->n++;
    free(e.b);
}

static void zl_str(zlb *z, const void *s, size_t len, enum zl_enc enc)
{
    buf e = {0};
    if (enc == Z_AUTO) enc = len < 64 ? Z_STR6 : len < 16384 ? Z_STR14 : Z_STR32;
    if (enc == Z_STR6) put_u8(&e, (unsigned)len);
    else if (enc == Z_STR14) { put_u8(&e, 0x40 | (unsigned)(len >> 8)); put_u8(&e, len & 0xFF); }
    else { put_u8(&e, 0x80); put_be32(&e, (uint32_t)len); }
    put(&e, s, len);
    zl_raw(z, e.b, e.len);
    want_add(&z->ws, false, 0, s, len);
    free(e.b);
}

static void zl_cstr(zlb *z, const char *s) { zl_str(z, s, strlen(s), Z_AUTO); }

static void zl_int(zlb *z, long long v, enum zl_enc enc)
{
    buf e = {0};
    if (enc == Z_AUTO)
        enc = v >= 0 && v <= 12 ? Z_IMM : v >= INT8_MIN && v <= INT8_MAX ? Z_INT8
            : v >= INT16_MIN && v <= INT16_MAX ? Z_INT16 : v >= -(1 << 23) && v < (1 << 23) ? Z_INT24
            : v >= INT32_MIN && v <= INT32_MAX ? Z_INT32 : Z_INT64;
    switch (enc) {
    case Z_IMM: put_u8(&e, 0xF1 + (unsigned)v); break;
    case Z_INT8: put_u8(&e, 0xFE); put_le(&e, (uint64_t)v, 1); break;
    case Z_INT16: put_u8(&e, 0xC0); put_le(&e, (uint64_t)v, 2); break;
    case Z_INT24: put_u8(&e, 0xF0); put_le(&e, (uint64_t)v, 3); break;
    case Z_INT32: put_u8(&e, 0xD0); put_le(&e, (uint64_t)v, 4); break;
    default: put_u8(&e, 0xE0); put_le(&e, (uint64_t)v, 8); break;
    }
    zl_raw(z, e.b, e.len);
    want_add(&z->ws, true, v, NULL, 0);
    free(e.b);
}

/* The finished ziplist, exact size; zllen is the count (65535 from there
 * on, as Redis stores it). */
static unsigned char *zl_finish(const zlb *z, size_t *size)
{
    buf out = {0};
    size_t total = 10 + z->body.len + 1;
    put_le(&out, total, 4);
    put_le(&out, z->n ? z->tail : 10, 4);
    put_le(&out, z->n < 65535 ? z->n : 65535, 2);
    put(&out, z->body.b, z->body.len);
    put_u8(&out, 0xFF);
    *size = out.len;
    unsigned char *r = exact(out.b, out.len);
    free(out.b);
    return r;
}

static void zlb_free(zlb *z)
{
    free(z->body.b);
    wants_free(&z->ws);
}

/* Converts and checks against what the builder recorded. */
static void expect_zl(const zlb *z)
{
    size_t size, count = 12345;
    unsigned char *zl = zl_finish(z, &size);
    unsigned char *lp = ziplist_to_listpack(zl, size, &count);
    expect_lp(lp, count, &z->ws, size);
    lp_free(lp);
    free(zl);
}

static bool zl_rejects(const unsigned char *zl, size_t size)
{
    unsigned char *c = exact(zl, size);
    size_t count = 777;
    unsigned char *lp = ziplist_to_listpack(c, size, &count);
    free(c);
    if (lp) lp_free(lp);
    return lp == NULL && count == 777;
}

/* A ziplist with every kind of entry, prevlen forms included. */
static void build_rich(zlb *z)
{
    static char big[300];
    memset(big, 'b', sizeof(big));
    zl_cstr(z, "hello");
    zl_int(z, 7, Z_AUTO);
    zl_int(z, -100, Z_AUTO);
    zl_int(z, 1000, Z_AUTO);
    zl_int(z, -70000, Z_AUTO);
    zl_int(z, 1LL << 30, Z_AUTO);
    zl_int(z, -(1LL << 40), Z_AUTO);
    zl_str(z, big, sizeof(big), Z_AUTO); /* next prevlen takes 5 bytes */
    zl_str(z, "x", 1, Z_STR32);
    zl_str(z, "", 0, Z_AUTO);
}

/* ---- ziplist: valid input ---- */

Test(ziplist, every_integer_encoding)
{
    zlb z = {0};
    for (long long v = 0; v <= 12; v++) zl_int(&z, v, Z_IMM);
    long long i8[] = {INT8_MIN, -1, 0, 13, INT8_MAX};
    long long i16[] = {INT16_MIN, -129, 128, INT16_MAX, 5};
    long long i24[] = {-(1 << 23), -32769, 32768, (1 << 23) - 1, -1};
    long long i32[] = {INT32_MIN, -(1 << 23) - 1, 1 << 23, INT32_MAX, 0};
    long long i64[] = {LLONG_MIN, -2147483649LL, 2147483648LL, LLONG_MAX, 12};
    for (size_t i = 0; i < 5; i++) {
        zl_int(&z, i8[i], Z_INT8);
        zl_int(&z, i16[i], Z_INT16);
        zl_int(&z, i24[i], Z_INT24);
        zl_int(&z, i32[i], Z_INT32);
        zl_int(&z, i64[i], Z_INT64);
    }
    for (size_t i = 0; i < RK_ARRAY_LEN(tval_edge_ints); i++) zl_int(&z, tval_edge_ints[i], Z_AUTO);
    expect_zl(&z);
    zlb_free(&z);
}

Test(ziplist, every_string_length_encoding)
{
    zlb z = {0};
    size_t lens[] = {0, 1, 63, 64, 300, 4096, 16383, 16384, 70000};
    unsigned char *s = malloc(70000);
    for (size_t i = 0; i < 70000; i++) s[i] = (unsigned char)(i * 7 + 3); /* any bytes */
    for (size_t i = 0; i < RK_ARRAY_LEN(lens); i++) zl_str(&z, s, lens[i], Z_AUTO);
    /* Longer encodings than needed are still valid. */
    zl_str(&z, "abc", 3, Z_STR14);
    zl_str(&z, "abcdef", 6, Z_STR32);
    zl_str(&z, s, 100, Z_STR32);
    /* Strings that read as integers become listpack integers; strings
     * that only look like them stay strings. */
    zl_cstr(&z, "12345");
    zl_cstr(&z, "-9223372036854775808");
    for (size_t i = 0; i < RK_ARRAY_LEN(tval_fake_ints); i++) zl_cstr(&z, tval_fake_ints[i]);
    expect_zl(&z);
    zlb_free(&z);
    free(s);
}

Test(ziplist, prevlen_forms)
{
    zlb z = {0};
    char s[300];
    memset(s, 'p', sizeof(s));
    /* Entries of 253 bytes (prevlen 1 byte) and 254 bytes (5 bytes): a
     * 14-bit string header is 2 bytes, the prevlen in front 1 or 5. */
    zl_str(&z, s, 250, Z_STR14); /* 1 + 2 + 250 = 253 */
    zl_cstr(&z, "after253");
    zl_str(&z, s, 251, Z_STR14); /* 1 + 2 + 251 = 254 */
    zl_cstr(&z, "after254");      /* 5-byte prevlen */
    zl_str(&z, s, 300, Z_AUTO);
    zl_int(&z, 3, Z_AUTO);
    expect_zl(&z);
    size_t size;
    unsigned char *zl = zl_finish(&z, &size);
    cr_expect_eq(zl[z.starts[3]], 0xFE);
    cr_expect_eq(zl[z.starts[1]], 253);
    free(zl);
    zlb_free(&z);

    /* Redis may leave a small prevlen in the 5-byte form. */
    zlb big = {.big_prevlen = true};
    zl_cstr(&big, "a");
    zl_int(&big, 1, Z_AUTO);
    zl_cstr(&big, "b");
    expect_zl(&big);
    zlb_free(&big);
}

Test(ziplist, empty_and_counts)
{
    zlb z = {0};
    expect_zl(&z); /* zero entries: valid here, the caller decides */
    zlb_free(&z);

    static const unsigned char empty[] = {11, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0xFF};
    size_t count = 9;
    unsigned char *lp = ziplist_to_listpack(empty, sizeof(empty), &count);
    cr_assert(lp != NULL);
    cr_expect_eq(count, 0);
    lp_free(lp);
    lp = ziplist_to_listpack(empty, sizeof(empty), NULL); /* count may be NULL */
    cr_assert(lp != NULL);
    lp_free(lp);

    /* 70000 entries: zllen says 65535, "count them". */
    zlb many = {0};
    for (long long i = 0; i < 70000; i++) {
        if (i % 3) zl_int(&many, i, Z_AUTO);
        else zl_cstr(&many, "item");
    }
    expect_zl(&many);
    size_t size;
    unsigned char *zl = zl_finish(&many, &size);
    set_le(zl + 8, 70000 & 0xFFFF, 2); /* a wrapped count is wrong */
    cr_expect(zl_rejects(zl, size));
    free(zl);
    zlb_free(&many);

    /* 65535 means unknown for any count. */
    zlb few = {0};
    zl_cstr(&few, "a");
    zl_cstr(&few, "b");
    zl = zl_finish(&few, &size);
    set_le(zl + 8, 65535, 2);
    lp = ziplist_to_listpack(zl, size, &count);
    expect_lp(lp, count, &few.ws, size);
    lp_free(lp);
    free(zl);
    zlb_free(&few);
}

/* Bytes of ziplists that redis-server 7.0.15 loaded (RESTORE of a DUMP
 * payload of type 10, list, and 13, hash, RDB version 9, with
 * sanitize-dump-payload yes): LRANGE / HGETALL gave the values below. */
static const unsigned char redis_zl_list_head[] = {
    0xa8, 0x01, 0x00, 0x00, 0xa1, 0x01, 0x00, 0x00, 0x16, 0x00, 0x00, 0x05, 0x68, 0x65, 0x6c,
    0x6c, 0x6f, 0x07, 0xf1, 0x02, 0xfd, 0x02, 0xfe, 0x0d, 0x03, 0xfe, 0xff, 0x03, 0xfe, 0x7f,
    0x03, 0xfe, 0x80, 0x03, 0xc0, 0x80, 0x00, 0x04, 0xc0, 0xff, 0x7f, 0x04, 0xc0, 0x00, 0x80,
    0x04, 0xf0, 0x00, 0x80, 0x00, 0x05, 0xf0, 0xff, 0xff, 0x7f, 0x05, 0xf0, 0x00, 0x00, 0x80,
    0x05, 0xd0, 0x00, 0x00, 0x80, 0x00, 0x06, 0xd0, 0xff, 0xff, 0xff, 0x7f, 0x06, 0xd0, 0x00,
    0x00, 0x00, 0x80, 0x06, 0xe0, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x0a, 0xe0,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x0a, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x80, 0x0a, 0x41, 0x2c}; /* then 300 'x', then the tail below */
static const unsigned char redis_zl_list_tail[] = {
    0xfe, 0x2f, 0x01, 0x00, 0x00, 0x00, 0x06, 0x04, 0x74, 0x61, 0x69, 0x6c, 0xff};
static const unsigned char redis_zl_hash[] = {
    0x23, 0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x05, 0x66, 0x69, 0x65,
    0x6c, 0x64, 0x07, 0x05, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x07, 0x05, 0x63, 0x6f, 0x75, 0x6e,
    0x74, 0x07, 0xfe, 0x2a, 0xff};

Test(ziplist, what_redis_loads)
{
    buf b = {0};
    put(&b, redis_zl_list_head, sizeof(redis_zl_list_head));
    for (int i = 0; i < 300; i++) put_u8(&b, 'x');
    put(&b, redis_zl_list_tail, sizeof(redis_zl_list_tail));
    cr_assert_eq(b.len, 424);
    unsigned char *zl = exact(b.b, b.len);
    free(b.b);

    static const char *const want_list[] = {
        "hello", "0", "12", "13", "-1", "127", "-128", "128", "32767", "-32768", "32768",
        "8388607", "-8388608", "8388608", "2147483647", "-2147483648", "2147483648",
        "9223372036854775807", "-9223372036854775808", NULL /* 300 x */, "", "tail"};
    wants ws = {0};
    char xs[300];
    memset(xs, 'x', sizeof(xs));
    for (size_t i = 0; i < RK_ARRAY_LEN(want_list); i++) {
        long long ll;
        const char *s = want_list[i];
        if (!s) want_add(&ws, false, 0, xs, sizeof(xs));
        else if (string2ll(s, strlen(s), &ll) && strcmp(s, "hello")) want_add(&ws, true, ll, NULL, 0);
        else want_add(&ws, false, 0, s, strlen(s));
    }
    size_t count;
    unsigned char *lp = ziplist_to_listpack(zl, 424, &count);
    expect_lp(lp, count, &ws, 424);
    lp_free(lp);
    free(zl);
    wants_free(&ws);

    wants wh = {0};
    want_add(&wh, false, 0, "field", 5);
    want_add(&wh, false, 0, "value", 5);
    want_add(&wh, false, 0, "count", 5);
    want_add(&wh, true, 42, NULL, 0);
    zl = exact(redis_zl_hash, sizeof(redis_zl_hash));
    lp = ziplist_to_listpack(zl, sizeof(redis_zl_hash), &count);
    expect_lp(lp, count, &wh, sizeof(redis_zl_hash));
    lp_free(lp);
    free(zl);
    wants_free(&wh);
}

Test(ziplist, random_round_trips)
{
    for (int round = 0; round < 200; round++) {
        zlb z = {.big_prevlen = trand(10) == 0};
        size_t n = trand(60);
        for (size_t i = 0; i < n; i++) {
            tval v = tval_random(round % 20 == 0);
            long long ll;
            if (string2ll((const char *)v.s, v.len, &ll) && trand(4)) zl_int(&z, ll, Z_AUTO);
            else zl_str(&z, v.s, v.len, trand(8) ? Z_AUTO : Z_STR32);
            free(v.s);
        }
        expect_zl(&z);
        zlb_free(&z);
    }
}

/* ---- ziplist: malformed input ---- */

Test(ziplist, truncated_at_every_byte)
{
    zlb z = {0};
    build_rich(&z);
    size_t size;
    unsigned char *zl = zl_finish(&z, &size);
    for (size_t k = 0; k < size; k++) {
        unsigned char *c = exact(zl, k);
        REQUIRE(zl_rejects(c, k), "cut at %zu", k);
        /* The same with the header and end marker made to agree, so the
         * walk itself meets the cut. */
        if (k >= 4) set_le(c, k, 4);
        REQUIRE(zl_rejects(c, k), "cut at %zu, zlbytes fixed", k);
        if (k >= 1) c[k - 1] = 0xFF;
        REQUIRE(zl_rejects(c, k), "cut at %zu, end marker", k);
        free(c);
    }
    free(zl);
    zlb_free(&z);
}

Test(ziplist, wrong_header_fields)
{
    zlb z = {0};
    build_rich(&z);
    size_t size;
    unsigned char *zl = zl_finish(&z, &size);
    cr_assert(!zl_rejects(zl, size));

    uint64_t bytes_bad[] = {0, size - 1, size + 1, UINT32_MAX};
    for (size_t i = 0; i < RK_ARRAY_LEN(bytes_bad); i++) {
        unsigned char *c = exact(zl, size);
        set_le(c, bytes_bad[i], 4);
        cr_expect(zl_rejects(c, size), "zlbytes %llu", (unsigned long long)bytes_bad[i]);
        free(c);
    }
    uint64_t tail_bad[] = {0, 10, z.tail - 1, z.tail + 1, size - 1, size, UINT32_MAX};
    for (size_t i = 0; i < RK_ARRAY_LEN(tail_bad); i++) {
        unsigned char *c = exact(zl, size);
        set_le(c + 4, tail_bad[i], 4);
        cr_expect(zl_rejects(c, size), "zltail %llu", (unsigned long long)tail_bad[i]);
        free(c);
    }
    uint64_t len_bad[] = {0, z.n - 1, z.n + 1, 65534};
    for (size_t i = 0; i < RK_ARRAY_LEN(len_bad); i++) {
        unsigned char *c = exact(zl, size);
        set_le(c + 8, len_bad[i], 2);
        cr_expect(zl_rejects(c, size), "zllen %llu", (unsigned long long)len_bad[i]);
        free(c);
    }
    /* A size argument that disagrees with zlbytes. */
    cr_expect(zl_rejects(zl, size - 1));
    free(zl);
    zlb_free(&z);

    /* An empty ziplist's zltail is the end of the header. */
    static const unsigned char empty_bad_tail[] = {11, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0xFF};
    static const unsigned char empty_bad_len[] = {11, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0xFF};
    cr_expect(zl_rejects(empty_bad_tail, sizeof(empty_bad_tail)));
    cr_expect(zl_rejects(empty_bad_len, sizeof(empty_bad_len)));
    cr_expect(zl_rejects(NULL, 0));
}

Test(ziplist, wrong_prevlen)
{
    zlb z = {0};
    build_rich(&z);
    size_t size;
    unsigned char *zl = zl_finish(&z, &size);
    /* First entry: prevlen must be 0. */
    unsigned char *c = exact(zl, size);
    c[z.starts[0]] = 1;
    cr_expect(zl_rejects(c, size));
    free(c);
    /* Off by one either way, on 1-byte prevlens. */
    for (size_t i = 1; i < 7; i++) {
        for (int d = -1; d <= 1; d += 2) {
            c = exact(zl, size);
            c[z.starts[i]] = (unsigned char)(c[z.starts[i]] + d);
            REQUIRE(zl_rejects(c, size), "entry %zu %+d", i, d);
            free(c);
        }
    }
    /* The 5-byte form (entry 8 follows the 300-byte string). */
    cr_assert_eq(zl[z.starts[8]], 0xFE);
    c = exact(zl, size);
    c[z.starts[8] + 1]++;
    cr_expect(zl_rejects(c, size));
    c[z.starts[8] + 1]--;
    c[z.starts[8] + 4] = 1; /* high byte */
    cr_expect(zl_rejects(c, size));
    free(c);
    /* An end marker where an entry starts. */
    c = exact(zl, size);
    c[z.starts[2]] = 0xFF;
    cr_expect(zl_rejects(c, size));
    free(c);
    free(zl);
    zlb_free(&z);
}

static bool valid_encoding_byte(unsigned b)
{
    return b < 0x80 || b == 0x80 || b == 0xC0 || b == 0xD0 || b == 0xE0 || b == 0xF0 ||
           b == 0xFE || (b >= 0xF1 && b <= 0xFD);
}

Test(ziplist, bad_encoding_bytes)
{
    for (unsigned b = 0; b < 256; b++) {
        if (valid_encoding_byte(b)) continue;
        /* One entry: the byte, then 0..8 zero bytes, so that whatever
         * payload size a lax reader gave the byte, one of them fits. */
        for (size_t n = 0; n <= 8; n++) {
            unsigned char e[9] = {(unsigned char)b};
            zlb z = {0};
            zl_raw(&z, e, 1 + n);
            size_t size;
            unsigned char *zl = zl_finish(&z, &size);
            REQUIRE(zl_rejects(zl, size), "encoding 0x%02x + %zu bytes", b, n);
            free(zl);
            zlb_free(&z);
        }
    }
    /* And every valid one, with exactly its payload, is accepted. */
    for (unsigned b = 0x80; b < 256; b++) {
        if (!valid_encoding_byte(b)) continue;
        unsigned char e[9] = {(unsigned char)b};
        size_t n = b == 0x80 ? 5 : b == 0xC0 ? 3 : b == 0xD0 ? 5 : b == 0xE0 ? 9
                 : b == 0xF0 ? 4 : b == 0xFE ? 2 : 1;
        zlb z = {0};
        zl_raw(&z, e, n);
        size_t size;
        unsigned char *zl = zl_finish(&z, &size);
        REQUIRE(!zl_rejects(zl, size), "encoding 0x%02x", b);
        /* One byte short of its payload: the end marker is reached. */
        if (n > 1) {
            zlb s = {0};
            zl_raw(&s, e, n - 1);
            unsigned char *zs = zl_finish(&s, &size);
            REQUIRE(zl_rejects(zs, size), "encoding 0x%02x short", b);
            free(zs);
            zlb_free(&s);
        }
        free(zl);
        zlb_free(&z);
    }
}

Test(ziplist, lengths_past_the_end)
{
    static const unsigned char cases[][6] = {
        {0x0A, 'a', 'b', 'c'},             /* 6-bit length 10, 3 bytes there */
        {0x43, 0xE8, 'a'},                 /* 14-bit length 1000 */
        {0x80, 0xFF, 0xFF, 0xFF, 0xFF},    /* 32-bit length 4 GB - 1 */
        {0x80, 0x00, 0x00, 0x00, 0x02, 'a'}, /* 32-bit length 2 */
        {0x3F},                            /* 63 bytes of nothing */
    };
    static const size_t lens[] = {4, 3, 5, 6, 1};
    for (size_t i = 0; i < RK_ARRAY_LEN(cases); i++) {
        zlb z = {0};
        zl_cstr(&z, "first");
        zl_raw(&z, cases[i], lens[i]);
        size_t size;
        unsigned char *zl = zl_finish(&z, &size);
        cr_expect(zl_rejects(zl, size), "case %zu", i);
        free(zl);
        zlb_free(&z);
    }
    /* A string length that runs over the end marker into bytes that are
     * still inside the buffer (the size given is the ziplist's). */
    zlb z = {0};
    zl_raw(&z, (const unsigned char[]){0x02, 'a'}, 2);
    size_t size;
    unsigned char *zl = zl_finish(&z, &size);
    cr_expect(zl_rejects(zl, size));
    free(zl);
    zlb_free(&z);
    /* A 5-byte prevlen cut by the end marker. */
    static const unsigned char cut[] = {15, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0xFE, 0, 0, 0, 0xFF};
    cr_expect(zl_rejects(cut, sizeof(cut)));
}

Test(ziplist, end_marker_and_trailing_bytes)
{
    zlb z = {0};
    build_rich(&z);
    size_t size;
    unsigned char *zl = zl_finish(&z, &size);
    /* No end marker. */
    unsigned char *c = exact(zl, size);
    c[size - 1] = 0;
    cr_expect(zl_rejects(c, size));
    free(c);
    /* Trailing garbage after the end marker, zlbytes counting it or not. */
    const unsigned char tails[][3] = {{0xFF}, {0, 0xFF}, {1, 2, 0xFF}, {0, 0, 0}};
    for (size_t i = 0; i < RK_ARRAY_LEN(tails); i++) {
        for (size_t extra = 1; extra <= 3; extra++) {
            c = malloc(size + extra);
            memcpy(c, zl, size);
            memcpy(c + size, tails[i], extra);
            REQUIRE(zl_rejects(c, size + extra), "tail %zu+%zu", i, extra);
            set_le(c, size + extra, 4);
            REQUIRE(zl_rejects(c, size + extra), "tail %zu+%zu counted", i, extra);
            free(c);
        }
    }
    free(zl);
    zlb_free(&z);
}

/* Random damage to valid ziplists: never a crash or a bad read, and
 * whatever is accepted makes a valid listpack. */
Test(ziplist, random_corruption)
{
    zlb z = {0};
    build_rich(&z);
    for (int i = 0; i < 20; i++) zl_int(&z, (long long)rk_random64() >> (i * 3), Z_AUTO);
    size_t size;
    unsigned char *zl = zl_finish(&z, &size);
    size_t accepted = 0;
    for (int round = 0; round < 30000; round++) {
        unsigned char *c = exact(zl, size);
        int flips = 1 + (int)trand(3);
        for (int f = 0; f < flips; f++) {
            size_t at = trand(size);
            c[at] = trand(2) ? (unsigned char)trand(256) : (unsigned char)(c[at] ^ (1u << trand(8)));
        }
        size_t count;
        unsigned char *lp = ziplist_to_listpack(c, size, &count);
        if (lp) {
            REQUIRE(lp_validate(lp, lp_bytes(lp), true));
            REQUIRE(lp_len(lp) == count);
            accepted++;
            lp_free(lp);
        }
        free(c);
    }
    /* Flips inside string data or of an integer's value still decode. */
    cr_expect_gt(accepted, 0);
    free(zl);
    zlb_free(&z);
}

/* ---- a test-only zipmap encoder ---- */

typedef struct zmb {
    buf body;
    size_t pairs;
    bool big_lens; /* 254 + u32 for every length */
    wants ws;
} zmb;

static void zm_put_len(zmb *m, size_t len)
{
    if (len < 254 && !m->big_lens) put_u8(&m->body, (unsigned)len);
    else { put_u8(&m->body, 254); put_le(&m->body, len, 4); }
}

static void zm_add(zmb *m, const void *k, size_t klen, const void *v, size_t vlen, unsigned free_bytes)
{
    zm_put_len(m, klen);
    put(&m->body, k, klen);
    zm_put_len(m, vlen);
    put_u8(&m->body, free_bytes);
    put(&m->body, v, vlen);
    for (unsigned i = 0; i < free_bytes; i++) put_u8(&m->body, 0xAA);
    want_add(&m->ws, false, 0, k, klen);
    want_add(&m->ws, false, 0, v, vlen);
    m->pairs++;
}

static void zm_cadd(zmb *m, const char *k, const char *v)
{
    zm_add(m, k, strlen(k), v, strlen(v), 0);
}

static unsigned char *zm_finish(const zmb *m, size_t *size)
{
    buf out = {0};
    put_u8(&out, m->pairs < 254 ? (unsigned)m->pairs : 254);
    put(&out, m->body.b, m->body.len);
    put_u8(&out, 0xFF);
    *size = out.len;
    unsigned char *r = exact(out.b, out.len);
    free(out.b);
    return r;
}

static void zmb_free(zmb *m)
{
    free(m->body.b);
    wants_free(&m->ws);
}

static void expect_zm(const zmb *m)
{
    size_t size, count = 4242;
    unsigned char *zm = zm_finish(m, &size);
    unsigned char *lp = zipmap_to_listpack(zm, size, &count);
    expect_lp(lp, count, &m->ws, size);
    lp_free(lp);
    free(zm);
}

static bool zm_rejects(const unsigned char *zm, size_t size)
{
    unsigned char *c = exact(zm, size);
    size_t count = 777;
    unsigned char *lp = zipmap_to_listpack(c, size, &count);
    free(c);
    if (lp) lp_free(lp);
    return lp == NULL && count == 777;
}

static void build_rich_map(zmb *m)
{
    static char big[300];
    memset(big, 'k', sizeof(big));
    zm_cadd(m, "name", "ringkv");
    zm_add(m, "n", 1, "12345", 5, 3);
    zm_add(m, big, sizeof(big), "v", 1, 1); /* key length 254 + u32 */
    zm_add(m, "big", 3, big, 260, 0);       /* value length 254 + u32 */
    zm_cadd(m, "", "");
}

/* ---- zipmap: valid input ---- */

Test(zipmap, pairs_and_lengths)
{
    zmb m = {0};
    build_rich_map(&m);
    unsigned char *s = malloc(70000);
    for (size_t i = 0; i < 70000; i++) s[i] = (unsigned char)(i * 13);
    size_t lens[] = {0, 1, 253, 254, 255, 16384, 70000};
    for (size_t i = 0; i < RK_ARRAY_LEN(lens); i++)
        zm_add(&m, s, lens[i] < 300 ? lens[i] : 300, s, lens[i], (unsigned)(i * 40));
    zm_cadd(&m, "-5", "9223372036854775807"); /* integer-looking: stored as integers */
    zm_cadd(&m, "01", "1e3");
    expect_zm(&m);
    zmb_free(&m);

    /* 254 + u32 used for small lengths too. */
    zmb b = {.big_lens = true};
    zm_cadd(&b, "a", "b");
    zm_cadd(&b, "", "x");
    expect_zm(&b);
    zmb_free(&b);
    free(s);
}

Test(zipmap, counts)
{
    zmb m = {0};
    expect_zm(&m); /* empty: valid here, the caller decides */
    zmb_free(&m);

    /* 300 pairs: zmlen 254, "count them". */
    zmb many = {0};
    for (int i = 0; i < 300; i++) {
        char k[16];
        snprintf(k, sizeof(k), "f%d", i);
        zm_cadd(&many, k, "v");
    }
    expect_zm(&many);
    zmb_free(&many);

    zmb few = {0};
    zm_cadd(&few, "a", "1");
    zm_cadd(&few, "b", "2");
    size_t size, count;
    unsigned char *zm = zm_finish(&few, &size);
    for (unsigned z0 = 254; z0 <= 255; z0++) { /* both mean "unknown" */
        zm[0] = (unsigned char)z0;
        unsigned char *lp = zipmap_to_listpack(zm, size, &count);
        expect_lp(lp, count, &few.ws, size);
        lp_free(lp);
    }
    unsigned wrong[] = {0, 1, 3, 253};
    for (size_t i = 0; i < RK_ARRAY_LEN(wrong); i++) {
        zm[0] = (unsigned char)wrong[i];
        cr_expect(zm_rejects(zm, size), "zmlen %u", wrong[i]);
    }
    free(zm);
    zmb_free(&few);
}

/* A zipmap that redis-server 7.0.15 loaded (RESTORE of a DUMP payload of
 * type 9, RDB version 9, sanitize-dump-payload yes); HGETALL gave
 * name=ringkv, n=12345, <300 k>=v, ""=empty. */
static const unsigned char redis_zm_head[] = {
    0x04, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x06, 0x02, 0x72, 0x69, 0x6e, 0x67, 0x6b, 0x76, 0x00,
    0x00, 0x01, 0x6e, 0x05, 0x00, 0x31, 0x32, 0x33, 0x34, 0x35, 0xfe, 0x2c, 0x01, 0x00,
    0x00}; /* then 300 'k', then the tail below */
static const unsigned char redis_zm_tail[] = {
    0x01, 0x01, 0x76, 0x00, 0x00, 0x05, 0x00, 0x65, 0x6d, 0x70, 0x74, 0x79, 0xff};

Test(zipmap, what_redis_loads)
{
    buf b = {0};
    put(&b, redis_zm_head, sizeof(redis_zm_head));
    for (int i = 0; i < 300; i++) put_u8(&b, 'k');
    put(&b, redis_zm_tail, sizeof(redis_zm_tail));
    cr_assert_eq(b.len, 343);
    unsigned char *zm = exact(b.b, b.len);
    free(b.b);
    char ks[300];
    memset(ks, 'k', sizeof(ks));
    wants ws = {0};
    want_add(&ws, false, 0, "name", 4);
    want_add(&ws, false, 0, "ringkv", 6);
    want_add(&ws, false, 0, "n", 1);
    want_add(&ws, true, 12345, NULL, 0);
    want_add(&ws, false, 0, ks, sizeof(ks));
    want_add(&ws, false, 0, "v", 1);
    want_add(&ws, false, 0, "", 0);
    want_add(&ws, false, 0, "empty", 5);
    size_t count;
    unsigned char *lp = zipmap_to_listpack(zm, 343, &count);
    expect_lp(lp, count, &ws, 343);
    lp_free(lp);
    free(zm);
    wants_free(&ws);
}

/* ---- zipmap: malformed input ---- */

Test(zipmap, truncated_at_every_byte)
{
    zmb m = {0};
    build_rich_map(&m);
    size_t size;
    unsigned char *zm = zm_finish(&m, &size);
    cr_assert(!zm_rejects(zm, size));
    size_t boundaries = 0;
    for (size_t k = 0; k < size; k++) {
        unsigned char *c = exact(zm, k);
        REQUIRE(zm_rejects(c, k), "cut at %zu", k);
        /* With an end marker at the cut, the walk meets it: mid-pair, or
         * after fewer pairs than zmlen says. */
        if (k >= 1) c[k - 1] = 0xFF;
        REQUIRE(zm_rejects(c, k), "cut at %zu, end marker", k);
        /* And with zmlen "count them", only cuts inside a pair remain,
         * which must still fail; a cut at a pair boundary is a valid,
         * shorter zipmap. */
        if (k >= 2) {
            c[0] = 254;
            size_t count;
            unsigned char *lp = zipmap_to_listpack(c, k, &count);
            if (lp) {
                REQUIRE(lp_validate(lp, lp_bytes(lp), true) && count % 2 == 0);
                boundaries++;
                lp_free(lp);
            }
        }
        free(c);
    }
    /* k = 2 (no pairs), then a cut after each pair but the last. */
    cr_expect_eq(boundaries, 1 + 4);
    free(zm);
    zmb_free(&m);
}

Test(zipmap, malformed)
{
    /* zmlen, field, value, end: the smallest cases spelled out. */
    static const struct { unsigned char b[16]; size_t n; const char *why; } bad[] = {
        {{0x01, 0x01, 'a', 0x01, 0x00, 'b'}, 6, "no end marker"},
        {{0x01, 0x01, 'a', 0x01, 0x00, 'b', 0xFF, 0x00}, 8, "byte after the end marker"},
        {{0x01, 0x01, 'a', 0x01, 0x00, 'b', 0xFF, 0xFF}, 8, "end marker twice"},
        {{0x00, 0xFF, 0x01, 0xFF}, 4, "end marker before the last byte"},
        {{0x01, 0x01, 'a', 0xFF, 0x00, 'b', 0xFF}, 7, "255 as a value length"},
        {{0x01, 0x01, 'a', 0xFF, 0x01, 0x00, 0x00, 0x00, 0x00, 'b', 0xFF}, 11,
         "255 as a value length, read as 254 would be"},
        {{0x01, 0x01, 'a', 0xFF}, 4, "end where a value length should be"},
        {{0x01, 0x01, 'a', 0x01, 0xFF}, 5, "end where the free byte should be"},
        {{0x01, 0x05, 'a', 0x01, 0x00, 'b', 0xFF}, 7, "field length past the end"},
        {{0x01, 0x01, 'a', 0x05, 0x00, 'b', 0xFF}, 7, "value length past the end"},
        {{0x01, 0x01, 'a', 0x01, 0x03, 'b', 0xFF}, 7, "free bytes past the end"},
        {{0x01, 0x01, 'a', 0x01, 0xFF, 'b', 0xFF}, 7, "255 free bytes"},
        {{0x01, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 'a', 0x01, 0x00, 'b', 0xFF}, 11, "4 GB field"},
        {{0x01, 0x01, 'a', 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 'b', 0xFF}, 11, "4 GB value"},
        {{0x01, 0x01, 'a', 0xFE, 0x01, 0x00, 0xFF}, 7, "u32 length cut by the end"},
        {{0x01, 0xFE, 0x01, 0xFF}, 4, "u32 field length cut by the end"},
        {{0x01, 0x01, 'a', 0x01, 0x00, 'b', 0x00, 0xFF}, 8, "a field with no value"},
        {{0x02, 0x01, 'a', 0x01, 0x00, 'b', 0xFF}, 7, "zmlen 2 for one pair"},
        {{0xFF}, 1, "no zmlen"},
        {{0}, 0, "nothing"},
    };
    for (size_t i = 0; i < RK_ARRAY_LEN(bad); i++)
        cr_expect(zm_rejects(bad[i].b, bad[i].n), "%s", bad[i].why);
    static const unsigned char good[] = {0x01, 0x01, 'a', 0x01, 0x02, 'b', 0, 0, 0xFF};
    cr_expect(!zm_rejects(good, sizeof(good)));
    cr_expect(zm_rejects(NULL, 0));
}

Test(zipmap, random_corruption)
{
    zmb m = {0};
    build_rich_map(&m);
    for (int i = 0; i < 10; i++) zm_cadd(&m, "field", "value");
    size_t size;
    unsigned char *zm = zm_finish(&m, &size);
    size_t accepted = 0;
    for (int round = 0; round < 30000; round++) {
        unsigned char *c = exact(zm, size);
        int flips = 1 + (int)trand(3);
        for (int f = 0; f < flips; f++) {
            size_t at = trand(size);
            c[at] = trand(2) ? (unsigned char)trand(256) : (unsigned char)(c[at] ^ (1u << trand(8)));
        }
        size_t count;
        unsigned char *lp = zipmap_to_listpack(c, size, &count);
        if (lp) {
            REQUIRE(lp_validate(lp, lp_bytes(lp), true));
            REQUIRE(lp_len(lp) == count && count % 2 == 0);
            accepted++;
            lp_free(lp);
        }
        free(c);
    }
    cr_expect_gt(accepted, 0);
    free(zm);
    zmb_free(&m);
}
