/* test_halfclose.c — a client that half-closes (shutdown(fd, SHUT_WR): a
 * FIN, "no more requests") still gets every reply to what it sent before,
 * in order, and then the server closes the connection (issue 18). Covered:
 * pipelines of every size up to one larger than the receive buffers,
 * commands on other shards and multi-key fan-outs still in flight at the
 * FIN, inline commands, a protocol error (its reply is still sent before
 * the close), a health-checker's connect-PING-FIN a thousand times, and
 * half-closing clients mixed with clients that abandon or reset their
 * pipelines. Each exchange reads the replies while it sends, so neither
 * side blocks on full buffers; every wait is bounded. Expected bytes were
 * checked against redis-server 7.0, which answers all of these. */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

TestSuite(halfclose, .timeout = 120);

/* ---- growing byte buffers: requests and the replies they expect ------- */

struct hbuf {
    char *p;
    size_t len, cap;
};

static void hb_add(struct hbuf *b, const void *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        cr_assert(b->p, "out of memory");
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void hb_str(struct hbuf *b, const char *s) { hb_add(b, s, strlen(s)); }

static void hb_vaddf(struct hbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    char *tmp = malloc((size_t)n + 1);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    hb_add(b, tmp, (size_t)n);
    free(tmp);
}

static void hb_addf(struct hbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hb_addf(struct hbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hb_vaddf(b, fmt, ap);
    va_end(ap);
}

static void hb_free(struct hbuf *b)
{
    free(b->p);
    *b = (struct hbuf){0};
}

/* Appends a multibulk request made of the space-separated words of `line`. */
static void req_words(struct hbuf *req, const char *line)
{
    int argc = 0;
    for (const char *p = line; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        argc++;
        while (*p && *p != ' ')
            p++;
    }
    hb_addf(req, "*%d\r\n", argc);
    for (const char *p = line; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        hb_addf(req, "$%zu\r\n", (size_t)(p - w));
        hb_add(req, w, (size_t)(p - w));
        hb_str(req, "\r\n");
    }
}

static void req_f(struct hbuf *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void req_f(struct hbuf *req, const char *fmt, ...)
{
    struct hbuf line = {0};
    va_list ap;
    va_start(ap, fmt);
    hb_vaddf(&line, fmt, ap);
    va_end(ap);
    req_words(req, line.p);
    hb_free(&line);
}

static void want_ok(struct hbuf *w) { hb_str(w, "+OK\r\n"); }
static void want_int(struct hbuf *w, long long v) { hb_addf(w, ":%lld\r\n", v); }
static void want_array(struct hbuf *w, int n) { hb_addf(w, "*%d\r\n", n); }
/* A bulk string, or a nil for NULL. */
static void want_bulk(struct hbuf *w, const char *s)
{
    if (s)
        hb_addf(w, "$%zu\r\n%s\r\n", strlen(s), s);
    else
        hb_str(w, "$-1\r\n");
}

/* ---- connections driven together -------------------------------------- */

enum xmode {
    HALF_CLOSE, /* send everything, SHUT_WR, read every reply until EOF */
    ABANDON,    /* send everything, close without reading */
    RESET,      /* send everything, close with a reset (SO_LINGER {1, 0}) */
};

struct xfer {
    enum xmode mode;
    int fd;
    const char *req;
    size_t req_len, sent;
    int send_errno; /* why sending stopped early (the server closed first) */
    bool shut;      /* SHUT_WR done */
    bool done;
    const char *end; /* how it ended: "EOF", "a reset", "a timeout ...", ... */
    struct hbuf got; /* everything received */
};

/* `corked`: TCP_CORK, so that the end of the request and the FIN leave in
 * one segment and the server reads the last commands and the EOF at once
 * (otherwise the FIN usually follows in a segment of its own). */
static void xfer_open(struct xfer *x, enum xmode mode, const struct hbuf *req, bool corked)
{
    *x = (struct xfer){.mode = mode, .req = req->p, .req_len = req->len};
    x->fd = ts_tcp_connect(ts_port(g_server));
    cr_assert(x->fd >= 0, "connect: %s", strerror(errno));
    int one = 1;
    if (corked)
        cr_assert(setsockopt(x->fd, IPPROTO_TCP, TCP_CORK, &one, sizeof one) == 0, "TCP_CORK: %s", strerror(errno));
}

static void reset_close(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static void xfer_finish(struct xfer *x, const char *end)
{
    x->done = true;
    x->end = end;
}

/* Reads what is there without blocking. */
static void xfer_read(struct xfer *x)
{
    char buf[65536];
    for (;;) {
        ssize_t n = recv(x->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            hb_add(&x->got, buf, (size_t)n);
            continue;
        }
        if (n == 0)
            xfer_finish(x, "EOF");
        else if (errno == ECONNRESET)
            xfer_finish(x, "a reset");
        else if (errno != EAGAIN && errno != EINTR)
            xfer_finish(x, "a receive error");
        return;
    }
}

/* Sends as much as the socket takes; once everything is sent, half-closes
 * (HALF_CLOSE) or closes (ABANDON, RESET). */
static void xfer_write(struct xfer *x)
{
    while (x->sent < x->req_len && !x->send_errno) {
        ssize_t w = send(x->fd, x->req + x->sent, x->req_len - x->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0)
            x->sent += (size_t)w;
        else if (w < 0 && errno == EINTR)
            continue;
        else if (w < 0 && errno == EAGAIN)
            return;
        else
            x->send_errno = w < 0 ? errno : EIO; /* keep reading what came */
    }
    if (x->mode == HALF_CLOSE) {
        if (!x->shut && !x->send_errno) {
            shutdown(x->fd, SHUT_WR);
            x->shut = true;
        }
        return;
    }
    if (x->mode == RESET)
        reset_close(x->fd);
    else
        close(x->fd);
    x->fd = -1;
    xfer_finish(x, "closed by the test");
}

/* Drives all n connections at once for up to ms milliseconds: sending,
 * half-closing or closing, and reading (half-closers) until each is done.
 * A half-closer still open at the deadline ends as a "timeout". */
static void xfer_run(struct xfer *x, int n, int ms)
{
    struct pollfd *pf = calloc((size_t)n, sizeof *pf);
    long long deadline = ts_now_ms() + ms;
    for (;;) {
        int live = 0;
        for (int i = 0; i < n; i++) {
            bool sending = x[i].sent < x[i].req_len && !x[i].send_errno;
            pf[i].fd = x[i].done ? -1 : x[i].fd;
            pf[i].events = (short)((sending ? POLLOUT : 0) | (x[i].mode == HALF_CLOSE ? POLLIN : 0));
            pf[i].revents = 0;
            live += !x[i].done;
        }
        if (live == 0)
            break;
        long long left = deadline - ts_now_ms();
        if (left <= 0)
            break;
        if (poll(pf, (nfds_t)n, left < 50 ? (int)left : 50) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (x[i].done || !pf[i].revents)
                continue;
            if (x[i].mode == HALF_CLOSE && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                xfer_read(&x[i]);
            if (!x[i].done && (pf[i].revents & (POLLOUT | POLLHUP | POLLERR)))
                xfer_write(&x[i]);
        }
    }
    for (int i = 0; i < n; i++)
        if (!x[i].done)
            xfer_finish(&x[i], "a timeout (the connection stayed open)");
    free(pf);
}

static void xfer_close(struct xfer *x)
{
    if (x->fd >= 0)
        close(x->fd);
    x->fd = -1;
    hb_free(&x->got);
}

static size_t count_frames(const struct hbuf *b)
{
    size_t n = 0;
    for (size_t off = 0; off < b->len; n++) {
        long l = ts_resp_frame_len(b->p + off, b->len - off);
        cr_assert(l > 0, "the test's own expected replies are malformed at byte %zu", off);
        off += (size_t)l;
    }
    return n;
}

/* Whether the half-closer x received exactly the replies in `want` and
 * then EOF (or, with reset_ok, a reset); if not, says what went wrong in
 * why. */
static bool xfer_got_end(const struct xfer *x, const struct hbuf *want, bool reset_ok, char *why, size_t cap)
{
    size_t total = count_frames(want), idx = 0, ow = 0, og = 0;
    char sent[160] = "";
    if (x->sent < x->req_len)
        snprintf(sent, sizeof sent, " [only %zu of %zu request bytes were sent%s%s]", x->sent, x->req_len,
                 x->send_errno ? ": " : "", x->send_errno ? strerror(x->send_errno) : "");
    const char *got = x->got.p ? x->got.p : "";
    while (ow < want->len) {
        long lw = ts_resp_frame_len(want->p + ow, want->len - ow);
        long lg = ts_resp_frame_len(got + og, x->got.len - og);
        char e1[300], e2[300];
        if (lg <= 0) {
            ts_escape(got + og, x->got.len - og, e2, sizeof e2);
            snprintf(why, cap, "got %zu of %zu replies, then %s%s%s%s%s", idx, total, x->end,
                     x->got.len > og ? (lg < 0 ? "; malformed bytes: \"" : "; partial reply: \"") : "",
                     x->got.len > og ? e2 : "", x->got.len > og ? "\"" : "", sent);
            return false;
        }
        if (lw != lg || memcmp(want->p + ow, got + og, (size_t)lw) != 0) {
            ts_escape(want->p + ow, (size_t)lw, e1, sizeof e1);
            ts_escape(got + og, (size_t)lg, e2, sizeof e2);
            snprintf(why, cap, "reply %zu of %zu: expected \"%s\", got \"%s\"%s", idx + 1, total, e1, e2, sent);
            return false;
        }
        ow += (size_t)lw;
        og += (size_t)lg;
        idx++;
    }
    if (og < x->got.len) {
        char e[300];
        ts_escape(got + og, x->got.len - og, e, sizeof e);
        snprintf(why, cap, "got all %zu replies, then unexpected bytes \"%s\"", total, e);
        return false;
    }
    if (strcmp(x->end, "EOF") != 0 && !(reset_ok && strcmp(x->end, "a reset") == 0)) {
        snprintf(why, cap, "got all %zu replies, then %s instead of EOF%s", total, x->end, sent);
        return false;
    }
    return true;
}

static bool xfer_got(const struct xfer *x, const struct hbuf *want, char *why, size_t cap)
{
    return xfer_got_end(x, want, false, why, cap);
}

enum {
    CORKED = 1,   /* see xfer_open */
    RESET_OK = 2, /* the close may be a reset (the server left bytes unread) */
};

/* One connection: sends req, half-closes, and asserts that exactly `want`
 * comes back, then EOF, within ms milliseconds. `what` names it in
 * messages. */
static void exchange(const char *what, const struct hbuf *req, const struct hbuf *want, int flags, int ms)
{
    bool corked = flags & CORKED;
    struct xfer x;
    xfer_open(&x, HALF_CLOSE, req, corked);
    xfer_run(&x, 1, ms);
    char why[1024];
    bool ok = xfer_got_end(&x, want, flags & RESET_OK, why, sizeof why);
    xfer_close(&x);
    cr_assert(ok, "%s%s: %s", what, corked ? " (corked: data and FIN in one segment)" : "", why);
}

/* ---- checking the keyspace afterwards --------------------------------- */

struct kvs {
    size_t n, cap;
    char **k, **v; /* v[i] NULL: the key must not exist */
};

static void kvs_put(struct kvs *s, const char *k, const char *v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->k = realloc(s->k, s->cap * sizeof *s->k);
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    s->k[s->n] = strdup(k);
    s->v[s->n] = v ? strdup(v) : NULL;
    s->n++;
}

static void kvs_free(struct kvs *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->k[i]);
        free(s->v[i]);
    }
    free(s->k);
    free(s->v);
    *s = (struct kvs){0};
}

/* Asserts, over a fresh hiredis connection, that every key holds its value
 * (or is absent). GETs are pipelined a thousand at a time. */
static void expect_keys(const struct kvs *s, const char *what)
{
    redisContext *c = ts_connect(g_server);
    for (size_t base = 0; base < s->n; base += 1000) {
        size_t end = base + 1000 < s->n ? base + 1000 : s->n;
        for (size_t i = base; i < end; i++)
            ts_append(c, "GET %s", s->k[i]);
        for (size_t i = base; i < end; i++) {
            redisReply *r = ts_reply(c);
            char w[1024];
            bool ok = s->v[i] ? ts_reply_is(r, REDIS_REPLY_STRING, s->v[i], 0, w, sizeof w)
                              : ts_reply_is(r, REDIS_REPLY_NIL, NULL, 0, w, sizeof w);
            freeReplyObject(r);
            cr_assert(ok, "%s: afterwards, GET %s: %s", what, s->k[i], w);
        }
    }
    redisFree(c);
}

/* ---- 1. pipelined SETs, then a FIN ------------------------------------- */

/* n SETs of `prefix`R:N (untagged: spread over every shard), values of
 * vlen bytes (or short ones for vlen 0), sent in one pipeline and
 * half-closed; `repeat` times on fresh connections, corked every other
 * time, each repetition writing its own keys. */
static void sets_then_half_close_once(const char *prefix, int rep, int n, int vlen)
{
    struct hbuf req = {0}, want = {0};
    struct kvs kv = {0};
    char key[64], head[32], *val = malloc((size_t)vlen + sizeof head);
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "%s%d:%d", prefix, rep, i);
        snprintf(head, sizeof head, "v%d-", i);
        size_t l = strlen(head), total = (size_t)vlen > l ? (size_t)vlen : l;
        memcpy(val, head, l);
        for (size_t j = l; j < total; j++)
            val[j] = (char)('a' + (i + j) % 26);
        val[total] = '\0';
        req_f(&req, "SET %s %s", key, val);
        want_ok(&want);
        kvs_put(&kv, key, val);
    }
    free(val);
    char what[128];
    snprintf(what, sizeof what, "%d pipelined SETs (%zu bytes) then SHUT_WR, repetition %d", n, req.len, rep);
    exchange(what, &req, &want, rep % 2 == 1 ? CORKED : 0, 30000);
    expect_keys(&kv, what);
    kvs_free(&kv);
    hb_free(&req);
    hb_free(&want);
}

static void sets_then_half_close(const char *prefix, int repeat, int n, int vlen)
{
    for (int rep = 0; rep < repeat; rep++)
        sets_then_half_close_once(prefix, rep, n, vlen);
}

TS_TEST(halfclose, one_set)
{
    sets_then_half_close("one:", 20, 1, 0);
}

TS_TEST(halfclose, fifty_pipelined_sets)
{
    sets_then_half_close("fifty:", 20, 50, 0);
}

TS_TEST(halfclose, five_thousand_pipelined_sets)
{
    sets_then_half_close("k", 4, 5000, 0);
}

/* About 8.5 MB of requests: more than the server's receive buffers (256 x
 * 16 KB per shard by default), so the FIN arrives long after the first
 * commands, while many are still to be read. */
TS_TEST(halfclose, pipeline_larger_than_receive_buffers)
{
    sets_then_half_close("big:", 2, 36000, 200);
}

/* ---- 2. commands on other shards --------------------------------------- */

/* Hash tags {a}, {b}, {c}, {d} are on four different shards at --shards 4
 * (slots 15495, 3300, 7365, 11298), and untagged keys are everywhere: most
 * commands of the pipeline travel to another shard and back. Eight clients
 * at once, each on whichever shard accepted it. */
TS_TEST(halfclose, commands_on_other_shards)
{
    enum { CLIENTS = 8, ROUNDS = 1000 };
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET {b}y B"));
    redisFree(c);
    struct hbuf req[CLIENTS] = {{0}}, want[CLIENTS] = {{0}};
    struct xfer x[CLIENTS];
    struct kvs kv = {0};
    char k[64], v[64];
    for (int cl = 0; cl < CLIENTS; cl++) {
        for (int i = 0; i < ROUNDS; i++) {
            req_f(&req[cl], "SET {a}x:%d:%d v%d", cl, i, i);
            want_ok(&want[cl]);
            req_f(&req[cl], "GET {b}y");
            want_bulk(&want[cl], "B");
            req_f(&req[cl], "INCR {c}z:%d", cl);
            want_int(&want[cl], i + 1);
            req_f(&req[cl], "GET {a}x:%d:%d", cl, i);
            snprintf(v, sizeof v, "v%d", i);
            want_bulk(&want[cl], v);
            req_f(&req[cl], "APPEND {d}log:%d %d", cl, i % 10);
            want_int(&want[cl], i + 1);
            req_f(&req[cl], "SET u:%d:%d %d", cl, i, i);
            want_ok(&want[cl]);
            req_f(&req[cl], "GET u:%d:%d", cl, i / 2);
            snprintf(v, sizeof v, "%d", i / 2);
            want_bulk(&want[cl], v);
            snprintf(k, sizeof k, "{a}x:%d:%d", cl, i);
            snprintf(v, sizeof v, "v%d", i);
            kvs_put(&kv, k, v);
            snprintf(k, sizeof k, "u:%d:%d", cl, i);
            snprintf(v, sizeof v, "%d", i);
            kvs_put(&kv, k, v);
        }
        snprintf(k, sizeof k, "{c}z:%d", cl);
        snprintf(v, sizeof v, "%d", ROUNDS);
        kvs_put(&kv, k, v);
        xfer_open(&x[cl], HALF_CLOSE, &req[cl], cl % 2 == 1);
    }
    xfer_run(x, CLIENTS, 30000);
    for (int cl = 0; cl < CLIENTS; cl++) {
        char why[1024];
        bool ok = xfer_got(&x[cl], &want[cl], why, sizeof why);
        cr_assert(ok, "client %d (%d cross-shard commands then SHUT_WR): %s", cl, ROUNDS * 7, why);
    }
    expect_keys(&kv, "cross-shard pipelines");
    c = ts_connect(g_server);
    for (int cl = 0; cl < CLIENTS; cl++)
        ts_assert_int(ts_cmd(c, "STRLEN {d}log:%d", cl), ROUNDS);
    redisFree(c);
    for (int cl = 0; cl < CLIENTS; cl++) {
        xfer_close(&x[cl]);
        hb_free(&req[cl]);
        hb_free(&want[cl]);
    }
    kvs_free(&kv);
}

/* ---- 3. multi-key fan-outs --------------------------------------------- */

/* Every round: MSET 64 untagged keys (all shards), MGET them and a missing
 * one, DEL a third of them, EXISTS (with a duplicate), TOUCH, MGET again,
 * UNLINK, DBSIZE: each a fan-out whose parts are in flight on other shards
 * when the FIN arrives. */
TS_TEST(halfclose, multi_key_fan_outs)
{
    enum { ROUNDS = 40, KEYS = 64 };
    struct hbuf req = {0}, want = {0}, line = {0};
    static bool present[ROUNDS][KEYS];
    char val[64];
    long long dbsize = 0;
    for (int r = 0; r < ROUNDS; r++) {
        hb_free(&line);
        hb_str(&line, "MSET");
        for (int j = 0; j < KEYS; j++) {
            hb_addf(&line, " f:%d:%d r%d-%d", r, j, r, j);
            present[r][j] = true;
        }
        req_words(&req, line.p);
        want_ok(&want);
        dbsize += KEYS;

        hb_free(&line);
        hb_str(&line, "MGET");
        for (int j = 0; j < KEYS; j++)
            hb_addf(&line, " f:%d:%d", r, j);
        hb_addf(&line, " missing:%d", r);
        req_words(&req, line.p);
        want_array(&want, KEYS + 1);
        for (int j = 0; j < KEYS; j++) {
            snprintf(val, sizeof val, "r%d-%d", r, j);
            want_bulk(&want, val);
        }
        want_bulk(&want, NULL);

        hb_free(&line);
        hb_str(&line, "DEL");
        int deleted = 0;
        for (int j = 0; j < KEYS; j += 3) {
            hb_addf(&line, " f:%d:%d", r, j);
            present[r][j] = false;
            deleted++;
        }
        hb_addf(&line, " missing:%d", r);
        req_words(&req, line.p);
        want_int(&want, deleted);
        dbsize -= deleted;

        hb_free(&line);
        hb_str(&line, "EXISTS");
        int exists = 0;
        for (int j = 0; j < KEYS; j++) {
            hb_addf(&line, " f:%d:%d", r, j);
            exists += present[r][j];
        }
        hb_addf(&line, " f:%d:1 missing:%d", r, r); /* a duplicate counts twice */
        req_words(&req, line.p);
        want_int(&want, exists + 1);

        hb_free(&line);
        hb_str(&line, "TOUCH");
        int touched = 0;
        for (int j = 0; j < 8; j++) {
            hb_addf(&line, " f:%d:%d", r, j);
            touched += present[r][j];
        }
        req_words(&req, line.p);
        want_int(&want, touched);

        hb_free(&line);
        hb_str(&line, "MGET");
        for (int j = 0; j < KEYS; j++)
            hb_addf(&line, " f:%d:%d", r, j);
        req_words(&req, line.p);
        want_array(&want, KEYS);
        for (int j = 0; j < KEYS; j++) {
            snprintf(val, sizeof val, "r%d-%d", r, j);
            want_bulk(&want, present[r][j] ? val : NULL);
        }

        req_f(&req, "UNLINK f:%d:1 f:%d:2 f:%d:3", r, r, r); /* f:r:3 is gone */
        present[r][1] = present[r][2] = false;
        want_int(&want, 2);
        dbsize -= 2;

        req_f(&req, "DBSIZE");
        want_int(&want, dbsize);
    }
    hb_free(&line);
    struct kvs kv = {0};
    char key[64];
    for (int r = 0; r < ROUNDS; r++)
        for (int j = 0; j < KEYS; j++) {
            snprintf(key, sizeof key, "f:%d:%d", r, j);
            snprintf(val, sizeof val, "r%d-%d", r, j);
            kvs_put(&kv, key, present[r][j] ? val : NULL);
        }
    /* Four times over an empty keyspace, corked every other time. */
    for (int rep = 0; rep < 4; rep++) {
        redisContext *c = ts_connect(g_server);
        ts_assert_ok(ts_cmd(c, "FLUSHALL"));
        redisFree(c);
        char what[128];
        snprintf(what, sizeof what, "MSET/MGET/DEL/EXISTS/TOUCH/UNLINK/DBSIZE fan-outs then SHUT_WR, repetition %d", rep);
        exchange(what, &req, &want, rep % 2 == 1 ? CORKED : 0, 30000);
        expect_keys(&kv, what);
        c = ts_connect(g_server);
        ts_assert_int(ts_cmd(c, "DBSIZE"), dbsize);
        redisFree(c);
    }
    kvs_free(&kv);
    hb_free(&req);
    hb_free(&want);
}

/* ---- 4. inline commands ------------------------------------------------ */

TS_TEST(halfclose, inline_commands)
{
    for (int i = 0; i < 40; i++) {
        struct hbuf req = {0}, want = {0};
        char val[16], what[64];
        snprintf(val, sizeof val, "%d", i);
        hb_addf(&req, "SET a %d\r\nGET a\r\n", i);
        want_ok(&want);
        want_bulk(&want, val);
        snprintf(what, sizeof what, "inline SET+GET then SHUT_WR, iteration %d", i);
        exchange(what, &req, &want, i % 2 == 1 ? CORKED : 0, 10000);
        hb_free(&req);
        hb_free(&want);
    }
}

/* ---- 5. a protocol error, then the FIN --------------------------------- */

#define PROTO_ERR(text) "-ERR Protocol error: " text "\r\n"

/* `flags`: RESET_OK when bytes follow the bad ones (a server that stops
 * reading at the error may leave them unread, and closing then sends a
 * reset; the error reply must still arrive first). */
static void error_then_half_close(const char *request, const char *const *replies, int iterations, int flags)
{
    struct hbuf req = {0}, want = {0};
    hb_str(&req, request);
    for (const char *const *r = replies; *r; r++)
        hb_str(&want, *r);
    char esc[200], what[300];
    ts_escape(request, strlen(request), esc, sizeof esc);
    for (int i = 0; i < iterations; i++) {
        snprintf(what, sizeof what, "\"%s\" then SHUT_WR, iteration %d", esc, i);
        exchange(what, &req, &want, (i % 2 == 1 ? CORKED : 0) | flags, 10000);
    }
    hb_free(&req);
    hb_free(&want);
}

TS_TEST(halfclose, protocol_error_reply_is_sent_before_the_close)
{
    static const char *const bad_bulk[] = {PROTO_ERR("invalid bulk length"), NULL};
    error_then_half_close("*1\r\n$abc\r\n", bad_bulk, 40, 0);
    static const char *const bad_count[] = {PROTO_ERR("invalid multibulk length"), NULL};
    error_then_half_close("*abc\r\n", bad_count, 10, 0);
    static const char *const bad_quotes[] = {PROTO_ERR("unbalanced quotes in request"), NULL};
    error_then_half_close("SET k \"a b\r\n", bad_quotes, 10, 0);
}

TS_TEST(halfclose, valid_commands_then_protocol_error)
{
    static const char *const ping[] = {"+PONG\r\n", PROTO_ERR("invalid bulk length"), NULL};
    error_then_half_close("*1\r\n$4\r\nPING\r\n*1\r\n$abc\r\n", ping, 20, 0);
    /* Commands on other shards before the bad bytes are answered too; the
     * ones after them never run. */
    static const char *const xshard[] = {"+OK\r\n", "$1\r\nv\r\n", "$-1\r\n", "+OK\r\n",
                                         "$1\r\nv\r\n", PROTO_ERR("invalid bulk length"), NULL};
    error_then_half_close("*3\r\n$3\r\nSET\r\n$4\r\n{a}k\r\n$1\r\nv\r\n"
                          "*2\r\n$3\r\nGET\r\n$4\r\n{a}k\r\n"
                          "GET {b}none\r\n"
                          "SET {d}k w\r\n"
                          "*2\r\n$3\r\nGET\r\n$4\r\n{a}k\r\n"
                          "*1\r\n$abc\r\n"
                          "SET {c}after 1\r\n",
                          xshard, 20, RESET_OK);
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "EXISTS {c}after"), 0);
    ts_assert_bulk(ts_cmd(c, "GET {d}k"), "w");
    redisFree(c);
}

