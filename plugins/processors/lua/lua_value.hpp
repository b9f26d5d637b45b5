// processors/lua — a plain C++ copy of a YAML node that can be pushed onto a
// Lua stack without running C++ destructors under a Lua error (longjmp).
//
// YAML → Lua: maps become tables with string keys, sequences become arrays
// (1-based), `~`/`null`/empty become nil; plain (unquoted) scalars become
// booleans (true/false), integers (fit in int64) or floats when they parse
// as such, everything else — and every quoted scalar — a string.
// Threading: plain value; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <lua.hpp>
#include <yaml-cpp/yaml.h>

namespace routerpulse::lua {

struct LuaValue {
  enum class Kind { nil, boolean, integer, number, string, table };
  Kind kind = Kind::nil;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string string;
  std::vector<LuaValue> keys;    ///< table keys (same length as values)
  std::vector<LuaValue> values;  ///< table values

  /// Converts a YAML node as described above. Never throws on content.
  static LuaValue from_yaml(const YAML::Node& node);
};

/// Pushes `v` onto the stack (one value). Raises a Lua error on memory
/// exhaustion, so call it inside Vm::call.
void push_value(lua_State* L, const LuaValue& v);

}  // namespace routerpulse::lua
