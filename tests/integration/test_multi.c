/* test_multi.c — transactions over TCP, as Redis 7.0 behaves: MULTI,
 * EXEC, DISCARD, WATCH and UNWATCH. Queued commands answer +QUEUED and run
 * in order at EXEC; errors found while queueing (unknown command, wrong
 * arity, commands refused inside MULTI) abort the transaction with
 * EXECABORT, errors found while running stay in their slot of the reply;
 * a WATCHed key touched by anyone (a write, EXPIRE, FLUSHALL/FLUSHDB and
 * SWAPDB when the key exists, its expiry) makes EXEC answer a null array,
 * and no-op writes do not touch it. Nearly every transaction uses the
 * untagged keys a b c d e, which sit on four different shards at
 * --shards 4 (checked below): the point is transactions that span shards,
 * and WATCHed keys modified by another client on a shard the watcher's
 * other keys are not on. The WATCH races at the end run a check-and-set
 * loop against a concurrent INCR thread. Every expectation holds on
 * redis-server 7.0 too (suite 'redis'). */
#include "harness.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringkv/base/util.h"

TestSuite(multi, .timeout = 120);

#define EXECABORT "EXECABORT Transaction discarded because of previous errors."
#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define NOT_INT "ERR value is not an integer or out of range"
#define NOT_IN_MULTI "ERR Command not allowed inside a transaction"

/* ---- keys and shards --------------------------------------------------- */

#define SPREAD(want, ...)                                                                \
    ts_assert_spread((const char *const[]){__VA_ARGS__},                                    \
                  sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *), want)

/* ---- transaction helpers ----------------------------------------------- */

/* Queues one command inside MULTI, asserting +QUEUED. */
__attribute__((format(printf, 2, 3))) static void queue(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    cr_assert(r, "%s: connection error: %s", fmt, c->errstr);
    char why[1024];
    bool ok = ts_reply_is(r, REDIS_REPLY_STATUS, "QUEUED", 0, why, sizeof why);
    freeReplyObject(r);
    cr_assert(ok, "queueing %s: %s", fmt, why);
}

/* One expected element of an EXEC reply. */
struct want {
    int type;
    const char *str;
    long long n;
};
#define RE_OK {REDIS_REPLY_STATUS, "OK", 0}
#define RE_STATUS(s) {REDIS_REPLY_STATUS, (s), 0}
#define RE_INT(v) {REDIS_REPLY_INTEGER, NULL, (v)}
#define RE_BULK(s) {REDIS_REPLY_STRING, (s), 0}
#define RE_NIL {REDIS_REPLY_NIL, NULL, 0}
#define RE_ERR(s) {REDIS_REPLY_ERROR, (s), 0}
#define RE_ARRAY {REDIS_REPLY_ARRAY, NULL, 0} /* checked by the caller */

/* Sends EXEC and asserts an array of n elements as described. Returns the
 * reply, for nested checks; the caller frees it. */
static redisReply *exec_check(redisContext *c, const struct want *w, size_t n)
{
    redisReply *r = ts_cmd(c, "EXEC");
    char d[2048];
    ts_reply_describe(r, d, sizeof d);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == n, "EXEC: want %zu replies, got %s", n, d);
    for (size_t i = 0; i < n; i++) {
        char why[1024];
        bool ok = w[i].type == REDIS_REPLY_ARRAY
                      ? r->element[i]->type == REDIS_REPLY_ARRAY
                      : ts_reply_is(r->element[i], w[i].type, w[i].str, w[i].n, why, sizeof why);
        cr_assert(ok, "EXEC reply %zu: %s (whole reply: %s)", i, w[i].type == REDIS_REPLY_ARRAY ? "want an array" : why,
                  d);
    }
    return r;
}
#define EXEC_CHECK(c, ...)                                                               \
    exec_check((c), (const struct want[]){__VA_ARGS__},                                  \
               sizeof((const struct want[]){__VA_ARGS__}) / sizeof(struct want))
#define EXEC_EXPECT(c, ...) freeReplyObject(EXEC_CHECK(c, __VA_ARGS__))

/* Element i of an EXEC reply is an array of these bulks (NULL for nil). */
#define ELEM_ARRAY(r, i, ...)                                                            \
    do {                                                                                 \
        const char *el_items_[] = {__VA_ARGS__};                                         \
        char el_w_[1024];                                                                \
        bool el_ok_ = ts_reply_is_array((r)->element[i], sizeof el_items_ / sizeof el_items_[0], \
                                        el_items_, el_w_, sizeof el_w_);                 \
        cr_assert(el_ok_, "EXEC reply %d: %s", (int)(i), el_w_);                        \
    } while (0)

/* MULTI, PING, EXEC: asserts the transaction ran ([PONG]). */
static void assert_exec_runs(redisContext *c, const char *why)
{
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "PING");
    redisReply *r = ts_cmd(c, "EXEC");
    char d[512];
    ts_reply_describe(r, d, sizeof d);
    bool ok = r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_STATUS &&
              strcmp(r->element[0]->str, "PONG") == 0;
    freeReplyObject(r);
    cr_assert(ok, "%s: EXEC should run ([PONG]), got %s", why, d);
}

/* MULTI, PING, EXEC: asserts EXEC failed on a touched WATCHed key (nil). */
static void assert_exec_fails(redisContext *c, const char *why)
{
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "PING");
    redisReply *r = ts_cmd(c, "EXEC");
    char d[512];
    ts_reply_describe(r, d, sizeof d);
    bool ok = r->type == REDIS_REPLY_NIL;
    freeReplyObject(r);
    cr_assert(ok, "%s: EXEC should fail (null array), got %s", why, d);
}

/* ---- MULTI / EXEC / DISCARD --------------------------------------------- */

TS_TEST(multi, exec_runs_queued_commands_in_order)
{
    SPREAD(4, "a", "b", "c", "d");
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET a 1");
    queue(c, "SET b 2");
    queue(c, "INCR c");
    queue(c, "MGET a b c");
    queue(c, "DEL a b");
    queue(c, "RPUSH d x y z");
    queue(c, "LRANGE d 0 -1");
    queue(c, "PING");
    /* Nothing ran yet. */
    ts_assert_int(ts_cmd(other, "EXISTS a b c d"), 0);
    redisReply *r = EXEC_CHECK(c, RE_OK, RE_OK, RE_INT(1), RE_ARRAY, RE_INT(2), RE_INT(3), RE_ARRAY, RE_STATUS("PONG"));
    ELEM_ARRAY(r, 3, "1", "2", "1");
    ELEM_ARRAY(r, 6, "x", "y", "z");
    freeReplyObject(r);
    ts_assert_array(ts_cmd(other, "MGET a b c"), NULL, NULL, "1");
    ts_assert_int(ts_cmd(other, "LLEN d"), 3);
    /* The connection is out of MULTI again. */
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    ts_assert_error(ts_cmd(c, "EXEC"), "ERR EXEC without MULTI");
    /* Lower case, and pipelined in one write. */
    ts_append(c, "multi");
    ts_append(c, "set a %s", "p");
    ts_append(c, "incrby c 10");
    ts_append(c, "exec");
    ts_assert_ok(ts_reply(c));
    ts_assert_status(ts_reply(c), "QUEUED");
    ts_assert_status(ts_reply(c), "QUEUED");
    redisReply *p = ts_reply(c);
    cr_assert(p->type == REDIS_REPLY_ARRAY && p->elements == 2 && p->element[1]->integer == 11);
    freeReplyObject(p);
    ts_assert_array(ts_cmd(other, "MGET a c"), "p", "11");
    /* Commands that rewrite their own arguments (SPOP) run as they would. */
    ts_assert_int(ts_cmd(c, "SADD e m"), 1);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SPOP e");
    queue(c, "EXISTS e");
    EXEC_EXPECT(c, RE_BULK("m"), RE_INT(0));
    redisFree(c);
    redisFree(other);
}

