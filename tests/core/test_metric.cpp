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

TEST_CASE("line protocol escapes control characters and backslashes", "[metric][format]") {
  Metric m("cpu\tload\\x=y", 5);
  m.set_tag("k\n", "v\r\f,=").set_tag("path", "C:\\temp\\x");
  m.set_field("f, =\\g", int64_t{1});
  // Identifiers: tab/LF/CR/FF as \t \n \r \f, every backslash doubled; `=` is
  // not escaped in the measurement.
  CHECK(to_line_protocol(m) == "cpu\\tload\\\\x=y,k\\n=v\\r\\f\\,\\=,path=C:\\\\temp\\\\x f\\,\\ \\=\\\\g=1i 5\n");
  Metric s("s", 6);
  s.set_field("v", std::string("a\nb\rc\td\fe\"f\\g"));
  // String values: LF/CR escaped, `"` and `\` escaped, tab and form feed kept.
  CHECK(to_line_protocol(s) == "s v=\"a\\nb\\rc\td\fe\\\"f\\\\g\" 6\n");
  // Other control characters: \xHH in identifiers (a leading NUL included), as they are in strings.
  Metric c(std::string("\0a\x01\x7f", 4), 7);
  c.set_field("v", std::string("\x01\x1f"));
  CHECK(to_line_protocol(c) == "\\x00a\\x01\\x7f v=\"\x01\x1f\" 7\n");
}

TEST_CASE("line protocol leaves out what it cannot carry, never writing an invalid line", "[metric][format]") {
  Metric m("m", 1);
  m.set_tag("", "empty key").set_tag("empty value", "").set_tag("ends\\", "x").set_tag("x", "ends\\");
  m.set_tag("ok", "a\\b");
  m.set_field("", int64_t{1}).set_field("key\\", int64_t{2}).set_field("inf", -std::numeric_limits<double>::infinity());
  m.set_field("v", int64_t{3});
  CHECK(to_line_protocol(m) == "m,ok=a\\\\b v=3i 1\n");
  m.remove_field("v");
  CHECK(to_line_protocol(m).empty());  // no field left: nothing at all

  Metric named("", 1);
  named.set_field("v", true);
  CHECK(to_line_protocol(named).empty());
  named.set_name("ends\\");
  CHECK(to_line_protocol(named).empty());
  named.set_name("#comment");
  CHECK(to_line_protocol(named) == "\\#comment v=true 1\n");  // a line starting with # is a comment
  named.set_name("a#b");
  CHECK(to_line_protocol(named) == "a#b v=true 1\n");
}

TEST_CASE("line protocol numbers cover the whole range of each type", "[metric][format]") {
  Metric m("n");
  m.set_field("imin", std::numeric_limits<int64_t>::min()).set_field("umax", std::numeric_limits<uint64_t>::max());
  m.set_field("dmax", std::numeric_limits<double>::max()).set_field("dmin", std::numeric_limits<double>::denorm_min());
  m.set_field("nzero", -0.0);
  CHECK(to_line_protocol(m) ==
        "n dmax=1.7976931348623157e+308,dmin=5e-324,imin=-9223372036854775808i,nzero=-0,"
        "umax=18446744073709551615u\n");
}

TEST_CASE("invalid UTF-8 becomes one U+FFFD per maximal ill-formed subsequence", "[metric][format]") {
  const std::string r = "\xEF\xBF\xBD";
  Metric m("a\xE2\x82z", 1);       // truncated 3-byte sequence: one replacement
  m.set_tag("t", "\xED\xA0\x80");  // encoded surrogate: three
  m.set_field("s", std::string("\xF0\x9F\x98\x80 \xC0\xAF \xF4\x90\x80\x80 \xFF"));
  CHECK(to_line_protocol(m) ==
        "a" + r + "z,t=" + r + r + r + " s=\"\xF0\x9F\x98\x80 " + r + r + " " + r + r + r + r + " " + r + "\" 1\n");
  auto j = nlohmann::json::parse(to_json(m));
  CHECK(j["name"] == "a" + r + "z");
  CHECK(j["tags"]["t"] == r + r + r);
}

TEST_CASE("json escapes every control character as RFC 8259 requires", "[metric][format]") {
  Metric m(std::string("c\x01\x1f\x7f", 4), 1);
  m.set_tag(std::string("\0k", 2), "\t\n\r\b\f\"\\");
  m.set_field("nan", std::nan("")).set_field("i", int64_t{-1}).set_field("u", std::numeric_limits<uint64_t>::max());
  m.set_field("s", std::string("\xE2\x80\xA8\xC3\xA9"));  // valid UTF-8 is copied as it is
  CHECK(to_json(m) ==
        "{\"name\":\"c\\u0001\\u001f\x7f\",\"tags\":{\"\\u0000k\":\"\\t\\n\\r\\u0008\\u000c\\\"\\\\\"},"
        "\"fields\":{\"i\":-1,\"nan\":null,\"s\":\"\xE2\x80\xA8\xC3\xA9\",\"u\":18446744073709551615},\"time\":1}");
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
