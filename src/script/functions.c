/* functions.c — libraries of functions in an engine (Redis 7.0's
 * function_lua.c and the library checks of functions.c): a library's
 * first line, its top level run once to register functions, and FCALL's
 * lookup and call.
 *
 * A library's code runs with its own globals table (sandbox_push_env):
 * while its top level runs, reads go to the load API ({redis = {
 * register_function, log, LOG_*, REDIS_VERSION*}}, strict and read-only),
 * afterwards to the sandbox's globals, as Redis switches its globals'
 * metatable. Functions live in a registry table, lowercase name ->
 * {callback, flags, name}: FCALL finds a function whatever the case.
 * Thread: the engine's.
 */
#include "ringkv/script/engine.h"

#include "ringkv/base/alloc.h"
#include "ringkv/script/lua_conv.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* How long FUNCTION LOAD lets a library's top level run (Redis's
 * LOAD_TIMEOUT_MS), checked every LOAD_HOOK_INSTRUCTIONS. */
#define LOAD_TIMEOUT_MS 500
#define LOAD_HOOK_INSTRUCTIONS 100000

#define ERR_BAD_NAME \
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

/* The library whose top level is running. */
struct library_load {
    struct script_library *lib;
    int callbacks;           /* registry ref: {i -> the i-th function's callback} */
    long long deadline_ms;   /* 0: no limit */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void script_library_free(struct script_library *lib)
{
    if (!lib) return;
    for (int i = 0; i < lib->nfns; i++) {
        rk_free(lib->fns[i].name);
        rk_free(lib->fns[i].desc);
    }
    rk_free(lib->fns);
    rk_free(lib->name);
    rk_free(lib->code);
    rk_free(lib);
}

/* [a-zA-Z0-9_]+ (Redis's functionsVerifyName). */
static bool valid_name(const char *s, size_t n)
{
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

static void set_err(struct obuf *err, const char *a, const char *b)
{
    obuf_append(err, "ERR ", 4);
    obuf_append(err, a, strlen(a));
    if (b) obuf_append(err, b, strlen(b));
}

/* The tokens after the engine: name=<lib> once, nothing else. */
static bool parse_meta_parts(const char *parts, int n, char **name, struct obuf *err)
{
    const char *p = parts;
    for (int i = 1; i < n; i++) {
        p += strlen(p) + 1;
        if (strncasecmp(p, "name=", 5) != 0) {
            set_err(err, "Invalid metadata value given: ", p);
            return false;
        }
        if (*name) {
            set_err(err, "Invalid metadata value, name argument was given multiple times", NULL);
            return false;
        }
        *name = rk_strndup(p + 5, strlen(p + 5));
    }
    if (!*name) {
        set_err(err, "Library name was not given", NULL);
        return false;
    }
    if (!valid_name(*name, strlen(*name))) {
        set_err(err, ERR_BAD_NAME, NULL);
        return false;
    }
    /* The engine: "#!lua" (any case) is the only one. */
    if (strcasecmp(parts + (strlen(parts) >= 2 ? 2 : strlen(parts)), "lua") != 0) {
        obuf_append(err, "ERR Engine '", 12);
        obuf_append(err, parts + 2, strlen(parts + 2));
        obuf_append(err, "' not found", 11);
        return false;
    }
    return true;
}

/* Redis's functionExtractLibMetaData and the checks after it; *code_at:
 * where the code to compile starts (the first line's newline, so lines
 * keep their numbers). */
static bool parse_meta(const char *code, size_t len, char **name, size_t *code_at, struct obuf *err)
{
    /* Redis reads the first line as a C string. */
    size_t clen = strnlen(code, len);
    if (clen < 2 || memcmp(code, "#!", 2) != 0) {
        set_err(err, "Missing library metadata", NULL);
        return false;
    }
    const char *nl = memchr(code, '\n', clen);
    char *parts = NULL;
    int n = nl ? shebang_split(code, (size_t)(nl - code), &parts) : -1;
    *name = NULL;
    bool ok = n > 0 && parse_meta_parts(parts, n, name, err);
    if (n <= 0) set_err(err, "Invalid library metadata", NULL);
    rk_free(parts);
    if (!ok) {
        rk_free(*name);
        *name = NULL;
        return false;
    }
    *code_at = (size_t)(nl - code);
    return true;
}

bool script_library_name(const char *code, size_t len, char **name, struct obuf *err)
{
    size_t at;
    return parse_meta(code, len, name, &at, err);
}

/* ---- redis.register_function ---- */

static int raise_error(lua_State *L, const char *msg)
{
    lua_conv_push_error(L, msg, strlen(msg), false);
    return lua_error(L);
}

/* The flags table at idx: {'no-writes', ...}; false on anything else. */
static bool read_flags(lua_State *L, int idx, uint32_t *flags)
{
    *flags = 0;
    for (int j = 1;; j++) {
        lua_rawgeti(L, idx, j);
        if (lua_isnil(L, -1)) break;
        size_t n;
        const char *s = lua_isstring(L, -1) ? lua_tolstring(L, -1, &n) : NULL;
        uint32_t f = s ? script_flag_by_name(s, strlen(s), true) : 0;
        lua_pop(L, 1);
        if (!f) return false;
        *flags |= f;
    }
    lua_pop(L, 1);
    return true;
}

/* Stack slots of register_function's parsed arguments. */
enum { ARG_NAME = 3, ARG_DESC = 4, ARG_CALLBACK = 5 };

/* One named argument (key at -2, value at -1); NULL or the error. */
static const char *read_named_arg(lua_State *L, uint32_t *flags)
{
    if (!lua_isstring(L, -2)) return "named argument key given to redis.register_function is not a string";
    const char *key = lua_tostring(L, -2);
    int slot = 0;
    if (!strcasecmp(key, "function_name")) {
        if (!lua_isstring(L, -1)) return "function_name argument given to redis.register_function must be a string";
        slot = ARG_NAME;
    } else if (!strcasecmp(key, "description")) {
        if (!lua_isstring(L, -1)) return "description argument given to redis.register_function must be a string";
        slot = ARG_DESC;
    } else if (!strcasecmp(key, "callback")) {
        if (!lua_isfunction(L, -1)) return "callback argument given to redis.register_function must be a function";
        slot = ARG_CALLBACK;
    } else if (!strcasecmp(key, "flags")) {
        if (!lua_istable(L, -1))
            return "flags argument to redis.register_function must be a table representing function flags";
        if (!read_flags(L, lua_gettop(L), flags)) return "unknown flag given";
    } else {
        return "unknown argument given to redis.register_function";
    }
    if (slot) {
        lua_pushvalue(L, -1);
        lua_replace(L, slot);
    }
    return NULL;
}

/* register_function{function_name=, callback=, flags=, description=}. */
static const char *read_named(lua_State *L, uint32_t *flags)
{
    if (!lua_istable(L, 1))
        return "calling redis.register_function with a single argument is only applicable to Lua table "
               "(representing named arguments).";
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        const char *err = read_named_arg(L, flags);
        if (err) return err;
        lua_pop(L, 1);
    }
    if (lua_isnil(L, ARG_NAME)) return "redis.register_function must get a function name argument";
    if (lua_isnil(L, ARG_CALLBACK)) return "redis.register_function must get a callback argument";
    return NULL;
}

/* register_function(name, callback). */
static const char *read_positional(lua_State *L)
{
    if (!lua_isstring(L, 1)) return "first argument to redis.register_function must be a string";
    if (!lua_isfunction(L, 2)) return "second argument to redis.register_function must be a function";
    lua_pushvalue(L, 1);
    lua_replace(L, ARG_NAME);
    lua_pushvalue(L, 2);
    lua_replace(L, ARG_CALLBACK);
    return NULL;
}

/* Adds the parsed function to the library being loaded; NULL or the error. */
static const char *add_function(lua_State *L, struct library_load *ld, uint32_t flags)
{
    size_t n, dn = 0;
    const char *name = lua_tolstring(L, ARG_NAME, &n);
    const char *desc = lua_isnil(L, ARG_DESC) ? NULL : lua_tolstring(L, ARG_DESC, &dn);
    if (!valid_name(name, n)) return ERR_BAD_NAME;
    struct script_library *lib = ld->lib;
    for (int i = 0; i < lib->nfns; i++)
        if (lib->fns[i].name_len == n && memcmp(lib->fns[i].name, name, n) == 0)
            return "Function already exists in the library";
    lua_rawgeti(L, LUA_REGISTRYINDEX, ld->callbacks);
    lua_pushvalue(L, ARG_CALLBACK);
    lua_rawseti(L, -2, lib->nfns + 1);
    lua_pop(L, 1);
    lib->fns = rk_realloc(lib->fns, (size_t)(lib->nfns + 1) * sizeof(*lib->fns));
    lib->fns[lib->nfns++] = (struct script_function_info){
        .name = rk_strndup(name, n), .name_len = n, .desc = desc ? rk_strndup(desc, dn) : NULL,
        .desc_len = dn, .flags = flags};
    return NULL;
}

/* Nothing is allocated before the last check: a Lua error leaks nothing. */
static int api_register_function(lua_State *L)
{
    struct script_engine *e = engine_of(L);
    if (!e->loading) return raise_error(L, "redis.register_function can only be called on FUNCTION LOAD command");
    int argc = lua_gettop(L);
    if (argc < 1 || argc > 2) return raise_error(L, "wrong number of arguments to redis.register_function");
    lua_settop(L, ARG_CALLBACK);
    uint32_t flags = 0;
    const char *err = argc == 1 ? read_named(L, &flags) : read_positional(L);
    if (!err) err = add_function(L, e->loading, flags);
    return err ? raise_error(L, err) : 0;
}

/* ---- the engine's libraries ---- */

/* The function table and the load API, once per Lua state. */
static void functions_setup(struct script_engine *e)
{
    if (e->fns_ref != LUA_NOREF) return;
    lua_State *L = e->L;
    lua_newtable(L);
    e->fns_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    sandbox_push_env(e);
    e->env_meta_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    e->env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L); /* the load API */
    redis_api_push_load(e);
    lua_pushlightuserdata(L, e);
    lua_pushcclosure(L, api_register_function, 1);
    lua_setfield(L, -2, "register_function");
    sandbox_freeze_strict(e);
    lua_setfield(L, -2, "redis");
    sandbox_freeze_strict(e);
    e->load_api_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Points the libraries' globals at the load API (loading) or the globals. */
static void switch_env(struct script_engine *e, bool loading)
{
    lua_State *L = e->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->env_meta_ref);
    if (loading) lua_rawgeti(L, LUA_REGISTRYINDEX, e->load_api_ref);
    else lua_pushvalue(L, LUA_GLOBALSINDEX);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

static void load_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct script_engine *e = engine_of_state(L);
    if (e->loading && e->loading->deadline_ms && now_ms() > e->loading->deadline_ms) {
        lua_sethook(L, NULL, 0, 0);
        raise_error(L, "FUNCTION LOAD timeout");
    }
}

