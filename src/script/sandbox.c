/* sandbox.c — the Lua world a script sees, as Redis 7.0 builds it
 * (luaRegisterRedisAPI, scriptingInit): the base, table, string and math
 * libraries, cjson and bit; only the globals on Redis's allow list; the
 * `redis` table; and every global and library table read-only.
 *
 * Redis marks tables read-only with a flag its own Lua carries. Debian's
 * Lua 5.1 has none, so here each such table T hides behind an empty proxy
 * P whose metatable reads from T and refuses writes ("Attempt to modify a
 * readonly table", Redis's words). The state's globals become the proxy
 * of the real globals table, whose own metatable raises Redis's error for
 * a global that does not exist. The few built-ins that bypass metatables
 * (rawset, rawget, next, pairs, getmetatable, setmetatable, table.insert,
 * table.remove, table.sort) are replaced by versions that see through a
 * proxy to read and refuse to write through it.
 *
 * Libraries of functions (functions.c) get their own globals table, empty
 * and read-only, whose reads go to these globals, or, while a library's
 * top level runs, to the little Redis gives it then.
 * Thread: the engine's.
 */
#include "ringkv/script/engine.h"
#include "ringkv/script/lua_libs.h"

#include <lauxlib.h>
#include <lua-bitop.h>
#include <lua-cjson.h>
#include <lualib.h>
#include <string.h>

/* Redis 7.0.15's allow list (with newproxy, getfenv and setfenv gone as
 * in its lua-enable-deprecated-api=no default). */
static const char *const allowed_globals[] = {
    "string", "cjson", "bit", "cmsgpack", "math", "table", "struct", "redis",
    "xpcall", "tostring", "setmetatable", "next", "assert", "tonumber", "rawequal",
    "collectgarbage", "getmetatable", "rawset", "pcall", "coroutine", "type", "_G",
    "select", "unpack", "gcinfo", "pairs", "rawget", "loadstring", "ipairs",
    "_VERSION", "load", "error", NULL,
};

#define RO_ERROR "Attempt to modify a readonly table"

/* Upvalues of the see-through built-ins. */
#define UV_BACKING lua_upvalueindex(1) /* proxy -> real table */
#define UV_PROXY lua_upvalueindex(2)   /* real table -> proxy */

/* A write through a proxy: the position is the writing Lua code's, as the
 * error Redis's VM raises has. */
static int readonly_error(lua_State *L) { return luaL_error(L, RO_ERROR); }

/* The same refused by a built-in: Redis raises it from inside the C
 * function, where there is no line to name. */
static int readonly_error_bare(lua_State *L)
{
    lua_pushstring(L, RO_ERROR);
    return lua_error(L);
}

static int missing_global_error(lua_State *L)
{
    const char *name = lua_isstring(L, 2) ? lua_tostring(L, 2) : "?";
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", name);
}

/* Whether the value at idx is a proxy; if so replaces it with its table. */
static bool unproxy(lua_State *L, int idx)
{
    lua_pushvalue(L, idx);
    lua_rawget(L, UV_BACKING);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return false;
    }
    lua_replace(L, idx);
    return true;
}

static bool is_proxy(lua_State *L, int idx)
{
    lua_pushvalue(L, idx);
    lua_rawget(L, UV_BACKING);
    bool yes = !lua_isnil(L, -1);
    lua_pop(L, 1);
    return yes;
}

static int sb_rawget(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    lua_settop(L, 2);
    unproxy(L, 1);
    lua_rawget(L, 1);
    return 1;
}

static int sb_rawset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (is_proxy(L, 1)) return readonly_error_bare(L);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

static int sb_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    unproxy(L, 1);
    if (lua_next(L, 1)) return 2;
    lua_pushnil(L);
    return 1;
}

/* pairs(t): Lua's, except that a proxy is walked through its table. */
static int sb_pairs(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushvalue(L, lua_upvalueindex(3)); /* next: ours or Lua's */
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* A proxy shows its table's metatable (frozen; the globals' one) rather
 * than the proxy's own; a frozen metatable (the strings') is shown as its
 * proxy. */
