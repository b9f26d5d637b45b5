// Helpers shared by the pg_enrich tests and benchmark: build the processor
// through the real plugin loader (test::Harness, the engine's own factory),
// make traffic metrics, read self-metrics, capture the log, fill the customers
// table, run batches concurrently, drive a ManualClock.
#pragma once

#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/sinks/base_sink.h>

#include "harness.hpp"
#include "pg_fixture.hpp"

namespace routerpulse::test {

/// A pg_enrich processor hosted by a Harness.
struct EnrichUnderTest {
  explicit EnrichUnderTest(Harness& harness) : h(harness) {}
  EnrichUnderTest(const EnrichUnderTest&) = delete;
  EnrichUnderTest& operator=(const EnrichUnderTest&) = delete;

  Harness& h;
  std::shared_ptr<Component> component;
  PluginContext* ctx = nullptr;

  Processor& processor() { return static_cast<Processor&>(*component); }
  void start() { h.start(*component, *ctx); }
  /// Returns once everything queued on the component's strand so far has run:
  /// after waiting for one counter, the rest of that handler's effects are in.
  void sync() {
    h.run_on(*ctx, [] {});
  }
  void stop() { h.stop(*component, *ctx); }
  /// One batch through process(); nullopt when `next` was not called in time.
  std::optional<MetricBatch> process(MetricBatch batch, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return h.process(processor(), *ctx, std::move(batch), timeout);
  }
  /// Calls process() for every batch in one strand turn (so all arrive before
  /// any answer) and returns once they were all handed over; futures complete
  /// in the order `next` was called.
  std::vector<std::future<MetricBatch>> process_all(std::vector<MetricBatch> batches,
                                                    std::vector<int>* completion_order = nullptr);
  /// A self-metric of this instance (`routerpulse_pg_enrich_<name>` with its
  /// processor + pipeline labels).
  uint64_t counter(const std::string& name);
  double gauge(const std::string& name);
  /// This instance's entry of /health as "<status>: <detail>" ("" when it has none).
  std::string health();
  ~EnrichUnderTest() {
    if (component) stop();
  }
};

/// Builds pg_enrich with `yaml` options (throws ConfigError like the agent),
/// as component `id` (default pg_enrich) in pipeline `pipeline`.
std::unique_ptr<EnrichUnderTest> make_enrich(Harness& h, const std::string& yaml, const std::string& pipeline = "main",
                                             const std::string& id = {});

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

/// Waits for `f`, advancing `clock` by `step` while it is not ready (a batch
/// released by lookup_timeout). nullopt on timeout.
std::optional<MetricBatch> get_advancing(std::future<MetricBatch>& f, ManualClock& clock, Duration step,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// Records what a component logs (register before Harness::create with the
/// component id: the Harness uses a registered logger of that name).
class LogCapture : public spdlog::sinks::base_sink<std::mutex> {
 public:
  /// Lines at `level` or above.
  std::vector<std::string> lines(spdlog::level::level_enum level = spdlog::level::warn);
  int count(spdlog::level::level_enum level = spdlog::level::warn) { return static_cast<int>(lines(level).size()); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  std::vector<std::pair<spdlog::level::level_enum, std::string>> lines_;
};

struct CapturedLog {
  explicit CapturedLog(std::string id = "pg_enrich");
  ~CapturedLog();
  std::string id;
  std::shared_ptr<LogCapture> sink = std::make_shared<LogCapture>();
};

}  // namespace routerpulse::test
