// neighbors — the input's settings, read from its options (pure: what
// `routerpulse check` runs, and what the constructor uses).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "inventory.hpp"
#include "mndp_listener.hpp"
#include "routerpulse/config.hpp"
#include "targets/target_list.hpp"

namespace routerpulse::neighbors {

struct MndpSettings {
  MndpListener::Config listener;
  Duration hold{};  ///< an MNDP device not heard for this long leaves the table
};

struct Settings {
  std::vector<std::string> routers;  ///< names, `all`, or empty (MNDP only)
  targets::TargetListConfig known;
  Inventory::Settings inventory;
  size_t max_text = 64;
  std::optional<Duration> timeout;
  std::optional<MndpSettings> mndp;
  std::string topology_route;  ///< empty = no route
};

/// Reads and checks every option; throws ConfigError (file:line:col).
/// `config_dir` resolves a relative known_file.
Settings read_settings(const Options& o, const std::string& config_dir);

}  // namespace routerpulse::neighbors
