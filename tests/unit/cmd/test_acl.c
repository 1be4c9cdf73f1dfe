/* Tests for the ACL model (acl_user.c, acl_describe.c, acl_check.c,
 * acl_registry.c): rules as Redis 7.0 applies them, their errors, the
 * descriptions ACL LIST prints (checked against redis-server 7.0.15), and
 * the permission check over commands, keys, channels and selectors. */
#include <criterion/criterion.h>
#include "ringkv/cmd/acl.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/proto/reply.h"

#include <string.h>

static void setup(void) { commands_setup(); }

TestSuite(acl, .init = setup);

/* A user made of space-separated rules (no quoting needed here). */
static struct acl_user *user_of(const char *rules)
{
    struct acl_user *u = acl_user_create("u", 1);
    int argc;
    size_t *lens;
    char **argv = acl_split_args(rules, strlen(rules), &argc, &lens);
    cr_assert(argv);
    int n, bad;
    size_t *mlens;
    char **ops = acl_merge_selectors(argv, lens, argc, &n, &mlens, &bad);
    cr_assert(ops);
    for (int i = 0; i < n; i++) cr_assert_eq(acl_user_set(u, ops[i], mlens[i]), ACL_SET_OK, "rule %s", ops[i]);
    acl_free_args(ops, mlens, n);
    acl_free_args(argv, lens, argc);
    acl_user_seal(u);
    return u;
}

static enum acl_set_err set_err(const char *rule)
{
    struct acl_user *u = user_of("");
    enum acl_set_err e = acl_user_set(u, rule, strlen(rule));
    acl_user_unref(u);
    return e;
}

static char *describe(const struct acl_user *u)
{
    struct obuf out;
    obuf_init(&out);
    acl_user_describe(u, &out);
    obuf_append(&out, "", 1);
    return out.data;
}

/* Checks a call written as words; returns the denial and its position. */
static enum acl_denied check(const struct acl_user *u, const char *call, int *pos)
{
    int argc;
    size_t *lens;
    char **argv = acl_split_args(call, strlen(call), &argc, &lens);
    struct cmd_args a = {argc, (const char **)argv, lens};
    const struct cmd_def *cmd = cmd_lookup(argv[0], lens[0]);
    if (cmd && cmd->subcommands && argc > 1) cmd = cmd_lookup_sub(cmd, argv[1], lens[1]);
    cr_assert(cmd, "%s", call);
    int p = 0;
    enum acl_denied d = acl_check(u, cmd, &a, &p);
    if (pos) *pos = p;
    acl_free_args(argv, lens, argc);
    return d;
}

Test(acl, default_user_is_unrestricted)
{
    struct acl_user *d = acl_user_create_default();
    cr_assert(d->unrestricted);
    char *s = describe(d);
    cr_assert_str_eq(s, "user default on nopass ~* &* +@all");
    free(s);
    acl_user_unref(d);
}

Test(acl, new_user_description_matches_redis)
{
    struct acl_user *u = user_of("on >pw ~k* &ch +get +set");
    char *s = describe(u);
    cr_assert_str_eq(s, "user u on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 "
                        "~k* resetchannels &ch -@all +get +set");
    free(s);
    cr_assert_not(u->unrestricted);
    acl_user_unref(u);
}

Test(acl, categories_are_described_by_best_fit)
{
    struct acl_user *u = user_of("+@all -@dangerous ~* &*");
    char *s = describe(u);
    cr_assert_str_eq(s, "user u off ~* &* +@all -@dangerous");
    free(s);
    acl_user_unref(u);
    u = user_of("+@set +@hash -hset");
    s = describe(u);
    cr_assert(strstr(s, "resetchannels -@all +@set +@hash -hset") != NULL, "%s", s);
    free(s);
    acl_user_unref(u);
}

