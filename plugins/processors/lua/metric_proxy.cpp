#include "metric_proxy.hpp"

#include <cstring>
#include <limits>
#include <string_view>

namespace routerpulse::lua {
namespace {

constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
constexpr int kMaxKeptOverlay = 32;  // an overlay with more entries is replaced, not emptied
constexpr const char* kKindNames[] = {"metric", "tags", "fields"};
constexpr const char* kMembers[] = {"name", "tags", "fields", "time", "type"};  // base order of m

char removed_sentinel;  // its address marks a removal in an overlay

struct Proxy {
  uint64_t gen;
  ProxyKind kind;
};

// "script.lua:LINE: " of the innermost Lua function on the stack (the
// metamethod itself, and pairs(), are C functions).
void push_where(lua_State* L) {
  lua_Debug ar;
  for (int level = 1; level < 6 && lua_getstack(L, level, &ar); ++level) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0) {
      lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
      return;
    }
  }
  lua_pushliteral(L, "");
}

Proxies& self(lua_State* L) { return *static_cast<Proxies*>(lua_touserdata(L, lua_upvalueindex(1))); }

ProxyKind kind_at(lua_State* L, int idx) { return static_cast<Proxy*>(lua_touserdata(L, idx))->kind; }

int kind_index(ProxyKind k) { return static_cast<int>(k); }

// "name" → 0 … "type" → 4; -1 for anything else.
int member_index(const char* s, size_t len) {
  for (int i = 0; i < 5; ++i)
    if (std::strlen(kMembers[i]) == len && std::memcmp(kMembers[i], s, len) == 0) return i;
  return -1;
}

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

// ---- metamethods (upvalue 1: the Proxies) ----

int l_index(lua_State* L) {
  Proxies& px = self(L);
  px.check(L, 1);
  const ProxyKind k = kind_at(L, 1);
  if (px.overlay_get(L, k, 2)) return 1;
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  size_t len = 0;
  const char* s = lua_tolstring(L, 2, &len);
  const std::string_view key(s, len);
  const Metric& m = *px.current();
  if (k == ProxyKind::tags) {
    const std::string* v = m.tag(key);
    if (!v) return 0;
    lua_pushlstring(L, v->data(), v->size());
    return 1;
  }
  if (k == ProxyKind::fields) {
    const FieldValue* v = m.field(key);
    if (!v) return 0;
    push_field(L, *v);
    return 1;
  }
  switch (member_index(s, len)) {
    case 0: lua_pushlstring(L, m.name().data(), m.name().size()); return 1;
    case 1: px.push_proxy(L, ProxyKind::tags); return 1;
    case 2: px.push_proxy(L, ProxyKind::fields); return 1;
    case 3: lua_pushinteger(L, m.time()); return 1;
    case 4:
      if (m.type() == MetricType::untyped) return 0;
      lua_pushstring(L, m.type() == MetricType::counter ? "counter" : "gauge");
      return 1;
    default: return 0;
  }
}

int l_newindex(lua_State* L) {
  Proxies& px = self(L);
  px.check(L, 1);
  px.overlay_set(L, kind_at(L, 1), 2, 3);
  return 0;
}

// Iterator of pairs(): upvalues 1 Proxies, 2 base position, 3 overlay phase;
// state = the proxy, control = the previous key.
int l_next(lua_State* L) {
  Proxies& px = self(L);
  px.check(L, 1);
  Proxies::Cursor c;
  c.pos = static_cast<size_t>(lua_tointeger(L, lua_upvalueindex(2)));
  c.overlay = lua_toboolean(L, lua_upvalueindex(3));
  lua_settop(L, 2);  // the previous key on top, as next_entry wants it
  const bool more = px.next_entry(L, kind_at(L, 1), c);
  lua_pushinteger(L, static_cast<lua_Integer>(c.pos));
  lua_replace(L, lua_upvalueindex(2));
  lua_pushboolean(L, c.overlay);
  lua_replace(L, lua_upvalueindex(3));
  if (!more) return 0;
  return 2;
}

int l_pairs(lua_State* L) {
  Proxies& px = self(L);
  px.check(L, 1);
  lua_pushlightuserdata(L, &px);
  lua_pushinteger(L, 0);
  lua_pushboolean(L, 0);
  lua_pushcclosure(L, &l_next, 3);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

int l_tostring(lua_State* L) {
  const auto* p = static_cast<Proxy*>(lua_touserdata(L, 1));
  lua_pushfstring(L, "routerpulse %s: %p", p ? kKindNames[kind_index(p->kind)] : "?", lua_topointer(L, 1));
  return 1;
}

}  // namespace

