#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

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

std::shared_ptr<Output> create_output(test::Harness& h, const std::string& yaml, const std::string& id = {}) {
  auto out = std::dynamic_pointer_cast<Output>(h.create(PluginKind::output, "file", yaml, id));
  REQUIRE(out);
  return out;
}

std::string self_metrics(test::Harness& h) {
  std::string text;
  h.stats.write_prometheus(text);
  return text;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}
}  // namespace

TEST_CASE("file output writes line protocol to every file and counts the bytes", "[file]") {
  test::Harness h;
  test::TempDir dir;
  auto out = create_output(h, "files: [" + dir.file("a.out") + ", " + dir.file("b.out") + "]");
  auto r = h.write(*out, h.last_context(), sample());
  REQUIRE(r);
  CHECK(r->ok);
  std::string expected = "pppoe_traffic,pppoe_user=alice,router=pop1 rx_bps=1000,tx_bps=2000 1700000000000000000\n";
  CHECK(read_file(dir.file("a.out")) == expected);
  CHECK(read_file(dir.file("b.out")) == expected);
  // One count per batch written (to every file), labelled with the instance.
  CHECK_THAT(self_metrics(h), Catch::Contains("routerpulse_file_bytes_written_total{output=\"file\"} " +
                                              std::to_string(expected.size()) + "\n"));
  // Files are appended to.
  REQUIRE(h.write(*out, h.last_context(), sample()));
  CHECK(read_file(dir.file("a.out")) == expected + expected);
}

TEST_CASE("file output writes JSON lines, one object per metric", "[file]") {
  test::Harness h;
  test::TempDir dir;
  auto out = create_output(h, "files: [" + dir.file("a.json") + "]\ndata_format: json", "archive");
  MetricBatch batch = sample();
  Metric odd("odd\nname", 5);
  odd.set_tag("tab\there", "bad\xff").set_field("text", std::string("line1\nline2\r\n")).set_field("nan", std::nan(""));
  batch.push_back(odd);
  auto r = h.write(*out, h.last_context(), batch);
  REQUIRE(r);
  CHECK(r->ok);
  auto text = lines(read_file(dir.file("a.json")));
  REQUIRE(text.size() == 2);
  auto j = nlohmann::json::parse(text[0]);
  CHECK(j["tags"]["pppoe_user"] == "alice");
  CHECK(j["fields"]["tx_bps"] == 2000.0);
  auto k = nlohmann::json::parse(text[1]);
  CHECK(k["name"] == "odd\nname");
  CHECK(k["tags"]["tab\there"] == "bad\xEF\xBF\xBD");
  CHECK(k["fields"]["text"] == "line1\nline2\r\n");
  CHECK(k["fields"]["nan"].is_null());
  CHECK_THAT(self_metrics(h), Catch::Contains("routerpulse_file_bytes_written_total{output=\"archive\"}"));
}

TEST_CASE("file output keeps line protocol to one line per metric", "[file]") {
  test::Harness h;
  test::TempDir dir;
  auto out = create_output(h, "files: [" + dir.file("a.out") + "]");
  Metric m("m", 1);
  m.set_tag("t", "a\nb").set_field("s", std::string("x\ny\rz"));
  Metric skipped("nothing", 2);
  skipped.set_field("nan", std::nan(""));  // no representable field: no line at all
  auto r = h.write(*out, h.last_context(), {m, skipped, sample()[0]});
  REQUIRE(r);
  CHECK(r->ok);
  auto text = lines(read_file(dir.file("a.out")));
  REQUIRE(text.size() == 2);
  CHECK(text[0] == "m,t=a\\nb s=\"x\\ny\\rz\" 1");
  CHECK(text[1].rfind("pppoe_traffic,", 0) == 0);
}

TEST_CASE("file output resolves relative paths against the config directory", "[file]") {
  test::Harness h;
  test::TempDir dir;
  h.config_dir = dir.path();
  auto out = create_output(h, "files: [relative.out]\nflush: false");
  REQUIRE(h.write(*out, h.last_context(), sample()));
  out.reset();  // destruction joins the writer and closes (flushes) the file
  CHECK_THAT(read_file(dir.file("relative.out")), Catch::StartsWith("pppoe_traffic,"));
}

TEST_CASE("file output reports a failing device instead of losing the batch", "[file]") {
  test::Harness h;
  auto out = create_output(h, "files: [/dev/full]");
  auto r = h.write(*out, h.last_context(), sample());
  REQUIRE(r);
  CHECK_FALSE(r->ok);
  CHECK_THAT(r->error, Catch::Contains("/dev/full"));
  CHECK_THAT(self_metrics(h), Catch::Contains("routerpulse_file_bytes_written_total{output=\"file\"} 0\n"));
}

TEST_CASE("file output options are validated before anything is opened", "[file]") {
  test::Harness h;
  CHECK_THROWS_WITH(h.validate(PluginKind::output, "file", "data_format: csv"), Catch::Contains("expected one of"));
  CHECK_THROWS_WITH(h.validate(PluginKind::output, "file", "colour: red"), Catch::Contains("unknown option"));
  CHECK_THROWS_WITH(h.validate(PluginKind::output, "file", "files: []"), Catch::Contains("at least one file"));
  CHECK_THROWS_WITH(h.validate(PluginKind::output, "file", "flush: sometimes"),
                    Catch::Contains("expected true or false"));
  // `check` does not open files: an unopenable path passes validation and fails at start-up.
  CHECK_NOTHROW(h.validate(PluginKind::output, "file", "files: [/nonexistent/dir/x.out]"));
  CHECK_THROWS_WITH(h.create(PluginKind::output, "file", "files: [/nonexistent/dir/x.out]"),
                    Catch::Contains("cannot open"));
}
