/* hll.h — HyperLogLog values in Redis 7.0's exact representation.
 *
 * An HLL is an ordinary string value, byte for byte what redis-server
 * makes, so GET from one server and SET into the other carries it over:
 *
 *   "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes |
 *   cached cardinality (8 bytes little endian; bit 7 of the last byte set
 *   means the cache is stale) | registers
 *
 * Dense: 16384 registers of 6 bits, packed from the least significant bit
 * of each byte upwards (12288 bytes). Sparse: a run-length sequence of
 * opcodes covering the 16384 registers — ZERO (00llllll: 1..64 zero
 * registers), XZERO (01llllll llllllll: 1..16384 zero registers) and VAL
 * (1vvvvvll: 1..4 registers of value 1..32). A new HLL is sparse; it turns
 * dense when a register needs a value above 32 or when the sparse string
 * would grow past hll-sparse-max-bytes. Elements are hashed with
 * MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the register, the
 * run of zeros above them (plus one) is the value it may take. The
 * cardinality is Otmar Ertl's improved estimator over the register
 * histogram (Redis 7.0's hllCount).
 *
 * Strings coming from clients are untrusted: hll_valid() checks what
 * Redis's isHLLObjectOrReply checks (header, magic, encoding, dense size),
 * and every walk of a sparse sequence is bounded by the string's length
 * and by the register count, reporting corruption instead of reading or
 * writing out of bounds. Where Redis reads the byte after a string's end
 * (its sds terminator, always 0), these functions read 0 too, so a
 * corrupt string behaves the same on both servers.
 *
 * Pure functions over bytes, plus changes made in place on a raw string
 * (struct rstr, object.h) that may be reallocated. Any thread; no state.
 */
#ifndef RINGKV_HLL_H
#define RINGKV_HLL_H

#include "ringkv/data/object.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HLL_P 14
#define HLL_Q (64 - HLL_P)            /* hash bits above the register index */
#define HLL_REGISTERS (1 << HLL_P)
#define HLL_BITS 6
#define HLL_REGISTER_MAX ((1 << HLL_BITS) - 1)
#define HLL_HDR_SIZE 16
#define HLL_DENSE_SIZE (HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS + 7) / 8)
#define HLL_SPARSE_VAL_MAX_VALUE 32
#define HLL_SPARSE_VAL_MAX_LEN 4
#define HLL_SPARSE_ZERO_MAX_LEN 64
#define HLL_SPARSE_XZERO_MAX_LEN 16384
/* A new, empty HLL: the header and one XZERO covering every register. */
#define HLL_EMPTY_SIZE (HLL_HDR_SIZE + 2)
#define HLL_SPARSE_MAX_BYTES_DEFAULT 3000

enum hll_encoding { HLL_DENSE = 0, HLL_SPARSE = 1 };

/* ---- hashing ------------------------------------------------------------ */

/* MurmurHash64A as Redis uses it (little-endian reads on every host). */
uint64_t hll_murmur64a(const void *key, size_t len, uint64_t seed);
/* The register an element falls in (*index) and the value it offers
 * there: 1 + the number of zero bits above the index bits (1..Q+1). */
unsigned hll_pattern_len(const void *ele, size_t len, long *index);

/* ---- the string as a whole ---------------------------------------------- */

/* Whether bytes look like an HLL (Redis's isHLLObjectOrReply): at least a
 * header, magic "HYLL", a known encoding, and a dense one exactly
 * HLL_DENSE_SIZE long. A sparse body is checked as it is walked. */
bool hll_valid(const uint8_t *s, size_t len);
/* Writes an empty sparse HLL (HLL_EMPTY_SIZE bytes): cached count 0. */
void hll_write_empty(uint8_t *out);
/* A new raw string holding an empty HLL with room to grow; the caller
 * owns it (rk_free). */
struct rstr *hll_create(void);
static inline enum hll_encoding hll_encoding_of(const uint8_t *s) { return (enum hll_encoding)s[4]; }

/* The cached cardinality: true and *card when it is valid. */
bool hll_cache_get(const uint8_t *s, uint64_t *card);
void hll_cache_set(uint8_t *s, uint64_t card);
void hll_cache_invalidate(uint8_t *s);

/* ---- dense registers ---------------------------------------------------- */

/* Register i of a dense register area (HLL_DENSE_SIZE - HLL_HDR_SIZE bytes). */
unsigned hll_dense_get(const uint8_t *regs, long i);
void hll_dense_set(uint8_t *regs, long i, unsigned value);

/* ---- sparse opcodes ----------------------------------------------------- */

enum hll_op_kind { HLL_OP_ZERO, HLL_OP_XZERO, HLL_OP_VAL };
struct hll_op {
    enum hll_op_kind kind;
    unsigned runlen;  /* registers covered */
    unsigned value;   /* VAL: 1..32; else 0 */
    unsigned size;    /* bytes: 2 for XZERO, else 1 */
};
/* Decodes the opcode at p (p < end). An XZERO whose second byte lies at
 * or past end reads it as 0, as Redis does. */
void hll_sparse_op(const uint8_t *p, const uint8_t *end, struct hll_op *op);

/* ---- changes (the string must have passed hll_valid) --------------------- */

/* Adds an element: 1 if a register grew, 0 if not, -1 if the sparse
 * sequence is corrupt. *s may be replaced (grown, or made dense). */
int hll_add(struct rstr **s, const void *ele, size_t len, size_t sparse_max);
/* Raises register `index` to `count` if it is lower; results as hll_add. */
int hll_set(struct rstr **s, long index, unsigned count, size_t sparse_max);
/* Makes a sparse HLL dense (header, cache included, kept); true when done
 * or already dense, false when the sparse sequence is corrupt (*s left). */
bool hll_to_dense(struct rstr **s);

/* ---- reading ------------------------------------------------------------ */

/* max[i] = MAX(max[i], register i of s) for every register; false when a
 * sparse sequence is corrupt or a dense string has the wrong size (max is
 * then partly updated). */
bool hll_merge(uint8_t *max, const uint8_t *s, size_t len);
/* The estimated cardinality of s; *invalid (may be NULL) is set, and 0
 * returned, when a sparse sequence does not cover exactly HLL_REGISTERS
 * registers or a dense string has the wrong size. */
uint64_t hll_count(const uint8_t *s, size_t len, bool *invalid);
/* The same over HLL_REGISTERS registers held one per byte (a merge). */
uint64_t hll_count_registers(const uint8_t *regs);

#endif
