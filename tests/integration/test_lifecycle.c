/* test_lifecycle.c — the server as a process and as a target of the stock
 * Redis tools: clean exit on SIGTERM/SIGINT with clients connected, and
 * redis-cli / redis-benchmark runs whose output must look as against
 * Redis. Expectations checked against redis-server 7.0. */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ringkv/base/alloc.h"

TestSuite(lifecycle, .timeout = 60);
TestSuite(tools, .timeout = 120);

/* Clients in every state a shutdown may meet: idle, mid-request, with
 * unread replies, in another database. */
static void connect_busy_clients(redisContext **idle, struct ts_raw **partial,
                                 struct ts_raw **unread)
{
    *idle = ts_connect(g_server);
    ts_assert_ok(ts_cmd(*idle, "SELECT 3"));
    ts_assert_ok(ts_cmd(*idle, "SET a b"));
    *partial = ts_raw_connect(g_server);
    ts_raw_send_str(*partial, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nonly part of the value");
    *unread = ts_raw_connect(g_server);
    for (int i = 0; i < 500; i++)
        ts_raw_send_str(*unread, "SET x y\r\nGET x\r\n");
}

static void expect_exit_zero_within(int signo, int limit_ms)
{
    redisContext *idle;
    struct ts_raw *partial, *unread;
    connect_busy_clients(&idle, &partial, &unread);
    ts_sleep_ms(50); /* let the server take in what was sent */

    long long t0 = ts_now_ms();
    cr_assert_eq(kill(ts_pid(g_server), signo), 0);
    int status = ts_wait_exit(g_server, limit_ms);
    long long took = ts_now_ms() - t0;
    cr_assert_neq(status, -2, "server still running %d ms after signal %d", limit_ms, signo);
    cr_assert_eq(status, 0, "exit status %d after signal %d, want 0", status, signo);
    cr_log_info("exit after signal %d took %lld ms", signo, took);

    /* The clients see the connection closed, and nobody listens any more. */
    cr_assert(ts_raw_wait_eof(partial, 2000), "partial client not closed: %s",
              ts_raw_status(partial));
    cr_assert_lt(ts_tcp_connect(ts_port(g_server)), 0, "port still accepts after exit");
    ts_raw_close(partial);
    ts_raw_close(unread);
    redisFree(idle);
}

/* A sanitized server's exit includes LeakSanitizer's scan (or TSan's
 * report), which takes seconds more on a loaded machine. */
static int exit_limit_ms(void) { return ts_server_sanitized() ? 20000 : 5000; }

TS_TEST(lifecycle, sigterm_with_clients_connected_exits_zero)
{
    expect_exit_zero_within(SIGTERM, exit_limit_ms());
}

TS_TEST(lifecycle, sigint_with_clients_connected_exits_zero)
{
    expect_exit_zero_within(SIGINT, exit_limit_ms());
}

/* ---- redis-cli / redis-benchmark ------------------------------------------ */

/* Runs redis-cli against the server with the given command words. */
static int cli(char **out, const char *a, const char *b, const char *c)
{
    return ts_runl(out, 10000, "redis-cli", "-p", ts_port_str(g_server), a, b, c, NULL);
}

TS_TEST(tools, redis_cli_set_and_get)
{
    char *out;
    cr_assert_eq(cli(&out, "set", "foo", "bar"), 0, "redis-cli set: %s", out);
    cr_assert_str_eq(out, "OK\n");
    rk_free(out);
    cr_assert_eq(cli(&out, "get", "foo", NULL), 0, "redis-cli get: %s", out);
    cr_assert_str_eq(out, "bar\n");
    rk_free(out);
    cr_assert_eq(cli(&out, "ping", NULL, NULL), 0, "redis-cli ping: %s", out);
    cr_assert_str_eq(out, "PONG\n");
    rk_free(out);
    cli(&out, "incr", "foo", NULL);
    cr_assert(strncmp(out, "ERR value is not an integer or out of range\n", 44) == 0,
              "redis-cli incr foo: %s", out);
    rk_free(out);
}

/* Whether `out` has a line "NAME: <number> requests per second". */
static bool reports_workload(const char *out, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = out; (p = strstr(p, name)) != NULL; p++) {
        bool line_start = p == out || p[-1] == '\r' || p[-1] == '\n' || p[-1] == ' ';
        double rps;
        char word[16];
        if (line_start && p[n] == ':' &&
            sscanf(p + n + 1, " %lf %15s", &rps, word) == 2 && rps > 0 &&
            strcmp(word, "requests") == 0)
            return true;
    }
    return false;
}

