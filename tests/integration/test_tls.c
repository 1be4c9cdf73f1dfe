/* test_tls.c — TLS connections on tls-port: commands and pipelines over
 * TLS on every shard, client certificates as tls-auth-clients asks,
 * redis-cli and redis-benchmark with --tls, and the bad cases that must
 * close only their own connection (a plain-text client, an aborted
 * handshake, an untrusted certificate). Certificates are made once per
 * run with the openssl tool; the client side is OpenSSL, the replies are
 * read with hiredis's reader. */
#include "harness.h"

#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- certificates ------------------------------------------------------ */

static char certs[256]; /* the directory holding them */

static void path_of(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", certs, name); }

/* A CA, a server certificate and a client certificate it signed, and a
 * second CA with a client certificate of its own (one the server does not
 * trust). EC keys: quick to make. */
static void make_certs(void)
{
    if (certs[0]) return;
    snprintf(certs, sizeof certs, "/tmp/ringkv-tls-XXXXXX");
    cr_assert(mkdtemp(certs), "mkdtemp: %s", strerror(errno));
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s; key='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';"
             "for ca in ca other; do openssl req -x509 $key -keyout $ca.key -out $ca.crt -days 2 -subj /CN=$ca; done;"
             "sign() { openssl req $key -keyout $1.key -out $1.csr -subj /CN=$1;"
             "  openssl x509 -req -in $1.csr -CA $2.crt -CAkey $2.key -CAcreateserial -out $1.crt -days 2; };"
             "sign server ca; sign client ca; sign stranger other",
             certs);
    char quiet[4200];
    snprintf(quiet, sizeof quiet, "(%s) >/dev/null 2>&1", cmd);
    cr_assert(system(quiet) == 0, "openssl could not make the test certificates: %s", cmd);
}

static void remove_certs(void)
{
    if (!certs[0]) return;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", certs);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", certs);
}

/* ---- a server with a TLS port -------------------------------------------- */

static int tls_port;

/* Starts the server with a TLS port (on a port free a moment ago, retried
 * when someone took it), the test certificates, and the extra arguments
 * (up to 6). */
static struct test_server *start_tls(const char *a1, const char *a2, const char *a3, const char *a4)
{
    make_certs();
    char cert[512], key[512], ca[512];
    path_of(cert, sizeof cert, "server.crt");
    path_of(key, sizeof key, "server.key");
    path_of(ca, sizeof ca, "ca.crt");
    for (int attempt = 0; attempt < 5; attempt++) {
        tls_port = ts_free_port();
        char port[16];
        snprintf(port, sizeof port, "%d", tls_port);
        int status;
        struct test_server *ts =
            ts_try_start(&status, "--tls-port", port, "--tls-cert-file", cert, "--tls-key-file", key,
                         "--tls-ca-cert-file", ca, a1, a2, a3, a4, NULL);
        if (ts) return ts;
    }
    cr_assert_fail("the server did not start with a TLS port");
    return NULL;
}

/* ---- a TLS client ---------------------------------------------------------- */

struct tls_client {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    redisReader *reader;
};

/* Connects and completes the handshake, presenting the named client
 * certificate (NULL: none) and offering a session to resume (NULL: none);
 * NULL when the server refused. */
/* The client context presenting the named certificate (NULL: none), one
 * per name for the whole run, as a client library keeps one: a session
 * is resumed through the context that made it. */
