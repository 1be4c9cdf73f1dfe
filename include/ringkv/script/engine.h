/* engine.h — what the files of the script engine share (not its API:
 * that is script.h). One engine is one lua_State and the run in progress.
 *
 *   script.c      the engine's life and its cache of compiled scripts
 *   script_run.c  one run: KEYS/ARGV, the error handler, the reply
 *   shebang.c     `#!lua flags=...`
 *   functions.c   libraries: FUNCTION LOAD's top level, FCALL's lookup
 *   sandbox.c     the libraries and the read-only globals
 *   abort.c       the wrappers that keep the host's abort uncatchable
 *   lua_random.c  math.random as Redis has it
 *   redis_api.c   the `redis` table
 *   lua_conv.c    RESP reply bytes <-> Lua values
 *
 * Thread: the owning shard's only.
 */
#ifndef RINGKV_SCRIPT_ENGINE_H
#define RINGKV_SCRIPT_ENGINE_H

#include "ringkv/proto/reply.h"
#include "ringkv/script/script.h"

#include <lua.h>
#include <stdbool.h>
#include <stdint.h>

struct library_load;

/* The run in progress (script_run's frame owns it). */
struct script_run {
    const struct script_host *host;
    const char *sha;  /* 40 lowercase hex digits, or the function's name */
    int resp;         /* redis.setresp: how redis.call replies are encoded */
    bool aborted;     /* the host asked to stop: nothing may catch it */
    bool killed;      /* ... by SCRIPT KILL (the tick): answered with where it was */
    int kill_line;
    char kill_source[32];
    bool in_call;     /* a redis.call is at the host now */
};

struct script_engine {
    lua_State *L;
    struct script_run *run; /* NULL between runs */
    size_t lua_bytes;       /* what the Lua allocator holds now */
    uint64_t nscripts;
    uint64_t scripts_bytes; /* bodies and SHAs, as Redis counts them */
    uint64_t rand48;        /* math.random's state (Redis's rand48) */
    unsigned runs_since_gc;
    int globals_ref;        /* registry ref: the writable table behind _G */
    int flags_ref;          /* registry ref: sha -> shebang flags */
    int maps_ref;           /* registry ref: {proxy -> table, table -> proxy} (sandbox.c) */
    /* Libraries (functions.c); LUA_NOREF until the first is loaded. */
    int fns_ref;            /* lowercase function name -> {callback, flags} */
    int env_ref;            /* the libraries' globals (sandbox_push_env) */
    int env_meta_ref;       /* its metatable */
    int load_api_ref;       /* what a library's top level sees instead of the globals */
    struct library_load *loading; /* the library being loaded, NULL otherwise */
    /* Scratch for redis.call, reused across calls. */
    struct obuf call_reply;
    struct obuf call_nums;  /* numbers formatted as arguments */
    const char **argv;
    size_t *lens;
    int argv_cap;
};

/* sandbox.c: loads the libraries and the redis table into a new state,
 * then makes every global and library table read-only. */
void sandbox_setup(struct script_engine *e);
/* Replaces the table on top with its read-only proxy (its tables too),
 * a missing field of it an error as a missing global is. */
void sandbox_freeze_strict(struct script_engine *e);
/* Pushes a new globals table for libraries' code: empty and read-only,
 * reading through its metatable's __index (the globals, to start with);
 * then that metatable. */
void sandbox_push_env(struct script_engine *e);
/* Raises the abort: a value no wrapper lets Lua code catch. */
int sandbox_raise_abort(lua_State *L);
bool sandbox_is_abort(lua_State *L, int idx);

/* abort.c: marks the run aborted and arms the hook that raises the abort
 * before any further instruction of L and of the main thread. */
void abort_start(struct script_engine *e, lua_State *L);
/* Replaces pcall, xpcall and coroutine.resume in the table on top. */
void abort_install_guards(struct script_engine *e);

/* lua_random.c: Redis's math.random and math.randomseed (a rand48 whose
 * state is the engine's, so a sequence does not depend on libc) into the
 * table on top. */
void lua_random_install(struct script_engine *e);
#define LUA_RANDOM_INITIAL_STATE 0x1234ABCD330Eull

/* redis_api.c: pushes the `redis` table; the one a library's top level
 * sees (redis.log and the version and log level constants only). */
void redis_api_push(struct script_engine *e);
void redis_api_push_load(struct script_engine *e);

/* shebang.c: parses the shebang line of body, if any. On success sets
 * *flags (0 without a shebang) and *skip (bytes to skip before compiling:
 * the line without its '\n', so line numbers stay right) and returns
 * true; otherwise appends Redis's error to err and returns false. */
bool shebang_parse(const char *body, size_t len, uint32_t *flags, size_t *skip, struct obuf *err);
/* Splits line[0..n) as Redis's sdssplitargs (up to a NUL): *parts gets
 * the tokens, NUL-terminated, end to end (the caller frees it). Returns
 * their number, -1 on a quoting error. */
int shebang_split(const char *line, size_t n, char **parts);
/* The flag of that name (case-insensitively when nocase); 0: none. */
uint32_t script_flag_by_name(const char *name, size_t n, bool nocase);

/* script_run.c: runs the function below the nargs arguments on top of
 * the stack as one run, its errors naming `name`, and appends its reply
 * to out; pops them. engine_busy answers the error of a run started
 * inside another one (true: answered). engine_push_array pushes
 * {v[0], ..., v[n-1]}. */
enum script_result engine_call(struct script_engine *e, int nargs, const char *name, const struct script_host *host,
                               int client_resp, struct obuf *out);
bool engine_busy(struct script_engine *e, int client_resp, struct obuf *out);
void engine_push_array(lua_State *L, const char *const *v, const size_t *lens, int n);

/* The engine of a state (its allocator's userdata), for hooks and
 * handlers that have no upvalues. */
static inline struct script_engine *engine_of_state(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (struct script_engine *)ud;
}

/* The engine an API function belongs to (its upvalue 1). */
static inline struct script_engine *engine_of(lua_State *L)
{
    return (struct script_engine *)lua_touserdata(L, lua_upvalueindex(1));
}

#endif
