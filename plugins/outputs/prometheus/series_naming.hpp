// How a metric's field becomes a Prometheus series: the series name, the
// rendered label set and the sample value (README.md, "Format").
//
// These run only when a series is bound for the first time (a cache miss in
// SeriesStore), never per sample in steady state.
//
// Threading: free functions without state; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

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

/// Appends the label set `{a="b",…}` of `tags` (sorted by key) to `out`, or
/// nothing when no label is left: empty values are left out, names
/// sanitised, values escaped; of two keys that sanitise alike the first wins.
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