/* ---- 6. a health checker ------------------------------------------------ */

/* connect, PING, FIN, expect +PONG and the close: a thousand times, inline
 * and multibulk, corked and not, in turn. */
TS_TEST(halfclose, health_check_loop)
{
    enum { CHECKS = 1000 };
    struct hbuf want = {0}, inl = {0}, mb = {0};
    hb_str(&want, "+PONG\r\n");
    hb_str(&inl, "PING\r\n");
    hb_str(&mb, "*1\r\n$4\r\nPING\r\n");
    long long start = ts_now_ms(), deadline = start + 60000;
    for (int i = 0; i < CHECKS; i++) {
        struct xfer x;
        xfer_open(&x, HALF_CLOSE, i % 2 ? &mb : &inl, i % 4 >= 2);
        xfer_run(&x, 1, 5000);
        char why[1024];
        bool ok = xfer_got(&x, &want, why, sizeof why);
        xfer_close(&x);
        cr_assert(ok, "health check %d of %d (%s PING then SHUT_WR%s): %s", i + 1, CHECKS,
                  i % 2 ? "multibulk" : "inline", i % 4 >= 2 ? ", corked" : "", why);
        cr_assert(ts_now_ms() < deadline, "only %d of %d health checks done in 60 s", i + 1, CHECKS);
    }
    cr_log_info("%d health checks in %lld ms", CHECKS, ts_now_ms() - start);
    hb_free(&want);
    hb_free(&inl);
    hb_free(&mb);
}

