// arp_presence against tools/routeros-sim: real API sessions on loopback
// ports of their own; the simulator's hosts change state through its control
// port (`arp <router> <host> <state> [mac=…] [static=yes]`, README.md there).
// Rounds are driven by gather(); nothing waits on time passing except the
// simulator's ping timeout (100 ms here) and a router's session going down.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "arp_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;

namespace {

std::string targets_yaml(int router, int first, int last, const std::map<int, std::string>& macs = {}) {
  std::string y = "targets:\n";
  for (int k = first; k <= last; ++k) {
    y += "  - \"" + sim_address(router, k) + " router=r" + std::to_string(router) + " customer_id=C" +
         std::to_string(router * 1000 + k);
    if (auto it = macs.find(k); it != macs.end()) y += " mac=" + it->second;
    y += "\"\n";
  }
  return y;
}

const std::vector<std::string> kFastPing{"--ping-timeout-ms", "100"};

}  // namespace

TEST_CASE("online / offline / mac_changed with debounce; mac_mismatch against the record", "[arp_presence][sim]") {
  SimProcess sim(1, {"--arp", "6", "--ping-timeout-ms", "100"});
  ArpFixture f(sim, 1);
  REQUIRE(f.wait_up(0));
  // Host 2's MAC on record is another one: a swapped CPE.
  f.create(targets_yaml(0, 1, 4, {{1, sim_mac(0, 1)}, {2, "02:aa:00:00:99:99"}}));
  auto r = f.round();
  REQUIRE(r.ok);
  REQUIRE(r.users.size() == 4);
  CHECK(r.events.empty());
  for (int k = 1; k <= 4; ++k) {
    const Metric& m = r.users.at(sim_address(0, k));
    INFO(to_line_protocol(m));
    CHECK(flag(m, "online"));
    CHECK(flag(m, "router_up"));
    CHECK(text(m, "verified_by") == "arp");
    CHECK(text(m, "arp_status") == "reachable");
    CHECK(text(m, "mac") == sim_mac(0, k));
    CHECK(*m.tag("router") == "r0");
    CHECK(*m.tag("interface") == "ether2");
    CHECK(*m.tag("customer_id") == "C" + std::to_string(k));
    CHECK_FALSE(m.tag("mac"));  // the MAC on record is not a tag
    CHECK(std::get<int64_t>(*m.field("last_seen_s")) == 0);
  }
  CHECK_FALSE(flag(r.users.at(sim_address(0, 1)), "mac_mismatch"));
  CHECK(flag(r.users.at(sim_address(0, 2)), "mac_mismatch"));
  CHECK_FALSE(r.users.at(sim_address(0, 3)).field("mac_mismatch"));  // no MAC on record

  // Host 1 goes away: its entry fails, the router's ping gets no answer.
  REQUIRE(sim.control("arp 0 1 offline") == "ok");
  r = f.round();
  const Metric& h1 = r.users.at(sim_address(0, 1));
  INFO(to_line_protocol(h1));
  CHECK(text(h1, "arp_status") == "failed");
  CHECK(flag(h1, "online"));  // one miss: not yet offline
  CHECK(std::get<int64_t>(*h1.field("consecutive_misses")) == 1);
  CHECK(r.events.empty());
  CHECK(f.stat("verifications") == 1);
  CHECK(f.stat("verification_replies") == 0);
  r = f.round();
  CHECK_FALSE(flag(r.users.at(sim_address(0, 1)), "online"));
  REQUIRE(r.events.size() == 1);
  CHECK(*r.events[0].tag("address") == sim_address(0, 1));
  CHECK(*r.events[0].tag("customer_id") == "C1");
  CHECK(text(r.events[0], "event") == "offline");
  r = f.round();
  CHECK(r.events.empty());  // stays offline: one event only

  REQUIRE(sim.control("arp 0 1 online") == "ok");
  r = f.round();
  CHECK(flag(r.users.at(sim_address(0, 1)), "online"));
  REQUIRE(r.events.size() == 1);
  CHECK(text(r.events[0], "event") == "online");

  // Another device answers for host 3's address.
  REQUIRE(sim.control("arp 0 3 - mac=02:BB:00:00:00:03") == "ok");
  r = f.round();
  REQUIRE(r.events.size() == 1);
  CHECK(text(r.events[0], "event") == "mac_changed");
  CHECK(text(r.events[0], "mac") == "02:BB:00:00:00:03");
  CHECK(text(r.events[0], "previous_mac") == sim_mac(0, 3));
  CHECK(f.stat("events") == 3);
}

