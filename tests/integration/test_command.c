/* test_command.c — COMMAND and its subcommands over TCP: counts that agree
 * with each other and with the command table, the shape of every COMMAND
 * INFO entry, exact RESP2/RESP3 bytes where Redis 7.0's are known, DOCS as
 * redis-cli reads it (and redis-cli itself), LIST filters, and GETKEYS with
 * Redis's error strings. Every expectation was checked against
 * redis-server 7.0.15 (RINGKV_TEST_REDIS=1); the comparison with ringkv's
 * own table is skipped there. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringkv/base/alloc.h"
#include "ringkv/cmd/commands.h"

TestSuite(command, .timeout = 60);

static bool is_status(const redisReply *r) { return r->type == REDIS_REPLY_STATUS; }

static bool array_has(const redisReply *r, const char *s)
{
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->str && strcmp(r->element[i]->str, s) == 0) return true;
    return false;
}

static size_t top_level_names(const redisReply *list)
{
    size_t n = 0;
    for (size_t i = 0; i < list->elements; i++) n += strchr(list->element[i]->str, '|') == NULL;
    return n;
}

TS_TEST(command, count_agrees_with_command_list_and_table)
{
    redisContext *c = ts_connect(g_server);
    redisReply *count = ts_cmd(c, "COMMAND COUNT");
    cr_assert_eq(count->type, REDIS_REPLY_INTEGER);
    redisReply *all = ts_cmd(c, "COMMAND");
    redisReply *info = ts_cmd(c, "COMMAND INFO");
    redisReply *list = ts_cmd(c, "COMMAND LIST");
    cr_assert(all->type == REDIS_REPLY_ARRAY && info->type == REDIS_REPLY_ARRAY && list->type == REDIS_REPLY_ARRAY);
    cr_expect_eq(all->elements, (size_t)count->integer);
    cr_expect_eq(info->elements, (size_t)count->integer);
    cr_expect_eq(top_level_names(list), (size_t)count->integer);
    if (!ts_is_redis()) {
        commands_setup(); /* the table linked into this test is the server's */
        cr_expect_eq((size_t)count->integer, cmd_count());
    }
    ts_assert_error(ts_cmd(c, "COMMAND COUNT x"), "ERR wrong number of arguments for 'command|count' command");
    freeReplyObject(count);
    freeReplyObject(all);
    freeReplyObject(info);
    freeReplyObject(list);
    redisFree(c);
}

static void check_status_set(const char *name, const char *what, const redisReply *r)
{
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY, "%s: %s not an array", name, what);
    for (size_t i = 0; i < r->elements; i++) cr_expect(is_status(r->element[i]), "%s: %s element %zu", name, what, i);
}

/* Redis's COMMAND INFO entry: name, arity, flags, first, last, step, ACL
 * categories, tips, key specs, subcommands. */
