/* cmd_acl.c — the ACL command (SETUSER, GETUSER, DELUSER, LIST, USERS,
 * WHOAMI, CAT, GENPASS, DRYRUN, LOG, SAVE, LOAD, HELP) and AUTH's check of
 * a user's password, over the server's registry (acl.h).
 *
 * They run on the caller's shard, the registry being the server's; DELUSER
 * runs on every shard, each closing its clients of the deleted users.
 * Thread: the shard running the command.
 */
#include "ringkv/cmd/cmd_acl.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/config.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/cmd_spec.h"
#include "ringkv/cmd/host.h"
#include "ringkv/proto/reply.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define ACL_FLAGS (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)
#define GENPASS_MAX_BITS 4096

void acl_log_for(struct cmd_ctx *c, enum acl_denied why, enum acl_log_ctx ctx, const char *object, size_t olen,
                 const struct acl_user *u)
{
    struct obuf info;
    obuf_init(&info);
    if (c->client) client_describe(c->client, &info);
    else {
        char line[64];
        int n = snprintf(line, sizeof(line), "id=%llu", (unsigned long long)c->client_id);
        obuf_append(&info, line, (size_t)n);
    }
    if (info.len && info.data[info.len - 1] == '\n') info.len--;
    obuf_append(&info, "", 1);
    acl_log_add(why, ctx, object, olen, u ? u->name : "default", u ? u->name_len : 7, info.data);
    obuf_free(&info);
}

bool acl_auth_client(struct cmd_ctx *c, const struct cmd_args *a, const char *user, size_t ulen, const char *pass,
                     size_t plen)
{
    struct acl_user *u = acl_registry_get(user, ulen);
    if (u && (u->flags & ACL_USER_ON) && acl_user_password_ok(u, pass, plen)) {
        client_set_user(c->client, u);
        return true;
    }
    acl_user_unref(u);
    struct obuf info;
    obuf_init(&info);
    client_describe(c->client, &info);
    if (info.len && info.data[info.len - 1] == '\n') info.len--;
    obuf_append(&info, "", 1);
    acl_log_add(ACL_DENIED_AUTH, ACL_LOG_TOPLEVEL, a->argv[0], a->len[0], user, ulen, info.data);
    obuf_free(&info);
    return false;
}

/* Redis's addReplySubcommandSyntaxError, with the subcommand as sent. */
static void reply_sub_syntax(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_errorf(c->r, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try ACL HELP.",
                 (int)(a->len[1] < 128 ? a->len[1] : 128), a->argv[1]);
}

static bool has_space_or_nul(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == 0) return true;
    return false;
}

static void setuser_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (has_space_or_nul(a->argv[2], a->len[2])) {
        reply_error(c->r, "ERR Usernames can't contain spaces or null characters");
        return;
    }
    int n = 0, bad = 0;
    size_t *lens;
    char **ops = acl_merge_selectors((char *const *)a->argv + 3, a->len + 3, a->argc - 3, &n, &lens, &bad);
    if (!ops) {
        reply_errorf(c->r, "ERR Unmatched parenthesis in acl selector starting at '%.*s'.", (int)a->len[3 + bad],
                     a->argv[3 + bad]);
        return;
    }
    enum acl_set_err err = acl_registry_setuser(a->argv[2], a->len[2], ops, lens, n, &bad);
    if (err)
        reply_errorf(c->r, "ERR Error in ACL SETUSER modifier '%.*s': %s", (int)lens[bad], ops[bad],
                     acl_set_error(err));
    acl_free_args(ops, lens, n);
    if (err) return;
    reply_ok(c->r);
}

struct kill_deleted {
    const struct cmd_args *a;
};

/* A client of a user that no longer exists goes, as Redis kills them. */
static void kill_if_deleted(struct client *cl, void *arg)
{
    const struct kill_deleted *k = arg;
    const struct acl_user *u = client_user(cl);
    if (!u) return;
    for (int i = 2; i < k->a->argc; i++) {
        if (u->name_len != k->a->len[i] || memcmp(u->name, k->a->argv[i], u->name_len) != 0) continue;
        struct acl_user *now = acl_registry_get(u->name, u->name_len);
        if (!now) client_kill(cl);
        acl_user_unref(now);
        return;
    }
}

/* On every shard: the first to get there deletes (the counts add up to
 * Redis's), each closes its own clients of the deleted users. */
