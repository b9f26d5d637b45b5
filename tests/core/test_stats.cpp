#include <catch2/catch.hpp>

#include "routerpulse/health.hpp"
#include "routerpulse/stats.hpp"

using namespace routerpulse;

TEST_CASE("self-metrics: registration is idempotent and exposed", "[stats]") {
  SelfMetrics s;
  auto& c = s.counter("output", "metrics_written_total", "Written", {{"output", "file"}});
  c.inc(5);
  s.counter("output", "metrics_written_total", "Written", {{"output", "file"}}).inc(2);
  CHECK(c.value() == 7);
  s.gauge("output", "buffer_size", "Buffered", {{"output", "file"}}).set(3);
  auto& h = s.histogram("output", "write_latency_seconds", "Latency", {{"output", "file"}});
  h.observe(0.002);
  h.observe(0.2);
  std::string text;
  s.write_prometheus(text);
  CHECK_THAT(text, Catch::Contains("# TYPE routerpulse_output_metrics_written_total counter"));
  CHECK_THAT(text, Catch::Contains("routerpulse_output_metrics_written_total{output=\"file\"} 7"));
  CHECK_THAT(text, Catch::Contains("routerpulse_output_write_latency_seconds_bucket{output=\"file\",le=\"+Inf\"} 2"));
  CHECK_THAT(text, Catch::Contains("routerpulse_output_write_latency_seconds_count{output=\"file\"} 2"));
  auto snap = s.snapshot(1);
  REQUIRE(snap.size() == 1);
  CHECK(snap[0].name() == "internal_output");
  CHECK(*snap[0].tag("output") == "file");
  CHECK(std::get<uint64_t>(*snap[0].field("metrics_written")) == 7);
  CHECK(std::get<double>(*snap[0].field("buffer_size")) == 3);
  CHECK(std::get<uint64_t>(*snap[0].field("write_latency_seconds_count")) == 2);
}

TEST_CASE("histogram quantiles interpolate within buckets", "[stats]") {
  Histogram h({1, 2, 4});
  for (int i = 0; i < 100; ++i) h.observe(1.5);
  CHECK(h.quantile(0.5) > 1.0);
  CHECK(h.quantile(0.5) <= 2.0);
  CHECK(h.count() == 100);
}

TEST_CASE("health: worst state wins, routers degrade", "[health]") {
  HealthRegistry r;
  CHECK(r.overall() == HealthState::healthy);
  r.set_router("pop1", HealthState::unhealthy, "connection refused");
  CHECK(r.overall() == HealthState::degraded);
  r.set_component("outputs.redis_stream", HealthState::unhealthy, "down");
  CHECK(r.overall() == HealthState::unhealthy);
  CHECK_THAT(r.to_json(), Catch::Contains("\"connection refused\""));
}

TEST_CASE("self-metrics: registering a name with another kind is a clear error, never a crash", "[stats]") {
  SelfMetrics s;
  s.counter("lua", "alerts_total", "Alerts", {{"processor", "lua"}});
  // Same labels and new labels: both refused with the full name and both kinds.
  CHECK_THROWS_MATCHES(s.gauge("lua", "alerts_total", "x", {{"processor", "lua"}}), SelfMetricsError,
                       Catch::Message("self-metric routerpulse_lua_alerts_total is already registered as a counter; "
                                      "cannot register it as a gauge"));
  CHECK_THROWS_AS(s.histogram("lua", "alerts_total", "x", {{"processor", "other"}}), SelfMetricsError);
  std::string text;
  s.write_prometheus(text);  // still exposes what was registered
  CHECK_THAT(text, Catch::Contains("routerpulse_lua_alerts_total{processor=\"lua\"} 0"));
}

TEST_CASE("self-metrics scope: plugin name as subsystem, instance labels first", "[stats]") {
  SelfMetrics s;
  SelfMetricsScope a(s, "pg_enrich", {{"processor", "pg_enrich"}, {"pipeline", "customers"}});
  SelfMetricsScope b(s, "pg_enrich", {{"processor", "pg_enrich"}, {"pipeline", "alerts"}});
  a.gauge("cache_entries", "Entries").set(10);
  b.gauge("cache_entries", "Entries").set(20);  // a second instance no longer overwrites the first
  a.subsystem("processor").counter("metrics_processed_total", "In").inc(3);
  std::string text;
  s.write_prometheus(text);
  CHECK_THAT(text,
             Catch::Contains("routerpulse_pg_enrich_cache_entries{processor=\"pg_enrich\",pipeline=\"customers\"} 10"));
  CHECK_THAT(text,
             Catch::Contains("routerpulse_pg_enrich_cache_entries{processor=\"pg_enrich\",pipeline=\"alerts\"} 20"));
  CHECK_THAT(text,
             Catch::Contains(
                 "routerpulse_processor_metrics_processed_total{processor=\"pg_enrich\",pipeline=\"customers\"} 3"));
  CHECK(a.labels({{"query", "q"}}).back() == std::pair<std::string, std::string>{"query", "q"});
}
