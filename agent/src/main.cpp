// routerpulse — command line (CLI11): run, check, test, plugins.
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "engine/agent.hpp"
#include "engine/agent_config.hpp"
#include "engine/sample_config.hpp"

using namespace routerpulse;

int main(int argc, char** argv) {
  CLI::App app{"routerpulse — collector agent for MikroTik RouterOS networks"};
  app.set_version_flag("--version", std::string("routerpulse ") + ROUTERPULSE_VERSION);
  std::string log_level;
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off (default: agent.log_level or info)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.require_subcommand(1);

  std::string config = "agent.yaml";
  auto* run = app.add_subcommand("run", "Run the agent until SIGTERM/SIGINT (SIGHUP reloads the config)");
  run->add_option("-c,--config", config, "Path to agent.yaml")->capture_default_str();

  auto* check = app.add_subcommand("check", "Validate the config and every plugin's options; exit 0 or 2");
  check->add_option("-c,--config", config, "Path to agent.yaml")->capture_default_str();

  std::string wait = "0s";
  auto* test = app.add_subcommand("test", "Gather each input once, run processors, print line protocol");
  test->add_option("-c,--config", config, "Path to agent.yaml")->capture_default_str();
  test->add_option("--wait", wait, "Extra time to collect asynchronous samples after gathering (e.g. 3s)")
      ->capture_default_str();

  std::string plugin_dir;
  auto* plugins = app.add_subcommand("plugins", "List plugins with kind and description");
  plugins->add_option("-c,--config", config, "Take plugin_dir from this config");
  plugins->add_option("--plugin-dir", plugin_dir, "Directory to scan (default: next to the binary)");
  std::string sample;
  plugins->add_option("--sample", sample,
                      "Print a commented sample config for plugin NAME (or kind.NAME) that passes `check`");

  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("routerpulse");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%-5l%$ [%n] %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::info);
  if (!log_level.empty()) spdlog::set_level(spdlog::level::from_str(log_level));

  try {
    if (*run) return engine::run_command(config, !log_level.empty());
    if (*check) return engine::check_command(config, std::cout, std::cerr);
    if (*test) {
      auto d = parse_duration(wait);
      if (!d) {
        std::cerr << "--wait: expected a duration like 3s, got \"" << wait << "\"\n";
        return 2;
      }
      // In test mode stdout carries only line protocol; logs stay on stderr.
      return engine::test_command(config, *d, std::cout, std::cerr);
    }
    if (*plugins) {
      if (plugin_dir.empty()) {
        plugin_dir = engine::default_plugin_dir();
        if (plugins->count("--config")) {
          engine::AgentConfig cfg;
          std::vector<ConfigError> errors;
          std::vector<std::string> warnings;
          engine::load_agent_config(config, cfg, errors, warnings);
          if (!errors.empty()) {
            for (auto& e : errors) std::cerr << "error: " << e.what() << "\n";
            return 2;
          }
          plugin_dir = cfg.agent.plugin_dir;
        }
      }
      if (!sample.empty()) return engine::sample_command(plugin_dir, sample, std::cout, std::cerr);
      return engine::plugins_command(plugin_dir, std::cout, std::cerr);
    }
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  return 0;
}
