// routeros_traffic — everything the input does for ONE router: session
// tracking, the max_monitors cap, live monitor-traffic samples, and the state
// the interval poll needs (interface counters, last uptime).
//
// max_monitors: sessions beyond the cap are tracked (pppoe_session,
// monitored=false) but not streamed; the first time the cap is hit a warning
// is logged, and every skipped session counts in monitors_skipped_total. When a
// monitored session ends, a waiting one takes its slot.
//
// Threading: one per router, used on the input's strand only.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include <spdlog/logger.h>

#include "async_guard.hpp"
#include "interface_counters.hpp"
#include "monitor_groups.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/routeros/session.hpp"
#include "routerpulse/stats.hpp"
#include "sample_batcher.hpp"
#include "session_tracker.hpp"
#include "traffic_options.hpp"
#include "traffic_stats.hpp"

namespace routerpulse::routeros_traffic {

class RouterTraffic {
 public:
  /// `session` is the shared router session (never stopped here); `batcher`
  /// and `delay` (sample_delay_seconds) belong to the input and outlive this.
  RouterTraffic(std::shared_ptr<routeros::Session> session, const Strand& strand, Guard guard,
                const TrafficOptions& opts, SelfMetrics& stats, const std::string& input_id,
                std::shared_ptr<spdlog::logger> log, SampleBatcher& batcher, Histogram& delay);

  void start();
  void stop();

  const std::string& name() const noexcept { return session_->name(); }
  routeros::Session& session() noexcept { return *session_; }
  RouterStats& stats() noexcept { return stats_; }
  /// nullptr when `pppoe: none`.
  SessionTracker* tracker() noexcept { return tracker_ ? tracker_.get() : nullptr; }
  /// nullptr when `interfaces:` is not set.
  InterfaceCounters* counters() noexcept { return counters_ ? &*counters_ : nullptr; }

  /// Appends one pppoe_session metric per tracked session.
  void session_metrics(int64_t steady_now, int64_t time_ns, MetricBatch& out) const;

  /// Remembers the router's uptime; true when it went down (a restart).
  bool note_uptime(double uptime_s);
  /// Logs a poll failure (`why` names the router) once per change from ok to
  /// failed, and the recovery.
  void note_poll(bool ok, const std::string& why);

 private:
  struct Monitored {
    std::string session_id;  ///< `.id` of the owning session
    Metric prototype;        ///< pppoe_traffic with tags, copied per sample
  };

  void on_added(const PppSession& s);
  void on_removed(const PppSession& s);
  void on_sample(const routeros::Reply& r);
  bool try_monitor(const PppSession& s);
  void promote();

  std::shared_ptr<routeros::Session> session_;
  const TrafficOptions& opts_;
  RouterStats stats_;
  std::shared_ptr<spdlog::logger> log_;
  SampleBatcher& batcher_;
  Histogram& delay_;
  std::unique_ptr<SessionTracker> tracker_;
  std::unique_ptr<MonitorGroups> monitors_;
  std::optional<InterfaceCounters> counters_;
  std::unordered_map<std::string, Monitored> monitored_;  // interface → prototype
  std::set<std::string> waiting_;                          // session .ids over max_monitors
  bool warned_cap_ = false;
  double last_uptime_s_ = -1;
  bool last_poll_ok_ = true;
};

}  // namespace routerpulse::routeros_traffic
