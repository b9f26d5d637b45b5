// routeros_traffic — one interval poll of the given routers. The input's
// PollScheduler runs one per router per tick (poll_scheduler.hpp), so below
// "the round" is normally one router's poll.
//
// Per router the round sends, in parallel: `/system/resource/print` and
// `/system/identity/print` (option `system`), `/interface/print =stats=`
// (option `interfaces`) and, when PPPoE sessions are polled,
// `/ppp/active/print`. As soon as ONE router has answered everything (or
// failed), its metrics — routeros_system, interface, interface_rate,
// pppoe_session — are emitted as one batch, so a slow or stalled router never
// delays another. The routeros_system metric carries poll_duration_seconds
// (round start to that router's finish). The round calls `done` when every router has finished or at
// the deadline (`timeout`, a ctx.clock timer), whichever is first; routers
// still pending then count as failed (routeros_system up=false,
// errors_total{kind="timeout"}). Replies that arrive after a router finished
// are ignored. A router whose API session is in reconnect backoff fails at
// once without sending anything.
//
// Threading: created and run on the input's strand; all callbacks are posted
// there and wrapped with TrafficInput::guarded(). Held by shared_ptr; the
// callbacks keep it alive.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "routerpulse/clock.hpp"
#include "routerpulse/routeros/session.hpp"

namespace routerpulse::routeros_traffic {

class RouterTraffic;
class TrafficInput;

class GatherRound : public std::enable_shared_from_this<GatherRound> {
 public:
  /// `done` gets one line per router that failed (empty when all answered).
  using Done = std::function<void(const std::vector<std::string>& problems)>;

  GatherRound(TrafficInput& input, std::vector<RouterTraffic*> routers, Duration timeout, Done done);

  /// Sends every command and arms the deadline. Call once.
  void run();
  /// Ends the round now without emitting (input stopping); calls `done` if
  /// it was not called yet.
  void abort();
  bool finished() const noexcept { return done_called_; }

 private:
  enum Cmd { resource = 0, identity = 1, interfaces = 2, sessions = 3, queues = 4, kCmds = 5 };
  struct Part {
    RouterTraffic* router = nullptr;
    int pending = 0;
    bool finished = false;
    bool down_at_start = false;  ///< API session in backoff: nothing sent
    bool issued[kCmds] = {};
    bool arrived[kCmds] = {};
    routeros::Result results[kCmds];
  };

  void issue(size_t idx, Cmd which, routeros::Command cmd);
  void on_result(size_t idx, Cmd which, routeros::Result r);
  void finish(size_t idx);
  void on_deadline();
  void maybe_done();

  TrafficInput& input_;
  std::vector<Part> parts_;
  Duration timeout_;
  Done done_;
  std::unique_ptr<Timer> deadline_;
  SteadyTime started_at_{};
  std::vector<std::string> problems_;
  size_t unfinished_ = 0;
  bool started_ = false;
  bool done_called_ = false;
};

}  // namespace routerpulse::routeros_traffic
