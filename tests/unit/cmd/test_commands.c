/* Tests for the command table (commands.c) and what COMMAND derives from
 * it (cmd_spec.c, cmd_syntax.c). The table walk checks invariants every
 * module's part must keep; the syntax renderings are redis-cli 7.0's `help`
 * output for the same commands against redis-server 7.0.15. */
#include <criterion/criterion.h>
#include "ringkv/cmd/cmd_spec.h"
#include "ringkv/cmd/cmd_syntax.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/base/util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ---- the table walk ----------------------------------------------------------- */

static const char *const groups[] = {
    "generic", "string", "list", "set", "sorted-set", "hash", "pubsub", "transactions",
    "connection", "server", "scripting", "hyperloglog", "cluster", "sentinel", "geo",
    "stream", "bitmap",
};

static const char *const tip_words[] = {
    "nondeterministic_output", "nondeterministic_output_order",
    "request_policy:all_nodes", "request_policy:all_shards", "request_policy:multi_shard",
    "request_policy:special", "response_policy:one_succeeded", "response_policy:all_succeeded",
    "response_policy:agg_logical_and", "response_policy:agg_logical_or", "response_policy:agg_min",
    "response_policy:agg_max", "response_policy:agg_sum", "response_policy:special",
};

static bool in_list(const char *word, size_t len, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && memcmp(list[i], word, len) == 0) return true;
    return false;
}

static void check_words(const char *name, const char *what, const char *words, const char *const *list, size_t n)
{
    for (const char *s = words ? words : ""; *s;) {
        size_t len = strcspn(s, " ");
        cr_expect(in_list(s, len, list, n), "%s: unknown %s '%.*s'", name, what, (int)len, s);
        s += len + (s[len] == ' ');
    }
}

/* Arguments that look like keys for cluster routing but are not keys
 * (shard channels): no access flags, and they may be absent (SUNSUBSCRIBE
 * without arguments), as Redis declares them. */
static bool spec_not_key(const struct cmd_key_spec *ks) { return ks->flags & KS_NOT_KEY; }

static void check_key_spec(const char *name, const struct cmd_key_spec *ks, int min_argc)
{
    uint32_t access = ks->flags & (KS_RO | KS_RW | KS_OW | KS_RM);
    cr_expect(spec_not_key(ks) ? !access : access && !(access & (access - 1)),
              "%s: a key spec needs exactly one of KS_RO/KS_RW/KS_OW/KS_RM (set .key_flags, e.g. "
              "KS_RO | KS_ACCESS; tests/crosscheck_command.py --suggest %s prints Redis's)", name, name);
    /* A range running to the end may find no key at all when the call
     * has the fewest arguments (PFMERGE dest, as Redis declares it). */
    bool may_be_empty = ks->find == KS_FIND_RANGE && ks->lastkey < 0;
    if (ks->begin == KS_BEGIN_INDEX && !spec_not_key(ks))
        cr_expect(ks->index >= 1 && ks->index < min_argc + may_be_empty, "%s: key spec index %d outside arity", name,
                  ks->index);
    if (ks->begin == KS_BEGIN_KEYWORD) cr_expect(ks->keyword && ks->startfrom != 0, "%s: keyword spec without keyword/startfrom", name);
    if (ks->begin != KS_BEGIN_UNKNOWN && ks->find != KS_FIND_UNKNOWN)
        cr_expect(ks->keystep >= 1, "%s: key spec step %d", name, ks->keystep);
    if (ks->find == KS_FIND_RANGE && ks->limit) cr_expect(ks->lastkey == -1, "%s: range limit needs lastkey -1", name);
}

/* Dummy arguments for a call of argc words ("1", so a numkeys reads 1). */
static void dummy_args(struct cmd_args *a, const char **argv, size_t *len, int argc, const char *name)
{
    for (int i = 0; i < argc; i++) {
        argv[i] = i == 0 ? name : "1";
        len[i] = strlen(argv[i]);
    }
    a->argc = argc;
    a->argv = argv;
    a->len = len;
}

