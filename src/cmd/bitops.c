/* bitops.c — bitmap commands on string values: SETBIT, GETBIT, BITCOUNT,
 * BITPOS, BITOP, BITFIELD, BITFIELD_RO, as Redis 7.0's bitops.c: bit 0 is
 * the most significant bit of byte 0, missing keys read as endless zeros,
 * writes turn the value into a raw string. BITOP over keys on several
 * shards is plain single-shard code run by the core's cross-shard path.
 * Handlers run on the shard owning their keys. */
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/data/db.h"
#include "ringkv/data/object.h"
#include "ringkv/base/config.h"
#include "ringkv/cmd/t_string.h"
#include "ringkv/base/util.h"

#include <string.h>

#define ERR_BIT_OFFSET "ERR bit offset is not an integer or out of range"

/* ---- argument parsing ------------------------------------------------- */

/* A bit offset below proto-max-bulk-len bytes; with `bits` > 0 (BITFIELD),
 * "#N" means N * bits. */
static bool bit_offset_or_reply(struct cmd_ctx *c, const char *s, size_t len, int bits, uint64_t *out)
{
    bool hash = len > 0 && s[0] == '#' && bits > 0;
    long long v;
    if (!string2ll(s + hash, len - hash, &v)) goto err;
    if (hash) v = (long long)((unsigned long long)v * (unsigned long long)bits); /* wraps as in Redis */
    if (v < 0 || (v >> 3) >= c->cfg->proto_max_bulk_len) goto err;
    *out = (uint64_t)v;
    return true;
err:
    reply_error(c->r, ERR_BIT_OFFSET);
    return false;
}

/* A BITFIELD type: i1..i64 or u1..u63 (lowercase only, as Redis). */
static bool bitfield_type_or_reply(struct cmd_ctx *c, const char *s, size_t len, bool *sign, int *bits)
{
    long long v;
    size_t n = strnlen(s, len); /* Redis reads the type as a C string */
    if (n >= 1 && (s[0] == 'i' || s[0] == 'u') && string2ll(s + 1, n - 1, &v) && v >= 1 && v <= (s[0] == 'i' ? 64 : 63)) {
        *sign = s[0] == 'i';
        *bits = (int)v;
        return true;
    }
    reply_error(c->r, "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
    return false;
}

/* A key's bytes for reading: a string record's value, or nothing. */
static const unsigned char *string_bytes(const struct kv *kv, char *numbuf, size_t *len)
{
    if (!kv) {
        *len = 0;
        return NULL;
    }
    return (const unsigned char *)kv_string(kv, numbuf, len);
}

/* Redis's lookupStringForBitCommand: the key as a raw string at least
 * maxbit/8+1 bytes long, created when missing; NULL after WRONGTYPE.
 * *grew tells whether it was created or lengthened. */
static struct kv *string_for_bits(struct cmd_ctx *c, const char *key, size_t klen, uint64_t maxbit, bool *grew)
{
    size_t need = (size_t)(maxbit >> 3) + 1;
    struct kv *kv = db_lookup_write(c->db, key, klen);
    if (kv && kv->type != OBJ_STRING) {
        reply_error(c->r, RK_ERR_WRONGTYPE);
        return NULL;
    }
    if (!kv) {
        kv = kv_new_raw(key, klen, NULL, need, need);
        db_add(c->db, kv);
        *grew = true;
        return kv;
    }
    char nbuf[RK_LONG_STR_SIZE];
    size_t cur;
    kv_string(kv, nbuf, &cur);
    *grew = need > cur;
    return string_unshare(c->db, kv, need);
}

/* ---- SETBIT / GETBIT --------------------------------------------------- */

static void setbit_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    uint64_t off;
    long long on;
    if (!bit_offset_or_reply(c, a->argv[2], a->len[2], 0, &off)) return;
    if (!arg_ll_or_reply(c, a, 3, &on, "ERR bit is not an integer or out of range")) return;
    if (on & ~1LL) {
        reply_error(c->r, "ERR bit is not an integer or out of range");
        return;
    }
    bool grew;
    struct kv *kv = string_for_bits(c, a->argv[1], a->len[1], off, &grew);
    if (!kv) return;
    unsigned char *byte = (unsigned char *)kv->v.str->data + (off >> 3);
    int bit = 7 - (int)(off & 7);
    int old = (*byte >> bit) & 1;
    if (grew || old != on) {
        *byte = (unsigned char)((*byte & ~(1 << bit)) | (int)(on << bit));
        notify_key(c, NOTIFY_STRING, "setbit", a->argv[1], a->len[1]);
    } else {
        cmd_unchanged(c); /* as Redis: no change, no event */
    }
    reply_int(c->r, old);
}

