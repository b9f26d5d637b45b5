// routeros_traffic: when routers are polled — spread over the interval,
// skipped (not stacked) while a poll still runs. Real tools/routeros-sim
// routers; the input's timers run on a ManualClock the test advances.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "routerpulse/spread.hpp"
#include "sim_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

TEST_CASE("50 routers with one interval do not start their polls at the same instant",
          "[routeros_traffic][sim][schedule]") {
  constexpr int kRouters = 50;
  ManualClock clock;
  SimProcess sim(kRouters, {"--sessions", "1"});
  TrafficFixture f(sim, kRouters, &clock, 0s);
  // Harness interval 10 s: offsets span [0, 5 s).
  f.create("pppoe: none\npoll_spread: 0.5\ntimeout: 30s");
  const Duration window = 5s;
  std::map<Duration, std::set<std::string>> by_offset;
  for (int i = 0; i < kRouters; ++i) {
    const std::string r = "r" + std::to_string(i);
    by_offset[spread_offset(r, window)].insert(r);
  }
  auto polled = [&] {
    std::set<std::string> out;
    for (const auto& m : f.named("routeros_system")) out.insert(*m.tag("router"));
    return out;
  };

  const int64_t t0 = clock.now_ns();
  size_t waiting = 0;  // routers whose poll waits for its offset
  for (const auto& [off, rs] : by_offset)
    if (off > Duration::zero()) waiting += rs.size();
  auto done = f.start_gather();
  // The tick runs on the input's strand: time may move only once it armed
  // its window and every offset timer.
  REQUIRE(wait_until([&] { return clock.pending() >= waiting + 1; }, 15s));
  // Step through the window: after each step exactly the routers whose offset
  // has passed have been polled — no router early, none late.
  const Duration step = 250ms;
  Duration elapsed{};
  size_t steps_with_starts = 0;
  size_t before = 0;
  while (elapsed < window) {
    std::set<std::string> due;
    for (const auto& [off, rs] : by_offset)
      if (off <= elapsed) due.insert(rs.begin(), rs.end());
    INFO("elapsed " << format_duration(elapsed) << ", due " << due.size());
    REQUIRE(wait_until([&] { return polled().size() == due.size(); }, 15s));
    CHECK(polled() == due);
    if (due.size() > before) ++steps_with_starts;
    before = due.size();
    clock.advance(step);
    elapsed += step;
  }
  REQUIRE(wait_until([&] { return polled().size() == kRouters; }, 15s));
  // Starts fall into many of the 20 steps, not one burst.
  CHECK(steps_with_starts >= 12);
  // Each router's metrics carry its own poll time: the tick plus its offset.
  for (const auto& m : f.named("routeros_system")) {
    const Duration off = spread_offset(*m.tag("router"), window);
    CHECK(m.time() >= t0 + off.count());
    CHECK(m.time() < t0 + off.count() + std::chrono::nanoseconds(step).count() + 1);
    CHECK(m.field("poll_duration_seconds"));
  }
  REQUIRE(wait_until([&] { return done->load(); }, 15s));
}

TEST_CASE("a slow router's poll is skipped, not stacked, and its metrics arrive late with their own time",
          "[routeros_traffic][sim][schedule]") {
  // r1 answers every command 2.5 s late (a busy router): longer than the 1 s
  // tick, shorter than the 20 s poll deadline. Real time for the router
  // sessions and the replies; the input's ticks are driven by the test.
  SimProcess sim(2, {"--sessions", "2"});
  TrafficFixture f(sim, 2, nullptr, 0s);
  f.h.interval = 1s;
  f.create("pppoe: none\ntimeout: 20s");
  REQUIRE(f.gather());
  REQUIRE(f.named("routeros_system", "r1").size() == 1);

  REQUIRE(sim.control("fault 1 slow delay=2500") == "ok");
  f.h.clear_emitted();
  REQUIRE(f.gather());  // ends at the tick window (0.9 s): r1 still polls
  CHECK(f.named("routeros_system", "r0").size() == 1);
  CHECK(f.named("routeros_system", "r1").empty());
  REQUIRE(f.gather());  // r1's poll still runs: skipped
  CHECK(f.stat("routeros_traffic", "polls", "r1", "result=overrun") >= 1);
  CHECK(f.named("routeros_system", "r0").size() == 2);
  // The late answer arrives on its own and is emitted, up=true, with the
  // time it arrived; the session stayed up throughout (no reconnect).
  REQUIRE(wait_until([&] { return f.named("routeros_system", "r1").size() == 1; }, 15s));
  const Metric r1 = f.named("routeros_system", "r1").front();
  CHECK(std::get<bool>(*r1.field("up")));
  CHECK(*r1.field("poll_duration_seconds") >= FieldValue(2.0));
  CHECK(f.stat("routeros_traffic", "polls", "r1", "result=ok") >= 2);
  CHECK(std::isnan(f.stat("routeros_traffic", "errors", "r1", "timeout")));
}
