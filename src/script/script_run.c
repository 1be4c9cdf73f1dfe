/* script_run.c — one run of a cached script (Redis 7.0's
 * evalGenericCommand + luaCallFunction; FCALL's run too, functions.c):
 * KEYS and ARGV, a protected call
 * whose error handler records where the error happened, and the reply:
 * the script's result converted, or Redis's error text.
 * Thread: the engine's.
 */
#include "ringkv/script/engine.h"

#include "ringkv/script/lua_conv.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

/* Redis steps the collector every 50 runs rather than let a full cycle
 * land on one script. */
#define GC_RUN_PERIOD 50
/* Lua instructions between two calls of the host's tick. */
#define TICK_INSTRUCTIONS 100000

/* tostring(v) for the value at idx, pushed. */
static void push_tostring(lua_State *L, int idx)
{
    if (luaL_callmeta(L, idx, "__tostring")) return;
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
    case LUA_TSTRING:
        lua_pushvalue(L, idx);
        lua_tostring(L, -1);
        break;
    case LUA_TNIL: lua_pushliteral(L, "nil"); break;
    case LUA_TBOOLEAN: lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false"); break;
    default: lua_pushfstring(L, "%s: %p", luaL_typename(L, idx), lua_topointer(L, idx)); break;
    }
}

/* Copies t.field (raw) of the table at `from` into the table on top. */
static void copy_field(lua_State *L, int from, const char *field)
{
    lua_pushstring(L, field);
    lua_pushvalue(L, -1);
    lua_rawget(L, from);
    lua_rawset(L, -3);
}

/* The run's message handler (Redis's __redis__err__handler): the error
 * becomes a table {err=, source=, line=} naming the Lua code that raised
 * it (the caller when a C function such as redis.call or error raised).
 * Builds a new table rather than write into the script's. */
static int run_error_handler(lua_State *L)
{
    struct script_engine *e = engine_of_state(L);
    if (e->run && e->run->aborted) return 1;
    lua_Debug ar;
    bool have = lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar);
    if (have && strcmp(ar.what, "C") == 0) have = lua_getstack(L, 2, &ar) && lua_getinfo(L, "Sl", &ar);
    lua_settop(L, 1);
    lua_createtable(L, 0, 4);
    if (lua_istable(L, 1)) {
        copy_field(L, 1, "err");
        copy_field(L, 1, "ignore_error_stats_update");
    } else {
        lua_pushliteral(L, "err");
        lua_pushliteral(L, "ERR ");
        push_tostring(L, 1);
        lua_concat(L, 2);
        lua_rawset(L, -3);
    }
    if (have) {
        lua_pushstring(L, ar.source);
        lua_setfield(L, -2, "source");
        lua_pushnumber(L, ar.currentline);
        lua_setfield(L, -2, "line");
    }
    return 1;
}

/* Pushes t[field] (raw) of the table at t; its text or NULL. */
static const char *text_field(lua_State *L, int t, const char *field, size_t *len)
{
    lua_pushstring(L, field);
    lua_rawget(L, t);
    return lua_isstring(L, -1) ? lua_tolstring(L, -1, len) : NULL;
}

/* Redis's error reply for a failed run, from the handler's table on top. */
static void write_run_error(lua_State *L, struct reply *r, const char *name)
{
    char buf[256];
    if (!lua_istable(L, -1)) {
        const char *msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "execution failure";
        int n = snprintf(buf, sizeof(buf), "ERR Error running script %s, %.100s", name, msg);
        lua_conv_error_reply(r, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, false);
        return;
    }
    int t = lua_gettop(L);
    size_t msg_len = 0, src_len = 0, line_len = 0;
    const char *msg = text_field(L, t, "err", &msg_len);
    const char *source = text_field(L, t, "source", &src_len);
    const char *line = text_field(L, t, "line", &line_len);
    lua_pushstring(L, "ignore_error_stats_update");
    lua_rawget(L, t);
    bool counted = lua_toboolean(L, -1);
    if (!msg) {
        /* An error table without err (error({})): Redis 7.0 crashes here. */
        int n = snprintf(buf, sizeof(buf), "ERR Error running script %s, execution failure", name);
        lua_conv_error_reply(r, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, false);
        lua_pop(L, 4);
        return;
    }
    /* Each part is a C string in Redis. */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, msg, strnlen(msg, msg_len));
    if (source && line) {
        luaL_addstring(&b, " script: ");
        luaL_addstring(&b, name);
        luaL_addstring(&b, ", on ");
        luaL_addlstring(&b, source, strnlen(source, src_len));
        luaL_addchar(&b, ':');
        luaL_addlstring(&b, line, line_len);
        luaL_addchar(&b, '.');
    }
    luaL_pushresult(&b);
    size_t n;
    const char *text = lua_tolstring(L, -1, &n);
    /* Not trimmed: Redis sends this one as it is, CR/LF made spaces. */
    struct cmdstats *stats = r->stats;
    if (counted) r->stats = NULL;
    reply_error_len(r, text, n);
    r->stats = stats;
    lua_pop(L, 5);
}

