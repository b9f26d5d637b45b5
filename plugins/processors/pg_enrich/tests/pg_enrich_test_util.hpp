// Helpers shared by the pg_enrich tests and benchmark: build the processor
// through the real plugin loader, make traffic metrics, read self-metrics,
// fill the customers table, run batches concurrently.
#pragma once

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"
#include "pg_fixture.hpp"

namespace routerpulse::test {

/// A pg_enrich processor hosted by a Harness.
struct EnrichUnderTest {
  explicit EnrichUnderTest(Harness& harness) : h(harness) {}
  EnrichUnderTest(const EnrichUnderTest&) = delete;
  EnrichUnderTest& operator=(const EnrichUnderTest&) = delete;

  Harness& h;
  std::unique_ptr<Component> component;
  PluginContext* ctx = nullptr;

  Processor& processor() { return static_cast<Processor&>(*component); }
  void start() { h.start(*component, *ctx); }
  void stop() { h.stop(*component, *ctx); }
  /// One batch through process(); nullopt when `next` was not called in time.
  std::optional<MetricBatch> process(MetricBatch batch,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return h.process(processor(), *ctx, std::move(batch), timeout);
  }
  /// Calls process() for every batch in one strand turn (so all arrive before
  /// any answer); futures complete in the order `next` was called.
  std::vector<std::future<MetricBatch>> process_all(std::vector<MetricBatch> batches,
                                                    std::vector<int>* completion_order = nullptr);
  /// A self-metric counter of this processor (`pg_enrich` subsystem).
  uint64_t counter(const std::string& name);
  double gauge(const std::string& name);
  ~EnrichUnderTest() {
    if (component) stop();
  }
};

/// Builds pg_enrich with `yaml` options (throws ConfigError like the agent).
std::unique_ptr<EnrichUnderTest> make_enrich(Harness& h, const std::string& yaml);

/// The usual options: dsn of `pg`, key_tag pppoe_user, a lookup query on the
/// customers table returning customer_id, name, package, service_type and
/// customer_number (bigint); plus `extra` YAML lines (each "key: value").
std::string enrich_yaml(const PgServer& pg, const std::string& extra = {},
                        const std::string& tags = "[customer_id, name, package]");

/// A pppoe_traffic metric for `user` (tag pppoe_user, field rx_bps).
Metric traffic(const std::string& user, int64_t rx_bps = 1000);

/// Loads etc/schema.sql and inserts `n` customers user00001… (name
/// "Customer <i>", package "pkg-<i % 10>", router "pop1-core").
void seed_customers(const PgServer& pg, int n);

/// The value of tag `key` or "" when absent.
std::string tag_of(const Metric& m, const std::string& key);

}  // namespace routerpulse::test
