/* lua_conv.h — the conversions Redis 7.0 makes between RESP replies and
 * Lua values (script_lua.c), both ways.
 *
 * RESP -> Lua (a redis.call reply): integer -> number, bulk -> string,
 * null bulk / null array -> false, array -> table, status -> {ok=s},
 * error -> {err="CODE msg"}; RESP3: map -> {map={k=v}}, set ->
 * {set={m=true}}, null -> nil, boolean -> true/false, double ->
 * {double=n}, big number -> {big_number=s}, verbatim ->
 * {verbatim_string={format=f, string=s}}; attributes are skipped.
 *
 * Lua -> RESP (a script's result): see lua_conv_write_reply.
 *
 * The RESP side may be any bytes (the fuzzer feeds it): nesting is bounded
 * and a malformed reply is refused, never trusted.
 * Thread: the engine's.
 */
#ifndef RINGKV_SCRIPT_LUA_CONV_H
#define RINGKV_SCRIPT_LUA_CONV_H

#include "ringkv/proto/reply.h"

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

/* Deeper nesting is refused (RESP -> Lua) or answered with Redis's
 * "reached lua stack limit" error in place (Lua -> RESP). Bounds the C
 * recursion; real replies nest a handful of levels; Redis returns a
 * table 1000 deep whole, and so must we. */
#define LUA_CONV_MAX_DEPTH 2000

/* Pushes the Lua value of the one RESP reply in p[0..len). Returns false,
 * pushing nothing, when the bytes are not exactly one well-formed reply
 * or nest too deep. */
bool lua_conv_push_reply(lua_State *L, const char *p, size_t len);

/* Pushes Redis's error table {err="CODE msg"} for "-CODE msg" (the code is
 * the first word) or for "msg" (code ERR); trailing CR/LF trimmed. Sets
 * ignore_error_stats_update=true when `counted` (the error was a command's
 * reply, already counted), as Redis does. */
void lua_conv_push_error(lua_State *L, const char *s, size_t len, bool counted);

/* Writes the value on top of the stack as a reply and pops it. Number ->
 * integer (truncated), string -> bulk, true -> :1 (or #t after
 * redis.setresp(3)), false -> null (#f after setresp(3)), table with err ->
 * error, ok -> status, double / big_number / verbatim_string / map / set
 * (downgraded for RESP2 clients as Redis does), else its array part up to
 * the first nil; anything else -> null. script_resp is the run's
 * redis.setresp value. Uses raw access only: no metamethod runs. */
void lua_conv_write_reply(lua_State *L, struct reply *r, int script_resp);

/* Writes "-msg" as Redis writes a script's error (addReplyErrorFormatEx
 * of "-%s"): msg ends at its first NUL, trailing CR/LF are trimmed and
 * inner ones become spaces. An error the command's reply already counted
 * (already_counted) is not counted again in the error stats. */
void lua_conv_error_reply(struct reply *r, const char *msg, size_t len, bool already_counted);

#endif
