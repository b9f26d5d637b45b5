// icmp — ICMP/ICMPv6 echo packets: building requests, reading replies and errors.
//
// Wire formats: ICMP echo (RFC 792, type 8 request / 0 reply; errors type 3
// destination unreachable and 11 time exceeded carry the original IP header
// plus at least its first 8 payload bytes), ICMPv6 echo (RFC 4443 §4.1/§4.2,
// type 128 request / 129 reply; errors 1 destination unreachable and 3 time
// exceeded carry as much of the original packet as fits, §2.4 (c)).
// IPv4 header: RFC 791 §3.1 (IHL in 32-bit words, TTL at offset 8,
// destination at offset 16). IPv6 header: RFC 8200 §3 (40 bytes, next header
// at 6, destination at 24).
//
// Our echo payload starts with a 64-bit random cookie (host byte order) chosen
// per probe; the rest is zero up to `size`. On Linux datagram ("ping")
// sockets the kernel replaces the identifier with the socket's port and fixes
// the checksum (openwall "ping socket" patch, net/ipv4/ping.c), so replies are
// matched on sequence number + source address + cookie, never on id alone.
//
// Threading: pure functions on caller-owned buffers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace routerpulse::icmp {

enum class Family : uint8_t { v4 = 0, v6 = 1 };

/// Bytes of the ICMP echo header (type, code, checksum, id, sequence).
inline constexpr size_t kEchoHeader = 8;
/// Smallest payload: the cookie.
inline constexpr size_t kCookieBytes = 8;

/// Writes an echo request of `kEchoHeader + payload` bytes into `buf` (which
/// must hold that many). The IPv4 checksum is computed (RFC 1071); the
/// ICMPv6 checksum is left 0 for the kernel (raw ICMPv6 sockets compute it,
/// RFC 3542 §3.1; ping sockets always do). Returns the length.
size_t build_echo_request(uint8_t* buf, Family f, uint16_t id, uint16_t seq, uint64_t cookie, size_t payload);

/// Rewrites id, sequence and cookie of a request built by build_echo_request
/// (same family and length) and refreshes the IPv4 checksum.
void restamp_echo_request(uint8_t* buf, size_t len, Family f, uint16_t id, uint16_t seq, uint64_t cookie);

/// The RFC 1071 Internet checksum of `len` bytes.
uint16_t internet_checksum(const uint8_t* p, size_t len);

/// What a received packet is.
struct Received {
  enum Kind : uint8_t { other, echo_reply, error } kind = other;
  uint16_t id = 0;
  uint16_t seq = 0;
  bool has_cookie = false;
  uint64_t cookie = 0;
  int ttl = -1;  ///< from the IPv4 header (raw IPv4 only); else from ancillary data
  uint8_t type = 0, code = 0;
  /// For errors: the original destination (the target) as raw bytes
  /// (4 or 16), when the packet carries the original IP header.
  bool has_inner_dst = false;
  uint8_t inner_dst[16] = {};
};

/// Parses a packet read from an ICMP socket. `ip_header` is true for raw
/// IPv4 sockets (Linux passes the IPv4 header, raw(7)); IPv6 raw and all
/// datagram sockets deliver the ICMP message only. Returns false for a
/// truncated or malformed packet.
bool parse_packet(const uint8_t* p, size_t n, Family f, bool ip_header, Received& out);

/// Parses the original echo request a datagram socket returns from its error
/// queue (IP_RECVERR / IPV6_RECVERR: the payload is our ICMP message as sent).
bool parse_sent_echo(const uint8_t* p, size_t n, Received& out);

}  // namespace routerpulse::icmp