static void check_keys(const struct cmd_def *cmd)
{
    const char *name = cmd->name;
    int min_argc = cmd->arity < 0 ? -cmd->arity : cmd->arity;
    struct cmd_key_spec specs[CMD_MAX_KEY_SPECS];
    int nspecs = cmd_key_specs(cmd, specs);
    for (int i = 0; i < nspecs; i++) check_key_spec(name, &specs[i], min_argc);

    int nexplicit = 0;
    for (const struct cmd_key_spec *ks = cmd->key_specs; ks && ks->begin != KS_BEGIN_NONE; ks++) nexplicit++;
    cr_expect(nexplicit <= CMD_MAX_KEY_SPECS, "%s: more than %d key specs", name, CMD_MAX_KEY_SPECS);
    if (cmd->getkeys) cr_expect(cmd->key_specs, "%s: a getkeys function needs .key_specs describing the keys", name);
    bool optional = nexplicit > 0 && spec_not_key(&cmd->key_specs[0]);
    if (optional && min_argc <= cmd->first_key) min_argc = cmd->first_key + 1;
    if (cmd->first_key > 0 && !cmd->getkeys) {
        cr_expect(cmd->first_key < min_argc, "%s: first key %d beyond arity %d", name, cmd->first_key, cmd->arity);
        cr_expect(cmd->key_step >= 1, "%s: key step %d", name, cmd->key_step);
        if (cmd->last_key >= 0) {
            cr_expect(cmd->last_key >= cmd->first_key && cmd->last_key < min_argc, "%s: last key %d", name, cmd->last_key);
        } else {
            cr_expect(cmd->arity < 0, "%s: a last key counted from the end needs a variable arity", name);
        }
        /* The smallest complete call must yield keys, all inside argv. */
        int argc = min_argc;
        while (cmd->last_key < 0 && (argc - cmd->first_key) % cmd->key_step) argc++;
        const char *argv[64];
        size_t len[64];
        int pos[64];
        struct cmd_args a;
        dummy_args(&a, argv, len, argc, name);
        int n = cmd_key_positions(cmd, &a, pos, 64);
        cr_expect(n >= 1, "%s: no keys in a call of %d arguments", name, argc);
        for (int i = 0; i < n; i++) cr_expect(pos[i] >= 1 && pos[i] < argc, "%s: key position %d", name, pos[i]);
    }
    if (cmd->key_specs && !cmd->getkeys) {
        struct cmd_legacy_range lr = cmd_legacy_range(cmd);
        int last = cmd->first_key > 0 ? cmd->last_key : 0;
        int step = cmd->first_key > 0 ? cmd->key_step : 0;
        cr_expect(lr.first == (cmd->first_key > 0 ? cmd->first_key : 0) && lr.last == last && lr.step == step,
                  "%s: first/last/step %d/%d/%d route differently from its key specs' %d/%d/%d", name,
                  cmd->first_key, cmd->last_key, cmd->key_step, lr.first, lr.last, lr.step);
    }
}

static void check_docs(const struct cmd_def *cmd)
{
    const char *name = cmd->name;
    cr_expect(cmd->summary && *cmd->summary, "%s: no summary", name);
    cr_expect(cmd->since && isdigit((unsigned char)cmd->since[0]), "%s: no since", name);
    cr_expect(cmd->group && in_list(cmd->group, strlen(cmd->group), groups, RK_ARRAY_LEN(groups)),
              "%s: group '%s'", name, cmd->group ? cmd->group : "(none)");
    bool unknown = false;
    cmd_acl_categories(cmd, &unknown);
    cr_expect(!unknown, "%s: unknown ACL category in '%s'", name, cmd->acl_categories);
    check_words(name, "tip", cmd->tips, tip_words, RK_ARRAY_LEN(tip_words));
    size_t nh = 0;
    while (cmd->history && cmd->history[nh]) nh++;
    cr_expect(nh % 2 == 0, "%s: history needs version/text pairs", name);
    struct cmd_syntax syn;
    char err[128] = "";
    cr_expect(cmd_syntax_parse(&syn, cmd->syntax, err, sizeof(err)), "%s: syntax: %s", name, err);
}

