#include "metric_table.hpp"

#include <string_view>

#include "metric_convert.hpp"

namespace routerpulse::lua {

using detail::guarded;
using detail::invalid;

namespace {

constexpr const char* kStale =
    "a metric (or its tags/fields) from an earlier process() call; return m only from the call that received it, "
    "or build a new table";

struct EntryCtx {
  Metric* m;
  const Metric* hint;  ///< type hints for fields (the metric m.fields shows), or nullptr
  const char* what;
};

// Key at -2, value at -1; leaves the stack as it found it.
void read_tag(lua_State* L, void* p) {
  auto& c = *static_cast<EntryCtx*>(p);
  if (lua_type(L, -2) != LUA_TSTRING) invalid(L, c.what, "tag keys must be strings, got %s", luaL_typename(L, -2));
  size_t klen = 0, vlen = 0;
  const char* k = lua_tolstring(L, -2, &klen);
  const int vt = lua_type(L, -1);
  if (vt == LUA_TNUMBER) {
    lua_pushvalue(L, -1);  // convert a copy: the table value stays a number
  } else if (vt != LUA_TSTRING) {
    invalid(L, c.what, "tag '%s' must be a string, got %s", k, luaL_typename(L, -1));
  }
  const char* v = lua_tolstring(L, -1, &vlen);
  guarded(L, [&] { c.m->set_tag(std::string_view(k, klen), std::string_view(v, vlen)); });
  if (vt == LUA_TNUMBER) lua_pop(L, 1);
}

void read_field(lua_State* L, void* p) {
  auto& c = *static_cast<EntryCtx*>(p);
  if (lua_type(L, -2) != LUA_TSTRING) invalid(L, c.what, "field keys must be strings, got %s", luaL_typename(L, -2));
  size_t klen = 0;
  const char* k = lua_tolstring(L, -2, &klen);
  const std::string_view key(k, klen);
  const detail::Value v = detail::read_field_value(L, -1, c.hint ? c.hint->field(key) : nullptr, k, c.what);
  guarded(L, [&] { detail::set_field(*c.m, key, v); });
}

// The tags or fields value at the top: a table, a proxy of the running call
// or nil. Leaves the stack as it found it.
void read_entries(lua_State* L, Proxies& px, Metric& m, bool tags, const char* what) {
  const int v = lua_gettop(L);
  const ProxyKind k = px.kind_of(L, v);
  EntryCtx c{&m, nullptr, what};
  void (*fn)(lua_State*, void*) = tags ? &read_tag : &read_field;
  if (k == ProxyKind::tags || k == ProxyKind::fields) {
    if (!tags && k == ProxyKind::fields) c.hint = px.current();
    px.each_entry(L, v, fn, &c);
  } else if (k == ProxyKind::stale) {
    invalid(L, what, kStale);
  } else if (lua_type(L, v) == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, v)) {
      fn(L, &c);
      lua_pop(L, 1);
    }
  } else if (lua_type(L, v) != LUA_TNIL) {
    invalid(L, what, tags ? "'tags' must be a table, got %s" : "'fields' must be a table, got %s", luaL_typename(L, v));
  }
}

// Pushes member `key` of the metric at `t` (a table or the running proxy).
void push_member(lua_State* L, Proxies& px, int t, bool proxy, const char* key) {
  if (proxy) {
    px.push_member(L, key);
  } else {
    lua_pushstring(L, key);
    lua_rawget(L, t);
  }
}

void read_one(lua_State* L, int t, Proxies& px, int64_t default_time, MetricBatch& out, const char* what) {
  t = lua_absindex(L, t);
  luaL_checkstack(L, 10, nullptr);
  const ProxyKind kind = px.kind_of(L, t);
  if (kind == ProxyKind::stale) invalid(L, what, kStale);
  const bool proxy = kind == ProxyKind::metric;
  if (!proxy && lua_type(L, t) != LUA_TTABLE)
    invalid(L, what, "expected a metric table, got %s",
            kind == ProxyKind::none ? luaL_typename(L, t) : "m.tags/m.fields");
  push_member(L, px, t, proxy, "name");  // stays on the stack while `name` is used
  const std::string_view name = detail::name_value(L, -1, what);
  push_member(L, px, t, proxy, "time");
  const int64_t time = detail::time_value(L, -1, default_time, what);
  lua_pop(L, 1);
  push_member(L, px, t, proxy, "type");
  const MetricType type = detail::type_value(L, -1, what);
  lua_pop(L, 1);
  guarded(L, [&] { out.emplace_back(std::string(name), time, type); });
  lua_pop(L, 1);  // name
  Metric& m = out.back();

  push_member(L, px, t, proxy, "tags");
  read_entries(L, px, m, true, what);
  lua_pop(L, 1);
  push_member(L, px, t, proxy, "fields");
  read_entries(L, px, m, false, what);
  lua_pop(L, 1);
}

}  // namespace

void read_result(lua_State* L, int idx, Proxies& px, int64_t default_time, MetricBatch& out, const char* what,
                 Reuse* reuse) {
  idx = lua_absindex(L, idx);
  const int t = lua_type(L, idx);
  if (t == LUA_TNIL) return;
  const ProxyKind kind = px.kind_of(L, idx);
  if (kind == ProxyKind::stale) invalid(L, what, kStale);
  if (kind == ProxyKind::metric) {
    if (reuse && update_in_place(L, idx, px, *reuse, out, what)) return;
    read_one(L, idx, px, default_time, out, what);
    return;
  }
  if (t != LUA_TTABLE)
    invalid(L, what, "expected a metric table, a list of metric tables or nil, got %s",
            kind == ProxyKind::none ? luaL_typename(L, idx) : "m.tags/m.fields");
  // A metric has a name (or at least tags/fields, for a clear error); a
  // table with none of them is a list of metrics (empty = nothing).
  bool single = false;
  for (const char* key : {"name", "fields", "tags"}) {
    lua_pushstring(L, key);
    single = single || lua_rawget(L, idx) != LUA_TNIL;
    lua_pop(L, 1);
  }
  if (single) {
    read_one(L, idx, px, default_time, out, what);
    return;
  }
  const lua_Unsigned n = lua_rawlen(L, idx);
  for (lua_Unsigned i = 1; i <= n; ++i) {
    lua_rawgeti(L, idx, static_cast<lua_Integer>(i));
    read_one(L, -1, px, default_time, out, what);
    lua_pop(L, 1);
  }
}

}  // namespace routerpulse::lua
