/* lua_cmsgpack.c — the `cmsgpack` library Redis 7.0.15 gives scripts
 * (lua-cmsgpack 0.4.0): pack(...) encodes each argument and concatenates
 * them; unpack(s) decodes every value in s; unpack_one(s [, offset]) and
 * unpack_limit(s, limit [, offset]) decode one / limit values and first
 * return the offset to continue from (-1 at the end).
 *
 * As Redis encodes: a table whose keys are exactly 1..n is an array, any
 * other a map; a number that is an integer inside int64 is the smallest
 * integer encoding, any other a float32 if it survives the round trip,
 * else a float64; strings are str8/16/32; tables nested 16 deep become
 * nil (which is how cycles end); functions and the like are nil.
 *
 * The fixes of CVE-2018-11218/11219: the output buffer grows with every
 * size checked for overflow, and the decoder makes room on the Lua stack
 * before each value it pushes (so a hostile input fails with "too many
 * return values", never overruns). The buffer is a Lua userdata at a
 * fixed stack slot, so a Lua error in mid-encoding leaks nothing.
 */
#include "ringkv/script/lua_libs.h"

#include <float.h>
#include <lauxlib.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MAX_NESTING 16
#define BUF_MAX (SIZE_MAX / 2)

/* ---- output ---- */

struct mp_buf {
    lua_State *L;
    int slot; /* the stack slot holding the userdata b points into */
    unsigned char *b;
    size_t len, cap;
};

static void buf_init(lua_State *L, struct mp_buf *buf)
{
    buf->L = L;
    buf->cap = 64;
    buf->len = 0;
    buf->b = lua_newuserdata(L, buf->cap);
    buf->slot = lua_gettop(L);
}

/* Doubles the buffer until n more bytes fit: a new userdata replaces the
 * old one in its slot (the collector frees the old). */
static void buf_grow(struct mp_buf *buf, size_t n)
{
    lua_State *L = buf->L;
    if (n > BUF_MAX - buf->len) luaL_error(L, "MessagePack output too large");
    size_t cap = buf->cap;
    while (cap - buf->len < n) cap = cap > BUF_MAX / 2 ? BUF_MAX : cap * 2;
    luaL_checkstack(L, 1, "in function mp_buf_append");
    unsigned char *b = lua_newuserdata(L, cap);
    memcpy(b, buf->b, buf->len);
    lua_replace(L, buf->slot);
    buf->b = b;
    buf->cap = cap;
}

static void buf_append(struct mp_buf *buf, const void *s, size_t n)
{
    if (buf->cap - buf->len < n) buf_grow(buf, n);
    memcpy(buf->b + buf->len, s, n);
    buf->len += n;
}

/* A tag byte followed by v as nbytes big-endian bytes. */
static void put_tagged(struct mp_buf *buf, unsigned tag, uint64_t v, int nbytes)
{
    unsigned char b[9];
    b[0] = (unsigned char)tag;
    for (int i = nbytes; i >= 1; i--, v >>= 8) b[i] = (unsigned char)(v & 0xff);
    buf_append(buf, b, (size_t)nbytes + 1);
}

/* ---- encoding ---- */

static void encode_bytes(struct mp_buf *buf, const char *s, size_t len)
{
    if (len < 32) put_tagged(buf, 0xa0 | (unsigned)len, 0, 0);
    else if (len <= 0xff) put_tagged(buf, 0xd9, len, 1);
    else if (len <= 0xffff) put_tagged(buf, 0xda, len, 2);
    else put_tagged(buf, 0xdb, len & 0xffffffffu, 4);
    buf_append(buf, s, len);
}

/* The header of an array (fix 0x90, 0xdc, 0xdd) or map (0x80, 0xde, 0xdf). */
static void encode_count(struct mp_buf *buf, unsigned fix, unsigned tag16, size_t n)
{
    if (n <= 15) put_tagged(buf, fix | (unsigned)n, 0, 0);
    else if (n <= 0xffff) put_tagged(buf, tag16, n, 2);
    else put_tagged(buf, tag16 + 1, n & 0xffffffffu, 4);
}

