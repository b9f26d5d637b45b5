// routeros_traffic — one gather() over every router of the input.
//
// Per router the round sends, in parallel: `/system/resource/print` and
// `/system/identity/print` (option `system`), `/interface/print =stats=`
// (option `interfaces`) and, when sessions are polled, `/ppp/active/print`.
// As soon as ONE router has answered everything (or failed), its metrics —
// routeros_system, interface, interface_rate, pppoe_session — are emitted as
// one batch, so a slow or stalled router never delays another. The round
// calls `done` when every router has finished or at the deadline (`timeout`),
// whichever is first; routers still pending then count as failed
// (routeros_system up=false, errors_total{kind="timeout"}). Replies that
// arrive after a router finished are ignored. A router whose session is in
// reconnect backoff fails at once without sending anything.
//
// Threading: created and run on the input's strand; all callbacks are posted
// there. Held by shared_ptr; callbacks keep it alive.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "async_guard.hpp"
#include "router_traffic.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/routeros/session.hpp"
#include "traffic_options.hpp"

namespace routerpulse::routeros_traffic {

class GatherRound : public std::enable_shared_from_this<GatherRound> {
 public:
  GatherRound(std::vector<RouterTraffic*> routers, const TrafficOptions& opts, const Strand& strand, Guard guard,
              Duration timeout, std::function<void(MetricBatch&&)> emit, std::function<void()> done);

  /// Sends every command and arms the deadline. Call once.
  void run();
  /// Ends the round now without emitting (input stopping); calls `done` if
  /// it was not called yet.
  void abort();
  bool finished() const noexcept { return done_called_; }

 private:
  enum Cmd { resource = 0, identity = 1, interfaces = 2, sessions = 3, kCmds = 4 };
  struct Part {
    RouterTraffic* router = nullptr;
    int pending = 0;
    bool finished = false;
    bool down_at_start = false;  ///< session in backoff: nothing sent
    bool issued[kCmds] = {};
    bool arrived[kCmds] = {};
    routeros::Result results[kCmds];
  };

  void issue(size_t idx, Cmd which, routeros::Command cmd);
  void on_result(size_t idx, Cmd which, routeros::Result r);
  void finish(size_t idx);
  void on_deadline();
  void maybe_done();

  std::vector<Part> parts_;
  const TrafficOptions& opts_;
  Strand strand_;
  Guard guard_;
  Duration timeout_;
  std::function<void(MetricBatch&&)> emit_;
  std::function<void()> done_;
  boost::asio::steady_timer deadline_;
  size_t unfinished_ = 0;
  bool started_ = false;
  bool done_called_ = false;
};

}  // namespace routerpulse::routeros_traffic