static void deluser_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    for (int i = 2; i < a->argc; i++)
        if (a->len[i] == 7 && memcmp(a->argv[i], "default", 7) == 0) {
            reply_error(c->r, "ERR The 'default' user cannot be removed");
            return;
        }
    long long deleted = 0;
    for (int i = 2; i < a->argc; i++) deleted += acl_registry_deluser(a->argv[i], a->len[i]);
    struct kill_deleted k = {a};
    host_foreach_client(c->host, kill_if_deleted, &k);
    reply_int(c->r, deleted);
}

static void describe_reply(struct reply *r, const struct acl_selector *s,
                           void (*describe)(const struct acl_selector *, struct obuf *))
{
    struct obuf out;
    obuf_init(&out);
    describe(s, &out);
    reply_bulk(r, out.data ? out.data : "", out.len);
    obuf_free(&out);
}

static void selector_reply(struct reply *r, const struct acl_selector *s)
{
    reply_bulk_cstr(r, "commands");
    describe_reply(r, s, acl_selector_describe_commands);
    reply_bulk_cstr(r, "keys");
    describe_reply(r, s, acl_selector_describe_keys);
    reply_bulk_cstr(r, "channels");
    describe_reply(r, s, acl_selector_describe_channels);
}

static void getuser_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct acl_user *u = acl_registry_get(a->argv[2], a->len[2]);
    if (!u) {
        reply_null(c->r);
        return;
    }
    reply_map(c->r, 6);
    reply_bulk_cstr(c->r, "flags");
    const char *flags[3];
    int nflags = 0;
    flags[nflags++] = u->flags & ACL_USER_ON ? "on" : "off";
    if (u->flags & ACL_USER_NOPASS) flags[nflags++] = "nopass";
    if (u->flags & ACL_USER_SKIP_SANITIZE) flags[nflags++] = "skip-sanitize-payload";
    if (u->flags & ACL_USER_SANITIZE) flags[nflags++] = "sanitize-payload";
    reply_set(c->r, nflags);
    for (int i = 0; i < nflags; i++) reply_bulk_cstr(c->r, flags[i]);
    reply_bulk_cstr(c->r, "passwords");
    reply_array(c->r, u->npass);
    for (uint32_t i = 0; i < u->npass; i++) reply_bulk(c->r, u->pass[i], ACL_HASH_HEX);
    selector_reply(c->r, &u->sel[0]);
    reply_bulk_cstr(c->r, "selectors");
    reply_array(c->r, u->nsel - 1);
    for (uint32_t i = 1; i < u->nsel; i++) {
        reply_map(c->r, 3);
        selector_reply(c->r, &u->sel[i]);
    }
    acl_user_unref(u);
}

static void list_users(struct cmd_ctx *c, bool names_only)
{
    size_t n;
    struct acl_user **users = acl_registry_list(&n);
    reply_array(c->r, (long long)n);
    for (size_t i = 0; i < n; i++) {
        if (names_only) {
            reply_bulk(c->r, users[i]->name, users[i]->name_len);
            continue;
        }
        struct obuf out;
        obuf_init(&out);
        acl_user_describe(users[i], &out);
        reply_bulk(c->r, out.data, out.len);
        obuf_free(&out);
    }
    acl_registry_list_free(users, n);
}

static void list_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    (void)a;
    list_users(c, false);
}

static void users_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    (void)a;
    list_users(c, true);
}

static void whoami_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    (void)a;
    const struct acl_user *u = client_user(c->client);
    if (u) reply_bulk(c->r, u->name, u->name_len);
    else reply_null(c->r);
}

static void cat_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc > 3) {
        reply_sub_syntax(c, a);
        return;
    }
    if (a->argc == 2) {
        reply_array(c->r, ACL_CAT_COUNT);
        for (int i = 0; i < ACL_CAT_COUNT; i++) reply_bulk_cstr(c->r, acl_category_name((enum acl_category)i));
        return;
    }
    int cat = acl_category_lookup(a->argv[2], a->len[2]);
    if (cat < 0) {
        reply_errorf(c->r, "ERR Unknown category '%.*s'", (int)(a->len[2] < 128 ? a->len[2] : 128), a->argv[2]);
        return;
    }
    size_t at = reply_defer(c->r), n = 0;
    for (size_t i = 0; i < cmd_index_count(); i++) {
        if (!(acl_cmd_categories(i) & (1u << cat))) continue;
        reply_bulk_cstr(c->r, cmd_by_index(i)->name);
        n++;
    }
    reply_defer_array(c->r, at, (long long)n);
}

