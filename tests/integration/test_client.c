/* test_client.c — CLIENT LIST / KILL filters, CLIENT HELP and CONFIG SET
 * argument errors, as redis-diff found them differing from Redis 7.0. With
 * several shards the two connections may sit on different shards, so LIST
 * and KILL gather over all of them. Every expectation holds on
 * redis-server 7.0.15 (RINGKV_TEST_REDIS=1). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(client, .timeout = 60);

static long long client_id(redisContext *c)
{
    redisReply *r = ts_cmd(c, "CLIENT ID");
    cr_assert_eq(r->type, REDIS_REPLY_INTEGER);
    long long id = r->integer;
    freeReplyObject(r);
    return id;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

TS_TEST(client, list_filters)
{
    redisContext *a = ts_connect(g_server), *b = ts_connect(g_server);
    long long ida = client_id(a), idb = client_id(b);
    redisReply *r = ts_cmd(a, "CLIENT LIST ID %lld %lld 0 -5 999999", ida, idb);
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    cr_expect_eq(count_lines(r->str), 2, "%s", r->str);
    char want[64];
    snprintf(want, sizeof want, "id=%lld ", idb);
    cr_expect(strstr(r->str, want), "%s", r->str);
    freeReplyObject(r);
    ts_assert_bulk(ts_cmd(a, "CLIENT LIST ID 0"), "");
    ts_assert_bulk(ts_cmd(a, "CLIENT LIST TYPE master"), "");
    ts_assert_bulk(ts_cmd(a, "CLIENT LIST TYPE pubsub"), "");
    ts_assert_error(ts_cmd(a, "CLIENT LIST ID 1 abc"), "ERR Invalid client ID");
    ts_assert_error(ts_cmd(a, "CLIENT LIST ID"), "ERR syntax error");
    ts_assert_error(ts_cmd(a, "CLIENT LIST TYPE normal x"), "ERR syntax error");
    ts_assert_error(ts_cmd(a, "CLIENT LIST TYPE bogus"), "ERR Unknown client type 'bogus'");
    ts_assert_error(ts_cmd(a, "CLIENT LIST x"), "ERR syntax error");
    redisFree(a);
    redisFree(b);
}

TS_TEST(client, kill_filters)
{
    redisContext *a = ts_connect(g_server), *b = ts_connect(g_server);
    long long idb = client_id(b);
    static const char *const bad_ids[] = {"abc", "0", "-1"};
    for (size_t i = 0; i < 3; i++)
        ts_assert_error(ts_cmd(a, "CLIENT KILL ID %s", bad_ids[i]), "ERR client-id should be greater than 0");
    ts_assert_error(ts_cmd(a, "CLIENT KILL ID 1 2"), "ERR syntax error");
    ts_assert_error(ts_cmd(a, "CLIENT KILL ID 1 ID"), "ERR syntax error");
    ts_assert_error(ts_cmd(a, "CLIENT KILL USER nosuch"), "ERR No such user 'nosuch'");
    ts_assert_error(ts_cmd(a, "CLIENT KILL TYPE bogus"), "ERR Unknown client type 'bogus'");
    ts_assert_error(ts_cmd(a, "CLIENT KILL SKIPME maybe"), "ERR syntax error");
    ts_assert_error(ts_cmd(a, "CLIENT KILL 127.0.0.1:1"), "ERR No such client");
    ts_assert_int(ts_cmd(a, "CLIENT KILL TYPE master"), 0);
    /* An ID filter given twice: the last one counts. */
    ts_assert_int(ts_cmd(a, "CLIENT KILL ID %lld ID 999999", idb), 0);
    ts_assert_status(ts_cmd(b, "PING"), "PONG");
    ts_assert_int(ts_cmd(a, "CLIENT KILL USER default ID %lld", idb), 1);
    redisReply *r = redisCommand(b, "PING");
    cr_expect(r == NULL, "the killed connection still answers");
    freeReplyObject(r);
    redisFree(a);
    redisFree(b);
}

