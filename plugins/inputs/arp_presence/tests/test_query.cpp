// arp_presence with customers from PostgreSQL (targets_query + targets_listen)
// against tools/routeros-sim: a changed row is followed after its NOTIFY.
#include <catch2/catch.hpp>

#include "arp_fixture.hpp"
#include "pg_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;

TEST_CASE("targets from PostgreSQL: columns become tags, mac is the record, NOTIFY applies a row change",
          "[arp_presence][postgres][sim]") {
  std::unique_ptr<PgServer> pg;
  try {
    pg = std::make_unique<PgServer>();
  } catch (const std::exception& e) {
    WARN("skipped: no PostgreSQL: " << e.what());
    return;
  }
  pg->sql(
      "create table static_customers (ip inet, gw text, customer_id text, mac text, plan text);"
      "insert into static_customers values ('" +
      sim_address(0, 1) + "', 'r0', 'C-1', '" + sim_mac(0, 1) + "', 'biz'), ('" + sim_address(0, 2) +
      "', 'r0', 'C-2', null, null);");
  SimProcess sim(2, {"--arp", "3", "--ping-timeout-ms", "100"});
  ArpFixture f(sim, 2);
  REQUIRE(f.wait_up(0));
  REQUIRE(f.wait_up(1));
  f.create("targets_dsn: \"" + pg->dsn() +
           "\"\n"
           "targets_query: select host(ip) as address, gw as router, customer_id, mac, plan from static_customers\n"
           "targets_listen: customers_changed\n");
  ArpFixture::Round r;
  // Rounds before the query's first answer emit nothing.
  REQUIRE(wait_until(
      [&] {
        r = f.round();
        return r.users.size() == 2;
      },
      std::chrono::seconds(20)));
  const Metric& c1 = r.users.at(sim_address(0, 1));
  CHECK(*c1.tag("customer_id") == "C-1");
  CHECK(*c1.tag("plan") == "biz");
  CHECK_FALSE(c1.tag("mac"));
  CHECK_FALSE(flag(c1, "mac_mismatch"));
  CHECK(flag(c1, "online"));
  CHECK_FALSE(r.users.at(sim_address(0, 2)).tag("plan"));  // NULL: no tag

  // Customer C-2 moves behind router r1 (another address there); the record
  // of C-1 gets the MAC of a new CPE.
  pg->sql("update static_customers set ip = '" + sim_address(1, 2) +
          "', gw = 'r1' where customer_id = 'C-2';"
          "update static_customers set mac = '02:aa:00:00:00:42' where customer_id = 'C-1';"
          "notify customers_changed;");
  REQUIRE(wait_until(
      [&] {
        r = f.round();
        return r.users.count(sim_address(1, 2)) == 1;
      },
      std::chrono::seconds(20)));
  CHECK(r.users.size() == 2);
  CHECK(*r.users.at(sim_address(1, 2)).tag("router") == "r1");
  CHECK(*r.users.at(sim_address(1, 2)).tag("customer_id") == "C-2");
  CHECK(flag(r.users.at(sim_address(1, 2)), "online"));
  CHECK(flag(r.users.at(sim_address(0, 1)), "mac_mismatch"));
}
