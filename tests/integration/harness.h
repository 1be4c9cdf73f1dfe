/* harness.h — integration-test harness: starts the server under test on a
 * free loopback port, talks to it (hiredis and raw sockets), checks replies
 * with clear failure messages, and runs external tools (redis-cli,
 * redis-benchmark) against it. Linked into every integration test; called
 * from Criterion test bodies and fixtures (one thread per test process).
 *
 * Environment:
 *   RINGKV_SERVER       server binary (meson sets it to the built ringkv-server)
 *   RINGKV_SHARDS       shard count passed as --shards N (default 1)
 *   RINGKV_TEST_REDIS=1 the binary is redis-server: no --shards, so every test
 *                       can be checked against real Redis (RINGKV_SERVER
 *                       defaults to redis-server)
 * Either server gets --save '' --appendonly no first: no snapshot unless the
 * test's own arguments ask for one.
 */
#ifndef RINGKV_TEST_HARNESS_H
#define RINGKV_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <criterion/criterion.h>
#include <hiredis/hiredis.h>

struct test_server;

/* ---- server lifecycle ---------------------------------------------- */

/* Starts the server with the harness's standard arguments followed by the
 * given extra arguments (a NULL-terminated list, e.g.
 * ts_start("--proto-max-bulk-len", "1mb", NULL)), and waits until it
 * answers PING. Fails the current test (with the server log) if it does not
 * come up in time. */
struct test_server *ts_start(const char *arg, ...) __attribute__((sentinel));
/* Same, with `config_text` written to a file passed as the first argument,
 * as in `redis-server /path/redis.conf --port N ...`. */
struct test_server *ts_start_with_config(const char *config_text, const char *arg, ...)
    __attribute__((sentinel));
/* SIGTERM, then waits up to timeout_ms for the exit. Returns the exit status
 * (128+signal if killed by a signal, -1 if it hung and had to be SIGKILLed).
 * Prints the server log on any non-zero result. Frees ts. */
int ts_stop_timeout(struct test_server *ts, int timeout_ms);
int ts_stop(struct test_server *ts); /* 10 s */
/* Waits up to timeout_ms for an exit the test caused itself (a signal, a
 * SHUTDOWN): the status as above, or -2 if still running. ts stays valid;
 * ts_stop then only cleans up and returns the same status. */
int ts_wait_exit(struct test_server *ts, int timeout_ms);
/* SIGKILL and free, for cleanup after a failed test. */
void ts_kill(struct test_server *ts);

/* Starts the real redis-server ($RINGKV_REDIS_SERVER, default redis-server
 * on PATH) with the standard arguments (never --shards) followed by the
 * given ones, whatever RINGKV_SERVER is: a peer to exchange DUMP payloads
 * and RDB files with. Stop it as any other server. */
struct test_server *ts_start_redis(const char *arg, ...) __attribute__((sentinel));
/* Like ts_start, for a server that may refuse to start: returns NULL, with
 * the exit status in *status (as ts_stop reports it), when it exits before
 * it serves; otherwise the running server (*status -1). Nothing is printed
 * for the expected exit. */
struct test_server *ts_try_start(int *status, const char *arg, ...) __attribute__((sentinel));
/* The server's private temp dir: its cwd, so its dump.rdb unless --dir
 * says otherwise. Removed (with dump.rdb) when the server is stopped. */
const char *ts_dir(const struct test_server *ts);

int ts_port(const struct test_server *ts);
const char *ts_port_str(const struct test_server *ts);
pid_t ts_pid(const struct test_server *ts);
const char *ts_log_path(const struct test_server *ts);
void ts_dump_log(const struct test_server *ts); /* to stderr */
/* True when testing real redis-server (RINGKV_TEST_REDIS=1). */
bool ts_is_redis(void);
/* The server under test's binary (RINGKV_SERVER; redis-server for
 * RINGKV_TEST_REDIS=1 when unset); fails the test when neither is set. */
const char *ts_server_binary(void);
/* Shard count the harness passes (1 against Redis). */
int ts_shards(void);

/* ---- a fresh server per test ----------------------------------------- */

/* The server of the running TS_TEST. */
extern struct test_server *g_server;

/* Defines a Criterion test that gets its own server in g_server and, after
 * the body passed, checks that the server exits 0 on SIGTERM. Extra
 * Criterion options (.timeout = ...) may follow the name. */
