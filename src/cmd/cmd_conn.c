/* cmd_conn.c — connection commands: SELECT, HELLO, AUTH, QUIT, CLIENT.
 * All but CLIENT LIST/KILL run on the connection's own shard (CMD_CONN)
 * and change their client through its handle (host.h); those two visit
 * every shard, since clients live on all of them. */
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/cmd_acl.h"
#include "ringkv/base/config.h"
#include "ringkv/cmd/cmd_tracking.h"
#include "ringkv/cmd/host.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/proto/resp.h"
#include "ringkv/base/util.h"

#include <stdio.h>
#include <string.h>

#define REDIS_COMPAT_VERSION "7.0.15"

static void select_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long id;
    if (!string2ll(a->argv[1], a->len[1], &id)) {
        reply_error(c->r, RK_ERR_NOT_INT);
        return;
    }
    if (id < 0 || id >= c->ks->ndbs) {
        reply_error(c->r, RK_ERR_DB_RANGE);
        return;
    }
    client_select_db(c->client, (int)id);
    reply_ok(c->r);
}

static void auth_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc > 3) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    if (a->argc == 2) {
        /* Redis's old form: an error when the default user needs none. */
        struct acl_user *def = acl_registry_get("default", 7);
        bool nopass = !def || (def->flags & ACL_USER_NOPASS);
        acl_user_unref(def);
        if (nopass) {
            reply_error(c->r, "ERR AUTH <password> called without any password configured for the default user. "
                              "Are you sure your configuration is correct?");
            return;
        }
    }
    const char *user = a->argc == 3 ? a->argv[1] : "default";
    size_t ulen = a->argc == 3 ? a->len[1] : 7;
    if (!acl_auth_client(c, a, user, ulen, a->argv[a->argc - 1], a->len[a->argc - 1])) {
        reply_error(c->r, "WRONGPASS invalid username-password pair or user is disabled.");
        return;
    }
    reply_ok(c->r);
}

static bool valid_client_name(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < '!' || s[i] > '~') return false;
    return true;
}

static void hello_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long ver = c->r->resp; /* the client's current version */
    int i = 1;
    if (a->argc >= 2) {
        if (!string2ll(a->argv[1], a->len[1], &ver)) {
            reply_error(c->r, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver < 2 || ver > 3) {
            reply_error(c->r, "NOPROTO unsupported protocol version");
            return;
        }
        i = 2;
    }
    const char *name = NULL;
    size_t name_len = 0;
    for (; i < a->argc; i++) {
        int more = a->argc - i - 1;
        if (arg_is(a, i, "auth") && more >= 2) {
            if (!acl_auth_client(c, a, a->argv[i + 1], a->len[i + 1], a->argv[i + 2], a->len[i + 2])) {
                reply_error(c->r, "WRONGPASS invalid username-password pair or user is disabled.");
                return;
            }
            i += 2;
        } else if (arg_is(a, i, "setname") && more >= 1) {
            name = a->argv[i + 1];
            name_len = a->len[i + 1];
            if (!valid_client_name(name, name_len)) {
                reply_error(c->r, "ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }
            i += 1;
        } else {
            reply_errorf(c->r, "ERR Syntax error in HELLO option '%.*s'", (int)a->len[i], a->argv[i]);
            return;
        }
    }
    if (!client_is_authenticated(c->client)) {
        reply_error(c->r, "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
                          "AUTH <user> <pass> option can be used to authenticate the client and select the "
                          "RESP protocol version at the same time");
        return;
    }
    if (name) client_set_name(c->client, name, name_len);
    client_set_resp(c->client, (int)ver);
    c->r->resp = (uint8_t)ver;
    reply_map(c->r, 7);
    reply_bulk_cstr(c->r, "server");
    reply_bulk_cstr(c->r, "redis");
    reply_bulk_cstr(c->r, "version");
    reply_bulk_cstr(c->r, REDIS_COMPAT_VERSION);
    reply_bulk_cstr(c->r, "proto");
    reply_int(c->r, ver);
    reply_bulk_cstr(c->r, "id");
    reply_int(c->r, (long long)c->client_id);
    reply_bulk_cstr(c->r, "mode");
    reply_bulk_cstr(c->r, "standalone");
    reply_bulk_cstr(c->r, "role");
    reply_bulk_cstr(c->r, "master");
    reply_bulk_cstr(c->r, "modules");
    reply_array(c->r, 0);
}

static void quit_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_ok(c->r);
    client_close_after_reply(c->client);
}

static void reset_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    client_reset(c->client);
    c->r->resp = 2; /* the reply already speaks what the connection speaks now */
    reply_status(c->r, "RESET");
}

