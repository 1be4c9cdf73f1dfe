/* test_server.c — server commands redis-diff found missing or different:
 * LASTSAVE, MEMORY, FUNCTION FLUSH. Every expectation holds on redis-server 7.0.15
 * (RINGKV_TEST_REDIS=1). */
#include "harness.h"
#include "strings_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <string.h>

TestSuite(server, .timeout = 60);

static long long int_reply(redisContext *c, const char *cmd)
{
    redisReply *r = ts_cmd(c, cmd);
    cr_assert_eq(r->type, REDIS_REPLY_INTEGER, "%s", cmd);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* Before any save, the data counts as saved when the server started. */
TS_TEST(server, lastsave_is_the_start_time)
{
    redisContext *c = ts_connect(g_server);
    redisReply *t = ts_cmd(c, "TIME");
    cr_assert(t->type == REDIS_REPLY_ARRAY && t->elements == 2);
    long long now = atoll(t->element[0]->str);
    freeReplyObject(t);
    long long last = int_reply(c, "LASTSAVE");
    cr_expect(last <= now && last >= now - 30, "LASTSAVE %lld, TIME %lld", last, now);
    ts_sleep_ms(1100);
    cr_expect_eq(int_reply(c, "LASTSAVE"), last);
    ts_assert_error(ts_cmd(c, "LASTSAVE x"), "ERR wrong number of arguments for 'lastsave' command");
    redisFree(c);
}

/* MEMORY USAGE: nil for a missing key, a size that grows with the value,
 * Redis's argument errors. */
TS_TEST(server, memory_usage)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_nil(ts_cmd(c, "MEMORY USAGE missing"));
    ts_assert_ok(ts_cmd(c, "SET small v"));
    long long small = su_int(ts_cmd(c, "MEMORY USAGE small"));
    cr_assert(small > 0, "%lld", small);
    static char x10k[10001], v100[101];
    memset(x10k, 'x', 10000);
    memset(v100, 'v', 100);
    ts_assert_ok(ts_cmd(c, "SET big %s", x10k));
    long long big = su_int(ts_cmd(c, "MEMORY USAGE big SAMPLES 0"));
    cr_assert(big >= 10000 && big < 20000, "%lld", big);
    for (int i = 0; i < 200; i++) ts_assert_int(ts_cmd(c, "HSET h field:%d %s", i, v100), 1);
    long long hash = su_int(ts_cmd(c, "MEMORY USAGE h"));
    cr_assert(hash >= 200 * 100, "%lld", hash);
    ts_assert_error(ts_cmd(c, "MEMORY USAGE small SAMPLES -1"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "MEMORY USAGE small SAMPLES x"), "ERR value is not an integer or out of range");
    ts_assert_error(ts_cmd(c, "MEMORY USAGE small SAMPLES"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "MEMORY USAGE small FOO"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "MEMORY USAGE"), "ERR wrong number of arguments for 'memory|usage' command");
    ts_assert_error(ts_cmd(c, "MEMORY FOO"), "ERR unknown subcommand 'FOO'. Try MEMORY HELP.");
    ts_assert_ok(ts_cmd(c, "MEMORY PURGE"));
    ts_assert_bulk(ts_cmd(c, "GET small"), "v");
    redisFree(c);
}

/* FUNCTION FLUSH empties the (always empty) function library; its
 * arguments are checked as Redis does. */
TS_TEST(server, function_flush)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_ok(ts_cmd(c, "FUNCTION FLUSH"));
    ts_assert_ok(ts_cmd(c, "FUNCTION FLUSH ASYNC"));
    ts_assert_ok(ts_cmd(c, "FUNCTION FLUSH sync"));
    ts_assert_error(ts_cmd(c, "FUNCTION FLUSH X"), "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    ts_assert_error(ts_cmd(c, "FUNCTION FLUSH a b"),
                    "ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.");
    ts_assert_error(ts_cmd(c, "FUNCTION"), "ERR wrong number of arguments for 'function' command");
    ts_assert_bulk(ts_cmd(c, "GET k"), "v"); /* keys are not functions */
    redisFree(c);
}

/* A server without replicas: ROLE and INFO replication say so, in Redis's
 * shapes (clients check them to find the master). */