static void getbit_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    uint64_t off;
    if (!bit_offset_or_reply(c, a->argv[2], a->len[2], 0, &off)) return;
    bool wrongtype;
    struct kv *kv = string_lookup_read(c, a->argv[1], a->len[1], &wrongtype);
    if (wrongtype) return;
    char nbuf[RK_LONG_STR_SIZE];
    size_t len;
    const unsigned char *p = string_bytes(kv, nbuf, &len);
    uint64_t byte = off >> 3;
    reply_int(c->r, byte < len ? (p[byte] >> (7 - (off & 7))) & 1 : 0);
}

/* ---- BITCOUNT / BITPOS ------------------------------------------------- */

static long long popcount(const unsigned char *p, size_t n)
{
    long long bits = 0;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        bits += __builtin_popcountll(w);
    }
    while (n--) bits += __builtin_popcount(*p++);
    return bits;
}

/* A [start, end] range of a string of `len` bytes, as BITCOUNT and BITPOS
 * resolve it: negative indexes count from the end, BIT ranges count bits
 * and leave edge masks for the partial first and last bytes. */
struct bit_range {
    long long start, end;                /* bytes, after resolution */
    unsigned char first_mask, last_mask; /* bits outside the range */
};

static void resolve_range(struct bit_range *rg, long long start, long long end, size_t len, bool isbit)
{
    long long total = (long long)len << (isbit ? 3 : 0);
    if (start < 0) start += total;
    if (end < 0) end += total;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= total) end = total - 1;
    rg->first_mask = rg->last_mask = 0;
    if (isbit && start <= end) {
        rg->first_mask = (unsigned char)(~((1 << (8 - (start & 7))) - 1) & 0xFF);
        rg->last_mask = (unsigned char)((1 << (7 - (end & 7))) - 1);
        start >>= 3;
        end >>= 3;
    }
    rg->start = start;
    rg->end = end;
}

/* Parses an optional BYTE|BIT argument at i (if present). */
static bool range_unit_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, bool *isbit)
{
    *isbit = false;
    if (i >= a->argc || arg_is(a, i, "byte")) return true;
    if (arg_is(a, i, "bit")) {
        *isbit = true;
        return true;
    }
    reply_error(c->r, RK_ERR_SYNTAX);
    return false;
}

/* The key is looked up before the range is parsed, as in Redis: a missing
 * key answers 0 whatever the other arguments are. */
static void bitcount_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool wrongtype, isbit = false;
    struct kv *kv = string_lookup_read(c, a->argv[1], a->len[1], &wrongtype);
    if (wrongtype) return;
    if (!kv) {
        reply_int(c->r, 0);
        return;
    }
    char nbuf[RK_LONG_STR_SIZE];
    size_t len;
    const unsigned char *p = string_bytes(kv, nbuf, &len);
    struct bit_range rg = {0, (long long)len - 1, 0, 0};
    if (a->argc == 4 || a->argc == 5) {
        long long start, end;
        if (!arg_ll_or_reply(c, a, 2, &start, NULL) || !arg_ll_or_reply(c, a, 3, &end, NULL)) return;
        if (start < 0 && end < 0 && start > end) {
            reply_int(c->r, 0);
            return;
        }
        if (!range_unit_or_reply(c, a, 4, &isbit)) return;
        resolve_range(&rg, start, end, len, isbit);
    } else if (a->argc != 2) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    if (rg.start > rg.end) {
        reply_int(c->r, 0);
        return;
    }
    long long count = popcount(p + rg.start, (size_t)(rg.end - rg.start + 1));
    if (rg.first_mask) count -= __builtin_popcount(p[rg.start] & rg.first_mask);
    if (rg.last_mask) count -= __builtin_popcount(p[rg.end] & rg.last_mask);
    reply_int(c->r, count);
}

