// How the engine (and the test harness, and benches) turn a declared component
// into a running one: the engine's own per-kind option tables, validation
// without construction (what `routerpulse check` does), the scoped context,
// and creation. One place, used by Graph, test::Harness and bench programs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "routerpulse/clock.hpp"
#include "routerpulse/plugin.hpp"

namespace routerpulse::engine {

/// Options the engine reads for every component of `kind` (inputs: interval,
/// tags; outputs: batch_size, buffer_limit, flush_interval, timeout,
/// retry_initial, retry_max, namepass, namedrop; processors: none).
OptionTable engine_options(PluginKind kind);

/// The option view of one component: its YAML node checked against the
/// plugin's table and the engine's table for its kind.
Options component_options(const PluginDescriptor& d, YAML::Node node, std::string path,
                          std::shared_ptr<const std::string> file);

/// Validates without constructing anything: declared types/ranges/choices,
/// unknown keys, then the plugin's own pure validate(). Throws ConfigError.
void validate_component(const PluginDescriptor& d, const Options& options);

/// What a context is made from.
struct ContextSpec {
  PluginKind kind;
  std::string id;        ///< component id, e.g. `lua/alerts`
  std::string plugin;    ///< plugin name (defaults to the part of id before '/')
  std::string pipeline;  ///< processors: the pipeline of this instance
  std::string config_dir;
  Duration interval = std::chrono::seconds(10);
  std::shared_ptr<spdlog::logger> log;  ///< default: a clone of the default logger named id
};

/// The engine-owned services a context points into.
struct ContextServices {
  boost::asio::io_context& io;
  SelfMetrics& self_metrics;
  HealthRegistry& health;
  Clock& clock;
  HttpRoutes* http = nullptr;
  routeros::RouterRegistry* routers = nullptr;
};

/// The health key the engine gives a component: `inputs.<id>`, `outputs.<id>`,
/// `processors.<id>@<pipeline>`.
std::string health_key(PluginKind kind, const std::string& id, const std::string& pipeline);

/// Builds a scoped context (own strand, logger, self-metrics scope, health key).
std::shared_ptr<PluginContext> make_context(const ContextSpec& spec, const ContextServices& svc);

/// The plugin's factory alone, for options validate_component already passed;
/// the component keeps `ctx` alive. Throws ConfigError (also for a
/// SelfMetricsError or other exception thrown by the constructor, located at
/// `options`), or when the plugin is not of `ctx->kind`.
std::shared_ptr<Component> construct_component(const PluginDescriptor& d, const Options& options,
                                               const std::shared_ptr<PluginContext>& ctx);

/// validate_component, then construct_component.
std::shared_ptr<Component> create_component(const PluginDescriptor& d, const Options& options,
                                            const std::shared_ptr<PluginContext>& ctx);

}  // namespace routerpulse::engine
