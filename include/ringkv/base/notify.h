/* notify.h — keyspace notification classes (notify-keyspace-events) and
 * their letters, as Redis 7.0 defines them (server.h NOTIFY_*, notify.c).
 * The bit values are Redis's. Pure functions; any thread. */
#ifndef RINGKV_BASE_NOTIFY_H
#define RINGKV_BASE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

enum {
    NOTIFY_KEYSPACE = 1u << 0,  /* K: __keyspace@<db>__:<key> <event> */
    NOTIFY_KEYEVENT = 1u << 1,  /* E: __keyevent@<db>__:<event> <key> */
    NOTIFY_GENERIC = 1u << 2,   /* g: DEL, EXPIRE, RENAME, ... */
    NOTIFY_STRING = 1u << 3,    /* $ */
    NOTIFY_LIST = 1u << 4,      /* l */
    NOTIFY_SET = 1u << 5,       /* s */
    NOTIFY_HASH = 1u << 6,      /* h */
    NOTIFY_ZSET = 1u << 7,      /* z */
    NOTIFY_EXPIRED = 1u << 8,   /* x */
    NOTIFY_EVICTED = 1u << 9,   /* e */
    NOTIFY_STREAM = 1u << 10,   /* t */
    NOTIFY_KEY_MISS = 1u << 11, /* m: not part of A */
    NOTIFY_LOADED = 1u << 12,   /* modules only */
    NOTIFY_MODULE = 1u << 13,   /* d */
    NOTIFY_NEW = 1u << 14,      /* n: not part of A */
    NOTIFY_ALL = NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET |
                 NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE, /* A */
};

/* The classes a string of letters names ("KEA", "Kx"), or -1 when it has
 * a letter that names none. */
long long notify_flags_parse(const char *s, size_t len);
/* The letters of flags, as CONFIG GET shows them (A for all of NOTIFY_ALL,
 * then K, E, m), into out (at least 16 bytes). */
void notify_flags_format(long long flags, char *out);

#endif
