/* test_security.c — who gets in: requirepass with AUTH and HELLO AUTH (set
 * at runtime on every shard), the small requests and replies Redis allows a
 * client before it authenticates, protected mode, bind addresses and
 * maxclients. Every expectation holds on redis-server 7.0 too (suite
 * `redis`); error texts were checked against it byte for byte. */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ringkv/cmd/commands.h"

TestSuite(security, .timeout = 90);

#define NOAUTH "-NOAUTH Authentication required.\r\n"
#define WRONGPASS "-WRONGPASS invalid username-password pair or user is disabled.\r\n"

static void set_password(redisContext *c, const char *pw)
{
    ts_assert_ok(ts_cmd(c, "CONFIG SET requirepass %s", pw));
}

/* Sends argv as a multibulk request on raw. */
static void raw_send_argv(struct ts_raw *raw, int argc, const char *const *argv)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "*%d\r\n", argc);
    ts_raw_send(raw, buf, (size_t)n);
    for (int i = 0; i < argc; i++) {
        n = snprintf(buf, sizeof buf, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
        ts_raw_send(raw, buf, (size_t)n);
    }
}

/* Whether redis-server knows the command (ringkv's table may one day hold
 * commands of its own; those are not Redis's business). */
static bool redis_knows(redisContext *admin, const char *name)
{
    if (!ts_is_redis())
        return true;
    redisReply *r = ts_cmd(admin, "COMMAND INFO %s", name);
    bool known = r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
                 r->element[0]->type == REDIS_REPLY_ARRAY;
    freeReplyObject(r);
    return known;
}

/* One call of cmd (a command or a subcommand) with exactly the arguments
 * its arity asks for, all "x": NOAUTH must come back, nothing must run. */
static void expect_noauth(struct ts_raw *raw, redisContext *admin, const struct cmd_def *cmd)
{
    const char *argv[16];
    char words[2][64];
    int argc = cmd->arity < 0 ? -cmd->arity : cmd->arity;
    if (argc > 16)
        argc = 16;
    const char *bar = strchr(cmd->name, '|');
    snprintf(words[0], sizeof words[0], "%.*s", bar ? (int)(bar - cmd->name) : 63, cmd->name);
    snprintf(words[1], sizeof words[1], "%s", bar ? bar + 1 : "");
    if (!redis_knows(admin, cmd->name)) /* "config|get": Redis 7 knows subcommands by that name */
        return;
    argv[0] = words[0];
    int i = 1;
    if (bar)
        argv[i++] = words[1];
    for (; i < argc; i++)
        argv[i] = "x";
    raw_send_argv(raw, argc, argv);
    /* EXEC refused ends a transaction, the refusal its reason (Redis 7.0). */
    static const char EXEC_NOAUTH[] = "-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n";
    /* DEBUG is a protected command: Redis 7.0 refuses it (enable-debug-command
     * no) before it asks for AUTH. */
    static const char DEBUG_REFUSED[] =
        "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it "
        "from a local connection, otherwise you need to set this option in the configuration file, and then "
        "restart the server.\r\n";
    const char *want = strcmp(cmd->name, "exec") == 0    ? EXEC_NOAUTH
                       : strcmp(cmd->name, "debug") == 0 ? DEBUG_REFUSED
                                                         : NOAUTH;
    char why[1024];
    bool ok = ts_raw_reply_is(raw, want, strlen(want), 5000, why, sizeof why);
    cr_assert(ok, "'%s' before AUTH: %s", cmd->name, why);
}

/* Every command in ringkv's table, and every subcommand, is refused before
 * AUTH except AUTH, HELLO, QUIT and RESET (no_auth in Redis 7.0); none has
 * any effect. */
