// routeros_traffic — one active PPPoE session as learned from `/ppp/active`.
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

#include "routerpulse/routeros/sentence.hpp"

namespace routerpulse::routeros_traffic {

struct PppSession {
  std::string id;          ///< `.id`, e.g. *1A
  std::string user;        ///< `name`
  std::string interface;   ///< `<pppoe-NAME>`
  std::string caller_id;   ///< `caller-id` (MAC)
  std::string address;     ///< `address`
  std::string session_id;  ///< `session-id` as sent (e.g. 0x81000001)
  std::string encoding;    ///< `encoding`, often empty
  double uptime_s = 0;     ///< `uptime` when learned, seconds
  int64_t learned_ns = 0;  ///< steady-clock ns when learned / last updated

  /// Uptime in whole seconds at steady-clock time `now_ns`.
  int64_t uptime_at(int64_t now_ns) const;
};

/// The PPPoE server's dynamic interface name for `user`: `<pppoe-USER>`.
std::string pppoe_interface(const std::string& user);

/// Builds a session from a `/ppp/active` row (print or listen). Returns
/// nullopt when `.id` or `name` is missing, or when `service` is present
/// and not `pppoe`. An unparsable `uptime` gives 0 and sets `bad_value`.
std::optional<PppSession> parse_ppp_row(const routeros::Reply& row, int64_t now_ns, bool& bad_value);

/// Steady-clock nanoseconds (for uptimes and counter rates).
int64_t steady_ns() noexcept;

}  // namespace routerpulse::routeros_traffic