static void check_command(const struct cmd_def *cmd, const struct cmd_def *parent)
{
    const char *name = cmd->name;
    for (const char *p = name; *p; p++) cr_expect(!isupper((unsigned char)*p) && *p != ' ', "%s: name not lowercase", name);
    cr_expect(cmd->arity != 0, "%s: arity 0", name);
    cr_expect(!((cmd->flags & CMD_WRITE) && (cmd->flags & CMD_READONLY)), "%s: both write and readonly", name);
    if (parent) {
        size_t plen = strlen(parent->name);
        cr_expect(strncmp(name, parent->name, plen) == 0 && name[plen] == '|' && name[plen + 1] && !strchr(name + plen + 1, '|'),
                  "%s: a subcommand of %s must be named %s|sub", name, parent->name, parent->name);
        cr_expect(cmd->arity >= 2 || cmd->arity <= -2, "%s: a subcommand has at least 2 arguments", name);
        cr_expect(!cmd->subcommands, "%s: nested containers", name);
    } else {
        cr_expect(!strchr(name, '|'), "%s: '|' in a command name", name);
    }
    if (cmd->subcommands) cr_expect(cmd->arity == -2 || (cmd->fn && cmd->arity == -1), "%s: container arity %d", name, cmd->arity);
    else if (cmd->flags & CMD_TX_CONTROL) cr_expect(!cmd->fn, "%s: the connection handles it: no handler", name);
    else cr_expect(cmd->fn, "%s: no handler", name);
    cr_expect(cmd->combine != COMBINE_CUSTOM || cmd->combine_fn, "%s: COMBINE_CUSTOM without combine_fn", name);
    check_keys(cmd);
    check_docs(cmd);
}

Test(commands, table_invariants)
{
    commands_setup();
    size_t n = cmd_count();
    cr_assert_gt(n, 20);
    for (size_t i = 0; i < n; i++) {
        const struct cmd_def *cmd = cmd_at(i);
        check_command(cmd, NULL);
        cr_expect_eq(cmd_lookup(cmd->name, strlen(cmd->name)), cmd, "%s: duplicate name", cmd->name);
        for (const struct cmd_def *sub = cmd->subcommands; sub && sub->name; sub++) {
            check_command(sub, cmd);
            cr_expect_eq(cmd_lookup_fullname(sub->name, strlen(sub->name)), sub, "%s: duplicate name", sub->name);
        }
    }
}

Test(commands, lookups)
{
    commands_setup();
    const struct cmd_def *get = cmd_lookup("GeT", 3);
    cr_assert(get && strcmp(get->name, "get") == 0);
    cr_expect_eq(cmd_lookup_fullname("GET", 3), get);
    const struct cmd_def *cg = cmd_lookup_fullname("CONFIG|Get", 10);
    cr_assert(cg && strcmp(cg->name, "config|get") == 0);
    cr_expect_null(cmd_lookup_fullname("config|nosuch", 13));
    cr_expect_null(cmd_lookup_fullname("get|x", 5));
    cr_expect_null(cmd_lookup_fullname("config|get|x", 12));
    cr_expect_null(cmd_lookup("nosuch", 6));
}

/* ---- derived facts ------------------------------------------------------------- */

