/* Regression tests for the Lua CVEs Redis fixed, run on the engine alone
 * (a fake host answers redis.call). Each names its CVE and how it was
 * checked that the test fails without the protection; replies are those
 * of a redis-server 7.0.15 built from source (which has the struct and
 * cmsgpack that Debian's build lacks) unless a comment says otherwise.
 * The huge-input cases are meant for the ASan build as well. */
#include <criterion/criterion.h>

#include "ringkv/proto/reply.h"
#include "ringkv/script/script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct script_engine *E;
static struct obuf HOST_REPLY; /* what every redis.call answers */
static char SHA[41];

static enum script_call fake_call(void *ud, int argc, const char *const *argv, const size_t *lens, int resp,
                                  struct obuf *out)
{
    obuf_append(out, HOST_REPLY.data, HOST_REPLY.len);
    return SCRIPT_CALL_OK;
}

static void setup(void)
{
    E = script_engine_create();
    obuf_init(&HOST_REPLY);
    obuf_append(&HOST_REPLY, "+OK\r\n", 5);
}

static void teardown(void)
{
    script_engine_destroy(E);
    obuf_free(&HOST_REPLY);
}

TestSuite(security, .init = setup, .fini = teardown);

/* Loads and runs body; returns its reply (malloc'd, NUL-terminated). */
static char *run(const char *body)
{
    struct obuf err, out;
    obuf_init(&err);
    obuf_init(&out);
    bool ok = script_load(E, body, strlen(body), SHA, &err);
    cr_assert(ok, "load failed: %.*s", (int)err.len, err.data);
    struct script_call_args a = {.sha = SHA, .client_resp = 2};
    struct script_host h = {.call = fake_call};
    cr_assert_eq(script_run(E, &a, &h, &out), SCRIPT_DONE);
    char *s = malloc(out.len + 1);
    memcpy(s, out.data ? out.data : "", out.len);
    s[out.len] = '\0';
    obuf_free(&err);
    obuf_free(&out);
    return s;
}

static void expect(const char *body, const char *reply)
{
    char *got = run(body);
    cr_expect_str_eq(got, reply, "%s\n got: %s\nwant: %s", body, got, reply);
    free(got);
}

/* A runtime error raised on line 1: "-ERR user_script:1: <msg> script: ..." */
static void expect_error(const char *body, const char *msg)
{
    char want[512];
    char *got = run(body);
    snprintf(want, sizeof(want), "-ERR user_script:1: %s script: %s, on @user_script:1.\r\n", msg, SHA);
    cr_expect_str_eq(got, want, "%s\n got: %s\nwant: %s", body, got, want);
    free(got);
}

/* ---- CVE-2022-0543: no way out of the sandbox ----
 * Debian's Lua left `package` reachable in Redis; here it is not on the
 * allow list. Bytecode: Redis's Lua parses every chunk as text; Debian's
 * loads it (checked: before lua_guards.c's loadstring/load wrappers the
 * first case returned 1). */

Test(security, cve_2022_0543_no_package)
{
    expect_error("return package", "Script attempted to access nonexistent global variable 'package'");
    expect_error("return package.loadlib('/lib/x86_64-linux-gnu/libc.so.6', 'luaopen_os')",
                 "Script attempted to access nonexistent global variable 'package'");
    expect_error("return require('os')", "Script attempted to access nonexistent global variable 'require'");
    expect_error("return module('x')", "Script attempted to access nonexistent global variable 'module'");
    expect_error("return dofile('/etc/passwd')", "Script attempted to access nonexistent global variable 'dofile'");
}

Test(security, cve_2022_0543_no_bytecode)
{
    expect_error("return loadstring(string.dump(function() return 1 end))()", "attempt to call a nil value");
    expect("local f, e = loadstring(string.dump(function() return 1 end)) return e",
           "$53\r\n[string \"\x1bLuaQ\"]:1: unexpected symbol near 'char(27)'\r\n");
    expect("local f, e = loadstring('\\27' .. 'x', '=name') return e",
           "$41\r\nname:1: unexpected symbol near 'char(27)'\r\n");
    expect("local s, n = string.dump(function() return 1 end), 0\n"
           "local f, e = load(function() n = n + 1 if n == 1 then return s end end)\n"
           "return {tostring(f), e}",
           "*2\r\n$3\r\nnil\r\n$43\r\n(load):1: unexpected symbol near 'char(27)'\r\n");
    /* Text still loads, in one piece or many. */
    expect("return loadstring('return 7')()", ":7\r\n");
    expect("local n = 0\n"
           "return load(function() n = n + 1 if n == 1 then return 'return ' elseif n == 2 then return '5' end end)()",
           ":5\r\n");
}

