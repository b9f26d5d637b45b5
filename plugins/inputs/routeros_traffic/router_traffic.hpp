// routeros_traffic — everything the input does for ONE router: PPPoE session
// tracking, the max_monitors cap, live monitor-traffic samples, and the state
// the interval poll needs (interface counters, last uptime).
//
// "api" below is the router's RouterOS API session (routeros::Session, shared
// with other inputs); "PPPoE session" is a customer's connection.
//
// max_monitors: PPPoE sessions beyond the cap are tracked (pppoe_session,
// monitored=false) but not streamed; the first time the cap is hit a warning
// is logged, and every skipped session counts in monitors_skipped_total. When
// a monitored session ends, a waiting one takes its slot.
//
// Threading: one per router, used on the input's strand only.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "interface_counters.hpp"
#include "monitor_groups.hpp"
#include "pppoe_tracker.hpp"
#include "queue_poll.hpp"
#include "sample_sink.hpp"
#include "routerpulse/routeros/session.hpp"
#include "traffic_stats.hpp"

namespace routerpulse::routeros_traffic {

class TrafficInput;

class RouterTraffic {
 public:
  /// `api` is the shared router session (never stopped here); `input` owns
  /// this object and outlives it.
  RouterTraffic(TrafficInput& input, std::shared_ptr<routeros::Session> api);

  void start();
  void stop();

  const std::string& name() const noexcept { return api_->name(); }
  routeros::Session& api() noexcept { return *api_; }
  RouterStats& stats() noexcept { return stats_; }
  /// nullptr when `pppoe: none`.
  PppoeTracker* tracker() noexcept { return tracker_.get(); }
  /// nullptr when `interfaces:` is not set.
  InterfaceCounters* counters() noexcept { return counters_ ? &*counters_ : nullptr; }
  /// nullptr when `queues: none`.
  QueuePoll* queues() noexcept { return queues_.get(); }

  /// The live sample sink (nullptr when nothing is streamed); thread-safe.
  std::shared_ptr<SampleSink> sink() const noexcept { return sink_; }
  /// The interface is streamed now (not over max_monitors).
  bool is_monitored(const std::string& iface) const { return monitored_.count(iface) > 0; }

  /// Appends one pppoe_session metric per tracked PPPoE session.
  void session_metrics(SteadyTime now, int64_t time_ns, MetricBatch& out) const;

  /// Remembers the router's uptime; true when it went down (a restart).
  bool note_uptime(double uptime_seconds);
  /// Logs a poll failure (`why` names the router) once per change from ok to
  /// failed, and the recovery.
  void note_poll(bool ok, const std::string& why);

 private:
  struct Monitored {
    std::string session_id;  ///< `.id` of the owning PPPoE session
  };

  void on_added(const PppoeSession& s);
  void on_removed(const PppoeSession& s);
  bool try_monitor(const PppoeSession& s);
  void promote();

  TrafficInput& input_;
  std::shared_ptr<routeros::Session> api_;
  RouterStats stats_;
  std::unique_ptr<PppoeTracker> tracker_;
  std::shared_ptr<SampleSink> sink_;  // rows → metrics on the session's strand
  std::unique_ptr<MonitorGroups> monitors_;
  std::optional<InterfaceCounters> counters_;
  std::unique_ptr<QueuePoll> queues_;
  std::unordered_map<std::string, Monitored> monitored_;  // interface → owning session
  std::set<std::string> waiting_;                         // PPPoE session .ids over max_monitors
  bool warned_cap_ = false;
  double last_uptime_seconds_ = -1;
  bool last_poll_ok_ = true;
};

}  // namespace routerpulse::routeros_traffic
