/* test_limits.c — per-client limits: idle timeout, client-output-buffer-limit
 * (hard and soft), client-query-buffer-limit, proto-max-bulk-len set at
 * runtime, and the buffer sizes CLIENT LIST/INFO report. Each is set the
 * ways Redis allows (config file, command line, CONFIG SET) and checked
 * against redis-server 7.0 too (suite `redis`). */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

TestSuite(limits, .timeout = 120);

static void expect_config(redisContext *c, const char *name, const char *value)
{
    redisReply *r = ts_cmd(c, "CONFIG GET %s", name);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "CONFIG GET %s: not a pair", name);
    cr_assert(strcmp(r->element[1]->str, value) == 0, "CONFIG GET %s: '%s', want '%s'", name, r->element[1]->str,
              value);
    freeReplyObject(r);
}

#define OBUF_ERR "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - "

TS_TEST(limits, client_output_buffer_limit_config_syntax)
{
    redisContext *c = ts_connect(g_server);
    expect_config(c, "client-output-buffer-limit",
                  "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
    ts_assert_ok(ts_cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 1mb 512kb 10"));
    expect_config(c, "client-output-buffer-limit",
                  "normal 1048576 524288 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
    ts_assert_ok(ts_cmd(c, "CONFIG SET client-output-buffer-limit %s", "pubsub 4kb 5 6 replica 7 8 9"));
    expect_config(c, "client-output-buffer-limit", "normal 1048576 524288 10 slave 7 8 9 pubsub 4096 5 6");
    ts_assert_error(ts_cmd(c, "CONFIG SET client-output-buffer-limit %s", "pubsub 1 2"),
                    OBUF_ERR "Wrong number of arguments in buffer limit configuration.");
    ts_assert_error(ts_cmd(c, "CONFIG SET client-output-buffer-limit %s", "foo 1 2 3"),
                    OBUF_ERR "Invalid client class specified in buffer limit configuration.");
    ts_assert_error(ts_cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 1 2 x"),
                    OBUF_ERR "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    ts_assert_error(ts_cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 1 2 3 pubsub -1 2 3"),
                    OBUF_ERR "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    /* A refused value changes nothing, not even its valid groups. */
    expect_config(c, "client-output-buffer-limit", "normal 1048576 524288 10 slave 7 8 9 pubsub 4096 5 6");
    redisFree(c);
}

Test(limits, client_output_buffer_limit_from_file_and_command_line, .fini = ts_fixture_fini)
{
    g_server = ts_start_with_config("client-output-buffer-limit normal 1mb 2mb 3\n"
                                    "client-output-buffer-limit pubsub 4mb 5mb 6\n",
                                    "--client-output-buffer-limit", "replica 7 8 9", NULL);
    redisContext *c = ts_connect(g_server);
    expect_config(c, "client-output-buffer-limit", "normal 1048576 2097152 3 slave 7 8 9 pubsub 4194304 5242880 6");
    redisFree(c);
    ts_fixture_stop();
}

/* A client that pipelines GETs of a big value and reads nothing: its
 * socket has a small receive buffer, so replies pile up in the server. */
struct slow_reader {
    int fd;
    size_t sent;
    bool closed;
};

static void slow_reader_open(struct slow_reader *sr, int port)
{
    sr->fd = ts_tcp_connect(port);
    cr_assert(sr->fd >= 0, "connect: %s", strerror(errno));
    int small = 4096;
    setsockopt(sr->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sr->sent = 0;
    sr->closed = false;
}

/* Sends up to `max` GET requests for `key`, one per `gap_ms` (0: as fast as
 * possible), for up to ms milliseconds; stops early when the server closes
 * the connection. */
static void slow_reader_push(struct slow_reader *sr, const char *key, size_t max, int ms, int gap_ms)
{
    char req[64];
    int n = snprintf(req, sizeof req, "*2\r\n$3\r\nGET\r\n$%zu\r\n%s\r\n", strlen(key), key);
    long long deadline = ts_now_ms() + ms;
    while (!sr->closed && sr->sent < max && ts_now_ms() < deadline) {
        struct pollfd p = {.fd = sr->fd, .events = POLLOUT};
        if (poll(&p, 1, 20) <= 0)
            continue;
        ssize_t w = send(sr->fd, req, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            sr->closed = true;
        else if (w > 0)
            sr->sent++;
        if (w > 0 && w < n) { /* finish a partial request */
            sr->closed = send(sr->fd, req + w, (size_t)(n - w), MSG_NOSIGNAL) < 0;
        }
        if (gap_ms)
            ts_sleep_ms(gap_ms);
        if (!sr->closed && (gap_ms || sr->sent % 64 == 0)) {
            /* Has the server hung up? (a reset shows as an error) */
            char b;
            ssize_t r = recv(sr->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
                sr->closed = true;
        }
    }
}

/* After the requests: did the server hang up (within timeout_ms)? A slow
 * server may still be working through what was sent. */
static bool slow_reader_closed(struct slow_reader *sr, int timeout_ms)
{
    if (!sr->closed)
        sr->closed = ts_fd_wait_closed(sr->fd, timeout_ms);
    return sr->closed;
}

static char *make_value(size_t n)
{
    char *v = malloc(n);
    for (size_t i = 0; i < n; i++)
        v[i] = (char)('a' + i % 23);
    return v;
}

/* Over the hard limit the client is closed at once, and the server's
 * memory stays bounded; other clients see nothing of it. */
TS_TEST(limits, output_hard_limit_closes_a_slow_reader)
{
    redisContext *c = ts_connect(g_server);
    enum { VALUE = 64 * 1024 };
    char *v = make_value(VALUE);
    ts_assert_ok(ts_cmd(c, "SET big %b", v, (size_t)VALUE));
    ts_assert_ok(ts_cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 4mb 0 0"));
    long rss0 = ts_server_rss_kb(g_server);
    struct slow_reader sr;
    slow_reader_open(&sr, ts_port(g_server));
    /* Without a limit, this would pile up 4 GB. */
    slow_reader_push(&sr, "big", 65536, 15000, 0);
    cr_assert(slow_reader_closed(&sr, 10000), "a slow reader over the hard limit was not disconnected (%zu GETs sent)",
              sr.sent);
    long rss1 = ts_server_rss_kb(g_server);
    cr_assert_lt(rss1 - rss0, 64 * 1024 + ts_rss_slack_kb(), "server RSS grew by %ld KB", rss1 - rss0);
    close(sr.fd);
    ts_assert_int(ts_cmd(c, "STRLEN big"), VALUE);
    ts_assert_ok(ts_cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 0 0 0"));
    free(v);
    redisFree(c);
}

/* Over the soft limit for longer than its seconds: closed. Over it for a
 * moment and then drained: kept. */
TS_TEST(limits, output_soft_limit_needs_time_over_it)
{
    redisContext *c = ts_connect(g_server);
    enum { VALUE = 64 * 1024 };
    char *v = make_value(VALUE);
    ts_assert_ok(ts_cmd(c, "SET big %b", v, (size_t)VALUE));
    /* A burst of 8 MB of replies, then reading them all: not closed. The
     * soft limit allows 10 s over it here: a loaded machine may take over
     * a second to produce and read 8 MB (under a sanitizer), and that
     * would rightly count as staying over a 1 s limit. */
    ts_assert_ok(ts_cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 0 1mb 10"));
    redisContext *bursty = ts_connect(g_server);
    for (int i = 0; i < 128; i++)
        ts_append(bursty, "GET big");
    for (int i = 0; i < 128; i++) {
        redisReply *r = ts_reply(bursty);
        cr_assert(r->type == REDIS_REPLY_STRING && r->len == VALUE, "reply %d", i);
        freeReplyObject(r);
    }
    ts_assert_status(ts_cmd(bursty, "PING"), "PONG");
    redisFree(bursty);

    ts_assert_ok(ts_cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 0 1mb 1"));
    struct slow_reader sr;
    slow_reader_open(&sr, ts_port(g_server));
    long long t0 = ts_now_ms();
    /* 64 KB every 5 ms: over the limit soon, and adding to it all along
     * (as in Redis, the soft limit is checked when replies are added). */
    slow_reader_push(&sr, "big", 2000, 10000, 5);
    cr_assert(slow_reader_closed(&sr, 5000), "a slow reader over the soft limit for seconds was not disconnected");
    cr_assert_geq(ts_now_ms() - t0, 900, "closed after %lld ms: the soft limit allows 1 s over it",
                  ts_now_ms() - t0);
    close(sr.fd);
    ts_assert_int(ts_cmd(c, "STRLEN big"), VALUE);
    ts_assert_ok(ts_cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 0 0 0"));
    free(v);
    redisFree(c);
}

/* What one CLIENT LIST shows: the largest omem and qbuf of any client, and
 * whether the caller is listed with flags=e running client|list. */
struct client_list_max {
    long long omem, qbuf;
    bool self_e;
};

static struct client_list_max client_list_max(redisContext *c)
{
    struct client_list_max m = {0, 0, false};
    redisReply *r = ts_cmd(c, "CLIENT LIST");
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    for (char *line = r->str; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        const char *om = strstr(line, " omem="), *qb = strstr(line, " qbuf="), *fl = strstr(line, " flags=");
        const char *cmd = strstr(line, " cmd=");
        cr_assert(om && qb && fl && cmd && strstr(line, " obl=") && strstr(line, " oll="), "fields: %.200s", line);
        long long o = atoll(om + 6), q = atoll(qb + 6);
        if (o > m.omem)
            m.omem = o;
        if (q > m.qbuf)
            m.qbuf = q;
        if (strncmp(cmd, " cmd=client|list", 16) == 0 && strncmp(fl, " flags=e ", 9) == 0)
            m.self_e = true;
    }
    freeReplyObject(r);
    return m;
}

/* CLIENT LIST reports the replies waiting for a client that does not read
 * (omem) and the bytes of a request still arriving (qbuf). */
TS_TEST(limits, client_list_shows_real_buffer_sizes)
{
    redisContext *c = ts_connect(g_server);
    enum { VALUE = 256 * 1024 };
    char *v = make_value(VALUE);
    ts_assert_ok(ts_cmd(c, "SET big %b", v, (size_t)VALUE));
    free(v);

    struct slow_reader sr;
    slow_reader_open(&sr, ts_port(g_server));
    ts_assert_ok(ts_cmd(c, "CLIENT NO-EVICT on"));
    slow_reader_push(&sr, "big", 40, 10000, 0); /* 10 MB of replies */
    /* a partial request on another connection: 100 KB of a 1 MB bulk */
    int half = ts_tcp_connect(ts_port(g_server));
    const char *head = "*3\r\n$3\r\nSET\r\n$1\r\nh\r\n$1048576\r\n";
    cr_assert(send(half, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head));
    char *part = calloc(1, 100000);
    cr_assert(send(half, part, 100000, MSG_NOSIGNAL) == 100000);
    free(part);

    /* The server takes in both in its own time (seconds, when loaded and
     * under a sanitizer): poll until they show, for up to 20 s. */
    struct client_list_max m;
    long long deadline = ts_now_ms() + 20000;
    for (;;) {
        m = client_list_max(c);
        cr_assert(m.self_e, "CLIENT LIST should show this client with flags=e and cmd=client|list");
        if ((m.omem > 1 << 20 && m.qbuf >= 90000) || ts_now_ms() >= deadline)
            break;
        ts_sleep_ms(50);
    }
    cr_assert_gt(m.omem, 1 << 20, "no client shows the replies piling up (max omem %lld)", m.omem);
    cr_assert_geq(m.qbuf, 90000, "no client shows its partial request (max qbuf %lld)", m.qbuf);
    redisReply *r = ts_cmd(c, "CLIENT INFO");
    cr_assert(r->type == REDIS_REPLY_STRING && strstr(r->str, " cmd=client|info ") && strstr(r->str, " flags=e "),
              "CLIENT INFO: %s", r->str);
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "CLIENT NO-EVICT maybe"), "ERR syntax error");
    ts_assert_ok(ts_cmd(c, "CLIENT NO-EVICT off"));
    r = ts_cmd(c, "CLIENT INFO");
    cr_assert(strstr(r->str, " flags=N "), "CLIENT INFO after NO-EVICT off: %s", r->str);
    freeReplyObject(r);
    close(sr.fd);
    close(half);
    redisFree(c);
}

/* An idle client is closed after `timeout` seconds; a busy one is not. */
Test(limits, idle_timeout, .fini = ts_fixture_fini)
{
    g_server = ts_start("--timeout", "1", NULL);
    redisContext *busy = ts_connect(g_server);
    int idle = ts_tcp_connect(ts_port(g_server));
    cr_assert(idle >= 0);
    long long t0 = ts_now_ms();
    bool closed = false;
    /* The busy client speaks every 100 ms, well inside the 1 s; the idle
     * one's close may take seconds on a loaded machine. */
    while (!closed && ts_now_ms() - t0 < 20000) {
        ts_assert_status(ts_cmd(busy, "PING"), "PONG");
        closed = ts_fd_wait_closed(idle, 100);
    }
    cr_assert(closed, "an idle client was not closed after 20 s with timeout 1");
    cr_assert_geq(ts_now_ms() - t0, 900, "closed after only %lld ms", ts_now_ms() - t0);
    close(idle);
    ts_assert_status(ts_cmd(busy, "PING"), "PONG");
    /* CONFIG SET timeout 0 turns it off. */
    ts_assert_ok(ts_cmd(busy, "CONFIG SET timeout 0"));
    idle = ts_tcp_connect(ts_port(g_server));
    cr_assert(!ts_fd_wait_closed(idle, 2500), "timeout 0 still closes idle clients");
    close(idle);
    redisFree(busy);
    ts_fixture_stop();
}

/* A request bigger than client-query-buffer-limit loses its connection
 * without a reply; others are untouched. */
Test(limits, query_buffer_limit, .fini = ts_fixture_fini)
{
    g_server = ts_start("--client-query-buffer-limit", "1mb", NULL);
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET canary alive"));
    int fd = ts_tcp_connect(ts_port(g_server));
    const char *head = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n";
    cr_assert(send(fd, head, strlen(head), MSG_NOSIGNAL) > 0);
    char *chunk = calloc(1, 65536);
    size_t sent = 0;
    bool failed = false;
    while (sent < 2500000 && !failed) {
        ssize_t w = send(fd, chunk, 65536, MSG_NOSIGNAL);
        if (w < 0)
            failed = true;
        else
            sent += (size_t)w;
    }
    free(chunk);
    cr_assert(failed || ts_fd_wait_closed(fd, 5000), "a 2.5 MB request with a 1 MB query buffer limit was kept");
    close(fd);
    ts_assert_bulk(ts_cmd(c, "GET canary"), "alive");
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    /* Raised at runtime, the same request goes through. */
    ts_assert_ok(ts_cmd(c, "CONFIG SET client-query-buffer-limit 8mb"));
    char *v = calloc(1, 3000000);
    ts_assert_ok(ts_cmd(c, "SET k %b", v, (size_t)3000000));
    free(v);
    ts_assert_int(ts_cmd(c, "STRLEN k"), 3000000);
    redisFree(c);
    ts_fixture_stop();
}

/* CONFIG SET proto-max-bulk-len applies to connections already open. */
TS_TEST(limits, proto_max_bulk_len_set_at_runtime)
{
    redisContext *c = ts_connect(g_server);
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "PING\r\n");
    ts_raw_expect(raw, "+PONG\r\n");
    ts_assert_ok(ts_cmd(c, "CONFIG SET proto-max-bulk-len 1mb"));
    ts_assert_error(ts_cmd(c, "CONFIG SET proto-max-bulk-len 100"),
                    "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must "
                    "be between 1048576 and 9223372036854775807 inclusive");
    ts_raw_send_str(raw, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n");
    ts_raw_expect(raw, "-ERR Protocol error: invalid bulk length\r\n");
    cr_assert(ts_raw_wait_eof(raw, 5000), "no close: %s", ts_raw_status(raw));
    ts_raw_close(raw);
    ts_assert_ok(ts_cmd(c, "CONFIG SET proto-max-bulk-len 512mb"));
    redisFree(c);
}
