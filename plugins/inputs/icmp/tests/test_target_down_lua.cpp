// scripts/lua/target_down.lua on icmp metrics, through the real lua processor.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace routerpulse;
namespace rt = routerpulse::test;

namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSecond;

Metric icmp_round(const std::string& target, bool up, int round) {
  Metric m("icmp", kT0 + round * 60 * kSecond);
  m.set_tag("target", target).set_tag("address", target).set_tag("site", "north").set_tag("plan", "home");
  m.set_field("up", up).set_field("percent_packet_loss", up ? 0.0 : 100.0);
  return m;
}

std::vector<Metric> alerts(const MetricBatch& b) {
  std::vector<Metric> out;
  for (const auto& m : b)
    if (m.name() == "alert") out.push_back(m);
  return out;
}

}  // namespace

TEST_CASE("target_down.lua: fires after N failed rounds, resolves on the first reply", "[icmp][lua]") {
  rt::Harness h;
  h.config_dir = rt::source_dir();
  auto c = h.create(PluginKind::processor, "lua",
                    "script: scripts/lua/target_down.lua\ntick_interval: 0\nconfig: {rounds: 3, severity: major}\n",
                    "lua/down");
  auto& p = dynamic_cast<Processor&>(*c);
  auto& ctx = h.last_context();
  h.start(*c, ctx);
  int round = 0;
  auto run = [&](std::vector<Metric> in) {
    auto out = h.process(p, ctx, std::move(in));
    REQUIRE(out);
    return *out;
  };
  // Round 1: both up. Rounds 2-3: cpe-1 down, not yet firing.
  CHECK(alerts(run({icmp_round("cpe-1", true, ++round), icmp_round("cpe-2", true, round)})).empty());
  CHECK(alerts(run({icmp_round("cpe-1", false, ++round), icmp_round("cpe-2", true, round)})).empty());
  auto out = run({icmp_round("cpe-1", false, ++round), icmp_round("cpe-2", true, round)});
  CHECK(out.size() == 2);  // metrics pass unchanged
  CHECK(alerts(out).empty());
  // Round 4: the third failed round in a row fires.
  out = run({icmp_round("cpe-1", false, ++round), icmp_round("cpe-2", true, round)});
  auto a = alerts(out);
  REQUIRE(a.size() == 1);
  CHECK(*a[0].tag("alertname") == "target_down");
  CHECK(*a[0].tag("key") == "cpe-1");
  CHECK(*a[0].tag("severity") == "major");
  CHECK(*a[0].tag("site") == "north");
  CHECK(*a[0].tag("address") == "cpe-1");
  CHECK_FALSE(a[0].tag("plan"));
  CHECK(std::get<std::string>(*a[0].field("status")) == "firing");
  CHECK(std::get<std::string>(*a[0].field("message")) == "cpe-1 down: no reply for 3 rounds");
  CHECK(std::get<double>(*a[0].field("value")) == 3.0);
  // Still down: no second event. Then one reply resolves it.
  CHECK(alerts(run({icmp_round("cpe-1", false, ++round)})).empty());
  a = alerts(run({icmp_round("cpe-1", true, ++round)}));
  REQUIRE(a.size() == 1);
  CHECK(std::get<std::string>(*a[0].field("status")) == "resolved");
  CHECK(std::get<std::string>(*a[0].field("message")) == "cpe-1 answers again");
  // A single failed round after recovery does not fire again.
  CHECK(alerts(run({icmp_round("cpe-1", false, ++round)})).empty());
  h.stop(*c, ctx);
  // Let cancelled handlers run while the plugin is loaded (the Harness
  // unloads plugins before destroying its io_context).
  for (int i = 0; i < 3; ++i) h.run_on(ctx, [] {});
}

TEST_CASE("target_down.lua: config is checked at load", "[icmp][lua]") {
  rt::Harness h;
  h.config_dir = rt::source_dir();
  CHECK_THROWS_WITH(h.create(PluginKind::processor, "lua", "script: scripts/lua/target_down.lua\nconfig: {round: 3}\n"),
                    Catch::Contains("unknown config option 'round'"));
  CHECK_THROWS_WITH(
      h.create(PluginKind::processor, "lua", "script: scripts/lua/target_down.lua\nconfig: {rounds: 0}\n"),
      Catch::Contains("rounds must be at least 1"));
}
