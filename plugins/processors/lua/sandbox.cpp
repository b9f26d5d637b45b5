#include "sandbox.hpp"

#include <cstring>
#include <utility>

#include "lua_vm.hpp"

namespace routerpulse::lua {
namespace {

SandboxHost& host_of(lua_State* L) { return *static_cast<SandboxHost*>(lua_touserdata(L, lua_upvalueindex(1))); }

// load(chunk [, chunkname [, mode [, env]]]) with mode forced to "t".
int safe_load(lua_State* L) {
  const int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));  // the original load
  lua_pushvalue(L, 1);
  if (n >= 2)
    lua_pushvalue(L, 2);
  else
    lua_pushnil(L);
  lua_pushliteral(L, "t");
  int nargs = 3;
  if (n >= 4) {  // an explicit env, even nil, is passed on as given
    lua_pushvalue(L, 4);
    nargs = 4;
  }
  lua_call(L, nargs, LUA_MULTRET);
  return lua_gettop(L) - n;
}

// xpcall's message handler runs inside the error path. For the budget error,
// which the count hook raises, that path has hooks disabled, so a user
// handler would run unmetered: once the budget is spent the handler is
// skipped and the error passes through as it is.
int metered_handler(lua_State* L) {
  if (Vm::from(L).budget_exceeded()) return 1;
  const int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, 1);
  return 1;
}

int safe_xpcall(lua_State* L) {
  const int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, &metered_handler, 1);
  lua_replace(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

// Only the harmless queries: a full collection per call in a loop would cost
// O(heap) per metered instruction.
int safe_collectgarbage(lua_State* L) {
  static const char* const allowed[] = {"count", "isrunning", nullptr};
  luaL_checkoption(L, 1, nullptr, allowed);
  const int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

// string.rep("", n) loops n times in C without allocating: unmetered.
int safe_rep(lua_State* L) {
  size_t len = 0, seplen = 0;
  luaL_checklstring(L, 1, &len);
  luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &seplen);
  if (len + seplen == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  const int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, 1);
  return 1;
}

// table.move copies element by element in C; over an empty range of a plain
// table nothing allocates, so the count is capped by the instruction budget.
int safe_move(lua_State* L) {
  const lua_Integer f = luaL_checkinteger(L, 2);
  const lua_Integer e = luaL_checkinteger(L, 3);
  const auto budget = static_cast<lua_Integer>(Vm::from(L).max_instructions());
  if (e >= f && (f < 0 ? e > f + budget : e - f >= budget))
    return luaL_error(L, "table.move: more elements than max_instructions (%I)", budget);
  const int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

int safe_setmetatable(lua_State* L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "__gc metamethods are not allowed in the sandbox");
    lua_pop(L, 1);
  }
  const int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, 1);
  return 1;
}

// os.time() (no table) and os.date(fmt) (no time) at the host clock's now;
// upvalue 1 = the original function, upvalue 2 = the host.
lua_Integer host_now_s(lua_State* L) {
  const auto& host = *static_cast<const SandboxHost*>(lua_touserdata(L, lua_upvalueindex(2)));
  const int64_t ns = host.clock->now_ns();
  return static_cast<lua_Integer>(ns >= 0 ? ns / 1'000'000'000 : -((-ns + 999'999'999) / 1'000'000'000));
}

