/* listpack.c — compact entry sequence in Redis 7's listpack byte layout;
 * see listpack.h for the format. One thread (the owning shard).
 *
 * Every change goes through one primitive, lp_splice(), which resizes the
 * block and moves the tail so a range of bytes is replaced by a gap; the
 * callers then write encoded entries into the gap. An entry's backlen only
 * describes the entry itself, so no change ever cascades to neighbours.
 */
#include "ringkv/data/listpack.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/log.h"
#include "ringkv/base/random.h"
#include "ringkv/base/util.h"

#include <stdlib.h>
#include <string.h>

#define LP_COUNT_UNKNOWN 65535u
#define LP_EMPTY_SIZE (LP_HDR_SIZE + 1)

#define LP_ENC_32BIT_STR 0xF0
#define LP_ENC_16BIT_INT 0xF1
#define LP_ENC_24BIT_INT 0xF2
#define LP_ENC_32BIT_INT 0xF3
#define LP_ENC_64BIT_INT 0xF4

/* An entry ready to be written: encoding bytes (with the integer payload,
 * if any), the string payload, and the backlen. Built on the stack so a
 * large string is copied once, straight into the listpack. */
typedef struct lp_enc {
    unsigned char hdr[9];
    unsigned char back[5];
    unsigned hdrlen, backlen;
    const unsigned char *data;
    size_t datalen;
    size_t total;
} lp_enc;

/* ---- little-endian helpers and header fields ---- */

static inline uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void set_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline unsigned get_count(const unsigned char *lp) { return lp[4] | (unsigned)lp[5] << 8; }

static inline void set_count(unsigned char *lp, unsigned n)
{
    lp[4] = (unsigned char)n;
    lp[5] = (unsigned char)(n >> 8);
}

/* Adjusts the cached count; once it reaches 65535 it stays "unknown"
 * until lp_len() counts and finds fewer. */
static void count_add(unsigned char *lp, long delta)
{
    unsigned c = get_count(lp);
    if (c == LP_COUNT_UNKNOWN) return;
    long n = (long)c + delta;
    set_count(lp, n >= (long)LP_COUNT_UNKNOWN ? LP_COUNT_UNKNOWN : (unsigned)n);
}

size_t lp_bytes(const unsigned char *lp) { return get_u32(lp); }

/* ---- entry sizes and backlen ---- */

/* Size of encoding + data of the entry at p; 0 for the end marker or an
 * invalid encoding byte. */
static size_t encoded_size(const unsigned char *p)
{
    unsigned char b = p[0];
    if (b < 0x80) return 1;
    if ((b & 0xC0) == 0x80) return 1 + (b & 0x3F);
    if ((b & 0xE0) == 0xC0) return 2;
    if ((b & 0xF0) == 0xE0) return 2 + ((size_t)(b & 0x0F) << 8 | p[1]);
    switch (b) {
    case LP_ENC_32BIT_STR: return 5 + (size_t)get_u32(p + 1);
    case LP_ENC_16BIT_INT: return 3;
    case LP_ENC_24BIT_INT: return 4;
    case LP_ENC_32BIT_INT: return 5;
    case LP_ENC_64BIT_INT: return 9;
    default: return 0;
    }
}

/* The thresholds are Redis's (including its 16383 boundary) so that the
 * bytes match what Redis writes. */
static unsigned backlen_size(size_t l)
{
    if (l <= 127) return 1;
    if (l < 16383) return 2;
    if (l < 2097151) return 3;
    if (l < 268435455) return 4;
    return 5;
}

/* Stored most significant group first; every byte but the first has the
 * high bit set, so a reader walking backwards knows when to stop. */
static unsigned backlen_encode(unsigned char *buf, size_t l)
{
    unsigned n = backlen_size(l);
    for (unsigned i = 0; i < n; i++) {
        unsigned shift = 7 * (n - 1 - i);
        buf[i] = (unsigned char)(((l >> shift) & 127) | (i ? 128 : 0));
    }
    return n;
}

/* Decodes the backlen whose last byte is at q. */
static size_t backlen_decode(const unsigned char *q)
{
    size_t v = 0;
    unsigned shift = 0;
    for (;;) {
        v |= (size_t)(*q & 127) << shift;
        if (!(*q & 128)) return v;
        q--;
        shift += 7;
    }
}

static inline size_t entry_total(const unsigned char *p)
{
    size_t l = encoded_size(p);
    return l + backlen_size(l);
}

/* ---- encoding ---- */

