// routeros_traffic — the input's options (README.md lists each with its default).
//
// Threading: read once in the input's constructor; immutable afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "counter_rate.hpp"
#include "name_filter.hpp"
#include "routerpulse/config.hpp"

namespace routerpulse {
struct PluginContext;
}

namespace routerpulse::routeros_traffic {

/// How PPPoE sessions are learned after the initial `/ppp/active/print`.
enum class Discovery : uint8_t {
  listen,  ///< `/ppp/active/listen` change stream (falls back to poll if the router refuses it)
  poll,    ///< `/ppp/active/print` every interval
};

/// Which time a streamed pppoe_traffic sample carries.
enum class SampleTime : uint8_t {
  arrival,  ///< when the agent received the `!re` (default)
  sender,   ///< the `=.sim-sent-ns=` attribute when present (routeros-sim only), else arrival
};

struct TrafficOptions {
  std::vector<std::string> routers;  ///< resolved router names (never empty)
  UserFilter users;                  ///< pppoe / include / exclude
  bool monitor_traffic = true;       ///< stream /interface/monitor-traffic for selected sessions
  size_t max_monitors = 5000;        ///< per router
  size_t interfaces_per_command = 100;
  Duration reissue_delay = std::chrono::milliseconds(500);  ///< debounce for regrouping monitors
  Discovery discovery = Discovery::listen;
  Duration resync_interval = std::chrono::minutes(5);  ///< listen mode: full print to reconcile; 0 = off
  Duration flush_interval = std::chrono::milliseconds(200);  ///< streamed samples: emit at least this often
  size_t batch_size = 5000;          ///< streamed samples: emit when this many are pending
  std::vector<std::string> interfaces;  ///< interface-counter globs; empty = counters off
  CounterBits counter_bits = CounterBits::automatic;
  bool system = true;                ///< routeros_system every interval
  Duration timeout{0};               ///< gather deadline; 0 = min(interval / 2, 10s)
  SampleTime sample_time = SampleTime::arrival;

  /// The effective gather deadline for `interval` (at least 100 ms).
  Duration gather_timeout(Duration interval) const;
};

/// Reads and validates every option. `ctx.routers` resolves `routers`.
/// Throws ConfigError (file:line:col and option path) on a wrong type or
/// value, an unknown router name, or when routers are needed but the agent
/// has no `routers:` section (ctx.routers == nullptr or empty).
TrafficOptions parse_options(const Options& o, const PluginContext& ctx);

}  // namespace routerpulse::routeros_traffic