Test(commands, flag_and_category_names)
{
    const char *names[CMD_SPEC_MAX_NAMES];
    size_t n = cmd_flag_names(CMD_FAST | CMD_WRITE | CMD_MAY_REPLICATE | CMD_SENTINEL | CMD_ALLOW_BUSY, true, names);
    cr_assert_eq(n, 4); /* may_replicate and sentinel are hidden, as in Redis */
    cr_expect_str_eq(names[0], "write");
    cr_expect_str_eq(names[1], "fast");
    cr_expect_str_eq(names[2], "movablekeys");
    cr_expect_str_eq(names[3], "allow_busy");
    n = cmd_key_flag_names(KS_VARIABLE_FLAGS | KS_RW | KS_ACCESS, names);
    cr_assert_eq(n, 3);
    cr_expect_str_eq(names[0], "RW");
    cr_expect_str_eq(names[1], "access");
    cr_expect_str_eq(names[2], "variable_flags");

    struct cmd_def admin = {.name = "x", .flags = CMD_ADMIN | CMD_NOSCRIPT, .acl_categories = "connection"};
    bool unknown = false;
    cr_expect_eq(cmd_acl_categories(&admin, &unknown),
                 1u << ACL_CAT_ADMIN | 1u << ACL_CAT_DANGEROUS | 1u << ACL_CAT_SLOW | 1u << ACL_CAT_CONNECTION);
    struct cmd_def ro = {.name = "y", .flags = CMD_READONLY | CMD_FAST, .acl_categories = "string nosuch"};
    cr_expect_eq(cmd_acl_categories(&ro, &unknown), 1u << ACL_CAT_READ | 1u << ACL_CAT_STRING | 1u << ACL_CAT_FAST);
    cr_expect(unknown);
    cr_expect_eq(acl_category_lookup("SortedSet", 9), ACL_CAT_SORTEDSET);
    cr_expect_eq(acl_category_lookup("sorted", 6), -1);
}

static struct cmd_args args_of(const char **argv, size_t *len, int argc)
{
    for (int i = 0; i < argc; i++) len[i] = strlen(argv[i]);
    return (struct cmd_args){argc, argv, len};
}

/* Redis's COMMAND INFO: lmove 1/2/1, migrate 3/3/1 movable, zunionstore
 * 1/1/1 movable, xread 0/0/0 movable, mset 1/-1/2. */
Test(commands, legacy_range_as_redis_derives_it)
{
    static const struct cmd_key_spec lmove[] = {
        KEY_SPEC_RANGE(KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1), KEY_SPEC_RANGE(KS_RW | KS_INSERT, 2, 0, 1), {0}};
    static const struct cmd_key_spec migrate[] = {
        KEY_SPEC_RANGE(KS_RW | KS_ACCESS | KS_DELETE, 3, 0, 1),
        {.flags = KS_RW | KS_ACCESS | KS_DELETE | KS_INCOMPLETE, .begin = KS_BEGIN_KEYWORD, .keyword = "KEYS",
         .startfrom = -2, .find = KS_FIND_RANGE, .lastkey = -1, .keystep = 1},
        {0}};
    static const struct cmd_key_spec zunionstore[] = {
        KEY_SPEC_RANGE(KS_OW | KS_UPDATE, 1, 0, 1), KEY_SPEC_KEYNUM(KS_RO | KS_ACCESS, 2), {0}};
    static const struct cmd_key_spec xread[] = {
        {.flags = KS_RO | KS_ACCESS, .begin = KS_BEGIN_KEYWORD, .keyword = "STREAMS", .startfrom = 1,
         .find = KS_FIND_RANGE, .lastkey = -1, .keystep = 1, .limit = 2},
        {0}};
    struct {
        struct cmd_def cmd;
        int first, last, step;
        bool movable;
    } cases[] = {
        {{.name = "lmove", .key_specs = lmove}, 1, 2, 1, false},
        {{.name = "migrate", .key_specs = migrate}, 3, 3, 1, true},
        {{.name = "zunionstore", .key_specs = zunionstore}, 1, 1, 1, true},
        {{.name = "xread", .key_specs = xread}, 0, 0, 0, true},
        {{.name = "mset", .first_key = 1, .last_key = -1, .key_step = 2, .key_flags = KS_OW}, 1, -1, 2, false},
        {{.name = "ping"}, 0, 0, 0, false},
    };
    for (size_t i = 0; i < RK_ARRAY_LEN(cases); i++) {
        struct cmd_legacy_range lr = cmd_legacy_range(&cases[i].cmd);
        cr_expect(lr.first == cases[i].first && lr.last == cases[i].last && lr.step == cases[i].step &&
                      lr.movable == cases[i].movable,
                  "%s: got %d/%d/%d movable %d", cases[i].cmd.name, lr.first, lr.last, lr.step, lr.movable);
    }
}

