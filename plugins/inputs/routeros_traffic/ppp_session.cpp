// routeros_traffic — /ppp/active rows (see ppp_session.hpp).
#include "ppp_session.hpp"

#include <chrono>
#include <cmath>

#include "routerpulse/routeros/values.hpp"

namespace routerpulse::routeros_traffic {

int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t PppSession::uptime_at(int64_t now_ns) const {
  const double elapsed = now_ns > learned_ns ? static_cast<double>(now_ns - learned_ns) / 1e9 : 0.0;
  return static_cast<int64_t>(std::floor(uptime_s + elapsed));
}

std::string pppoe_interface(const std::string& user) { return "<pppoe-" + user + ">"; }

std::optional<PppSession> parse_ppp_row(const routeros::Reply& row, int64_t now_ns, bool& bad_value) {
  const std::string* id = row.get(".id");
  const std::string* name = row.get("name");
  if (!id || !name || id->empty() || name->empty()) return std::nullopt;
  if (const std::string* service = row.get("service"); service && *service != "pppoe") return std::nullopt;
  PppSession s;
  s.id = *id;
  s.user = *name;
  s.interface = pppoe_interface(s.user);
  s.caller_id = row.get_or("caller-id");
  s.address = row.get_or("address");
  s.session_id = row.get_or("session-id");
  s.encoding = row.get_or("encoding");
  s.learned_ns = now_ns;
  if (const std::string* up = row.get("uptime")) {
    auto secs = routeros::parse_ros_duration_seconds(*up);
    if (secs) s.uptime_s = *secs;
    else bad_value = true;
  }
  return s;
}

}  // namespace routerpulse::routeros_traffic