static void enc_finish(lp_enc *e)
{
    size_t l = e->hdrlen + e->datalen;
    e->backlen = backlen_encode(e->back, l);
    e->total = l + e->backlen;
}

static void enc_int(lp_enc *e, long long v)
{
    unsigned char *h = e->hdr;
    uint64_t u = (uint64_t)v;
    if (v >= 0 && v <= 127) {
        h[0] = (unsigned char)v;
        e->hdrlen = 1;
    } else if (v >= -4096 && v <= 4095) {
        u = v < 0 ? (uint64_t)(8192 + v) : u;
        h[0] = (unsigned char)(0xC0 | (u >> 8));
        h[1] = (unsigned char)u;
        e->hdrlen = 2;
    } else {
        unsigned bytes = v >= INT16_MIN && v <= INT16_MAX ? 2
                       : v >= -(1 << 23) && v < (1 << 23) ? 3
                       : v >= INT32_MIN && v <= INT32_MAX ? 4 : 8;
        h[0] = bytes == 2 ? LP_ENC_16BIT_INT : bytes == 3 ? LP_ENC_24BIT_INT
             : bytes == 4 ? LP_ENC_32BIT_INT : LP_ENC_64BIT_INT;
        for (unsigned i = 0; i < bytes; i++) h[1 + i] = (unsigned char)(u >> (8 * i));
        e->hdrlen = 1 + bytes;
    }
    e->data = NULL;
    e->datalen = 0;
    enc_finish(e);
}

static void enc_str(lp_enc *e, const void *s, size_t len)
{
    long long v;
    if (len <= 20 && string2ll(s, len, &v)) {
        enc_int(e, v);
        return;
    }
    if (len > UINT32_MAX - 16) {
        log_fatal("listpack: %zu byte string does not fit the format", len);
        abort();
    }
    unsigned char *h = e->hdr;
    if (len < 64) {
        h[0] = (unsigned char)(0x80 | len);
        e->hdrlen = 1;
    } else if (len < 4096) {
        h[0] = (unsigned char)(0xE0 | (len >> 8));
        h[1] = (unsigned char)len;
        e->hdrlen = 2;
    } else {
        h[0] = LP_ENC_32BIT_STR;
        set_u32(h + 1, (uint32_t)len);
        e->hdrlen = 5;
    }
    e->data = s;
    e->datalen = len;
    enc_finish(e);
}

static void enc_write(unsigned char *dst, const lp_enc *e)
{
    memcpy(dst, e->hdr, e->hdrlen);
    dst += e->hdrlen;
    if (e->datalen) memcpy(dst, e->data, e->datalen);
    memcpy(dst + e->datalen, e->back, e->backlen);
}

size_t lp_entry_size(const void *s, size_t len)
{
    lp_enc e;
    enc_str(&e, s, len);
    return e.total;
}

/* ---- lifecycle ---- */

unsigned char *lp_new(size_t capacity_hint)
{
    unsigned char *lp = rk_malloc(capacity_hint > LP_EMPTY_SIZE ? capacity_hint : LP_EMPTY_SIZE);
    set_u32(lp, LP_EMPTY_SIZE);
    set_count(lp, 0);
    lp[LP_HDR_SIZE] = LP_EOF;
    return lp;
}

void lp_free(unsigned char *lp) { rk_free(lp); }

bool lp_safe_to_add(const unsigned char *lp, size_t add)
{
    size_t have = lp ? lp_bytes(lp) : 0;
    return have + add <= LP_MAX_SAFE_SIZE;
}

/* ---- walking ---- */

unsigned char *lp_first(unsigned char *lp)
{
    unsigned char *p = lp + LP_HDR_SIZE;
    return *p == LP_EOF ? NULL : p;
}

unsigned char *lp_next(unsigned char *lp, unsigned char *p)
{
    (void)lp;
    p += entry_total(p);
    return *p == LP_EOF ? NULL : p;
}

/* Works for any entry start, including the end marker. */
unsigned char *lp_prev(unsigned char *lp, unsigned char *p)
{
    if (p == lp + LP_HDR_SIZE) return NULL;
    size_t l = backlen_decode(p - 1);
    return p - backlen_size(l) - l;
}

unsigned char *lp_last(unsigned char *lp)
{
    return lp_prev(lp, lp + lp_bytes(lp) - 1);
}

size_t lp_len(unsigned char *lp)
{
    unsigned c = get_count(lp);
    if (c != LP_COUNT_UNKNOWN) return c;
    size_t n = 0;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) n++;
    if (n < LP_COUNT_UNKNOWN) set_count(lp, (unsigned)n);
    return n;
}

