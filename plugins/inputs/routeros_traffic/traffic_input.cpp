// routeros_traffic — input state and lifecycle (see traffic_input.hpp).
#include "traffic_input.hpp"

#include <boost/asio/post.hpp>

#include "routerpulse/routeros/registry.hpp"
#include "routerpulse/stats.hpp"

namespace routerpulse::routeros_traffic {

std::shared_ptr<TrafficCore> TrafficCore::create(const Options& o, PluginContext& ctx) {
  return std::make_shared<TrafficCore>(o, ctx);
}

TrafficCore::TrafficCore(const Options& o, PluginContext& ctx)
    : ctx_(ctx),
      opts_(parse_options(o, ctx)),
      delay_(ctx.stats.histogram("routeros_traffic", "sample_delay_seconds",
                                 "Sender timestamp (routeros-sim =.sim-sent-ns=) to arrival of monitor-traffic samples",
                                 {{"input", ctx.id}})) {
  for (const auto& name : opts_.routers) {
    auto s = ctx.routers->find(name);
    if (!s) throw o.error("routers", "router \"" + name + "\" has no session");  // registry changed under us
    sessions_.push_back(std::move(s));
  }
}

void TrafficCore::start() {
  if (started_ || stopped_) return;
  started_ = true;
  Guard guard(weak_from_this(), &stopped_);
  batcher_.emplace(ctx_.strand, guard, opts_.flush_interval, opts_.batch_size,
                   [this](MetricBatch&& b) { ctx_.emit(std::move(b)); });
  batcher_->start();
  for (const auto& s : sessions_) {
    routers_.push_back(
        std::make_unique<RouterTraffic>(s, ctx_.strand, guard, opts_, ctx_.stats, ctx_.id, ctx_.log, *batcher_, delay_));
    routers_.back()->start();
  }
  size_t monitoring = opts_.users.enabled() && opts_.monitor_traffic ? routers_.size() : 0;
  ctx_.log->info("started on {} router(s); live traffic on {}; interface counters {}", routers_.size(), monitoring,
                 opts_.interfaces.empty() ? "off" : "on");
}

void TrafficCore::stop() {
  if (stopped_.exchange(true, std::memory_order_acq_rel)) return;
  // Guards now refuse every callback; cancel what is still running.
  for (auto& r : routers_) r->stop();
  if (batcher_) batcher_->stop();
  if (round_) round_->abort();
  round_.reset();
}

void TrafficCore::request_stop() {
  // Nothing runs before start(); posting then would only leave a handler of
  // this plugin's code in the io_context.
  if (!started_.load() || stopped_.load()) return;
  boost::asio::post(ctx_.strand, [self = shared_from_this()] { self->stop(); });
}

void TrafficCore::gather(std::function<void()> done) {
  if (stopped_ || !started_) {
    done();
    return;
  }
  std::vector<RouterTraffic*> routers;
  for (auto& r : routers_) routers.push_back(r.get());
  Guard guard(weak_from_this(), &stopped_);
  round_ = std::make_shared<GatherRound>(std::move(routers), opts_, ctx_.strand, guard,
                                         opts_.gather_timeout(ctx_.interval),
                                         [this](MetricBatch&& b) { ctx_.emit(std::move(b)); }, std::move(done));
  round_->run();
}

}  // namespace routerpulse::routeros_traffic
