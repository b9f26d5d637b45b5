// routeros_traffic — the input component: options, one RouterTraffic per
// router and the current gather round.
//
// The engine owns the input by shared_ptr. Every callback handed to a
// RouterOS API session (one-shot commands, streams) is wrapped with
// guarded(): it runs only while the input is alive and not stopped, so a
// completion that arrives after stop() or destruction is a no-op. Timers come
// from ctx.clock and are members of the part that arms them (their callbacks
// never run after cancel or destruction, clock.hpp); their callbacks are
// guarded too, so the input stays alive while one runs.
//
// Threading: every call and callback runs on ctx.strand. The destructor may
// run on any thread (the last reference); it only cancels streams, which is
// thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "routerpulse/plugin.hpp"
#include "routerpulse/routeros/session.hpp"
#include "traffic_options.hpp"

namespace routerpulse::routeros_traffic {

class RouterTraffic;
class PollScheduler;
class TrafficApi;
class OnDemand;

class TrafficInput final : public Input {
 public:
  static constexpr OptionSpec options[] = {
      {.name = "routers",
       .type = OptionType::string_list,
       .default_value = "all",
       .doc = "router names from the `routers:` section, or `all`"},
      {.name = "pppoe",
       .type = OptionType::any,
       .default_value = "all",
       .doc = "PPPoE users to track: `all`, `none` (no PPPoE sessions, no live traffic) or a list of user names",
       .example = "[alice, bob]"},
      {.name = "include",
       .type = OptionType::string_list,
       .default_value = "[]",
       .doc = "globs on the PPPoE user name; when set, a user must match one",
       .example = "['user*']"},
      {.name = "exclude",
       .type = OptionType::string_list,
       .default_value = "[]",
       .doc = "globs on the PPPoE user name to leave out; exclude wins over include",
       .example = "['test-*']"},
      {.name = "monitor_traffic",
       .type = OptionType::boolean,
       .default_value = "true",
       .doc = "stream /interface/monitor-traffic for the selected PPPoE sessions (false: sessions only)"},
      {.name = "max_monitors",
       .type = OptionType::integer,
       .default_value = "5000",
       .doc = "per router: at most this many PPPoE interfaces are streamed; further sessions are tracked unmonitored",
       .min = 0,
       .max = 1000000},
      {.name = "max_on_demand",
       .type = OptionType::integer,
       .default_value = "10",
       .doc = "per router: at most this many on-demand monitors (control API POST /api/v1/monitors); 0 = none",
       .min = 0,
       .max = 10000},
      {.name = "on_demand_ttl",
       .type = OptionType::duration,
       .default_value = "5m",
       .doc = "default lifetime of an on-demand monitor; a request may ask for another (ttl_seconds)",
       .min = 1},
      {.name = "interfaces_per_command",
       .type = OptionType::integer,
       .default_value = "100",
       .doc = "interfaces per monitor-traffic command",
       .min = 1,
       .max = 1000},
      {.name = "reissue_delay",
       .type = OptionType::duration,
       .default_value = "500ms",
       .doc = "debounce before a changed monitor-traffic command is re-issued",
       .min = 0},
      {.name = "session_discovery",
       .type = OptionType::choice,
       .default_value = "listen",
       .doc = "how PPPoE sessions are learned: listen (/ppp/active/listen) or poll (/ppp/active/print each interval)",
       .choices = "listen|poll"},
      {.name = "resync_interval",
       .type = OptionType::duration,
       .default_value = "5m",
       .doc = "listen mode: full /ppp/active/print this often to reconcile; 0 = only after reconnects",
       .min = 0},
      {.name = "batch_size",
       .type = OptionType::integer,
       .default_value = "5000",
       .doc = "streamed samples leave at the end of each socket read, or earlier when this many are pending",
       .min = 1,
       .max = 10000000},
      {.name = "interfaces",
       .type = OptionType::string_list,
       .default_value = "[]",
       .doc = "globs on interface names for the interface / interface_rate counters; empty = off",
       .example = "['ether*', 'sfp-sfpplus*']"},
      {.name = "counter_bits",
       .type = OptionType::choice,
       .default_value = "auto",
       .doc = "counter width for wrap detection: auto (32-bit while the value fits), 32 or 64",
       .choices = "auto|32|64"},
      {.name = "system",
       .type = OptionType::boolean,
       .default_value = "true",
       .doc = "emit routeros_system (health, CPU, memory, uptime) every interval"},
      {.name = "timeout",
       .type = OptionType::duration,
       .doc = "deadline of one router's poll and its commands; unset: the interval, within 1s to 60s",
       .min = kPositive,
       .example = "5s"},
      {.name = "poll_spread",
       .type = OptionType::number,
       .default_value = "0.5",
       .doc = "routers' polls start at a fixed per-router offset within this fraction of the interval (0 = all at once)",
       .min = 0,
       .max = 0.9},
      {.name = "sample_time",
       .type = OptionType::choice,
       .default_value = "arrival",
       .doc = "benchmark hook: `sender` takes the sample time from routeros-sim; RouterOS sends none, keep `arrival`",
       .choices = "arrival|sender"},
      // Per-customer simple queues (queue_options.hpp, queue_poll.hpp).
      {.name = "queues",
       .type = OptionType::any,
       .default_value = "pppoe",
       .doc = "simple queues reported as customer_queue: `none`, `pppoe` (matched to a customer), `all`, or "
              "a list of queue-name globs",
       .example = "['<pppoe-*>', 'customer-*']"},
      {.name = "queue_name_patterns",
       .type = OptionType::string_list,
       .default_value = "[]",
       .doc = "queue names that carry the PPPoE user, tried in order, e.g. `customer-{user}`",
       .example = "['customer-{user}', '{user}']"},
      {.name = "static_targets",
       .type = OptionType::list,
       .doc = "static customers for queue matching: \"address [tag=value ...]\" strings or {address, tags} maps",
       .example = "[\"10.20.0.2 customer_id=C-1 router=r1\"]"},
      {.name = "static_targets_file",
       .type = OptionType::string,
       .doc = "file with one static customer \"address [tag=value ...]\" per line; re-read when it changes"},
  };