TS_TEST(multi, empty_exec)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    redisReply *r = ts_cmd(c, "EXEC");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 0, "MULTI; EXEC must answer an empty array");
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "EXEC"), "ERR EXEC without MULTI");
    redisFree(c);
}

TS_TEST(multi, discard)
{
    SPREAD(2, "mylist", "a");
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH mylist a b c"), 3);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "DEL mylist");
    queue(c, "SET a 1");
    ts_assert_ok(ts_cmd(c, "DISCARD"));
    ts_assert_array(ts_cmd(c, "LRANGE mylist 0 -1"), "a", "b", "c");
    ts_assert_int(ts_cmd(c, "EXISTS a"), 0);
    ts_assert_error(ts_cmd(c, "EXEC"), "ERR EXEC without MULTI");
    ts_assert_error(ts_cmd(c, "DISCARD"), "ERR DISCARD without MULTI");
    /* A new transaction after DISCARD starts empty. */
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "LLEN mylist");
    EXEC_EXPECT(c, RE_INT(3));
    redisFree(c);
}

/* MULTI inside MULTI and WATCH inside MULTI are refused but do not abort
 * the transaction; EXEC and DISCARD need a MULTI. */
TS_TEST(multi, misplaced_commands)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_error(ts_cmd(c, "EXEC"), "ERR EXEC without MULTI");
    ts_assert_error(ts_cmd(c, "DISCARD"), "ERR DISCARD without MULTI");
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET a 1");
    ts_assert_error(ts_cmd(c, "MULTI"), "ERR MULTI calls can not be nested");
    ts_assert_error(ts_cmd(c, "WATCH b"), "ERR WATCH inside MULTI is not allowed");
    queue(c, "SET b 2");
    EXEC_EXPECT(c, RE_OK, RE_OK);
    ts_assert_array(ts_cmd(c, "MGET a b"), "1", "2");
    /* WATCH inside MULTI watched nothing. */
    ts_assert_ok(ts_cmd(c, "SET b 3"));
    assert_exec_runs(c, "after a refused WATCH b, b changed");
    redisFree(c);
}

TS_TEST(multi, transaction_commands_arity)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_error(ts_cmd(c, "MULTI x"), "ERR wrong number of arguments for 'multi' command");
    ts_assert_error(ts_cmd(c, "WATCH"), "ERR wrong number of arguments for 'watch' command");
    ts_assert_error(ts_cmd(c, "UNWATCH x"), "ERR wrong number of arguments for 'unwatch' command");
    ts_assert_error(ts_cmd(c, "DISCARD x"), "ERR wrong number of arguments for 'discard' command");
    /* EXEC with arguments is answered EXECABORT, in MULTI or not (Redis
     * 7.0 aborts the transaction on any error refusing EXEC). */
    ts_assert_error(ts_cmd(c, "EXEC x"),
                    "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command");
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET a 1");
    ts_assert_error(ts_cmd(c, "EXEC x"),
                    "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command");
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    ts_assert_int(ts_cmd(c, "EXISTS a"), 0);
    /* DISCARD with arguments is a queueing error: EXEC then aborts. */
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET a 1");
    ts_assert_error(ts_cmd(c, "DISCARD x"), "ERR wrong number of arguments for 'discard' command");
    queue(c, "SET b 1");
    ts_assert_error(ts_cmd(c, "EXEC"), EXECABORT);
    ts_assert_int(ts_cmd(c, "EXISTS a b"), 0);
    redisFree(c);
}

/* ---- errors --------------------------------------------------------------- */

TS_TEST(multi, queueing_errors_abort_exec)
{
    SPREAD(2, "foo1", "foo2");
    redisContext *c = ts_connect(g_server);
    /* Unknown command. */
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET foo1 bar1");
    ts_assert_error(ts_cmd(c, "NON-EXISTING-COMMAND x"),
                    "ERR unknown command 'NON-EXISTING-COMMAND', with args beginning with: 'x' ");
    queue(c, "SET foo2 bar2");
    ts_assert_error(ts_cmd(c, "EXEC"), EXECABORT);
    ts_assert_int(ts_cmd(c, "EXISTS foo1 foo2"), 0);
    /* The MULTI state is cleared. */
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    ts_assert_error(ts_cmd(c, "EXEC"), "ERR EXEC without MULTI");
    /* Wrong arity. */
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET foo1 bar1");
    ts_assert_error(ts_cmd(c, "GET"), "ERR wrong number of arguments for 'get' command");
    ts_assert_error(ts_cmd(c, "SET foo2"), "ERR wrong number of arguments for 'set' command");
    queue(c, "SET foo2 bar2");
    ts_assert_error(ts_cmd(c, "EXEC"), EXECABORT);
    ts_assert_int(ts_cmd(c, "EXISTS foo1 foo2"), 0);
    /* Unknown subcommand. */
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET foo1 bar1");
    ts_assert_error(ts_cmd(c, "CONFIG FOO"), "ERR unknown subcommand 'FOO'. Try CONFIG HELP.");
    ts_assert_error(ts_cmd(c, "EXEC"), EXECABORT);
    ts_assert_int(ts_cmd(c, "EXISTS foo1"), 0);
    /* A failed EXEC unwatches too. */
    ts_assert_ok(ts_cmd(c, "WATCH foo1"));
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_error(ts_cmd(c, "FOO"), "ERR unknown command 'FOO', with args beginning with: ");
    ts_assert_error(ts_cmd(c, "EXEC"), EXECABORT);
    ts_assert_ok(ts_cmd(c, "SET foo1 x"));
    assert_exec_runs(c, "foo1 changed after an aborted EXEC");
    /* A queueing error wins over a touched WATCHed key. */
    ts_assert_ok(ts_cmd(c, "WATCH foo1"));
    ts_assert_ok(ts_cmd(c, "SET foo1 y"));
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_error(ts_cmd(c, "FOO"), "ERR unknown command 'FOO', with args beginning with: ");
    ts_assert_error(ts_cmd(c, "EXEC"), EXECABORT);
    redisFree(c);
}

TS_TEST(multi, runtime_errors_stay_in_their_slot)
{
    SPREAD(3, "s", "a", "b", "c");
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET s str"));
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET a 1");
    queue(c, "LPUSH s x");
    queue(c, "INCR s");
    queue(c, "SET b 2 FOO");
    queue(c, "GET s");
    queue(c, "INCR c");
    queue(c, "LPUSH b y");
    EXEC_EXPECT(c, RE_OK, RE_ERR(WRONGTYPE), RE_ERR(NOT_INT), RE_ERR("ERR syntax error"), RE_BULK("str"), RE_INT(1),
                RE_INT(1));
    ts_assert_array(ts_cmd(c, "MGET a c s"), "1", "1", "str");
    ts_assert_status(ts_cmd(c, "TYPE b"), "list");
    redisFree(c);
}

