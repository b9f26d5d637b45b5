// Output `prometheus`: serves the latest value of every numeric field on the
// agent's `/metrics` endpoint (see README.md).
//
// write() (output strand) updates the in-memory SeriesStore; a scrape (HTTP
// handler strand) expires stale series and renders the store. A timer on the
// output strand also sweeps expired series, so memory is released even when
// nobody scrapes. All time comes from ctx.clock.
#include <algorithm>
#include <memory>

#include "routerpulse/http.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/stats.hpp"
#include "series_store.hpp"

namespace routerpulse {
namespace {

class PrometheusOutput final : public Output {
 public:
  static constexpr OptionSpec options[] = {
      {.name = "expire_after",
       .type = OptionType::duration,
       .doc = "drop a series not written for this long; 0 keeps series forever "
              "(default: the larger of 60s and 2 x agent.interval)",
       .example = "5m"},
      {.name = "base_units",
       .type = OptionType::boolean,
       .default_value = "true",
       .doc = "rewrite abbreviated unit suffixes (_ms, _s, _b, ...) to Prometheus base units (_seconds, _bytes), "
              "scaling the value"},
  };

  PrometheusOutput(const Options& o, PluginContext& ctx)
      : ctx_(ctx),
        store_opt_(store_options(o, ctx)),
        store_(store_opt_),
        samples_(
            ctx.self_metrics.counter("samples_updated_total", "Field values stored as the latest sample of a series.")),
        skipped_(ctx.self_metrics.counter("string_fields_skipped_total",
                                          "String fields left out (Prometheus samples are numbers).")),
        expired_(ctx.self_metrics.counter("series_expired_total",
                                          "Series removed because they were not updated within expire_after.")),
        series_(ctx.self_metrics.gauge("series", "Series currently exposed on /metrics.")),
        sweep_timer_(ctx.clock.make_timer(ctx.strand)) {
    if (!ctx.http)
      throw o.error("", "the prometheus output serves the agent's HTTP endpoint; enable it with agent.http.listen");
    if (store_opt_.expire_after > Duration::zero())
      sweep_every_ = std::max(store_opt_.expire_after / 2, kMinSweepInterval);
  }

  ~PrometheusOutput() override { unregister(); }

  void start() override {
    // Guarded: a scrape that races with stop()/destruction either runs on a
    // live component or not at all.
    ctx_.http->add_exposition(exposition_key(), guard([this](std::string& out) { scrape(out); }));
    registered_ = true;
    arm_sweep();
  }

  void stop(std::function<void()> done) override {
    sweep_timer_->cancel();
    unregister();
    done();
  }

  void write(const BatchView& batch, std::function<void(WriteResult)> done) override {
    auto st = store_.update(batch, ctx_.clock.steady_now());
    samples_.inc(st.samples);
    skipped_.inc(st.string_fields);
    series_.set(static_cast<double>(store_.size()));
    done(WriteResult::success());
  }

 private:
  /// The sweep runs at most this often (expire_after/2 otherwise).
  static constexpr Duration kMinSweepInterval = std::chrono::seconds(1);
  /// When expire_after is not set: the output has no interval of its own, so
  /// twice the agent's interval, but never less than this.
  static constexpr Duration kMinDerivedExpiry = std::chrono::seconds(60);

  static prom::StoreOptions store_options(const Options& o, const PluginContext& ctx) {
    prom::StoreOptions so;
    so.expire_after =
        o.has("expire_after") ? o.duration("expire_after") : std::max(kMinDerivedExpiry, 2 * ctx.interval);
    so.base_units = o.boolean("base_units");
    return so;
  }

  /// The engine's unique key for this instance (`outputs.<id>`) orders the
  /// writer among the others on /metrics.
  const std::string& exposition_key() const { return ctx_.health.key(); }

  /// HTTP handler strand: never shows a series older than expire_after.
  void scrape(std::string& out) {
    expire_now();
    store_.write(out);
  }

  /// Any strand (the store locks itself).
  void expire_now() {
    expired_.inc(store_.expire(ctx_.clock.steady_now()));
    series_.set(static_cast<double>(store_.size()));
  }

  void arm_sweep() {
    if (sweep_every_ <= Duration::zero()) return;
    // The timer is a member: its callback never runs after cancel() or destruction.
    sweep_timer_->arm(sweep_every_, [this] {
      expire_now();
      arm_sweep();
    });
  }

  void unregister() {
    if (registered_) ctx_.http->remove_exposition(exposition_key());
    registered_ = false;
  }

  PluginContext& ctx_;
  const prom::StoreOptions store_opt_;
  prom::SeriesStore store_;
  Counter& samples_;
  Counter& skipped_;
  Counter& expired_;
  Gauge& series_;
  std::unique_ptr<Timer> sweep_timer_;
  Duration sweep_every_{0};  ///< 0: series never expire, no sweep
  bool registered_ = false;
};

}  // namespace
}  // namespace routerpulse

ROUTERPULSE_PLUGIN(output, prometheus, "Serves the latest value of every numeric field on the agent's /metrics",
                   routerpulse::PrometheusOutput)