TEST_CASE("entries that prove nothing are verified by the router: ping and arp-ping", "[arp_presence][sim]") {
  SimProcess sim(1, {"--arp", "5", "--ping-timeout-ms", "100"});
  REQUIRE(sim.control("arp 0 2 idle") == "ok");                // stale, answers ping
  REQUIRE(sim.control("arp 0 3 noicmp") == "ok");              // stale, drops ICMP, answers ARP
  REQUIRE(sim.control("arp 0 4 offline static=yes") == "ok");  // permanent entry, host gone
  REQUIRE(sim.control("arp 0 5 gone") == "ok");                // no entry at all
  REQUIRE(sim.control("arp 0 3 - rtt=12.5") == "ok");          // a slower CPE
  CHECK_THAT(sim.control("arp 0 3 - rtt=fast"), Catch::StartsWith("error: bad option"));
  ArpFixture f(sim, 1);
  REQUIRE(f.wait_up(0));

  SECTION("ping") {
    f.create(targets_yaml(0, 1, 5));
    auto r = f.round();
    REQUIRE(r.users.size() == 5);
    auto& u = r.users;
    CHECK(text(u.at(sim_address(0, 1)), "verified_by") == "arp");
    CHECK_FALSE(u.at(sim_address(0, 1)).field("rtt_ms"));
    CHECK(text(u.at(sim_address(0, 2)), "arp_status") == "stale");
    CHECK(text(u.at(sim_address(0, 2)), "verified_by") == "ping");
    CHECK(flag(u.at(sim_address(0, 2)), "online"));
    CHECK(std::get<double>(*u.at(sim_address(0, 2)).field("rtt_ms")) == Approx(3.25));  // 1 + 2%5 ms + 250 µs
    CHECK(text(u.at(sim_address(0, 3)), "arp_status") == "stale");
    CHECK_FALSE(flag(u.at(sim_address(0, 3)), "online"));  // drops ICMP: not proven
    CHECK(text(u.at(sim_address(0, 4)), "arp_status") == "permanent");
    CHECK(text(u.at(sim_address(0, 4)), "mac") == sim_mac(0, 4));  // a static entry keeps its MAC...
    CHECK_FALSE(flag(u.at(sim_address(0, 4)), "online"));          // ...but nobody answers
    CHECK(text(u.at(sim_address(0, 5)), "arp_status") == "missing");
    CHECK_FALSE(flag(u.at(sim_address(0, 5)), "online"));
    CHECK(f.stat("verifications") == 4);
    CHECK(f.stat("verification_replies") == 1);
  }
  SECTION("arp-ping") {
    f.create(targets_yaml(0, 1, 5) + "verify: arp-ping\n");
    auto r = f.round();
    auto& u = r.users;
    CHECK(text(u.at(sim_address(0, 2)), "verified_by") == "arp-ping");
    CHECK(text(u.at(sim_address(0, 3)), "verified_by") == "arp-ping");  // answers ARP though not ICMP
    CHECK(std::get<double>(*u.at(sim_address(0, 3)).field("rtt_ms")) == Approx(12.5));
    CHECK_FALSE(flag(u.at(sim_address(0, 4)), "online"));
    CHECK_FALSE(flag(u.at(sim_address(0, 5)), "online"));
  }
  SECTION("max_verifications bounds the pings; the rest keep the table's verdict") {
    f.create(targets_yaml(0, 1, 5) + "max_verifications: 1\n");
    auto r = f.round();
    CHECK(f.stat("verifications") == 1);
    CHECK(f.stat("verifications_skipped") == 3);
    CHECK(text(r.users.at(sim_address(0, 2)), "verified_by") == "ping");  // stale entries go first
    CHECK(text(r.users.at(sim_address(0, 3)), "verified_by") == "arp");   // unverified stale entry counts
    CHECK(flag(r.users.at(sim_address(0, 3)), "online"));
  }
  SECTION("verify: none judges from the table alone") {
    f.create(targets_yaml(0, 1, 5) + "verify: none\n");
    auto r = f.round();
    CHECK(f.stat("verifications") == 0);
    CHECK(flag(r.users.at(sim_address(0, 2)), "online"));
    CHECK(flag(r.users.at(sim_address(0, 4)), "online"));  // the permanent entry fools it: why ping is the default
    CHECK_FALSE(flag(r.users.at(sim_address(0, 5)), "online"));
  }
}

