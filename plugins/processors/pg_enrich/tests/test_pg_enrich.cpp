// pg_enrich against a real PostgreSQL: enrichment, on_miss, coalescing,
// ttl/negative_ttl on a ManualClock, NOTIFY invalidation, the SQL check at
// start-up, option validation that never connects, per-pipeline self-metrics.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include "engine/agent.hpp"
#include "engine/sample_config.hpp"
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

/// A loopback TCP listener that never answers: counts who connects to it.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentListener() {
    for (int c : accepted_) ::close(c);
    ::close(fd_);
  }
  int port() const { return port_; }
  /// Accepts whatever is queued; returns how many connected so far.
  int connections() {
    for (int c; (c = ::accept(fd_, nullptr, nullptr)) >= 0;) accepted_.push_back(c);
    return static_cast<int>(accepted_.size());
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> accepted_;
};

std::string yaml_for_port(int port) {
  return "dsn: \"host=127.0.0.1 port=" + std::to_string(port) +
         " dbname=postgres user=postgres\"\nkey_tag: pppoe_user\n"
         "query: SELECT name FROM customers WHERE pppoe_username = $1\ntags: [name]\n";
}

}  // namespace

TEST_CASE("known users get the configured tags and fields, with renames", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  auto e = make_enrich(h, enrich_yaml(pg,
                                      "fields: [customer_number, service_type]\n"
                                      "rename: {name: customer_name, customer_number: customer_no}"));
  e->start();
  MetricBatch in = batch_of({"ana.souza", "bruno.lima"});
  Metric no_key("pppoe_traffic", 1);
  no_key.set_tag("interface", "ether1").set_field("rx_bps", int64_t{5});
  in.push_back(no_key);

  // The clock does not move: the batch waits for its answers (lookup_timeout
  // cannot pass), so the result does not depend on how fast the machine is.
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
  CHECK(e->gauge("sql_ok") == 1);
  CHECK(e->health() == "healthy: ");

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
  ManualClock clock;
  h.clock = &clock;
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
  SECTION("no tags or fields: only known keys pass with on_miss: drop") {
    auto e = make_enrich(h, enrich_yaml(pg, "on_miss: drop", "[]"));
    e->start();
    auto out = e->process(batch_of({"nobody", "ana.souza"}));
    REQUIRE(out);
    REQUIRE(out->size() == 1);
    CHECK(tag_of((*out)[0], "pppoe_user") == "ana.souza");
    CHECK((*out)[0] == traffic("ana.souza"));  // nothing added
  }
}

TEST_CASE("concurrent lookups for one key share one query, batches keep their order", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  auto e = make_enrich(h, enrich_yaml(pg));
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
  CHECK(e->counter("lookup_timeouts_total") == 0);
  std::vector<int> expected(20);
  for (int i = 0; i < 20; ++i) expected[static_cast<size_t>(i)] = i;
  CHECK(order == expected);
}

TEST_CASE("ttl and negative_ttl decide exactly when a key is asked again", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  auto e = make_enrich(h, enrich_yaml(pg, "ttl: 1500ms\nnegative_ttl: 700ms"));
  e->start();

  auto first = e->process(batch_of({"ana.souza", "zed"}));
  REQUIRE(first);
  CHECK(tag_of((*first)[0], "package") == "fiber-100M");
  CHECK(tag_of((*first)[1], "enrich") == "miss");
  CHECK(e->counter("queries_total") == 2);

  // The database changes; no listen_channel, so the cache answers until expiry.
  pg.sql("UPDATE customers SET package = 'fiber-1G' WHERE pppoe_username = 'ana.souza'");
  pg.sql(
      "INSERT INTO customers (name, service_type, pppoe_username, package) "
      "VALUES ('Zed', 'pppoe', 'zed', 'fiber-10M')");
  clock.advance(699ms);
  auto cached = e->process(batch_of({"ana.souza", "zed"}));
  REQUIRE(cached);
  CHECK(tag_of((*cached)[0], "package") == "fiber-100M");
  CHECK(tag_of((*cached)[1], "enrich") == "miss");  // negative entry, still fresh
  CHECK(e->counter("queries_total") == 2);

  clock.advance(1ms);  // negative_ttl is over, ttl is not
  auto negative_expired = e->process(batch_of({"ana.souza", "zed"}));
  REQUIRE(negative_expired);
  CHECK(tag_of((*negative_expired)[0], "package") == "fiber-100M");
  CHECK(tag_of((*negative_expired)[1], "name") == "Zed");
  CHECK(e->counter("queries_total") == 3);

  clock.advance(800ms);  // 1.5 s after the first answer: ttl is over
  auto later = e->process(batch_of({"ana.souza", "zed"}));
  REQUIRE(later);
  CHECK(tag_of((*later)[0], "package") == "fiber-1G");
  CHECK(tag_of((*later)[1], "name") == "Zed");  // zed's entry is 800 ms old
  CHECK(e->counter("queries_total") == 4);
}

