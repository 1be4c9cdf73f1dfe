/* reply.c — RESP reply encoding; see reply.h. Single-threaded per buffer. */
#include "ringkv/proto/reply.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/base/numfmt.h"
#include "ringkv/base/util.h"

#include <stdio.h>
#include <string.h>

void obuf_init(struct obuf *b) { memset(b, 0, sizeof(*b)); }

/* Buffers this big are transient (a big reply, a pipeline's worth): their
 * memory should go back to the OS once they are gone (alloc.h). */
#define OBUF_BIG (64 * 1024)

void obuf_free(struct obuf *b)
{
    if (b->cap >= OBUF_BIG) rk_note_release(b->cap);
    rk_free(b->data);
    obuf_init(b);
}

void obuf_reserve(struct obuf *b, size_t extra)
{
    if (b->cap - b->len >= extra) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) cap *= 2;
    b->data = rk_realloc(b->data, cap);
    b->cap = cap;
}

void obuf_append(struct obuf *b, const void *data, size_t len)
{
    if (len == 0) return; /* an empty buffer has no data to copy into */
    obuf_reserve(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void obuf_shrink(struct obuf *b, size_t keep)
{
    if (b->len == 0 && b->cap > keep) obuf_free(b);
}

void reply_init(struct reply *r, struct obuf *buf, int resp)
{
    r->buf = buf;
    r->resp = (uint8_t)(resp & REPLY_RESP_MASK);
    r->reader = (uint16_t)(resp >> 4);
    r->errors = 0;
    r->stats = NULL;
}

/* "<prefix><n>\r\n" */
static void write_prefixed_ll(struct reply *r, char prefix, long long n)
{
    struct obuf *b = r->buf;
    obuf_reserve(b, RK_LONG_STR_SIZE + 3);
    b->data[b->len++] = prefix;
    b->len += ll2string(b->data + b->len, n);
    b->data[b->len++] = '\r';
    b->data[b->len++] = '\n';
}

void reply_raw(struct reply *r, const void *data, size_t len) { obuf_append(r->buf, data, len); }

void reply_status(struct reply *r, const char *status)
{
    size_t n = strlen(status);
    obuf_reserve(r->buf, n + 3);
    r->buf->data[r->buf->len++] = '+';
    memcpy(r->buf->data + r->buf->len, status, n);
    r->buf->len += n;
    memcpy(r->buf->data + r->buf->len, "\r\n", 2);
    r->buf->len += 2;
}

void reply_ok(struct reply *r) { reply_raw(r, "+OK\r\n", 5); }

void reply_error_len(struct reply *r, const char *msg, size_t len)
{
    struct obuf *b = r->buf;
    obuf_reserve(b, len + 3);
    b->data[b->len++] = '-';
    for (size_t i = 0; i < len; i++)
        b->data[b->len++] = (msg[i] == '\r' || msg[i] == '\n') ? ' ' : msg[i];
    b->data[b->len++] = '\r';
    b->data[b->len++] = '\n';
    r->errors++;
    if (r->stats) cmdstats_error(r->stats, msg, len);
}

void reply_error_raw(struct reply *r, const char *data, size_t len)
{
    obuf_append(r->buf, data, len);
    r->errors++;
    if (r->stats && len >= 3) cmdstats_error(r->stats, data + 1, len - 3);
}

void reply_error(struct reply *r, const char *msg) { reply_error_len(r, msg, strlen(msg)); }

/* As Redis's addReplyErrorFormat: CR/LF at the end of the formatted text
 * (from a client's argument) are dropped, those inside become spaces. */
static void reply_error_trimmed(struct reply *r, const char *msg, size_t len)
{
    while (len > 0 && (msg[len - 1] == '\r' || msg[len - 1] == '\n')) len--;
    reply_error_len(r, msg, len);
}

void reply_errorf(struct reply *r, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n < sizeof(small)) {
        reply_error_trimmed(r, small, (size_t)n);
        return;
    }
    char *big = rk_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    reply_error_trimmed(r, big, (size_t)n);
    rk_free(big);
}

void reply_int(struct reply *r, long long v) { write_prefixed_ll(r, ':', v); }

void reply_bulk(struct reply *r, const void *data, size_t len)
{
    write_prefixed_ll(r, '$', (long long)len);
    obuf_reserve(r->buf, len + 2);
    memcpy(r->buf->data + r->buf->len, data, len);
    r->buf->len += len;
    r->buf->data[r->buf->len++] = '\r';
    r->buf->data[r->buf->len++] = '\n';
}

void reply_bulk_cstr(struct reply *r, const char *s) { reply_bulk(r, s, strlen(s)); }

void reply_bulk_ll(struct reply *r, long long v)
{
    char buf[RK_LONG_STR_SIZE];
    reply_bulk(r, buf, ll2string(buf, v));
}

void reply_null(struct reply *r)
{
    if (r->resp >= 3) reply_raw(r, "_\r\n", 3);
    else reply_raw(r, "$-1\r\n", 5);
}

void reply_null_array(struct reply *r)
{
    if (r->resp >= 3) reply_raw(r, "_\r\n", 3);
    else reply_raw(r, "*-1\r\n", 5);
}

void reply_array(struct reply *r, long long n) { write_prefixed_ll(r, '*', n); }

void reply_map(struct reply *r, long long n)
{
    if (r->resp >= 3) write_prefixed_ll(r, '%', n);
    else write_prefixed_ll(r, '*', n * 2);
}

void reply_set(struct reply *r, long long n) { write_prefixed_ll(r, r->resp >= 3 ? '~' : '*', n); }
void reply_push(struct reply *r, long long n) { write_prefixed_ll(r, r->resp >= 3 ? '>' : '*', n); }

void reply_double(struct reply *r, double d)
{
    char buf[128];
    if (r->resp >= 3) {
        size_t n = d2resp3(buf + 1, sizeof(buf) - 3, d);
        buf[0] = ',';
        buf[n + 1] = '\r';
        buf[n + 2] = '\n';
        reply_raw(r, buf, n + 3);
    } else {
        reply_bulk(r, buf, d2string(buf, sizeof(buf), d));
    }
}

void reply_bool(struct reply *r, bool v)
{
    if (r->resp >= 3) reply_raw(r, v ? "#t\r\n" : "#f\r\n", 4);
    else reply_raw(r, v ? ":1\r\n" : ":0\r\n", 4);
}

void reply_verbatim(struct reply *r, const char *data, size_t len, const char *ext)
{
    if (r->resp < 3) {
        reply_bulk(r, data, len);
        return;
    }
    write_prefixed_ll(r, '=', (long long)len + 4);
    obuf_reserve(r->buf, len + 6);
    memcpy(r->buf->data + r->buf->len, ext, 3);
    r->buf->data[r->buf->len + 3] = ':';
    r->buf->len += 4;
    memcpy(r->buf->data + r->buf->len, data, len);
    r->buf->len += len;
    r->buf->data[r->buf->len++] = '\r';
    r->buf->data[r->buf->len++] = '\n';
}

/* A deferred length is written as a placeholder and patched in place; the
 * placeholder is as long as the longest header, and the patch moves the
 * bytes after it down to close the gap (they are this command's own). */
#define DEFER_SLOT 24

size_t reply_defer(struct reply *r)
{
    size_t at = r->buf->len;
    obuf_reserve(r->buf, DEFER_SLOT);
    r->buf->len += DEFER_SLOT;
    return at;
}

static void defer_fill(struct reply *r, size_t at, char prefix, long long n)
{
    char hdr[DEFER_SLOT];
    size_t hl = 0;
    hdr[hl++] = prefix;
    hl += ll2string(hdr + hl, n);
    hdr[hl++] = '\r';
    hdr[hl++] = '\n';
    struct obuf *b = r->buf;
    memcpy(b->data + at, hdr, hl);
    memmove(b->data + at + hl, b->data + at + DEFER_SLOT, b->len - at - DEFER_SLOT);
    b->len -= DEFER_SLOT - hl;
}

void reply_defer_array(struct reply *r, size_t at, long long n) { defer_fill(r, at, '*', n); }

void reply_defer_map(struct reply *r, size_t at, long long n)
{
    if (r->resp >= 3) defer_fill(r, at, '%', n);
    else defer_fill(r, at, '*', n * 2);
}

void reply_defer_set(struct reply *r, size_t at, long long n) { defer_fill(r, at, r->resp >= 3 ? '~' : '*', n); }

void reply_help(struct reply *r, const char *const *lines, size_t n)
{
    reply_array(r, (long long)n);
    for (size_t i = 0; i < n; i++) reply_status(r, lines[i]);
}
