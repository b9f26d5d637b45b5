#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace routerpulse;

namespace {
// The metric named `name` that has field `field` (a subsystem has one metric per label set).
const Metric* find(const MetricBatch& batch, const std::string& name, const std::string& field = {}) {
  for (const auto& m : batch)
    if (m.name() == name && (field.empty() || m.field(field))) return &m;
  return nullptr;
}

std::shared_ptr<Input> create_input(test::Harness& h, const std::string& yaml) {
  auto in = std::dynamic_pointer_cast<Input>(h.create(PluginKind::input, "internal", yaml));
  REQUIRE(in);
  return in;
}
}  // namespace

TEST_CASE("internal input: the subsystems filter emits only the selected subsystems", "[internal]") {
  ManualClock clock(1767225600000000000LL);
  test::Harness h;
  h.clock = &clock;
  h.stats.counter("alpha", "events_total", "Alpha events", {{"input", "a1"}}).inc(3);
  h.stats.counter("beta", "events_total", "Beta events", {{"input", "b1"}}).inc(5);
  h.stats.gauge("beta", "level", "Beta level").set(2.5);

  SECTION("one subsystem selected") {
    auto in = create_input(h, "subsystems: [alpha]");
    REQUIRE(h.gather(*in, h.last_context()));
    auto batch = h.emitted();
    REQUIRE(!batch.empty());
    for (const auto& m : batch) CHECK(m.name() == "internal_alpha");  // nothing else, beta included
    const Metric* alpha = find(batch, "internal_alpha", "events");
    REQUIRE(alpha);
    REQUIRE(alpha->field("events"));  // counter: `_total` stripped, uint64
    CHECK(std::get<uint64_t>(*alpha->field("events")) == 3);
    REQUIRE(alpha->tag("input"));
    CHECK(*alpha->tag("input") == "a1");
    CHECK(alpha->time() == 1767225600000000000LL);  // stamped by the component's clock
  }

  SECTION("no filter: every subsystem") {
    auto in = create_input(h, "");
    REQUIRE(h.gather(*in, h.last_context()));
    auto batch = h.emitted();
    CHECK(find(batch, "internal_alpha"));
    const Metric* beta = find(batch, "internal_beta", "events");
    REQUIRE(beta);
    CHECK(std::get<uint64_t>(*beta->field("events")) == 5);
  }

  SECTION("several subsystems, and a name that matches nothing") {
    auto in = create_input(h, "subsystems: [beta, nosuch]");
    REQUIRE(h.gather(*in, h.last_context()));
    auto batch = h.emitted();
    CHECK_FALSE(find(batch, "internal_alpha"));
    REQUIRE(find(batch, "internal_beta"));
    for (const auto& m : batch) CHECK(m.name() == "internal_beta");
    // The gauge (no labels) is its own metric in the same subsystem.
    const Metric* level = find(batch, "internal_beta", "level");
    REQUIRE(level);
    CHECK(std::get<double>(*level->field("level")) == 2.5);
    CHECK(level->tags().empty());
  }
}

TEST_CASE("internal input options are validated", "[internal]") {
  test::Harness h;
  CHECK_NOTHROW(h.validate(PluginKind::input, "internal", "subsystems: [output, redis_stream]"));
  CHECK_NOTHROW(h.validate(PluginKind::input, "internal", "subsystems: output"));  // one name reads as a list
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "internal", "subsystems: {a: b}"),
                    Catch::Contains("expected a list of strings"));
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "internal", "subsytems: [output]"),
                    Catch::Contains("unknown option"));
}
