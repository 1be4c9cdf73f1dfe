/* fuzz_script.c — libFuzzer target for the script engine's reading of
 * untrusted reply bytes: the input (after one control byte) is the RESP
 * reply a redis.call gets from the host, which the engine converts to Lua
 * and back to RESP in a small fixed script. The control byte picks the
 * script (call, pcall, Lua's pcall, a walk over the value), the
 * redis.setresp version and the client's protocol.
 * Checks: no crash, leak or undefined behaviour (ASan, UBSan); every run
 * answers; what it answers is exactly one well-formed reply, which the
 * engine's own parser accepts; the same holds for the bytes converted
 * directly in a bare Lua state. */
#include "ringkv/script/lua_conv.h"
#include "ringkv/script/script.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) abort();                                                \
    } while (0)

static const char *const scripts[] = {
    "return redis.call('x')",
    "return redis.pcall('x')",
    "local ok, r = pcall(redis.call, 'x') return {tostring(ok), r}",
    /* Walks whatever came back, touching every value. */
    "local function walk(v, d) if d > 50 then return 0 end local n = 1 "
    "if type(v) == 'table' then for k, x in pairs(v) do n = n + walk(k, d + 1) + walk(x, d + 1) end end "
    "return n end return walk(redis.pcall('x'), 0)",
};
#define NSCRIPTS (sizeof(scripts) / sizeof(scripts[0]))

struct canned {
    const uint8_t *data;
    size_t len;
};

static enum script_call canned_call(void *ud, int argc, const char *const *argv, const size_t *lens, int resp,
                                    struct obuf *out)
{
    const struct canned *c = ud;
    obuf_append(out, c->data, c->len);
    return SCRIPT_CALL_OK;
}

static struct script_engine *engine;
static lua_State *bare;
static char shas[2 * NSCRIPTS][41];

static void setup(void)
{
    engine = script_engine_create();
    struct obuf err;
    obuf_init(&err);
    for (size_t i = 0; i < NSCRIPTS; i++) {
        char body[1024] = "redis.setresp(3) ";
        CHECK(script_load(engine, scripts[i], strlen(scripts[i]), shas[2 * i], &err));
        strcat(body, scripts[i]);
        CHECK(script_load(engine, body, strlen(body), shas[2 * i + 1], &err));
    }
    obuf_free(&err);
    bare = luaL_newstate();
}

/* Both ways in a bare state: whatever parses must come back well formed. */
static void convert_directly(const uint8_t *data, size_t size, int client_resp)
{
    int top = lua_gettop(bare);
    if (lua_conv_push_reply(bare, (const char *)data, size)) {
        struct obuf out;
        obuf_init(&out);
        struct reply r;
        reply_init(&r, &out, client_resp);
        lua_conv_write_reply(bare, &r, 2);
        CHECK(lua_gettop(bare) == top);
        CHECK(lua_conv_push_reply(bare, out.data, out.len));
        lua_pop(bare, 1);
        obuf_free(&out);
    }
    CHECK(lua_gettop(bare) == top);
    lua_gc(bare, LUA_GCSTEP, 100);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine) setup();
    if (size < 1) return 0;
    uint8_t ctl = data[0];
    struct canned c = {data + 1, size - 1};
    int client_resp = (ctl & 1) ? 3 : 2;
    size_t which = ((ctl >> 1) % NSCRIPTS) * 2 + ((ctl >> 4) & 1);

    convert_directly(c.data, c.len, client_resp);

    struct obuf out;
    obuf_init(&out);
    struct script_call_args a = {.sha = shas[which], .client_resp = client_resp};
    struct script_host h = {.call = canned_call, .ud = &c};
    CHECK(script_run(engine, &a, &h, &out) == SCRIPT_DONE);
    CHECK(out.len > 0);
    int top = lua_gettop(bare);
    CHECK(lua_conv_push_reply(bare, out.data, out.len));
    lua_settop(bare, top);
    obuf_free(&out);
    return 0;
}
