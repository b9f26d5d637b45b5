// How a metric's field becomes a Prometheus series: the series name, the
// label set and the sample value — the one mapping shared by the outputs
// `prometheus` (text exposition, plugins/outputs/prometheus/README.md
// "Format") and `prometheus_remote_write` (protobuf samples).
//
// These run only when a series is bound for the first time (a cache miss in
// the outputs' series caches), never per sample in steady state.
//
// Threading: free functions without state; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "routerpulse/metric.hpp"

namespace routerpulse::prom {

/// A sample value: integers are kept exact (printed without a decimal point),
/// doubles in shortest round-trip form.
using Sample = std::variant<int64_t, uint64_t, double>;

/// "counter" | "gauge" | "untyped".
const char* type_name(MetricType t) noexcept;

/// Appends the series name `<metric>_<field>` (sanitised; base-unit suffix
/// rewritten when `base_units`; `_total` added once for counters) to `out`.
/// Returns the factor that scales the value to the name's unit (1 when
/// unchanged).
double append_series_name(std::string& out, std::string_view metric, std::string_view field, MetricType type,
                          bool base_units);

/// One label of a series: a valid label name and the tag's value as is.
struct Label {
  std::string name;        ///< sanitised (exposition::append_label_name)
  std::string_view value;  ///< points into the TagList passed to labels_of()
};

/// The labels of `tags` in tag-key order (replacing `out`'s content): empty
/// values are left out (an empty label is no label in Prometheus), names
/// sanitised; of two keys that sanitise alike the first wins. Values are not
/// escaped and stay valid while `tags` lives.
void labels_of(std::vector<Label>& out, const TagList& tags);

/// Appends the label set `{a="b",…}` of `tags` (sorted by key) to `out`, or
/// nothing when no label is left: labels_of(tags), values escaped.
void append_labels(std::string& out, const TagList& tags);

/// The one FieldValue → sample conversion: integers stay exact, bool is 1/0,
/// a string is not a sample (nullopt).
inline std::optional<Sample> to_sample(const FieldValue& v) noexcept {
  switch (v.index()) {
    case 0: return Sample{std::get<int64_t>(v)};
    case 1: return Sample{std::get<uint64_t>(v)};
    case 2: return Sample{std::get<double>(v)};
    case 3: return Sample{int64_t{std::get<bool>(v) ? 1 : 0}};
    default: return std::nullopt;  // std::string
  }
}

/// `s` in another unit (a base-unit rewrite); a scaled sample is a double.
inline Sample scaled(const Sample& s, double factor) noexcept {
  if (factor == 1) return s;
  return std::visit([](auto x) { return static_cast<double>(x); }, s) * factor;
}

}  // namespace routerpulse::prom
