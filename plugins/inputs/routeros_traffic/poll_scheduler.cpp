// routeros_traffic — per-router poll scheduling (see poll_scheduler.hpp).
#include "poll_scheduler.hpp"

#include <algorithm>

#include "gather_round.hpp"
#include "router_traffic.hpp"
#include "routerpulse/format.hpp"
#include "routerpulse/spread.hpp"
#include "traffic_input.hpp"

namespace routerpulse::routeros_traffic {

PollScheduler::PollScheduler(TrafficInput& input, std::vector<RouterTraffic*> routers)
    : input_(input), window_(input.ctx().clock.make_timer(input.ctx().strand)) {
  const auto spread = std::chrono::duration_cast<Duration>(input.ctx().interval * input.settings().poll_spread);
  slots_.resize(routers.size());
  for (size_t i = 0; i < routers.size(); ++i) {
    Slot& s = slots_[i];
    s.router = routers[i];
    s.offset = spread_offset(s.router->name(), spread);
    s.start_timer = input.ctx().clock.make_timer(input.ctx().strand);
  }
}

PollScheduler::~PollScheduler() = default;

bool PollScheduler::busy(const Slot& s) const { return s.start_timer->armed() || (s.poll && !s.poll->finished()); }

void PollScheduler::tick(TickDone done) {
  done_ = std::move(done);
  const uint64_t tick = ++tick_;
  pending_ = 1;  // held while this loop runs: a poll that fails at once must not end the tick early
  // The engine ticks on a fixed cadence; a tick that reaches this strand late
  // (the strand was busy) must still end before the next one is due, so the
  // window is cut by the lateness.
  const Duration interval = input_.ctx().interval;
  const SteadyTime now = input_.ctx().clock.steady_now();
  if (!expected_tick_ || now < *expected_tick_ || now - *expected_tick_ >= interval) expected_tick_ = now;
  const Duration late = std::chrono::duration_cast<Duration>(now - *expected_tick_);
  *expected_tick_ += interval;
  const Duration window = std::chrono::duration_cast<Duration>(interval * 0.9) - late;
  window_->arm(std::max(window, Duration::zero()),
               input_.guarded([this, tick] {
                 if (tick == tick_) finish_tick();
               }));
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    s.overran = busy(s);
    if (s.overran) {
      s.router->stats().polls("overrun").inc();
      continue;
    }
    ++pending_;
    if (s.offset.count() == 0)
      start_poll(i, tick);
    else
      s.start_timer->arm(s.offset, input_.guarded([this, i, tick] { start_poll(i, tick); }));
  }
  if (--pending_ == 0) finish_tick();
}

void PollScheduler::start_poll(size_t i, uint64_t tick) {
  Slot& s = slots_[i];
  s.poll_started = input_.ctx().clock.steady_now();
  s.poll = std::make_shared<GatherRound>(
      input_, std::vector<RouterTraffic*>{s.router}, input_.settings().gather_timeout(input_.ctx().interval),
      input_.guarded([this, i, tick](const std::vector<std::string>& problems) { on_poll_done(i, tick, problems); }));
  s.poll->run();
}

void PollScheduler::on_poll_done(size_t i, uint64_t tick, const std::vector<std::string>& problems) {
  Slot& s = slots_[i];
  s.last_problem = problems.empty() ? std::string() : problems.front();
  s.router->stats().polls(problems.empty() ? "ok" : "failed").inc();
  if (tick == tick_ && done_) {
    if (--pending_ == 0) finish_tick();
  } else {
    report();  // a late poll: its result still changes the input's health
  }
}

void PollScheduler::finish_tick() {
  if (!done_) return;
  window_->cancel();
  report();
  auto done = std::move(done_);
  done_ = nullptr;
  done();
}

void PollScheduler::report() {
  const SteadyTime now = input_.ctx().clock.steady_now();
  std::vector<std::string> problems;
  for (const Slot& s : slots_) {
    if (s.overran)
      problems.push_back("router " + s.router->name() + ": previous poll still running (overrun, skipped)");
    else if (s.poll && !s.poll->finished())
      problems.push_back("router " + s.router->name() + ": poll still running after " +
                         format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(now - s.poll_started)));
    else if (!s.last_problem.empty())
      problems.push_back(s.last_problem);
  }
  input_.report_round(problems);
}

void PollScheduler::abort() {
  window_->cancel();
  for (Slot& s : slots_) {
    s.start_timer->cancel();
    if (s.poll) s.poll->abort();
  }
  if (done_) {
    auto done = std::move(done_);
    done_ = nullptr;
    done();
  }
}

}  // namespace routerpulse::routeros_traffic
