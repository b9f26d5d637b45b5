#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "routerpulse/metric.hpp"

using namespace routerpulse;

TEST_CASE("tags and fields stay sorted and unique", "[metric]") {
  Metric m("cpu", 1);
  m.set_tag("zeta", "1").set_tag("alpha", "2").set_tag("mid", "3").set_tag("alpha", "4");
  REQUIRE(m.tags().size() == 3);
  CHECK(m.tags()[0].key == "alpha");
  CHECK(m.tags()[0].value == "4");
  CHECK(m.tags()[2].key == "zeta");
  m.set_field("b", 1.5).set_field("a", int64_t{2});
  CHECK(m.fields()[0].key == "a");
  CHECK(*m.tag("mid") == "3");
  CHECK(m.tag("none") == nullptr);
  CHECK(m.remove_tag("mid"));
  CHECK_FALSE(m.remove_tag("mid"));
  CHECK(m.remove_field("a"));
  CHECK(m.fields().size() == 1);
}

TEST_CASE("line protocol formats every field type", "[metric]") {
  Metric m("pppoe_traffic", 1700000000000000000);
  m.set_tag("router", "pop1").set_tag("pppoe_user", "alice");
  m.set_field("rx_bps", 1.5).set_field("count", int64_t{-3}).set_field("bytes", uint64_t{18446744073709551615u});
  m.set_field("up", true).set_field("note", std::string("hi"));
  CHECK(to_line_protocol(m) ==
        "pppoe_traffic,pppoe_user=alice,router=pop1 bytes=18446744073709551615u,count=-3i,note=\"hi\","
        "rx_bps=1.5,up=true 1700000000000000000\n");
}

TEST_CASE("line protocol escapes special characters", "[metric]") {
  Metric m("my measurement,x", 5);
  m.set_tag("tag key", "a,b=c d");
  m.set_field("field=key", std::string("say \"hi\" \\ bye"));
  CHECK(to_line_protocol(m) ==
        "my\\ measurement\\,x,tag\\ key=a\\,b\\=c\\ d field\\=key=\"say \\\"hi\\\" \\\\ bye\" 5\n");
}

TEST_CASE("line protocol skips what it cannot represent", "[metric]") {
  Metric m("x", 5);
  m.set_tag("empty", "");
  m.set_field("nan", std::nan(""));
  CHECK(to_line_protocol(m).empty());  // no representable field → no line
  m.set_field("v", 1.0);
  CHECK(to_line_protocol(m) == "x v=1 5\n");
  Metric no_time("y");
  no_time.set_field("v", int64_t{1});
  CHECK(to_line_protocol(no_time) == "y v=1i\n");
}

TEST_CASE("json output is valid JSON even for invalid UTF-8", "[metric]") {
  Metric m("arp", 42);
  m.set_tag("comment", std::string("bad\xff\xfe utf8 \"quoted\"\n"));
  m.set_field("ok", true).set_field("inf", std::numeric_limits<double>::infinity());
  m.set_field("n", uint64_t{7});
  auto j = nlohmann::json::parse(to_json(m));
  CHECK(j["name"] == "arp");
  CHECK(j["time"] == 42);
  CHECK(j["fields"]["ok"] == true);
  CHECK(j["fields"]["inf"].is_null());
  CHECK(j["fields"]["n"] == 7);
  std::string c = j["tags"]["comment"];
  CHECK(c.find("\"quoted\"\n") != std::string::npos);
  CHECK(c.find("\xEF\xBF\xBD") != std::string::npos);
}

TEST_CASE("field_as_double converts numerics only", "[metric]") {
  double d = 0;
  CHECK(field_as_double(FieldValue{int64_t{-2}}, d));
  CHECK(d == -2);
  CHECK(field_as_double(FieldValue{true}, d));
  CHECK(d == 1);
  CHECK_FALSE(field_as_double(FieldValue{std::string("x")}, d));
}
