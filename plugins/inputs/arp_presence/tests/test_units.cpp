// arp_presence unit tests: ARP / lease / ping row parsing (RouterOS 6 and 7
// shapes), the verdict, the debounce and its events, option errors.
#include <catch2/catch.hpp>

#include "arp_entry.hpp"
#include "harness.hpp"
#include "presence.hpp"

using namespace routerpulse;
using namespace routerpulse::arp_presence;
namespace rr = routerpulse::routeros;

namespace {

rr::Reply row(rr::Attributes a) {
  rr::Reply r;
  r.type = rr::ReplyType::re;
  r.attributes = std::move(a);
  return r;
}

}  // namespace

TEST_CASE("ARP rows: RouterOS 7 status, RouterOS 6 complete flag, key case", "[arp_presence]") {
  auto v7 = parse_arp_row({{"address", "10.0.0.2"},
                           {"mac-address", "02:aa:00:00:00:01"},
                           {"interface", "ether2"},
                           {"status", "stale"},
                           {"complete", "true"},
                           {"dynamic", "true"},
                           {"dhcp", "false"}});
  REQUIRE(v7);
  CHECK(v7->mac == "02:AA:00:00:00:01");
  CHECK(v7->status == ArpStatus::stale);
  CHECK(judge(&*v7) == ArpVerdict::doubt);
  v7->status = ArpStatus::reachable;
  CHECK(judge(&*v7) == ArpVerdict::online);
  v7->disabled = true;
  CHECK(judge(&*v7) == ArpVerdict::offline);

  // RouterOS 6: no status; `DHCP` upper case.
  auto v6 = parse_arp_row({{"address", "10.0.0.3"},
                           {"mac-address", "02:AA:00:00:00:02"},
                           {"complete", "true"},
                           {"dynamic", "true"},
                           {"DHCP", "false"}});
  REQUIRE(v6);
  CHECK(v6->status == ArpStatus::none);
  CHECK(judge(&*v6) == ArpVerdict::online);
  auto v6dhcp = parse_arp_row({{"address", "10.0.0.3"},
                               {"mac-address", "02:AA:00:00:00:02"},
                               {"complete", "true"},
                               {"dynamic", "true"},
                               {"DHCP", "true"}});
  CHECK(v6dhcp->dhcp);
  CHECK(judge(&*v6dhcp) == ArpVerdict::doubt);  // add-arp: follows the lease, not the host
  auto v6static = parse_arp_row(
      {{"address", "10.0.0.3"}, {"mac-address", "02:AA:00:00:00:02"}, {"complete", "true"}, {"dynamic", "false"}});
  CHECK(judge(&*v6static) == ArpVerdict::doubt);
  auto v6gone = parse_arp_row({{"address", "10.0.0.3"}, {"complete", "false"}, {"dynamic", "true"}});
  CHECK(judge(&*v6gone) == ArpVerdict::offline);

  for (auto [status, verdict] : std::vector<std::pair<const char*, ArpVerdict>>{{"reachable", ArpVerdict::online},
                                                                                {"delay", ArpVerdict::doubt},
                                                                                {"probe", ArpVerdict::doubt},
                                                                                {"permanent", ArpVerdict::doubt},
                                                                                {"failed", ArpVerdict::offline},
                                                                                {"incomplete", ArpVerdict::offline}}) {
    auto e = parse_arp_row({{"address", "10.0.0.9"}, {"mac-address", "02:AA:00:00:00:09"}, {"status", status}});
    INFO(status);
    CHECK(judge(&*e) == verdict);
  }
  // A row without MAC (or the all-zero one) proves nothing; none without address.
  auto nomac = parse_arp_row({{"address", "10.0.0.4"}, {"mac-address", "00:00:00:00:00:00"}, {"status", "reachable"}});
  CHECK(nomac->mac.empty());
  CHECK(judge(&*nomac) == ArpVerdict::offline);
  CHECK_FALSE(parse_arp_row({{"mac-address", "02:AA:00:00:00:09"}}));
  CHECK(judge(nullptr) == ArpVerdict::offline);
  // Ranking picks the best of several rows for one address.
  ArpEntry failed, reachable;
  failed.status = ArpStatus::failed;
  reachable.status = ArpStatus::reachable;
  CHECK(reachable.rank() > failed.rank());
}

