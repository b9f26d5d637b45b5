// routeros_traffic — per-second rates from interface counters, with counter
// wrap and reset handling.
//
// RouterOS reports interface counters (`rx-byte`, `tx-packet`, ...) as totals
// since the interface was created or the router booted. The rate between two
// polls is delta / elapsed time. A counter that went DOWN either wrapped
// (passed its maximum and restarted at 0) or was reset (router reboot,
// interface re-created, counters cleared). The two are told apart with serial
// number arithmetic (RFC 1982, section 3.2): a decrease is read as a wrap only
// when the wrapped distance is less than half the counter's range; anything
// else is a reset. An explicit reset hint (the interface's `.id` changed or the
// router's uptime went down) always wins.
//
// Threading: plain values and pure functions; not synchronised.
#pragma once

#include <cstdint>
#include <optional>

namespace routerpulse::routeros_traffic {

/// Which counter widths a wrap may have (option `counter_bits`).
enum class CounterBits : uint8_t {
  automatic,  ///< 32-bit when the previous value fits in 32 bits, else 64-bit
  bits32,     ///< counters are 32-bit (old hardware / SNMP-style counters)
  bits64,     ///< counters are 64-bit (RouterOS API default)
};

/// What happened between two samples of one counter.
enum class CounterEvent : uint8_t {
  first,     ///< no previous sample: no rate yet
  increase,  ///< normal: current >= previous
  wrap32,    ///< wrapped past 2^32 - 1
  wrap64,    ///< wrapped past 2^64 - 1
  reset,     ///< counter restarted (or the hint said so): no rate this time
  no_time,   ///< elapsed time <= 0: no rate
};

/// "first", "increase", "wrap32", "wrap64", "reset", "no_time".
const char* to_string(CounterEvent e) noexcept;

/// One counter sample: value and when it was taken (nanoseconds, any
/// monotonic clock; only differences are used).
struct CounterSample {
  uint64_t value = 0;
  int64_t time_ns = 0;
};

/// The outcome of counter_delta().
struct CounterDelta {
  CounterEvent event = CounterEvent::first;
  uint64_t delta = 0;                ///< units since the previous sample (0 on first/reset/no_time)
  std::optional<double> per_second;  ///< delta / elapsed seconds, when a rate exists
};

/// Delta and rate from `prev` (nullopt = no previous sample) to `cur`.
/// `reset_hint` forces CounterEvent::reset. Never throws.
CounterDelta counter_delta(const std::optional<CounterSample>& prev, const CounterSample& cur,
                           CounterBits bits = CounterBits::automatic, bool reset_hint = false) noexcept;

}  // namespace routerpulse::routeros_traffic