TEST_CASE("RouterOS 6 rows: no status, complete flag, DHCP key", "[arp_presence][sim]") {
  SimProcess sim(1, {"--arp", "3", "--ping-timeout-ms", "100", "--version-string", "6.49.10 (long-term)"});
  REQUIRE(sim.control("arp 0 2 offline") == "ok");
  REQUIRE(sim.control("arp 0 3 offline static=yes") == "ok");
  ArpFixture f(sim, 1);
  REQUIRE(f.wait_up(0));
  f.create(targets_yaml(0, 1, 3));
  auto r = f.round();
  REQUIRE(r.users.size() == 3);
  CHECK(text(r.users.at(sim_address(0, 1)), "arp_status") == "complete");
  CHECK(text(r.users.at(sim_address(0, 1)), "verified_by") == "arp");
  CHECK(text(r.users.at(sim_address(0, 2)), "arp_status") == "incomplete");
  CHECK_FALSE(flag(r.users.at(sim_address(0, 2)), "online"));
  CHECK(text(r.users.at(sim_address(0, 3)), "arp_status") == "complete");  // static: complete, not dynamic
  CHECK_FALSE(flag(r.users.at(sim_address(0, 3)), "online"));              // verified: no answer
  CHECK(f.stat("verifications") == 2);
}

TEST_CASE("!empty replies (RouterOS 7.18+): an empty table or lease list is an answer", "[arp_presence][sim]") {
  SimProcess sim(1, {"--arp", "0", "--empty-replies", "--ping-timeout-ms", "100"});
  ArpFixture f(sim, 1);
  REQUIRE(f.wait_up(0));
  f.create(targets_yaml(0, 1, 2) + "source: both\n");
  auto r = f.round();
  REQUIRE(r.ok);
  REQUIRE(r.users.size() == 2);
  for (const auto& [a, m] : r.users) {
    INFO(to_line_protocol(m));
    CHECK(flag(m, "router_up"));
    CHECK_FALSE(flag(m, "online"));
    CHECK(text(m, "arp_status") == "missing");
  }
  CHECK(f.stat("arp_rows") == 0);
  CHECK(f.stat("verifications") == 2);
}

TEST_CASE("source: dhcp — a bound, recently seen lease proves presence", "[arp_presence][sim]") {
  SimProcess sim(1, {"--arp", "3", "--dhcp-leases", "--ping-timeout-ms", "100"});
  REQUIRE(sim.control("arp 0 2 offline") == "ok");
  REQUIRE(sim.control("arp 0 3 - lease=no") == "ok");
  ArpFixture f(sim, 1);
  REQUIRE(f.wait_up(0));
  f.create(targets_yaml(0, 1, 3) + "source: dhcp\n");
  auto r = f.round();
  REQUIRE(r.users.size() == 3);
  CHECK(text(r.users.at(sim_address(0, 1)), "verified_by") == "dhcp");
  CHECK(text(r.users.at(sim_address(0, 1)), "mac") == sim_mac(0, 1));
  CHECK_FALSE(flag(r.users.at(sim_address(0, 2)), "online"));           // lease waiting; ping unanswered
  CHECK(text(r.users.at(sim_address(0, 3)), "verified_by") == "ping");  // no lease: the router pings
  CHECK(f.stat("lease_rows") == 2);
  CHECK(f.stat("arp_rows") == 0);  // source dhcp reads no ARP table
}

