/* listpack.h — a compact sequence of strings and integers in one
 * contiguous allocation; backs small hashes, sets and sorted sets, and
 * every quicklist node.
 *
 * The byte layout is Redis 7's listpack, so a listpack can be written to
 * or read from an RDB / DUMP payload as is:
 *
 *   <total-bytes u32 LE> <count u16 LE, 65535 = "count it"> entry... 0xFF
 *   entry = <encoding+data> <backlen: 1..5 bytes, the size of encoding+data>
 *
 *   0xxxxxxx                 int 0..127                 (1 byte)
 *   10llllll <bytes>         string, len < 64           (1 byte header)
 *   110xxxxx xxxxxxxx        int -4096..4095            (2 bytes)
 *   1110llll llllllll <b>    string, len < 4096         (2 byte header)
 *   11110000 <u32 len> <b>   string, longer             (5 byte header)
 *   11110001..11110100       int16 / int24 / int32 / int64, little endian
 *
 * A string that parses strictly as a 64-bit integer (string2ll: no
 * leading zeros, no sign but '-', no spaces) is stored as an integer; its
 * string form is given back byte for byte, so callers never see the
 * difference. Backlen lets iteration run in both directions.
 *
 * Memory (measured in tests/unit/data/test_listpack.c, memory_per_element): a
 * 10-field hash with 8-byte fields and values is 20 entries of 10 bytes
 * (1 header + 8 + 1 backlen) + 7 bytes of header and end marker = 207
 * bytes (as in Redis 7.0), a 224-byte mimalloc block: 22.4 bytes per
 * field/value pair. Integers 0..127 cost 2 bytes, -4096..4095 3 bytes.
 *
 * Positions are `unsigned char *` into the listpack. Every call that
 * changes the listpack may move it: it returns the new pointer, and any
 * other position held by the caller is invalid afterwards (the calls that
 * hand back a fresh position say so). Strings returned through lp_value
 * point into the listpack and live until it is next changed.
 *
 * A listpack belongs to one data structure on one shard: one thread.
 */
#ifndef RINGKV_LISTPACK_H
#define RINGKV_LISTPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LP_HDR_SIZE 6
#define LP_EOF 0xFF
/* Largest listpack callers should build (Redis's LISTPACK_MAX_SAFETY_SIZE);
 * the format itself stops at 4 GB. Check with lp_safe_to_add(). */
#define LP_MAX_SAFE_SIZE (1u << 30)

enum lp_where { LP_BEFORE, LP_AFTER };

/* One entry's value: a string (str != NULL, len bytes) or an integer
 * (str == NULL, ll). */
typedef struct lp_value {
    const unsigned char *str;
    size_t len;
    long long ll;
} lp_value;

/* Lifecycle and size. */
unsigned char *lp_new(size_t capacity_hint);
void lp_free(unsigned char *lp);
size_t lp_bytes(const unsigned char *lp);
/* Number of entries; O(1) below 65535 entries, counted (and cached when it
 * drops again) above. */
size_t lp_len(unsigned char *lp);
/* Would adding `add` bytes keep the listpack under LP_MAX_SAFE_SIZE? */
bool lp_safe_to_add(const unsigned char *lp, size_t add);
/* Exact bytes an entry holding s would take (encoding + data + backlen). */
size_t lp_entry_size(const void *s, size_t len);

/* Adding. `s` may contain any bytes. */
unsigned char *lp_append(unsigned char *lp, const void *s, size_t len);
unsigned char *lp_prepend(unsigned char *lp, const void *s, size_t len);
unsigned char *lp_append_int(unsigned char *lp, long long v);
unsigned char *lp_prepend_int(unsigned char *lp, long long v);
/* Inserts before/after the entry at p (p may be the end marker with
 * LP_BEFORE, meaning append). If newp is not NULL it receives the position
 * of the inserted entry. */
