/* test_script_security.c — the scripting CVE regressions over the wire,
 * and the struct and cmsgpack libraries, against Redis 7.0.15's replies:
 *   sandbox   no package/require/loadlib, no bytecode (CVE-2022-0543);
 *   stack     100000-element replies, 100000-element redis.call replies
 *             (LRANGE), unpack of a big table as arguments (CVE-2021-32626);
 *   struct    round trips, alignment, size overflow and short data
 *             (CVE-2020-14147);
 *   cmsgpack  encodings, round trips, unpack_one/unpack_limit, nesting,
 *             hostile lengths and counts (CVE-2018-11218/11219);
 *   flush     SCRIPT FLUSH between scripts holding Lua objects, in a loop
 *             (CVE-2024-46981).
 * Debian's redis-server has neither struct nor cmsgpack (and crashes on
 * bit.tohex(x, INT_MIN), CVE-2024-31449, fixed after 7.0.15): against a
 * Redis without them the library tests skip; they were checked against a
 * 7.0.15 built from source (RINGKV_SERVER=.../src/redis-server). The
 * bit.tohex and cjson.encode size cases are unit tests (test_security.c),
 * as Redis 7.0 gives no answer to compare with there. */
#include "harness.h"

#include <stdio.h>
#include <string.h>

static redisReply *eval(redisContext *c, const char *script)
{
    return ts_cmd(c, "EVAL %s 0", script);
}

/* Skips the test against a Redis built without the bundled libraries. */
static void need_libs(redisContext *c)
{
    redisReply *r = eval(c, "return type(cmsgpack) .. type(struct)");
    bool have = r->type == REDIS_REPLY_STRING && strcmp(r->str, "tabletable") == 0;
    freeReplyObject(r);
    if (!have && ts_is_redis()) cr_skip("this redis-server has no struct/cmsgpack (Debian's build)");
    cr_assert(have, "struct and cmsgpack must be loaded");
}

/* An error reply that starts with prefix (the sha suffix follows). */
static void assert_error_prefix(redisReply *r, const char *prefix)
{
    bool ok = r->type == REDIS_REPLY_ERROR && strncmp(r->str, prefix, strlen(prefix)) == 0;
    char got[512];
    ts_reply_describe(r, got, sizeof(got));
    freeReplyObject(r);
    cr_assert(ok, "want an error starting %s, got %s", prefix, got);
}

#define NOGLOBAL "ERR user_script:1: Script attempted to access nonexistent global variable "

/* ---- CVE-2022-0543 ---- */

TS_TEST(script_security, no_package_no_bytecode)
{
    redisContext *c = ts_connect(g_server);
    assert_error_prefix(eval(c, "return package"), NOGLOBAL "'package'");
    assert_error_prefix(eval(c, "return package.loadlib('/lib/x86_64-linux-gnu/liblua5.1.so.0', 'luaopen_package')"),
                        NOGLOBAL "'package'");
    assert_error_prefix(eval(c, "return require('io')"), NOGLOBAL "'require'");
    assert_error_prefix(eval(c, "return loadfile('/etc/passwd')"), NOGLOBAL "'loadfile'");
    assert_error_prefix(eval(c, "return loadstring(string.dump(function() return 1 end))()"),
                        "ERR user_script:1: attempt to call a nil value");
    ts_assert_bulk(eval(c, "local f, e = loadstring('\\27' .. 'abc') return e"),
                   "[string \"\x1b" "abc\"]:1: unexpected symbol near 'char(27)'");
    ts_assert_int(eval(c, "return loadstring('return 3')()"), 3);
    redisFree(c);
}

/* ---- CVE-2021-32626 ---- */

TS_TEST(script_security, big_replies)
{
    redisContext *c = ts_connect(g_server);
    redisReply *r = eval(c, "local t = {} for i = 1, 100000 do t[i] = i end return t");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 100000);
    cr_assert_eq(r->element[99999]->integer, 100000);
    freeReplyObject(r);
    /* A 100000-element list read into Lua and returned whole. */
    ts_assert_int(eval(c, "for i = 1, 100000, 1000 do local t = {} for j = i, i + 999 do t[#t + 1] = j end\n"
                          "redis.call('rpush', 'biglist', unpack(t)) end return redis.call('llen', 'biglist')"),
                  100000);
    ts_assert_int(eval(c, "return #redis.call('lrange', 'biglist', 0, -1)"), 100000);
    r = ts_cmd(c, "EVAL %s 1 biglist", "return redis.call('lrange', KEYS[1], 0, -1)");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 100000);
    cr_assert_str_eq(r->element[99999]->str, "100000");
    freeReplyObject(r);
    assert_error_prefix(eval(c, "local t = {} for i = 1, 100000 do t[i] = i end return redis.call('del', unpack(t))"),
                        "ERR user_script:1: too many results to unpack");
    ts_assert_int(ts_cmd(c, "EVAL %s 1 bigset",
                         "local t = {} for i = 1, 5000 do t[i] = i end return redis.call('sadd', KEYS[1], unpack(t))"),
                  5000);
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    redisFree(c);
}