/* SAVE, SHUTDOWN, SYNC and PSYNC are refused while queueing, which aborts
 * EXEC. A server without one of them (ringkv does not persist) answers
 * the unknown-command error instead, which aborts EXEC just the same. */
static void refused_inside_multi(redisContext *c, const char *cmd)
{
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(cmd, " "), cmd);
    redisReply *info = ts_cmd(c, "COMMAND INFO %s", name);
    bool known = info->type == REDIS_REPLY_ARRAY && info->elements == 1 && info->element[0]->type == REDIS_REPLY_ARRAY;
    freeReplyObject(info);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET a 1");
    redisReply *r = ts_cmd(c, cmd);
    char want[256], why[1024];
    if (known)
        snprintf(want, sizeof want, NOT_IN_MULTI);
    else
        snprintf(want, sizeof want, "ERR unknown command '%s', with args beginning with: %s", name,
                 strchr(cmd, ' ') ? "'a' '1' " : "");
    bool ok = ts_reply_is(r, REDIS_REPLY_ERROR, want, 0, why, sizeof why);
    freeReplyObject(r);
    cr_assert(ok, "%s inside MULTI: %s", cmd, why);
    queue(c, "SET b 1");
    ts_assert_error(ts_cmd(c, "EXEC"), EXECABORT);
    ts_assert_int(ts_cmd(c, "EXISTS a b"), 0);
}

TS_TEST(multi, commands_refused_inside_multi)
{
    redisContext *c = ts_connect(g_server);
    refused_inside_multi(c, "SAVE");
    refused_inside_multi(c, "SHUTDOWN");
    refused_inside_multi(c, "SYNC");
    refused_inside_multi(c, "PSYNC a 1");
    ts_assert_status(ts_cmd(c, "PING"), "PONG"); /* still alive, not in MULTI */
    redisFree(c);
}

/* QUIT inside MULTI runs at once: the connection closes, nothing runs. */
TS_TEST(multi, quit_inside_multi_discards)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "MULTI\r\nSET a 1\r\nSET b 1\r\nQUIT\r\nSET c 1\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+QUEUED\r\n");
    ts_raw_expect(raw, "+QUEUED\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    cr_assert(ts_raw_wait_eof(raw, 5000), "QUIT inside MULTI must close the connection: %s", ts_raw_status(raw));
    ts_raw_close(raw);
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "EXISTS a b c"), 0);
    redisFree(c);
}

/* ---- WATCH ---------------------------------------------------------------- */

/* The watcher's transaction writes a (one shard); the other client
 * modifies b (another shard). */
TS_TEST(multi, watch_key_modified_by_another_client)
{
    SPREAD(2, "a", "b");
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "MSET a 1 b 1"));
    ts_assert_ok(ts_cmd(c, "WATCH b"));
    ts_assert_bulk(ts_cmd(c, "GET b"), "1");
    ts_assert_int(ts_cmd(other, "INCR b"), 2);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET a 2");
    queue(c, "INCR b");
    ts_assert_nil(ts_cmd(c, "EXEC"));
    ts_assert_array(ts_cmd(c, "MGET a b"), "1", "2");
    /* Not modified: it runs. */
    ts_assert_ok(ts_cmd(c, "WATCH b"));
    ts_assert_bulk(ts_cmd(other, "GET b"), "2");
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET a 2");
    queue(c, "INCR b");
    EXEC_EXPECT(c, RE_OK, RE_INT(3));
    /* Modified by the watcher itself, before MULTI. */
    ts_assert_ok(ts_cmd(c, "SET x 30"));
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_ok(ts_cmd(c, "SET x 40"));
    assert_exec_fails(c, "x set by the watcher after WATCH");
    /* A missing key created by another client. */
    ts_assert_ok(ts_cmd(c, "WATCH newkey"));
    ts_assert_ok(ts_cmd(other, "SET newkey v"));
    assert_exec_fails(c, "watched missing key created");
    redisFree(c);
    redisFree(other);
}

/* Five keys over every shard, each in turn the one modified. */
TS_TEST(multi, watch_five_keys_one_modified)
{
    static const char *const keys[] = {"a", "b", "c", "d", "e"};
    SPREAD(4, "a", "b", "c", "d", "e");
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "MSET a 1 b 1 c 1 d 1 e 1"));
    for (int i = 0; i < 5; i++) {
        ts_assert_ok(ts_cmd(c, "WATCH a b c d e"));
        ts_assert_ok(ts_cmd(other, "SET %s changed%d", keys[i], i));
        ts_assert_ok(ts_cmd(c, "MULTI"));
        for (int j = 0; j < 5; j++)
            queue(c, "SET %s mine", keys[j]);
        ts_assert_nil(ts_cmd(c, "EXEC"));
        redisReply *r = ts_cmd(c, "MGET a b c d e");
        for (int j = 0; j < 5; j++)
            cr_assert(strcmp(r->element[j]->str, "mine") != 0, "%s written by a failed EXEC", keys[j]);
        freeReplyObject(r);
    }
    /* Watched in several WATCH calls, the same key twice. */
    ts_assert_ok(ts_cmd(c, "WATCH a b"));
    ts_assert_ok(ts_cmd(c, "WATCH c a"));
    ts_assert_ok(ts_cmd(c, "WATCH d e"));
    ts_assert_int(ts_cmd(other, "DEL e"), 1);
    ts_assert_ok(ts_cmd(c, "WATCH x")); /* already dirty: still OK */
    assert_exec_fails(c, "e deleted");
    /* None modified: it runs, and writes every shard. */
    ts_assert_ok(ts_cmd(c, "WATCH a b c d e"));
    ts_assert_ok(ts_cmd(c, "MULTI"));
    for (int j = 0; j < 5; j++)
        queue(c, "SET %s mine", keys[j]);
    EXEC_EXPECT(c, RE_OK, RE_OK, RE_OK, RE_OK, RE_OK);
    ts_assert_array(ts_cmd(other, "MGET a b c d e"), "mine", "mine", "mine", "mine", "mine");
    redisFree(c);
    redisFree(other);
}

/* One watched key x, one write by another client, EXEC's verdict. */
struct touch_case {
    const char *setup; /* run first by the watcher (NULL: none), x missing before */
    const char *cmd;   /* run by the other client after WATCH x */
    bool touches;
};

static void run_touch_case(redisContext *c, redisContext *other, const struct touch_case *tc)
{
    ts_assert_ok(ts_cmd(c, "FLUSHALL"));
    if (tc->setup)
        freeReplyObject(ts_cmd(c, tc->setup));
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    freeReplyObject(ts_cmd(other, tc->cmd));
    char why[256];
    snprintf(why, sizeof why, "WATCH x after '%s', other client: '%s'", tc->setup ? tc->setup : "", tc->cmd);
    if (tc->touches)
        assert_exec_fails(c, why);
    else
        assert_exec_runs(c, why);
}

static void run_touch_cases(const struct touch_case *cases, size_t n)
{
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    for (size_t i = 0; i < n; i++)
        run_touch_case(c, other, &cases[i]);
    redisFree(c);
    redisFree(other);
}

/* Setups that make x a large collection: a hash table, a skiplist, a
 * quicklist of more than one node, a set that is no intset. */
struct large_setups {
    char set[256], hash[256], zset[256], list[9100];
};

