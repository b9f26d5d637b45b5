// scripts/lua/static_user_offline.lua on arp_presence metrics, through the
// real lua processor.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace routerpulse;
namespace rt = routerpulse::test;

namespace {

constexpr int64_t kT0 = 1'700'000'000LL * 1'000'000'000LL;

Metric event(const std::string& ev, int round) {
  Metric m("static_user_event", kT0 + round * 30'000'000'000LL);
  m.set_tag("router", "pop1").set_tag("address", "10.20.0.2").set_tag("customer_id", "C-1").set_tag("plan", "biz");
  m.set_field("event", ev);
  return m;
}

Metric user(bool mismatch, int round) {
  Metric m("static_user", kT0 + round * 30'000'000'000LL);
  m.set_tag("router", "pop1").set_tag("address", "10.20.0.2").set_tag("customer_id", "C-1");
  m.set_field("online", true).set_field("mac", std::string("02:BB:00:00:00:01")).set_field("mac_mismatch", mismatch);
  return m;
}

std::vector<Metric> alerts(const MetricBatch& b) {
  std::vector<Metric> out;
  for (const auto& m : b)
    if (m.name() == "alert") out.push_back(m);
  return out;
}

}  // namespace

TEST_CASE("static_user_offline.lua: offline event fires, online resolves; MAC mismatch alert", "[arp_presence][lua]") {
  rt::Harness h;
  h.config_dir = rt::source_dir();
  auto c = h.create(PluginKind::processor, "lua",
                    "script: scripts/lua/static_user_offline.lua\ntick_interval: 0\nconfig: {severity: major}\n",
                    "lua/static");
  auto& p = dynamic_cast<Processor&>(*c);
  auto& ctx = h.last_context();
  h.start(*c, ctx);
  auto run = [&](std::vector<Metric> in) {
    auto out = h.process(p, ctx, std::move(in));
    REQUIRE(out);
    return *out;
  };
  auto out = run({event("offline", 1)});
  CHECK(out.size() == 2);  // the event passes on
  auto a = alerts(out);
  REQUIRE(a.size() == 1);
  CHECK(*a[0].tag("alertname") == "static_user_offline");
  CHECK(*a[0].tag("key") == "pop1/10.20.0.2");
  CHECK(*a[0].tag("severity") == "major");
  CHECK(*a[0].tag("customer_id") == "C-1");
  CHECK_FALSE(a[0].tag("plan"));
  CHECK(std::get<std::string>(*a[0].field("status")) == "firing");
  CHECK(std::get<std::string>(*a[0].field("message")) == "C-1 10.20.0.2 offline behind pop1");
  CHECK(alerts(run({event("mac_changed", 2)})).empty());
  a = alerts(run({event("online", 3)}));
  REQUIRE(a.size() == 1);
  CHECK(std::get<std::string>(*a[0].field("status")) == "resolved");

  CHECK(alerts(run({user(false, 4)})).empty());
  a = alerts(run({user(true, 5)}));
  REQUIRE(a.size() == 1);
  CHECK(*a[0].tag("alertname") == "static_user_mac_mismatch");
  CHECK(std::get<std::string>(*a[0].field("mac")) == "02:BB:00:00:00:01");
  a = alerts(run({user(false, 6)}));
  REQUIRE(a.size() == 1);
  CHECK(std::get<std::string>(*a[0].field("status")) == "resolved");
  h.stop(*c, ctx);
  for (int i = 0; i < 3; ++i) h.run_on(ctx, [] {});
}