int clock_time(lua_State* L) {
  if (lua_isnoneornil(L, 1)) {
    lua_pushinteger(L, host_now_s(L));
    return 1;
  }
  const int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

int clock_date(lua_State* L) {
  if (lua_isnoneornil(L, 2)) {
    lua_settop(L, 2);
    lua_pushinteger(L, host_now_s(L));
    lua_replace(L, 2);
  }
  const int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

int sandbox_print(lua_State* L) {
  const int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; ++i) {
    if (i > 1) luaL_addchar(&b, '\t');
    luaL_tolstring(L, i, nullptr);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t len = 0;
  const char* s = lua_tolstring(L, -1, &len);
  auto& host = *static_cast<SandboxHost*>(lua_touserdata(L, lua_upvalueindex(1)));
  if (host.print) host.print(std::string_view(s, len));  // documented not to throw
  return 0;
}

bool valid_module_name(const char* s, size_t len) {
  if (len == 0 || len > 128) return false;
  bool segment_start = true;
  for (size_t i = 0; i < len; ++i) {
    const char c = s[i];
    if (c == '.') {
      if (segment_start) return false;
      segment_start = true;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
    segment_start = false;
  }
  return !segment_start;
}

// require(name): upvalue 1 = host, upvalue 2 = cache table.
int sandbox_require(lua_State* L) {
  size_t len = 0;
  const char* name = luaL_checklstring(L, 1, &len);
  lua_settop(L, 1);
  if (lua_getfield(L, lua_upvalueindex(2), name) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  if (!valid_module_name(name, len))
    return luaL_error(L, "require: invalid module name '%s' (letters, digits, '_' and '.' only)", name);
  SandboxHost& host = host_of(L);
  if (!host.loading)
    return luaL_error(L, "require('%s'): modules can only be loaded while the script loads (top level or init)", name);
  lua_pushstring(L, host.module_dir.c_str());
  lua_pushliteral(L, "/");
  luaL_gsub(L, name, ".", "/");
  lua_pushliteral(L, ".lua");
  lua_concat(L, 4);
  const char* path = lua_tostring(L, -1);  // index 2
  if (luaL_loadfilex(L, path, "t") != LUA_OK) return lua_error(L);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_call(L, 2, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, lua_upvalueindex(2), name);
  return 1;
}

// Replaces global `name` by `fn` with the original as upvalue 1.
void wrap_global(lua_State* L, const char* name, lua_CFunction fn) {
  lua_getglobal(L, name);
  lua_pushcclosure(L, fn, 1);
  lua_setglobal(L, name);
}

// Replaces table[name] by `fn` with the original as upvalue 1.
void wrap_field(lua_State* L, int table, const char* name, lua_CFunction fn) {
  lua_getfield(L, table, name);
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, table, name);
}

void remove_field(lua_State* L, int table, const char* name) {
  lua_pushnil(L);
  lua_setfield(L, table, name);
}

}  // namespace

void install_sandbox(lua_State* L, SandboxHost* host) {
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  lua_pop(L, 5);

  // os: only the clock/date functions, copied into a fresh table.
  luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
  lua_createtable(L, 0, 4);
  for (const char* f : {"time", "clock", "date", "difftime"}) {
    lua_getfield(L, -2, f);
    lua_setfield(L, -2, f);
  }
  if (host->clock) {
    for (auto [name, fn] : {std::pair{"time", &clock_time}, std::pair{"date", &clock_date}}) {
      lua_getfield(L, -1, name);
      lua_pushlightuserdata(L, host);
      lua_pushcclosure(L, fn, 2);
      lua_setfield(L, -2, name);
    }
  }
  lua_setglobal(L, LUA_OSLIBNAME);
  lua_pop(L, 1);

  lua_pushglobaltable(L);
  const int g = lua_gettop(L);
  for (const char* f : {"dofile", "loadfile", "warn"}) remove_field(L, g, f);
  wrap_global(L, "load", &safe_load);
  wrap_global(L, "xpcall", &safe_xpcall);
  wrap_global(L, "collectgarbage", &safe_collectgarbage);
  wrap_global(L, "setmetatable", &safe_setmetatable);

  lua_pushlightuserdata(L, host);
  lua_pushcclosure(L, &sandbox_print, 1);
  lua_setglobal(L, "print");

  lua_pushlightuserdata(L, host);
  lua_newtable(L);
  lua_pushcclosure(L, &sandbox_require, 2);
  lua_setglobal(L, "require");

  lua_getglobal(L, LUA_STRLIBNAME);
  remove_field(L, lua_gettop(L), "dump");
  wrap_field(L, lua_gettop(L), "rep", &safe_rep);
  lua_getglobal(L, LUA_TABLIBNAME);
  wrap_field(L, lua_gettop(L), "move", &safe_move);
  lua_pop(L, 3);
}

}  // namespace routerpulse::lua
