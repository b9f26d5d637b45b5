// Process-level services a Graph's components share: the HTTP server and the
// router registry, built from `agent.http` and `routers:`. The self-metrics
// registry and health registry outlive reloads and are owned by the caller.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "engine/agent_config.hpp"
#include "engine/graph.hpp"
#include "routerpulse/health.hpp"
#include "routerpulse/stats.hpp"

namespace routerpulse::engine {

class ProcessServices {
 public:
  ProcessServices(boost::asio::io_context& io, SelfMetrics& stats, HealthRegistry& health);
  ~ProcessServices();

  /// Validates and builds the services for `cfg`; errors are appended.
  void configure(const AgentConfig& cfg, std::vector<ConfigError>& errors);
  /// Binds the HTTP listener and connects routers. Throws std::runtime_error
  /// when the listener cannot bind.
  void start();
  /// Closes the listener and router sessions; `done` once all are closed.
  void stop(std::function<void()> done);

  /// The services handed to components built with `loader`.
  Services services(PluginLoader& loader);

  SelfMetrics& stats() { return stats_; }
  HealthRegistry& health() { return health_; }

 private:
  struct Impl;
  boost::asio::io_context& io_;
  SelfMetrics& stats_;
  HealthRegistry& health_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace routerpulse::engine