/* ---- 7. half-closers among misbehaving clients ------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Rounds of: 12 clients each write their own keys (SET, MSET fan-outs, GET
 * back) in a pipeline and half-close, reading every reply; at the same
 * time 12 clients send pipelines of cross-shard writes and close without
 * reading, and 12 more do the same and reset. Every half-closer gets all
 * its replies and its keys, and nothing is left behind. */
TS_TEST(halfclose, half_closers_among_abandoned_and_reset_pipelines)
{
    enum { ROUNDS = 3, HALF = 12, BAD = 12, HC_CMDS = 600, BAD_CMDS = 1500, SHARED = 300 };
    enum { N = HALF + 2 * BAD };
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET canary alive"));
    struct kvs kv = {0};
    uint64_t seed = 0x2545f4914f6cdd1dULL;
    int incomplete = 0;
    char first_failure[1200] = "";
    for (int round = 0; round < ROUNDS; round++) {
        struct xfer x[N];
        struct hbuf req[N], want[N];
        memset(req, 0, sizeof req);
        memset(want, 0, sizeof want);
        for (int i = 0; i < N; i++) {
            int id = round * HALF + i;
            char k[64], v[64];
            if (i < HALF) {
                for (int w = 0; w < HC_CMDS; w++) {
                    snprintf(k, sizeof k, "hc:%d:%d", id, w);
                    snprintf(v, sizeof v, "c%d-w%d", id, w);
                    switch (w % 6) {
                    case 0:
                        req_f(&req[i], "MSET %s %s hc:%d:m%d m%d", k, v, id, w, w);
                        want_ok(&want[i]);
                        snprintf(k, sizeof k, "hc:%d:m%d", id, w);
                        snprintf(v, sizeof v, "m%d", w);
                        kvs_put(&kv, k, v);
                        snprintf(k, sizeof k, "hc:%d:%d", id, w);
                        snprintf(v, sizeof v, "c%d-w%d", id, w);
                        break;
                    case 3:
                        req_f(&req[i], "SET %s %s", k, v);
                        want_ok(&want[i]);
                        req_f(&req[i], "MGET %s hc:%d:%d", k, id, w - 3);
                        want_array(&want[i], 2);
                        want_bulk(&want[i], v);
                        {
                            char v3[64];
                            snprintf(v3, sizeof v3, "c%d-w%d", id, w - 3);
                            want_bulk(&want[i], v3);
                        }
                        break;
                    default:
                        req_f(&req[i], "SET %s %s", k, v);
                        want_ok(&want[i]);
                        req_f(&req[i], "GET %s", k);
                        want_bulk(&want[i], v);
                        break;
                    }
                    kvs_put(&kv, k, v);
                }
            } else {
                for (int w = 0; w < BAD_CMDS; w++) {
                    unsigned a = (unsigned)(rng_next(&seed) % SHARED), b = (unsigned)(rng_next(&seed) % SHARED);
                    switch (w % 6) {
                    case 0: req_f(&req[i], "MSET ab:%u x%d ab:%u y%d", a, w, b, i); break;
                    case 1: req_f(&req[i], "DEL ab:%u ab:%u", a, b); break;
                    case 2: req_f(&req[i], "INCR ab:ctr:%u", a); break;
                    case 3: req_f(&req[i], "MGET ab:%u ab:%u ab:ctr:%u", a, b, a); break;
                    case 4: req_f(&req[i], "SADD ab:set:%u m%u", a % 20, b); break;
                    default: req_f(&req[i], "SET ab:%u value-%d-%d", a, i, w); break;
                    }
                }
            }
            xfer_open(&x[i], i < HALF ? HALF_CLOSE : i < HALF + BAD ? ABANDON : RESET, &req[i], i % 2 == 1);
        }
        xfer_run(x, N, 30000);
        for (int i = 0; i < HALF; i++) {
            char why[1024];
            if (!xfer_got(&x[i], &want[i], why, sizeof why)) {
                if (incomplete++ == 0)
                    snprintf(first_failure, sizeof first_failure, "round %d, client %d: %s", round, i, why);
            }
        }
        for (int i = 0; i < N; i++) {
            xfer_close(&x[i]);
            hb_free(&req[i]);
            hb_free(&want[i]);
        }
    }
    cr_assert(incomplete == 0, "%d of %d half-closing clients did not get all their replies; first: %s",
              incomplete, ROUNDS * HALF, first_failure);
    expect_keys(&kv, "half-closing clients");
    kvs_free(&kv);
    /* The server is alive and every other connection is gone. */
    redisFree(c);
    c = ts_connect(g_server);
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    ts_assert_bulk(ts_cmd(c, "GET canary"), "alive");
    WAIT_FOR(ts_info_ll(c, "connected_clients") == 1, 30000);
    long long left = ts_info_ll(c, "connected_clients");
    if (left != 1) {
        redisReply *list = ts_cmd(c, "CLIENT LIST");
        cr_assert_fail("%lld connections left behind:\n%.4000s", left,
                       list->type == REDIS_REPLY_STRING ? list->str : "?");
    }
    redisFree(c);
}
