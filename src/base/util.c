/* util.c — see util.h. Pure functions, any thread. */
#include "ringkv/base/util.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/time.h>

/* CRC16-CCITT (XMODEM), polynomial 0x1021, as in Redis Cluster's crc16.c,
 * two bytes a step: crc_table[1][x] is the CRC of byte x followed by a
 * zero byte, and the CRC is linear, so the two lookups are independent
 * (every key is routed by it: it shows in profiles). */
static uint16_t crc16_table[2][256];

static void crc16_init_table(void)
{
    for (unsigned i = 0; i < 256; i++) {
        uint16_t crc = (uint16_t)(i << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
        crc16_table[0][i] = crc;
    }
    for (unsigned i = 0; i < 256; i++) {
        uint16_t t = crc16_table[0][i];
        crc16_table[1][i] = (uint16_t)((t << 8) ^ crc16_table[0][t >> 8]);
    }
}

uint16_t crc16(const char *buf, size_t len)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT; /* shards route keys from their first command */
    pthread_once(&once, crc16_init_table);
    const uint8_t *p = (const uint8_t *)buf;
    uint16_t crc = 0;
    size_t i = 0;
    for (; i + 2 <= len; i += 2)
        crc = (uint16_t)(crc16_table[1][(crc >> 8) ^ p[i]] ^ crc16_table[0][(crc & 0xff) ^ p[i + 1]]);
    if (i < len) crc = (uint16_t)((crc << 8) ^ crc16_table[0][((crc >> 8) ^ p[i]) & 0xff]);
    return crc;
}

unsigned key_hash_slot(const char *key, size_t len)
{
    size_t s, e;
    for (s = 0; s < len; s++)
        if (key[s] == '{') break;
    if (s == len) return crc16(key, len) & (RK_SLOTS - 1);
    for (e = s + 1; e < len; e++)
        if (key[e] == '}') break;
    /* No closing brace, or "{}": hash the whole key, as Redis does. */
    if (e == len || e == s + 1) return crc16(key, len) & (RK_SLOTS - 1);
    return crc16(key + s + 1, e - s - 1) & (RK_SLOTS - 1);
}

bool string2ull(const char *s, size_t len, unsigned long long *out)
{
    unsigned long long v = 0;
    if (len == 0 || len > 20) return false;
    if (len == 1 && s[0] == '0') { *out = 0; return true; }
    if (s[0] < '1' || s[0] > '9') return false;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9) return false;
        if (v > (ULLONG_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool string2ll(const char *s, size_t len, long long *out)
{
    unsigned long long v;
    if (len == 0) return false;
    if (s[0] == '-') {
        if (!string2ull(s + 1, len - 1, &v) || v == 0) return false;
        if (v > (unsigned long long)LLONG_MAX + 1) return false;
        *out = (long long)(0 - v);
        return true;
    }
    if (!string2ull(s, len, &v) || v > (unsigned long long)LLONG_MAX) return false;
    *out = (long long)v;
    return true;
}

unsigned digits10(uint64_t v)
{
    unsigned n = 1;
    while (v >= 10) { v /= 10; n++; }
    return n;
}

size_t ull2string(char *dst, unsigned long long v)
{
    char tmp[RK_LONG_STR_SIZE];
    size_t n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (size_t i = 0; i < n; i++) dst[i] = tmp[n - 1 - i];
    dst[n] = '\0';
    return n;
}

size_t ll2string(char *dst, long long v)
{
    if (v >= 0) return ull2string(dst, (unsigned long long)v);
    dst[0] = '-';
    return 1 + ull2string(dst + 1, 0 - (unsigned long long)v);
}

/* A wyhash-style mixer: fast on short keys, good enough distribution for
 * chained tables. The seed is fixed per process at first use. */
static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t read64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint64_t read32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static uint64_t hash_seed(void)
{
    static uint64_t seed;
    if (!seed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t s = mix((uint64_t)ts.tv_nsec ^ 0x9E3779B97F4A7C15ull, (uint64_t)ts.tv_sec | 1);
        __atomic_store_n(&seed, s | 1, __ATOMIC_RELAXED);
    }
    return seed;
}

uint64_t hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    const uint64_t s1 = 0xa0761d6478bd642full, s2 = 0xe7037ed1a0b428dbull;
    uint64_t seed = hash_seed(), a, b;
    if (len <= 16) {
        if (len >= 4) {
            a = (read32(p) << 32) | read32(p + ((len >> 3) << 2));
            b = (read32(p + len - 4) << 32) | read32(p + len - 4 - ((len >> 3) << 2));
        } else if (len > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) | p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t i = len;
        while (i > 16) {
            seed = mix(read64(p) ^ s1, read64(p + 8) ^ seed);
            p += 16;
            i -= 16;
        }
        a = read64(p + i - 16);
        b = read64(p + i - 8);
    }
    return mix(s1 ^ len, mix(a ^ s1, b ^ seed ^ s2));
}

uint64_t hash_bytes_nocase(const void *data, size_t len)
{
    unsigned char buf[64];
    const unsigned char *p = data;
    uint64_t h = 0;
    while (len) {
        size_t n = len < sizeof(buf) ? len : sizeof(buf);
        for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
        h ^= hash_bytes(buf, n);
        h *= 0x100000001b3ull;
        p += n;
        len -= n;
    }
    return h;
}

long long ustime(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

long long mstime(void) { return ustime() / 1000; }

long long monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool str_eq_nocase(const char *s, size_t len, const char *cstr)
{
    return strlen(cstr) == len && strncasecmp(s, cstr, len) == 0;
}
