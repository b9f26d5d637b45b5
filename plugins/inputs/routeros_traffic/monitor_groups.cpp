// routeros_traffic — grouped monitor-traffic streams (see monitor_groups.hpp).
#include "monitor_groups.hpp"

#include <algorithm>

#include "metric_builders.hpp"
#include "traffic_input.hpp"

namespace routerpulse::routeros_traffic {

namespace rr = routerpulse::routeros;

MonitorGroups::MonitorGroups(TrafficInput& input, std::shared_ptr<rr::Session> api, RouterStats& stats,
                             std::shared_ptr<SampleSink> sink, std::function<void()> on_failure)
    : input_(input),
      api_(std::move(api)),
      per_command_(input.settings().interfaces_per_command),
      reissue_delay_(input.settings().reissue_delay),
      stats_(stats),
      sink_(std::move(sink)),
      on_failure_(std::move(on_failure)),
      timer_(input.ctx().clock.make_timer(input.ctx().strand)) {}

MonitorGroups::~MonitorGroups() {
  for (auto& [id, g] : groups_)
    if (g->stream) g->stream->cancel();
}

void MonitorGroups::add(const std::string& iface) {
  if (stopped_ || contains(iface)) return;
  Group& g = group_with_room();
  g.members.push_back(iface);
  where_.emplace(iface, g.id);
  mark_dirty(g);
  publish();
}

void MonitorGroups::remove(const std::string& iface) {
  auto it = where_.find(iface);
  if (it == where_.end()) return;
  auto git = groups_.find(it->second);
  where_.erase(it);
  if (git != groups_.end()) {
    auto& members = git->second->members;
    members.erase(std::remove(members.begin(), members.end(), iface), members.end());
    mark_dirty(*git->second);
  }
  publish();
}

void MonitorGroups::stop() {
  stopped_ = true;
  timer_->cancel();
  timer_at_.reset();
  for (auto& [id, g] : groups_)
    if (g->stream) g->stream->cancel();
  groups_.clear();
  where_.clear();
  publish();
}

MonitorGroups::Group& MonitorGroups::group_with_room() {
  Group* any = nullptr;
  for (auto& [id, g] : groups_) {
    if (g->members.size() >= per_command_) continue;
    if (g->dirty) return *g;  // is re-issued anyway: fill it first
    if (!any) any = g.get();
  }
  if (any) return *any;
  auto g = std::make_unique<Group>();
  g->id = next_group_++;
  Group& ref = *g;
  groups_.emplace(ref.id, std::move(g));
  return ref;
}

void MonitorGroups::mark_dirty(Group& g) {
  g.dirty = true;
  const SteadyTime soonest =
      input_.ctx().clock.steady_now() + std::chrono::duration_cast<SteadyTime::duration>(reissue_delay_);
  schedule(std::max(soonest, g.not_before));
}

void MonitorGroups::schedule(SteadyTime at) {
  if (stopped_) return;
  if (timer_at_ && *timer_at_ <= at) return;
  timer_at_ = at;
  // The timer is a member: its callback never runs after stop() or destruction.
  timer_->arm_at(at, input_.guarded([this] {
    timer_at_.reset();
    reissue_due();
  }));
}

void MonitorGroups::reissue_due() {
  if (stopped_) return;
  const SteadyTime now = input_.ctx().clock.steady_now();
  std::optional<SteadyTime> next;
  std::vector<uint64_t> due;
  for (auto& [id, g] : groups_) {
    if (!g->dirty) continue;
    if (g->not_before <= now)
      due.push_back(id);
    else
      next = next ? std::min(*next, g->not_before) : g->not_before;
  }
  for (uint64_t id : due)
    if (auto it = groups_.find(id); it != groups_.end()) reissue(*it->second);
  if (next) schedule(*next);
  publish();
}

void MonitorGroups::reissue(Group& g) {
  if (g.stream) {
    g.stream->cancel();
    g.stream.reset();
  }
  g.dirty = false;
  if (g.members.empty()) {
    groups_.erase(g.id);
    return;
  }
  std::string list;
  for (const auto& m : g.members) {
    if (!list.empty()) list.push_back(',');
    list += m;
  }
  rr::Command cmd("/interface/monitor-traffic");
  cmd.attr("interface", std::move(list));
  cmd.proplist(monitor_traffic_proplist());
  rr::StreamOptions so;
  so.executor = input_.ctx().strand;
  so.on_row = [sink = sink_, got = g.got_row](const rr::RowView& r) {
    got->store(true, std::memory_order_relaxed);
    sink->on_row(r);
  };
  so.on_read_end = [sink = sink_] { sink->read_end(); };
  const uint64_t gid = g.id;
  // The stream id is known only after stream() returns; events carry it.
  auto sid = std::make_shared<uint64_t>(0);
  g.stream = api_->stream(
      std::move(cmd), [](const rr::Reply&) {},
      input_.guarded([this, gid, sid](const rr::StreamEvent& ev) { on_event(gid, *sid, ev); }), so);
  *sid = g.stream->id();
  stats_.monitor_reissues.inc();
}

void MonitorGroups::on_event(uint64_t group_id, uint64_t stream_id, const rr::StreamEvent& ev) {
  if (stopped_ || ev.type != rr::StreamEventType::ended) return;
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return;
  Group& g = *it->second;
  if (!g.stream || g.stream->id() != stream_id) return;  // an older, replaced command
  g.stream.reset();
  if (ev.error.kind == rr::ErrorKind::stopped) return;  // the shared API session is shutting down
  stats_.errors(ev.error ? rr::to_string(ev.error.kind) : "ended").inc();
  if (g.got_row->exchange(false)) g.backoff.reset();  // it worked since the last failure
  const Duration delay = g.backoff.next();
  // Error messages already name the router (session.hpp).
  const std::string why = ev.error ? ev.error.message : "router " + api_->name() + ": monitor-traffic ended (!done)";
  input_.ctx().log->warn("{}; re-issuing it for {} interface(s) in {:.1f}s", why, g.members.size(),
                         std::chrono::duration<double>(delay).count());
  g.not_before = input_.ctx().clock.steady_now() + std::chrono::duration_cast<SteadyTime::duration>(delay);
  mark_dirty(g);
  if (on_failure_) on_failure_();
}

void MonitorGroups::publish() {
  stats_.monitors_active.set(static_cast<double>(where_.size()));
  stats_.monitor_commands_active.set(static_cast<double>(groups_.size()));
}

}  // namespace routerpulse::routeros_traffic