TS_TEST(client, help_and_config_set_errors)
{
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "CLIENT HELP");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 48);
    cr_expect_str_eq(r->element[0]->str, "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    cr_expect_str_eq(r->element[47]->str, "    Prints this help.");
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "CLIENT HELP x"), "ERR wrong number of arguments for 'client|help' command");
    ts_assert_error(ts_cmd(c, "CONFIG SET timeout 0 maxclients"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "CONFIG SET timeout"), "ERR wrong number of arguments for 'config|set' command");
    redisFree(c);

    /* HELP replies are arrays in RESP3 too, not sets. */
    struct ts_raw *raw = ts_raw_connect(g_server);
    size_t len;
    ts_raw_send_str(raw, "HELLO 3\r\n");
    cr_assert(ts_raw_read_reply(raw, 5000, &len));
    static const char *const helps[] = {"CLIENT HELP\r\n", "COMMAND HELP\r\n", "CONFIG HELP\r\n"};
    for (size_t i = 0; i < 3; i++) {
        ts_raw_send_str(raw, helps[i]);
        const char *reply = ts_raw_read_reply(raw, 5000, &len);
        cr_assert(reply, "%s", ts_raw_status(raw));
        cr_expect_eq(reply[0], '*', "%s", helps[i]);
    }
    ts_raw_close(raw);
}

/* qbuf counts the running command itself, as in Redis: CLIENT INFO is
 * "*2\r\n$6\r\nclient\r\n$4\r\ninfo\r\n", 26 bytes. */
TS_TEST(client, qbuf_counts_the_running_command)
{
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "CLIENT INFO");
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    cr_assert(strstr(r->str, " qbuf=26 "), "%s", r->str);
    cr_assert(strstr(r->str, " cmd=client|info "), "%s", r->str);
    freeReplyObject(r);
    redisFree(c);
}

/* RESET: the connection as new again (Redis 6.2+): out of MULTI and its
 * WATCHes, out of subscribed mode without unsubscribe messages, database
 * 0, RESP2, no name; also while queued in MULTI or subscribed in RESP2. */
TS_TEST(client, reset_clears_the_connection_state)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "SELECT 1\r\nCLIENT SETNAME me\r\nWATCH wk\r\nMULTI\r\nSET a 1\r\nRESET\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "+QUEUED\r\n");
    ts_raw_expect(raw, "+RESET\r\n");
    ts_raw_send_str(raw, "EXEC\r\nCLIENT GETNAME\r\nSET a in0\r\n");
    ts_raw_expect(raw, "-ERR EXEC without MULTI\r\n");
    ts_raw_expect(raw, "$-1\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    /* Database 0 again: the key is there, not in database 1. */
    redisContext *c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "GET a"), "in0");
    ts_assert_ok(ts_cmd(c, "SELECT 1"));
    ts_assert_nil(ts_cmd(c, "GET a"));
    redisFree(c);
    /* Subscribed (RESP2) then RESET: no unsubscribe message, commands again. */
    ts_raw_send_str(raw, "SUBSCRIBE ch\r\n");
    ts_raw_expect(raw, "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    ts_raw_send_str(raw, "RESET\r\nPING\r\n");
    ts_raw_expect(raw, "+RESET\r\n");
    ts_raw_expect(raw, "+PONG\r\n");
    redisContext *p = ts_connect(g_server);
    ts_assert_int(ts_cmd(p, "PUBLISH ch x"), 0);
    redisFree(p);
    /* RESP3 back to RESP2. */
    ts_raw_send_str(raw, "HELLO 3\r\n");
    size_t len;
    cr_assert(ts_raw_read_reply(raw, 5000, &len));
    ts_raw_send_str(raw, "RESET\r\nHGETALL nohash\r\n");
    ts_raw_expect(raw, "+RESET\r\n");
    ts_raw_expect(raw, "*0\r\n");
    ts_raw_send_str(raw, "RESET x\r\n");
    ts_raw_expect(raw, "-ERR wrong number of arguments for 'reset' command\r\n");
    ts_raw_close(raw);
}

/* CLIENT REPLY OFF answers nothing until ON, SKIP silences the next
 * command only, whether the commands run here or on other shards (keys
 * x, y, z spread), pipelined or not; pushes still arrive while silenced;
 * a bad mode is refused only when replies are on. */
