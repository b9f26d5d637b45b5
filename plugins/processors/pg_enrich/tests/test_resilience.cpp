// pg_enrich when PostgreSQL is down, goes away or hangs: metrics keep flowing
// (from the cache or unenriched), errors are counted, the log is not flooded,
// and the session comes back by itself.
#include <catch2/catch.hpp>

#include <atomic>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "pg_enrich_test_util.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

/// Counts warnings and errors the processor logs.
class CountingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::atomic<int> warnings{0};

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level >= spdlog::level::warn) ++warnings;
  }
  void flush_() override {}
};

/// Registers the logger the Harness gives the component `pg_enrich`.
struct CapturedLog {
  std::shared_ptr<CountingSink> sink = std::make_shared<CountingSink>();
  CapturedLog() {
    spdlog::drop("pg_enrich");
    spdlog::register_logger(std::make_shared<spdlog::logger>("pg_enrich", sink));
  }
  ~CapturedLog() { spdlog::drop("pg_enrich"); }
};

const std::string kFastRetry = "reconnect_min_interval: 100ms\nreconnect_max_interval: 500ms";

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
  auto e = make_enrich(h, enrich_yaml(pg, kFastRetry));  // the SQL check is skipped with a warning
  e->start();

  auto out = e->process({traffic("user00001"), traffic("user00002")});
  REQUIRE(out);
  REQUIRE(out->size() == 2);
  CHECK(tag_of((*out)[0], "enrich") == "miss");
  CHECK(tag_of((*out)[1], "enrich") == "miss");
  REQUIRE(wait_until([&] { return e->counter("connection_errors_total") >= 1; }, 10s));
  CHECK(e->gauge("connected") == 0);
  CHECK(h.health.to_json().find("degraded") != std::string::npos);

  pg.start();
  REQUIRE(wait_until([&] { return enriched_as(*e, "user00001", "Customer 1"); }, 20s));
  CHECK(e->gauge("connected") == 1);
  CHECK(h.health.to_json().find("\"healthy\"") != std::string::npos);
}

TEST_CASE("PostgreSQL stopped mid-run: no stall, stale entries still used, errors counted not logged per metric",
          "[pg_enrich][resilience]") {
  PgServer pg;
  seed_customers(pg, 10);
  CapturedLog log;
  Harness h;
  auto e = make_enrich(h, enrich_yaml(pg, kFastRetry + "\nttl: 100ms\nerror_log_interval: 1h"));
  e->start();
  REQUIRE(enriched_as(*e, "user00001", "Customer 1"));
  const int warnings_before = log.sink->warnings.load();

  pg.stop("fast");
  REQUIRE(wait_until([&] { return e->gauge("connected") == 0; }, 10s));
  const uint64_t errors_before = e->counter("lookup_errors_total");
  for (int i = 0; i < 200; ++i) {
    auto out = e->process({traffic("user00001"), traffic("user00002")});
    REQUIRE(out);  // every batch is delivered
    REQUIRE(out->size() == 2);
    CHECK(tag_of((*out)[0], "name") == "Customer 1");  // expired entry, refresh impossible: used as is
    CHECK(tag_of((*out)[1], "enrich") == "miss");
  }
  // Each failed lookup is counted...
  CHECK(e->counter("lookup_errors_total") - errors_before >= 200);
  // ...but the log got one line for the outage, not one per metric.
  const int outage_warnings = log.sink->warnings.load() - warnings_before;
  CHECK(outage_warnings >= 1);
  CHECK(outage_warnings <= 2);

  pg.start();
  REQUIRE(wait_until([&] { return enriched_as(*e, "user00002", "Customer 2"); }, 20s));
}

TEST_CASE("a PostgreSQL that stops answering: batches leave at lookup_timeout, the session is replaced",
          "[pg_enrich][resilience]") {
  PgServer pg;
  seed_customers(pg, 10);
  Harness h;
  auto e = make_enrich(h, enrich_yaml(pg, kFastRetry +
                                              "\nttl: 100ms\nlookup_timeout: 100ms\nquery_timeout: 1s\n"
                                              "connect_timeout: 1s"));
  e->start();
  REQUIRE(enriched_as(*e, "user00001", "Customer 1"));
  std::this_thread::sleep_for(150ms);  // let the entry expire: the next batch asks again

  pg.freeze();
  for (int i = 0; i < 5; ++i) {
    auto out = e->process({traffic("user00001"), traffic("user00003")});
    REQUIRE(out);
    REQUIRE(out->size() == 2);
    CHECK(tag_of((*out)[0], "name") == "Customer 1");  // stale entry while the refresh hangs
    CHECK(tag_of((*out)[1], "enrich") == "miss");
  }
  CHECK(e->counter("lookup_timeouts_total") >= 1);
  // The unanswered lookups make the processor drop the session (query_timeout).
  REQUIRE(wait_until([&] { return e->counter("connection_errors_total") >= 1; }, 15s));

  pg.thaw();
  REQUIRE(wait_until([&] { return enriched_as(*e, "user00003", "Customer 3"); }, 30s));
}

TEST_CASE("stop() releases batches still waiting for lookups", "[pg_enrich][resilience]") {
  PgServer pg;
  seed_customers(pg, 10);
  Harness h;
  auto e = make_enrich(h, enrich_yaml(pg, "lookup_timeout: 1h\nquery_timeout: 1h"));
  e->start();
  REQUIRE(enriched_as(*e, "user00001", "Customer 1"));
  pg.freeze();
  auto futures = e->process_all({{traffic("user00004")}, {traffic("user00001")}});
  CHECK(futures[0].wait_for(300ms) == std::future_status::timeout);  // held: its lookup cannot finish
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