static void check_entry(const redisReply *e, const char *parent)
{
    cr_assert(e->type == REDIS_REPLY_ARRAY && e->elements == 10, "entry shape");
    const char *name = e->element[0]->str;
    cr_assert_eq(e->element[0]->type, REDIS_REPLY_STRING);
    cr_expect_eq(e->element[1]->type, REDIS_REPLY_INTEGER, "%s: arity", name);
    cr_expect_neq(e->element[1]->integer, 0, "%s: arity", name);
    check_status_set(name, "flags", e->element[2]);
    for (int i = 3; i < 6; i++) cr_expect_eq(e->element[i]->type, REDIS_REPLY_INTEGER, "%s: key position %d", name, i);
    if (e->element[3]->integer > 0) cr_expect_gt(e->element[5]->integer, 0, "%s: step", name);
    check_status_set(name, "acl categories", e->element[6]);
    cr_expect_gt(e->element[6]->elements, 0, "%s: no ACL category", name);
    for (size_t i = 0; i < e->element[6]->elements; i++) cr_expect_eq(e->element[6]->element[i]->str[0], '@');
    cr_assert_eq(e->element[7]->type, REDIS_REPLY_ARRAY, "%s: tips", name);
    const redisReply *specs = e->element[8];
    cr_assert_eq(specs->type, REDIS_REPLY_ARRAY, "%s: key specs", name);
    for (size_t i = 0; i < specs->elements; i++) {
        const redisReply *ks = specs->element[i];
        cr_assert(ks->type == REDIS_REPLY_ARRAY && (ks->elements == 6 || ks->elements == 8), "%s: key spec", name);
        size_t at = ks->elements == 8 ? 2 : 0; /* after "notes" */
        cr_expect_str_eq(ks->element[at]->str, "flags", "%s", name);
        check_status_set(name, "key spec flags", ks->element[at + 1]);
        cr_expect_str_eq(ks->element[at + 2]->str, "begin_search", "%s", name);
        cr_expect_str_eq(ks->element[at + 4]->str, "find_keys", "%s", name);
    }
    if (parent) {
        cr_expect(strncmp(name, parent, strlen(parent)) == 0 && name[strlen(parent)] == '|', "%s under %s", name, parent);
        cr_expect_eq(e->element[9]->elements, 0, "%s: nested subcommands", name);
    }
    for (size_t i = 0; i < e->element[9]->elements; i++) check_entry(e->element[9]->element[i], name);
}

TS_TEST(command, every_entry_has_redis_shape)
{
    redisContext *c = ts_connect(g_server);
    redisReply *all = ts_cmd(c, "COMMAND");
    cr_assert_eq(all->type, REDIS_REPLY_ARRAY);
    for (size_t i = 0; i < all->elements; i++) check_entry(all->element[i], NULL);
    freeReplyObject(all);
    redisFree(c);
}

TS_TEST(command, info_known_and_unknown)
{
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "COMMAND INFO get nosuch CONFIG|GET GET config|nosuch get|x");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 6);
    const redisReply *get = r->element[0];
    check_entry(get, NULL);
    cr_expect_str_eq(get->element[0]->str, "get");
    cr_expect_eq(get->element[1]->integer, 2);
    cr_expect(get->element[2]->elements == 2 && strcmp(get->element[2]->element[0]->str, "readonly") == 0 &&
              strcmp(get->element[2]->element[1]->str, "fast") == 0);
    cr_expect(get->element[3]->integer == 1 && get->element[4]->integer == 1 && get->element[5]->integer == 1);
    const redisReply *acl = get->element[6];
    cr_expect(acl->elements == 3 && strcmp(acl->element[0]->str, "@read") == 0 &&
              strcmp(acl->element[1]->str, "@string") == 0 && strcmp(acl->element[2]->str, "@fast") == 0);
    cr_expect_eq(get->element[8]->elements, 1);
    cr_expect_eq(r->element[1]->type, REDIS_REPLY_NIL);
    cr_expect_str_eq(r->element[2]->element[0]->str, "config|get");
    cr_expect_str_eq(r->element[3]->element[0]->str, "get");
    cr_expect_eq(r->element[4]->type, REDIS_REPLY_NIL);
    cr_expect_eq(r->element[5]->type, REDIS_REPLY_NIL);
    freeReplyObject(r);

    /* A container lists its subcommands. */
    r = ts_cmd(c, "COMMAND INFO config");
    const redisReply *subs = r->element[0]->element[9];
    bool found = false;
    for (size_t i = 0; i < subs->elements; i++) found |= strcmp(subs->element[i]->element[0]->str, "config|set") == 0;
    cr_expect(found, "config|set not among config's subcommands");
    freeReplyObject(r);
    redisFree(c);
}