TS_TEST(client, reply_off_and_skip)
{
    const char *const keys[] = {"x", "y", "z"};
    ts_assert_spread(keys, 3, 3);
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "CLIENT REPLY OFF\r\nSET y 1\r\nGET y\r\nSET z 2\r\nMGET y z\r\nDEL nosuch\r\n"
                         "CLIENT REPLY bogus\r\nCLIENT REPLY ON\r\nGET z\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "$1\r\n2\r\n");
    ts_raw_send_str(raw, "CLIENT REPLY SKIP\r\nSET x 1\r\nGET x\r\nCLIENT REPLY SKIP\r\nGET z\r\nGET y\r\n"
                         "CLIENT REPLY SKIP\r\nMGET y z\r\nCLIENT REPLY SKIP\r\nCLIENT REPLY bogus\r\nPING\r\n");
    ts_raw_expect(raw, "$1\r\n1\r\n");
    ts_raw_expect(raw, "$1\r\n1\r\n");
    ts_raw_expect(raw, "+PONG\r\n");
    ts_raw_send_str(raw, "CLIENT REPLY bogus\r\n");
    ts_raw_expect(raw, "-ERR syntax error\r\n");
    /* 2000 pipelined writes over every shard answer nothing; all ran */
    struct {
        char *p;
        size_t len;
    } buf = {0};
    FILE *f = open_memstream(&buf.p, &buf.len);
    fputs("CLIENT REPLY OFF\r\n", f);
    for (int i = 0; i < 2000; i++) fprintf(f, "SET k:%d %d\r\n", i, i);
    fputs("CLIENT REPLY ON\r\nMGET k:0 k:1999\r\n", f);
    fclose(f);
    ts_raw_send(raw, buf.p, buf.len);
    free(buf.p);
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "*2\r\n$1\r\n0\r\n$4\r\n1999\r\n");
    ts_raw_close(raw);

    raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "HELLO 3\r\n");
    size_t n;
    cr_assert(ts_raw_read_reply(raw, 5000, &n), "HELLO 3: %s", ts_raw_status(raw));
    ts_raw_send_str(raw, "CLIENT REPLY OFF\r\nSUBSCRIBE ch\r\nPUBLISH ch hi\r\nCLIENT REPLY ON\r\n");
    ts_raw_expect(raw, ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    ts_raw_expect(raw, ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_close(raw);
}

/* CLIENT PAUSE WRITE holds writes (and EXEC of a queue that writes) from
 * clients on every shard, counted as blocked, and lets reads through;
 * CLIENT UNPAUSE releases them, in order, with their replies. */
TS_TEST(client, pause_write_holds_writes_on_every_shard)
{
    enum { CLIENTS = 8 };
    redisContext *admin = ts_connect(g_server), *cl[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) cl[i] = ts_connect(g_server); /* spread over the shards */
    redisContext *tx = ts_connect(g_server);
    ts_assert_ok(ts_cmd(tx, "MULTI"));
    ts_assert_status(ts_cmd(tx, "SET queued 1"), "QUEUED");
    ts_assert_ok(ts_cmd(admin, "CLIENT PAUSE 60000 WRITE"));
    ts_assert_nil(ts_cmd(admin, "GET k:0"));
    ts_assert_status(ts_cmd(admin, "PING"), "PONG");
    for (int i = 0; i < CLIENTS; i++) ts_append(cl[i], "SET k:%d %d", i, i);
    for (int i = 0; i < CLIENTS; i++) {
        ts_append(cl[i], "GET k:%d", i);
        ts_flush(cl[i]);
    }
    ts_append(tx, "EXEC");
    ts_flush(tx);
    WAIT_FOR(ts_info_ll(admin, "blocked_clients") == CLIENTS + 1, 5000);
    long long held = ts_info_ll(admin, "blocked_clients");
    cr_assert_eq(held, CLIENTS + 1, "writers and EXEC held: %lld blocked", held);
    ts_sleep_ms(150); /* a timer period or more: still held */
    ts_assert_nil(ts_cmd(admin, "GET k:0"));
    ts_assert_int(ts_cmd(admin, "EXISTS queued"), 0);
    ts_assert_ok(ts_cmd(admin, "CLIENT UNPAUSE"));
    char v[16];
    for (int i = 0; i < CLIENTS; i++) {
        ts_assert_ok(ts_reply(cl[i]));
        snprintf(v, sizeof v, "%d", i);
        ts_assert_bulk(ts_reply(cl[i]), v);
        redisFree(cl[i]);
    }
    redisReply *r = ts_reply(tx);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 1, "EXEC ran after the pause");
    freeReplyObject(r);
    cr_assert_eq(ts_info_ll(admin, "blocked_clients"), 0, "none held after the pause");
    redisFree(tx);
    redisFree(admin);
}

/* CLIENT PAUSE ALL holds every command, CLIENT UNPAUSE too, until the
 * pause ends by itself; its errors are Redis's. */
