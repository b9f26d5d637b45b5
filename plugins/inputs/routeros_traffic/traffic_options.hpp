// routeros_traffic — the input's settings, read from its declared options
// (TrafficInput::options holds every option with its default; README.md
// documents them).
//
// Threading: read once in validate() and in the input's constructor;
// immutable afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "counter_rate.hpp"
#include "queue_options.hpp"
#include "routerpulse/config.hpp"
#include "user_filter.hpp"

namespace routerpulse::routeros {
class RouterRegistry;
}

namespace routerpulse::routeros_traffic {

/// How PPPoE sessions are learned after the initial `/ppp/active/print`.
enum class Discovery : uint8_t {
  listen,  ///< `/ppp/active/listen` change stream (falls back to poll if the router refuses it)
  poll,    ///< `/ppp/active/print` every interval
};

/// Which time a streamed pppoe_traffic sample carries (option `sample_time`).
enum class SampleTime : uint8_t {
  arrival,  ///< when the agent received the `!re`
  sender,   ///< benchmark hook: routeros-sim's `=.sim-sent-ns=` when present, else arrival
};

struct TrafficOptions {
  /// `routers` as written: names, or {"all"}. Resolved by resolve_routers().
  std::vector<std::string> router_names;
  UserFilter users;  ///< pppoe / include / exclude
  bool monitor_traffic = false;
  size_t max_monitors = 0;  ///< per router
  size_t max_on_demand = 0;  ///< per router: on-demand monitors (control API)
  Duration on_demand_ttl{};  ///< default on-demand monitor lifetime
  size_t interfaces_per_command = 0;
  Duration reissue_delay{};  ///< debounce for regrouping monitors
  Discovery discovery = Discovery::listen;
  Duration resync_interval{};           ///< listen mode: full print to reconcile; 0 = off
  size_t batch_size = 0;                ///< streamed samples: emit before a read ends when this many are pending
  std::vector<std::string> interfaces;  ///< interface-counter globs; empty = counters off
  CounterBits counter_bits = CounterBits::automatic;
  bool system = false;              ///< routeros_system every interval
  std::optional<Duration> timeout;  ///< one router's poll deadline; unset = derived from the interval
  double poll_spread = 0.5;         ///< per-router start offsets span this fraction of the interval
  SampleTime sample_time = SampleTime::arrival;
  QueueOptions queues;  ///< queues / queue_name_patterns / static_targets (queue_options.hpp)

  /// Reads and checks every option (pure: what validate() runs). Throws
  /// ConfigError with file:line:col and the option path.
  static TrafficOptions read(const Options& o);

  /// The effective deadline of one router's poll for `interval`: `timeout`,
  /// or the interval clamped to 1 s … 60 s (a poll that runs into the next
  /// tick makes that tick skip the router: poll_scheduler.hpp).
  Duration gather_timeout(Duration interval) const;
};

/// The router names `o`'s `routers` option selects in `registry` (`all` →
/// every configured router). Throws ConfigError when the agent has no
/// `routers:` section (registry == nullptr or empty) or a name is unknown.
std::vector<std::string> resolve_routers(const Options& o, const TrafficOptions& t,
                                         const routeros::RouterRegistry* registry);

}  // namespace routerpulse::routeros_traffic