/* The error a failed top level left on top (Redis's
 * luaExtractErrorInformation): a string gets "ERR ", a table its err. */
static void load_error(lua_State *L, struct obuf *err)
{
    set_err(err, "Error registering functions: ", NULL);
    size_t n = 0;
    const char *msg = NULL;
    if (lua_isstring(L, -1)) {
        obuf_append(err, "ERR ", 4);
        msg = lua_tolstring(L, -1, &n);
    } else if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        msg = lua_isstring(L, -1) ? lua_tolstring(L, -1, &n) : NULL;
    }
    if (msg) obuf_append(err, msg, strnlen(msg, n));
}

/* Pushes s in lowercase: the functions' key. */
static void push_lower(lua_State *L, const char *s, size_t n)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < n; i++) luaL_addchar(&b, (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i]);
    luaL_pushresult(&b);
}

/* Makes the library's functions callable: fns[lower(name)] = {cb, flags, name}. */
static void install(struct script_engine *e, const struct script_library *lib, int callbacks)
{
    lua_State *L = e->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->fns_ref);
    for (int i = 0; i < lib->nfns; i++) {
        push_lower(L, lib->fns[i].name, lib->fns[i].name_len);
        lua_createtable(L, 3, 0);
        lua_rawgeti(L, callbacks, i + 1);
        lua_rawseti(L, -2, 1);
        lua_pushnumber(L, lib->fns[i].flags);
        lua_rawseti(L, -2, 2);
        lua_pushlstring(L, lib->fns[i].name, lib->fns[i].name_len);
        lua_rawseti(L, -2, 3);
        lua_rawset(L, -3);
    }
    lua_pop(L, 1);
}

