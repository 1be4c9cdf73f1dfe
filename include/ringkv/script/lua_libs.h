/* lua_libs.h — the libraries ringkv writes itself for scripts, and the
 * guards it puts around Debian's, all loaded by sandbox.c.
 *
 *   lua_struct.c   struct.pack/unpack/size (Redis 7.0.15's `struct`)
 *   lua_cmsgpack.c cmsgpack.pack/unpack/unpack_one/unpack_limit
 *   lua_guards.c   bit.tohex and cjson.encode made safe (CVE-2024-31449,
 *                  CVE-2022-24834: Debian's lua-bitop and lua-cjson have
 *                  neither fix)
 *
 * Thread: the engine's.
 */
#ifndef RINGKV_SCRIPT_LUA_LIBS_H
#define RINGKV_SCRIPT_LUA_LIBS_H

#include <lua.h>

/* Each pushes its library's table (and sets the global of that name). */
int luaopen_struct(lua_State *L);
int luaopen_cmsgpack(lua_State *L);

/* Replaces bit.tohex and cjson.encode in the globals `bit` and `cjson`
 * (loaded, not yet frozen) with guarded versions. */
void lua_guards_install(lua_State *L);

#endif