/* Redis 7.0.15's bytes, including its quirks (RESP3 sets for key specs). */
#define SMOVE_SPEC(flag3, n, flags, idx)                                                                   \
    "$5\r\nflags\r\n" flag3 flags "$12\r\nbegin_search\r\n" n "4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n" n \
    "2\r\n$5\r\nindex\r\n:" idx "\r\n$9\r\nfind_keys\r\n" n "4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n" n    \
    "6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"

static const char smove_resp2[] =
    "*1\r\n*10\r\n$5\r\nsmove\r\n:4\r\n*2\r\n+write\r\n+fast\r\n:1\r\n:2\r\n:1\r\n*3\r\n+@write\r\n+@set\r\n+@fast\r\n"
    "*0\r\n*2\r\n*6\r\n" SMOVE_SPEC("*3\r\n", "*", "+RW\r\n+access\r\n+delete\r\n", "1")
    "*6\r\n" SMOVE_SPEC("*2\r\n", "*", "+RW\r\n+insert\r\n", "2") "*0\r\n";

static const char smove_resp3[] =
    "*1\r\n*10\r\n$5\r\nsmove\r\n:4\r\n~2\r\n+write\r\n+fast\r\n:1\r\n:2\r\n:1\r\n~3\r\n+@write\r\n+@set\r\n+@fast\r\n"
    "~0\r\n~2\r\n"
    "%3\r\n$5\r\nflags\r\n~3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n"
    "$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n"
    "$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"
    "%3\r\n$5\r\nflags\r\n~2\r\n+RW\r\n+insert\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n"
    "$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n"
    "$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n";

/* COMMAND DOCS flushall sintercard: history, a oneof of pure tokens with
 * per-argument since, a keynum command's key argument. */
static const char docs_resp3[] =
    "%2\r\n$8\r\nflushall\r\n%6\r\n$7\r\nsummary\r\n$34\r\nRemove all keys from all databases\r\n$5\r\nsince\r\n"
    "$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n$10\r\ncomplexity\r\n$57\r\nO(N) where N is the total number of "
    "keys in all databases\r\n$7\r\nhistory\r\n~2\r\n*2\r\n$5\r\n4.0.0\r\n$41\r\nAdded the `ASYNC` flushing mode "
    "modifier.\r\n*2\r\n$5\r\n6.2.0\r\n$40\r\nAdded the `SYNC` flushing mode modifier.\r\n$9\r\narguments\r\n*1\r\n"
    "%4\r\n$4\r\nname\r\n$5\r\nasync\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n~1\r\n+optional\r\n$9\r\narguments"
    "\r\n*2\r\n%4\r\n$4\r\nname\r\n$5\r\nasync\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$5\r\nASYNC\r\n"
    "$5\r\nsince\r\n$5\r\n4.0.0\r\n%4\r\n$4\r\nname\r\n$4\r\nsync\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n"
    "$4\r\nSYNC\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n$10\r\nsintercard\r\n%5\r\n$7\r\nsummary\r\n$64\r\nIntersect multiple "
    "sets and return the cardinality of the result\r\n$5\r\nsince\r\n$5\r\n7.0.0\r\n$5\r\ngroup\r\n$3\r\nset\r\n$10\r\n"
    "complexity\r\n$93\r\nO(N*M) worst case where N is the cardinality of the smallest set and M is the number of "
    "sets.\r\n$9\r\narguments\r\n*3\r\n%2\r\n$4\r\nname\r\n$7\r\nnumkeys\r\n$4\r\ntype\r\n$7\r\ninteger\r\n%4\r\n$4\r\n"
    "name\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n$5\r\nflags\r\n~1\r\n+multiple\r\n"
    "%4\r\n$4\r\nname\r\n$5\r\nlimit\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n$5\r\nLIMIT\r\n$5\r\nflags\r\n"
    "~1\r\n+optional\r\n";

