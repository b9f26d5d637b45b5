#include "settings.hpp"

#include <charconv>
#include <filesystem>

namespace routerpulse::lua {

std::optional<uint64_t> parse_byte_size(std::string_view text) noexcept {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p == text.data()) return std::nullopt;
  std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  struct U {
    std::string_view name;
    uint64_t factor;
  };
  static constexpr U units[] = {
      {"", 1},
      {"B", 1},
      {"k", 1ull << 10},
      {"K", 1ull << 10},
      {"KiB", 1ull << 10},
      {"KB", 1000},
      {"kB", 1000},
      {"M", 1ull << 20},
      {"MiB", 1ull << 20},
      {"MB", 1000000},
      {"G", 1ull << 30},
      {"GiB", 1ull << 30},
      {"GB", 1000000000},
  };
  for (const auto& u : units) {
    if (unit != u.name) continue;
    if (n > UINT64_MAX / u.factor) return std::nullopt;
    return n * u.factor;
  }
  return std::nullopt;
}

namespace {

constexpr uint64_t kMinMemory = 1ull << 20;

size_t read_max_memory(const Options& o) {
  const std::string text = o.str("max_memory");
  const std::optional<uint64_t> v = parse_byte_size(text);
  const YAML::Node n = o.raw("max_memory");  // undefined when the default is used
  if (!v)
    throw o.error_at(n, "max_memory",
                     "expected a size such as 64MiB, 512KiB or a number of bytes, got \"" + text + "\"");
  if (*v < kMinMemory)
    throw o.error_at(n, "max_memory", "must be at least 1MiB (the Lua libraries alone need ~100KiB)");
  return static_cast<size_t>(*v);
}

}  // namespace

Settings Settings::read(const Options& o, const PathResolver& resolve) {
  Settings s;
  s.script = o.str("script");
  s.path = resolve(s.script);
  if (auto dir = o.optional_str("module_dir"))
    s.module_dir = resolve(*dir);
  else if (s.path)
    s.module_dir = std::filesystem::path(*s.path).parent_path().string();
  s.max_instructions = static_cast<uint64_t>(o.integer("max_instructions"));
  s.max_memory = read_max_memory(o);
  s.config = o.raw("config");  // the table checked that it is a map
  s.tick_interval = o.duration("tick_interval");
  s.alert_stale_after = o.duration("alert_stale_after");
  return s;
}

std::unique_ptr<Script> load_script(const Settings& s, const Options& o, AlertTracker& tracker, const Clock& clock,
                                    std::function<void(std::string_view)> print) {
  ScriptConfig sc;
  sc.path = s.path.value_or(s.script);
  sc.chunk_name = s.script;
  sc.module_dir = s.module_dir.value_or(".");
  sc.max_instructions = s.max_instructions;
  sc.max_memory = s.max_memory;
  sc.init_config = LuaValue::from_yaml(s.config);
  sc.init_config.kind = LuaValue::Kind::table;  // absent config → empty table
  sc.default_stale_after_ns = s.alert_stale_after.count();
  sc.clock = &clock;
  sc.print = std::move(print);
  try {
    return std::make_unique<Script>(std::move(sc), tracker);
  } catch (const ScriptError& e) {
    // init() errors are usually about `config`: point there when it exists.
    if (e.in_init() && s.config.IsDefined())
      throw o.error_at(s.config, "config", std::string("init() of the Lua script failed: ") + e.what());
    throw o.error("script", std::string("cannot load Lua script: ") + e.what());
  }
}

}  // namespace routerpulse::lua
