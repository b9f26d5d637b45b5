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
#include <limits>
#include <optional>
#include <set>
#include <span>
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
YAML::Node load_config_text(const std::string& text, const std::string& file, const std::string& base_dir);

/// Reads and parses a YAML file (see load_config_text). Throws ConfigError.
YAML::Node load_config_file(const std::string& path);

/// The type of a declared option (see OptionSpec).
enum class OptionType {
  string,       ///< a scalar
  integer,      ///< int64; range from min/max
  number,       ///< finite double; range from min/max
  boolean,      ///< true/false (also yes/no, on/off)
  duration,     ///< `250ms`, `10s`, `1m30s`; range from min/max in seconds
  choice,       ///< one of `choices` ("a|b|c")
  string_list,  ///< a list of strings (a single scalar is a one-element list)
  string_map,   ///< a map of string → string
  map,          ///< a nested map the plugin reads itself (Options::child)
  list,         ///< a list the plugin reads itself (Options::raw)
  any,          ///< any YAML value the plugin reads itself
};

/// "string", "integer", "duration", … for docs and errors.
const char* to_string(OptionType t) noexcept;

/// One declared option — Fluent Bit's config_map entry. A plugin declares all
/// of its options once, as a `static constexpr OptionSpec options[]` table;
/// from it the engine parses defaults, rejects unknown keys, checks types,
/// ranges and choices with file:line:col (before anything is constructed),
/// renders `routerpulse plugins --sample NAME`, and a test checks the plugin
/// README's option table against it.
struct OptionSpec {
  const char* name;
  OptionType type;
  /// The default as YAML text (`"10s"`, `"[stdout]"`, `"true"`), or nullptr
  /// when the option has no default (absent means "not set").
  const char* default_value = nullptr;
  /// One line for the sample config and the README.
  const char* doc = "";
  bool required = false;
  /// Inclusive range for integer/number, and for duration in seconds
  /// (use kPositive for "greater than 0").
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  /// For choice: the allowed values separated by '|'.
  const char* choices = nullptr;
  /// A YAML value shown in the sample when there is no default (required
  /// options are written uncommented with it, so the sample passes `check`).
  const char* example = nullptr;
};

/// `min` for durations and numbers that must be greater than 0.
inline constexpr double kPositive = 1e-9;

using OptionTable = std::span<const OptionSpec>;

/// A typed, path-aware view of one YAML mapping (a component's options).
/// Every accessor marks its key as known; `check_unknown()` then reports any
/// key the plugin never asked for ("unknown option"), which is how strict
/// validation works without each plugin listing its keys twice.
class Options {
 public:
  /// `node` must be a map or null (null = all defaults). `path` is the
  /// option path of the node itself, e.g. `inputs.icmp/backbone`.
  Options(YAML::Node node, std::string path, std::shared_ptr<const std::string> file);
  /// With declared options: `validate_declared()` checks them, and the
  /// one-argument accessors below take their defaults and ranges from `spec`.
  /// Several tables may be attached (the plugin's and the engine's).
  Options(YAML::Node node, std::string path, std::shared_ptr<const std::string> file, std::vector<OptionTable> spec);

  /// Checks every key against the attached tables: unknown keys, types,
  /// ranges, choices, required options. Throws the first ConfigError.
  void validate_declared() const;
  /// The declared entry for `key` (nullptr when not declared).
  const OptionSpec* spec(const std::string& key) const;

  // Accessors for declared options: value or the table's default. Asking for
  // an undeclared option throws std::logic_error (a plugin bug).
  std::string str(const std::string& key) const;
  std::optional<std::string> optional_str(const std::string& key) const;
  int64_t integer(const std::string& key) const;
  double number(const std::string& key) const;
  bool boolean(const std::string& key) const;
  Duration duration(const std::string& key) const;
  std::vector<std::string> strings(const std::string& key) const;

  const std::string& path() const noexcept { return path_; }
  const std::string& file() const noexcept { return *file_; }
  const YAML::Node& node() const noexcept { return node_; }

  bool has(const std::string& key) const;

  std::string get_string(const std::string& key, const std::string& def) const;
  std::optional<std::string> get_optional_string(const std::string& key) const;
  /// Throws ConfigError "required option missing" when absent.
  std::string require_string(const std::string& key) const;
  /// One of `allowed`; the error lists them.
  std::string get_enum(const std::string& key, const std::string& def, const std::vector<std::string>& allowed) const;
  int64_t get_int(const std::string& key, int64_t def, int64_t min = INT64_MIN, int64_t max = INT64_MAX) const;
  double get_double(const std::string& key, double def) const;
  bool get_bool(const std::string& key, bool def) const;
  Duration get_duration(const std::string& key, Duration def) const;
  /// A duration within [min, max]; `min` > 0 reads "must be greater than 0".
  Duration get_duration(const std::string& key, Duration def, Duration min, Duration max = Duration::max()) const;
  /// A list of strings; a single scalar is accepted as a one-element list.
  std::vector<std::string> get_string_list(const std::string& key, const std::vector<std::string>& def) const;
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
  const OptionSpec& declared(const std::string& key, OptionType t) const;
  /// The value node, or the parsed default; undefined when neither.
  YAML::Node value_or_default(const OptionSpec& s) const;

  YAML::Node node_;
  std::string path_;
  std::shared_ptr<const std::string> file_;
  mutable std::set<std::string> known_;
  std::vector<OptionTable> spec_;
};

/// Checks that `value` (may be undefined) fits `s`; throws ConfigError located at it.
void check_option_value(const Options& o, const OptionSpec& s, const YAML::Node& value);

/// A ConfigError pointing at a YAML node.
ConfigError config_error_at(const std::string& file, const YAML::Node& n, const std::string& option,
                            const std::string& message);

/// Short YAML type name of a node for messages: "a map", "a list", "a string"...
std::string describe_node(const YAML::Node& n);

}  // namespace routerpulse
