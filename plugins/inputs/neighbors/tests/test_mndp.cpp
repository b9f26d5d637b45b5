// neighbors: MNDP packets — a golden announcement parsed field by field,
// malformed datagrams refused with a reason, and a fuzz run that never crashes.
#include <catch2/catch.hpp>

#include <random>

#include "mndp_packet.hpp"

using namespace routerpulse::neighbors;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) s.push_back(static_cast<char>(v));
  return s;
}

// An announcement laid out like a RouterOS 7 capture: header `ef 65 00 00`,
// TLVs in the order RouterOS sends them, an unknown type 18 and a latin-1,
// NUL-padded identity.
const std::string kGolden = bytes({
    0xef, 0x65, 0x00, 0x00,                                                 // header (not validated)
    0x00, 0x01, 0x00, 0x06, 0x48, 0xa9, 0x8a, 0x0b, 0x0c, 0x0d,             // 1 MAC 48:A9:8A:0B:0C:0D
    0x00, 0x05, 0x00, 0x08, 'C',  'a',  'f',  0xe9, '-',  'A',  'P', 0x00,  // 5 identity "Caf\xe9-AP\0"
    0x00, 0x07, 0x00, 0x0f, '7',  '.',  '1',  '6',  '.',  '1',  ' ', '(',  's',
    't',  'a',  'b',  'l',  'e',  ')',                                           // 7
    0x00, 0x08, 0x00, 0x08, 'M',  'i',  'k',  'r',  'o',  'T',  'i', 'k',        // 8 platform
    0x00, 0x0a, 0x00, 0x04, 0x10, 0x0e, 0x00, 0x00,                              // 10 uptime 3600 s, little-endian
    0x00, 0x0b, 0x00, 0x09, 'A',  'B',  'C',  'D',  '-',  '1',  '2', '3',  '4',  // 11 software-id
    0x00, 0x0c, 0x00, 0x07, 'R',  'B',  '5',  '0',  '0',  '9',  'U',             // 12 board
    0x00, 0x0e, 0x00, 0x01, 0x01,                                                // 14 unpack
    0x00, 0x0f, 0x00, 0x10, 0xfe, 0x80, 0,    0,    0,    0,    0,   0,    0x4a,
    0xa9, 0x8a, 0xff, 0xfe, 0x0b, 0x0c, 0x0d,                   // 15
    0x00, 0x10, 0x00, 0x06, 'e',  't',  'h',  'e',  'r',  '2',  // 16 interface name
    0x00, 0x11, 0x00, 0x04, 192,  168,  88,   1,                // 17 IPv4
    0x00, 0x12, 0x00, 0x01, 0x00,                               // 18 unknown: skipped
});

}  // namespace

TEST_CASE("mndp: a golden announcement, field by field", "[neighbors][mndp]") {
  MndpAnnouncement a;
  std::string err;
  REQUIRE(parse_mndp(kGolden, a, err) == MndpParse::announcement);
  CHECK(err.empty());
  CHECK(a.mac == "48:A9:8A:0B:0C:0D");
  CHECK(a.identity == std::string("Caf\xe9-AP\0", 8));  // raw: cleaned later
  CHECK(a.version == "7.16.1 (stable)");
  CHECK(a.platform == "MikroTik");
  REQUIRE(a.uptime_s);
  CHECK(*a.uptime_s == 3600);
  CHECK(a.software_id == "ABCD-1234");
  CHECK(a.board == "RB5009U");
  REQUIRE(a.unpack);
  CHECK(*a.unpack == 1);
  CHECK(a.ipv6 == "fe80::4aa9:8aff:fe0b:c0d");
  CHECK(a.interface_name == "ether2");
  CHECK(a.ipv4 == "192.168.88.1");

  const Neighbor n = to_neighbor(a, 64);
  CHECK(n.router.empty());
  CHECK(n.discovered_by == "mndp-agent");
  CHECK(n.identity == "Caf\xC3\xA9-AP");  // latin-1 → UTF-8, NUL padding gone
  CHECK(n.address == "192.168.88.1");     // IPv4 preferred
  CHECK(n.address6 == "fe80::4aa9:8aff:fe0b:c0d");
  REQUIRE(n.uptime_s);
  CHECK(*n.uptime_s == 3600);
}

