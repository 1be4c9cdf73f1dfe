#include <criterion/criterion.h>
#include "ringkv/base/util.h"
#include <string.h>

/* Known slots from Redis Cluster (CLUSTER KEYSLOT). */
Test(util, key_hash_slot_matches_redis_cluster)
{
    cr_expect_eq(key_hash_slot("foo", 3), 12182);
    cr_expect_eq(key_hash_slot("bar", 3), 5061);
    cr_expect_eq(key_hash_slot("123456789", 9), 12739);
    cr_expect_eq(key_hash_slot("{user1000}.following", 21), key_hash_slot("user1000", 8));
    cr_expect_eq(key_hash_slot("foo{}{bar}", 10), key_hash_slot("foo{}{bar}", 10));
    cr_expect_eq(key_hash_slot("foo{{bar}}zap", 13), key_hash_slot("{bar", 4));
    cr_expect_eq(key_hash_slot("foo{bar}{zap}", 13), key_hash_slot("bar", 3));
    cr_expect_eq(key_hash_slot("", 0), 0);
}

Test(util, string2ll_is_strict)
{
    long long v;
    cr_expect(string2ll("0", 1, &v) && v == 0);
    cr_expect(string2ll("-1", 2, &v) && v == -1);
    cr_expect(string2ll("9223372036854775807", 19, &v) && v == 9223372036854775807LL);
    cr_expect(string2ll("-9223372036854775808", 20, &v) && v == (-9223372036854775807LL - 1));
    cr_expect(!string2ll("9223372036854775808", 19, &v));
    cr_expect(!string2ll("-9223372036854775809", 20, &v));
    cr_expect(!string2ll("01", 2, &v));
    cr_expect(!string2ll("+1", 2, &v));
    cr_expect(!string2ll(" 1", 2, &v));
    cr_expect(!string2ll("-0", 2, &v));
    cr_expect(!string2ll("", 0, &v));
    cr_expect(!string2ll("1a", 2, &v));
}

Test(util, ll2string_round_trips)
{
    char buf[RK_LONG_STR_SIZE];
    long long samples[] = {0, 1, -1, 42, -9223372036854775807LL - 1, 9223372036854775807LL, 1000000};
    for (size_t i = 0; i < RK_ARRAY_LEN(samples); i++) {
        long long back;
        size_t n = ll2string(buf, samples[i]);
        cr_expect_eq(n, strlen(buf));
        cr_expect(string2ll(buf, n, &back));
        cr_expect_eq(back, samples[i]);
    }
}

/* The two-bytes-a-step crc16 against the bit-by-bit definition. */
static uint16_t crc16_bitwise(const unsigned char *p, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++) crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

Test(util, crc16_matches_its_definition)
{
    unsigned char buf[64];
    unsigned seed = 12345;
    for (int round = 0; round < 2000; round++) {
        size_t len = (size_t)round % sizeof(buf);
        for (size_t i = 0; i < len; i++) buf[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
        cr_assert_eq(crc16((const char *)buf, len), crc16_bitwise(buf, len), "len %zu", len);
    }
}
