// routeros_traffic — /ppp/active rows (see pppoe_session.hpp).
#include "pppoe_session.hpp"

#include <chrono>
#include <cmath>

#include "routerpulse/routeros/values.hpp"

namespace routerpulse::routeros_traffic {

int64_t PppoeSession::uptime_at(SteadyTime now) const {
  const double elapsed = now > learned ? std::chrono::duration<double>(now - learned).count() : 0.0;
  return static_cast<int64_t>(std::floor(uptime_seconds + elapsed));
}

std::string pppoe_interface(const std::string& user) { return "<pppoe-" + user + ">"; }

std::optional<PppoeSession> parse_pppoe_row(const routeros::Reply& row, SteadyTime now, bool& bad_value) {
  const std::string* id = row.get(".id");
  const std::string* name = row.get("name");
  if (!id || !name || id->empty() || name->empty()) return std::nullopt;
  if (const std::string* service = row.get("service"); service && *service != "pppoe") return std::nullopt;
  PppoeSession s;
  s.id = *id;
  s.user = *name;
  s.interface = pppoe_interface(s.user);
  s.caller_id = row.get_or("caller-id");
  s.address = row.get_or("address");
  s.session_id = row.get_or("session-id");
  s.encoding = row.get_or("encoding");
  s.learned = now;
  if (const std::string* up = row.get("uptime")) {
    auto secs = routeros::parse_ros_duration_seconds(*up);
    if (secs)
      s.uptime_seconds = *secs;
    else
      bad_value = true;
  }
  return s;
}

}  // namespace routerpulse::routeros_traffic
