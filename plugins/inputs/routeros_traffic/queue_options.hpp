// routeros_traffic — the settings of per-customer simple queues (options
// `queues`, `queue_name_patterns`, `static_targets`, `static_targets_file`;
// declared in TrafficInput::options, documented in README.md "Simple queues").
//
// Threading: read once in validate() and in the input's constructor;
// immutable afterwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routerpulse/config.hpp"
#include "targets/target_spec.hpp"

namespace routerpulse::routeros_traffic {

/// Which simple queues become customer_queue metrics (option `queues`).
enum class QueueMode : uint8_t {
  none,   ///< no `/queue/simple/print` at all
  pppoe,  ///< queues matched to a customer: a PPPoE user or a static_targets entry (default)
  all,    ///< every enabled queue; unmatched ones carry only their own name
  globs,  ///< queues whose name matches one of the globs (matched or not)
};

/// One `queue_name_patterns` entry: literal text around exactly one `{user}`,
/// e.g. `customer-{user}`, `{user}`, `q_{user}_home`.
class NamePattern {
 public:
  /// nullopt (with `why`) unless `{user}` occurs exactly once and no other `{`/`}`.
  static std::optional<NamePattern> parse(std::string_view text, std::string& why);
  /// The user part of `queue_name`, or empty when the name does not fit
  /// (the user part must not be empty).
  std::string_view user_of(std::string_view queue_name) const noexcept;
  const std::string& text() const noexcept { return text_; }

 private:
  std::string text_, prefix_, suffix_;
};

struct QueueOptions {
  QueueMode mode = QueueMode::pppoe;
  std::vector<std::string> globs;     ///< mode globs
  std::vector<NamePattern> patterns;  ///< tried in order
  std::vector<targets::TargetSpec> static_inline;
  std::string static_file;         ///< absolute path, or empty
  std::string static_file_option;  ///< `inputs.routeros_traffic.static_targets_file`, for errors

  bool enabled() const noexcept { return mode != QueueMode::none; }
  bool has_static() const noexcept { return !static_inline.empty() || !static_file.empty(); }

  /// Reads and checks the four options (pure; reads static_targets_file so
  /// that `check` reports bad lines as file:line:col). A relative file is
  /// resolved against the directory of the config file. Throws ConfigError.
  static QueueOptions read(const Options& o);
};

}  // namespace routerpulse::routeros_traffic
