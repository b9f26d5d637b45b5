// routeros-sim — the scenario: how many routers and PPPoE sessions, churn,
// cadence, credentials and faults. Filled from a YAML file (--scenario) and/or
// command-line options (which win); see README.md for every key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace routeros_sim {

/// A fault to apply to one router (`router` = -1: every router).
/// Modes: none, drop, stall, slow, fatal, garbage, down (README.md, "Faults").
struct FaultSpec {
  int router = -1;
  std::string mode = "none";
  int delay_ms = 0;    ///< slow: delay before each reply
  double every_s = 0;  ///< drop/fatal/garbage: repeat every N seconds (0 = once)
  double after_s = 0;  ///< drop/fatal/garbage/stall/down: start after N seconds
};

struct Scenario {
  std::string bind = "127.0.0.1";
  int routers = 1;
  int base_port = 18728;
  int control_port = 0;      ///< 0 = no control port
  int sessions = 100;        ///< active PPPoE sessions per router
  int spare_users = -1;      ///< users per router beyond `sessions` (churn pool); -1 = ceil(10%)
  double churn_per_min = 0;  ///< sessions replaced per router per minute
  double interval_s = 1.0;   ///< monitor-traffic cadence
  std::string username = "admin";
  std::string password;
  bool legacy_login = false;      ///< answer /login with the pre-6.43 MD5 challenge
  bool empty_replies = false;     ///< RouterOS 7.18+: `!empty` for prints without rows
  uint64_t seed = 1;              ///< churn randomness
  int arp_entries = 20;           ///< static-user ARP entries per router
  int arp_idle_every = 0;         ///< every Nth ARP host starts idle (stale entry); 0 = none (model_arp.hpp)
  int arp_offline_every = 0;      ///< every Nth ARP host starts offline (wins over idle); 0 = none
  bool dhcp_leases = false;       ///< every ARP host also has a static DHCP lease
  int ping_timeout_ms = 1000;     ///< how long `/ping` waits before `status=timeout`
  int neighbors = 4;              ///< /ip/neighbor rows per router (other sim routers)
  bool neighbor_variety = false;  ///< four more /ip/neighbor rows with real-world shapes (model_neighbors.hpp)
  uint64_t rate_base = 1000000;   ///< bits/s unit of the per-user rate formula
  std::string pppoe_queues = "dynamic";  ///< simple queue per session: dynamic (<pppoe-USER>) | named | none
  int static_queues = 0;                 ///< static-customer simple queues per router (on the ARP addresses)
  bool timestamps = true;         ///< add =.sim-sent-ns= to monitor-traffic rows
  std::string tls_cert, tls_key;  ///< PEM files: serve API over TLS when both set
  double stats_interval_s = 0;    ///< print a stats JSON line every N seconds (0 = off)
  std::string version = "7.16.1 (stable)";
  std::vector<FaultSpec> faults;  ///< applied at start
};

/// Overlays the keys of a YAML scenario file onto `s`. Throws
/// std::runtime_error naming the file and key on a bad value or unknown key.
void load_scenario_file(const std::string& path, Scenario& s);

/// Parses a fault given as `ROUTER:MODE[:key=value,...]`, e.g. `3:stall`,
/// `all:drop:every=5`, `0:slow:delay=1500`. Throws std::runtime_error.
FaultSpec parse_fault(const std::string& text);

/// Validates ranges (ports, counts); throws std::runtime_error.
void validate(const Scenario& s);

}  // namespace routeros_sim
