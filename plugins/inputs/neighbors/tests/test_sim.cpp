// neighbors against tools/routeros-sim: /ip/neighbor rows of RouterOS 6 and
// 7 shapes, candidate/lost/found as devices appear and disappear (the
// simulator's control port), `!empty`, and the topology route. The input's
// time is a ManualClock; the API sessions use real time on loopback.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "nb_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {
// The simulator's base devices (model_neighbors.cpp): device k of router 0 has
// j = k and MAC 02:00:<j>>8>:<j&255>:00:01.
const std::string kDev1 = "02:00:00:01:00:01", kDev2 = "02:00:00:02:00:01";
}  // namespace

TEST_CASE("neighbors: RouterOS 7.16 rows with their tags, fields and cleaned strings", "[neighbors][sim]") {
  SimProcess sim(1, {"--neighbors", "2", "--neighbor-variety", "--version-string", "7.16.1 (stable)"});
  NeighborsFixture f(&sim);
  f.create("routers: all\n");
  const uint64_t before = sim.stat("commands");
  f.gather();
  CHECK(sim.stat("commands") - before == 1);  // one print per router per round
  auto all = f.named("neighbor");
  REQUIRE(all.size() == 6);
  auto d1 = f.neighbor(kDev1);
  REQUIRE(d1);
  CHECK(tag_of(*d1, "interface") == "ether1");
  CHECK(tag_of(*d1, "identity") == "sim-switch-1");
  CHECK(tag_of(*d1, "platform") == "MikroTik");
  CHECK(tag_of(*d1, "board") == "CCR2004-1G-12S+2XS");
  CHECK(tag_of(*d1, "address") == "10.255.0.2");
  CHECK(tag_of(*d1, "discovered_by") == "cdp,lldp,mndp");  // 7.7+
  CHECK(std::get<std::string>(*d1->field("version")) == "7.16.1 (stable)");
  CHECK(std::get<double>(*d1->field("uptime_s")) > 86400);
  CHECK(std::get<double>(*d1->field("age_s")) >= 0);
  CHECK(std::get<bool>(*d1->field("present")));

  auto bond = f.neighbor("04:00:00:00:00:05");
  REQUIRE(bond);
  CHECK(tag_of(*bond, "interface") == "ether5");  // of `ether5,bond1`
  CHECK(tag_of(*bond, "discovered_by") == "mndp");
  auto cisco = f.neighbor("04:00:00:00:00:02");
  REQUIRE(cisco);
  CHECK(tag_of(*cisco, "identity") == "sw-access-0");  // NUL padding removed
  CHECK(tag_of(*cisco, "board") == "<none>");
  CHECK_FALSE(cisco->field("uptime_s"));
  auto latin = f.neighbor("04:00:00:00:00:03");
  REQUIRE(latin);
  CHECK(tag_of(*latin, "identity") == "Caf\xC3\xA9-AP-0");  // latin-1 → UTF-8
  auto v6 = f.neighbor("04:00:00:00:00:04");
  REQUIRE(v6);
  CHECK(tag_of(*v6, "address") == "fe80::400:ff:fe00:4");
  // Nothing is known: every device is a candidate, once.
  CHECK(f.named("neighbor_event", "candidate").size() == 6);
  f.h.clear_emitted();
  f.gather();
  CHECK(f.named("neighbor_event").empty());
  CHECK(f.stat("candidates") == 6);
  CHECK(f.stat("print_errors_total") == 0);
}

TEST_CASE("neighbors: RouterOS 6 and 7.6 have no discovered-by; 7.7 has", "[neighbors][sim]") {
  for (auto [version, has] :
       {std::pair{"6.49.10 (long-term)", false}, {"7.6 (stable)", false}, {"7.7 (stable)", true}}) {
    INFO(version);
    SimProcess sim(1, {"--neighbors", "1", "--version-string", version});
    NeighborsFixture f(&sim);
    f.create("routers: [r0]\n");
    f.gather();
    auto d1 = f.neighbor(kDev1);
    REQUIRE(d1);
    CHECK((tag_of(*d1, "discovered_by") != "<none>") == has);
    CHECK(tag_of(*d1, "address") == "10.255.0.2");
  }
}