Test(commands, key_spec_find)
{
    const char *argv[16];
    size_t len[16];
    int pos[16];
    struct cmd_key_spec xread = {.flags = KS_RO, .begin = KS_BEGIN_KEYWORD, .keyword = "STREAMS", .startfrom = 1,
                                 .find = KS_FIND_RANGE, .lastkey = -1, .keystep = 1, .limit = 2};
    const char *x[] = {"xread", "COUNT", "2", "streams", "a", "b", "0", "0"};
    memcpy(argv, x, sizeof(x));
    struct cmd_args a = args_of(argv, len, 8);
    cr_assert_eq(cmd_key_spec_find(&xread, &a, pos, 16), 2);
    cr_expect(pos[0] == 4 && pos[1] == 5);

    struct cmd_key_spec keynum = KEY_SPEC_KEYNUM(KS_RO, 2);
    const char *z[] = {"zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"};
    memcpy(argv, z, sizeof(z));
    a = args_of(argv, len, 8);
    cr_assert_eq(cmd_key_spec_find(&keynum, &a, pos, 16), 2);
    cr_expect(pos[0] == 3 && pos[1] == 4);
    argv[2] = "9"; /* more keys than arguments */
    len[2] = 1;
    cr_expect_eq(cmd_key_spec_find(&keynum, &a, pos, 16), -1);
    argv[2] = "x";
    cr_expect_eq(cmd_key_spec_find(&keynum, &a, pos, 16), -1);

    struct cmd_key_spec migrate = {.flags = KS_RW, .begin = KS_BEGIN_KEYWORD, .keyword = "KEYS", .startfrom = -2,
                                   .find = KS_FIND_RANGE, .lastkey = -1, .keystep = 1};
    const char *m[] = {"migrate", "h", "1", "", "0", "5", "KEYS", "k1", "k2"};
    memcpy(argv, m, sizeof(m));
    a = args_of(argv, len, 9);
    cr_assert_eq(cmd_key_spec_find(&migrate, &a, pos, 16), 2);
    cr_expect(pos[0] == 7 && pos[1] == 8);
    a.argc = 6; /* no KEYS: no keys, not an error */
    cr_expect_eq(cmd_key_spec_find(&migrate, &a, pos, 16), 0);

    struct cmd_key_spec unknown = KEY_SPEC_UNKNOWN(KS_RO, "x");
    cr_expect_eq(cmd_key_spec_find(&unknown, &a, pos, 16), -1);
}

/* ---- syntax lines ---------------------------------------------------------------- */

/* redis-cli 7.0's rendering of an argument tree (cliAddArgument). */
static void render(const struct cmd_syntax *s, int i, const char *sep, char *out, size_t cap);

static void render_arg(const struct cmd_syntax *s, const struct cmd_arg *a, char *out, size_t cap)
{
    char tok[64] = "", rep[1024] = "";
    if (a->token) snprintf(tok, sizeof(tok), "%s%s", *a->token ? a->token : "\"\"", a->type == ARG_PURE_TOKEN ? "" : " ");
    if (a->type == ARG_ONEOF) render(s, a->child, "|", rep, sizeof(rep));
    else if (a->type == ARG_BLOCK) render(s, a->child, " ", rep, sizeof(rep));
    else if (a->type != ARG_PURE_TOKEN) snprintf(rep, sizeof(rep), "%s", a->name);
    bool opt = a->flags & ARG_OPTIONAL;
    size_t n = strlen(out);
    n += (size_t)snprintf(out + n, cap - n, "%s%s%s", opt ? "[" : "", tok, rep);
    if (a->flags & ARG_MULTIPLE)
        n += (size_t)snprintf(out + n, cap - n, " [%s%s ...]", a->flags & ARG_MULTIPLE_TOKEN ? tok : "", rep);
    if (opt) snprintf(out + n, cap - n, "]");
}

static void render(const struct cmd_syntax *s, int i, const char *sep, char *out, size_t cap)
{
    for (; i >= 0; i = s->args[i].next) {
        render_arg(s, &s->args[i], out, cap);
        if (s->args[i].next >= 0) snprintf(out + strlen(out), cap - strlen(out), "%s", sep);
    }
}

