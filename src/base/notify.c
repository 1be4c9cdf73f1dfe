/* notify.c — notify-keyspace-events letters; see notify.h. */
#include "ringkv/base/notify.h"

#include <stdbool.h>

static const struct {
    char letter;
    long long flag;
} letters[] = {
    {'g', NOTIFY_GENERIC}, {'$', NOTIFY_STRING}, {'l', NOTIFY_LIST},    {'s', NOTIFY_SET},
    {'h', NOTIFY_HASH},    {'z', NOTIFY_ZSET},   {'x', NOTIFY_EXPIRED}, {'e', NOTIFY_EVICTED},
    {'t', NOTIFY_STREAM},  {'d', NOTIFY_MODULE}, {'n', NOTIFY_NEW},     {'K', NOTIFY_KEYSPACE},
    {'E', NOTIFY_KEYEVENT}, {'m', NOTIFY_KEY_MISS},
};

long long notify_flags_parse(const char *s, size_t len)
{
    long long flags = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == 'A') {
            flags |= NOTIFY_ALL;
            continue;
        }
        size_t k = 0;
        while (k < sizeof letters / sizeof letters[0] && letters[k].letter != s[i]) k++;
        if (k == sizeof letters / sizeof letters[0]) return -1;
        flags |= letters[k].flag;
    }
    return flags;
}

void notify_flags_format(long long flags, char *out)
{
    size_t n = 0;
    bool all = (flags & NOTIFY_ALL) == NOTIFY_ALL;
    if (all) out[n++] = 'A';
    for (size_t k = 0; k < sizeof letters / sizeof letters[0]; k++) {
        long long f = letters[k].flag;
        /* n is written among the classes, so Redis's "A" leaves it out */
        bool in_all = (f & NOTIFY_ALL) || f == NOTIFY_NEW;
        if (all && in_all) continue;
        if (flags & f) out[n++] = letters[k].letter;
    }
    out[n] = '\0';
}
