// neighbors — one neighbor sighting: a row of a router's `/ip/neighbor`
// table (RouterOS manual, "Neighbor discovery": help.mikrotik.com/docs/display/ROS/Neighbor+discovery)
// or an MNDP announcement heard by the agent itself (mndp_packet.hpp).
//
// Strings from the other device (identity, platform, board, version,
// software-id, interface-name) are untrusted: cleaned with
// text::clean_untrusted_text (valid UTF-8, NUL padding removed, capped).
//
// Threading: plain values and pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "routerpulse/routeros/sentence.hpp"

namespace routerpulse::neighbors {

/// The `.proplist` of the print (every property the plugin reads).
inline constexpr const char* kProplist[] = {"interface",    "address",        "address4",    "address6",
                                            "mac-address",  "identity",       "platform",    "version",
                                            "board",        "unpack",         "age",         "uptime",
                                            "software-id",  "interface-name", "system-caps", "system-caps-enabled",
                                            "discovered-by"};

struct Neighbor {
  std::string router;          ///< the router that sees it; empty for the agent's own MNDP listener
  std::string interface;       ///< the first interface of RouterOS' list (the port: `ether5` of `ether5,bond1`)
  std::string interface_list;  ///< the whole list as the router reported it
  std::string mac;             ///< upper-case `AA:BB:CC:DD:EE:FF`; the device key
  std::string identity, platform, board, version, software_id, interface_name, system_caps;
  std::string address;  ///< IPv4 when there is one, else IPv6
  std::string address4, address6;
  std::string discovered_by;  ///< RouterOS 7.7+ (`cdp,lldp,mndp`), `mndp-agent` for the listener, else empty
  std::optional<double> uptime_s, age_s;
};

/// Six hex pairs separated by `:` or `-`, any case (`aa-bb-cc-dd-ee-ff`) →
/// `AA:BB:CC:DD:EE:FF`; nullopt for anything else.
std::optional<std::string> normalize_mac(std::string_view text);

/// Builds a sighting from one `!re` of `/ip/neighbor/print`. Returns nullopt
/// when the row has no usable `mac-address` (the caller counts it).
std::optional<Neighbor> from_reply(const routeros::Reply& row, const std::string& router, size_t max_text);

/// The `address` rule: IPv4 (`address4`, or `address` when it is IPv4), else
/// IPv6 (`address6`, or `address`), else whatever `address` holds.
std::string pick_address(std::string_view address, std::string_view address4, std::string_view address6);

}  // namespace routerpulse::neighbors
