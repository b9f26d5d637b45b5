// Property tests: random metrics (fixed seed) written as line protocol and JSON
// and read back by independent parsers — tests/core/check_formats.py (Python's
// json, and a line-protocol reader written from InfluxDB's spec) and,
// optionally, a real InfluxDB 1.x server (tests/core/check_influxdb.py).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>

#include "harness.hpp"
#include "routerpulse/metric.hpp"

using namespace routerpulse;

namespace {

constexpr const char* kPython = "/usr/bin/python3";
constexpr int64_t kTimeMax = 9223372036854775806;  // InfluxDB's documented timestamp range
using Rng = std::mt19937_64;

// Every character the formats treat specially, escape look-alikes, control
// characters, valid UTF-8 of each length and ill-formed UTF-8 of each kind.
const std::vector<std::string>& pieces() {
  static const std::vector<std::string> p = [] {
    std::vector<std::string> v = {
        ",",
        " ",
        "=",
        "\"",
        "\\",
        "#",
        "'",
        "{",
        "}",
        ":",
        "_",
        "-",
        ".",
        "0",
        "a",
        "Z",
        "\\\\",
        "\\n",
        "\\t",
        "\\r",
        "\\f",
        "\\,",
        "\\ ",
        "\\=",
        "\\\"",
        "\\#",
        "\\u0000",
        "\\x",
        "\xC3\xA9",
        "\xE2\x82\xAC",
        "\xF0\x9F\x98\x80",
        "\xE2\x80\xA8",
        "\xEF\xBF\xBD",
        "\xF4\x8F\xBF\xBF",
        "\xC2\x80",
        "\xEF\xBB\xBF",
        "\xE2\x80\x8D",
        "\xC2\x85",
        "\x80",
        "\xBF",
        "\xFF",
        "\xFE",
        "\xC0\x80",
        "\xC1\xBF",
        "\xE0\x80\x80",
        "\xED\xA0\x80",
        "\xE2\x82",
        "\xF4\x90\x80\x80",
        "\xF0\x9F\x98",
        "\xC3",
        "\xF5\x80\x80\x80",
        "\xF8\x88\x80\x80\x80",
        "pppoe",
        "<pppoe-user0001>",
        "ether1",
        "10.0.0.1",
    };
    for (int c = 0; c < 0x20; ++c) v.emplace_back(1, static_cast<char>(c));
    v.emplace_back("\x7F");
    return v;
  }();
  return p;
}

size_t pick(Rng& rng, size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }
bool chance(Rng& rng, int percent) { return pick(rng, 100) < static_cast<size_t>(percent); }

std::string random_text(Rng& rng) {
  if (chance(rng, 6)) return {};
  std::string s;
  if (chance(rng, 4)) s += '#';
  size_t n = 1 + pick(rng, 8);
  for (size_t i = 0; i < n; ++i) {
    if (chance(rng, 50))
      s += pieces()[pick(rng, pieces().size())];
    else
      s += static_cast<char>('a' + pick(rng, 26));
  }
  if (chance(rng, 6)) s += '\\';
  return s;
}

double random_double(Rng& rng) {
  static const double edge[] = {std::numeric_limits<double>::quiet_NaN(),
                                -std::numeric_limits<double>::quiet_NaN(),
                                std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity(),
                                0.0,
                                -0.0,
                                1.0,
                                -1.0,
                                0.1,
                                1.5,
                                1e21,
                                1e-7,
                                123456789.125,
                                9007199254740993.0,
                                std::numeric_limits<double>::denorm_min(),
                                -std::numeric_limits<double>::denorm_min(),
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::lowest(),
                                std::numeric_limits<double>::epsilon()};
  switch (pick(rng, 3)) {
    case 0: return edge[pick(rng, std::size(edge))];
    case 1: return std::bit_cast<double>(rng());  // any bit pattern, NaNs included
    default: return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
  }
}

FieldValue random_value(Rng& rng, bool allow_uint) {
  switch (pick(rng, 5)) {
    case 0: {
      static const int64_t edge[] = {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 0, -1,
                                     1};
      return chance(rng, 40) ? edge[pick(rng, std::size(edge))] : static_cast<int64_t>(rng());
    }
    case 1: {
      if (!allow_uint) return static_cast<int64_t>(rng() >> 1);
      static const uint64_t edge[] = {0, 1, std::numeric_limits<uint64_t>::max(), uint64_t{1} << 63};
      return chance(rng, 40) ? edge[pick(rng, std::size(edge))] : rng();
    }
    case 2: return random_double(rng);
    case 3: return chance(rng, 50);
    default: return random_text(rng);
  }
}

struct GenOptions {
  bool allow_uint = true;      // InfluxDB 1.x has no unsigned fields
  bool unique_fields = false;  // InfluxDB refuses a field whose type differs from an earlier line's
  bool narrow_time = false;    // InfluxDB 1.x makes a shard per week of data
  // InfluxDB 1.x (checked with Debian's 1.6) accepts a measurement in which a
  // backslash comes right before `,` `=` `"` or space (`a\\=b`, `a\\"b`) but files
  // the point under a name it never finds again: the fields are silently lost.
  // A known upstream defect (documented in metric.hpp), kept out of this check.
  bool influxdb1_names = false;
};

Metric random_metric(Rng& rng, size_t index, const GenOptions& o) {
  int64_t t;
  if (chance(rng, 10))
    t = 0;
  else if (chance(rng, 5))
    t = chance(rng, 50) ? kTimeMax : -kTimeMax;
  else if (o.narrow_time)
    t = 1700000000000000000 + static_cast<int64_t>(pick(rng, 86400)) * 1000000000;
  else
    t = std::uniform_int_distribution<int64_t>(-kTimeMax, kTimeMax)(rng);
  std::string name = random_text(rng);
  if (o.influxdb1_names)
    for (size_t i = 0; i + 1 < name.size(); ++i)
      if (name[i] == '\\' && std::string_view(",= \"").find(name[i + 1]) != std::string_view::npos) name[i] = '/';
  Metric m(name, t);
  for (size_t i = pick(rng, 5); i > 0; --i) m.set_tag(random_text(rng), random_text(rng));
  for (size_t i = pick(rng, 6); i > 0; --i) {
    std::string key = random_text(rng);
    if (o.unique_fields) key = "f" + std::to_string(index) + "_" + std::to_string(i) + key;
    m.set_field(key, random_value(rng, o.allow_uint));
  }
  return m;
}

// Each piece alone and inside a word, in every position of a metric.
std::vector<Metric> edge_metrics() {
  std::vector<Metric> out;
  for (const auto& p : pieces()) {
    for (const std::string& s : {p, "x" + p + "y"}) {
      Metric m(s, 1);
      m.set_tag(s, s).set_tag("k", s);
      m.set_field(s, int64_t{1}).set_field("s", s);
      out.push_back(m);
    }
  }
  Metric empty_key("m", 2);
  empty_key.set_tag("", "v").set_field("", 1.0).set_field("v", true);
  out.push_back(empty_key);
  Metric no_fields("m", 3);
  no_fields.set_field("nan", std::nan("")).set_field("", int64_t{1}).set_field("k\\", int64_t{1});
  out.push_back(no_fields);
  out.push_back(Metric("", 4).set_field("v", int64_t{1}));
  out.push_back(Metric("m\\", 5).set_field("v", int64_t{1}));
  out.push_back(Metric("#", 6).set_field("v", int64_t{1}));
  return out;
}

std::string hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string h;
  for (unsigned char c : s) {
    h += digits[c >> 4];
    h += digits[c & 15];
  }
  return h;
}