TS_TEST(tools, redis_benchmark_smoke, .timeout = 120)
{
    char *out;
    int status = ts_runl(&out, 110000, "redis-benchmark", "-p", ts_port_str(g_server), "-P", "16",
                         "-t", "ping,set,get,incr,mset", "-n", "20000", "-q", NULL);
    cr_assert_eq(status, 0, "redis-benchmark exit status %d:\n%s", status, out);
    static const char *const workloads[] = {"PING_INLINE", "PING_MBULK", "SET", "GET",
                                            "INCR", "MSET (10 keys)"};
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        cr_assert(reports_workload(out, workloads[i]), "no %s result in:\n%s", workloads[i],
                  out);
    cr_assert(!strcasestr(out, "error") && !strstr(out, "ERR") && !strcasestr(out, "warn"),
              "redis-benchmark complained:\n%s", out);
    rk_free(out);

    /* Every INCR hit the one counter key redis-benchmark uses without -r. */
    redisContext *c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "GET counter:__rand_int__"), "20000");
    ts_assert_int(ts_cmd(c, "STRLEN key:__rand_int__"), 3); /* SET/MSET's -d 3 payload */
    redisFree(c);
}

/* A bad directive or value stops startup with exit status 1 and a message
 * naming it, on the command line and in a config file (both servers). */
Test(lifecycle, bad_directives_fail_startup_naming_them)
{
    const char *server = getenv("RINGKV_SERVER");
    cr_assert_not_null(server, "RINGKV_SERVER must be set");
    char *out = NULL;
    char port[16];
    snprintf(port, sizeof(port), "%d", ts_free_port());

    cr_assert_eq(ts_runl(&out, 10000, server, "--port", port, "--no-such-directive", "1", NULL), 1);
    cr_assert(strstr(out, "no-such-directive"), "message should name the directive:\n%s", out);
    rk_free(out);

    cr_assert_eq(ts_runl(&out, 10000, server, "--port", "notanumber", NULL), 1);
    cr_assert(strstr(out, "port"), "message should name the directive:\n%s", out);
    rk_free(out);

    char path[] = "/tmp/ringkv-conf-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *text = "port 0\n# a comment\nbogus-directive yes\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cr_assert_eq(ts_runl(&out, 10000, server, path, NULL), 1);
    cr_assert(strstr(out, "bogus-directive") && strstr(out, "line 3"), "message should name line and directive:\n%s", out);
    rk_free(out);
    unlink(path);
}

/* A second server on a port already taken refuses to start, as Redis does,
 * instead of sharing the port through the shards' SO_REUSEPORT; the
 * first one keeps serving. */
TS_TEST(lifecycle, port_in_use_fails_startup)
{
    const char *server = getenv("RINGKV_SERVER");
    cr_assert_not_null(server, "RINGKV_SERVER must be set");
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET canary alive"));
    char *out = NULL;
    cr_assert_eq(ts_runl(&out, 10000, server, "--port", ts_port_str(g_server), NULL), 1, "%s", out);
    cr_assert(strstr(out, "Address already in use"), "%s", out);
    rk_free(out);
    ts_assert_bulk(ts_cmd(c, "GET canary"), "alive");
    redisFree(c);
}
