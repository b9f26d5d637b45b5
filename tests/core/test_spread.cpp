// spread_offset: deterministic per-key offsets that cover the window.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "routerpulse/spread.hpp"

using namespace routerpulse;
using namespace std::chrono_literals;

TEST_CASE("spread offsets are stable, inside the window and spread out", "[spread]") {
  const Duration window = 500ms;
  std::set<Duration> offsets;
  int low = 0, high = 0;
  for (int i = 0; i < 50; ++i) {
    const std::string key = "r" + std::to_string(i);
    const Duration d = spread_offset(key, window);
    CHECK(d >= Duration::zero());
    CHECK(d < window);
    CHECK(spread_offset(key, window) == d);  // a pure function of the key
    offsets.insert(d);
    (d < window / 2 ? low : high) += 1;
  }
  // 50 routers named r0..r49 get 50 different start times, in both halves.
  CHECK(offsets.size() == 50);
  CHECK(low >= 10);
  CHECK(high >= 10);
  CHECK(*offsets.rbegin() - *offsets.begin() > window / 2);
  CHECK(spread_offset("r1", Duration::zero()) == Duration::zero());
  CHECK(stable_hash("r1") != stable_hash("r2"));
  CHECK(stable_hash("") == stable_hash(""));
}
