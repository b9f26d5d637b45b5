#include "metric_table.hpp"

#include <limits>
#include <string_view>

#include "metric_convert.hpp"

namespace routerpulse::lua {

using detail::guarded;
using detail::invalid;

namespace {

constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

void push_field(lua_State* L, const FieldValue& v) {
  switch (v.index()) {
    case 0: lua_pushinteger(L, std::get<int64_t>(v)); return;
    case 1: {
      const uint64_t u = std::get<uint64_t>(v);
      if (u <= kInt64Max)
        lua_pushinteger(L, static_cast<lua_Integer>(u));
      else
        lua_pushnumber(L, static_cast<lua_Number>(u));
      return;
    }
    case 2: lua_pushnumber(L, std::get<double>(v)); return;
    case 3: lua_pushboolean(L, std::get<bool>(v)); return;
    default: {
      const auto& s = std::get<std::string>(v);
      lua_pushlstring(L, s.data(), s.size());
      return;
    }
  }
}

// Table at the top; leaves the stack as it found it.
void read_tags(lua_State* L, Metric& m, const char* what) {
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_type(L, -2) != LUA_TSTRING) invalid(L, what, "tag keys must be strings, got %s", luaL_typename(L, -2));
    size_t klen = 0, vlen = 0;
    const char* k = lua_tolstring(L, -2, &klen);
    const int vt = lua_type(L, -1);
    if (vt == LUA_TNUMBER) {
      lua_pushvalue(L, -1);  // convert a copy: the table value stays a number
    } else if (vt != LUA_TSTRING) {
      invalid(L, what, "tag '%s' must be a string, got %s", k, luaL_typename(L, -1));
    }
    const char* v = lua_tolstring(L, -1, &vlen);
    guarded(L, [&] { m.set_tag(std::string_view(k, klen), std::string_view(v, vlen)); });
    lua_pop(L, vt == LUA_TNUMBER ? 2 : 1);
  }
}

// Table at the top; leaves the stack as it found it.
void read_fields(lua_State* L, Metric& m, const Metric* hint, const char* what) {
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_type(L, -2) != LUA_TSTRING) invalid(L, what, "field keys must be strings, got %s", luaL_typename(L, -2));
    size_t klen = 0;
    const char* k = lua_tolstring(L, -2, &klen);
    const std::string_view key(k, klen);
    const detail::Value v = detail::read_field_value(L, -1, hint ? hint->field(key) : nullptr, k, what);
    guarded(L, [&] { detail::set_field(m, key, v); });
    lua_pop(L, 1);
  }
}

void read_one(lua_State* L, int t, const TypeHints& hints, int64_t default_time, MetricBatch& out, const char* what) {
  t = lua_absindex(L, t);
  luaL_checkstack(L, 8, nullptr);
  if (lua_type(L, t) != LUA_TTABLE) invalid(L, what, "expected a metric table, got %s", luaL_typename(L, t));
  const std::string_view name = detail::push_name(L, t, what);
  const int64_t time = detail::read_time(L, t, default_time, what);
  const MetricType type = detail::read_type(L, t, what);
  guarded(L, [&] { out.emplace_back(std::string(name), time, type); });
  lua_pop(L, 1);  // name
  Metric& m = out.back();

  lua_pushliteral(L, "tags");
  int tt = lua_rawget(L, t);
  if (tt == LUA_TTABLE)
    read_tags(L, m, what);
  else if (tt != LUA_TNIL)
    invalid(L, what, "'tags' must be a table, got %s", luaL_typename(L, -1));
  lua_pop(L, 1);

  lua_pushliteral(L, "fields");
  tt = lua_rawget(L, t);
  if (tt == LUA_TTABLE) {
    const bool same = hints.origin && lua_topointer(L, -1) == hints.fields_table;
    read_fields(L, m, same ? hints.origin : nullptr, what);
  } else if (tt != LUA_TNIL) {
    invalid(L, what, "'fields' must be a table, got %s", luaL_typename(L, -1));
  }
  lua_pop(L, 1);
}

}  // namespace

void push_metric(lua_State* L, const Metric& m) {
  luaL_checkstack(L, 6, nullptr);
  lua_createtable(L, 0, 5);
  lua_pushlstring(L, m.name().data(), m.name().size());
  lua_setfield(L, -2, "name");
  lua_createtable(L, 0, static_cast<int>(m.tags().size()));
  for (const Tag& t : m.tags()) {
    lua_pushlstring(L, t.key.data(), t.key.size());
    lua_pushlstring(L, t.value.data(), t.value.size());
    lua_rawset(L, -3);
  }
  lua_setfield(L, -2, "tags");
  lua_createtable(L, 0, static_cast<int>(m.fields().size()));
  for (const Field& f : m.fields()) {
    lua_pushlstring(L, f.key.data(), f.key.size());
    push_field(L, f.value);
    lua_rawset(L, -3);
  }
  lua_setfield(L, -2, "fields");
  lua_pushinteger(L, m.time());
  lua_setfield(L, -2, "time");
  if (m.type() != MetricType::untyped) {
    lua_pushstring(L, m.type() == MetricType::counter ? "counter" : "gauge");
    lua_setfield(L, -2, "type");
  }
}

void read_result(lua_State* L, int idx, const TypeHints& hints, int64_t default_time, MetricBatch& out,
                 const char* what, Reuse* reuse) {
  idx = lua_absindex(L, idx);
  const int t = lua_type(L, idx);
  if (t == LUA_TNIL) return;
  if (t != LUA_TTABLE)
    invalid(L, what, "expected a metric table, a list of metric tables or nil, got %s", luaL_typename(L, idx));
  // A metric has a name (or at least tags/fields, for a clear error); a
  // table with none of them is a list of metrics (empty = nothing).
  bool single = false;
  for (const char* key : {"name", "fields", "tags"}) {
    lua_pushstring(L, key);
    single = single || lua_rawget(L, idx) != LUA_TNIL;
    lua_pop(L, 1);
  }
  if (single) {
    if (reuse && update_in_place(L, idx, hints, *reuse, out, what)) return;
    read_one(L, idx, hints, default_time, out, what);
    return;
  }
  const lua_Unsigned n = lua_rawlen(L, idx);
  for (lua_Unsigned i = 1; i <= n; ++i) {
    lua_rawgeti(L, idx, static_cast<lua_Integer>(i));
    read_one(L, -1, hints, default_time, out, what);
    lua_pop(L, 1);
  }
}

}  // namespace routerpulse::lua