void engine_push_array(lua_State *L, const char *const *v, const size_t *lens, int n)
{
    lua_createtable(L, n, 0);
    for (int j = 0; j < n; j++) {
        lua_pushlstring(L, v[j], lens[j]);
        lua_rawseti(L, -2, j + 1);
    }
}

/* The globals KEYS or ARGV, set under the read-only _G (n < 0: cleared). */
static void set_array_global(lua_State *L, int globals, const char *name, const char *const *v,
                             const size_t *lens, int n)
{
    lua_pushstring(L, name);
    if (n >= 0) engine_push_array(L, v, lens, n);
    else lua_pushnil(L);
    lua_rawset(L, globals);
}

static void tick_hook(lua_State *L, lua_Debug *ar)
{
    struct script_engine *e = engine_of_state(L);
    const struct script_host *h = e->run ? e->run->host : NULL;
    enum script_call what = h && h->tick ? h->tick(h->ud) : SCRIPT_CALL_OK;
    if (what == SCRIPT_CALL_OK) return;
    if (what == SCRIPT_CALL_KILL && lua_getinfo(L, "Sl", ar)) {
        e->run->killed = true;
        e->run->kill_line = ar->currentline;
        snprintf(e->run->kill_source, sizeof(e->run->kill_source), "%s", ar->source);
    }
    abort_start(e, L);
    sandbox_raise_abort(L);
}

/* Redis's reply to a script SCRIPT KILL stopped. */
static void write_killed(const struct script_run *run, struct reply *r, const char *name)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "ERR Script killed by user with SCRIPT KILL... script: %s, on %s:%d.", name,
                     run->kill_source, run->kill_line);
    lua_conv_error_reply(r, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, false);
}

static void lower_sha(const char *in, char out[41])
{
    for (int i = 0; i < 40; i++) out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) : in[i];
    out[40] = '\0';
}

static void finish_run(struct script_engine *e, int base)
{
    lua_State *L = e->L;
    lua_sethook(L, NULL, 0, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->globals_ref);
    set_array_global(L, lua_gettop(L), "KEYS", NULL, NULL, -1);
    set_array_global(L, lua_gettop(L), "ARGV", NULL, NULL, -1);
    lua_settop(L, base);
    e->run = NULL;
    if (++e->runs_since_gc == GC_RUN_PERIOD) {
        lua_gc(L, LUA_GCSTEP, GC_RUN_PERIOD);
        e->runs_since_gc = 0;
    }
}

bool engine_busy(struct script_engine *e, int client_resp, struct obuf *out)
{
    if (!e->run) return false;
    /* A host's call that runs a script: Redis refuses EVAL in scripts. */
    struct reply r;
    reply_init(&r, out, client_resp);
    reply_error(&r, "ERR a script cannot run while another one runs");
    return true;
}

enum script_result engine_call(struct script_engine *e, int nargs, const char *name, const struct script_host *host,
                               int client_resp, struct obuf *out)
{
    lua_State *L = e->L;
    int fn = lua_gettop(L) - nargs;
    lua_pushcfunction(L, run_error_handler);
    lua_insert(L, fn);
    struct script_run run = {.host = host, .sha = name, .resp = 2};
    e->run = &run;
    if (host->tick) lua_sethook(L, tick_hook, LUA_MASKCOUNT, TICK_INSTRUCTIONS);

    int status = lua_pcall(L, nargs, 1, fn);
    enum script_result res = SCRIPT_DONE;
    if (run.killed) {
        struct reply r;
        reply_init(&r, out, client_resp);
        write_killed(&run, &r, name);
    } else if (run.aborted) {
        res = SCRIPT_ABORTED;
    } else {
        struct reply r;
        reply_init(&r, out, client_resp);
        if (status != 0) write_run_error(L, &r, name);
        else lua_conv_write_reply(L, &r, run.resp);
    }
    finish_run(e, fn - 1);
    return res;
}

enum script_result script_run(struct script_engine *e, const struct script_call_args *a,
                              const struct script_host *host, struct obuf *out)
{
    lua_State *L = e->L;
    char sha[41];
    lower_sha(a->sha, sha);
    if (engine_busy(e, a->client_resp, out)) return SCRIPT_DONE;
    int base = lua_gettop(L);
    char key[43] = "f_";
    memcpy(key + 2, sha, 41);
    lua_getfield(L, LUA_REGISTRYINDEX, key);
    if (!lua_isfunction(L, -1)) {
        lua_settop(L, base);
        return SCRIPT_NOSCRIPT;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->globals_ref);
    set_array_global(L, lua_gettop(L), "KEYS", a->keys, a->key_lens, a->nkeys > 0 ? a->nkeys : 0);
    set_array_global(L, lua_gettop(L), "ARGV", a->args, a->arg_lens, a->nargs > 0 ? a->nargs : 0);
    lua_pop(L, 1);
    return engine_call(e, 0, sha, host, a->client_resp, out);
}
