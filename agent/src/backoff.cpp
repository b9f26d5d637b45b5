#include "routerpulse/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace routerpulse {

Backoff::Backoff(Duration initial, Duration max, double multiplier, double jitter, uint64_t seed)
    : initial_(std::max(initial, Duration(1))),
      max_(std::max(max, initial_)),
      multiplier_(std::max(multiplier, 1.0)),
      jitter_(std::clamp(jitter, 0.0, 1.0)),
      rng_(seed) {}

Duration Backoff::base_delay(uint32_t n) const {
  long double d = static_cast<long double>(initial_.count()) * std::pow(static_cast<long double>(multiplier_), n);
  if (d >= static_cast<long double>(max_.count())) return max_;
  return Duration(static_cast<int64_t>(d));
}

Duration Backoff::next() {
  Duration base = base_delay(attempt_);
  if (attempt_ < 64) ++attempt_;
  if (jitter_ == 0) return base;
  std::uniform_real_distribution<double> dist(1.0 - jitter_, 1.0 + jitter_);
  return Duration(static_cast<int64_t>(static_cast<double>(base.count()) * dist(rng_)));
}

}  // namespace routerpulse