TS_TEST(command, exact_bytes_resp2_and_resp3)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "COMMAND INFO smove\r\n");
    ts_raw_expect(raw, smove_resp2);
    size_t len;
    ts_raw_send_str(raw, "HELLO 3\r\n");
    cr_assert(ts_raw_read_reply(raw, 5000, &len));
    ts_raw_send_str(raw, "COMMAND INFO smove\r\n");
    ts_raw_expect(raw, smove_resp3);
    ts_raw_send_str(raw, "COMMAND DOCS flushall sintercard\r\n");
    ts_raw_expect(raw, docs_resp3);
    ts_raw_send_str(raw, "COMMAND INFO nosuch\r\n");
    ts_raw_expect(raw, "*1\r\n_\r\n");
    ts_raw_send_str(raw, "COMMAND DOCS nosuch\r\n");
    ts_raw_expect(raw, "%0\r\n");
    ts_raw_close(raw);
}

/* hiredis 0.14 stops at 7 levels of nesting and DOCS goes deeper (CLIENT
 * KILL's arguments), so DOCS is read raw into this small tree. */
struct node {
    char type; /* RESP2 prefix: '+', '-', ':', '$', '*' */
    const char *str;
    long long n; /* integer, string length or element count */
    struct node *kids;
};

static const char *parse_node(const char *p, struct node *out)
{
    char *end;
    out->type = *p;
    out->n = strtoll(p + 1, &end, 10);
    out->str = p + 1;
    out->kids = NULL;
    p = strstr(p, "\r\n") + 2;
    if (out->type == '+' || out->type == '-') out->n = (long long)(p - 2 - out->str);
    if (out->type == '$' && out->n >= 0) {
        out->str = p;
        p += out->n + 2;
    }
    if (out->type == '*' && out->n > 0) {
        out->kids = rk_calloc((size_t)out->n, sizeof(*out->kids));
        for (long long i = 0; i < out->n; i++) p = parse_node(p, &out->kids[i]);
    }
    return p;
}

static void free_node(struct node *nd)
{
    for (long long i = 0; nd->type == '*' && i < nd->n; i++) free_node(&nd->kids[i]);
    rk_free(nd->kids);
}

static bool node_is(const struct node *nd, const char *s)
{
    return (nd->type == '$' || nd->type == '+') && (size_t)nd->n == strlen(s) && memcmp(nd->str, s, (size_t)nd->n) == 0;
}

/* A value in a RESP2 map (a flat array of pairs), or NULL. */
static const struct node *node_get(const struct node *map, const char *key)
{
    for (long long i = 0; map->type == '*' && i + 1 < map->n; i += 2)
        if (node_is(&map->kids[i], key)) return &map->kids[i + 1];
    return NULL;
}

/* An argument as redis-cli reads it: name and type strings, flags status
 * strings, nested arguments for oneof and block. */
static void check_arg(const char *cmd, const struct node *a)
{
    cr_assert(a->type == '*' && a->n % 2 == 0, "%s: argument not a map", cmd);
    const struct node *name = node_get(a, "name"), *type = node_get(a, "type"), *flags = node_get(a, "flags");
    cr_assert(name && name->type == '$' && type && type->type == '$', "%s: argument without name/type", cmd);
    static const char *const types[] = {"key", "string", "integer", "double", "pattern", "unix-time", "pure-token", "oneof", "block"};
    bool known = false;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) known |= node_is(type, types[i]);
    cr_expect(known, "%s: argument type %.*s", cmd, (int)type->n, type->str);
    for (long long i = 0; flags && i < flags->n; i++) cr_expect_eq(flags->kids[i].type, '+', "%s: argument flag", cmd);
    const struct node *args = node_get(a, "arguments");
    cr_expect((node_is(type, "oneof") || node_is(type, "block")) == (args != NULL), "%s: nested arguments", cmd);
    for (long long i = 0; args && i < args->n; i++) check_arg(cmd, &args->kids[i]);
}

