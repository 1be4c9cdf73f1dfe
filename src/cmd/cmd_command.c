/* cmd_command.c — COMMAND and its subcommands (COUNT, INFO, DOCS, LIST,
 * GETKEYS, GETKEYSANDFLAGS, HELP), answered from the command table with
 * Redis 7.0's reply shapes (including its quirks: key specs, tips and
 * history are sets in RESP3). The table is immutable and shared, so these
 * run on whichever shard the connection sits on. */
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/cmd_spec.h"
#include "ringkv/cmd/cmd_syntax.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/base/glob.h"
#include "ringkv/base/util.h"

#include <stdio.h>
#include <string.h>

/* ---- COMMAND INFO --------------------------------------------------------- */

static void reply_status_set(struct reply *r, const char *const *names, size_t n)
{
    reply_set(r, (long long)n);
    for (size_t i = 0; i < n; i++) reply_status(r, names[i]);
}

/* A space-separated list from the table, as a set of bulk strings. */
static void reply_word_set(struct reply *r, const char *words)
{
    size_t at = reply_defer(r);
    long long n = 0;
    for (const char *s = words ? words : ""; *s;) {
        size_t len = strcspn(s, " ");
        if (len) {
            reply_bulk(r, s, len);
            n++;
        }
        s += len + (s[len] == ' ');
    }
    reply_defer_set(r, at, n);
}

static void reply_acl_categories(struct reply *r, const struct cmd_def *cmd)
{
    uint32_t cats = cmd_acl_categories(cmd, NULL);
    char name[32];
    reply_set(r, __builtin_popcount(cats));
    for (int i = 0; i < ACL_CAT_COUNT; i++) {
        if (!(cats & (1u << i))) continue;
        snprintf(name, sizeof(name), "@%s", acl_category_name((enum acl_category)i));
        reply_status(r, name);
    }
}

static void reply_kv_int(struct reply *r, const char *key, long long v)
{
    reply_bulk_cstr(r, key);
    reply_int(r, v);
}

static void reply_kv_str(struct reply *r, const char *key, const char *value)
{
    reply_bulk_cstr(r, key);
    reply_bulk_cstr(r, value);
}

static void reply_begin_search(struct reply *r, const struct cmd_key_spec *ks)
{
    reply_map(r, 2);
    reply_bulk_cstr(r, "type");
    if (ks->begin == KS_BEGIN_INDEX) {
        reply_bulk_cstr(r, "index");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 1);
        reply_kv_int(r, "index", ks->index);
    } else if (ks->begin == KS_BEGIN_KEYWORD) {
        reply_bulk_cstr(r, "keyword");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 2);
        reply_bulk_cstr(r, "keyword");
        reply_bulk_cstr(r, ks->keyword);
        reply_kv_int(r, "startfrom", ks->startfrom);
    } else {
        reply_bulk_cstr(r, "unknown");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 0);
    }
}

static void reply_find_keys(struct reply *r, const struct cmd_key_spec *ks)
{
    reply_map(r, 2);
    reply_bulk_cstr(r, "type");
    if (ks->begin != KS_BEGIN_UNKNOWN && ks->find == KS_FIND_RANGE) {
        reply_bulk_cstr(r, "range");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 3);
        reply_kv_int(r, "lastkey", ks->lastkey);
        reply_kv_int(r, "keystep", ks->keystep);
        reply_kv_int(r, "limit", ks->limit);
    } else if (ks->find == KS_FIND_KEYNUM) {
        reply_bulk_cstr(r, "keynum");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 3);
        reply_kv_int(r, "keynumidx", ks->keynumidx);
        reply_kv_int(r, "firstkey", ks->firstkey);
        reply_kv_int(r, "keystep", ks->keystep);
    } else {
        reply_bulk_cstr(r, "unknown");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 0);
    }
}

