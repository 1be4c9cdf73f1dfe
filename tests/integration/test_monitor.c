/* test_monitor.c — MONITOR: commands of every connection, whichever shard
 * it sits on, in Redis's line format; scripts, transactions, redaction,
 * what is never shown, and RESET. Every expectation holds on redis-server
 * 7.0 (RINGKV_TEST_REDIS=1). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(monitor, .timeout = 60);

static redisContext *start_monitor(void)
{
    redisContext *m = ts_connect(g_server);
    ts_assert_status(ts_cmd(m, "MONITOR"), "OK");
    return m;
}

/* The next line the monitor got, without its timestamp: "[db source] args". */
static char *next_line(redisContext *m)
{
    redisReply *r = ts_reply(m);
    cr_assert(r && r->type == REDIS_REPLY_STATUS, "monitor line expected");
    char *bracket = strchr(r->str, '[');
    cr_assert(bracket, "%s", r->str);
    char stamp[32];
    cr_assert(sscanf(r->str, "%31[0-9.] [", stamp) == 1 && strchr(stamp, '.'), "%s", r->str);
    char *line = strdup(bracket);
    freeReplyObject(r);
    return line;
}

/* Asserts the next line is "[<db> <anything>] <args>" with args exact. */
static void expect_line(redisContext *m, int db, const char *source, const char *args)
{
    char *line = next_line(m);
    char head[32];
    int n = snprintf(head, sizeof head, "[%d ", db);
    cr_expect(strncmp(line, head, (size_t)n) == 0, "line %s, want db %d", line, db);
    char *close = strstr(line, "] ");
    cr_assert(close, "%s", line);
    if (source) cr_expect(strncmp(line + n, source, strlen(source)) == 0, "line %s, want source %s", line, source);
    cr_expect_str_eq(close + 2, args);
    free(line);
}

TS_TEST(monitor, commands_of_connections_on_every_shard)
{
    redisContext *m = start_monitor();
    enum { N = 8 };
    redisContext *c[N];
    for (int i = 0; i < N; i++) c[i] = ts_connect(g_server); /* spread over the shards */
    for (int i = 0; i < N; i++) {
        const char *argv[] = {"SET", NULL, "a\"b\n\x01"};
        char key[16];
        snprintf(key, sizeof key, "mon:%d", i);
        argv[1] = key;
        size_t lens[] = {3, strlen(key), 5};
        ts_assert_status(ts_cmd_argv(c[i], 3, argv, lens), "OK");
        /* one at a time, so the lines come in this order */
        char want[64];
        snprintf(want, sizeof want, "\"SET\" \"%s\" \"a\\\"b\\n\\x01\"", key);
        expect_line(m, 0, "127.0.0.1:", want);
    }
    for (int i = 0; i < N; i++) redisFree(c[i]);
    redisFree(m);
}

TS_TEST(monitor, scripts_transactions_and_what_is_hidden)
{
    redisContext *m = start_monitor();
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "EVAL %s 1 %s", "redis.call('set', KEYS[1], 'x') return 1", "mon{k}"), 1);
    expect_line(m, 0, NULL, "\"EVAL\" \"redis.call('set', KEYS[1], 'x') return 1\" \"1\" \"mon{k}\"");
    expect_line(m, 0, "lua", "\"set\" \"mon{k}\" \"x\"");

    /* administrative commands are not shown; the GET after proves it */
    ts_assert_status(ts_cmd(c, "MULTI"), "OK");
    ts_assert_status(ts_cmd(c, "SET mon:a 1"), "QUEUED");
    ts_assert_status(ts_cmd(c, "INCR mon:b"), "QUEUED");
    redisReply *r = ts_cmd(c, "EXEC");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    redisReply *cfg = ts_cmd(c, "CONFIG GET maxmemory");
    freeReplyObject(cfg);
    ts_assert_nil(ts_cmd(c, "GET mon:none"));
    expect_line(m, 0, NULL, "\"MULTI\"");
    expect_line(m, 0, NULL, "\"SET\" \"mon:a\" \"1\"");
    expect_line(m, 0, NULL, "\"INCR\" \"mon:b\"");
    expect_line(m, 0, NULL, "\"EXEC\"");
    expect_line(m, 0, NULL, "\"GET\" \"mon:none\"");

    /* a transaction discarded for an error shows MULTI and EXEC only */
    ts_assert_status(ts_cmd(c, "MULTI"), "OK");
    redisReply *bad = ts_cmd(c, "SET mon:a");
    cr_expect_eq(bad->type, REDIS_REPLY_ERROR);
    freeReplyObject(bad);
    redisReply *abort = ts_cmd(c, "EXEC");
    cr_expect_eq(abort->type, REDIS_REPLY_ERROR);
    freeReplyObject(abort);
    expect_line(m, 0, NULL, "\"MULTI\"");
    expect_line(m, 0, NULL, "\"EXEC\"");

    /* credentials are redacted; SELECT shows the database it selected */
    redisReply *auth = ts_cmd(c, "AUTH secret");
    cr_expect_eq(auth->type, REDIS_REPLY_ERROR);
    freeReplyObject(auth);
    redisReply *hello = ts_cmd(c, "HELLO 2 AUTH user pass");
    cr_expect_eq(hello->type, REDIS_REPLY_ERROR);
    freeReplyObject(hello);
    ts_assert_status(ts_cmd(c, "SELECT 3"), "OK");
    expect_line(m, 0, NULL, "\"AUTH\" \"(redacted)\"");
    expect_line(m, 0, NULL, "\"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\"");
    expect_line(m, 3, NULL, "\"SELECT\" \"3\"");
    redisFree(c);
    redisFree(m);
}

TS_TEST(monitor, reset_ends_it_and_client_list_shows_it)
{
    redisContext *m = start_monitor();
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "CLIENT LIST");
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    cr_expect(strstr(r->str, "flags=O "), "%s", r->str);
    freeReplyObject(r);
    /* CLIENT LIST is administrative, CLIENT ID is not */
    redisReply *id = ts_cmd(c, "CLIENT ID");
    freeReplyObject(id);
    expect_line(m, 0, NULL, "\"CLIENT\" \"ID\"");

    ts_assert_status(ts_cmd(m, "RESET"), "RESET");
    ts_assert_status(ts_cmd(c, "SET mon:after 1"), "OK");
    /* the monitor now answers its own commands only: no line came */
    ts_assert_status(ts_cmd(m, "PING"), "PONG");
    r = ts_cmd(c, "CLIENT LIST");
    cr_expect(!strstr(r->str, "flags=O "), "%s", r->str);
    freeReplyObject(r);
    redisFree(c);
    redisFree(m);
}

TS_TEST(monitor, refused_inside_multi)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_status(ts_cmd(c, "MULTI"), "OK");
    ts_assert_status(ts_cmd(c, "MONITOR"), "QUEUED");
    redisReply *r = ts_cmd(c, "EXEC");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 1);
    cr_expect_eq(r->element[0]->type, REDIS_REPLY_ERROR);
    cr_expect_str_eq(r->element[0]->str, "ERR MONITOR isn't allowed for DENY BLOCKING client");
    freeReplyObject(r);
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    redisFree(c);
}
