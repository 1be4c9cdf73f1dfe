/* abort.c — the host's SCRIPT_CALL_ABORT, which no Lua code may survive.
 *
 * The abort is raised as an error whose value is a unique light userdata.
 * Lua could catch an error in four places — pcall, xpcall (and its
 * handler), coroutine.resume — so the sandbox replaces each with a wrapper
 * that raises the abort again once the run is aborted, and a count hook
 * raises it before every further instruction of the thread that was
 * running. pcall also does what Redis 7.0's pcall does: an error table
 * {err=...} comes back as its err string.
 * Thread: the engine's.
 */
#include "ringkv/script/engine.h"

#include <lauxlib.h>

static const char abort_tag = 0;

int sandbox_raise_abort(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)&abort_tag);
    return lua_error(L);
}

bool sandbox_is_abort(lua_State *L, int idx)
{
    return lua_touserdata(L, idx) == &abort_tag;
}

static void abort_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    sandbox_raise_abort(L);
}

/* Called when the host answers SCRIPT_CALL_ABORT while thread L runs. */
void abort_start(struct script_engine *e, lua_State *L)
{
    e->run->aborted = true;
    lua_sethook(L, abort_hook, LUA_MASKCOUNT, 1);
    lua_sethook(e->L, abort_hook, LUA_MASKCOUNT, 1);
}

static bool aborted(lua_State *L)
{
    struct script_engine *e = engine_of(L);
    return e->run && e->run->aborted;
}

/* pcall(f, ...): Redis 7.0's (luaRedisPcall), plus the abort. */
static int guarded_pcall(lua_State *L)
{
    int argc = lua_gettop(L);
    if (argc == 0) {
        /* Redis's pcall() calls nothing callable and fails. */
        lua_pushboolean(L, 0);
        lua_pushliteral(L, "attempt to call a nil value");
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) == 0) return lua_gettop(L);
    if (aborted(L)) return sandbox_raise_abort(L);
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
        lua_pushstring(L, "err");
        lua_rawget(L, -2);
        /* As in Redis: the err string replaces the table; a table without
         * one stays, with the nil it yielded after it. */
        if (lua_isstring(L, -1)) lua_replace(L, -2);
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
    return lua_gettop(L);
}

/* The message handler xpcall really installs: the user's, except that an
 * abort passes through untouched. Upvalue 2: the user's handler. */
static int xpcall_handler(lua_State *L)
{
    if (aborted(L)) return 1;
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int guarded_xpcall(lua_State *L)
{
    luaL_checkany(L, 2);
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, xpcall_handler, 2);
    lua_replace(L, 2);
    lua_insert(L, 1); /* handler, f */
    int status = lua_pcall(L, 0, LUA_MULTRET, 1);
    if (status != 0 && aborted(L)) return sandbox_raise_abort(L);
    lua_pushboolean(L, status == 0);
    lua_replace(L, 1);
    return lua_gettop(L);
}

/* coroutine.resume: upvalue 2 is Lua's own. */
static int guarded_resume(lua_State *L)
{
    luaL_argcheck(L, lua_type(L, 1) == LUA_TTHREAD, 1, "coroutine expected");
    int argc = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_insert(L, 1);
    lua_call(L, argc, LUA_MULTRET);
    if (aborted(L)) return sandbox_raise_abort(L);
    return lua_gettop(L);
}

/* Replaces pcall, xpcall and coroutine.resume in the globals table on top. */
void abort_install_guards(struct script_engine *e)
{
    lua_State *L = e->L;
    lua_pushlightuserdata(L, e);
    lua_pushcclosure(L, guarded_pcall, 1);
    lua_setfield(L, -2, "pcall");
    lua_pushlightuserdata(L, e);
    lua_pushcclosure(L, guarded_xpcall, 1);
    lua_setfield(L, -2, "xpcall");
    lua_getfield(L, -1, "coroutine");
    lua_pushlightuserdata(L, e);
    lua_getfield(L, -2, "resume");
    lua_pushcclosure(L, guarded_resume, 2);
    lua_setfield(L, -2, "resume");
    lua_pop(L, 1);
}
