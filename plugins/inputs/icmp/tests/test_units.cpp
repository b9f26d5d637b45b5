// icmp: packets, statistics and option checks (no network needed).
#include <catch2/catch.hpp>
#include <cstring>

#include "harness.hpp"
#include "icmp_packet.hpp"
#include "round_stats.hpp"

using namespace routerpulse;
using namespace routerpulse::icmp;
namespace rt = routerpulse::test;

TEST_CASE("echo request: header, cookie, RFC 1071 checksum", "[icmp]") {
  uint8_t buf[128];
  size_t n = build_echo_request(buf, Family::v4, 0x1234, 0xbeef, 0x0102030405060708ULL, 56);
  REQUIRE(n == 64);
  CHECK(buf[0] == 8);
  CHECK(buf[1] == 0);
  CHECK(buf[4] == 0x12);
  CHECK(buf[5] == 0x34);
  CHECK(buf[6] == 0xbe);
  CHECK(buf[7] == 0xef);
  CHECK(internet_checksum(buf, n) == 0);  // a correct checksum sums to zero
  uint64_t cookie;
  std::memcpy(&cookie, buf + 8, 8);
  CHECK(cookie == 0x0102030405060708ULL);
  restamp_echo_request(buf, n, Family::v4, 7, 9, 42);
  CHECK(internet_checksum(buf, n) == 0);
  n = build_echo_request(buf, Family::v6, 1, 2, 3, 4);  // payload below 8 grows to the cookie
  CHECK(n == 16);
  CHECK(buf[0] == 128);
}

TEST_CASE("parse: raw IPv4 reply with header, datagram reply without", "[icmp]") {
  uint8_t pkt[20 + 64] = {};
  pkt[0] = 0x45;
  pkt[8] = 57;  // TTL
  build_echo_request(pkt + 20, Family::v4, 0x4242, 300, 0xdeadbeefULL, 56);
  pkt[20] = 0;  // echo reply
  Received r;
  REQUIRE(parse_packet(pkt, sizeof pkt, Family::v4, true, r));
  CHECK(r.kind == Received::echo_reply);
  CHECK(r.id == 0x4242);
  CHECK(r.seq == 300);
  CHECK(r.has_cookie);
  CHECK(r.cookie == 0xdeadbeefULL);
  CHECK(r.ttl == 57);
  REQUIRE(parse_packet(pkt + 20, 64, Family::v4, false, r));
  CHECK(r.kind == Received::echo_reply);
  CHECK(r.ttl == -1);
  CHECK_FALSE(parse_packet(pkt, 10, Family::v4, true, r));
  // An echo *request* (e.g. to ourselves) is not a reply.
  pkt[20] = 8;
  REQUIRE(parse_packet(pkt, sizeof pkt, Family::v4, true, r));
  CHECK(r.kind == Received::other);
}

TEST_CASE("parse: destination unreachable carries our probe and its target", "[icmp]") {
  // outer IPv4 (20) + ICMP error header (8) + inner IPv4 (20) + our echo (16)
  uint8_t pkt[64] = {};
  pkt[0] = 0x45;
  pkt[20] = 3;  // destination unreachable
  pkt[21] = 1;  // host unreachable
  uint8_t* inner = pkt + 28;
  inner[0] = 0x45;
  inner[9] = 1;  // ICMP
  const uint8_t dst[4] = {10, 203, 0, 2};
  std::memcpy(inner + 16, dst, 4);
  build_echo_request(inner + 20, Family::v4, 77, 1234, 99, 8);
  Received r;
  REQUIRE(parse_packet(pkt, sizeof pkt, Family::v4, true, r));
  CHECK(r.kind == Received::error);
  CHECK(r.type == 3);
  CHECK(r.code == 1);
  CHECK(r.id == 77);
  CHECK(r.seq == 1234);
  CHECK(r.cookie == 99);
  CHECK(r.has_inner_dst);
  CHECK(std::memcmp(r.inner_dst, dst, 4) == 0);
}

