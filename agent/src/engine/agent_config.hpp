// Parsed agent.yaml: the `agent:` section, declared components and pipelines.
// Private to the core (not part of the plugin SDK).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "routerpulse/config.hpp"
#include "routerpulse/plugin.hpp"

namespace routerpulse::engine {

/// One declared component: `inputs.icmp/backbone` → plugin "icmp", id "icmp/backbone".
struct ComponentDecl {
  PluginKind kind;
  std::string id;            ///< as written in agent.yaml
  std::string plugin;        ///< the part before '/'
  YAML::Node node;           ///< its option map (may be null)
  YAML::Node key_node;       ///< the id's key, for error locations
  std::string path() const;  ///< "inputs.icmp/backbone"
};

struct PipelineDecl {
  std::string name;
  std::vector<std::string> inputs, processors, outputs;
  YAML::Node node;
};

struct AgentSettings {
  Duration interval = std::chrono::seconds(10);
  std::string plugin_dir;  ///< absolute
  int threads = 2;
  Duration shutdown_timeout = std::chrono::seconds(10);
  std::string log_level = "info";
  std::string hostname;  ///< added as tag `host` when add_host_tag is true
  bool add_host_tag = false;
  // Defaults for every output (each output may override them).
  int64_t batch_size = 1000;
  int64_t buffer_limit = 100000;
  Duration flush_interval = std::chrono::seconds(1);
  /// Metrics one pipeline admits between emit and the output buffers
  /// (backpressure; Pipeline).
  int64_t pipeline_limit = 100000;
  YAML::Node http;  ///< `agent.http` (null when absent → no HTTP server)
};

struct AgentConfig {
  std::shared_ptr<const std::string> file;
  std::string dir;  ///< directory of the config file
  YAML::Node root;
  AgentSettings agent;
  YAML::Node routers;  ///< the `routers:` map, or undefined
  std::vector<ComponentDecl> components;
  std::vector<PipelineDecl> pipelines;

  const ComponentDecl* find(PluginKind kind, const std::string& id) const;
};

/// Parses and validates the structure of a config (not plugin options).
/// Returns false and appends to `errors` on problems; `warnings` gets things
/// such as a component no pipeline uses.
bool parse_agent_config(const YAML::Node& root, std::shared_ptr<const std::string> file, const std::string& dir,
                        AgentConfig& out, std::vector<ConfigError>& errors, std::vector<std::string>& warnings);

/// The plugins directory used when agent.plugin_dir is not set: `plugins/`
/// next to the running binary.
std::string default_plugin_dir();

}  // namespace routerpulse::engine
