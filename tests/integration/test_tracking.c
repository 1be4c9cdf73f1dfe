/* test_tracking.c — client-side caching (CLIENT TRACKING): invalidations
 * for keys read on any shard and changed by another client, RESP2
 * redirection, BCAST prefixes, OPTIN/OPTOUT with CACHING, NOLOOP, FLUSHALL,
 * expiry, MULTI/EXEC, the order of invalidations and replies, the
 * options' errors and the connection's state. Every expectation holds on
 * redis-server 7.0 (RINGKV_TEST_REDIS=1). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(tracking, .timeout = 60);

#define PUSH_HEAD ">2\r\n$10\r\ninvalidate\r\n"

static void cmdv(struct ts_raw *r, const char *line)
{
    char buf[512];
    const char *argv[16];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *tok = strtok(buf, " "); tok && argc < 16; tok = strtok(NULL, " ")) argv[argc++] = tok;
    ts_raw_send_argv(r, argc, argv);
}

/* Sends a command and asserts its exact reply. */
static void expect(struct ts_raw *r, const char *line, const char *reply)
{
    cmdv(r, line);
    char why[1024];
    cr_assert(ts_raw_reply_is(r, reply, strlen(reply), 5000, why, sizeof why), "%s: %s", line, why);
}

static void expect_next(struct ts_raw *r, const char *reply)
{
    char why[1024];
    cr_assert(ts_raw_reply_is(r, reply, strlen(reply), 5000, why, sizeof why), "%s", why);
}

/* The invalidation push of one key, as Redis writes it. */
static const char *push_of(const char *key)
{
    static char buf[256];
    snprintf(buf, sizeof buf, PUSH_HEAD "*1\r\n$%zu\r\n%s\r\n", strlen(key), key);
    return buf;
}

/* A RESP3 connection with tracking on (options appended). */
static struct ts_raw *tracker(const char *options)
{
    struct ts_raw *r = ts_raw_connect(g_server);
    size_t len;
    cmdv(r, "HELLO 3");
    cr_assert(ts_raw_read_reply(r, 5000, &len), "HELLO 3: %s", ts_raw_status(r));
    char line[256];
    snprintf(line, sizeof line, "CLIENT TRACKING ON%s%s", options[0] ? " " : "", options);
    expect(r, line, "+OK\r\n");
    return r;
}

static long long client_id_of(struct ts_raw *r)
{
    size_t len;
    cmdv(r, "CLIENT ID");
    const char *rep = ts_raw_read_reply(r, 5000, &len);
    cr_assert(rep && rep[0] == ':', "CLIENT ID: %s", rep ? rep : ts_raw_status(r));
    return atoll(rep + 1);
}

/* PING answered after key's invalidation. */
static void expect_next_push_then_pong(struct ts_raw *t, const char *key)
{
    cmdv(t, "PING");
    expect_next(t, push_of(key));
    expect_next(t, "+PONG\r\n");
}

static const char *const spread_keys[] = {"k:0", "k:1", "k:2", "k:3", "k:4", "k:5", "k:6", "k:7"};
#define NKEYS (sizeof spread_keys / sizeof spread_keys[0])

TS_TEST(tracking, keys_on_every_shard_changed_by_another_client)
{
    ts_assert_spread(spread_keys, NKEYS, 4);
    redisContext *w = ts_connect(g_server);
    struct ts_raw *t = tracker("");
    for (size_t i = 0; i < NKEYS; i++) {
        ts_assert_ok(ts_cmd(w, "SET %s v", spread_keys[i]));
        char line[64];
        snprintf(line, sizeof line, "GET %s", spread_keys[i]);
        expect(t, line, "$1\r\nv\r\n");
    }
    for (size_t i = 0; i < NKEYS; i++) ts_assert_ok(ts_cmd(w, "SET %s w", spread_keys[i]));
    /* one push per key, each once: keys of different shards may come in any order */
    bool seen[NKEYS] = {0};
    for (size_t n = 0; n < NKEYS; n++) {
        size_t len;
        const char *got = ts_raw_read_reply(t, 5000, &len);
        cr_assert(got, "push %zu: %s", n, ts_raw_status(t));
        size_t i = 0;
        while (i < NKEYS && strcmp(got, push_of(spread_keys[i])) != 0) i++;
        cr_assert(i < NKEYS && !seen[i], "unexpected push %s", got);
        seen[i] = true;
    }
    /* a second write finds nobody: the read registered once */
    ts_assert_ok(ts_cmd(w, "SET k:0 again"));
    expect(t, "PING", "+PONG\r\n");
    redisFree(w);
    ts_raw_close(t);
}