TS_TEST(client, pause_all_ends_by_itself)
{
    redisContext *admin = ts_connect(g_server), *other = ts_connect(g_server);
    ts_assert_error(ts_cmd(admin, "CLIENT PAUSE 100 NONE"), "ERR CLIENT PAUSE mode must be WRITE or ALL");
    ts_assert_error(ts_cmd(admin, "CLIENT PAUSE x"), "ERR timeout is not an integer or out of range");
    ts_assert_error(ts_cmd(admin, "CLIENT PAUSE -1"), "ERR timeout is negative");
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(admin, "CLIENT PAUSE 400 ALL"));
    ts_assert_status(ts_cmd(other, "PING"), "PONG");
    ts_assert_ok(ts_cmd(admin, "CLIENT UNPAUSE"));
    long long waited = ts_now_ms() - t0;
    cr_assert_geq(waited, 350, "PING answered after %lld ms of a 400 ms pause", waited);
    /* a pause of 0 ms is over at once */
    ts_assert_ok(ts_cmd(admin, "CLIENT PAUSE 0"));
    ts_assert_ok(ts_cmd(other, "SET after 1"));
    redisFree(other);
    redisFree(admin);
}

/* While paused, keys neither expire actively nor on access (they read as
 * missing and stay); once unpaused, access expires them. A paused client
 * that disconnects leaves nothing behind. */
TS_TEST(client, pause_stops_expiry)
{
    redisContext *c = ts_connect(g_server), *gone = ts_connect(g_server);
    long long expired = ts_info_ll(c, "expired_keys");
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_status(ts_cmd(c, "SET foo bar PX 10"), "QUEUED");
    ts_assert_status(ts_cmd(c, "SET bar foo PX 10"), "QUEUED");
    ts_assert_status(ts_cmd(c, "CLIENT PAUSE 50000 WRITE"), "QUEUED");
    redisReply *r = ts_cmd(c, "EXEC");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3, "EXEC");
    freeReplyObject(r);
    ts_sleep_ms(250); /* two timer periods and more */
    ts_assert_nil(ts_cmd(c, "GET foo"));
    ts_assert_nil(ts_cmd(c, "GET bar"));
    cr_assert_eq(ts_info_ll(c, "expired_keys"), expired, "nothing expired while paused");
    ts_append(gone, "SET held 1");
    ts_flush(gone);
    WAIT_FOR(ts_info_ll(c, "blocked_clients") == 1, 5000);
    redisFree(gone);
    WAIT_FOR(ts_info_ll(c, "connected_clients") == 1, 5000);
    cr_assert_eq(ts_info_ll(c, "blocked_clients"), 0, "the client that left is not held");
    ts_assert_ok(ts_cmd(c, "CLIENT UNPAUSE"));
    ts_assert_nil(ts_cmd(c, "GET foo"));
    ts_assert_nil(ts_cmd(c, "GET bar"));
    cr_assert_eq(ts_info_ll(c, "expired_keys"), expired + 2, "both expired once unpaused");
    ts_assert_int(ts_cmd(c, "EXISTS held"), 0);
    redisFree(c);
}

/* Killed clients that never read are gone at once for INFO and CLIENT
 * LIST, as Redis frees them, though their sockets linger until the peer
 * takes the close (Redis's unit/introspection counts them so). */
TS_TEST(client, killed_clients_leave_the_count_at_once)
{
    /* Each PINGs first: its shard has taken the connection in (the
     * kernel completes a connect before any shard accepts it). */
    redisContext *me = ts_connect(g_server), *r1 = ts_connect(g_server), *r2 = ts_connect(g_server);
    ts_assert_status(ts_cmd(r1, "PING"), "PONG");
    ts_assert_status(ts_cmd(r2, "PING"), "PONG");
    cr_assert_eq(ts_info_ll(me, "connected_clients"), 3);
    ts_assert_int(ts_cmd(me, "CLIENT KILL SKIPME yes"), 2);
    redisContext *r3 = ts_connect(g_server), *r4 = ts_connect(g_server);
    ts_assert_status(ts_cmd(r3, "PING"), "PONG");
    ts_assert_status(ts_cmd(r4, "PING"), "PONG");
    cr_expect_eq(ts_info_ll(me, "connected_clients"), 3);
    redisReply *r = ts_cmd(me, "CLIENT LIST");
    cr_expect_eq(count_lines(r->str), 3, "%s", r->str);
    freeReplyObject(r);
    ts_assert_int(ts_cmd(me, "CLIENT KILL SKIPME no"), 3);
    redisFree(me);
    redisFree(r1);
    redisFree(r2);
    redisFree(r3);
    redisFree(r4);
}
