// neighbors: rows of /ip/neighbor (v6/v7 shapes, interface lists, untrusted
// strings) and the inventory's candidate / lost / found rules, driven with
// explicit steady times (no sleeping, no network).
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "inventory.hpp"

using namespace routerpulse;
using namespace routerpulse::neighbors;
using namespace std::chrono_literals;

namespace {

routeros::Reply reply(std::vector<std::pair<std::string, std::string>> attrs) {
  routeros::Reply r;
  r.type = routeros::ReplyType::re;
  for (auto& [k, v] : attrs) r.attributes.emplace_back(k, v);
  return r;
}

Neighbor seen(const std::string& router, const std::string& iface, const std::string& mac,
              const std::string& identity = "dev", const std::string& address = "") {
  Neighbor n;
  n.router = router;
  n.interface = iface;
  n.interface_list = iface;
  n.mac = mac;
  n.identity = identity;
  n.address = address;
  n.version = "7.16";
  return n;
}

targets::TargetSpec known(const std::string& name, TagList tags = {}) { return {name, std::move(tags), "test"}; }

std::vector<const Metric*> named(const MetricBatch& b, const std::string& name, const std::string& event = {}) {
  std::vector<const Metric*> out;
  for (const auto& m : b)
    if (m.name() == name && (event.empty() || (m.tag("event") && *m.tag("event") == event))) out.push_back(&m);
  return out;
}

std::string tag(const Metric& m, const std::string& k) { return m.tag(k) ? *m.tag(k) : "<none>"; }

}  // namespace

TEST_CASE("neighbor rows: RouterOS 7 with an interface list, discovered-by, untrusted strings", "[neighbors]") {
  auto n = from_reply(reply({{"interface", "ether5,bond1"},
                             {"address", "10.0.0.7"},
                             {"address4", "10.0.0.7"},
                             {"address6", "fe80::1"},
                             {"mac-address", "4c:5e:0c:11:22:33"},
                             {"identity", std::string("sector-1\0\0\0", 11)},
                             {"platform", "MikroTik"},
                             {"version", "7.16.1 (stable)"},
                             {"board", "RBLHGG-5acD"},
                             {"age", "12s"},
                             {"uptime", "1w2d3h4m5s"},
                             {"discovered-by", "cdp,lldp,mndp"}}),
                      "r1", 64);
  REQUIRE(n);
  CHECK(n->mac == "4C:5E:0C:11:22:33");
  CHECK(n->interface == "ether5");
  CHECK(n->interface_list == "ether5,bond1");
  CHECK(n->identity == "sector-1");
  CHECK(n->address == "10.0.0.7");
  CHECK(n->discovered_by == "cdp,lldp,mndp");
  CHECK(*n->age_s == 12);
  CHECK(*n->uptime_s == 788645);
}

TEST_CASE("neighbor rows: RouterOS 6 (no address4, no discovered-by), IPv6 only, latin-1, caps", "[neighbors]") {
  auto v6 = from_reply(reply({{"interface", "ether2"},
                              {"address", "fe80::400:ff:fe00:4"},
                              {"address6", "fe80::400:ff:fe00:4"},
                              {"mac-address", "04:00:00:00:00:04"},
                              {"identity", "Caf\xE9-AP"},
                              {"platform", std::string(200, 'P')}}),
                       "r6", 32);
  REQUIRE(v6);
  CHECK(v6->address == "fe80::400:ff:fe00:4");  // IPv6 when that is all there is
  CHECK(v6->discovered_by.empty());
  CHECK_FALSE(v6->uptime_s);
  CHECK(v6->identity == "Caf\xC3\xA9-AP");
  CHECK(v6->platform == std::string(32, 'P'));
  CHECK(pick_address("fe80::1", "", "") == "fe80::1");
  CHECK(pick_address("10.1.1.1", "", "fe80::1") == "10.1.1.1");
  CHECK(pick_address("fe80::1", "", "fe80::2") == "fe80::2");
  CHECK_FALSE(from_reply(reply({{"identity", "no-mac"}}), "r", 64));
  CHECK_FALSE(from_reply(reply({{"mac-address", "00:11:22:33:44"}}), "r", 64));
  CHECK(normalize_mac("aa-bb-cc-dd-ee-ff") == "AA:BB:CC:DD:EE:FF");
  CHECK_FALSE(normalize_mac("aa:bb:cc:dd:ee:fg"));
}

