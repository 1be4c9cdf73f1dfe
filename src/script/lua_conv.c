/* lua_conv.c — RESP reply bytes -> Lua values and a script's Lua result ->
 * RESP, as Redis 7.0's script_lua.c converts them (see lua_conv.h).
 *
 * The parser checks every length against the bytes it has and bounds the
 * nesting, because the bytes reach it from outside the engine; a refused
 * reply leaves the Lua stack as it was. Neither direction calls a
 * metamethod or raises a Lua error (a table key that is nil is dropped
 * rather than raised), so both may run outside a protected call.
 * Thread: the engine's.
 */
#include "ringkv/script/lua_conv.h"

#include "ringkv/base/util.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

/* ---- RESP -> Lua ---- */

struct rparse {
    const char *p, *end;
};

/* The text between the type byte and CRLF; moves past the CRLF. */
static bool take_line(struct rparse *ps, const char **s, size_t *n)
{
    const char *start = ps->p + 1;
    const char *cr = memchr(start, '\r', (size_t)(ps->end - start));
    if (!cr || cr + 1 >= ps->end || cr[1] != '\n') return false;
    *s = start;
    *n = (size_t)(cr - start);
    ps->p = cr + 2;
    return true;
}

static bool take_count(struct rparse *ps, long long *v)
{
    const char *s;
    size_t n;
    return take_line(ps, &s, &n) && string2ll(s, n, v);
}

/* Each element takes at least 3 bytes ("_\r\n"): a count beyond that is a
 * lie, refused before any table is sized by it. */
static bool count_fits(const struct rparse *ps, long long count, long long per)
{
    return count >= 0 && count <= (ps->end - ps->p) / (3 * per);
}

/* A {field=value} table, value a string. */
static void push_field_table(lua_State *L, const char *field, const char *s, size_t n)
{
    lua_createtable(L, 0, 1);
    lua_pushstring(L, field);
    lua_pushlstring(L, s, n);
    lua_rawset(L, -3);
}

/* The payload of "$len\r\n...\r\n" (and "=len\r\n...\r\n"); *null for $-1. */
static bool take_bulk(struct rparse *ps, const char **s, long long *len, bool *null)
{
    if (!take_count(ps, len)) return false;
    *null = *len == -1;
    if (*null) return true;
    if (*len < 0 || *len > ps->end - ps->p - 2) return false;
    const char *data = ps->p;
    if (data[*len] != '\r' || data[*len + 1] != '\n') return false;
    *s = data;
    ps->p = data + *len + 2;
    return true;
}

static bool parse_value(lua_State *L, struct rparse *ps, int depth);

static bool parse_array(lua_State *L, struct rparse *ps, int depth)
{
    long long n;
    if (!take_count(ps, &n)) return false;
    if (n == -1) {
        lua_pushboolean(L, 0);
        return true;
    }
    if (!count_fits(ps, n, 1)) return false;
    lua_createtable(L, (int)n, 0);
    for (long long j = 1; j <= n; j++) {
        if (!parse_value(L, ps, depth + 1)) return false;
        lua_rawseti(L, -2, (int)j);
    }
    return true;
}

/* {map={k=v}} or {set={m=true}}: `pairs` is 2 for a map, 1 for a set. A
 * nil key (a RESP3 null) cannot be stored and is dropped. */
static bool parse_keyed(lua_State *L, struct rparse *ps, int depth, const char *field, int pairs)
{
    long long n;
    if (!take_count(ps, &n) || !count_fits(ps, n, pairs)) return false;
    lua_createtable(L, 0, 1);
    lua_pushstring(L, field);
    lua_createtable(L, 0, (int)n);
    for (long long j = 0; j < n; j++) {
        if (!parse_value(L, ps, depth + 1)) return false;
        if (pairs == 2) {
            if (!parse_value(L, ps, depth + 1)) return false;
        } else {
            lua_pushboolean(L, 1);
        }
        if (lua_isnil(L, -2)) lua_pop(L, 2);
        else lua_rawset(L, -3);
    }
    lua_rawset(L, -3);
    return true;
}

/* |n attributes, then the reply they annotate; Redis hides attributes
 * from scripts. */
