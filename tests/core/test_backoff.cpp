#include <catch2/catch.hpp>

#include "routerpulse/backoff.hpp"

using namespace routerpulse;
using namespace std::chrono_literals;

TEST_CASE("backoff doubles up to the cap", "[backoff]") {
  Backoff b(100ms, 1s, 2.0, 0.0);
  CHECK(b.next() == 100ms);
  CHECK(b.next() == 200ms);
  CHECK(b.next() == 400ms);
  CHECK(b.next() == 800ms);
  CHECK(b.next() == 1s);
  CHECK(b.next() == 1s);
  b.reset();
  CHECK(b.next() == 100ms);
}

TEST_CASE("backoff jitter stays within bounds and varies", "[backoff]") {
  Backoff b(1s, 1s, 2.0, 0.2, 12345);
  std::set<int64_t> seen;
  for (int i = 0; i < 200; ++i) {
    auto d = b.next();
    CHECK(d >= 800ms);
    CHECK(d <= 1200ms);
    seen.insert(d.count());
  }
  CHECK(seen.size() > 100);  // not in lockstep
  CHECK(b.base_delay(0) == 1s);
}
