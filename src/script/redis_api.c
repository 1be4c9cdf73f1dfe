/* redis_api.c — the `redis` table a script sees, with Redis 7.0's
 * functions, constants and error texts (script_lua.c, eval.c).
 *
 * redis.call/redis.pcall hand the command to the host and convert its
 * RESP reply; call raises an error reply as a Lua error, pcall returns it
 * as {err=...}. Errors these functions raise are error tables, which the
 * run's error handler completes with the script's line.
 * Thread: the engine's.
 */
#include "ringkv/script/engine.h"

#include "ringkv/base/alloc.h"
#include "ringkv/base/log.h"
#include "ringkv/script/lua_conv.h"
#include "ringkv/script/sha1.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

/* What redis.REDIS_VERSION says: the version INFO reports (src/cmd/info.c). */
#define API_REDIS_VERSION "7.0.15"
#define API_REDIS_VERSION_NUM 0x07000f /* 7.0.15 */

/* Redis's replication targets for redis.set_repl (accepted, no effect). */
enum { REPL_NONE = 0, REPL_AOF = 1, REPL_REPLICA = 2, REPL_ALL = 3 };

/* Raises Redis's error table for msg ("ERR msg"). */
static int raise_error(lua_State *L, const char *msg)
{
    lua_conv_push_error(L, msg, strlen(msg), false);
    return lua_error(L);
}

static void grow_argv(struct script_engine *e, int argc)
{
    if (argc <= e->argv_cap) return;
    e->argv = rk_realloc(e->argv, (size_t)argc * sizeof(*e->argv));
    e->lens = rk_realloc(e->lens, (size_t)argc * sizeof(*e->lens));
    e->argv_cap = argc;
}

/* The longest %.17g of a double ("-2.2250738585072014e-308") fits. */
#define NUM_TEXT_MAX 32

/* The command's arguments from the Lua stack: strings as they are, numbers
 * printed with %.17g (Lua's own format would lose digits). Returns false
 * on anything else. */
static bool collect_args(lua_State *L, struct script_engine *e, int argc)
{
    grow_argv(e, argc);
    e->call_nums.len = 0;
    /* Reserved up front so the number texts never move once pointed at. */
    obuf_reserve(&e->call_nums, (size_t)argc * NUM_TEXT_MAX);
    for (int j = 0; j < argc; j++) {
        int t = lua_type(L, j + 1);
        if (t == LUA_TNUMBER) {
            char *at = e->call_nums.data + e->call_nums.len;
            int n = snprintf(at, NUM_TEXT_MAX, "%.17g", (double)lua_tonumber(L, j + 1));
            e->argv[j] = at;
            e->lens[j] = (size_t)n;
            e->call_nums.len += (size_t)n;
        } else if (t == LUA_TSTRING) {
            e->argv[j] = lua_tolstring(L, j + 1, &e->lens[j]);
        } else {
            return false;
        }
    }
    return true;
}

/* Pushes the error table for msg; raises it when `raise`, else returns it. */
static int fail(lua_State *L, bool raise, const char *msg)
{
    lua_conv_push_error(L, msg, strlen(msg), false);
    return raise ? lua_error(L) : 1;
}

static int generic_call(lua_State *L, bool raise)
{
    struct script_engine *e = engine_of(L);
    struct script_run *run = e->run;
    if (!run) return raise_error(L, "redis.call/pcall can only be called inside a script invocation");
    if (run->aborted) return sandbox_raise_abort(L);
    int argc = lua_gettop(L);
    if (argc == 0) return fail(L, raise, "Please specify at least one argument for this redis lib call");
    if (!collect_args(L, e, argc)) return fail(L, raise, "Lua redis lib command arguments must be strings or integers");
    if (run->in_call) {
        /* Only a host that re-enters the engine could get here. */
        log_warn("redis.call re-entered from the host's call: refused");
        return fail(L, false, "redis.call/pcall recursive call detected");
    }
    run->in_call = true;
    e->call_reply.len = 0;
    enum script_call rc = run->host->call(run->host->ud, argc, e->argv, e->lens, run->resp, &e->call_reply);
    run->in_call = false;
    if (rc == SCRIPT_CALL_ABORT) {
        abort_start(e, L);
        return sandbox_raise_abort(L);
    }
    lua_settop(L, 0); /* the arguments are done with; room for the reply */
    const char *p = e->call_reply.data;
    size_t len = e->call_reply.len;
    bool is_error = len > 0 && p[0] == '-';
    if (!lua_conv_push_reply(L, p, len)) {
        static const char bad[] = "-ERR the command's reply could not be read";
        lua_conv_push_error(L, bad, sizeof(bad) - 1, false);
        is_error = true;
    }
    return raise && is_error ? lua_error(L) : 1;
}