static int sb_getmetatable(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    bool proxy = unproxy(L, 1);
    if (!lua_getmetatable(L, 1)) {
        lua_pushnil(L);
        return 1;
    }
    if (proxy) {
        lua_rawget(L, UV_PROXY);
        return 1;
    }
    lua_pushstring(L, "__metatable");
    lua_rawget(L, -2);
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 1);
    /* A protected metatable (the strings') is answered by its proxy. */
    lua_pushvalue(L, -1);
    lua_rawget(L, UV_PROXY);
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 1);
    return 1;
}

static int sb_setmetatable(lua_State *L)
{
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argcheck(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table expected");
    if (is_proxy(L, 1)) return readonly_error_bare(L);
    if (lua_getmetatable(L, 1)) {
        lua_pushstring(L, "__metatable");
        lua_rawget(L, -2);
        if (!lua_isnil(L, -1)) return luaL_error(L, "cannot change a protected metatable");
        lua_pop(L, 2);
    }
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* table.insert/remove/sort: Lua's (upvalue 3), refused on a proxy. */
static int sb_table_writer(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (is_proxy(L, 1)) return readonly_error_bare(L);
    int argc = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(3));
    lua_insert(L, 1);
    lua_call(L, argc, LUA_MULTRET);
    return lua_gettop(L);
}

/* Sets t[name] (t on top) to f with the two proxy maps (at the absolute
 * indexes maps) as upvalues, plus `extra` values popped from the stack. */
static void set_see_through(lua_State *L, const char *name, lua_CFunction f, int maps, int extra)
{
    lua_pushvalue(L, maps);
    lua_pushvalue(L, maps + 1);
    if (extra) {
        lua_pushvalue(L, -3);
        lua_remove(L, -4);
    }
    lua_pushcclosure(L, f, 2 + extra);
    lua_setfield(L, -2, name);
}

/* Into the real globals table G (at g): the see-through built-ins. */
static void install_see_through(lua_State *L, int g, int maps)
{
    lua_pushvalue(L, g);
    set_see_through(L, "rawget", sb_rawget, maps, 0);
    set_see_through(L, "rawset", sb_rawset, maps, 0);
    set_see_through(L, "next", sb_next, maps, 0);
    set_see_through(L, "getmetatable", sb_getmetatable, maps, 0);
    set_see_through(L, "setmetatable", sb_setmetatable, maps, 0);
    lua_getfield(L, -1, "next");
    set_see_through(L, "pairs", sb_pairs, maps, 1);
    lua_getfield(L, -1, "table");
    static const char *const writers[] = {"insert", "remove", "sort"};
    for (int i = 0; i < 3; i++) {
        lua_getfield(L, -1, writers[i]);
        set_see_through(L, writers[i], sb_table_writer, maps, 1);
    }
    lua_pop(L, 2);
}

/* Replaces the table on top with its read-only proxy, and every table
 * reachable from it with theirs (a table seen twice gets one proxy). */
static void freeze(lua_State *L, int maps)
{
    int t = lua_gettop(L);
    lua_pushvalue(L, t);
    lua_rawget(L, maps + 1);
    if (!lua_isnil(L, -1)) {
        lua_replace(L, t);
        return;
    }
    lua_pop(L, 1);
    lua_newtable(L); /* the proxy, at t + 1 */
    lua_pushvalue(L, t);
    lua_pushvalue(L, t + 1);
    lua_rawset(L, maps + 1);
    lua_pushvalue(L, t + 1);
    lua_pushvalue(L, t);
    lua_rawset(L, maps);
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, t);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_error);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, t + 1);
    luaL_checkstack(L, 4, "freeze");
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_istable(L, -1)) {
            freeze(L, maps);
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, t); /* an existing key: allowed while walking */
        } else {
            lua_pop(L, 1);
        }
    }
    lua_replace(L, t);
}