void Proxies::install(lua_State* L) {
  luaL_checkstack(L, 8, nullptr);
  for (int k = 0; k < 3; ++k) {
    lua_createtable(L, 0, 6);
    const luaL_Reg methods[] = {{"__index", &l_index},
                                {"__newindex", &l_newindex},
                                {"__pairs", &l_pairs},
                                {"__tostring", &l_tostring},
                                {nullptr, nullptr}};
    lua_pushlightuserdata(L, this);
    luaL_setfuncs(L, methods, 1);
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");  // getmetatable(m) cannot reach (or change) the metamethods
    lua_pushfstring(L, "routerpulse.%s", kKindNames[k]);
    lua_setfield(L, -2, "__name");
    mt_ptr_[k] = lua_topointer(L, -1);
    mt_ref_[k] = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_createtable(L, 0, 4);
    overlay_ref_[k] = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushboolean(L, 0);
    proxy_ref_[k] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
}

void Proxies::clear_overlay(lua_State* L, int k) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, overlay_ref_[k]);
  const int t = lua_gettop(L);
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, t) && ++n <= kMaxKeptOverlay) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, t);  // assigning nil to an existing key during a traversal is allowed
  }
  if (n > kMaxKeptOverlay) {  // a big one: a fresh table instead of a large hash part walked every call
    lua_createtable(L, 0, 4);
    lua_rawseti(L, LUA_REGISTRYINDEX, overlay_ref_[k]);
  }
  lua_settop(L, t - 1);
  writes_[k] = 0;
}

void Proxies::begin(lua_State* L, const Metric& m) {
  luaL_checkstack(L, 8, nullptr);
  for (int k = 0; k < 3; ++k)
    if (writes_[k] != 0) clear_overlay(L, k);
  metric_ = &m;
  ++gen_;
  push_proxy(L, ProxyKind::metric);
}

void Proxies::push_proxy(lua_State* L, ProxyKind kind) {
  const int k = kind_index(kind);
  if (kind != ProxyKind::metric && proxy_gen_[k] == gen_) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, proxy_ref_[k]);
    return;
  }
  auto* p = static_cast<Proxy*>(lua_newuserdatauv(L, sizeof(Proxy), 0));
  p->gen = gen_;
  p->kind = kind;
  lua_rawgeti(L, LUA_REGISTRYINDEX, mt_ref_[k]);
  lua_setmetatable(L, -2);
  if (kind == ProxyKind::metric) return;
  lua_pushvalue(L, -1);
  lua_rawseti(L, LUA_REGISTRYINDEX, proxy_ref_[k]);
  proxy_gen_[k] = gen_;
}

void Proxies::check(lua_State* L, int idx) {
  const auto* p = static_cast<const Proxy*>(lua_touserdata(L, idx));
  if (p && p->gen == gen_ && metric_) return;
  push_where(L);
  lua_pushfstring(L,
                  "%s used after the process() call it was given to has ended (keep copies of values, not "
                  "m, m.tags or m.fields, between calls)",
                  p ? (p->kind == ProxyKind::metric ? "metric"
                       : p->kind == ProxyKind::tags ? "m.tags"
                                                    : "m.fields")
                    : "metric");
  lua_concat(L, 2);
  lua_error(L);
}

ProxyKind Proxies::kind_of(lua_State* L, int idx) const {
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) return ProxyKind::none;
  const void* mt = lua_topointer(L, -1);
  lua_pop(L, 1);
  if (mt != mt_ptr_[0] && mt != mt_ptr_[1] && mt != mt_ptr_[2]) return ProxyKind::none;
  const auto* p = static_cast<const Proxy*>(lua_touserdata(L, idx));
  return p->gen == gen_ && metric_ ? p->kind : ProxyKind::stale;
}

bool Proxies::removed(lua_State* L, int idx) noexcept { return lua_touserdata(L, idx) == &removed_sentinel; }

void Proxies::push_overlay(lua_State* L, ProxyKind k) const {
  lua_rawgeti(L, LUA_REGISTRYINDEX, overlay_ref_[kind_index(k)]);
}

bool Proxies::overlay_get(lua_State* L, ProxyKind kind, int key_idx) {
  const int k = kind_index(kind);
  if (writes_[k] == 0) return false;
  key_idx = lua_absindex(L, key_idx);
  lua_rawgeti(L, LUA_REGISTRYINDEX, overlay_ref_[k]);
  lua_pushvalue(L, key_idx);
  if (lua_rawget(L, -2) == LUA_TNIL) {
    lua_pop(L, 2);
    return false;
  }
  lua_remove(L, -2);
  if (removed(L, -1)) {
    lua_pop(L, 1);
    lua_pushnil(L);
  }
  return true;
}

void Proxies::overlay_set(lua_State* L, ProxyKind kind, int key_idx, int value_idx) {
  const int k = kind_index(kind);
  key_idx = lua_absindex(L, key_idx);
  value_idx = lua_absindex(L, value_idx);
  lua_rawgeti(L, LUA_REGISTRYINDEX, overlay_ref_[k]);
  lua_pushvalue(L, key_idx);
  if (lua_isnil(L, value_idx))
    lua_pushlightuserdata(L, &removed_sentinel);
  else
    lua_pushvalue(L, value_idx);
  ++writes_[k];       // before the set: if it raises (nil/NaN key) the overlay is still emptied next call
  lua_rawset(L, -3);  // raises "index is nil" / "index is NaN" like a table
  lua_pop(L, 1);
}

