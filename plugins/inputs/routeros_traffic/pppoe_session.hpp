// routeros_traffic — one active PPPoE session (a customer's connection) as
// learned from `/ppp/active`. Not to be confused with the RouterOS API
// session (routeros::Session) the input talks to the router over.
//
// Protocol source: RouterOS manual, PPP → "Active users" (`/ppp/active`):
// properties `.id`, `name` (user), `service` (pppoe, l2tp, ...), `caller-id`
// (the client's MAC for PPPoE), `address` (assigned IP), `uptime`,
// `encoding`, `session-id`. The PPPoE server creates the dynamic interface
// `<pppoe-NAME>` for each session (RouterOS manual, PPPoE → "PPPoE Server").
//
// Threading: a plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "routerpulse/clock.hpp"
#include "routerpulse/routeros/sentence.hpp"

namespace routerpulse::routeros_traffic {

struct PppoeSession {
  std::string id;             ///< `.id`, e.g. *1A
  std::string user;           ///< `name`
  std::string interface;      ///< `<pppoe-NAME>`
  std::string caller_id;      ///< `caller-id` (MAC)
  std::string address;        ///< `address`
  std::string session_id;     ///< `session-id` as sent (e.g. 0x81000001): the PPPoE session id
  std::string encoding;       ///< `encoding`, often empty
  double uptime_seconds = 0;  ///< `uptime` when learned
  SteadyTime learned{};       ///< when learned / last updated (ctx.clock steady time)

  /// Uptime in whole seconds at steady time `now`.
  int64_t uptime_at(SteadyTime now) const;
};

/// The PPPoE server's dynamic interface name for `user`: `<pppoe-USER>`.
std::string pppoe_interface(const std::string& user);

/// Builds a session from a `/ppp/active` row (print or listen). Returns
/// nullopt when `.id` or `name` is missing, or when `service` is present
/// and not `pppoe`. An unparsable `uptime` gives 0 and sets `bad_value`.
std::optional<PppoeSession> parse_pppoe_row(const routeros::Reply& row, SteadyTime now, bool& bad_value);

/// Nanoseconds since the steady clock's epoch (counter rates use plain integers).
inline int64_t steady_ns(SteadyTime t) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace routerpulse::routeros_traffic