static bool parse_attribute(lua_State *L, struct rparse *ps, int depth)
{
    long long n;
    if (!take_count(ps, &n) || !count_fits(ps, n, 2)) return false;
    for (long long j = 0; j < 2 * n; j++) {
        if (!parse_value(L, ps, depth + 1)) return false;
        lua_pop(L, 1);
    }
    return parse_value(L, ps, depth);
}

static bool parse_double(lua_State *L, struct rparse *ps)
{
    const char *s;
    size_t n;
    if (!take_line(ps, &s, &n)) return false;
    /* Redis's limit (MAX_LONG_DOUBLE_CHARS): a longer text counts as 0. */
    char buf[5 * 1024 + 1];
    double d = 0;
    if (n < sizeof(buf)) {
        memcpy(buf, s, n);
        buf[n] = '\0';
        d = strtod(buf, NULL);
    }
    lua_createtable(L, 0, 1);
    lua_pushstring(L, "double");
    lua_pushnumber(L, d);
    lua_rawset(L, -3);
    return true;
}

static bool parse_verbatim(lua_State *L, struct rparse *ps)
{
    const char *s = NULL;
    long long n;
    bool null;
    if (!take_bulk(ps, &s, &n, &null) || null || n < 4) return false;
    lua_createtable(L, 0, 1);
    lua_pushstring(L, "verbatim_string");
    lua_createtable(L, 0, 2);
    lua_pushstring(L, "string");
    lua_pushlstring(L, s + 4, (size_t)n - 4);
    lua_rawset(L, -3);
    lua_pushstring(L, "format");
    lua_pushlstring(L, s, 3);
    lua_rawset(L, -3);
    lua_rawset(L, -3);
    return true;
}

static bool parse_scalar_line(lua_State *L, struct rparse *ps, char type)
{
    const char *s;
    size_t n;
    long long v;
    if (!take_line(ps, &s, &n)) return false;
    switch (type) {
    case '+': push_field_table(L, "ok", s, n); return true;
    case '-':
        /* A command's error: counted when the command replied it. */
        lua_conv_push_error(L, s - 1, n + 1, true);
        return true;
    case ':':
        if (!string2ll(s, n, &v)) return false;
        lua_pushnumber(L, (lua_Number)v);
        return true;
    case '_':
        if (n != 0) return false;
        lua_pushnil(L);
        return true;
    case '#':
        if (n != 1 || (s[0] != 't' && s[0] != 'f')) return false;
        lua_pushboolean(L, s[0] == 't');
        return true;
    case '(': push_field_table(L, "big_number", s, n); return true;
    }
    return false;
}

static bool parse_value(lua_State *L, struct rparse *ps, int depth)
{
    if (ps->p >= ps->end || depth > LUA_CONV_MAX_DEPTH || !lua_checkstack(L, 6)) return false;
    const char *s = NULL;
    long long n;
    bool null;
    switch (*ps->p) {
    case '$':
        if (!take_bulk(ps, &s, &n, &null)) return false;
        if (null) lua_pushboolean(L, 0);
        else lua_pushlstring(L, s, (size_t)n);
        return true;
    case '*': return parse_array(L, ps, depth);
    case '%': return parse_keyed(L, ps, depth, "map", 2);
    case '~': return parse_keyed(L, ps, depth, "set", 1);
    case '|': return parse_attribute(L, ps, depth);
    case ',': return parse_double(L, ps);
    case '=': return parse_verbatim(L, ps);
    case '+': case '-': case ':': case '_': case '#': case '(':
        return parse_scalar_line(L, ps, *ps->p);
    }
    return false;
}

bool lua_conv_push_reply(lua_State *L, const char *p, size_t len)
{
    if (len == 0) return false; /* no reply at all (p may be NULL) */
    int top = lua_gettop(L);
    struct rparse ps = {p, p + len};
    if (parse_value(L, &ps, 0) && ps.p == ps.end) return true;
    lua_settop(L, top);
    return false;
}

