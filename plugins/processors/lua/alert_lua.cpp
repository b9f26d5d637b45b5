#include "alert_lua.hpp"

#include <cmath>
#include <cstring>
#include <iterator>
#include <string_view>

#include "metric_proxy.hpp"

namespace routerpulse::lua {
namespace {

// Stack slots alert{} normalises its arguments into (the table is slot 1).
enum Slot : int {
  kName = 2,
  kKey,
  kCondition,
  kFor,
  kCooldown,
  kSeverity,
  kValue,
  kMessage,
  kLabels,
  kAnnotations,
  kTime,
  kStaleAfter,
  kLastSlot = kStaleAfter
};
constexpr const char* kOptionNames[] = {"name",  "key",     "condition", "for",         "cooldown", "severity",
                                        "value", "message", "labels",    "annotations", "time",     "stale_after"};
constexpr const char* kReservedTags[] = {"alertname", "severity", "key"};
constexpr const char* kReservedFields[] = {"status", "value", "message", "started_at", "reason"};
constexpr double kMaxSeconds = 1e9;  // ~31 years: keeps ns in int64

// Upvalues of alert(): the binding, the interned name strings (Names), the
// tables that keep those strings alive, and the three phase strings.
enum Upvalue : int { kBinding = 1, kNames, kSlots, kReservedTagSet, kReservedFieldSet, kPhaseStrings };

// Addresses of this state's interned option and reserved names. Lua interns
// short strings, so a key is one of them exactly when its address is
// (lua_topointer): recognising a name costs no hashing and no API calls.
struct Names {
  const void* option[std::size(kOptionNames)];
  const void* reserved_tag[std::size(kReservedTags)];
  const void* reserved_field[std::size(kReservedFields)];
};

const Names& names(lua_State* L) { return *static_cast<const Names*>(lua_touserdata(L, lua_upvalueindex(kNames))); }

template <size_t N>
int find(const void* const (&list)[N], const void* p) {
  for (size_t i = 0; i < N; ++i)
    if (list[i] == p) return static_cast<int>(i);
  return -1;
}

[[noreturn]] void unknown_option(lua_State* L, int key) {
  luaL_error(L,
             "alert{}: unknown option '%s' (known: name, key, condition, for, cooldown, severity, value, "
             "message, labels, annotations, time, stale_after)",
             lua_tostring(L, key));
  __builtin_unreachable();
}

// Moves every option of the table at 1 into its slot in one pass; unknown
// names raise. Slots of absent options are nil.
void read_options(lua_State* L) {
  lua_settop(L, kLastSlot);
  const Names& n = names(L);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "alert{}: option names must be strings");
    const int i = find(n.option, lua_topointer(L, -2));
    if (i < 0) unknown_option(L, -2);
    lua_replace(L, kName + i);  // pops the value, the key stays for lua_next
  }
  if (lua_getmetatable(L, 1)) {  // a table with __index: read through it, as lua_getfield does
    lua_pop(L, 1);
    for (int slot = kName; slot <= kLastSlot; ++slot) {
      lua_getfield(L, 1, kOptionNames[slot - kName]);
      lua_replace(L, slot);
    }
  }
}

bool reserved_tag(lua_State* L, int key) { return find(names(L).reserved_tag, lua_topointer(L, key)) >= 0; }
bool reserved_field(lua_State* L, int key) { return find(names(L).reserved_field, lua_topointer(L, key)) >= 0; }

// m.tags / m.fields given as labels/annotations: a plain copy of what they show.
void flatten_proxy(lua_State* L, int slot, const char* what) {
  auto& b = *static_cast<AlertBinding*>(lua_touserdata(L, lua_upvalueindex(kBinding)));
  if (lua_type(L, slot) == LUA_TUSERDATA && b.proxies && b.proxies->flatten(L, slot)) return;
  luaL_error(L, "alert{}: '%s' must be a table, got %s", what, luaL_typename(L, slot));
}

// A string slot: nil → `def`, number → its string form, else error.
void string_slot(lua_State* L, int slot, const char* what, const char* def) {
  const int t = lua_type(L, slot);
  if (t == LUA_TNIL) {
    lua_pushstring(L, def);
    lua_replace(L, slot);
  } else if (t == LUA_TNUMBER) {
    lua_tolstring(L, slot, nullptr);  // converts the slot in place
  } else if (t != LUA_TSTRING) {
    luaL_error(L, "alert{}: '%s' must be a string, got %s", what, luaL_typename(L, slot));
  }
}

int64_t seconds_slot(lua_State* L, int slot, const char* what, int64_t def_ns) {
  const int t = lua_type(L, slot);
  if (t == LUA_TNIL) return def_ns;
  if (t != LUA_TNUMBER)
    luaL_error(L, "alert{}: '%s' must be a number of seconds, got %s", what, luaL_typename(L, slot));
  const double s = lua_tonumber(L, slot);
  if (!(s >= 0 && s <= kMaxSeconds))
    luaL_error(L, "alert{}: '%s' must be between 0 and %f seconds, got %f", what, kMaxSeconds, s);
  return std::llround(s * 1e9);
}