/* Runs the compiled top level on top of the stack; false with the error. */
static bool run_top_level(struct script_engine *e, struct library_load *ld, struct obuf *err)
{
    lua_State *L = e->L;
    switch_env(e, true);
    e->loading = ld;
    lua_sethook(L, load_hook, LUA_MASKCOUNT, LOAD_HOOK_INSTRUCTIONS);
    int status = lua_pcall(L, 0, 0, 0);
    lua_sethook(L, NULL, 0, 0);
    e->loading = NULL;
    switch_env(e, false);
    if (status != 0) load_error(L, err);
    return status == 0;
}

struct script_library *script_library_load(struct script_engine *e, const char *code, size_t len, bool install_it,
                                           struct obuf *err)
{
    char *name;
    size_t at;
    if (!parse_meta(code, len, &name, &at, err)) return NULL;
    functions_setup(e);
    lua_State *L = e->L;
    int base = lua_gettop(L);
    struct script_library *lib = rk_calloc(1, sizeof(*lib));
    *lib = (struct script_library){.name = name, .name_len = strlen(name), .code = rk_strndup(code, len),
                                   .code_len = len};
    lua_newtable(L); /* base + 1: the callbacks */
    lua_pushvalue(L, -1);
    struct library_load ld = {.lib = lib, .callbacks = luaL_ref(L, LUA_REGISTRYINDEX),
                              .deadline_ms = install_it ? 0 : now_ms() + LOAD_TIMEOUT_MS};
    bool ok = false;
    if (luaL_loadbuffer(L, code + at, len - at, "@user_function") != 0) {
        size_t n;
        const char *msg = lua_tolstring(L, -1, &n);
        set_err(err, "Error compiling function: ", NULL);
        obuf_append(err, msg, n);
    } else {
        lua_rawgeti(L, LUA_REGISTRYINDEX, e->env_ref);
        lua_setfenv(L, -2);
        ok = run_top_level(e, &ld, err);
        if (ok && lib->nfns == 0) {
            set_err(err, "No functions registered", NULL);
            ok = false;
        }
        if (ok && install_it) install(e, lib, base + 1);
    }
    luaL_unref(L, LUA_REGISTRYINDEX, ld.callbacks);
    lua_settop(L, base);
    if (ok) return lib;
    script_library_free(lib);
    return NULL;
}

