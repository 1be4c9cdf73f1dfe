/* util.h — small pure helpers shared by every module: integer parsing and
 * printing with Redis's exact rules, the cluster hash slot function, and
 * clocks. Pure functions; any thread. */
#ifndef RINGKV_UTIL_H
#define RINGKV_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RK_SLOTS 16384
#define RK_LONG_STR_SIZE 21 /* "-9223372036854775808" plus NUL */

#define RK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define RK_LIKELY(x) __builtin_expect(!!(x), 1)
#define RK_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* The struct holding `member` at p (a completion's op inside its owner). */
#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* Redis Cluster's CRC16 (XMODEM) and slot of a key, honouring {hashtags}. */
uint16_t crc16(const char *buf, size_t len);
unsigned key_hash_slot(const char *key, size_t len);
/* The shard of nshards that owns a slot: contiguous ranges, shard 0 first
 * (the server's slot table is made of it). */
static inline unsigned slot_home(unsigned slot, unsigned nshards)
{
    return (unsigned)((unsigned long)slot * nshards / RK_SLOTS);
}

/* Strict decimal integer parse, as Redis's string2ll: no spaces, no '+',
 * no leading zeros (except "0"), no overflow. Returns true on success. */
bool string2ll(const char *s, size_t len, long long *out);
bool string2ull(const char *s, size_t len, unsigned long long *out);
/* Writes the decimal form of v into dst (at least RK_LONG_STR_SIZE bytes),
 * NUL-terminated; returns its length. */
size_t ll2string(char *dst, long long v);
size_t ull2string(char *dst, unsigned long long v);
/* Number of decimal digits of v (1..20). */
unsigned digits10(uint64_t v);

/* 64-bit hash for hash tables (wyhash-style, seeded once per process). */
uint64_t hash_bytes(const void *data, size_t len);
uint64_t hash_bytes_nocase(const void *data, size_t len);

/* Clocks. */
long long ustime(void); /* wall clock, microseconds */
long long mstime(void); /* wall clock, milliseconds */
long long monotonic_us(void);

/* Case-insensitive comparison of a length-delimited buffer with a C string. */
bool str_eq_nocase(const char *s, size_t len, const char *cstr);

#endif