// labels: string keys (not reserved), string or number values. When numbers
// occur, the labels are copied into a fresh table with string values, so
// phase 2 reads only strings.
void labels_slot(lua_State* L) {
  const int t = lua_type(L, kLabels);
  if (t == LUA_TNIL) return;
  if (t != LUA_TTABLE) flatten_proxy(L, kLabels, "labels");
  bool numbers = false;
  lua_pushnil(L);
  while (lua_next(L, kLabels)) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "alert{}: label names must be strings");
    const char* k = lua_tostring(L, -2);
    if (reserved_tag(L, -2)) luaL_error(L, "alert{}: label '%s' is reserved", k);
    const int vt = lua_type(L, -1);
    if (vt != LUA_TSTRING && vt != LUA_TNUMBER)
      luaL_error(L, "alert{}: label '%s' must be a string, got %s", k, luaL_typename(L, -1));
    numbers = numbers || vt == LUA_TNUMBER;
    lua_pop(L, 1);
  }
  if (!numbers) return;
  lua_newtable(L);
  const int copy = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, kLabels)) {
    lua_pushvalue(L, -2);
    lua_pushvalue(L, -2);
    lua_tolstring(L, -1, nullptr);
    lua_rawset(L, copy);
    lua_pop(L, 1);
  }
  lua_replace(L, kLabels);
}

void annotations_slot(lua_State* L) {
  const int t = lua_type(L, kAnnotations);
  if (t == LUA_TNIL) return;
  if (t != LUA_TTABLE) flatten_proxy(L, kAnnotations, "annotations");
  lua_pushnil(L);
  while (lua_next(L, kAnnotations)) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "alert{}: annotation names must be strings");
    const char* k = lua_tostring(L, -2);
    if (reserved_field(L, -2)) luaL_error(L, "alert{}: annotation '%s' is reserved", k);
    const int vt = lua_type(L, -1);
    if (vt != LUA_TSTRING && vt != LUA_TNUMBER && vt != LUA_TBOOLEAN)
      luaL_error(L, "alert{}: annotation '%s' must be a string, number or boolean, got %s", k, luaL_typename(L, -1));
    lua_pop(L, 1);
  }
}

std::string_view view(lua_State* L, int idx) {
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);  // only called on strings: no allocation
  return {s, len};
}

// AlertSpec::Extras over the validated label/annotation slots: reads only
// strings, numbers and booleans, and lua_next over tables that are not
// modified, so no Lua error can be raised here.
void extras_from_stack(const void* ctx, std::vector<Tag>& labels, std::vector<Field>& annotations) {
  lua_State* L = const_cast<lua_State*>(static_cast<const lua_State*>(ctx));
  if (lua_istable(L, kLabels)) {
    lua_pushnil(L);
    while (lua_next(L, kLabels)) {
      labels.push_back(Tag{std::string(view(L, -2)), std::string(view(L, -1))});
      lua_pop(L, 1);
    }
  }
  if (lua_istable(L, kAnnotations)) {
    lua_pushnil(L);
    while (lua_next(L, kAnnotations)) {
      FieldValue v;
      switch (lua_type(L, -1)) {
        case LUA_TBOOLEAN: v = static_cast<bool>(lua_toboolean(L, -1)); break;
        case LUA_TSTRING: v = std::string(view(L, -1)); break;
        default:
          if (lua_isinteger(L, -1))
            v = static_cast<int64_t>(lua_tointeger(L, -1));
          else
            v = static_cast<double>(lua_tonumber(L, -1));
      }
      annotations.push_back(Field{std::string(view(L, -2)), std::move(v)});
      lua_pop(L, 1);
    }
  }
}

AlertSpec make_spec(lua_State* L, bool condition, double value, int64_t for_ns, int64_t cooldown_ns, int64_t stale_ns) {
  AlertSpec spec;
  spec.name = view(L, kName);
  spec.key = view(L, kKey);
  spec.severity = view(L, kSeverity);
  spec.condition = condition;
  spec.value = value;
  spec.for_ns = for_ns;
  spec.cooldown_ns = cooldown_ns;
  spec.stale_after_ns = stale_ns;
  spec.extras = &extras_from_stack;
  spec.extras_ctx = L;
  return spec;
}

// The message slot once the tracker needs it: a function is called with the
// option table; nil (given or returned) is "<name> <key>".
void resolve_message(lua_State* L) {
  if (lua_type(L, kMessage) == LUA_TFUNCTION) {
    lua_pushvalue(L, kMessage);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    const int t = lua_type(L, -1);
    if (t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TNIL)
      luaL_error(L, "alert{}: the 'message' function must return a string, got %s", luaL_typename(L, -1));
    lua_replace(L, kMessage);
  }
  if (lua_isnil(L, kMessage)) {
    lua_pushfstring(L, "%s %s", lua_tostring(L, kName), lua_tostring(L, kKey));
    lua_replace(L, kMessage);
  }
  lua_tolstring(L, kMessage, nullptr);  // a number becomes its string form
}