/* Pushes the entry {callback, flags} of the function named name; false
 * (nothing pushed) when there is none. */
static bool push_function(struct script_engine *e, const char *name, size_t len)
{
    if (e->fns_ref == LUA_NOREF) return false;
    lua_State *L = e->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->fns_ref);
    push_lower(L, name, len);
    lua_rawget(L, -2);
    lua_remove(L, -2);
    if (lua_istable(L, -1)) return true;
    lua_pop(L, 1);
    return false;
}

bool script_function_flags(struct script_engine *e, const char *name, size_t len, uint32_t *flags)
{
    if (!push_function(e, name, len)) return false;
    lua_rawgeti(e->L, -1, 2);
    *flags = (uint32_t)lua_tonumber(e->L, -1);
    lua_pop(e->L, 2);
    return true;
}

enum script_result script_fcall(struct script_engine *e, const struct script_call_args *a,
                                const struct script_host *host, struct obuf *out)
{
    if (engine_busy(e, a->client_resp, out)) return SCRIPT_DONE;
    if (!push_function(e, a->sha, a->name_len)) return SCRIPT_NOSCRIPT;
    lua_State *L = e->L;
    /* Errors name the function as registered: its name stays on the stack
     * under the run. */
    lua_rawgeti(L, -1, 3);
    const char *name = lua_tostring(L, -1);
    lua_rawgeti(L, -2, 1);
    lua_remove(L, -3);
    engine_push_array(L, a->keys, a->key_lens, a->nkeys > 0 ? a->nkeys : 0);
    engine_push_array(L, a->args, a->arg_lens, a->nargs > 0 ? a->nargs : 0);
    enum script_result res = engine_call(e, 2, name, host, a->client_resp, out);
    lua_pop(L, 1);
    return res;
}