static void reply_key_specs(struct reply *r, const struct cmd_def *cmd)
{
    struct cmd_key_spec specs[CMD_MAX_KEY_SPECS];
    int n = cmd_key_specs(cmd, specs);
    reply_set(r, n);
    for (int i = 0; i < n; i++) {
        const struct cmd_key_spec *ks = &specs[i];
        reply_map(r, ks->notes ? 4 : 3);
        if (ks->notes) {
            reply_bulk_cstr(r, "notes");
            reply_bulk_cstr(r, ks->notes);
        }
        const char *names[CMD_SPEC_MAX_NAMES];
        reply_bulk_cstr(r, "flags");
        reply_status_set(r, names, cmd_key_flag_names(ks->flags, names));
        reply_bulk_cstr(r, "begin_search");
        reply_begin_search(r, ks);
        reply_bulk_cstr(r, "find_keys");
        reply_find_keys(r, ks);
    }
}

static void reply_info(struct reply *r, const struct cmd_def *cmd)
{
    struct cmd_legacy_range lr = cmd_legacy_range(cmd);
    const char *flags[CMD_SPEC_MAX_NAMES];
    reply_array(r, 10);
    reply_bulk_cstr(r, cmd->name);
    reply_int(r, cmd->arity);
    reply_status_set(r, flags, cmd_flag_names(cmd->flags, lr.movable, flags));
    reply_int(r, lr.first);
    reply_int(r, lr.last);
    reply_int(r, lr.step);
    reply_acl_categories(r, cmd);
    reply_word_set(r, cmd->tips);
    reply_key_specs(r, cmd);
    if (!cmd->subcommands) {
        reply_set(r, 0);
        return;
    }
    size_t at = reply_defer(r);
    long long n = 0;
    for (const struct cmd_def *sub = cmd->subcommands; sub->name; sub++, n++) reply_info(r, sub);
    reply_defer_array(r, at, n);
}

static void reply_all_info(struct reply *r)
{
    reply_array(r, (long long)cmd_count());
    for (size_t i = 0; i < cmd_count(); i++) reply_info(r, cmd_at(i));
}

static void command_command(struct cmd_ctx *c, const struct cmd_args *a) { reply_all_info(c->r); }

static void command_info_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc == 2) {
        reply_all_info(c->r);
        return;
    }
    reply_array(c->r, a->argc - 2);
    for (int i = 2; i < a->argc; i++) {
        const struct cmd_def *cmd = cmd_lookup_fullname(a->argv[i], a->len[i]);
        if (cmd) reply_info(c->r, cmd);
        else reply_null(c->r);
    }
}

static void command_count_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_int(c->r, (long long)cmd_count());
}

/* ---- COMMAND DOCS ---------------------------------------------------------- */

static void reply_args(struct reply *r, const struct cmd_syntax *s, int first)
{
    size_t at = reply_defer(r);
    long long n = 0;
    for (int i = first; i >= 0; i = s->args[i].next, n++) {
        const struct cmd_arg *arg = &s->args[i];
        bool group = arg->type == ARG_ONEOF || arg->type == ARG_BLOCK;
        reply_map(r, 2 + (arg->key_spec_index >= 0) + (arg->token != NULL) + (arg->since != NULL) +
                         (arg->deprecated_since != NULL) + (arg->flags != 0) + group);
        reply_bulk_cstr(r, "name");
        reply_bulk_cstr(r, arg->name);
        reply_bulk_cstr(r, "type");
        reply_bulk_cstr(r, cmd_arg_type_name(arg->type));
        if (arg->key_spec_index >= 0) reply_kv_int(r, "key_spec_index", arg->key_spec_index);
        if (arg->token) {
            reply_bulk_cstr(r, "token");
            reply_bulk_cstr(r, arg->token);
        }
        if (arg->since) reply_kv_str(r, "since", arg->since);
        if (arg->deprecated_since) reply_kv_str(r, "deprecated_since", arg->deprecated_since);
        if (arg->flags) {
            static const char *const names[] = {"optional", "multiple", "multiple_token"};
            const char *set[3];
            size_t k = 0;
            for (size_t b = 0; b < 3; b++)
                if (arg->flags & (1u << b)) set[k++] = names[b];
            reply_bulk_cstr(r, "flags");
            reply_status_set(r, set, k);
        }
        if (group) {
            reply_bulk_cstr(r, "arguments");
            reply_args(r, s, arg->child);
        }
    }
    reply_defer_array(r, at, n);
}