static void genpass_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long bits = 256;
    if (a->argc > 3) {
        reply_sub_syntax(c, a);
        return;
    }
    if (a->argc == 3 && !arg_ll_or_reply(c, a, 2, &bits, RK_ERR_NOT_INT)) return;
    if (bits <= 0 || bits > GENPASS_MAX_BITS) {
        reply_errorf(c->r, "ERR ACL GENPASS argument must be the number of bits for the output password, a positive "
                           "number up to %d", GENPASS_MAX_BITS);
        return;
    }
    unsigned char raw[GENPASS_MAX_BITS / 8];
    char hex[GENPASS_MAX_BITS / 4];
    size_t chars = (size_t)(bits + 3) / 4;
    if (RAND_bytes(raw, (int)((chars + 1) / 2)) != 1) {
        reply_error(c->r, "ERR no random bytes available");
        return;
    }
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < chars; i++) hex[i] = digits[(raw[i / 2] >> (i % 2 ? 0 : 4)) & 15];
    reply_bulk(c->r, hex, chars);
}

static void log_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long count = 10;
    if (a->argc > 3) {
        reply_sub_syntax(c, a);
        return;
    }
    if (a->argc == 3) {
        if (arg_is(a, 2, "reset")) {
            acl_log_reset();
            reply_ok(c->r);
            return;
        }
        if (!arg_ll_or_reply(c, a, 2, &count, RK_ERR_NOT_INT)) return;
    }
    acl_log_reply(c->r, count);
}

static void dryrun_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct acl_user *u = acl_registry_get(a->argv[2], a->len[2]);
    if (!u) {
        reply_errorf(c->r, "ERR User '%.*s' not found", (int)a->len[2], a->argv[2]);
        return;
    }
    struct cmd_args sub = {.argc = a->argc - 3, .argv = a->argv + 3, .len = a->len + 3};
    const struct cmd_def *cmd = cmd_lookup(sub.argv[0], sub.len[0]);
    if (cmd && cmd->subcommands && sub.argc >= 2) cmd = cmd_lookup_sub(cmd, sub.argv[1], sub.len[1]);
    if (!cmd) {
        reply_errorf(c->r, "ERR Command '%.*s' not found", (int)sub.len[0], sub.argv[0]);
    } else if (!cmd_arity_ok(cmd, sub.argc)) {
        reply_errorf(c->r, "ERR wrong number of arguments for '%s' command", cmd->name);
    } else {
        int pos = 0;
        enum acl_denied why = acl_check(u, cmd, &sub, &pos);
        char msg[512];
        if (why == ACL_OK) reply_ok(c->r);
        else {
            if (why == ACL_DENIED_CMD) snprintf(msg, sizeof(msg), "This user has no permissions to run the '%s' command", cmd->name);
            else
                snprintf(msg, sizeof(msg), "This user has no permissions to access the '%.*s' %s", (int)sub.len[pos],
                         sub.argv[pos], why == ACL_DENIED_KEY ? "key" : "channel");
            reply_bulk_cstr(c->r, msg);
        }
    }
    acl_user_unref(u);
}

static bool aclfile_or_reply(struct cmd_ctx *c)
{
    if (c->cfg->aclfile && *c->cfg->aclfile) return true;
    reply_error(c->r, "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
                      "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
                      "configuration file set) in order to store users in the Redis configuration.");
    return false;
}

static void load_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    (void)a;
    char err[1024];
    if (!aclfile_or_reply(c)) return;
    if (acl_file_load(c->cfg->aclfile, err, sizeof(err))) reply_ok(c->r);
    else reply_errorf(c->r, "ERR %s", err);
}

static void save_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    (void)a;
    if (!aclfile_or_reply(c)) return;
    if (acl_file_save(c->cfg->aclfile)) reply_ok(c->r);
    else reply_error(c->r, "ERR There was an error trying to save the ACLs. Please check the server logs for more "
                           "information");
}

static void help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    (void)a;
    static const char *const lines[] = {
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

/* A subcommand; the rest of its fields (since, syntax...) follow. */
/* Internal, in no table: stands in for a queued command EXEC found
 * denied, answering the error it carries. */
static void denied_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_error_len(c->r, a->argv[1], a->len[1]);
}

