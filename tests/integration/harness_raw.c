/* harness_raw.c — raw-socket side of the integration-test harness, for
 * protocol tests that must send arbitrary bytes and see the exact bytes of
 * each reply: a buffered connection and a RESP2/RESP3 frame splitter.
 * Test processes only (see harness.h). */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"

#define RAW_MAX_BUFFER (64u << 20) /* bound on one reply under test */
#define RAW_MAX_DEPTH 64

struct ts_raw {
    int fd;
    char *buf;      /* received, not yet consumed */
    size_t len, cap;
    size_t drop;    /* bytes of the frame returned last, consumed on next read */
    char *frame;    /* NUL-terminated copy of the frame returned last */
    size_t frame_cap;
    char status[256];
};

struct ts_raw *ts_raw_connect(const struct test_server *ts)
{
    int fd = ts_tcp_connect(ts_port(ts));
    cr_assert(fd >= 0, "connect to port %d: %s", ts_port(ts), strerror(errno));
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct ts_raw *raw = rk_calloc(1, sizeof *raw);
    raw->fd = fd;
    raw->cap = 4096;
    raw->buf = rk_malloc(raw->cap);
    snprintf(raw->status, sizeof raw->status, "ok");
    return raw;
}

void ts_raw_close(struct ts_raw *raw)
{
    if (!raw)
        return;
    close(raw->fd);
    rk_free(raw->buf);
    rk_free(raw->frame);
    rk_free(raw);
}

