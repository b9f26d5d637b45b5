// routerpulse — logging that cannot flood: at most one line per key per
// interval. While a dependency is down every batch may hit the same error;
// self-metrics count each one, the log gets the first at once and then one
// line per interval ending in "(N similar messages suppressed)".
//
// Time comes from the component's Clock, so tests drive it with a ManualClock.
// Threading: thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "routerpulse/clock.hpp"

namespace routerpulse {

class RateLimitedLog {
 public:
  RateLimitedLog(std::shared_ptr<spdlog::logger> log, Clock& clock, Duration interval)
      : log_(std::move(log)), clock_(&clock), interval_(interval) {}

  /// Logs `message` at `level` unless `key` was logged less than `interval`
  /// ago (then only counts it). Returns whether it was logged. Never throws.
  bool log(spdlog::level::level_enum level, std::string_view key, std::string_view message) noexcept {
    return log_lazy(level, key, [&] { return std::string(message); });
  }

  /// Like log(), but builds the message only when it goes out (hot paths).
  template <class MakeMessage>
  bool log_lazy(spdlog::level::level_enum level, std::string_view key, MakeMessage&& make) noexcept {
    try {
      uint64_t suppressed = 0;
      {
        std::lock_guard lk(mu_);
        auto now = clock_->steady_now();
        auto it = entries_.find(key);
        if (it == entries_.end()) it = entries_.emplace(std::string(key), Entry{}).first;
        Entry& e = it->second;
        if (e.seen && now - e.last < interval_) {
          ++e.suppressed;
          return false;
        }
        suppressed = e.suppressed;
        e = Entry{now, 0, true};
      }
      if (suppressed > 0)
        log_->log(level, "{} ({} similar messages suppressed)", make(), suppressed);
      else
        log_->log(level, "{}", make());
      return true;
    } catch (...) {
      return false;
    }
  }

  /// Messages suppressed so far under `key` (since it was last logged).
  uint64_t suppressed(std::string_view key) const {
    std::lock_guard lk(mu_);
    auto it = entries_.find(key);
    return it == entries_.end() ? 0 : it->second.suppressed;
  }

 private:
  struct Entry {
    SteadyTime last{};
    uint64_t suppressed = 0;
    bool seen = false;
  };
  std::shared_ptr<spdlog::logger> log_;
  Clock* clock_;
  Duration interval_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace routerpulse