/* ---- struct (CVE-2020-14147) and cmsgpack (CVE-2018-11218/11219) ----
 * Each expression's results, strings in hex, joined by spaces (show() in
 * the prelude), or its error without the " script: ..." suffix, as
 * redis-server 7.0.15 (built from source) answers. */

static const char prelude[] =
    "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end\n"
    "local function show(...) local o = {}\n"
    "  for i = 1, select('#', ...) do local v = select(i, ...)\n"
    "    o[#o + 1] = type(v) == 'string' and hex(v) or tostring(v) end\n"
    "  return table.concat(o, ' ') end\n"
    "return show(";

struct lib_case {
    const char *expr;
    const char *want;
};

static const struct lib_case lib_cases[] = {
    {"struct.pack('>I2 <i4 c3 s B', 513, -2, 'abc', 'de', 255)", "0201feffffff616263646500ff"},
    {"struct.unpack('>I2 <i4 c3 s B', struct.pack('>I2 <i4 c3 s B', 513, -2, 'abc', 'de', 255))",
     "513 -2 616263 6465 255 14"},
    {"struct.pack('<b B h H l L T', -1, 255, -2, 65535, -3, 5, 7)",
     "fffffefffffffdffffffffffffff05000000000000000700000000000000"},
    {"struct.unpack('<b B h H l L T', struct.pack('<b B h H l L T', -1, 255, -2, 65535, -3, 5, 7))",
     "-1 255 -2 65535 -3 5 7 31"},
    {"struct.pack('>f <d', 1.5, -0.25)", "3fc00000000000000000d0bf"},
    {"struct.unpack('>f <d', struct.pack('>f <d', 1.5, -0.25))", "1.5 -0.25 13"},
    {"struct.pack('!4 b i !8 b d', 1, 2, 3, 4.5)", "010000000200000003000000000000000000000000001240"},
    {"struct.unpack('!4 b i !8 b d', struct.pack('!4 b i !8 b d', 1, 2, 3, 4.5))", "1 2 3 4.5 25"},
    {"struct.size('!4 b i !8 b d')", "24"},
    {"struct.size('>i3 x c10 h')", "16"},
    {"struct.pack('>I16', 1)", "00000000000000000000000000000001"},
    {"struct.pack('<i9', -2)", "feffffffffffffff00"},
    {"struct.unpack('>i9', '\\0\\0\\0\\0\\0\\0\\0\\0\\128')", "-128 10"},
    {"struct.unpack('<i12', string.rep('\\255', 12))", "-1 13"},
    {"struct.unpack('>I0 x', 'ab')", "0 2"},
    {"struct.pack('c0 c2 x', 'hello', 'xyz')", "68656c6c6f787900"},
    {"struct.unpack('b c0 s', '\\3abcde\\0z')", "616263 6465 8"},
    {"struct.unpack('c1 c0', '3abcd')", "616263 5"},
    {"struct.unpack('>I2', 'abcdef', 5)", "25958 7"},
    {"struct.pack('<L', 2^64)", "0000000000000000"},
    {"struct.pack('<L', -1/0)", "0000000000000080"},
    {"struct.pack('<l', -2^64)", "0000000000000080"},
    {"struct.pack('>i', 2^40)", "00000000"},
    {"struct.pack('i4294967297', 1)", "ERR user_script:1: integral size overflow"},
    {"struct.unpack('i9999999999', 'abc')", "ERR user_script:1: integral size overflow"},
    {"struct.size('c99999999999')", "ERR user_script:1: integral size overflow"},
    {"struct.unpack('i33', string.rep('a', 40))", "ERR user_script:1: integral size 33 is larger than limit of 32"},
    {"struct.unpack('c2147483647', 'abc')", "ERR user_script:1: bad argument #2 to 'unpack' (data string too short)"},
    {"struct.unpack('>I4', 'abc')", "ERR user_script:1: bad argument #2 to 'unpack' (data string too short)"},
    {"struct.unpack('>I2', 'abcdef', 0)",
     "ERR user_script:1: bad argument #3 to 'unpack' (offset must be 1 or greater)"},
    {"struct.unpack('>I2', 'abcdef', -1)", "ERR user_script:1: bad argument #2 to 'unpack' (data string too short)"},
    {"struct.unpack('b c0', '\\255abc')", "ERR user_script:1: bad argument #2 to 'unpack' (data string too short)"},
    {"struct.unpack('c0', 'abc')", "ERR user_script:1: format 'c0' needs a previous size"},
    {"struct.unpack('s', 'abc')", "ERR user_script:1: unfinished string in data"},
    {"struct.pack('z', 1)", "ERR user_script:1: bad argument #1 to 'pack' (invalid format option 'z')"},
    {"struct.size('z')", "0"},
    {"struct.size('s')", "ERR user_script:1: bad argument #1 to 'size' (option 's' has no fixed size)"},
    {"struct.size('c0')", "ERR user_script:1: bad argument #1 to 'size' (option 'c0' has no fixed size)"},
    {"struct.size('!3')", "ERR user_script:1: alignment 3 is not a power of 2"},
    {"struct.pack('c9', 'hello')", "ERR user_script:1: bad argument #3 to 'pack' (string too short)"},
    {"struct.pack('i', 'x')", "ERR user_script:1: bad argument #2 to 'pack' (number expected, got string)"},
    {"cmsgpack.pack(0.1)", "cb3fb999999999999a"},
    {"cmsgpack.pack(-1099511627776)", "d3ffffff0000000000"},
    {"cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 2^32-1, 2^32, 2^53, -32, -33, -128, -129, -32768, -32769, -2^31, -2^31-1, -2^53)",
     "01ff7fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000cf0020000000000000e0d0dfd080d1ff"
     "7fd18000d2ffff7fffd280000000d3ffffffff7fffffffd3ffe0000000000000"},
    {"cmsgpack.pack(2^63, -2^63, 2^64, 1.5, 1/0, -1/0, 1e300, 1e-45, -0.0)",
     "ca5f000000d38000000000000000ca5f800000ca3fc00000ca7f800000caff800000cb7e37e43c8800759ccb3696d601ad376ab900"},
    {"cmsgpack.pack({}, {1,2,3}, {[1]=1,[3]=3}, {[0]=1}, {[1.5]=2})", "9093010203820101030381000181ca3fc0000002"},
    {"cmsgpack.pack(true, false, nil, 'x', function() end)", "c3c2c0a178c0"},
    {"cmsgpack.pack(string.rep('x', 31), string.rep('y', 32))",
     "bf78787878787878787878787878787878787878787878787878787878787878d9207979797979797979797979797979"
     "797979797979797979797979797979797979"},
    {"#cmsgpack.pack(string.rep('x', 255), string.rep('y', 256), string.rep('z', 65535), string.rep('w', 65536))",
     "131595"},
    {"#cmsgpack.pack((function() local t = {} for i = 1, 70000 do t[i] = i end return t end)())", "218553"},
    {"#cmsgpack.pack((function() local t = {} for i = 1, 70000 do t['k' .. i] = i end return t end)())", "697447"},
    {"(function() local a = {y = 5} local b = {x = a} a.x = b return cmsgpack.pack(a) end)()",
     "82a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a179"
     "05a17881a17882a17905a17881a17882a17905a17881a178c0"},
    {"cmsgpack.unpack(cmsgpack.pack(1, 'a', true, false, 1.5, -7, nil))", "1 61 true false 1.5 -7 nil"},
    {"cmsgpack.unpack(cmsgpack.pack({a = {b = {c = {1, 2, {x = 'y'}}}}})).a.b.c[3].x", "79"},
    {"cmsgpack.unpack('')", ""},
    {"cmsgpack.unpack('\\193')", "ERR user_script:1: Bad data format in input."},
    {"cmsgpack.unpack('\\196\\1a')", "ERR user_script:1: Bad data format in input."},
    {"cmsgpack.unpack('\\205\\1')", "ERR user_script:1: Missing bytes in input."},
    {"cmsgpack.unpack('\\217\\3abc')", "616263"},
    {"cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\254')", "-2"},
    {"cmsgpack.unpack('\\208\\128\\209\\128\\0\\210\\128\\0\\0\\0\\204\\200\\205\\200\\0\\206\\200\\0\\0\\0\\224\\255')",
     "-128 -32768 -2147483648 200 51200 3355443200 -32 -1"},
    {"cmsgpack.unpack('\\202\\63\\192\\0\\0\\203\\63\\248\\0\\0\\0\\0\\0\\0')", "1.5 1.5"},
    {"cmsgpack.unpack('\\129\\192\\1')", "ERR table index is nil"},
    {"cmsgpack.unpack_one('\\1\\2\\3')", "1 1"},
    {"cmsgpack.unpack_one('\\1\\2\\3', 2)", "-1 3"},
    {"cmsgpack.unpack_one('\\1\\2\\3', 3)", "-1"},
    {"cmsgpack.unpack_one('\\1\\2\\3', 4)", "ERR user_script:1: Start offset 4 greater than input length 3."},
    {"cmsgpack.unpack_one('\\1\\2\\3', -1)",
     "ERR user_script:1: Invalid request to unpack with offset of -1 and limit of 3."},
    {"cmsgpack.unpack_limit('\\1\\2\\3', 2)", "2 1 2"},
    {"cmsgpack.unpack_limit('\\1\\2\\3', 0)", "1 2 3"},
    {"cmsgpack.unpack_limit('\\1\\2\\3', 5, 1)", "-1 2 3"},
    {"cmsgpack.unpack_limit('\\1\\2\\3', -1)",
     "ERR user_script:1: Invalid request to unpack with offset of 0 and limit of 3."},
    {"cmsgpack.unpack(string.rep('\\1', 100000))",
     "ERR user_script:1: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"},
    {"cmsgpack.unpack(string.rep('\\145', 100000))",
     "ERR user_script:1: stack overflow (in function mp_decode_to_lua_array)"},
    {"cmsgpack.unpack('\\221\\255\\255\\255\\255')", "ERR user_script:1: Missing bytes in input."},
    {"cmsgpack.unpack('\\219\\255\\255\\255\\255abc')", "ERR user_script:1: Missing bytes in input."},
    {"cmsgpack.pack()", "ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)"},
    {"cmsgpack.pack(unpack((function() local t = {} for i = 1, 4001 do t[i] = i end return t end)()))",
     "ERR user_script:1: bad argument #0 to 'pack' (Too many arguments for MessagePack pack.)"},
};

