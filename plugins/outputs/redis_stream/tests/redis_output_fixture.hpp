// A redis_stream output hosted by the test Harness, plus helpers to read its
// self-metrics and health.
#pragma once

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "redis_server.hpp"

namespace routerpulse::test {

class RedisOutput {
 public:
  /// Creates and starts the output from YAML options (fast reconnects added
  /// unless the YAML sets reconnect_*).
  explicit RedisOutput(const std::string& yaml, const std::string& id = "redis_stream") : id_(id) {
    std::string opts = yaml;
    if (opts.find("reconnect_initial") == std::string::npos) opts += "\nreconnect_initial: 50ms\nreconnect_max: 200ms";
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

  uint64_t counter(const std::string& name, Labels extra = {}) {
    Labels l{{"output", id_}};
    l.insert(l.end(), extra.begin(), extra.end());
    return h.stats.counter("output", name, "", l).value();
  }
  double gauge(const std::string& name) { return h.stats.gauge("output", name, "", {{"output", id_}}).value(); }
  uint64_t latency_count() { return h.stats.histogram("output", "redis_write_latency_seconds", "", {{"output", id_}}).count(); }

  bool wait_connected(std::chrono::milliseconds t = std::chrono::seconds(15)) {
    return wait_until([this] { return gauge("redis_connected") == 1.0; }, t);
  }
  /// {"status":..,"detail":..} of the output's connection health, or null.
  nlohmann::json health() {
    auto j = nlohmann::json::parse(h.health.to_json());
    auto key = "outputs." + id_ + ".connection";
    return j["components"].contains(key) ? j["components"][key] : nlohmann::json();
  }

  Harness h;

 private:
  std::string id_;
  std::unique_ptr<Component> component_;
  Output* out_ = nullptr;
  PluginContext* ctx_ = nullptr;
};

}  // namespace routerpulse::test