unsigned char *lp_seek(unsigned char *lp, long index)
{
    long n = (long)lp_len(lp);
    if (index < 0) index += n;
    if (index < 0 || index >= n) return NULL;
    unsigned char *p;
    if (index < n / 2) {
        p = lp_first(lp);
        while (index--) p = lp_next(lp, p);
    } else {
        p = lp_last(lp);
        for (long i = n - 1; i > index; i--) p = lp_prev(lp, p);
    }
    return p;
}

/* ---- reading ---- */

void lp_get(const unsigned char *p, lp_value *out)
{
    unsigned char b = p[0];
    uint64_t u;
    out->str = NULL;
    out->len = 0;
    if (b < 0x80) {
        out->ll = b;
    } else if ((b & 0xC0) == 0x80) {
        out->str = p + 1;
        out->len = b & 0x3F;
    } else if ((b & 0xE0) == 0xC0) {
        u = (uint64_t)(b & 0x1F) << 8 | p[1];
        out->ll = u >= 4096 ? (long long)u - 8192 : (long long)u;
    } else if ((b & 0xF0) == 0xE0) {
        out->str = p + 2;
        out->len = (size_t)(b & 0x0F) << 8 | p[1];
    } else if (b == LP_ENC_32BIT_STR) {
        out->str = p + 5;
        out->len = get_u32(p + 1);
    } else {
        unsigned bytes = b == LP_ENC_16BIT_INT ? 2 : b == LP_ENC_24BIT_INT ? 3
                       : b == LP_ENC_32BIT_INT ? 4 : 8;
        u = 0;
        for (unsigned i = 0; i < bytes; i++) u |= (uint64_t)p[1 + i] << (8 * i);
        if (bytes < 8 && (u >> (8 * bytes - 1)) & 1) u |= ~0ull << (8 * bytes); /* sign-extend */
        out->ll = (long long)u;
    }
}

const unsigned char *lp_get_str(const unsigned char *p, size_t *len, char *buf)
{
    lp_value v;
    lp_get(p, &v);
    if (v.str) {
        *len = v.len;
        return v.str;
    }
    *len = ll2string(buf, v.ll);
    return (const unsigned char *)buf;
}

/* Equality against s whose integer parse (if any) is already known. */
static bool value_eq(const lp_value *v, const void *s, size_t len, bool s_is_int, long long s_ll)
{
    if (v->str) return v->len == len && (len == 0 || memcmp(v->str, s, len) == 0);
    return s_is_int && v->ll == s_ll;
}

bool lp_eq(const unsigned char *p, const void *s, size_t len)
{
    lp_value v;
    long long sv = 0;
    lp_get(p, &v);
    if (v.str) return value_eq(&v, s, len, false, 0);
    return string2ll(s, len, &sv) && sv == v.ll;
}

int lp_cmp(const unsigned char *p, const void *s, size_t len)
{
    char buf[RK_LONG_STR_SIZE];
    size_t elen;
    const unsigned char *e = lp_get_str(p, &elen, buf);
    size_t min = elen < len ? elen : len;
    int c = min ? memcmp(e, s, min) : 0;
    if (c) return c;
    return elen < len ? -1 : elen > len ? 1 : 0;
}

unsigned char *lp_find(unsigned char *lp, unsigned char *p, const void *s, size_t len,
                       unsigned skip)
{
    (void)lp;
    long long sv = 0;
    bool s_is_int = len <= 20 && string2ll(s, len, &sv);
    while (p && *p != LP_EOF) {
        lp_value v;
        lp_get(p, &v);
        if (value_eq(&v, s, len, s_is_int, sv)) return p;
        p += entry_total(p);
        for (unsigned i = 0; i < skip && *p != LP_EOF; i++) p += entry_total(p);
    }
    return NULL;
}

/* ---- changing ---- */

/* Replaces `del` bytes at offset `off` with a gap of `ins` bytes, moving
 * the tail and resizing; returns the (possibly moved) listpack. */
static unsigned char *lp_splice(unsigned char *lp, size_t off, size_t del, size_t ins)
{
    size_t old = lp_bytes(lp), size = old - del + ins;
    if (size > UINT32_MAX) {
        log_fatal("listpack: would grow to %zu bytes", size);
        abort();
    }
    if (ins > del) {
        lp = rk_realloc(lp, size);
        memmove(lp + off + ins, lp + off + del, old - off - del);
    } else if (ins < del) {
        memmove(lp + off + ins, lp + off + del, old - off - del);
        lp = rk_realloc(lp, size);
    }
    set_u32(lp, (uint32_t)size);
    return lp;
}

