// pg_enrich against a real PostgreSQL: enrichment, on_miss, coalescing,
// ttl/negative_ttl, NOTIFY invalidation and SQL errors.
#include <catch2/catch.hpp>

#include <thread>

#include "pg_enrich_test_util.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

PgServer& shared_pg() {
  static PgServer pg;
  return pg;
}

/// Fresh customers table with the example rows of etc/seed.sql.
PgServer& pg_with_seed() {
  PgServer& pg = shared_pg();
  pg.sql("DROP TABLE IF EXISTS customers CASCADE");
  pg.load_schema();
  pg.sql_file(source_dir() + "/etc/seed.sql");
  return pg;
}

MetricBatch batch_of(std::initializer_list<std::string> users) {
  MetricBatch b;
  for (const auto& u : users) b.push_back(traffic(u));
  return b;
}

}  // namespace

TEST_CASE("known users get the configured tags and fields, with renames", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  auto e = make_enrich(h, enrich_yaml(pg,
                                      "fields: [customer_number, service_type]\n"
                                      "rename: {name: customer_name, customer_number: customer_no}"));
  e->start();
  MetricBatch in = batch_of({"ana.souza", "bruno.lima"});
  Metric no_key("pppoe_traffic", 1);
  no_key.set_tag("interface", "ether1").set_field("rx_bps", int64_t{5});
  in.push_back(no_key);

  auto out = e->process(in);
  REQUIRE(out);
  REQUIRE(out->size() == 3);
  const Metric& ana = (*out)[0];
  CHECK(tag_of(ana, "pppoe_user") == "ana.souza");
  CHECK(tag_of(ana, "router") == "pop1-core");  // existing tags are kept
  CHECK(tag_of(ana, "customer_name") == "Ana Souza");
  CHECK(tag_of(ana, "package") == "fiber-100M");
  CHECK_FALSE(tag_of(ana, "customer_id").empty());
  CHECK(ana.tag("name") == nullptr);  // renamed away
  CHECK(ana.tag("enrich") == nullptr);
  REQUIRE(ana.field("customer_no"));
  CHECK(std::holds_alternative<int64_t>(*ana.field("customer_no")));  // bigint → int64 field
  CHECK(std::to_string(std::get<int64_t>(*ana.field("customer_no"))) == tag_of(ana, "customer_id"));
  REQUIRE(ana.field("service_type"));
  CHECK(std::get<std::string>(*ana.field("service_type")) == "pppoe");
  CHECK(std::get<int64_t>(*ana.field("rx_bps")) == 1000);

  CHECK(tag_of((*out)[1], "customer_name") == "Bruno Lima");
  CHECK(tag_of((*out)[1], "package") == "fiber-300M");
  CHECK((*out)[2] == no_key);  // no key tag: passed untouched, order kept

  CHECK(e->counter("metrics_enriched_total") == 2);
  CHECK(e->counter("queries_total") == 2);
  CHECK(e->gauge("connected") == 1);

  // Second time: all from the cache, no query.
  auto again = e->process(batch_of({"bruno.lima", "ana.souza"}));
  REQUIRE(again);
  CHECK(tag_of((*again)[0], "customer_name") == "Bruno Lima");
  CHECK(tag_of((*again)[1], "customer_name") == "Ana Souza");
  CHECK(e->counter("queries_total") == 2);
  CHECK(e->counter("cache_hits_total") == 2);
}

TEST_CASE("unknown users follow on_miss", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  SECTION("tag (default): enrich=miss") {
    auto e = make_enrich(h, enrich_yaml(pg));
    e->start();
    auto out = e->process(batch_of({"nobody", "ana.souza"}));
    REQUIRE(out);
    REQUIRE(out->size() == 2);
    CHECK(tag_of((*out)[0], "enrich") == "miss");
    CHECK((*out)[0].tag("customer_id") == nullptr);
    CHECK((*out)[1].tag("enrich") == nullptr);
    CHECK(tag_of((*out)[1], "name") == "Ana Souza");
    CHECK(e->counter("metrics_missed_total") == 1);
  }
  SECTION("pass: unchanged") {
    auto e = make_enrich(h, enrich_yaml(pg, "on_miss: pass"));
    e->start();
    Metric nobody = traffic("nobody");
    auto out = e->process({nobody});
    REQUIRE(out);
    REQUIRE(out->size() == 1);
    CHECK((*out)[0] == nobody);
  }
  SECTION("drop: removed, the rest keeps its order") {
    auto e = make_enrich(h, enrich_yaml(pg, "on_miss: drop"));
    e->start();
    auto out = e->process(batch_of({"bruno.lima", "nobody", "ana.souza", "nobody2"}));
    REQUIRE(out);
    REQUIRE(out->size() == 2);
    CHECK(tag_of((*out)[0], "pppoe_user") == "bruno.lima");
    CHECK(tag_of((*out)[1], "pppoe_user") == "ana.souza");
    CHECK(e->counter("metrics_dropped_total") == 2);
  }
}

