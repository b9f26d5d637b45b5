// redis_stream — the `stream` option: a stream key template over a metric.
//
// Syntax: literal text with placeholders in braces.
//   {name}       the metric name (measurement)
//   {<tag>}      the value of tag <tag>, e.g. `mikrotik:traffic:{router}`
//   {tag:<tag>}  the same, for a tag literally called `name`
//   {{ and }}    a literal `{` / `}`
// A metric that lacks a referenced tag gets the configured missing value in
// its place (it is still delivered; the caller counts it).
// Threading: immutable after construction; render() is const and reentrant.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "routerpulse/metric.hpp"

namespace routerpulse::redis {

/// Raised for a malformed template; what() names the 1-based column and the problem.
class StreamKeyError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class StreamKeyTemplate {
 public:
  /// Parses `text`. Throws StreamKeyError on an unclosed or empty placeholder,
  /// a stray `}` or an empty result template.
  explicit StreamKeyTemplate(std::string_view text);

  /// True when the template has no placeholders (every metric → one key).
  bool is_constant() const noexcept {
    return parts_.size() <= 1 && (parts_.empty() || parts_[0].kind == Kind::literal);
  }

  /// Writes the key for `m` into `out` (replacing its content). A referenced
  /// tag the metric lacks is rendered as `missing`; returns false in that case.
  bool render(const Metric& m, std::string& out, std::string_view missing) const;

  /// The template text as configured.
  const std::string& text() const noexcept { return text_; }

 private:
  enum class Kind { literal, name, tag };
  struct Part {
    Kind kind;
    std::string text;  ///< literal text or tag key
  };
  std::string text_;
  std::vector<Part> parts_;
};

}  // namespace routerpulse::redis
