/* hll.c — HyperLogLog strings in Redis 7.0's representation; see hll.h.
 * Pure byte work, any thread. The host is little-endian (as intset.c). */
#include "ringkv/data/hll.h"
#include "ringkv/base/alloc.h"

#include <math.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "hll.c assumes a little-endian host"
#endif

#define HLL_SEED 0xadc83b19ULL
#define HLL_REG_BYTES (HLL_DENSE_SIZE - HLL_HDR_SIZE)
#define HLL_ALPHA_INF 0.721347520444481703680 /* 0.5 / ln(2) */
#define OP_VAL_BIT 0x80
#define OP_XZERO_BIT 0x40

/* ---- hashing ------------------------------------------------------------ */

uint64_t hll_murmur64a(const void *key, size_t len, uint64_t seed)
{
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    /* Redis takes the length as an int: the same bits for any element a
     * client can send (proto-max-bulk-len stays far below 2^31 by default). */
    uint64_t h = seed ^ ((uint64_t)(int)len * m);
    const uint8_t *data = key;
    size_t blocks = len / 8;
    for (size_t i = 0; i < blocks; i++, data += 8) {
        uint64_t k;
        memcpy(&k, data, 8);
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    size_t tail = len & 7;
    if (tail) {
        for (size_t i = tail; i-- > 0;) h ^= (uint64_t)data[i] << (8 * i);
        h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

unsigned hll_pattern_len(const void *ele, size_t len, long *index)
{
    uint64_t hash = hll_murmur64a(ele, len, HLL_SEED);
    *index = (long)(hash & (HLL_REGISTERS - 1));
    /* The bit above the Q used ones ends the run: at most Q + 1. */
    uint64_t rest = (hash >> HLL_P) | (1ULL << HLL_Q);
    return (unsigned)__builtin_ctzll(rest) + 1;
}

/* ---- the string as a whole ---------------------------------------------- */

bool hll_valid(const uint8_t *s, size_t len)
{
    if (len < HLL_HDR_SIZE || memcmp(s, "HYLL", 4) != 0) return false;
    if (s[4] > HLL_SPARSE) return false;
    return s[4] != HLL_DENSE || len == HLL_DENSE_SIZE;
}

static void write_xzero(uint8_t *p, unsigned runlen)
{
    p[0] = (uint8_t)(((runlen - 1) >> 8) | OP_XZERO_BIT);
    p[1] = (uint8_t)((runlen - 1) & 0xff);
}

static void write_zero(uint8_t *p, unsigned runlen) { p[0] = (uint8_t)(runlen - 1); }

static void write_val(uint8_t *p, unsigned value, unsigned runlen)
{
    p[0] = (uint8_t)(((value - 1) << 2) | (runlen - 1) | OP_VAL_BIT);
}

void hll_write_empty(uint8_t *out)
{
    memset(out, 0, HLL_HDR_SIZE);
    memcpy(out, "HYLL", 4);
    out[4] = HLL_SPARSE;
    write_xzero(out + HLL_HDR_SIZE, HLL_SPARSE_XZERO_MAX_LEN); /* 16384 registers: one opcode */
}

/* A raw string of len bytes (copied from src when given) with room for
 * at least `room`. */
static struct rstr *rstr_with_room(const uint8_t *src, size_t len, size_t room)
{
    struct rstr *s = rk_malloc(sizeof(*s) + room);
    s->cap = rk_usable_size(s) - sizeof(*s);
    s->len = len;
    if (src) memcpy(s->data, src, len);
    return s;
}

struct rstr *hll_create(void)
{
    struct rstr *s = rstr_with_room(NULL, HLL_EMPTY_SIZE, HLL_EMPTY_SIZE + 8);
    hll_write_empty((uint8_t *)s->data);
    return s;
}

bool hll_cache_get(const uint8_t *s, uint64_t *card)
{
    if (s[15] & 0x80) return false;
    uint64_t v;
    memcpy(&v, s + 8, 8);
    *card = v;
    return true;
}

void hll_cache_set(uint8_t *s, uint64_t card) { memcpy(s + 8, &card, 8); }
void hll_cache_invalidate(uint8_t *s) { s[15] |= 0x80; }

/* ---- dense registers ---------------------------------------------------- */

/* Register i spans bits 6i..6i+5 counted from the least significant bit
 * of byte 0; the last register ends inside the last byte, so the byte
 * after is touched only when bits really fall there. */
unsigned hll_dense_get(const uint8_t *regs, long i)
{
    size_t byte = (size_t)i * HLL_BITS / 8;
    unsigned shift = (unsigned)(i * HLL_BITS) & 7;
    unsigned v = regs[byte] >> shift;
    if (shift > 8 - HLL_BITS) v |= (unsigned)regs[byte + 1] << (8 - shift);
    return v & HLL_REGISTER_MAX;
}

void hll_dense_set(uint8_t *regs, long i, unsigned value)
{
    size_t byte = (size_t)i * HLL_BITS / 8;
    unsigned shift = (unsigned)(i * HLL_BITS) & 7;
    regs[byte] = (uint8_t)((regs[byte] & ~(HLL_REGISTER_MAX << shift)) | (value << shift));
    if (shift > 8 - HLL_BITS) {
        unsigned up = 8 - shift;
        regs[byte + 1] = (uint8_t)((regs[byte + 1] & ~(HLL_REGISTER_MAX >> up)) | (value >> up));
    }
}

static int dense_raise(uint8_t *regs, long index, unsigned count)
{
    if (count <= hll_dense_get(regs, index)) return 0;
    hll_dense_set(regs, index, count);
    return 1;
}

/* ---- sparse opcodes ----------------------------------------------------- */

void hll_sparse_op(const uint8_t *p, const uint8_t *end, struct hll_op *op)
{
    uint8_t b = p[0];
    op->size = 1;
    op->value = 0;
    if (b & OP_VAL_BIT) {
        op->kind = HLL_OP_VAL;
        op->value = ((b >> 2) & 0x1f) + 1;
        op->runlen = (b & 3) + 1;
    } else if (b & OP_XZERO_BIT) {
        op->kind = HLL_OP_XZERO;
        op->size = 2;
        unsigned low = p + 1 < end ? p[1] : 0;
        op->runlen = (((unsigned)b & 0x3f) << 8 | low) + 1;
    } else {
        op->kind = HLL_OP_ZERO;
        op->runlen = (b & 0x3f) + 1;
    }
}

/* Calls visit(arg, first, op) for every VAL opcode of a sparse body and
 * checks the runs add up to HLL_REGISTERS exactly; stops early (false)
 * as soon as they go past it. */
typedef void (*val_visitor)(void *arg, long first, const struct hll_op *op);
static bool sparse_walk(const uint8_t *p, const uint8_t *end, val_visitor visit, void *arg)
{
    long idx = 0;
    while (p < end) {
        struct hll_op op;
        hll_sparse_op(p, end, &op);
        if (idx + (long)op.runlen > HLL_REGISTERS) return false;
        if (op.kind == HLL_OP_VAL) visit(arg, idx, &op);
        idx += op.runlen;
        p += op.size;
    }
    return idx == HLL_REGISTERS;
}

static void visit_to_dense(void *arg, long first, const struct hll_op *op)
{
    for (unsigned j = 0; j < op->runlen; j++) hll_dense_set(arg, first + j, op->value);
}

bool hll_to_dense(struct rstr **s)
{
    const uint8_t *old = (const uint8_t *)(*s)->data;
    if (hll_encoding_of(old) == HLL_DENSE) return true;
    struct rstr *dense = rstr_with_room(NULL, HLL_DENSE_SIZE, HLL_DENSE_SIZE);
    uint8_t *d = (uint8_t *)dense->data;
    memcpy(d, old, HLL_HDR_SIZE); /* magic, unused bytes and cache carry over */
    d[4] = HLL_DENSE;
    memset(d + HLL_HDR_SIZE, 0, HLL_REG_BYTES);
    if (!sparse_walk(old + HLL_HDR_SIZE, old + (*s)->len, visit_to_dense, d + HLL_HDR_SIZE)) {
        rk_free(dense);
        return false;
    }
    rk_free(*s);
    *s = dense;
    return true;
}

/* ---- sparse update ------------------------------------------------------ */

/* Where register `index` lies in a sparse body: the opcode covering it,
 * the one before (NULL if first) and the first register it covers. */
struct sparse_spot {
    uint8_t *op, *prev;
    long first;
    struct hll_op o;
};

static bool sparse_locate(uint8_t *p, uint8_t *end, long index, struct sparse_spot *at)
{
    at->prev = NULL;
    at->first = 0;
    for (; p < end; p += at->o.size) {
        hll_sparse_op(p, end, &at->o);
        if (index < at->first + (long)at->o.runlen) {
            at->op = p;
            return true;
        }
        at->prev = p;
        at->first += at->o.runlen;
    }
    return false;
}

/* `len` zero registers as one opcode, ZERO when it fits; its size. */
static unsigned write_zeros(uint8_t *p, long len)
{
    if (len > HLL_SPARSE_ZERO_MAX_LEN) {
        write_xzero(p, (unsigned)len);
        return 2;
    }
    write_zero(p, (unsigned)len);
    return 1;
}

/* The opcodes replacing a run split around `index`: the part before, the
 * register itself at `count`, the part after (at most 5 bytes). */
static unsigned split_run(const struct sparse_spot *at, long index, unsigned count, uint8_t *seq)
{
    unsigned n = 0;
    long before = index - at->first, after = at->first + (long)at->o.runlen - 1 - index;
    bool val = at->o.kind == HLL_OP_VAL;
    if (before) {
        if (val) write_val(seq + n++, at->o.value, (unsigned)before);
        else n += write_zeros(seq + n, before);
    }
    write_val(seq + n++, count, 1);
    if (after) {
        if (val) write_val(seq + n++, at->o.value, (unsigned)after);
        else n += write_zeros(seq + n, after);
    }
    return n;
}

/* Joins neighbouring VAL opcodes of equal value whose runs fit one
 * opcode, looking at five opcodes from `p` (as Redis does, so both
 * servers produce the same bytes); s->len shrinks by one per join. */
static void sparse_coalesce(uint8_t *p, uint8_t *end, struct rstr *s)
{
    for (int scan = 0; scan < 5 && p < end; scan++) {
        struct hll_op a, b;
        hll_sparse_op(p, end, &a);
        if (a.kind != HLL_OP_VAL) {
            p += a.size;
            continue;
        }
        if (p + 1 < end && (p[1] & OP_VAL_BIT)) {
            hll_sparse_op(p + 1, end, &b);
            if (a.value == b.value && a.runlen + b.runlen <= HLL_SPARSE_VAL_MAX_LEN) {
                write_val(p + 1, a.value, a.runlen + b.runlen);
                memmove(p, p + 1, (size_t)(end - p - 1));
                end--;
                s->len--;
                continue; /* the joined opcode may join the next one too */
            }
        }
        p++;
    }
}

/* Makes sure a sparse string has `extra` bytes of room past its length. */
static void sparse_reserve(struct rstr **s, size_t extra)
{
    if ((*s)->cap >= (*s)->len + extra) return;
    size_t want = (*s)->len + extra + (*s)->len / 4;
    struct rstr *g = rk_realloc(*s, sizeof(**s) + want);
    g->cap = rk_usable_size(g) - sizeof(*g);
    *s = g;
}

static int sparse_promote(struct rstr **s, long index, unsigned count)
{
    if (!hll_to_dense(s)) return -1;
    return dense_raise((uint8_t *)(*s)->data + HLL_HDR_SIZE, index, count);
}

static int sparse_set(struct rstr **s, long index, unsigned count, size_t sparse_max)
{
    if (count > HLL_SPARSE_VAL_MAX_VALUE) return sparse_promote(s, index, count);
    /* A split grows the body by 3 bytes at most (XZERO -> XZERO VAL XZERO);
     * one more byte is room for the opcode an XZERO cut at the end leaves
     * past the length, as Redis writes into its terminator. */
    sparse_reserve(s, 4);
    uint8_t *body = (uint8_t *)(*s)->data + HLL_HDR_SIZE, *end = (uint8_t *)(*s)->data + (*s)->len;
    struct sparse_spot at;
    if (!sparse_locate(body, end, index, &at)) return -1;
    uint8_t *p = at.op;
    if (at.o.kind == HLL_OP_VAL && at.o.value >= count) return 0;
    if (at.o.runlen == 1 && at.o.kind != HLL_OP_XZERO) {
        write_val(p, count, 1); /* a lone register: rewritten in place */
    } else {
        uint8_t seq[5];
        long seqlen = split_run(&at, index, count, seq);
        long delta = seqlen - (long)at.o.size;
        if (delta > 0 && (*s)->len + (size_t)delta > sparse_max) return sparse_promote(s, index, count);
        uint8_t *next = p + at.o.size;
        if (delta && next < end) memmove(next + delta, next, (size_t)(end - next));
        memcpy(p, seq, (size_t)seqlen);
        (*s)->len = (size_t)((long)(*s)->len + delta);
        end += delta;
    }
    sparse_coalesce(at.prev ? at.prev : body, end, *s);
    hll_cache_invalidate((uint8_t *)(*s)->data);
    return 1;
}

int hll_set(struct rstr **s, long index, unsigned count, size_t sparse_max)
{
    uint8_t *d = (uint8_t *)(*s)->data;
    if (hll_encoding_of(d) == HLL_DENSE) {
        if ((*s)->len != HLL_DENSE_SIZE) return -1;
        return dense_raise(d + HLL_HDR_SIZE, index, count);
    }
    if (hll_encoding_of(d) == HLL_SPARSE) return sparse_set(s, index, count, sparse_max);
    return -1;
}

int hll_add(struct rstr **s, const void *ele, size_t len, size_t sparse_max)
{
    long index;
    unsigned count = hll_pattern_len(ele, len, &index);
    return hll_set(s, index, count, sparse_max);
}

/* ---- reading ------------------------------------------------------------ */

static void visit_merge(void *arg, long first, const struct hll_op *op)
{
    uint8_t *max = arg;
    for (unsigned j = 0; j < op->runlen; j++)
        if (op->value > max[first + j]) max[first + j] = (uint8_t)op->value;
}

bool hll_merge(uint8_t *max, const uint8_t *s, size_t len)
{
    if (hll_encoding_of(s) == HLL_DENSE) {
        if (len != HLL_DENSE_SIZE) return false;
        for (long i = 0; i < HLL_REGISTERS; i++) {
            unsigned v = hll_dense_get(s + HLL_HDR_SIZE, i);
            if (v > max[i]) max[i] = (uint8_t)v;
        }
        return true;
    }
    return sparse_walk(s + HLL_HDR_SIZE, s + len, visit_merge, max);
}

/* Ertl's sigma and tau ("New cardinality estimation algorithms for
 * HyperLogLog sketches", arXiv:1702.01284), iterated until the sum stops
 * moving, in the order Redis evaluates them so results agree bit for bit. */
static double ertl_sigma(double x)
{
    if (x == 1.) return INFINITY;
    double y = 1, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (prev != z);
    return z;
}

static double ertl_tau(double x)
{
    if (x == 0. || x == 1.) return 0.;
    double y = 1.0, z = 1 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= (1 - x) * (1 - x) * y;
    } while (prev != z);
    return z / 3;
}

/* The estimate from the histogram of register values (values above
 * Q + 1, which no hash can produce, do not count, as in Redis). */
static uint64_t estimate(const long *histo)
{
    double m = HLL_REGISTERS;
    double z = m * ertl_tau((m - (double)histo[HLL_Q + 1]) / m);
    for (int j = HLL_Q; j >= 1; --j) {
        z += (double)histo[j];
        z *= 0.5;
    }
    z += m * ertl_sigma((double)histo[0] / m);
    double e = HLL_ALPHA_INF * m * m / z;
    /* Registers all above Q + 1 (a crafted dense string) leave z at 0.
     * Redis's llroundl then fails and its cast yields 2^63 on x86-64
     * (PFCOUNT answers -9223372036854775808, a value whose cache stays
     * stale): the same answer, without the undefined conversion. */
    if (!(e < 0x1p63)) return 1ULL << 63;
    return (uint64_t)(double)llroundl(e);
}

static void visit_histo(void *arg, long first, const struct hll_op *op)
{
    (void)first;
    ((long *)arg)[op->value] += op->runlen;
}

uint64_t hll_count(const uint8_t *s, size_t len, bool *invalid)
{
    long histo[64] = {0};
    if (hll_encoding_of(s) == HLL_DENSE && len != HLL_DENSE_SIZE) {
        if (invalid) *invalid = true;
        return 0;
    }
    if (hll_encoding_of(s) == HLL_DENSE) {
        for (long i = 0; i < HLL_REGISTERS; i++) histo[hll_dense_get(s + HLL_HDR_SIZE, i)]++;
    } else if (!sparse_walk(s + HLL_HDR_SIZE, s + len, visit_histo, histo)) {
        if (invalid) *invalid = true;
        return 0;
    } else {
        long nonzero = 0;
        for (int j = 1; j < 64; j++) nonzero += histo[j];
        histo[0] = HLL_REGISTERS - nonzero;
    }
    return estimate(histo);
}

uint64_t hll_count_registers(const uint8_t *regs)
{
    long histo[256] = {0};
    for (long i = 0; i < HLL_REGISTERS; i++) histo[regs[i]]++;
    return estimate(histo);
}