/* The invalidation of another client's write is written before the reply
 * of anything the tracking client sends after that write answered. */
TS_TEST(tracking, invalidation_comes_before_later_replies)
{
    redisContext *w = ts_connect(g_server);
    struct ts_raw *t = tracker("");
    for (int round = 0; round < 50; round++) {
        const char *key = spread_keys[round % NKEYS];
        char line[64];
        snprintf(line, sizeof line, "GET %s", key);
        cmdv(t, line);
        size_t len;
        cr_assert(ts_raw_read_reply(t, 5000, &len), "GET: %s", ts_raw_status(t));
        ts_assert_ok(ts_cmd(w, "SET %s %d", key, round));
        expect_next_push_then_pong(t, key);
    }
    redisFree(w);
    ts_raw_close(t);
}

/* As Redis 7.0: the client's own write answers first, then its push. */
TS_TEST(tracking, own_write_invalidation_follows_its_reply)
{
    struct ts_raw *t = tracker("");
    for (size_t i = 0; i < NKEYS; i++) {
        char line[64];
        snprintf(line, sizeof line, "SET %s 1", spread_keys[i]);
        expect(t, line, "+OK\r\n");
        snprintf(line, sizeof line, "GET %s", spread_keys[i]);
        expect(t, line, "$1\r\n1\r\n");
        snprintf(line, sizeof line, "DEL %s", spread_keys[i]);
        expect(t, line, ":1\r\n");
        expect_next(t, push_of(spread_keys[i]));
    }
    ts_raw_close(t);
}

TS_TEST(tracking, noloop_skips_own_writes)
{
    redisContext *w = ts_connect(g_server);
    struct ts_raw *t = tracker("NOLOOP");
    expect(t, "GET k:1", "_\r\n");
    expect(t, "SET k:1 mine", "+OK\r\n");
    expect(t, "GET k:2", "_\r\n");
    ts_assert_ok(ts_cmd(w, "SET k:2 theirs"));
    expect_next_push_then_pong(t, "k:2");
    redisFree(w);
    ts_raw_close(t);
}