Test(acl, key_patterns_with_rights)
{
    struct acl_user *u = user_of("+@all %R~r* %W~w* ~both* %RW~rw*");
    char *s = describe(u);
    cr_assert(strstr(s, "%R~r* %W~w* ~both* ~rw* resetchannels +@all") != NULL, "%s", s);
    free(s);
    int pos;
    cr_assert_eq(check(u, "get r1", NULL), ACL_OK);
    cr_assert_eq(check(u, "set r1 v", NULL), ACL_DENIED_KEY);
    cr_assert_eq(check(u, "set w1 v", NULL), ACL_OK);
    cr_assert_eq(check(u, "get w1", NULL), ACL_DENIED_KEY);
    /* COPY reads its source and writes its destination */
    cr_assert_eq(check(u, "copy r1 w1", NULL), ACL_OK);
    cr_assert_eq(check(u, "copy w1 r1", &pos), ACL_DENIED_KEY);
    cr_assert_eq(pos, 1);
    cr_assert_eq(check(u, "mget both1 rw2 nope", &pos), ACL_DENIED_KEY);
    cr_assert_eq(pos, 3);
    acl_user_unref(u);
}

Test(acl, commands_subcommands_and_first_args)
{
    struct acl_user *u = user_of("~* &* -@all +config|get +select|0 +client");
    cr_assert_eq(check(u, "config get maxmemory", NULL), ACL_OK);
    cr_assert_eq(check(u, "config set maxmemory 1", NULL), ACL_DENIED_CMD);
    cr_assert_eq(check(u, "select 0", NULL), ACL_OK);
    cr_assert_eq(check(u, "select 1", NULL), ACL_DENIED_CMD);
    cr_assert_eq(check(u, "client id", NULL), ACL_OK);
    cr_assert_eq(check(u, "get k", NULL), ACL_DENIED_CMD);
    /* commands that need no auth pass whatever the rules */
    cr_assert_eq(check(u, "auth a b", NULL), ACL_OK);
    char *s = describe(u);
    cr_assert(strstr(s, "+select|0") != NULL, "%s", s);
    cr_assert(strstr(s, "+config|get") != NULL, "%s", s);
    free(s);
    acl_user_unref(u);
    u = user_of("~* +@all -client|kill");
    cr_assert_eq(check(u, "client kill id 1", NULL), ACL_DENIED_CMD);
    cr_assert_eq(check(u, "client id", NULL), ACL_OK);
    acl_user_unref(u);
}

Test(acl, channels)
{
    struct acl_user *u = user_of("+@all ~* resetchannels &news.* &lit");
    int pos;
    cr_assert_eq(check(u, "publish news.a m", NULL), ACL_OK);
    cr_assert_eq(check(u, "publish other m", NULL), ACL_DENIED_CHANNEL);
    cr_assert_eq(check(u, "subscribe news.x lit bad", &pos), ACL_DENIED_CHANNEL);
    cr_assert_eq(pos, 3);
    /* a pattern subscription must name an allowed pattern literally */
    cr_assert_eq(check(u, "psubscribe news.*", NULL), ACL_OK);
    cr_assert_eq(check(u, "psubscribe news.a*", NULL), ACL_DENIED_CHANNEL);
    cr_assert_eq(check(u, "unsubscribe bad", NULL), ACL_OK);
    acl_user_unref(u);
}

Test(acl, selectors_are_alternatives)
{
    struct acl_user *u = user_of("+get ~a* (+set ~b*)");
    cr_assert_eq(check(u, "get a1", NULL), ACL_OK);
    cr_assert_eq(check(u, "set b1 v", NULL), ACL_OK);
    cr_assert_eq(check(u, "set a1 v", NULL), ACL_DENIED_KEY); /* the key error wins over the command one */
    cr_assert_eq(check(u, "get b1", NULL), ACL_DENIED_KEY);
    cr_assert_eq(check(u, "del a1", NULL), ACL_DENIED_CMD);
    char *s = describe(u);
    cr_assert(strstr(s, "~a* resetchannels -@all +get (~b* resetchannels -@all +set)") != NULL, "%s", s);
    free(s);
    cr_assert_eq(acl_user_set(u, "clearselectors", 14), ACL_SET_OK);
    cr_assert_eq(check(u, "set b1 v", NULL), ACL_DENIED_CMD);
    acl_user_unref(u);
}

