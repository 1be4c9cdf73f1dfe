/* commands.h — the command table: every fact about a command, once.
 *
 * Each command is declared as data (name, arity, flags, key positions,
 * how a multi-shard call is split and its replies combined, handler), so
 * that dispatch, routing, COMMAND/COMMAND INFO/COMMAND DOCS and later ACL
 * categories and MULTI all read the same facts (Redis's commands.def).
 * Type modules keep their own part of the table next to their handlers
 * (e.g. string_commands[] in t_string.c); commands.c joins the parts.
 *
 * A handler receives the parsed arguments and a context (cmd_ctx): the
 * keyspace and database, the configuration and the reply writer. It runs
 * on the shard that owns its keys, which may not be the connection's
 * shard, and sees no shard and no connection: only CMD_CONN commands
 * (SELECT, HELLO, CLIENT SETNAME, ...) get a handle on their client, and
 * what a command asks of the client or the server goes through host.h.
 * Handlers never touch io_uring. The table is immutable after startup and
 * shared read-only by all shards.
 */
#ifndef RINGKV_COMMANDS_H
#define RINGKV_COMMANDS_H

#include "ringkv/proto/reply.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keyspace;
struct db;
struct config;
struct client;
struct host;

struct cmd_args {
    int argc;
    const char **argv;
    const size_t *len;
};

/* What a handler sees of the shard running it. */
struct cmd_ctx {
    struct keyspace *ks;        /* every database of that shard (ks_db) */
    struct db *db;              /* the client's selected one, ks_db(ks, dbid) */
    int dbid;
    const struct config *cfg;   /* that shard's configuration */
    unsigned shard_index, nshards;
    struct reply *r;
    uint64_t client_id;         /* the calling client, wherever the command runs */
    struct client *client;      /* the calling client: CMD_CONN commands only, else NULL (host.h) */
    struct host *host;          /* the shard, for what reaches past the keyspace (host.h) */
    /* Blocking commands (BLPOP...): may_block is set when the command may
     * wait for its keys (a client's own command, not inside MULTI); a
     * handler that finds nothing then calls cmd_block() instead of
     * replying, and the command runs again when one of its keys is
     * created, or times out (core/exec.h). */
    bool may_block, blocked;
    long long block_deadline_ms;  /* unix ms, 0: no timeout */
    /* Set when a blocked command runs again because a key became ready
     * (tc_lookup_source): source keys of another type count as missing,
     * and with served_key, that key is the only one it may take from. */
    bool serving;
    const char *served_key;
    size_t served_len;
    /* Set when the command runs on values moved to it from their owners
     * (a scratch keyspace, core/tx_move.c): no other key is there. */
    bool keys_moved;
    /* A script that finds a key out of its reach may ask to be run again
     * over a wider key set (cmd_script.h) instead of failing. */
    bool script_may_retry;
    /* Called by a script (redis.call): XREAD refuses BLOCK there, as Redis. */
    bool from_script;
    /* Set by a write that found nothing to change (cmd_unchanged), or
     * whose change Redis tells no watcher of (cmd_quiet_write). */
    bool unchanged, quiet;
};

/* A write command that took a key for writing but left it as it was
 * (SADD of members already there, SETBIT of a bit already so) says so:
 * as in Redis, it then counts no change (rdb_changes_since_last_save),
 * breaks no WATCH and invalidates no client-side cache, where a large
 * collection taken for writing otherwise counts as changed (watch.h). */
static inline void cmd_unchanged(struct cmd_ctx *c) { c->unchanged = true; }

/* A write whose change Redis signals to no one (a stream's consumer
 * groups: XGROUP, XREADGROUP, XACK, XCLAIM, XAUTOCLAIM, XSETID): it counts
 * as a change, but breaks no WATCH and invalidates no cache unless the
 * database itself stored or removed the key. */
static inline void cmd_quiet_write(struct cmd_ctx *c) { c->quiet = true; }

static inline void cmd_block(struct cmd_ctx *c, long long deadline_ms)
{
    c->blocked = true;
    c->block_deadline_ms = deadline_ms;
}

/* Whether the transaction layer must treat the command as writing its
 * keys (X locks, values moved and stored back). */
