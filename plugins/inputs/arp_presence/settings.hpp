// arp_presence — reading and checking the plugin's options (pure: shared by
// validate(), which `routerpulse check` runs, and the constructor).
#pragma once

#include <string>

#include "routerpulse/config.hpp"
#include "targets/target_list.hpp"

namespace routerpulse::arp_presence {

enum class Source : uint8_t { arp, dhcp, both };
enum class Verify : uint8_t { none, ping, arp_ping };

struct Settings {
  targets::TargetListConfig targets;
  Source source = Source::arp;
  Verify verify = Verify::ping;
  int max_verifications = 100;  ///< per router per round
  int verify_concurrency = 10;  ///< pings in flight per router
  Duration verify_timeout{};    ///< per ping command
  int offline_after = 2;
  Duration timeout{};  ///< the round's deadline
  double lease_max_age_s = 600;
};

/// Reads every option; throws ConfigError (file:line:col). `config_dir`
/// resolves a relative targets_file.
Settings read_settings(const Options& o, const std::string& config_dir);

}  // namespace routerpulse::arp_presence
