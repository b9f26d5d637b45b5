// routeros_traffic — when each router is polled: one engine gather() ("tick")
// starts one poll (a GatherRound of that router alone) per router.
//
// Spread: router r's poll starts spread_offset(r, poll_spread × interval)
// after the tick (routerpulse/spread.hpp), so fifty routers with one interval
// do not all start at the same instant, and each router's polls stay one
// interval apart.
//
// Skipped, not stacked: a router whose previous poll is still running (or
// still waiting for its offset) gets no second one; the tick counts an
// overrun for that router (polls_total{result="overrun"}) and names it in the
// input's health. A poll runs until it has every answer or its own deadline
// (`timeout`); it is never cut short by the tick.
//
// The tick's `done` runs when every poll it started has finished, or at the
// end of the tick window (0.9 × interval after the tick was due, so a tick
// that reached the strand late ends earlier), whichever is first — so the engine
// never sees an overrun of the whole input because of one slow router. Polls
// still running then go on and emit when they finish, with their own time.
//
// Health: at the end of each tick, and again whenever a poll finishes after
// its tick ended, the input's report_round() gets one line per router that
// failed its last poll, overran this tick, or is still polling at the end of
// the window.
//
// Threading: owned by the input, used on the input's strand only. Timer and
// round callbacks are wrapped with TrafficInput::guarded().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "routerpulse/clock.hpp"

namespace routerpulse::routeros_traffic {

class GatherRound;
class RouterTraffic;
class TrafficInput;

class PollScheduler {
 public:
  using TickDone = std::function<void()>;

  /// `routers` are owned by the input and outlive the scheduler.
  PollScheduler(TrafficInput& input, std::vector<RouterTraffic*> routers);
  ~PollScheduler();

  /// One tick. The previous tick's `done` has been called (the engine does
  /// not gather twice at once).
  void tick(TickDone done);
  /// Input stopping: cancels offset timers and running polls (nothing more
  /// is emitted) and calls a pending tick's `done`.
  void abort();

  /// The start offset of router `i` within each tick (tests, docs).
  Duration offset(size_t i) const { return slots_.at(i).offset; }

 private:
  struct Slot {
    RouterTraffic* router = nullptr;
    Duration offset{};
    std::unique_ptr<Timer> start_timer;  // the offset wait
    std::shared_ptr<GatherRound> poll;   // running or last poll
    std::string last_problem;            // of the last finished poll; empty = ok
    bool overran = false;                // this tick
  SteadyTime poll_started{};
  };

  void start_poll(size_t i, uint64_t tick);
  void on_poll_done(size_t i, uint64_t tick, const std::vector<std::string>& problems);
  void finish_tick();
  void report();
  bool busy(const Slot& s) const;

  TrafficInput& input_;
  std::vector<Slot> slots_;
  std::unique_ptr<Timer> window_;
  TickDone done_;
  uint64_t tick_ = 0;
  std::optional<SteadyTime> expected_tick_;  // when the engine's next tick is due
  size_t pending_ = 0;  // polls of the current tick not finished (+1 while tick() runs)
};

}  // namespace routerpulse::routeros_traffic
