#include "lua_value.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace routerpulse::lua {
namespace {

LuaValue from_scalar(const YAML::Node& n) {
  LuaValue v;
  const std::string& s = n.Scalar();
  const bool quoted = n.Tag() == "!";
  if (!quoted) {
    if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
      v.kind = LuaValue::Kind::boolean;
      v.boolean = s[0] == 't' || s[0] == 'T';
      return v;
    }
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return v;
    int64_t i = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (ec == std::errc() && p == s.data() + s.size()) {
      v.kind = LuaValue::Kind::integer;
      v.integer = i;
      return v;
    }
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str() + s.size() && std::isfinite(d)) {
      v.kind = LuaValue::Kind::number;
      v.number = d;
      return v;
    }
  }
  v.kind = LuaValue::Kind::string;
  v.string = s;
  return v;
}

}  // namespace

LuaValue LuaValue::from_yaml(const YAML::Node& node) {
  LuaValue v;
  if (!node.IsDefined() || node.IsNull()) return v;
  if (node.IsScalar()) return from_scalar(node);
  v.kind = Kind::table;
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      LuaValue k;
      k.kind = Kind::integer;
      k.integer = static_cast<int64_t>(i) + 1;
      v.keys.push_back(std::move(k));
      v.values.push_back(from_yaml(node[i]));
    }
  } else if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      LuaValue k;
      k.kind = Kind::string;
      k.string = it->first.Scalar();
      v.keys.push_back(std::move(k));
      v.values.push_back(from_yaml(it->second));
    }
  }
  return v;
}

void push_value(lua_State* L, const LuaValue& v) {
  luaL_checkstack(L, 3, "config nesting too deep");
  switch (v.kind) {
    case LuaValue::Kind::nil: lua_pushnil(L); return;
    case LuaValue::Kind::boolean: lua_pushboolean(L, v.boolean); return;
    case LuaValue::Kind::integer: lua_pushinteger(L, v.integer); return;
    case LuaValue::Kind::number: lua_pushnumber(L, v.number); return;
    case LuaValue::Kind::string: lua_pushlstring(L, v.string.data(), v.string.size()); return;
    case LuaValue::Kind::table:
      lua_createtable(L, 0, static_cast<int>(v.keys.size()));
      for (size_t i = 0; i < v.keys.size(); ++i) {
        if (v.values[i].kind == LuaValue::Kind::nil) continue;
        push_value(L, v.keys[i]);
        push_value(L, v.values[i]);
        lua_rawset(L, -3);
      }
      return;
  }
}

}  // namespace routerpulse::lua
