/* test_acl.c — ACL users as Redis 7.0 has them: AUTH and HELLO AUTH as a
 * user, command, key and channel rights checked for clients on every
 * shard and for keys spread over shards, inside MULTI (at queueing and
 * again at EXEC) and for a script's calls, ACL LOG, requirepass as the
 * default user's password, DELUSER closing the user's clients, CLIENT KILL
 * USER, and ACL SAVE / LOAD through an aclfile. Every expectation holds on
 * redis-server 7.0 too (suite `redis`); error texts were checked against
 * it. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(acl, .timeout = 90);

#define NCONN 8 /* enough connections that every shard of 4 gets some */
#define NKEYS 16

/* A connection authenticated as user/pass. */
static redisContext *login(const char *user, const char *pass)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "AUTH %s %s", user, pass));
    return c;
}

/* The value of field `name` in a map-as-array reply, or NULL. */
static const redisReply *field(const redisReply *map, const char *name)
{
    for (size_t i = 0; i + 1 < map->elements; i += 2)
        if (map->element[i]->type == REDIS_REPLY_STRING && strcmp(map->element[i]->str, name) == 0)
            return map->element[i + 1];
    return NULL;
}

static void assert_field(const redisReply *map, const char *name, const char *want)
{
    const redisReply *v = field(map, name);
    cr_assert(v && v->type == REDIS_REPLY_STRING, "field %s missing", name);
    cr_assert_str_eq(v->str, want, "field %s", name);
}

#define NOPERM_KEY "NOPERM this user has no permissions to access one of the keys used as arguments"

TS_TEST(acl, users_authenticate_with_auth_and_hello)
{
    redisContext *admin = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(admin, "ACL WHOAMI"), "default");
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER alice on >pw1 >pw2 ~* +@all"));
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER bob >pw ~* +@all")); /* new users start off */
    redisContext *c = ts_connect(g_server);
    ts_assert_error(ts_cmd(c, "AUTH alice nope"), "WRONGPASS invalid username-password pair or user is disabled.");
    ts_assert_error(ts_cmd(c, "AUTH bob pw"), "WRONGPASS invalid username-password pair or user is disabled.");
    ts_assert_error(ts_cmd(c, "AUTH nobody pw"), "WRONGPASS invalid username-password pair or user is disabled.");
    ts_assert_error(ts_cmd(c, "AUTH pw"),
                    "ERR AUTH <password> called without any password configured for the default user. Are you "
                    "sure your configuration is correct?");
    ts_assert_ok(ts_cmd(c, "AUTH alice pw2"));
    ts_assert_bulk(ts_cmd(c, "ACL WHOAMI"), "alice");
    redisReply *r = ts_cmd(c, "CLIENT INFO");
    cr_assert(r->type == REDIS_REPLY_STRING && strstr(r->str, " user=alice "), "%s", r->str);
    freeReplyObject(r);
    /* removing a password stops it working, the other still does */
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER alice <pw1"));
    ts_assert_error(ts_cmd(c, "AUTH alice pw1"), "WRONGPASS invalid username-password pair or user is disabled.");
    r = ts_cmd(c, "HELLO 2 AUTH alice pw2");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "HELLO 2 AUTH alice bad"), "WRONGPASS invalid username-password pair or user is disabled.");
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER bob on"));
    ts_assert_ok(ts_cmd(c, "AUTH bob pw"));
    ts_assert_bulk(ts_cmd(c, "ACL WHOAMI"), "bob");
    ts_assert_array(ts_cmd(admin, "ACL USERS"), "alice", "bob", "default");
    redisFree(c);
    redisFree(admin);
}