static void check_docs(const struct node *name, const struct node *d)
{
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "%.*s", (int)name->n, name->str);
    cr_assert(d->type == '*' && d->n % 2 == 0, "%s: docs not a map", cmd);
    static const char *const strings[] = {"summary", "since", "group", "complexity", "deprecated_since", "replaced_by"};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        const struct node *v = node_get(d, strings[i]);
        if (v) cr_expect_eq(v->type, '$', "%s: %s", cmd, strings[i]);
    }
    cr_expect(node_get(d, "group") && node_get(d, "summary"), "%s: no group or summary", cmd);
    const struct node *args = node_get(d, "arguments");
    for (long long i = 0; args && i < args->n; i++) check_arg(cmd, &args->kids[i]);
    const struct node *subs = node_get(d, "subcommands");
    if (subs) {
        cr_assert(subs->type == '*' && subs->n % 2 == 0, "%s: subcommands", cmd);
        for (long long i = 0; i < subs->n; i += 2) check_docs(&subs->kids[i], &subs->kids[i + 1]);
    }
}

TS_TEST(command, docs_for_every_command)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "COMMAND COUNT\r\nCOMMAND DOCS\r\n");
    size_t len;
    const char *reply = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(reply && reply[0] == ':', "%s", ts_raw_status(raw));
    long long count = atoll(reply + 1);
    reply = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(reply, "%s", ts_raw_status(raw));
    struct node docs;
    parse_node(reply, &docs);
    cr_assert_eq(docs.type, '*');
    cr_expect_eq(docs.n, 2 * count);
    for (long long i = 0; i + 1 < docs.n; i += 2) check_docs(&docs.kids[i], &docs.kids[i + 1]);
    const struct node *config = node_get(&docs, "config");
    cr_assert(config);
    const struct node *subs = node_get(config, "subcommands");
    cr_assert(subs && node_get(subs, "config|get"));
    free_node(&docs);

    /* Names: full names, any case, repeats kept, unknown ones left out. */
    ts_raw_send_str(raw, "COMMAND DOCS GET nosuch config|GET get\r\n");
    reply = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(reply, "%s", ts_raw_status(raw));
    parse_node(reply, &docs);
    cr_assert(docs.type == '*' && docs.n == 6);
    cr_expect(node_is(&docs.kids[0], "get") && node_is(&docs.kids[2], "config|get") && node_is(&docs.kids[4], "get"));
    const struct node *since = node_get(&docs.kids[3], "since");
    cr_expect(since && node_is(since, "2.0.0"));
    free_node(&docs);
    ts_raw_close(raw);
}

/* redis-cli asks COMMAND DOCS when it starts interactively and builds its
 * help and hints from the arguments; a shape it does not expect makes it
 * assert or print "Unknown type". */
TS_TEST(command, redis_cli_help_from_docs)
{
    char script[256], *out = NULL;
    snprintf(script, sizeof(script),
             "printf 'help flushall\\nhelp sintercard\\nhelp client kill\\n' | redis-cli -p %s 2>&1",
             ts_port_str(g_server));
    int status = ts_runl(&out, 20000, "sh", "-c", script, NULL);
    cr_assert_eq(status, 0, "redis-cli exited %d: %s", status, out);
    /* Drop the terminal colors redis-cli prints around the fields. */
    char *w = out;
    for (char *p = out; *p; p++) {
        if (*p == '\033') {
            while (*p && *p != 'm') p++;
            if (!*p) break;
            continue;
        }
        if (*p != '\r') *w++ = *p;
    }
    *w = '\0';
    cr_expect(!strstr(out, "Unknown type") && !strstr(out, "Assert") && !strstr(out, "ERR"), "redis-cli: %s", out);
    cr_expect(strstr(out, "FLUSHALL [ASYNC|SYNC]\n"), "%s", out);
    cr_expect(strstr(out, "summary: Remove all keys from all databases\n"), "%s", out);
    cr_expect(strstr(out, "SINTERCARD numkeys key [key ...] [LIMIT limit]\n"), "%s", out);
    cr_expect(strstr(out, "since: 7.0.0\n") && strstr(out, "group: set\n"), "%s", out);
    cr_expect(strstr(out, "CLIENT KILL ip:port|[ID client-id]|[TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB]"), "%s", out);
    rk_free(out);
}

