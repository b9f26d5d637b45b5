#include "mndp_packet.hpp"

#include <arpa/inet.h>

#include <cstdio>

#include "text/untrusted_text.hpp"

namespace routerpulse::neighbors {
namespace {

uint16_t be16(std::string_view s, size_t at) {
  return static_cast<uint16_t>((static_cast<unsigned char>(s[at]) << 8) | static_cast<unsigned char>(s[at + 1]));
}

void put_tlv(std::string& out, uint16_t type, std::string_view value) {
  out.push_back(static_cast<char>(type >> 8));
  out.push_back(static_cast<char>(type & 0xFF));
  out.push_back(static_cast<char>(value.size() >> 8));
  out.push_back(static_cast<char>(value.size() & 0xFF));
  out.append(value);
}

}  // namespace

MndpParse parse_mndp(std::string_view d, MndpAnnouncement& out, std::string& error) {
  out = MndpAnnouncement{};
  if (d.size() < 4) {
    error = "shorter than the 4-byte header (" + std::to_string(d.size()) + " bytes)";
    return MndpParse::malformed;
  }
  if (d.size() == 4) return MndpParse::solicitation;
  size_t at = 4;
  while (at < d.size()) {
    if (d.size() - at < 4) {
      error = "truncated TLV header at offset " + std::to_string(at);
      return MndpParse::malformed;
    }
    const uint16_t type = be16(d, at), len = be16(d, at + 2);
    at += 4;
    if (len > d.size() - at) {
      error = "TLV type " + std::to_string(type) + " at offset " + std::to_string(at - 4) + " claims " +
              std::to_string(len) + " bytes, " + std::to_string(d.size() - at) + " left";
      return MndpParse::malformed;
    }
    const std::string_view v = d.substr(at, len);
    at += len;
    auto need = [&](size_t n) {
      if (len == n) return true;
      error =
          "TLV type " + std::to_string(type) + " has length " + std::to_string(len) + ", expected " + std::to_string(n);
      return false;
    };
    switch (type) {
      case 1: {
        if (!need(6)) return MndpParse::malformed;
        char buf[18];
        std::snprintf(buf, sizeof buf, "%02X:%02X:%02X:%02X:%02X:%02X", static_cast<unsigned char>(v[0]),
                      static_cast<unsigned char>(v[1]), static_cast<unsigned char>(v[2]),
                      static_cast<unsigned char>(v[3]), static_cast<unsigned char>(v[4]),
                      static_cast<unsigned char>(v[5]));
        out.mac = buf;
        break;
      }
      case 5: out.identity.assign(v); break;
      case 7: out.version.assign(v); break;
      case 8: out.platform.assign(v); break;
      case 10:
        if (!need(4)) return MndpParse::malformed;
        out.uptime_s = static_cast<uint32_t>(static_cast<unsigned char>(v[0])) |
                       static_cast<uint32_t>(static_cast<unsigned char>(v[1])) << 8 |
                       static_cast<uint32_t>(static_cast<unsigned char>(v[2])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(v[3])) << 24;
        break;
      case 11: out.software_id.assign(v); break;
      case 12: out.board.assign(v); break;
      case 14:
        if (!need(1)) return MndpParse::malformed;
        out.unpack = static_cast<uint8_t>(v[0]);
        break;
      case 15: {
        if (!need(16)) return MndpParse::malformed;
        char buf[INET6_ADDRSTRLEN];
        if (inet_ntop(AF_INET6, v.data(), buf, sizeof buf)) out.ipv6 = buf;
        break;
      }
      case 16: out.interface_name.assign(v); break;
      case 17: {
        if (!need(4)) return MndpParse::malformed;
        char buf[INET_ADDRSTRLEN];
        if (inet_ntop(AF_INET, v.data(), buf, sizeof buf)) out.ipv4 = buf;
        break;
      }
      default: break;  // unknown types are skipped
    }
  }
  if (out.mac.empty()) {
    error = "no MAC address TLV (type 1)";
    return MndpParse::malformed;
  }
  return MndpParse::announcement;
}

std::string encode_mndp(const MndpAnnouncement& a) {
  std::string out(4, '\0');
  if (!a.mac.empty()) {
    std::string mac;
    for (size_t i = 0; i + 1 < a.mac.size(); i += 3)
      mac.push_back(static_cast<char>(std::stoi(a.mac.substr(i, 2), nullptr, 16)));
    put_tlv(out, 1, mac);
  }
  if (!a.identity.empty()) put_tlv(out, 5, a.identity);
  if (!a.version.empty()) put_tlv(out, 7, a.version);
  if (!a.platform.empty()) put_tlv(out, 8, a.platform);
  if (a.uptime_s) {
    const uint32_t u = *a.uptime_s;
    const char le[4] = {static_cast<char>(u & 0xFF), static_cast<char>((u >> 8) & 0xFF),
                        static_cast<char>((u >> 16) & 0xFF), static_cast<char>(u >> 24)};
    put_tlv(out, 10, std::string_view(le, 4));
  }
  if (!a.software_id.empty()) put_tlv(out, 11, a.software_id);
  if (!a.board.empty()) put_tlv(out, 12, a.board);
  if (a.unpack) put_tlv(out, 14, std::string(1, static_cast<char>(*a.unpack)));
  if (!a.ipv6.empty()) {
    unsigned char b[16];
    if (inet_pton(AF_INET6, a.ipv6.c_str(), b) == 1) put_tlv(out, 15, std::string_view(reinterpret_cast<char*>(b), 16));
  }
  if (!a.interface_name.empty()) put_tlv(out, 16, a.interface_name);
  if (!a.ipv4.empty()) {
    unsigned char b[4];
    if (inet_pton(AF_INET, a.ipv4.c_str(), b) == 1) put_tlv(out, 17, std::string_view(reinterpret_cast<char*>(b), 4));
  }
  return out;
}

Neighbor to_neighbor(const MndpAnnouncement& a, size_t max_text) {
  Neighbor n;
  n.mac = a.mac;
  n.identity = text::clean_untrusted_text(a.identity, max_text);
  n.platform = text::clean_untrusted_text(a.platform, max_text);
  n.board = text::clean_untrusted_text(a.board, max_text);
  n.version = text::clean_untrusted_text(a.version, max_text);
  n.software_id = text::clean_untrusted_text(a.software_id, max_text);
  n.interface_name = text::clean_untrusted_text(a.interface_name, max_text);
  n.address4 = a.ipv4;
  n.address6 = a.ipv6;
  n.address = pick_address({}, a.ipv4, a.ipv6);
  n.discovered_by = "mndp-agent";
  if (a.uptime_s) n.uptime_s = *a.uptime_s;
  return n;
}

}  // namespace routerpulse::neighbors
