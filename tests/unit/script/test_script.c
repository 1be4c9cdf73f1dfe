/* The Lua engine against Redis 7.0.15's answers (taken from redis-server):
 * the cache, compile and run errors, shebang flags, KEYS/ARGV, both
 * conversions in RESP2 and RESP3, redis.call/pcall through a fake host,
 * the read-only sandbox, the uncatchable abort, and hostile replies. */
#include <criterion/criterion.h>

#include "ringkv/proto/reply.h"
#include "ringkv/script/script.h"

#include <stdio.h>
#include <string.h>

/* ---- a fake host: canned replies, recorded arguments ---- */

struct fake {
    const char *reply; /* RESP bytes every call answers (NULL: +OK) */
    size_t reply_len;  /* 0: strlen(reply) */
    bool abort;        /* answer SCRIPT_CALL_ABORT */
    int calls, last_resp, argc;
    char argv[8][64];
};

static enum script_call fake_call(void *ud, int argc, const char *const *argv, const size_t *lens, int resp,
                                  struct obuf *out)
{
    struct fake *f = ud;
    f->calls++;
    f->last_resp = resp;
    f->argc = argc;
    for (int i = 0; i < argc && i < 8; i++) snprintf(f->argv[i], sizeof(f->argv[i]), "%.*s", (int)lens[i], argv[i]);
    if (f->abort) return SCRIPT_CALL_ABORT;
    const char *r = f->reply ? f->reply : "+OK\r\n";
    obuf_append(out, r, f->reply_len ? f->reply_len : strlen(r));
    return SCRIPT_CALL_OK;
}

static struct script_engine *E;
static struct fake F;
static char SHA[41];
static char OUT[1 << 16];

static void setup(void)
{
    E = script_engine_create();
    memset(&F, 0, sizeof(F));
}
static void teardown(void) { script_engine_destroy(E); }

/* Loads and runs body; returns the reply (NUL-terminated copy in OUT). */
static const char *run_full(const char *body, int client_resp, const char *const *keys, int nkeys,
                            const char *const *args, int nargs, enum script_result *res)
{
    struct obuf err, out;
    obuf_init(&err);
    obuf_init(&out);
    bool ok = script_load(E, body, strlen(body), SHA, &err);
    cr_assert(ok, "load failed: %.*s", (int)err.len, err.data);
    size_t klen[8], alen[8];
    for (int i = 0; i < nkeys; i++) klen[i] = strlen(keys[i]);
    for (int i = 0; i < nargs; i++) alen[i] = strlen(args[i]);
    struct script_call_args a = {
        .sha = SHA, .keys = keys, .key_lens = klen, .nkeys = nkeys,
        .args = args, .arg_lens = alen, .nargs = nargs, .client_resp = client_resp,
    };
    struct script_host h = {.call = fake_call, .ud = &F};
    enum script_result r = script_run(E, &a, &h, &out);
    if (res) *res = r;
    cr_assert(out.len < sizeof(OUT));
    memcpy(OUT, out.data ? out.data : "", out.len);
    OUT[out.len] = '\0';
    obuf_free(&err);
    obuf_free(&out);
    return OUT;
}

static const char *run2(const char *body) { return run_full(body, 2, NULL, 0, NULL, 0, NULL); }
static const char *run3(const char *body) { return run_full(body, 3, NULL, 0, NULL, 0, NULL); }

/* The run error suffix Redis adds: " script: <sha>, on @user_script:<line>." */
static const char *err_at(const char *msg, int line)
{
    static char buf[512];
    snprintf(buf, sizeof(buf), "-%s script: %s, on @user_script:%d.\r\n", msg, SHA, line);
    return buf;
}

static const char *load_error(const char *body)
{
    static char buf[512];
    struct obuf err;
    obuf_init(&err);
    char sha[41];
    cr_assert_not(script_load(E, body, strlen(body), sha, &err));
    snprintf(buf, sizeof(buf), "%.*s", (int)err.len, err.data);
    obuf_free(&err);
    return buf;
}

TestSuite(script, .init = setup, .fini = teardown);

