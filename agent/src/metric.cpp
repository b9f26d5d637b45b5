#include "routerpulse/metric.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace routerpulse {

int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
template <class Vec>
auto lower(Vec& v, std::string_view key) {
  return std::lower_bound(v.begin(), v.end(), key,
                          [](const auto& e, std::string_view k) { return std::string_view(e.key) < k; });
}
}  // namespace

Metric& Metric::set_tag(std::string_view key, std::string_view value) {
  auto it = lower(tags_, key);
  if (it != tags_.end() && it->key == key)
    it->value.assign(value);
  else
    tags_.insert(it, Tag{std::string(key), std::string(value)});
  return *this;
}

const std::string* Metric::tag(std::string_view key) const noexcept {
  auto it = lower(tags_, key);
  return (it != tags_.end() && it->key == key) ? &it->value : nullptr;
}

bool Metric::remove_tag(std::string_view key) {
  auto it = lower(tags_, key);
  if (it == tags_.end() || it->key != key) return false;
  tags_.erase(it);
  return true;
}

Metric& Metric::set_field(std::string_view key, FieldValue value) {
  auto it = lower(fields_, key);
  if (it != fields_.end() && it->key == key)
    it->value = std::move(value);
  else
    fields_.insert(it, Field{std::string(key), std::move(value)});
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

// Escapes `chars` (and a backslash before them) as line protocol requires.
// Runs of characters that need nothing are appended at once (hot path).
void append_escaped(std::string& out, std::string_view s, std::string_view chars) {
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool nl = c == '\n';
    if (!nl && chars.find(c) == std::string_view::npos) continue;
    out.append(s.data() + run, i - run);
    if (nl) {
      out += "\\n";  // newlines cannot appear in line protocol identifiers
    } else {
      out.push_back('\\');
      out.push_back(c);
    }
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

void append_double(std::string& out, double d) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, p);
}

}  // namespace

void append_line_protocol(std::string& out, const Metric& m) {
  // Line protocol cannot carry NaN/Inf; drop such fields, and the line if empty.
  bool any = false;
  for (const auto& f : m.fields()) {
    if (auto* d = std::get_if<double>(&f.value); d && !std::isfinite(*d)) continue;
    any = true;
    break;
  }
  if (!any) return;
  append_escaped(out, m.name(), ", ");
  for (const auto& t : m.tags()) {
    if (t.value.empty()) continue;  // empty tag values are not allowed
    out.push_back(',');
    append_escaped(out, t.key, ",= ");
    out.push_back('=');
    append_escaped(out, t.value, ",= ");
  }
  char sep = ' ';
  for (const auto& f : m.fields()) {
    if (auto* d = std::get_if<double>(&f.value); d && !std::isfinite(*d)) continue;
    out.push_back(sep);
    sep = ',';
    append_escaped(out, f.key, ",= ");
    out.push_back('=');
    switch (f.value.index()) {
      case 0: append_number(out, std::get<int64_t>(f.value)); out.push_back('i'); break;
      case 1: append_number(out, std::get<uint64_t>(f.value)); out.push_back('u'); break;
      case 2: append_double(out, std::get<double>(f.value)); break;
      case 3: out += std::get<bool>(f.value) ? "true" : "false"; break;
      case 4: {
        out.push_back('"');
        for (char c : std::get<std::string>(f.value)) {
          if (c == '"' || c == '\\') out.push_back('\\');
          out.push_back(c);
        }
        out.push_back('"');
        break;
      }
    }
  }
  if (m.time() != 0) {
    out.push_back(' ');
    append_number(out, m.time());
  }
  out.push_back('\n');
}

std::string to_line_protocol(const Metric& m) {
  std::string s;
  append_line_protocol(s, m);
  return s;
}

namespace {

// Length of a valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t utf8_len(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t cp;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) { n = 2; cp = b & 0x1F; }
  else if ((b & 0xF0) == 0xE0) { n = 3; cp = b & 0x0F; }
  else if ((b & 0xF8) == 0xF0) { n = 4; cp = b & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the pending run of characters copied as they are
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t n = utf8_len(s, i);
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
          out += "\xEF\xBF\xBD";  // invalid UTF-8 byte → U+FFFD replacement character
        }
    }
    ++i;
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
      case 2: {
        double d = std::get<double>(f.value);
        if (std::isfinite(d)) append_double(out, d);
        else out += "null";
        break;
      }
      case 3: out += std::get<bool>(f.value) ? "true" : "false"; break;
      case 4: append_json_string(out, std::get<std::string>(f.value)); break;
    }
  }
  out += "},\"time\":";
  append_number(out, m.time());
  out.push_back('}');
}

std::string to_json(const Metric& m) {
  std::string s;
  append_json(s, m);
  return s;
}

}  // namespace routerpulse