TEST_CASE("concurrent lookups for one key share one query, batches keep their order", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  auto e = make_enrich(h, enrich_yaml(pg, "lookup_timeout: 10s"));
  e->start();
  std::vector<MetricBatch> batches;
  for (int i = 0; i < 20; ++i) batches.push_back(batch_of({"carla.m", "carla.m", "nobody"}));
  std::vector<int> order;
  auto futures = e->process_all(std::move(batches), &order);
  for (auto& f : futures) {
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    auto out = f.get();
    REQUIRE(out.size() == 3);
    CHECK(tag_of(out[0], "name") == "Carla Mendes");
    CHECK(tag_of(out[1], "name") == "Carla Mendes");
    CHECK(tag_of(out[2], "enrich") == "miss");
  }
  // One query per distinct key, although 20 batches (60 metrics) asked at once.
  CHECK(e->counter("queries_total") == 2);
  CHECK(e->counter("cache_misses_total") == 60);
  std::vector<int> expected(20);
  for (int i = 0; i < 20; ++i) expected[static_cast<size_t>(i)] = i;
  CHECK(order == expected);
}

TEST_CASE("ttl and negative_ttl decide when a key is asked again", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  auto e = make_enrich(h, enrich_yaml(pg, "ttl: 1500ms\nnegative_ttl: 1500ms"));
  e->start();

  auto first = e->process(batch_of({"ana.souza", "zed"}));
  REQUIRE(first);
  CHECK(tag_of((*first)[0], "package") == "fiber-100M");
  CHECK(tag_of((*first)[1], "enrich") == "miss");
  CHECK(e->counter("queries_total") == 2);

  // The database changes; no listen_channel, so the cache answers until expiry.
  pg.sql("UPDATE customers SET package = 'fiber-1G' WHERE pppoe_username = 'ana.souza'");
  pg.sql("INSERT INTO customers (name, service_type, pppoe_username, package) "
         "VALUES ('Zed', 'pppoe', 'zed', 'fiber-10M')");
  auto cached = e->process(batch_of({"ana.souza", "zed"}));
  REQUIRE(cached);
  const bool still_fresh = e->counter("queries_total") == 2;
  if (still_fresh) {  // this step normally runs well inside the 1.5 s ttl
    CHECK(tag_of((*cached)[0], "package") == "fiber-100M");
    CHECK(tag_of((*cached)[1], "enrich") == "miss");  // negative entry
  } else {
    WARN("machine too slow: the cache entries expired before the cached step");
  }

  std::this_thread::sleep_for(1600ms);
  auto later = e->process(batch_of({"ana.souza", "zed"}));
  REQUIRE(later);
  CHECK(tag_of((*later)[0], "package") == "fiber-1G");
  CHECK(tag_of((*later)[1], "name") == "Zed");
  CHECK(e->counter("queries_total") == (still_fresh ? 4u : 6u));
}

TEST_CASE("a NOTIFY with a key invalidates that key at once", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  auto e = make_enrich(h, enrich_yaml(pg, "ttl: 1h\nlisten_channel: customers_changed"));
  e->start();
  auto first = e->process(batch_of({"ana.souza", "bruno.lima"}));
  REQUIRE(first);
  CHECK(tag_of((*first)[0], "package") == "fiber-100M");

  // etc/schema.sql's trigger NOTIFYs customers_changed with the user name.
  pg.sql("UPDATE customers SET package = 'fiber-1G' WHERE pppoe_username = 'ana.souza'");
  REQUIRE(wait_until([&] { return e->counter("invalidations_total") >= 1; }, 10s));
  auto after = e->process(batch_of({"ana.souza", "bruno.lima"}));
  REQUIRE(after);
  CHECK(tag_of((*after)[0], "package") == "fiber-1G");
  CHECK(tag_of((*after)[1], "package") == "fiber-300M");
  CHECK(e->counter("queries_total") == 3);  // only the invalidated key was asked again

  SECTION("a NOTIFY without payload clears the whole cache") {
    pg.sql("NOTIFY customers_changed");
    REQUIRE(wait_until([&] { return e->counter("invalidations_total") >= 2; }, 10s));
    auto all = e->process(batch_of({"ana.souza", "bruno.lima"}));
    REQUIRE(all);
    CHECK(tag_of((*all)[1], "package") == "fiber-300M");
    CHECK(e->counter("queries_total") == 5);
  }
}