/* Redis's redisBitpos: the first bit equal to `bit` in n bytes; when
 * looking for a 0 in all-ones bytes, the bit just past them (the string is
 * taken as zero-padded); -1 when looking for a 1 in zeros. */
static long long bitpos(const unsigned char *p, size_t n, int bit)
{
    unsigned char skip = bit ? 0x00 : 0xFF;
    size_t i = 0;
    while (i < n && p[i] == skip) i++;
    if (i == n) return bit ? -1 : (long long)n * 8;
    unsigned char b = bit ? p[i] : (unsigned char)~p[i];
    return (long long)i * 8 + __builtin_clz((unsigned)b << 24);
}

/* The search over a resolved range, with edge bytes masked so bits
 * outside the range never match (Redis 7.0's three-step walk). *bytes_left
 * and *start come back as Redis leaves them, for the "no 0 in an explicit
 * range" test and the final offset. */
static long long bitpos_in_range(const unsigned char *p, const struct bit_range *rg, int bit, long long *start,
                                 long long *bytes_left)
{
    long long bytes = rg->end - rg->start + 1, pos;
    unsigned char tmp;
    *start = rg->start;
    if (rg->first_mask) {
        tmp = bit ? p[*start] & ~rg->first_mask : p[*start] | rg->first_mask;
        if (rg->last_mask && bytes == 1) tmp = bit ? tmp & ~rg->last_mask : tmp | rg->last_mask;
        pos = bitpos(&tmp, 1, bit);
        if (bytes == 1 || (pos != -1 && pos != 8)) goto done;
        (*start)++;
        bytes--;
    }
    long long cur = bytes - (rg->last_mask ? 1 : 0);
    if (cur > 0) {
        pos = bitpos(p + *start, (size_t)cur, bit);
        if (bytes == cur || (pos != -1 && pos != cur << 3)) goto done;
        *start += cur;
        bytes -= cur;
    }
    tmp = bit ? p[rg->end] & ~rg->last_mask : p[rg->end] | rg->last_mask;
    pos = bitpos(&tmp, 1, bit);
done:
    *bytes_left = bytes;
    return pos;
}

static void bitpos_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long bitarg;
    if (!arg_ll_or_reply(c, a, 2, &bitarg, NULL)) return;
    if (bitarg != 0 && bitarg != 1) {
        reply_error(c->r, "ERR The bit argument must be 1 or 0.");
        return;
    }
    int bit = (int)bitarg;
    bool wrongtype, isbit = false, end_given = false;
    struct kv *kv = string_lookup_read(c, a->argv[1], a->len[1], &wrongtype);
    if (wrongtype) return;
    if (!kv) {
        reply_int(c->r, bit ? -1 : 0);
        return;
    }
    char nbuf[RK_LONG_STR_SIZE];
    size_t len;
    const unsigned char *p = string_bytes(kv, nbuf, &len);
    struct bit_range rg = {0, (long long)len - 1, 0, 0};
    if (a->argc >= 4 && a->argc <= 6) {
        long long start, end = (long long)len - 1;
        if (!arg_ll_or_reply(c, a, 3, &start, NULL)) return;
        if (!range_unit_or_reply(c, a, 5, &isbit)) return;
        if (a->argc >= 5) {
            if (!arg_ll_or_reply(c, a, 4, &end, NULL)) return;
            end_given = true;
        }
        resolve_range(&rg, start, end, len, isbit);
    } else if (a->argc != 3) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    if (rg.start > rg.end) {
        reply_int(c->r, -1);
        return;
    }
    long long start, bytes;
    long long pos = bitpos_in_range(p, &rg, bit, &start, &bytes);
    /* With an explicit end, a 0 past the range does not count. */
    if (end_given && bit == 0 && pos == bytes << 3) pos = -1;
    else if (pos != -1) pos += start << 3;
    reply_int(c->r, pos);
}

