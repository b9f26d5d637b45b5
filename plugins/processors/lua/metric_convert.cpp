#include "metric_convert.hpp"

#include <cmath>
#include <cstdarg>
#include <limits>
#include <string>

#include "lua_vm.hpp"

namespace routerpulse::lua::detail {

namespace {
constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

void invalid(lua_State* L, const char* what, const char* fmt, ...) {
  Vm::from(L).mark_invalid();
  lua_pushfstring(L, "%s() returned an invalid metric: ", what);
  va_list ap;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_concat(L, 2);
  lua_error(L);
  __builtin_unreachable();
}

Value read_field_value(lua_State* L, int idx, const FieldValue* orig, const char* key, const char* what) {
  Value v;
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        v.i = lua_tointeger(L, idx);
        if (orig && std::holds_alternative<uint64_t>(*orig) && v.i >= 0) {
          v.type = Value::Type::u64;
          v.u = static_cast<uint64_t>(v.i);
        } else if (orig && std::holds_alternative<double>(*orig)) {
          v.type = Value::Type::f64;
          v.d = static_cast<double>(v.i);
        }
      } else {
        v.type = Value::Type::f64;
        v.d = lua_tonumber(L, idx);
        if (orig && std::holds_alternative<uint64_t>(*orig)) {
          const uint64_t ou = std::get<uint64_t>(*orig);
          if (ou > kInt64Max && v.d == static_cast<double>(ou)) {  // the float we handed out, untouched
            v.type = Value::Type::u64;
            v.u = ou;
          }
        }
      }
      return v;
    case LUA_TBOOLEAN:
      v.type = Value::Type::boolean;
      v.b = lua_toboolean(L, idx);
      return v;
    case LUA_TSTRING:
      v.type = Value::Type::string;
      v.s = lua_tolstring(L, idx, &v.len);
      return v;
    default: invalid(L, what, "field '%s' must be a number, boolean or string, got %s", key, luaL_typename(L, idx));
  }
}

bool same_value(const Value& v, const FieldValue& f) noexcept {
  switch (v.type) {
    case Value::Type::i64: return std::holds_alternative<int64_t>(f) && std::get<int64_t>(f) == v.i;
    case Value::Type::u64: return std::holds_alternative<uint64_t>(f) && std::get<uint64_t>(f) == v.u;
    case Value::Type::f64: return std::holds_alternative<double>(f) && std::get<double>(f) == v.d;
    case Value::Type::boolean: return std::holds_alternative<bool>(f) && std::get<bool>(f) == v.b;
    case Value::Type::string:
      return std::holds_alternative<std::string>(f) && std::get<std::string>(f) == std::string_view(v.s, v.len);
  }
  return false;
}

void set_field(Metric& m, std::string_view key, const Value& v) {
  switch (v.type) {
    case Value::Type::i64: m.set_field(key, v.i); break;
    case Value::Type::u64: m.set_field(key, v.u); break;
    case Value::Type::f64: m.set_field(key, v.d); break;
    case Value::Type::boolean: m.set_field(key, v.b); break;
    case Value::Type::string: m.set_field(key, std::string(v.s, v.len)); break;
  }
}

int64_t time_value(lua_State* L, int idx, int64_t default_time, const char* what) {
  const int tt = lua_type(L, idx);
  if (tt == LUA_TNUMBER) {
    if (lua_isinteger(L, idx)) return lua_tointeger(L, idx);
    const double d = lua_tonumber(L, idx);
    if (!(std::isfinite(d) && std::fabs(d) < 9.2e18)) invalid(L, what, "'time' is out of range");
    return static_cast<int64_t>(d);
  }
  if (tt != LUA_TNIL) invalid(L, what, "'time' must be an integer (ns since the epoch), got %s", luaL_typename(L, idx));
  return default_time;
}

MetricType type_value(lua_State* L, int idx, const char* what) {
  const int tt = lua_type(L, idx);
  if (tt == LUA_TSTRING) {
    const std::string_view s = lua_tostring(L, idx);
    if (s == "gauge") return MetricType::gauge;
    if (s == "counter") return MetricType::counter;
    if (s != "untyped")
      invalid(L, what, "'type' must be \"gauge\", \"counter\" or \"untyped\", got \"%s\"", lua_tostring(L, idx));
  } else if (tt != LUA_TNIL) {
    invalid(L, what, "'type' must be a string, got %s", luaL_typename(L, idx));
  }
  return MetricType::untyped;
}

std::string_view name_value(lua_State* L, int idx, const char* what) {
  if (lua_type(L, idx) != LUA_TSTRING || lua_rawlen(L, idx) == 0)
    invalid(L, what, "'name' must be a non-empty string, got %s", luaL_typename(L, idx));
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  return {s, len};
}

}  // namespace routerpulse::lua::detail
