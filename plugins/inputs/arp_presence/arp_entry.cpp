// arp_presence — parsing ARP, lease and ping rows; the ARP verdict (arp_entry.hpp).
#include "arp_entry.hpp"

#include <cctype>

#include "routerpulse/routeros/values.hpp"

namespace routerpulse::arp_presence {

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

bool flag(std::string_view v) noexcept { return routeros::parse_ros_bool(v).value_or(false); }

}  // namespace

const char* to_string(ArpStatus s) noexcept {
  switch (s) {
    case ArpStatus::none: return "";
    case ArpStatus::reachable: return "reachable";
    case ArpStatus::stale: return "stale";
    case ArpStatus::delay: return "delay";
    case ArpStatus::probe: return "probe";
    case ArpStatus::failed: return "failed";
    case ArpStatus::incomplete: return "incomplete";
    case ArpStatus::permanent: return "permanent";
    case ArpStatus::unknown: return "unknown";
  }
  return "unknown";
}

ArpStatus parse_arp_status(std::string_view s) noexcept {
  for (ArpStatus x : {ArpStatus::reachable, ArpStatus::stale, ArpStatus::delay, ArpStatus::probe, ArpStatus::failed,
                      ArpStatus::incomplete, ArpStatus::permanent})
    if (iequals(s, to_string(x))) return x;
  return s.empty() ? ArpStatus::none : ArpStatus::unknown;
}

std::string normalize_mac(std::string_view mac) {
  std::string out(mac);
  for (char& c : out) {
    if (c == '-') c = ':';
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

int ArpEntry::rank() const noexcept {
  if (disabled || invalid) return 0;
  switch (status) {
    case ArpStatus::reachable: return 6;
    case ArpStatus::delay:
    case ArpStatus::probe: return 5;
    case ArpStatus::stale: return 4;
    case ArpStatus::permanent: return 3;
    case ArpStatus::incomplete: return 2;
    case ArpStatus::failed: return 1;
    case ArpStatus::none: return complete ? (dynamic && !dhcp ? 6 : 3) : 1;
    case ArpStatus::unknown: return complete ? 3 : 1;
  }
  return 0;
}

std::optional<ArpEntry> parse_arp_row(const routeros::Attributes& row) {
  ArpEntry e;
  bool has_address = false;
  for (const auto& [k, v] : row) {
    if (iequals(k, "address")) {
      e.address = v;
      has_address = !v.empty();
    } else if (iequals(k, "mac-address")) {
      if (!v.empty() && v != "00:00:00:00:00:00") e.mac = normalize_mac(v);
    } else if (iequals(k, "interface")) {
      e.interface = v;
    } else if (iequals(k, "status")) {
      e.status = parse_arp_status(v);
    } else if (iequals(k, "complete")) {
      e.complete = flag(v);
    } else if (iequals(k, "dynamic")) {
      e.dynamic = flag(v);
    } else if (iequals(k, "disabled")) {
      e.disabled = flag(v);
    } else if (iequals(k, "invalid")) {
      e.invalid = flag(v);
    } else if (iequals(k, "dhcp")) {
      e.dhcp = flag(v);
    }
  }
  if (!has_address) return std::nullopt;
  return e;
}

ArpVerdict judge(const ArpEntry* e) noexcept {
  if (!e || e->disabled || e->invalid || e->mac.empty()) return ArpVerdict::offline;
  switch (e->status) {
    case ArpStatus::reachable: return ArpVerdict::online;
    case ArpStatus::stale:
    case ArpStatus::delay:
    case ArpStatus::probe:
    case ArpStatus::permanent:
    case ArpStatus::unknown: return ArpVerdict::doubt;
    case ArpStatus::failed:
    case ArpStatus::incomplete: return ArpVerdict::offline;
    case ArpStatus::none:
      // RouterOS 6: `complete` is all we have. A dynamic entry learnt from
      // traffic counts; a static or DHCP (add-arp) one exists regardless.
      if (!e->complete) return ArpVerdict::offline;
      return e->dynamic && !e->dhcp ? ArpVerdict::online : ArpVerdict::doubt;
  }
  return ArpVerdict::doubt;
}

std::optional<Lease> parse_lease_row(const routeros::Attributes& row) {
  Lease l;
  std::string address, active_address, mac, active_mac;
  for (const auto& [k, v] : row) {
    if (iequals(k, "address"))
      address = v;
    else if (iequals(k, "active-address"))
      active_address = v;
    else if (iequals(k, "mac-address"))
      mac = v;
    else if (iequals(k, "active-mac-address"))
      active_mac = v;
    else if (iequals(k, "status"))
      l.status = v;
    else if (iequals(k, "last-seen"))
      l.last_seen_s = routeros::parse_ros_duration_seconds(v);
  }
  l.address = active_address.empty() ? address : active_address;
  l.mac = normalize_mac(active_mac.empty() ? mac : active_mac);
  if (l.address.empty()) return std::nullopt;
  return l;
}

bool lease_online(const Lease& l, double max_age_s) noexcept {
  return l.status == "bound" && l.last_seen_s && *l.last_seen_s <= max_age_s;
}

PingResult parse_ping_rows(const std::vector<routeros::Reply>& rows) {
  PingResult r;
  for (const auto& row : rows) {
    if (row.type != routeros::ReplyType::re) continue;
    if (const std::string* t = row.get("time")) {
      if (auto s = routeros::parse_ros_duration_seconds(*t)) {
        if (!r.replied || *s * 1000 < r.rtt_ms) r.rtt_ms = *s * 1000;
        r.replied = true;
      }
    }
    if (const std::string* rec = row.get("received"))
      if (routeros::parse_ros_uint(*rec).value_or(0) > 0) r.replied = true;
  }
  return r;
}

}  // namespace routerpulse::arp_presence
