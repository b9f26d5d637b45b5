// routerpulse — the metric data model shared by every plugin.
//
// A Metric follows the InfluxDB line-protocol model that Telegraf uses
// (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/):
// a measurement name, a set of string tags kept sorted by key, a set of typed
// fields and a timestamp in nanoseconds since the Unix epoch.
//
// Threading: a Metric is a plain value type; it is not synchronised. Batches are
// moved between pipeline stages; after the last processor a batch is shared
// read-only by every output of the pipeline (const, never changed again).
// Tag lists are shared between metrics (TagSet) and are immutable once shared.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "routerpulse/key.hpp"

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

/// One field (measured value). Keys are unique within a metric; the key is
/// interned (key.hpp), so copying a field copies no name.
struct Field {
  Key key;
  FieldValue value;
  bool operator==(const Field&) const = default;
};

/// A metric's tags: sorted by key, keys unique.
using TagList = std::vector<Tag>;
/// A shared, immutable tag list. Metrics built from one prototype share one
/// TagSet: copying the metric copies a pointer, not the tags. Two metrics
/// whose tag_set() pointers are equal have equal tags, so a cache may key on
/// the pointer — as long as it holds the TagSet (a held TagSet is never
/// changed in place, and its address cannot be reused while held).
using TagSet = std::shared_ptr<const TagList>;

/// Builds a TagSet from any tags: sorted by key; of equal keys the last wins.
TagSet make_tag_set(TagList tags);

/// Nanoseconds since the Unix epoch from the system clock.
int64_t now_ns() noexcept;

/// A single measurement. Tags and fields are kept sorted by key, so two metrics
/// with the same identity compare and hash the same regardless of insertion
/// order. All setters replace an existing key.
///
/// Cost model (the hot path): copying a Metric copies the name (inline up to
/// 15 characters), one shared pointer for the tags and the field vector (one
/// allocation; keys are interned, string values are copied). Changing a tag
/// of a metric whose TagSet is shared copies the tag list first
/// (copy-on-write).
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
  const TagList& tags() const noexcept { return tags_ ? *tags_ : empty_tags(); }
  /// The shared tag list (null when the metric has no tags); see TagSet.
  const TagSet& tag_set() const noexcept { return tags_; }
  /// Replaces every tag with `tags` (sorted, unique keys: use make_tag_set).
  void set_tag_set(TagSet tags) noexcept { tags_ = std::move(tags); }
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
  /// A string key is interned (key.hpp); pass a Key kept in a static on hot paths.
  Metric& set_field(Key key, FieldValue value);
  /// The field's value, or nullptr when absent.
  const FieldValue* field(std::string_view key) const noexcept;
  /// Removes a field; returns whether it existed.
  bool remove_field(std::string_view key);

  /// Reserves room for `nfields` fields (hot-path helper; tags are shared).
  void reserve(size_t /*ntags*/, size_t nfields) { fields_.reserve(nfields); }

  bool operator==(const Metric& o) const {
    return name_ == o.name_ && time_ == o.time_ && type_ == o.type_ && fields_ == o.fields_ && tags() == o.tags();
  }

 private:
  static const TagList& empty_tags() noexcept;
  /// The tag list, unshared (copied first when another metric holds it).
  TagList& own_tags();

  std::string name_;
  TagSet tags_;  // null = no tags
  std::vector<Field> fields_;
  int64_t time_ = 0;
  MetricType type_ = MetricType::untyped;
};

/// Batches move through the pipeline by value (moved, not copied).
using MetricBatch = std::vector<Metric>;

/// A field value as a double, if it is numeric (bool counts as 0/1);
/// false for strings.
bool field_as_double(const FieldValue& v, double& out) noexcept;

