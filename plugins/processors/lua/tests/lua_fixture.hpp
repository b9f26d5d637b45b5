// Test support for the lua processor: runs the real plugin (loaded from
// build/plugins) through the harness, with scripts written to a temp dir.
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "harness.hpp"

namespace routerpulse::test {

struct LuaFixture {
  Harness h;
  TempDir dir;

  struct Instance {
    std::unique_ptr<Component> component;
    PluginContext* ctx = nullptr;
    Processor& processor() { return dynamic_cast<Processor&>(*component); }
  };

  /// Writes `text` to <tempdir>/<name> and returns the absolute path.
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir.file(name)) << text;
    return dir.file(name);
  }

  /// Creates processor `lua` with id `id` from YAML option text.
  Instance make(const std::string& yaml, const std::string& id = "lua") {
    Instance i;
    i.component = h.create(PluginKind::processor, "lua", yaml, id);
    i.ctx = &h.last_context();
    return i;
  }

  /// Creates an instance for the script text with extra YAML options.
  Instance make_script(const std::string& lua, const std::string& extra = "", const std::string& id = "lua") {
    const std::string path = write(id_file(id), lua);
    return make("script: " + path + "\n" + extra, id);
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

  uint64_t counter(const std::string& id, const std::string& name, Labels extra = {}) {
    Labels l{{"processor", id}};
    for (auto& e : extra) l.push_back(e);
    return h.stats.counter("lua", name, "", l).value();
  }

  uint64_t errors(const std::string& id, const std::string& kind) {
    return counter(id, "errors_total", {{"kind", kind}});
  }

  double gauge(const std::string& id, const std::string& name) {
    return h.stats.gauge("lua", name, "", {{"processor", id}}).value();
  }

  static std::string id_file(const std::string& id) {
    std::string f = id;
    for (char& c : f)
      if (c == '/') c = '_';
    return f + ".lua";
  }
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
