// neighbors — MNDP (MikroTik Neighbor Discovery Protocol) packets.
//
// Wire format (UDP port 5678; no official specification — the layout below is
// what Wireshark's packet-mndp.c, MAC-Telnet's protocol.c and captures of
// RouterOS 7 and SwOS agree on; see /work/shared/research/routeros-features.md §2.3):
//   a 4-byte header whose meaning the sources disagree on (not validated),
//   then TLVs: type (u16 big-endian), length (u16 big-endian), value.
//   | type | field          | value                                     |
//   |------|----------------|-------------------------------------------|
//   | 1    | MAC address    | 6 bytes                                   |
//   | 5    | identity       | text                                      |
//   | 7    | version        | text                                      |
//   | 8    | platform       | text                                      |
//   | 10   | uptime         | u32 LITTLE-endian seconds (the only LE one)|
//   | 11   | software-id    | text                                      |
//   | 12   | board          | text                                      |
//   | 14   | unpack         | 1 byte                                    |
//   | 15   | IPv6 address   | 16 bytes                                  |
//   | 16   | interface name | text                                      |
//   | 17   | IPv4 address   | 4 bytes                                   |
//   Other types are skipped. A datagram of exactly 4 bytes (no TLV) is a
//   solicitation ("refresh": send your announcements now).
// Malformed: shorter than 4 bytes, a TLV header or value running past the
// end, a fixed-size TLV (1, 10, 14, 15, 17) of the wrong length, or no MAC.
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "neighbor.hpp"

namespace routerpulse::neighbors {

inline constexpr uint16_t kMndpPort = 5678;

/// A parsed announcement; text fields are raw bytes (untrusted, see to_neighbor).
struct MndpAnnouncement {
  std::string mac;  ///< `AA:BB:CC:DD:EE:FF`
  std::string identity, version, platform, software_id, board, interface_name;
  std::string ipv4, ipv6;  ///< text forms, empty when absent
  std::optional<uint32_t> uptime_s;
  std::optional<uint8_t> unpack;
};

enum class MndpParse { announcement, solicitation, malformed };

/// Parses one datagram. `error` says why when malformed.
MndpParse parse_mndp(std::string_view datagram, MndpAnnouncement& out, std::string& error);

/// Encodes an announcement (header `00 00 00 00`, TLVs in type order; absent
/// fields left out). For tests and the test sender; the agent itself only
/// sends solicitations.
std::string encode_mndp(const MndpAnnouncement& a);

/// The 4-byte solicitation.
inline std::string mndp_solicitation() { return std::string(4, '\0'); }

/// A `neighbor` sighting by the agent (router "", discovered_by `mndp-agent`);
/// texts cleaned and capped at `max_text` bytes.
Neighbor to_neighbor(const MndpAnnouncement& a, size_t max_text);

}  // namespace routerpulse::neighbors
