/* sha1.c — SHA-1 of a whole buffer (scripts are hashed whole), by
 * OpenSSL's libcrypto. Any thread. */
#include "ringkv/script/sha1.h"

#include <openssl/sha.h>

void sha1(const void *data, size_t len, uint8_t digest[20]) { SHA1(data, len, digest); }

void sha1_hex(const void *data, size_t len, char out[41])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t d[20];
    sha1(data, len, d);
    for (int i = 0; i < 20; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[40] = '\0';
}
