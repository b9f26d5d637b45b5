// pg_enrich when PostgreSQL is down, goes away or hangs: metrics keep flowing
// (from the cache or unenriched), errors are counted, the log is not flooded,
// and the session comes back by itself. Every timeout, TTL and backoff runs on
// a ManualClock, so the counts below are exact.
#include <catch2/catch.hpp>

#include "pg_enrich_test_util.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

const std::string kFastRetry = "reconnect_initial: 100ms\nreconnect_max: 500ms";

bool enriched_as(EnrichUnderTest& e, const std::string& user, const std::string& name) {
  auto out = e.process({traffic(user)});
  return out && out->size() == 1 && tag_of((*out)[0], "name") == name;
}

}  // namespace

TEST_CASE("PostgreSQL down at start: metrics pass unenriched, enrichment starts when it comes up",
          "[pg_enrich][resilience]") {
  PgServer pg;
  seed_customers(pg, 10);
  pg.stop();
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  auto e = make_enrich(h, enrich_yaml(pg, kFastRetry));  // nothing connects before start()
  e->start();
  REQUIRE(wait_until([&] { return e->counter("connection_errors_total") == 1; }, 10s));

  auto out = e->process({traffic("user00001"), traffic("user00002")});
  REQUIRE(out);
  REQUIRE(out->size() == 2);
  CHECK(tag_of((*out)[0], "enrich") == "miss");
  CHECK(tag_of((*out)[1], "enrich") == "miss");
  CHECK(e->counter("lookup_errors_total") == 2);
  CHECK(e->gauge("connected") == 0);
  CHECK(e->health().rfind("degraded: PostgreSQL unavailable", 0) == 0);

  // The next attempt comes after the backoff on the component's clock
  // (100ms ± 20%), not before.
  CHECK(clock.advance(79ms) == 0);
  CHECK(clock.advance(45ms) == 1);
  REQUIRE(wait_until([&] { return e->counter("connection_errors_total") == 2; }, 10s));

  pg.start();
  REQUIRE(advance_until(clock, 100ms, [&] { return enriched_as(*e, "user00001", "Customer 1"); }));
  CHECK(e->gauge("connected") == 1);
  CHECK(e->gauge("sql_ok") == 1);
  CHECK(e->health() == "healthy: ");
}

TEST_CASE("PostgreSQL stopped mid-run: no stall, stale entries still used, errors counted not logged per metric",
          "[pg_enrich][resilience]") {
  PgServer pg;
  seed_customers(pg, 10);
  CapturedLog log;
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  auto e = make_enrich(h, enrich_yaml(pg, kFastRetry + "\nttl: 100ms\nerror_log_interval: 1h"));
  e->start();
  REQUIRE(enriched_as(*e, "user00001", "Customer 1"));
  const int warnings_before = log.sink->count();
  clock.advance(100ms);  // the entry is stale from now on

  pg.stop("fast");
  REQUIRE(wait_until([&] { return e->gauge("connected") == 0; }, 10s));
  e->sync();
  CHECK(e->counter("connection_errors_total") == 1);
  const uint64_t errors_before = e->counter("lookup_errors_total");
  for (int i = 0; i < 200; ++i) {
    auto out = e->process({traffic("user00001"), traffic("user00002")});
    REQUIRE(out);  // every batch is delivered
    REQUIRE(out->size() == 2);
    CHECK(tag_of((*out)[0], "name") == "Customer 1");  // expired entry, refresh impossible: used as is
    CHECK(tag_of((*out)[1], "enrich") == "miss");
  }
  // The clock did not move, so no reconnect was attempted: every lookup of
  // every batch failed at once and was counted...
  CHECK(e->counter("lookup_errors_total") - errors_before == 400);
  CHECK(e->counter("lookup_timeouts_total") == 0);
  // ...but the log got one line for the lost session and one for the failing
  // lookups, not one per metric.
  CHECK(log.sink->count() - warnings_before == 2);

  pg.start();
  REQUIRE(advance_until(clock, 100ms, [&] { return enriched_as(*e, "user00002", "Customer 2"); }));
}

TEST_CASE("a PostgreSQL that stops answering: batches leave at lookup_timeout, the session is replaced",
          "[pg_enrich][resilience]") {
  PgServer pg;
  seed_customers(pg, 10);
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  auto e = make_enrich(h, enrich_yaml(pg, kFastRetry + "\nttl: 100ms\nlookup_timeout: 100ms\nquery_timeout: 1s\n"
                                                       "connect_timeout: 1s"));
  e->start();
  REQUIRE(enriched_as(*e, "user00001", "Customer 1"));
  clock.advance(100ms);  // the entry expires: the next batch asks again

  pg.freeze();
  for (int i = 0; i < 5; ++i) {
    auto f = e->process_all({{traffic("user00001"), traffic("user00003")}});
    CHECK(f[0].wait_for(0s) == std::future_status::timeout);  // held: the lookups cannot be answered
    clock.advance(100ms);                                     // lookup_timeout
    REQUIRE(f[0].wait_for(10s) == std::future_status::ready);
    auto out = f[0].get();
    REQUIRE(out.size() == 2);
    CHECK(tag_of(out[0], "name") == "Customer 1");  // stale entry while the refresh hangs
    CHECK(tag_of(out[1], "enrich") == "miss");
  }
  CHECK(e->counter("lookup_timeouts_total") == 5);
  CHECK(e->counter("queries_total") == 3);  // user00001 twice, user00003 once: later batches share them
  CHECK(e->counter("connection_errors_total") == 0);
  // The oldest request is 500ms old; query_timeout (1s) drops the session.
  REQUIRE(advance_until(clock, 100ms, [&] { return e->counter("connection_errors_total") >= 1; }));
  e->sync();
  CHECK(e->gauge("connected") == 0);
  // The two lookups that were on the wire fail with the session.
  REQUIRE(wait_until([&] { return e->counter("lookup_errors_total") == 2; }, 10s));

  pg.thaw();
  REQUIRE(advance_until(clock, 100ms, [&] { return enriched_as(*e, "user00003", "Customer 3"); }));
}

TEST_CASE("stop() releases batches still waiting for lookups", "[pg_enrich][resilience]") {
  PgServer pg;
  seed_customers(pg, 10);
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  auto e = make_enrich(h, enrich_yaml(pg, "lookup_timeout: 1h\nquery_timeout: 1h"));
  e->start();
  REQUIRE(enriched_as(*e, "user00001", "Customer 1"));
  pg.freeze();
  auto futures = e->process_all({{traffic("user00004")}, {traffic("user00001")}});
  // Held: the lookup is on the wire of a frozen server and the clock stands still.
  CHECK(e->counter("queries_total") == 2);
  CHECK(futures[0].wait_for(0s) == std::future_status::timeout);
  CHECK(futures[1].wait_for(0s) == std::future_status::timeout);  // keeps its place behind the first
  e->stop();
  REQUIRE(futures[0].wait_for(5s) == std::future_status::ready);
  REQUIRE(futures[1].wait_for(5s) == std::future_status::ready);
  auto first = futures[0].get();
  auto second = futures[1].get();
  REQUIRE(first.size() == 1);
  CHECK(tag_of(first[0], "enrich") == "miss");
  REQUIRE(second.size() == 1);
  CHECK(tag_of(second[0], "name") == "Customer 1");
  e->component.reset();
  pg.thaw();
}