/* ---- the cache ---- */

Test(script, sha1hex)
{
    char hex[41];
    script_sha1hex("", 0, hex);
    cr_assert_str_eq(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    script_sha1hex("abc", 3, hex);
    cr_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    /* Two-block padding: 56 bytes. */
    script_sha1hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    cr_assert_str_eq(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    cr_assert_str_eq(run2("return redis.sha1hex('')"), "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n");
}

Test(script, load_exists_flush)
{
    struct obuf err;
    obuf_init(&err);
    char sha[41];
    cr_assert(script_load(E, "return 1", 8, sha, &err));
    cr_assert_str_eq(sha, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    cr_assert(script_exists(E, sha, 40));
    cr_assert(script_exists(E, "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", 40));
    cr_assert_not(script_exists(E, "e0e1f9fabfc9d4800c877a703b823ac0578ff8dc", 40));
    cr_assert_not(script_exists(E, sha, 39));
    cr_assert_eq(script_count(E), 1);
    uint64_t mem = script_cache_memory(E);
    cr_assert_gt(mem, 8);
    cr_assert(script_load(E, "return 1", 8, sha, &err)); /* again: not twice */
    cr_assert_eq(script_count(E), 1);
    cr_assert_eq(script_cache_memory(E), mem);
    cr_assert_gt(script_lua_memory(E), 1000);
    script_flush(E);
    cr_assert_not(script_exists(E, sha, 40));
    cr_assert_eq(script_count(E), 0);
    cr_assert_eq(script_cache_memory(E), 0);
    cr_assert_eq(err.len, 0);
    obuf_free(&err);
    /* The engine still works after a flush. */
    cr_assert_str_eq(run2("return 7"), ":7\r\n");
}

Test(script, noscript)
{
    struct obuf out;
    obuf_init(&out);
    struct script_call_args a = {.sha = "0000000000000000000000000000000000000000", .client_resp = 2};
    struct script_host h = {.call = fake_call, .ud = &F};
    cr_assert_eq(script_run(E, &a, &h, &out), SCRIPT_NOSCRIPT);
    cr_assert_eq(out.len, 0);
    obuf_free(&out);
}

Test(script, compile_error)
{
    cr_assert_str_eq(load_error("return 1 +"),
                     "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'");
    cr_assert_eq(script_count(E), 0);
}

Test(script, shebang_flags)
{
    struct obuf err;
    obuf_init(&err);
    char sha[41];
    const char *b = "#!lua flags=no-writes,allow-oom\nreturn 1";
    cr_assert(script_load(E, b, strlen(b), sha, &err));
    cr_assert_eq(script_flags(E, sha, 40), SCRIPT_FLAG_SHEBANG | SCRIPT_FLAG_NO_WRITES | SCRIPT_FLAG_ALLOW_OOM);
    b = "#!lua flags=allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1";
    cr_assert(script_load(E, b, strlen(b), sha, &err));
    cr_assert_eq(script_flags(E, sha, 40), SCRIPT_FLAG_SHEBANG | SCRIPT_FLAG_ALLOW_STALE | SCRIPT_FLAG_NO_CLUSTER |
                                              SCRIPT_FLAG_ALLOW_CROSS_SLOT);
    b = "#!lua\nreturn 1";
    cr_assert(script_load(E, b, strlen(b), sha, &err));
    cr_assert_eq(script_flags(E, sha, 40), SCRIPT_FLAG_SHEBANG);
    cr_assert(script_load(E, "return 2", 8, sha, &err));
    cr_assert_eq(script_flags(E, sha, 40), 0);
    obuf_free(&err);

    cr_assert_str_eq(load_error("#!lua flags=no-writes,bad\nreturn 1"), "ERR Unexpected flag in script shebang: bad");
    cr_assert_str_eq(load_error("#!lua foo=bar\nreturn 1"), "ERR Unknown lua shebang option: foo=bar");
    cr_assert_str_eq(load_error("#!python\nreturn 1"), "ERR Unexpected engine in script shebang: #!python");
    cr_assert_str_eq(load_error("#!lua"), "ERR Invalid script shebang");
    cr_assert_str_eq(load_error("#!lua \"x\nreturn 1"), "ERR Invalid engine in script shebang");
    /* The shebang line still counts: the error is on line 2. */
    const char *r = run2("#!lua flags=no-writes\nerror('x')");
    cr_assert_str_eq(r, err_at("ERR user_script:2: x", 2));
}

/* ---- KEYS, ARGV and Lua -> RESP ---- */

Test(script, keys_argv)
{
    const char *keys[] = {"k1", "k2"};
    const char *args[] = {"a1"};
    const char *r = run_full("return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}", 2, keys, 2, args, 1, NULL);
    cr_assert_str_eq(r, "*5\r\n$2\r\nk1\r\n$2\r\nk2\r\n$2\r\na1\r\n:2\r\n:1\r\n");
    /* A later run sees its own (none here), not the previous run's. */
    cr_assert_str_eq(run2("return {#KEYS, #ARGV}"), "*2\r\n:0\r\n:0\r\n");
    cr_assert_str_eq(run2("return _G.KEYS == KEYS"), ":1\r\n");
}

Test(script, lua_to_resp2)
{
    cr_assert_str_eq(run2("return 3.99"), ":3\r\n");
    cr_assert_str_eq(run2("return -3.99"), ":-3\r\n");
    cr_assert_str_eq(run2("return 1/0"), ":-9223372036854775808\r\n");
    cr_assert_str_eq(run2("return 0/0"), ":-9223372036854775808\r\n");
    cr_assert_str_eq(run2("return 'hi'"), "$2\r\nhi\r\n");
    cr_assert_str_eq(run2("return true"), ":1\r\n");
    cr_assert_str_eq(run2("return false"), "$-1\r\n");
    cr_assert_str_eq(run2("return nil"), "$-1\r\n");
    cr_assert_str_eq(run2("return {1,2,nil,4}"), "*2\r\n:1\r\n:2\r\n");
    cr_assert_str_eq(run2("return {1,{2,{3,'x'}},true,false}"),
                     "*4\r\n:1\r\n*2\r\n:2\r\n*2\r\n:3\r\n$1\r\nx\r\n:1\r\n$-1\r\n");
    cr_assert_str_eq(run2("return {ok='x\\r\\ny'}"), "+x  y\r\n");
    cr_assert_str_eq(run2("return redis.status_reply('FINE')"), "+FINE\r\n");
    cr_assert_str_eq(run2("return {double=3.5}"), "$3\r\n3.5\r\n");
    cr_assert_str_eq(run2("return {big_number='123'}"), "$3\r\n123\r\n");
    cr_assert_str_eq(run2("return {map={a=1}}"), "*2\r\n$1\r\na\r\n:1\r\n");
    cr_assert_str_eq(run2("return {set={a=true}}"), "*1\r\n$1\r\na\r\n");
    cr_assert_str_eq(run2("return {verbatim_string={format='txt', string='abc'}}"), "$3\r\nabc\r\n");
    cr_assert_str_eq(run2("return print"), err_at("ERR user_script:1: Script attempted to access nonexistent global variable 'print'", 1));
    cr_assert_str_eq(run2("return function() end"), "$-1\r\n");
    /* setresp(3) changes how booleans come back, even to a RESP2 client. */
    cr_assert_str_eq(run2("redis.setresp(3); return true"), ":1\r\n");
    cr_assert_str_eq(run2("redis.setresp(3); return false"), ":0\r\n");
}

Test(script, lua_to_resp3)
{
    cr_assert_str_eq(run3("return nil"), "_\r\n");
    cr_assert_str_eq(run3("return false"), "_\r\n");
    cr_assert_str_eq(run3("redis.setresp(3); return false"), "#f\r\n");
    cr_assert_str_eq(run3("redis.setresp(3); return true"), "#t\r\n");
    cr_assert_str_eq(run3("return {double=3.5}"), ",3.5\r\n");
    cr_assert_str_eq(run3("return {double=0/0}"), ",-nan\r\n");
    cr_assert_str_eq(run3("return {double=1/0}"), ",inf\r\n");
    cr_assert_str_eq(run3("return {double=-0.0}"), ",-0\r\n");
    cr_assert_str_eq(run2("return {double=1e300}"), "$23\r\n1.0000000000000001e+300\r\n");
    cr_assert_str_eq(run3("return {big_number='123'}"), "(123\r\n");
    cr_assert_str_eq(run3("return {map={a=1}}"), "%1\r\n$1\r\na\r\n:1\r\n");
    cr_assert_str_eq(run3("return {set={a=true}}"), "~1\r\n$1\r\na\r\n");
    cr_assert_str_eq(run3("return {verbatim_string={format='txt', string='abc'}}"), "=7\r\ntxt:abc\r\n");
    cr_assert_str_eq(run3("return {verbatim_string={format='x', string='abc'}}"), "=7\r\nx  :abc\r\n");
}

Test(script, nesting_bounded)
{
    /* A table holding itself: Redis answers nested arrays ending in an
     * error once its stack is used up; so does the engine, sooner. */
    const char *r = run2("local t = {}; t[1] = t; return t");
    const char *tail = "-ERR reached lua stack limit\r\n";
    cr_assert(strlen(r) > strlen(tail));
    cr_assert_str_eq(r + strlen(r) - strlen(tail), tail);
    cr_assert_eq(strncmp(r, "*1\r\n*1\r\n", 8), 0);
    r = run2("local t = {}; t.map = t; return t");
    cr_assert_str_eq(r + strlen(r) - strlen(tail), tail);
    cr_assert_str_eq(run2("return 1"), ":1\r\n");
}

/* ---- redis.call / redis.pcall and RESP -> Lua ---- */

Test(script, call_arguments)
{
    run2("return redis.call('SET', 'k', 1.5, 10, 2^53)");
    cr_assert_eq(F.calls, 1);
    cr_assert_eq(F.argc, 5);
    cr_assert_str_eq(F.argv[0], "SET");
    cr_assert_str_eq(F.argv[1], "k");
    cr_assert_str_eq(F.argv[2], "1.5");
    cr_assert_str_eq(F.argv[3], "10");
    cr_assert_str_eq(F.argv[4], "9007199254740992");
    cr_assert_eq(F.last_resp, 2);
    run2("redis.setresp(3); return redis.call('x')");
    cr_assert_eq(F.last_resp, 3);
    run2("return redis.call('x')"); /* each run starts at RESP2 */
    cr_assert_eq(F.last_resp, 2);

    cr_assert_str_eq(run2("return redis.call()"),
                     err_at("ERR Please specify at least one argument for this redis lib call", 1));
    cr_assert_str_eq(run2("return redis.call('get', {})"),
                     err_at("ERR Lua redis lib command arguments must be strings or integers", 1));
    cr_assert_str_eq(run2("return redis.pcall()"), "-ERR Please specify at least one argument for this redis lib call\r\n");
    cr_assert_eq(F.calls, 3);
}

Test(script, call_raises_pcall_returns)
{
    F.reply = "-ERR value is not an integer or out of range\r\n";
    cr_assert_str_eq(run2("return redis.call('incr','s')"), err_at("ERR value is not an integer or out of range", 1));
    cr_assert_str_eq(run2("return redis.pcall('incr','s')"), "-ERR value is not an integer or out of range\r\n");
    cr_assert_str_eq(run2("local t = redis.pcall('incr','s'); return {t.err, tostring(t.ignore_error_stats_update)}"),
                     "*2\r\n$43\r\nERR value is not an integer or out of range\r\n$4\r\ntrue\r\n");
    /* Lua's pcall around redis.call gives the err string (Redis 7.0). */
    cr_assert_str_eq(run2("local ok, e = pcall(redis.call, 'incr', 's'); return {tostring(ok), e}"),
                     "*2\r\n$5\r\nfalse\r\n$43\r\nERR value is not an integer or out of range\r\n");
    F.reply = "-WRONGTYPE Operation against a key\r\n";
    cr_assert_str_eq(run2("\n\nredis.call('get','s')"), err_at("WRONGTYPE Operation against a key", 3));
}

Test(script, resp2_to_lua)
{
    F.reply = ":5\r\n";
    cr_assert_str_eq(run2("local r = redis.call('x'); return {type(r), r}"), "*2\r\n$6\r\nnumber\r\n:5\r\n");
    F.reply = "$-1\r\n";
    cr_assert_str_eq(run2("return tostring(redis.call('x'))"), "$5\r\nfalse\r\n");
    F.reply = "*-1\r\n";
    cr_assert_str_eq(run2("return tostring(redis.call('x'))"), "$5\r\nfalse\r\n");
    F.reply = "+PONG\r\n";
    cr_assert_str_eq(run2("return redis.call('x').ok"), "$4\r\nPONG\r\n");
    cr_assert_str_eq(run2("return redis.call('x')"), "+PONG\r\n");
    F.reply = "$0\r\n\r\n";
    cr_assert_str_eq(run2("return redis.call('x')"), "$0\r\n\r\n");
    F.reply = "*3\r\n$1\r\na\r\n:2\r\n*1\r\n$-1\r\n";
    cr_assert_str_eq(run2("return redis.call('x')"), "*3\r\n$1\r\na\r\n:2\r\n*1\r\n$-1\r\n");
    static const char bin[] = "$3\r\na\0b\r\n";
    F.reply = bin;
    F.reply_len = sizeof(bin) - 1;
    cr_assert_str_eq(run2("return #redis.call('x')"), ":3\r\n");
}

Test(script, resp3_to_lua)
{
    F.reply = "%1\r\n$1\r\nk\r\n$1\r\nv\r\n";
    cr_assert_str_eq(run2("redis.setresp(3); return redis.call('x').map.k"), "$1\r\nv\r\n");
    cr_assert_str_eq(run3("redis.setresp(3); return redis.call('x')"), "%1\r\n$1\r\nk\r\n$1\r\nv\r\n");
    F.reply = "~1\r\n$1\r\nm\r\n";
    cr_assert_str_eq(run2("redis.setresp(3); return tostring(redis.call('x').set.m)"), "$4\r\ntrue\r\n");
    F.reply = "_\r\n";
    cr_assert_str_eq(run2("redis.setresp(3); return tostring(redis.call('x') == nil)"), "$4\r\ntrue\r\n");
    F.reply = "#t\r\n";
    cr_assert_str_eq(run2("redis.setresp(3); return tostring(redis.call('x'))"), "$4\r\ntrue\r\n");
    F.reply = "#f\r\n";
    cr_assert_str_eq(run2("redis.setresp(3); return tostring(redis.call('x'))"), "$5\r\nfalse\r\n");
    F.reply = ",1.5\r\n";
    cr_assert_str_eq(run2("redis.setresp(3); return tostring(redis.call('x').double)"), "$3\r\n1.5\r\n");
    F.reply = "(12345678901234567890\r\n";
    cr_assert_str_eq(run2("redis.setresp(3); return redis.call('x').big_number"), "$20\r\n12345678901234567890\r\n");
    F.reply = "=8\r\ntxt:abcd\r\n";
    cr_assert_str_eq(run2("redis.setresp(3); local v = redis.call('x').verbatim_string; return {v.format, v.string}"),
                     "*2\r\n$3\r\ntxt\r\n$4\r\nabcd\r\n");
    /* Attributes are skipped. */
    F.reply = "|1\r\n+a\r\n+b\r\n:7\r\n";
    cr_assert_str_eq(run2("redis.setresp(3); return redis.call('x')"), ":7\r\n");
}

Test(script, malformed_replies_refused)
{
    static const char *bad[] = {
        "", "x", ":", ":12", ":1\r", ":abc\r\n", "$5\r\nab\r\n", "$-2\r\n", "*3\r\n:1\r\n", "*999999999\r\n",
        ":1\r\n:2\r\n", "#x\r\n", "_x\r\n", "=2\r\nab\r\n", "%-1\r\n", ">1\r\n:1\r\n", "|1\r\n:1\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        F.reply = bad[i];
        F.reply_len = strlen(bad[i]) ? 0 : 0;
        if (!bad[i][0]) continue; /* "" means +OK for the fake */
        cr_assert_str_eq(run2("return redis.pcall('x')"), "-ERR the command's reply could not be read\r\n",
                         "reply %zu accepted", i);
        cr_assert_str_eq(run2("return redis.call('x')"), err_at("ERR the command's reply could not be read", 1));
    }
    /* Nesting deeper than the bound is refused, not recursed into. */
    static char deep[6 * 5000 + 8];
    size_t n = 0;
    for (int i = 0; i < 5000; i++) n += (size_t)sprintf(deep + n, "*1\r\n");
    n += (size_t)sprintf(deep + n, ":1\r\n");
    F.reply = deep;
    cr_assert_str_eq(run2("return redis.pcall('x')"), "-ERR the command's reply could not be read\r\n");
    /* A null map key cannot be a Lua key: dropped. */
    F.reply = "%2\r\n_\r\n:1\r\n$1\r\nk\r\n:2\r\n";
    cr_assert_str_eq(run2("redis.setresp(3); return redis.call('x')"), "*2\r\n$1\r\nk\r\n:2\r\n");
}

/* ---- errors ---- */

Test(script, error_formats)
{
    cr_assert_str_eq(run2("error('boom')"), err_at("ERR user_script:1: boom", 1));
    cr_assert_str_eq(run2("local f = function() error('in f') end\nf()"), err_at("ERR user_script:1: in f", 1));
    cr_assert_str_eq(run2("error({err='TAB boom'})"), err_at("TAB boom", 1));
    cr_assert_str_eq(run2("error()"), err_at("ERR nil", 1));
    cr_assert_str_eq(run2("error(true)"), err_at("ERR true", 1));
    cr_assert_str_eq(run2("error(12)"), err_at("ERR user_script:1: 12", 1));
    cr_assert_str_eq(run2("return redis.error_reply('My Error')"), "-My Error\r\n");
    cr_assert_str_eq(run2("return redis.error_reply('-My Error')"), "-My Error\r\n");
    cr_assert_str_eq(run2("return redis.error_reply('NoSpace')"), "-ERR NoSpace\r\n");
    cr_assert_str_eq(run2("return redis.error_reply(1)"), "-ERR wrong number or type of arguments\r\n");
    cr_assert_str_eq(run2("return redis.status_reply(1)"), "-ERR wrong number or type of arguments\r\n");
    cr_assert_str_eq(run2("return {err='x'}"), "-x\r\n");
    cr_assert_str_eq(run2("return {err='MYERR x y'}"), "-MYERR x y\r\n");
    cr_assert_str_eq(run2("return {err=''}"), "-\r\n");
    cr_assert_str_eq(run2("return redis.setresp(4)"), err_at("ERR RESP version must be 2 or 3.", 1));
    cr_assert_str_eq(run2("return redis.setresp()"), err_at("ERR redis.setresp() requires one argument.", 1));
    cr_assert_str_eq(run2("return redis.sha1hex()"), err_at("ERR wrong number of arguments", 1));
    cr_assert_str_eq(run2("return redis.log(1)"), err_at("ERR redis.log() requires two arguments or more.", 1));
    cr_assert_str_eq(run2("return redis.log('a', 'b')"), err_at("ERR First argument must be a number (log level).", 1));
    cr_assert_str_eq(run2("return redis.log(9, 'b')"), err_at("ERR Invalid debug level.", 1));
    cr_assert_str_eq(run2("return redis.set_repl(8)"),
                     err_at("ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.", 1));
    /* Not in Redis (it crashes on this one): a sane error instead. */
    char want[256];
    run2("error({})");
    snprintf(want, sizeof(want), "-ERR Error running script %s, execution failure\r\n", SHA);
    cr_assert_str_eq(OUT, want);
}

Test(script, api_misc)
{
    cr_assert_str_eq(run2("return redis.REDIS_VERSION"), "$6\r\n7.0.15\r\n");
    cr_assert_str_eq(run2("return redis.REDIS_VERSION_NUM"), ":458767\r\n");
    cr_assert_str_eq(run2("return redis.replicate_commands()"), ":1\r\n");
    cr_assert_str_eq(run2("return redis.breakpoint()"), "$-1\r\n");
    cr_assert_str_eq(run2("return redis.debug('x')"), "$-1\r\n");
    cr_assert_str_eq(run2("return redis.set_repl(redis.REPL_ALL)"), "$-1\r\n");
    cr_assert_str_eq(run2("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}"),
                     "*4\r\n:0\r\n:1\r\n:2\r\n:3\r\n");
    cr_assert_str_eq(run2("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}"),
                     "*5\r\n:0\r\n:1\r\n:2\r\n:2\r\n:3\r\n");
    cr_assert_str_eq(run2("redis.log(redis.LOG_DEBUG, 'hidden'); return 1"), ":1\r\n");
    cr_assert_str_eq(run2("return cjson.encode({1,2})"), "$5\r\n[1,2]\r\n");
    cr_assert_str_eq(run2("return cjson.decode('[1,2]')[2]"), ":2\r\n");
    cr_assert_str_eq(run2("return bit.band(5,3)"), ":1\r\n");
    cr_assert_str_eq(run2("local n = 0; for k,v in pairs(string) do n = n + 1 end return n"), ":15\r\n");
    cr_assert_str_eq(run2("return _VERSION"), "$7\r\nLua 5.1\r\n");
    cr_assert_str_eq(run2("return ('abc'):upper()"), "$3\r\nABC\r\n");
}

Test(script, math_random_as_redis)
{
    /* A fresh redis-server's first values, and after randomseed(1). */
    cr_assert_str_eq(run2("return tostring(math.random())"), "$16\r\n0.39646477363839\r\n");
    cr_assert_str_eq(run2("math.randomseed(1); return {math.random(100), math.random(1,10), tostring(math.random())}"),
                     "*3\r\n:5\r\n:5\r\n$16\r\n0.83481721851733\r\n");
}

/* ---- the sandbox ---- */

Test(script, globals_protected)
{
    cr_assert_str_eq(run2("x = 1"), err_at("ERR user_script:1: Attempt to modify a readonly table", 1));
    cr_assert_str_eq(run2("return x"),
                     err_at("ERR user_script:1: Script attempted to access nonexistent global variable 'x'", 1));
    cr_assert_str_eq(run2("redis.call = nil"), err_at("ERR user_script:1: Attempt to modify a readonly table", 1));
    cr_assert_str_eq(run2("string.upper = nil"), err_at("ERR user_script:1: Attempt to modify a readonly table", 1));
    cr_assert_str_eq(run2("getmetatable('').__index = 1"), err_at("ERR user_script:1: Attempt to modify a readonly table", 1));
    cr_assert_str_eq(run2("rawset(_G, 'x', 1)"), err_at("ERR Attempt to modify a readonly table", 1));
    cr_assert_str_eq(run2("table.insert(_G, 1)"), err_at("ERR Attempt to modify a readonly table", 1));
    cr_assert_str_eq(run2("setmetatable(_G, nil)"), err_at("ERR Attempt to modify a readonly table", 1));
    char want[512];
    snprintf(want, sizeof(want), "-ERR [string \"x = 1\"]:1: Attempt to modify a readonly table script: %s, on x = 1:1.\r\n", "");
    run2("loadstring('x = 1')()");
    snprintf(want, sizeof(want), "-ERR [string \"x = 1\"]:1: Attempt to modify a readonly table script: %s, on x = 1:1.\r\n", SHA);
    cr_assert_str_eq(OUT, want);
    static const char *gone[] = {"print", "loadfile", "dofile", "os", "io", "debug", "require", "package",
                                 "newproxy", "setfenv", "getfenv", "module"};
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        char body[64], msg[160];
        snprintf(body, sizeof(body), "return %s", gone[i]);
        snprintf(msg, sizeof(msg), "ERR user_script:1: Script attempted to access nonexistent global variable '%s'", gone[i]);
        cr_assert_str_eq(run2(body), err_at(msg, 1));
    }
    /* Reads see through: rawget, pairs, getmetatable. */
    cr_assert_str_eq(run2("return type(rawget(_G, 'redis'))"), "$5\r\ntable\r\n");
    cr_assert_str_eq(run2("local n = 0 for k in pairs(redis) do n = n + 1 end return n > 10"), ":1\r\n");
    cr_assert_str_eq(run2("return type(getmetatable(_G))"), "$5\r\ntable\r\n");
    cr_assert_str_eq(run2("return type(getmetatable(''))"), "$5\r\ntable\r\n");
    /* Ordinary tables stay ordinary. */
    cr_assert_str_eq(run2("local t = {} t.x = 1 rawset(t, 'y', 2) table.insert(t, 3) setmetatable(t, {}) return {t.x, t.y, t[1]}"),
                     "*3\r\n:1\r\n:2\r\n:3\r\n");
    /* Nothing above changed what the next script sees. */
    cr_assert_str_eq(run2("return {type(redis.call), type(string.upper), rawget(_G, 'x') == nil}"),
                     "*3\r\n$8\r\nfunction\r\n$8\r\nfunction\r\n:1\r\n");
}

/* ---- the host's abort ---- */

static void assert_aborts(const char *body)
{
    F.abort = true;
    struct obuf err, out;
    obuf_init(&err);
    obuf_init(&out);
    obuf_append(&out, "prefix", 6);
    cr_assert(script_load(E, body, strlen(body), SHA, &err));
    struct script_call_args a = {.sha = SHA, .client_resp = 2};
    struct script_host h = {.call = fake_call, .ud = &F};
    cr_assert_eq(script_run(E, &a, &h, &out), SCRIPT_ABORTED, "not aborted: %s", body);
    cr_assert_eq(out.len, 6);
    cr_assert_eq(memcmp(out.data, "prefix", 6), 0);
    obuf_free(&err);
    obuf_free(&out);
    /* The engine is clean for the next script. */
    F.abort = false;
    cr_assert_str_eq(run2("return {1, #KEYS}"), "*2\r\n:1\r\n:0\r\n");
}

Test(script, abort_not_catchable)
{
    assert_aborts("return redis.call('x')");
    assert_aborts("local ok = pcall(redis.call, 'x') return 'caught'");
    assert_aborts("local ok = redis.pcall('x') return 'caught'");
    assert_aborts("while true do pcall(redis.call, 'x') end");
    assert_aborts("local ok = xpcall(function() redis.call('x') end, function(e) return e end) return 'caught'");
    assert_aborts("local co = coroutine.create(function() redis.call('x') end) coroutine.resume(co) return 'caught'");
    assert_aborts("local f = coroutine.wrap(function() redis.call('x') end) pcall(f) return 'caught'");
    assert_aborts("pcall(redis.call, 'x') while true do end");
    assert_aborts("pcall(redis.call, 'x') return redis.call('y')");
    cr_assert_eq(F.calls, 9, "calls: %d", F.calls); /* one per script: none after its abort */
}

static int ticks;
static enum script_call tick_abort(void *ud)
{
    (void)ud;
    return ++ticks >= 3 ? SCRIPT_CALL_ABORT : SCRIPT_CALL_OK;
}

Test(script, tick_stops_a_busy_script)
{
    const char *body = "while true do pcall(function() end) end";
    struct obuf err, out;
    obuf_init(&err);
    obuf_init(&out);
    cr_assert(script_load(E, body, strlen(body), SHA, &err));
    struct script_call_args a = {.sha = SHA, .client_resp = 2};
    struct script_host h = {.call = fake_call, .tick = tick_abort, .ud = &F};
    cr_assert_eq(script_run(E, &a, &h, &out), SCRIPT_ABORTED);
    cr_assert_eq(ticks, 3);
    cr_assert_eq(out.len, 0);
    obuf_free(&err);
    obuf_free(&out);
    cr_assert_str_eq(run2("return 2"), ":2\r\n");
}
