/* acl_log.c — ACL LOG: the server's recent denials and failed AUTHs,
 * newest first, a like entry of the last minute counted again rather than
 * repeated (Redis 7.0's addACLLogEntry). One log for every shard, behind a
 * mutex: only denials write it, never a permitted command.
 * Thread: any.
 */
#include "ringkv/cmd/acl.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/proto/reply.h"

#include <pthread.h>
#include <string.h>

#define GROUPING_MS 60000 /* ACL_LOG_GROUPING_MAX_TIME_DELTA */
#define MATCH_SCAN 10     /* entries looked at for a match, as Redis */

struct entry {
    long long count;
    enum acl_denied reason;
    enum acl_log_ctx ctx;
    char *object, *user, *cinfo;
    size_t olen, ulen;
    long long ctime_ms;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *log_entries; /* [0] is the newest */
static size_t nentries;
static long long max_len = 128;

static void entry_free(struct entry *e)
{
    rk_free(e->object);
    rk_free(e->user);
    rk_free(e->cinfo);
}

static void trim_locked(void)
{
    while (nentries > 0 && (long long)nentries > max_len) entry_free(&log_entries[--nentries]);
}

void acl_log_set_max_len(long long len)
{
    pthread_mutex_lock(&lock);
    max_len = len < 0 ? 0 : len; /* as Redis, the log shrinks at its next entry */
    pthread_mutex_unlock(&lock);
}

static bool like(const struct entry *e, enum acl_denied reason, enum acl_log_ctx ctx, const char *object,
                 size_t olen, const char *user, size_t ulen, long long now)
{
    long long delta = e->ctime_ms - now;
    return e->reason == reason && e->ctx == ctx && (delta < 0 ? -delta : delta) <= GROUPING_MS &&
           e->olen == olen && memcmp(e->object, object, olen) == 0 && e->ulen == ulen &&
           memcmp(e->user, user, ulen) == 0;
}

/* Moves entry i to the front. */
static void to_front(size_t i)
{
    struct entry e = log_entries[i];
    memmove(log_entries + 1, log_entries, i * sizeof(*log_entries));
    log_entries[0] = e;
}

void acl_log_add(enum acl_denied reason, enum acl_log_ctx ctx, const char *object, size_t olen, const char *user,
                 size_t ulen, const char *client_info)
{
    long long now = mstime();
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nentries && i < MATCH_SCAN; i++) {
        struct entry *e = &log_entries[i];
        if (!like(e, reason, ctx, object, olen, user, ulen, now)) continue;
        rk_free(e->cinfo);
        e->cinfo = rk_strndup(client_info, strlen(client_info));
        e->ctime_ms = now;
        e->count++;
        to_front(i);
        pthread_mutex_unlock(&lock);
        return;
    }
    log_entries = rk_realloc(log_entries, (nentries + 1) * sizeof(*log_entries));
    memmove(log_entries + 1, log_entries, nentries * sizeof(*log_entries));
    nentries++;
    log_entries[0] = (struct entry){1,
                                    reason,
                                    ctx,
                                    rk_strndup(object, olen),
                                    rk_strndup(user, ulen),
                                    rk_strndup(client_info, strlen(client_info)),
                                    olen,
                                    ulen,
                                    now};
    trim_locked();
    pthread_mutex_unlock(&lock);
}

static const char *reason_name(enum acl_denied r)
{
    switch (r) {
    case ACL_DENIED_CMD: return "command";
    case ACL_DENIED_KEY: return "key";
    case ACL_DENIED_CHANNEL: return "channel";
    case ACL_DENIED_AUTH: return "auth";
    case ACL_OK: break;
    }
    return "unknown";
}

static const char *ctx_name(enum acl_log_ctx c)
{
    return c == ACL_LOG_TOPLEVEL ? "toplevel" : c == ACL_LOG_MULTI ? "multi" : "lua";
}

void acl_log_reply(struct reply *r, long long count)
{
    long long now = mstime();
    pthread_mutex_lock(&lock);
    if (count < 0) count = 0;
    if ((size_t)count > nentries) count = (long long)nentries;
    reply_array(r, count);
    for (long long i = 0; i < count; i++) {
        const struct entry *e = &log_entries[i];
        reply_map(r, 7);
        reply_bulk_cstr(r, "count");
        reply_int(r, e->count);
        reply_bulk_cstr(r, "reason");
        reply_bulk_cstr(r, reason_name(e->reason));
        reply_bulk_cstr(r, "context");
        reply_bulk_cstr(r, ctx_name(e->ctx));
        reply_bulk_cstr(r, "object");
        reply_bulk(r, e->object, e->olen);
        reply_bulk_cstr(r, "username");
        reply_bulk(r, e->user, e->ulen);
        reply_bulk_cstr(r, "age-seconds");
        reply_double(r, (double)(now - e->ctime_ms) / 1000);
        reply_bulk_cstr(r, "client-info");
        reply_bulk_cstr(r, e->cinfo);
    }
    pthread_mutex_unlock(&lock);
}

void acl_log_reset(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nentries; i++) entry_free(&log_entries[i]);
    nentries = 0;
    pthread_mutex_unlock(&lock);
}
