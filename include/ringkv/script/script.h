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
    void *ud;
};

struct script_call_args {
    const char *sha; /* 40 hex digits */
    const char *const *keys;  /* KEYS */
    const size_t *key_lens;
    int nkeys;
    const char *const *args;  /* ARGV */
    const size_t *arg_lens;
    int nargs;
    int client_resp; /* the client's protocol: how the script's result is encoded */
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

#endif
