/* Unit tests for crc64: Redis's check value, payloads redis-server 7.0
 * wrote, the incremental property, and the slicing-by-8 code against the
 * bit-by-bit definition on many lengths and alignments. */
#include <criterion/criterion.h>
#include "ringkv/base/crc64.h"
#include "ringkv/base/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The definition as Redis's crc64.c states it (_crc64): a non-reflected
 * register shifted left with the polynomial 0xad93d23594c935a9, each
 * input byte fed least significant bit first, the result reflected. The
 * register is kept reflected between calls, as the fast code keeps it. */
static uint64_t reflect64(uint64_t v)
{
    uint64_t r = 0;
    for (int i = 0; i < 64; i++, v >>= 1) r = (r << 1) | (v & 1);
    return r;
}

static uint64_t crc64_bitwise(uint64_t crc, const unsigned char *p, size_t len)
{
    crc = reflect64(crc);
    for (size_t i = 0; i < len; i++) {
        for (unsigned m = 1; m < 256; m <<= 1) {
            int bit = (crc >> 63) != 0;
            if (p[i] & m) bit = !bit;
            crc <<= 1;
            if (bit) crc ^= 0xad93d23594c935a9ULL;
        }
    }
    return reflect64(crc);
}

static unsigned next_rand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 16;
}

static void fill_random(unsigned char *buf, size_t len, unsigned *seed)
{
    for (size_t i = 0; i < len; i++) buf[i] = (unsigned char)next_rand(seed);
}

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

