// routerpulse — compiled glob include/exclude filters (Telegraf's
// filter.NewIncludeExcludeFilter): namepass/namedrop on outputs, user and
// interface selection in inputs.
//
// Glob syntax is fnmatch(3) without flags: `*`, `?`, `[a-z]`, `\` escapes.
// Patterns without metacharacters are compared as exact strings (a hash
// lookup); `prefix*` patterns as prefixes; the rest go through fnmatch.
// Threading: immutable after construction; accepts() is safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace routerpulse {

/// A compiled list of globs.
class GlobList {
 public:
  GlobList() = default;
  explicit GlobList(const std::vector<std::string>& globs);
  /// Whether `name` matches any glob (false for an empty list).
  bool matches(std::string_view name) const;
  bool empty() const noexcept { return exact_.empty() && prefixes_.empty() && globs_.empty(); }

 private:
  std::unordered_set<std::string> exact_;
  std::vector<std::string> prefixes_;
  std::vector<std::string> globs_;
};

/// include/exclude: a name passes when `include` is empty or matches it, and
/// `exclude` does not match it (exclude wins).
class GlobFilter {
 public:
  GlobFilter() = default;  ///< accepts everything
  GlobFilter(const std::vector<std::string>& include, const std::vector<std::string>& exclude)
      : include_(include), exclude_(exclude) {}
  bool accepts(std::string_view name) const {
    if (!include_.empty() && !include_.matches(name)) return false;
    return exclude_.empty() || !exclude_.matches(name);
  }
  /// True when the filter accepts everything.
  bool empty() const noexcept { return include_.empty() && exclude_.empty(); }

 private:
  GlobList include_, exclude_;
};

}  // namespace routerpulse
