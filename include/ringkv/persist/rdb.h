/* rdb.h — Redis's RDB format, version 10 (Redis 7.0), written to its
 * specification: values, keys and whole files, in both directions.
 *
 * Writing appends to an rdb_buf, a growable byte buffer; the caller sends
 * full buffers wherever they go (a file through the ring, a DUMP reply).
 * Values are written in the encodings Redis 7.0 writes, so redis-server
 * 7.0 and redis-check-rdb read them: strings as int / LZF / raw, lists as
 * quicklist 2 of listpacks, intset sets as intsets and other sets as plain
 * member lists (7.0 knows no listpack sets), small hashes and sorted sets
 * as their listpack, big ones as plain pairs (sorted sets with binary
 * doubles, from the highest score down, as 7.0 writes them).
 *
 * Reading works over bytes in memory (a mapped file, a RESTORE argument)
 * that are untrusted: every length is checked against what is left, no
 * allocation is sized by a claim the bytes cannot back, and any malformed
 * input ends the read with an error, never a crash. Every type and
 * encoding Redis 7.0 loads is read, older ones included (ziplists,
 * zipmaps, plain lists and sorted sets with text scores); values are
 * rebuilt through the types' own APIs, so encodings follow this server's
 * limits (hash-max-listpack-entries ...), as Redis's loader does.
 * Module values are refused. Streams and their consumer groups are read
 * and written (rdb_stream.c).
 *
 * Pure functions over the caller's memory: any thread.
 */
#ifndef RINGKV_RDB_H
#define RINGKV_RDB_H

#include "ringkv/data/object.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

#define RDB_VERSION 10

/* Value types and opcodes (Redis's rdb.h). */
enum {
    RDB_TYPE_STRING = 0, RDB_TYPE_LIST = 1, RDB_TYPE_SET = 2, RDB_TYPE_ZSET = 3, RDB_TYPE_HASH = 4,
    RDB_TYPE_ZSET_2 = 5, RDB_TYPE_MODULE = 6, RDB_TYPE_MODULE_2 = 7,
    RDB_TYPE_HASH_ZIPMAP = 9, RDB_TYPE_LIST_ZIPLIST = 10, RDB_TYPE_SET_INTSET = 11,
    RDB_TYPE_ZSET_ZIPLIST = 12, RDB_TYPE_HASH_ZIPLIST = 13, RDB_TYPE_LIST_QUICKLIST = 14,
    RDB_TYPE_STREAM_LISTPACKS = 15, RDB_TYPE_HASH_LISTPACK = 16, RDB_TYPE_ZSET_LISTPACK = 17,
    RDB_TYPE_LIST_QUICKLIST_2 = 18, RDB_TYPE_STREAM_LISTPACKS_2 = 19,
};
enum {
    RDB_OPCODE_FUNCTION2 = 245, RDB_OPCODE_FUNCTION = 246, RDB_OPCODE_MODULE_AUX = 247,
    RDB_OPCODE_IDLE = 248, RDB_OPCODE_FREQ = 249, RDB_OPCODE_AUX = 250, RDB_OPCODE_RESIZEDB = 251,
    RDB_OPCODE_EXPIRETIME_MS = 252, RDB_OPCODE_EXPIRETIME = 253, RDB_OPCODE_SELECTDB = 254,
    RDB_OPCODE_EOF = 255,
};

/* ---- writing ---------------------------------------------------------- */

struct rdb_buf {
    unsigned char *data;
    size_t len, cap;
};

void rdb_buf_free(struct rdb_buf *b);
void rdb_put_bytes(struct rdb_buf *b, const void *p, size_t n);
void rdb_put_byte(struct rdb_buf *b, unsigned char c);
void rdb_put_len(struct rdb_buf *b, uint64_t len);
/* A string as Redis's rdbSaveRawString: small integers as integers, LZF
 * when `compress` and it pays (rdbcompression), else length and bytes. */
void rdb_put_string(struct rdb_buf *b, const void *s, size_t len, bool compress);
void rdb_put_millis(struct rdb_buf *b, long long ms);

/* The RDB type byte of a record, and its value in that type's layout. */
unsigned char rdb_value_type(const struct kv *kv);
void rdb_put_value(struct rdb_buf *b, const struct kv *kv, bool compress);
/* One key as a file holds it: [EXPIRETIME_MS when] type key value
 * (expire_ms -1: none). */
void rdb_put_entry(struct rdb_buf *b, const struct kv *kv, long long expire_ms, bool compress);
/* "REDIS0010" and the AUX fields Redis writes (redis-ver, redis-bits,
 * ctime, used-mem, aof-base). */