TS_TEST(security, nothing_but_auth_hello_quit_runs_before_auth)
{
    commands_setup();
    redisContext *admin = ts_connect(g_server);
    set_password(admin, "s3cret");
    /* The admin connected while there was no password: it stays in. */
    ts_assert_status(ts_cmd(admin, "PING"), "PONG");
    struct ts_raw *raw = ts_raw_connect(g_server);
    int checked = 0;
    for (size_t i = 0; i < cmd_count(); i++) {
        const struct cmd_def *cmd = cmd_at(i);
        if (cmd->flags & CMD_NO_AUTH) {
            cr_assert(strcmp(cmd->name, "auth") == 0 || strcmp(cmd->name, "hello") == 0 ||
                          strcmp(cmd->name, "quit") == 0 || strcmp(cmd->name, "reset") == 0,
                      "'%s' runs before AUTH: only AUTH, HELLO, QUIT and RESET may", cmd->name);
            continue;
        }
        if (cmd->subcommands) {
            for (const struct cmd_def *sub = cmd->subcommands; sub->name; sub++, checked++)
                expect_noauth(raw, admin, sub);
        } else {
            expect_noauth(raw, admin, cmd);
            checked++;
        }
    }
    cr_assert_gt(checked, 20, "only %d commands checked", checked);
    ts_raw_send_str(raw, "AUTH wrong\r\n");
    ts_raw_expect(raw, WRONGPASS);
    ts_raw_send_str(raw, "AUTH default wrong\r\n");
    ts_raw_expect(raw, WRONGPASS);
    ts_raw_send_str(raw, "GET x\r\n");
    ts_raw_expect(raw, NOAUTH);
    ts_raw_send_str(raw, "AUTH s3cret\r\nDBSIZE\r\nAUTH default s3cret\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, ":0\r\n"); /* no SET, MSET... ran */
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_close(raw);
    /* RESET runs before AUTH, and after it the connection must AUTH again. */
    raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "RESET\r\nGET x\r\nAUTH s3cret\r\nGET x\r\nRESET\r\nGET x\r\n");
    ts_raw_expect(raw, "+RESET\r\n");
    ts_raw_expect(raw, NOAUTH);
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "$-1\r\n");
    ts_raw_expect(raw, "+RESET\r\n");
    ts_raw_expect(raw, NOAUTH);
    ts_raw_close(raw);
    /* QUIT is answered and closes. */
    raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "QUIT\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    cr_assert(ts_raw_wait_eof(raw, 5000), "QUIT before AUTH did not close: %s", ts_raw_status(raw));
    ts_raw_close(raw);
    set_password(admin, "");
    redisFree(admin);
}

/* CONFIG SET requirepass reaches every shard: each new connection, on
 * whichever shard accepted it, needs the current password, and only it. */
TS_TEST(security, runtime_password_changes_apply_to_new_connections_everywhere)
{
    redisContext *admin = ts_connect(g_server);
    set_password(admin, "first");
    enum { CONNS = 24 };
    for (int round = 0; round < 2; round++) {
        const char *good = round == 0 ? "first" : "second";
        const char *bad = round == 0 ? "second" : "first";
        for (int i = 0; i < CONNS; i++) {
            redisContext *c = ts_connect(g_server);
            ts_assert_error(ts_cmd(c, "PING"), "NOAUTH Authentication required.");
            ts_assert_error(ts_cmd(c, "AUTH %s", bad),
                            "WRONGPASS invalid username-password pair or user is disabled.");
            ts_assert_error(ts_cmd(c, "SET k v"), "NOAUTH Authentication required.");
            ts_assert_ok(ts_cmd(c, "AUTH %s", good));
            ts_assert_ok(ts_cmd(c, "SET k%d v", i));
            redisFree(c);
        }
        if (round == 0)
            set_password(admin, "second");
    }
    /* Removing the password lets in even a client that never authenticated. */
    redisContext *waiting = ts_connect(g_server);
    ts_assert_error(ts_cmd(waiting, "GET k0"), "NOAUTH Authentication required.");
    set_password(admin, "");
    ts_assert_bulk(ts_cmd(waiting, "GET k0"), "v");
    redisContext *c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "GET k1"), "v");
    redisFree(c);
    redisFree(waiting);
    redisFree(admin);
}

TS_TEST(security, hello_auth)
{
    redisContext *admin = ts_connect(g_server);
    set_password(admin, "pw");
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "HELLO 3\r\n");
    ts_raw_expect(raw, "-NOAUTH HELLO must be called with the client already authenticated, otherwise "
                       "the HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                       "select the RESP protocol version at the same time\r\n");
    ts_raw_send_str(raw, "HELLO 3 AUTH default wrong\r\n");
    ts_raw_expect(raw, WRONGPASS);
    ts_raw_send_str(raw, "HELLO 3 AUTH nobody pw\r\n");
    ts_raw_expect(raw, WRONGPASS);
    ts_raw_send_str(raw, "HELLO 3 AUTH default\r\n");
    ts_raw_expect(raw, "-ERR Syntax error in HELLO option 'AUTH'\r\n");
    ts_raw_send_str(raw, "GET missing\r\n"); /* still RESP2, still locked out */
    ts_raw_expect(raw, NOAUTH);
    ts_raw_send_str(raw, "HELLO 3 AUTH default pw SETNAME me\r\n");
    size_t len;
    const char *r = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(r && r[0] == '%' && strstr(r, "$5\r\nproto\r\n:3\r\n"), "HELLO 3 AUTH: %s",
              r ? r : ts_raw_status(raw));
    ts_raw_send_str(raw, "GET missing\r\nCLIENT GETNAME\r\n");
    ts_raw_expect(raw, "_\r\n");
    ts_raw_expect(raw, "$2\r\nme\r\n");
    ts_raw_close(raw);
    set_password(admin, "");
    redisFree(admin);
}