/* ---- BITOP ------------------------------------------------------------- */

enum bitop { BITOP_AND, BITOP_OR, BITOP_XOR, BITOP_NOT };

static void bitop_compute(enum bitop op, const unsigned char **src, const size_t *len, int n, unsigned char *res,
                          size_t maxlen)
{
    for (size_t j = 0; j < maxlen; j++) {
        unsigned char out = j < len[0] ? src[0][j] : 0;
        if (op == BITOP_NOT) out = (unsigned char)~out;
        for (int i = 1; i < n; i++) {
            unsigned char byte = j < len[i] ? src[i][j] : 0;
            if (op == BITOP_AND) out &= byte;
            else if (op == BITOP_OR) out |= byte;
            else out ^= byte;
        }
        res[j] = out;
    }
}

static void bitop_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const names[] = {"and", "or", "xor", "not"};
    int op = 0;
    while (op < 4 && !arg_is(a, 1, names[op])) op++;
    if (op == 4) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    if (op == BITOP_NOT && a->argc != 4) {
        reply_error(c->r, "ERR BITOP NOT must be called with a single source key.");
        return;
    }
    int n = a->argc - 3;
    const unsigned char **src = rk_malloc((size_t)n * (sizeof(*src) + sizeof(size_t) + RK_LONG_STR_SIZE));
    size_t *len = (size_t *)(src + n);
    char *nbufs = (char *)(len + n);
    size_t maxlen = 0;
    for (int i = 0; i < n; i++) {
        struct kv *kv = db_lookup(c->db, a->argv[3 + i], a->len[3 + i]);
        if (kv && kv->type != OBJ_STRING) {
            reply_error(c->r, RK_ERR_WRONGTYPE);
            rk_free(src);
            return;
        }
        src[i] = string_bytes(kv, nbufs + (size_t)i * RK_LONG_STR_SIZE, &len[i]);
        if (len[i] > maxlen) maxlen = len[i];
    }
    /* Sources are read before the destination is replaced: the result
     * goes into a fresh record, so a source may also be the target. */
    if (maxlen) {
        struct kv *dst = kv_new_raw(a->argv[2], a->len[2], NULL, maxlen, maxlen);
        bitop_compute((enum bitop)op, src, len, n, (unsigned char *)dst->v.str->data, maxlen);
        db_set(c->db, dst, false);
        notify_key(c, NOTIFY_STRING, "set", a->argv[2], a->len[2]);
    } else if (db_delete(c->db, a->argv[2], a->len[2])) {
        notify_key(c, NOTIFY_GENERIC, "del", a->argv[2], a->len[2]);
    }
    rk_free(src);
    reply_int(c->r, (long long)maxlen);
}

/* ---- BITFIELD ---------------------------------------------------------- */

static uint64_t bf_get_unsigned(const unsigned char *p, uint64_t off, int bits)
{
    uint64_t v = 0;
    for (int j = 0; j < bits; j++, off++) v = (v << 1) | ((p[off >> 3] >> (7 - (off & 7))) & 1);
    return v;
}

static int64_t bf_get_signed(const unsigned char *p, uint64_t off, int bits)
{
    uint64_t v = bf_get_unsigned(p, off, bits);
    if (bits < 64 && (v & (1ULL << (bits - 1)))) v |= UINT64_MAX << bits;
    return (int64_t)v;
}

static void bf_set(unsigned char *p, uint64_t off, int bits, uint64_t v)
{
    for (int j = 0; j < bits; j++, off++) {
        unsigned mask = 1u << (7 - (off & 7));
        if (v & (1ULL << (bits - 1 - j))) p[off >> 3] |= (unsigned char)mask;
        else p[off >> 3] &= (unsigned char)~mask;
    }
}

enum bf_overflow { BF_WRAP, BF_SAT, BF_FAIL };
enum bf_opcode { BF_GET, BF_SET, BF_INCRBY };

struct bf_op {
    uint64_t offset;
    int64_t value;
    enum bf_opcode opcode;
    enum bf_overflow overflow;
    int bits;
    bool sign;
};