void ts_raw_send(struct ts_raw *raw, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(raw->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        cr_assert(n > 0, "send of %zu bytes failed: %s", len, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

void ts_raw_send_str(struct ts_raw *raw, const char *s) { ts_raw_send(raw, s, strlen(s)); }

const char *ts_raw_status(const struct ts_raw *raw) { return raw->status; }

static void consume_returned_frame(struct ts_raw *raw)
{
    memmove(raw->buf, raw->buf + raw->drop, raw->len - raw->drop);
    raw->len -= raw->drop;
    raw->drop = 0;
}

/* Reads whatever arrives within timeout_ms into the buffer. Returns >0 on
 * data, 0 on EOF (or reset), -1 on timeout. */
static int fill(struct ts_raw *raw, long long deadline)
{
    int left = (int)(deadline - ts_now_ms());
    if (left < 0)
        left = 0;
    struct pollfd p = {.fd = raw->fd, .events = POLLIN};
    int r = poll(&p, 1, left);
    if (r == 0)
        return -1;
    if (r < 0)
        return errno == EINTR ? 1 : 0;
    if (raw->len == raw->cap) {
        cr_assert(raw->cap < RAW_MAX_BUFFER, "reply exceeds %u bytes", RAW_MAX_BUFFER);
        raw->cap *= 2;
        raw->buf = rk_realloc(raw->buf, raw->cap);
    }
    ssize_t n = recv(raw->fd, raw->buf + raw->len, raw->cap - raw->len, 0);
    if (n < 0 && errno == EINTR)
        return 1;
    if (n <= 0)
        return 0; /* EOF, or ECONNRESET: the server closed with our data unread */
    raw->len += (size_t)n;
    return 1;
}

static void set_status(struct ts_raw *raw, const char *what)
{
    char esc[160];
    ts_escape(raw->buf, raw->len, esc, sizeof esc);
    snprintf(raw->status, sizeof raw->status, "%s (unparsed bytes: \"%s\")", what, esc);
}

const char *ts_raw_read_reply(struct ts_raw *raw, int timeout_ms, size_t *len)
{
    consume_returned_frame(raw);
    long long deadline = ts_now_ms() + timeout_ms;
    for (;;) {
        long n = ts_resp_frame_len(raw->buf, raw->len);
        if (n < 0) {
            set_status(raw, "malformed reply");
            return NULL;
        }
        if (n > 0) {
            if ((size_t)n + 1 > raw->frame_cap) {
                raw->frame_cap = (size_t)n + 1;
                raw->frame = rk_realloc(raw->frame, raw->frame_cap);
            }
            memcpy(raw->frame, raw->buf, (size_t)n);
            raw->frame[n] = '\0';
            raw->drop = (size_t)n;
            snprintf(raw->status, sizeof raw->status, "ok");
            *len = (size_t)n;
            return raw->frame;
        }
        int r = fill(raw, deadline);
        if (r <= 0) {
            set_status(raw, r == 0 ? "EOF" : "timeout");
            return NULL;
        }
    }
}

bool ts_raw_wait_eof(struct ts_raw *raw, int timeout_ms)
{
    consume_returned_frame(raw);
    long long deadline = ts_now_ms() + timeout_ms;
    while (raw->len == 0) {
        int r = fill(raw, deadline);
        if (r == 0)
            return true;
        if (r < 0) {
            set_status(raw, "connection still open");
            return false;
        }
    }
    set_status(raw, "more data instead of close");
    return false;
}

bool ts_raw_reply_is(struct ts_raw *raw, const char *expected, size_t n, int timeout_ms,
                     char *why, size_t cap)
{
    size_t got_len;
    const char *got = ts_raw_read_reply(raw, timeout_ms, &got_len);
    if (got && got_len == n && memcmp(got, expected, n) == 0)
        return true;
    char want[400], have[400];
    ts_escape(expected, n, want, sizeof want);
    if (got)
        ts_escape(got, got_len, have, sizeof have);
    else
        snprintf(have, sizeof have, "nothing: %s", raw->status);
    snprintf(why, cap, "expected reply \"%s\", got %s%s%s", want, got ? "\"" : "", have,
             got ? "\"" : "");
    return false;
}

/* ---- RESP framing -------------------------------------------------------- */

/* Offset of the CR of the first CRLF, or -1 if none yet. */
static long find_crlf(const char *b, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (b[i] == '\r' && b[i + 1] == '\n')
            return (long)i;
    return -1;
}

static bool parse_header_ll(const char *s, size_t len, long long *out)
{
    char tmp[32];
    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    *out = strtoll(tmp, &end, 10);
    return errno == 0 && *end == '\0';
}

static long frame_len(const char *b, size_t len, int depth);

/* Sum of `count` consecutive frames starting at b + pos. */
static long frames_len(const char *b, size_t len, size_t pos, long long count, int depth)
{
    for (long long i = 0; i < count; i++) {
        long l = frame_len(b + pos, len - pos, depth + 1);
        if (l <= 0)
            return l;
        pos += (size_t)l;
    }
    return (long)pos;
}

static long frame_len(const char *b, size_t len, int depth)
{
    if (len == 0)
        return 0;
    if (depth > RAW_MAX_DEPTH)
        return -1;
    long e = find_crlf(b, len);
    if (e < 0)
        return 0;
    size_t head = (size_t)e + 2;
    long long n = 0;
    switch (b[0]) {
    case '+': case '-': case ':': case '_': case '#': case ',': case '(':
        return (long)head;
    case '$': case '!': case '=':
        if (!parse_header_ll(b + 1, (size_t)e - 1, &n) || n < -1)
            return -1;
        if (n == -1)
            return b[0] == '$' ? (long)head : -1;
        if (len < head + (size_t)n + 2)
            return 0;
        if (b[head + n] != '\r' || b[head + n + 1] != '\n')
            return -1;
        return (long)(head + (size_t)n + 2);
    case '*': case '%': case '~': case '>': case '|':
        if (!parse_header_ll(b + 1, (size_t)e - 1, &n) || n < -1)
            return -1;
        if (n == -1)
            return b[0] == '*' ? (long)head : -1;
        if (b[0] == '%' || b[0] == '|')
            n *= 2;
        long l = frames_len(b, len, head, n, depth);
        if (l <= 0 || b[0] != '|')
            return l;
        return frames_len(b, len, (size_t)l, 1, depth); /* the reply an attribute annotates */
    default:
        return -1;
    }
}

long ts_resp_frame_len(const char *buf, size_t len) { return frame_len(buf, len, 0); }

void ts_raw_send_argv(struct ts_raw *raw, int argc, const char *const *argv)
{
    size_t cap = 32;
    for (int i = 0; i < argc; i++) cap += strlen(argv[i]) + 32;
    char *buf = malloc(cap);
    cr_assert(buf);
    size_t n = (size_t)snprintf(buf, cap, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]);
        n += (size_t)snprintf(buf + n, cap - n, "$%zu\r\n", len);
        memcpy(buf + n, argv[i], len);
        n += len;
        memcpy(buf + n, "\r\n", 2);
        n += 2;
    }
    ts_raw_send(raw, buf, n);
    free(buf);
}

/* "EVAL \"<script>\" ..." for messages. */
static void describe_argv(int argc, const char *const *argv, char *out, size_t cap)
{
    char esc[400];
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < argc && o + 8 < cap; i++) {
        ts_escape(argv[i], strlen(argv[i]), esc, sizeof esc);
        o += (size_t)snprintf(out + o, cap - o, "%s\"%s\"", i ? " " : "", esc);
    }
}

void ts_raw_expect_argv(struct ts_raw *raw, const char *want, size_t n, int argc, const char *const *argv)
{
    ts_raw_send_argv(raw, argc, argv);
    char why[1024];
    if (!ts_raw_reply_is(raw, want, n, 5000, why, sizeof why)) {
        char cmd[600];
        describe_argv(argc, argv, cmd, sizeof cmd);
        cr_assert_fail("%s: %s", cmd, why);
    }
}

unsigned ts_key_quarter(const char *key) { return key_hash_slot(key, strlen(key)) * 4 / RK_SLOTS; }

void ts_assert_spread(const char *const *keys, size_t n, unsigned want)
{
    unsigned seen = 0, count = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned bit = 1u << ts_key_quarter(keys[i]);
        count += !(seen & bit);
        seen |= bit;
    }
    cr_assert_geq(count, want, "the test's keys cover %u of 4 shards, want %u", count, want);
}