static unsigned char *insert_enc(unsigned char *lp, unsigned char *p, enum lp_where where,
                                 const lp_enc *e, unsigned char **newp)
{
    if (where == LP_AFTER && *p != LP_EOF) p += entry_total(p);
    size_t off = (size_t)(p - lp);
    lp = lp_splice(lp, off, 0, e->total);
    enc_write(lp + off, e);
    count_add(lp, 1);
    if (newp) *newp = lp + off;
    return lp;
}

unsigned char *lp_insert(unsigned char *lp, unsigned char *p, enum lp_where where,
                         const void *s, size_t len, unsigned char **newp)
{
    lp_enc e;
    enc_str(&e, s, len);
    return insert_enc(lp, p, where, &e, newp);
}

unsigned char *lp_insert_int(unsigned char *lp, unsigned char *p, enum lp_where where,
                             long long v, unsigned char **newp)
{
    lp_enc e;
    enc_int(&e, v);
    return insert_enc(lp, p, where, &e, newp);
}

static inline unsigned char *end_of(unsigned char *lp) { return lp + lp_bytes(lp) - 1; }

unsigned char *lp_append(unsigned char *lp, const void *s, size_t len)
{
    return lp_insert(lp, end_of(lp), LP_BEFORE, s, len, NULL);
}

unsigned char *lp_prepend(unsigned char *lp, const void *s, size_t len)
{
    return lp_insert(lp, lp + LP_HDR_SIZE, LP_BEFORE, s, len, NULL);
}

unsigned char *lp_append_int(unsigned char *lp, long long v)
{
    return lp_insert_int(lp, end_of(lp), LP_BEFORE, v, NULL);
}

unsigned char *lp_prepend_int(unsigned char *lp, long long v)
{
    return lp_insert_int(lp, lp + LP_HDR_SIZE, LP_BEFORE, v, NULL);
}

static unsigned char *replace_enc(unsigned char *lp, unsigned char **p, const lp_enc *e)
{
    size_t off = (size_t)(*p - lp);
    lp = lp_splice(lp, off, entry_total(*p), e->total);
    enc_write(lp + off, e);
    *p = lp + off;
    return lp;
}

unsigned char *lp_replace(unsigned char *lp, unsigned char **p, const void *s, size_t len)
{
    lp_enc e;
    enc_str(&e, s, len);
    return replace_enc(lp, p, &e);
}

unsigned char *lp_replace_int(unsigned char *lp, unsigned char **p, long long v)
{
    lp_enc e;
    enc_int(&e, v);
    return replace_enc(lp, p, &e);
}

unsigned char *lp_delete_range_at(unsigned char *lp, unsigned char **p, size_t count)
{
    unsigned char *end = *p;
    size_t n = 0;
    while (n < count && *end != LP_EOF) {
        end += entry_total(end);
        n++;
    }
    size_t off = (size_t)(*p - lp);
    lp = lp_splice(lp, off, (size_t)(end - *p), 0);
    count_add(lp, -(long)n);
    *p = lp[off] == LP_EOF ? NULL : lp + off;
    return lp;
}

unsigned char *lp_delete(unsigned char *lp, unsigned char **p)
{
    return lp_delete_range_at(lp, p, 1);
}

unsigned char *lp_delete_range(unsigned char *lp, long index, size_t count)
{
    unsigned char *p = lp_seek(lp, index);
    if (!p || count == 0) return lp;
    return lp_delete_range_at(lp, &p, count);
}

unsigned char *lp_delete_many(unsigned char *lp, unsigned char **ps, size_t n)
{
    if (n == 0) return lp;
    unsigned char *end = end_of(lp) + 1, *dst = ps[0];
    for (size_t i = 0; i < n; i++) {
        unsigned char *from = ps[i] + entry_total(ps[i]);
        unsigned char *to = i + 1 < n ? ps[i + 1] : end;
        memmove(dst, from, (size_t)(to - from));
        dst += to - from;
    }
    size_t size = (size_t)(dst - lp);
    lp = rk_realloc(lp, size);
    set_u32(lp, (uint32_t)size);
    count_add(lp, -(long)n);
    return lp;
}