static SSL_CTX *client_ctx(const char *cert_name)
{
    static struct { char name[16]; SSL_CTX *ctx; } made[4];
    const char *key = cert_name ? cert_name : "";
    for (size_t i = 0; i < 4; i++)
        if (made[i].ctx && strcmp(made[i].name, key) == 0) return made[i].ctx;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    char ca[512];
    path_of(ca, sizeof ca, "ca.crt");
    cr_assert(SSL_CTX_load_verify_locations(ctx, ca, NULL) == 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL); /* the server's certificate is checked too */
    if (cert_name) {
        char crt[512], pem[512], name[64];
        snprintf(name, sizeof name, "%s.crt", cert_name);
        path_of(crt, sizeof crt, name);
        snprintf(name, sizeof name, "%s.key", cert_name);
        path_of(pem, sizeof pem, name);
        cr_assert(SSL_CTX_use_certificate_file(ctx, crt, SSL_FILETYPE_PEM) == 1);
        cr_assert(SSL_CTX_use_PrivateKey_file(ctx, pem, SSL_FILETYPE_PEM) == 1);
    }
    for (size_t i = 0; i < 4; i++)
        if (!made[i].ctx) {
            snprintf(made[i].name, sizeof made[i].name, "%s", key);
            made[i].ctx = ctx;
            return ctx;
        }
    cr_assert_fail("more than 4 client contexts");
    return NULL;
}

static struct tls_client *tc_connect_resuming(const char *cert_name, SSL_SESSION *session)
{
    struct tls_client *tc = calloc(1, sizeof(*tc));
    tc->fd = ts_tcp_connect(tls_port);
    cr_assert(tc->fd >= 0, "connect: %s", strerror(errno));
    struct timeval tv = {.tv_sec = 10};
    setsockopt(tc->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    tc->ctx = client_ctx(cert_name);
    tc->ssl = SSL_new(tc->ctx);
    if (session) SSL_set_session(tc->ssl, session);
    SSL_set_fd(tc->ssl, tc->fd);
    tc->reader = redisReaderCreate();
    if (SSL_connect(tc->ssl) != 1) {
        ERR_clear_error();
        SSL_free(tc->ssl);
        close(tc->fd);
        redisReaderFree(tc->reader);
        free(tc);
        return NULL;
    }
    return tc;
}

static struct tls_client *tc_connect(const char *cert_name) { return tc_connect_resuming(cert_name, NULL); }

static void tc_close(struct tls_client *tc)
{
    /* A session ended without close_notify is not resumable (OpenSSL). */
    SSL_shutdown(tc->ssl);
    ERR_clear_error();
    SSL_free(tc->ssl);
    close(tc->fd);
    redisReaderFree(tc->reader);
    free(tc);
}

static bool tc_send(struct tls_client *tc, int argc, const char **argv)
{
    char *buf;
    int len = redisFormatCommandArgv(&buf, argc, argv, NULL);
    bool ok = len > 0 && SSL_write(tc->ssl, buf, len) == len;
    redisFreeCommand(buf);
    return ok;
}

/* The next reply, or NULL when the server closed the session or the read
 * failed. */
static redisReply *tc_reply(struct tls_client *tc)
{
    for (;;) {
        void *reply = NULL;
        cr_assert(redisReaderGetReply(tc->reader, &reply) == REDIS_OK, "a malformed reply");
        if (reply) return reply;
        char buf[16384];
        int n = SSL_read(tc->ssl, buf, sizeof buf);
        if (n <= 0) {
            ERR_clear_error();
            return NULL;
        }
        redisReaderFeed(tc->reader, buf, (size_t)n);
    }
}

static redisReply *tc_cmd(struct tls_client *tc, int argc, const char **argv)
{
    if (!tc_send(tc, argc, argv)) return NULL;
    return tc_reply(tc);
}

#define TC(tc, ...)                                                                                \
    tc_cmd((tc), (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)),              \
           (const char *[]){__VA_ARGS__})

/* Whether a session answers PING: a refused client certificate shows at
 * the handshake (TLS 1.2) or at the first read (TLS 1.3). */
static bool tc_pings(struct tls_client *tc)
{
    redisReply *r = TC(tc, "PING");
    bool ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    if (r) freeReplyObject(r);
    return ok;
}

static void assert_server_serves(struct test_server *ts)
{
    redisContext *c = ts_connect(ts);
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    redisFree(c);
    struct tls_client *tc = tc_connect("client");
    cr_assert(tc, "a good TLS client could not connect");
    cr_assert(tc_pings(tc), "a good TLS client got no PONG");
    tc_close(tc);
}