TEST_CASE("neighbors: candidate, lost and found as devices appear and disappear", "[neighbors][sim]") {
  SimProcess sim(1, {"--neighbors", "2"});
  NeighborsFixture f(&sim);
  f.create("routers: all\nknown: [\"" + kDev1 +
           " site=north\", \"10.255.0.3\"]\nlost_after: 1m\ncandidate_repeat: 1h\n");
  f.gather();
  CHECK(f.named("neighbor_event").empty());  // both base devices are known (by MAC and by address)
  REQUIRE(f.neighbor(kDev1));
  CHECK(tag_of(*f.neighbor(kDev1), "site") == "north");

  REQUIRE(sim.control("neighbor 0 add 02:aa:00:00:00:01 newcomer ether7 10.9.9.9") == "ok");
  f.h.clear_emitted();
  f.clock.advance(10s);
  f.gather();
  auto cand = f.named("neighbor_event", "candidate");
  REQUIRE(cand.size() == 1);
  CHECK(tag_of(cand[0], "mac") == "02:AA:00:00:00:01");
  CHECK(tag_of(cand[0], "identity") == "newcomer");
  CHECK(tag_of(cand[0], "interface") == "ether7");
  CHECK(tag_of(cand[0], "address") == "10.9.9.9");
  CHECK(std::get<std::string>(*cand[0].field("parents")) == "r0:ether7");

  REQUIRE(sim.control("neighbor 0 remove " + kDev1) == "ok");
  f.h.clear_emitted();
  f.clock.advance(10s);
  f.gather();
  auto gone = f.neighbor(kDev1);
  REQUIRE(gone);
  CHECK_FALSE(std::get<bool>(*gone->field("present")));
  CHECK(f.named("neighbor_event").empty());  // not yet lost_after
  f.h.clear_emitted();
  f.clock.advance(60s);
  f.gather();
  auto lost = f.named("neighbor_event", "lost");
  REQUIRE(lost.size() == 1);
  CHECK(tag_of(lost[0], "mac") == kDev1);
  CHECK(tag_of(lost[0], "site") == "north");
  CHECK(f.stat("known_lost") == 1);

  REQUIRE(sim.control("neighbor 0 add " + kDev1 + " sim-switch-1 ether1 10.255.0.2") == "ok");
  f.h.clear_emitted();
  f.clock.advance(10s);
  f.gather();
  REQUIRE(f.named("neighbor_event", "found").size() == 1);
  CHECK(f.named("neighbor_event").size() == 1);
  CHECK(f.stat("known_lost") == 0);

  f.h.clear_emitted();
  f.clock.advance(1h);
  f.gather();
  auto again = f.named("neighbor_event", "candidate");
  REQUIRE(again.size() == 1);  // still unknown after candidate_repeat
  CHECK(tag_of(again[0], "mac") == "02:AA:00:00:00:01");
  CHECK(f.stat("events_total") == 4);
}

TEST_CASE("neighbors: an empty table answered with !empty (7.18+) is a good round", "[neighbors][sim]") {
  SimProcess sim(1, {"--neighbors", "1", "--empty-replies", "--version-string", "7.18.2 (stable)"});
  NeighborsFixture f(&sim);
  f.create("routers: all\n");
  f.gather();
  REQUIRE(f.neighbor(kDev1));
  REQUIRE(sim.control("neighbor 0 clear") == "ok");
  f.h.clear_emitted();
  f.gather();
  auto gone = f.neighbor(kDev1);
  REQUIRE(gone);  // reported absent once
  CHECK_FALSE(std::get<bool>(*gone->field("present")));
  f.h.clear_emitted();
  f.gather();
  CHECK(f.named("neighbor").empty());
  CHECK(f.stat("print_errors_total") == 0);
  CHECK(f.stat("rounds_total") == 3);
}

TEST_CASE("neighbors: a router that does not answer keeps its devices and is counted", "[neighbors][sim]") {
  SimProcess sim(2, {"--neighbors", "1"});
  NeighborsFixture f(&sim, 2);
  f.create("routers: all\nknown: [\"" + kDev1 + "\"]\nlost_after: 1m\ntimeout: 1s\n");
  f.gather();
  REQUIRE(f.neighbor(kDev1));
  REQUIRE(sim.control("fault 0 stall") == "ok");
  f.h.clear_emitted();
  f.clock.advance(2min);
  f.gather();
  CHECK(f.named("neighbor_event", "lost").empty());
  CHECK(f.stat("print_errors_total") == 1);
  CHECK(!f.named("neighbor").empty());  // r1 still reports
}

TEST_CASE("neighbors: GET /api/v1/topology is the hierarchy with candidates marked", "[neighbors][sim][http]") {
  SimProcess sim(1, {"--neighbors", "2"});
  NeighborsFixture f(&sim, 1, /*http=*/true);
  f.create("routers: all\nknown: [\"" + kDev1 + "\"]\n");
  f.gather();
  HttpClient client(f.server->port());
  auto r = client.get("/api/v1/topology");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  auto j = nlohmann::json::parse(r.body);
  REQUIRE(j["routers"].size() == 1);
  CHECK(j["routers"][0]["router"] == "r0");
  auto& iface = j["routers"][0]["interfaces"][0];
  CHECK(iface["interface"] == "ether1");
  REQUIRE(iface["neighbors"].size() == 2);
  for (auto& n : iface["neighbors"]) CHECK(n["candidate"] == (n["mac"] != kDev1));
}
