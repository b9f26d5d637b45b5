// routerpulse — time for components: wall time, steady time and timers.
//
// Every component reads time through PluginContext::clock instead of
// std::chrono clocks, and arms timers through it instead of owning
// boost::asio::steady_timer. The agent uses system_clock(); tests use a
// ManualClock and move time forward explicitly, so a TTL, an expiry or a
// debounce is tested exactly and instantly, never by sleeping (Envoy's
// TimeSource / SimulatedTimeSystem play the same role).
//
// Threading: Clock and ManualClock methods are thread-safe. A Timer belongs to
// one strand: arm and cancel it from that strand; its callback runs there.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "routerpulse/config.hpp"

namespace routerpulse {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
/// A point on the monotonic clock (never jumps; use it for intervals, TTLs).
using SteadyTime = std::chrono::steady_clock::time_point;

/// A one-shot, re-armable timer bound to a strand.
///
/// Contract: the callback runs on the timer's strand, at most once per arm,
/// and never after cancel(), a re-arm, or the Timer's destruction — even when
/// the expiry was already queued. So a component may capture `this` in the
/// callback as long as the Timer is one of its members.
class Timer {
 public:
  virtual ~Timer();
  /// (Re)arms: `fn` runs once `after` has elapsed on the owning clock.
  /// A previous arm that has not fired is cancelled.
  virtual void arm(Duration after, std::function<void()> fn) = 0;
  /// Like arm() with an absolute steady deadline.
  virtual void arm_at(SteadyTime when, std::function<void()> fn) = 0;
  /// Cancels the pending callback, if any.
  virtual void cancel() = 0;
  /// Whether a callback is pending.
  virtual bool armed() const = 0;
};

/// The time source of a component.
class Clock {
 public:
  virtual ~Clock();
  /// Wall-clock time, nanoseconds since the Unix epoch (UTC). Metric timestamps.
  virtual int64_t now_ns() const = 0;
  /// Monotonic time for durations, deadlines and TTLs.
  virtual SteadyTime steady_now() const = 0;
  /// A new timer whose callbacks run on `strand`. Owned by the caller.
  virtual std::unique_ptr<Timer> make_timer(const Strand& strand) = 0;
};

/// The process clock: std::chrono::system_clock / steady_clock and asio timers.
Clock& system_clock();

/// A clock that only moves when told. Wall and steady time advance together.
/// Due timers fire (posted to their strands, in deadline order) during
/// advance(); a test then waits for the effect with test::wait_until.
/// Timers and queued expiries share the clock's state, so the clock, its
/// timers and the components holding them may be destroyed in any order; a
/// cancelled or destroyed timer leaves nothing queued.
class ManualClock final : public Clock {
 public:
  /// Starts at wall time `start_ns` (default 2026-01-01T00:00:00Z) and an
  /// arbitrary steady epoch.
  explicit ManualClock(int64_t start_ns = 1767225600000000000LL);
  ~ManualClock() override;

  int64_t now_ns() const override;
  SteadyTime steady_now() const override;
  std::unique_ptr<Timer> make_timer(const Strand& strand) override;

  /// Moves time forward by `d`; returns how many timers fired.
  size_t advance(Duration d);
  /// Timers currently armed (for tests that wait until a component armed one).
  size_t pending() const;

 private:
  struct Core;
  class ManualTimer;
  std::shared_ptr<Core> core_;
};

}  // namespace routerpulse