/* ---- CVE-2021-32626: big replies and arguments vs the Lua stack ----
 * Redis grew the Lua stack before pushing each element; lua_conv.c does
 * lua_checkstack per element: without it the 100000-element replies would
 * overrun the Lua stack (not re-checked by removal: lua_conv.c is not
 * this change's). */

Test(security, cve_2021_32626_big_table_reply)
{
    char *got = run("local t = {} for i = 1, 100000 do t[i] = i end return t");
    cr_assert_eq(strncmp(got, "*100000\r\n:1\r\n:2\r\n", 17), 0);
    cr_assert(strstr(got, ":100000\r\n") != NULL);
    free(got);
}

Test(security, cve_2021_32626_big_call_reply)
{
    HOST_REPLY.len = 0;
    obuf_append(&HOST_REPLY, "*100000\r\n", 9);
    for (int i = 0; i < 100000; i++) obuf_append(&HOST_REPLY, "$1\r\nx\r\n", 7);
    expect("local r = redis.call('lrange', 'l', 0, -1) return #r", ":100000\r\n");
    expect("return #redis.call('lrange', 'l', 0, -1)", ":100000\r\n");
}

Test(security, cve_2021_32626_unpack_as_arguments)
{
    expect_error("local t = {} for i = 1, 100000 do t[i] = i end return redis.call('rpush', 'l', unpack(t))",
                 "too many results to unpack");
    /* What fits the stack goes through. */
    expect("local t = {} for i = 1, 7000 do t[i] = i end return redis.call('rpush', 'l', unpack(t))", "+OK\r\n");
}

/* ---- CVE-2020-14147: struct sizes ----
 * Without getnum's overflow test 'i4294967297' wraps to 1 and packs one
 * byte instead of failing; without need_data the c2147483647 unpack reads
 * past the data (an ASan report). */

Test(security, cve_2020_14147_struct)
{
    expect_error("return struct.pack('i4294967297', 1)", "integral size overflow");
    expect_error("return struct.unpack('i9999999999', 'abc')", "integral size overflow");
    expect_error("return struct.size('c99999999999')", "integral size overflow");
    expect_error("return struct.pack('!99999999999', 1)", "integral size overflow");
    expect_error("return struct.unpack('i33', string.rep('a', 40))", "integral size 33 is larger than limit of 32");
    expect_error("return struct.unpack('c2147483647', 'abc')", "bad argument #2 to 'unpack' (data string too short)");
    expect_error("return struct.unpack('>I4', 'abc')", "bad argument #2 to 'unpack' (data string too short)");
    expect_error("return struct.unpack('>I2', 'abcdef', -1)", "bad argument #2 to 'unpack' (data string too short)");
    expect_error("return struct.unpack('b c0', '\\127abc')", "bad argument #2 to 'unpack' (data string too short)");
    expect_error("return struct.unpack('b c0', '\\255abc')", "bad argument #2 to 'unpack' (data string too short)");
    /* Big but legal sizes work: the low 8 bytes carry the value. */
    expect("return struct.pack('>I16', 1) == string.rep('\\0', 15) .. '\\1'", ":1\r\n");
    expect("return {struct.unpack('>i16', string.rep('\\255', 16))}", "*2\r\n:-1\r\n:17\r\n");
}

/* ---- CVE-2018-11218 / 11219: cmsgpack ----
 * Without decode_value's luaL_checkstack, 100000 values overrun the Lua
 * stack instead of failing with Redis's error. buf_grow's size check only
 * matters near SIZE_MAX/2, so the big round trip below covers the growth
 * itself. */

Test(security, cve_2018_11218_cmsgpack_stack)
{
    const char *too_many = "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)";
    expect_error("return cmsgpack.unpack(string.rep('\\1', 100000))", too_many);
    expect_error("return cmsgpack.unpack(string.rep('\\129\\1', 5000) .. '\\1')", too_many);
    expect_error("return #cmsgpack.unpack(string.rep('\\145', 100000))",
                 "stack overflow (in function mp_decode_to_lua_array)");
    expect("return #{cmsgpack.unpack(string.rep('\\1', 7990))}", ":7990\r\n");
    /* Lengths that promise more than the input holds. */
    expect_error("return cmsgpack.unpack('\\221\\255\\255\\255\\255')", "Missing bytes in input.");
    expect_error("return cmsgpack.unpack('\\219\\255\\255\\255\\255abc')", "Missing bytes in input.");
    expect_error("return cmsgpack.unpack('\\223\\255\\255\\255\\255\\1')", "Missing bytes in input.");
}

