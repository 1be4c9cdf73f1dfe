/* lua_struct.c — the `struct` library Redis 7.0.15 gives scripts:
 * struct.pack(fmt, ...), struct.unpack(fmt, data [, pos]), struct.size(fmt)
 * with the format language of Roberto Ierusalimschy's struct as Redis
 * bundles it, quirks included, so scripts get the same bytes and errors:
 *
 *   > <        big / little endian        ![n]  alignment (power of 2)
 *   b B h H    char, short (signed/unsigned)
 *   l L T      long, size_t                i[n] I[n] n-byte int (n <= 32)
 *   f d        float, double               x     one zero byte
 *   c[n]       n chars; c0 packs the whole string and unpacks as many
 *              chars as the number just unpacked
 *   s          zero-terminated string      ' '   ignored
 *
 * CVE-2020-14147: a size in the format could overflow an int and unpack
 * then read past the data. As in 7.0.15, sizes are parsed with an overflow
 * check (getnum) and every read is checked against the data (need_data).
 */
#include "ringkv/script/lua_libs.h"

#include <ctype.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MAXINTSIZE 32

/* '!' alone aligns as the C compiler aligns a double in a struct. */
struct align_probe {
    char c;
    double d;
};
#define PADDING offsetof(struct align_probe, d)
#define MAXALIGN (PADDING > sizeof(int) ? PADDING : sizeof(int))

enum { BIG, LITTLE };

struct header {
    int endian;
    int align;
};

static int native_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one ? LITTLE : BIG;
}

/* A decimal size after an option, or df if none; CVE-2020-14147's guard:
 * a size that does not fit an int is an error, not a wrapped number. */
static int getnum(lua_State *L, const char **fmt, int df)
{
    if (!isdigit((unsigned char)**fmt)) return df;
    int a = 0;
    do {
        int d = *(*fmt)++ - '0';
        if (a > (INT_MAX - d) / 10) luaL_error(L, "integral size overflow");
        a = a * 10 + d;
    } while (isdigit((unsigned char)**fmt));
    return a;
}

/* Bytes an option takes (0 for those that take a variable amount or
 * none), reading its size from the format. */
static size_t optsize(lua_State *L, int opt, const char **fmt)
{
    switch (opt) {
    case 'B': case 'b': case 'x': return 1;
    case 'H': case 'h': return sizeof(short);
    case 'L': case 'l': return sizeof(long);
    case 'T': return sizeof(size_t);
    case 'f': return sizeof(float);
    case 'd': return sizeof(double);
    case 'c': return (size_t)getnum(L, fmt, 1);
    case 'i': case 'I': {
        int sz = getnum(L, fmt, sizeof(int));
        if (sz > MAXINTSIZE) luaL_error(L, "integral size %d is larger than limit of %d", sz, MAXINTSIZE);
        return (size_t)sz;
    }
    default: return 0;
    }
}

/* Padding before an item of `size` bytes at offset len (sizes are
 * assumed powers of 2, as the original assumes). */
static size_t gettoalign(size_t len, const struct header *h, int opt, size_t size)
{
    if (size == 0 || opt == 'c') return 0;
    if (size > (size_t)h->align) size = (size_t)h->align;
    return (size - (len & (size - 1))) & (size - 1);
}

/* Whether opt stands for data (the rest control the layout). */
static bool is_item(int opt)
{
    return opt > 0 && strchr("bBhHlLTiIxfdcs", opt) != NULL;
}

/* The options that are not items: endianness, alignment, space. */
static void controloptions(lua_State *L, int opt, const char **fmt, struct header *h)
{
    switch (opt) {
    case ' ': return;
    case '>': h->endian = BIG; return;
    case '<': h->endian = LITTLE; return;
    case '!': {
        int a = getnum(L, fmt, (int)MAXALIGN);
        if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
        h->align = a;
        return;
    }
    default: luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
    }
}

