// routeros_traffic — one gather round (see gather_round.hpp).
#include "gather_round.hpp"

#include "metric_builders.hpp"
#include "ppp_session.hpp"

namespace routerpulse::routeros_traffic {

namespace rr = routerpulse::routeros;

GatherRound::GatherRound(std::vector<RouterTraffic*> routers, const TrafficOptions& opts, const Strand& strand,
                         Guard guard, Duration timeout, std::function<void(MetricBatch&&)> emit,
                         std::function<void()> done)
    : opts_(opts),
      strand_(strand),
      guard_(std::move(guard)),
      timeout_(timeout),
      emit_(std::move(emit)),
      done_(std::move(done)),
      deadline_(strand) {
  parts_.resize(routers.size());
  for (size_t i = 0; i < routers.size(); ++i) parts_[i].router = routers[i];
}

void GatherRound::run() {
  unfinished_ = parts_.size();
  deadline_.expires_after(timeout_);
  deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;
    self->guard_.wrap([self] { self->on_deadline(); })();
  });
  for (size_t i = 0; i < parts_.size(); ++i) {
    Part& p = parts_[i];
    RouterTraffic& r = *p.router;
    if (r.session().state() == rr::SessionState::backoff) {
      p.down_at_start = true;
      finish(i);
      continue;
    }
    if (opts_.system) {
      issue(i, resource, rr::Command("/system/resource/print"));
      issue(i, identity, rr::Command("/system/identity/print").proplist({"name"}));
    }
    if (r.counters()) issue(i, interfaces, InterfaceCounters::command());
    if (SessionTracker* t = r.tracker()) {
      if (t->polling()) {
        p.issued[sessions] = true;
        ++p.pending;
        t->refresh(
            [self = shared_from_this(), i](bool ok) {
              rr::Result res;
              if (!ok) res.error = {rr::ErrorKind::trap, "/ppp/active/print failed", -1};
              self->on_result(i, sessions, std::move(res));
            },
            timeout_);
      } else if (!t->synced()) {
        t->refresh();  // listen mode, not in sync yet: catch up in the background
      }
    }
    if (p.pending == 0) finish(i);
  }
  started_ = true;
  maybe_done();
}

void GatherRound::issue(size_t idx, Cmd which, rr::Command cmd) {
  Part& p = parts_[idx];
  p.issued[which] = true;
  ++p.pending;
  rr::CommandOptions co;
  co.timeout = timeout_;
  co.executor = strand_;
  p.router->session().execute(
      std::move(cmd),
      guard_.wrap([self = shared_from_this(), idx, which](rr::Result r) { self->on_result(idx, which, std::move(r)); }),
      co);
}

void GatherRound::on_result(size_t idx, Cmd which, rr::Result r) {
  Part& p = parts_[idx];
  if (p.finished || done_called_) return;
  p.arrived[which] = true;
  p.results[which] = std::move(r);
  if (--p.pending == 0) finish(idx);
}

void GatherRound::finish(size_t idx) {
  Part& p = parts_[idx];
  if (p.finished) return;
  p.finished = true;
  --unfinished_;
  RouterTraffic& r = *p.router;
  const int64_t time = now_ns();
  const int64_t steady = steady_ns();

  bool answered = !p.down_at_start;
  std::string why = p.down_at_start ? "router " + r.name() + ": not connected (reconnecting)" : "";
  if (p.down_at_start) r.stats().errors("disconnected").inc();
  for (int w = 0; w < kCmds; ++w) {
    if (!p.issued[w]) continue;
    const rr::Error* err = nullptr;
    rr::Error timeout_err{rr::ErrorKind::timeout, "router " + r.name() + ": no answer within " + format_duration(timeout_),
                          -1};
    if (!p.arrived[w]) err = &timeout_err;
    else if (!p.results[w].ok()) err = &p.results[w].error;
    if (!err) continue;
    answered = false;
    r.stats().errors(rr::to_string(err->kind)).inc();
    if (why.empty()) why = err->message;
  }

  MetricBatch batch;
  bool restarted = false;
  const rr::Result& res = p.results[resource];
  if (opts_.system) {
    if (p.arrived[resource] && res.ok() && !res.rows.empty()) {
      const rr::Result& id = p.results[identity];
      const rr::Reply* id_row = p.arrived[identity] && id.ok() && !id.rows.empty() ? &id.rows.front() : nullptr;
      SystemInfo info;
      int bad = 0;
      batch.push_back(routeros_system_metric(r.name(), res.rows.front(), id_row, time, info, bad));
      if (bad) r.stats().errors("parse").inc(static_cast<uint64_t>(bad));
      if (info.uptime_s >= 0) restarted = r.note_uptime(info.uptime_s);
    } else {
      batch.push_back(routeros_system_down(r.name(), time));
    }
  }
  if (InterfaceCounters* c = r.counters(); c && p.arrived[interfaces] && p.results[interfaces].ok()) {
    auto ps = c->process(r.name(), p.results[interfaces].rows, steady, time, restarted, batch);
    if (ps.bad_values) r.stats().errors("parse").inc(ps.bad_values);
  }
  if (SessionTracker* t = r.tracker(); t && answered && t->synced()) r.session_metrics(steady, time, batch);
  r.note_poll(answered, why);
  if (!batch.empty()) emit_(std::move(batch));
  maybe_done();
}

void GatherRound::on_deadline() {
  if (done_called_) return;
  for (size_t i = 0; i < parts_.size(); ++i)
    if (!parts_[i].finished) finish(i);
}

void GatherRound::maybe_done() {
  if (!started_ || unfinished_ != 0 || done_called_) return;
  done_called_ = true;
  deadline_.cancel();
  if (done_) done_();
}

void GatherRound::abort() {
  if (done_called_) return;
  for (auto& p : parts_) p.finished = true;
  unfinished_ = 0;
  done_called_ = true;
  deadline_.cancel();
  if (done_) done_();
}

}  // namespace routerpulse::routeros_traffic
