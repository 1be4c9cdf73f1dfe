/* SLOWLOG GET | LEN | RESET and the slowlog-* directives, as Redis 7.0's
 * unit/slowlog checks them (its DEBUG SLEEP cases aside). */
#include "harness.h"

#include <string.h>
#include <strings.h>

TestSuite(slowlog, .timeout = 60);

static void log_everything(redisContext *c)
{
    ts_assert_ok(ts_cmd(c, "CONFIG SET slowlog-log-slower-than 0"));
    ts_assert_ok(ts_cmd(c, "SLOWLOG RESET"));
}

static void log_nothing(redisContext *c) { ts_assert_ok(ts_cmd(c, "CONFIG SET slowlog-log-slower-than -1")); }

TS_TEST(slowlog, empty_then_counts_what_is_slower_than_the_threshold)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SLOWLOG RESET"));
    ts_assert_int(ts_cmd(c, "SLOWLOG LEN"), 0);
    ts_assert_ok(ts_cmd(c, "CONFIG SET slowlog-log-slower-than 10000000"));
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    ts_assert_int(ts_cmd(c, "SLOWLOG LEN"), 0);
    log_everything(c);
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    log_nothing(c);
    /* The two PINGs; with Redis also the CONFIG SET that turned it off. */
    redisReply *len = ts_cmd(c, "SLOWLOG LEN");
    cr_assert_eq(len->type, REDIS_REPLY_INTEGER);
    long long n = len->integer;
    freeReplyObject(len);
    cr_assert(n >= 2 && n <= 3, "SLOWLOG LEN %lld after two PINGs", n);
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    ts_assert_int(ts_cmd(c, "SLOWLOG LEN"), n);
    redisFree(c);
}

TS_TEST(slowlog, max_len_get_count_and_reset)
{
    redisContext *c = ts_connect(g_server);
    log_everything(c);
    ts_assert_ok(ts_cmd(c, "CONFIG SET slowlog-max-len 10"));
    for (int i = 0; i < 100; i++) ts_assert_status(ts_cmd(c, "PING"), "PONG");
    ts_assert_int(ts_cmd(c, "SLOWLOG LEN"), 10);
    redisReply *r = ts_cmd(c, "SLOWLOG GET 5");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 5, "SLOWLOG GET 5: want 5 entries");
    /* Newest first: ids decrease. */
    for (size_t i = 1; i < r->elements; i++)
        cr_assert_gt(r->element[i - 1]->element[0]->integer, r->element[i]->element[0]->integer);
    freeReplyObject(r);
    r = ts_cmd(c, "SLOWLOG GET -1");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 10, "SLOWLOG GET -1: want all 10 entries");
    freeReplyObject(r);
    r = ts_cmd(c, "SLOWLOG GET");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 10, "SLOWLOG GET: want the default 10");
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "SLOWLOG GET -2"), "ERR count should be greater than or equal to -1");
    ts_assert_error(ts_cmd(c, "SLOWLOG GET x"), "ERR count should be greater than or equal to -1");
    log_nothing(c);
    ts_assert_ok(ts_cmd(c, "SLOWLOG RESET"));
    ts_assert_int(ts_cmd(c, "SLOWLOG LEN"), 0);
    ts_assert_ok(ts_cmd(c, "CONFIG SET slowlog-max-len 128"));
    redisFree(c);
}

/* [id, unix time, microseconds, [args], "ip:port", name]. */
TS_TEST(slowlog, entry_shape)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "CLIENT SETNAME slowclient"));
    log_everything(c);
    ts_assert_bulk(ts_cmd(c, "ECHO hello"), "hello");
    log_nothing(c);
    redisReply *r = ts_cmd(c, "SLOWLOG GET -1");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements >= 1);
    redisReply *e = NULL;
    for (size_t i = 0; i < r->elements && !e; i++) {
        redisReply *args = r->element[i]->element[3];
        if (args->elements == 2 && strcmp(args->element[0]->str, "ECHO") == 0) e = r->element[i];
    }
    cr_assert(e, "no entry for ECHO hello");
    cr_assert_eq(e->elements, 6);
    cr_assert_eq(e->element[0]->type, REDIS_REPLY_INTEGER);
    cr_assert_gt(e->element[1]->integer, 1700000000);
    cr_assert_geq(e->element[2]->integer, 0);
    cr_assert_str_eq(e->element[3]->element[1]->str, "hello");
    cr_assert(strncmp(e->element[4]->str, "127.0.0.1:", 10) == 0, "client address %s", e->element[4]->str);
    cr_assert_str_eq(e->element[5]->str, "slowclient");
    freeReplyObject(r);
    redisFree(c);
}

