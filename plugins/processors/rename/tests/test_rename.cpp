#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace routerpulse;

namespace {

constexpr int64_t kTime = 1767225600000000000;

Metric traffic(const std::string& user) {
  Metric m("pppoe_traffic", kTime, MetricType::gauge);
  m.set_tag("router", "pop1").set_tag("pppoe_user", user);
  m.set_field("rx_bps", 1000.0).set_field("tx_bps", uint64_t{2000});
  return m;
}

/// Creates a rename processor from `yaml` and runs `batch` through it.
MetricBatch run(const std::string& yaml, MetricBatch batch) {
  test::Harness h;
  auto c = h.create(PluginKind::processor, "rename", yaml);
  auto out = h.process(dynamic_cast<Processor&>(*c), h.last_context(), std::move(batch));
  REQUIRE(out);
  return std::move(*out);
}

/// The message of the ConfigError validating `yaml` throws ("" when valid).
std::string error_of(const std::string& yaml) {
  test::Harness h;
  try {
    h.validate(PluginKind::processor, "rename", yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("rename renames a measurement, a tag and a field", "[rename]") {
  auto out = run(R"(
replace:
  - {measurement: pppoe_traffic, dest: customer_traffic}
  - {tag: pppoe_user, dest: customer}
  - {field: rx_bps, dest: download_bps}
)",
                 {traffic("alice")});
  REQUIRE(out.size() == 1);
  const Metric& m = out[0];
  CHECK(m.name() == "customer_traffic");
  REQUIRE(m.tag("customer"));
  CHECK(*m.tag("customer") == "alice");
  CHECK_FALSE(m.tag("pppoe_user"));
  REQUIRE(m.field("download_bps"));
  CHECK(*m.field("download_bps") == FieldValue(1000.0));
  CHECK_FALSE(m.field("rx_bps"));
  // Everything else is untouched.
  CHECK(*m.tag("router") == "pop1");
  CHECK(*m.field("tx_bps") == FieldValue(uint64_t{2000}));
  CHECK(m.time() == kTime);
  CHECK(m.type() == MetricType::gauge);
  CHECK(to_line_protocol(m) ==
        "customer_traffic,customer=alice,router=pop1 download_bps=1000,tx_bps=2000u 1767225600000000000\n");
}

TEST_CASE("rename applies its rules in order and keeps the batch's size and order", "[rename]") {
  MetricBatch in;
  for (const char* u : {"alice", "bob", "carol"}) in.push_back(traffic(u));
  Metric other("cpu", kTime);
  other.set_tag("host", "pop1").set_field("load", 0.5);
  in.insert(in.begin() + 1, other);

  // a → b, then b → c: the second rule sees the result of the first.
  auto out = run("replace: [{tag: pppoe_user, dest: user}, {tag: user, dest: customer}]", in);
  REQUIRE(out.size() == in.size());
  CHECK(out[0].tag("customer"));
  CHECK(*out[0].tag("customer") == "alice");
  CHECK_FALSE(out[0].tag("user"));
  CHECK(out[1] == other);  // no pppoe_user tag: passed through unchanged, in place
  CHECK(*out[2].tag("customer") == "bob");
  CHECK(*out[3].tag("customer") == "carol");
}

TEST_CASE("rename leaves metrics without the named key unchanged", "[rename]") {
  MetricBatch in{traffic("alice")};
  auto out = run(R"(
replace:
  - {measurement: cpu, dest: system_cpu}
  - {tag: no_such_tag, dest: x}
  - {field: no_such_field, dest: y}
)",
                 in);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == in[0]);
}

TEST_CASE("rename onto an existing tag or field replaces it: the renamed one wins", "[rename]") {
  Metric m = traffic("alice");
  m.set_tag("customer", "old").set_field("bps", int64_t{7});
  auto out = run("replace: [{tag: pppoe_user, dest: customer}, {field: rx_bps, dest: bps}]", {m});
  REQUIRE(out.size() == 1);
  CHECK(*out[0].tag("customer") == "alice");
  CHECK(*out[0].field("bps") == FieldValue(1000.0));
  CHECK(out[0].tags().size() == 2);    // customer, router
  CHECK(out[0].fields().size() == 2);  // bps, tx_bps
}

TEST_CASE("rename counts what it renamed in its self-metrics", "[rename]") {
  test::Harness h;
  auto c = h.create(PluginKind::processor, "rename", "replace: [{tag: pppoe_user, dest: customer}]", "rename/users",
                    "customers");
  auto out = h.process(dynamic_cast<Processor&>(*c), h.last_context(),
                       {traffic("alice"), Metric("cpu", kTime), traffic("bob")});
  REQUIRE(out);
  CHECK(out->size() == 3);
  std::string text;
  h.stats.write_prometheus(text);
  // routerpulse_<plugin>_<name>, labelled with the instance (processor id + pipeline) and the extra label.
  const std::string series = R"(routerpulse_rename_renames_total{processor="rename/users",pipeline="customers",)";
  CHECK_THAT(text, Catch::Contains(series + R"(target="tag"} 2)"));
  CHECK_THAT(text, Catch::Contains(series + R"(target="field"} 0)"));
}

TEST_CASE("rename option errors name the line, column and entry", "[rename]") {
  CHECK(error_of("replace: [{tag: a, dest: b}, {measurement: c, dest: d}, {field: e, dest: f}]").empty());

  CHECK(error_of("{}") == R"(<test>:1:1: processors.rename: required option "replace" is missing)");
  CHECK(error_of("replace: []") ==
        "<test>:1:10: processors.rename.replace: needs at least one rename, e.g. [{tag: host, dest: router}]");
  CHECK(error_of("replace: {tag: a, dest: b}") == "<test>:1:10: processors.rename.replace: expected a list, got a map");

  CHECK(error_of(R"(replace:
  - {tag: a, dest: b}
  - {tag: c, field: d, dest: e}
)") == "<test>:3:21: processors.rename.replace[1].field: give only one of measurement, tag or field per entry "
       "(this one also has tag)");

  CHECK(error_of(R"(replace:
  - {tag: a, dest: b}
  - dest: c
)") == "<test>:3:5: processors.rename.replace[1]: needs one of measurement, tag or field: the name to rename");

  CHECK(error_of(R"(replace:
  - measurement: a
)") == "<test>:2:5: processors.rename.replace[0]: needs dest: the new name");

  CHECK(error_of(R"(replace:
  - {field: a, dst: b}
)") == "<test>:2:16: processors.rename.replace[0].dst: unknown option (known: dest, field, measurement, tag)");

  CHECK(error_of("replace: [{tag: \"\", dest: b}]") ==
        "<test>:1:17: processors.rename.replace[0].tag: must not be empty");
  CHECK(error_of("replace: [{tag: a, dest: [b]}]") ==
        "<test>:1:26: processors.rename.replace[0].dest: expected a string, got a list");
  CHECK(error_of("replace: [tag]") ==
        "<test>:1:11: processors.rename.replace[0]: expected a map like {tag: host, dest: router}, got \"tag\"");
  CHECK_THAT(error_of("replace: [{tag: a, dest: b}]\nreplce: []"),
             Catch::StartsWith("<test>:2:1: processors.rename.replce: unknown option"));
}

TEST_CASE("rename refuses bad options at create time with the same errors as check", "[rename]") {
  test::Harness h;
  CHECK_THROWS_WITH(h.create(PluginKind::processor, "rename", "replace: [{tag: a}]"),
                    "<test>:1:11: processors.rename.replace[0]: needs dest: the new name");
}
