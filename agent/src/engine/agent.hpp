// The agent process: loads agent.yaml, owns the io_context and its threads,
// builds the Graph, handles SIGTERM/SIGINT (drain and exit 0) and SIGHUP
// (reload, keeping buffered metrics), and implements the CLI commands.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "engine/agent_config.hpp"

namespace routerpulse::engine {

/// Reads, substitutes and structurally validates a config file.
/// Returns false when `errors` got anything.
bool load_agent_config(const std::string& path, AgentConfig& cfg, std::vector<ConfigError>& errors,
                       std::vector<std::string>& warnings);

/// `routerpulse check`: also builds every component (validating plugin
/// options) without starting anything. Prints errors/warnings to `err`.
/// Returns 0 when valid, 2 otherwise.
int check_command(const std::string& path, std::ostream& out, std::ostream& err);

/// `routerpulse test`: gathers every input once (waiting up to `wait` for
/// asynchronous samples), runs each pipeline's processors and prints line
/// protocol to `out`. Returns 0, or 2 on config errors.
int test_command(const std::string& path, Duration wait, std::ostream& out, std::ostream& err);

/// `routerpulse run`: runs until SIGTERM/SIGINT. Returns the exit code.
/// `log_level_from_cli`: the CLI already set the level; ignore agent.log_level.
int run_command(const std::string& path, bool log_level_from_cli);

/// `routerpulse plugins`: lists plugins in `dir` (or the config's plugin_dir).
int plugins_command(const std::string& dir, std::ostream& out, std::ostream& err);

}  // namespace routerpulse::engine
