// processors/lua — runs a user Lua 5.4 script on every metric (see README.md).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "routerpulse/plugin.hpp"
#include "routerpulse/stats.hpp"

#include "alert_state.hpp"
#include "byte_size.hpp"
#include "rate_limited_log.hpp"
#include "script.hpp"

namespace routerpulse::lua {
namespace {

// Self-metrics are routerpulse_lua_*{processor="<id>"}; the engine itself
// counts metrics into the processor (routerpulse_processor_*).
constexpr const char* kSubsystem = "lua";
constexpr size_t kMaxQueuedTickOutput = 100000;
constexpr auto kLogInterval = std::chrono::seconds(10);

size_t read_max_memory(const Options& opts) {
  constexpr uint64_t def = 64ull << 20, min = 1ull << 20;
  YAML::Node n = opts.raw("max_memory");
  if (!n.IsDefined()) return def;
  std::optional<uint64_t> v;
  if (n.IsScalar()) v = parse_byte_size(n.Scalar());
  if (!v) throw opts.error_at(n, "max_memory", "expected a size such as 64MiB, 512KiB or a number of bytes, got " +
                                                   (n.IsScalar() ? "\"" + n.Scalar() + "\"" : describe_node(n)));
  if (*v < min) throw opts.error_at(n, "max_memory", "must be at least 1MiB (the Lua libraries alone need ~100KiB)");
  return static_cast<size_t>(*v);
}

// Everything the processor owns. Pending timer handlers reach it through a
// weak_ptr, so one that runs after stop() or destruction just leaves.
struct Core {
  Core(const Options& opts, PluginContext& c)
      : ctx(c),
        log(c.log, kLogInterval),
        timer(c.strand),
        dropped(stat("metrics_dropped_total", "Metrics the script dropped (process() returned nil)")),
        emitted(stat("metrics_emitted_total", "Metrics passed on, including alerts and tick() output")),
        err_runtime(error_counter("runtime")),
        err_budget(error_counter("budget")),
        err_memory(error_counter("memory")),
        err_invalid(error_counter("invalid")),
        alerts_firing_total(alert_counter("firing")),
        alerts_resolved_total(alert_counter("resolved")),
        ticks(stat("ticks_total", "tick() rounds run (staleness checks included)")),
        resets(stat("state_resets_total", "Lua states rebuilt because garbage stayed above 90% of max_memory")),
        tick_dropped(stat("tick_output_dropped_total",
                          "tick() output and alert events dropped because no batch came to carry them")),
        firing(c.stats.gauge(kSubsystem, "alerts_firing", "Alerts currently firing", labels())),
        pending_alerts(c.stats.gauge(kSubsystem, "alerts_pending", "Alerts currently pending", labels())),
        memory(c.stats.gauge(kSubsystem, "memory_bytes", "Bytes allocated by the Lua state", labels())),
        batch_seconds(c.stats.histogram(kSubsystem, "batch_duration_seconds",
                                        "Time spent running the script over one batch", labels())) {
    const std::string script_opt = opts.require_string("script");
    ScriptConfig sc;
    sc.path = ctx.resolve_path(script_opt);
    sc.chunk_name = script_opt;
    sc.module_dir = ctx.resolve_path(
        opts.get_string("module_dir", std::filesystem::path(sc.path).parent_path().string()));
    sc.max_instructions = static_cast<uint64_t>(opts.get_int("max_instructions", 1'000'000, 1000, INT32_MAX));
    sc.max_memory = read_max_memory(opts);
    const YAML::Node config = opts.raw("config");
    if (config.IsDefined() && !config.IsMap())
      throw opts.error_at(config, "config", "expected a map (passed to init(config)), got " + describe_node(config));
    sc.init_config = LuaValue::from_yaml(config);
    sc.init_config.kind = LuaValue::Kind::table;  // absent config → empty table
    sc.default_stale_after_ns = opts.get_duration("alert_stale_after", std::chrono::minutes(10)).count();
    tick_interval = opts.get_duration("tick_interval", std::chrono::seconds(10));
    sc.print = [this, name = script_opt](std::string_view line) {
      log.log(spdlog::level::info, "print", name + ": " + std::string(line));
    };
    try {
      script = std::make_unique<Script>(std::move(sc), tracker);
    } catch (const ScriptError& e) {
      // init() errors are usually about `config`: point there when it exists.
      if (e.in_init() && config.IsDefined())
        throw opts.error_at(config, "config", std::string("init() of the Lua script failed: ") + e.what());
      throw opts.error("script", std::string("cannot load Lua script: ") + e.what());
    }
    memory.set(static_cast<double>(script->memory_used()));
  }

  Labels labels() const { return {{"processor", ctx.id}}; }
  Counter& stat(const char* name, const char* help) { return ctx.stats.counter(kSubsystem, name, help, labels()); }
  Counter& error_counter(const char* kind) {
    return ctx.stats.counter(kSubsystem, "errors_total",
                             "Script calls that failed (the metric passed unchanged), by kind",
                             {{"processor", ctx.id}, {"kind", kind}});
  }
  Counter& alert_counter(const char* status) {
    return ctx.stats.counter(kSubsystem, "alerts_total", "Alert events emitted, by status",
                             {{"processor", ctx.id}, {"status", status}});
  }