void Proxies::push_member(lua_State* L, const char* key) {
  lua_pushstring(L, key);
  if (overlay_get(L, ProxyKind::metric, -1)) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 1);
  const int i = member_index(key, std::strlen(key));
  if (i < 0 || !push_base_value(L, ProxyKind::metric, static_cast<size_t>(i))) lua_pushnil(L);
}

size_t Proxies::base_size(ProxyKind k) const noexcept {
  switch (k) {
    case ProxyKind::tags: return metric_->tags().size();
    case ProxyKind::fields: return metric_->fields().size();
    default: return metric_->type() == MetricType::untyped ? 4 : 5;  // `type` (last) only when set
  }
}

void Proxies::push_base_key(lua_State* L, ProxyKind k, size_t i) const {
  if (k == ProxyKind::tags) {
    const Tag& t = metric_->tags()[i];
    lua_pushlstring(L, t.key.data(), t.key.size());
  } else if (k == ProxyKind::fields) {
    const std::string_view key(metric_->fields()[i].key);
    lua_pushlstring(L, key.data(), key.size());
  } else {
    lua_pushstring(L, kMembers[i]);
  }
}

bool Proxies::push_base_value(lua_State* L, ProxyKind k, size_t i) {
  if (k == ProxyKind::tags) {
    const Tag& t = metric_->tags()[i];
    lua_pushlstring(L, t.value.data(), t.value.size());
    return true;
  }
  if (k == ProxyKind::fields) {
    push_field(L, metric_->fields()[i].value);
    return true;
  }
  switch (i) {
    case 0: lua_pushlstring(L, metric_->name().data(), metric_->name().size()); return true;
    case 1: push_proxy(L, ProxyKind::tags); return true;
    case 2: push_proxy(L, ProxyKind::fields); return true;
    case 3: lua_pushinteger(L, metric_->time()); return true;
    default:
      if (metric_->type() == MetricType::untyped) return false;
      lua_pushstring(L, metric_->type() == MetricType::counter ? "counter" : "gauge");
      return true;
  }
}

bool Proxies::in_base(lua_State* L, ProxyKind k, int key_idx) const {
  if (lua_type(L, key_idx) != LUA_TSTRING) return false;
  size_t len = 0;
  const char* s = lua_tolstring(L, key_idx, &len);
  if (k == ProxyKind::tags) return metric_->tag(std::string_view(s, len)) != nullptr;
  if (k == ProxyKind::fields) return metric_->field(std::string_view(s, len)) != nullptr;
  const int i = member_index(s, len);
  return i >= 0 && (i != 4 || metric_->type() != MetricType::untyped);
}

// Base entries (overlay values win, removals skipped), then overlay entries
// whose keys the base does not have. Protocol of lua_next: the previous key
// on top (popped); pushes key and value when it returns true.
bool Proxies::next_entry(lua_State* L, ProxyKind k, Cursor& c) {
  luaL_checkstack(L, 6, nullptr);
  if (!c.overlay) {
    lua_pop(L, 1);
    const size_t n = base_size(k);
    while (c.pos < n) {
      const size_t i = c.pos++;
      push_base_key(L, k, i);
      if (overlay_get(L, k, -1)) {
        if (lua_isnil(L, -1)) {
          lua_pop(L, 2);
          continue;
        }
        return true;
      }
      if (push_base_value(L, k, i)) return true;
      lua_pop(L, 1);
    }
    c.overlay = true;
    lua_pushnil(L);
  }
  if (writes_[kind_index(k)] == 0) {
    lua_pop(L, 1);
    return false;
  }
  push_overlay(L, k);
  lua_insert(L, -2);
  const int t = lua_gettop(L) - 1;
  while (lua_next(L, t)) {
    if (removed(L, -1) || in_base(L, k, -2)) {
      lua_pop(L, 1);
      continue;
    }
    lua_remove(L, t);
    return true;
  }
  lua_pop(L, 1);
  return false;
}

void Proxies::each_entry(lua_State* L, int idx, void (*fn)(lua_State* L, void* ctx), void* ctx) {
  const ProxyKind k = kind_at(L, idx);
  Cursor c;
  lua_pushnil(L);
  while (next_entry(L, k, c)) {
    fn(L, ctx);
    lua_pop(L, 1);
  }
}

bool Proxies::flatten(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  const ProxyKind k = kind_of(L, idx);
  if (k == ProxyKind::stale) check(L, idx);  // raises
  if (k != ProxyKind::tags && k != ProxyKind::fields) return false;
  lua_newtable(L);
  each_entry(
      L, idx,
      [](lua_State* S, void*) {
        lua_pushvalue(S, -2);
        lua_pushvalue(S, -2);
        lua_rawset(S, -5);
      },
      nullptr);
  lua_replace(L, idx);
  return true;
}

}  // namespace routerpulse::lua
