// routeros_traffic — per-router glue (see router_traffic.hpp).
#include "router_traffic.hpp"

#include "metric_builders.hpp"
#include "traffic_input.hpp"

namespace routerpulse::routeros_traffic {

namespace rr = routerpulse::routeros;

RouterTraffic::RouterTraffic(TrafficInput& input, std::shared_ptr<rr::Session> api)
    : input_(input), api_(std::move(api)), stats_(input.ctx().self_metrics, api_->name()) {
  const TrafficOptions& opts = input.settings();
  if (opts.users.enabled()) {
    tracker_ = std::make_unique<PppoeTracker>(input, api_, stats_,
                                              PppoeTracker::Hooks{[this](const PppoeSession& s) { on_added(s); },
                                                                  [this](const PppoeSession& s) { on_removed(s); }});
    if (opts.monitor_traffic) {
      PluginContext& ctx = input.ctx();
      sink_ = std::make_shared<SampleSink>(SampleSink::Deps{ctx.emit, ctx.clock, stats_.samples, stats_.errors("parse"),
                                                            input.sample_delay(), opts.sample_time, opts.batch_size});
      monitors_ = std::make_unique<MonitorGroups>(input, api_, stats_, sink_, [this] { tracker_->refresh(); });
    }
  }
  if (!opts.interfaces.empty()) counters_.emplace(opts.interfaces, opts.counter_bits);
  if (opts.queues.enabled()) {
    queues_ = std::make_unique<QueuePoll>(name(), opts.queues);
    queues_->attach(input.ctx());
  }
  // Looked up once per streamed sample: keep chains short.
  monitored_.max_load_factor(0.5f);
}

void RouterTraffic::start() {
  if (tracker_) tracker_->start();
}

void RouterTraffic::stop() {
  if (tracker_) tracker_->stop();
  if (monitors_) monitors_->stop();
  if (sink_) sink_->stop();
  monitored_.clear();
  waiting_.clear();
  stats_.pppoe_sessions_active.set(0);
}

void RouterTraffic::on_added(const PppoeSession& s) {
  if (!monitors_) return;
  if (try_monitor(s)) return;
  waiting_.insert(s.id);
  stats_.monitors_skipped.inc();
  if (!warned_cap_) {
    warned_cap_ = true;
    input_.ctx().log->warn(
        "router {}: max_monitors ({}) reached; further PPPoE sessions are tracked but not monitored "
        "(counted in routerpulse_routeros_traffic_monitors_skipped_total; raise max_monitors or narrow "
        "include/exclude)",
        name(), input_.settings().max_monitors);
  }
}

bool RouterTraffic::try_monitor(const PppoeSession& s) {
  if (monitored_.size() >= input_.settings().max_monitors) return false;
  auto [it, inserted] = monitored_.try_emplace(s.interface, Monitored{s.id});
  if (!inserted) return true;  // the same interface is already streamed for an older .id
  sink_->set(s.interface, pppoe_traffic_prototype(name(), s));
  monitors_->add(s.interface);
  return true;
}

void RouterTraffic::on_removed(const PppoeSession& s) {
  if (!monitors_) return;
  if (waiting_.erase(s.id)) return;
  auto it = monitored_.find(s.interface);
  if (it == monitored_.end() || it->second.session_id != s.id) return;
  monitored_.erase(it);
  sink_->erase(s.interface);
  monitors_->remove(s.interface);
  promote();
}

void RouterTraffic::promote() {
  while (!waiting_.empty() && monitored_.size() < input_.settings().max_monitors) {
    const std::string id = *waiting_.begin();
    waiting_.erase(waiting_.begin());
    auto it = tracker_->sessions().find(id);
    if (it != tracker_->sessions().end()) try_monitor(it->second);
  }
}

void RouterTraffic::session_metrics(SteadyTime now, int64_t time_ns, MetricBatch& out) const {
  if (!tracker_) return;
  out.reserve(out.size() + tracker_->sessions().size());
  for (const auto& [id, s] : tracker_->sessions()) {
    auto it = monitored_.find(s.interface);
    const bool monitored = it != monitored_.end() && it->second.session_id == id;
    out.push_back(pppoe_session_metric(name(), s, monitored, now, time_ns));
  }
}

bool RouterTraffic::note_uptime(double uptime_seconds) {
  // Uptime only grows; one second of slack absorbs RouterOS' whole-second rounding.
  const bool restarted = last_uptime_seconds_ >= 0 && uptime_seconds + 1.0 < last_uptime_seconds_;
  last_uptime_seconds_ = uptime_seconds;
  if (restarted)
    input_.ctx().log->warn("router {}: uptime went down to {}s: the router restarted", name(), uptime_seconds);
  return restarted;
}

void RouterTraffic::note_poll(bool ok, const std::string& why) {
  if (ok && !last_poll_ok_) input_.ctx().log->info("router {}: answering again", name());
  if (!ok && last_poll_ok_) input_.ctx().log->warn("{}", why);  // `why` names the router
  last_poll_ok_ = ok;
}

}  // namespace routerpulse::routeros_traffic