#define TS_TEST(suite, name, ...)                                            \
    static void ts_body_##suite##_##name(void);                              \
    Test(suite, name, .fini = ts_fixture_fini, ##__VA_ARGS__)                \
    {                                                                        \
        g_server = ts_start(NULL);                                           \
        ts_body_##suite##_##name();                                          \
        ts_fixture_stop();                                                   \
    }                                                                        \
    static void ts_body_##suite##_##name(void)

void ts_fixture_stop(void); /* stops g_server, asserts exit status 0 */
void ts_fixture_fini(void); /* kills g_server if a failed test left it */

/* ---- hiredis -------------------------------------------------------- */

/* Connected client with a 10 s I/O timeout; fails the test on error. */
redisContext *ts_connect(const struct test_server *ts);
/* redisCommand that fails the test on a connection error (never NULL). */
redisReply *ts_cmd(redisContext *c, const char *fmt, ...);
redisReply *ts_cmd_argv(redisContext *c, int argc, const char **argv, const size_t *lens);
/* Pipelining: queue a command / read the next reply, failing on I/O error. */
void ts_append(redisContext *c, const char *fmt, ...);
/* Sends what ts_append queued now, without waiting for a reply. */
void ts_flush(redisContext *c);
redisReply *ts_reply(redisContext *c);

/* Checks a reply; on mismatch writes a description to why and returns
 * false. str is compared binary-safely with strlen(str) bytes. */
bool ts_reply_is(const redisReply *r, int type, const char *str, long long n, char *why,
                 size_t cap);
/* items: bulk strings, NULL standing for a nil element. */
bool ts_reply_is_array(const redisReply *r, size_t count, const char *const *items, char *why,
                       size_t cap);
/* Human-readable, escaped rendering of a reply, for messages. */
void ts_reply_describe(const redisReply *r, char *buf, size_t cap);

/* Assertions that take ownership of (and free) the reply expression and
 * print the expression with what came back when they fail. */
#define ts_assert_reply_(expr, type, str, n)                                 \
    do {                                                                     \
        redisReply *ts_r_ = (expr);                                          \
        char ts_w_[1024];                                                    \
        bool ts_ok_ = ts_reply_is(ts_r_, (type), (str), (n), ts_w_, sizeof ts_w_); \
        freeReplyObject(ts_r_);                                              \
        cr_assert(ts_ok_, "%s: %s", #expr, ts_w_);                           \
    } while (0)
#define ts_assert_status(expr, s) ts_assert_reply_(expr, REDIS_REPLY_STATUS, s, 0)
#define ts_assert_error(expr, s) ts_assert_reply_(expr, REDIS_REPLY_ERROR, s, 0)
#define ts_assert_bulk(expr, s) ts_assert_reply_(expr, REDIS_REPLY_STRING, s, 0)
#define ts_assert_nil(expr) ts_assert_reply_(expr, REDIS_REPLY_NIL, NULL, 0)
#define ts_assert_int(expr, v) ts_assert_reply_(expr, REDIS_REPLY_INTEGER, NULL, (v))
#define ts_assert_ok(expr) ts_assert_status(expr, "OK")
/* ts_assert_array(reply, "a", NULL, "c") — an array of bulk strings/nils. */
#define ts_assert_array(expr, ...)                                           \
    do {                                                                     \
        redisReply *ts_r_ = (expr);                                          \
        const char *ts_items_[] = {__VA_ARGS__};                             \
        char ts_w_[1024];                                                    \
        bool ts_ok_ = ts_reply_is_array(ts_r_, sizeof ts_items_ / sizeof ts_items_[0], \
                                        ts_items_, ts_w_, sizeof ts_w_);     \
        freeReplyObject(ts_r_);                                              \
        cr_assert(ts_ok_, "%s: %s", #expr, ts_w_);                           \
    } while (0)

/* ---- raw sockets (protocol tests) ----------------------------------- */

struct ts_raw;

/* Plain TCP_NODELAY socket to 127.0.0.1:port, or -1 with errno. */
int ts_tcp_connect(int port);

/* TCP_NODELAY connection; fails the test on error. */
struct ts_raw *ts_raw_connect(const struct test_server *ts);
void ts_raw_close(struct ts_raw *raw);
/* Sends every byte; fails the test on error. */
void ts_raw_send(struct ts_raw *raw, const void *buf, size_t len);
void ts_raw_send_str(struct ts_raw *raw, const char *s);
/* Reads one complete RESP2/RESP3 reply (aggregates included). Returns its
 * bytes, NUL-terminated and valid until the next read, or NULL on timeout,
 * EOF or a malformed reply (see ts_raw_status). */
const char *ts_raw_read_reply(struct ts_raw *raw, int timeout_ms, size_t *len);
/* Waits for the server to close the connection; false if it stays open or
 * sends more data. Unread buffered bytes count as more data. */
bool ts_raw_wait_eof(struct ts_raw *raw, int timeout_ms);
/* What the last read saw: "timeout", "EOF", "malformed reply" or "ok",
 * plus the bytes left over, for messages. */
const char *ts_raw_status(const struct ts_raw *raw);

/* Reads one reply and asserts it equals `expected` byte for byte. */
#define ts_raw_expect(raw, expected) ts_raw_expect_n(raw, expected, sizeof(expected) - 1)
#define ts_raw_expect_n(raw, expected, n)                                    \
    do {                                                                     \
        char ts_w_[1024];                                                    \
        bool ts_ok_ = ts_raw_reply_is((raw), (expected), (n), 5000, ts_w_, sizeof ts_w_); \
        cr_assert(ts_ok_, "%s", ts_w_);                                      \
    } while (0)
/* The shard (of 4) owning key, with the server's contiguous slot split. */
unsigned ts_key_quarter(const char *key);
/* Asserts that the keys cover at least `want` of the 4 shards, so that a
 * test really spans shards at --shards 4 (a property of the names). */
void ts_assert_spread(const char *const *keys, size_t n, unsigned want);

/* Sends one command as a RESP array of bulk strings (argv: C strings). */
void ts_raw_send_argv(struct ts_raw *raw, int argc, const char *const *argv);
/* Sends the command and asserts its reply is exactly want[0..n), naming
 * the command in the failure. */
void ts_raw_expect_argv(struct ts_raw *raw, const char *want, size_t n, int argc, const char *const *argv);
bool ts_raw_reply_is(struct ts_raw *raw, const char *expected, size_t n, int timeout_ms,
                     char *why, size_t cap);

/* Length of the complete RESP2/RESP3 frame at the start of buf: >0 when
 * complete, 0 when more bytes are needed, -1 when malformed. */
long ts_resp_frame_len(const char *buf, size_t len);
/* C-style escaped copy of len bytes (truncated with "..." to fit cap). */
void ts_escape(const char *s, size_t len, char *out, size_t cap);

/* ---- external commands ---------------------------------------------- */

/* Runs argv[0] (PATH lookup) with stdin from /dev/null and stdout+stderr
 * captured into *out (NUL-terminated, rk_free it). Kills it after
 * timeout_ms. Returns the exit status, 128+signal, or -1 on timeout. */
int ts_run(char **out, int timeout_ms, const char *const *argv);
int ts_runl(char **out, int timeout_ms, const char *arg0, ...) __attribute__((sentinel));

/* ---- the server process and raw sockets (harness_proc.c) ------------- */

/* Whether the server runs under a sanitizer: this test was built with one
 * (so was the server next to it), or RINGKV_SERVER_SANITIZER names the
 * server's ("address", "thread": scripts/test runs release-built tests
 * against a ThreadSanitizer server). Such a server is slower, and keeps
 * freed memory (ASan's quarantine, TSan's shadow), so RSS bounds widen. */
bool ts_server_sanitized(void);
/* Slack to add to RSS bounds, in KB (huge under TSan: RSS means little). */
long ts_rss_slack_kb(void);

/* An unused loopback port (it may be taken before you bind it). */
int ts_free_port(void);
/* Resident memory of the server process in KB, from /proc (-1 if gone). */
long ts_server_rss_kb(const struct test_server *ts);
/* A numeric INFO field ("connected_clients"), or -1 when absent. */
long long ts_info_ll(redisContext *c, const char *field);
/* Blocking TCP socket to 127.0.0.1:port with source address `src` (any
 * 127.x.y.z works on Linux loopback), or -1 with errno. */
int ts_tcp_connect_from(const char *src, int port);
/* Connects to host (an IPv4 or IPv6 literal):port, or -1 with errno. */
int ts_tcp_connect_host(const char *host, int port);
/* Reads and discards until EOF or a reset (true), or timeout (false). */
bool ts_fd_wait_closed(int fd, int timeout_ms);
/* Raises this process's RLIMIT_NOFILE soft limit to at least n (up to the
 * hard limit); returns the resulting soft limit. */
long ts_raise_nofile(long n);

/* ---- data directories and files (persistence tests) ----------------- */

/* Creates an empty directory $TMPDIR/ringkv-data-XXXXXX (or under /tmp)
 * and writes its path to buf: a --dir that outlives one server, so that
 * the next one started on it loads what the first saved. */
void ts_mkdtemp(char *buf, size_t cap);
/* Removes the files directly in dir, then dir; complains on stderr about
 * what it could not remove. */
void ts_rmdir_files(const char *dir);
/* A whole file (rk_free it) and its length, or NULL with errno. */
char *ts_read_file(const char *path, size_t *len);
/* Creates or replaces path with len bytes; fails the test on error. */
void ts_write_file(const char *path, const void *buf, size_t len);

/* ---- misc ------------------------------------------------------------ */

void ts_sleep_ms(int ms);
long long ts_now_ms(void); /* monotonic */
/* Polls cond every 20 ms until it holds or ms have passed. */
#define WAIT_FOR(cond, ms)                                                   \
    do {                                                                     \
        long long wf_deadline_ = ts_now_ms() + (ms);                         \
        while (!(cond) && ts_now_ms() < wf_deadline_)                        \
            ts_sleep_ms(20);                                                 \
    } while (0)

#endif
