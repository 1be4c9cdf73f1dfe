/* lua_guards.c — fixes Redis carries in its own Lua and its bundled
 * lua-bitop and lua-cjson that Debian's packages (liblua5.1 5.1.5-9,
 * lua-bitop 1.0.2-7, lua-cjson 2.1.0+dfsg-2.2) lack, applied from outside:
 *
 * Bytecode: Redis's Lua parses every chunk as text, so loadstring and
 * load refuse precompiled chunks (which can read and write memory at
 * will). Ours give the same nil and parser error.
 *
 * CVE-2024-31449 (fixed after 7.0.15, which itself crashes), bit.tohex(x,
 * n): for n = INT_MIN (also 2^31, which wraps to it) -n overflows, stays
 * negative, and the digit loop writes far outside its 8-byte buffer. Ours
 * clamps n as Redis's fix does.
 *
 * CVE-2022-24834, cjson.encode: the encoder's buffer (strbuf) counts in
 * int. A string reserves 6 * len + 2 bytes, which wraps for a string over
 * ~358 MB, and the bytes then run past the buffer; a total past 2^31 (a
 * sparse array made of holes once encode_sparse_array(_, 0) disables the
 * check, many large strings) overflows its length. Redis made strbuf
 * size_t; here, without touching the library, encode first bounds what it
 * would reserve (an upper bound, walking the value as cjson will) and
 * refuses a value whose bound passes 1 GiB, far below where int sizes
 * break (cjson's doubling from 1023 stays below INT_MAX up to 2^31 - 2^21).
 */
#include "ringkv/script/lua_libs.h"

#include <lauxlib.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- bit.tohex ---- */

/* Lua BitOp's argument conversion: the number's low 32 bits (the
 * 2^52 + 2^51 bias puts them in the double's low word). */
static uint32_t bit_arg(lua_State *L, int idx)
{
    union {
        lua_Number n;
        uint64_t b;
    } bn;
    bn.n = luaL_checknumber(L, idx) + 6755399441055744.0;
    return (uint32_t)bn.b;
}

static int safe_tohex(lua_State *L)
{
    uint32_t b = bit_arg(L, 1);
    int32_t n = lua_isnone(L, 2) ? 8 : (int32_t)bit_arg(L, 2);
    const char *digits = "0123456789abcdef";
    char buf[8];
    if (n == INT32_MIN) n = INT32_MIN + 1; /* the fix: -n must exist */
    if (n < 0) {
        n = -n;
        digits = "0123456789ABCDEF";
    }
    if (n > 8) n = 8;
    for (int i = n; --i >= 0; b >>= 4) buf[i] = digits[b & 15];
    lua_pushlstring(L, buf, (size_t)n);
    return 1;
}

/* ---- cjson.encode ---- */

#define ENCODE_LIMIT 1073741824.0 /* 1 GiB of reserved output */
#define NUMBER_COST 32            /* cjson reserves FPCONV_G_FMT_BUFSIZE per number */

/* Upvalues of the guarded encode. */
#define UV_ENCODE lua_upvalueindex(1)
#define UV_MAX_DEPTH lua_upvalueindex(2) /* cjson.encode_max_depth */
#define UV_SPARSE lua_upvalueindex(3)    /* cjson.encode_sparse_array */

struct walk {
    lua_State *L;
    double bytes; /* bound of what cjson would reserve so far */
    int max_depth;
    double ratio, safe; /* encode_sparse_array's; ratio 0: no check */
    bool stop;          /* cjson fails here (too deep): nothing after counts */
};

static void walk_value(struct walk *w, int depth);

static double string_cost(lua_State *L, int idx)
{
    size_t len;
    lua_tolstring(L, idx, &len);
    return 6.0 * (double)len + 2;
}

/* Keys of the table on top: whether all are integers >= 1 (cjson's array
 * test), their count and largest, and what they cost as object keys. */
static bool scan_keys(struct walk *w, double *items, double *max)
{
    lua_State *L = w->L;
    bool array = true;
    *items = *max = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        int t = lua_type(L, -1);
        lua_Number k = t == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
        if (t != LUA_TNUMBER || k < 1 || floor(k) != k) array = false;
        if (k > *max) *max = k;
        *items += 1;
        w->bytes += (t == LUA_TSTRING ? string_cost(L, -1) : NUMBER_COST) + 2;
    }
    return array && *items > 0;
}

/* The table on top, at nesting depth `depth` (cjson's count). */
static void walk_table(struct walk *w, int depth)
{
    lua_State *L = w->L;
    if (depth > w->max_depth) {
        w->stop = true;
        return;
    }
    if (!lua_checkstack(L, 3)) luaL_error(L, "Cannot serialise, excessive nesting (%d)", depth);
    double items, max;
    if (scan_keys(w, &items, &max)) {
        /* An array's holes are nulls: at most max of them, and when the
         * sparse check is on, at most what it lets through. */
        double bound = max > INT_MAX ? INT_MAX : max;
        double allowed = items * w->ratio > w->safe ? items * w->ratio : w->safe;
        if (w->ratio > 0 && bound > allowed) bound = allowed;
        w->bytes += 6.0 * bound;
    }
    w->bytes += 2;
    lua_pushnil(L);
    while (!w->stop && w->bytes <= ENCODE_LIMIT && lua_next(L, -2)) {
        walk_value(w, depth);
        w->bytes += 1;
    }
    if (w->stop || w->bytes > ENCODE_LIMIT) lua_pop(L, 1); /* the key lua_next left */
}

/* The value on top (popped). */
static void walk_value(struct walk *w, int depth)
{
    lua_State *L = w->L;
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: w->bytes += string_cost(L, -1); break;
    case LUA_TNUMBER: w->bytes += NUMBER_COST; break;
    case LUA_TTABLE: walk_table(w, depth + 1); break;
    default: w->bytes += 8; break; /* true, false, null (or cjson's error) */
    }
    lua_pop(L, 1);
}

