#include "routerpulse/metric.hpp"

#include "routerpulse/format.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

namespace routerpulse {

int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
template <class Vec>
auto lower(Vec& v, std::string_view key) {
  return std::lower_bound(v.begin(), v.end(), key,
                          [](const auto& e, std::string_view k) { return std::string_view(e.key) < k; });
}
}  // namespace

TagSet make_tag_set(TagList tags) {
  std::stable_sort(tags.begin(), tags.end(), [](const Tag& a, const Tag& b) { return a.key < b.key; });
  // Of equal keys keep the last one given.
  TagList out;
  out.reserve(tags.size());
  for (auto& t : tags) {
    if (!out.empty() && out.back().key == t.key)
      out.back() = std::move(t);
    else
      out.push_back(std::move(t));
  }
  return std::make_shared<const TagList>(std::move(out));
}

const TagList& Metric::empty_tags() noexcept {
  static const TagList empty;
  return empty;
}

TagList& Metric::own_tags() {
  // A TagSet is created non-const (make_shared<TagList> / make_tag_set), so
  // changing it when this metric is its only holder is well defined.
  if (!tags_)
    tags_ = std::make_shared<TagList>();
  else if (tags_.use_count() != 1)
    tags_ = std::make_shared<TagList>(*tags_);
  return const_cast<TagList&>(*tags_);
}

Metric& Metric::set_tag(std::string_view key, std::string_view value) {
  if (tags_) {  // replacing a value with the same text changes nothing (and copies nothing)
    auto it = lower(*tags_, key);
    if (it != tags_->end() && it->key == key && it->value == value) return *this;
  }
  TagList& tags = own_tags();
  auto it = lower(tags, key);
  if (it != tags.end() && it->key == key)
    it->value.assign(value);
  else
    tags.insert(it, Tag{std::string(key), std::string(value)});
  return *this;
}

const std::string* Metric::tag(std::string_view key) const noexcept {
  if (!tags_) return nullptr;
  auto it = lower(*tags_, key);
  return (it != tags_->end() && it->key == key) ? &it->value : nullptr;
}

bool Metric::remove_tag(std::string_view key) {
  if (!tags_) return false;
  auto cit = lower(*tags_, key);
  if (cit == tags_->end() || cit->key != key) return false;
  const auto pos = cit - tags_->begin();
  TagList& tags = own_tags();
  tags.erase(tags.begin() + pos);
  return true;
}

Metric& Metric::set_field(Key key, FieldValue value) {
  // Builders usually add fields in key order: append without a search.
  if (fields_.empty() || fields_.back().key < key) {
    fields_.push_back(Field{key, std::move(value)});
    return *this;
  }
  auto it = lower(fields_, key);
  if (it != fields_.end() && it->key == key)
    it->value = std::move(value);
  else
    fields_.insert(it, Field{key, std::move(value)});
  return *this;
}

const FieldValue* Metric::field(std::string_view key) const noexcept {
  auto it = lower(fields_, key);
  return (it != fields_.end() && it->key == key) ? &it->value : nullptr;
}

bool Metric::remove_field(std::string_view key) {
  auto it = lower(fields_, key);
  if (it == fields_.end() || it->key != key) return false;
  fields_.erase(it);
  return true;
}

bool field_as_double(const FieldValue& v, double& out) noexcept {
  switch (v.index()) {
    case 0: out = static_cast<double>(std::get<int64_t>(v)); return true;
    case 1: out = static_cast<double>(std::get<uint64_t>(v)); return true;
    case 2: out = std::get<double>(v); return true;
    case 3: out = std::get<bool>(v) ? 1.0 : 0.0; return true;
    default: return false;
  }
}

namespace {

// Length of the UTF-8 sequence at s[i] when it is well formed (Unicode table
// 3-7: no overlong forms, no surrogates, nothing above U+10FFFF); otherwise 0,
// and `bad` is set to the length of the maximal ill-formed subpart (at least
// 1) that one U+FFFD replaces — the same substitution Python, ICU and
// browsers make, so a reader that decodes the original bytes leniently sees
// the same text.
size_t utf8_len(std::string_view s, size_t i, size_t& bad) {
  auto b = static_cast<unsigned char>(s[i]);
  bad = 1;
  if (b < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the first continuation byte
  if (b >= 0xC2 && b <= 0xDF)
    n = 2;
  else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0)
      lo = 0xA0;  // no overlong 3-byte forms
    else if (b == 0xED)
      hi = 0x9F;  // no surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0)
      lo = 0x90;  // no overlong 4-byte forms
    else if (b == 0xF4)
      hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;  // continuation byte, C0/C1 or F5..FF as a lead byte
  }
  for (size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) return 0;
    auto c = static_cast<unsigned char>(s[i + k]);
    if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return 0;
    bad = k + 1;
  }
  return n;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Line protocol identifiers (measurement, tag key, tag value, field key); see