TS_TEST(security, auth_without_a_password_set)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "AUTH x\r\n");
    ts_raw_expect(raw, "-ERR AUTH <password> called without any password configured for the default "
                       "user. Are you sure your configuration is correct?\r\n");
    ts_raw_send_str(raw, "AUTH default anything\r\nAUTH someone x\r\nAUTH a b c\r\nAUTH\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, WRONGPASS);
    ts_raw_expect(raw, "-ERR syntax error\r\n");
    ts_raw_expect(raw, "-ERR wrong number of arguments for 'auth' command\r\n");
    ts_raw_close(raw);
}

/* Before AUTH a request may have at most 10 arguments of at most 16 KB. */
TS_TEST(security, unauthenticated_clients_send_only_small_requests)
{
    static const struct {
        const char *request, *first, *second;
    } cases[] = {
        {"*11\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n", NULL},
        {"*2\r\n$3\r\nGET\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n", NULL},
        {"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n", NULL},
        {"PING\r\n*3\r\n$3\r\nSET\r\n$16385\r\n", NOAUTH,
         "-ERR Protocol error: unauthenticated bulk length\r\n"},
    };
    redisContext *admin = ts_connect(g_server);
    set_password(admin, "pw");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ts_raw *raw = ts_raw_connect(g_server);
        ts_raw_send_str(raw, cases[i].request);
        char why[1024];
        cr_assert(ts_raw_reply_is(raw, cases[i].first, strlen(cases[i].first), 5000, why, sizeof why),
                  "case %zu: %s", i, why);
        if (cases[i].second)
            cr_assert(ts_raw_reply_is(raw, cases[i].second, strlen(cases[i].second), 5000, why, sizeof why),
                      "case %zu: %s", i, why);
        cr_assert(ts_raw_wait_eof(raw, 5000), "case %zu: no close: %s", i, ts_raw_status(raw));
        ts_raw_close(raw);
    }
    /* At the limits, and beyond them once authenticated, all is well. */
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "*10\r\n$4\r\nPING\r\n");
    for (int i = 0; i < 8; i++)
        ts_raw_send_str(raw, "$1\r\nx\r\n");
    ts_raw_send_str(raw, "$16384\r\n");
    char *v = malloc(20002);
    memset(v, 'v', 20002);
    memcpy(v + 16384, "\r\n", 2);
    ts_raw_send(raw, v, 16386);
    ts_raw_expect(raw, NOAUTH);
    ts_raw_send_str(raw, "AUTH pw\r\n*13\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
                         "$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nf\r\n$20000\r\n");
    memcpy(v + 16384, "vv", 2);
    memcpy(v + 20000, "\r\n", 2);
    ts_raw_send(raw, v, 20002);
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_close(raw);
    ts_assert_int(ts_cmd(admin, "STRLEN f"), 20000);
    free(v);
    set_password(admin, "");
    redisFree(admin);
}

/* Sends `req` repeatedly without reading replies, with a small receive
 * buffer, until the server closes the connection (true) or `max_bytes`
 * were sent (false). */
static bool flood_until_closed(int port, const char *req, size_t max_bytes)
{
    int fd = ts_tcp_connect(port);
    cr_assert(fd >= 0, "connect: %s", strerror(errno));
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    char chunk[8192];
    size_t rl = strlen(req), n = 0;
    while (n + rl <= sizeof chunk) {
        memcpy(chunk + n, req, rl);
        n += rl;
    }
    size_t sent = 0;
    bool closed = false;
    long long deadline = ts_now_ms() + 20000;
    while (!closed && sent < max_bytes && ts_now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t w = send(fd, chunk, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            closed = true;
        else if (w > 0)
            sent += (size_t)w;
    }
    /* The server may have stopped reading without closing: check. */
    if (!closed) {
        shutdown(fd, SHUT_WR);
        closed = false;
    }
    close(fd);
    return closed;
}

/* A client that never authenticates and never reads its NOAUTH errors is
 * cut off once about 17 KB of them wait (Redis since CVE-2025-21605). */
TS_TEST(security, unauthenticated_client_that_does_not_read_is_closed)
{
    redisContext *admin = ts_connect(g_server);
    ts_assert_ok(ts_cmd(admin, "SET canary alive"));
    set_password(admin, "pw");
    cr_assert(flood_until_closed(ts_port(g_server), "PING\r\n", 64u << 20),
              "an unauthenticated client that never reads was not disconnected");
    ts_assert_bulk(ts_cmd(admin, "GET canary"), "alive");
    set_password(admin, "");
    redisFree(admin);
}

#define DENIED_PREFIX "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user."

/* Reads the whole first line the server sends on fd. */
static bool read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t got = 0;
    long long deadline = ts_now_ms() + timeout_ms;
    while (got < cap - 1 && ts_now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "\r\n"))
            return true;
    }
    buf[got] = '\0';
    return false;
}

