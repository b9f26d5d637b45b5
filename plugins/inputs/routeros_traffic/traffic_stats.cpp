// routeros_traffic — self-metrics registration (see traffic_stats.hpp).
#include "traffic_stats.hpp"

namespace routerpulse::routeros_traffic {

namespace {
constexpr const char* kSub = "routeros_traffic";
}

RouterStats::RouterStats(SelfMetrics& stats, const std::string& input_id, const std::string& router)
    : sessions_active(stats.gauge(kSub, "sessions_active", "PPPoE sessions tracked (after filters)",
                                  {{"input", input_id}, {"router", router}})),
      monitors_active(stats.gauge(kSub, "monitors_active", "Interfaces under /interface/monitor-traffic",
                                  {{"input", input_id}, {"router", router}})),
      monitor_commands_active(stats.gauge(kSub, "monitor_commands_active", "monitor-traffic commands running",
                                          {{"input", input_id}, {"router", router}})),
      monitors_skipped(stats.counter(kSub, "monitors_skipped_total",
                                     "Sessions not monitored because max_monitors was reached",
                                     {{"input", input_id}, {"router", router}})),
      monitor_reissues(stats.counter(kSub, "monitor_reissues_total",
                                     "monitor-traffic commands (re)issued after session changes or errors",
                                     {{"input", input_id}, {"router", router}})),
      samples(stats.counter(kSub, "samples_total", "monitor-traffic samples turned into pppoe_traffic metrics",
                            {{"input", input_id}, {"router", router}})),
      stats_(stats),
      labels_{{"input", input_id}, {"router", router}} {}

Counter& RouterStats::errors(const std::string& kind) {
  auto it = errors_.find(kind);
  if (it != errors_.end()) return *it->second;
  Labels l = labels_;
  l.emplace_back("kind", kind);
  Counter& c = stats_.counter(kSub, "errors_total", "Per-router errors by kind (trap, timeout, disconnected, parse, ...)",
                              std::move(l));
  errors_.emplace(kind, &c);
  return c;
}

}  // namespace routerpulse::routeros_traffic