/// Appends one metric in InfluxDB line protocol with its trailing '\n' — always
/// exactly one line, or nothing when the metric cannot be written. Follows the
/// spec (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/,
/// "Special characters" and "Escaping backslashes"):
///
///   | element           | written with a backslash before it                          |
///   |-------------------|-------------------------------------------------------------|
///   | measurement       | `,` space `\`                                               |
///   | tag key and value | `,` `=` space `\`                                           |
///   | field key         | `,` `=` space `\`                                           |
///   | string field      | `"` `\` (the value is between double quotes)                |
///
/// Control characters, so that a line stays one line and every reader accepts
/// it (routerpulse's choice; the spec has no escape for them):
///  - identifiers (measurement, tag keys and values, field keys): tab, LF, CR
///    and form feed are written `\t`, `\n`, `\r`, `\f`; the other control
///    characters (U+0000–U+001F, DEL) `\xHH` with two lower-case hex digits
///    (InfluxDB's Go line-protocol decoder rejects them raw, and InfluxDB 1.x
///    takes a NUL at the start of a line for white space);
///  - string field values: LF and CR are written `\n` and `\r` (a raw LF ends
///    the line, a raw CR is a line end to CRLF-aware readers); the other
///    control characters stay as they are inside the quotes.
/// Every literal backslash is doubled, so these sequences are unambiguous: a
/// reader that knows them gets the original text back; a reader that follows
/// only the spec keeps them as the characters written (InfluxDB's Go parser
/// does so in identifiers and decodes `\n`/`\r` in strings). InfluxDB 1.x
/// keeps `\\` in identifiers as two backslashes (the documented rule and
/// InfluxDB 3 read one), and it accepts but mis-files a measurement in which a
/// backslash comes right before `,` `=` `"` or space (its fields can never be
/// queried): avoid such measurement names when writing to it. Valid UTF-8 is
/// written as it is; invalid UTF-8 is replaced with U+FFFD, one per maximal
/// ill-formed subsequence, as in JSON.
/// A measurement starting with `#` is written `\#...` (a line starting with `#`
/// is a comment).
///
/// What line protocol cannot carry is left out, never written as an invalid
/// line:
///  - a tag with an empty key or value (the spec: omit the tag);
///  - a field with an empty key, or a double field that is NaN or ±Inf (see
///    routerpulse/format.hpp);
///  - a tag or field whose key or value ends in a backslash: every InfluxDB
///    parser reads a backslash before `,` `=` or space as escaping it (InfluxDB 3
///    rejects such names outright);
///  - the whole metric (nothing is appended) when its name is empty or ends in a
///    backslash, or when no field is left.
/// Integers get the `i` suffix, unsigned the `u` suffix, doubles the shortest
/// text that reads back to the same value (e.g. `1.5`, `1e+300`, `-0`), bools
/// `true`/`false`. The timestamp (nanoseconds) is left out when time() is 0, so
/// the reader stamps the line; InfluxDB accepts -9223372036854775806 to
/// 9223372036854775806.
void append_line_protocol(std::string& out, const Metric& m);
std::string to_line_protocol(const Metric& m);

/// Appends one metric as a JSON object (no trailing newline, no raw newline
/// inside, so one object per line stays one line):
/// {"name":..,"tags":{..},"fields":{..},"time":<ns>}. Every tag and field is
/// written, including empty keys and values. Strings are escaped per RFC 8259:
/// `"` `\` and LF/CR/tab as `\"` `\\` `\n` `\r` `\t`, other control characters
/// U+0000–U+001F as `\u00XX`; valid UTF-8 (DEL and U+2028 included) is copied
/// as it is; invalid UTF-8 is replaced with U+FFFD, one per maximal
/// ill-formed subsequence (the substitution Python's `errors="replace"` and
/// browsers make), so the output is always valid JSON. Integers are exact
/// (readers that use IEEE doubles lose precision above 2^53), doubles use the
/// shortest round-trip form, non-finite doubles are `null`, `time` is always
/// present (0 when unset). Two keys that differ only in invalid bytes become
/// the same key after replacement (both are written).
void append_json(std::string& out, const Metric& m);
std::string to_json(const Metric& m);

}  // namespace routerpulse
