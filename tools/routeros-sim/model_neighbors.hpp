// routeros-sim — the /ip/neighbor table of one simulated router.
//
// Row shapes follow the RouterOS version the sim reports (`--version-string`),
// after the manual's neighbor page (help.mikrotik.com "Neighbor discovery"):
//  - 6.x: interface, address, address6, mac-address, identity, platform,
//    version, unpack, age, uptime, software-id, board, ipv6, interface-name,
//    system-description, system-caps, system-caps-enabled;
//  - 7.x adds address4; 7.7 and later add discovered-by (cdp, lldp, mndp).
// Base devices k = 1..neighbors are the other sim routers (README.md). With
// `--neighbor-variety` four more rows exercise what real tables contain: an
// entry seen on a slave and its master (`ether5,bond1`), a non-MikroTik LLDP
// switch whose identity is NUL-padded (no board, no uptime), a latin-1
// identity and an IPv6-only device. The control port adds and removes devices
// at run time (`neighbor R add|remove|clear …`) so tests can make them appear
// and disappear. Single-threaded, like the model.
#pragma once

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "routerpulse/routeros/sentence.hpp"
#include "scenario.hpp"

namespace routeros_sim {

using Row = routerpulse::routeros::Attributes;

class NeighborTable {
 public:
  NeighborTable(int router_index, const Scenario& s, int64_t boot_ns);

  /// Every row, in `.id` order, ages and uptimes as of `now_ns`.
  std::vector<Row> rows(int64_t now_ns) const;

  /// `add MAC IDENTITY [INTERFACE] [ADDRESS]`, `remove MAC`, `clear`, `count`.
  /// Returns the answer line (`ok`, a number or `error: …`).
  std::string control(std::istringstream& args, int64_t now_ns);

 private:
  struct Device {
    std::string interface = "ether1";
    std::string address4, address6;
    std::string identity, platform = "MikroTik", version, board, software_id, interface_name = "ether1";
    std::string caps = "bridge,router", discovered_by = "cdp,lldp,mndp";
    bool routeros = true;  ///< board and uptime only for RouterOS devices
    int64_t boot_ns = 0;
    int64_t seen_ns = 0;  ///< last discovery packet (age = now - seen, capped at 59 s)
  };
  Row row(uint64_t id, const Device& d, int64_t now_ns) const;

  int major_ = 7, minor_ = 0;
  std::string version_;
  std::map<std::string, std::pair<uint64_t, Device>> by_mac_;  // mac → (.id, device)
  uint64_t next_id_ = 1;
};

}  // namespace routeros_sim