TEST_CASE("inventory: a new device is a candidate once, again after candidate_repeat", "[neighbors]") {
  Inventory inv({.candidate_repeat = 24h, .lost_after = 10min});
  inv.set_known({known("02:00:00:00:00:01")});
  const SteadyTime t0{};
  MetricBatch out;
  inv.observe("r1", {seen("r1", "ether1", "02:00:00:00:00:01"), seen("r1", "ether2", "02:00:00:00:00:99", "new")}, t0);
  inv.finish_round(t0, 1, out);
  auto c = named(out, "neighbor_event", "candidate");
  REQUIRE(c.size() == 1);
  CHECK(tag(*c[0], "mac") == "02:00:00:00:00:99");
  CHECK(tag(*c[0], "router") == "r1");
  CHECK(tag(*c[0], "interface") == "ether2");
  CHECK(std::get<std::string>(*c[0]->field("parents")) == "r1:ether2");
  REQUIRE(named(out, "neighbor").size() == 2);
  for (auto* m : named(out, "neighbor")) CHECK(std::get<bool>(*m->field("present")));

  for (auto t : {t0 + 1h, t0 + 23h}) {
    out.clear();
    inv.observe("r1", {seen("r1", "ether1", "02:00:00:00:00:01"), seen("r1", "ether2", "02:00:00:00:00:99", "new")}, t);
    inv.finish_round(t, 2, out);
    CHECK(named(out, "neighbor_event").empty());
  }
  out.clear();
  inv.observe("r1", {seen("r1", "ether1", "02:00:00:00:00:01"), seen("r1", "ether2", "02:00:00:00:00:99", "new")},
              t0 + 24h);
  inv.finish_round(t0 + 24h, 3, out);
  CHECK(named(out, "neighbor_event", "candidate").size() == 1);
  CHECK(inv.counts().candidates == 1);
}

TEST_CASE("inventory: a known device not seen for lost_after is lost, its return is found", "[neighbors]") {
  Inventory inv({.candidate_repeat = 24h, .lost_after = 10min});
  inv.set_known({known("sector-1", {{"site", "north"}})});  // known by identity
  const SteadyTime t0{};
  MetricBatch out;
  inv.observe("r1", {seen("r1", "ether5", "02:00:00:00:00:05", "sector-1")}, t0);
  inv.finish_round(t0, 1, out);
  CHECK(named(out, "neighbor_event").empty());
  auto nm = named(out, "neighbor");
  REQUIRE(nm.size() == 1);
  CHECK(tag(*nm[0], "site") == "north");  // the known entry's tags
  CHECK(tag(*nm[0], "device") == "sector-1");
  CHECK(std::get<bool>(*nm[0]->field("known")));

  // Gone from r1's table: present=false every round, lost after 10 min.
  out.clear();
  inv.observe("r1", {}, t0 + 1min);
  inv.finish_round(t0 + 1min, 2, out);
  nm = named(out, "neighbor");
  REQUIRE(nm.size() == 1);
  CHECK_FALSE(std::get<bool>(*nm[0]->field("present")));
  CHECK(named(out, "neighbor_event").empty());
  out.clear();
  inv.observe("r1", {}, t0 + 10min);
  inv.finish_round(t0 + 10min, 3, out);
  auto lost = named(out, "neighbor_event", "lost");
  REQUIRE(lost.size() == 1);
  CHECK(tag(*lost[0], "identity") == "sector-1");
  CHECK(tag(*lost[0], "router") == "r1");
  CHECK(std::get<double>(*lost[0]->field("last_seen_s")) == 600);
  CHECK(inv.counts().lost == 1);
  out.clear();
  inv.observe("r1", {}, t0 + 20min);
  inv.finish_round(t0 + 20min, 4, out);
  CHECK(named(out, "neighbor_event").empty());  // lost once

  // Back, on another router: found; the old r1 sighting is dropped.
  out.clear();
  inv.observe("r2", {seen("r2", "sfp1", "02:00:00:00:00:05", "sector-1")}, t0 + 30min);
  inv.finish_round(t0 + 30min, 5, out);
  auto found = named(out, "neighbor_event", "found");
  REQUIRE(found.size() == 1);
  CHECK(tag(*found[0], "router") == "r2");
  REQUIRE(named(out, "neighbor").size() == 1);
  CHECK(inv.counts().lost == 0);
}

TEST_CASE("inventory: a router that does not answer cannot lose its devices", "[neighbors]") {
  Inventory inv({.candidate_repeat = 24h, .lost_after = 10min});
  inv.set_known({known("10.0.0.9")});  // known by address
  const SteadyTime t0{};
  MetricBatch out;
  inv.observe("r1", {seen("r1", "ether1", "02:00:00:00:00:09", "x", "10.0.0.9")}, t0);
  inv.finish_round(t0, 1, out);
  CHECK(named(out, "neighbor_event").empty());
  out.clear();
  inv.finish_round(t0 + 1h, 2, out);  // r1 failed every round since
  CHECK(named(out, "neighbor_event").empty());
  out.clear();
  inv.observe("r1", {}, t0 + 1h + 1s);  // r1 answers without it
  inv.finish_round(t0 + 1h + 1s, 3, out);
  CHECK(named(out, "neighbor_event", "lost").size() == 1);
}

