// Test support for the lua processor: runs the real plugin (loaded from
// build/plugins) through the harness, with scripts written to a temp dir.
// Time comes from a ManualClock (f.clock): ticks happen only when a test
// advances it (f.tick / f.advance), never by waiting on the wall clock.
#pragma once

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "harness.hpp"
#include "routerpulse/clock.hpp"

namespace routerpulse::test {

struct LuaFixture {
  Harness h;
  // After the harness: the clock's queued timers hold strands of the harness's
  // io_context, so the clock goes first (the destructor below first lets every
  // handler the clock already posted run).
  ManualClock clock;
  TempDir dir;

  LuaFixture() { h.clock = &clock; }
  ~LuaFixture() {
    for (PluginContext* c : contexts_) h.run_on(*c, [] {});  // strands are FIFO: nothing of the clock's is left
  }
  LuaFixture(const LuaFixture&) = delete;
  LuaFixture& operator=(const LuaFixture&) = delete;

  struct Instance {
    std::shared_ptr<Component> component;
    PluginContext* ctx = nullptr;
    std::string id;
    std::string pipeline;
    Processor& processor() { return dynamic_cast<Processor&>(*component); }
  };

  /// Writes `text` to <tempdir>/<name> and returns the absolute path.
  std::string write(const std::string& name, const std::string& text) {
    write_file(dir.file(name), text);
    return dir.file(name);
  }

  /// Creates processor `lua` with id `id` in pipeline `pipeline` from YAML option text.
  Instance make(const std::string& yaml, const std::string& id = "lua", const std::string& pipeline = "main") {
    Instance i;
    i.component = h.create(PluginKind::processor, "lua", yaml, id, pipeline);
    i.ctx = &h.last_context();
    contexts_.push_back(i.ctx);
    i.id = id;
    i.pipeline = pipeline;
    return i;
  }

  /// Creates an instance for the script text with extra YAML options.
  Instance make_script(const std::string& lua, const std::string& extra = "", const std::string& id = "lua",
                       const std::string& pipeline = "main") {
    const std::string path = write(id_file(id), lua);
    return make("script: " + path + "\n" + extra, id, pipeline);
  }

  MetricBatch run(Instance& i, MetricBatch batch) {
    auto out = h.process(i.processor(), *i.ctx, std::move(batch));
    REQUIRE(out.has_value());
    return std::move(*out);
  }

  Metric run_one(Instance& i, Metric m) {
    MetricBatch b;
    b.push_back(std::move(m));
    auto out = run(i, std::move(b));
    REQUIRE(out.size() == 1);
    return out.front();
  }

  void start(Instance& i) { h.start(*i.component, *i.ctx); }
  void stop(Instance& i) { h.stop(*i.component, *i.ctx); }

  /// Advances the clock by `d` and waits until the instance finished the
  /// tick that came due (its tick_interval must be ≤ d and it must be started).
  void tick(Instance& i, Duration d) {
    const uint64_t before = counter(i.id, "ticks_total", {}, i.pipeline);
    clock.advance(d);
    REQUIRE(
        wait_until([&] { return counter(i.id, "ticks_total", {}, i.pipeline) > before; }, std::chrono::seconds(10)));
  }

  /// The labels of an instance's self-metrics (the scope's: processor + pipeline).
  static Labels labels(const std::string& id, Labels extra = {}, const std::string& pipeline = "main") {
    Labels l{{"processor", id}, {"pipeline", pipeline}};
    for (auto& e : extra) l.push_back(std::move(e));
    return l;
  }

  uint64_t counter(const std::string& id, const std::string& name, Labels extra = {},
                   const std::string& pipeline = "main") {
    return h.stats.counter("lua", name, "", labels(id, std::move(extra), pipeline)).value();
  }

  uint64_t errors(const std::string& id, const std::string& kind) {
    return counter(id, "errors_total", {{"kind", kind}});
  }

  double gauge(const std::string& id, const std::string& name, const std::string& pipeline = "main") {
    return h.stats.gauge("lua", name, "", labels(id, {}, pipeline)).value();
  }

  static std::string id_file(const std::string& id) {
    std::string f = id;
    for (char& c : f)
      if (c == '/') c = '_';
    return f + ".lua";
  }

 private:
  std::vector<PluginContext*> contexts_;  ///< owned by the harness
};

/// Captures the log lines of component `id` (register before creating it).
inline std::shared_ptr<std::ostringstream> capture_log(const std::string& id) {
  auto out = std::make_shared<std::ostringstream>();
  static std::vector<std::shared_ptr<std::ostringstream>> keep_alive;  // the logger stays registered
  keep_alive.push_back(out);
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*out);
  spdlog::drop(id);
  auto logger = std::make_shared<spdlog::logger>(id, sink);
  logger->set_level(spdlog::level::debug);
  spdlog::register_logger(logger);
  return out;
}

/// A field's value as the given alternative; fails the test when absent or
/// of another type.
template <class T>
T field(const Metric& m, const std::string& key) {
  const FieldValue* v = m.field(key);
  INFO("field " << key << " of " << to_json(m));
  REQUIRE(v != nullptr);
  REQUIRE(std::holds_alternative<T>(*v));
  return std::get<T>(*v);
}

inline std::string tag(const Metric& m, const std::string& key) {
  const std::string* v = m.tag(key);
  INFO("tag " << key << " of " << to_json(m));
  REQUIRE(v != nullptr);
  return *v;
}

/// Metrics named `name` in a batch.
inline MetricBatch named(const MetricBatch& b, const std::string& name) {
  MetricBatch out;
  for (const auto& m : b)
    if (m.name() == name) out.push_back(m);
  return out;
}

constexpr int64_t kSecond = 1'000'000'000;

}  // namespace routerpulse::test