static void monitor_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    switch (client_start_monitor(c->client)) {
    case MONITOR_STARTED: reply_ok(c->r); break;
    case MONITOR_ALREADY: break; /* as Redis: a second MONITOR gets no answer */
    case MONITOR_DENIED: reply_error(c->r, "ERR MONITOR isn't allowed for DENY BLOCKING client"); break;
    }
}

static void client_id_command(struct cmd_ctx *c, const struct cmd_args *a) { reply_int(c->r, (long long)c->client_id); }

static void client_setname_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (!valid_client_name(a->argv[2], a->len[2])) {
        reply_error(c->r, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    client_set_name(c->client, a->argv[2], a->len[2]);
    reply_ok(c->r);
}

static void client_getname_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    const char *name = client_name(c->client);
    if (name) reply_bulk_cstr(c->r, name);
    else reply_null(c->r);
}

/* Only a flag until ringkv evicts clients (maxmemory-clients); shown in
 * CLIENT LIST as Redis does. */
static void client_no_evict_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (arg_is(a, 2, "on")) client_set_no_evict(c->client, true);
    else if (arg_is(a, 2, "off")) client_set_no_evict(c->client, false);
    else {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    reply_ok(c->r);
}

/* CLIENT PAUSE timeout [WRITE|ALL]: milliseconds, as Redis's
 * getTimeoutFromObjectOrReply reads them (0: a pause already over). */
static void client_pause_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool writes_only = false;
    if (a->argc == 4) {
        if (arg_is(a, 3, "write")) {
            writes_only = true;
        } else if (!arg_is(a, 3, "all")) {
            reply_error(c->r, "ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    long long ms;
    if (!string2ll(a->argv[2], a->len[2], &ms)) {
        reply_error(c->r, "ERR timeout is not an integer or out of range");
        return;
    }
    if (ms < 0) {
        reply_error(c->r, "ERR timeout is negative");
        return;
    }
    host_pause_clients(c->host, ms > 0 ? mstime() + ms : 0, writes_only);
    reply_ok(c->r);
}

static void client_unpause_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    (void)a;
    host_unpause_clients(c->host);
    reply_ok(c->r);
}

/* ON answers +OK; OFF and SKIP answer nothing (the connection silences
 * what follows: net/dispatch.c), nor does a bad mode while silenced. */
static void client_reply_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    enum client_reply_mode now = client_reply_mode(c->client);
    if (arg_is(a, 2, "on")) {
        client_set_reply_mode(c->client, CLIENT_REPLY_ON);
        reply_ok(c->r);
    } else if (arg_is(a, 2, "off")) {
        client_set_reply_mode(c->client, CLIENT_REPLY_OFF);
    } else if (arg_is(a, 2, "skip")) {
        if (now != CLIENT_REPLY_OFF) client_set_reply_mode(c->client, CLIENT_REPLY_SKIP_NEXT);
    } else if (now != CLIENT_REPLY_OFF && now != CLIENT_REPLY_SKIP) {
        reply_error(c->r, RK_ERR_SYNTAX);
    }
}

static void client_info_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct obuf line;
    obuf_init(&line);
    client_describe(c->client, &line);
    reply_verbatim(c->r, line.data, line.len, "txt");
    obuf_free(&line);
}

/* A filter of CLIENT LIST / CLIENT KILL, parsed from the arguments. */
struct client_filter {
    const struct cmd_args *a;
    int ids_from, ids_to;      /* argv[ids_from..ids_to): client ids, all integers */
    const char *addr, *laddr, *user;
    size_t addr_len, laddr_len, user_len;
    bool none;                 /* a client type no connection has (only normal clients exist) */
    bool skipme;               /* CLIENT KILL: the caller is spared */
    uint64_t caller;
};