/* Connects from `src` and expects Redis's DENIED line, then a close. */
static void expect_denied(int port, const char *src)
{
    int fd = ts_tcp_connect_from(src, port);
    cr_assert(fd >= 0, "connect from %s: %s", src, strerror(errno));
    char line[2048];
    cr_assert(read_line(fd, line, sizeof line, 5000), "no DENIED line: '%s'", line);
    cr_assert(strncmp(line, DENIED_PREFIX, strlen(DENIED_PREFIX)) == 0, "got: %s", line);
    cr_assert(strstr(line, "4) Setup a an authentication password for the default user. NOTE: You only need "
                           "to do one of the above things in order for the server to start accepting "
                           "connections from the outside.\r\n"),
              "DENIED text differs from Redis's: %s", line);
    cr_assert(ts_fd_wait_closed(fd, 5000), "DENIED connection left open");
    close(fd);
}

/* Connects from `src` and expects `reply` to PING. */
static void expect_ping_from(int port, const char *src, const char *reply)
{
    int fd = ts_tcp_connect_from(src, port);
    cr_assert(fd >= 0, "connect from %s: %s", src, strerror(errno));
    cr_assert(send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6);
    char line[2048];
    cr_assert(read_line(fd, line, sizeof line, 5000), "no reply from %s: '%s'", src, line);
    cr_assert_str_eq(line, reply, "PING from %s", src);
    close(fd);
}

/* 127.0.0.2 is loopback to the kernel but not "local" to Redis 7.0, which
 * accepts only 127.0.0.1 and ::1 in protected mode. */
TS_TEST(security, protected_mode_denies_non_local_clients_without_password)
{
    int port = ts_port(g_server);
    redisContext *admin = ts_connect(g_server);
    ts_assert_ok(ts_cmd(admin, "SET canary alive"));
    long long rejected = ts_info_ll(admin, "rejected_connections");
    for (int i = 0; i < 8; i++) /* on every shard */
        expect_denied(port, "127.0.0.2");
    cr_assert_eq(ts_info_ll(admin, "rejected_connections"), rejected + 8);
    /* With a password, or with protected mode off, they are let in. */
    set_password(admin, "pw");
    expect_ping_from(port, "127.0.0.2", NOAUTH);
    set_password(admin, "");
    expect_denied(port, "127.0.0.3");
    ts_assert_ok(ts_cmd(admin, "CONFIG SET protected-mode no"));
    expect_ping_from(port, "127.0.0.2", "+PONG\r\n");
    ts_assert_ok(ts_cmd(admin, "CONFIG SET protected-mode yes"));
    expect_denied(port, "127.0.0.2");
    ts_assert_bulk(ts_cmd(admin, "GET canary"), "alive");
    redisFree(admin);
}

Test(security, protected_mode_off_from_the_start, .fini = ts_fixture_fini)
{
    g_server = ts_start("--protected-mode", "no", NULL);
    expect_ping_from(ts_port(g_server), "127.0.0.2", "+PONG\r\n");
    ts_fixture_stop();
}

/* IPv6 loopback, when this host has it: "-::1" (optional, as in Redis's
 * default "bind 127.0.0.1 -::1") listens there; when IPv6 is off it would
 * be skipped, which the next test shows with an address this host lacks. */
