// routeros_traffic — counter deltas with wrap/reset handling (see counter_rate.hpp).
#include "counter_rate.hpp"

#include <limits>

namespace routerpulse::routeros_traffic {

const char* to_string(CounterEvent e) noexcept {
  switch (e) {
    case CounterEvent::first: return "first";
    case CounterEvent::increase: return "increase";
    case CounterEvent::wrap32: return "wrap32";
    case CounterEvent::wrap64: return "wrap64";
    case CounterEvent::reset: return "reset";
    case CounterEvent::no_time: return "no_time";
  }
  return "unknown";
}

namespace {
constexpr uint64_t kMax32 = std::numeric_limits<uint32_t>::max();

// RFC 1982: a decrease from `prev` to `cur` on a counter of `range` values
// (range = 2^bits, passed as its maximum value) is a wrap when the forward
// distance prev → cur modulo the range is below half the range.
bool is_wrap(uint64_t prev, uint64_t cur, uint64_t max_value, uint64_t& distance) {
  if (prev > max_value || cur > max_value) return false;
  distance = (max_value - prev) + cur + 1;  // cannot overflow: prev > cur
  return distance <= max_value / 2;
}
}  // namespace

CounterDelta counter_delta(const std::optional<CounterSample>& prev, const CounterSample& cur, CounterBits bits,
                           bool reset_hint) noexcept {
  CounterDelta out;
  if (!prev) return out;  // first
  if (reset_hint) {
    out.event = CounterEvent::reset;
    return out;
  }
  if (cur.value >= prev->value) {
    out.event = CounterEvent::increase;
    out.delta = cur.value - prev->value;
  } else {
    const bool try32 = bits == CounterBits::bits32 || (bits == CounterBits::automatic && prev->value <= kMax32);
    uint64_t distance = 0;
    if (try32 && is_wrap(prev->value, cur.value, kMax32, distance)) {
      out.event = CounterEvent::wrap32;
      out.delta = distance;
    } else if (bits != CounterBits::bits32 &&
               is_wrap(prev->value, cur.value, std::numeric_limits<uint64_t>::max(), distance)) {
      out.event = CounterEvent::wrap64;
      out.delta = distance;
    } else {
      out.event = CounterEvent::reset;
      return out;
    }
  }
  const int64_t dt = cur.time_ns - prev->time_ns;
  if (dt <= 0) {
    out.event = CounterEvent::no_time;
    out.delta = 0;
    return out;
  }
  out.per_second = static_cast<double>(out.delta) * 1e9 / static_cast<double>(dt);
  return out;
}

}  // namespace routerpulse::routeros_traffic
