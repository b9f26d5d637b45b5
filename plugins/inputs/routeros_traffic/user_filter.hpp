// routeros_traffic — which PPPoE users an input looks at (options `pppoe`,
// `include`, `exclude`).
//
// Globs are the SDK's GlobFilter (routerpulse/filter.hpp): fnmatch(3) syntax,
// case-sensitive like RouterOS names, exclude wins over include.
//
// Threading: immutable after construction; safe to share.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "routerpulse/filter.hpp"

namespace routerpulse {
class Options;
}

namespace routerpulse::routeros_traffic {

/// Selects PPPoE users:
///  - `pppoe: all` (default) every user, `pppoe: none` no user (session
///    tracking and live traffic off), `pppoe: [alice, bob]` exactly those;
///  - then `include` (empty: everything) and `exclude` (empty: nothing)
///    globs on the user name; exclude wins.
class UserFilter {
 public:
  /// Reads the three declared options. Throws ConfigError (file:line:col,
  /// option path) when `pppoe` is neither `all`, `none` nor a list of names.
  explicit UserFilter(const Options& o);
  /// A filter that accepts everybody.
  UserFilter() = default;

  /// False when `pppoe: none`: the input does not track PPPoE sessions at all.
  bool enabled() const noexcept { return mode_ != Mode::none; }
  /// Whether user `name` is selected.
  bool accepts(std::string_view name) const;

 private:
  enum class Mode { all, none, list };
  Mode mode_ = Mode::all;
  std::set<std::string, std::less<>> users_;
  GlobFilter names_;
};

}  // namespace routerpulse::routeros_traffic
