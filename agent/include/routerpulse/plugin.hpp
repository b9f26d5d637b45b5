// routerpulse — the plugin SDK: component interfaces, context, entry point.
//
// A plugin is a shared object `librp_<kind>_<name>.so` in `agent.plugin_dir`
// exporting one C symbol, `routerpulse_plugin_v1`, that returns a
// PluginDescriptor. The loader reads `abi_version` first and refuses any value
// other than ROUTERPULSE_PLUGIN_ABI (error names both versions and the file).
// Bump ROUTERPULSE_PLUGIN_ABI whenever anything in this SDK changes layout.
//
// Lifecycle (the engine owns the loop, as in Fluent Bit):
//   validate (pure: options only; what `routerpulse check` runs)
//   → create (construct; may read files, must not connect) → start()
//   → [gather / process / write calls] → stop(done) → the engine drops its
//   reference. The engine holds every component by shared_ptr; callbacks the
//   component registers elsewhere hold it weakly through Component::guard(),
//   so a late completion after shutdown is a no-op, never a use-after-free.
//
// Callback rules — enforced by the engine for every component:
//   | callback              | called on                  | rule                           |
//   |-----------------------|----------------------------|--------------------------------|
//   | start()               | the component's strand     | once, before any other call    |
//   | Input::gather done    | any thread                 | exactly once per gather        |
//   | Processor::process next| any thread                | exactly once per batch         |
//   | Output::write done    | any thread                 | exactly once per write         |
//   | stop(done) done       | any thread                 | exactly once                   |
//   | ctx.emit              | any thread, any time       | inputs and processors          |
//   | Timer callbacks       | the timer's strand         | see clock.hpp                  |
// A second call of a `done`/`next` is ignored, logged and counted in
// `routerpulse_<kind>_callback_errors_total`. A processor that throws before
// calling `next` loses the batch: it is counted in
// `routerpulse_processor_dropped_total` and the pipeline moves on; one that
// throws after `next` only counts an error.
// Every call into a component happens on its strand (PluginContext::strand).
// Components must never block it: network I/O is asynchronous; blocking work
// goes to a thread the plugin owns.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/logger.h>

#include "routerpulse/batch_view.hpp"
#include "routerpulse/clock.hpp"
#include "routerpulse/config.hpp"
#include "routerpulse/health.hpp"
#include "routerpulse/metric.hpp"
#include "routerpulse/stats.hpp"

/// Plugin ABI version; a plugin built against another value is refused.
#ifndef ROUTERPULSE_PLUGIN_ABI
#define ROUTERPULSE_PLUGIN_ABI 4u
#endif

namespace routerpulse {

class HttpRoutes;
namespace routeros {
class RouterRegistry;
}

enum class PluginKind : uint32_t { input = 1, processor = 2, output = 3 };

/// "input" | "processor" | "output".
const char* to_string(PluginKind k) noexcept;

/// What the engine gives every component, already scoped to it. Owned by the
/// engine; valid from construction until the component is destroyed.
struct PluginContext {
  std::string id;        ///< component id from agent.yaml, e.g. `lua/alerts`
  PluginKind kind;       ///< what the component is
  std::string plugin;    ///< plugin name, e.g. `lua`
  std::string pipeline;  ///< processors: the pipeline this instance serves; else empty
  boost::asio::io_context& io;
  Strand strand;                        ///< every call into the component runs here
  std::shared_ptr<spdlog::logger> log;  ///< logger named after the component
  /// Self-metrics under `routerpulse_<plugin>_…`, pre-labelled with this
  /// instance (see SelfMetricsScope).
  SelfMetricsScope self_metrics;
  HealthScope health;                           ///< this component's entry on /health
  Clock& clock;                                 ///< all time and timers (a ManualClock in tests)
  HttpRoutes* http = nullptr;                   ///< the agent's HTTP server, or nullptr when disabled
  routeros::RouterRegistry* routers = nullptr;  ///< `routers:` sessions, or nullptr
  std::string config_dir;                       ///< directory of agent.yaml; resolve relative paths here
  Duration interval{};                          ///< inputs: the effective collection interval

