// routeros_traffic — PPPoE session tracking per router (see session_tracker.hpp).
#include "session_tracker.hpp"

#include <unordered_set>

namespace routerpulse::routeros_traffic {

namespace rr = routerpulse::routeros;

namespace {
rr::Command print_command() {
  return rr::Command("/ppp/active/print")
      .proplist({".id", "name", "service", "caller-id", "address", "uptime", "encoding", "session-id"});
}
}  // namespace

SessionTracker::SessionTracker(std::shared_ptr<rr::Session> session, const Strand& strand, Guard guard,
                               const UserFilter& filter, Discovery mode, Duration resync_interval, RouterStats& stats,
                               std::shared_ptr<spdlog::logger> log, Hooks hooks)
    : session_(std::move(session)),
      strand_(strand),
      guard_(std::move(guard)),
      filter_(filter),
      mode_(mode),
      resync_interval_(resync_interval),
      stats_(stats),
      log_(std::move(log)),
      hooks_(std::move(hooks)),
      resync_timer_(strand) {}

void SessionTracker::start() {
  if (mode_ == Discovery::listen) {
    start_listen();
    arm_resync();
  }
  refresh();
}

void SessionTracker::stop() {
  stopped_ = true;
  resync_timer_.cancel();
  if (listen_) listen_->cancel();
  listen_.reset();
  waiters_.clear();
}

void SessionTracker::start_listen() {
  // No .proplist: `.dead` rows must come through unfiltered.
  rr::StreamOptions so;
  so.executor = strand_;
  listen_ = session_->stream(
      rr::Command("/ppp/active/listen"), guard_.wrap([this](const rr::Reply& row) { on_listen_row(row); }),
      guard_.wrap([this](const rr::StreamEvent& ev) { on_listen_event(ev); }), so);
}

void SessionTracker::refresh(std::function<void(bool)> done, Duration timeout) {
  if (stopped_) {
    if (done) done(false);
    return;
  }
  if (done) waiters_.push_back(std::move(done));
  if (print_in_flight_) return;
  print_in_flight_ = true;
  rr::CommandOptions co;
  co.timeout = timeout;
  co.executor = strand_;
  session_->execute(print_command(), guard_.wrap([this](rr::Result r) { on_print(std::move(r)); }), co);
}

void SessionTracker::on_print(rr::Result r) {
  print_in_flight_ = false;
  if (stopped_) return;
  const bool ok = r.ok();
  if (ok) {
    const int64_t now = steady_ns();
    std::vector<PppSession> rows;
    rows.reserve(r.rows.size());
    std::unordered_set<std::string> present;
    size_t bad = 0;
    for (const auto& row : r.rows) {
      bool bad_value = false;
      auto s = parse_ppp_row(row, now, bad_value);
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
    if (!synced_) log_->debug("router {}: {} PPPoE sessions", session_->name(), sessions_.size());
    synced_ = true;
  } else {
    stats_.errors(rr::to_string(r.error.kind)).inc();
    // Warn once per failure streak; a down router would repeat this every interval.
    // The message names the router and the command (session.hpp).
    if (last_print_ok_) log_->warn("{}", r.error.message);
    else log_->debug("{}", r.error.message);
  }
  last_print_ok_ = ok;
  publish_count();
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w(ok);
}

void SessionTracker::on_listen_row(const rr::Reply& row) {
  if (stopped_) return;
  if (const std::string* dead = row.get(".dead"); dead && *dead != "false" && *dead != "no") {
    if (const std::string* id = row.get(".id")) erase(*id);
  } else {
    bool bad_value = false;
    auto s = parse_ppp_row(row, steady_ns(), bad_value);
    if (bad_value) stats_.errors("parse").inc();
    if (s) upsert(std::move(*s));
  }
  publish_count();
}

void SessionTracker::on_listen_event(const rr::StreamEvent& ev) {
  if (stopped_) return;
  switch (ev.type) {
    case rr::StreamEventType::interrupted:
      synced_ = false;
      break;
    case rr::StreamEventType::resumed:
      refresh();  // catch up with what happened while disconnected
      break;
    case rr::StreamEventType::ended:
      listen_.reset();
      if (ev.error.kind == rr::ErrorKind::stopped) return;
      if (ev.error) stats_.errors(rr::to_string(ev.error.kind)).inc();
      log_->warn("router {}: /ppp/active/listen ended ({}); falling back to /ppp/active/print every interval",
                 session_->name(), ev.error ? ev.error.message : std::string("!done"));
      mode_ = Discovery::poll;
      resync_timer_.cancel();
      break;
  }
}

void SessionTracker::upsert(PppSession s) {
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

void SessionTracker::erase(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  PppSession gone = std::move(it->second);
  sessions_.erase(it);
  if (hooks_.removed) hooks_.removed(gone);
}

void SessionTracker::arm_resync() {
  if (resync_interval_ <= Duration::zero()) return;
  resync_timer_.expires_after(resync_interval_);
  resync_timer_.async_wait([this, g = guard_](boost::system::error_code ec) {
    if (ec) return;
    g.wrap([this] {
      if (stopped_ || mode_ != Discovery::listen) return;
      refresh();
      arm_resync();
    })();
  });
}

void SessionTracker::publish_count() { stats_.sessions_active.set(static_cast<double>(sessions_.size())); }

}  // namespace routerpulse::routeros_traffic
