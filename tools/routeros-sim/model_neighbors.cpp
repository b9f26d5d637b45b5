// routeros-sim — /ip/neighbor rows (see model_neighbors.hpp).
#include "model_neighbors.hpp"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "model.hpp"
#include "routerpulse/routeros/values.hpp"

namespace routeros_sim {

namespace {
constexpr int64_t kNs = 1000000000;

std::string duration_text(int64_t ns) {
  return routerpulse::routeros::format_ros_duration(std::chrono::seconds(std::max<int64_t>(0, ns / kNs)));
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  return s;
}
}  // namespace

NeighborTable::NeighborTable(int index, const Scenario& s, int64_t boot_ns) : version_(s.version) {
  if (std::sscanf(s.version.c_str(), "%d.%d", &major_, &minor_) < 1) major_ = 7;
  for (int k = 1; k <= s.neighbors; ++k) {
    const int j = index + k;
    Device d;
    d.identity = s.routers > k ? "sim-router-" + std::to_string(j % s.routers) : "sim-switch-" + std::to_string(k);
    d.address4 = fmt::format("10.255.{}.{}", j / 250, j % 250 + 1);
    d.version = s.version;
    d.board = "CCR2004-1G-12S+2XS";
    d.software_id = fmt::format("SIM-{:04}", j);
    d.boot_ns = boot_ns - k * 3600 * kNs;
    d.seen_ns = boot_ns;
    by_mac_[fmt::format("02:00:{:02X}:{:02X}:00:01", (j >> 8) & 0xFF, j & 0xFF)] = {next_id_++, d};
  }
  if (!s.neighbor_variety) return;
  const int j = index;
  Device bond;  // seen on the slave port and its bond master
  bond.interface = "ether5,bond1";
  bond.identity = "sector-" + std::to_string(j) + "-north";
  bond.address4 = fmt::format("10.254.{}.10", j % 250);
  bond.version = "6.49.10 (long-term)";
  bond.board = "RBLHGG-5acD";
  bond.software_id = "LHG-0001";
  bond.interface_name = "wlan1";
  bond.caps = "bridge,wlan-ap";
  bond.discovered_by = "mndp";
  bond.boot_ns = boot_ns - 7200 * kNs;
  bond.seen_ns = boot_ns;
  by_mac_[fmt::format("04:00:00:00:{:02X}:05", j & 0xFF)] = {next_id_++, bond};
  Device cisco;  // LLDP from another vendor: NUL-padded identity, no board or uptime
  cisco.interface = "ether2";
  cisco.identity = std::string("sw-access-") + std::to_string(j) + std::string(4, '\0');
  cisco.platform = "Cisco IOS Software, C2960";
  cisco.version = "15.2(7)E8";
  cisco.address4 = fmt::format("10.253.{}.2", j % 250);
  cisco.interface_name = "GigabitEthernet0/24";
  cisco.caps = "bridge";
  cisco.discovered_by = "cdp,lldp";
  cisco.routeros = false;
  cisco.seen_ns = boot_ns;
  by_mac_[fmt::format("04:00:00:00:{:02X}:02", j & 0xFF)] = {next_id_++, cisco};
  Device latin;  // an identity written in latin-1 by old firmware
  latin.interface = "ether3";
  latin.identity = "Caf\xE9-AP-" + std::to_string(j);
  latin.address4 = fmt::format("10.252.{}.3", j % 250);
  latin.version = "2.17 (SwOS)";
  latin.platform = "MikroTik";
  latin.board = "CSS326-24G-2S+";
  latin.discovered_by = "mndp";
  latin.routeros = false;
  latin.seen_ns = boot_ns;
  by_mac_[fmt::format("04:00:00:00:{:02X}:03", j & 0xFF)] = {next_id_++, latin};
  Device v6;  // only an IPv6 address
  v6.interface = "ether4";
  v6.identity = "v6-only-" + std::to_string(j);
  v6.address6 = fmt::format("fe80::400:ff:fe00:{:x}", ((j & 0xFF) << 8) | 4);
  v6.version = s.version;
  v6.board = "hAP ax3";
  v6.boot_ns = boot_ns - 60 * kNs;
  v6.seen_ns = boot_ns;
  by_mac_[fmt::format("04:00:00:00:{:02X}:04", j & 0xFF)] = {next_id_++, v6};
}

Row NeighborTable::row(uint64_t id, const Device& d, int64_t now_ns) const {
  const bool v7 = major_ >= 7;
  Row r{{".id", fmt::format("*{:X}", id)}, {"interface", d.interface}};
  // `address` is the highest address: IPv4 when there is one.
  r.emplace_back("address", !d.address4.empty() ? d.address4 : d.address6);
  if (v7) r.emplace_back("address4", d.address4);
  r.emplace_back("address6", d.address6);
  r.emplace_back("mac-address", "");  // filled below (the key of the map)
  r.emplace_back("identity", d.identity);
  r.emplace_back("platform", d.platform);
  r.emplace_back("version", d.version);
  r.emplace_back("unpack", "none");
  r.emplace_back("age", duration_text(std::min<int64_t>((now_ns - d.seen_ns) % (60 * kNs), 59 * kNs)));
  if (d.routeros) {
    r.emplace_back("uptime", duration_text(now_ns - d.boot_ns));
    r.emplace_back("board", d.board);
  } else if (!d.board.empty()) {
    r.emplace_back("board", d.board);
  }
  r.emplace_back("software-id", d.software_id);
  r.emplace_back("ipv6", d.address6.empty() ? "false" : "true");
  r.emplace_back("interface-name", d.interface_name);
  r.emplace_back("system-description", d.platform + " " + d.version);
  r.emplace_back("system-caps", d.caps);
  r.emplace_back("system-caps-enabled", d.caps);
  if (major_ > 7 || (major_ == 7 && minor_ >= 7)) r.emplace_back("discovered-by", d.discovered_by);
  return r;
}

std::vector<Row> NeighborTable::rows(int64_t now_ns) const {
  std::vector<std::pair<uint64_t, Row>> ordered;
  for (const auto& [mac, entry] : by_mac_) {
    Row r = row(entry.first, entry.second, now_ns);
    for (auto& [k, v] : r)
      if (k == "mac-address") v = mac;
    ordered.emplace_back(entry.first, std::move(r));
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Row> out;
  out.reserve(ordered.size());
  for (auto& [id, r] : ordered) out.push_back(std::move(r));
  return out;
}

std::string NeighborTable::control(std::istringstream& in, int64_t now_ns) {
  std::string op;
  in >> op;
  if (op == "clear") {
    by_mac_.clear();
    return "ok";
  }
  if (op == "count") return std::to_string(by_mac_.size());
  if (op != "add" && op != "remove") return "error: neighbor R add|remove|clear|count";
  std::string mac;
  if (!(in >> mac) || mac.size() != 17) return "error: expected a MAC address like 02:00:00:00:00:01";
  mac = upper(mac);
  if (op == "remove") return by_mac_.erase(mac) ? "ok" : "error: no neighbor " + mac;
  Device d;
  if (!(in >> d.identity)) return "error: neighbor R add MAC IDENTITY [INTERFACE] [ADDRESS]";
  std::string iface, addr;
  if (in >> iface) d.interface = iface;
  if (in >> addr) (addr.find(':') != std::string::npos ? d.address6 : d.address4) = addr;
  d.version = version_;
  d.board = "RB5009UG+S+";
  d.software_id = "ADDED-" + mac.substr(12, 2) + mac.substr(15, 2);
  d.boot_ns = now_ns;
  d.seen_ns = now_ns;
  auto it = by_mac_.find(mac);
  const uint64_t id = it != by_mac_.end() ? it->second.first : next_id_++;
  by_mac_[mac] = {id, d};
  return "ok";
}

std::vector<Row> RouterModel::neighbor_rows(int64_t now_ns) const { return neighbors_.rows(now_ns); }

}  // namespace routeros_sim