// The metric as check_formats.py expects it (strings as hex bytes, doubles as
// C99 hex floats, so nothing is lost or re-interpreted on the way).
nlohmann::json describe(const Metric& m) {
  nlohmann::json tags = nlohmann::json::array(), fields = nlohmann::json::array();
  for (const auto& t : m.tags()) tags.push_back({hex(t.key), hex(t.value)});
  for (const auto& f : m.fields()) {
    nlohmann::json v;
    std::string kind;
    switch (f.value.index()) {
      case 0:
        kind = "i";
        v = std::to_string(std::get<int64_t>(f.value));
        break;
      case 1:
        kind = "u";
        v = std::to_string(std::get<uint64_t>(f.value));
        break;
      case 2: {
        kind = "f";
        double d = std::get<double>(f.value);
        if (std::isnan(d))
          v = "nan";
        else if (std::isinf(d))
          v = d > 0 ? "inf" : "-inf";
        else {
          char buf[64];
          std::snprintf(buf, sizeof buf, "%a", d);
          v = buf;
        }
        break;
      }
      case 3:
        kind = "b";
        v = std::get<bool>(f.value);
        break;
      default:
        kind = "s";
        v = hex(std::get<std::string>(f.value));
        break;
    }
    fields.push_back({hex(f.key), kind, v});
  }
  return {{"name", hex(m.name())}, {"tags", tags}, {"fields", fields}, {"time", std::to_string(m.time())}};
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST_CASE("random metrics round-trip through line protocol and JSON parsers", "[format][metric]") {
  REQUIRE(::access(kPython, X_OK) == 0);
  Rng rng(20240611);
  std::vector<Metric> metrics = edge_metrics();
  for (size_t i = 0; i < 4000; ++i) metrics.push_back(random_metric(rng, i, {}));

  std::string cases, lp, json;
  size_t written = 0;
  std::vector<std::string> bad;
  for (const auto& m : metrics) {
    cases += describe(m).dump() + "\n";
    // One metric: one line ending in '\n' (or nothing), never a raw CR/LF inside.
    std::string one = to_line_protocol(m);
    if (!one.empty()) {
      ++written;
      if (one.back() != '\n' || one.find_first_of("\r\n") != one.size() - 1) bad.push_back(one);
    }
    std::string j = to_json(m);
    if (j.find_first_of("\r\n") != std::string::npos) bad.push_back(j);
    size_t before = lp.size();
    append_line_protocol(lp, m);  // appends, never replaces
    if (lp.compare(before, std::string::npos, one) != 0) bad.push_back("append differs: " + one);
    append_json(json, m);
    json += '\n';
  }
  INFO("not one line: " << (bad.empty() ? std::string() : bad.front()));
  CHECK(bad.empty());
  // The generator must reach both sides of every rule.
  CHECK(written > metrics.size() / 2);
  CHECK(written < metrics.size());

  test::TempDir dir;
  test::write_file(dir.file("cases.jsonl"), cases);
  test::write_file(dir.file("out.lp"), lp);
  test::write_file(dir.file("out.jsonl"), json);
  std::string out;
  int rc = test::run_command(std::string(kPython) + " " + quote(test::source_dir() + "/tests/core/check_formats.py") +
                                 " " + quote(dir.file("cases.jsonl")) + " " + quote(dir.file("out.lp")) + " " +
                                 quote(dir.file("out.jsonl")) + " 2>&1",
                             &out);
  INFO(out);
  CHECK(rc == 0);
  CHECK_THAT(out, Catch::Contains("parsed back to the expected values"));
}

TEST_CASE("a real InfluxDB accepts every line routerpulse writes (optional)", "[format][influxdb]") {
  // Debian's influxdb package (1.x) when installed; ROUTERPULSE_REQUIRE_INFLUXDB=1 makes its absence a failure.
  const char* influxd = "/usr/bin/influxd";
  if (::access(influxd, X_OK) != 0) {
    if (std::getenv("ROUTERPULSE_REQUIRE_INFLUXDB"))
      FAIL("ROUTERPULSE_REQUIRE_INFLUXDB is set but " << influxd << " is missing");
    WARN("skipped: " << influxd << " not installed (apt-get install influxdb)");
    return;
  }
  REQUIRE(::access(kPython, X_OK) == 0);
  Rng rng(7);
  GenOptions o{.allow_uint = false, .unique_fields = true, .narrow_time = true, .influxdb1_names = true};
  std::string lp;
  for (size_t i = 0; i < 3000; ++i) append_line_protocol(lp, random_metric(rng, i, o));
  test::TempDir dir;
  test::write_file(dir.file("influx.lp"), lp);
  std::string out;
  int rc =
      test::run_command(std::string(kPython) + " " + quote(test::source_dir() + "/tests/core/check_influxdb.py") + " " +
                            influxd + " " + quote(dir.file("influx.lp")) + " " + quote(dir.file("influxdb")) + " 2>&1",
                        &out);
  INFO(out);
  CHECK(rc == 0);
}