/* Redis's checkUnsignedBitfieldOverflow: whether value+incr leaves the
 * type's range, and then (WRAP/SAT) the value to store in *limit. */
static bool bf_unsigned_overflow(uint64_t value, int64_t incr, int bits, enum bf_overflow ow, uint64_t *limit)
{
    uint64_t max = bits == 64 ? UINT64_MAX : (1ULL << bits) - 1;
    int64_t maxincr = (int64_t)(max - value), minincr = (int64_t)(0 - value);
    bool high = value > max || (incr > 0 && incr > maxincr);
    if (!high && !(incr < 0 && incr < minincr)) return false;
    if (ow == BF_WRAP) *limit = (value + (uint64_t)incr) & ~(UINT64_MAX << bits);
    else if (ow == BF_SAT) *limit = high ? max : 0;
    return true;
}

/* Redis's checkSignedBitfieldOverflow. */
static bool bf_signed_overflow(int64_t value, int64_t incr, int bits, enum bf_overflow ow, int64_t *limit)
{
    int64_t max = bits == 64 ? INT64_MAX : (int64_t)((1ULL << (bits - 1)) - 1);
    int64_t min = -max - 1;
    int64_t maxincr = (int64_t)((uint64_t)max - (uint64_t)value), minincr = (int64_t)((uint64_t)min - (uint64_t)value);
    bool high = value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr);
    bool low = !high && (value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr));
    if (!high && !low) return false;
    if (ow == BF_WRAP) {
        uint64_t r = (uint64_t)value + (uint64_t)incr;
        if (bits < 64) {
            uint64_t mask = UINT64_MAX << bits;
            r = (r & (1ULL << (bits - 1))) ? r | mask : r & ~mask;
        }
        *limit = (int64_t)r;
    } else if (ow == BF_SAT) {
        *limit = high ? max : min;
    }
    return true;
}

/* One SET or INCRBY on the key's bytes: replies the old value (SET) or the
 * new one (INCRBY), or null when OVERFLOW FAIL refuses it. */
/* Returns whether it wrote (an overflow under FAIL does not). */
/* Writes one SET or INCRBY field and replies; true when the field's value
 * changed (an overflow refused under FAIL writes nothing). */
static bool bf_write(struct reply *r, unsigned char *p, const struct bf_op *op)
{
    bool incr = op->opcode == BF_INCRBY, over;
    if (op->sign) {
        int64_t old = bf_get_signed(p, op->offset, op->bits), nv, wrapped = 0;
        if (incr) {
            over = bf_signed_overflow(old, op->value, op->bits, op->overflow, &wrapped);
            nv = over ? wrapped : (int64_t)((uint64_t)old + (uint64_t)op->value);
        } else {
            over = bf_signed_overflow(op->value, 0, op->bits, op->overflow, &wrapped);
            nv = over ? wrapped : op->value;
        }
        if (over && op->overflow == BF_FAIL) {
            reply_null(r);
            return false;
        }
        reply_int(r, incr ? nv : old);
        bf_set(p, op->offset, op->bits, (uint64_t)nv);
        return nv != old;
    } else {
        uint64_t old = bf_get_unsigned(p, op->offset, op->bits), nv, wrapped = 0;
        uint64_t base = incr ? old : (uint64_t)op->value;
        int64_t by = incr ? op->value : 0;
        over = bf_unsigned_overflow(base, by, op->bits, op->overflow, &wrapped);
        nv = over ? wrapped : base + (uint64_t)by;
        if (over && op->overflow == BF_FAIL) {
            reply_null(r);
            return false;
        }
        reply_int(r, incr ? (long long)nv : (long long)old);
        bf_set(p, op->offset, op->bits, nv);
        return nv != old;
    }
}

/* GET reads through a zero-padded 9-byte window, as Redis does, so fields
 * past the end of the string read as zeros. */
static void bf_read(struct reply *r, const unsigned char *src, size_t len, const struct bf_op *op)
{
    unsigned char buf[9] = {0};
    uint64_t byte = op->offset >> 3;
    for (int i = 0; i < 9 && src && byte + (uint64_t)i < len; i++) buf[i] = src[byte + (uint64_t)i];
    uint64_t off = op->offset - byte * 8;
    if (op->sign) reply_int(r, bf_get_signed(buf, off, op->bits));
    else reply_int(r, (long long)bf_get_unsigned(buf, off, op->bits));
}