static int api_call(lua_State *L) { return generic_call(L, true); }
static int api_pcall(lua_State *L) { return generic_call(L, false); }

static int api_sha1hex(lua_State *L)
{
    if (lua_gettop(L) != 1) return raise_error(L, "wrong number of arguments");
    size_t len = 0;
    const char *s = lua_tolstring(L, 1, &len);
    char hex[41];
    sha1_hex(s ? s : "", s ? len : 0, hex);
    lua_pushstring(L, hex);
    return 1;
}

static bool one_string_arg(lua_State *L)
{
    return lua_gettop(L) == 1 && lua_type(L, -1) == LUA_TSTRING;
}

static int api_error_reply(lua_State *L)
{
    if (!one_string_arg(L)) return fail(L, false, "wrong number or type of arguments");
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (len && s[0] == '-') {
        lua_conv_push_error(L, s, len, false);
    } else {
        lua_pushliteral(L, "-");
        lua_insert(L, 1);
        lua_concat(L, 2);
        s = lua_tolstring(L, 1, &len);
        lua_conv_push_error(L, s, len, false);
    }
    return 1;
}

static int api_status_reply(lua_State *L)
{
    if (!one_string_arg(L)) return fail(L, false, "wrong number or type of arguments");
    lua_createtable(L, 0, 1);
    lua_pushstring(L, "ok");
    lua_pushvalue(L, 1);
    lua_rawset(L, -3);
    return 1;
}

static int api_log(lua_State *L)
{
    int argc = lua_gettop(L);
    if (argc < 2) return raise_error(L, "redis.log() requires two arguments or more.");
    if (!lua_isnumber(L, 1)) return raise_error(L, "First argument must be a number (log level).");
    int level = (int)lua_tonumber(L, 1);
    if (level < LOG_DEBUG || level > LOG_WARNING) return raise_error(L, "Invalid debug level.");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int j = 2; j <= argc; j++) {
        size_t n;
        const char *s = lua_tolstring(L, j, &n);
        if (!s) continue;
        if (j != 2) luaL_addchar(&b, ' ');
        luaL_addlstring(&b, s, n);
    }
    luaL_pushresult(&b);
    size_t n;
    const char *text = lua_tolstring(L, -1, &n);
    log_msg((enum log_level)level, "%.*s", (int)n, text);
    return 0;
}

static int api_setresp(lua_State *L)
{
    struct script_engine *e = engine_of(L);
    if (!e->run) return raise_error(L, "redis.setresp can only be called inside a script invocation");
    if (lua_gettop(L) != 1) return raise_error(L, "redis.setresp() requires one argument.");
    int resp = (int)lua_tonumber(L, 1);
    if (resp != 2 && resp != 3) return raise_error(L, "RESP version must be 2 or 3.");
    e->run->resp = resp;
    return 0;
}