TEST_CASE("mndp: encode and parse agree", "[neighbors][mndp]") {
  MndpAnnouncement a;
  a.mac = "02:00:00:00:00:2A";
  a.identity = "swos-lab";
  a.platform = "MikroTik";
  a.version = "2.17";
  a.board = "CSS326-24G-2S+";
  a.uptime_s = 0x01020304;
  a.ipv4 = "10.0.0.42";
  const std::string wire = encode_mndp(a);
  MndpAnnouncement b;
  std::string err;
  REQUIRE(parse_mndp(wire, b, err) == MndpParse::announcement);
  CHECK(b.mac == a.mac);
  CHECK(b.identity == a.identity);
  CHECK(b.board == a.board);
  CHECK(*b.uptime_s == 0x01020304);
  CHECK(b.ipv4 == a.ipv4);
  CHECK(b.ipv6.empty());
  CHECK(wire.substr(4 + 4 + 6, 4) == bytes({0, 5, 0, 8}));  // identity TLV header, big-endian
}

TEST_CASE("mndp: a 4-byte datagram is a solicitation, not an error", "[neighbors][mndp]") {
  MndpAnnouncement a;
  std::string err;
  CHECK(parse_mndp(mndp_solicitation(), a, err) == MndpParse::solicitation);
  CHECK(parse_mndp(bytes({0xef, 0x65, 0, 0}), a, err) == MndpParse::solicitation);
}

TEST_CASE("mndp: malformed datagrams are refused with the reason", "[neighbors][mndp]") {
  MndpAnnouncement a;
  std::string err;
  CHECK(parse_mndp(bytes({0, 0}), a, err) == MndpParse::malformed);
  CHECK(err == "shorter than the 4-byte header (2 bytes)");
  CHECK(parse_mndp(bytes({0, 0, 0, 0, 0, 1, 0}), a, err) == MndpParse::malformed);
  CHECK(err == "truncated TLV header at offset 4");
  CHECK(parse_mndp(bytes({0, 0, 0, 0, 0, 5, 0, 9, 'a', 'b'}), a, err) == MndpParse::malformed);
  CHECK(err == "TLV type 5 at offset 4 claims 9 bytes, 2 left");
  CHECK(parse_mndp(bytes({0, 0, 0, 0, 0, 1, 0, 5, 1, 2, 3, 4, 5}), a, err) == MndpParse::malformed);
  CHECK(err == "TLV type 1 has length 5, expected 6");
  CHECK(parse_mndp(bytes({0, 0, 0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 10, 0, 2, 1, 2}), a, err) ==
        MndpParse::malformed);
  CHECK(err == "TLV type 10 has length 2, expected 4");
  CHECK(parse_mndp(bytes({0, 0, 0, 0, 0, 5, 0, 1, 'x'}), a, err) == MndpParse::malformed);
  CHECK(err == "no MAC address TLV (type 1)");
  // A golden packet cut anywhere inside a TLV is refused.
  for (size_t cut = 5; cut < kGolden.size(); ++cut) {
    MndpParse p = parse_mndp(std::string_view(kGolden).substr(0, cut), a, err);
    INFO("cut at " << cut);
    CHECK((p == MndpParse::malformed || p == MndpParse::announcement));
  }
}

TEST_CASE("mndp: fuzzed datagrams never crash and stay within their bytes", "[neighbors][mndp][fuzz]") {
  std::mt19937 rng(16);
  size_t malformed = 0, ok = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string d = kGolden;
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0: d[rng() % d.size()] = static_cast<char>(rng()); break;  // flip a byte
        case 1: d.resize(rng() % (d.size() + 1)); break;                // truncate
        case 2: d.insert(rng() % (d.size() + 1), 1, static_cast<char>(rng())); break;
        default: d.append(rng() % 8, static_cast<char>(rng())); break;
      }
      if (d.empty()) d = "x";
    }
    MndpAnnouncement a;
    std::string err;
    switch (parse_mndp(d, a, err)) {
      case MndpParse::malformed:
        ++malformed;
        REQUIRE_FALSE(err.empty());
        break;
      case MndpParse::announcement:
        ++ok;
        REQUIRE(a.mac.size() == 17);
        REQUIRE(a.identity.size() <= d.size());
        break;
      case MndpParse::solicitation: REQUIRE(d.size() == 4); break;
    }
  }
  CHECK(malformed > 1000);  // the fuzzer does reach the error paths
  CHECK(ok > 100);          // and the tolerant ones (unknown TLVs, odd texts)
}