// metric.hpp for the rules. `equals` is whether `=` is escaped (not in a
// measurement: the spec does not list it there, and `\=` would read back as
// two characters). Runs that need nothing are appended at once (hot path).
void append_lp_identifier(std::string& out, std::string_view s, bool equals) {
  size_t run = 0;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    const char* esc = nullptr;
    size_t bad = 1;
    if (c >= 0x80) {
      size_t n = utf8_len(s, i, bad);
      if (n != 0) {
        i += n;
        continue;
      }
    } else {
      switch (c) {
        case ',': esc = "\\,"; break;
        case ' ': esc = "\\ "; break;
        case '=': esc = equals ? "\\=" : nullptr; break;
        case '\\': esc = "\\\\"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\f': esc = "\\f"; break;
        default: break;
      }
      if (!esc && c >= 0x20 && c != 0x7F) {
        ++i;
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    if (esc) {
      out += esc;
    } else if (c < 0x80) {  // another control character: \xHH
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else {
      out += kReplacement;
    }
    i += bad;
    run = i;
  }
  out.append(s.data() + run, s.size() - run);
}

// A string field value between double quotes: `"` and `\` escaped as the spec
// requires, LF and CR as \n and \r, invalid UTF-8 replaced.
void append_lp_string(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    const char* esc = nullptr;
    size_t bad = 1;
    if (c >= 0x80) {
      size_t n = utf8_len(s, i, bad);
      if (n != 0) {
        i += n;
        continue;
      }
    } else {
      switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        default: ++i; continue;
      }
    }
    out.append(s.data() + run, i - run);
    if (esc)
      out += esc;
    else
      out += kReplacement;
    i += bad;
    run = i;
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

// Every parser rejects an empty identifier, and every real one (InfluxDB 1.x,
// the influxdata line-protocol decoder, InfluxDB 3) reads a backslash right
// before a delimiter as escaping it, so an identifier ending in `\` cannot be
// written either.
bool lp_identifier_ok(std::string_view s) { return !s.empty() && s.back() != '\\'; }

bool lp_field_ok(const Field& f) {
  if (!lp_identifier_ok(f.key)) return false;
  auto* d = std::get_if<double>(&f.value);
  return !d || std::isfinite(*d);  // line protocol has no NaN/Inf literal
}

}  // namespace

void append_line_protocol(std::string& out, const Metric& m) {
  if (!lp_identifier_ok(m.name())) return;
  if (std::none_of(m.fields().begin(), m.fields().end(), lp_field_ok)) return;
  if (m.name().front() == '#') out.push_back('\\');  // a line starting with '#' is a comment
  append_lp_identifier(out, m.name(), false);
  for (const auto& t : m.tags()) {
    if (!lp_identifier_ok(t.key) || !lp_identifier_ok(t.value)) continue;
    out.push_back(',');
    append_lp_identifier(out, t.key, true);
    out.push_back('=');
    append_lp_identifier(out, t.value, true);
  }
  char sep = ' ';
  for (const auto& f : m.fields()) {
    if (!lp_field_ok(f)) continue;
    out.push_back(sep);
    sep = ',';
    append_lp_identifier(out, f.key, true);
    out.push_back('=');
    switch (f.value.index()) {
      case 0:
        append_number(out, std::get<int64_t>(f.value));
        out.push_back('i');
        break;
      case 1:
        append_number(out, std::get<uint64_t>(f.value));
        out.push_back('u');
        break;
      case 2: append_number(out, std::get<double>(f.value), NonFinite::omit); break;  // finite: checked above
      case 3: out += std::get<bool>(f.value) ? "true" : "false"; break;
      case 4: append_lp_string(out, std::get<std::string>(f.value)); break;
    }
  }
  if (m.time() != 0) {
    out.push_back(' ');
    append_number(out, static_cast<int64_t>(m.time()));
  }
  out.push_back('\n');
}

std::string to_line_protocol(const Metric& m) {
  std::string s;
  append_line_protocol(s, m);
  return s;
}

namespace {

// Bytes copied as they are inside a JSON string: printable ASCII except `"` and `\`.
constexpr auto kJsonPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
  return t;
}();

void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  size_t run = 0;  // start of the pending run of characters copied as they are
  for (size_t i = 0; i < s.size();) {
    // Hot path: a run of plain ASCII (tag values, keys) needs one table lookup per byte.
    while (i < s.size() && kJsonPlain[static_cast<unsigned char>(s[i])]) ++i;
    if (i == s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    size_t bad = 1;
    if (c >= 0x80) {
      size_t n = utf8_len(s, i, bad);
      if (n != 0) {
        i += n;  // valid UTF-8 stays in the run
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 15]);
        } else {
          out += kReplacement;  // ill-formed UTF-8 (maximal subpart) → U+FFFD
        }
    }
    i += bad;
    run = i;
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

}  // namespace

void append_json(std::string& out, const Metric& m) {
  out += "{\"name\":";
  append_json_string(out, m.name());
  out += ",\"tags\":{";
  bool first = true;
  for (const auto& t : m.tags()) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, t.key);
    out.push_back(':');
    append_json_string(out, t.value);
  }
  out += "},\"fields\":{";
  first = true;
  for (const auto& f : m.fields()) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, f.key);
    out.push_back(':');
    switch (f.value.index()) {
      case 0: append_number(out, std::get<int64_t>(f.value)); break;
      case 1: append_number(out, std::get<uint64_t>(f.value)); break;
      case 2: append_number(out, std::get<double>(f.value), NonFinite::json_null); break;
      case 3: out += std::get<bool>(f.value) ? "true" : "false"; break;
      case 4: append_json_string(out, std::get<std::string>(f.value)); break;
    }
  }
  out += "},\"time\":";
  append_number(out, static_cast<int64_t>(m.time()));
  out.push_back('}');
}

std::string to_json(const Metric& m) {
  std::string s;
  append_json(s, m);
  return s;
}

}  // namespace routerpulse
