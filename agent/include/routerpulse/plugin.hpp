// routerpulse — the plugin SDK: component interfaces, context, entry point.
//
// A plugin is a shared object `librp_<kind>_<name>.so` in `agent.plugin_dir`
// exporting one C symbol, `routerpulse_plugin_v1`, that returns a
// PluginDescriptor. The loader reads `abi_version` first and refuses any value
// other than ROUTERPULSE_PLUGIN_ABI (error names both versions and the file).
// Bump ROUTERPULSE_PLUGIN_ABI whenever anything in this SDK changes layout.
//
// Lifecycle (the engine owns the loop, as in Fluent Bit):
//   construct (validate options, throw ConfigError) → start() → [gather /
//   process / write calls] → stop() → destroy.
// Every call into a component happens on that component's strand
// (PluginContext::strand). Components must never block it: network I/O is
// asynchronous; blocking work goes to a thread the plugin owns.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/logger.h>

#include "routerpulse/config.hpp"
#include "routerpulse/metric.hpp"

/// Plugin ABI version; a plugin built against another value is refused.
#ifndef ROUTERPULSE_PLUGIN_ABI
#define ROUTERPULSE_PLUGIN_ABI 1u
#endif

namespace routerpulse {

class SelfMetrics;
class HealthRegistry;
class HttpRoutes;
namespace routeros {
class RouterRegistry;
}

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

enum class PluginKind : uint32_t { input = 1, processor = 2, output = 3 };

/// "input" | "processor" | "output".
const char* to_string(PluginKind k) noexcept;

/// What the engine gives every component. Owned by the engine; valid from
/// construction until the component is destroyed.
struct PluginContext {
  std::string id;         ///< component id from agent.yaml, e.g. `lua/alerts`
  PluginKind kind;        ///< what the component is
  boost::asio::io_context& io;
  Strand strand;          ///< every call into the component runs here
  std::shared_ptr<spdlog::logger> log;  ///< logger named after the component
  SelfMetrics& stats;     ///< self-metrics registry (thread-safe)
  HealthRegistry& health; ///< report degraded/unhealthy states here
  HttpRoutes* http = nullptr;  ///< the agent's HTTP server, or nullptr when disabled
  routeros::RouterRegistry* routers = nullptr;  ///< `routers:` sessions, or nullptr
  std::string config_dir; ///< directory of agent.yaml; resolve relative paths here
  Duration interval{};    ///< inputs: the effective collection interval

  /// Inputs only: hand a batch to every pipeline this input feeds. Thread-safe,
  /// never blocks; metrics with time 0 are stamped with now_ns().
  std::function<void(MetricBatch&&)> emit;

  /// Resolves `path` against config_dir unless it is absolute.
  std::string resolve_path(const std::string& path) const;
};

/// Base of every component.
class Component {
 public:
  virtual ~Component();  // out of line: the type's RTTI lives in the core library
  /// Begin background work (connections, timers, streams). Called once.
  virtual void start() {}
  /// Stop background work; cancel timers; no emit/callback after `done()`.
  /// The default finishes at once.
  virtual void stop(std::function<void()> done) { done(); }
};

/// An input produces metrics: on every interval via gather(), and/or at any
/// time through PluginContext::emit (service inputs such as streaming traffic).
class Input : public Component {
 public:
  ~Input() override;
  /// Collect one round. Emit through ctx.emit, then call `done` exactly once
  /// (possibly later, from the strand). The engine does not call gather again
  /// before `done`; an interval that finds the previous round still running is
  /// counted as `gather_overruns_total` and skipped.
  virtual void gather(std::function<void()> done) = 0;
};

/// A processor transforms batches in pipeline order. A processor id used in
/// two pipelines gets one instance per pipeline.
class Processor : public Component {
 public:
  ~Processor() override;
  /// Transform `batch` and hand the result to `next` exactly once (possibly
  /// later, from the strand). Batches must leave in the order they arrived.
  virtual void process(MetricBatch batch, std::function<void(MetricBatch)> next) = 0;
};

/// The outcome of Output::write.
struct WriteResult {
  bool ok = true;
  std::string error;  ///< when !ok: why; the engine logs it and retries the batch
  static WriteResult success() { return {}; }
  static WriteResult failure(std::string why) { return {false, std::move(why)}; }
};

/// An output delivers batches. The engine buffers metrics per output (bounded,
/// drop-oldest), cuts batches of `batch_size`, calls write() with at most one
/// batch in flight, and retries a failed batch with exponential backoff and
/// jitter. A write that does not complete within the output's `timeout` is
/// treated as failed; a late `done` is ignored.
class Output : public Component {
 public:
  ~Output() override;
  /// Deliver `batch`; it stays valid until `done` is called. Call `done`
  /// exactly once (possibly later, from any thread).
  virtual void write(const MetricBatch& batch, std::function<void(WriteResult)> done) = 0;
};

/// What `routerpulse_plugin_v1` returns. Field order is part of the ABI:
/// `abi_version` must stay first.
struct PluginDescriptor {
  uint32_t abi_version;
  PluginKind kind;
  const char* name;         ///< registered name, e.g. "redis_stream"
  const char* description;  ///< one line for `routerpulse plugins`
  /// Builds the component; throws ConfigError for invalid options. Options
  /// not read by the constructor are reported as unknown by the engine.
  std::unique_ptr<Component> (*create)(const Options& options, PluginContext& ctx);
};

}  // namespace routerpulse

/// The one exported entry point name.
#define ROUTERPULSE_PLUGIN_SYMBOL "routerpulse_plugin_v1"

/// Registration, placed once at the bottom of a plugin's main file:
///   ROUTERPULSE_PLUGIN(output, file, "Writes metrics to stdout or a file", FileOutput)
/// The class must have a constructor (const Options&, PluginContext&).
#define ROUTERPULSE_PLUGIN(KIND, NAME, DESCRIPTION, CLASS)                                  \
  extern "C" __attribute__((visibility("default"))) const ::routerpulse::PluginDescriptor* \
  routerpulse_plugin_v1() {                                                                 \
    static const ::routerpulse::PluginDescriptor d{                                         \
        ROUTERPULSE_PLUGIN_ABI, ::routerpulse::PluginKind::KIND, #NAME, DESCRIPTION,        \
        [](const ::routerpulse::Options& o, ::routerpulse::PluginContext& c)                \
            -> std::unique_ptr<::routerpulse::Component> {                                  \
          return std::make_unique<CLASS>(o, c);                                             \
        }};                                                                                 \
    return &d;                                                                              \
  }