static void make_large_setups(struct large_setups *l)
{
    char big[9001];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(l->set, sizeof l->set, "SADD x a b %.65s", big);
    snprintf(l->hash, sizeof l->hash, "HSET x f bar g %.65s", big); /* over hash-max-listpack-value */
    snprintf(l->zset, sizeof l->zset, "ZADD x 1 a 2 %.65s", big);
    snprintf(l->list, sizeof l->list, "RPUSH x %s b", big);         /* over list-max-listpack-size */
}

TS_TEST(multi, writes_touch_watched_keys)
{
    SPREAD(3, "x", "y", "z");
    static const struct touch_case cases[] = {
        {"SET x 1", "SET x 1", true}, /* the same value */
        {"SET x 1", "APPEND x 2", true},
        {"SET x 1", "DEL x", true},
        {"SET x 1", "UNLINK x", true},
        {"SET x 1", "EXPIRE x 100", true},
        {"SET x 1", "RENAME x y", true},
        {"SET y 1", "RENAME y x", true},
        {"SET y 1", "COPY y x", true},
        {"SET x 1", "MOVE x 1", true},
        {"SET x 1", "GETDEL x", true},
        {NULL, "MSET z 1 x 1", true},
        {NULL, "MSETNX z 2 x 3", true},
        {NULL, "SADD x m", true},
        {"SADD x m", "SMOVE x z m", true},
        {NULL, "SMOVE z x m", false}, /* z has no m: no move */
        {NULL, "LPUSH x a", true},
        {"RPUSH y a", "RPOPLPUSH y x", true},
        {"SET x 1", "FLUSHALL", true},
        {"SET x 1", "FLUSHDB", true},
        {"SET x 1", "SWAPDB 0 1", true},
        {"RPUSH y a", "SORT y ALPHA STORE x", true},
        {"RPUSH x bar", "SORT emptylist STORE x", true}, /* deletes x */
        {NULL, "SORT emptylist STORE x", false},         /* x stays missing */
    };
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_touch_case(c, other, &cases[i]);
    /* A transaction of another client writing x touches it; a discarded
     * one does not. */
    ts_assert_ok(ts_cmd(c, "SET x 1"));
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_ok(ts_cmd(other, "MULTI"));
    queue(other, "SET y 2");
    queue(other, "SET x 2");
    EXEC_EXPECT(other, RE_OK, RE_OK);
    assert_exec_fails(c, "x written by another client's EXEC");
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_ok(ts_cmd(other, "MULTI"));
    queue(other, "SET x 3");
    ts_assert_ok(ts_cmd(other, "DISCARD"));
    assert_exec_runs(c, "x written by a discarded transaction");
    /* A list emptied and refilled is a modification. */
    ts_assert_ok(ts_cmd(c, "FLUSHALL"));
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_int(ts_cmd(other, "LPUSH x a"), 1);
    ts_assert_bulk(ts_cmd(other, "LPOP x"), "a");
    assert_exec_fails(c, "x pushed and popped");
    redisFree(c);
    redisFree(other);
}

/* Changes made in place to large collections (hash tables, skiplists,
 * quicklists), which keep their size, touch too: HSET over a field with a
 * value of the same length, ZADD moving a member, LSET; also when the
 * command runs on moved copies of keys from several shards (EVAL). */
TS_TEST(multi, in_place_writes_to_large_collections_touch)
{
    SPREAD(2, "x", "y");
    static struct large_setups l;
    make_large_setups(&l);
    const char *hash = l.hash, *zset = l.zset, *list = l.list;
    const struct touch_case cases[] = {
        {hash, "HSET x f baz", true},
        {hash, "HSET x f bar", true}, /* the same value */
        {hash, "HINCRBY x n 1", true},
        {hash, "EVAL redis.call('hset',KEYS[1],'f','baz') 2 x y", true},
        {zset, "ZADD x 5 a", true},
        {zset, "ZINCRBY x 1 a", true},
        {list, "LSET x 1 c", true},
        {list, "EVAL redis.call('lset',KEYS[1],1,'c') 2 x y", true},
    };
    run_touch_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Writes that find nothing to change in a large collection do not touch
 * either (a large collection's fingerprint is its size, so the command
 * says it changed nothing): Redis runs these EXECs, and redis-diff found
 * ringkv aborting the one after an SADD of members already there. */
TS_TEST(multi, noop_writes_to_large_collections_do_not_touch)
{
    SPREAD(2, "x", "y");
    static struct large_setups l;
    make_large_setups(&l);
    const char *set = l.set, *hash = l.hash, *zset = l.zset, *list = l.list;
    const struct touch_case cases[] = {
        {set, "SADD x a b", false},
        {set, "SREM x zz", false},
        {hash, "HDEL x zz", false},
        {zset, "ZREM x zz", false},
        {zset, "ZADD x 1 a", false},
        {zset, "ZADD x XX 3 zz", false},
        {list, "LREM x 0 zz", false},
        {hash, "EXPIRE x -100 XX", false}, /* redis-diff --seed 80 */
        {hash, "EXPIRE x 100 GT", false},
        {set, "PERSIST x", false},
        {set, "SUNIONSTORE y x", false}, /* a source read (redis-diff --seed 86) */
        {set, "SINTERSTORE y x", false},
        {set, "SDIFFSTORE y x", false},
        {zset, "ZUNIONSTORE y 1 x", false},
        {zset, "ZINTERSTORE y 1 x", false},
        {zset, "ZDIFFSTORE y 1 x", false},
        {set, "SMOVE y x a", false}, /* no source */
        {set, "SMOVE x y zz", false},
        {set, "SMOVE x x a", false},
        {hash, "HSETNX x f new", false}, /* redis-diff --seed 303 */
        {list, "LINSERT x BEFORE zz new", false},
        {zset, "ZREMRANGEBYSCORE x 10 20", false},
        {zset, "ZREMRANGEBYRANK x 5 9", false},
        {zset, "ZREMRANGEBYLEX x [zz [zzz", false},
        {set, "SUNIONSTORE x x", true},
        {set, "SMOVE x y a", true},
        {set, "SADD x zz", true},
        {zset, "ZADD x 3 a", true},
        {"RPUSH x a", "LTRIM x 0 2", true}, /* Redis signals it even so (redis-diff --seed 79) */
        {list, "LTRIM x 0 2", true},
        {"PFADD x a", "PFMERGE x", true}, /* also when nothing changes (redis-diff --seed 314) */
        {"PFADD x a", "PFMERGE x x", true},
        {"PFADD x a", "PFMERGE x y", true}, /* y on another shard at 4: x moved and back */
        {"XADD x 1-1 f v", "XGROUP CREATE x g $", false}, /* Redis signals no group change (--seed 402) */
        {"XADD x 1-1 f v", "XSETID x 5-5", false},
        {NULL, "XGROUP CREATE x g $ MKSTREAM", true},
        {"XADD x 1-1 f v", "XADD x 2-1 f v", true},
        {"XADD x 1-1 f v", "XADD x MAXLEN 1 2-1 f v", true}, /* the same length */
        {"ZADD x 1 a 2 b", "SORT x ALPHA", false}, /* converts it to a skiplist (--seed 509) */
        {"ZADD x 1 a 2 b", "ZADD x 5 a 1 a", true}, /* moved and back (--seed 702) */
        {"RPUSH x a b", "LMOVE x x RIGHT RIGHT", true}, /* the same list after it (--seed 505) */
        {"RPUSH x a", "RPOPLPUSH x x", true},
        {"XADD x 1-1 f v", "RENAMENX x x", false},
        {"XADD x 1-1 f v", "RENAME x x", false}, /* --seed 403: RENAMENX to a key that exists */
    };
    run_touch_cases(cases, sizeof cases / sizeof cases[0]);
}

/* A large set's table shrinks and rehashes step by step as members are
 * looked up: its memory changes though its members do not, and an SADD
 * of members already there must not break a WATCH (redis-diff --seed 78
 * found it did when the fingerprint was the value's bytes). */
TS_TEST(multi, rehashing_set_keeps_its_fingerprint)
{
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    for (int i = 0; i < 2000; i++) freeReplyObject(ts_cmd(c, "SADD x m:%d", i));
    for (int i = 10; i < 2000; i++) freeReplyObject(ts_cmd(c, "SREM x m:%d", i)); /* the table shrinks */
    for (int i = 0; i < 300; i++) {
        ts_assert_ok(ts_cmd(c, "WATCH x"));
        ts_assert_int(ts_cmd(other, "SADD x m:%d m:%d", i % 10, (i + 1) % 10), 0);
        assert_exec_runs(c, "SADD of members already there");
    }
    ts_assert_int(ts_cmd(c, "SCARD x"), 10);
    redisFree(c);
    redisFree(other);
}

/* Reads and writes that change nothing do not touch. */
TS_TEST(multi, noop_writes_do_not_touch)
{
    static const struct touch_case cases[] = {
        {"SET x 1", "GET x", false},
        {"SET x 1", "EXISTS x", false},
        {NULL, "DEL x", false},
        {NULL, "EXPIRE x 10", false},
        {"SET x 1", "PERSIST x", false},
        {"SET x 1", "SETNX x 2", false},
        {"SET x 1", "MSETNX x 2 y 3", false},
        {"SET x 1", "SET x 2 NX", false},
        {NULL, "SET x 2 XX", false},
        {"SADD x m", "SADD x m", false},
        {"SADD x m", "SREM x zz", false},
        {"SADD x 1", "INCR x", false}, /* WRONGTYPE */
        {"SET x 1", "COPY y x", false},
        {"SET x 1", "RENAME y x", false}, /* no such key */
        {"SET x 1", "SET y 1", false},
        {"SET x 1", "SWAPDB 1 2", false},
        {NULL, "FLUSHALL", false},
        {NULL, "FLUSHDB", false},
    };
    run_touch_cases(cases, sizeof cases / sizeof cases[0]);
}

TS_TEST(multi, watch_unmodified_runs)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "WATCH x y z"));
    ts_assert_ok(ts_cmd(c, "WATCH k"));
    assert_exec_runs(c, "nothing modified");
    redisFree(c);
}