TS_TEST(server, role_and_info_replication)
{
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "ROLE");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3);
    cr_assert(r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0);
    cr_assert(r->element[1]->type == REDIS_REPLY_INTEGER && r->element[1]->integer == 0);
    cr_assert(r->element[2]->type == REDIS_REPLY_ARRAY && r->element[2]->elements == 0);
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "ROLE x"), "ERR wrong number of arguments for 'role' command");
    r = ts_cmd(c, "INFO replication");
    cr_assert(r->type == REDIS_REPLY_STRING);
    cr_assert(strncmp(r->str, "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n", 48) == 0, "%s", r->str);
    const char *id = strstr(r->str, "\r\nmaster_replid:");
    cr_assert(id, "%s", r->str);
    id += strlen("\r\nmaster_replid:");
    cr_assert(strspn(id, "0123456789abcdef") == 40 && id[40] == '\r', "%s", r->str);
    cr_assert(strstr(r->str, "\r\nmaster_repl_offset:0\r\n"), "%s", r->str);
    freeReplyObject(r);
    r = ts_cmd(c, "INFO");
    cr_assert(strstr(r->str, "\r\n# Replication\r\n"), "INFO's default sections include Replication");
    freeReplyObject(r);
    redisFree(c);
}

/* With cluster support disabled (the only mode ringkv has), as Redis:
 * every CLUSTER subcommand, READONLY, READWRITE and ASKING answer the
 * error clients take as "a standalone server". */
TS_TEST(server, cluster_commands_say_cluster_support_is_disabled)
{
    redisContext *c = ts_connect(g_server);
    static const char *const probes[] = {"CLUSTER INFO", "CLUSTER SLOTS", "CLUSTER SHARDS", "CLUSTER HELP",
                                         "CLUSTER KEYSLOT foo", "READONLY", "READWRITE", "ASKING"};
    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++)
        ts_assert_error(ts_cmd(c, probes[i]), "ERR This instance has cluster support disabled");
    ts_assert_error(ts_cmd(c, "CLUSTER NOSUCH"),
                    "ERR unknown subcommand 'NOSUCH'. Try CLUSTER HELP.");
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    redisFree(c);
}

static redisContext *connect_port(int port)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    cr_assert(c && !c->err, "connect to %d: %s", port, c ? c->errstr : "no memory");
    redisSetTimeout(c, tv);
    return c;
}

/* CONFIG SET port and bind, as Redis: the server listens on the new port
 * (on every shard: several new clients all answer), not on the old one,
 * and keeps its clients; a port someone else holds or an address this host
 * lacks is refused, with every setting of the command left as it was. */
TS_TEST(server, port_and_bind_change_at_runtime)
{
    redisContext *old = ts_connect(g_server);
    ts_assert_ok(ts_cmd(old, "SET moved yes"));
    int held = ts_free_port();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)held),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 1) == 0);
    ts_assert_error(ts_cmd(old, "CONFIG SET maxmemory 10000001 port %d", held),
                    "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. "
                    "Check server logs.");
    close(fd);
    ts_assert_array(ts_cmd(old, "CONFIG GET maxmemory"), "maxmemory", "0");
    ts_assert_error(ts_cmd(old, "CONFIG SET bind %s", "127.0.0.1 192.0.2.1"),
                    "ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.");
    ts_assert_ok(ts_cmd(old, "CONFIG SET bind %s", "127.0.0.1 -::1"));

    int port = ts_free_port();
    ts_assert_ok(ts_cmd(old, "CONFIG SET port %d", port));
    char want[16];
    snprintf(want, sizeof want, "%d", port);
    ts_assert_array(ts_cmd(old, "CONFIG GET port"), "port", want);
    for (int i = 0; i < 8; i++) {
        redisContext *c = connect_port(port);
        ts_assert_bulk(ts_cmd(c, "GET moved"), "yes");
        redisFree(c);
    }
    ts_assert_status(ts_cmd(old, "PING"), "PONG"); /* its clients stay */
    int probe = ts_tcp_connect(ts_port(g_server));
    cr_assert(probe < 0, "the old port still accepts connections");
    redisFree(old);
}

/* ringkv's own startup settings take CONFIG SET of the value they have
 * (a no-op, so replaying CONFIG GET * works), and refuse any other. */
TS_TEST(server, own_fixed_settings_accept_their_value)
{
    if (ts_is_redis()) return; /* Redis has none of them */
    redisContext *c = ts_connect(g_server);
    static const char *const own[] = {"shards", "pin-cpus", "ring-entries", "recv-buffers", "recv-buffer-size",
                                      "shard-msg-inflight"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        redisReply *r = ts_cmd(c, "CONFIG GET %s", own[i]);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "CONFIG GET %s", own[i]);
        ts_assert_ok(ts_cmd(c, "CONFIG SET %s %s", own[i], r->element[1]->str));
        freeReplyObject(r);
    }
    char want[160];
    snprintf(want, sizeof want, "ERR CONFIG SET failed (possibly related to argument 'shards') - can't set immutable config");
    ts_assert_error(ts_cmd(c, "CONFIG SET shards %d", ts_shards() + 1), want);
    redisFree(c);
}
