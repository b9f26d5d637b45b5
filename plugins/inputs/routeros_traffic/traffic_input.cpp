// routeros_traffic — the input component (see traffic_input.hpp).
#include "traffic_input.hpp"

#include "poll_scheduler.hpp"
#include "router_traffic.hpp"
#include "on_demand.hpp"
#include "traffic_api.hpp"
#include "routerpulse/routeros/registry.hpp"

namespace routerpulse::routeros_traffic {

void TrafficInput::validate(const Options& o) { (void)TrafficOptions::read(o); }

TrafficInput::TrafficInput(const Options& o, PluginContext& ctx)
    : ctx_(ctx),
      opts_(TrafficOptions::read(o)),
      delay_(ctx.self_metrics.histogram(
          "sample_delay_seconds",
          "routeros-sim send timestamp (=.sim-sent-ns=) to arrival of monitor-traffic samples (benchmarks)")) {
  for (const auto& name : resolve_routers(o, opts_, ctx.routers)) {
    auto s = ctx.routers->find(name);
    if (!s) throw o.error("routers", "router \"" + name + "\" has no API session");  // registry changed under us
    sessions_.push_back(std::move(s));
  }
}

// Streams of the parts are cancelled by their destructors (thread-safe);
// guarded callbacks already in flight see the input gone and do nothing.
TrafficInput::~TrafficInput() = default;

void TrafficInput::start() {
  if (started_ || stopped_) return;
  started_ = true;
  for (const auto& s : sessions_) {
    routers_.push_back(std::make_unique<RouterTraffic>(*this, s));
    routers_.back()->start();
  }
  std::vector<RouterTraffic*> routers;
  for (auto& r : routers_) routers.push_back(r.get());
  polls_ = std::make_unique<PollScheduler>(*this, std::move(routers));
  on_demand_ = std::make_unique<OnDemand>(*this);
  for (auto& r : routers_) on_demand_->add_router(*r);
  api_ = std::make_unique<TrafficApi>(*this);
  api_->start();
  ctx_.health.set(HealthState::healthy);
  const size_t monitoring = opts_.users.enabled() && opts_.monitor_traffic ? routers_.size() : 0;
  ctx_.log->info("started on {} router(s); live PPPoE traffic on {}; interface counters {}", routers_.size(),
                 monitoring, opts_.interfaces.empty() ? "off" : "on");
}

void TrafficInput::stop(std::function<void()> done) {
  if (!stopped_.exchange(true, std::memory_order_acq_rel)) {
    // guarded() now refuses every callback; cancel what is still running.
    if (api_) api_->stop();
    if (on_demand_) on_demand_->stop();
    for (auto& r : routers_) r->stop();
    if (polls_) polls_->abort();  // calls a pending gather's done
    ctx_.health.clear();
  }
  done();
}

void TrafficInput::gather(std::function<void()> done) {
  if (stopped_ || !started_) {
    done();
    return;
  }
  polls_->tick(std::move(done));
}

void TrafficInput::report_round(const std::vector<std::string>& problems) {
  if (stopped_) return;
  if (problems.empty()) {
    ctx_.health.set(HealthState::healthy);
    return;
  }
  std::string detail =
      std::to_string(problems.size()) + " of " + std::to_string(routers_.size()) + " router(s) failing: ";
  for (size_t i = 0; i < problems.size() && i < 3; ++i) detail += (i ? "; " : "") + problems[i];
  if (problems.size() > 3) detail += "; …";
  ctx_.health.set(HealthState::degraded, std::move(detail));
}

}  // namespace routerpulse::routeros_traffic