/* The calls of a cmdstat line of INFO commandstats, -1 when absent. */
static long long stat_calls(redisContext *c, const char *name)
{
    redisReply *r = ts_cmd(c, "INFO commandstats");
    char want[64];
    snprintf(want, sizeof want, "cmdstat_%s:calls=", name);
    const char *at = r->type == REDIS_REPLY_STRING ? strstr(r->str, want) : NULL;
    long long calls = at ? atoll(at + strlen(want)) : -1;
    freeReplyObject(r);
    return calls;
}

/* Every queued command counts as a call of its own, and so do MULTI and
 * EXEC, as in Redis; keys spread over the shards. */
TS_TEST(multi, commandstats_count_queued_commands)
{
    SPREAD(2, "a", "b");
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "CONFIG RESETSTAT"));
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET a 1");
    queue(c, "SET b 2");
    queue(c, "MGET a b");
    queue(c, "PING");
    redisReply *r = ts_cmd(c, "EXEC");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 4);
    freeReplyObject(r);
    cr_assert_eq(stat_calls(c, "multi"), 1);
    cr_assert_eq(stat_calls(c, "exec"), 1);
    cr_assert_eq(stat_calls(c, "set"), 2);
    cr_assert_eq(stat_calls(c, "mget"), 1);
    cr_assert_eq(stat_calls(c, "ping"), 1);
    redisFree(c);
}

/* redis-diff: a key named twice in WATCH is watched once (was: EXEC
 * failed, the second check finding the first had ended the watch). */
TS_TEST(multi, watch_same_key_twice)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "WATCH w w"));
    ts_assert_ok(ts_cmd(c, "WATCH w"));
    assert_exec_runs(c, "w watched thrice, never modified");
    redisFree(c);
}

/* redis-diff: UNWATCH queued inside MULTI answers +OK at EXEC (was: a
 * crash, running a command the connection handles itself). */
TS_TEST(multi, unwatch_queued_inside_multi)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "UNWATCH");
    queue(c, "SET k v");
    EXEC_EXPECT(c, RE_OK, RE_OK);
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    redisFree(c);
}

TS_TEST(multi, keys_unwatched_after_exec)
{
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    /* After a successful EXEC. */
    ts_assert_ok(ts_cmd(c, "SET x 30"));
    ts_assert_ok(ts_cmd(c, "WATCH x a"));
    assert_exec_runs(c, "nothing modified");
    ts_assert_ok(ts_cmd(other, "SET x 40"));
    ts_assert_ok(ts_cmd(other, "SET a 40"));
    assert_exec_runs(c, "x and a modified after EXEC");
    /* After a failed EXEC. */
    ts_assert_ok(ts_cmd(c, "WATCH x a"));
    ts_assert_ok(ts_cmd(other, "SET a 41"));
    assert_exec_fails(c, "a modified");
    ts_assert_ok(ts_cmd(other, "SET x 42"));
    assert_exec_runs(c, "x modified after the failed EXEC");
    redisFree(c);
    redisFree(other);
}

TS_TEST(multi, unwatch)
{
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "UNWATCH")); /* nothing watched */
    ts_assert_ok(ts_cmd(c, "SET x 30"));
    ts_assert_ok(ts_cmd(c, "WATCH x b"));
    ts_assert_ok(ts_cmd(other, "SET b 40"));
    ts_assert_ok(ts_cmd(c, "UNWATCH"));
    assert_exec_runs(c, "b modified, then UNWATCH");
    /* UNWATCH inside MULTI is queued, and forgets nothing until it runs. */
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_ok(ts_cmd(other, "SET x 41"));
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "UNWATCH");
    ts_assert_nil(ts_cmd(c, "EXEC"));
    redisFree(c);
    redisFree(other);
}

TS_TEST(multi, discard_unwatches)
{
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    /* DISCARD clears the dirty flag... */
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_ok(ts_cmd(other, "SET x 10"));
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_ok(ts_cmd(c, "DISCARD"));
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "INCR x");
    EXEC_EXPECT(c, RE_INT(11));
    /* ...and unwatches every key. */
    ts_assert_ok(ts_cmd(c, "WATCH x a"));
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_ok(ts_cmd(c, "DISCARD"));
    ts_assert_ok(ts_cmd(other, "SET x 10"));
    ts_assert_ok(ts_cmd(other, "SET a 10"));
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "INCR x");
    EXEC_EXPECT(c, RE_INT(11));
    redisFree(c);
    redisFree(other);
}