Test(acl, passwords)
{
    struct acl_user *u = user_of(">one >two");
    cr_assert(acl_user_password_ok(u, "one", 3));
    cr_assert(acl_user_password_ok(u, "two", 3));
    cr_assert_not(acl_user_password_ok(u, "three", 5));
    cr_assert_eq(acl_user_set(u, "<one", 4), ACL_SET_OK);
    cr_assert_not(acl_user_password_ok(u, "one", 3));
    cr_assert_eq(acl_user_set(u, "<one", 4), ACL_SET_NO_PASS);
    char hash[ACL_HASH_HEX + 1];
    acl_hash_password("two", 3, hash);
    char rule[ACL_HASH_HEX + 2] = "!";
    strcat(rule, hash);
    cr_assert_eq(acl_user_set(u, rule, strlen(rule)), ACL_SET_OK);
    cr_assert_eq(u->npass, 0);
    cr_assert_eq(acl_user_set(u, "nopass", 6), ACL_SET_OK);
    cr_assert(acl_user_password_ok(u, "anything", 8));
    cr_assert_eq(acl_user_set(u, "resetpass", 9), ACL_SET_OK);
    cr_assert_not(acl_user_password_ok(u, "anything", 8));
    acl_user_unref(u);
}

Test(acl, rule_errors_as_redis)
{
    cr_assert_eq(set_err("+nosuchcommand"), ACL_SET_UNKNOWN);
    cr_assert_eq(set_err("+@nosuchcategory"), ACL_SET_UNKNOWN);
    cr_assert_eq(set_err("+config|nosuch"), ACL_SET_UNKNOWN);
    cr_assert_eq(set_err("+config|get|x"), ACL_SET_SUBCMD_ARG);
    cr_assert_eq(set_err("+select|"), ACL_SET_SYNTAX);
    cr_assert_eq(set_err("#abc"), ACL_SET_BAD_HASH);
    cr_assert_eq(set_err("%X~k"), ACL_SET_SYNTAX);
    cr_assert_eq(set_err("bogus"), ACL_SET_SYNTAX);
    cr_assert_eq(set_err("(+get"), ACL_SET_SYNTAX);
    cr_assert_eq(set_err("(+nosuch)"), ACL_SET_UNKNOWN);
    struct acl_user *u = user_of("allkeys allchannels");
    cr_assert_eq(acl_user_set(u, "~k", 2), ACL_SET_KEYS_ALL);
    cr_assert_eq(acl_user_set(u, "&c", 2), ACL_SET_CHANS_ALL);
    acl_user_unref(u);
    cr_assert_str_eq(acl_set_error(ACL_SET_UNKNOWN), "Unknown command or category name in ACL");
}

Test(acl, reset_and_copy)
{
    struct acl_user *u = user_of("on >pw +@all ~* &* (+get ~x)");
    struct acl_user *c = acl_user_copy(u);
    cr_assert_eq(acl_user_set(u, "reset", 5), ACL_SET_OK);
    acl_user_seal(u);
    char *s = describe(u), *t = describe(c);
    cr_assert_str_eq(s, "user u off sanitize-payload resetchannels -@all");
    cr_assert(strstr(t, "user u on #") == t, "%s", t);
    cr_assert(strstr(t, " ~* &* +@all (~x resetchannels -@all +get)") != NULL, "%s", t);
    free(s);
    free(t);
    acl_user_unref(u);
    acl_user_unref(c);
}

