// A redis_stream output hosted by the test Harness (the engine's own component
// factory), plus helpers to read its self-metrics and health.
#pragma once

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "redis_server.hpp"

namespace routerpulse::test {

/// Reads the plugin's self-metrics: routerpulse_redis_stream_<name>{output=<id>, extra...}.
class RedisStreamMetrics {
 public:
  RedisStreamMetrics(SelfMetrics& stats, std::string id) : stats_(stats), id_(std::move(id)) {}
  uint64_t counter(const std::string& name, Labels extra = {}) const {
    return stats_.counter("redis_stream", name, "", labels(std::move(extra))).value();
  }
  double gauge(const std::string& name) const { return stats_.gauge("redis_stream", name, "", labels()).value(); }
  uint64_t latency_count() const {
    return stats_.histogram("redis_stream", "write_latency_seconds", "", labels()).count();
  }
  /// write_errors_total{reason}.
  uint64_t errors(const std::string& reason) const { return counter("write_errors_total", {{"reason", reason}}); }

 private:
  Labels labels(Labels extra = {}) const {
    Labels l{{"output", id_}};
    l.insert(l.end(), extra.begin(), extra.end());
    return l;
  }
  SelfMetrics& stats_;
  std::string id_;
};

class RedisOutput {
 public:
  /// Creates and starts the output from YAML options (fast reconnects added
  /// unless the YAML sets reconnect_*). `clock` replaces the system clock.
  explicit RedisOutput(const std::string& yaml, const std::string& id = "redis_stream", Clock* clock = nullptr)
      : metrics_(h.stats, id), id_(id) {
    std::string opts = yaml;
    if (opts.find("reconnect_initial") == std::string::npos) opts += "\nreconnect_initial: 50ms\nreconnect_max: 200ms";
    if (clock) h.clock = clock;
    component_ = h.create(PluginKind::output, "redis_stream", opts, id);
    out_ = dynamic_cast<Output*>(component_.get());
    REQUIRE(out_ != nullptr);
    ctx_ = &h.last_context();
    h.start(*component_, *ctx_);
  }
  ~RedisOutput() { h.stop(*component_, *ctx_); }

  WriteResult write(const MetricBatch& batch) {
    auto r = h.write(*out_, *ctx_, batch, std::chrono::seconds(30));
    REQUIRE(r.has_value());
    return *r;
  }

  Output& output() { return *out_; }
  PluginContext& context() { return *ctx_; }

  uint64_t counter(const std::string& name, Labels extra = {}) { return metrics_.counter(name, std::move(extra)); }
  uint64_t errors(const std::string& reason) { return metrics_.errors(reason); }
  double gauge(const std::string& name) { return metrics_.gauge(name); }
  uint64_t latency_count() { return metrics_.latency_count(); }

  bool wait_connected(std::chrono::milliseconds t = std::chrono::seconds(15)) {
    return wait_until([this] { return gauge("connected") == 1.0; }, t);
  }
  /// {"status":..,"detail":..} of the output's connection health, or null.
  nlohmann::json health() {
    auto j = nlohmann::json::parse(h.health.to_json());
    auto key = "outputs." + id_ + ".connection";
    return j["components"].contains(key) ? j["components"][key] : nlohmann::json();
  }

  Harness h;

 private:
  RedisStreamMetrics metrics_;
  std::string id_;
  std::shared_ptr<Component> component_;
  Output* out_ = nullptr;
  PluginContext* ctx_ = nullptr;
};

}  // namespace routerpulse::test