static void stop(struct test_server *ts) { cr_assert_eq(ts_stop(ts), 0, "the server did not exit cleanly"); }

/* A server closing a refused session must fail a write, not kill the test. */
static void ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

TestSuite(tls, .init = ignore_sigpipe, .fini = remove_certs);

Test(tls, commands_and_pipelines_on_every_shard)
{
    struct test_server *ts = start_tls(NULL, NULL, NULL, NULL);
    struct tls_client *tc = tc_connect("client");
    cr_assert(tc, "TLS handshake failed");
    static const char *const keys[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "kilo"};
    ts_assert_spread(keys, 8, 4);
    /* A pipeline of writes and reads across shards, sent in one write. */
    for (int i = 0; i < 8; i++) cr_assert(tc_send(tc, 3, (const char *[]){"SET", keys[i], keys[(i + 1) % 8]}));
    for (int i = 0; i < 8; i++) cr_assert(tc_send(tc, 2, (const char *[]){"GET", keys[i]}));
    for (int i = 0; i < 8; i++) ts_assert_status(tc_reply(tc), "OK");
    for (int i = 0; i < 8; i++) ts_assert_bulk(tc_reply(tc), keys[(i + 1) % 8]);
    /* Many records each way: a 1 MB value in and out. */
    size_t big = 1 << 20;
    char *value = malloc(big + 1);
    for (size_t i = 0; i < big; i++) value[i] = (char)('a' + i % 26);
    value[big] = '\0';
    const char *set[] = {"SET", "big", value};
    size_t lens[] = {3, 3, big};
    char *cmd;
    int len = redisFormatCommandArgv(&cmd, 3, set, lens);
    cr_assert(SSL_write(tc->ssl, cmd, len) == len);
    redisFreeCommand(cmd);
    ts_assert_status(tc_reply(tc), "OK");
    redisReply *r = TC(tc, "GET", "big");
    cr_assert(r && r->type == REDIS_REPLY_STRING && r->len == big && memcmp(r->str, value, big) == 0,
              "the 1 MB value came back different");
    freeReplyObject(r);
    free(value);
    /* What TLS clients write, plain clients read. */
    redisContext *c = ts_connect(ts);
    ts_assert_bulk(ts_cmd(c, "GET %s", "alpha"), "bravo");
    ts_assert_int(ts_cmd(c, "STRLEN big"), (long long)big);
    redisFree(c);
    tc_close(tc);
    stop(ts);
}

Test(tls, redis_cli_and_redis_benchmark_with_tls)
{
    struct test_server *ts = start_tls(NULL, NULL, NULL, NULL);
    char tls_args[2048], cmd[8192];
    snprintf(tls_args, sizeof tls_args, "-p %d --tls --cacert %s/ca.crt --cert %s/client.crt --key %s/client.key",
             tls_port, certs, certs, certs);
    snprintf(cmd, sizeof cmd, "redis-cli %s SET cli-key from-cli >/dev/null && redis-cli %s GET cli-key", tls_args,
             tls_args);
    FILE *p = popen(cmd, "r");
    char out[256] = "";
    cr_assert(fgets(out, sizeof out, p) != NULL, "redis-cli --tls printed nothing");
    cr_assert_eq(pclose(p), 0);
    cr_assert_str_eq(out, "from-cli\n");
    snprintf(cmd, sizeof cmd, "redis-benchmark %s -n 2000 -c 4 -P 16 -r 1000 -t set -q >/dev/null 2>&1", tls_args);
    cr_assert_eq(system(cmd), 0, "redis-benchmark --tls failed");
    redisContext *c = ts_connect(ts);
    redisReply *r = ts_cmd(c, "DBSIZE");
    cr_assert(r->type == REDIS_REPLY_INTEGER && r->integer > 1, "redis-benchmark --tls wrote no keys");
    freeReplyObject(r);
    redisFree(c);
    stop(ts);
}

