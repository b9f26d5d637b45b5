// processors/lua — building blocks shared by the two ways a returned value
// becomes a Metric (metric_table.cpp builds one from a table or proxy,
// metric_update.cpp applies a proxy's writes to the input metric in place).
// Type rules: metric_table.hpp.
//
// Functions taking lua_State* may raise Lua errors (call inside Vm::call);
// `invalid` marks the error as an invalid return first. Value holds only
// views into Lua strings on the stack and is trivially destructible, so it
// may live in frames a Lua error unwinds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <lua.hpp>

#include "routerpulse/metric.hpp"

namespace routerpulse::lua::detail {

/// Raises "<what>() returned an invalid metric: <fmt...>" (lua_pushfstring
/// formats: %s %d %I %f %p %%).
[[noreturn]] void invalid(lua_State* L, const char* what, const char* fmt, ...);

/// Runs C++ code that may throw (allocation); an exception becomes a Lua
/// error after the C++ frames are gone.
template <class F>
void guarded(lua_State* L, F&& f) {
  bool failed = false;
  try {
    f();
  } catch (...) {
    failed = true;
  }
  if (failed) luaL_error(L, "out of memory while converting a metric");
}

/// A field value read from Lua, already mapped to its FieldValue alternative.
struct Value {
  enum class Type { i64, u64, f64, boolean, string } type = Type::i64;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  bool b = false;
  const char* s = nullptr;  ///< points into a Lua string on the stack
  size_t len = 0;
};

/// Reads the field value at `idx`. `orig` is the field's value in the
/// metric the table was built from (type hints), or nullptr.
Value read_field_value(lua_State* L, int idx, const FieldValue* orig, const char* key, const char* what);

/// Whether `v` equals `f` (same alternative, same value).
bool same_value(const Value& v, const FieldValue& f) noexcept;

/// Sets field `key` of `m` to `v` (may throw std::bad_alloc).
void set_field(Metric& m, std::string_view key, const Value& v);

/// Reads the `time` value at `idx` (nil: `default_time`).
int64_t time_value(lua_State* L, int idx, int64_t default_time, const char* what);

/// Reads the `type` value at `idx` (nil: untyped).
MetricType type_value(lua_State* L, int idx, const char* what);

/// Returns a view of the `name` value at `idx` (valid while that value
/// stays reachable); raises unless it is a non-empty string.
std::string_view name_value(lua_State* L, int idx, const char* what);

}  // namespace routerpulse::lua::detail
