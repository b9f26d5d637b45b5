// routeros_traffic — keeps the set of active PPPoE sessions of one router.
//
// Discovery (option `session_discovery`):
//  - listen (default): `/ppp/active/listen` streams every change (a full row
//    for a new or changed PPPoE session, `=.dead=yes` with the `.id` for an
//    ended one) plus a full `/ppp/active/print` at start, after every
//    reconnect of the API session (stream event `resumed`) and every
//    `resync_interval`, which reconciles whatever the stream may have missed.
//    If the router refuses `listen` (`!trap`, e.g. an old RouterOS) the
//    tracker falls back to poll.
//  - poll: `/ppp/active/print` on refresh() (the input calls it every interval).
// PPPoE sessions the UserFilter rejects, and non-PPPoE services (l2tp, sstp,
// ...), are ignored. Removals are reported before additions, so a caller
// capping monitors (max_monitors) sees freed capacity first.
//
// Race note: a change that happens while a full print is being answered can
// be undone by that print's snapshot; the next listen event or resync fixes it.
//
// Threading: one per router, used on the input's strand; the API session's
// callbacks are posted there (CommandOptions/StreamOptions executor) and
// wrapped with TrafficInput::guarded(). The resync timer comes from ctx.clock.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "pppoe_session.hpp"
#include "routerpulse/routeros/session.hpp"
#include "traffic_options.hpp"
#include "traffic_stats.hpp"

namespace routerpulse::routeros_traffic {

class TrafficInput;

class PppoeTracker {
 public:
  struct Hooks {
    std::function<void(const PppoeSession&)> added;
    std::function<void(const PppoeSession&)> removed;  ///< gets the PPPoE session as it was
  };

  /// `api` is shared with other inputs: the tracker never stops it.
  PppoeTracker(TrafficInput& input, std::shared_ptr<routeros::Session> api, RouterStats& stats, Hooks hooks);
  /// Cancels the listen stream (thread-safe), without callbacks.
  ~PppoeTracker();

  /// Starts listen (listen mode), the initial print and the resync timer.
  void start();
  /// Cancels the listen stream and the timer. In-flight prints are ignored.
  void stop();

  /// Full `/ppp/active/print` and reconcile. `done(ok)` (optional) is called
  /// exactly once; a refresh already in flight is joined, not repeated.
  /// `timeout` 0 → the router's default command timeout.
  void refresh(std::function<void(bool ok)> done = {}, Duration timeout = Duration::zero());

  /// Polling (configured, or fallback after listen was refused).
  bool polling() const noexcept { return mode_ == Discovery::poll; }
  /// A full print succeeded and the listen stream (if any) was not
  /// interrupted since.
  bool synced() const noexcept { return synced_; }
  /// Active PPPoE sessions by `.id`.
  const std::unordered_map<std::string, PppoeSession>& sessions() const noexcept { return sessions_; }

 private:
  void start_listen();
  void on_listen_row(const routeros::Reply& row);
  void on_listen_event(const routeros::StreamEvent& ev);
  void on_print(routeros::Result r);
  void upsert(PppoeSession s);
  void erase(const std::string& id);
  void arm_resync();
  void publish_count();

  TrafficInput& input_;
  std::shared_ptr<routeros::Session> api_;
  const UserFilter& filter_;
  Discovery mode_;
  RouterStats& stats_;
  Hooks hooks_;
  routeros::StreamPtr listen_;
  std::unique_ptr<Timer> resync_timer_;
  std::unordered_map<std::string, PppoeSession> sessions_;
  std::vector<std::function<void(bool)>> waiters_;
  bool print_in_flight_ = false;
  bool synced_ = false;
  bool last_print_ok_ = true;
  bool stopped_ = false;
};

}  // namespace routerpulse::routeros_traffic