Test(crc64, check_value)
{
    cr_expect_eq(crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
    cr_expect_eq(crc64_bitwise(0, (const unsigned char *)"123456789", 9), 0xe9c6d914c4b8d9caULL);
    cr_expect_eq(crc64(0, NULL, 0), 0);
    cr_expect_eq(crc64(0x1234, "", 0), 0x1234);
    /* A zero register stays zero over zero bytes (no init, no final xor). */
    unsigned char zeros[100] = {0};
    cr_expect_eq(crc64(0, zeros, sizeof(zeros)), 0);
}

/* Bytes redis-server 7.0.15 wrote: DUMP payloads (type, value, RDB
 * version 10, then the CRC-64 of all that, little-endian) and a whole
 * RDB file (SET k v; SAVE) whose last 8 bytes are the same. */
static const unsigned char dump_string[] = {
    0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0x0a, 0x00,
    0x63, 0x72, 0xdf, 0x76, 0x65, 0x34, 0x20, 0x0a};
static const unsigned char dump_list[] = {
    0x12, 0x01, 0x02, 0x11, 0x11, 0x00, 0x00, 0x00, 0x04, 0x00, 0x81, 0x61, 0x02, 0x81, 0x62,
    0x02, 0x01, 0x01, 0x02, 0x01, 0xff, 0x0a, 0x00, 0x6d, 0x72, 0x71, 0x3e, 0x9b, 0x43, 0x48, 0x2b};
static const unsigned char dump_lzf[] = {
    0x00, 0xc3, 0x0c, 0x41, 0x2c, 0x01, 0x78, 0x78, 0xe0, 0xff, 0x00, 0xe0, 0x17, 0x00,
    0x01, 0x78, 0x78, 0x0a, 0x00, 0xf0, 0x33, 0x19, 0x5a, 0x8b, 0x66, 0x0d, 0x84};
static const unsigned char rdb_file[] = {
    0x52, 0x45, 0x44, 0x49, 0x53, 0x30, 0x30, 0x31, 0x30, 0xfa, 0x09, 0x72, 0x65, 0x64, 0x69,
    0x73, 0x2d, 0x76, 0x65, 0x72, 0x06, 0x37, 0x2e, 0x30, 0x2e, 0x31, 0x35, 0xfa, 0x0a, 0x72,
    0x65, 0x64, 0x69, 0x73, 0x2d, 0x62, 0x69, 0x74, 0x73, 0xc0, 0x40, 0xfa, 0x05, 0x63, 0x74,
    0x69, 0x6d, 0x65, 0xc2, 0xc8, 0x03, 0x16, 0x6b, 0xfa, 0x08, 0x75, 0x73, 0x65, 0x64, 0x2d,
    0x6d, 0x65, 0x6d, 0xc2, 0x08, 0x76, 0x0f, 0x00, 0xfa, 0x08, 0x61, 0x6f, 0x66, 0x2d, 0x62,
    0x61, 0x73, 0x65, 0xc0, 0x00, 0xfe, 0x00, 0xfb, 0x01, 0x00, 0x00, 0x01, 0x6b, 0x01, 0x76,
    0xff, 0x99, 0x4f, 0xb9, 0x88, 0xad, 0xba, 0xa0, 0x9d};

static void expect_trailer(const unsigned char *p, size_t len, const char *what)
{
    cr_expect_eq(crc64(0, p, len - 8), load_le64(p + len - 8), "%s", what);
    /* Read in two pieces, as a file is. */
    size_t half = (len - 8) / 2;
    cr_expect_eq(crc64(crc64(0, p, half), p + half, len - 8 - half), load_le64(p + len - 8), "%s",
                 what);
}

Test(crc64, matches_what_redis_wrote)
{
    expect_trailer(dump_string, sizeof(dump_string), "DUMP of a string");
    expect_trailer(dump_list, sizeof(dump_list), "DUMP of a list");
    expect_trailer(dump_lzf, sizeof(dump_lzf), "DUMP of an LZF string");
    expect_trailer(rdb_file, sizeof(rdb_file), "RDB file");
    cr_expect_eq(load_le64(rdb_file + sizeof(rdb_file) - 8), 0x9da0baad88b94f99ULL);
}

Test(crc64, matches_bitwise_definition)
{
    /* Every length up to 300 at each of the 8 alignments, with a random
     * starting register, then a few long buffers. */
    static unsigned char buf[4096 + 16];
    unsigned seed = 7;
    fill_random(buf, sizeof(buf), &seed);
    for (size_t len = 0; len <= 300; len++) {
        for (size_t off = 0; off < 8; off++) {
            uint64_t start = (uint64_t)next_rand(&seed) << 48 ^ (uint64_t)next_rand(&seed) << 24 ^
                             next_rand(&seed);
            if (len % 3 == 0) start = 0;
            uint64_t want = crc64_bitwise(start, buf + off, len);
            uint64_t got = crc64(start, buf + off, len);
            if (got != want) cr_assert_fail("len %zu off %zu: %016llx != %016llx", len, off,
                                            (unsigned long long)got, (unsigned long long)want);
        }
    }
    size_t lens[] = {511, 1024, 1031, 4096};
    for (size_t i = 0; i < RK_ARRAY_LEN(lens); i++)
        for (size_t off = 0; off < 16; off += 5)
            cr_expect_eq(crc64(0, buf + off, lens[i]), crc64_bitwise(0, buf + off, lens[i]),
                         "len %zu off %zu", lens[i], off);
}

Test(crc64, incremental_over_random_splits)
{
    static unsigned char buf[3000];
    unsigned seed = 99;
    fill_random(buf, sizeof(buf), &seed);
    for (int round = 0; round < 500; round++) {
        size_t len = next_rand(&seed) % sizeof(buf);
        uint64_t whole = crc64(0, buf, len);
        /* Up to 6 random cut points, pieces fed in order. */
        uint64_t crc = 0;
        size_t at = 0;
        int pieces = 1 + (int)(next_rand(&seed) % 6);
        for (int k = 0; k < pieces && at < len; k++) {
            size_t n = k == pieces - 1 ? len - at : next_rand(&seed) % (len - at + 1);
            crc = crc64(crc, buf + at, n);
            at += n;
        }
        crc = crc64(crc, buf + at, len - at);
        if (crc != whole) cr_assert_fail("round %d len %zu", round, len);
    }
    /* Byte at a time. */
    uint64_t crc = 0;
    for (size_t i = 0; i < 1000; i++) crc = crc64(crc, buf + i, 1);
    cr_expect_eq(crc, crc64(0, buf, 1000));
}

/* Criterion runs each test in its own process, so the threads below make
 * the very first calls, racing to build the tables. */
#define CRC_THREADS 8
static unsigned char shared_buf[1 << 16];
static pthread_barrier_t start_line;

static void *crc_thread(void *arg)
{
    uint64_t *out = arg;
    pthread_barrier_wait(&start_line);
    *out = crc64(0, shared_buf, sizeof(shared_buf));
    return NULL;
}

Test(crc64, concurrent_first_use)
{
    unsigned seed = 5;
    fill_random(shared_buf, sizeof(shared_buf), &seed);
    pthread_t th[CRC_THREADS];
    uint64_t out[CRC_THREADS];
    pthread_barrier_init(&start_line, NULL, CRC_THREADS);
    for (int i = 0; i < CRC_THREADS; i++) pthread_create(&th[i], NULL, crc_thread, &out[i]);
    for (int i = 0; i < CRC_THREADS; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start_line);
    uint64_t want = crc64_bitwise(0, shared_buf, sizeof(shared_buf));
    for (int i = 0; i < CRC_THREADS; i++) cr_expect_eq(out[i], want, "thread %d", i);
}