TEST_CASE("an SQL error in the configured query is a ConfigError at construction", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  auto expect_error = [&](const std::string& yaml, std::vector<std::string> words) {
    try {
      make_enrich(h, yaml);
      FAIL("no ConfigError for: " << yaml);
    } catch (const ConfigError& err) {
      std::string what = err.what();
      INFO(what);
      for (const auto& w : words) CHECK(what.find(w) != std::string::npos);
    }
  };
  const std::string dsn = "dsn: \"" + pg.dsn() + "\"\nkey_tag: pppoe_user\n";
  expect_error(dsn + "query: SELECT pakage FROM customers WHERE pppoe_username = $1\ntags: [pakage]",
               {"processors.pg_enrich.query", "column \"pakage\" does not exist"});
  expect_error(dsn + "query: SELECT name FROM customers WHERE pppoe_username = $1\ntags: [name, package]",
               {"processors.pg_enrich.query", "does not return column package", "it returns: name"});
  expect_error(dsn + "query: SELECT name FROM customers\ntags: [name]", {"exactly one parameter"});
  expect_error(dsn + "query: SELECT name FROM customers WHERE pppoe_username = $1\ntags: [name]\n" +
                   "preload_query: SELECT pppoe_username, nme FROM customers",
               {"processors.pg_enrich.preload_query", "nme"});
  expect_error(dsn + "query: SELECT name FROM custmers WHERE pppoe_username = $1\ntags: [name]",
               {"relation \"custmers\" does not exist"});
}

TEST_CASE("with validate: false a broken query is reported at start-up and metrics still flow", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  auto e = make_enrich(h, "dsn: \"" + pg.dsn() +
                              "\"\nkey_tag: pppoe_user\nvalidate: false\nreconnect_max_interval: 1s\n"
                              "query: SELECT pakage FROM customers WHERE pppoe_username = $1\ntags: [pakage]\n");
  e->start();
  REQUIRE(wait_until([&] { return e->counter("sql_errors_total") >= 1; }, 10s));
  auto entry = h.health.to_json();
  CHECK(entry.find("processors.pg_enrich") != std::string::npos);
  CHECK(entry.find("unhealthy") != std::string::npos);
  CHECK(entry.find("pakage") != std::string::npos);
  auto out = e->process(batch_of({"ana.souza"}));
  REQUIRE(out);
  CHECK(tag_of((*out)[0], "enrich") == "miss");
}

TEST_CASE("an unreachable database at construction only skips the SQL check", "[pg_enrich]") {
  Harness h;
  const int closed_port = free_port();
  auto e = make_enrich(h, "dsn: \"host=127.0.0.1 port=" + std::to_string(closed_port) +
                              " dbname=postgres user=postgres\"\nkey_tag: pppoe_user\n"
                              "query: SELECT name FROM customers WHERE pppoe_username = $1\ntags: [name]\n");
  REQUIRE(e->component);
  e->start();
  auto out = e->process(batch_of({"ana.souza"}));
  REQUIRE(out);
  CHECK(tag_of((*out)[0], "enrich") == "miss");
  CHECK(e->counter("lookup_errors_total") + e->counter("lookup_timeouts_total") >= 1);
}

TEST_CASE("invalid options are ConfigErrors naming the option", "[pg_enrich]") {
  Harness h;
  auto expect_error = [&](const std::string& yaml, const std::string& option, const std::string& words) {
    try {
      make_enrich(h, yaml);
      FAIL("no ConfigError for: " << yaml);
    } catch (const ConfigError& err) {
      INFO(err.what());
      CHECK(err.option() == option);
      CHECK(std::string(err.what()).find(words) != std::string::npos);
    }
  };
  const std::string base = "dsn: host=127.0.0.1\nkey_tag: pppoe_user\nquery: SELECT 1\nvalidate: false\n";
  expect_error("key_tag: pppoe_user\nquery: q\ntags: [a]", "processors.pg_enrich.dsn", "required");
  expect_error("dsn: \"host=x bogus=1\"\nkey_tag: u\nquery: q\ntags: [a]", "processors.pg_enrich.dsn",
               "invalid connection option");
  expect_error(base, "processors.pg_enrich", "tags");
  expect_error(base + "tags: [a]\non_miss: ignore", "processors.pg_enrich.on_miss", "pass, drop, tag");
  expect_error(base + "tags: [a]\nrename: {b: c}", "processors.pg_enrich.rename", "not listed");
  expect_error(base + "tags: [a, a]", "processors.pg_enrich.tags", "twice");
  expect_error(base + "tags: [a]\nttl: 0s", "processors.pg_enrich.ttl", "greater than 0");
  expect_error(base + "tags: [a]\nlookup_timeout: soon", "processors.pg_enrich.lookup_timeout", "duration");
  expect_error(base + "tags: [a]\nreconnect_min_interval: 10s\nreconnect_max_interval: 1s",
               "processors.pg_enrich.reconnect_max_interval", "shorter");
  expect_error(base + "tags: [a]\ncolour: blue", "processors.pg_enrich.colour", "unknown option");
}

TEST_CASE("a host name in the dsn is resolved asynchronously and connects", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  std::string yaml = enrich_yaml(pg);
  yaml.replace(yaml.find("host=127.0.0.1"), 14, "host=localhost");
  auto e = make_enrich(h, yaml);
  e->start();
  REQUIRE(wait_until([&] { return e->gauge("connected") == 1; }, 10s));
  auto out = e->process(batch_of({"carla.m"}));
  REQUIRE(out);
  CHECK(tag_of((*out)[0], "name") == "Carla Mendes");
}