int l_alert(lua_State* L) {
  auto& b = *static_cast<AlertBinding*>(lua_touserdata(L, lua_upvalueindex(kBinding)));
  // Phase 1: validate and normalise into fixed slots (may raise).
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  luaL_checkstack(L, kLastSlot + 8, nullptr);
  read_options(L);
  if (lua_type(L, kName) != LUA_TSTRING || lua_rawlen(L, kName) == 0)
    luaL_error(L, "alert{}: 'name' must be a non-empty string, got %s", luaL_typename(L, kName));
  string_slot(L, kKey, "key", "");
  if (lua_isnil(L, kCondition)) luaL_error(L, "alert{}: 'condition' is required");
  const bool condition = lua_toboolean(L, kCondition);
  const int64_t for_ns = seconds_slot(L, kFor, "for", 0);
  const int64_t cooldown_ns = seconds_slot(L, kCooldown, "cooldown", 0);
  const int64_t stale_ns = seconds_slot(L, kStaleAfter, "stale_after", b.default_stale_after_ns);
  string_slot(L, kSeverity, "severity", "warning");
  double value = condition ? 1.0 : 0.0;
  if (lua_type(L, kValue) == LUA_TNUMBER)
    value = lua_tonumber(L, kValue);
  else if (lua_type(L, kValue) == LUA_TBOOLEAN)
    value = lua_toboolean(L, kValue) ? 1.0 : 0.0;
  else if (!lua_isnil(L, kValue))
    luaL_error(L, "alert{}: 'value' must be a number, got %s", luaL_typename(L, kValue));
  // A function or nil message is resolved below, only when the tracker reads it.
  const bool lazy_message = lua_isnil(L, kMessage) || lua_type(L, kMessage) == LUA_TFUNCTION;
  if (!lazy_message) string_slot(L, kMessage, "message", "");
  labels_slot(L);
  annotations_slot(L);
  int64_t t = b.now;
  if (lua_type(L, kTime) == LUA_TNUMBER) {
    const bool isint = lua_isinteger(L, kTime);
    const double d = lua_tonumber(L, kTime);
    if (!isint && !(std::isfinite(d) && std::fabs(d) < 9.2e18)) luaL_error(L, "alert{}: 'time' is out of range");
    t = isint ? lua_tointeger(L, kTime) : static_cast<int64_t>(d);
  } else if (!lua_isnil(L, kTime)) {
    luaL_error(L, "alert{}: 'time' must be an integer (ns since the epoch), got %s", luaL_typename(L, kTime));
  }
  if (!b.tracker || !b.events)
    luaL_error(L, "alert{}: not available while the script loads; call it from process() or tick()");
  if (lazy_message) {
    int needed = -1;  // -1: out of memory
    try {
      needed = b.tracker->needs_message(make_spec(L, condition, value, for_ns, cooldown_ns, stale_ns), t) ? 1 : 0;
    } catch (...) {
    }
    if (needed < 0) return luaL_error(L, "alert{}: out of memory");
    if (needed) resolve_message(L);
  }

  // Phase 2: no Lua call below can raise; C++ objects live only in this scope.
  AlertPhase phase = AlertPhase::inactive;
  bool failed = false;
  try {
    AlertSpec spec = make_spec(L, condition, value, for_ns, cooldown_ns, stale_ns);
    if (lua_type(L, kMessage) == LUA_TSTRING) spec.message = view(L, kMessage);  // else: not read
    phase = b.tracker->evaluate(spec, t, *b.events);
  } catch (...) {
    failed = true;
  }
  if (failed) return luaL_error(L, "alert{}: out of memory");
  lua_pushvalue(L, lua_upvalueindex(kPhaseStrings + static_cast<int>(phase)));
  return 1;
}

// Pushes a table with the names as keys (it keeps the strings alive, so
// their addresses stay valid) and records the addresses.
template <size_t N>
void push_names(lua_State* L, const char* const (&list)[N], const void* (&out)[N]) {
  lua_createtable(L, 0, static_cast<int>(N));
  for (size_t i = 0; i < N; ++i) {
    lua_pushstring(L, list[i]);
    out[i] = lua_topointer(L, -1);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
  }
}

}  // namespace

void install_alert(lua_State* L, AlertBinding* binding) {
  lua_pushlightuserdata(L, binding);
  auto* n = static_cast<Names*>(lua_newuserdatauv(L, sizeof(Names), 0));
  push_names(L, kOptionNames, n->option);
  push_names(L, kReservedTags, n->reserved_tag);
  push_names(L, kReservedFields, n->reserved_field);
  for (AlertPhase p : {AlertPhase::inactive, AlertPhase::pending, AlertPhase::firing}) lua_pushstring(L, to_string(p));
  lua_pushcclosure(L, &l_alert, kPhaseStrings + 2);
  lua_setglobal(L, "alert");
}

}  // namespace routerpulse::lua