Test(acl, selector_words_merge)
{
    char *words[] = {"on", "(+get", "~k)", "(~x)", "(+set"};
    size_t lens[] = {2, 5, 3, 4, 5};
    int n, bad = -1;
    size_t *ml;
    char **m = acl_merge_selectors(words, lens, 4, &n, &ml, &bad);
    cr_assert(m);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(m[1], "(+get ~k)");
    cr_assert_str_eq(m[2], "(~x)");
    acl_free_args(m, ml, n);
    cr_assert_null(acl_merge_selectors(words, lens, 5, &n, &ml, &bad));
    cr_assert_eq(bad, 4);
}

Test(acl, split_args_like_sdssplitargs)
{
    int argc;
    size_t *lens;
    char **argv = acl_split_args("user \"a b\" '>x y' \"\\x41\"", 24, &argc, &lens);
    cr_assert(argv);
    cr_assert_eq(argc, 4);
    cr_assert_str_eq(argv[1], "a b");
    cr_assert_str_eq(argv[2], ">x y");
    cr_assert_str_eq(argv[3], "A");
    acl_free_args(argv, lens, argc);
    cr_assert_null(acl_split_args("\"open", 5, &argc, &lens));
    cr_assert_null(acl_split_args("\"a\"b", 4, &argc, &lens));
}

Test(acl, registry_versions_and_generation)
{
    acl_registry_setup();
    uint64_t g = acl_generation();
    char *ops[] = {"on", ">p", "+get", "~k"};
    size_t lens[] = {2, 2, 4, 2};
    int bad = -1;
    cr_assert_eq(acl_registry_setuser("reg", 3, ops, lens, 4, &bad), ACL_SET_OK);
    cr_assert_gt(acl_generation(), g);
    struct acl_user *v1 = acl_registry_get("reg", 3);
    char *more[] = {"+set", "+nosuch"};
    size_t mlens[] = {4, 7};
    cr_assert_eq(acl_registry_setuser("reg", 3, more, mlens, 2, &bad), ACL_SET_UNKNOWN);
    cr_assert_eq(bad, 1);
    struct acl_user *v2 = acl_registry_get("reg", 3);
    cr_assert_eq(v1, v2, "a failed SETUSER publishes nothing");
    acl_user_unref(v2);
    cr_assert_eq(acl_registry_setuser("reg", 3, more, mlens, 1, &bad), ACL_SET_OK);
    v2 = acl_registry_get("reg", 3);
    cr_assert_neq(v1, v2);
    cr_assert_eq(check(v1, "set k v", NULL), ACL_DENIED_CMD, "the old version is unchanged");
    cr_assert_eq(check(v2, "set k v", NULL), ACL_OK);
    cr_assert_not(acl_all_unrestricted());
    acl_user_unref(v1);
    acl_user_unref(v2);
    cr_assert(acl_registry_deluser("reg", 3));
    cr_assert_not(acl_registry_deluser("reg", 3));
    cr_assert_null(acl_registry_get("reg", 3));
    cr_assert(acl_all_unrestricted());
}

Test(acl, registry_load_replaces_all_or_nothing)
{
    acl_registry_setup();
    char *good[] = {"user a on nopass +@all ~*", "# comment", "user b off"};
    char err[256];
    cr_assert(acl_registry_load(good, 3, "f", true, err, sizeof(err)));
    size_t n;
    struct acl_user **list = acl_registry_list(&n);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(list[0]->name, "a");
    cr_assert_str_eq(list[1]->name, "b");
    cr_assert_str_eq(list[2]->name, "default");
    acl_registry_list_free(list, n);
    char *bad[] = {"user c on", "user c off"};
    cr_assert_not(acl_registry_load(bad, 2, "f", true, err, sizeof(err)));
    cr_assert(strstr(err, "Duplicate user") != NULL, "%s", err);
    char *bad2[] = {"user d +nosuch"};
    cr_assert_not(acl_registry_load(bad2, 1, "f", true, err, sizeof(err)));
    cr_assert_str_eq(err, "f:1: Unknown command or category name in ACL. ");
    struct acl_user *a = acl_registry_get("a", 1);
    cr_assert_not_null(a, "a failed load keeps the users");
    acl_user_unref(a);
}