  /// Inputs: hand a batch to every pipeline this input feeds. Processors: hand
  /// a batch to the stages after this one (alerts from a timer, tick output),
  /// independent of any process() call. Thread-safe, never blocks; metrics
  /// with time 0 are stamped with clock.now_ns(). Empty for outputs.
  std::function<void(MetricBatch&&)> emit;

  /// Resolves `path` against config_dir unless it is absolute.
  std::string resolve_path(const std::string& path) const;
};

/// Base of every component. Always owned by a shared_ptr (the factory makes it).
class Component : public std::enable_shared_from_this<Component> {
 public:
  virtual ~Component();  // out of line: the type's RTTI lives in the core library
  /// Begin background work (connections, timers, streams). Called once.
  virtual void start() {}
  /// Stop background work; cancel timers; no emit/callback after `done()`.
  /// The default finishes at once.
  virtual void stop(std::function<void()> done) { done(); }

 protected:
  /// Wraps `fn` (returning void) so it runs only while this component is
  /// alive; the component is kept alive for the duration of the call. Use it
  /// for every callback handed to something that may outlive the component
  /// (sockets, other components, threads).
  template <class F>
  auto guard(F fn) {
    return [w = weak_from_this(), fn = std::move(fn)](auto&&... args) mutable {
      if (auto self = w.lock()) fn(std::forward<decltype(args)>(args)...);
    };
  }

 private:
  friend struct ComponentHosting;
  /// Set by the engine: the component's PluginContext, kept alive as long as
  /// the component (a guarded callback may keep the component past the engine).
  std::shared_ptr<const void> hosted_context_;
};

/// Engine side of Component (not for plugins).
struct ComponentHosting {
  static void keep_alive(Component& c, std::shared_ptr<const void> ctx) { c.hosted_context_ = std::move(ctx); }
};

/// An input produces metrics: on every interval via gather(), and/or at any
/// time through PluginContext::emit (service inputs such as streaming traffic).
class Input : public Component {
 public:
  ~Input() override;
  /// Collect one round. Emit through ctx.emit, then call `done` exactly once.
  /// The engine does not call gather again before `done`; an interval that
  /// finds the previous round still running is counted as
  /// `routerpulse_input_gather_overruns_total` and skipped.
  virtual void gather(std::function<void()> done) = 0;
};

/// A processor transforms batches in pipeline order. A processor id used in
/// two pipelines gets one instance per pipeline (PluginContext::pipeline).
class Processor : public Component {
 public:
  ~Processor() override;
  /// Transform `batch` and hand the result to `next` exactly once (possibly
  /// later). Batches must leave in the order they arrived.
  virtual void process(MetricBatch batch, std::function<void(MetricBatch)> next) = 0;
};

/// The outcome of Output::write.
struct WriteResult {
  bool ok = true;
  std::string error;  ///< when !ok: why; the engine logs it and retries the batch
  /// When !ok: retrying cannot help (e.g. HTTP 400 for this body). The engine
  /// does not retry: it drops the batch, counts it in
  /// `routerpulse_output_metrics_rejected_total` and logs `error`.
  bool permanent = false;
  /// When !ok: the earliest retry the endpoint asked for (e.g. HTTP
  /// Retry-After); the engine waits at least this long, at most retry_max.
  Duration retry_after{0};

