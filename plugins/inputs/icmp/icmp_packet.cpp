#include "icmp_packet.hpp"

#include <cstring>

namespace routerpulse::icmp {
namespace {

constexpr uint8_t kEchoRequest4 = 8, kEchoReply4 = 0, kUnreach4 = 3, kTimeExceeded4 = 11;
constexpr uint8_t kEchoRequest6 = 128, kEchoReply6 = 129, kUnreach6 = 1, kTimeExceeded6 = 3;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void put_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

/// Reads the echo header (and cookie) of an ICMP message starting at `p`.
void read_echo(const uint8_t* p, size_t n, Received& out) {
  out.id = be16(p + 4);
  out.seq = be16(p + 6);
  if (n >= kEchoHeader + kCookieBytes) {
    std::memcpy(&out.cookie, p + kEchoHeader, kCookieBytes);
    out.has_cookie = true;
  }
}

}  // namespace

uint16_t internet_checksum(const uint8_t* p, size_t len) {
  uint32_t sum = 0;
  for (; len > 1; p += 2, len -= 2) sum += be16(p);
  if (len) sum += static_cast<uint32_t>(p[0]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

size_t build_echo_request(uint8_t* buf, Family f, uint16_t id, uint16_t seq, uint64_t cookie, size_t payload) {
  if (payload < kCookieBytes) payload = kCookieBytes;
  const size_t len = kEchoHeader + payload;
  std::memset(buf, 0, len);
  buf[0] = f == Family::v4 ? kEchoRequest4 : kEchoRequest6;
  restamp_echo_request(buf, len, f, id, seq, cookie);
  return len;
}

void restamp_echo_request(uint8_t* buf, size_t len, Family f, uint16_t id, uint16_t seq, uint64_t cookie) {
  put_be16(buf + 4, id);
  put_be16(buf + 6, seq);
  std::memcpy(buf + kEchoHeader, &cookie, kCookieBytes);
  buf[2] = buf[3] = 0;
  if (f == Family::v4) put_be16(buf + 2, internet_checksum(buf, len));
}

bool parse_packet(const uint8_t* p, size_t n, Family f, bool ip_header, Received& out) {
  out = Received{};
  if (f == Family::v4 && ip_header) {
    if (n < 20 || (p[0] >> 4) != 4) return false;
    size_t ihl = static_cast<size_t>(p[0] & 0x0f) * 4;
    if (ihl < 20 || n < ihl) return false;
    out.ttl = p[8];
    p += ihl;
    n -= ihl;
  }
  if (n < kEchoHeader) return false;
  out.type = p[0];
  out.code = p[1];
  const bool v4 = f == Family::v4;
  if (out.type == (v4 ? kEchoReply4 : kEchoReply6)) {
    out.kind = Received::echo_reply;
    read_echo(p, n, out);
    return true;
  }
  const bool is_error = v4 ? (out.type == kUnreach4 || out.type == kTimeExceeded4)
                           : (out.type == kUnreach6 || out.type == kTimeExceeded6);
  if (!is_error) return true;  // kind other: e.g. someone else's echo request
  // The original packet follows the 8-byte error header.
  const uint8_t* inner = p + 8;
  size_t m = n - 8;
  size_t inner_hdr;
  if (v4) {
    if (m < 20 || (inner[0] >> 4) != 4 || inner[9] != 1 /* ICMP */) return true;
    inner_hdr = static_cast<size_t>(inner[0] & 0x0f) * 4;
    std::memcpy(out.inner_dst, inner + 16, 4);
  } else {
    if (m < 40 || (inner[0] >> 4) != 6 || inner[6] != 58 /* ICMPv6, no extension headers */) return true;
    inner_hdr = 40;
    std::memcpy(out.inner_dst, inner + 24, 16);
  }
  if (m < inner_hdr + kEchoHeader) return true;
  const uint8_t* echo = inner + inner_hdr;
  if (echo[0] != (v4 ? kEchoRequest4 : kEchoRequest6)) return true;
  out.kind = Received::error;
  out.has_inner_dst = true;
  read_echo(echo, m - inner_hdr, out);
  return true;
}

bool parse_sent_echo(const uint8_t* p, size_t n, Received& out) {
  if (n < kEchoHeader) return false;
  read_echo(p, n, out);
  return true;
}

}  // namespace routerpulse::icmp