static void encode_int(struct mp_buf *buf, int64_t n)
{
    uint64_t u = (uint64_t)n;
    if (n >= 0) {
        if (n <= 127) put_tagged(buf, (unsigned)n, 0, 0);
        else if (n <= 0xff) put_tagged(buf, 0xcc, u, 1);
        else if (n <= 0xffff) put_tagged(buf, 0xcd, u, 2);
        else if (n <= 0xffffffffLL) put_tagged(buf, 0xce, u, 4);
        else put_tagged(buf, 0xcf, u, 8);
    } else {
        if (n >= -32) put_tagged(buf, (unsigned)(u & 0xff), 0, 0);
        else if (n >= -128) put_tagged(buf, 0xd0, u, 1);
        else if (n >= -32768) put_tagged(buf, 0xd1, u, 2);
        else if (n >= -2147483648LL) put_tagged(buf, 0xd2, u, 4);
        else put_tagged(buf, 0xd3, u, 8);
    }
}

static void encode_number(struct mp_buf *buf, lua_Number n)
{
    const lua_Number two63 = 9223372036854775808.0;
    if (n >= -two63 && n < two63 && (lua_Number)(int64_t)n == n) {
        encode_int(buf, (int64_t)n);
        return;
    }
    /* A float32 when the value survives it (infinities do; NaN and
     * anything beyond FLT_MAX do not). */
    if (isinf(n) || (fabs(n) <= FLT_MAX && (lua_Number)(float)n == n)) {
        float f = (float)n;
        uint32_t bits;
        memcpy(&bits, &f, sizeof(bits));
        put_tagged(buf, 0xca, bits, 4);
        return;
    }
    uint64_t bits;
    memcpy(&bits, &n, sizeof(bits));
    put_tagged(buf, 0xcb, bits, 8);
}

/* Whether the table on top has exactly the keys 1..n (n >= 0). */
static bool table_is_array(lua_State *L)
{
    int top = lua_gettop(L);
    int count = 0, max = 0;
    luaL_checkstack(L, 2, "in function table_is_an_array");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_Number n = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
        if (n <= 0 || n > INT_MAX || (lua_Number)(int)n != n) {
            lua_settop(L, top);
            return false;
        }
        if ((int)n > max) max = (int)n;
        count++;
    }
    lua_settop(L, top);
    return max == count;
}

static void encode_value(struct mp_buf *buf, int level);

static void encode_table(struct mp_buf *buf, int level)
{
    lua_State *L = buf->L;
    if (table_is_array(L)) {
        size_t len = lua_objlen(L, -1);
        encode_count(buf, 0x90, 0xdc, len);
        luaL_checkstack(L, 1, "in function mp_encode_lua_table_as_array");
        for (size_t j = 1; j <= len; j++) {
            lua_rawgeti(L, -1, (int)j);
            encode_value(buf, level + 1);
        }
        return;
    }
    luaL_checkstack(L, 3, "in function mp_encode_lua_table_as_map");
    size_t len = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        len++;
    }
    encode_count(buf, 0x80, 0xde, len);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        encode_value(buf, level + 1); /* the key */
        encode_value(buf, level + 1); /* the value */
    }
}

/* Encodes the value on top and pops it. */
static void encode_value(struct mp_buf *buf, int level)
{
    lua_State *L = buf->L;
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        encode_bytes(buf, s, len);
        break;
    }
    case LUA_TBOOLEAN: put_tagged(buf, lua_toboolean(L, -1) ? 0xc3 : 0xc2, 0, 0); break;
    case LUA_TNUMBER: encode_number(buf, lua_tonumber(L, -1)); break;
    case LUA_TTABLE: /* too deep: nil (how cycles end) */
        if (level < MAX_NESTING) encode_table(buf, level);
        else put_tagged(buf, 0xc0, 0, 0);
        break;
    default: put_tagged(buf, 0xc0, 0, 0); break;
    }
    lua_pop(L, 1);
}

static int mp_pack(lua_State *L)
{
    int nargs = lua_gettop(L);
    if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
    if (!lua_checkstack(L, nargs)) return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
    struct mp_buf buf;
    buf_init(L, &buf);
    for (int i = 1; i <= nargs; i++) {
        luaL_checkstack(L, 1, "in function mp_check");
        lua_pushvalue(L, i);
        encode_value(&buf, 0);
    }
    lua_pushlstring(L, (const char *)buf.b, buf.len);
    return 1;
}

