// Unit tests: stream key templates.
#include <catch2/catch.hpp>

#include "stream_key.hpp"

using routerpulse::Metric;
using routerpulse::redis::StreamKeyError;
using routerpulse::redis::StreamKeyTemplate;

namespace {
Metric traffic() {
  Metric m("pppoe_traffic");
  m.set_tag("router", "pop1-core").set_tag("name", "tagged-name");
  return m;
}
}  // namespace

TEST_CASE("a fixed key is constant", "[redis_stream][key]") {
  StreamKeyTemplate t("mikrotik:traffic:customers");
  CHECK(t.is_constant());
  std::string out;
  CHECK(t.render(traffic(), out, "unknown"));
  CHECK(out == "mikrotik:traffic:customers");
}

TEST_CASE("placeholders take the metric name and tags", "[redis_stream][key]") {
  StreamKeyTemplate t("mikrotik:{name}:{router}:{tag:name}");
  CHECK_FALSE(t.is_constant());
  std::string out = "old content";
  CHECK(t.render(traffic(), out, "unknown"));
  CHECK(out == "mikrotik:pppoe_traffic:pop1-core:tagged-name");
}

TEST_CASE("a missing tag renders the missing value and reports it", "[redis_stream][key]") {
  StreamKeyTemplate t("mikrotik:traffic:{router}");
  std::string out;
  CHECK_FALSE(t.render(Metric("icmp"), out, "unknown"));
  CHECK(out == "mikrotik:traffic:unknown");
}

TEST_CASE("doubled braces are literal", "[redis_stream][key]") {
  StreamKeyTemplate t("{{hash}}:{router}");
  std::string out;
  CHECK(t.render(traffic(), out, "-"));
  CHECK(out == "{hash}:pop1-core");
  StreamKeyTemplate c("{{fixed}}");
  CHECK(c.is_constant());
  CHECK(c.render(Metric("x"), out, "-"));
  CHECK(out == "{fixed}");
}

TEST_CASE("malformed templates are refused with the column", "[redis_stream][key]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(StreamKeyTemplate("a:{router"), Contains("column 3: unclosed '{'"));
  CHECK_THROWS_WITH(StreamKeyTemplate("a:{}"), Contains("empty or nested"));
  CHECK_THROWS_WITH(StreamKeyTemplate("a}b"), Contains("column 2: stray '}'"));
  CHECK_THROWS_WITH(StreamKeyTemplate("a:{x{y}}"), Contains("empty or nested"));
  CHECK_THROWS_AS(StreamKeyTemplate(""), StreamKeyError);
}