TS_TEST(acl, rights_hold_for_keys_on_every_shard)
{
    redisContext *admin = ts_connect(g_server);
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER k on >pw ~k:* +get +set +mget +mset +@connection"));
    redisContext *c[NCONN];
    for (int i = 0; i < NCONN; i++) c[i] = login("k", "pw");
    for (int i = 0; i < NCONN; i++) {
        for (int j = 0; j < NKEYS; j++) {
            ts_assert_ok(ts_cmd(c[i], "SET k:%d v%d", j, j));
            ts_assert_error(ts_cmd(c[i], "SET other:%d v", j), NOPERM_KEY);
        }
        ts_assert_error(ts_cmd(c[i], "DEL k:1"), "NOPERM this user has no permissions to run the 'del' command");
        /* keys spread over every shard: one MGET, one MSET */
        redisReply *r = ts_cmd(c[i], "MGET k:0 k:1 k:2 k:3 k:4 k:5 k:6 k:7 k:8 k:9 k:10 k:11");
        cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
        cr_assert_eq(r->elements, 12);
        cr_assert_str_eq(r->element[11]->str, "v11");
        freeReplyObject(r);
        ts_assert_error(ts_cmd(c[i], "MGET k:0 k:1 k:2 other:3 k:4"), NOPERM_KEY);
        ts_assert_ok(ts_cmd(c[i], "MSET k:1 a k:2 b k:3 c k:4 d"));
        ts_assert_error(ts_cmd(c[i], "MSET k:1 a x:2 b"), NOPERM_KEY);
    }
    /* a change reaches the connections already there, on every shard */
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER k -get"));
    for (int i = 0; i < NCONN; i++)
        ts_assert_error(ts_cmd(c[i], "GET k:1"), "NOPERM this user has no permissions to run the 'get' command");
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER k +get %%R~r:* %%W~w:*"));
    ts_assert_nil(ts_cmd(c[0], "GET r:1"));
    ts_assert_error(ts_cmd(c[0], "SET r:1 v"), NOPERM_KEY);
    ts_assert_ok(ts_cmd(c[0], "SET w:1 v"));
    ts_assert_error(ts_cmd(c[0], "GET w:1"), NOPERM_KEY);
    ts_assert_error(ts_cmd(c[0], "SET w:1 v GET"), NOPERM_KEY);
    for (int i = 0; i < NCONN; i++) redisFree(c[i]);
    redisFree(admin);
}

TS_TEST(acl, subcommands_categories_and_selectors)
{
    redisContext *admin = ts_connect(g_server);
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER s on nopass ~* +@read -@hash +config|get +select|0 (+set ~w*)"));
    redisContext *c = login("s", "x");
    ts_assert_nil(ts_cmd(c, "GET a"));
    ts_assert_error(ts_cmd(c, "HGET h f"), "NOPERM this user has no permissions to run the 'hget' command");
    redisReply *r = ts_cmd(c, "CONFIG GET maxmemory");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "CONFIG SET maxmemory 0"),
                    "NOPERM this user has no permissions to run the 'config|set' command");
    ts_assert_ok(ts_cmd(c, "SELECT 0"));
    ts_assert_error(ts_cmd(c, "SELECT 1"), "NOPERM this user has no permissions to run the 'select' command");
    ts_assert_ok(ts_cmd(c, "SET w1 v"));
    ts_assert_error(ts_cmd(c, "SET a v"), NOPERM_KEY);
    ts_assert_error(ts_cmd(admin, "ACL SETUSER s +nosuch"),
                    "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
    ts_assert_error(ts_cmd(admin, "ACL SETUSER s (+get"),
                    "ERR Unmatched parenthesis in acl selector starting at '(+get'.");
    ts_assert_error(ts_cmd(admin, "ACL SETUSER s +config|get|x"),
                    "ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not "
                    "supported");
    ts_assert_ok(ts_cmd(admin, "ACL DRYRUN s get k"));
    ts_assert_bulk(ts_cmd(admin, "ACL DRYRUN s hset h f v"),
                   "This user has no permissions to run the 'hset' command");
    ts_assert_bulk(ts_cmd(admin, "ACL DRYRUN s set k v"), "This user has no permissions to access the 'k' key");
    ts_assert_error(ts_cmd(admin, "ACL DRYRUN nobody get k"), "ERR User 'nobody' not found");
    r = ts_cmd(admin, "ACL GETUSER s");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    assert_field(r, "keys", "~*");
    assert_field(r, "channels", "");
    const redisReply *sel = field(r, "selectors");
    cr_assert(sel && sel->elements == 1);
    assert_field(sel->element[0], "commands", "-@all +set");
    assert_field(sel->element[0], "keys", "~w*");
    freeReplyObject(r);
    ts_assert_nil(ts_cmd(admin, "ACL GETUSER nobody"));
    r = ts_cmd(admin, "ACL CAT");
    cr_assert_eq(r->elements, 21);
    freeReplyObject(r);
    ts_assert_error(ts_cmd(admin, "ACL CAT nosuch"), "ERR Unknown category 'nosuch'");
    ts_assert_error(ts_cmd(admin, "ACL CAT a b"), "ERR unknown subcommand or wrong number of arguments for 'CAT'. Try "
                                                  "ACL HELP.");
    r = ts_cmd(admin, "ACL GENPASS 65");
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    cr_assert_eq(r->len, 17);
    freeReplyObject(r);
    redisFree(c);
    redisFree(admin);
}

