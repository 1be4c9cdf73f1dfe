/* script.c — a shard's Lua engine: its lua_State and the scripts compiled
 * into it, keyed by SHA1 (Redis 7.0's eval.c: luaCreateFunction, SCRIPT
 * EXISTS/FLUSH).
 *
 * A compiled script lives in the Lua registry under "f_<sha>", as in
 * Redis; its shebang flags in a registry table. The Lua allocator counts
 * what the state holds (used_memory_lua).
 * Thread: the owning shard's only.
 */
#include "ringkv/script/engine.h"

#include "ringkv/base/alloc.h"
#include "ringkv/base/log.h"
#include "ringkv/script/sha1.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

/* What Redis counts per cached script beyond its body (the SHA's sds and
 * the body's object headers): an estimate, for used_memory_scripts. */
#define SCRIPT_ENTRY_OVERHEAD 64

static void *lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct script_engine *e = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        rk_free(ptr);
        e->lua_bytes -= old;
        return NULL;
    }
    /* rk_realloc does not fail (running out of memory is fatal, as in
     * Redis), so Lua never sees NULL. */
    void *p = rk_realloc(ptr, nsize);
    e->lua_bytes += nsize;
    e->lua_bytes -= old;
    return p;
}

static int lua_panic(lua_State *L)
{
    log_warn("Lua panic: %s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
    abort();
}

static int setup_protected(lua_State *L)
{
    struct script_engine *e = lua_touserdata(L, 1);
    sandbox_setup(e);
    lua_newtable(L);
    e->flags_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

static void engine_open(struct script_engine *e)
{
    e->lua_bytes = 0;
    /* A new state has no library: functions.c sets these up on demand. */
    e->fns_ref = e->env_ref = e->env_meta_ref = e->load_api_ref = LUA_NOREF;
    e->L = lua_newstate(lua_alloc, e);
    if (!e->L) abort();
    lua_atpanic(e->L, lua_panic);
    if (lua_cpcall(e->L, setup_protected, e) != 0) {
        log_warn("Lua sandbox setup failed: %s", lua_tostring(e->L, -1));
        abort();
    }
}

struct script_engine *script_engine_create(void)
{
    struct script_engine *e = rk_calloc(1, sizeof(*e));
    e->rand48 = LUA_RANDOM_INITIAL_STATE;
    obuf_init(&e->call_reply);
    obuf_init(&e->call_nums);
    engine_open(e);
    return e;
}

void script_engine_destroy(struct script_engine *e)
{
    if (!e) return;
    lua_close(e->L);
    obuf_free(&e->call_reply);
    obuf_free(&e->call_nums);
    rk_free(e->argv);
    rk_free(e->lens);
    rk_free(e);
}

void script_sha1hex(const char *body, size_t len, char out[41]) { sha1_hex(body, len, out); }

/* "f_" and the lowercase SHA: the script's registry key. */
static bool registry_key(const char *sha, size_t len, char key[43])
{
    if (len != 40) return false;
    key[0] = 'f';
    key[1] = '_';
    for (int i = 0; i < 40; i++) key[2 + i] = (sha[i] >= 'A' && sha[i] <= 'Z') ? (char)(sha[i] + 32) : sha[i];
    key[42] = '\0';
    return true;
}

bool script_exists(const struct script_engine *e, const char *sha, size_t len)
{
    char key[43];
    if (!registry_key(sha, len, key)) return false;
    lua_getfield(e->L, LUA_REGISTRYINDEX, key);
    bool found = lua_isfunction(e->L, -1);
    lua_pop(e->L, 1);
    return found;
}

uint32_t script_flags(const struct script_engine *e, const char *sha, size_t len)
{
    char key[43];
    if (!registry_key(sha, len, key)) return 0;
    lua_State *L = e->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->flags_ref);
    lua_getfield(L, -1, key + 2);
    uint32_t flags = (uint32_t)lua_tonumber(L, -1);
    lua_pop(L, 2);
    return flags;
}

static void compile_error(lua_State *L, struct obuf *err)
{
    static const char prefix[] = "ERR Error compiling script (new function): ";
    size_t n;
    const char *msg = lua_tolstring(L, -1, &n);
    obuf_append(err, prefix, sizeof(prefix) - 1);
    if (msg) obuf_append(err, msg, n);
    lua_pop(L, 1);
}

uint32_t script_body_flags(const char *body, size_t len)
{
    uint32_t flags;
    size_t skip;
    struct obuf err = {0};
    bool ok = shebang_parse(body, len, &flags, &skip, &err);
    obuf_free(&err);
    return ok ? flags : 0;
}

bool script_load(struct script_engine *e, const char *body, size_t len, char sha[41], struct obuf *err)
{
    char key[43];
    sha1_hex(body, len, sha);
    registry_key(sha, 40, key);
    if (script_exists(e, sha, 40)) return true;
    uint32_t flags;
    size_t skip;
    if (!shebang_parse(body, len, &flags, &skip, err)) return false;
    lua_State *L = e->L;
    /* The shebang line is skipped but its newline kept: lines stay right. */
    if (luaL_loadbuffer(L, body + skip, len - skip, "@user_script") != 0) {
        compile_error(L, err);
        return false;
    }
    lua_setfield(L, LUA_REGISTRYINDEX, key);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->flags_ref);
    lua_pushnumber(L, flags);
    lua_setfield(L, -2, key + 2);
    lua_pop(L, 1);
    e->nscripts++;
    e->scripts_bytes += 40 + len + SCRIPT_ENTRY_OVERHEAD;
    return true;
}

void script_flush(struct script_engine *e)
{
    lua_close(e->L);
    e->nscripts = 0;
    e->scripts_bytes = 0;
    e->runs_since_gc = 0;
    engine_open(e);
}

uint64_t script_count(const struct script_engine *e) { return e->nscripts; }
uint64_t script_lua_memory(const struct script_engine *e) { return e->lua_bytes; }
uint64_t script_cache_memory(const struct script_engine *e) { return e->scripts_bytes; }
