// The in-place path for `return m`: diff first (may raise, changes nothing),
// then apply to the moved input metric (C++ only). Saves rebuilding every
// tag and field of metrics a rule passes through or only annotates.
#include <cstdint>
#include <string>
#include <string_view>

#include "metric_convert.hpp"
#include "metric_table.hpp"

namespace routerpulse::lua {
namespace {

constexpr int kMaxChanges = 32;

struct TagChange {
  std::string_view key, value;  // views into Lua strings held by the tables
};

struct FieldChange {
  std::string_view key;
  detail::Value value;
};

// Trivially destructible: lives in a frame a Lua error may unwind.
struct Diff {
  std::string_view name;
  int64_t time = 0;
  MetricType type = MetricType::untyped;
  TagChange tags[kMaxChanges];
  int ntags = 0;
  uint32_t tags_removed[kMaxChanges];  // indexes into the metric's tags, ascending
  int ntags_removed = 0;
  FieldChange fields[kMaxChanges];
  int nfields = 0;
  uint32_t fields_removed[kMaxChanges];
  int nfields_removed = 0;
};

std::string_view key_view(lua_State* L, int idx, const char* kind, const char* what) {
  if (lua_type(L, idx) != LUA_TSTRING)
    detail::invalid(L, what, "%s keys must be strings, got %s", kind, luaL_typename(L, idx));
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  return {s, len};
}

// Finds entries of `in` missing from the table at absolute index `t`.
template <class Vec>
bool find_removed(lua_State* L, int t, const Vec& entries, uint32_t* removed, int& nremoved) {
  for (size_t i = 0; i < entries.size(); ++i) {
    lua_pushlstring(L, entries[i].key.data(), entries[i].key.size());
    const bool absent = lua_rawget(L, t) == LUA_TNIL;
    lua_pop(L, 1);
    if (!absent) continue;
    if (nremoved == kMaxChanges) return false;
    removed[nremoved++] = static_cast<uint32_t>(i);
  }
  return true;
}

bool diff_tags(lua_State* L, int t, const Metric& in, Diff& d, const char* what) {
  size_t present = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    const std::string_view k = key_view(L, -2, "tag", what);
    const int vt = lua_type(L, -1);
    if (vt == LUA_TNUMBER) {  // needs a converted string that outlives the stack slot: rebuild
      lua_pop(L, 2);
      return false;
    }
    if (vt != LUA_TSTRING)
      detail::invalid(L, what, "tag '%s' must be a string, got %s", lua_tostring(L, -2), luaL_typename(L, -1));
    size_t vlen = 0;
    const char* v = lua_tolstring(L, -1, &vlen);
    const std::string* cur = in.tag(k);
    if (cur) ++present;
    if (!cur || *cur != std::string_view(v, vlen)) {
      if (d.ntags == kMaxChanges) {
        lua_pop(L, 2);
        return false;
      }
      d.tags[d.ntags++] = {k, std::string_view(v, vlen)};
    }
    lua_pop(L, 1);
  }
  return present == in.tags().size() || find_removed(L, t, in.tags(), d.tags_removed, d.ntags_removed);
}

bool diff_fields(lua_State* L, int t, const Metric& in, Diff& d, const char* what) {
  size_t present = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    const std::string_view k = key_view(L, -2, "field", what);
    const FieldValue* cur = in.field(k);
    const detail::Value v = detail::read_field_value(L, -1, cur, lua_tostring(L, -2), what);
    if (cur) ++present;
    if (!cur || !detail::same_value(v, *cur)) {
      if (d.nfields == kMaxChanges) {
        lua_pop(L, 2);
        return false;
      }
      d.fields[d.nfields++] = {k, v};
    }
    lua_pop(L, 1);
  }
  return present == in.fields().size() || find_removed(L, t, in.fields(), d.fields_removed, d.nfields_removed);
}

void apply(const Diff& d, Metric& m) {
  if (d.name != m.name()) m.set_name(std::string(d.name));
  m.set_time(d.time);
  m.set_type(d.type);
  for (int i = d.ntags_removed - 1; i >= 0; --i) {
    const std::string key = m.tags()[d.tags_removed[i]].key;
    m.remove_tag(key);
  }
  for (int i = 0; i < d.ntags; ++i) m.set_tag(d.tags[i].key, d.tags[i].value);
  for (int i = d.nfields_removed - 1; i >= 0; --i) {
    const std::string key = m.fields()[d.fields_removed[i]].key;
    m.remove_field(key);
  }
  for (int i = 0; i < d.nfields; ++i) detail::set_field(m, d.fields[i].key, d.fields[i].value);
}

}  // namespace

bool update_in_place(lua_State* L, int idx, const TypeHints& hints, Reuse& reuse, MetricBatch& out, const char* what) {
  if (!reuse.metric || !hints.metric_table || lua_topointer(L, idx) != hints.metric_table) return false;
  const Metric& in = *reuse.metric;
  luaL_checkstack(L, 8, nullptr);
  const int base = lua_gettop(L);
  lua_pushliteral(L, "tags");
  lua_rawget(L, idx);
  lua_pushliteral(L, "fields");
  lua_rawget(L, idx);
  const int tags = base + 1, fields = base + 2;
  if (lua_topointer(L, tags) != hints.tags_table || lua_topointer(L, fields) != hints.fields_table) {
    lua_settop(L, base);
    return false;
  }
  Diff d;
  d.name = detail::push_name(L, idx, what);  // stays on the stack while `d` is used
  d.time = detail::read_time(L, idx, in.time(), what);
  d.type = detail::read_type(L, idx, what);
  if (!diff_tags(L, tags, in, d, what) || !diff_fields(L, fields, in, d, what)) {
    lua_settop(L, base);
    return false;
  }
  detail::guarded(L, [&] {
    out.push_back(std::move(*reuse.metric));
    reuse.moved = true;
    apply(d, out.back());
  });
  lua_settop(L, base);
  return true;
}

}  // namespace routerpulse::lua