/* At most 32 arguments (the last says how many more) of at most 128
 * bytes (the rest counted). */
TS_TEST(slowlog, long_commands_are_trimmed)
{
    redisContext *c = ts_connect(g_server);
    log_everything(c);
    const char *argv[40];
    size_t lens[40];
    argv[0] = "SADD";
    argv[1] = "slowset";
    for (int i = 2; i < 40; i++) {
        argv[i] = "m";
        lens[i] = 1;
    }
    char members[40][8];
    for (int i = 2; i < 40; i++) {
        snprintf(members[i], sizeof members[i], "m%d", i);
        argv[i] = members[i];
        lens[i] = strlen(members[i]);
    }
    lens[0] = 4;
    lens[1] = 7;
    ts_assert_int(ts_cmd_argv(c, 40, argv, lens), 38);
    char big[200];
    memset(big, 'x', sizeof big);
    const char *set_argv[] = {"SET", "slowbig", big};
    size_t set_lens[] = {3, 7, sizeof big};
    ts_assert_ok(ts_cmd_argv(c, 3, set_argv, set_lens));
    log_nothing(c);
    redisReply *r = ts_cmd(c, "SLOWLOG GET -1");
    redisReply *sadd = NULL, *set = NULL;
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *args = r->element[i]->element[3];
        if (strcmp(args->element[0]->str, "SADD") == 0) sadd = args;
        if (strcmp(args->element[0]->str, "SET") == 0) set = args;
    }
    cr_assert(sadd && set, "SADD or SET missing from the slowlog");
    cr_assert_eq(sadd->elements, 32);
    cr_assert_str_eq(sadd->element[31]->str, "... (9 more arguments)");
    cr_assert_eq(set->element[2]->len, 128 + strlen("... (72 more bytes)"));
    cr_assert(strstr(set->element[2]->str, "... (72 more bytes)") != NULL);
    freeReplyObject(r);
    redisFree(c);
}

/* EXEC itself is not logged, the commands it ran are. */
TS_TEST(slowlog, exec_logs_its_commands)
{
    redisContext *c = ts_connect(g_server);
    log_everything(c);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_status(ts_cmd(c, "PING"), "QUEUED");
    ts_assert_status(ts_cmd(c, "ECHO inside"), "QUEUED");
    freeReplyObject(ts_cmd(c, "EXEC"));
    log_nothing(c);
    redisReply *r = ts_cmd(c, "SLOWLOG GET -1");
    bool exec = false, echo = false;
    for (size_t i = 0; i < r->elements; i++) {
        const char *name = r->element[i]->element[3]->element[0]->str;
        if (strcasecmp(name, "exec") == 0) exec = true;
        if (strcasecmp(name, "echo") == 0) echo = true;
    }
    cr_assert_not(exec, "EXEC was logged");
    cr_assert(echo, "the ECHO EXEC ran was not logged");
    freeReplyObject(r);
    redisFree(c);
}

TS_TEST(slowlog, directives)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_array(ts_cmd(c, "CONFIG GET slowlog-max-len"), "slowlog-max-len", "128");
    ts_assert_error(ts_cmd(c, "CONFIG SET slowlog-log-slower-than -2"),
                    "ERR CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than') - argument must "
                    "be between -1 and 9223372036854775807 inclusive");
    ts_assert_ok(ts_cmd(c, "CONFIG SET slowlog-log-slower-than 10000"));
    ts_assert_array(ts_cmd(c, "CONFIG GET slowlog-log-slower-than"), "slowlog-log-slower-than", "10000");
    redisFree(c);
}