static void reply_history(struct reply *r, const char *const *h)
{
    size_t n = 0;
    while (h[n] && h[n + 1]) n += 2;
    reply_bulk_cstr(r, "history");
    reply_set(r, (long long)n / 2);
    for (size_t i = 0; i < n; i += 2) {
        reply_array(r, 2);
        reply_bulk_cstr(r, h[i]);
        reply_bulk_cstr(r, h[i + 1]);
    }
}

static void reply_docs(struct reply *r, const struct cmd_def *cmd)
{
    struct cmd_syntax *syn = rk_malloc(sizeof(*syn));
    char err[128];
    /* A line that does not parse is a table bug the unit test reports; the
     * client still gets everything else. */
    bool args = cmd_syntax_parse(syn, cmd->syntax, err, sizeof(err)) && syn->first >= 0;
    const char *dep = cmd->deprecated_since;
    /* doc_flags in Redis's order (commands.def: deprecated, syscmd). */
    const char *doc_flags[2];
    int ndoc = 0;
    if (dep) doc_flags[ndoc++] = "deprecated";
    if (cmd->syscmd) doc_flags[ndoc++] = "syscmd";
    reply_map(r, 1 + !!cmd->summary + !!cmd->since + !!cmd->complexity + !!ndoc + !!dep + !!cmd->replaced_by +
                     !!cmd->history + args + !!cmd->subcommands);
    if (cmd->summary) reply_kv_str(r, "summary", cmd->summary);
    if (cmd->since) reply_kv_str(r, "since", cmd->since);
    reply_kv_str(r, "group", cmd->group ? cmd->group : "generic");
    if (cmd->complexity) reply_kv_str(r, "complexity", cmd->complexity);
    if (ndoc) {
        reply_bulk_cstr(r, "doc_flags");
        reply_status_set(r, doc_flags, ndoc);
    }
    if (dep) reply_kv_str(r, "deprecated_since", dep);
    if (cmd->replaced_by) reply_kv_str(r, "replaced_by", cmd->replaced_by);
    if (cmd->history) reply_history(r, cmd->history);
    if (args) {
        reply_bulk_cstr(r, "arguments");
        reply_args(r, syn, syn->first);
    }
    rk_free(syn);
    if (cmd->subcommands) {
        reply_bulk_cstr(r, "subcommands");
        size_t at = reply_defer(r);
        long long n = 0;
        for (const struct cmd_def *sub = cmd->subcommands; sub->name; sub++, n++) {
            reply_bulk_cstr(r, sub->name);
            reply_docs(r, sub);
        }
        reply_defer_map(r, at, n);
    }
}

static void command_docs_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    size_t at = reply_defer(c->r);
    long long n = 0;
    for (size_t i = 0; a->argc == 2 && i < cmd_count(); i++, n++) {
        reply_bulk_cstr(c->r, cmd_at(i)->name);
        reply_docs(c->r, cmd_at(i));
    }
    for (int i = 2; i < a->argc; i++) {
        const struct cmd_def *cmd = cmd_lookup_fullname(a->argv[i], a->len[i]);
        if (!cmd) continue;
        reply_bulk_cstr(c->r, cmd->name);
        reply_docs(c->r, cmd);
        n++;
    }
    reply_defer_map(c->r, at, n);
}

/* ---- COMMAND LIST ------------------------------------------------------------ */

enum list_filter { LIST_ALL, LIST_MODULE, LIST_ACLCAT, LIST_PATTERN };