void rdb_put_header(struct rdb_buf *b, size_t used_mem);
void rdb_put_aux(struct rdb_buf *b, const char *key, const char *val);
void rdb_put_select_db(struct rdb_buf *b, int db);
/* FUNCTION2: one library's code, as Redis 7.0 saves functions. */
void rdb_put_function(struct rdb_buf *b, const char *code, size_t len, bool compress);

/* DUMP's payload: type, value, RDB version (2 bytes LE), CRC64 (8 LE). */
void rdb_dump_payload(struct rdb_buf *b, const struct kv *kv, bool compress);
/* The footer of a payload (DUMP's, FUNCTION DUMP's): version and CRC64
 * of everything before. */
void rdb_payload_finish(struct rdb_buf *b);
/* Whether a RESTORE payload carries a known version and its checksum. */
bool rdb_payload_ok(const unsigned char *p, size_t len);

/* ---- reading ---------------------------------------------------------- */

/* Why a read failed: the value or file is malformed, or it is valid but
 * holds what this server does not store (a module value). */
enum rdb_error { RDB_OK, RDB_ERR_CORRUPT, RDB_ERR_UNSUPPORTED, RDB_ERR_EMPTY_KEY };

struct rdb_reader {
    const unsigned char *start, *p, *end;
    const struct config *cfg; /* encoding limits for the values built */
    int version;              /* of the file or payload (older ones read as Redis reads them) */
    enum rdb_error error;
    const char *why;          /* what was wrong, for the log */
    unsigned char *scratch[2];/* decompressed / formatted strings */
    size_t scratch_cap[2];
};

void rdb_reader_init(struct rdb_reader *r, const void *p, size_t len, const struct config *cfg);
void rdb_reader_free(struct rdb_reader *r);
static inline size_t rdb_reader_offset(const struct rdb_reader *r) { return (size_t)(r->p - r->start); }

/* Records why a read failed (the first reason stays); returns false. */
bool rdb_fail(struct rdb_reader *r, enum rdb_error e, const char *why);
bool rdb_read_byte(struct rdb_reader *r, unsigned char *c);
/* n bytes as they are (a pointer into the input). */
bool rdb_read_raw(struct rdb_reader *r, size_t n, const unsigned char **out);
bool rdb_read_len(struct rdb_reader *r, uint64_t *len);
/* A string in any of its encodings; *s points into the input or into
 * scratch buffer `slot` (0 or 1), valid until that slot is next used. */
bool rdb_read_string(struct rdb_reader *r, int slot, const unsigned char **s, size_t *len);
/* A value of the given RDB type, as a new record under key; NULL with
 * r->error set on failure (RDB_ERR_EMPTY_KEY: a collection with nothing
 * in it, which Redis's loader skips and RESTORE refuses). */
struct kv *rdb_read_object(struct rdb_reader *r, int type, const char *key, size_t klen);
/* Streams (rdb_stream.c): RDB_TYPE_STREAM_LISTPACKS_2 as Redis 7.0 writes
 * it (nodes as they are, then the stream's IDs and counters, then its
 * consumer groups with their pending entries and consumers); type 15
 * (Redis 5 and 6) is read too. */
void rdb_put_stream(struct rdb_buf *b, const struct kv *kv, bool compress);
struct kv *rdb_read_stream(struct rdb_reader *r, int type, const char *key, size_t klen);
/* Steps over a value without building it (another shard's key). */
bool rdb_skip_object(struct rdb_reader *r, int type);
static inline bool rdb_is_object_type(int t) { return (t >= 0 && t <= 7) || (t >= 9 && t <= 19); }

/* RESTORE: checks the payload and decodes its value under key. NULL on
 * failure, with *bad_payload telling the version/checksum error apart
 * from a malformed value ("Bad data format"). */
struct kv *rdb_restore_payload(const unsigned char *p, size_t len, const struct config *cfg,
                               const char *key, size_t klen, bool *bad_payload);

/* ---- whole files ------------------------------------------------------- */

/* What a walk over a file hands out. Any callback may be NULL. */
struct rdb_walk_ops {
    /* Whether the key is wanted (built and handed to on_key); false skips it. */
    bool (*want_key)(void *arg, int db, const char *key, size_t klen);
    /* A key; the callee takes the record. idle: seconds, -1 unknown. */
    bool (*on_key)(void *arg, int db, struct kv *kv, long long expire_ms, long long idle);
    bool (*on_function)(void *arg, const unsigned char *code, size_t len, char *err, size_t errlen);
};

/* Reads a whole RDB image: header, AUX fields, functions, databases,
 * EOF and (when verify_checksum and the file has one) the CRC64. On
 * error, err names the offset and the reason. */
bool rdb_walk(const unsigned char *img, size_t len, const struct config *cfg, int ndbs,
              bool verify_checksum, const struct rdb_walk_ops *ops, void *arg, char *err,
              size_t errlen);

#endif