/* Parses every operation before touching the key. Returns the count, or
 * -1 after replying an error; *maxbit is the highest bit a write reaches. */
static int bf_parse(struct cmd_ctx *c, const struct cmd_args *a, struct bf_op *ops, bool *readonly, uint64_t *maxbit)
{
    enum bf_overflow ow = BF_WRAP;
    int n = 0;
    *readonly = true;
    *maxbit = 0;
    for (int j = 2; j < a->argc; j++) {
        int rem = a->argc - j - 1;
        struct bf_op *op = &ops[n];
        if (arg_is(a, j, "get") && rem >= 2) op->opcode = BF_GET;
        else if (arg_is(a, j, "set") && rem >= 3) op->opcode = BF_SET;
        else if (arg_is(a, j, "incrby") && rem >= 3) op->opcode = BF_INCRBY;
        else if (arg_is(a, j, "overflow") && rem >= 1) {
            j++;
            if (arg_is(a, j, "wrap")) ow = BF_WRAP;
            else if (arg_is(a, j, "sat")) ow = BF_SAT;
            else if (arg_is(a, j, "fail")) ow = BF_FAIL;
            else {
                reply_error(c->r, "ERR Invalid OVERFLOW type specified");
                return -1;
            }
            continue;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return -1;
        }
        if (!bitfield_type_or_reply(c, a->argv[j + 1], a->len[j + 1], &op->sign, &op->bits)) return -1;
        if (!bit_offset_or_reply(c, a->argv[j + 2], a->len[j + 2], op->bits, &op->offset)) return -1;
        op->value = 0;
        if (op->opcode != BF_GET) {
            long long v;
            *readonly = false;
            if (*maxbit < op->offset + (uint64_t)op->bits - 1) *maxbit = op->offset + (uint64_t)op->bits - 1;
            if (!arg_ll_or_reply(c, a, j + 3, &v, NULL)) return -1;
            op->value = v;
        }
        op->overflow = ow;
        n++;
        j += op->opcode == BF_GET ? 2 : 3;
    }
    return n;
}

static void bitfield_generic(struct cmd_ctx *c, const struct cmd_args *a, bool ro_command)
{
    /* Each operation takes at least three arguments. */
    struct bf_op *ops = rk_malloc(sizeof(*ops) * (size_t)(a->argc / 3 + 1));
    bool readonly;
    uint64_t maxbit;
    int n = bf_parse(c, a, ops, &readonly, &maxbit);
    if (n < 0) goto out;
    struct kv *kv = NULL;
    if (readonly) {
        bool wrongtype;
        kv = db_lookup(c->db, a->argv[1], a->len[1]);
        wrongtype = kv && kv->type != OBJ_STRING;
        if (wrongtype) {
            reply_error(c->r, RK_ERR_WRONGTYPE);
            goto out;
        }
    }
    bool changed = false;
    if (!readonly) {
        if (ro_command) {
            reply_error(c->r, "ERR BITFIELD_RO only supports the GET subcommand");
            goto out;
        }
        kv = string_for_bits(c, a->argv[1], a->len[1], maxbit, &changed);
        if (!kv) goto out;
    }
    reply_array(c->r, n);
    for (int i = 0; i < n; i++) {
        if (ops[i].opcode == BF_GET) {
            char nbuf[RK_LONG_STR_SIZE];
            size_t len;
            const unsigned char *p = string_bytes(kv, nbuf, &len);
            bf_read(c->r, p, len, &ops[i]);
        } else {
            changed |= bf_write(c->r, (unsigned char *)kv->v.str->data, &ops[i]);
        }
    }
    /* As Redis: a write that neither made nor lengthened the string nor
     * changed a field's value is no change. */
    if (changed) notify_key(c, NOTIFY_STRING, "setbit", a->argv[1], a->len[1]);
    else if (!readonly) cmd_unchanged(c);
out:
    rk_free(ops);
}

