// ManualClock and the Timer contract: callbacks on the strand, never after
// cancel, re-arm or destruction; the system clock's timers keep the same rules.
#include <catch2/catch.hpp>

#include <atomic>

#include <boost/asio/post.hpp>

#include "harness.hpp"
#include "routerpulse/clock.hpp"

using namespace routerpulse;
using namespace std::chrono_literals;

TEST_CASE("manual clock: time moves only when told, timers fire in deadline order", "[clock]") {
  test::Harness h;
  ManualClock clock;
  auto strand = boost::asio::make_strand(h.io);
  int64_t wall0 = clock.now_ns();
  auto steady0 = clock.steady_now();
  std::mutex mu;
  std::vector<int> order;
  auto t1 = clock.make_timer(strand);
  auto t2 = clock.make_timer(strand);
  auto t3 = clock.make_timer(strand);
  std::atomic<bool> on_strand{true};
  boost::asio::post(strand, [&] {
    t1->arm(3s, [&] {
      std::lock_guard lk(mu);
      order.push_back(3);
      on_strand = on_strand && strand.running_in_this_thread();
    });
    t2->arm(1s, [&] {
      std::lock_guard lk(mu);
      order.push_back(1);
    });
    t3->arm(2s, [&] {
      std::lock_guard lk(mu);
      order.push_back(2);
    });
  });
  REQUIRE(test::wait_until([&] { return clock.pending() == 3; }, 10s));
  CHECK(clock.advance(500ms) == 0);
  CHECK(clock.advance(2500ms) == 3);
  REQUIRE(test::wait_until(
      [&] {
        std::lock_guard lk(mu);
        return order.size() == 3;
      },
      10s));
  CHECK(order == std::vector<int>{1, 2, 3});
  CHECK(on_strand);
  CHECK(clock.now_ns() - wall0 == 3'000'000'000);
  CHECK(clock.steady_now() - steady0 == 3s);
}

TEST_CASE("manual clock: cancel, re-arm and destruction suppress the callback", "[clock]") {
  test::Harness h;
  ManualClock clock;
  auto strand = boost::asio::make_strand(h.io);
  std::atomic<int> fired{0}, rearmed{0};
  auto cancelled = clock.make_timer(strand);
  auto rearm = clock.make_timer(strand);
  auto destroyed = clock.make_timer(strand);
  cancelled->arm(1s, [&] { ++fired; });
  rearm->arm(1s, [&] { ++fired; });
  rearm->arm(5s, [&] { ++rearmed; });
  destroyed->arm(1s, [&] { ++fired; });
  cancelled->cancel();
  destroyed.reset();
  CHECK_FALSE(cancelled->armed());
  CHECK(rearm->armed());
  clock.advance(2s);
  clock.advance(4s);
  REQUIRE(test::wait_until([&] { return rearmed == 1; }, 10s));
  CHECK(fired == 0);
  CHECK_FALSE(rearm->armed());
}

TEST_CASE("system clock timers: fire once on the strand; cancel wins over a queued expiry", "[clock]") {
  test::Harness h;
  auto strand = boost::asio::make_strand(h.io);
  auto t = system_clock().make_timer(strand);
  std::atomic<int> fired{0};
  boost::asio::post(strand, [&] { t->arm(1ms, [&] { ++fired; }); });
  REQUIRE(test::wait_until([&] { return fired == 1; }, 10s));
  std::atomic<bool> done{false};
  boost::asio::post(strand, [&] {
    t->arm(0ms, [&] { ++fired; });
    // Block the strand past the expiry so the completion is queued, then cancel.
    auto until = std::chrono::steady_clock::now() + 20ms;
    while (std::chrono::steady_clock::now() < until) {
    }
    t->cancel();
    done = true;
  });
  REQUIRE(test::wait_until([&] { return done.load(); }, 10s));
  // Let anything queued run: a marker posted after it runs after it.
  std::atomic<bool> marker{false};
  boost::asio::post(strand, [&] { marker = true; });
  REQUIRE(test::wait_until([&] { return marker.load(); }, 10s));
  CHECK(fired == 1);
}