#define cmd_writes_keys(cmd) (((cmd)->flags & (CMD_WRITE | CMD_KEYS_WRITE)) != 0)

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
    CMD_SKIP_MONITOR = 1u << 14,
    CMD_SKIP_SLOWLOG = 1u << 15,
    CMD_ASKING = 1u << 16,
    CMD_NO_MANDATORY_KEYS = 1u << 17, /* keys are optional (EVAL with numkeys 0) */
    CMD_NO_ASYNC_LOADING = 1u << 18,
    CMD_ALLOW_BUSY = 1u << 19,
    CMD_PROTECTED = 1u << 22,
    CMD_ONLY_SENTINEL = 1u << 23,
    /* ringkv's own */
    CMD_CONN = 1u << 20,      /* needs the connection: runs on its shard */
    CMD_ALL_SHARDS = 1u << 21, /* runs on every shard; replies combined */
    CMD_ALL_DBS = 1u << 24,    /* with CMD_ALL_SHARDS: touches every database (FLUSHALL, SWAPDB) */
    CMD_TX_CONTROL = 1u << 25, /* MULTI, EXEC, DISCARD, UNWATCH: the connection handles them (no fn) */
    CMD_BLOCK_ON_SOURCE = 1u << 26, /* a blocking command that waits on its first key only (BLMOVE) */
    CMD_BLOCK_ON_GROWTH = 1u << 28, /* waits for its keys to grow, not to exist (XREAD): across shards, a
                                       try follows the watchers, so a key grown before they stood is seen */
    CMD_KEYS_WRITE = 1u << 27, /* may write its keys though Redis flags it otherwise (EVAL): treated as CMD_WRITE
                                  by the transaction layer (locks, moves), not shown by COMMAND */
};

/* Key spec flags (Redis 7's key specs, server.h CMD_KEY_*): what a command
 * does with a key. Exactly one of RO/RW/OW/RM, plus the operations. */
enum {
    KS_RO = 1u << 0,             /* read only */
    KS_RW = 1u << 1,             /* read and modified */
    KS_OW = 1u << 2,             /* overwritten: the old value is not read */
    KS_RM = 1u << 3,             /* removed */
    KS_ACCESS = 1u << 4,         /* the value reaches the client */
    KS_UPDATE = 1u << 5,         /* the value is updated or replaced */
    KS_INSERT = 1u << 6,         /* data is added, nothing existing changes */
    KS_DELETE = 1u << 7,         /* data is removed */
    KS_NOT_KEY = 1u << 8,        /* a key-like argument that is no key (cluster routing only) */
    KS_INCOMPLETE = 1u << 9,     /* the spec may miss keys */
    KS_VARIABLE_FLAGS = 1u << 10, /* the flags depend on the arguments */
};

/* Where a key spec's keys start and how they are found (Redis's
 * begin_search / find_keys). */
enum ks_begin { KS_BEGIN_NONE = 0, KS_BEGIN_INDEX, KS_BEGIN_KEYWORD, KS_BEGIN_UNKNOWN };
enum ks_find { KS_FIND_RANGE = 0, KS_FIND_KEYNUM, KS_FIND_UNKNOWN };

struct cmd_key_spec {
    uint32_t flags;          /* KS_* */
    enum ks_begin begin;
    int index;               /* KS_BEGIN_INDEX: argv position of the first key */
    const char *keyword;     /* KS_BEGIN_KEYWORD: keys follow this word, searched */
    int startfrom;           /* from this position (negative: backwards from the end) */
    enum ks_find find;
    int lastkey;             /* RANGE: last key relative to the begin, or <0 from the end */
    int keystep;             /* RANGE and KEYNUM: distance between keys */
    int limit;               /* RANGE with lastkey -1: only 1/limit of the rest are keys */
    int keynumidx, firstkey; /* KEYNUM: key count and first key, relative to the begin */
    const char *notes;
};

/* The common spec: keys from argv[index] to lastkey (relative), every step. */
#define KEY_SPEC_RANGE(flags_, index_, lastkey_, step_)                              \
    {.flags = (flags_), .begin = KS_BEGIN_INDEX, .index = (index_), .find = KS_FIND_RANGE, \
     .lastkey = (lastkey_), .keystep = (step_)}
