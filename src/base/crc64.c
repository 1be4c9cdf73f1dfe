/* crc64.c — Redis's CRC-64 (Jones), slicing-by-8; see crc64.h.
 *
 * Reflected form: the register holds the CRC bit-reversed, so each byte
 * enters at the low end and the polynomial is the reversed one
 * (0x95ac9329ac4bc9b5 = bit-reverse of 0xad93d23594c935a9); "reflected in
 * and out" then costs nothing. table[0][x] is the CRC of byte x;
 * table[k][x] is the CRC of byte x followed by k zero bytes, so the eight
 * lookups of a step are independent of each other (the CRC is linear) and
 * the CPU runs them in parallel. 16 KB of tables, built once under
 * pthread_once: any number of threads may make the first call together.
 */
#include "ringkv/base/crc64.h"

#include <pthread.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "crc64.c assumes a little-endian host (the 8-byte load below)"
#endif

#define CRC64_POLY_REFLECTED 0x95ac9329ac4bc9b5ULL

static uint64_t crc64_table[8][256];
static pthread_once_t crc64_once = PTHREAD_ONCE_INIT;

static void crc64_init_tables(void)
{
    for (unsigned i = 0; i < 256; i++) {
        uint64_t crc = i;
        for (int b = 0; b < 8; b++) crc = (crc & 1) ? (crc >> 1) ^ CRC64_POLY_REFLECTED : crc >> 1;
        crc64_table[0][i] = crc;
    }
    for (unsigned i = 0; i < 256; i++) {
        uint64_t crc = crc64_table[0][i];
        for (int k = 1; k < 8; k++) {
            crc = crc64_table[0][crc & 0xff] ^ (crc >> 8);
            crc64_table[k][i] = crc;
        }
    }
}

static inline uint64_t crc64_byte(uint64_t crc, unsigned char b)
{
    return crc64_table[0][(crc ^ b) & 0xff] ^ (crc >> 8);
}

uint64_t crc64(uint64_t crc, const void *p, size_t len)
{
    pthread_once(&crc64_once, crc64_init_tables);
    const unsigned char *s = p;
    /* Byte by byte up to an 8-byte boundary, so the loads below are
     * aligned (memcpy keeps them legal either way). */
    while (len && ((uintptr_t)s & 7)) {
        crc = crc64_byte(crc, *s++);
        len--;
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        crc ^= w;
        crc = crc64_table[7][crc & 0xff] ^ crc64_table[6][(crc >> 8) & 0xff] ^
              crc64_table[5][(crc >> 16) & 0xff] ^ crc64_table[4][(crc >> 24) & 0xff] ^
              crc64_table[3][(crc >> 32) & 0xff] ^ crc64_table[2][(crc >> 40) & 0xff] ^
              crc64_table[1][(crc >> 48) & 0xff] ^ crc64_table[0][crc >> 56];
        s += 8;
        len -= 8;
    }
    while (len--) crc = crc64_byte(crc, *s++);
    return crc;
}
