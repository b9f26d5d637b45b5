// routeros_traffic — the input's state behind the plugin class: options, one
// RouterTraffic per router, the sample batcher and the current gather round.
//
// Held by shared_ptr so that callbacks can hold a weak reference (Guard);
// create() builds it, start()/stop()/gather() must be called on ctx.strand.
//
// Threading: everything runs on the input's strand. request_stop() may be
// called from any thread (destructor path): it posts the stop to the strand.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "gather_round.hpp"
#include "router_traffic.hpp"
#include "routerpulse/plugin.hpp"
#include "sample_batcher.hpp"
#include "traffic_options.hpp"

namespace routerpulse::routeros_traffic {

class TrafficCore : public std::enable_shared_from_this<TrafficCore> {
 public:
  /// Parses the options (throws ConfigError) and looks up the sessions.
  static std::shared_ptr<TrafficCore> create(const Options& o, PluginContext& ctx);

  void start();
  /// Stops streams, timers and a running round; emits pending samples.
  void stop();
  /// Posts stop() to the strand when start() ran and stop() did not (safe
  /// from any thread; used when the input is destroyed without stop()).
  void request_stop();
  void gather(std::function<void()> done);

  TrafficCore(const Options& o, PluginContext& ctx);  // use create()

 private:
  PluginContext& ctx_;
  TrafficOptions opts_;
  std::vector<std::shared_ptr<routeros::Session>> sessions_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> started_{false};
  Histogram& delay_;
  std::optional<SampleBatcher> batcher_;
  std::vector<std::unique_ptr<RouterTraffic>> routers_;
  std::shared_ptr<GatherRound> round_;
};

}  // namespace routerpulse::routeros_traffic