TS_TEST(acl, multi_is_checked_when_queued_and_at_exec)
{
    redisContext *admin = ts_connect(g_server);
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER m on nopass ~* +@transaction +set +get"));
    redisContext *c = login("m", "x");
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_status(ts_cmd(c, "SET a 1"), "QUEUED");
    ts_assert_error(ts_cmd(c, "DEL a"), "NOPERM this user has no permissions to run the 'del' command");
    ts_assert_error(ts_cmd(c, "EXEC"), "EXECABORT Transaction discarded because of previous errors.");
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_status(ts_cmd(c, "SET a 1"), "QUEUED");
    ts_assert_status(ts_cmd(c, "SET b 2"), "QUEUED");
    ts_assert_status(ts_cmd(c, "GET a"), "QUEUED");
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER m -get"));
    redisReply *r = ts_cmd(c, "EXEC");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 3);
    cr_assert_str_eq(r->element[0]->str, "OK");
    cr_assert_str_eq(r->element[1]->str, "OK");
    cr_assert_eq(r->element[2]->type, REDIS_REPLY_ERROR);
    cr_assert_str_eq(r->element[2]->str,
                     "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC "
                     "call. This command is no longer allowed for the following reason: no permission to execute "
                     "the command or subcommand");
    freeReplyObject(r);
    ts_assert_bulk(ts_cmd(admin, "GET b"), "2");
    r = ts_cmd(admin, "ACL LOG 1");
    cr_assert_eq(r->elements, 1);
    assert_field(r->element[0], "context", "multi");
    assert_field(r->element[0], "object", "get");
    freeReplyObject(r);
    redisFree(c);
    redisFree(admin);
}

TS_TEST(acl, scripts_calls_are_checked)
{
    redisContext *admin = ts_connect(g_server);
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER e on nopass ~a* +eval +get +set"));
    ts_assert_ok(ts_cmd(admin, "ACL LOG RESET"));
    redisContext *c = login("e", "x");
    ts_assert_ok(ts_cmd(c, "EVAL %s 1 a1", "return redis.call('set', KEYS[1], 'v')"));
    redisReply *r = ts_cmd(c, "EVAL %s 1 a1", "return redis.call('del', KEYS[1])");
    const char *want = "ERR The user executing the script can't run this command or subcommand";
    cr_assert(r->type == REDIS_REPLY_ERROR && strncmp(r->str, want, strlen(want)) == 0, "%s", r->str);
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "EVAL %s 0", "return redis.pcall('get', 'b')"),
                    "ERR The user executing the script can't access at least one of the keys mentioned in the "
                    "command arguments");
    ts_assert_error(ts_cmd(c, "EVAL %s 1 b", "return 1"), NOPERM_KEY);
    r = ts_cmd(admin, "ACL LOG");
    cr_assert_eq(r->elements, 3);
    assert_field(r->element[1], "context", "lua");
    assert_field(r->element[1], "reason", "key");
    assert_field(r->element[1], "object", "b");
    assert_field(r->element[2], "reason", "command");
    assert_field(r->element[2], "object", "del");
    assert_field(r->element[2], "username", "e");
    freeReplyObject(r);
    redisFree(c);
    redisFree(admin);
}

/* redis.acl_check_cmd answers for the script's user, as Redis's unit/
 * scripting "Script ACL check": a command and keys it may use, a command
 * it may not, a key out of its patterns, and a command that does not
 * exist (an error; redis-server 7.0.15 crashes on that one, so it is
 * asked of ringkv only). */