unsigned char *lp_insert(unsigned char *lp, unsigned char *p, enum lp_where where,
                         const void *s, size_t len, unsigned char **newp);
unsigned char *lp_insert_int(unsigned char *lp, unsigned char *p, enum lp_where where,
                             long long v, unsigned char **newp);
/* Replaces the entry at *p; *p is updated to the new entry. */
unsigned char *lp_replace(unsigned char *lp, unsigned char **p, const void *s, size_t len);
unsigned char *lp_replace_int(unsigned char *lp, unsigned char **p, long long v);

/* Removing. lp_delete removes the entry at *p and sets *p to the entry
 * that followed it, or NULL if it was the last. */
unsigned char *lp_delete(unsigned char *lp, unsigned char **p);
/* Removes up to `count` entries starting at index (negative = from end). */
unsigned char *lp_delete_range(unsigned char *lp, long index, size_t count);
/* Removes up to `count` entries starting at *p; *p as for lp_delete. */
unsigned char *lp_delete_range_at(unsigned char *lp, unsigned char **p, size_t count);
/* Removes the entries at the n positions ps[] (ascending, distinct) in one
 * pass, e.g. what SPOP or HDEL with many arguments picked. */
unsigned char *lp_delete_many(unsigned char *lp, unsigned char **ps, size_t n);
/* Appends all of `b`'s entries to `a`, frees `b`, returns the new `a`. */
unsigned char *lp_merge(unsigned char *a, unsigned char *b);

/* Walking. All return NULL past either end. */
unsigned char *lp_first(unsigned char *lp);
unsigned char *lp_last(unsigned char *lp);
unsigned char *lp_next(unsigned char *lp, unsigned char *p);
unsigned char *lp_prev(unsigned char *lp, unsigned char *p);
/* Entry at index (negative counts from the end, -1 = last); NULL if out of
 * range. Walks from whichever end is closer. */
unsigned char *lp_seek(unsigned char *lp, long index);

/* Reading. */
void lp_get(const unsigned char *p, lp_value *out);
/* The entry as bytes: a pointer into the listpack for strings, or into
 * buf (which must hold RK_LONG_STR_SIZE bytes) for integers. */
const unsigned char *lp_get_str(const unsigned char *p, size_t *len, char *buf);
/* Is the entry equal to s? No formatting: an integer entry compares by
 * parsing s. */
bool lp_eq(const unsigned char *p, const void *s, size_t len);
/* memcmp-style order of the entry's string form against s (for the lex
 * order of sorted sets). */
int lp_cmp(const unsigned char *p, const void *s, size_t len);
/* Compares the entry at p with s, then every (skip+1)-th entry after it,
 * returning the first equal one or NULL. skip = 1 finds hash fields (or
 * sorted set members) without looking at their values. */
unsigned char *lp_find(unsigned char *lp, unsigned char *p, const void *s, size_t len,
                       unsigned skip);

/* Random picks (thread-local generator, see random.h). `step` is 1 for a
 * listpack of single items (sets) and 2 for pairs (hash field/value,
 * zset member/score); with step 2, vals (may be NULL) gets the second
 * entry of each pair. The listpack must not be empty. */
void lp_random_pick(unsigned char *lp, unsigned step, lp_value *key, lp_value *val);
/* count picks with repetition, in random order (one walk; count * 16
 * bytes of scratch, so callers chunk big counts as Redis does). */
void lp_random_picks(unsigned char *lp, unsigned step, size_t count, lp_value *keys,
                     lp_value *vals);
/* Up to count distinct picks, in listpack order; returns how many (all of
 * them if count >= number of items). */
size_t lp_random_picks_unique(unsigned char *lp, unsigned step, size_t count, lp_value *keys,
                              lp_value *vals);

/* Structural check of untrusted bytes (RDB, RESTORE) of length size:
 * header, end marker and, if deep, every entry and the count. */
bool lp_validate(const unsigned char *lp, size_t size, bool deep);

#endif
