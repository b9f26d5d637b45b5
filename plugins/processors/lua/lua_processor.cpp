// processors/lua — runs a user Lua 5.4 script on every metric (see README.md).
//
// process() runs the script over a batch on the strand and passes the result
// on; alert events from that batch follow its metrics. A timer from ctx.clock
// runs tick(now) every tick_interval and checks alert staleness; what tick
// returns and the alert events it causes are sent on at once with ctx.emit
// (to the stages after this one), not held back for the next batch.
#include <array>
#include <filesystem>
#include <memory>

#include <spdlog/spdlog.h>

#include "routerpulse/plugin.hpp"
#include "routerpulse/rate_limited_log.hpp"
#include "routerpulse/stats.hpp"

#include "alert_state.hpp"
#include "script.hpp"
#include "settings.hpp"

namespace routerpulse::lua {
namespace {

constexpr auto kLogInterval = std::chrono::seconds(10);

/// The folder of the config file the options come from, when they come from
/// one on disk (the agent, `routerpulse check`); nullopt otherwise (tests
/// building options from text), and relative paths are then left to the
/// constructor, which resolves them against ctx.config_dir.
std::optional<std::filesystem::path> config_dir_of(const Options& o) {
  std::error_code ec;
  const std::filesystem::path file(o.file());
  if (o.file().empty() || !std::filesystem::is_regular_file(file, ec)) return std::nullopt;
  return std::filesystem::absolute(file, ec).parent_path();
}

class LuaProcessor final : public Processor {
 public:
  static constexpr OptionSpec options[] = {
      {.name = "script",
       .type = OptionType::string,
       .doc = "the Lua file; relative paths are relative to agent.yaml's folder",
       .required = true,
       .example = "scripts/lua/units.lua"},
      {.name = "config",
       .type = OptionType::map,
       .doc = "any map, passed to the script's init(config) as a table (absent: an empty table)",
       .example = "{ threshold: 0.95 }"},
      {.name = "tick_interval",
       .type = OptionType::duration,
       .default_value = "10s",
       .doc = "how often tick(now) runs and alert staleness is checked; its output is emitted at once; 0 = never"},
      {.name = "max_instructions",
       .type = OptionType::integer,
       .default_value = "1000000",
       .doc = "Lua VM instructions one call may run (process, tick; loading plus init count as one call)",
       .min = 1000,
       .max = 2147483647},
      {.name = "max_memory",
       .type = OptionType::string,
       .default_value = "64MiB",
       .doc = "limit of the Lua heap: bytes, or 512KiB/64MiB/1GiB (x1024), 64MB (x1000); at least 1MiB"},
      {.name = "alert_stale_after",
       .type = OptionType::duration,
       .default_value = "10m",
       .doc = "default stale_after of alert{}: a firing alert not evaluated for this long is resolved; 0 = never"},
      {.name = "module_dir",
       .type = OptionType::string,
       .doc = "where require(\"name\") finds name.lua (default: the script's folder)",
       .example = "scripts/lua"},
  };

  /// Pure: reads every option and loads the script (top level and init) in a
  /// throwaway sandboxed state. Nothing is written, no thread is started.
  static void validate(const Options& o) {
    const auto base = config_dir_of(o);
    const Settings s = Settings::read(o, [&](const std::string& p) -> std::optional<std::string> {
      if (std::filesystem::path(p).is_absolute()) return p;
      if (!base) return std::nullopt;
      return (*base / p).string();
    });
    if (!s.resolvable()) return;
    AlertTracker tracker;
    load_script(s, o, tracker, system_clock(), {});
  }

  LuaProcessor(const Options& o, PluginContext& ctx)
      : ctx_(ctx),
        settings_(Settings::read(
            o, [&ctx](const std::string& p) -> std::optional<std::string> { return ctx.resolve_path(p); })),
        log_(ctx.log, ctx.clock, kLogInterval),
        dropped_(
            ctx.self_metrics.counter("metrics_dropped_total", "Metrics the script dropped (process returned nil)")),
        emitted_(ctx.self_metrics.counter("metrics_emitted_total",
                                          "Metrics passed on, including alert events and tick() output")),
        errors_{error_counter(ErrorKind::runtime), error_counter(ErrorKind::budget), error_counter(ErrorKind::memory),
                error_counter(ErrorKind::invalid)},
        alerts_fired_(alert_counter("firing")),
        alerts_resolved_(alert_counter("resolved")),
        ticks_(ctx.self_metrics.counter("ticks_total", "tick() rounds run (staleness checks included)")),
        resets_(ctx.self_metrics.counter("state_resets_total",
                                         "Lua states rebuilt because garbage stayed above 90% of max_memory")),
        firing_(ctx.self_metrics.gauge("alerts_firing", "Alerts currently firing")),
        pending_(ctx.self_metrics.gauge("alerts_pending", "Alerts currently pending")),
        memory_(ctx.self_metrics.gauge("memory_bytes", "Bytes allocated by the Lua state")),
        batch_seconds_(
            ctx.self_metrics.histogram("batch_duration_seconds", "Time spent running the script over one batch")) {
    script_ = load_script(settings_, o, tracker_, ctx.clock, [this](std::string_view line) {
      log_.log_lazy(spdlog::level::info, "print", [&] { return settings_.script + ": " + std::string(line); });
    });
    memory_.set(static_cast<double>(script_->memory_used()));
    ctx.health.set(HealthState::healthy);
  }