static void expect_empty_array(redisReply *r)
{
    cr_expect(r->type == REDIS_REPLY_ARRAY && r->elements == 0, "want an empty array, got type %d", r->type);
    freeReplyObject(r);
}

TS_TEST(command, list_and_filters)
{
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "COMMAND LIST");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_expect(array_has(r, "get") && array_has(r, "config|get") && array_has(r, "command|docs"));
    freeReplyObject(r);

    r = ts_cmd(c, "COMMAND LIST FILTERBY PATTERN CONF*");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_expect(array_has(r, "config") && array_has(r, "config|get") && array_has(r, "config|set"));
    for (size_t i = 0; i < r->elements; i++)
        cr_expect(strncmp(r->element[i]->str, "config", 6) == 0, "%s", r->element[i]->str);
    freeReplyObject(r);

    r = ts_cmd(c, "COMMAND LIST FILTERBY ACLCAT connection");
    cr_expect(array_has(r, "ping") && array_has(r, "client|id") && array_has(r, "command|info"));
    cr_expect(!array_has(r, "get") && !array_has(r, "client"));
    freeReplyObject(r);
    r = ts_cmd(c, "COMMAND LIST FILTERBY ACLCAT Read");
    cr_expect(array_has(r, "get") && array_has(r, "smembers") && !array_has(r, "set"));
    freeReplyObject(r);

    expect_empty_array(ts_cmd(c, "COMMAND LIST FILTERBY ACLCAT nosuch"));
    expect_empty_array(ts_cmd(c, "COMMAND LIST FILTERBY MODULE nosuch"));
    expect_empty_array(ts_cmd(c, "COMMAND LIST FILTERBY PATTERN nosuch*"));
    ts_assert_error(ts_cmd(c, "COMMAND LIST FILTERBY"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "COMMAND LIST FILTERBY x y"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "COMMAND LIST x"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "COMMAND LIST FILTERBY PATTERN a b"), "ERR syntax error");
    redisFree(c);
}

/* A key's flags as one space-separated string. */
static const char *flags_text(const redisReply *flags)
{
    static char buf[256];
    buf[0] = '\0';
    for (size_t i = 0; i < flags->elements; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", flags->element[i]->str);
    return buf;
}

/* A GETKEYSANDFLAGS finding one key, with these flags. */
static void expect_key_flags(redisContext *c, const char *command, const char *key, const char *flags)
{
    redisReply *r = ts_cmd(c, command);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 1, "%s: one key", command);
    cr_expect_str_eq(r->element[0]->element[0]->str, key, "%s", command);
    cr_expect_str_eq(flags_text(r->element[0]->element[1]), flags, "%s", command);
    freeReplyObject(r);
}

