// routeros_traffic — the input's self-metrics, one set per router.
//
// Series (subsystem `routeros_traffic`, labels `input` = component id and
// `router`), exposed as routerpulse_routeros_traffic_<name> on /metrics:
//   sessions_active           gauge    PPPoE sessions the input tracks (after filters)
//   monitors_active           gauge    interfaces under /interface/monitor-traffic
//   monitor_commands_active   gauge    monitor-traffic commands running
//   monitors_skipped_total    counter  sessions not monitored because of max_monitors
//   monitor_reissues_total    counter  monitor-traffic commands (re)issued after changes
//   samples_total             counter  monitor-traffic samples turned into pppoe_traffic
//   errors_total{kind}        counter  trap, timeout, disconnected, parse, ... per router
// plus, per input only: sample_delay_seconds (histogram) — sender timestamp
// (`=.sim-sent-ns=`, routeros-sim only) to arrival.
//
// Threading: the references point into SelfMetrics (thread-safe atomics);
// the `errors` cache is used from the input's strand only.
#pragma once

#include <map>
#include <string>

#include "routerpulse/stats.hpp"

namespace routerpulse::routeros_traffic {

class RouterStats {
 public:
  RouterStats(SelfMetrics& stats, const std::string& input_id, const std::string& router);

  Gauge& sessions_active;
  Gauge& monitors_active;
  Gauge& monitor_commands_active;
  Counter& monitors_skipped;
  Counter& monitor_reissues;
  Counter& samples;

  /// errors_total{kind=`kind`}, registered on first use.
  Counter& errors(const std::string& kind);

 private:
  SelfMetrics& stats_;
  Labels labels_;
  std::map<std::string, Counter*> errors_;
};

}  // namespace routerpulse::routeros_traffic
