// routeros_traffic — the input's self-metrics, one set per router.
//
// Registered through ctx.self_metrics, so every series is named
// routerpulse_routeros_traffic_<name> and carries the instance label
// `input="<id>"` (added by the SDK) plus `router`:
//   pppoe_sessions_active     gauge    PPPoE sessions the input tracks (after filters)
//   monitors_active           gauge    interfaces under /interface/monitor-traffic
//   monitor_commands_active   gauge    monitor-traffic commands running
//   monitors_skipped_total    counter  PPPoE sessions not monitored because of max_monitors
//   monitor_reissues_total    counter  monitor-traffic commands (re)issued after changes
//   samples_total             counter  monitor-traffic samples turned into pppoe_traffic
//   errors_total{kind}        counter  trap, timeout, disconnected, parse, ... per router
//   polls_total{result}       counter  interval polls: ok, failed, or overrun (skipped because
//                                      the previous poll was still running)
//   poll_duration_seconds     gauge    how long the router's last finished poll took
// The input itself registers sample_delay_seconds (histogram, no router
// label): routeros-sim's send timestamp to arrival (benchmarks only).
//
// Threading: the references point into the registry (thread-safe atomics);
// the `errors` cache is used from the input's strand only.
#pragma once

#include <map>
#include <string>

#include "routerpulse/stats.hpp"

namespace routerpulse::routeros_traffic {

class RouterStats {
 public:
  RouterStats(const SelfMetricsScope& scope, const std::string& router);

  Gauge& pppoe_sessions_active;
  Gauge& monitors_active;
  Gauge& monitor_commands_active;
  Counter& monitors_skipped;
  Counter& monitor_reissues;
  Counter& samples;
  Gauge& poll_duration;

  /// polls_total{result=`result`} (ok | failed | overrun), registered on first use.
  Counter& polls(const std::string& result);

  /// errors_total{kind=`kind`}, registered on first use.
  Counter& errors(const std::string& kind);

 private:
  SelfMetricsScope scope_;
  std::string router_;
  Counter& labelled(const char* name, const char* help, const char* label, const std::string& value);

  std::map<std::string, Counter*> counters_;  // "<name>/<value>" → counter
};

}  // namespace routerpulse::routeros_traffic
