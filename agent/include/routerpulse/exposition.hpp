// routerpulse — helpers for writing the Prometheus text exposition format 0.0.4.
//
// Everything that appends to the agent's `/metrics` body (self-metrics, the
// process collector, ExpositionWriter implementations such as the prometheus
// output) uses these so that names, label escaping and sample values follow one
// rule set. Source of the rules:
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
// and https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels
//
// All functions append to `out` (never clear it), allocate only when `out`
// grows, never throw except std::bad_alloc, and are thread-safe (no state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace routerpulse::exposition {

/// The Content-Type of a `/metrics` response in text format 0.0.4.
inline constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";

/// True when `name` matches the metric-name grammar `[a-zA-Z_:][a-zA-Z0-9_:]*`.
bool is_valid_metric_name(std::string_view name) noexcept;

/// True when `name` matches the label-name grammar `[a-zA-Z_][a-zA-Z0-9_]*`
/// and does not start with `__` (reserved for Prometheus-internal labels).
bool is_valid_label_name(std::string_view name) noexcept;

/// Appends `raw` as a valid metric-name fragment: every byte outside
/// `[a-zA-Z0-9_:]` becomes `_`. When `leading` is true (the fragment starts the
/// name) a leading digit is prefixed with `_`, and an empty `raw` gives `_`.
void append_metric_name(std::string& out, std::string_view raw, bool leading = true);

/// Appends `raw` as a valid label name: bytes outside `[a-zA-Z0-9_]` become
/// `_`, a leading digit gets a `_` prefix, an empty name becomes `_`, and a
/// name starting with the reserved `__` is prefixed with `tag` (`__x` → `tag__x`).
void append_label_name(std::string& out, std::string_view raw);

/// Appends a label value escaped for use between double quotes: `\` → `\\`,
/// `"` → `\"`, line feed → `\n`. Other bytes (UTF-8) pass through unchanged.
void append_label_value(std::string& out, std::string_view value);

/// Appends HELP text escaped as the format requires: `\` → `\\`, line feed → `\n`.
void append_help_text(std::string& out, std::string_view help);

/// Appends a sample value: shortest text that reads back to the same double,
/// `NaN`, `+Inf` or `-Inf`.
void append_value(std::string& out, double v);
/// Appends an integer sample value exactly (Prometheus stores it as a double).
void append_value(std::string& out, int64_t v);
void append_value(std::string& out, uint64_t v);

/// Appends `# HELP <name> <help>\n# TYPE <name> <type>\n`. `name` must already
/// be valid; `type` is one of counter, gauge, histogram, summary, untyped.
void append_family_header(std::string& out, std::string_view name, std::string_view help, std::string_view type);

}  // namespace routerpulse::exposition