struct list_state {
    enum list_filter filter;
    const char *arg;
    size_t arg_len;
    int aclcat;
    long long n;
};

static bool list_match(const struct list_state *st, const struct cmd_def *cmd)
{
    switch (st->filter) {
    case LIST_ALL: return true;
    case LIST_MODULE: return false; /* no modules */
    case LIST_ACLCAT: return st->aclcat >= 0 && (cmd_acl_categories(cmd, NULL) & (1u << st->aclcat));
    case LIST_PATTERN: return glob_match(st->arg, st->arg_len, cmd->name, strlen(cmd->name), true);
    }
    return false;
}

static void list_matching(struct reply *r, struct list_state *st, const struct cmd_def *cmd)
{
    if (list_match(st, cmd)) {
        reply_bulk_cstr(r, cmd->name);
        st->n++;
    }
    for (const struct cmd_def *sub = cmd->subcommands; sub && sub->name; sub++) list_matching(r, st, sub);
}

static void command_list_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct list_state st = {.filter = LIST_ALL};
    if (a->argc == 5 && arg_is(a, 2, "filterby")) {
        st.arg = a->argv[4];
        st.arg_len = a->len[4];
        if (arg_is(a, 3, "module")) st.filter = LIST_MODULE;
        else if (arg_is(a, 3, "aclcat")) st.filter = LIST_ACLCAT;
        else if (arg_is(a, 3, "pattern")) st.filter = LIST_PATTERN;
        else a = NULL;
        if (st.filter == LIST_ACLCAT) st.aclcat = acl_category_lookup(st.arg, st.arg_len);
    } else if (a->argc != 2) {
        a = NULL;
    }
    if (!a) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    size_t at = reply_defer(c->r);
    for (size_t i = 0; i < cmd_count(); i++) list_matching(c->r, &st, cmd_at(i));
    reply_defer_array(c->r, at, st.n);
}

/* ---- COMMAND GETKEYS ------------------------------------------------------- */

/* The flags of the spec that finds the key at pos (the first spec's when
 * none does, e.g. keys found by a getkeys function). */
static uint32_t key_flags_at(const struct cmd_key_spec *specs, int nspecs, const struct cmd_args *a, int pos, int *scratch)
{
    for (int i = 0; i < nspecs; i++) {
        int n = cmd_key_spec_find(&specs[i], a, scratch, a->argc);
        for (int k = 0; k < n; k++)
            if (scratch[k] == pos) return specs[i].flags;
    }
    return nspecs ? specs[0].flags : 0;
}

/* SORT's STORE destination lies where no spec finds it (an INCOMPLETE
 * one); Redis's sortGetKeys gives it OW update. */
static uint32_t key_flags(const struct cmd_def *cmd, const struct cmd_key_spec *specs, int nspecs,
                          const struct cmd_args *a, int pos, int *scratch)
{
    if (strcmp(cmd->name, "sort") == 0 && pos > 1) return KS_OW | KS_UPDATE;
    return cmd_key_call_flags(cmd, a, key_flags_at(specs, nspecs, a, pos, scratch));
}

