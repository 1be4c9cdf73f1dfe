/* script.h — one shard's Lua 5.1 engine: the scripts it has compiled,
 * keyed by SHA1, the sandbox Redis 7.0 gives them, and the conversions
 * between Lua values and RESP.
 *
 * The engine knows nothing of shards, keys or the command table: a
 * script's redis.call/redis.pcall goes to the host's `call` callback with
 * the command's arguments, and gets back the command's RESP reply bytes,
 * which the engine turns into Lua values as Redis does. What the host does
 * (check the command may run from a script, find where its keys live, run
 * it) is the host's business. A run is synchronous: script_run returns
 * when the script has returned, raised an error, or been aborted by the
 * host.
 *
 * Each shard owns one engine (its own lua_State); the shards keep their
 * caches in step by loading the same bodies (SCRIPT LOAD and EVAL reach
 * every shard), so a SHA known on one is known on all.
 *
 * Thread: the owning shard's only.
 */
#ifndef RINGKV_SCRIPT_H
#define RINGKV_SCRIPT_H

#include "ringkv/proto/reply.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct script_engine;

struct script_engine *script_engine_create(void);
void script_engine_destroy(struct script_engine *e);

/* The lowercase hex SHA1 of body (redis.sha1hex, SCRIPT LOAD). */
void script_sha1hex(const char *body, size_t len, char out[41]);

/* Compiles body and caches it under its SHA1 (written to sha). On a
 * compile error returns false and appends to err the whole error message
 * as Redis 7.0 words it, without the leading '-' or CRLF
 * ("ERR Error compiling script (new function): user_script:1: ..."). A
 * body already cached is not compiled again. As in Redis 7.0 the body is
 * compiled as a chunk named "@user_script" and kept under "f_<sha>"; its
 * top level runs only when the script runs. */
bool script_load(struct script_engine *e, const char *body, size_t len, char sha[41], struct obuf *err);
/* A script's shebang flags (`#!lua flags=no-writes,allow-oom`, Redis
 * 7.0): SCRIPT_FLAG_SHEBANG when it has a shebang line at all. A body
 * with a bad shebang fails script_load with Redis's error ("ERR Unexpected
 * flag in script shebang: ..."; "ERR Unknown lua shebang option: ..."). */
enum {
    SCRIPT_FLAG_SHEBANG = 1u << 0,
    SCRIPT_FLAG_NO_WRITES = 1u << 1,
    SCRIPT_FLAG_ALLOW_OOM = 1u << 2,
    SCRIPT_FLAG_ALLOW_STALE = 1u << 3,
    SCRIPT_FLAG_NO_CLUSTER = 1u << 4,
    SCRIPT_FLAG_ALLOW_CROSS_SLOT = 1u << 5,
};
#define SCRIPT_FLAG_COUNT 5 /* the flags a script or function may declare */
/* The names of the flags set in flags, in Redis's order (FUNCTION LIST);
 * returns how many. */
int script_flag_names(uint32_t flags, const char *names[SCRIPT_FLAG_COUNT]);
/* The shebang flags of a script body not yet cached (0 without a shebang
 * or with a bad one). */
uint32_t script_body_flags(const char *body, size_t len);
/* The flags of a cached script (0 when unknown). */
uint32_t script_flags(const struct script_engine *e, const char *sha, size_t len);
/* Whether sha (40 hex digits, either case) is cached. */
bool script_exists(const struct script_engine *e, const char *sha, size_t len);
/* Forgets every script (SCRIPT FLUSH) and resets the Lua state. */
void script_flush(struct script_engine *e);
/* INFO memory: number_of_cached_scripts, used_memory_lua, used_memory_scripts. */
uint64_t script_count(const struct script_engine *e);
uint64_t script_lua_memory(const struct script_engine *e);
uint64_t script_cache_memory(const struct script_engine *e);

/* What a redis.call/redis.pcall did. */
enum script_call {
    SCRIPT_CALL_OK,    /* its reply is in `out` (an error reply included) */
    SCRIPT_CALL_ABORT, /* the run must stop now: nothing is answered */
    SCRIPT_CALL_KILL,  /* (tick only) SCRIPT KILL: the run stops now, answering Redis's
                          "Script killed by user" error with the script's line */
};

struct script_host {
    /* Runs one command for the script: argv[0] is its name as the script
     * gave it. Appends its RESP reply, encoded for `resp` (2 or 3: what
     * redis.setresp chose), to out. An error the host produces before
     * running anything (unknown command, wrong arity, a write from a
     * read-only script, ...) is an error reply like any other. */
    enum script_call (*call)(void *ud, int argc, const char *const *argv, const size_t *lens, int resp,
                             struct obuf *out);
    /* Optional (NULL: never called): called every 100000 Lua instructions
     * of a run, so the host can notice a script that runs too long (Redis's
     * busy-reply-threshold, SCRIPT KILL). SCRIPT_CALL_ABORT stops the run
     * as an abort from `call` does. */
    enum script_call (*tick)(void *ud);
    /* Optional (NULL: everything is permitted): redis.acl_check_cmd,
     * whether the script's user may run the command with these arguments:
     * 1 yes, 0 no, -1 no such command. */
    int (*acl_check)(void *ud, int argc, const char *const *argv, const size_t *lens);
    void *ud;
};

