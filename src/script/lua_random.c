/* lua_random.c — math.random/math.randomseed as Redis 7.0 replaces them:
 * Lua's own code with rand() swapped for a rand48 generator (Redis's
 * rand.c), so a script sees the same sequence on every platform. The
 * state is not reseeded per script, as in 7.0: it runs on from one script
 * to the next. Thread: the engine's.
 */
#include "ringkv/script/engine.h"

#include <lauxlib.h>
#include <math.h>
#include <stdint.h>

#define RAND48_MASK ((1ull << 48) - 1)
#define RAND48_MAX INT32_MAX

/* lrand48: x = (0x5DEECE66D x + 0xB) mod 2^48, answer bits 17..47. */
static int32_t rand48_next(struct script_engine *e)
{
    e->rand48 = (0x5DEECE66Dull * e->rand48 + 0xB) & RAND48_MASK;
    return (int32_t)(e->rand48 >> 17);
}

static int lua_math_random(lua_State *L)
{
    struct script_engine *e = engine_of(L);
    if (!e->run) return luaL_error(L, "math.random can only be called inside a script invocation");
    lua_Number r = (lua_Number)(rand48_next(e) % RAND48_MAX) / (lua_Number)RAND48_MAX;
    switch (lua_gettop(L)) {
    case 0: lua_pushnumber(L, r); break;
    case 1: {
        int u = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua_pushnumber(L, floor(r * u) + 1);
        break;
    }
    case 2: {
        int l = luaL_checkint(L, 1);
        int u = luaL_checkint(L, 2);
        luaL_argcheck(L, l <= u, 2, "interval is empty");
        lua_pushnumber(L, floor(r * (u - l + 1)) + l);
        break;
    }
    default: return luaL_error(L, "wrong number of arguments");
    }
    return 1;
}

static int lua_math_randomseed(lua_State *L)
{
    struct script_engine *e = engine_of(L);
    if (!e->run) return luaL_error(L, "math.randomseed can only be called inside a script invocation");
    uint32_t seed = (uint32_t)luaL_checkint(L, 1);
    e->rand48 = ((uint64_t)seed << 16) | 0x330E;
    return 0;
}

void lua_random_install(struct script_engine *e)
{
    lua_State *L = e->L;
    lua_pushlightuserdata(L, e);
    lua_pushcclosure(L, lua_math_random, 1);
    lua_setfield(L, -2, "random");
    lua_pushlightuserdata(L, e);
    lua_pushcclosure(L, lua_math_randomseed, 1);
    lua_setfield(L, -2, "randomseed");
}