TEST_CASE("inventory: a device seen by several routers has all its parents reported", "[neighbors]") {
  Inventory inv({.candidate_repeat = 24h, .lost_after = 10min});
  const SteadyTime t0{};
  MetricBatch out;
  inv.observe("r1", {seen("r1", "ether1", "02:00:00:00:00:0A")}, t0);
  inv.observe("r2", {seen("r2", "ether3", "02:00:00:00:00:0A")}, t0);
  inv.finish_round(t0, 1, out);
  auto c = named(out, "neighbor_event", "candidate");
  REQUIRE(c.size() == 1);  // one event per device
  CHECK(std::get<std::string>(*c[0]->field("parents")) == "r1:ether1,r2:ether3");
  CHECK(named(out, "neighbor").size() == 2);
  const std::string topo = inv.topology_json();
  CHECK(topo.find("\"router\":\"r1\"") != std::string::npos);
  CHECK(topo.find("\"router\":\"r2\"") != std::string::npos);
  CHECK(topo.find("\"candidate\":true") != std::string::npos);
}

TEST_CASE("inventory: a known device never seen is lost after lost_after from the first round", "[neighbors]") {
  Inventory inv({.candidate_repeat = 24h, .lost_after = 10min});
  inv.set_known({known("02:00:00:00:00:77")});
  const SteadyTime t0{};
  MetricBatch out;
  inv.observe("r1", {}, t0);
  inv.finish_round(t0, 1, out, /*events=*/false);
  inv.observe("r1", {}, t0 + 10min);
  inv.finish_round(t0 + 10min, 2, out, /*events=*/false);
  CHECK(named(out, "neighbor_event").empty());  // no events while the known list is not ready
  inv.observe("r1", {}, t0 + 11min);
  inv.finish_round(t0 + 11min, 3, out);
  auto lost = named(out, "neighbor_event", "lost");
  REQUIRE(lost.size() == 1);
  CHECK(tag(*lost[0], "device") == "02:00:00:00:00:77");
  CHECK(tag(*lost[0], "mac") == "02:00:00:00:00:77");
  CHECK_FALSE(lost[0]->field("last_seen_s"));
}

TEST_CASE("inventory: an unknown device that leaves is reported absent once", "[neighbors]") {
  Inventory inv({.candidate_repeat = 24h, .lost_after = 10min});
  const SteadyTime t0{};
  MetricBatch out;
  inv.observe("r1", {seen("r1", "ether1", "02:00:00:00:00:0B")}, t0);
  inv.finish_round(t0, 1, out);
  out.clear();
  inv.observe("r1", {}, t0 + 1min);
  inv.finish_round(t0 + 1min, 2, out);
  auto nm = named(out, "neighbor");
  REQUIRE(nm.size() == 1);
  CHECK_FALSE(std::get<bool>(*nm[0]->field("present")));
  out.clear();
  inv.observe("r1", {}, t0 + 2min);
  inv.finish_round(t0 + 2min, 3, out);
  CHECK(named(out, "neighbor").empty());
}

TEST_CASE("neighbors: option errors name the option, line and column", "[neighbors][config]") {
  test::Harness h;
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "neighbors", "routers: [r1]\nknown: [\"a=b\"]"),
                    "<test>:2:10: inputs.neighbors.known[0]: \"a=b\" is not a MAC address, IP address or device "
                    "identity");
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "neighbors", "routers: [r1]\nknown_dsn: \"host=x\""),
                    "<test>:2:12: inputs.neighbors.known_dsn: is only used with known_query");
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "neighbors", "routers: []\n"),
                    "<test>:1:10: inputs.neighbors.routers: no routers and no mndp listener: nothing to discover");
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "neighbors", "routers: []\nmndp: {listen: \"0.0.0.0\"}"),
                    "<test>:2:16: inputs.neighbors.mndp.listen: expected an IP address and port like 0.0.0.0:5678 or "
                    "[::]:5678, got \"0.0.0.0\"");
  CHECK_THROWS_WITH(h.validate(PluginKind::input, "neighbors", "routers: []\nmndp: {listen: \"0.0.0.0:5678\", x: 1}"),
                    Catch::Contains("inputs.neighbors.mndp") && Catch::Contains("x"));
  CHECK_NOTHROW(h.validate(PluginKind::input, "neighbors",
                           "routers: []\nmndp: {}\nknown: [\"4C:5E:0C:11:22:33 site=north\", {device: sector-1}]"));
}
