// routerpulse — the metric data model shared by every plugin.
//
// A Metric follows the InfluxDB line-protocol model that Telegraf uses
// (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/):
// a measurement name, a set of string tags kept sorted by key, a set of typed
// fields and a timestamp in nanoseconds since the Unix epoch.
//
// Threading: a Metric is a plain value type; it is not synchronised. Batches are
// moved between pipeline stages, never shared between threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace routerpulse {

/// A field value: signed/unsigned 64-bit integer, double, bool or string.
using FieldValue = std::variant<int64_t, uint64_t, double, bool, std::string>;

/// How a metric's numeric fields behave over time; outputs such as Prometheus
/// use it to pick `counter` (name gets `_total`) or `gauge`.
enum class MetricType : uint8_t {
  untyped,  ///< no statement; exported as gauge/untyped
  gauge,    ///< a value that goes up and down (a rate, a load)
  counter,  ///< monotonically increasing since some start (bytes, packets)
};

/// One tag (identity dimension). Keys are unique within a metric.
struct Tag {
  std::string key;
  std::string value;
  bool operator==(const Tag&) const = default;
};

/// One field (measured value). Keys are unique within a metric.
struct Field {
  std::string key;
  FieldValue value;
  bool operator==(const Field&) const = default;
};

/// Nanoseconds since the Unix epoch from the system clock.
int64_t now_ns() noexcept;

/// A single measurement. Tags and fields are kept sorted by key, so two metrics
/// with the same identity compare and hash the same regardless of insertion
/// order. All setters replace an existing key.
class Metric {
 public:
  Metric() = default;
  /// `time_ns` 0 means "not set"; the pipeline stamps such metrics on emit.
  explicit Metric(std::string name, int64_t time_ns = 0, MetricType type = MetricType::untyped)
      : name_(std::move(name)), time_(time_ns), type_(type) {}

  const std::string& name() const noexcept { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  /// Nanoseconds since the Unix epoch.
  int64_t time() const noexcept { return time_; }
  void set_time(int64_t ns) noexcept { time_ = ns; }

  MetricType type() const noexcept { return type_; }
  void set_type(MetricType t) noexcept { type_ = t; }

  /// Tags sorted by key.
  const std::vector<Tag>& tags() const noexcept { return tags_; }
  /// Sets or replaces a tag; keeps the sort order. Returns *this for chaining.
  Metric& set_tag(std::string_view key, std::string_view value);
  /// The tag's value, or nullptr when absent. The pointer is valid until the
  /// metric's tags change.
  const std::string* tag(std::string_view key) const noexcept;
  /// Removes a tag; returns whether it existed.
  bool remove_tag(std::string_view key);

  /// Fields sorted by key.
  const std::vector<Field>& fields() const noexcept { return fields_; }
  /// Sets or replaces a field; keeps the sort order. Returns *this for chaining.
  Metric& set_field(std::string_view key, FieldValue value);
  /// The field's value, or nullptr when absent.
  const FieldValue* field(std::string_view key) const noexcept;
  /// Removes a field; returns whether it existed.
  bool remove_field(std::string_view key);

  /// Reserves room for `ntags` tags and `nfields` fields (hot-path helper).
  void reserve(size_t ntags, size_t nfields) {
    tags_.reserve(ntags);
    fields_.reserve(nfields);
  }

  bool operator==(const Metric&) const = default;

 private:
  std::string name_;
  std::vector<Tag> tags_;
  std::vector<Field> fields_;
  int64_t time_ = 0;
  MetricType type_ = MetricType::untyped;
};

/// Batches move through the pipeline by value (moved, not copied).
using MetricBatch = std::vector<Metric>;

/// A field value as a double, if it is numeric (bool counts as 0/1);
/// false for strings.
bool field_as_double(const FieldValue& v, double& out) noexcept;

/// Appends one metric in InfluxDB line protocol (with trailing '\n'), escaping
/// measurement, tag keys/values and field keys/strings as the spec requires:
/// measurement escapes `,` and space; tag keys/values and field keys escape
/// `,`, `=` and space; string field values escape `"` and `\`. Integers get
/// the `i` suffix, unsigned the `u` suffix. A metric without fields is
/// skipped (line protocol requires at least one field).
void append_line_protocol(std::string& out, const Metric& m);
std::string to_line_protocol(const Metric& m);

/// Appends one metric as a JSON object (no trailing newline):
/// {"name":..,"tags":{..},"fields":{..},"time":<ns>}. Non-finite doubles are
/// written as null. Strings are escaped per RFC 8259; invalid UTF-8 bytes are
/// replaced with U+FFFD so the output is always valid JSON.
void append_json(std::string& out, const Metric& m);
std::string to_json(const Metric& m);

}  // namespace routerpulse
