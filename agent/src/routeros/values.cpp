// Parsers for RouterOS value formats (see routerpulse/routeros/values.hpp).
#include "routerpulse/routeros/values.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace routerpulse::routeros {

namespace {

constexpr int64_t kNsPerSec = 1000000000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads an unsigned decimal at text[i..]; advances i. False when no digit or overflow.
bool read_uint(std::string_view text, size_t& i, uint64_t& out) {
  size_t start = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i == start) return false;
  auto [p, ec] = std::from_chars(text.data() + start, text.data() + i, out);
  return ec == std::errc() && p == text.data() + i;
}

bool add_mul(int64_t& total, uint64_t v, int64_t mul) {
  if (v > static_cast<uint64_t>(INT64_MAX / mul)) return false;
  int64_t part = static_cast<int64_t>(v) * mul;
  if (total > INT64_MAX - part) return false;
  total += part;
  return true;
}

// Parses `HH:MM:SS[.frac]` starting at i (the hours are already in `hours`).
bool read_clock(std::string_view text, size_t& i, uint64_t hours, int64_t& total) {
  // text[i] == ':'
  uint64_t minutes = 0, seconds = 0;
  ++i;
  size_t ms = i;
  if (!read_uint(text, i, minutes) || i - ms != 2 || minutes >= 60) return false;
  if (i >= text.size() || text[i] != ':') return false;
  ++i;
  size_t ss = i;
  if (!read_uint(text, i, seconds) || i - ss != 2 || seconds >= 60) return false;
  int64_t frac_ns = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    size_t fs = i;
    int64_t scale = kNsPerSec / 10;
    while (i < text.size() && is_digit(text[i])) {
      frac_ns += (text[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == fs) return false;
  }
  if (!add_mul(total, hours, 3600 * kNsPerSec)) return false;
  if (!add_mul(total, minutes, 60 * kNsPerSec)) return false;
  if (!add_mul(total, seconds, kNsPerSec)) return false;
  if (total > INT64_MAX - frac_ns) return false;
  total += frac_ns;
  return i == text.size();
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_ros_duration(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  unsigned seen = 0;  // bit per unit, each unit at most once
  while (i < text.size()) {
    uint64_t v = 0;
    if (!read_uint(text, i, v)) return std::nullopt;
    if (i == text.size()) {
      // A bare number is only valid as the whole text "0".
      if (text == "0") return std::chrono::nanoseconds(0);
      return std::nullopt;
    }
    if (text[i] == ':') {
      if (!read_clock(text, i, v, total)) return std::nullopt;
      return std::chrono::nanoseconds(total);
    }
    size_t us = i;
    while (i < text.size() && !is_digit(text[i]) && text[i] != ':') ++i;
    std::string_view unit = text.substr(us, i - us);
    int64_t mul;
    unsigned bit;
    if (unit == "w")
      mul = 7 * 86400 * kNsPerSec, bit = 1;
    else if (unit == "d")
      mul = 86400 * kNsPerSec, bit = 2;
    else if (unit == "h")
      mul = 3600 * kNsPerSec, bit = 4;
    else if (unit == "m")
      mul = 60 * kNsPerSec, bit = 8;
    else if (unit == "s")
      mul = kNsPerSec, bit = 16;
    else if (unit == "ms")
      mul = 1000000, bit = 32;
    else if (unit == "us")
      mul = 1000, bit = 64;
    else if (unit == "ns")
      mul = 1, bit = 128;
    else
      return std::nullopt;
    if (seen & bit) return std::nullopt;
    seen |= bit;
    if (!add_mul(total, v, mul)) return std::nullopt;
  }
  return std::chrono::nanoseconds(total);
}

std::optional<double> parse_ros_duration_seconds(std::string_view text) noexcept {
  auto d = parse_ros_duration(text);
  if (!d) return std::nullopt;
  return static_cast<double>(d->count()) / 1e9;
}

std::optional<bool> parse_ros_bool(std::string_view text) noexcept {
  if (text == "true" || text == "yes") return true;
  if (text == "false" || text == "no") return false;
  return std::nullopt;
}

std::optional<uint64_t> parse_ros_uint(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_ros_int(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_ros_number(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  // Strip an optional unit (bps / pps), then an optional SI multiplier.
  for (std::string_view unit : {"bps", "pps"}) {
    if (text.size() > unit.size() && text.substr(text.size() - unit.size()) == unit) {
      text.remove_suffix(unit.size());
      break;
    }
  }
  double mul = 1;
  switch (text.empty() ? '\0' : text.back()) {
    case 'k': mul = 1e3; break;
    case 'M': mul = 1e6; break;
    case 'G': mul = 1e9; break;
    case 'T': mul = 1e12; break;
    default: break;
  }
  if (mul != 1) text.remove_suffix(1);
  if (text.empty() || text.size() > 64) return std::nullopt;
  // Digits with at most one '.', optional leading '-'.
  size_t i = (text[0] == '-') ? 1 : 0;
  bool digits = false, dot = false;
  for (; i < text.size(); ++i) {
    if (is_digit(text[i]))
      digits = true;
    else if (text[i] == '.' && !dot)
      dot = true;
    else
      return std::nullopt;
  }
  if (!digits) return std::nullopt;
  char buf[72];
  text.copy(buf, text.size());
  buf[text.size()] = '\0';
  char* end = nullptr;
  double v = std::strtod(buf, &end);
  if (end != buf + text.size() || !std::isfinite(v)) return std::nullopt;
  return v * mul;
}

namespace {
// Splits `A/B` at its only '/'; false when there is none, more than one, or a side is empty.
bool split_pair(std::string_view text, std::string_view& a, std::string_view& b) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos || text.find('/', slash + 1) != std::string_view::npos) return false;
  a = text.substr(0, slash);
  b = text.substr(slash + 1);
  return !a.empty() && !b.empty();
}
}  // namespace

std::optional<RosPair<double>> parse_ros_number_pair(std::string_view text) noexcept {
  std::string_view a, b;
  if (!split_pair(text, a, b)) return std::nullopt;
  auto x = parse_ros_number(a), y = parse_ros_number(b);
  if (!x || !y) return std::nullopt;
  return RosPair<double>{*x, *y};
}

std::optional<RosPair<uint64_t>> parse_ros_uint_pair(std::string_view text) noexcept {
  std::string_view a, b;
  if (!split_pair(text, a, b)) return std::nullopt;
  auto x = parse_ros_uint(a), y = parse_ros_uint(b);
  if (!x || !y) return std::nullopt;
  return RosPair<uint64_t>{*x, *y};
}

std::optional<uint64_t> parse_ros_id(std::string_view text) noexcept {
  if (text.size() < 2 || text[0] != '*') return std::nullopt;
  text.remove_prefix(1);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string format_ros_duration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns <= 0) return "0s";
  int64_t sec = ns / kNsPerSec;
  int64_t ms = (ns % kNsPerSec) / 1000000;
  std::string s;
  const int64_t w = sec / (7 * 86400), dd = sec / 86400 % 7, h = sec / 3600 % 24, m = sec / 60 % 60, r = sec % 60;
  if (w) s += std::to_string(w) + "w";
  if (dd) s += std::to_string(dd) + "d";
  if (h) s += std::to_string(h) + "h";
  if (m) s += std::to_string(m) + "m";
  if (r) s += std::to_string(r) + "s";
  if (ms) s += std::to_string(ms) + "ms";
  if (s.empty()) s = std::to_string(ns % 1000000 / 1000) + "us";
  if (s == "0us") s = std::to_string(ns) + "ns";
  return s;
}

}  // namespace routerpulse::routeros