static const struct cmd_arg *find_arg(const struct cmd_syntax *s, const char *name)
{
    for (int i = 0; i < s->nargs; i++)
        if (strcmp(s->args[i].name, name) == 0) return &s->args[i];
    return NULL;
}

static struct cmd_syntax syn;

static void expect_rendering(const char *syntax, const char *want)
{
    char err[128] = "", got[2048] = "";
    cr_assert(cmd_syntax_parse(&syn, syntax, err, sizeof(err)), "%s: %s", syntax, err);
    render(&syn, syn.first, " ", got, sizeof(got));
    cr_expect_str_eq(got, want, "%s", syntax);
}

Test(commands, syntax_renders_as_redis_cli_help)
{
    expect_rendering("key value condition=[NX | XX] [GET] expiration=[EX seconds:integer | PX milliseconds:integer | "
                     "EXAT unix-time-seconds:unix-time | PXAT unix-time-milliseconds:unix-time | KEEPTTL]",
                     "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT "
                     "unix-time-milliseconds|KEEPTTL]");
    expect_rendering("key [BY pattern#1] [LIMIT offset:integer count:integer] [GET pattern#1 [GET pattern#1 ...]] "
                     "order=[ASC | DESC] sorting=[ALPHA] [STORE destination:key#2]",
                     "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] "
                     "[STORE destination]");
    expect_rendering("key condition=[NX | XX] comparison=[GT | LT] change=[CH] increment=[INCR] score:double member "
                     "[score:double member ...]",
                     "key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]");
    expect_rendering("host port:integer key_or_empty_string=<key | \"\"> destination-db:integer timeout:integer "
                     "[COPY] [REPLACE] authentication=[[AUTH password] | [AUTH2 username password]] [KEYS key [key ...]]",
                     "host port key|\"\" destination-db timeout [COPY] [REPLACE] [[AUTH password]|[AUTH2 username "
                     "password]] [KEYS key [key ...]]");
    expect_rendering("key [NOMKSTREAM] trim=[strategy=<MAXLEN | MINID> operator=[equal== | approximately=~] threshold "
                     "[LIMIT count:integer]] id_or_auto=<auto_id=* | id> field value [field value ...]",
                     "key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]");
    expect_rendering("[COUNT count:integer] [BLOCK milliseconds:integer] streams=<STREAMS key [key ...] id [id ...]>",
                     "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]");
    expect_rendering("source:key destination:key wherefrom=<LEFT | RIGHT> whereto=<LEFT | RIGHT>",
                     "source destination LEFT|RIGHT LEFT|RIGHT");
    expect_rendering("key value [key value ...]", "key value [key value ...]");
    expect_rendering("filter=<ip:port | new-format=<[ID client-id:integer] | normal_master_slave_pubsub=[TYPE <NORMAL | "
                     "MASTER | SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | "
                     "[SKIPME yes/no]> [<[ID client-id:integer] | normal_master_slave_pubsub=[TYPE <NORMAL | MASTER | "
                     "SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME "
                     "yes/no]> ...]>",
                     "ip:port|[ID client-id]|[TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB]|[USER username]|[ADDR "
                     "ip:port]|[LADDR ip:port]|[SKIPME yes/no] [[ID client-id]|[TYPE "
                     "NORMAL|MASTER|SLAVE|REPLICA|PUBSUB]|[USER username]|[ADDR ip:port]|[LADDR ip:port]|[SKIPME "
                     "yes/no] ...]");
    expect_rendering(NULL, "");
    expect_rendering("", "");
}

/* The tree itself, as COMMAND DOCS reports it: names, types, tokens,
 * flags and key spec indexes as in Redis's sort.json / set.json. */