/* A double converted to a 64-bit unsigned as C does on x86-64 (gcc's
 * code for (unsigned long)d), defined for every input: what Redis's
 * conversions give out of range (NaN and below -2^63: 2^63; 2^64 and
 * beyond: 0; negatives wrap). */
static uint64_t c_double_to_u64(lua_Number d)
{
    const lua_Number two63 = 9223372036854775808.0;
    if (d != d || d < -two63) return (uint64_t)1 << 63;
    if (d < two63) return (uint64_t)(int64_t)d;
    if (d < 2 * two63) return (uint64_t)(int64_t)(d - two63) ^ ((uint64_t)1 << 63);
    return 0;
}

static void putinteger(lua_State *L, luaL_Buffer *b, int arg, int endian, size_t size)
{
    uint64_t value = c_double_to_u64(luaL_checknumber(L, arg));
    char buf[MAXINTSIZE];
    for (size_t i = 0; i < size; i++) {
        buf[endian == LITTLE ? i : size - 1 - i] = (char)(value & 0xff);
        value = i < 7 ? value >> 8 : 0; /* bytes past the 8th are zero */
    }
    luaL_addlstring(b, buf, size);
}

/* Puts native-order bytes in the format's order (or back). */
static void correctbytes(char *b, size_t size, int endian)
{
    if (endian == native_endian() || size == 0) return;
    for (size_t i = 0, j = size - 1; i < j; i++, j--) {
        char t = b[i];
        b[i] = b[j];
        b[j] = t;
    }
}

/* One item of struct.pack; returns the bytes it added. */
static size_t pack_item(lua_State *L, luaL_Buffer *b, int opt, size_t size, int *arg, const struct header *h)
{
    switch (opt) {
    case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
        putinteger(L, b, (*arg)++, h->endian, size);
        return size;
    case 'x': luaL_addchar(b, '\0'); return size;
    case 'f': {
        float f = (float)luaL_checknumber(L, (*arg)++);
        correctbytes((char *)&f, size, h->endian);
        luaL_addlstring(b, (char *)&f, size);
        return size;
    }
    case 'd': {
        double d = luaL_checknumber(L, (*arg)++);
        correctbytes((char *)&d, size, h->endian);
        luaL_addlstring(b, (char *)&d, size);
        return size;
    }
    case 'c': case 's': {
        size_t l;
        const char *s = luaL_checklstring(L, (*arg)++, &l);
        if (size == 0) size = l;
        /* The argument number is one past the string's: the original's. */
        luaL_argcheck(L, l >= size, *arg, "string too short");
        luaL_addlstring(b, s, size);
        if (opt == 's') {
            luaL_addchar(b, '\0');
            size++;
        }
        return size;
    }
    default: return 0;
    }
}

static int b_pack(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    struct header h = {native_endian(), 1};
    int arg = 2;
    size_t total = 0;
    luaL_Buffer b;
    lua_pushnil(L); /* keeps the buffer's slots above the arguments */
    luaL_buffinit(L, &b);
    while (*fmt) {
        int opt = *fmt++;
        size_t size = optsize(L, opt, &fmt);
        size_t pad = gettoalign(total, &h, opt, size);
        total += pad;
        while (pad-- > 0) luaL_addchar(&b, '\0');
        if (is_item(opt)) total += pack_item(L, &b, opt, size, &arg, &h);
        else controloptions(L, opt, &fmt, &h);
    }
    luaL_pushresult(&b);
    return 1;
}

/* CVE-2020-14147's other half: nothing is read outside the data. */
static void need_data(lua_State *L, size_t pos, size_t size, size_t ld)
{
    luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
}

/* An integer of `size` bytes. Above 8 bytes only the low 8 count, and the
 * sign mask is shifted by (size*8-1) mod 64: what the original's shift by
 * size*8-1 does on x86-64 and arm64. */
