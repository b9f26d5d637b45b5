// routeros_traffic — which PPPoE users and interfaces an input looks at.
//
// Globs use POSIX fnmatch(3) without flags: `*`, `?`, `[abc]`, `[!abc]`,
// backslash escapes; matching is case-sensitive like RouterOS names.
//
// Threading: immutable after construction; safe to share.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace routerpulse {
class Options;
}

namespace routerpulse::routeros_traffic {

/// True when `name` matches at least one glob of `globs`.
bool matches_any(const std::vector<std::string>& globs, const std::string& name);

/// Selects PPPoE users from the options `pppoe`, `include` and `exclude`:
///  - `pppoe: all` (default) every user, `pppoe: none` no user (session
///    tracking and live traffic off), `pppoe: [alice, bob]` exactly those;
///  - then `include` (default: everything) and `exclude` (default: nothing)
///    globs on the user name; exclude wins.
class UserFilter {
 public:
  /// Reads the three options. Throws ConfigError (file:line:col, option
  /// path) when `pppoe` is neither `all`, `none` nor a list of names, or a
  /// glob list is not a list of strings.
  explicit UserFilter(const Options& o);
  /// A filter that accepts everybody (tests).
  UserFilter() = default;

  /// False when `pppoe: none`: the input does not track sessions at all.
  bool enabled() const noexcept { return mode_ != Mode::none; }
  /// Whether user `name` is selected.
  bool accepts(const std::string& name) const;

 private:
  enum class Mode { all, none, list };
  Mode mode_ = Mode::all;
  std::set<std::string, std::less<>> users_;
  std::vector<std::string> include_, exclude_;
};

}  // namespace routerpulse::routeros_traffic