const struct cmd_def acl_denied_command = {.name = "acl-denied", .arity = 2, .fn = denied_command};

#define ACL_SUB(name_, arity_, flags_, fn_, summary_, complexity_, ...)                                       \
    {.name = "acl|" name_, .arity = arity_, .flags = flags_, .fn = fn_, .group = "server", .summary = summary_, \
     .complexity = complexity_, __VA_ARGS__}

#define USERS_COMPLEXITY "O(N). Where N is the number of configured users."

static const struct cmd_def acl_subcommands[] = {
    ACL_SUB("cat", -2, ACL_FLAGS, cat_command, "List the ACL categories or the commands inside a category",
            "O(1) since the categories and commands are a fixed set.", .syntax = "[categoryname]", .since = "6.0.0"),
    ACL_SUB("deluser", -3, CMD_ADMIN | ACL_FLAGS | CMD_ALL_SHARDS, deluser_command,
            "Remove the specified ACL users and the associated rules",
            "O(1) amortized time considering the typical user.", .combine = COMBINE_SUM,
            .syntax = "username [username ...]", .since = "6.0.0"),
    ACL_SUB("dryrun", -4, CMD_ADMIN | ACL_FLAGS, dryrun_command,
            "Returns whether the user can execute the given command without executing the command.", "O(1).",
            .since = "7.0.0", .syntax = "username command [arg [arg ...]]"),
    ACL_SUB("genpass", -2, ACL_FLAGS, genpass_command, "Generate a pseudorandom secure password to use for ACL users",
            "O(1)", .syntax = "[bits:integer]", .since = "6.0.0"),
    ACL_SUB("getuser", 3, CMD_ADMIN | ACL_FLAGS, getuser_command, "Get the rules for a specific ACL user",
            "O(N). Where N is the number of password, command and pattern rules that the user has.",
            .syntax = "username",
            .history = (const char *const[]){"6.2.0", "Added Pub/Sub channel patterns.", "7.0.0",
                                             "Added selectors and changed the format of key and channel patterns "
                                             "from a list to their rule representation.",
                                             NULL}, .since = "6.0.0"),
    ACL_SUB("help", 2, CMD_LOADING | CMD_STALE, help_command, "Show helpful text about the different subcommands",
            "O(1)", .since = "6.0.0"),
    ACL_SUB("list", 2, CMD_ADMIN | ACL_FLAGS, list_command, "List the current ACL rules in ACL config file format",
            USERS_COMPLEXITY, .since = "6.0.0"),
    ACL_SUB("load", 2, CMD_ADMIN | ACL_FLAGS, load_command, "Reload the ACLs from the configured ACL file",
            USERS_COMPLEXITY, .since = "6.0.0"),
    ACL_SUB("log", -2, CMD_ADMIN | ACL_FLAGS, log_command, "List latest events denied because of ACLs in place",
            "O(N) with N being the number of entries shown.", .syntax = "[operation=[count:integer | RESET]]", .since = "6.0.0"),
    ACL_SUB("save", 2, CMD_ADMIN | ACL_FLAGS, save_command, "Save the current ACL rules in the configured ACL file",
            USERS_COMPLEXITY, .since = "6.0.0"),
    ACL_SUB("setuser", -3, CMD_ADMIN | ACL_FLAGS, setuser_command, "Modify or create the rules for a specific ACL user",
            "O(N). Where N is the number of rules provided.", .syntax = "username [rule [rule ...]]",
            .history = (const char *const[]){"6.2.0", "Added Pub/Sub channel patterns.", "7.0.0",
                                             "Added selectors and key based permissions.", NULL}, .since = "6.0.0"),
    ACL_SUB("users", 2, CMD_ADMIN | ACL_FLAGS, users_command, "List the username of all the configured ACL rules",
            USERS_COMPLEXITY, .since = "6.0.0"),
    ACL_SUB("whoami", 2, ACL_FLAGS | CMD_CONN, whoami_command,
            "Return the name of the user associated to the current connection", "O(1)", .since = "6.0.0"),
    {0},
};

const struct cmd_def acl_commands[] = {
    {.name = "acl", .arity = -2, .subcommands = acl_subcommands, .group = "server",
     .summary = "A container for Access List Control commands", .since = "6.0.0",
     .complexity = "Depends on subcommand."},
    {0},
};
