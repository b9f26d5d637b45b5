// routeros_traffic — PPPoE session tracking per router (see pppoe_tracker.hpp).
#include "pppoe_tracker.hpp"

#include <unordered_set>

#include "traffic_input.hpp"

namespace routerpulse::routeros_traffic {

namespace rr = routerpulse::routeros;

namespace {
rr::Command print_command() {
  return rr::Command("/ppp/active/print")
      .proplist({".id", "name", "service", "caller-id", "address", "uptime", "encoding", "session-id"});
}
}  // namespace

PppoeTracker::PppoeTracker(TrafficInput& input, std::shared_ptr<rr::Session> api, RouterStats& stats, Hooks hooks)
    : input_(input),
      api_(std::move(api)),
      filter_(input.settings().users),
      mode_(input.settings().discovery),
      stats_(stats),
      hooks_(std::move(hooks)),
      resync_timer_(input.ctx().clock.make_timer(input.ctx().strand)) {}

PppoeTracker::~PppoeTracker() {
  if (listen_) listen_->cancel();
}

void PppoeTracker::start() {
  if (mode_ == Discovery::listen) {
    start_listen();
    arm_resync();
  }
  refresh();
}

void PppoeTracker::stop() {
  stopped_ = true;
  resync_timer_->cancel();
  if (listen_) listen_->cancel();
  listen_.reset();
  waiters_.clear();
}

void PppoeTracker::start_listen() {
  // No .proplist: `.dead` rows must come through unfiltered.
  rr::StreamOptions so;
  so.executor = input_.ctx().strand;
  listen_ = api_->stream(rr::Command("/ppp/active/listen"),
                         input_.guarded([this](const rr::Reply& row) { on_listen_row(row); }),
                         input_.guarded([this](const rr::StreamEvent& ev) { on_listen_event(ev); }), so);
}

void PppoeTracker::refresh(std::function<void(bool)> done, Duration timeout) {
  if (stopped_) {
    if (done) done(false);
    return;
  }
  if (done) waiters_.push_back(std::move(done));
  if (print_in_flight_) return;
  print_in_flight_ = true;
  rr::CommandOptions co;
  co.timeout = timeout;
  co.executor = input_.ctx().strand;
  api_->execute(print_command(), input_.guarded([this](rr::Result r) { on_print(std::move(r)); }), co);
}

void PppoeTracker::on_print(rr::Result r) {
  print_in_flight_ = false;
  if (stopped_) return;
  const bool ok = r.ok();
  if (ok) {
    const SteadyTime now = input_.ctx().clock.steady_now();
    std::vector<PppoeSession> rows;
    rows.reserve(r.rows.size());
    std::unordered_set<std::string> present;
    size_t bad = 0;
    for (const auto& row : r.rows) {
      bool bad_value = false;
      auto s = parse_pppoe_row(row, now, bad_value);
      bad += bad_value;
      if (!s || !filter_.accepts(s->user)) continue;
      present.insert(s->id);
      rows.push_back(std::move(*s));
    }
    if (bad) stats_.errors("parse").inc(bad);
    std::vector<std::string> gone;
    for (const auto& [id, s] : sessions_)
      if (!present.count(id)) gone.push_back(id);
    for (const auto& id : gone) erase(id);
    for (auto& s : rows) upsert(std::move(s));
    if (!synced_) input_.ctx().log->debug("router {}: {} PPPoE sessions", api_->name(), sessions_.size());
    synced_ = true;
  } else {
    stats_.errors(rr::to_string(r.error.kind)).inc();
    // Warn once per failure streak; a down router would repeat this every interval.
    // The message names the router and the command (session.hpp).
    if (last_print_ok_)
      input_.ctx().log->warn("{}", r.error.message);
    else
      input_.ctx().log->debug("{}", r.error.message);
  }
  last_print_ok_ = ok;
  publish_count();
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w(ok);
}

void PppoeTracker::on_listen_row(const rr::Reply& row) {
  if (stopped_) return;
  if (const std::string* dead = row.get(".dead"); dead && *dead != "false" && *dead != "no") {
    if (const std::string* id = row.get(".id")) erase(*id);
  } else {
    bool bad_value = false;
    auto s = parse_pppoe_row(row, input_.ctx().clock.steady_now(), bad_value);
    if (bad_value) stats_.errors("parse").inc();
    if (s) upsert(std::move(*s));
  }
  publish_count();
}

void PppoeTracker::on_listen_event(const rr::StreamEvent& ev) {
  if (stopped_) return;
  switch (ev.type) {
    case rr::StreamEventType::interrupted: synced_ = false; break;
    case rr::StreamEventType::resumed:
      refresh();  // catch up with what happened while disconnected
      break;
    case rr::StreamEventType::ended:
      listen_.reset();
      if (ev.error.kind == rr::ErrorKind::stopped) return;
      if (ev.error) stats_.errors(rr::to_string(ev.error.kind)).inc();
      input_.ctx().log->warn(
          "router {}: /ppp/active/listen ended ({}); falling back to /ppp/active/print every interval", api_->name(),
          ev.error ? ev.error.message : std::string("!done"));
      mode_ = Discovery::poll;
      resync_timer_->cancel();
      break;
  }
}

void PppoeTracker::upsert(PppoeSession s) {
  auto it = sessions_.find(s.id);
  if (!filter_.accepts(s.user)) {
    if (it != sessions_.end()) erase(s.id);
    return;
  }
  if (it != sessions_.end()) {
    if (it->second.user == s.user) {
      it->second = std::move(s);  // refreshed address / uptime
      return;
    }
    erase(s.id);  // the same .id now names another user: end the old one first
  }
  auto [pos, inserted] = sessions_.emplace(s.id, std::move(s));
  if (inserted && hooks_.added) hooks_.added(pos->second);
}

void PppoeTracker::erase(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  PppoeSession gone = std::move(it->second);
  sessions_.erase(it);
  if (hooks_.removed) hooks_.removed(gone);
}

void PppoeTracker::arm_resync() {
  const Duration every = input_.settings().resync_interval;
  if (every <= Duration::zero()) return;
  // The timer is a member: its callback never runs after stop() or destruction.
  resync_timer_->arm(every, input_.guarded([this] {
    if (stopped_ || mode_ != Discovery::listen) return;
    refresh();
    arm_resync();
  }));
}

void PppoeTracker::publish_count() { stats_.pppoe_sessions_active.set(static_cast<double>(sessions_.size())); }

}  // namespace routerpulse::routeros_traffic