TEST_CASE("a batch waits at most lookup_timeout on the component's clock", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  auto e = make_enrich(h, enrich_yaml(pg, "lookup_timeout: 200ms"));
  e->start();
  REQUIRE(e->process(batch_of({"ana.souza"})));  // session up, first answer in
  pg.freeze();
  auto futures = e->process_all({batch_of({"bruno.lima", "ana.souza"})});
  CHECK(futures[0].wait_for(0s) == std::future_status::timeout);  // held: the database cannot answer
  CHECK(clock.advance(199ms) == 0);                               // nothing is due before lookup_timeout
  auto out = get_advancing(futures[0], clock, 1ms);
  pg.thaw();
  REQUIRE(out);
  CHECK(tag_of((*out)[0], "enrich") == "miss");
  CHECK(tag_of((*out)[1], "name") == "Ana Souza");
  CHECK(e->counter("lookup_timeouts_total") == 1);
}

TEST_CASE("a NOTIFY with a key invalidates that key at once", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  ManualClock clock;
  h.clock = &clock;
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

TEST_CASE("an SQL error is found at start-up: logged with the option, unhealthy, counted; metrics flow",
          "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  auto expect_start_error = [&](const std::string& yaml, const std::string& option, std::vector<std::string> words) {
    INFO(yaml);
    CapturedLog log;
    Harness h;
    ManualClock clock;
    h.clock = &clock;
    CHECK_NOTHROW(h.validate(PluginKind::processor, "pg_enrich", yaml));  // check never connects
    auto e = make_enrich(h, yaml);                                        // nor does construction: no error yet
    e->start();
    REQUIRE(wait_until([&] { return e->counter("sql_errors_total") >= 1; }, 10s));
    e->sync();
    CHECK(e->gauge("sql_ok") == 0);
    CHECK(e->gauge("connected") == 0);
    const std::string health = e->health();
    INFO(health);
    CHECK(health.rfind("unhealthy: processors.pg_enrich." + option + ": ", 0) == 0);
    auto errors = log.sink->lines(spdlog::level::err);
    REQUIRE(errors.size() == 1);
    INFO(errors[0]);
    CHECK(errors[0].rfind("processors.pg_enrich." + option + ": ", 0) == 0);
    for (const auto& w : words) {
      CHECK(health.find(w) != std::string::npos);
      CHECK(errors[0].find(w) != std::string::npos);
    }
    auto out = e->process(batch_of({"ana.souza"}));
    REQUIRE(out);
    CHECK(tag_of((*out)[0], "enrich") == "miss");
    // Checked again on the next session (backoff on the clock), still rejected
    // and counted, but not logged again within error_log_interval.
    REQUIRE(advance_until(clock, 1s, [&] { return e->counter("sql_errors_total") >= 2; }));
    e->sync();
    CHECK(log.sink->count(spdlog::level::err) == 1);
    CHECK(e->health().rfind("unhealthy: ", 0) == 0);
  };
  const std::string dsn = "dsn: \"" + pg.dsn() + "\"\nkey_tag: pppoe_user\nreconnect_max: 1s\n";
  expect_start_error(dsn + "query: SELECT pakage FROM customers WHERE pppoe_username = $1\ntags: [pakage]", "query",
                     {"column \"pakage\" does not exist"});
  expect_start_error(dsn + "query: SELECT name FROM customers WHERE pppoe_username = $1\ntags: [name, package]",
                     "query", {"does not return column package", "it returns: name"});
  expect_start_error(dsn + "query: SELECT name FROM customers\ntags: [name]", "query", {"exactly one parameter"});
  expect_start_error(dsn + "query: SELECT name FROM customers WHERE pppoe_username = $1\ntags: [name]\n" +
                         "preload_query: SELECT pppoe_username, nme FROM customers",
                     "preload_query", {"nme"});
  expect_start_error(dsn + "query: SELECT name FROM custmers WHERE pppoe_username = $1\ntags: [name]", "query",
                     {"relation \"custmers\" does not exist"});
}