/* ---- decoding ---- */

enum { MP_OK, MP_EOF, MP_BADFMT };

struct mp_cur {
    const unsigned char *p;
    size_t left;
    int err;
};

static bool cur_need(struct mp_cur *c, size_t n)
{
    if (c->left >= n) return true;
    c->err = MP_EOF;
    return false;
}

static void cur_skip(struct mp_cur *c, size_t n)
{
    c->p += n;
    c->left -= n;
}

/* The nbytes big-endian bytes after the tag; false if the input ends
 * first. cur_read consumes them with the tag, cur_peek does not. */
static bool cur_peek(struct mp_cur *c, int nbytes, uint64_t *v)
{
    if (!cur_need(c, (size_t)nbytes + 1)) return false;
    *v = 0;
    for (int i = 1; i <= nbytes; i++) *v = (*v << 8) | c->p[i];
    return true;
}

static bool cur_read(struct mp_cur *c, int nbytes, uint64_t *v)
{
    if (!cur_peek(c, nbytes, v)) return false;
    cur_skip(c, (size_t)nbytes + 1);
    return true;
}

static void decode_value(lua_State *L, struct mp_cur *c);

static void decode_array(lua_State *L, struct mp_cur *c, size_t len)
{
    lua_newtable(L);
    luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
    for (size_t i = 1; i <= len; i++) {
        lua_pushnumber(L, (lua_Number)i);
        decode_value(L, c);
        if (c->err) return;
        lua_settable(L, -3);
    }
}

static void decode_map(lua_State *L, struct mp_cur *c, size_t len)
{
    lua_newtable(L);
    while (len--) {
        decode_value(L, c);
        if (c->err) return;
        decode_value(L, c);
        if (c->err) return;
        lua_settable(L, -3); /* a nil or NaN key raises Lua's error, as in Redis */
    }
}

/* A str of len bytes after a header of hdr bytes. */
static void decode_str(lua_State *L, struct mp_cur *c, size_t hdr, size_t len)
{
    if (len > c->left || !cur_need(c, hdr + len)) {
        c->err = MP_EOF;
        return;
    }
    lua_pushlstring(L, (const char *)c->p + hdr, len);
    cur_skip(c, hdr + len);
}

/* int 8..64 (0xd0..0xd3): nbytes, sign-extended. */
static lua_Number sign_extend(uint64_t v, int nbytes)
{
    if (nbytes < 8 && (v >> (nbytes * 8 - 1)) & 1) v |= ~(uint64_t)0 << (nbytes * 8);
    return (lua_Number)(int64_t)v;
}

/* The values whose first byte is a tag 0xc0..0xdf. */
static void decode_tagged(lua_State *L, struct mp_cur *c, unsigned tag)
{
    static const int width[4] = {1, 2, 4, 8};
    uint64_t v;
    switch (tag) {
    case 0xc0: lua_pushnil(L); cur_skip(c, 1); return;
    case 0xc2: case 0xc3: lua_pushboolean(L, tag == 0xc3); cur_skip(c, 1); return;
    case 0xcc: case 0xcd: case 0xce: case 0xcf: /* uint 8..64: uint64 wraps as Redis's push does */
        if (cur_read(c, width[tag - 0xcc], &v)) lua_pushnumber(L, (lua_Number)(int64_t)v);
        return;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3:
        if (cur_read(c, width[tag - 0xd0], &v)) lua_pushnumber(L, sign_extend(v, width[tag - 0xd0]));
        return;
    case 0xca: {
        if (!cur_read(c, 4, &v)) return;
        uint32_t bits = (uint32_t)v;
        float f;
        memcpy(&f, &bits, sizeof(f));
        lua_pushnumber(L, f);
        return;
    }
    case 0xcb: {
        if (!cur_read(c, 8, &v)) return;
        double d;
        memcpy(&d, &v, sizeof(d));
        lua_pushnumber(L, d);
        return;
    }
    case 0xd9: case 0xda: case 0xdb: {
        int w = tag == 0xd9 ? 1 : tag == 0xda ? 2 : 4;
        if (cur_peek(c, w, &v)) decode_str(L, c, (size_t)w + 1, (size_t)v);
        return;
    }
    case 0xdc: case 0xdd:
        if (cur_read(c, tag == 0xdc ? 2 : 4, &v)) decode_array(L, c, (size_t)v);
        return;
    case 0xde: case 0xdf:
        if (cur_read(c, tag == 0xde ? 2 : 4, &v)) decode_map(L, c, (size_t)v);
        return;
    default: c->err = MP_BADFMT; /* bin, ext and the unused 0xc1 */
    }
}