static int api_set_repl(lua_State *L)
{
    struct script_engine *e = engine_of(L);
    if (!e->run) return raise_error(L, "redis.set_repl can only be called inside a script invocation");
    if (lua_gettop(L) != 1) return raise_error(L, "redis.set_repl() requires two arguments.");
    int flags = (int)lua_tonumber(L, -1);
    if (flags & ~REPL_ALL)
        return raise_error(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    return 0;
}

/* Whether the script's user may run a command with these arguments, as
 * the host's ACL says; the argument checks are Redis's. */
static int api_acl_check_cmd(lua_State *L)
{
    struct script_engine *e = engine_of(L);
    if (!e->run) return raise_error(L, "redis.acl_check_cmd can only be called inside a script invocation");
    int argc = lua_gettop(L);
    if (argc == 0) return raise_error(L, "Please specify at least one argument for this redis lib call");
    if (!collect_args(L, e, argc)) return raise_error(L, "Lua redis lib command arguments must be strings or integers");
    const struct script_host *h = e->run->host;
    int permitted = h->acl_check ? h->acl_check(h->ud, argc, e->argv, e->lens) : 1;
    if (permitted < 0) return raise_error(L, "Invalid command passed to redis.acl_check_cmd()");
    lua_pushboolean(L, permitted);
    return 1;
}

static int api_true(lua_State *L)
{
    lua_pushboolean(L, 1);
    return 1;
}

/* Outside the debugger (ringkv has none) breakpoint answers false... */
static int api_false(lua_State *L)
{
    lua_pushboolean(L, 0);
    return 1;
}

/* ...and redis.debug does nothing. */
static int api_nothing(lua_State *L)
{
    (void)L;
    return 0;
}

struct api_const {
    const char *name;
    lua_Number v;
};

/* Into the table on top: each function (with the engine as its upvalue)
 * and constant. */
static void set_api(struct script_engine *e, const luaL_Reg *fns, const struct api_const *consts, size_t nconsts)
{
    lua_State *L = e->L;
    for (const luaL_Reg *f = fns; f->name; f++) {
        lua_pushlightuserdata(L, e);
        lua_pushcclosure(L, f->func, 1);
        lua_setfield(L, -2, f->name);
    }
    for (size_t i = 0; i < nconsts; i++) {
        lua_pushnumber(L, consts[i].v);
        lua_setfield(L, -2, consts[i].name);
    }
}

/* What both tables have (Redis's luaRegisterLogFunction and
 * luaRegisterVersion). */
static void set_log_and_version(struct script_engine *e)
{
    static const luaL_Reg fns[] = {{"log", api_log}, {NULL, NULL}};
    static const struct api_const consts[] = {
        {"LOG_DEBUG", LOG_DEBUG}, {"LOG_VERBOSE", LOG_VERBOSE}, {"LOG_NOTICE", LOG_NOTICE},
        {"LOG_WARNING", LOG_WARNING}, {"REDIS_VERSION_NUM", API_REDIS_VERSION_NUM},
    };
    set_api(e, fns, consts, sizeof(consts) / sizeof(consts[0]));
    lua_pushstring(e->L, API_REDIS_VERSION);
    lua_setfield(e->L, -2, "REDIS_VERSION");
}

void redis_api_push(struct script_engine *e)
{
    static const luaL_Reg fns[] = {
        {"call", api_call},
        {"pcall", api_pcall},
        {"setresp", api_setresp},
        {"sha1hex", api_sha1hex},
        {"error_reply", api_error_reply},
        {"status_reply", api_status_reply},
        {"set_repl", api_set_repl},
        {"acl_check_cmd", api_acl_check_cmd},
        {"breakpoint", api_false},
        {"debug", api_nothing},
        {"replicate_commands", api_true},
        {NULL, NULL},
    };
    static const struct api_const consts[] = {
        {"REPL_NONE", REPL_NONE}, {"REPL_AOF", REPL_AOF}, {"REPL_SLAVE", REPL_REPLICA},
        {"REPL_REPLICA", REPL_REPLICA}, {"REPL_ALL", REPL_ALL},
    };
    lua_newtable(e->L);
    set_api(e, fns, consts, sizeof(consts) / sizeof(consts[0]));
    set_log_and_version(e);
}

void redis_api_push_load(struct script_engine *e)
{
    lua_newtable(e->L);
    set_log_and_version(e);
}
