/* sha1.c — SHA-1 of a whole buffer (scripts are hashed whole: every EVAL
 * hashes its body), by OpenSSL's libcrypto. Its one-shot SHA1() goes
 * through EVP and fetches the algorithm under a lock on every call (15% of
 * an EVAL's CPU in a profile); the direct SHA1_* functions, deprecated in
 * OpenSSL 3 in favour of EVP but kept, hash the same bytes without that.
 * Any thread. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "ringkv/script/sha1.h"

#include <openssl/sha.h>

void sha1(const void *data, size_t len, uint8_t digest[20])
{
    SHA_CTX ctx;
    SHA1_Init(&ctx);
    SHA1_Update(&ctx, data, len);
    SHA1_Final(digest, &ctx);
}

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
