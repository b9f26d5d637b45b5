// routeros_traffic — grouped monitor-traffic streams (see monitor_groups.hpp).
#include "monitor_groups.hpp"

#include <algorithm>

#include "metric_builders.hpp"
#include "ppp_session.hpp"

namespace routerpulse::routeros_traffic {

namespace rr = routerpulse::routeros;

MonitorGroups::MonitorGroups(std::shared_ptr<rr::Session> session, const Strand& strand, Guard guard,
                             size_t per_command, Duration reissue_delay, RouterStats& stats,
                             std::shared_ptr<spdlog::logger> log, std::function<void(const rr::Reply&)> on_sample,
                             std::function<void()> on_failure)
    : session_(std::move(session)),
      strand_(strand),
      guard_(std::move(guard)),
      per_command_(per_command),
      reissue_delay_(reissue_delay),
      stats_(stats),
      log_(std::move(log)),
      on_sample_(std::move(on_sample)),
      on_failure_(std::move(on_failure)),
      timer_(strand) {}

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
  timer_.cancel();
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
  const int64_t at = std::max(steady_ns() + reissue_delay_.count(), g.not_before_ns);
  schedule(at);
}

void MonitorGroups::schedule(int64_t at_ns) {
  if (stopped_) return;
  if (timer_at_ns_ != 0 && timer_at_ns_ <= at_ns) return;
  timer_at_ns_ = at_ns;
  timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(at_ns)));
  timer_.async_wait([this, g = guard_](boost::system::error_code ec) {
    if (ec) return;
    g.wrap([this] {
      timer_at_ns_ = 0;
      reissue_due();
    })();
  });
}

void MonitorGroups::reissue_due() {
  if (stopped_) return;
  const int64_t now = steady_ns();
  int64_t next = 0;
  std::vector<uint64_t> due;
  for (auto& [id, g] : groups_) {
    if (!g->dirty) continue;
    if (g->not_before_ns <= now) due.push_back(id);
    else next = next == 0 ? g->not_before_ns : std::min(next, g->not_before_ns);
  }
  for (uint64_t id : due)
    if (auto it = groups_.find(id); it != groups_.end()) reissue(*it->second);
  if (next != 0) schedule(next);
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
  so.executor = strand_;
  Group* gp = &g;
  const uint64_t gid = g.id;
  // The stream id is known only after stream() returns; events carry it.
  auto sid = std::make_shared<uint64_t>(0);
  g.stream = session_->stream(
      std::move(cmd),
      guard_.wrap([this, gp](const rr::Reply& r) {
        gp->backoff.reset();
        on_sample_(r);
      }),
      guard_.wrap([this, gid, sid](const rr::StreamEvent& ev) { on_event(gid, *sid, ev); }), so);
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
  if (ev.error.kind == rr::ErrorKind::stopped) return;  // the shared session is shutting down
  stats_.errors(ev.error ? rr::to_string(ev.error.kind) : "ended").inc();
  const Duration delay = g.backoff.next();
  // Error messages already name the router (session.hpp).
  const std::string why = ev.error ? ev.error.message : "router " + session_->name() + ": monitor-traffic ended (!done)";
  log_->warn("{}; re-issuing it for {} interface(s) in {:.1f}s", why, g.members.size(),
             std::chrono::duration<double>(delay).count());
  g.not_before_ns = steady_ns() + delay.count();
  mark_dirty(g);
  if (on_failure_) on_failure_();
}

void MonitorGroups::publish() {
  stats_.monitors_active.set(static_cast<double>(where_.size()));
  stats_.monitor_commands_active.set(static_cast<double>(groups_.size()));
}

}  // namespace routerpulse::routeros_traffic
