// arp_presence — what one router says about one address: its ARP entry
// (/ip/arp), its DHCP lease (/ip/dhcp-server/lease) and a `/ping` from the
// router, parsed from API rows; and the rule that judges presence from them.
//
// Sources (see /work/shared/research/routeros-features.md §1):
//  - RouterOS manual "IP/ARP": read-only `status` (RouterOS 7: delay, failed,
//    incomplete, permanent, probe, reachable, stale), flags `complete` (set for
//    permanent, reachable, stale, probe and delay), `dynamic`, `invalid`,
//    `disabled`, `dhcp` (spelled `DHCP` by RouterOS 6 and some v7 builds, so
//    keys are compared case-insensitively). RouterOS 6 has no `status`: the
//    `complete` flag is all there is.
//  - Linux NUD semantics behind `status`: an idle host's entry goes `stale`
//    and is not re-probed until traffic flows; `failed`/`incomplete` rows may
//    linger; `permanent` (static entries, `arp=reply-only`) and DHCP `add-arp`
//    entries (flag `dhcp`) exist whatever the host does.
//  - "DHCP" manual: lease `status` (bound = the client holds the lease),
//    `last-seen` (a duration, `never` or `sometime`), `active-address`,
//    `active-mac-address`.
//  - "Ping" manual and the API command notes: one `!re` per probe with
//    `time` on a reply or `status=timeout`, running `sent`/`received`.
//
// Threading: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "routerpulse/routeros/sentence.hpp"

namespace routerpulse::arp_presence {

/// `status` of an ARP entry. `none`: RouterOS 6 row without `status`.
enum class ArpStatus : uint8_t { none, reachable, stale, delay, probe, failed, incomplete, permanent, unknown };

/// "reachable", …; "" for none.
const char* to_string(ArpStatus s) noexcept;
ArpStatus parse_arp_status(std::string_view s) noexcept;

/// One parsed /ip/arp row.
struct ArpEntry {
  std::string address;
  std::string mac;  ///< upper-case `AA:BB:…`, empty when the row has none (or 00:00:00:00:00:00)
  std::string interface;
  ArpStatus status = ArpStatus::none;
  bool complete = false, dynamic = false, disabled = false, invalid = false, dhcp = false;

  /// How much this row says the host is there, to pick between several rows
  /// for one address (higher wins): unusable (disabled/invalid) < failed <
  /// incomplete < permanent/dhcp < stale < probe/delay < reachable.
  int rank() const noexcept;
};

/// Parses a row of `/ip/arp/print`; keys compared case-insensitively.
/// nullopt when it has no `address`.
std::optional<ArpEntry> parse_arp_row(const routeros::Attributes& row);

/// What the ARP entry alone says.
enum class ArpVerdict : uint8_t {
  online,   ///< fresh proof: status reachable; RouterOS 6: complete, dynamic, not from DHCP
  doubt,    ///< the entry exists but proves nothing now: stale/delay/probe, permanent, DHCP add-arp
  offline,  ///< no usable entry: missing, failed, incomplete, disabled, invalid, no MAC
};
ArpVerdict judge(const ArpEntry* e) noexcept;

/// One parsed /ip/dhcp-server/lease row (keys case-insensitive).
struct Lease {
  std::string address;                ///< active-address, else address
  std::string mac;                    ///< active-mac-address, else mac-address (upper case)
  std::string status;                 ///< bound, waiting, offered, …
  std::optional<double> last_seen_s;  ///< nullopt for `never`/`sometime`/absent
};
std::optional<Lease> parse_lease_row(const routeros::Attributes& row);

/// A lease proves presence when it is bound and the server heard from the
/// client within `max_age_s`.
bool lease_online(const Lease& l, double max_age_s) noexcept;

/// The outcome of `/ping … count=1`: replied (RTT in ms) or not.
struct PingResult {
  bool replied = false;
  double rtt_ms = 0;
};
/// From the rows of a ping: replied when some row has `time` or `received`>0.
PingResult parse_ping_rows(const std::vector<routeros::Reply>& rows);

/// `aa-bb-cc-dd-ee-ff` / `aa:bb:…` → `AA:BB:CC:DD:EE:FF`; other text upper-cased.
std::string normalize_mac(std::string_view mac);

}  // namespace routerpulse::arp_presence