void lua_conv_push_error(lua_State *L, const char *s, size_t len, bool counted)
{
    /* Redis handles the text as a C string. */
    const char *nul = memchr(s, '\0', len);
    if (nul) len = (size_t)(nul - s);
    const char *code = "ERR", *msg = s;
    size_t code_len = 3, msg_len = len;
    if (len && s[0] == '-') {
        const char *sp = memchr(s, ' ', len);
        if (sp) {
            code = s + 1;
            code_len = (size_t)(sp - s - 1);
            msg = sp + 1;
            msg_len = len - (size_t)(msg - s);
        } else {
            msg = s + 1;
            msg_len = len - 1;
        }
    }
    while (msg_len && (msg[0] == '\r' || msg[0] == '\n')) msg++, msg_len--;
    while (msg_len && (msg[msg_len - 1] == '\r' || msg[msg_len - 1] == '\n')) msg_len--;
    lua_createtable(L, 0, 2);
    lua_pushstring(L, "err");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, code, code_len);
    luaL_addchar(&b, ' ');
    luaL_addlstring(&b, msg, msg_len);
    luaL_pushresult(&b);
    lua_rawset(L, -3);
    if (counted) {
        lua_pushstring(L, "ignore_error_stats_update");
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
    }
}

/* ---- Lua -> RESP ---- */

void lua_conv_error_reply(struct reply *r, const char *msg, size_t len, bool already_counted)
{
    const char *nul = memchr(msg, '\0', len);
    if (nul) len = (size_t)(nul - msg);
    while (len && (msg[len - 1] == '\r' || msg[len - 1] == '\n')) len--;
    struct cmdstats *stats = r->stats;
    if (already_counted) r->stats = NULL;
    reply_error_len(r, msg, len);
    r->stats = stats;
}

/* (long long) of a double as x86-64 converts it: NaN and out of range
 * give LLONG_MIN (the C cast itself would be undefined). */
static long long number_to_ll(lua_Number d)
{
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return LLONG_MIN;
    return (long long)d;
}

/* A one-line reply ('+' or '('), CR and LF made spaces; a status ends at
 * its first NUL (Redis copies it as a C string). */
static void write_line_text(struct reply *r, char type, const char *s, size_t n, bool c_string)
{
    const char *nul = c_string ? memchr(s, '\0', n) : NULL;
    if (nul) n = (size_t)(nul - s);
    obuf_reserve(r->buf, n + 3);
    char *d = r->buf->data + r->buf->len;
    d[0] = type;
    for (size_t i = 0; i < n; i++) d[1 + i] = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
    d[n + 1] = '\r';
    d[n + 2] = '\n';
    r->buf->len += n + 3;
}

static void write_value(lua_State *L, struct reply *r, int sresp, int depth);

/* {double=n} as Redis 7.0's addReplyDouble prints it: "inf"/"-inf", else
 * %.17g (so NaN is "-nan" or "nan" as libc has it) — a bulk for RESP2. */
static void write_double(struct reply *r, double d)
{
    char buf[64];
    int n;
    if (isinf(d)) n = snprintf(buf, sizeof(buf), "%s", d > 0 ? "inf" : "-inf");
    else n = snprintf(buf, sizeof(buf), "%.17g", d);
    if (r->resp < 3) {
        reply_bulk(r, buf, (size_t)n);
        return;
    }
    obuf_reserve(r->buf, (size_t)n + 3);
    r->buf->data[r->buf->len++] = ',';
    memcpy(r->buf->data + r->buf->len, buf, (size_t)n);
    r->buf->len += (size_t)n;
    r->buf->data[r->buf->len++] = '\r';
    r->buf->data[r->buf->len++] = '\n';
}

/* Pushes t[field] (raw) and says whether it has type `type`; pops it if not. */
static bool field_is(lua_State *L, const char *field, int type)
{
    lua_pushstring(L, field);
    lua_rawget(L, -2);
    if (lua_type(L, -1) == type) return true;
    lua_pop(L, 1);
    return false;
}

static void write_error_field(lua_State *L, struct reply *r)
{
    size_t n;
    const char *msg = lua_tolstring(L, -1, &n);
    lua_pushstring(L, "ignore_error_stats_update");
    lua_rawget(L, -3);
    bool counted = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_conv_error_reply(r, msg, n, counted);
}