TS_TEST(acl, scripts_ask_acl_check_cmd)
{
    redisContext *admin = ts_connect(g_server);
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER bob on >123 +@scripting +set ~x*"));
    redisContext *c = login("bob", "123");
    ts_assert_int(ts_cmd(c, "EVAL %s 1 xx", "return redis.acl_check_cmd('set','xx',1)"), 1);
    ts_assert_nil(ts_cmd(c, "EVAL %s 1 xx", "return redis.acl_check_cmd('hset','xx','f',1)"));
    ts_assert_nil(ts_cmd(c, "EVAL %s 0", "return redis.acl_check_cmd('set','yy',1)"));
    if (!ts_is_redis()) {
        redisReply *r = ts_cmd(c, "EVAL %s 0", "return redis.acl_check_cmd('invalid-cmd','arg')");
        cr_assert(r->type == REDIS_REPLY_ERROR && strstr(r->str, "ERR Invalid command passed to redis.acl_check_cmd()"),
                  "acl_check_cmd of an unknown command: %s", r->str ? r->str : "(not an error)");
        freeReplyObject(r);
    }
    /* The default user may do anything. */
    ts_assert_int(ts_cmd(admin, "EVAL %s 0", "return redis.acl_check_cmd('hset','yy','f',1)"), 1);
    redisFree(c);
    redisFree(admin);
}

TS_TEST(acl, log_records_denials_and_auth_failures)
{
    redisContext *admin = ts_connect(g_server);
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER l on >pw ~k* resetchannels &ch +get +publish"));
    redisContext *c = login("l", "pw");
    ts_assert_error(ts_cmd(c, "INCR k"), "NOPERM this user has no permissions to run the 'incr' command");
    ts_assert_error(ts_cmd(c, "INCR k"), "NOPERM this user has no permissions to run the 'incr' command");
    ts_assert_error(ts_cmd(c, "GET x"), NOPERM_KEY);
    ts_assert_error(ts_cmd(c, "PUBLISH other m"),
                    "NOPERM this user has no permissions to access one of the channels used as arguments");
    ts_assert_int(ts_cmd(c, "PUBLISH ch m"), 0);
    ts_assert_error(ts_cmd(c, "AUTH l bad"), "WRONGPASS invalid username-password pair or user is disabled.");
    redisReply *r = ts_cmd(admin, "ACL LOG");
    cr_assert_eq(r->elements, 4);
    const redisReply *e = r->element[0];
    assert_field(e, "reason", "auth");
    assert_field(e, "object", "AUTH");
    assert_field(e, "username", "l");
    assert_field(e, "context", "toplevel");
    assert_field(r->element[1], "reason", "channel");
    assert_field(r->element[1], "object", "other");
    assert_field(r->element[2], "reason", "key");
    assert_field(r->element[2], "object", "x");
    const redisReply *count = field(r->element[3], "count");
    cr_assert(count && count->integer == 2, "similar denials are counted in one entry");
    const redisReply *info = field(r->element[3], "client-info");
    cr_assert(info && strstr(info->str, "user=l"), "client-info");
    freeReplyObject(r);
    r = ts_cmd(admin, "ACL LOG 2");
    cr_assert_eq(r->elements, 2);
    freeReplyObject(r);
    ts_assert_ok(ts_cmd(admin, "CONFIG SET acllog-max-len 1"));
    ts_assert_error(ts_cmd(c, "GET y"), NOPERM_KEY); /* the log shrinks as it grows */
    r = ts_cmd(admin, "ACL LOG");
    cr_assert_eq(r->elements, 1);
    freeReplyObject(r);
    ts_assert_ok(ts_cmd(admin, "ACL LOG RESET"));
    r = ts_cmd(admin, "ACL LOG");
    cr_assert_eq(r->elements, 0);
    freeReplyObject(r);
    redisFree(c);
    redisFree(admin);
}