Test(security, bind_ipv6_loopback, .fini = ts_fixture_fini)
{
    g_server = ts_start("--bind", "127.0.0.1", "-::1", NULL);
    int fd = ts_tcp_connect_host("::1", ts_port(g_server));
    if (fd < 0) {
        cr_log_warn("no IPv6 loopback on this host (%s): only checked that startup survives it",
                    strerror(errno));
    } else {
        cr_assert(send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6);
        char line[64];
        cr_assert(read_line(fd, line, sizeof line, 5000));
        cr_assert_str_eq(line, "+PONG\r\n");
        close(fd);
    }
    redisContext *c = ts_connect(g_server);
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    redisReply *r = ts_cmd(c, "CONFIG GET bind");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && strcmp(r->element[1]->str, "127.0.0.1 -::1") == 0,
              "CONFIG GET bind: want '127.0.0.1 -::1'");
    freeReplyObject(r);
    redisFree(c);
    ts_fixture_stop();
}

/* 192.0.2.1 (TEST-NET-1) is never a local address: binding it fails with
 * EADDRNOTAVAIL without sending anything anywhere. Optional, it is skipped;
 * required, the server refuses to start. */
Test(security, bind_missing_address, .fini = ts_fixture_fini)
{
    g_server = ts_start("--bind", "127.0.0.1", "-192.0.2.1", NULL);
    redisContext *c = ts_connect(g_server);
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    redisFree(c);
    ts_fixture_stop();

    const char *bin = getenv("RINGKV_SERVER");
    if (!bin || !*bin)
        bin = "redis-server";
    char port[16];
    snprintf(port, sizeof port, "%d", ts_free_port());
    char *out = NULL;
    int status = ts_is_redis()
                     ? ts_runl(&out, 10000, bin, "--port", port, "--bind", "127.0.0.1", "192.0.2.1", "--save", "",
                               "--appendonly", "no", NULL)
                     : ts_runl(&out, 10000, bin, "--port", port, "--bind", "127.0.0.1", "192.0.2.1", NULL);
    cr_assert(status > 0 && status < 128, "a required bind address that is missing must fail startup "
                                          "(status %d): %s", status, out);
    cr_assert(strstr(out, "192.0.2.1"), "the error should name the address: %s", out);
    free(out);
}

/* How long connected_clients may take to follow a connect or a close: the
 * server learns of them asynchronously, in seconds on a loaded machine
 * under a sanitizer. */
#define CLIENT_COUNT_WAIT_MS 15000

/* Opens connections until the server has `want` clients (counting `c`). */
static redisContext *connect_counted(redisContext *admin, long long want)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    long long deadline = ts_now_ms() + CLIENT_COUNT_WAIT_MS;
    while (ts_info_ll(admin, "connected_clients") != want && ts_now_ms() < deadline)
        ts_sleep_ms(10);
    cr_assert_eq(ts_info_ll(admin, "connected_clients"), want);
    return c;
}

static void expect_max_clients_error(int port)
{
    int fd = ts_tcp_connect(port);
    cr_assert(fd >= 0, "connect: %s", strerror(errno));
    char line[256];
    cr_assert(read_line(fd, line, sizeof line, 5000), "no error line: '%s'", line);
    cr_assert_str_eq(line, "-ERR max number of clients reached\r\n");
    cr_assert(ts_fd_wait_closed(fd, 5000), "rejected connection left open");
    close(fd);
}

/* The limit counts clients on all shards together. */
Test(security, maxclients, .fini = ts_fixture_fini)
{
    g_server = ts_start("--maxclients", "6", NULL);
    int port = ts_port(g_server);
    redisContext *c[8];
    c[0] = ts_connect(g_server);
    /* The harness's startup PING may still be counted for a moment. */
    long long deadline = ts_now_ms() + CLIENT_COUNT_WAIT_MS;
    while (ts_info_ll(c[0], "connected_clients") != 1 && ts_now_ms() < deadline)
        ts_sleep_ms(10);
    for (int i = 1; i < 6; i++)
        c[i] = connect_counted(c[0], i + 1);
    for (int i = 0; i < 6; i++)
        expect_max_clients_error(port);
    cr_assert_geq(ts_info_ll(c[0], "rejected_connections"), 6);
    /* A client leaves: there is room for one more. */
    redisFree(c[5]);
    deadline = ts_now_ms() + CLIENT_COUNT_WAIT_MS;
    while (ts_info_ll(c[0], "connected_clients") != 5 && ts_now_ms() < deadline)
        ts_sleep_ms(10);
    c[5] = connect_counted(c[0], 6);
    expect_max_clients_error(port);
    /* CONFIG SET raises the limit everywhere. */
    ts_assert_ok(ts_cmd(c[0], "CONFIG SET maxclients 8"));
    c[6] = connect_counted(c[0], 7);
    c[7] = connect_counted(c[0], 8);
    expect_max_clients_error(port);
    for (int i = 0; i < 8; i++)
        redisFree(c[i]);
    ts_fixture_stop();
}