TEST_CASE("a router that is down makes its customers unknown, not offline", "[arp_presence][sim]") {
  SimProcess sim(2, {"--arp", "3", "--ping-timeout-ms", "100"});
  ArpFixture f(sim, 2);
  REQUIRE(f.wait_up(0));
  REQUIRE(f.wait_up(1));
  f.create(targets_yaml(0, 1, 3) + targets_yaml(1, 1, 3).substr(9) + "offline_after: 2\n");
  auto r = f.round();
  REQUIRE(r.users.size() == 6);
  for (const auto& [a, m] : r.users) CHECK(flag(m, "online"));

  REQUIRE(sim.control("fault 1 down") == "ok");
  REQUIRE(f.wait_up(1, false));
  for (int i = 0; i < 3; ++i) {
    r = f.round();
    REQUIRE(r.users.size() == 6);
    CHECK(r.events.empty());
    for (int k = 1; k <= 3; ++k) {
      const Metric& m = r.users.at(sim_address(1, k));
      INFO(to_line_protocol(m));
      CHECK_FALSE(flag(m, "router_up"));
      CHECK_FALSE(m.field("online"));          // unknown: absent, not false
      CHECK(*m.tag("interface") == "ether2");  // the series keeps its tags
      CHECK(flag(r.users.at(sim_address(0, k)), "online"));
    }
  }
  CHECK(f.stat("targets_unknown") == 3);
  CHECK(f.stat("routers_down") == 1);
  auto health = nlohmann::json::parse(f.h.health.to_json())["components"]["inputs.arp_presence"];
  CHECK(health["status"] == "degraded");

  REQUIRE(sim.control("fault 1 none") == "ok");
  REQUIRE(f.wait_up(1));
  r = f.round();
  for (const auto& [a, m] : r.users) CHECK(flag(m, "online"));
  CHECK(r.events.empty());  // it never went offline
}

TEST_CASE("a router that does not answer before the round's deadline is unknown; the round still ends",
          "[arp_presence][sim]") {
  SimProcess sim(2, {"--arp", "2", "--ping-timeout-ms", "100"});
  ArpFixture f(sim, 2);
  REQUIRE(f.wait_up(0));
  REQUIRE(f.wait_up(1));
  // Router 1 holds every command for 3 s: longer than the round's 500 ms.
  REQUIRE(sim.control("fault 1 slow delay=3000") == "ok");
  f.create(targets_yaml(0, 1, 2) + targets_yaml(1, 1, 2).substr(9) + "timeout: 500ms\nverify_timeout: 200ms\n");
  auto r = f.round();
  REQUIRE(r.ok);
  REQUIRE(r.users.size() == 4);
  for (int k = 1; k <= 2; ++k) {
    CHECK(flag(r.users.at(sim_address(0, k)), "online"));
    CHECK_FALSE(flag(r.users.at(sim_address(1, k)), "router_up"));
    CHECK_FALSE(r.users.at(sim_address(1, k)).field("online"));
  }
  CHECK(f.stat("routers_down") == 1);
}

TEST_CASE("a connection lost during the ARP read makes the router unknown for the round", "[arp_presence][sim]") {
  SimProcess sim(1, {"--arp", "2", "--ping-timeout-ms", "100"});
  ArpFixture f(sim, 1);
  REQUIRE(f.wait_up(0));
  f.create(targets_yaml(0, 1, 2));
  // The router holds the read; once it has arrived, the connection drops.
  REQUIRE(sim.control("fault 0 slow delay=5000") == "ok");
  const uint64_t commands = sim.stat("commands");
  f.h.clear_emitted();
  auto done = f.start_gather();
  REQUIRE(wait_until([&] { return sim.stat("commands") > commands; }, std::chrono::seconds(10)));
  REQUIRE(sim.control("fault 0 drop") == "ok");
  REQUIRE(wait_until([&] { return done->load(); }, std::chrono::seconds(10)));  // long before the 20 s deadline
  size_t users = 0;
  for (const auto& m : f.h.emitted()) {
    if (m.name() != "static_user") continue;
    ++users;
    CHECK_FALSE(flag(m, "router_up"));
    CHECK_FALSE(m.field("online"));
  }
  CHECK(users == 2);
  // The next round reads afresh on the new connection.
  REQUIRE(f.wait_up(0));
  auto r = f.round();
  REQUIRE(r.users.size() == 2);
  for (const auto& [a, m] : r.users) CHECK(flag(m, "online"));
}
