// neighbors with known devices from PostgreSQL (known_query keyed by MAC,
// address or identity; NOTIFY reloads it) against tools/routeros-sim.
#include <catch2/catch.hpp>

#include "nb_fixture.hpp"
#include "pg_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

TEST_CASE("neighbors: known devices from PostgreSQL; NOTIFY makes a candidate known", "[neighbors][postgres]") {
  std::unique_ptr<PgServer> pg;
  try {
    pg = std::make_unique<PgServer>();
  } catch (const std::exception& e) {
    WARN("skipped: no PostgreSQL: " << e.what());
    return;
  }
  pg->sql(
      "create table devices (key text, site text, role text);"
      "insert into devices values ('02:00:00:01:00:01', 'north', 'switch'),"  // by MAC (sim device 1)
      "  ('10.255.0.3', 'south', null);");                                    // by address (sim device 2)
  SimProcess sim(1, {"--neighbors", "3"});
  NeighborsFixture f(&sim);
  f.create("routers: all\nknown_dsn: \"" + pg->dsn() +
           "\"\nknown_query: select key as device, site, role from devices order by key\n"
           "known_listen: devices_changed\n");
  // Rounds before the query's first answer report sightings but no events.
  REQUIRE(wait_until(
      [&] {
        f.h.clear_emitted();
        f.gather();
        return !f.named("neighbor_event").empty();
      },
      20s));
  auto cand = f.named("neighbor_event", "candidate");
  REQUIRE(cand.size() == 1);  // device 3 only
  CHECK(tag_of(cand[0], "mac") == "02:00:00:03:00:01");
  auto d1 = f.neighbor("02:00:00:01:00:01");
  REQUIRE(d1);
  CHECK(tag_of(*d1, "site") == "north");
  CHECK(tag_of(*d1, "role") == "switch");
  CHECK(tag_of(*d1, "device") == "02:00:00:01:00:01");
  auto d2 = f.neighbor("02:00:00:02:00:01");
  REQUIRE(d2);
  CHECK(tag_of(*d2, "site") == "south");
  CHECK(tag_of(*d2, "role") == "<none>");  // NULL column: no tag
  CHECK(std::get<bool>(*d2->field("known")));

  // Device 3 becomes known by identity through NOTIFY.
  pg->sql("insert into devices values ('sim-switch-3', 'east', 'ap'); notify devices_changed;");
  REQUIRE(wait_until(
      [&] {
        f.h.clear_emitted();
        f.gather();
        auto d3 = f.neighbor("02:00:00:03:00:01");
        return d3 && tag_of(*d3, "site") == "east";
      },
      20s));
  CHECK(f.named("neighbor_event").empty());
  CHECK(f.stat("known_devices") == 3);
  CHECK(f.stat("candidates") == 0);
}