TEST_CASE("statistics: min/avg/max, population stddev, jitter of consecutive RTTs", "[icmp]") {
  const int64_t rtts[] = {10'000'000, -1, 14'000'000, 12'000'000};
  RttSummary s = summarize(rtts);
  CHECK(s.n == 3);
  CHECK(s.min_ms == Approx(10.0));
  CHECK(s.max_ms == Approx(14.0));
  CHECK(s.avg_ms == Approx(12.0));
  CHECK(s.stddev_ms == Approx(std::sqrt(8.0 / 3.0)));
  CHECK(s.jitter_ms == Approx((4.0 + 2.0) / 2));  // |14-10|, |12-14|: the lost probe is skipped
  const int64_t one[] = {5'000'000};
  CHECK_FALSE(summarize(one).has_jitter);

  Metric m("icmp");
  TargetTally t;
  t.transmitted = 4;
  t.received = 3;
  t.ttl = 63;
  set_fields(m, t, s);
  CHECK(std::get<double>(*m.field("percent_packet_loss")) == Approx(25.0));
  CHECK(std::get<bool>(*m.field("up")));
  CHECK(std::get<int64_t>(*m.field("ttl")) == 63);
  CHECK(std::get<int64_t>(*m.field("result_code")) == 0);
  Metric d("icmp");
  set_fields(d, TargetTally{3, 0, 0, 1, -1, false}, summarize({}));
  CHECK_FALSE(std::get<bool>(*d.field("up")));
  CHECK(std::get<double>(*d.field("percent_packet_loss")) == 100.0);
  CHECK(std::get<int64_t>(*d.field("icmp_errors")) == 1);
  CHECK(std::get<int64_t>(*d.field("result_code")) == 1);
  CHECK_FALSE(d.field("average_response_ms"));
  CHECK_FALSE(d.field("ttl"));
}

TEST_CASE("options: bad targets are config errors with line and column", "[icmp]") {
  rt::Harness h;
  h.validate(PluginKind::input, "icmp", "count: 2");  // no targets yet: allowed, the input says so at start
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "icmp", "targets:\n  - 10.0.0.1\n  - 10.0.0.300\n"),
                    "<test>:3:5: inputs.icmp.targets[1]: \"10.0.0.300\" is not an IPv4/IPv6 address or a host name");
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "icmp", "targets:\n  - 10.0.0.1 site\n"),
                    "<test>:2:14: inputs.icmp.targets[0]: expected a tag key=value after the address, got \"site\"");
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "icmp", "targets: [{address: 'a..b'}]"),
                    "<test>:1:21: inputs.icmp.targets[0].address: \"a..b\" is not an IPv4/IPv6 address or a host name");
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "icmp", "targets: [10.0.0.1, 10.0.0.1]"),
                    Catch::Contains("<test>:1:21: inputs.icmp.targets[1]: target 10.0.0.1 is listed twice"));
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "icmp", "targets_query: select 1"),
                    Catch::Contains("targets_query: needs targets_dsn"));
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "icmp", "targets: [10.0.0.1]\nmode: root"), Catch::Contains("mode"));
  h.validate(PluginKind::input, "icmp",
             "targets: [192.0.2.1, \"2001:db8::1 site=x\", {address: core1.example.net, tags: {site: north}}]");
}

TEST_CASE("options: a bad targets file line is reported as file:line:col", "[icmp]") {
  rt::TempDir dir;
  rt::write_file(dir.file("t.txt"), "# backbone\n10.0.0.1 site=a\n\n10.0.0.2 site=b pop\n");
  rt::Harness h;
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "icmp", "targets_file: " + dir.file("t.txt")),
                    dir.file("t.txt") +
                        ":4:17: inputs.icmp.targets_file: expected a tag key=value after the "
                        "address, got \"pop\"");
  rt::write_file(dir.file("t.txt"), "10.0.0.1 site=a\n10.0.0.2 site=b\n");
  h.validate(PluginKind::input, "icmp", "targets_file: " + dir.file("t.txt"));
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "icmp", "targets_file: " + dir.file("missing.txt")),
                    Catch::Contains("cannot read targets file"));
}
