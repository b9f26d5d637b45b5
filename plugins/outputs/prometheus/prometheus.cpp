// Output `prometheus`: serves the latest value of every numeric field on the
// agent's `/metrics` endpoint (see README.md).
#include <algorithm>
#include <memory>

#include "routerpulse/http.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/stats.hpp"
#include "series_store.hpp"

namespace routerpulse {
namespace {

constexpr Duration kMinDefaultExpiry = std::chrono::seconds(60);

class PrometheusOutput final : public Output {
 public:
  PrometheusOutput(const Options& o, PluginContext& ctx)
      : ctx_(ctx),
        key_("outputs." + ctx.id),
        samples_(ctx.stats.counter("output", "prometheus_samples_updated_total",
                                   "Field values stored as the latest sample of a series.", {{"output", ctx.id}})),
        skipped_(ctx.stats.counter("output", "prometheus_string_fields_skipped_total",
                                   "String fields left out (Prometheus samples are numbers).", {{"output", ctx.id}})),
        expired_(ctx.stats.counter("output", "prometheus_series_expired_total",
                                   "Series removed because they were not updated within expire_after.",
                                   {{"output", ctx.id}})),
        series_(ctx.stats.gauge("output", "prometheus_series", "Series currently exposed on /metrics.",
                                {{"output", ctx.id}})) {
    // No interval of its own: default to twice the agent interval, at least 60s.
    const Duration def = std::max(kMinDefaultExpiry, 2 * ctx.interval);
    prom::StoreOptions so;
    so.expire_after = std::chrono::duration_cast<prom::Clock::duration>(o.get_duration("expire_after", def));
    so.base_units = o.get_bool("base_units", true);
    if (!ctx.http)
      throw o.error("", "the prometheus output serves the agent's HTTP endpoint; enable it with agent.http.listen");
    store_ = std::make_shared<prom::SeriesStore>(so);
  }

  ~PrometheusOutput() override { unregister(); }

  void start() override {
    // The writer owns the store through a shared_ptr, so a scrape already
    // running when stop() unregisters it still has valid data.
    ctx_.http->add_exposition(key_, [store = store_, &expired = expired_, &series = series_](std::string& out) {
      expired.inc(store->expire(prom::Clock::now()));
      series.set(static_cast<double>(store->size()));
      store->write(out);
    });
    registered_ = true;
  }

  void stop(std::function<void()> done) override {
    unregister();
    done();
  }

  void write(const MetricBatch& batch, std::function<void(WriteResult)> done) override {
    auto st = store_->update(batch, prom::Clock::now());
    samples_.inc(st.samples);
    skipped_.inc(st.string_fields);
    expired_.inc(st.expired);
    series_.set(static_cast<double>(store_->size()));
    done(WriteResult::success());
  }

 private:
  void unregister() {
    if (registered_) ctx_.http->remove_exposition(key_);
    registered_ = false;
  }

  PluginContext& ctx_;
  std::string key_;
  Counter& samples_;
  Counter& skipped_;
  Counter& expired_;
  Gauge& series_;
  std::shared_ptr<prom::SeriesStore> store_;
  bool registered_ = false;
};

}  // namespace
}  // namespace routerpulse

ROUTERPULSE_PLUGIN(output, prometheus, "Serves the latest value of every numeric field on the agent's /metrics",
                   routerpulse::PrometheusOutput)
