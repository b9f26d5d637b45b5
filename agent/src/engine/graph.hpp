// The running shape of one agent.yaml: every component built from its plugin,
// wired into pipelines. A reload builds a new Graph and hands the old one's
// output buffers over before the old one is dropped.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/agent_config.hpp"
#include "engine/output_runner.hpp"
#include "engine/pipeline.hpp"
#include "engine/plugin_loader.hpp"

namespace routerpulse {
class HealthRegistry;
}

namespace routerpulse::engine {

/// Process-wide services handed to every component.
struct Services {
  boost::asio::io_context& io;
  SelfMetrics& stats;
  HealthRegistry& health;
  PluginLoader& loader;
  Clock& clock;
  HttpRoutes* http = nullptr;
  routeros::RouterRegistry* routers = nullptr;
};

class Graph {
 public:
  using Buffers = std::map<std::string, std::deque<Metric>>;

  explicit Graph(Services svc) : svc_(svc) {}
  ~Graph();

  /// Builds every component a pipeline uses. Returns false when any failed;
  /// every error is appended (not just the first). With `construct` false
  /// (`routerpulse check`) components are only validated: nothing is
  /// constructed, so no file, thread or connection is created.
  bool build(const AgentConfig& cfg, std::vector<ConfigError>& errors, bool construct = true);

  /// Starts outputs, processors, then inputs (which gather at once and then
  /// every interval). With `schedule` false inputs are started but not polled.
  void start(bool schedule = true);

  /// SIGTERM path: stop inputs, let processors finish, drain outputs until
  /// `deadline`, stop everything; `done(undelivered metrics)`.
  void shutdown(std::chrono::steady_clock::time_point deadline, std::function<void(size_t)> done);

  /// Reload path: stop inputs, let processors finish (until `deadline`), take
  /// every output's buffer (keyed by output id), stop everything; `done(buffers)`.
  void detach(std::chrono::steady_clock::time_point deadline, std::function<void(Buffers)> done);

  /// Puts buffers taken from a previous graph in front of this graph's outputs
  /// with the same id; returns how many metrics had no output to go to.
  size_t seed(Buffers buffers);

  const std::vector<std::shared_ptr<InputRunner>>& inputs() const { return inputs_; }
  const std::vector<std::shared_ptr<Pipeline>>& pipelines() const { return pipelines_; }
  const std::map<std::string, std::shared_ptr<OutputRunner>>& outputs() const { return outputs_; }
  /// Pipelines a given input feeds.
  std::vector<std::shared_ptr<Pipeline>> pipelines_of(const std::string& input_id) const;

 private:
  /// Validates `d` and (when construct_) creates it with `ctx`; engine_options
  /// reads the engine's per-kind options. nullptr on error (appended).
  std::shared_ptr<Component> create(const ComponentDecl& d, const AgentConfig& cfg,
                                    const std::shared_ptr<PluginContext>& ctx,
                                    const std::function<void(const Options&)>& engine_options,
                                    std::vector<ConfigError>& errors);
  std::shared_ptr<PluginContext> context_for(const ComponentDecl& d, const AgentConfig& cfg,
                                             const std::string& pipeline, Duration interval);
  void wait_pipelines_idle(std::chrono::steady_clock::time_point deadline, std::function<void()> done);
  void stop_rest(std::function<void()> done);

  Services svc_;
  bool construct_ = true;
  std::vector<std::shared_ptr<InputRunner>> inputs_;
  std::vector<std::shared_ptr<Pipeline>> pipelines_;
  std::map<std::string, std::shared_ptr<OutputRunner>> outputs_;
  std::map<std::string, std::vector<std::string>> input_pipelines_;
};

}  // namespace routerpulse::engine
