/* ziplist.c — ziplist and zipmap to listpack; see ziplist.h.
 *
 * Each converter walks its input twice with the same code: first to
 * check every entry and add up the size of the listpack it will make,
 * allocating nothing (garbage and oversized input cost no memory), then,
 * only if that passed, to write the entries into a listpack allocated
 * once at that size. The second walk meets the same bytes, so it cannot
 * fail half way through.
 *
 * Bounds: `end` is the position of the end marker, which the header
 * checks put at zl + size - 1. Every read is of bytes before `end`, and
 * every length is compared with what remains before `end` (as size_t,
 * subtracting only what is known to be there), so no sum can wrap.
 */
#include "ringkv/data/ziplist.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/data/listpack.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define ZL_HDR_SIZE 10 /* zlbytes, zltail, zllen */
#define ZL_END 0xFF
#define ZL_BIG_PREVLEN 0xFE /* prevlen is 0xFE + u32 */
#define ZL_LEN_UNKNOWN 65535u
#define ZL_STR_32B 0x80

#define ZM_BIGLEN 254 /* length is 254 + u32; as zmlen, "count it" */
#define ZM_END 0xFF

static inline uint32_t get_u32le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t get_u32be(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline unsigned get_u16le(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }

/* ---- the output: checked, then written ---- */

/* Where entries go. The checking walk (out == NULL) only adds up the size
 * of the listpack. The building walk encodes entries through the listpack
 * API into a small scratch listpack and moves its entry bytes into `out`,
 * allocated once at the size the check found, a batch at a time: listpack
 * entries never refer to their neighbours, so entries laid end to end
 * under a new header are a listpack (listpack.h gives the layout). This
 * keeps the work linear; appending to one growing listpack reallocates
 * per entry, and each move of a big block copies all of it. */
typedef struct lp_sink {
    size_t bytes; /* checking: the listpack so far; building: bytes in out */
    size_t count;
    unsigned char *out; /* building: the listpack */
    size_t cap;         /* its size */
    unsigned char *scratch;
    bool short_of_room; /* building met more than checking did: the same
                         * bytes, so never, but checked all the same */
} lp_sink;

/* Small: each append may copy the whole scratch (ASan's realloc always
 * moves the block), so under ASan a 64 KB batch of 2-byte entries cost a
 * gigabyte of copying: seconds for one 8 KB LZF-compressed RDB string. */
#define SCRATCH_BATCH (4 * 1024)

static void sink_flush(lp_sink *s)
{
    size_t n = lp_bytes(s->scratch) - LP_HDR_SIZE - 1;
    if (n > s->cap - 1 - s->bytes) {
        s->short_of_room = true;
    } else {
        memcpy(s->out + s->bytes, s->scratch + LP_HDR_SIZE, n);
        s->bytes += n;
    }
    lp_free(s->scratch);
    s->scratch = lp_new(0);
}

static void sink_str(lp_sink *s, const unsigned char *p, size_t len)
{
    if (s->out) {
        s->scratch = lp_append(s->scratch, p, len);
        if (lp_bytes(s->scratch) >= SCRATCH_BATCH) sink_flush(s);
    } else {
        s->bytes += lp_entry_size(p, len);
    }
    s->count++;
}

static void sink_int(lp_sink *s, long long v)
{
    if (s->out) {
        s->scratch = lp_append_int(s->scratch, v);
        if (lp_bytes(s->scratch) >= SCRATCH_BATCH) sink_flush(s);
    } else {
        /* The listpack stores an integer string as that integer, so the
         * size of its decimal form is the size of the integer entry. */
        char buf[RK_LONG_STR_SIZE];
        s->bytes += lp_entry_size(buf, ll2string(buf, v));
    }
    s->count++;
}

static void set_le(unsigned char *p, size_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Runs walk() once to check and size, then once to build. */
typedef bool (*walk_fn)(const unsigned char *in, size_t size, lp_sink *s);

static unsigned char *convert(const unsigned char *in, size_t size, walk_fn walk, size_t *count)
{
    lp_sink check = {.bytes = LP_HDR_SIZE + 1};
    if (!walk(in, size, &check) || check.bytes > LP_MAX_SAFE_SIZE) return NULL;

    lp_sink b = {.bytes = LP_HDR_SIZE, .out = rk_malloc(check.bytes), .cap = check.bytes,
                 .scratch = lp_new(0)};
    walk(in, size, &b); /* the same bytes: passes again */
    sink_flush(&b);
    lp_free(b.scratch);
    if (b.short_of_room || b.bytes != b.cap - 1 || b.count != check.count) {
        rk_free(b.out);
        return NULL;
    }
    set_le(b.out, b.cap, 4);
    set_le(b.out + 4, b.count < 65535 ? b.count : 65535, 2); /* 65535: "count them" */
    b.out[b.cap - 1] = LP_EOF;
    if (count) *count = b.count;
    return b.out;
}

/* ---- ziplist ---- */

typedef struct zl_entry {
    size_t prevlen; /* as stored */
    size_t size;    /* the whole entry: prevlen field, encoding, data */
    const unsigned char *str; /* NULL for an integer */
    size_t len;
    long long ll;
} zl_entry;

/* Integer encodings: the payload follows the encoding byte (at p), which
 * has `avail` bytes from p on (at least 1). */
static bool zl_decode_int(const unsigned char *p, size_t avail, zl_entry *e)
{
    unsigned char b = p[0];
    size_t n;
    switch (b) {
    case 0xFE: n = 1; break;
    case 0xC0: n = 2; break;
    case 0xF0: n = 3; break;
    case 0xD0: n = 4; break;
    case 0xE0: n = 8; break;
    default:
        if (b < 0xF1 || b > 0xFD) return false; /* 0xC1.., 0xFF, ... */
        n = 0;
    }
    if (n > avail - 1) return false;
    if (n == 0) {
        e->ll = (b & 0x0F) - 1; /* 0xF1..0xFD: 0..12 */
    } else {
        uint64_t u = 0;
        for (size_t i = n; i-- > 0;) u = u << 8 | p[1 + i];
        if (n < 8 && (u >> (8 * n - 1)) & 1) u |= ~(uint64_t)0 << (8 * n); /* sign */
        e->ll = (long long)u;
    }
    e->str = NULL;
    e->len = 0;
    e->size = 1 + n;
    return true;
}

/* Decodes the entry at p, which must end before `end`. */
static bool zl_decode(const unsigned char *p, const unsigned char *end, zl_entry *e)
{
    size_t avail = (size_t)(end - p), h;
    if (avail < 2) return false; /* prevlen and encoding, at least */
    if (p[0] < ZL_BIG_PREVLEN) {
        e->prevlen = p[0];
        h = 1;
    } else if (p[0] == ZL_BIG_PREVLEN) {
        if (avail < 6) return false;
        e->prevlen = get_u32le(p + 1);
        h = 5;
    } else {
        return false; /* an end marker before the end */
    }
    const unsigned char *q = p + h;
    avail -= h;
    size_t hdr, len;
    switch (q[0] >> 6) {
    case 0:
        hdr = 1;
        len = q[0] & 0x3F;
        break;
    case 1:
        if (avail < 2) return false;
        hdr = 2;
        len = (size_t)(q[0] & 0x3F) << 8 | q[1];
        break;
    case 2:
        /* Redis writes exactly 10000000; the other 10xxxxxx are unused. */
        if (q[0] != ZL_STR_32B || avail < 5) return false;
        hdr = 5;
        len = get_u32be(q + 1);
        break;
    default:
        if (!zl_decode_int(q, avail, e)) return false;
        e->size += h;
        return true;
    }
    if (len > avail - hdr) return false;
    e->str = q + hdr;
    e->len = len;
    e->ll = 0;
    e->size = h + hdr + len;
    return true;
}

/* The whole ziplist: header, every entry and its prevlen, then zltail
 * (the last entry's offset, or the header's end when empty) and zllen. */
static bool zl_walk(const unsigned char *zl, size_t size, lp_sink *s)
{
    if (size < ZL_HDR_SIZE + 1 || get_u32le(zl) != size || zl[size - 1] != ZL_END) return false;
    const unsigned char *p = zl + ZL_HDR_SIZE, *end = zl + size - 1, *last = NULL;
    size_t prev = 0, n = 0;
    while (p < end) {
        zl_entry e;
        if (!zl_decode(p, end, &e) || e.prevlen != prev) return false;
        if (e.str) sink_str(s, e.str, e.len);
        else sink_int(s, e.ll);
        prev = e.size;
        last = p;
        p += e.size;
        n++;
    }
    size_t tail = last ? (size_t)(last - zl) : ZL_HDR_SIZE;
    unsigned zllen = get_u16le(zl + 8);
    return get_u32le(zl + 4) == tail && (zllen == ZL_LEN_UNKNOWN || zllen == n);
}

unsigned char *ziplist_to_listpack(const unsigned char *zl, size_t size, size_t *count)
{
    return convert(zl, size, zl_walk, count);
}

/* ---- zipmap ---- */

/* Reads the length at *p (before end): one byte 0..253, or 254 + u32 LE.
 * 255 is no length (the end marker, or garbage where a value's length
 * should be). */
static bool zm_len(const unsigned char **p, const unsigned char *end, size_t *len)
{
    const unsigned char *q = *p;
    if (q >= end || *q == ZM_END) return false;
    if (*q < ZM_BIGLEN) {
        *len = *q;
        *p = q + 1;
        return true;
    }
    if (end - q < 5) return false;
    *len = get_u32le(q + 1);
    *p = q + 5;
    return true;
}

/* Every pair up to the end marker, which must be the last byte, then
 * zmlen. The position p never passes end. */
static bool zm_walk(const unsigned char *zm, size_t size, lp_sink *s)
{
    if (size < 2 || zm[size - 1] != ZM_END) return false;
    const unsigned char *p = zm + 1, *end = zm + size - 1;
    size_t pairs = 0;
    while (*p != ZM_END) {
        size_t klen, vlen, free;
        if (!zm_len(&p, end, &klen) || klen > (size_t)(end - p)) return false;
        const unsigned char *key = p;
        p += klen;
        if (!zm_len(&p, end, &vlen) || p >= end) return false;
        free = *p++;
        if (vlen > (size_t)(end - p) || free > (size_t)(end - p) - vlen) return false;
        sink_str(s, key, klen);
        sink_str(s, p, vlen);
        p += vlen + free;
        pairs++;
    }
    if (p != end) return false; /* an end marker before the last byte */
    return zm[0] >= ZM_BIGLEN || zm[0] == pairs;
}

unsigned char *zipmap_to_listpack(const unsigned char *zm, size_t size, size_t *count)
{
    return convert(zm, size, zm_walk, count);
}
