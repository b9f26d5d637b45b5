#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "harness.hpp"

using namespace routerpulse;
using test::read_file;

namespace {
MetricBatch sample() {
  Metric m("pppoe_traffic", 1700000000000000000);
  m.set_tag("router", "pop1").set_tag("pppoe_user", "alice");
  m.set_field("rx_bps", 1000.0).set_field("tx_bps", 2000.0);
  return {m};
}
}  // namespace

TEST_CASE("file output writes line protocol to every file", "[file]") {
  test::Harness h;
  test::TempDir dir;
  auto c = h.create(PluginKind::output, "file",
                    "files: [" + dir.file("a.out") + ", " + dir.file("b.out") + "]");
  auto& out = dynamic_cast<Output&>(*c);
  auto r = h.write(out, h.last_context(), sample());
  REQUIRE(r);
  CHECK(r->ok);
  auto expected = "pppoe_traffic,pppoe_user=alice,router=pop1 rx_bps=1000,tx_bps=2000 1700000000000000000\n";
  CHECK(read_file(dir.file("a.out")) == expected);
  CHECK(read_file(dir.file("b.out")) == expected);
}

TEST_CASE("file output writes JSON lines", "[file]") {
  test::Harness h;
  test::TempDir dir;
  auto c = h.create(PluginKind::output, "file", "files: [" + dir.file("a.json") + "]\ndata_format: json");
  auto r = h.write(dynamic_cast<Output&>(*c), h.last_context(), sample());
  REQUIRE(r);
  auto j = nlohmann::json::parse(read_file(dir.file("a.json")));
  CHECK(j["tags"]["pppoe_user"] == "alice");
  CHECK(j["fields"]["tx_bps"] == 2000.0);
}

TEST_CASE("file output reports a failing device instead of losing the batch", "[file]") {
  test::Harness h;
  auto c = h.create(PluginKind::output, "file", "files: [/dev/full]");
  auto r = h.write(dynamic_cast<Output&>(*c), h.last_context(), sample());
  REQUIRE(r);
  CHECK_FALSE(r->ok);
  CHECK_THAT(r->error, Catch::Contains("/dev/full"));
}

TEST_CASE("file output options are validated", "[file]") {
  test::Harness h;
  CHECK_THROWS_WITH(h.create(PluginKind::output, "file", "data_format: csv"), Catch::Contains("expected one of"));
  CHECK_THROWS_WITH(h.create(PluginKind::output, "file", "files: [/nonexistent/dir/x.out]"),
                    Catch::Contains("cannot open"));
  CHECK_THROWS_WITH(h.create(PluginKind::output, "file", "colour: red"), Catch::Contains("unknown option"));
}
