/* sha1.h — SHA-1 (FIPS 180-4), for naming scripts by their body as Redis
 * does (EVALSHA, SCRIPT LOAD, redis.sha1hex). Not for anything that needs
 * a secure hash. Any thread; no state between calls.
 */
#ifndef RINGKV_SCRIPT_SHA1_H
#define RINGKV_SCRIPT_SHA1_H

#include <stddef.h>
#include <stdint.h>

/* The 20-byte digest of data. */
void sha1(const void *data, size_t len, uint8_t digest[20]);
/* The digest as 40 lowercase hex digits and a NUL. */
void sha1_hex(const void *data, size_t len, char out[41]);

#endif