static void getkeys(struct cmd_ctx *c, const struct cmd_args *a, bool with_flags)
{
    const struct cmd_args sub = {a->argc - 2, a->argv + 2, a->len + 2};
    const struct cmd_def *cmd = cmd_lookup(sub.argv[0], sub.len[0]);
    if (cmd && cmd->subcommands && sub.argc >= 2) cmd = cmd_lookup_sub(cmd, sub.argv[1], sub.len[1]);
    if (!cmd) {
        reply_error(c->r, "ERR Invalid command specified");
        return;
    }
    if (!cmd_has_keys(cmd)) {
        reply_error(c->r, "ERR The command has no key arguments");
        return;
    }
    if (!cmd_arity_ok(cmd, sub.argc)) {
        reply_error(c->r, "ERR Invalid number of arguments specified for command");
        return;
    }
    int *pos = rk_malloc(2 * (size_t)sub.argc * sizeof(int));
    int n = cmd_key_positions(cmd, &sub, pos, sub.argc);
    if (n <= 0 && !(cmd->flags & CMD_NO_MANDATORY_KEYS)) {
        reply_error(c->r, "ERR Invalid arguments specified for command");
    } else {
        struct cmd_key_spec specs[CMD_MAX_KEY_SPECS];
        int nspecs = cmd_key_specs(cmd, specs);
        reply_array(c->r, n > 0 ? n : 0);
        for (int i = 0; i < n; i++) {
            const char *key = sub.argv[pos[i]];
            size_t len = sub.len[pos[i]];
            if (!with_flags) {
                reply_bulk(c->r, key, len);
                continue;
            }
            const char *names[CMD_SPEC_MAX_NAMES];
            reply_array(c->r, 2);
            reply_bulk(c->r, key, len);
            uint32_t flags = key_flags(cmd, specs, nspecs, &sub, pos[i], pos + sub.argc);
            reply_status_set(c->r, names, cmd_key_flag_names(flags, names));
        }
    }
    rk_free(pos);
}

static void command_getkeys_command(struct cmd_ctx *c, const struct cmd_args *a) { getkeys(c, a, false); }
static void command_getkeysandflags_command(struct cmd_ctx *c, const struct cmd_args *a) { getkeys(c, a, true); }

static void command_help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const lines[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

#define COMMAND_SUB(name_, arity_, fn_, summary_, since_, complexity_, tips_, syntax_, ...)                \
    {.name = "command|" name_, .arity = arity_, .flags = CMD_LOADING | CMD_STALE, .fn = fn_,            \
     .group = "server", .summary = summary_, .since = since_, .complexity = complexity_,                \
     .acl_categories = "connection", .tips = tips_, .syntax = syntax_, __VA_ARGS__}

static const struct cmd_def command_subcommands[] = {
    COMMAND_SUB("count", 2, command_count_command, "Get total number of Redis commands", "2.8.13", "O(1)", NULL, NULL),
    COMMAND_SUB("docs", -2, command_docs_command, "Get array of specific Redis command documentation", "7.0.0",
                "O(N) where N is the number of commands to look up", "nondeterministic_output_order",
                "[command-name [command-name ...]]"),
    COMMAND_SUB("getkeys", -4, command_getkeys_command, "Extract keys given a full Redis command", "2.8.13",
                "O(N) where N is the number of arguments to the command", NULL, NULL),
    COMMAND_SUB("getkeysandflags", -4, command_getkeysandflags_command,
                "Extract keys and access flags given a full Redis command", "7.0.0",
                "O(N) where N is the number of arguments to the command", NULL, NULL),
    COMMAND_SUB("help", 2, command_help_command, "Show helpful text about the different subcommands", "5.0.0", "O(1)",
                NULL, NULL),
    COMMAND_SUB("info", -2, command_info_command, "Get array of specific Redis command details, or all when no argument is given.",
                "2.8.13", "O(N) where N is the number of commands to look up", "nondeterministic_output_order",
                "[command-name [command-name ...]]",
                .history = (const char *const[]){"7.0.0", "Allowed to be called with no argument to get info on all commands.", NULL}),
    COMMAND_SUB("list", -2, command_list_command, "Get an array of Redis command names", "7.0.0",
                "O(N) where N is the total number of Redis commands", "nondeterministic_output_order",
                "filterby=[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]"),
    {0},
};

const struct cmd_def command_commands[] = {
    {.name = "command", .arity = -1, .flags = CMD_LOADING | CMD_STALE, .fn = command_command,
     .subcommands = command_subcommands, .group = "server", .summary = "Get array of Redis command details",
     .since = "2.8.13", .complexity = "O(N) where N is the total number of Redis commands",
     .acl_categories = "connection", .tips = "nondeterministic_output_order"},
    {0},
};
