// pg_enrich building blocks without a database: batch ordering and deadlines,
// the cache, DSN handling, option parsing (against the plugin's option table),
// row → tag/field conversion.
#include <catch2/catch.hpp>

#include <cstring>
#include <set>

#include "batch_queue.hpp"
#include "enrich_cache.hpp"
#include "harness.hpp"
#include "pg_shared.hpp"
#include "pg_enrich.hpp"
#include "row_mapper.hpp"
#include "settings.hpp"
#include "statements.hpp"

using namespace routerpulse;
using namespace routerpulse::pg_enrich;
using namespace std::chrono_literals;

TEST_CASE("BatchQueue releases in arrival order, at resolution or deadline", "[pg_enrich][unit]") {
  BatchQueue q;
  const auto t0 = ManualClock().steady_now();
  std::vector<std::string> left;
  auto out = [&](BatchQueue::Item&& it) { left.push_back(it.batch.front().name() + (it.waiting ? "!" : "")); };
  auto one = [](const char* n) { return MetricBatch{Metric(n)}; };

  uint64_t a = q.push(one("a"), nullptr, t0 + 50ms, 1);
  uint64_t b = q.push(one("b"), nullptr, t0 + 60ms, 0);
  uint64_t c = q.push(one("c"), nullptr, t0 + 70ms, 2);
  CHECK(b == a + 1);
  CHECK(q.head_deadline() == t0 + 50ms);
  CHECK(q.release_ready(t0, out) == 0);  // b is ready but waits behind a
  q.resolved(a);
  CHECK(q.release_ready(t0, out) == 2);  // a, then b
  q.resolved(c);
  CHECK(q.release_ready(t0 + 69ms, out) == 0);
  CHECK(q.release_ready(t0 + 70ms, out) == 1);  // c at its deadline, one lookup outstanding
  CHECK(left == std::vector<std::string>{"a", "b", "c!"});
  q.resolved(c);  // late answer for a batch that left: ignored
  CHECK(q.empty());
  CHECK_FALSE(q.head_deadline());
}

TEST_CASE("EnrichCache keeps stale entries readable and evicts when full", "[pg_enrich][unit]") {
  EnrichCache cache(10);
  const auto now = ManualClock().steady_now();
  auto e = std::make_shared<Enrichment>();
  e->tags.push_back({"customer_id", "7"});
  cache.put("alice", e, now + 1s, now);
  cache.put("bob", nullptr, now - 1s, now);  // expired negative entry
  REQUIRE(cache.find("alice"));
  CHECK(cache.find("alice")->fresh(now));
  CHECK(cache.find("alice")->value == e);
  REQUIRE(cache.find("bob"));
  CHECK_FALSE(cache.find("bob")->fresh(now));
  CHECK(cache.find("bob")->value == nullptr);
  CHECK(cache.erase("bob"));
  CHECK_FALSE(cache.erase("bob"));

  for (int i = 0; i < 30; ++i) cache.put("k" + std::to_string(i), e, now + 1h, now);
  CHECK(cache.size() <= 10);
  CHECK(cache.evictions() >= 20);

  // Full: entries expired at `now` go first, fresh ones survive.
  EnrichCache small(4);
  small.put("fresh", e, now + 1h, now);
  for (int i = 0; i < 3; ++i) small.put("old" + std::to_string(i), e, now + 1s, now);
  small.put("new", e, now + 1h + 2s, now + 2s);
  CHECK(small.size() == 2);
  CHECK(small.find("fresh"));
  CHECK(small.find("new"));
}

TEST_CASE("DSNs: libpq parses both forms, the password never shows", "[pg_enrich][unit]") {
  auto kv = parse_dsn("host=db.example.net port=6432 dbname=billing user=rp password=s3cret");
  CHECK(kv.display() == "host=db.example.net port=6432 dbname=billing user=rp");
  CHECK(kv.has_password);
  CHECK(kv.needs_resolution());
  auto uri = parse_dsn("postgresql://rp:s3cret@10.0.0.5:5432/billing");
  CHECK(uri.host == "10.0.0.5");
  CHECK(uri.dbname == "billing");
  CHECK(uri.display().find("s3cret") == std::string::npos);
  CHECK_FALSE(uri.needs_resolution());  // numeric address
  CHECK_FALSE(parse_dsn("host=/var/run/postgresql").needs_resolution());
  CHECK_FALSE(parse_dsn("host=a,b").needs_resolution());
  CHECK_FALSE(parse_dsn("host=db hostaddr=10.0.0.1").needs_resolution());
  CHECK_THROWS_AS(parse_dsn("host=x nonsense=1"), DsnError);
  CHECK_THROWS_WITH(parse_dsn("postgresql://[::1"), Catch::Contains("invalid libpq connection string"));
  CHECK(quote_identifier("customers_changed") == "\"customers_changed\"");
  CHECK(quote_identifier("we\"ird") == "\"we\"\"ird\"");
  CHECK(one_line("ERROR:  column \"x\" does not exist\nLINE 1: SELECT x\n               ^") ==
        "ERROR:  column \"x\" does not exist; LINE 1: SELECT x");
  CHECK(one_line("FATAL:  no\n\tIs the server running?\n") == "FATAL:  no; Is the server running?");
}

namespace {
/// Options as the engine hands them to the plugin: with its option table.
Options plugin_options(const std::string& yaml_text) {
  auto file = std::make_shared<const std::string>("agent.yaml");
  Options o(test::yaml(yaml_text), "processors.pg_enrich", file, {PgEnrich::options});
  o.validate_declared();
  return o;
}
}  // namespace