Test(commands, syntax_tree)
{
    char err[128];
    cr_assert(cmd_syntax_parse(&syn, "key [BY pattern#1] [LIMIT offset:integer count:integer] "
                                     "[GET pattern#1 [GET pattern#1 ...]] order=[ASC | DESC] [STORE destination:key#2]",
                               err, sizeof(err)), "%s", err);
    const struct cmd_arg *key = &syn.args[syn.first];
    cr_expect(strcmp(key->name, "key") == 0 && key->type == ARG_KEY && key->key_spec_index == 0 && !key->flags);
    const struct cmd_arg *limit = find_arg(&syn, "offset_count");
    cr_assert(limit);
    cr_expect(limit->type == ARG_BLOCK && strcmp(limit->token, "LIMIT") == 0 && limit->flags == ARG_OPTIONAL);
    cr_expect(syn.args[limit->child].type == ARG_INTEGER);
    const struct cmd_arg *dest = find_arg(&syn, "destination");
    cr_assert(dest);
    cr_expect(dest->type == ARG_KEY && dest->key_spec_index == 2 && strcmp(dest->token, "STORE") == 0);
    const struct cmd_arg *order = find_arg(&syn, "order");
    cr_assert(order);
    cr_expect(order->type == ARG_ONEOF && order->flags == ARG_OPTIONAL);
    const struct cmd_arg *asc = &syn.args[order->child];
    cr_expect(asc->type == ARG_PURE_TOKEN && strcmp(asc->name, "asc") == 0 && strcmp(asc->token, "ASC") == 0);
    int gets = 0;
    for (int i = syn.first; i >= 0; i = syn.args[i].next) {
        const struct cmd_arg *a = &syn.args[i];
        if (a->token && strcmp(a->token, "GET") == 0) {
            gets++;
            cr_expect(a->type == ARG_PATTERN && a->key_spec_index == 1 &&
                      a->flags == (ARG_OPTIONAL | ARG_MULTIPLE | ARG_MULTIPLE_TOKEN));
        }
    }
    cr_expect_eq(gets, 1);

    /* Versions: since and deprecated_since, on words and on groups. */
    cr_assert(cmd_syntax_parse(&syn, "ip:port@!2.8.12 [ID client-id:integer]@2.8.12 [GET@6.2.0] [a | b]@1.0@!2.0",
                               err, sizeof(err)), "%s", err);
    const struct cmd_arg *ipport = find_arg(&syn, "ip:port"), *id = find_arg(&syn, "client-id");
    cr_assert(ipport && id);
    cr_expect(!ipport->since && strcmp(ipport->deprecated_since, "2.8.12") == 0);
    cr_expect(strcmp(id->since, "2.8.12") == 0 && !id->deprecated_since && strcmp(id->token, "ID") == 0);
    const struct cmd_arg *get = find_arg(&syn, "get"), *ab = find_arg(&syn, "a_b");
    cr_assert(get && ab);
    cr_expect(strcmp(get->since, "6.2.0") == 0 && get->type == ARG_PURE_TOKEN);
    cr_expect(strcmp(ab->since, "1.0") == 0 && strcmp(ab->deprecated_since, "2.0") == 0);

    /* Keys are numbered in order; a repeat's content does not count. */
    cr_assert(cmd_syntax_parse(&syn, "source:key destination:key [key [key ...]]", err, sizeof(err)), "%s", err);
    cr_expect_eq(syn.nargs, 3);
    cr_expect_eq(syn.args[2].key_spec_index, 2);
    cr_expect_eq(syn.args[2].flags, ARG_OPTIONAL | ARG_MULTIPLE);
}

Test(commands, syntax_errors)
{
    static const char *const bad[] = {
        "key [NX", "key NX]", "key <a | b]", "key [a ...]", "a [b ...]", "[...]", "key ...",
        "key [|]", "x#", "x#a", "name=", "key [NX |]", "@1.0 key", "key@", "key @!",
    };
    for (size_t i = 0; i < RK_ARRAY_LEN(bad); i++) {
        char err[128] = "";
        cr_expect(!cmd_syntax_parse(&syn, bad[i], err, sizeof(err)), "'%s' parsed", bad[i]);
        cr_expect(err[0], "'%s': no message", bad[i]);
    }
    /* Bounds: a line with more arguments than fit fails cleanly. */
    static char big[8192];
    size_t n = 0;
    for (int i = 0; i < 400 && n + 16 < sizeof(big); i++) n += (size_t)snprintf(big + n, sizeof(big) - n, "a%d ", i);
    char err[128] = "";
    cr_expect(!cmd_syntax_parse(&syn, big, err, sizeof(err)));
}
