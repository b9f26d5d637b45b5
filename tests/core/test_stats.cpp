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
