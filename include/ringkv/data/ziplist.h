/* ziplist.h — readers for the two compact encodings Redis used before
 * listpacks, which older RDB files (and DUMP payloads from older
 * servers) still contain: the ziplist (lists, hashes and sorted sets up
 * to Redis 6.2) and the zipmap (hashes before Redis 2.6). Each is turned
 * into a listpack, the only compact encoding ringkv keeps; nothing ever
 * writes them.
 *
 * The input is untrusted bytes of length `size`. Each function checks the
 * whole structure before it allocates anything (every length and offset
 * against `size`, the header fields against what the entries say), never
 * reads outside the `size` bytes, and returns NULL on anything malformed:
 * the caller reports a corrupt payload. The listpack it returns is at most
 * about twice `size`; a result that would pass LP_MAX_SAFE_SIZE (1 GB) is
 * refused with NULL as well.
 *
 * What is left to the caller, which knows what the bytes stand for:
 * whether zero entries are acceptable (Redis deletes such keys), that a
 * hash or sorted set has an even number of entries, duplicate fields or
 * members, and that sorted set scores parse as numbers.
 *
 * Pure functions of their input: any thread. The listpack is allocated
 * with rk_malloc (free it with lp_free).
 */
#ifndef RINGKV_ZIPLIST_H
#define RINGKV_ZIPLIST_H

#include <stddef.h>

/* Redis <= 6.2 ziplist:
 *
 *   <zlbytes u32 LE = size> <zltail u32 LE: offset of the last entry>
 *   <zllen u16 LE, 65535 = "count it"> entry... 0xFF
 *   entry = <prevlen: 1 byte < 254, or 0xFE + u32 LE> <encoding> <data>
 *
 *   00pppppp                   string, 6-bit length
 *   01pppppp qqqqqqqq          string, 14-bit length (big endian)
 *   10000000 <u32 BE>          string, 32-bit length
 *   11000000 / 11010000 / 11100000 / 11110000 / 11111110
 *                              int16 / int32 / int64 / int24 / int8, LE
 *   11110001..11111101         immediate 0..12
 *
 * Each prevlen must be the previous entry's size (0 for the first; the
 * 5-byte form may hold a small value, as Redis sometimes leaves it), and
 * zltail and zllen must agree with the entries. Integers become integer
 * entries, strings string entries (the listpack still stores a string
 * that reads as an integer as one, as it always does). *count receives
 * the number of entries. */
unsigned char *ziplist_to_listpack(const unsigned char *zl, size_t size, size_t *count);

/* Redis zipmap:
 *
 *   <zmlen: pair count if < 254, else "count it">
 *   (<len> field <len> <free u8> value <free unused bytes>)... 0xFF
 *   len = 1 byte 0..253, or 254 + u32 LE
 *
 * 0xFF where a field length would be is the end, and must be the last of
 * the `size` bytes; where a value length would be it is invalid. The
 * listpack holds field, value, field, value...; *count receives its
 * number of entries (twice the pairs). */
unsigned char *zipmap_to_listpack(const unsigned char *zm, size_t size, size_t *count);

#endif
