// routeros_traffic — interface counters mode (option `interfaces: [glob, ...]`).
//
// Each interval one `/interface/print =stats=` with a `.proplist` per router
// (RouterOS manual, Interface → "Stats": rx-byte, tx-byte, rx-packet,
// tx-packet, rx-error, tx-error, rx-drop, tx-drop; `running`). Interfaces
// whose `name` matches a glob become two metrics, both from the ROUTER's
// view (rx = received by the router on that interface):
//   interface       (counter) tags router, interface, type;
//                   fields rx_bytes, tx_bytes, rx_packets, tx_packets,
//                   rx_errors, tx_errors, rx_drops, tx_drops (uint64 totals)
//   interface_rate  (gauge)   same tags; fields running (bool) and, from the
//                   second poll on, rx_bits_per_second, tx_bits_per_second,
//                   rx_packets_per_second, tx_packets_per_second,
//                   rx_errors_per_second, tx_errors_per_second,
//                   rx_drops_per_second, tx_drops_per_second
//                   (double, computed by the agent)
// Rates use counter_delta() (counter_rate.hpp): wraps are bridged; a reset —
// a decrease that is not a wrap, a changed `.id` (interface re-created, e.g. a
// PPPoE re-dial) or a router restart — leaves that rate out for one poll.
//
// Threading: one instance per router, used on the input's strand only.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "counter_rate.hpp"
#include "routerpulse/filter.hpp"
#include "routerpulse/metric.hpp"
#include "routerpulse/routeros/sentence.hpp"

namespace routerpulse::routeros_traffic {

class InterfaceCounters {
 public:
  InterfaceCounters(const std::vector<std::string>& globs, CounterBits bits);

  /// The print command to send each interval.
  static routeros::Command command();

  /// What one poll produced.
  struct PollStats {
    size_t matched = 0;     ///< interfaces that matched a glob
    size_t resets = 0;      ///< counters treated as reset
    size_t wraps = 0;       ///< counters that wrapped
    size_t bad_values = 0;  ///< unparsable counter values (left out)
  };

  /// Turns the rows of one poll into metrics appended to `out`.
  /// `steady_now` is the arrival time (for rates), `time_ns` the metric time,
  /// `router_restarted` forces a reset of every counter. Interfaces not seen
  /// in this poll are forgotten.
  PollStats process(const std::string& router, const std::vector<routeros::Reply>& rows, int64_t steady_now,
                    int64_t time_ns, bool router_restarted, MetricBatch& out);

  /// Interfaces with remembered counters (tests, diagnostics).
  size_t tracked() const noexcept { return state_.size(); }

 private:
  static constexpr size_t kCounters = 8;
  struct State {
    std::string id;
    std::string type;  // the tags were built for this type
    TagSet tags;       // router, interface, type: shared by every metric of this interface
    std::array<std::optional<CounterSample>, kCounters> prev;
    uint64_t seen_round = 0;
  };

  GlobList globs_;
  CounterBits bits_;
  std::unordered_map<std::string, State> state_;
  uint64_t round_ = 0;
};

}  // namespace routerpulse::routeros_traffic
