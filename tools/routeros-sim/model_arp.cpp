// routeros-sim — ARP table, DHCP leases and ping answers of static-IP hosts
// (model_arp.hpp; values in README.md, "Static-IP hosts").
#include "model_arp.hpp"

#include <fmt/format.h>

#include "routerpulse/routeros/values.hpp"

namespace routeros_sim {

const char* to_string(ArpModel::State s) {
  switch (s) {
    case ArpModel::State::online: return "online";
    case ArpModel::State::idle: return "idle";
    case ArpModel::State::noicmp: return "noicmp";
    case ArpModel::State::offline: return "offline";
    case ArpModel::State::gone: return "gone";
  }
  return "?";
}

ArpModel::ArpModel(int router_index, const Scenario& s, int64_t start_ns)
    : index_(router_index), v6_(s.version.rfind("6.", 0) == 0) {
  hosts_.resize(static_cast<size_t>(std::max(0, s.arp_entries)));
  for (size_t i = 0; i < hosts_.size(); ++i) {
    const int k = static_cast<int>(i) + 1;
    Host& h = hosts_[i];
    h.mac = mac_of(index_, k);
    if (s.arp_offline_every > 0 && k % s.arp_offline_every == 0)
      h.state = State::offline;
    else if (s.arp_idle_every > 0 && k % s.arp_idle_every == 0)
      h.state = State::idle;
    h.lease = s.dhcp_leases;
    h.changed_ns = start_ns;
    h.last_up_ns = h.state == State::offline ? -1 : start_ns;
  }
}

std::string ArpModel::address_of(int router, int k) {
  return fmt::format("10.{}.{}.{}", 20 + router % 200, k / 250, k % 250 + 1);
}

std::string ArpModel::mac_of(int router, int k) {
  return fmt::format("02:AA:{:02X}:{:02X}:{:02X}:{:02X}", (router >> 8) & 0xFF, router & 0xFF, (k >> 8) & 0xFF,
                     k & 0xFF);
}

int ArpModel::host_of(const std::string& address) const {
  unsigned a = 0, b = 0, c = 0, d = 0;
  char tail = 0;
  if (std::sscanf(address.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4) return 0;
  if (a != 10 || b != static_cast<unsigned>(20 + index_ % 200) || d < 1 || d > 250) return 0;
  const int k = static_cast<int>(c * 250 + d - 1);
  return k >= 1 && k <= static_cast<int>(hosts_.size()) ? k : 0;
}

Row ArpModel::arp_row(int k, const Host& h) const {
  // RouterOS 7 statuses (IP/ARP manual): reachable, stale, failed, permanent;
  // `complete` is set for permanent, reachable, stale, probe and delay.
  const bool down = h.state == State::offline;
  std::string status = h.is_static ? "permanent" : down ? "failed" : h.state == State::online ? "reachable" : "stale";
  const bool complete = h.is_static || !down;
  Row row{{".id", fmt::format("*{:X}", k)}, {"address", address_of(index_, k)}};
  if (complete) row.emplace_back("mac-address", h.mac);
  row.emplace_back("interface", "ether2");
  row.emplace_back("published", "false");
  row.emplace_back("invalid", "false");
  row.emplace_back(v6_ ? "DHCP" : "dhcp", "false");
  row.emplace_back("dynamic", h.is_static ? "false" : "true");
  row.emplace_back("complete", complete ? "true" : "false");
  row.emplace_back("disabled", "false");
  if (!v6_) row.emplace_back("status", status);
  row.emplace_back("comment", fmt::format("static-user{:04}", k));
  return row;
}

std::vector<Row> ArpModel::arp_rows() const {
  std::vector<Row> rows;
  rows.reserve(hosts_.size());
  for (size_t i = 0; i < hosts_.size(); ++i) {
    const Host& h = hosts_[i];
    if (h.state == State::gone && !h.is_static) continue;
    rows.push_back(arp_row(static_cast<int>(i) + 1, h));
  }
  return rows;
}

std::vector<Row> ArpModel::lease_rows(int64_t now_ns) const {
  std::vector<Row> rows;
  for (size_t i = 0; i < hosts_.size(); ++i) {
    const Host& h = hosts_[i];
    if (!h.lease) continue;
    const int k = static_cast<int>(i) + 1;
    const bool up = h.state == State::online || h.state == State::idle || h.state == State::noicmp;
    Row row{{".id", fmt::format("*{:X}", k)},
            {"address", address_of(index_, k)},
            {"mac-address", h.mac},
            {"server", "dhcp1"},
            {"dynamic", "false"},
            {"disabled", "false"},
            {"blocked", "false"},
            {"status", up ? "bound" : "waiting"}};
    // last-seen: a DHCP packet from a bound client 10 s ago (idle: 4 min);
    // a host that went away: since it went; never seen: `never`.
    std::string last_seen = "never";
    if (up)
      last_seen = h.state == State::online ? "10s" : "4m";
    else if (h.last_up_ns >= 0)
      last_seen = routerpulse::routeros::format_ros_duration(std::chrono::nanoseconds(now_ns - h.last_up_ns));
    row.emplace_back("last-seen", last_seen);
    if (up) {
      row.emplace_back("active-address", address_of(index_, k));
      row.emplace_back("active-mac-address", h.mac);
      row.emplace_back("active-server", "dhcp1");
      row.emplace_back("expires-after", "9m50s");
      row.emplace_back("host-name", fmt::format("cpe-{:04}", k));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

ArpModel::PingOutcome ArpModel::ping(const std::string& address, bool arp_ping, const std::string& interface) const {
  const int k = host_of(address);
  if (!k) return {};
  const Host& h = hosts_[static_cast<size_t>(k - 1)];
  if (arp_ping && interface != "ether2") return {};
  const bool answers = h.state == State::online || h.state == State::idle || (h.state == State::noicmp && arp_ping);
  if (!answers) return {};
  return {true, h.rtt_us >= 0 ? h.rtt_us : 1000 * (1 + k % 5) + 250};
}

std::string ArpModel::control(const std::vector<std::string>& words, int64_t now_ns) {
  if (words.size() < 2)
    return "error: usage: arp <router|all> <host|address|all> <online|idle|noicmp|offline|gone|-> "
           "[mac=M] [static=yes|no] [lease=yes|no] [rtt=MS]";
  std::vector<size_t> which;
  if (words[0] == "all") {
    for (size_t i = 0; i < hosts_.size(); ++i) which.push_back(i);
  } else {
    int k = host_of(words[0]);
    if (!k) {
      try {
        size_t used = 0;
        k = std::stoi(words[0], &used);
        if (used != words[0].size()) k = 0;
      } catch (const std::exception&) {
        k = 0;
      }
    }
    if (k < 1 || k > static_cast<int>(hosts_.size()))
      return "error: no host \"" + words[0] + "\" on router " + std::to_string(index_);
    which.push_back(static_cast<size_t>(k - 1));
  }
  std::optional<State> state;
  const std::string& st = words[1];
  if (st == "online")
    state = State::online;
  else if (st == "idle")
    state = State::idle;
  else if (st == "noicmp")
    state = State::noicmp;
  else if (st == "offline")
    state = State::offline;
  else if (st == "gone")
    state = State::gone;
  else if (st != "-")
    return "error: unknown state \"" + st + "\" (online, idle, noicmp, offline, gone, -)";
  for (size_t w = 2; w < words.size(); ++w) {
    const auto eq = words[w].find('=');
    const std::string key = words[w].substr(0, eq), value = eq == std::string::npos ? "" : words[w].substr(eq + 1);
    if (key == "mac" && !value.empty()) continue;
    if ((key == "static" || key == "lease") && (value == "yes" || value == "no")) continue;
    if (key == "rtt" && !value.empty() && value.find_first_not_of("0123456789.") == std::string::npos) continue;
    return "error: bad option \"" + words[w] + "\" (mac=M, static=yes|no, lease=yes|no, rtt=MS)";
  }
  for (size_t i : which) {
    Host& h = hosts_[i];
    const bool was_up = h.state != State::offline && h.state != State::gone;
    if (state && *state != h.state) {
      h.state = *state;
      h.changed_ns = now_ns;
    }
    const bool up = h.state != State::offline && h.state != State::gone;
    if (was_up && !up) h.last_up_ns = now_ns;
    if (up) h.last_up_ns = now_ns;
    for (size_t w = 2; w < words.size(); ++w) {
      const auto eq = words[w].find('=');
      const std::string key = words[w].substr(0, eq), value = words[w].substr(eq + 1);
      if (key == "mac") h.mac = value;
      if (key == "static") h.is_static = value == "yes";
      if (key == "lease") h.lease = value == "yes";
      if (key == "rtt") h.rtt_us = static_cast<int64_t>(std::stod(value) * 1000);
    }
  }
  return "ok";
}

}  // namespace routeros_sim