struct script_call_args {
    const char *sha; /* 40 hex digits (script_run); the function's name (script_fcall) */
    const char *const *keys;  /* KEYS */
    const size_t *key_lens;
    int nkeys;
    const char *const *args;  /* ARGV */
    const size_t *arg_lens;
    int nargs;
    int client_resp; /* the client's protocol: how the script's result is encoded */
    size_t name_len; /* script_fcall: the length of the name in sha */
};

enum script_result {
    SCRIPT_DONE,    /* the script's reply (or its error) is in `out` */
    SCRIPT_NOSCRIPT, /* sha is not cached: nothing ran, nothing appended */
    SCRIPT_ABORTED, /* the host's call asked to stop: out is as it was */
};

/* Runs a cached script with its KEYS and ARGV, converting its return
 * value (or its error) to the client's RESP and appending it to out. The
 * script starts with redis.setresp(2). As in Redis 7.0, math.random is
 * not reseeded per run: its rand48 sequence (Redis's initial seed at
 * engine creation) runs on from one script to the next, per engine, and
 * survives script_flush.
 *
 * A script's error is an error reply in out, worded as Redis 7.0 words
 * it: "<CODE msg> script: <sha>, on @user_script:<line>." for an error
 * raised in Lua (redis.call's included), "<CODE msg>" for an error table
 * the script returned ({err=...}, redis.error_reply). An abort raised by
 * the host's call cannot be caught by pcall/xpcall/coroutine.resume; the
 * engine is left clean for the next run either way. */
enum script_result script_run(struct script_engine *e, const struct script_call_args *a,
                              const struct script_host *host, struct obuf *out);

/* ---- libraries of functions (Redis 7.0's FUNCTION LOAD and FCALL) ----
 *
 * A library is a body whose first line names it (`#!lua name=mylib`) and
 * whose top level, run once when it is loaded, registers functions with
 * redis.register_function; FCALL then calls one by name with its keys and
 * arguments as the callback's two arguments. While the top level runs it
 * sees nothing but redis.register_function, redis.log and the version
 * constants, as in Redis. An engine keeps the functions of the libraries
 * installed in it (lowercase names: FCALL's lookup ignores case); which
 * libraries exist server-wide is function_store.h's business, as are the
 * checks across libraries ("Library 'x' already exists", "Function f
 * already exists"). script_flush forgets every library too. */

struct script_function_info {
    char *name;     /* as registered (letters, digits, '_'); NUL-terminated */
    size_t name_len;
    char *desc;     /* NULL: no description */
    size_t desc_len;
    uint32_t flags; /* SCRIPT_FLAG_* (never SCRIPT_FLAG_SHEBANG) */
};

struct script_library {
    char *name; /* NUL-terminated (letters, digits, '_') */
    size_t name_len;
    char *code; /* the whole body, first line included (FUNCTION LIST WITHCODE) */
    size_t code_len;
    struct script_function_info *fns; /* in registration order */
    int nfns;
};
void script_library_free(struct script_library *lib);

/* The library's name from its first line (allocated, NUL-terminated), or
 * false with Redis's error in err ("ERR Missing library metadata", "ERR
 * Library name was not given", "ERR Engine 'x' not found", ...). */
bool script_library_name(const char *code, size_t len, char **name, struct obuf *err);

/* Compiles a library and runs its top level (at most 500 ms when
 * `install` is false, as FUNCTION LOAD allows). Returns what it registered
 * (the caller's to free) and, when install, makes its functions callable
 * here; NULL with the error in err as Redis 7.0 words it ("ERR Error
 * compiling function: ...", "ERR Error registering functions: ...", "ERR
 * No functions registered"). Registered names are not checked against
 * other libraries. */
struct script_library *script_library_load(struct script_engine *e, const char *code, size_t len, bool install,
                                           struct obuf *err);

/* The flags of an installed function (name in any case); false when there
 * is none of that name. */
bool script_function_flags(struct script_engine *e, const char *name, size_t len, uint32_t *flags);

/* Calls an installed function (a->sha, a->name_len: its name) with its keys
 * and arguments as script_run runs a script; errors name the function
 * ("... script: myfunc, on @user_function:3."). SCRIPT_NOSCRIPT: no such
 * function. */
enum script_result script_fcall(struct script_engine *e, const struct script_call_args *a,
                                const struct script_host *host, struct obuf *out);

#endif