TEST_CASE("DHCP leases and ping replies", "[arp_presence]") {
  auto l = parse_lease_row({{"address", "10.0.0.2"},
                            {"mac-address", "02:aa:00:00:00:01"},
                            {"status", "bound"},
                            {"last-seen", "1m10s"},
                            {"active-address", "10.0.0.2"},
                            {"active-mac-address", "02:aa:00:00:00:05"}});
  REQUIRE(l);
  CHECK(l->mac == "02:AA:00:00:00:05");
  CHECK(*l->last_seen_s == 70);
  CHECK(lease_online(*l, 600));
  CHECK_FALSE(lease_online(*l, 60));
  auto never = parse_lease_row({{"address", "10.0.0.3"}, {"status", "waiting"}, {"last-seen", "never"}});
  CHECK_FALSE(never->last_seen_s);
  CHECK_FALSE(lease_online(*never, 600));

  auto ok = parse_ping_rows(
      {row({{"seq", "0"}, {"host", "10.0.0.2"}, {"time", "1ms250us"}, {"sent", "1"}, {"received", "1"}})});
  CHECK(ok.replied);
  CHECK(ok.rtt_ms == Approx(1.25));
  auto v6 = parse_ping_rows({row({{"seq", "0"}, {"host", "10.0.0.2"}, {"time", "3ms"}, {"received", "1"}})});
  CHECK(v6.rtt_ms == Approx(3.0));
  auto lost = parse_ping_rows(
      {row({{"seq", "0"}, {"host", "10.0.0.2"}, {"status", "timeout"}, {"sent", "1"}, {"received", "0"}})});
  CHECK_FALSE(lost.replied);
  CHECK_FALSE(parse_ping_rows({}).replied);
  CHECK(normalize_mac("aa-bb-cc-dd-ee-0f") == "AA:BB:CC:DD:EE:0F");
}

TEST_CASE("presence: debounce, events only on known transitions, mac_changed", "[arp_presence]") {
  PresenceState s;
  std::vector<PresenceEvent> ev;
  observe(s, false, "", 1, 2, ev);  // unknown, one miss: not yet offline
  CHECK(s.state == Presence::unknown);
  CHECK_FALSE(reported_online(s));
  observe(s, false, "", 2, 2, ev);  // unknown → offline: no event (start-up)
  CHECK(s.state == Presence::offline);
  CHECK(ev.empty());
  observe(s, true, "02:AA:00:00:00:01", 3, 2, ev);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].event == "online");
  CHECK(s.last_seen_ns == 3);
  ev.clear();
  observe(s, false, "", 4, 2, ev);  // one lost refresh: still online
  CHECK(reported_online(s));
  CHECK(s.misses == 1);
  CHECK(ev.empty());
  observe(s, true, "02:AA:00:00:00:01", 5, 2, ev);  // back: misses reset, no event
  CHECK(s.misses == 0);
  CHECK(ev.empty());
  observe(s, true, "02:AA:00:00:00:99", 6, 2, ev);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].event == "mac_changed");
  CHECK(ev[0].previous_mac == "02:AA:00:00:00:01");
  CHECK(ev[0].mac == "02:AA:00:00:00:99");
  ev.clear();
  observe(s, false, "", 7, 2, ev);
  observe(s, false, "", 8, 2, ev);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].event == "offline");
  CHECK(ev[0].mac == "02:AA:00:00:00:99");
  observe(s, false, "", 9, 2, ev);  // stays offline: no second event
  CHECK(ev.size() == 1);
  CHECK(s.last_seen_ns == 6);
}

TEST_CASE("arp_presence options: errors name file, line and option", "[arp_presence]") {
  test::Harness h;
  auto err = [&](const std::string& yaml) {
    try {
      h.validate(PluginKind::input, "arp_presence", yaml);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_NOTHROW(h.validate(PluginKind::input, "arp_presence", "targets: [\"10.0.0.1 router=r0 customer_id=C1\"]"));
  CHECK_THAT(err("targets: [\"10.0.0.1 customer_id=C1\"]"), Catch::Contains("no router tag"));
  CHECK_THAT(err("targets: [\"cpe.example.net router=r0\"]"), Catch::Contains("must be an IP address"));
  CHECK_THAT(err("source: arpx"), Catch::Contains("source"));
  CHECK_THAT(err("verify_timeout: 30s\ntimeout: 10s"), Catch::Contains("verify_timeout"));
  CHECK_THAT(err("targets_query: select 1"), Catch::Contains("needs targets_dsn"));
  CHECK_THAT(err("offline_after: 0"), Catch::Contains("offline_after"));
}