unsigned char *lp_merge(unsigned char *a, unsigned char *b)
{
    size_t abytes = lp_bytes(a), bbytes = lp_bytes(b);
    unsigned ca = get_count(a), cb = get_count(b);
    /* Insert b's entries (and its end marker) over a's end marker. */
    a = lp_splice(a, abytes - 1, 1, bbytes - LP_HDR_SIZE);
    memcpy(a + abytes - 1, b + LP_HDR_SIZE, bbytes - LP_HDR_SIZE);
    unsigned sum = ca == LP_COUNT_UNKNOWN || cb == LP_COUNT_UNKNOWN ? LP_COUNT_UNKNOWN : ca + cb;
    set_count(a, sum >= LP_COUNT_UNKNOWN ? LP_COUNT_UNKNOWN : sum);
    lp_free(b);
    return a;
}

/* ---- random picks ---- */

static void get_item(unsigned char *lp, unsigned char *p, unsigned step, lp_value *key,
                     lp_value *val)
{
    lp_get(p, key);
    if (val && step == 2) lp_get(lp_next(lp, p), val);
}

static unsigned char *skip_entries(unsigned char *lp, unsigned char *p, size_t n)
{
    while (n-- && p) p = lp_next(lp, p);
    return p;
}

void lp_random_pick(unsigned char *lp, unsigned step, lp_value *key, lp_value *val)
{
    size_t items = lp_len(lp) / step;
    unsigned char *p = lp_seek(lp, (long)(rk_random_below(items) * step));
    get_item(lp, p, step, key, val);
}

typedef struct pick {
    size_t item;  /* which item (index / step) */
    size_t order; /* where it goes in the output */
} pick;

static int pick_cmp(const void *a, const void *b)
{
    const pick *x = a, *y = b;
    return x->item < y->item ? -1 : x->item > y->item;
}

void lp_random_picks(unsigned char *lp, unsigned step, size_t count, lp_value *keys,
                     lp_value *vals)
{
    if (count == 0) return;
    size_t items = lp_len(lp) / step;
    /* Sorting the picks turns count seeks into one walk. */
    pick *picks = rk_malloc(count * sizeof(*picks));
    for (size_t i = 0; i < count; i++) {
        picks[i].item = rk_random_below(items);
        picks[i].order = i;
    }
    qsort(picks, count, sizeof(*picks), pick_cmp);
    unsigned char *p = lp_first(lp);
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        p = skip_entries(lp, p, (picks[i].item - at) * step);
        at = picks[i].item;
        get_item(lp, p, step, &keys[picks[i].order], vals ? &vals[picks[i].order] : NULL);
    }
    rk_free(picks);
}

size_t lp_random_picks_unique(unsigned char *lp, unsigned step, size_t count, lp_value *keys,
                              lp_value *vals)
{
    size_t items = lp_len(lp) / step, picked = 0;
    if (count > items) count = items;
    /* Selection sampling (Knuth's algorithm S): item i is taken with
     * probability needed / left, which yields a uniform subset in order. */
    unsigned char *p = lp_first(lp);
    for (size_t i = 0; picked < count; i++) {
        if (rk_random_below(items - i) < count - picked) {
            get_item(lp, p, step, &keys[picked], vals ? &vals[picked] : NULL);
            picked++;
        }
        p = skip_entries(lp, p, step);
    }
    return picked;
}

/* ---- validation of untrusted bytes ---- */

/* Size of the entry at p that must end before `end`, or 0 if it doesn't
 * (truncated header, bad encoding byte, or a wrong backlen). */
static size_t checked_entry(const unsigned char *p, const unsigned char *end)
{
    size_t avail = (size_t)(end - p), hdr;
    unsigned char b = p[0];
    if (b > LP_ENC_64BIT_INT) return 0; /* unused encodings, or the end marker */
    hdr = b < 0xC0 ? 1 : b < 0xF0 ? 2 : b == LP_ENC_32BIT_STR ? 5 : 1;
    if (hdr > avail) return 0;
    size_t l = encoded_size(p);
    unsigned char back[5];
    unsigned bl = backlen_encode(back, l);
    if (l > avail || bl > avail - l) return 0;
    return memcmp(p + l, back, bl) == 0 ? l + bl : 0;
}

bool lp_validate(const unsigned char *lp, size_t size, bool deep)
{
    if (size < LP_EMPTY_SIZE || get_u32(lp) != size || lp[size - 1] != LP_EOF) return false;
    if (!deep) return true;
    const unsigned char *p = lp + LP_HDR_SIZE, *end = lp + size - 1;
    size_t n = 0;
    while (p < end) {
        size_t t = checked_entry(p, end);
        if (!t) return false;
        p += t;
        n++;
    }
    /* Redis may store "unknown" for any length after deletions. */
    unsigned c = get_count(lp);
    return c == LP_COUNT_UNKNOWN || c == n;
}