/* numkeys-style: argv[index] holds the count, keys follow it. */
#define KEY_SPEC_KEYNUM(flags_, index_)                                              \
    {.flags = (flags_), .begin = KS_BEGIN_INDEX, .index = (index_), .find = KS_FIND_KEYNUM, \
     .keynumidx = 0, .firstkey = 1, .keystep = 1}
/* A destination key, then source keys to the end (SINTERSTORE dst k [k ...]). */
#define KEY_SPECS_DEST_SOURCES(dest_flags_)                                          \
    ((const struct cmd_key_spec[]){KEY_SPEC_RANGE(dest_flags_, 1, 0, 1),               \
                                   KEY_SPEC_RANGE(KS_RO | KS_ACCESS, 2, -1, 1), {0}})
/* Pops from a source key and pushes to a destination (SMOVE, LMOVE). */
#define KEY_SPECS_SOURCE_DEST                                                        \
    ((const struct cmd_key_spec[]){KEY_SPEC_RANGE(KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1), \
                                   KEY_SPEC_RANGE(KS_RW | KS_INSERT, 2, 0, 1), {0}})
/* A spec that only documents (SORT ... STORE anywhere). */
#define KEY_SPEC_UNKNOWN(flags_, notes_)                                             \
    {.flags = (flags_), .begin = KS_BEGIN_UNKNOWN, .find = KS_FIND_UNKNOWN, .notes = (notes_)}

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
/* The database the key at argument `pos` lives in, for commands that name
 * a key in another database than the selected one (COPY ... DB n); the
 * cross-shard path fetches and stores that key there. */
typedef int (*cmd_key_db_fn)(const struct cmd_args *a, int pos, int selected_db);
/* Keys a call reads through its keys' values (SORT's BY and GET patterns
 * name "weight_<element>"): cmd_value_keys_fn visits them, run on the
 * values; cmd_value_keys_home_fn says whether every key the call's
 * patterns can name lives on shard `home` (a hash tag pins them), given
 * the shard owning each hash slot, so the call may run there alone. When
 * not, it takes the cross-shard path, which fetches the visited keys too
 * (xshard.c). */
typedef void (*cmd_key_visitor)(void *arg, const char *key, size_t len);
typedef void (*cmd_value_keys_fn)(struct cmd_ctx *c, const struct cmd_args *a, cmd_key_visitor visit, void *arg);
typedef bool (*cmd_value_keys_home_fn)(const struct cmd_args *a, const uint16_t *slot_owner, unsigned home);
struct cmd_def;
/* For a command whose arguments decide where it runs, though Redis lists
 * no subcommands for it (DEBUG: OBJECT goes to its key's shard, DIGEST to
 * every shard, SLEEP stays on the client's): the entry that routes and
 * runs this call, the command itself when none fits. The entries it hands
 * out are its own (name, flags for ACL and COMMAND are the command's;
 * their routing fields differ), share its counters (cmd_index), and are
 * never shown by COMMAND. */
typedef const struct cmd_def *(*cmd_variant_fn)(const struct cmd_args *a);

/* One command. COMMAND INFO / DOCS report exactly these fields (and what
 * follows from them, as Redis derives it), so fill them as Redis 7.0's
 * commands/NAME.json says.
 *
 * Keys: routing uses first_key/last_key/key_step, or getkeys when a triple
 * cannot describe the keys. COMMAND INFO reports key specs: by default the
 * one spec the triple describes, with flags key_flags (KS_RO|KS_ACCESS for
 * GET); a command whose keys have different roles (LMOVE, SORT) or that
 * has getkeys lists them in key_specs instead, and then the triple must be
 * the one Redis derives from those specs (the unit test checks).
 * ACL categories: those Redis derives from flags (write, read, admin +
 * dangerous, pubsub, fast, blocking, slow when not fast) are added
 * implicitly; list the others. */
