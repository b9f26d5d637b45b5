// routerpulse — configuration access for the agent and its plugins.
//
// agent.yaml is parsed with yaml-cpp. `${env:NAME}` and `${file:PATH}` in any
// scalar are substituted right after parsing (see load_config_file), so the
// line/column of every node still points into the file the user edited.
//
// Plugins read their own options through `Options`, which remembers the option
// path (e.g. `outputs.redis_stream.maxlen`) and the file, and turns every
// problem into a ConfigError that names file, line, column and option.
// Threading: Options is used during construction only, on one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace routerpulse {

/// All intervals and timeouts. Parsed from `250ms`, `10s`, `5m`, `1h`, `1d`,
/// combinations such as `1m30s`, or `0`.
using Duration = std::chrono::nanoseconds;

/// A configuration problem. what() is the full, user-facing text:
/// `FILE:LINE:COL: OPTION.PATH: MESSAGE` (LINE/COL 1-based; omitted when unknown).
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, int column, std::string option, std::string message);
  const std::string& file() const noexcept { return file_; }
  int line() const noexcept { return line_; }      ///< 1-based, 0 when unknown
  int column() const noexcept { return column_; }  ///< 1-based, 0 when unknown
  const std::string& option() const noexcept { return option_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string option_;
  std::string message_;
};

/// Parses a duration such as `250ms`, `10s`, `5m`, `1h30m`, `2d`, `1.5s`
/// (units: ns, us, µs, ms, s, m, h, d, w). Returns nullopt on anything else,
/// including negative values.
std::optional<Duration> parse_duration(std::string_view text);

/// Formats a duration the way parse_duration reads it (`1m30s`, `250ms`).
std::string format_duration(Duration d);

/// Parses YAML text (already loaded) and substitutes `${env:NAME}` and
/// `${file:PATH}` in every scalar. `file` is used in error messages.
/// `${file:...}` content has one trailing newline removed; relative paths are
/// resolved against `base_dir`. `$${` escapes a literal `${`.
/// Throws ConfigError on YAML syntax errors, unset variables, unreadable files.
YAML::Node load_config_text(const std::string& text, const std::string& file,
                            const std::string& base_dir);

/// Reads and parses a YAML file (see load_config_text). Throws ConfigError.
YAML::Node load_config_file(const std::string& path);

/// A typed, path-aware view of one YAML mapping (a component's options).
/// Every accessor marks its key as known; `check_unknown()` then reports any
/// key the plugin never asked for ("unknown option"), which is how strict
/// validation works without each plugin listing its keys twice.
class Options {
 public:
  /// `node` must be a map or null (null = all defaults). `path` is the
  /// option path of the node itself, e.g. `inputs.icmp/backbone`.
  Options(YAML::Node node, std::string path, std::shared_ptr<const std::string> file);

  const std::string& path() const noexcept { return path_; }
  const std::string& file() const noexcept { return *file_; }
  const YAML::Node& node() const noexcept { return node_; }

  bool has(const std::string& key) const;

  std::string get_string(const std::string& key, const std::string& def) const;
  std::optional<std::string> get_optional_string(const std::string& key) const;
  /// Throws ConfigError "required option missing" when absent.
  std::string require_string(const std::string& key) const;
  /// One of `allowed`; the error lists them.
  std::string get_enum(const std::string& key, const std::string& def,
                       const std::vector<std::string>& allowed) const;
  int64_t get_int(const std::string& key, int64_t def, int64_t min = INT64_MIN,
                  int64_t max = INT64_MAX) const;
  double get_double(const std::string& key, double def) const;
  bool get_bool(const std::string& key, bool def) const;
  Duration get_duration(const std::string& key, Duration def) const;
  /// A list of strings; a single scalar is accepted as a one-element list.
  std::vector<std::string> get_string_list(const std::string& key,
                                           const std::vector<std::string>& def) const;
  /// A string → string map (e.g. renames).
  std::vector<std::pair<std::string, std::string>> get_string_map(const std::string& key) const;
  /// A nested options object for a sub-map (`key` marked as known).
  Options child(const std::string& key) const;
  /// The raw node (marked as known); undefined node when absent.
  YAML::Node raw(const std::string& key) const;

  /// Marks a key as known without reading it.
  void allow(const std::string& key) const;
  /// Throws ConfigError for the first key no accessor has read.
  void check_unknown() const;

  /// Builds a ConfigError located at `key` (or at this node when key empty).
  ConfigError error(const std::string& key, const std::string& message) const;
  /// Builds a ConfigError located at `n`, with option path `path() + "." + key`.
  ConfigError error_at(const YAML::Node& n, const std::string& key, const std::string& message) const;

 private:
  YAML::Node get(const std::string& key) const;
  std::string child_path(const std::string& key) const;

  YAML::Node node_;
  std::string path_;
  std::shared_ptr<const std::string> file_;
  mutable std::set<std::string> known_;
};

/// A ConfigError pointing at a YAML node.
ConfigError config_error_at(const std::string& file, const YAML::Node& n, const std::string& option,
                            const std::string& message);

/// Short YAML type name of a node for messages: "a map", "a list", "a string"...
std::string describe_node(const YAML::Node& n);

}  // namespace routerpulse