TEST_CASE("validate and construction never connect; start() does and reports the problem on health", "[pg_enrich]") {
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  SECTION("a database that accepts TCP but never answers") {
    SilentListener db;
    const std::string yaml =
        yaml_for_port(db.port()) + "connect_timeout: 3s\nreconnect_initial: 10s\nreconnect_max: 10s";
    h.validate(PluginKind::processor, "pg_enrich", yaml);
    auto e = make_enrich(h, yaml);
    CHECK(db.connections() == 0);  // `routerpulse check` and a reload never touch the network
    e->start();
    REQUIRE(wait_until([&] { return db.connections() == 1; }, 10s));
    CHECK(e->health().rfind("degraded: connecting to PostgreSQL", 0) == 0);
    auto held = e->process_all({batch_of({"ana.souza"})});  // waits for the session being set up
    CHECK(held[0].wait_for(0s) == std::future_status::timeout);
    clock.advance(3s);  // connect_timeout on the component's clock
    REQUIRE(held[0].wait_for(10s) == std::future_status::ready);
    CHECK(tag_of(held[0].get()[0], "enrich") == "miss");
    REQUIRE(wait_until([&] { return e->counter("connection_errors_total") == 1; }, 10s));
    e->sync();
    CHECK(e->counter("lookup_errors_total") == 1);
    CHECK(e->health().find("degraded: PostgreSQL unavailable") == 0);
    CHECK(e->health().find("connect timed out after 3s") != std::string::npos);
    // The reconnect waits for the backoff on the same clock (10s ± 20%).
    REQUIRE(advance_until(clock, 1s, [&] { return db.connections() == 2; }));
  }
  SECTION("a closed port") {
    const std::string yaml = yaml_for_port(free_port());
    h.validate(PluginKind::processor, "pg_enrich", yaml);
    auto e = make_enrich(h, yaml);
    CHECK(e->counter("connection_errors_total") == 0);
    e->start();
    REQUIRE(wait_until([&] { return e->counter("connection_errors_total") == 1; }, 10s));
    e->sync();
    CHECK(e->gauge("connected") == 0);
    CHECK(e->health().rfind("degraded: PostgreSQL unavailable (host=127.0.0.1 port=", 0) == 0);
    auto out = e->process(batch_of({"ana.souza"}));  // fails at once: no session, none being set up
    REQUIRE(out);
    CHECK(tag_of((*out)[0], "enrich") == "miss");
    CHECK(e->counter("lookup_errors_total") == 1);
  }
}