TS_TEST(command, getkeys)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_array(ts_cmd(c, "COMMAND GETKEYS get a"), "a");
    ts_assert_array(ts_cmd(c, "COMMAND GETKEYS GET {t}a"), "{t}a");
    ts_assert_array(ts_cmd(c, "COMMAND GETKEYS set k v EX 10"), "k");
    ts_assert_array(ts_cmd(c, "COMMAND GETKEYS mset a 1 b 2 c 3"), "a", "b", "c");
    ts_assert_array(ts_cmd(c, "COMMAND GETKEYS del a b c"), "a", "b", "c");
    ts_assert_array(ts_cmd(c, "COMMAND GETKEYS smove src dst m"), "src", "dst");
    /* movable keys, found by the command's own key finder */
    ts_assert_array(ts_cmd(c, "COMMAND GETKEYS sintercard 2 a b LIMIT 1"), "a", "b");
    ts_assert_array(ts_cmd(c, "COMMAND GETKEYS lmpop 2 a b LEFT"), "a", "b");

    ts_assert_error(ts_cmd(c, "COMMAND GETKEYS nosuch a"), "ERR Invalid command specified");
    ts_assert_error(ts_cmd(c, "COMMAND GETKEYS config nosuch"), "ERR Invalid command specified");
    ts_assert_error(ts_cmd(c, "COMMAND GETKEYS ping x"), "ERR The command has no key arguments");
    ts_assert_error(ts_cmd(c, "COMMAND GETKEYS config get x"), "ERR The command has no key arguments");
    ts_assert_error(ts_cmd(c, "COMMAND GETKEYS get a b"), "ERR Invalid number of arguments specified for command");
    ts_assert_error(ts_cmd(c, "COMMAND GETKEYS set a"), "ERR Invalid number of arguments specified for command");
    ts_assert_error(ts_cmd(c, "COMMAND GETKEYS sintercard 0 a"), "ERR Invalid arguments specified for command");
    ts_assert_error(ts_cmd(c, "COMMAND GETKEYS sintercard x a"), "ERR Invalid arguments specified for command");
    ts_assert_error(ts_cmd(c, "COMMAND GETKEYS get"), "ERR wrong number of arguments for 'command|getkeys' command");
    ts_assert_error(ts_cmd(c, "COMMAND GETKEYS"), "ERR wrong number of arguments for 'command|getkeys' command");

    /* GETKEYSANDFLAGS: each key with the flags of the key spec finding it. */
    redisReply *r = ts_cmd(c, "COMMAND GETKEYSANDFLAGS smove src dst m");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    const redisReply *src = r->element[0], *dst = r->element[1];
    cr_expect_str_eq(src->element[0]->str, "src");
    cr_expect(src->element[1]->elements == 3 && is_status(src->element[1]->element[0]) &&
              strcmp(src->element[1]->element[0]->str, "RW") == 0 && strcmp(src->element[1]->element[2]->str, "delete") == 0);
    cr_expect_str_eq(dst->element[0]->str, "dst");
    cr_expect(dst->element[1]->elements == 2 && strcmp(dst->element[1]->element[1]->str, "insert") == 0);
    freeReplyObject(r);

    /* Where the specs cannot tell (VARIABLE_FLAGS, INCOMPLETE), the
     * arguments decide, as Redis's getkeys functions do. */
    expect_key_flags(c, "COMMAND GETKEYSANDFLAGS set k v", "k", "OW update");
    expect_key_flags(c, "COMMAND GETKEYSANDFLAGS set k v GET", "k", "RW access update");
    expect_key_flags(c, "COMMAND GETKEYSANDFLAGS bitfield k get u8 0", "k", "RO access");
    expect_key_flags(c, "COMMAND GETKEYSANDFLAGS bitfield k get u8 0 incrby u8 0 1", "k", "RW access update");
    r = ts_cmd(c, "COMMAND GETKEYSANDFLAGS sort k1 store k2");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    cr_expect_str_eq(flags_text(r->element[0]->element[1]), "RO access");
    cr_expect_str_eq(r->element[1]->element[0]->str, "k2");
    cr_expect_str_eq(flags_text(r->element[1]->element[1]), "OW update", "SORT's STORE destination");
    freeReplyObject(r);
    redisFree(c);
}

TS_TEST(command, help_and_unknown_subcommand)
{
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "COMMAND HELP");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements > 10 && is_status(r->element[0]));
    cr_expect_str_eq(r->element[0]->str, "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    cr_expect(array_has(r, "GETKEYSANDFLAGS <full-command>"));
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "COMMAND nosuch"), "ERR unknown subcommand 'nosuch'. Try COMMAND HELP.");
    ts_assert_error(ts_cmd(c, "COMMAND HELP x"), "ERR wrong number of arguments for 'command|help' command");
    redisFree(c);
}
