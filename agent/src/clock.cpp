#include "routerpulse/clock.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace routerpulse {

Timer::~Timer() = default;
Clock::~Clock() = default;

namespace {

/// Shared between a timer and its queued handlers: a handler runs only when
/// its generation is still the current one (not cancelled, re-armed or destroyed).
struct TimerState {
  uint64_t gen = 0;
  bool pending = false;
};

class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(const Strand& strand) : timer_(strand), state_(std::make_shared<TimerState>()) {}
  ~AsioTimer() override {
    ++state_->gen;
    state_->pending = false;
  }

  void arm(Duration after, std::function<void()> fn) override {
    timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(after));
    wait(std::move(fn));
  }
  void arm_at(SteadyTime when, std::function<void()> fn) override {
    timer_.expires_at(when);
    wait(std::move(fn));
  }
  void cancel() override {
    ++state_->gen;
    state_->pending = false;
    timer_.cancel();
  }
  bool armed() const override { return state_->pending; }

 private:
  void wait(std::function<void()> fn) {
    uint64_t gen = ++state_->gen;
    state_->pending = true;
    timer_.async_wait([st = state_, gen, fn = std::move(fn)](const boost::system::error_code& ec) {
      if (ec || st->gen != gen) return;
      st->pending = false;
      fn();
    });
  }

  boost::asio::steady_timer timer_;
  std::shared_ptr<TimerState> state_;
};

class SystemClock final : public Clock {
 public:
  int64_t now_ns() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
  std::unique_ptr<Timer> make_timer(const Strand& strand) override { return std::make_unique<AsioTimer>(strand); }
};

}  // namespace

Clock& system_clock() {
  static SystemClock c;
  return c;
}

// ------------------------------------------------------------- ManualClock

namespace {
struct Entry {
  Strand strand;
  std::shared_ptr<TimerState> state;
  uint64_t gen;
  std::function<void()> fn;
};
using QueueKey = std::pair<SteadyTime, uint64_t>;
}  // namespace

struct ManualClock::Core {
  std::mutex mu;
  int64_t wall_ns;
  SteadyTime steady;
  uint64_t seq = 0;
  std::map<QueueKey, std::shared_ptr<Entry>> queue;
};

class ManualClock::ManualTimer final : public Timer {
 public:
  ManualTimer(std::shared_ptr<Core> core, const Strand& strand)
      : core_(std::move(core)), strand_(strand), state_(std::make_shared<TimerState>()) {}
  ~ManualTimer() override { cancel(); }

  void arm(Duration after, std::function<void()> fn) override {
    SteadyTime when;
    {
      std::lock_guard lk(core_->mu);
      when = core_->steady + std::chrono::duration_cast<std::chrono::steady_clock::duration>(after);
    }
    arm_at(when, std::move(fn));
  }
  void arm_at(SteadyTime when, std::function<void()> fn) override {
    std::lock_guard lk(core_->mu);
    drop_locked();
    uint64_t gen = ++state_->gen;
    state_->pending = true;
    key_ = QueueKey{when, core_->seq++};
    core_->queue.emplace(*key_, std::make_shared<Entry>(Entry{strand_, state_, gen, std::move(fn)}));
  }
  void cancel() override {
    std::lock_guard lk(core_->mu);
    drop_locked();
    ++state_->gen;
    state_->pending = false;
  }
  bool armed() const override {
    std::lock_guard lk(core_->mu);
    return state_->pending;
  }

 private:
  // A cancelled or re-armed expiry leaves the queue at once: nothing (not even
  // the callback, whose code may live in an unloaded plugin) outlives the timer.
  void drop_locked() {
    if (key_) core_->queue.erase(*key_);
    key_.reset();
  }

  std::shared_ptr<Core> core_;
  Strand strand_;
  std::shared_ptr<TimerState> state_;
  std::optional<QueueKey> key_;
};

ManualClock::ManualClock(int64_t start_ns) : core_(std::make_shared<Core>()) {
  core_->wall_ns = start_ns;
  core_->steady = SteadyTime(std::chrono::hours(24));
}

ManualClock::~ManualClock() = default;

int64_t ManualClock::now_ns() const {
  std::lock_guard lk(core_->mu);
  return core_->wall_ns;
}

SteadyTime ManualClock::steady_now() const {
  std::lock_guard lk(core_->mu);
  return core_->steady;
}

std::unique_ptr<Timer> ManualClock::make_timer(const Strand& strand) {
  return std::make_unique<ManualTimer>(core_, strand);
}

size_t ManualClock::advance(Duration d) {
  std::vector<std::shared_ptr<Entry>> due;
  {
    std::lock_guard lk(core_->mu);
    core_->wall_ns += d.count();
    core_->steady += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    while (!core_->queue.empty() && core_->queue.begin()->first.first <= core_->steady) {
      auto e = core_->queue.begin()->second;
      core_->queue.erase(core_->queue.begin());
      if (e->state->gen == e->gen) due.push_back(std::move(e));
    }
  }
  for (auto& e : due) {
    boost::asio::post(e->strand, [core = core_, e] {
      {
        std::lock_guard lk(core->mu);
        if (e->state->gen != e->gen) return;  // cancelled or re-armed after it came due
        e->state->pending = false;
      }
      e->fn();
    });
  }
  return due.size();
}

size_t ManualClock::pending() const {
  std::lock_guard lk(core_->mu);
  return core_->queue.size();
}

}  // namespace routerpulse
