// Unit tests: XADD argument construction (trimming, json and fields layout).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "redis_stream.hpp"
#include "xadd_encoder.hpp"

using namespace routerpulse;
using namespace routerpulse::redis;

namespace {

/// Settings read from YAML through the plugin's own option table, so the
/// table's defaults are what the encoder sees.
RedisStreamConfig config(const std::string& yaml = "{}") {
  Options o(test::yaml(yaml), "outputs.redis_stream", std::make_shared<const std::string>("<test>"),
            {RedisStreamOutput::options});
  o.validate_declared();
  return read_config(o);
}

// Decodes the RESP array of bulk strings the encoder produced.
std::vector<std::string> args(const XaddEncoder& e) {
  const std::string& r = e.command();
  std::vector<std::string> out;
  REQUIRE(r.rfind("*", 0) == 0);
  size_t pos = r.find("\r\n");
  size_t n = std::stoul(r.substr(1, pos - 1));
  pos += 2;
  for (size_t i = 0; i < n; ++i) {
    REQUIRE(r.at(pos) == '$');
    size_t eol = r.find("\r\n", pos);
    size_t len = std::stoul(r.substr(pos + 1, eol - pos - 1));
    out.push_back(r.substr(eol + 2, len));
    REQUIRE(r.substr(eol + 2 + len, 2) == "\r\n");
    pos = eol + 4 + len;
  }
  CHECK(pos == r.size());
  return out;
}

Metric sample() {
  Metric m("pppoe_traffic", 1700000000123456789);
  m.set_tag("router", "pop1-core").set_tag("pppoe_user", "alice");
  m.set_field("rx_bps", int64_t{-5}).set_field("tx_bytes", uint64_t{18446744073709551615u});
  m.set_field("ratio", 0.25).set_field("up", true).set_field("comment", std::string("a\0b", 3));
  return m;
}

}  // namespace

TEST_CASE("json format: MAXLEN ~ and one data field", "[redis_stream][encoder]") {
  XaddEncoder e(config());  // defaults: maxlen 100000, approximate, json
  e.begin_batch(0);
  Metric m = sample();
  const std::string key = "mikrotik:traffic:customers";
  e.encode(m, key);
  auto a = args(e);
  REQUIRE(a.size() == 8);
  CHECK(a[0] == "XADD");
  CHECK(a[1] == "mikrotik:traffic:customers");
  CHECK(a[2] == "MAXLEN");
  CHECK(a[3] == "~");
  CHECK(a[4] == "100000");
  CHECK(a[5] == "*");
  CHECK(a[6] == "data");
  auto j = nlohmann::json::parse(a[7]);
  CHECK(j["name"] == "pppoe_traffic");
  CHECK(j["tags"]["pppoe_user"] == "alice");
  CHECK(j["fields"]["rx_bps"] == -5);
  CHECK(j["fields"]["tx_bytes"].get<uint64_t>() == 18446744073709551615u);
  CHECK(j["time"].get<int64_t>() == 1700000000123456789);
}

TEST_CASE("fields format: flat typed pairs with prefixes and exact MINID", "[redis_stream][encoder]") {
  XaddEncoder e(config("format: fields\ntag_prefix: tag.\nminid_age: 60s\napproximate_trim: false"));
  e.begin_batch(1700000100000);
  Metric m = sample();
  const std::string key = "k";
  e.encode(m, key);
  auto a = args(e);
  std::vector<std::string> want{"XADD",
                                "k",
                                "MINID",
                                "=",
                                "1700000040000",
                                "*",
                                "name",
                                "pppoe_traffic",
                                "time",
                                "1700000000123456789",
                                "tag.pppoe_user",
                                "alice",
                                "tag.router",
                                "pop1-core",
                                "comment",
                                std::string("a\0b", 3),
                                "ratio",
                                "0.25",
                                "rx_bps",
                                "-5",
                                "tx_bytes",
                                "18446744073709551615",
                                "up",
                                "true"};
  CHECK(a == want);
}

TEST_CASE("no trimming when maxlen is 0; non-finite doubles spelled out (NonFinite::prometheus)",
          "[redis_stream][encoder]") {
  XaddEncoder e(config("format: fields\nfield_prefix: f_\nmaxlen: 0"));
  e.begin_batch(0);
  Metric m("x", 1);
  m.set_field("a", std::numeric_limits<double>::quiet_NaN());
  m.set_field("b", std::numeric_limits<double>::infinity());
  m.set_field("c", -std::numeric_limits<double>::infinity());
  m.set_field("d", 1e21);
  const std::string key = "k";
  e.encode(m, key);
  auto a = args(e);
  std::vector<std::string> want{"XADD", "k",   "*",    "name", "x",    "time", "1",    "f_a",
                                "NaN",  "f_b", "+Inf", "f_c",  "-Inf", "f_d",  "1e+21"};
  CHECK(a == want);
}

TEST_CASE("encoder output holds only the last command", "[redis_stream][encoder]") {
  XaddEncoder e(config("format: fields\ntag_prefix: t_"));
  e.begin_batch(0);
  Metric small("s", 2);
  small.set_field("v", int64_t{1});
  Metric big = sample();
  const std::string k1 = "k1", k2 = "k2";
  e.encode(big, k1);
  e.encode(small, k2);
  auto a = args(e);
  std::vector<std::string> want{"XADD", "k2", "MAXLEN", "~", "100000", "*", "name", "s", "time", "2", "v", "1"};
  CHECK(a == want);
}

TEST_CASE("field values: exact integers, shortest round-trip doubles, non-finite spelled out",
          "[redis_stream][encoder]") {
  auto text = [](FieldValue v) {
    std::string s = "prefix:";  // appends, never replaces
    append_field_text(s, v);
    return s.substr(7);
  };
  CHECK(text(int64_t{-9223372036854775807 - 1}) == "-9223372036854775808");
  CHECK(text(uint64_t{18446744073709551615u}) == "18446744073709551615");
  CHECK(text(0.1) == "0.1");
  CHECK(text(-2.5) == "-2.5");
  CHECK(text(1e21) == "1e+21");
  CHECK(std::stod(text(1.0 / 3)) == 1.0 / 3);  // round-trips exactly
  CHECK(text(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(text(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(text(false) == "false");
  CHECK(text(std::string("a\0b", 3)) == std::string("a\0b", 3));
}