Test(tls, plain_text_client_on_the_tls_port_is_closed_alone)
{
    struct test_server *ts = start_tls(NULL, NULL, NULL, NULL);
    struct tls_client *good = tc_connect("client");
    cr_assert(good);
    ts_assert_status(TC(good, "SET", "k", "v"), "OK");
    int fd = ts_tcp_connect(tls_port);
    cr_assert(fd >= 0);
    static const char ping[] = "*1\r\n$4\r\nPING\r\n";
    cr_assert(write(fd, ping, sizeof ping - 1) == (ssize_t)sizeof ping - 1);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[256];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        cr_assert(memmem(buf, (size_t)n, "PONG", 4) == NULL, "a plain-text PING was answered on the TLS port");
    }
    cr_assert(n == 0 || errno == ECONNRESET, "the plain-text client was not closed: %s", strerror(errno));
    close(fd);
    /* The session already open and the keys are untouched. */
    ts_assert_bulk(TC(good, "GET", "k"), "v");
    tc_close(good);
    assert_server_serves(ts);
    stop(ts);
}

Test(tls, aborted_and_stalled_handshakes_hurt_no_one)
{
    struct test_server *ts = start_tls(NULL, NULL, NULL, NULL);
    /* One client opens and says nothing; another sends half a hello (a
     * TLS record header announcing more than it sends) and vanishes. */
    int silent = ts_tcp_connect(tls_port);
    cr_assert(silent >= 0);
    for (int i = 0; i < 20; i++) {
        int fd = ts_tcp_connect(tls_port);
        cr_assert(fd >= 0);
        static const unsigned char half_hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03};
        cr_assert(write(fd, half_hello, sizeof half_hello) == (ssize_t)sizeof half_hello);
        close(fd);
    }
    assert_server_serves(ts);
    close(silent);
    assert_server_serves(ts);
    stop(ts);
}

Test(tls, client_certificates_as_tls_auth_clients_asks)
{
    /* yes (the default): a certificate from the configured CA is needed. */
    struct test_server *ts = start_tls(NULL, NULL, NULL, NULL);
    struct tls_client *tc = tc_connect(NULL);
    cr_assert(!tc || !tc_pings(tc), "a client without a certificate was served under tls-auth-clients yes");
    if (tc) tc_close(tc);
    tc = tc_connect("stranger");
    cr_assert(!tc || !tc_pings(tc), "a certificate from an untrusted CA was accepted");
    if (tc) tc_close(tc);
    assert_server_serves(ts);
    stop(ts);

    /* optional: none is fine, but one that is sent must be trusted. */
    ts = start_tls("--tls-auth-clients", "optional", NULL, NULL);
    tc = tc_connect(NULL);
    cr_assert(tc && tc_pings(tc), "tls-auth-clients optional refused a client without a certificate");
    tc_close(tc);
    tc = tc_connect("stranger");
    cr_assert(!tc || !tc_pings(tc), "tls-auth-clients optional accepted an untrusted certificate");
    if (tc) tc_close(tc);
    stop(ts);

    /* no: none asked. */
    ts = start_tls("--tls-auth-clients", "no", NULL, NULL);
    tc = tc_connect(NULL);
    cr_assert(tc && tc_pings(tc), "tls-auth-clients no refused a client without a certificate");
    tc_close(tc);
    stop(ts);
}

Test(tls, protocols_limit_the_versions_spoken)
{
    struct test_server *ts = start_tls("--tls-protocols", "TLSv1.2", NULL, NULL);
    struct tls_client *tc = tc_connect("client");
    cr_assert(tc && tc_pings(tc));
    cr_assert_str_eq(SSL_get_version(tc->ssl), "TLSv1.2");
    tc_close(tc);
    stop(ts);
}

