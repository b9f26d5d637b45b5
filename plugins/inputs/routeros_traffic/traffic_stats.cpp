// routeros_traffic — self-metrics registration (see traffic_stats.hpp).
#include "traffic_stats.hpp"

namespace routerpulse::routeros_traffic {

RouterStats::RouterStats(const SelfMetricsScope& scope, const std::string& router)
    : pppoe_sessions_active(
          scope.gauge("pppoe_sessions_active", "PPPoE sessions tracked (after filters)", {{"router", router}})),
      monitors_active(
          scope.gauge("monitors_active", "Interfaces under /interface/monitor-traffic", {{"router", router}})),
      monitor_commands_active(
          scope.gauge("monitor_commands_active", "monitor-traffic commands running", {{"router", router}})),
      monitors_skipped(scope.counter("monitors_skipped_total",
                                     "PPPoE sessions not monitored because max_monitors was reached",
                                     {{"router", router}})),
      monitor_reissues(scope.counter("monitor_reissues_total",
                                     "monitor-traffic commands (re)issued after PPPoE session changes or errors",
                                     {{"router", router}})),
      samples(scope.counter("samples_total", "monitor-traffic samples turned into pppoe_traffic metrics",
                            {{"router", router}})),
      poll_duration(scope.gauge("poll_duration_seconds", "How long the router's last finished interval poll took",
                                {{"router", router}})),
      scope_(scope),
      router_(router) {}

Counter& RouterStats::labelled(const char* name, const char* help, const char* label, const std::string& value) {
  const std::string key = std::string(name) + "/" + value;
  auto it = counters_.find(key);
  if (it != counters_.end()) return *it->second;
  Counter& c = scope_.counter(name, help, {{"router", router_}, {label, value}});
  counters_.emplace(key, &c);
  return c;
}

Counter& RouterStats::errors(const std::string& kind) {
  return labelled("errors_total", "Per-router errors by kind (trap, timeout, disconnected, parse, ...)", "kind", kind);
}

Counter& RouterStats::polls(const std::string& result) {
  return labelled("polls_total", "Interval polls by result: ok, failed, overrun (skipped: previous poll still running)",
                  "result", result);
}

}  // namespace routerpulse::routeros_traffic