/* FLUSHALL and FLUSHDB touch the watched keys that exist, on any shard. */
TS_TEST(multi, flush_touches_existing_watched_keys)
{
    SPREAD(2, "a", "b");
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    static const char *const flushes[] = {"FLUSHALL", "FLUSHDB", "FLUSHALL ASYNC", "FLUSHDB SYNC"};
    for (int i = 0; i < 4; i++) {
        ts_assert_ok(ts_cmd(c, "SET a 30"));
        ts_assert_ok(ts_cmd(c, "WATCH b a")); /* b missing, a exists */
        ts_assert_ok(ts_cmd(other, flushes[i]));
        assert_exec_fails(c, flushes[i]);
        ts_assert_ok(ts_cmd(c, "WATCH b")); /* missing */
        ts_assert_ok(ts_cmd(other, flushes[i]));
        assert_exec_runs(c, flushes[i]);
    }
    /* FLUSHDB of another database does not touch db 0's keys. */
    ts_assert_ok(ts_cmd(c, "SET a 30"));
    ts_assert_ok(ts_cmd(other, "SELECT 1"));
    ts_assert_ok(ts_cmd(other, "SET a 1"));
    ts_assert_ok(ts_cmd(c, "WATCH a"));
    ts_assert_ok(ts_cmd(other, "FLUSHDB"));
    assert_exec_runs(c, "FLUSHDB of db 1");
    /* Several keys watched by one client, all flushed at once. */
    ts_assert_ok(ts_cmd(c, "MSET a a b b"));
    ts_assert_ok(ts_cmd(c, "WATCH b a"));
    ts_assert_ok(ts_cmd(c, "FLUSHALL"));
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    assert_exec_fails(c, "FLUSHALL of two watched keys");
    redisFree(c);
    redisFree(other);
}

TS_TEST(multi, swapdb_touches_watched_keys)
{
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    /* The key exists in the watched db: SWAPDB "deletes" it. */
    ts_assert_ok(ts_cmd(c, "SET a 30"));
    ts_assert_ok(ts_cmd(c, "WATCH a"));
    ts_assert_ok(ts_cmd(other, "SWAPDB 0 1"));
    assert_exec_fails(c, "SWAPDB 0 1 with a in db 0");
    /* Now a is in db 1 and missing in db 0: SWAPDB "creates" it. */
    ts_assert_ok(ts_cmd(c, "WATCH a"));
    ts_assert_ok(ts_cmd(other, "SWAPDB 1 0"));
    assert_exec_fails(c, "SWAPDB 1 0 with a in db 1");
    /* Missing in both: not touched. */
    ts_assert_ok(ts_cmd(c, "WATCH nothere"));
    ts_assert_ok(ts_cmd(other, "SWAPDB 0 1"));
    assert_exec_runs(c, "SWAPDB, key in neither db");
    /* Other databases: not touched. */
    ts_assert_ok(ts_cmd(c, "FLUSHALL"));
    ts_assert_ok(ts_cmd(c, "SET a 30"));
    ts_assert_ok(ts_cmd(c, "WATCH a"));
    ts_assert_ok(ts_cmd(other, "SWAPDB 2 3"));
    assert_exec_runs(c, "SWAPDB 2 3");
    /* Present in both: touched. */
    ts_assert_ok(ts_cmd(other, "SELECT 1"));
    ts_assert_ok(ts_cmd(other, "SET a 30"));
    ts_assert_ok(ts_cmd(c, "WATCH a"));
    ts_assert_ok(ts_cmd(other, "SWAPDB 0 1"));
    assert_exec_fails(c, "SWAPDB with a in both dbs");
    redisFree(c);
    redisFree(other);
}

/* Keys already expired when watched: neither their deletion nor a SWAPDB
 * that leaves them logically missing fails EXEC. */
TS_TEST(multi, stale_watched_keys_do_not_fail_exec)
{
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET x foo PX 1"));
    ts_sleep_ms(10);
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    assert_exec_runs(c, "x expired before WATCH");
    ts_assert_ok(ts_cmd(c, "SET x foo PX 1"));
    ts_sleep_ms(10);
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_int(ts_cmd(other, "EXISTS x"), 0); /* deletes it */
    assert_exec_runs(c, "x expired before WATCH, deleted by EXISTS");
    ts_assert_ok(ts_cmd(c, "SET x foo PX 1"));
    ts_sleep_ms(10);
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_ok(ts_cmd(other, "FLUSHDB"));
    assert_exec_runs(c, "x expired before WATCH, FLUSHDB");
    /* An expired key replaced by no key. */
    ts_assert_ok(ts_cmd(c, "FLUSHALL"));
    ts_assert_ok(ts_cmd(c, "SELECT 1"));
    ts_assert_ok(ts_cmd(c, "SET x foo PX 1"));
    ts_sleep_ms(10);
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_ok(ts_cmd(other, "SWAPDB 0 1"));
    assert_exec_runs(c, "stale x in db 1 swapped with no x");
    /* No key replaced by an expired key. */
    ts_assert_ok(ts_cmd(c, "FLUSHALL"));
    ts_assert_ok(ts_cmd(c, "SELECT 0"));
    ts_assert_ok(ts_cmd(c, "SET x foo PX 1"));
    ts_sleep_ms(10);
    ts_assert_ok(ts_cmd(c, "SELECT 1"));
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_ok(ts_cmd(other, "SWAPDB 0 1"));
    assert_exec_runs(c, "missing x in db 1 swapped with a stale x");
    redisFree(c);
    redisFree(other);
}

TS_TEST(multi, watch_remembers_the_db)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SELECT 5"));
    ts_assert_ok(ts_cmd(c, "SET x 30"));
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_ok(ts_cmd(c, "SELECT 1"));
    ts_assert_ok(ts_cmd(c, "SET x 10")); /* db 1's x */
    ts_assert_ok(ts_cmd(c, "SELECT 5"));
    assert_exec_runs(c, "x of db 1 modified, db 5's watched");
    /* Watched in db 5, modified there while the client is in db 1. */
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_ok(ts_cmd(c, "SELECT 1"));
    redisContext *other = ts_connect(g_server);
    ts_assert_ok(ts_cmd(other, "SELECT 5"));
    ts_assert_ok(ts_cmd(other, "SET x 31"));
    assert_exec_fails(c, "db 5's x modified, EXEC from db 1");
    /* The same name watched in two dbs. */
    ts_assert_ok(ts_cmd(c, "SELECT 2"));
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_ok(ts_cmd(c, "SELECT 3"));
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_ok(ts_cmd(other, "SELECT 2"));
    ts_assert_ok(ts_cmd(other, "SET x 1"));
    assert_exec_fails(c, "x of db 2 modified, watched in dbs 2 and 3");
    redisFree(c);
    redisFree(other);
}

/* ---- expiry --------------------------------------------------------------- */

/* Polls DBSIZE (of the selected db) until it reads want, for up to ms. */
static bool wait_dbsize(redisContext *c, long long want, int ms)
{
    long long deadline = ts_now_ms() + ms;
    for (;;) {
        redisReply *r = ts_cmd(c, "DBSIZE");
        bool done = r->type == REDIS_REPLY_INTEGER && r->integer == want;
        freeReplyObject(r);
        if (done)
            return true;
        if (ts_now_ms() >= deadline)
            return false;
        ts_sleep_ms(20);
    }
}

TS_TEST(multi, expire_touches_watched_key)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET x foo"));
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_int(ts_cmd(c, "EXPIRE x 10"), 1);
    assert_exec_fails(c, "EXPIRE x 10");
    ts_assert_ok(ts_cmd(c, "WATCH x"));
    ts_assert_int(ts_cmd(c, "PEXPIRE x 100000"), 1);
    assert_exec_fails(c, "PEXPIRE x 100000");
    redisFree(c);
}