static void bitfield_command(struct cmd_ctx *c, const struct cmd_args *a) { bitfield_generic(c, a, false); }
static void bitfield_ro_command(struct cmd_ctx *c, const struct cmd_args *a) { bitfield_generic(c, a, true); }

const struct cmd_def bitops_commands[] = {
    {.name = "setbit", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = setbit_command, .key_flags = KS_RW | KS_ACCESS | KS_UPDATE, .acl_categories = "bitmap", .group = "bitmap",
     .summary = "Sets or clears the bit at offset in the string value stored at key", .since = "2.2.0",
     .complexity = "O(1)", .syntax = "key offset:integer value:integer"},
    {.name = "getbit", .arity = 3, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = getbit_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "bitmap", .group = "bitmap",
     .summary = "Returns the bit value at offset in the string value stored at key", .since = "2.2.0",
     .complexity = "O(1)", .syntax = "key offset:integer"},
    {.name = "bitcount", .arity = -2, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = bitcount_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "bitmap", .group = "bitmap",
     .summary = "Count set bits in a string", .since = "2.6.0", .complexity = "O(N)",
     .syntax = "key index=[start:integer end:integer index_unit=[BYTE | BIT]@7.0.0]",
     .history = (const char *const[]){"7.0.0", "Added the `BYTE|BIT` option.", NULL}},
    {.name = "bitpos", .arity = -3, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = bitpos_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "bitmap", .group = "bitmap",
     .summary = "Find first bit set or clear in a string", .since = "2.8.7", .complexity = "O(N)",
     .syntax = "key bit:integer index=[start:integer end_index=[end:integer index_unit=[BYTE | BIT]@7.0.0]]",
     .history = (const char *const[]){"7.0.0", "Added the `BYTE|BIT` option.", NULL}},
    {.name = "bitop", .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 2, .last_key = -1, .key_step = 1,
     .fn = bitop_command,
     .key_specs = (const struct cmd_key_spec[]){
         {.flags = KS_OW | KS_UPDATE, .begin = KS_BEGIN_INDEX, .index = 2,
          .find = KS_FIND_RANGE, .lastkey = 0, .keystep = 1},
         {.flags = KS_RO | KS_ACCESS, .begin = KS_BEGIN_INDEX, .index = 3,
          .find = KS_FIND_RANGE, .lastkey = -1, .keystep = 1},
         {0}},
     .acl_categories = "bitmap", .group = "bitmap", .summary = "Perform bitwise operations between strings",
     .since = "2.6.0", .complexity = "O(N)", .syntax = "operation destkey:key key [key ...]"},
    {.name = "bitfield", .arity = -2, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .fn = bitfield_command,
     .key_specs = (const struct cmd_key_spec[]){
         {.flags = KS_RW | KS_ACCESS | KS_UPDATE | KS_VARIABLE_FLAGS, .begin = KS_BEGIN_INDEX, .index = 1,
          .find = KS_FIND_RANGE, .lastkey = 0, .keystep = 1, .notes = "This command allows both access and modification of the key"},
         {0}},
     .acl_categories = "bitmap", .group = "bitmap",
     .summary = "Perform arbitrary bitfield integer operations on strings", .since = "3.2.0",
     .complexity = "O(1) for each subcommand specified",
     .syntax =
         "key operation=[<GET encoding offset:integer | write=<[OVERFLOW <WRAP | SAT | FAIL>] "
         "write_operation=<SET encoding offset:integer value:integer | INCRBY encoding offset:integer "
         "increment:integer>>> [<GET encoding offset:integer | write=<[OVERFLOW <WRAP | SAT | FAIL>] "
         "write_operation=<SET encoding offset:integer value:integer | INCRBY encoding offset:integer "
         "increment:integer>>> ...]]"},
    {.name = "bitfield_ro", .arity = -2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .fn = bitfield_ro_command, .key_flags = KS_RO | KS_ACCESS, .acl_categories = "bitmap",
     .group = "bitmap",
     .summary = "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
     .since = "6.0.0", .complexity = "O(1) for each subcommand specified",
     .syntax = "key [GET encoding offset:integer [GET encoding offset:integer ...]]"},
    {0},
};