TEST_CASE("Settings: defaults from the option table, renames and column layout", "[pg_enrich][unit]") {
  Options o = plugin_options(
      "dsn: host=127.0.0.1\nkey_tag: pppoe_user\nquery: q $1\n"
      "tags: [customer_id, name]\nfields: [balance]\nrename: {name: customer_name}\n");
  Settings s = Settings::read(o);
  CHECK(s.lookup_timeout == 50ms);
  CHECK(s.ttl == 5min);
  CHECK(s.negative_ttl == 30s);
  CHECK(s.refresh_interval == 5min);
  CHECK(s.preload_timeout == 1min);
  CHECK(s.connect_timeout == 5s);
  CHECK(s.query_timeout == 5s);
  CHECK(s.reconnect_initial == 500ms);
  CHECK(s.reconnect_max == 30s);
  CHECK(s.max_in_flight == 256);
  CHECK(s.max_pending == 100000);
  CHECK(s.cache_max_entries == 1000000);
  CHECK(s.error_log_interval == 1min);
  CHECK(s.on_miss == OnMiss::tag);
  CHECK_FALSE(s.preload_query);
  CHECK_FALSE(s.listen_channel);
  REQUIRE(s.columns.size() == 3);
  CHECK(s.columns[1].column == "name");
  CHECK(s.columns[1].output == "customer_name");
  CHECK(s.columns[1].is_tag);
  CHECK_FALSE(s.columns[2].is_tag);

  CHECK_THROWS_WITH(Settings::read(plugin_options("dsn: host=x\nkey_tag: u\nquery: q\ntags: [a, b]\n"
                                                  "rename: {a: b}\n")),
                    Catch::Contains("would both become tag \"b\""));
  CHECK_THROWS_WITH(Settings::read(plugin_options("dsn: host=x\nkey_tag: \" \"\nquery: q\n")),
                    Catch::Contains("must not be empty"));
  CHECK_THROWS_WITH(Settings::read(plugin_options("dsn: host=x\nkey_tag: u\nquery: q\npreload_query: \" \"\n")),
                    Catch::Contains("leave the option out"));
  CHECK_THROWS_WITH(plugin_options("dsn: host=x\nkey_tag: u\nquery: q\nrefresh_interval: -1s\n"),
                    Catch::Contains("refresh_interval"));
}

TEST_CASE("the option table: every option once, durations that must be positive say so", "[pg_enrich][unit]") {
  std::set<std::string> names;
  for (const auto& spec : PgEnrich::options) CHECK(names.insert(spec.name).second);
  for (const char* name : {"preload_timeout", "ttl", "connect_timeout", "query_timeout", "reconnect_initial",
                           "reconnect_max", "error_log_interval"}) {
    INFO(name);
    const OptionSpec* spec = plugin_options("dsn: x\nkey_tag: u\nquery: q\n").spec(name);
    REQUIRE(spec);
    CHECK(spec->min == kPositive);
  }
  for (const char* gone : {"reconnect_min_interval", "reconnect_max_interval", "validate", "validate_timeout"})
    CHECK_FALSE(names.count(gone));
}

TEST_CASE("RowMapper converts by column type and skips NULLs", "[pg_enrich][unit]") {
  PGresult* raw = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
  REQUIRE(raw);
  std::unique_ptr<PGresult, decltype(&PQclear)> res(raw, PQclear);
  PGresAttDesc cols[6] = {};
  const char* names[6] = {"customer_id", "name", "balance", "active", "plan_mbps", "note"};
  const Oid types[6] = {25, 25, 1700, 16, 20, 25};
  for (int i = 0; i < 6; ++i) {
    cols[i].name = const_cast<char*>(names[i]);
    cols[i].typid = types[i];
    cols[i].format = 0;
    cols[i].typlen = -1;
    cols[i].atttypmod = -1;
  }
  REQUIRE(PQsetResultAttrs(raw, 6, cols));
  const char* vals[6] = {"42", "Ana", "-12.50", "t", "300", nullptr};
  for (int i = 0; i < 6; ++i)
    REQUIRE(PQsetvalue(raw, 0, i, const_cast<char*>(vals[i]), vals[i] ? static_cast<int>(strlen(vals[i])) : -1));

  RowMapper m({{"customer_id", "customer_id", true},
               {"name", "customer_name", true},
               {"balance", "balance", false},
               {"active", "active", false},
               {"plan_mbps", "plan_mbps", false},
               {"note", "note", false}});
  CHECK(m.bind(raw).empty());
  auto e = m.map(raw, 0);
  Metric metric("pppoe_traffic");
  metric.set_tag("pppoe_user", "ana");
  e->apply(metric);
  CHECK(*metric.tag("customer_id") == "42");
  CHECK(*metric.tag("customer_name") == "Ana");
  CHECK(std::get<double>(*metric.field("balance")) == Approx(-12.5));
  CHECK(std::get<bool>(*metric.field("active")) == true);
  CHECK(std::get<int64_t>(*metric.field("plan_mbps")) == 300);
  CHECK(metric.field("note") == nullptr);  // NULL → left out

  RowMapper missing({{"customer_id", "customer_id", true}, {"pakage", "pakage", true}});
  CHECK(missing.bind(raw) == std::vector<std::string>{"pakage"});
  CHECK(column_list(raw) == "customer_id, name, balance, active, plan_mbps, note");
}