Test(security, cve_2018_11219_cmsgpack_buffer)
{
    expect("local s = string.rep('x', 1000000) local t = {}\n"
           "for i = 1, 100 do t[i] = s end\n"
           "local p = cmsgpack.pack(t, t)\n"
           "local a, b = cmsgpack.unpack(p)\n"
           "return {#p, #a, a[100] == s and 1 or 0, #b}",
           "*4\r\n:200001006\r\n:100\r\n:1\r\n:100\r\n");
    /* Cycles end at 16 levels instead of recursing without end. */
    expect("local a = {} a[1] = a return #cmsgpack.pack(a)", ":17\r\n");
}

/* ---- CVE-2024-31449: bit.tohex ----
 * Debian's lua-bitop (and Redis 7.0.15, fixed in 7.0.16/7.2.6) negates
 * INT_MIN and writes far outside an 8-byte buffer: the server dies. The
 * answers follow Redis's fix (n clamped to INT_MIN + 1). Checked: Debian's
 * tohex, called with the first case's arguments, dies with SIGSEGV. */

Test(security, cve_2024_31449_tohex)
{
    expect("return bit.tohex(65, -2147483648)", "$8\r\n00000041\r\n");
    expect("return bit.tohex(65, 2147483648)", "$8\r\n00000041\r\n");
    expect("return bit.tohex(-1, -2147483648)", "$8\r\nFFFFFFFF\r\n");
    expect("return bit.tohex(65, -2147483647)", "$8\r\n00000041\r\n");
    expect("return {bit.tohex(65), bit.tohex(65, 3), bit.tohex(65, -3), bit.tohex(65, 0), bit.tohex(2^40 + 255, 4)}",
           "*5\r\n$8\r\n00000041\r\n$3\r\n041\r\n$3\r\n041\r\n$0\r\n\r\n$4\r\n00ff\r\n");
}

/* ---- CVE-2022-24834: cjson.encode sizes ----
 * Debian's lua-cjson 2.1.0 sizes its buffer in int: a string over ~358 MB
 * reserves a wrapped (negative) size and writes past the buffer; a sparse
 * array of 2^31 holes overflows its length. Redis 7.0.15 encodes both
 * (its strbuf is size_t); ringkv refuses what could pass 1 GiB. Checked:
 * Debian's cjson.encode, called with the first case's string, dies with
 * SIGSEGV; the sparse case overflows its int length past 2^31 bytes. */

#define TOO_LARGE "Cannot serialise, output too large (over 1 GiB)"

Test(security, cve_2022_24834_cjson_huge_string, .timeout = 60)
{
    expect_error("return cjson.encode(string.rep('a', 357913942))", TOO_LARGE);
    expect_error("return cjson.encode({x = {string.rep('\\1', 200000000)}})", TOO_LARGE);
}

Test(security, cve_2022_24834_cjson_sparse_holes, .timeout = 60)
{
    /* Within bounds, cjson as before, its errors at the script's line. */
    expect("return cjson.encode({1, 2, {a = 'x\\1'}})", "$21\r\n[1,2,{\"a\":\"x\\u0001\"}]\r\n");
    expect("return #cjson.encode(string.rep('\\1', 1000000))", ":6000002\r\n");
    expect_error("return cjson.encode({[20] = 1})", "Cannot serialise table: excessively sparse array");
    expect_error("cjson.encode_max_depth(2) return cjson.encode({{{1}}})", "Cannot serialise, excessive nesting (3)");
    expect_error("return cjson.encode()", "bad argument #1 to 'encode' (expected 1 argument)");
    /* Ratio 0 turns the sparse check off: every hole would be a null. */
    expect_error("cjson.encode_max_depth(1000) cjson.encode_sparse_array(false, 0) "
                 "return cjson.encode({[2147483647] = 1})",
                 TOO_LARGE);
    expect("return cjson.encode({[20] = 1}):sub(1, 10)", "$10\r\n[null,null\r\n");
}

/* ---- CVE-2024-46981: SCRIPT FLUSH with live Lua objects ----
 * Redis 7.0.15 could run a __gc finalizer (newproxy, which ringkv does not
 * expose) on a freed VM. Here a flush closes the state and opens a new
 * one: nothing from the old state may survive or be reached. Were the old
 * lua_State kept, the setting made before the flush would survive and the
 * last expect fail; the loop runs clean under ASan (detect_leaks=1). */

Test(security, cve_2024_46981_flush_with_live_objects)
{
    for (int i = 0; i < 50; i++) {
        expect("local t = setmetatable({}, {__gc = function() redis.call('set', 'x', 'y') end, __mode = 'k'})\n"
               "t[t] = function() return redis.call('get', 'x') end\n"
               "cjson.encode_keep_buffer(true)\n"
               "cjson.encode_max_depth(1)\n"
               "local p = cmsgpack.pack({t = 1, s = string.rep('z', 1000)})\n"
               "collectgarbage()\n"
               "return #p > 1000",
               ":1\r\n");
        script_flush(E);
    }
    expect("return cjson.encode({{1}})", "$5\r\n[[1]]\r\n");
}
