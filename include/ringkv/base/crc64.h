/* crc64.h — the CRC-64 Redis puts at the end of RDB files and DUMP
 * payloads, so that ringkv can check what Redis wrote and write what
 * Redis will accept.
 *
 * The variant is Redis's src/crc64.c, "Jones": polynomial
 * 0xad93d23594c935a9, input and output reflected, initial value 0, no
 * final xor; crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca. A whole RDB
 * file is checked by running it through in pieces as it is read:
 *
 *   crc64(crc64(0, a, n), b, m) == crc64(0, a || b, n + m)
 *
 * Eight bytes a step (slicing-by-8, about 1 byte per cycle); the tables
 * are built once, on the first call, by whichever thread makes it. Pure
 * function otherwise: any thread, concurrently.
 */
#ifndef RINGKV_CRC64_H
#define RINGKV_CRC64_H

#include <stddef.h>
#include <stdint.h>

/* Continues `crc` (0 to start) over len bytes at p (p may be NULL when
 * len is 0). */
uint64_t crc64(uint64_t crc, const void *p, size_t len);

#endif