/* A watched key removed by the server's active expiry. */
TS_TEST(multi, watched_key_expiring_fails_exec)
{
    SPREAD(2, "x", "b");
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET x foo"));
    ts_assert_int(ts_cmd(c, "EXPIRE x 1"), 1);
    ts_assert_ok(ts_cmd(c, "WATCH x b"));
    cr_assert(wait_dbsize(other, 0, 10000), "x did not expire within 10 s");
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET b 1");
    ts_assert_nil(ts_cmd(c, "EXEC"));
    ts_assert_int(ts_cmd(c, "EXISTS b"), 0);
    redisFree(c);
    redisFree(other);
}

/* A watched key whose time ran out before EXEC, nobody having read it
 * (so not deleted yet, unless the active cycle found it). */
TS_TEST(multi, watched_key_lazily_expired_fails_exec)
{
    redisContext *c = ts_connect(g_server);
    for (int i = 0; i < 3; i++) {
        ts_assert_ok(ts_cmd(c, "SET key 1 PX 100"));
        ts_assert_ok(ts_cmd(c, "WATCH key"));
        ts_sleep_ms(200);
        ts_assert_ok(ts_cmd(c, "MULTI"));
        queue(c, "INCR key");
        ts_assert_nil(ts_cmd(c, "EXEC"));
        ts_assert_int(ts_cmd(c, "EXISTS key"), 0);
    }
    redisFree(c);
}

/* ---- SELECT, server-wide commands, RESP3 ----------------------------------- */

TS_TEST(multi, select_inside_multi)
{
    SPREAD(2, "a", "b");
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET a 0");
    queue(c, "SELECT 1");
    queue(c, "SET a 1");
    queue(c, "SET b 1");
    queue(c, "SELECT 99");
    queue(c, "GET a");
    queue(c, "SELECT 2");
    queue(c, "MSET a 2 b 2");
    EXEC_EXPECT(c, RE_OK, RE_OK, RE_OK, RE_OK, RE_ERR("ERR DB index is out of range"), RE_BULK("1"), RE_OK, RE_OK);
    /* The SELECT stays after EXEC. */
    ts_assert_array(ts_cmd(c, "MGET a b"), "2", "2");
    ts_assert_ok(ts_cmd(c, "SELECT 1"));
    ts_assert_array(ts_cmd(c, "MGET a b"), "1", "1");
    ts_assert_ok(ts_cmd(c, "SELECT 0"));
    ts_assert_array(ts_cmd(c, "MGET a b"), "0", NULL);
    /* A discarded SELECT does not change the db. */
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SELECT 1");
    ts_assert_ok(ts_cmd(c, "DISCARD"));
    ts_assert_bulk(ts_cmd(c, "GET a"), "0");
    redisFree(c);
}

TS_TEST(multi, server_wide_commands_inside_multi)
{
    SPREAD(3, "a", "b", "c");
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "MSET a 1 b 2 c 3");
    queue(c, "DBSIZE");
    queue(c, "KEYS *");
    queue(c, "FLUSHDB");
    queue(c, "SET c 4");
    queue(c, "DBSIZE");
    queue(c, "SWAPDB 0 1");
    queue(c, "DBSIZE");
    queue(c, "SET a 5");
    queue(c, "FLUSHALL");
    queue(c, "EXISTS a b c");
    redisReply *r = EXEC_CHECK(c, RE_OK, RE_INT(3), RE_ARRAY, RE_OK, RE_OK, RE_INT(1), RE_OK, RE_INT(0), RE_OK, RE_OK, RE_INT(0));
    cr_assert_eq(r->element[2]->elements, 3, "KEYS * inside MULTI: want 3 keys");
    freeReplyObject(r);
    ts_assert_int(ts_cmd(c, "DBSIZE"), 0);
    ts_assert_ok(ts_cmd(c, "SELECT 1"));
    ts_assert_int(ts_cmd(c, "DBSIZE"), 0);
    redisFree(c);
}