static void check_lib_case(redisContext *c, const struct lib_case *k)
{
    char script[1024];
    snprintf(script, sizeof(script), "%s%s)", prelude, k->expr);
    redisReply *r = eval(c, script);
    char got[2048];
    ts_reply_describe(r, got, sizeof(got));
    bool ok;
    if (r->type == REDIS_REPLY_ERROR) {
        size_t n = strlen(k->want);
        /* The line is the prelude's last: the script's line 6. */
        char want[512];
        snprintf(want, sizeof(want), "%s", k->want);
        char *at = strstr(want, "user_script:1:");
        if (at) at[12] = '6';
        ok = strncmp(r->str, want, n) == 0 && strncmp(r->str + n, " script: ", 9) == 0;
    } else {
        ok = r->type == REDIS_REPLY_STRING && strcmp(r->str, k->want) == 0;
    }
    freeReplyObject(r);
    cr_expect(ok, "%s\n got: %s\nwant: %s", k->expr, got, k->want);
}

TS_TEST(script_security, struct_and_cmsgpack)
{
    redisContext *c = ts_connect(g_server);
    need_libs(c);
    for (size_t i = 0; i < sizeof(lib_cases) / sizeof(lib_cases[0]); i++) check_lib_case(c, &lib_cases[i]);
    /* Read-only, as the other library tables. */
    assert_error_prefix(eval(c, "struct.pack = nil"), "ERR user_script:1: Attempt to modify a readonly table");
    assert_error_prefix(eval(c, "cmsgpack.pack = nil"), "ERR user_script:1: Attempt to modify a readonly table");
    redisFree(c);
}