TEST_CASE("invalid options are ConfigErrors naming the option, found by validate", "[pg_enrich]") {
  Harness h;
  auto expect_error = [&](const std::string& yaml, const std::string& option, const std::string& words) {
    try {
      h.validate(PluginKind::processor, "pg_enrich", yaml);
      FAIL("no ConfigError for: " << yaml);
    } catch (const ConfigError& err) {
      INFO(err.what());
      CHECK(err.option() == option);
      CHECK(std::string(err.what()).find(words) != std::string::npos);
    }
  };
  // 192.0.2.1 is TEST-NET-1: nothing answers there; validate must not care.
  const std::string base = "dsn: host=192.0.2.1\nkey_tag: pppoe_user\nquery: SELECT 1\n";
  expect_error("key_tag: pppoe_user\nquery: q\ntags: [a]", "processors.pg_enrich", "required option \"dsn\"");
  expect_error("dsn: \"host=x bogus=1\"\nkey_tag: u\nquery: q\ntags: [a]", "processors.pg_enrich.dsn",
               "invalid connection option");
  expect_error(base + "tags: [a]\non_miss: ignore", "processors.pg_enrich.on_miss", "pass, drop, tag");
  expect_error(base + "tags: [a]\nrename: {b: c}", "processors.pg_enrich.rename", "not listed");
  expect_error(base + "tags: [a, a]", "processors.pg_enrich.tags", "twice");
  expect_error(base + "tags: [a]\nttl: 0s", "processors.pg_enrich.ttl", "greater than 0");
  expect_error(base + "tags: [a]\nlookup_timeout: soon", "processors.pg_enrich.lookup_timeout", "duration");
  expect_error(base + "tags: [a]\nreconnect_initial: 10s\nreconnect_max: 1s", "processors.pg_enrich.reconnect_max",
               "shorter");
  expect_error(base + "tags: [a]\nreconnect_min_interval: 1s", "processors.pg_enrich.reconnect_min_interval",
               "unknown option");
  expect_error(base + "tags: [a]\nvalidate: false", "processors.pg_enrich.validate", "unknown option");
  expect_error(base + "tags: [a]\ncolour: blue", "processors.pg_enrich.colour", "unknown option");
  CHECK_NOTHROW(h.validate(PluginKind::processor, "pg_enrich", base + "tags: [a]\nfields: [b]\nrename: {a: x}"));
}

TEST_CASE("one processor id in two pipelines: two instances with their own self-metrics", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  auto a = make_enrich(h, enrich_yaml(pg), "customers_a");
  auto b = make_enrich(h, enrich_yaml(pg), "customers_b");
  a->start();
  b->start();
  REQUIRE(a->process(batch_of({"ana.souza"})));
  REQUIRE(b->process(batch_of({"bruno.lima", "carla.m"})));
  CHECK(a->counter("queries_total") == 1);
  CHECK(b->counter("queries_total") == 2);
  CHECK(a->gauge("connected") == 1);
  CHECK(b->gauge("connected") == 1);
  b->stop();
  CHECK(a->gauge("connected") == 1);  // b's stop does not overwrite a's gauge
  CHECK(b->gauge("connected") == 0);
  std::string text;
  h.stats.write_prometheus(text);
  CHECK(text.find("routerpulse_pg_enrich_queries_total{processor=\"pg_enrich\",pipeline=\"customers_a\"} 1") !=
        std::string::npos);
  CHECK(text.find("routerpulse_pg_enrich_queries_total{processor=\"pg_enrich\",pipeline=\"customers_b\"} 2") !=
        std::string::npos);
  CHECK(a->health() == "healthy: ");
  b->component.reset();
}

TEST_CASE("a host name in the dsn is resolved asynchronously and connects", "[pg_enrich]") {
  PgServer& pg = pg_with_seed();
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  std::string yaml = enrich_yaml(pg);
  yaml.replace(yaml.find("host=127.0.0.1"), 14, "host=localhost");
  auto e = make_enrich(h, yaml);
  e->start();
  REQUIRE(wait_until([&] { return e->gauge("connected") == 1; }, 10s));
  auto out = e->process(batch_of({"carla.m"}));
  REQUIRE(out);
  CHECK(tag_of((*out)[0], "name") == "Carla Mendes");
}

TEST_CASE("the sample configuration (`plugins --sample pg_enrich`) passes `check` without a database", "[pg_enrich]") {
  Harness h;
  std::string sample = engine::render_sample(*h.loader.get(PluginKind::processor, "pg_enrich").descriptor);
  INFO(sample);
  CHECK(sample.find("# reconnect_initial: 500ms") != std::string::npos);
  CHECK(sample.find("reconnect_min_interval") == std::string::npos);
  const auto at = sample.find("agent:\n");
  REQUIRE(at != std::string::npos);
  sample.insert(at + 7, "  plugin_dir: " + plugin_dir() + "\n");
  TempDir dir;
  write_file(dir.file("agent.yaml"), sample);
  std::ostringstream out, err;
  CHECK(engine::check_command(dir.file("agent.yaml"), out, err) == 0);
  INFO(err.str());
  CHECK(out.str().find("OK (1 inputs, 1 processors, 1 outputs, 1 pipelines)") != std::string::npos);
}
