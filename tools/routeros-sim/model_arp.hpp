// routeros-sim — static-IP customers behind one simulated router: its ARP
// table (/ip/arp), DHCP server leases (/ip/dhcp-server/lease) and what a
// `/ping` from the router to them answers. Rows follow the RouterOS manual
// (IP/ARP, DHCP, Ping) and the differences between major versions:
//   - RouterOS 7: `status` (reachable, stale, failed, permanent, …), key `dhcp`;
//   - RouterOS 6 (scenario version starting with "6."): no `status`, the
//     `complete` flag only, key spelled `DHCP`.
// Host k (1-based) of router i: address 10.(20+i%200).(k/250).(k%250+1), MAC
// 02:AA:<i hi>:<i lo>:<k hi>:<k lo>, interface ether2, ping RTT (1 + k%5) ms
// + 250 µs. States (control port `arp`, README.md):
//   online   ARP reachable, answers ping and ARP ping
//   idle     ARP stale (idle host), answers ping and ARP ping
//   noicmp   ARP stale, drops ICMP echo, answers ARP ping
//   offline  ARP failed/incomplete without MAC, answers nothing
//   gone     no ARP row, answers nothing
// A host may also be `static` (the entry is permanent: `arp=reply-only` or a
// static entry; it stays with its MAC whatever the host does) and have a DHCP
// lease (bound while the host is online/idle/noicmp, else waiting).
// Single-threaded: used from the sim's io thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model.hpp"
#include "scenario.hpp"

namespace routeros_sim {

class ArpModel {
 public:
  enum class State { online, idle, noicmp, offline, gone };
  struct Host {
    State state = State::online;
    std::string mac;  ///< current MAC (changes with `mac=`)
    bool is_static = false;
    bool lease = false;
    int64_t changed_ns = 0;   ///< when the state last changed (lease last-seen)
    int64_t last_up_ns = -1;  ///< last time the host was up (for last-seen); -1 never
    int64_t rtt_us = -1;      ///< ping RTT override (control `rtt=MS`); -1 = (1 + k%5) ms + 250 µs
  };

  ArpModel(int router_index, const Scenario& s, int64_t start_ns);

  static std::string address_of(int router, int k);
  static std::string mac_of(int router, int k);
  /// 1-based host number of `address` on this router, or 0.
  int host_of(const std::string& address) const;

  std::vector<Row> arp_rows() const;
  std::vector<Row> lease_rows(int64_t now_ns) const;

  /// What `/ping` of `address` from this router gives: replied (with RTT
  /// in µs) or not.
  struct PingOutcome {
    bool reply = false;
    int64_t rtt_us = 0;
  };
  PingOutcome ping(const std::string& address, bool arp_ping, const std::string& interface) const;

  /// Control port: `arp <router> <host|address|all> <state|-> [mac=M] [static=yes|no] [lease=yes|no] [rtt=MS]`
  /// (the words after the router). Returns "ok" or "error: …".
  std::string control(const std::vector<std::string>& words, int64_t now_ns);
  size_t size() const { return hosts_.size(); }
  bool v6() const { return v6_; }

 private:
  Row arp_row(int k, const Host& h) const;
  int index_;
  bool v6_;
  std::vector<Host> hosts_;  // [k-1]
};

const char* to_string(ArpModel::State s);

}  // namespace routeros_sim
