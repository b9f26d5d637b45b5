// icmp — reading and checking the plugin's options (pure: shared by
// validate(), which `routerpulse check` runs, and the constructor).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "prober.hpp"
#include "routerpulse/config.hpp"
#include "targets/target_list.hpp"

namespace routerpulse::icmp {

struct Settings {
  ProbeSettings probe;
  Prober::ModeChoice mode = Prober::ModeChoice::auto_;
  Duration resolve_interval{};
  targets::TargetListConfig targets;
};

/// Reads every option; throws ConfigError (file:line:col) for bad targets,
/// a bad targets file (file:line:col) or a targets_query without
/// targets_dsn. No target source at all is allowed (the input then emits
/// nothing and says so once). `config_dir` resolves a relative targets_file.
Settings read_settings(const Options& o, const std::string& config_dir);

}  // namespace routerpulse::icmp
