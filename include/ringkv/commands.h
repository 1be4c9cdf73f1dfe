/* commands.h — the command table: every fact about a command, once.
 *
 * Each command is declared as data (name, arity, flags, key positions,
 * how a multi-shard call is split and its replies combined, handler), so
 * that dispatch, routing, COMMAND/COMMAND INFO/COMMAND DOCS and later ACL
 * categories and MULTI all read the same facts (Redis's commands.def).
 * Type modules keep their own part of the table next to their handlers
 * (e.g. string_commands[] in t_string.c); commands.c joins the parts.
 *
 * A handler receives the parsed arguments and a context holding the
 * database and the reply writer. It runs on the shard that owns its keys,
 * which may not be the connection's shard, and never knows which: only
 * CMD_CONN commands (SELECT, HELLO, CLIENT SETNAME, ...) see the connection.
 * Handlers never touch io_uring. The table is immutable after startup and
 * shared read-only by all shards.
 */
#ifndef RINGKV_COMMANDS_H
#define RINGKV_COMMANDS_H

#include "ringkv/reply.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shard;
struct db;
struct conn;

struct cmd_args {
    int argc;
    const char **argv;
    const size_t *len;
};

struct cmd_ctx {
    struct shard *shard;  /* the shard running the command */
    struct db *db;        /* the client's selected database on that shard */
    int dbid;
    struct reply *r;
    struct conn *conn;    /* only for CMD_CONN commands, else NULL */
    uint64_t client_id;   /* the calling client, wherever the command runs */
};

typedef void (*cmd_fn)(struct cmd_ctx *c, const struct cmd_args *a);

/* Flags. Those named after Redis's mean what they mean in Redis (server.h). */
enum {
    CMD_WRITE = 1u << 0,      /* may modify the keyspace */
    CMD_READONLY = 1u << 1,   /* only reads */
    CMD_DENYOOM = 1u << 2,    /* may grow memory: refused over maxmemory */
    CMD_ADMIN = 1u << 3,
    CMD_PUBSUB = 1u << 4,
    CMD_NOSCRIPT = 1u << 5,
    CMD_BLOCKING = 1u << 6,
    CMD_LOADING = 1u << 7,
    CMD_STALE = 1u << 8,
    CMD_FAST = 1u << 9,
    CMD_NO_AUTH = 1u << 10,   /* runs before AUTH (AUTH, HELLO, QUIT) */
    CMD_NO_MULTI = 1u << 11,
    CMD_SENTINEL = 1u << 12,
    CMD_MAY_REPLICATE = 1u << 13,
    /* ringkv's own */
    CMD_CONN = 1u << 20,      /* needs the connection: runs on its shard */
    CMD_ALL_SHARDS = 1u << 21, /* runs on every shard; replies combined */
};

/* How the replies of a command split over several shards are combined. */
enum cmd_combine {
    COMBINE_NONE = 0,   /* keys must be on one shard (or the command is cross-shard-aware) */
    COMBINE_SUM,        /* integer replies added (DEL, EXISTS, DBSIZE) */
    COMBINE_OK,         /* +OK unless a part failed (MSET, FLUSHALL) */
    COMBINE_KEYED,      /* array, element per key, in the caller's key order (MGET) */
    COMBINE_CONCAT,     /* arrays concatenated (KEYS) */
    COMBINE_CUSTOM,     /* combine_fn */
};

struct gather;
/* Custom combination: parts[i] holds shard i's reply bytes (RESP). */
typedef void (*cmd_combine_fn)(struct reply *r, const struct cmd_args *a,
                               const char *const *parts, const size_t *part_lens, int nparts);
/* Key positions for commands whose keys a (first,last,step) triple cannot
 * describe (ZUNIONSTORE numkeys ..., SORT ... STORE). Returns the count. */
typedef int (*cmd_getkeys_fn)(const struct cmd_args *a, int *pos, int max);
/* For commands routed by something other than a key (SCAN's cursor names
 * a shard): the shard to run on, given the shard count. */
typedef unsigned (*cmd_route_fn)(const struct cmd_args *a, unsigned nshards);

struct cmd_def {
    const char *name;          /* lowercase */
    int arity;                 /* as Redis: argc exactly, or at least -arity */
    uint32_t flags;
    int first_key, last_key, key_step; /* last_key -1: the last argument */
    cmd_fn fn;
    enum cmd_combine combine;
    cmd_combine_fn combine_fn;
    cmd_getkeys_fn getkeys;
    cmd_route_fn route;
    const struct cmd_def *subcommands; /* NULL-name terminated, for CONFIG GET etc. */
    const char *group;         /* COMMAND DOCS group: "string", "generic", ... */
    const char *summary;
    const char *since;
    const char *complexity;
    const char *acl_categories; /* space separated, without '@' */
};


/* Parts of the table, one per module. */
extern const struct cmd_def server_commands[];
extern const struct cmd_def conn_commands[];
extern const struct cmd_def string_commands[];
extern const struct cmd_def keys_commands[];
extern const struct cmd_def info_commands[];
extern const struct cmd_def expire_commands[];
extern const struct cmd_def set_commands[];
extern const struct cmd_def list_commands[];
extern const struct cmd_def zset_commands[];
extern const struct cmd_def zsetops_commands[];

void commands_setup(void);
/* Looks a command up by name, case-insensitively; NULL if unknown. */
const struct cmd_def *cmd_lookup(const char *name, size_t len);
/* The subcommand of a container command named by argv[1], or NULL. */
const struct cmd_def *cmd_lookup_sub(const struct cmd_def *parent, const char *name, size_t len);
bool cmd_arity_ok(const struct cmd_def *cmd, int argc);
/* Full name for errors and COMMAND: "get", "config|get". */
void cmd_fullname(const struct cmd_def *cmd, const struct cmd_def *parent, char *out, size_t cap);
/* Key argument positions of a call; returns the count (<= max). */
int cmd_key_positions(const struct cmd_def *cmd, const struct cmd_args *a, int *pos, int max);

/* Iterates the whole table (COMMAND, COMMAND COUNT, DOCS). */
size_t cmd_count(void);
const struct cmd_def *cmd_at(size_t i);

/* Argument helpers for handlers. */
static inline bool arg_is(const struct cmd_args *a, int i, const char *word)
{
    extern bool str_eq_nocase(const char *s, size_t len, const char *cstr);
    return str_eq_nocase(a->argv[i], a->len[i], word);
}
/* Parses argv[i] as a long long, or writes Redis's error and returns false. */
bool arg_ll_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, long long *out, const char *err);

#endif