  void start() override {
    if (settings_.tick_interval.count() <= 0) return;
    if (!ctx_.emit) ctx_.log->error("no emit hook for this processor: tick() output and its alert events are lost");
    timer_ = ctx_.clock.make_timer(ctx_.strand);
    arm();
  }

  void stop(std::function<void()> done) override {
    if (timer_) timer_->cancel();
    stopped_ = true;
    done();
  }

  void process(MetricBatch batch, std::function<void(MetricBatch)> next) override {
    const SteadyTime t0 = ctx_.clock.steady_now();
    MetricBatch out, alerts;
    out.reserve(batch.size());
    uint64_t n_dropped = 0;
    std::string problem;
    for (Metric& m : batch) {
      const size_t before = out.size();
      const CallResult r = script_->process(m, out, alerts);
      if (!r.ok()) {
        out.push_back(std::move(m));
        report(r, "process", "metric passed through unchanged", problem);
      } else if (out.size() == before) {
        ++n_dropped;
      }
    }
    for (Metric& a : alerts) out.push_back(std::move(a));
    dropped_.inc(n_dropped);
    emitted_.inc(out.size());
    update_gauges();
    set_problem(process_problem_, std::move(problem));
    batch_seconds_.observe(std::chrono::duration<double>(ctx_.clock.steady_now() - t0).count());
    next(std::move(out));
  }

 private:
  Counter& error_counter(ErrorKind k) {
    return ctx_.self_metrics.counter("errors_total", "Script calls that failed (the metric passed unchanged), by kind",
                                     {{"kind", to_string(k)}});
  }
  Counter& alert_counter(const char* status) {
    return ctx_.self_metrics.counter("alerts_total", "Alert events emitted, by status", {{"status", status}});
  }

  // Re-armed first thing in every tick, so the cadence does not drift with
  // the time tick() takes, and a test that saw ticks_total move knows the
  // next tick is already armed.
  void arm() {
    timer_->arm(settings_.tick_interval, guard([this] { on_tick(); }));
  }

  void on_tick() {
    if (stopped_) return;
    arm();
    const int64_t now = ctx_.clock.now_ns();
    MetricBatch out, alerts;
    std::string problem;
    const CallResult r = script_->tick(now, out, alerts);
    if (!r.ok()) report(r, "tick", "its output is discarded", problem);
    tracker_.expire(now, alerts);
    for (Metric& a : alerts) out.push_back(std::move(a));
    update_gauges();
    set_problem(tick_problem_, std::move(problem));
    if (!out.empty() && ctx_.emit) {
      emitted_.inc(out.size());
      ctx_.emit(std::move(out));
    }
    ticks_.inc();
  }

  void report(const CallResult& r, const char* fn, const char* consequence, std::string& problem) {
    errors_[static_cast<size_t>(r.kind) - 1].get().inc();
    if (problem.empty()) problem = std::string(to_string(r.kind)) + " error in " + fn + "(): " + r.message;
    log_.log_lazy(spdlog::level::warn, to_string(r.kind), [&] {
      return fmt::format("{}: {} error in {}(): {}; {}", script_->name(), to_string(r.kind), fn, r.message,
                         consequence);
    });
    if (r.kind != ErrorKind::memory) return;
    try {
      if (script_->recover_memory()) {
        resets_.inc();
        ctx_.log->warn(
            "{}: Lua heap stayed above 90% of max_memory after a full collection; state rebuilt from "
            "the script (alert state kept)",
            script_->name());
      }
    } catch (const std::exception& e) {
      ctx_.log->error("{}: rebuilding the Lua state failed, keeping the old one: {}", script_->name(), e.what());
    }
  }

  void update_gauges() {
    alerts_fired_.inc(tracker_.fired_total() - fired_seen_);
    alerts_resolved_.inc(tracker_.resolved_total() - resolved_seen_);
    fired_seen_ = tracker_.fired_total();
    resolved_seen_ = tracker_.resolved_total();
    firing_.set(static_cast<double>(tracker_.firing()));
    pending_.set(static_cast<double>(tracker_.pending()));
    memory_.set(static_cast<double>(script_->memory_used()));
  }

  // Health: degraded while the last batch or the last tick had a failing
  // call (the first failure is the detail), healthy again once both ran clean.
  void set_problem(std::string& slot, std::string problem) {
    if (slot == problem) return;
    slot = std::move(problem);
    std::string detail = process_problem_;
    if (!tick_problem_.empty()) detail += (detail.empty() ? "" : "; ") + tick_problem_;
    ctx_.health.set(detail.empty() ? HealthState::healthy : HealthState::degraded, detail);
  }

  PluginContext& ctx_;
  Settings settings_;
  RateLimitedLog log_;
  AlertTracker tracker_;
  std::unique_ptr<Script> script_;
  std::unique_ptr<Timer> timer_;
  bool stopped_ = false;
  uint64_t fired_seen_ = 0, resolved_seen_ = 0;
  std::string process_problem_, tick_problem_;

  Counter& dropped_;
  Counter& emitted_;
  std::array<std::reference_wrapper<Counter>, 4> errors_;  ///< runtime, budget, memory, invalid
  Counter& alerts_fired_;
  Counter& alerts_resolved_;
  Counter& ticks_;
  Counter& resets_;
  Gauge& firing_;
  Gauge& pending_;
  Gauge& memory_;
  Histogram& batch_seconds_;
};

}  // namespace
}  // namespace routerpulse::lua

ROUTERPULSE_PLUGIN(processor, lua, "Runs a Lua 5.4 script on every metric: rules, renames, alerts",
                   ::routerpulse::lua::LuaProcessor)