/* {verbatim_string={format=, string=}}; false if the inner table lacks them. */
static bool write_verbatim(lua_State *L, struct reply *r)
{
    if (!field_is(L, "format", LUA_TSTRING)) return false;
    const char *fmt = lua_tostring(L, -1);
    lua_pushstring(L, "string");
    lua_rawget(L, -3);
    if (lua_type(L, -1) != LUA_TSTRING) {
        lua_pop(L, 2);
        return false;
    }
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    /* Exactly three format bytes, blank-padded (addReplyVerbatim). */
    char ext[4] = "   ";
    for (int i = 0; i < 3 && fmt[i]; i++) ext[i] = fmt[i];
    reply_verbatim(r, s, n, ext);
    lua_pop(L, 2);
    return true;
}

static void write_map(lua_State *L, struct reply *r, int sresp, int depth)
{
    size_t at = reply_defer(r);
    long long n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2); /* the key is converted from a copy: lua_next needs it */
        write_value(L, r, sresp, depth + 1);
        write_value(L, r, sresp, depth + 1);
        n++;
    }
    reply_defer_map(r, at, n);
}

static void write_set(lua_State *L, struct reply *r, int sresp, int depth)
{
    size_t at = reply_defer(r);
    long long n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        write_value(L, r, sresp, depth + 1);
        n++;
    }
    reply_defer_set(r, at, n);
}

static void write_array(lua_State *L, struct reply *r, int sresp, int depth)
{
    size_t at = reply_defer(r);
    long long n = 0;
    for (int j = 1;; j++) {
        lua_rawgeti(L, -1, j);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            break;
        }
        write_value(L, r, sresp, depth + 1);
        n++;
    }
    reply_defer_array(r, at, n);
}

/* The table on top; leaves it there. Fields are tried in Redis's order. */
static void write_table(lua_State *L, struct reply *r, int sresp, int depth)
{
    size_t n;
    const char *s;
    if (field_is(L, "err", LUA_TSTRING)) {
        write_error_field(L, r);
    } else if (field_is(L, "ok", LUA_TSTRING)) {
        s = lua_tolstring(L, -1, &n);
        write_line_text(r, '+', s, n, true);
    } else if (field_is(L, "double", LUA_TNUMBER)) {
        write_double(r, lua_tonumber(L, -1));
    } else if (field_is(L, "big_number", LUA_TSTRING)) {
        s = lua_tolstring(L, -1, &n);
        if (r->resp >= 3) {
            write_line_text(r, '(', s, n, false);
        } else {
            /* A bulk for RESP2, with CR/LF mapped as Redis maps its copy. */
            reply_bulk(r, s, n);
            char *d = r->buf->data + r->buf->len - 2 - n;
            for (size_t i = 0; i < n; i++)
                if (d[i] == '\r' || d[i] == '\n') d[i] = ' ';
        }
    } else if (field_is(L, "verbatim_string", LUA_TTABLE) && write_verbatim(L, r)) {
        /* written */
    } else if (field_is(L, "map", LUA_TTABLE)) {
        write_map(L, r, sresp, depth);
    } else if (field_is(L, "set", LUA_TTABLE)) {
        write_set(L, r, sresp, depth);
    } else {
        write_array(L, r, sresp, depth);
        return;
    }
    lua_pop(L, 1);
}

static void write_value(lua_State *L, struct reply *r, int sresp, int depth)
{
    /* ">=": the error itself sits at depth LUA_CONV_MAX_DEPTH, so what is
     * written always parses back. */
    if (depth >= LUA_CONV_MAX_DEPTH || !lua_checkstack(L, 6)) {
        reply_error(r, "ERR reached lua stack limit");
        lua_pop(L, 1);
        return;
    }
    size_t n;
    const char *s;
    switch (lua_type(L, -1)) {
    case LUA_TSTRING:
        s = lua_tolstring(L, -1, &n);
        reply_bulk(r, s, n);
        break;
    case LUA_TBOOLEAN:
        if (sresp == 2) {
            if (lua_toboolean(L, -1)) reply_int(r, 1);
            else reply_null(r);
        } else {
            reply_bool(r, lua_toboolean(L, -1));
        }
        break;
    case LUA_TNUMBER: reply_int(r, number_to_ll(lua_tonumber(L, -1))); break;
    case LUA_TTABLE: write_table(L, r, sresp, depth); break;
    default: reply_null(r); break;
    }
    lua_pop(L, 1);
}

void lua_conv_write_reply(lua_State *L, struct reply *r, int script_resp)
{
    write_value(L, r, script_resp, 0);
}