static bool filter_type(struct client_filter *f, const struct cmd_args *a, int i, struct reply *r)
{
    if (arg_is(a, i, "normal")) return true;
    if (arg_is(a, i, "master") || arg_is(a, i, "replica") || arg_is(a, i, "slave") || arg_is(a, i, "pubsub")) {
        f->none = true;
        return true;
    }
    reply_errorf(r, "ERR Unknown client type '%.*s'", (int)a->len[i], a->argv[i]);
    return false;
}

/* CLIENT LIST [TYPE type | ID id [id ...]], as Redis parses it: every id
 * must be an integer, ids of no client just match nothing. */
static bool parse_list_filter(const struct cmd_args *a, struct client_filter *f, struct reply *r)
{
    memset(f, 0, sizeof(*f));
    f->a = a;
    if (a->argc == 4 && arg_is(a, 2, "type")) return filter_type(f, a, 3, r);
    if (a->argc > 3 && arg_is(a, 2, "id")) {
        for (int i = 3; i < a->argc; i++) {
            long long id;
            if (!string2ll(a->argv[i], a->len[i], &id)) {
                reply_error(r, "ERR Invalid client ID");
                return false;
            }
        }
        f->ids_from = 3;
        f->ids_to = a->argc;
        return true;
    }
    if (a->argc == 2) return true;
    reply_error(r, RK_ERR_SYNTAX);
    return false;
}

/* CLIENT KILL <option> <value> ...: each option takes one value; a
 * repeated option replaces the earlier one, as in Redis. */
