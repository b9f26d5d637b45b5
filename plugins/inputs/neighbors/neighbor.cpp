#include "neighbor.hpp"

#include <cctype>

#include "routerpulse/routeros/values.hpp"
#include "text/untrusted_text.hpp"

namespace routerpulse::neighbors {

std::optional<std::string> normalize_mac(std::string_view t) {
  if (t.size() != 17) return std::nullopt;
  std::string out(17, ':');
  for (size_t i = 0; i < 17; ++i) {
    const char c = t[i];
    if (i % 3 == 2) {
      if (c != ':' && c != '-') return std::nullopt;
      continue;
    }
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    out[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string pick_address(std::string_view address, std::string_view address4, std::string_view address6) {
  const bool addr_v6 = address.find(':') != std::string_view::npos;
  if (!address4.empty()) return std::string(address4);
  if (!address.empty() && !addr_v6) return std::string(address);
  if (!address6.empty()) return std::string(address6);
  return std::string(address);
}

std::optional<Neighbor> from_reply(const routeros::Reply& row, const std::string& router, size_t max_text) {
  const std::string* mac_text = row.get("mac-address");
  if (!mac_text) return std::nullopt;
  auto mac = normalize_mac(*mac_text);
  if (!mac) return std::nullopt;
  Neighbor n;
  n.router = router;
  n.mac = *mac;
  auto clean = [&](std::string_view key) { return text::clean_untrusted_text(row.get_or(key), max_text); };
  n.interface_list = clean("interface");
  n.interface = n.interface_list.substr(0, n.interface_list.find(','));
  n.identity = clean("identity");
  n.platform = clean("platform");
  n.board = clean("board");
  n.version = clean("version");
  n.software_id = clean("software-id");
  n.interface_name = clean("interface-name");
  n.system_caps = clean("system-caps");
  n.discovered_by = clean("discovered-by");
  n.address4 = clean("address4");
  n.address6 = clean("address6");
  n.address = pick_address(clean("address"), n.address4, n.address6);
  if (const std::string* u = row.get("uptime")) n.uptime_s = routeros::parse_ros_duration_seconds(*u);
  if (const std::string* a = row.get("age")) n.age_s = routeros::parse_ros_duration_seconds(*a);
  return n;
}

}  // namespace routerpulse::neighbors