  /// What `routerpulse plugins --sample routeros_traffic` adds so the sample passes `check`.
  static constexpr const char* sample_context =
      "routers:\n"
      "  r1:\n"
      "    host: 192.0.2.1\n"
      "    username: monitor\n";

  /// Pure checks beyond the table (router list, `pppoe`, empty globs).
  static void validate(const Options& o);

  /// Resolves `routers` against ctx.routers (throws ConfigError for unknown
  /// names or a missing `routers:` section). Connects nothing.
  TrafficInput(const Options& o, PluginContext& ctx);
  ~TrafficInput() override;

  void start() override;
  /// Cancels streams, timers and running polls; emits pending samples.
  void stop(std::function<void()> done) override;
  void gather(std::function<void()> done) override;

  // ---- for the input's parts (RouterTraffic, PppoeTracker, MonitorGroups, GatherRound)

  /// guard(): `fn` runs only while the input is alive and not stopped.
  template <class F>
  auto guarded(F fn) {
    return guard([this, fn = std::move(fn)](auto&&... args) mutable {
      if (!stopped_.load(std::memory_order_acquire)) fn(std::forward<decltype(args)>(args)...);
    });
  }
  PluginContext& ctx() noexcept { return ctx_; }
  const TrafficOptions& settings() const noexcept { return opts_; }
  /// routerpulse_routeros_traffic_sample_delay_seconds (routeros-sim send time → arrival).
  Histogram& sample_delay() noexcept { return delay_; }
  /// One part per router (filled by start(); input strand).
  const std::vector<std::unique_ptr<RouterTraffic>>& router_parts() const noexcept { return routers_; }
  /// On-demand monitors (null before start()); input strand.
  OnDemand* on_demand() noexcept { return on_demand_.get(); }

  /// Health after a tick or a late poll: healthy, or degraded naming the
  /// routers in `problems` (one line each).
  void report_round(const std::vector<std::string>& problems);

 private:
  PluginContext& ctx_;
  TrafficOptions opts_;
  std::vector<std::shared_ptr<routeros::Session>> sessions_;
  std::atomic<bool> stopped_{false};
  bool started_ = false;
  Histogram& delay_;
  std::vector<std::unique_ptr<RouterTraffic>> routers_;
  std::unique_ptr<PollScheduler> polls_;  // created in start()
  std::unique_ptr<OnDemand> on_demand_;  ///< on-demand monitors (on_demand.hpp)
  std::unique_ptr<TrafficApi> api_;      ///< control API views (traffic_api.hpp)
};

}  // namespace routerpulse::routeros_traffic