TS_TEST(tracking, resp2_redirect_gets_messages)
{
    struct ts_raw *redir = ts_raw_connect(g_server);
    long long id = client_id_of(redir);
    expect(redir, "SUBSCRIBE __redis__:invalidate", "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n");
    redisContext *t = ts_connect(g_server);
    redisContext *w = ts_connect(g_server);
    ts_assert_ok(ts_cmd(t, "CLIENT TRACKING on REDIRECT %lld", id));
    ts_assert_int(ts_cmd(t, "CLIENT GETREDIR"), id);
    for (size_t i = 0; i < NKEYS; i++) ts_assert_nil(ts_cmd(t, "GET %s", spread_keys[i]));
    for (size_t i = 0; i < NKEYS; i++) {
        ts_assert_ok(ts_cmd(w, "SET %s x", spread_keys[i]));
        char want[256];
        snprintf(want, sizeof want, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$%zu\r\n%s\r\n",
                 strlen(spread_keys[i]), spread_keys[i]);
        expect_next(redir, want);
    }
    /* FLUSHALL: a null invalidation */
    ts_assert_nil(ts_cmd(t, "GET other"));
    ts_assert_ok(ts_cmd(w, "FLUSHALL"));
    expect_next(redir, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n");
    redisFree(w);
    redisFree(t);
    ts_raw_close(redir);
}

static bool client_gone(redisContext *c, long long id)
{
    redisReply *r = ts_cmd(c, "CLIENT LIST ID %lld", id);
    bool gone = r->type == REDIS_REPLY_STRING && r->len == 0;
    freeReplyObject(r);
    return gone;
}

TS_TEST(tracking, redirect_gone_breaks_with_a_push)
{
    struct ts_raw *redir = ts_raw_connect(g_server);
    long long id = client_id_of(redir);
    struct ts_raw *t = ts_raw_connect(g_server);
    size_t len;
    cmdv(t, "HELLO 3");
    cr_assert(ts_raw_read_reply(t, 5000, &len));
    char line[96];
    snprintf(line, sizeof line, "CLIENT TRACKING on REDIRECT %lld", id);
    expect(t, line, "+OK\r\n");
    expect(t, "GET k:4", "_\r\n");
    ts_raw_close(redir);
    redisContext *w = ts_connect(g_server);
    WAIT_FOR(client_gone(w, id), 5000);
    cr_assert(client_gone(w, id), "client %lld still listed", id);
    ts_assert_ok(ts_cmd(w, "SET k:4 changed"));
    char want[96];
    snprintf(want, sizeof want, ">2\r\n$21\r\ntracking-redir-broken\r\n:%lld\r\n", id);
    cmdv(t, "PING");
    expect_next(t, want);
    expect_next(t, "+PONG\r\n");
    cmdv(t, "CLIENT TRACKINGINFO");
    const char *info = ts_raw_read_reply(t, 5000, &len);
    cr_assert(info && strstr(info, "broken_redirect"), "%s", info ? info : ts_raw_status(t));
    redisFree(w);
    ts_raw_close(t);
}

TS_TEST(tracking, bcast_prefixes_get_every_changed_key)
{
    redisContext *w = ts_connect(g_server);
    struct ts_raw *t = tracker("BCAST PREFIX a: PREFIX b:");
    ts_assert_ok(ts_cmd(w, "SET a:1 x"));
    expect_next(t, PUSH_HEAD "*1\r\n$3\r\na:1\r\n");
    ts_assert_ok(ts_cmd(w, "SET c:1 x")); /* no prefix of it */
    ts_assert_ok(ts_cmd(w, "SET b:2 x"));
    expect_next(t, PUSH_HEAD "*1\r\n$3\r\nb:2\r\n");
    /* reads register nothing in BCAST mode; expiry counts as a change */
    ts_assert_ok(ts_cmd(w, "SET a:exp x PX 50"));
    expect_next(t, PUSH_HEAD "*1\r\n$5\r\na:exp\r\n");
    expect_next(t, PUSH_HEAD "*1\r\n$5\r\na:exp\r\n");
    expect(t, "CLIENT TRACKING ON BCAST PREFIX a:x", "-ERR Prefix 'a:x' overlaps with an existing prefix 'a:'. "
                                                     "Prefixes for a single client must not overlap.\r\n");
    expect(t, "CLIENT TRACKING ON", "-ERR You can't switch BCAST mode on/off before disabling tracking for this "
                                    "client, and then re-enabling it with a different mode.\r\n");
    /* a prefix counts once, whatever the clients (and shards) using it */
    struct ts_raw *more[4];
    for (int i = 0; i < 4; i++) more[i] = tracker("BCAST PREFIX a:");
    redisReply *info = ts_cmd(w, "INFO stats");
    cr_assert(strstr(info->str, "tracking_total_prefixes:2\r\n"), "%s", info->str);
    freeReplyObject(info);
    for (int i = 0; i < 4; i++) ts_raw_close(more[i]);
    redisFree(w);
    ts_raw_close(t);
}

TS_TEST(tracking, bcast_noloop_leaves_out_own_keys)
{
    struct ts_raw *t = tracker("BCAST NOLOOP");
    redisContext *w = ts_connect(g_server);
    expect(t, "SET mine 1", "+OK\r\n");
    ts_assert_ok(ts_cmd(w, "SET theirs 1"));
    expect_next_push_then_pong(t, "theirs");
    redisFree(w);
    ts_raw_close(t);
}

TS_TEST(tracking, optin_tracks_only_after_caching_yes)
{
    redisContext *w = ts_connect(g_server);
    struct ts_raw *t = tracker("OPTIN");
    expect(t, "GET k:5", "_\r\n");
    expect(t, "CLIENT CACHING YES", "+OK\r\n");
    expect(t, "GET k:6", "_\r\n");
    expect(t, "GET k:7", "_\r\n"); /* CACHING lasted one command */
    ts_assert_ok(ts_cmd(w, "SET k:5 1"));
    ts_assert_ok(ts_cmd(w, "SET k:7 1"));
    ts_assert_ok(ts_cmd(w, "SET k:6 1"));
    expect_next_push_then_pong(t, "k:6");
    expect(t, "CLIENT CACHING NO", "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n");
    redisFree(w);
    ts_raw_close(t);
}

TS_TEST(tracking, optout_tracks_unless_caching_no)
{
    redisContext *w = ts_connect(g_server);
    struct ts_raw *t = tracker("OPTOUT");
    expect(t, "CLIENT CACHING NO", "+OK\r\n");
    expect(t, "GET k:0", "_\r\n");
    expect(t, "GET k:1", "_\r\n");
    ts_assert_ok(ts_cmd(w, "SET k:0 1"));
    ts_assert_ok(ts_cmd(w, "SET k:1 1"));
    expect_next_push_then_pong(t, "k:1");
    expect(t, "CLIENT CACHING YES",
           "-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.\r\n");
    redisFree(w);
    ts_raw_close(t);
}

TS_TEST(tracking, flushall_sends_a_null_invalidation)
{
    redisContext *w = ts_connect(g_server);
    struct ts_raw *t = tracker("");
    struct ts_raw *bystander = tracker("");
    expect(t, "GET k:2", "_\r\n");
    ts_assert_ok(ts_cmd(w, "FLUSHALL"));
    expect_next(t, PUSH_HEAD "_\r\n");
    /* every tracking client, whatever it read */
    expect_next(bystander, PUSH_HEAD "_\r\n");
    ts_assert_ok(ts_cmd(w, "SET k:2 1"));
    expect(t, "PING", "+PONG\r\n"); /* the table was emptied */
    ts_assert_int(ts_cmd(w, "EXISTS k:2"), 1);
    redisReply *info = ts_cmd(w, "INFO stats");
    cr_assert(strstr(info->str, "tracking_total_keys:0\r\n"), "%s", info->str);
    freeReplyObject(info);
    redisFree(w);
    ts_raw_close(t);
    ts_raw_close(bystander);
}

TS_TEST(tracking, expiry_invalidates)
{
    redisContext *w = ts_connect(g_server);
    struct ts_raw *t = tracker("");
    ts_assert_ok(ts_cmd(w, "SET k:3 v PX 100"));
    expect(t, "GET k:3", "$1\r\nv\r\n");
    /* active expiry, on the key's shard, with nobody reading it */
    expect_next(t, push_of("k:3"));
    redisFree(w);
    ts_raw_close(t);
}

TS_TEST(tracking, multi_exec_changes_invalidate)
{
    redisContext *w = ts_connect(g_server);
    struct ts_raw *t = tracker("");
    ts_assert_ok(ts_cmd(w, "MSET k:0 1 k:1 1"));
    expect(t, "MGET k:0 k:1", "*2\r\n$1\r\n1\r\n$1\r\n1\r\n");
    ts_assert_ok(ts_cmd(w, "MULTI"));
    ts_assert_status(ts_cmd(w, "INCR k:0"), "QUEUED");
    ts_assert_status(ts_cmd(w, "INCR k:1"), "QUEUED");
    redisReply *r = ts_cmd(w, "EXEC");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    freeReplyObject(r);
    size_t len;
    char got[2][256];
    for (int i = 0; i < 2; i++) {
        const char *p = ts_raw_read_reply(t, 5000, &len);
        cr_assert(p, "push %d: %s", i, ts_raw_status(t));
        snprintf(got[i], sizeof got[i], "%s", p);
    }
    char want0[256], want1[256];
    snprintf(want0, sizeof want0, "%s", push_of("k:0"));
    snprintf(want1, sizeof want1, "%s", push_of("k:1"));
    cr_assert((strcmp(got[0], want0) == 0 && strcmp(got[1], want1) == 0) ||
                  (strcmp(got[0], want1) == 0 && strcmp(got[1], want0) == 0),
              "%s %s", got[0], got[1]);
    /* its own transaction: EXEC's reply first, whole, then the push */
    expect(t, "GET {t}a", "_\r\n");
    expect(t, "MULTI", "+OK\r\n");
    expect(t, "SET {t}a 1", "+QUEUED\r\n");
    expect(t, "GET {t}b", "+QUEUED\r\n");
    expect(t, "EXEC", "*2\r\n+OK\r\n_\r\n");
    expect_next(t, push_of("{t}a"));
    redisFree(w);
    ts_raw_close(t);
}

TS_TEST(tracking, options_errors_and_state)
{
    struct ts_raw *t = ts_raw_connect(g_server);
    expect(t, "CLIENT GETREDIR", ":-1\r\n");
    expect(t, "CLIENT TRACKINGINFO",
           "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n");
    expect(t, "CLIENT TRACKING ON REDIRECT 999999999", "-ERR The client ID you want redirect to does not exist\r\n");
    expect(t, "CLIENT TRACKING ON REDIRECT x", "-ERR value is not an integer or out of range\r\n");
    expect(t, "CLIENT TRACKING ON PREFIX a", "-ERR PREFIX option requires BCAST mode to be enabled\r\n");
    expect(t, "CLIENT TRACKING ON BCAST OPTIN", "-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n");
    expect(t, "CLIENT TRACKING ON OPTIN OPTOUT", "-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n");
    expect(t, "CLIENT TRACKING ON BCAST PREFIX ab PREFIX a", "-ERR Prefix 'ab' overlaps with another provided prefix "
                                                            "'a'. Prefixes for a single client must not overlap.\r\n");
    expect(t, "CLIENT TRACKING MAYBE", "-ERR syntax error\r\n");
    expect(t, "CLIENT TRACKING ON FOO", "-ERR syntax error\r\n");
    expect(t, "CLIENT CACHING YES", "-ERR CLIENT CACHING can be called only when the client is in tracking mode with "
                                    "OPTIN or OPTOUT mode enabled\r\n");
    expect(t, "CLIENT TRACKING ON OPTIN NOLOOP", "+OK\r\n");
    expect(t, "CLIENT TRACKING ON OPTOUT", "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for "
                                           "this client, and then re-enabling it with a different mode.\r\n");
    expect(t, "CLIENT CACHING MAYBE", "-ERR syntax error\r\n");
    expect(t, "CLIENT GETREDIR", ":0\r\n");
    expect(t, "CLIENT TRACKINGINFO", "*6\r\n$5\r\nflags\r\n*3\r\n$2\r\non\r\n$5\r\noptin\r\n$6\r\nnoloop\r\n"
                                     "$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n");
    redisContext *w = ts_connect(g_server);
    redisReply *info = ts_cmd(w, "INFO clients");
    cr_assert(strstr(info->str, "tracking_clients:1\r\n"), "%s", info->str);
    freeReplyObject(info);
    redisReply *list = ts_cmd(w, "CLIENT LIST");
    cr_assert(strstr(list->str, "flags=t "), "%s", list->str);
    freeReplyObject(list);
    /* RESET turns tracking off */
    expect(t, "RESET", "+RESET\r\n");
    expect(t, "CLIENT GETREDIR", ":-1\r\n");
    info = ts_cmd(w, "INFO clients");
    cr_assert(strstr(info->str, "tracking_clients:0\r\n"), "%s", info->str);
    freeReplyObject(info);
    /* prefixes as Redis lists them: sorted (redis-diff found the order given) */
    expect(t, "CLIENT TRACKING ON BCAST PREFIX user: PREFIX obj:", "+OK\r\n");
    expect(t, "CLIENT TRACKINGINFO", "*6\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n"
                                     "$8\r\nprefixes\r\n*2\r\n$4\r\nobj:\r\n$5\r\nuser:\r\n");
    redisFree(w);
    ts_raw_close(t);
}

TS_TEST(tracking, table_limit_evicts_keys_with_invalidations)
{
    redisContext *w = ts_connect(g_server);
    struct ts_raw *t = tracker("");
    for (size_t i = 0; i < NKEYS; i++) {
        char line[64];
        snprintf(line, sizeof line, "GET %s", spread_keys[i]);
        expect(t, line, "_\r\n");
    }
    redisReply *info = ts_cmd(w, "INFO stats");
    cr_assert(strstr(info->str, "tracking_total_keys:8\r\n") && strstr(info->str, "tracking_total_items:8\r\n"), "%s",
              info->str);
    freeReplyObject(info);
    ts_assert_ok(ts_cmd(w, "CONFIG SET tracking-table-max-keys 2"));
    for (size_t n = 0; n < NKEYS - 2; n++) {
        size_t len;
        const char *got = ts_raw_read_reply(t, 5000, &len);
        cr_assert(got && strncmp(got, PUSH_HEAD, strlen(PUSH_HEAD)) == 0, "push %zu: %s", n,
                  got ? got : ts_raw_status(t));
    }
    WAIT_FOR(ts_info_ll(w, "tracking_total_keys") == 2, 2000);
    cr_assert_eq(ts_info_ll(w, "tracking_total_keys"), 2);
    redisReply *cfg = ts_cmd(w, "CONFIG GET tracking-table-max-keys");
    cr_assert(cfg->type == REDIS_REPLY_ARRAY && cfg->elements == 2 && strcmp(cfg->element[1]->str, "2") == 0);
    freeReplyObject(cfg);
    redisFree(w);
    ts_raw_close(t);
}

/* A write that changes a value in place invalidates it; one that changes
 * nothing does not (redis-diff: SADD/SREM/PFADD/SETBIT/ZADD no-ops). */
TS_TEST(tracking, in_place_writes_invalidate_when_they_change)
{
    redisContext *w = ts_connect(g_server);
    struct ts_raw *t = tracker("");
    ts_assert_int(ts_cmd(w, "SADD k:1 a"), 1);
    ts_assert_int(ts_cmd(w, "RPUSH k:2 a"), 1);
    expect(t, "SCARD k:1", ":1\r\n");
    expect(t, "LLEN k:2", ":1\r\n");
    ts_assert_int(ts_cmd(w, "SADD k:1 a"), 0);
    ts_assert_int(ts_cmd(w, "LREM k:2 0 nope"), 0);
    expect(t, "PING", "+PONG\r\n");
    ts_assert_int(ts_cmd(w, "SADD k:1 b"), 1);
    expect_next_push_then_pong(t, "k:1");
    ts_assert_int(ts_cmd(w, "RPUSH k:2 b"), 2);
    expect_next_push_then_pong(t, "k:2");
    redisFree(w);
    ts_raw_close(t);
}

/* The keys of one invalidation push into seen[] (by index in keys[]);
 * returns how many it named. */
static int push_keys(const char *push, const char *const *keys, size_t nkeys, bool *seen)
{
    cr_assert(strncmp(push, PUSH_HEAD "*", strlen(PUSH_HEAD) + 1) == 0, "not a push of keys: %s", push);
    const char *p = push + strlen(PUSH_HEAD) + 1;
    int n = atoi(p);
    p = strstr(p, "\r\n") + 2;
    for (int i = 0; i < n; i++) {
        cr_assert(*p == '$', "%s", push);
        int len = atoi(p + 1);
        p = strstr(p, "\r\n") + 2;
        size_t k = 0;
        while (k < nkeys && !(strlen(keys[k]) == (size_t)len && memcmp(keys[k], p, (size_t)len) == 0)) k++;
        cr_assert(k < nkeys && !seen[k], "unexpected or repeated key in %s", push);
        seen[k] = true;
        p += len + 2;
    }
    return n;
}

static const char *const prefixed_keys[] = {"p:0", "p:1", "p:2", "p:3", "p:4", "p:5", "p:6", "p:7"};

TS_TEST(tracking, bcast_hears_of_keys_on_every_shard)
{
    ts_assert_spread(prefixed_keys, 8, 4);
    redisContext *w = ts_connect(g_server);
    struct ts_raw *t = tracker("BCAST PREFIX p:");
    for (int i = 0; i < 8; i++) ts_assert_ok(ts_cmd(w, "SET %s 1", prefixed_keys[i]));
    ts_assert_ok(ts_cmd(w, "SET q:0 1"));
    bool seen[8] = {0};
    int total = 0;
    while (total < 8) {
        size_t len;
        const char *got = ts_raw_read_reply(t, 5000, &len);
        cr_assert(got, "after %d keys: %s", total, ts_raw_status(t));
        total += push_keys(got, prefixed_keys, 8, seen);
    }
    expect(t, "PING", "+PONG\r\n");
    redisFree(w);
    ts_raw_close(t);
}

/* The shard= of a ringkv connection (CLIENT INFO), -1 on redis-server. */
static int shard_of_conn(redisContext *c)
{
    redisReply *r = ts_cmd(c, "CLIENT INFO");
    const char *at = r->type == REDIS_REPLY_STRING ? strstr(r->str, " shard=") : NULL;
    int shard = at ? atoi(at + 7) : -1;
    freeReplyObject(r);
    return shard;
}

static int shard_of_raw(struct ts_raw *r)
{
    size_t len;
    cmdv(r, "CLIENT INFO");
    const char *info = ts_raw_read_reply(r, 5000, &len);
    cr_assert(info, "CLIENT INFO: %s", ts_raw_status(r));
    const char *at = strstr(info, " shard=");
    return at ? atoi(at + 7) : -1;
}

/* Tracking clients on other shards than their redirect client (where
 * there are several) reach it through the shards' messages. */
TS_TEST(tracking, redirect_to_a_client_of_another_shard)
{
    struct ts_raw *redir = ts_raw_connect(g_server);
    long long rid = client_id_of(redir);
    int rshard = shard_of_raw(redir);
    expect(redir, "SUBSCRIBE __redis__:invalidate", "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n");
    enum { N = 8 };
    redisContext *c[N];
    int away = 0;
    for (int i = 0; i < N; i++) {
        c[i] = ts_connect(g_server);
        away += shard_of_conn(c[i]) != rshard;
        ts_assert_ok(ts_cmd(c[i], "CLIENT TRACKING ON REDIRECT %lld", rid));
        ts_assert_nil(ts_cmd(c[i], "GET %s", spread_keys[i]));
    }
    if (ts_shards() > 1) cr_assert(away > 0, "every connection landed on the redirect client's shard");
    redisContext *w = ts_connect(g_server);
    for (int i = 0; i < N; i++) {
        ts_assert_ok(ts_cmd(w, "SET %s x", spread_keys[i]));
        char want[256];
        snprintf(want, sizeof want, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$%zu\r\n%s\r\n",
                 strlen(spread_keys[i]), spread_keys[i]);
        expect_next(redir, want);
    }
    for (int i = 0; i < N; i++) redisFree(c[i]);
    redisFree(w);
    ts_raw_close(redir);
}

/* A read over keys of several shards runs on copies of their values; it
 * registers them on their owners all the same (redis-diff: SUNION). A
 * write's sources register nothing, as in Redis. */
TS_TEST(tracking, reads_over_several_shards_register_every_key)
{
    redisContext *w = ts_connect(g_server);
    struct ts_raw *t = tracker("");
    ts_assert_int(ts_cmd(w, "SADD k:0 a"), 1);
    ts_assert_int(ts_cmd(w, "SADD k:1 b"), 1);
    ts_assert_int(ts_cmd(w, "SADD k:2 c"), 1);
    ts_assert_int(ts_cmd(w, "SADD k:3 d"), 1);
    cr_assert(ts_key_quarter("k:0") != ts_key_quarter("k:1") && ts_key_quarter("k:2") != ts_key_quarter("k:3"),
              "the keys must span shards at --shards 4");
    expect(t, "SCARD k:0", ":1\r\n"); /* nothing else reads k:1 below */
    cmdv(t, "SUNION k:0 k:1");
    size_t len;
    cr_assert(ts_raw_read_reply(t, 5000, &len), "SUNION: %s", ts_raw_status(t));
    expect(t, "SUNIONSTORE k:4 k:2 k:3", ":2\r\n");
    ts_assert_int(ts_cmd(w, "SADD k:2 x"), 1);
    ts_assert_int(ts_cmd(w, "SADD k:3 x"), 1);
    ts_assert_int(ts_cmd(w, "SADD k:1 x"), 1);
    expect_next_push_then_pong(t, "k:1");
    redisFree(w);
    ts_raw_close(t);
}

/* A key its TTL removes is nobody's write, even when the removal happens
 * in a command of the client that wrote it: a BCAST client in NOLOOP mode
 * hears of its own keys expiring (Redis's unit/tracking "Tracking gets
 * notification of lazy expired keys", which hung at 4 shards). Active
 * expiry is off, so each key goes in the client's own GET. */
Test(tracking, bcast_noloop_hears_of_own_keys_expiring, .fini = ts_fixture_fini)
{
    g_server = ts_start("--enable-debug-command", "yes", NULL);
    struct ts_raw *t = tracker("BCAST NOLOOP");
    expect(t, "DEBUG SET-ACTIVE-EXPIRE 0", "+OK\r\n");
    char line[64];
    for (size_t i = 0; i < NKEYS; i++) {
        snprintf(line, sizeof line, "SET %s v PX 20", spread_keys[i]);
        expect(t, line, "+OK\r\n");
    }
    ts_sleep_ms(60);
    for (size_t i = 0; i < NKEYS; i++) {
        snprintf(line, sizeof line, "GET %s", spread_keys[i]);
        cmdv(t, line);
        /* The reply and the push, in either order. */
        bool got_null = false, got_push = false;
        for (int n = 0; n < 2; n++) {
            size_t len;
            const char *rep = ts_raw_read_reply(t, 5000, &len);
            cr_assert(rep, "%s: %s", line, ts_raw_status(t));
            if (len == 3 && memcmp(rep, "_\r\n", 3) == 0) got_null = true;
            else if (len == strlen(push_of(spread_keys[i])) && memcmp(rep, push_of(spread_keys[i]), len) == 0)
                got_push = true;
            else cr_assert_fail("%s: unexpected %.*s", line, (int)len, rep);
        }
        cr_assert(got_null && got_push, "%s: the null reply and the key's invalidation", line);
    }
    ts_raw_close(t);
    ts_fixture_stop();
}
