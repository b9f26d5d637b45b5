// routeros_traffic — one gather round (see gather_round.hpp).
#include "gather_round.hpp"

#include "metric_builders.hpp"
#include "router_traffic.hpp"
#include "traffic_input.hpp"

namespace routerpulse::routeros_traffic {

namespace rr = routerpulse::routeros;

GatherRound::GatherRound(TrafficInput& input, std::vector<RouterTraffic*> routers, Duration timeout, Done done)
    : input_(input),
      timeout_(timeout),
      done_(std::move(done)),
      deadline_(input.ctx().clock.make_timer(input.ctx().strand)) {
  parts_.resize(routers.size());
  for (size_t i = 0; i < routers.size(); ++i) parts_[i].router = routers[i];
}

void GatherRound::run() {
  unfinished_ = parts_.size();
  started_at_ = input_.ctx().clock.steady_now();
  // The timer is a member: its callback never runs after abort() or destruction.
  deadline_->arm(timeout_, input_.guarded([this] { on_deadline(); }));
  for (size_t i = 0; i < parts_.size(); ++i) {
    Part& p = parts_[i];
    RouterTraffic& r = *p.router;
    if (r.api().state() == rr::SessionState::backoff) {
      p.down_at_start = true;
      finish(i);
      continue;
    }
    if (input_.settings().system) {
      issue(i, resource, rr::Command("/system/resource/print"));
      issue(i, identity, rr::Command("/system/identity/print").proplist({"name"}));
    }
    if (r.counters()) issue(i, interfaces, InterfaceCounters::command());
    if (r.queues()) issue(i, queues, QueuePoll::command());
    if (PppoeTracker* t = r.tracker()) {
      if (t->polling()) {
        p.issued[sessions] = true;
        ++p.pending;
        t->refresh(  // called on the strand by the tracker, which the input owns
            [self = shared_from_this(), i](bool ok) {
              rr::Result res;
              if (!ok)
                res.error = {rr::ErrorKind::trap,
                             "router " + self->parts_[i].router->name() + ": /ppp/active/print failed", -1};
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
  co.executor = input_.ctx().strand;
  p.router->api().execute(std::move(cmd), input_.guarded([self = shared_from_this(), idx, which](rr::Result r) {
    self->on_result(idx, which, std::move(r));
  }),
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
  const int64_t time = input_.ctx().clock.now_ns();
  const SteadyTime steady = input_.ctx().clock.steady_now();
  const double poll_seconds = std::chrono::duration<double>(steady - started_at_).count();
  r.stats().poll_duration.set(poll_seconds);

  bool answered = !p.down_at_start;
  std::string why = p.down_at_start ? "router " + r.name() + ": not connected (reconnecting)" : "";
  if (p.down_at_start) r.stats().errors("disconnected").inc();
  for (int w = 0; w < kCmds; ++w) {
    if (!p.issued[w]) continue;
    const rr::Error* err = nullptr;
    rr::Error timeout_err{rr::ErrorKind::timeout,
                          "router " + r.name() + ": no answer within " + format_duration(timeout_), -1};
    if (!p.arrived[w])
      err = &timeout_err;
    else if (!p.results[w].ok())
      err = &p.results[w].error;
    if (!err) continue;
    answered = false;
    r.stats().errors(rr::to_string(err->kind)).inc();
    if (why.empty()) why = err->message;
  }

  MetricBatch batch;
  bool restarted = false;
  const rr::Result& res = p.results[resource];
  if (input_.settings().system) {
    if (p.arrived[resource] && res.ok() && !res.rows.empty()) {
      const rr::Result& id = p.results[identity];
      const rr::Reply* id_row = p.arrived[identity] && id.ok() && !id.rows.empty() ? &id.rows.front() : nullptr;
      SystemInfo info;
      int bad = 0;
      batch.push_back(routeros_system_metric(r.name(), res.rows.front(), id_row, time, info, bad));
      batch.back().set_field("poll_duration_seconds", poll_seconds);
      if (bad) r.stats().errors("parse").inc(static_cast<uint64_t>(bad));
      if (info.uptime_seconds >= 0) restarted = r.note_uptime(info.uptime_seconds);
    } else {
      batch.push_back(routeros_system_down(r.name(), time));
    }
  }
  if (InterfaceCounters* c = r.counters(); c && p.arrived[interfaces] && p.results[interfaces].ok()) {
    auto ps = c->process(r.name(), p.results[interfaces].rows, steady_ns(steady), time, restarted, batch);
    if (ps.bad_values) r.stats().errors("parse").inc(ps.bad_values);
  }
  if (PppoeTracker* t = r.tracker(); t && answered && t->synced()) r.session_metrics(steady, time, batch);
  if (QueuePoll* q = r.queues();
      q && p.arrived[queues] && p.results[queues].ok() && (!r.tracker() || r.tracker()->synced())) {
    auto qs = q->process(p.results[queues].rows, r.tracker() ? &r.tracker()->sessions() : nullptr, time, batch);
    if (qs.bad_values) r.stats().errors("parse").inc(qs.bad_values);
  }
  r.note_poll(answered, why);
  if (!answered) problems_.push_back(why.empty() ? "router " + r.name() + ": failed" : why);
  if (!batch.empty()) input_.ctx().emit(std::move(batch));
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
  deadline_->cancel();
  if (done_) done_(problems_);
}

void GatherRound::abort() {
  if (done_called_) return;
  for (auto& p : parts_) p.finished = true;
  unfinished_ = 0;
  done_called_ = true;
  deadline_->cancel();
  if (done_) done_(problems_);
}

}  // namespace routerpulse::routeros_traffic