TS_TEST(acl, requirepass_is_the_default_users_password)
{
    redisContext *admin = ts_connect(g_server);
    ts_assert_ok(ts_cmd(admin, "CONFIG SET requirepass s3cret"));
    redisContext *c = ts_connect(g_server);
    ts_assert_error(ts_cmd(c, "GET k"), "NOAUTH Authentication required.");
    ts_assert_ok(ts_cmd(c, "AUTH default s3cret"));
    ts_assert_nil(ts_cmd(c, "GET k"));
    redisReply *r = ts_cmd(admin, "ACL LIST");
    cr_assert_eq(r->elements, 1);
    cr_assert_str_eq(r->element[0]->str, "user default on "
                                         "#1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0 ~* &* "
                                         "+@all");
    freeReplyObject(r);
    /* the default user off: new connections cannot get in */
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER default off"));
    redisContext *d = ts_connect(g_server);
    ts_assert_error(ts_cmd(d, "AUTH s3cret"), "WRONGPASS invalid username-password pair or user is disabled.");
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER default on"));
    ts_assert_ok(ts_cmd(admin, "CONFIG SET requirepass %s", ""));
    redisContext *e = ts_connect(g_server);
    ts_assert_nil(ts_cmd(e, "GET k"));
    redisFree(e);
    redisFree(d);
    redisFree(c);
    redisFree(admin);
}