static lua_Number getinteger(const char *buf, int endian, int issigned, size_t size)
{
    uint64_t l = 0;
    for (size_t i = 0; i < size; i++) l = (l << 8) | (unsigned char)buf[endian == BIG ? i : size - 1 - i];
    if (!issigned) return (lua_Number)l;
    uint64_t mask = ~(uint64_t)0 << ((size * 8 - 1) & 63);
    if (l & mask) l |= mask;
    return (lua_Number)(int64_t)l;
}

/* 'c0': the previous result gives the length. */
static size_t c0_size(lua_State *L, int *n, size_t pos, size_t ld)
{
    if (*n == 0 || !lua_isnumber(L, -1)) luaL_error(L, "format 'c0' needs a previous size");
    size_t size = (size_t)c_double_to_u64(lua_tonumber(L, -1));
    lua_pop(L, 1);
    (*n)--;
    need_data(L, pos, size, ld);
    return size;
}

/* One item of struct.unpack at data+pos; returns its size. */
static size_t unpack_item(lua_State *L, int opt, size_t size, const char *data, size_t pos, size_t ld, int *n,
                          const struct header *h)
{
    switch (opt) {
    case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
        lua_pushnumber(L, getinteger(data + pos, h->endian, islower(opt), size));
        break;
    case 'x': return size;
    case 'f': {
        float f;
        memcpy(&f, data + pos, sizeof(f));
        correctbytes((char *)&f, sizeof(f), h->endian);
        lua_pushnumber(L, f);
        break;
    }
    case 'd': {
        double d;
        memcpy(&d, data + pos, sizeof(d));
        correctbytes((char *)&d, sizeof(d), h->endian);
        lua_pushnumber(L, d);
        break;
    }
    case 'c':
        if (size == 0) size = c0_size(L, n, pos, ld);
        lua_pushlstring(L, data + pos, size);
        break;
    case 's': {
        const char *e = memchr(data + pos, '\0', ld - pos);
        if (!e) luaL_error(L, "unfinished string in data");
        size = (size_t)(e - (data + pos)) + 1;
        lua_pushlstring(L, data + pos, size - 1);
        break;
    }
    default: return 0;
    }
    (*n)++;
    return size;
}

static int b_unpack(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    size_t ld;
    const char *data = luaL_checklstring(L, 2, &ld);
    size_t pos = (size_t)luaL_optinteger(L, 3, 1); /* negative: huge, too short */
    luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
    pos--;
    struct header h = {native_endian(), 1};
    int n = 0;
    while (*fmt) {
        int opt = *fmt++;
        size_t size = optsize(L, opt, &fmt);
        pos += gettoalign(pos, &h, opt, size);
        need_data(L, pos, size, ld);
        luaL_checkstack(L, 2, "too many results");
        if (is_item(opt)) pos += unpack_item(L, opt, size, data, pos, ld, &n, &h);
        else controloptions(L, opt, &fmt, &h);
    }
    lua_pushinteger(L, (lua_Integer)(pos + 1));
    return n + 1;
}

static int b_size(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    struct header h = {native_endian(), 1};
    size_t pos = 0;
    while (*fmt) {
        int opt = *fmt++;
        size_t size = optsize(L, opt, &fmt);
        pos += gettoalign(pos, &h, opt, size);
        if (opt == 's') luaL_argerror(L, 1, "option 's' has no fixed size");
        else if (opt == 'c' && size == 0) luaL_argerror(L, 1, "option 'c0' has no fixed size");
        /* Unknown letters are skipped here, as in the original. */
        if (!isalnum((unsigned char)opt)) controloptions(L, opt, &fmt, &h);
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos);
    return 1;
}

int luaopen_struct(lua_State *L)
{
    static const luaL_Reg funcs[] = {{"pack", b_pack}, {"unpack", b_unpack}, {"size", b_size}, {NULL, NULL}};
    lua_newtable(L);
    luaL_register(L, NULL, funcs);
    return 1;
}