/* Reads cjson's current settings through its own getters. */
static void read_settings(lua_State *L, struct walk *w)
{
    lua_pushvalue(L, UV_MAX_DEPTH);
    lua_call(L, 0, 1);
    w->max_depth = (int)lua_tointeger(L, -1);
    lua_pushvalue(L, UV_SPARSE);
    lua_call(L, 0, 3);
    w->ratio = lua_tonumber(L, -2);
    w->safe = lua_tonumber(L, -1);
    lua_pop(L, 4);
}

static int guarded_encode(lua_State *L)
{
    luaL_argcheck(L, lua_gettop(L) == 1, 1, "expected 1 argument");
    struct walk w = {.L = L};
    read_settings(L, &w);
    lua_pushvalue(L, 1);
    walk_value(&w, 0);
    if (w.bytes > ENCODE_LIMIT) return luaL_error(L, "Cannot serialise, output too large (over 1 GiB)");
    /* Caught and raised again from here: the script is then the caller
     * of the function that raised, and the run's handler names its line
     * as Redis does for cjson's own errors. */
    lua_pushvalue(L, UV_ENCODE);
    lua_pushvalue(L, 1);
    int status = lua_pcall(L, 1, 1, 0);
    if (status == 0) return 1;
    /* cjson's luaL_error named its caller's line, which is now ours (C,
     * none): name the script's, as the message has it in Redis. */
    if (status == LUA_ERRRUN && lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

/* ---- loadstring and load: no bytecode ---- */

/* Lua 5.1.5's luaO_chunkid: how an error names a chunk. */
static void chunk_id(char *out, const char *source, size_t bufflen)
{
    if (*source == '=') {
        snprintf(out, bufflen, "%s", source + 1);
    } else if (*source == '@') {
        size_t l = strlen(++source), keep = bufflen - sizeof(" '...' ");
        if (l > keep) snprintf(out, bufflen, "...%s", source + (l - keep));
        else snprintf(out, bufflen, "%s", source);
    } else {
        size_t len = strcspn(source, "\n\r"), keep = bufflen - sizeof(" [string \"...\"] ");
        if (len > keep) len = keep;
        bool cut = source[len] != '\0';
        snprintf(out, bufflen, "[string \"%.*s%s\"]", (int)len, source, cut ? "..." : "");
    }
}

/* What Redis's Lua, which parses every chunk as text, says of bytecode:
 * its first byte (ESC) is no Lua token. */
static void push_binary_error(lua_State *L, const char *chunkname)
{
    char id[LUA_IDSIZE];
    chunk_id(id, chunkname, sizeof(id));
    lua_pushfstring(L, "%s:1: unexpected symbol near 'char(%d)'", id, LUA_SIGNATURE[0]);
}

static bool is_bytecode(lua_State *L, int idx)
{
    size_t len;
    const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &len) : NULL;
    return s && len > 0 && s[0] == LUA_SIGNATURE[0];
}

/* CVE-2022-0543's family: loaded bytecode reads and writes memory at will.
 * loadstring(s [, name]): nil and the parser's error for bytecode. */
static int safe_loadstring(lua_State *L)
{
    const char *chunkname = luaL_optstring(L, 2, luaL_checkstring(L, 1));
    if (is_bytecode(L, 1)) {
        lua_pushnil(L);
        push_binary_error(L, chunkname);
        return 2;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* load's reader, wrapped (upvalues: the script's reader, and 0 before
 * the first piece, 1 after it, 2 if it was bytecode). Bytecode ends the
 * chunk at once, without raising (an error raised here would reach the
 * run's message handler, which the parser's own errors do not). */
static int first_piece_reader(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_call(L, 0, 1);
    if (lua_tointeger(L, lua_upvalueindex(2)) != 0) return 1;
    bool binary = is_bytecode(L, -1);
    lua_pushinteger(L, binary ? 2 : 1);
    lua_replace(L, lua_upvalueindex(2));
    if (binary) lua_pushnil(L);
    return 1;
}

/* load(reader [, name]): nil and the parser's error if the first piece
 * is bytecode. */
static int safe_load(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    const char *chunkname = luaL_optstring(L, 2, "=(load)");
    lua_settop(L, 2);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, first_piece_reader, 2); /* 3 */
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 3);
    lua_pushvalue(L, 2);
    lua_call(L, 2, LUA_MULTRET); /* results from 4 */
    lua_getupvalue(L, 3, 2);
    if (lua_tointeger(L, -1) == 2) {
        lua_pushnil(L);
        push_binary_error(L, chunkname);
        return 2;
    }
    lua_pop(L, 1);
    return lua_gettop(L) - 3;
}

/* Replaces global `name` with f, the original as its upvalue. */
static void wrap_global(lua_State *L, const char *name, lua_CFunction f)
{
    lua_getglobal(L, name);
    lua_pushcclosure(L, f, 1);
    lua_setglobal(L, name);
}

void lua_guards_install(lua_State *L)
{
    lua_getglobal(L, "bit");
    lua_pushcfunction(L, safe_tohex);
    lua_setfield(L, -2, "tohex");
    lua_pop(L, 1);

    lua_getglobal(L, "cjson");
    lua_getfield(L, -1, "encode");
    lua_getfield(L, -2, "encode_max_depth");
    lua_getfield(L, -3, "encode_sparse_array");
    lua_pushcclosure(L, guarded_encode, 3);
    lua_setfield(L, -2, "encode");
    lua_pop(L, 1);

    wrap_global(L, "loadstring", safe_loadstring);
    wrap_global(L, "load", safe_load);
}
