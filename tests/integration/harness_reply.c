/* harness_reply.c — hiredis helpers of the integration-test harness:
 * connect, commands that fail the test on I/O errors, and reply checks
 * with readable messages. Test processes only (see harness.h). */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#define TS_IO_TIMEOUT_S 10

redisContext *ts_connect(const struct test_server *ts)
{
    struct timeval tv = {TS_IO_TIMEOUT_S, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", ts_port(ts), tv);
    cr_assert(c != NULL, "redisConnect: out of memory");
    cr_assert(!c->err, "connect to port %d: %s", ts_port(ts), c->errstr);
    cr_assert(redisSetTimeout(c, tv) == REDIS_OK, "redisSetTimeout: %s", c->errstr);
    return c;
}

static redisReply *checked_reply(redisContext *c, void *r, const char *what)
{
    cr_assert(r != NULL, "%s: connection error: %s", what, c->errstr[0] ? c->errstr : "(none)");
    return r;
}

redisReply *ts_cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    void *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    return checked_reply(c, r, fmt);
}

redisReply *ts_cmd_argv(redisContext *c, int argc, const char **argv, const size_t *lens)
{
    return checked_reply(c, redisCommandArgv(c, argc, argv, lens), argc ? argv[0] : "(empty)");
}

void ts_append(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = redisvAppendCommand(c, fmt, ap);
    va_end(ap);
    cr_assert(rc == REDIS_OK, "redisAppendCommand(%s): %s", fmt, c->errstr);
}

void ts_flush(redisContext *c)
{
    int done = 0;
    while (!done) cr_assert(redisBufferWrite(c, &done) == REDIS_OK, "redisBufferWrite: %s", c->errstr);
}

redisReply *ts_reply(redisContext *c)
{
    void *r = NULL;
    int rc = redisGetReply(c, &r);
    cr_assert(rc == REDIS_OK && r, "reading a pipelined reply: %s",
              c->errstr[0] ? c->errstr : "(no reply)");
    return r;
}

void ts_escape(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 8 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\r')
            o += snprintf(out + o, cap - o, "\\r");
        else if (ch == '\n')
            o += snprintf(out + o, cap - o, "\\n");
        else if (ch == '"' || ch == '\\')
            o += snprintf(out + o, cap - o, "\\%c", ch);
        else if (ch < 32 || ch >= 127)
            o += snprintf(out + o, cap - o, "\\x%02x", ch);
        else
            out[o++] = (char)ch;
        if (i + 1 < len && o + 8 >= cap) {
            o += snprintf(out + o, cap - o, "...");
            break;
        }
    }
    out[o < cap ? o : cap - 1] = '\0';
}

static const char *type_name(int type)
{
    switch (type) {
    case REDIS_REPLY_STRING: return "bulk";
    case REDIS_REPLY_ARRAY: return "array";
    case REDIS_REPLY_INTEGER: return "integer";
    case REDIS_REPLY_NIL: return "nil";
    case REDIS_REPLY_STATUS: return "status";
    case REDIS_REPLY_ERROR: return "error";
    default: return "unknown";
    }
}

void ts_reply_describe(const redisReply *r, char *buf, size_t cap)
{
    if (!r) {
        snprintf(buf, cap, "(no reply)");
        return;
    }
    char esc[512];
    switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        ts_escape(r->str, r->len, esc, sizeof esc);
        snprintf(buf, cap, "%s \"%s\"", type_name(r->type), esc);
        break;
    case REDIS_REPLY_INTEGER:
        snprintf(buf, cap, "integer %lld", r->integer);
        break;
    case REDIS_REPLY_ARRAY: {
        size_t o = snprintf(buf, cap, "array[%zu] {", r->elements);
        for (size_t i = 0; i < r->elements && o + 16 < cap; i++) {
            ts_reply_describe(r->element[i], esc, sizeof esc);
            o += snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", esc);
        }
        if (o + 2 < cap)
            snprintf(buf + o, cap - o, "}");
        break;
    }
    default:
        snprintf(buf, cap, "%s", type_name(r->type));
    }
}

bool ts_reply_is(const redisReply *r, int type, const char *str, long long n, char *why,
                 size_t cap)
{
    char want[512], got[512];
    if (str)
        ts_escape(str, strlen(str), want, sizeof want);
    bool ok = r && r->type == type;
    if (ok && str)
        ok = r->len == strlen(str) && memcmp(r->str, str, r->len) == 0;
    if (ok && type == REDIS_REPLY_INTEGER)
        ok = r->integer == n;
    if (ok)
        return true;
    ts_reply_describe(r, got, sizeof got);
    if (type == REDIS_REPLY_INTEGER)
        snprintf(why, cap, "expected integer %lld, got %s", n, got);
    else if (str)
        snprintf(why, cap, "expected %s \"%s\", got %s", type_name(type), want, got);
    else
        snprintf(why, cap, "expected %s, got %s", type_name(type), got);
    return false;
}

bool ts_reply_is_array(const redisReply *r, size_t count, const char *const *items, char *why,
                       size_t cap)
{
    bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == count;
    for (size_t i = 0; ok && i < count; i++) {
        const redisReply *e = r->element[i];
        if (!items[i])
            ok = e->type == REDIS_REPLY_NIL;
        else
            ok = e->type == REDIS_REPLY_STRING && e->len == strlen(items[i]) &&
                 memcmp(e->str, items[i], e->len) == 0;
    }
    if (ok)
        return true;
    char want[512], got[512], esc[128];
    size_t o = 0;
    for (size_t i = 0; i < count && o + 8 < sizeof want; i++) {
        if (items[i])
            ts_escape(items[i], strlen(items[i]), esc, sizeof esc);
        o += snprintf(want + o, sizeof want - o, "%s%s%s%s", i ? ", " : "", items[i] ? "\"" : "",
                      items[i] ? esc : "nil", items[i] ? "\"" : "");
    }
    want[count ? (o < sizeof want ? o : sizeof want - 1) : 0] = '\0';
    ts_reply_describe(r, got, sizeof got);
    snprintf(why, cap, "expected array[%zu] {%s}, got %s", count, want, got);
    return false;
}