  static WriteResult success() { return {}; }
  /// A temporary failure: retried with backoff.
  static WriteResult failure(std::string why) { return {false, std::move(why)}; }
  /// A temporary failure with the endpoint's own retry delay.
  static WriteResult retry_later(std::string why, Duration after) { return {false, std::move(why), false, after}; }
  /// A permanent failure: the batch is dropped and counted, never retried.
  static WriteResult rejected(std::string why) { return {false, std::move(why), true}; }
};

/// An output delivers batches. The engine buffers metrics per output (bounded,
/// drop-oldest), starts a write as soon as the output is idle and metrics are
/// waiting (natural batching: while a write is in flight the next batch
/// grows, up to `batch_size`; `flush_interval` is only an upper bound), keeps
/// at most one batch in flight, and retries a failed batch with exponential
/// backoff and jitter. A write that does not complete within the output's
/// `timeout` is treated as failed; a late `done` is ignored.
class Output : public Component {
 public:
  ~Output() override;
  /// Deliver `batch`: read-only metrics shared with the pipeline's other
  /// outputs (batch_view.hpp); it stays valid until `done` is called. Call
  /// `done` exactly once (possibly later, from any thread).
  virtual void write(const BatchView& batch, std::function<void(WriteResult)> done) = 0;
};

/// What `routerpulse_plugin_v1` returns. Field order is part of the ABI:
/// `abi_version` must stay first.
struct PluginDescriptor {
  uint32_t abi_version;
  PluginKind kind;
  const char* name;         ///< registered name, e.g. "redis_stream"
  const char* description;  ///< one line for `routerpulse plugins`
  OptionTable options;      ///< every option, declared once (config.hpp OptionSpec)
  /// Pure validation beyond the table (cross-field rules, nested maps, a Lua
  /// script that must compile). Throws ConfigError. No files written, threads,
  /// sockets or connections: `routerpulse check` runs only this. May be null.
  void (*validate)(const Options& options);
  /// Builds the component; throws ConfigError for invalid options.
  std::shared_ptr<Component> (*create)(const Options& options, PluginContext& ctx);
  /// Extra top-level YAML a sample config needs (e.g. a `routers:` section),
  /// or nullptr.
  const char* sample_context;
};

namespace detail {
template <class T>
concept HasValidate = requires(const Options& o) {
  T::validate(o);
};
template <class T>
concept HasSampleContext = requires {
  T::sample_context;
};

template <class T>
void validate_with(const Options& o) {
  T::validate(o);
}
template <class T>
constexpr void (*validate_fn())(const Options&) {
  if constexpr (HasValidate<T>)
    return &validate_with<T>;
  else
    return nullptr;
}
template <class T>
constexpr const char* sample_context_of() {
  if constexpr (HasSampleContext<T>)
    return T::sample_context;
  else
    return nullptr;
}
template <class T>
std::shared_ptr<Component> make_component(const Options& o, PluginContext& c) {
  return std::make_shared<T>(o, c);
}
}  // namespace detail

}  // namespace routerpulse

/// The one exported entry point name.
#define ROUTERPULSE_PLUGIN_SYMBOL "routerpulse_plugin_v1"

/// Registration, placed once at the bottom of a plugin's main file:
///   ROUTERPULSE_PLUGIN(output, file, "Writes metrics to stdout or a file", FileOutput)
/// The class must have:
///   - `static constexpr OptionSpec options[] = {...};` (or
///     `static constexpr std::array<OptionSpec, 0> options{};` when it has none);
///   - a constructor (const Options&, PluginContext&);
/// and may have `static void validate(const Options&)` and
/// `static constexpr const char* sample_context`.
#define ROUTERPULSE_PLUGIN(KIND, NAME, DESCRIPTION, CLASS)                                                           \
  extern "C" __attribute__((visibility("default"))) const ::routerpulse::PluginDescriptor* routerpulse_plugin_v1() { \
    static const ::routerpulse::PluginDescriptor d{ROUTERPULSE_PLUGIN_ABI,                                           \
                                                   ::routerpulse::PluginKind::KIND,                                  \
                                                   #NAME,                                                            \
                                                   DESCRIPTION,                                                      \
                                                   ::routerpulse::OptionTable(CLASS::options),                       \
                                                   ::routerpulse::detail::validate_fn<CLASS>(),                      \
                                                   &::routerpulse::detail::make_component<CLASS>,                    \
                                                   ::routerpulse::detail::sample_context_of<CLASS>()};               \
    return &d;                                                                                                       \
  }