Test(tls, configuration_errors)
{
    make_certs();
    /* A certificate that cannot be read stops the server at startup. */
    char port[16];
    snprintf(port, sizeof port, "%d", ts_free_port());
    int status;
    struct test_server *ts = ts_try_start(&status, "--tls-port", port, "--tls-cert-file", "/nonexistent/server.crt",
                                          "--tls-key-file", "/nonexistent/server.key", "--tls-auth-clients", "no",
                                          NULL);
    if (ts) {
        ts_kill(ts);
        cr_assert_fail("the server started with a certificate that does not exist");
    }
    cr_assert_neq(status, 0);

    /* At runtime, a bad setting is refused and the old context stays. */
    ts = start_tls(NULL, NULL, NULL, NULL);
    redisContext *c = ts_connect(ts);
    ts_assert_error(ts_cmd(c, "CONFIG SET tls-cert-file /nonexistent/server.crt"),
                    "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS "
                    "configuration. Check server logs.");
    ts_assert_error(ts_cmd(c, "CONFIG SET tls-protocols bogus"),
                    "ERR CONFIG SET failed (possibly related to argument 'tls-protocols') - Unable to update TLS "
                    "configuration. Check server logs.");
    redisReply *r = ts_cmd(c, "CONFIG GET tls-cert-file");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && strstr(r->element[1]->str, "server.crt") &&
              strstr(r->element[1]->str, "/nonexistent") == NULL,
              "a refused tls-cert-file was kept");
    freeReplyObject(r);
    r = ts_cmd(c, "CONFIG GET tls-port");
    char want[16];
    snprintf(want, sizeof want, "%d", tls_port);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && strcmp(r->element[1]->str, want) == 0);
    freeReplyObject(r);
    /* A good change applies to the next connection. */
    ts_assert_ok(ts_cmd(c, "CONFIG SET tls-auth-clients no"));
    struct tls_client *tc = tc_connect(NULL);
    cr_assert(tc && tc_pings(tc), "CONFIG SET tls-auth-clients no did not apply");
    tc_close(tc);
    redisFree(c);
    stop(ts);
}

/* tls-port moves at runtime, and opens and closes: CONFIG SET, as Redis. */
Test(tls, tls_port_changes_at_runtime)
{
    struct test_server *ts = start_tls(NULL, NULL, NULL, NULL);
    redisContext *c = ts_connect(ts);
    int old = tls_port;
    tls_port = ts_free_port();
    ts_assert_ok(ts_cmd(c, "CONFIG SET tls-port %d", tls_port));
    struct tls_client *tc = tc_connect("client");
    cr_assert(tc && tc_pings(tc), "no TLS on the new tls-port");
    tc_close(tc);
    cr_assert(ts_tcp_connect(old) < 0, "the old tls-port still accepts connections");
    ts_assert_ok(ts_cmd(c, "CONFIG SET tls-port 0"));
    cr_assert(ts_tcp_connect(tls_port) < 0, "tls-port 0 left a TLS listener");
    tls_port = ts_free_port();
    ts_assert_ok(ts_cmd(c, "CONFIG SET tls-port %d", tls_port));
    assert_server_serves(ts);
    redisFree(c);
    stop(ts);
}

/* A session resumes whichever shard accepts the new connection: every
 * shard's context shares the ticket keys. Eight reconnections land on
 * several of 4 shards (SO_REUSEPORT spreads them by their ports). */
Test(tls, sessions_resume_on_every_shard)
{
    struct test_server *ts = start_tls(NULL, NULL, NULL, NULL);
    struct tls_client *first = tc_connect("client");
    cr_assert(first && tc_pings(first)); /* TLS 1.3 tickets arrive after the handshake */
    SSL_SESSION *session = SSL_get1_session(first->ssl);
    cr_assert(session && SSL_SESSION_is_resumable(session), "the server gave no resumable session");
    tc_close(first);
    for (int i = 0; i < 8; i++) {
        struct tls_client *tc = tc_connect_resuming("client", session);
        cr_assert(tc && tc_pings(tc), "reconnection %d failed", i);
        cr_assert(SSL_session_reused(tc->ssl), "reconnection %d did a full handshake", i);
        tc_close(tc);
    }
    SSL_SESSION_free(session);
    stop(ts);
}