  void report(const CallResult& r, const char* fn, const char* consequence) {
    Counter* c = &err_runtime;
    if (r.kind == ErrorKind::budget) c = &err_budget;
    if (r.kind == ErrorKind::memory) c = &err_memory;
    if (r.kind == ErrorKind::invalid) c = &err_invalid;
    c->inc();
    log.log(spdlog::level::warn, to_string(r.kind),
            fmt::format("{}: {} error in {}(): {}; {}", script->name(), to_string(r.kind), fn, r.message, consequence));
    if (r.kind != ErrorKind::memory) return;
    try {
      if (script->recover_memory()) {
        resets.inc();
        ctx.log->warn("{}: Lua heap stayed above 90% of max_memory after a full collection; state rebuilt from "
                      "the script (alert state kept)", script->name());
      }
    } catch (const std::exception& e) {
      ctx.log->error("{}: rebuilding the Lua state failed, keeping the old one: {}", script->name(), e.what());
    }
  }

  void count_alerts() {
    alerts_firing_total.inc(tracker.fired_total() - fired_seen);
    alerts_resolved_total.inc(tracker.resolved_total() - resolved_seen);
    fired_seen = tracker.fired_total();
    resolved_seen = tracker.resolved_total();
    firing.set(static_cast<double>(tracker.firing()));
    pending_alerts.set(static_cast<double>(tracker.pending()));
    memory.set(static_cast<double>(script->memory_used()));
  }

  void process(MetricBatch& batch, MetricBatch& out) {
    const auto t0 = std::chrono::steady_clock::now();
    out.reserve(queued.size() + batch.size());
    for (Metric& m : queued) out.push_back(std::move(m));
    queued.clear();
    MetricBatch alerts;
    uint64_t n_dropped = 0;
    for (Metric& m : batch) {
      const size_t before = out.size();
      const CallResult r = script->process(m, out, alerts);
      if (!r.ok()) {
        out.push_back(std::move(m));
        report(r, "process", "metric passed through unchanged");
      } else if (out.size() == before) {
        ++n_dropped;
      }
    }
    for (Metric& a : alerts) out.push_back(std::move(a));
    dropped.inc(n_dropped);
    emitted.inc(out.size());
    count_alerts();
    batch_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  void tick() {
    const int64_t now = now_ns();
    MetricBatch produced, alerts;
    const CallResult r = script->tick(now, produced, alerts);
    if (!r.ok()) report(r, "tick", "its output is discarded");
    tracker.expire(now, alerts);
    for (Metric& m : produced) queue(std::move(m));
    for (Metric& a : alerts) queue(std::move(a));
    ticks.inc();
    count_alerts();
  }

  void queue(Metric&& m) {
    if (queued.size() >= kMaxQueuedTickOutput) {
      queued.erase(queued.begin());
      tick_dropped.inc();
    }
    queued.push_back(std::move(m));
  }

  // The handler holds only a weak reference: a processor destroyed with a
  // wait pending (or an io_context shut down) never keeps the Core alive.
  static void schedule(const std::shared_ptr<Core>& core) {
    core->timer.expires_after(core->tick_interval);
    core->timer.async_wait([weak = std::weak_ptr<Core>(core)](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped.load(std::memory_order_acquire)) return;
      self->tick();
      schedule(self);
    });
  }

  PluginContext& ctx;
  RateLimitedLog log;
  AlertTracker tracker;
  std::unique_ptr<Script> script;
  Duration tick_interval{};
  boost::asio::steady_timer timer;
  std::atomic<bool> stopped{false};
  MetricBatch queued;  ///< tick() output and stale resolutions waiting for the next batch
  uint64_t fired_seen = 0, resolved_seen = 0;

  Counter& dropped;
  Counter& emitted;
  Counter& err_runtime;
  Counter& err_budget;
  Counter& err_memory;
  Counter& err_invalid;
  Counter& alerts_firing_total;
  Counter& alerts_resolved_total;
  Counter& ticks;
  Counter& resets;
  Counter& tick_dropped;
  Gauge& firing;
  Gauge& pending_alerts;
  Gauge& memory;
  Histogram& batch_seconds;
};

class LuaProcessor final : public Processor {
 public:
  LuaProcessor(const Options& opts, PluginContext& ctx) : core_(std::make_shared<Core>(opts, ctx)) {}

  ~LuaProcessor() override {
    // stop() normally ran already; otherwise make pending handlers leave.
    core_->stopped.store(true, std::memory_order_release);
  }

  void start() override {
    if (core_->tick_interval.count() > 0) Core::schedule(core_);
  }

  void stop(std::function<void()> done) override {
    core_->stopped.store(true, std::memory_order_release);
    core_->timer.cancel();
    done();
  }

  void process(MetricBatch batch, std::function<void(MetricBatch)> next) override {
    MetricBatch out;
    core_->process(batch, out);
    next(std::move(out));
  }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace
}  // namespace routerpulse::lua

ROUTERPULSE_PLUGIN(processor, lua, "Runs a Lua 5.4 script on every metric: rules, renames, alerts",
                   ::routerpulse::lua::LuaProcessor)
