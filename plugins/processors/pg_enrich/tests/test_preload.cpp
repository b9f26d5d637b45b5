// pg_enrich preload_query: the whole mapping loaded at start and every
// refresh_interval (on the component's clock: a ManualClock here), so a POP
// with tens of thousands of customers needs no per-key lookups.
#include <catch2/catch.hpp>

#include <random>

#include "pg_enrich_test_util.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

const std::string kPreload =
    "preload_query: \"SELECT pppoe_username, id::text AS customer_id, name, package, service_type, "
    "id AS customer_number FROM customers WHERE pppoe_username IS NOT NULL\"";

std::string user(int i) {
  std::string n = std::to_string(i);
  return "user" + std::string(5 - n.size(), '0') + n;
}

}  // namespace

TEST_CASE("preload of 50,000 customers answers every key without a lookup query", "[pg_enrich][preload]") {
  PgServer pg;
  seed_customers(pg, 50000);
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  auto e = make_enrich(h, enrich_yaml(pg, kPreload + "\nfields: [customer_number]"));
  e->start();
  REQUIRE(wait_until([&] { return e->counter("preloads_total") >= 1; }, 60s));
  e->sync();
  CHECK(e->gauge("preload_rows") == 50000);
  CHECK(e->gauge("cache_entries") >= 50000);

  std::mt19937 rng(7);
  std::uniform_int_distribution<int> pick(1, 50000);
  MetricBatch batch;
  std::vector<int> ids;
  for (int i = 0; i < 2000; ++i) {
    ids.push_back(pick(rng));
    batch.push_back(traffic(user(ids.back())));
  }
  batch.push_back(traffic(user(50000)));
  ids.push_back(50000);
  auto out = e->process(std::move(batch));
  REQUIRE(out);
  REQUIRE(out->size() == ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    INFO("metric " << i << " user " << user(ids[i]));
    CHECK(tag_of((*out)[i], "name") == "Customer " + std::to_string(ids[i]));
    CHECK(tag_of((*out)[i], "package") == "pkg-" + std::to_string(ids[i] % 10));
    REQUIRE((*out)[i].field("customer_number"));
  }
  CHECK(e->counter("queries_total") == 0);
  CHECK(e->counter("metrics_enriched_total") == ids.size());

  // A key the preload did not have is still looked up one by one.
  pg.sql(
      "INSERT INTO customers (name, service_type, pppoe_username, package) "
      "VALUES ('Late Joiner', 'pppoe', 'late.joiner', 'fiber-10M')");
  auto late = e->process({traffic("late.joiner")});
  REQUIRE(late);
  CHECK(tag_of((*late)[0], "name") == "Late Joiner");
  CHECK(e->counter("queries_total") == 1);
}

TEST_CASE("refresh_interval reloads the mapping", "[pg_enrich][preload]") {
  PgServer pg;
  seed_customers(pg, 100);
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  auto e = make_enrich(h, enrich_yaml(pg, kPreload + "\nrefresh_interval: 5m\nttl: 1h"));
  e->start();
  REQUIRE(wait_until([&] { return e->counter("preloads_total") == 1; }, 20s));
  e->sync();
  CHECK(e->gauge("preload_rows") == 100);
  auto before = e->process({traffic("user00042")});
  REQUIRE(before);
  CHECK(tag_of((*before)[0], "package") == "pkg-2");

  pg.sql("UPDATE customers SET package = 'fiber-1G' WHERE pppoe_username = 'user00042'");
  pg.sql(
      "INSERT INTO customers (name, service_type, pppoe_username, package) "
      "VALUES ('Late Joiner', 'pppoe', 'late.joiner', 'fiber-10M')");
  CHECK(clock.advance(4min) == 1);  // the housekeeping timer only: no refresh before refresh_interval
  CHECK(e->counter("preloads_total") == 1);
  clock.advance(1min);
  REQUIRE(wait_until([&] { return e->counter("preloads_total") == 2; }, 20s));
  e->sync();
  CHECK(e->gauge("preload_rows") == 101);
  auto after = e->process({traffic("user00042"), traffic("late.joiner")});
  REQUIRE(after);
  CHECK(tag_of((*after)[0], "package") == "fiber-1G");
  CHECK(tag_of((*after)[1], "name") == "Late Joiner");
  CHECK(e->counter("queries_total") == 0);  // no lookups: every answer came from a preload
  clock.advance(5min);
  REQUIRE(wait_until([&] { return e->counter("preloads_total") == 3; }, 20s));
  CHECK(e->counter("preload_errors_total") == 0);
}

TEST_CASE("a preload_query that returns the wrong columns is an SQL error at start-up", "[pg_enrich][preload]") {
  PgServer pg;
  seed_customers(pg, 10);
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  auto e = make_enrich(h, enrich_yaml(pg, "preload_query: SELECT pppoe_username, name FROM customers"));
  e->start();
  REQUIRE(wait_until([&] { return e->counter("sql_errors_total") >= 1; }, 20s));
  e->sync();
  CHECK(e->health().find("processors.pg_enrich.preload_query") != std::string::npos);
  CHECK(e->health().find("does not return columns customer_id, package") != std::string::npos);
  CHECK(e->counter("preloads_total") == 0);
}