static bool parse_kill_filter(const struct cmd_args *a, struct client_filter *f, struct reply *r)
{
    memset(f, 0, sizeof(*f));
    f->a = a;
    f->skipme = true;
    for (int i = 2; i < a->argc; i += 2) {
        if (i + 1 >= a->argc) {
            reply_error(r, RK_ERR_SYNTAX);
            return false;
        }
        int v = i + 1;
        if (arg_is(a, i, "id")) {
            long long id;
            if (!string2ll(a->argv[v], a->len[v], &id) || id < 1) {
                reply_error(r, "ERR client-id should be greater than 0");
                return false;
            }
            f->ids_from = v;
            f->ids_to = v + 1;
        } else if (arg_is(a, i, "type")) {
            if (!filter_type(f, a, v, r)) return false;
        } else if (arg_is(a, i, "addr")) {
            f->addr = a->argv[v];
            f->addr_len = a->len[v];
        } else if (arg_is(a, i, "laddr")) {
            f->laddr = a->argv[v];
            f->laddr_len = a->len[v];
        } else if (arg_is(a, i, "user")) {
            struct acl_user *u = acl_registry_get(a->argv[v], a->len[v]);
            if (!u) {
                reply_errorf(r, "ERR No such user '%.*s'", (int)a->len[v], a->argv[v]);
                return false;
            }
            acl_user_unref(u);
            f->user = a->argv[v];
            f->user_len = a->len[v];
        } else if (arg_is(a, i, "skipme") && (arg_is(a, v, "yes") || arg_is(a, v, "no"))) {
            f->skipme = arg_is(a, v, "yes");
        } else {
            reply_error(r, RK_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

static bool addr_is(const char *addr, const char *want, size_t want_len)
{
    return strlen(addr) == want_len && memcmp(addr, want, want_len) == 0;
}

static bool filter_match(const struct client_filter *f, const struct client *cl)
{
    uint64_t id = client_id(cl);
    if (f->none || (f->skipme && id == f->caller)) return false;
    if (f->ids_from) {
        bool any = false;
        for (int i = f->ids_from; i < f->ids_to && !any; i++) {
            long long want;
            any = string2ll(f->a->argv[i], f->a->len[i], &want) && want > 0 && (uint64_t)want == id;
        }
        if (!any) return false;
    }
    if (f->addr && !addr_is(client_addr(cl), f->addr, f->addr_len)) return false;
    if (f->laddr && !addr_is(client_laddr(cl), f->laddr, f->laddr_len)) return false;
    if (f->user) {
        const struct acl_user *u = client_user(cl);
        if (!u || u->name_len != f->user_len || memcmp(u->name, f->user, f->user_len) != 0) return false;
    }
    return true;
}

struct list_visit {
    const struct client_filter *f;
    struct obuf out;
};

static void list_one(struct client *cl, void *arg)
{
    struct list_visit *v = arg;
    if (filter_match(v->f, cl)) client_describe(cl, &v->out);
}

/* Each shard lists its own clients; the parts are joined. */
static void client_list_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct client_filter f;
    if (!parse_list_filter(a, &f, c->r)) return;
    struct list_visit v = {.f = &f};
    obuf_init(&v.out);
    host_foreach_client(c->host, list_one, &v);
    reply_bulk(c->r, v.out.data ? v.out.data : "", v.out.len);
    obuf_free(&v.out);
}

static void join_bulks(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens, int n)
{
    struct obuf all;
    obuf_init(&all);
    for (int p = 0; p < n; p++) {
        if (lens[p] && parts[p][0] == '-') {
            reply_error_raw(r, parts[p], lens[p]);
            obuf_free(&all);
            return;
        }
        const char *crlf = memchr(parts[p], '\n', lens[p]);
        if (!crlf) continue;
        size_t hdr = (size_t)(crlf - parts[p]) + 1;
        if (lens[p] >= hdr + 2) obuf_append(&all, parts[p] + hdr, lens[p] - hdr - 2);
    }
    reply_verbatim(r, all.data ? all.data : "", all.len, "txt");
    obuf_free(&all);
}

struct kill_visit {
    const struct client_filter *f;
    long long killed;
};

static void kill_one(struct client *cl, void *arg)
{
    struct kill_visit *v = arg;
    if (!filter_match(v->f, cl)) return;
    client_kill(cl);
    v->killed++;
}

static void client_kill_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct client_filter f;
    if (a->argc == 3) { /* the old form, CLIENT KILL addr: no SKIPME */
        memset(&f, 0, sizeof(f));
        f.addr = a->argv[2];
        f.addr_len = a->len[2];
    } else if (!parse_kill_filter(a, &f, c->r)) {
        return;
    }
    f.caller = c->client_id;
    struct kill_visit v = {.f = &f};
    host_foreach_client(c->host, kill_one, &v);
    reply_int(c->r, v.killed);
}

static void kill_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens, int n)
{
    long long sum = 0, v;
    for (int p = 0; p < n; p++) {
        if (lens[p] && parts[p][0] == '-') {
            reply_error_raw(r, parts[p], lens[p]);
            return;
        }
        if (lens[p] > 3 && string2ll(parts[p] + 1, lens[p] - 3, &v)) sum += v;
    }
    if (a->argc == 3) {
        if (sum == 0) reply_error(r, "ERR No such client");
        else reply_ok(r);
    } else {
        reply_int(r, sum);
    }
}

/* Redis 7.0's text, subcommands ringkv lacks included, so that clients
 * and people see the same help. */
static void client_help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const lines[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

/* Runs on every shard: the one where the client waits ends its wait
 * (:1), the others answer :0; the counts add up. */
static void client_unblock_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long id;
    if (!arg_ll_or_reply(c, a, 2, &id, NULL)) return;
    bool error = false;
    if (a->argc == 4) {
        error = arg_is(a, 3, "error");
        if (!error && !arg_is(a, 3, "timeout")) {
            reply_error(c->r, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    } else if (a->argc > 4) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    reply_int(c->r, host_unblock_client(c->host, (uint64_t)id, error));
}

#define CLIENT_FLAGS (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static const struct cmd_def client_subcommands[] = {
    {.name = "client|id", .arity = 2, .flags = CLIENT_FLAGS | CMD_CONN, .fn = client_id_command, .group = "connection",
     .summary = "Returns the client ID for the current connection", .since = "5.0.0", .complexity = "O(1)",
     .acl_categories = "connection"},
    {.name = "client|setname", .arity = 3, .flags = CLIENT_FLAGS | CMD_CONN, .fn = client_setname_command,
     .group = "connection", .summary = "Set the current connection name", .since = "2.6.9", .complexity = "O(1)",
     .acl_categories = "connection", .syntax = "connection-name"},
    {.name = "client|getname", .arity = 2, .flags = CLIENT_FLAGS | CMD_CONN, .fn = client_getname_command,
     .group = "connection", .summary = "Get the current connection name", .since = "2.6.9", .complexity = "O(1)",
     .acl_categories = "connection"},
    {.name = "client|help", .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_CONN, .fn = client_help_command,
     .group = "connection", .summary = "Show helpful text about the different subcommands", .since = "5.0.0",
     .complexity = "O(1)", .acl_categories = "connection"},
    {.name = "client|info", .arity = 2, .flags = CLIENT_FLAGS | CMD_CONN, .fn = client_info_command, .group = "connection",
     .summary = "Returns information about the current client connection.", .since = "6.2.0", .complexity = "O(1)",
     .acl_categories = "connection", .tips = "nondeterministic_output"},
    {.name = "client|no-evict", .arity = 3, .flags = CMD_ADMIN | CLIENT_FLAGS | CMD_CONN, .fn = client_no_evict_command,
     .group = "connection", .summary = "Set client eviction mode for the current connection", .since = "7.0.0",
     .complexity = "O(1)", .acl_categories = "connection", .syntax = "enabled=<ON | OFF>"},
    {.name = "client|pause", .arity = -3, .flags = CMD_ADMIN | CLIENT_FLAGS | CMD_CONN, .fn = client_pause_command,
     .group = "connection", .summary = "Stop processing commands from clients for some time", .since = "2.9.50",
     .complexity = "O(1)", .acl_categories = "connection", .syntax = "timeout:integer [mode=<WRITE | ALL>]@6.2.0",
     .history = (const char *const[]){"6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option.", NULL}},
    {.name = "client|unpause", .arity = 2, .flags = CMD_ADMIN | CLIENT_FLAGS | CMD_CONN, .fn = client_unpause_command,
     .group = "connection", .summary = "Resume processing of clients that were paused", .since = "6.2.0",
     .complexity = "O(N) Where N is the number of paused clients", .acl_categories = "connection"},
    {.name = "client|reply", .arity = 3, .flags = CLIENT_FLAGS | CMD_CONN, .fn = client_reply_command,
     .group = "connection", .summary = "Instruct the server whether to reply to commands", .since = "3.2.0",
     .complexity = "O(1)", .acl_categories = "connection", .syntax = "on_off_skip=<ON | OFF | SKIP>"},
    {.name = "client|tracking", .arity = -3, .flags = CLIENT_FLAGS | CMD_CONN, .fn = client_tracking_command,
     .group = "connection", .summary = "Enable or disable server assisted client side caching support",
     .since = "6.0.0", .complexity = "O(1). Some options may introduce additional complexity.",
     .acl_categories = "connection",
     .syntax = "status=<ON | OFF> [REDIRECT client-id:integer] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] "
               "[OPTOUT] [NOLOOP]"},
    {.name = "client|caching", .arity = 3, .flags = CLIENT_FLAGS | CMD_CONN, .fn = client_caching_command,
     .group = "connection", .summary = "Instruct the server about tracking or not keys in the next request",
     .since = "6.0.0", .complexity = "O(1)", .acl_categories = "connection", .syntax = "mode=<YES | NO>"},
    {.name = "client|getredir", .arity = 2, .flags = CLIENT_FLAGS | CMD_CONN, .fn = client_getredir_command,
     .group = "connection", .summary = "Get tracking notifications redirection client ID if any", .since = "6.0.0",
     .complexity = "O(1)", .acl_categories = "connection"},
    {.name = "client|trackinginfo", .arity = 2, .flags = CLIENT_FLAGS | CMD_CONN, .fn = client_trackinginfo_command,
     .group = "connection",
     .summary = "Return information about server assisted client side caching for the current connection",
     .since = "6.2.0", .complexity = "O(1)", .acl_categories = "connection"},
    {.name = "client|list", .arity = -2, .flags = CMD_ADMIN | CLIENT_FLAGS | CMD_ALL_SHARDS, .fn = client_list_command,
     .combine = COMBINE_CUSTOM, .combine_fn = join_bulks, .group = "connection",
     .summary = "Get the list of client connections", .since = "2.4.0",
     .complexity = "O(N) where N is the number of client connections", .acl_categories = "connection",
     .tips = "nondeterministic_output",
     .syntax = "[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>]@5.0.0 id=[ID <client-id:integer [client-id:integer ...]>]@6.2.0",
     .history = (const char *const[]){"2.8.12", "Added unique client `id` field.", "5.0.0", "Added optional `TYPE` filter.",
                                      "6.0.0", "Added `user` field.", "6.2.0",
                                      "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter.",
                                      "7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields.", "7.0.3",
                                      "Added `ssub` field.", NULL}},
    {.name = "client|unblock", .arity = -3, .flags = CMD_ADMIN | CLIENT_FLAGS | CMD_ALL_SHARDS,
     .fn = client_unblock_command, .combine = COMBINE_SUM, .group = "connection",
     .summary = "Unblock a client blocked in a blocking command from a different connection", .since = "5.0.0",
     .complexity = "O(log N) where N is the number of client connections", .acl_categories = "connection",
     .syntax = "client-id:integer [timeout_error=<TIMEOUT | ERROR>]"},
    {.name = "client|kill", .arity = -3, .flags = CMD_ADMIN | CLIENT_FLAGS | CMD_ALL_SHARDS, .fn = client_kill_command,
     .combine = COMBINE_CUSTOM, .combine_fn = kill_combine, .group = "connection",
     .summary = "Kill the connection of a client", .since = "2.4.0",
     .complexity = "O(N) where N is the number of client connections", .acl_categories = "connection",
     .syntax = "filter=<ip:port@!2.8.12 | new-format=<[ID client-id:integer]@2.8.12 | normal_master_slave_pubsub=[TYPE <NORMAL | "
               "MASTER@3.2.0 | SLAVE | REPLICA@5.0.0 | PUBSUB>]@2.8.12 | [USER username] | [ADDR ip:port] | [LADDR "
               "ip:port]@6.2.0 | [SKIPME yes/no]> [<[ID client-id:integer]@2.8.12 | normal_master_slave_pubsub=[TYPE "
               "<NORMAL | MASTER@3.2.0 | SLAVE | REPLICA@5.0.0 | PUBSUB>]@2.8.12 | [USER username] | [ADDR ip:port] | "
               "[LADDR ip:port]@6.2.0 | [SKIPME yes/no]> ...]>",
     .history = (const char *const[]){"2.8.12", "Added new filter format.", "2.8.12", "`ID` option.", "3.2.0",
                                      "Added `master` type in for `TYPE` option.", "5.0.0",
                                      "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward "
                                      "compatibility.", "6.2.0", "`LADDR` option.", NULL}},
    {0},
};

const struct cmd_def conn_commands[] = {
    {.name = "select", .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_FAST | CMD_CONN, .fn = select_command,
     .group = "connection", .summary = "Change the selected database for the current connection", .since = "1.0.0",
     .complexity = "O(1)", .acl_categories = "connection", .syntax = "index:integer"},
    {.name = "auth", .arity = -2, .flags = CLIENT_FLAGS | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY | CMD_SENTINEL | CMD_CONN,
     .fn = auth_command, .group = "connection", .summary = "Authenticate to the server", .since = "1.0.0",
     .complexity = "O(N) where N is the number of passwords defined for the user", .acl_categories = "connection",
     .syntax = "[username]@6.0.0 password",
     .history = (const char *const[]){"6.0.0", "Added ACL style (username and password).", NULL}},
    {.name = "hello", .arity = -1, .flags = CLIENT_FLAGS | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY | CMD_SENTINEL | CMD_CONN,
     .fn = hello_command, .group = "connection", .summary = "Handshake with Redis", .since = "6.0.0",
     .complexity = "O(1)", .acl_categories = "connection",
     .syntax = "arguments=[protover:integer [AUTH username password] [SETNAME clientname]]",
     .history = (const char *const[]){"6.2.0", "`protover` made optional; when called without arguments the command "
                                      "reports the current connection's context.", NULL}},
    {.name = "quit", .arity = -1, .flags = CLIENT_FLAGS | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY | CMD_CONN, .fn = quit_command,
     .group = "connection", .summary = "Close the connection", .since = "1.0.0", .complexity = "O(1)",
     .acl_categories = "connection"},
    {.name = "reset", .arity = 1,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY | CMD_CONN,
     .fn = reset_command, .group = "connection", .summary = "Reset the connection", .since = "6.2.0",
     .complexity = "O(1)", .acl_categories = "connection"},
    {.name = "monitor", .arity = 1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_CONN,
     .fn = monitor_command, .group = "server", .summary = "Listen for all requests received by the server in real time",
     .since = "1.0.0"},
    {.name = "client", .arity = -2, .subcommands = client_subcommands, .group = "connection",
     .summary = "A container for client connection commands", .since = "2.4.0", .complexity = "Depends on subcommand."},
    {0},
};