/* ---- CVE-2024-46981 ----
 * Scripts that leave tables with __gc metatables, closures over
 * redis.call, cjson's kept buffer and a changed cjson setting behind,
 * then SCRIPT FLUSH (both modes), over and over: the server stays up and
 * clean (under ASan), and each flush starts from a new Lua state. */

TS_TEST(script_security, flush_with_live_objects)
{
    redisContext *c = ts_connect(g_server);
    const char *script = "local t = setmetatable({}, {__gc = function() redis.call('incr', 'gc') end, __mode = 'k'})\n"
                         "t[t] = function() return redis.call('get', 'x') end\n"
                         "cjson.encode_keep_buffer(true)\n"
                         "cjson.encode_max_depth(1)\n"
                         "local s = cjson.encode(string.rep('z', 1000))\n"
                         "collectgarbage()\n"
                         "return #s";
    for (int i = 0; i < 40; i++) {
        ts_assert_int(eval(c, script), 1002);
        assert_error_prefix(eval(c, "return cjson.encode({{1}})"),
                            "ERR user_script:1: Cannot serialise, excessive nesting (2)");
        ts_assert_ok(ts_cmd(c, i % 2 ? "SCRIPT FLUSH ASYNC" : "SCRIPT FLUSH"));
        ts_assert_bulk(eval(c, "return cjson.encode({{1}})"), "[[1]]");
    }
    ts_assert_nil(ts_cmd(c, "GET gc"));
    redisFree(c);
}
