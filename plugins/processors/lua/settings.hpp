// processors/lua — the processor's options, read once from the declared
// table (LuaProcessor::options) by both validate() and the constructor, and
// loading a Script from them.
//
// Byte sizes (`max_memory`): `67108864`, `64MiB`, `512KiB`, `1GiB` (×1024) or
// `64MB`, `500KB`, `1GB` (×1000); `k`/`M`/`G` alone mean KiB/MiB/GiB.
// Threading: plain functions and values.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "routerpulse/clock.hpp"
#include "routerpulse/config.hpp"

#include "script.hpp"

namespace routerpulse::lua {

/// The size in bytes, or nullopt for anything else (negative, fractional
/// bytes, unknown unit, overflow).
std::optional<uint64_t> parse_byte_size(std::string_view text) noexcept;

/// Turns a path from the options into a file system path, or nullopt when
/// it cannot be resolved (a relative path while the config's folder is unknown).
using PathResolver = std::function<std::optional<std::string>(const std::string&)>;

struct Settings {
  std::string script;                     ///< as written (the chunk name in messages)
  std::optional<std::string> path;        ///< resolved script path
  std::optional<std::string> module_dir;  ///< resolved require() folder
  uint64_t max_instructions = 0;
  size_t max_memory = 0;
  YAML::Node config;             ///< the `config` map, undefined when absent
  Duration tick_interval{};      ///< 0 = no tick
  Duration alert_stale_after{};  ///< 0 = never stale

  /// Reads every option (defaults come from the table) and checks what the
  /// table cannot (byte sizes). Throws ConfigError.
  static Settings read(const Options& o, const PathResolver& resolve);

  /// Both paths are known, so the script can be loaded.
  bool resolvable() const { return path && module_dir; }
};

/// Loads the script `s` describes (top level and init(config) run). Errors
/// become ConfigErrors at `script` (or at `config` when init() failed).
/// `clock` gives the time of metrics without one and os.time(); `print`
/// receives print() lines (may be empty: discarded).
std::unique_ptr<Script> load_script(const Settings& s, const Options& o, AlertTracker& tracker, const Clock& clock,
                                    std::function<void(std::string_view)> print);

}  // namespace routerpulse::lua
