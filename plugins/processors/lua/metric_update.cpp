// The in-place path for `return m`: the script's writes sit in the proxies'
// overlays (metric_proxy.hpp). Check them all first (may raise, changes
// nothing), then move the input metric into the output and apply them (C++
// only). A script that wrote nothing costs one move.
#include <cstdint>
#include <string>
#include <string_view>

#include "metric_convert.hpp"
#include "metric_table.hpp"

namespace routerpulse::lua {
namespace {

// What the metric-level overlay changes. Trivially destructible: lives in a
// frame a Lua error may unwind. `name` views a string held by the overlay.
struct Members {
  std::string_view name;
  bool rename = false;
  int64_t time = 0;
  MetricType type = MetricType::untyped;
};

// Pushes the overlay value of `key` (nil for a removal) and returns true, or
// pushes nothing and returns false when the script did not assign it.
bool written(lua_State* L, Proxies& px, const char* key) {
  lua_pushstring(L, key);
  if (!px.overlay_get(L, ProxyKind::metric, -1)) {
    lua_pop(L, 1);
    return false;
  }
  lua_remove(L, -2);
  return true;
}

// Whether member `key` still shows the proxy of `kind` (not assigned, or
// assigned that very proxy back).
bool kept(lua_State* L, Proxies& px, const char* key, ProxyKind kind) {
  if (!written(L, px, key)) return true;
  const bool same = px.kind_of(L, -1) == kind;
  lua_pop(L, 1);
  return same;
}

// Leaves the name value on the stack when the script assigned one.
Members read_members(lua_State* L, Proxies& px, const Metric& in, const char* what) {
  Members d;
  d.time = in.time();
  d.type = in.type();
  if (px.writes(ProxyKind::metric) == 0) return d;
  if (written(L, px, "name")) {
    d.name = detail::name_value(L, -1, what);  // stays on the stack
    d.rename = true;
  }
  if (written(L, px, "time")) {
    d.time = detail::time_value(L, -1, in.time(), what);
    lua_pop(L, 1);
  }
  if (written(L, px, "type")) {
    d.type = detail::type_value(L, -1, what);
    lua_pop(L, 1);
  }
  return d;
}

// Checks the tags overlay (table at `t`): string keys, string or number
// values (numbers are converted in the overlay, so applying reads strings).
void check_tags(lua_State* L, int t, const char* what) {
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_type(L, -2) != LUA_TSTRING)
      detail::invalid(L, what, "tag keys must be strings, got %s", luaL_typename(L, -2));
    const int vt = lua_type(L, -1);
    if (vt == LUA_TNUMBER) {
      lua_tolstring(L, -1, nullptr);  // converts the stack copy
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, t);  // an existing key: allowed during the traversal
      continue;
    }
    if (vt != LUA_TSTRING && !Proxies::removed(L, -1))
      detail::invalid(L, what, "tag '%s' must be a string, got %s", lua_tostring(L, -2), luaL_typename(L, -1));
    lua_pop(L, 1);
  }
}

void check_fields(lua_State* L, int t, const Metric& in, const char* what) {
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_type(L, -2) != LUA_TSTRING)
      detail::invalid(L, what, "field keys must be strings, got %s", luaL_typename(L, -2));
    if (!Proxies::removed(L, -1)) {
      size_t klen = 0;
      const char* k = lua_tolstring(L, -2, &klen);
      detail::read_field_value(L, -1, in.field(std::string_view(k, klen)), k, what);
    }
    lua_pop(L, 1);
  }
}

std::string_view view(lua_State* L, int idx) {
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);  // strings only: no allocation, no error
  return {s, len};
}

// After the checks: no Lua call here can raise (lua_next over unchanged
// tables, strings read as they are). May throw std::bad_alloc.
// Type hints: each key occurs once in the overlay, so m.field(key) read just
// before its write is still the value the script was shown.
void apply(lua_State* L, int tags, int fields, const Members& d, Metric& m, const char* what) {
  if (d.rename && d.name != m.name()) m.set_name(std::string(d.name));
  m.set_time(d.time);
  m.set_type(d.type);
  if (tags) {
    lua_pushnil(L);
    while (lua_next(L, tags)) {
      if (Proxies::removed(L, -1))
        m.remove_tag(view(L, -2));
      else
        m.set_tag(view(L, -2), view(L, -1));
      lua_pop(L, 1);
    }
  }
  if (fields) {
    lua_pushnil(L);
    while (lua_next(L, fields)) {
      const std::string_view key = view(L, -2);
      if (Proxies::removed(L, -1)) {
        m.remove_field(key);
      } else {
        detail::set_field(m, key, detail::read_field_value(L, -1, m.field(key), key.data(), what));
      }
      lua_pop(L, 1);
    }
  }
}

}  // namespace

bool update_in_place(lua_State* L, int idx, Proxies& px, Reuse& reuse, MetricBatch& out, const char* what) {
  (void)idx;  // the running call's metric proxy: everything is in px
  if (!reuse.metric || px.current() != reuse.metric) return false;
  Metric& in = *reuse.metric;
  luaL_checkstack(L, 12, nullptr);
  const int base = lua_gettop(L);
  if (px.writes(ProxyKind::metric) != 0 &&
      (!kept(L, px, "tags", ProxyKind::tags) || !kept(L, px, "fields", ProxyKind::fields)))
    return false;
  const Members d = read_members(L, px, in, what);
  int tags = 0, fields = 0;
  if (px.writes(ProxyKind::tags) != 0) {
    px.push_overlay(L, ProxyKind::tags);
    tags = lua_gettop(L);
    check_tags(L, tags, what);
  }
  if (px.writes(ProxyKind::fields) != 0) {
    px.push_overlay(L, ProxyKind::fields);
    fields = lua_gettop(L);
    check_fields(L, fields, in, what);
  }
  detail::guarded(L, [&] {
    out.push_back(std::move(in));
    reuse.moved = true;
    apply(L, tags, fields, d, out.back(), what);
  });
  lua_settop(L, base);
  return true;
}

}  // namespace routerpulse::lua