struct cmd_def {
    const char *name;          /* lowercase; subcommands "parent|sub" */
    int arity;                 /* as Redis: argc exactly, or at least -arity */
    uint32_t flags;
    int first_key, last_key, key_step; /* last_key -1: the last argument */
    cmd_fn fn;
    enum cmd_combine combine;
    cmd_combine_fn combine_fn;
    cmd_getkeys_fn getkeys;
    cmd_route_fn route;
    cmd_key_db_fn key_db;      /* NULL: every key is in the selected db */
    cmd_value_keys_fn value_keys;           /* NULL: the call names all its keys */
    cmd_value_keys_home_fn value_keys_home; /* set with value_keys */
    const struct cmd_def *subcommands; /* NULL-name terminated, for CONFIG GET etc. */
    cmd_variant_fn variant;    /* NULL: this entry runs every call (see cmd_variant_fn) */
    const struct cmd_def *variants; /* what variant hands out, NULL-name terminated: numbered as the command */
    const char *group;         /* COMMAND DOCS group: "string", "generic", ... */
    const char *summary;
    const char *since;
    const char *complexity;
    const char *acl_categories; /* space separated, without '@' */
    uint32_t key_flags;        /* KS_* of the spec first_key..last_key describes */
    const struct cmd_key_spec *key_specs; /* instead: explicit, {0}-terminated */
    const char *tips;          /* space separated: "nondeterministic_output request_policy:all_shards" */
    /* Arguments as redis.io's syntax line, without the command name, e.g.
     * "key value [NX | XX] [EX seconds:integer | PX milliseconds:integer]";
     * cmd_syntax.h describes the notation. COMMAND DOCS reports it as
     * Redis's argument tree (redis-cli's hints come from it). */
    const char *syntax;
    const char *const *history; /* {"2.6.12", "Added the `EX` option.", ..., NULL} */
    const char *deprecated_since;
    const char *replaced_by;
    bool syscmd;               /* COMMAND DOCS doc_flags "syscmd": internal (PFSELFTEST, PFDEBUG) */
};


/* Parts of the table, one per module. */
extern const struct cmd_def command_commands[];
extern const struct cmd_def server_commands[];
extern const struct cmd_def acl_commands[];
extern const struct cmd_def conn_commands[];
extern const struct cmd_def string_commands[];
extern const struct cmd_def bitops_commands[];
extern const struct cmd_def hll_commands[];
extern const struct cmd_def keys_commands[];
extern const struct cmd_def dump_commands[];
extern const struct cmd_def persist_commands[];
extern const struct cmd_def slowlog_commands[];
extern const struct cmd_def latency_commands[];
extern const struct cmd_def cluster_commands[];
extern const struct cmd_def info_commands[];
extern const struct cmd_def expire_commands[];
extern const struct cmd_def set_commands[];
extern const struct cmd_def list_commands[];
extern const struct cmd_def zset_commands[];
extern const struct cmd_def zsetops_commands[];
extern const struct cmd_def zset_pop_commands[];
extern const struct cmd_def sort_commands[];
extern const struct cmd_def geo_commands[];
extern const struct cmd_def geosearch_commands[];
extern const struct cmd_def hash_commands[];
extern const struct cmd_def memory_commands[];
extern const struct cmd_def function_commands[];
extern const struct cmd_def script_commands[];
extern const struct cmd_def multi_commands[];
extern const struct cmd_def pubsub_commands[];
extern const struct cmd_def stream_commands[];
extern const struct cmd_def xread_commands[];
extern const struct cmd_def xreadgroup_commands[];
extern const struct cmd_def xinfo_commands[];
extern const struct cmd_def xgroup_commands[];
extern const struct cmd_def xclaim_commands[];
extern const struct cmd_def debug_commands[];

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
/* A command by full name ("get", "config|get"), case-insensitively. */
const struct cmd_def *cmd_lookup_fullname(const char *name, size_t len);

/* Every command and subcommand numbered 0..cmd_index_count()-1, for
 * counters kept per command (cmdstats.h); -1 for a command outside the
 * table (internal ones). A pointer hash: a few nanoseconds. */
int cmd_index(const struct cmd_def *cmd);
size_t cmd_index_count(void);
const struct cmd_def *cmd_by_index(size_t i);

/* Argument helpers for handlers. */
static inline bool arg_is(const struct cmd_args *a, int i, const char *word)
{
    extern bool str_eq_nocase(const char *s, size_t len, const char *cstr);
    return str_eq_nocase(a->argv[i], a->len[i], word);
}
/* Parses argv[i] as a long long, or writes Redis's error and returns false. */
bool arg_ll_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, long long *out, const char *err);

#endif