/* Decodes one value onto the stack, or sets c->err. */
static void decode_value(lua_State *L, struct mp_cur *c)
{
    if (!cur_need(c, 1)) return;
    /* The CVE-2018-11218 fix: room first (it grows the stack by doubling). */
    luaL_checkstack(L, 1, "too many return values at once; use unpack_one or unpack_limit instead.");
    unsigned tag = c->p[0];
    if (tag <= 0x7f || tag >= 0xe0) { /* fixints */
        lua_pushnumber(L, tag <= 0x7f ? (lua_Number)tag : (lua_Number)(signed char)tag);
        cur_skip(c, 1);
    } else if ((tag & 0xe0) == 0xa0) {
        decode_str(L, c, 1, tag & 0x1f);
    } else if ((tag & 0xf0) == 0x90) {
        cur_skip(c, 1);
        decode_array(L, c, tag & 0xf);
    } else if ((tag & 0xf0) == 0x80) {
        cur_skip(c, 1);
        decode_map(L, c, tag & 0xf);
    } else {
        decode_tagged(L, c, tag);
    }
}

/* limit 0 and offset 0: every value, no offset returned. */
static int unpack_full(lua_State *L, lua_Integer limit, lua_Integer offset)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    bool all = !limit && !offset;
    /* Redis's text, which prints the length where it says limit. */
    if (offset < 0 || limit < 0)
        return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.", (int)offset, (int)len);
    if ((size_t)offset > len)
        return luaL_error(L, "Start offset %d greater than input length %d.", (int)offset, (int)len);
    if (all) limit = INT_MAX;
    struct mp_cur c = {(const unsigned char *)s + offset, len - (size_t)offset, MP_OK};
    int cnt;
    for (cnt = 0; c.left > 0 && cnt < limit; cnt++) {
        decode_value(L, &c);
        if (c.err == MP_EOF) return luaL_error(L, "Missing bytes in input.");
        if (c.err == MP_BADFMT) return luaL_error(L, "Bad data format in input.");
    }
    if (all) return cnt;
    luaL_checkstack(L, 1, "in function mp_unpack_full");
    lua_pushinteger(L, c.left == 0 ? -1 : (lua_Integer)(len - c.left));
    lua_insert(L, 2); /* first result, right above the string */
    return cnt + 1;
}

static int mp_unpack(lua_State *L) { return unpack_full(L, 0, 0); }

static int mp_unpack_one(lua_State *L)
{
    lua_Integer offset = luaL_optinteger(L, 2, 0);
    if (lua_gettop(L) > 1) lua_settop(L, 1);
    return unpack_full(L, 1, offset);
}

static int mp_unpack_limit(lua_State *L)
{
    lua_Integer limit = luaL_checkinteger(L, 2);
    lua_Integer offset = luaL_optinteger(L, 3, 0);
    lua_settop(L, 1);
    return unpack_full(L, limit, offset);
}

int luaopen_cmsgpack(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"pack", mp_pack},
        {"unpack", mp_unpack},
        {"unpack_one", mp_unpack_one},
        {"unpack_limit", mp_unpack_limit},
        {NULL, NULL},
    };
    lua_newtable(L);
    luaL_register(L, NULL, funcs);
    static const char *const meta[][2] = {
        {"_NAME", "cmsgpack"},
        {"_VERSION", "lua-cmsgpack 0.4.0"},
        {"_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"},
        {"_DESCRIPTION", "MessagePack C implementation for Lua"},
    };
    for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
        lua_pushstring(L, meta[i][1]);
        lua_setfield(L, -2, meta[i][0]);
    }
    return 1;
}
