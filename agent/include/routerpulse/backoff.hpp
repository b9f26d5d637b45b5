// routerpulse — exponential backoff with jitter, for retries and reconnects.
//
// delay(n) = min(max, initial * multiplier^n), then scaled by a random factor
// in [1 - jitter, 1 + jitter] ("equal jitter"), so many agents or sessions that
// failed together do not retry in lockstep. See the AWS Architecture Blog,
// "Exponential Backoff And Jitter" (2015), for why jitter matters.
// Threading: not synchronised; keep one per retrying activity on its strand.
#pragma once

#include <cstdint>
#include <random>

#include "routerpulse/config.hpp"

namespace routerpulse {

class Backoff {
 public:
  /// `initial` > 0, `max` >= initial, multiplier >= 1, jitter in [0, 1].
  explicit Backoff(Duration initial = std::chrono::milliseconds(500), Duration max = std::chrono::seconds(30),
                   double multiplier = 2.0, double jitter = 0.2, uint64_t seed = std::random_device{}());

  /// The delay before the next attempt; advances the attempt counter.
  Duration next();
  /// The un-jittered delay for attempt `n` (0-based), for tests and docs.
  Duration base_delay(uint32_t n) const;
  /// Call after a success: the next failure starts from `initial` again.
  void reset() noexcept { attempt_ = 0; }
  uint32_t attempts() const noexcept { return attempt_; }

 private:
  Duration initial_, max_;
  double multiplier_, jitter_;
  uint32_t attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace routerpulse