TS_TEST(multi, resp2_and_resp3_replies)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    size_t len;
    /* RESP2: a failed EXEC is the null array *-1. */
    ts_raw_send_str(raw, "SET s str\r\nWATCH s\r\nSET s 2\r\nMULTI\r\nPING\r\nEXEC\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+QUEUED\r\n");
    ts_raw_expect(raw, "*-1\r\n");
    ts_raw_send_str(raw, "HELLO 3\r\n");
    const char *hello = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(hello && hello[0] == '%', "HELLO 3: %s", hello ? hello : ts_raw_status(raw));
    /* RESP3 forms inside EXEC: map, double, null, set, an error. */
    ts_raw_send_str(raw, "SET s str\r\nMULTI\r\nHSET h f v\r\nHGETALL h\r\nZADD z 1.5 m\r\nZSCORE z m\r\n"
                         "LPUSH s x\r\nGET missing\r\nSMEMBERS nosuch\r\nEXEC\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    for (int i = 0; i < 7; i++)
        ts_raw_expect(raw, "+QUEUED\r\n");
    ts_raw_expect(raw, "*7\r\n:1\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n:1\r\n,1.5\r\n"
                       "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n_\r\n~0\r\n");
    /* RESP3: a failed EXEC is the null _, an empty one *0. */
    ts_raw_send_str(raw, "WATCH s\r\nSET s 2\r\nMULTI\r\nPING\r\nEXEC\r\nMULTI\r\nEXEC\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+QUEUED\r\n");
    ts_raw_expect(raw, "_\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "*0\r\n");
    ts_raw_send_str(raw, "MULTI\r\nFOO\r\nEXEC\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "-ERR unknown command 'FOO', with args beginning with: \r\n");
    ts_raw_expect(raw, "-" EXECABORT "\r\n");
    ts_raw_close(raw);
}

/* CLIENT LIST shows a client in MULTI: flags=x, multi=<queued count>. */
static void client_fields(redisContext *viewer, long long id, char *flags, size_t flags_cap, long long *multi)
{
    redisReply *r = ts_cmd(viewer, "CLIENT LIST");
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    char needle[40];
    snprintf(needle, sizeof needle, "id=%lld ", id);
    const char *line = strstr(r->str, needle);
    cr_assert(line && (line == r->str || line[-1] == '\n'), "client %lld not in CLIENT LIST", id);
    const char *f = strstr(line, " flags="), *m = strstr(line, " multi=");
    cr_assert(f && m, "CLIENT LIST line without flags= or multi=");
    snprintf(flags, flags_cap, "%.*s", (int)strcspn(f + 7, " \n"), f + 7);
    *multi = atoll(m + 7);
    freeReplyObject(r);
}

TS_TEST(multi, client_list_shows_transaction)
{
    redisContext *c = ts_connect(g_server), *viewer = ts_connect(g_server);
    redisReply *idr = ts_cmd(c, "CLIENT ID");
    long long id = idr->integer;
    freeReplyObject(idr);
    char flags[32];
    long long multi;
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET a 1");
    queue(c, "SET b 2");
    client_fields(viewer, id, flags, sizeof flags, &multi);
    cr_assert(strchr(flags, 'x') && multi == 2, "in MULTI with 2 queued: flags=%s multi=%lld", flags, multi);
    EXEC_EXPECT(c, RE_OK, RE_OK);
    client_fields(viewer, id, flags, sizeof flags, &multi);
    cr_assert(!strchr(flags, 'x') && multi == -1, "after EXEC: flags=%s multi=%lld", flags, multi);
    redisFree(c);
    redisFree(viewer);
}

/* ---- WATCH races ------------------------------------------------------------ */

/* Check-and-set against a concurrent incrementer: B INCRs each key
 * `incrs` times; A, until B is done, WATCHes every key, reads them, and
 * in one transaction sets each to its value plus one. Every key must end
 * at B's increments plus A's successful EXECs. Threads report failures
 * through `err` (Criterion asserts only on the main thread). */
#define RACE_MAX_KEYS 4

struct race {
    const char *const *keys;
    int nkeys, incrs;
    redisContext *a, *b;
    atomic_bool b_done;
    unsigned seed;
    long long successes, failures;
    char b_err[256];
};

static void *race_incrementer(void *arg)
{
    struct race *rc = arg;
    for (int i = 0; i < rc->incrs && !rc->b_err[0]; i++) {
        for (int k = 0; k < rc->nkeys && !rc->b_err[0]; k++) {
            redisReply *r = redisCommand(rc->b, "INCR %s", rc->keys[k]);
            if (!r || r->type != REDIS_REPLY_INTEGER)
                snprintf(rc->b_err, sizeof rc->b_err, "INCR %s: %s", rc->keys[k],
                         r ? (r->str ? r->str : "unexpected reply") : rc->b->errstr);
            if (r)
                freeReplyObject(r);
            /* A pause now and then, so that A's check-and-set also wins. */
            if (rand_r(&rc->seed) % 4 == 0)
                usleep(rand_r(&rc->seed) % 1000);
        }
    }
    atomic_store(&rc->b_done, true);
    return NULL;
}

/* One check-and-set round of A: true when EXEC ran. */
static bool race_cas_once(struct race *rc)
{
    redisContext *a = rc->a;
    long long v[RACE_MAX_KEYS];
    const char *argv[RACE_MAX_KEYS + 1];
    for (int k = 0; k < rc->nkeys; k++)
        argv[k + 1] = rc->keys[k];
    argv[0] = "WATCH";
    ts_assert_ok(ts_cmd_argv(a, rc->nkeys + 1, argv, NULL));
    argv[0] = "MGET";
    redisReply *m = ts_cmd_argv(a, rc->nkeys + 1, argv, NULL);
    cr_assert(m->type == REDIS_REPLY_ARRAY && m->elements == (size_t)rc->nkeys, "MGET of the watched keys");
    for (int k = 0; k < rc->nkeys; k++) {
        cr_assert_eq(m->element[k]->type, REDIS_REPLY_STRING, "GET %s", rc->keys[k]);
        v[k] = atoll(m->element[k]->str);
    }
    freeReplyObject(m);
    ts_assert_ok(ts_cmd(a, "MULTI"));
    for (int k = 0; k < rc->nkeys; k++)
        queue(a, "SET %s %lld", rc->keys[k], v[k] + 1);
    redisReply *r = ts_cmd(a, "EXEC");
    bool ran = r->type == REDIS_REPLY_ARRAY;
    cr_assert(ran || r->type == REDIS_REPLY_NIL, "EXEC: want an array or nil, got type %d", r->type);
    if (ran)
        cr_assert_eq(r->elements, (size_t)rc->nkeys);
    freeReplyObject(r);
    return ran;
}

static void watch_race(const char *const *keys, int nkeys, int incrs)
{
    struct race rc = {.keys = keys, .nkeys = nkeys, .incrs = incrs, .seed = (unsigned)ts_now_ms()};
    rc.a = ts_connect(g_server);
    rc.b = ts_connect(g_server);
    for (int k = 0; k < nkeys; k++)
        ts_assert_ok(ts_cmd(rc.a, "SET %s 0", keys[k]));
    atomic_init(&rc.b_done, false);
    pthread_t tid;
    cr_assert_eq(pthread_create(&tid, NULL, race_incrementer, &rc), 0);
    long long deadline = ts_now_ms() + 60000;
    while (!atomic_load(&rc.b_done) && ts_now_ms() < deadline) {
        if (race_cas_once(&rc))
            rc.successes++;
        else
            rc.failures++;
    }
    pthread_join(tid, NULL);
    cr_assert(!rc.b_err[0], "incrementer: %s", rc.b_err);
    cr_assert(atomic_load(&rc.b_done), "the incrementer did not finish in 60 s");
    for (int k = 0; k < nkeys; k++) {
        redisReply *r = ts_cmd(rc.a, "GET %s", keys[k]);
        long long got = r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
        freeReplyObject(r);
        cr_assert_eq(got, incrs + rc.successes, "%s = %lld, want %d INCRs + %lld successful EXECs = %lld", keys[k],
                     got, incrs, rc.successes, incrs + rc.successes);
    }
    cr_log_info("WATCH race over %d key(s): %lld EXECs ran, %lld failed, %d INCRs per key", nkeys, rc.successes,
                rc.failures, incrs);
    redisFree(rc.a);
    redisFree(rc.b);
}

TS_TEST(multi, watch_race_one_key)
{
    static const char *const keys[] = {"k"};
    watch_race(keys, 1, 500);
}

TS_TEST(multi, watch_race_keys_on_every_shard)
{
    static const char *const keys[] = {"a", "b", "c", "d"};
    SPREAD(4, "a", "b", "c", "d");
    watch_race(keys, 4, 500);
}

/* A write that leaves the value as it was is no change for WATCH, as in
 * Redis: SETBIT of a bit already set (on a short string ringkv keeps
 * embedded, made raw to be written) lets EXEC run; one that flips a bit
 * aborts it. Found by redis-diff. */
TS_TEST(multi, watch_ignores_writes_that_change_nothing)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SETEX {w}a 1000 -0.5")); /* '5' = 0x35: bit 31 is 1 */
    ts_assert_ok(ts_cmd(c, "WATCH {w}a"));
    ts_assert_int(ts_cmd(c, "SETBIT {w}a 31 1"), 1);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_array(ts_cmd(c, "EXEC"));
    ts_assert_ok(ts_cmd(c, "WATCH {w}a"));
    ts_assert_int(ts_cmd(c, "SETBIT {w}a 31 0"), 1);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    redisReply *r = ts_cmd(c, "EXEC");
    cr_assert_eq(r->type, REDIS_REPLY_NIL, "EXEC ran after the watched key changed");
    freeReplyObject(r);
    redisFree(c);
}

/* Keys expire by one clock reading for a whole EXEC on a shard, as Redis
 * fixes the time for an EXEC: a key set with a TTL shorter than the
 * transaction is still there for its later commands (DEBUG SLEEP sleeps
 * the client's shard; at 4 shards the keys k and its tag share it only
 * sometimes, so the 1-shard run is the one that tells). */
Test(multi, exec_sees_one_clock, .fini = ts_fixture_fini)
{
    g_server = ts_start("--enable-debug-command", "yes", NULL);
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    queue(c, "SET k v PX 50");
    queue(c, "DEBUG SLEEP 0.1");
    queue(c, "GET k");
    redisReply *r = ts_cmd(c, "EXEC");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3, "EXEC: type %d", r->type);
    cr_assert(r->element[2]->type == REDIS_REPLY_STRING && strcmp(r->element[2]->str, "v") == 0,
              "GET in the EXEC found the key expired (type %d)", r->element[2]->type);
    freeReplyObject(r);
    ts_sleep_ms(60);
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0); /* after it, the clock moves on */
    redisFree(c);
    ts_fixture_stop();
}