static void load_lib(lua_State *L, const char *name, lua_CFunction open)
{
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    /* cjson returns its table without setting a global; the others set it. */
    if (lua_istable(L, -1) && name[0]) lua_setglobal(L, name);
    else lua_pop(L, 1);
}

static bool is_allowed(const char *name)
{
    for (const char *const *a = allowed_globals; *a; a++)
        if (strcmp(*a, name) == 0) return true;
    return false;
}

/* Drops every global not on the allow list (print, dofile, loadfile, ...). */
static void drop_unlisted(lua_State *L, int g)
{
    lua_pushnil(L);
    while (lua_next(L, g)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING || !is_allowed(lua_tostring(L, -1))) {
            lua_pushvalue(L, -1);
            lua_pushnil(L);
            lua_rawset(L, g);
        }
    }
}

static void load_libraries(struct script_engine *e)
{
    lua_State *L = e->L;
    load_lib(L, "", luaopen_base);
    load_lib(L, LUA_TABLIBNAME, luaopen_table);
    load_lib(L, LUA_STRLIBNAME, luaopen_string);
    load_lib(L, LUA_MATHLIBNAME, luaopen_math);
    load_lib(L, "cjson", luaopen_cjson);
    load_lib(L, "bit", luaopen_bit);
    load_lib(L, "struct", luaopen_struct);
    load_lib(L, "cmsgpack", luaopen_cmsgpack);
    lua_guards_install(L); /* Redis's fixes that Debian's Lua, bit and cjson lack */
}

void sandbox_setup(struct script_engine *e)
{
    lua_State *L = e->L;
    load_libraries(e);
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    int g = lua_gettop(L);
    drop_unlisted(L, g);
    redis_api_push(e);
    lua_setfield(L, g, "redis");
    lua_getfield(L, g, "math");
    lua_random_install(e);
    lua_pop(L, 1);
    lua_pushvalue(L, g);
    abort_install_guards(e);
    lua_pop(L, 1);

    lua_newtable(L); /* maps: proxy -> table */
    int maps = lua_gettop(L);
    lua_newtable(L); /* maps + 1: table -> proxy */
    install_see_through(L, g, maps);
    /* Kept for the tables libraries freeze later (sandbox_freeze_strict). */
    lua_createtable(L, 2, 0);
    lua_pushvalue(L, maps);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, maps + 1);
    lua_rawseti(L, -2, 2);
    e->maps_ref = luaL_ref(L, LUA_REGISTRYINDEX);

    /* A missing global is an error, as in Redis. */
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, missing_global_error);
    lua_setfield(L, -2, "__index");
    lua_pushvalue(L, -1);
    lua_setmetatable(L, g);
    freeze(L, maps); /* getmetatable(_G) shows it, read-only */
    lua_pop(L, 1);
    lua_pushvalue(L, g);
    e->globals_ref = luaL_ref(L, LUA_REGISTRYINDEX);

    /* The strings' metatable: getmetatable("") answers its proxy. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    freeze(L, maps);
    lua_pop(L, 2);

    lua_pushvalue(L, g);
    freeze(L, maps);
    lua_pushvalue(L, -1);
    lua_setfield(L, g, "_G");
    lua_replace(L, LUA_GLOBALSINDEX);
    lua_settop(L, g - 1);
}

/* A missing field is an error, as a missing global is. */
static void set_strict_metatable(lua_State *L, int t)
{
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, missing_global_error);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, t);
}

void sandbox_freeze_strict(struct script_engine *e)
{
    lua_State *L = e->L;
    int t = lua_gettop(L);
    set_strict_metatable(L, t);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->maps_ref);
    lua_rawgeti(L, t + 1, 1); /* t + 2: proxy -> table */
    lua_rawgeti(L, t + 1, 2); /* t + 3: table -> proxy */
    lua_pushvalue(L, t);
    freeze(L, t + 2);
    lua_replace(L, t);
    lua_settop(L, t);
}

void sandbox_push_env(struct script_engine *e)
{
    lua_State *L = e->L;
    lua_newtable(L);
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_error);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, -1);
    lua_setmetatable(L, -3);
    (void)e;
}