TS_TEST(acl, deleted_users_clients_are_closed)
{
    redisContext *admin = ts_connect(g_server);
    ts_assert_error(ts_cmd(admin, "ACL DELUSER default"), "ERR The 'default' user cannot be removed");
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER gone on nopass ~* +@all"));
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER kept on nopass ~* +@all"));
    redisContext *g[NCONN], *k = login("kept", "x");
    for (int i = 0; i < NCONN; i++) g[i] = login("gone", "x");
    ts_assert_int(ts_cmd(admin, "ACL DELUSER gone nosuch"), 1);
    for (int i = 0; i < NCONN; i++) {
        redisReply *r = redisCommand(g[i], "PING");
        cr_assert_null(r, "a client of a deleted user is closed");
        redisFree(g[i]);
    }
    ts_assert_status(ts_cmd(k, "PING"), "PONG");
    ts_assert_int(ts_cmd(admin, "CLIENT KILL USER kept"), 1);
    redisReply *r = redisCommand(k, "PING");
    cr_assert_null(r);
    redisFree(k);
    ts_assert_error(ts_cmd(admin, "CLIENT KILL USER nosuch"), "ERR No such user 'nosuch'");
    redisFree(admin);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The words of s, sorted, joined by spaces (malloc'd). */
static char *sorted_words(const char *s)
{
    char *copy = strdup(s), *words[4096], *save = NULL;
    size_t n = 0;
    for (char *w = strtok_r(copy, " ", &save); w && n < 4096; w = strtok_r(NULL, " ", &save)) words[n++] = w;
    qsort(words, n, sizeof(words[0]), cmp_str);
    char *out = calloc(1, strlen(s) + 2);
    for (size_t i = 0; i < n; i++) {
        strcat(out, words[i]);
        strcat(out, " ");
    }
    free(copy);
    return out;
}

/* ACL SAVE writes what ACL LIST shows; ACL LOAD brings it back. */
Test(acl, aclfile_save_and_load_round_trip, .fini = ts_fixture_fini)
{
    char path[] = "/tmp/ringkv-acl-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *text = "user default on nopass ~* &* +@all\nuser f on >pw ~f* +get\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    g_server = ts_start("--aclfile", path, NULL);
    redisContext *admin = ts_connect(g_server);
    redisContext *f = login("f", "pw");
    ts_assert_nil(ts_cmd(f, "GET f1"));
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER g on nopass ~g* &c* +@read -@hash (+set ~s*)"));
    redisReply *before = ts_cmd(admin, "ACL LIST");
    ts_assert_ok(ts_cmd(admin, "ACL SAVE"));
    ts_assert_int(ts_cmd(admin, "ACL DELUSER g"), 1);
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER f off"));
    ts_assert_ok(ts_cmd(admin, "ACL LOAD"));
    /* the users are new ones: their clients go, the default user's stay */
    cr_assert_null(redisCommand(f, "PING"), "a client of a reloaded user is closed");
    redisReply *after = ts_cmd(admin, "ACL LIST");
    cr_assert_eq(before->elements, 3);
    cr_assert_eq(after->elements, before->elements);
    /* the same rules; Redis may list single commands in another order */
    for (size_t i = 0; i < before->elements; i++) {
        char *a = sorted_words(after->element[i]->str), *b = sorted_words(before->element[i]->str);
        cr_assert_str_eq(a, b);
        free(a);
        free(b);
    }
    freeReplyObject(before);
    freeReplyObject(after);
    /* a bad file changes nothing */
    FILE *out = fopen(path, "w");
    fputs("user h on +nosuch\n", out);
    fclose(out);
    redisReply *r = ts_cmd(admin, "ACL LOAD");
    cr_assert_eq(r->type, REDIS_REPLY_ERROR);
    cr_assert(strstr(r->str, "Unknown command or category name in ACL"), "%s", r->str);
    freeReplyObject(r);
    ts_assert_array(ts_cmd(admin, "ACL USERS"), "default", "f", "g");
    redisFree(f);
    redisFree(admin);
    ts_fixture_stop();
    unlink(path);
}

/* Redis closes subscribers whose user may no longer listen to one of
 * their channels, on every shard, before the next command runs. */
TS_TEST(acl, subscribers_losing_a_channel_are_closed)
{
    redisContext *admin = ts_connect(g_server);
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER ps on nopass +@all resetchannels &foo &bar:* &keep"));
    redisContext *sub[NCONN];
    for (int i = 0; i < NCONN; i++) {
        sub[i] = login("ps", "x");
        ts_assert_ok(ts_cmd(sub[i], "CLIENT SETNAME %s", i % 2 ? "deathrow" : "spared"));
        redisReply *r = ts_cmd(sub[i], i % 2 ? "SUBSCRIBE keep foo" : "PSUBSCRIBE bar:*");
        freeReplyObject(r);
        if (i % 2) freeReplyObject(ts_reply(sub[i])); /* the second confirmation */
    }
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER ps resetchannels &keep &bar:*"));
    redisReply *r = ts_cmd(admin, "CLIENT LIST");
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    cr_assert_null(strstr(r->str, "name=deathrow"), "%s", r->str);
    cr_assert_not_null(strstr(r->str, "name=spared"), "%s", r->str);
    freeReplyObject(r);
    for (int i = 0; i < NCONN; i++) {
        redisReply *got = NULL;
        if (i % 2) cr_assert_eq(redisGetReply(sub[i], (void **)&got), REDIS_ERR, "closed");
        redisFree(sub[i]);
    }
    redisFree(admin);
}

/* BY and GET patterns may name any key: Redis wants read access to all. */
TS_TEST(acl, sort_patterns_need_every_key)
{
    redisContext *admin = ts_connect(g_server);
    ts_assert_int(ts_cmd(admin, "RPUSH mylist 1"), 1);
    ts_assert_ok(ts_cmd(admin, "SET v1 1"));
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER srt on nopass (+sort ~mylist ~v*)"));
    redisContext *c = login("srt", "x");
    ts_assert_error(ts_cmd(c, "SORT mylist BY v*"), "ERR BY option of SORT denied due to insufficient ACL permissions.");
    ts_assert_error(ts_cmd(c, "SORT mylist GET v*"), "ERR GET option of SORT denied due to insufficient ACL permissions.");
    ts_assert_array(ts_cmd(c, "SORT mylist BY nosort"), "1");
    ts_assert_ok(ts_cmd(admin, "ACL SETUSER srt (+sort ~mylist %%R~*)"));
    ts_assert_array(ts_cmd(c, "SORT mylist BY v*"), "1");
    ts_assert_array(ts_cmd(c, "SORT mylist GET v*"), "1");
    redisFree(c);
    redisFree(admin);
}

TS_TEST(acl, without_aclfile_save_and_load_refuse)
{
    redisContext *admin = ts_connect(g_server);
    const char *err = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
                      "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
                      "configuration file set) in order to store users in the Redis configuration.";
    ts_assert_error(ts_cmd(admin, "ACL SAVE"), err);
    ts_assert_error(ts_cmd(admin, "ACL LOAD"), err);
    /* found by redis-diff: HELP's last line is Redis's own wording */
    redisReply *r = ts_cmd(admin, "ACL HELP");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 29);
    cr_assert_str_eq(r->element[28]->str, "    Prints this help.");
    freeReplyObject(r);
    redisFree(admin);
}
