// processors/lua — keeps a misbehaving script from flooding the log.
//
// Per key (error kind, "print"), at most one line per `interval` goes to the
// logger; the lines in between are counted and the count is appended to the
// next line that goes out ("… (37 similar messages suppressed)").
// Threading: not thread-safe; used from the processor's strand (and from its
// constructor before start()).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

namespace routerpulse::lua {

class RateLimitedLog {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimitedLog(std::shared_ptr<spdlog::logger> log, Clock::duration interval)
      : log_(std::move(log)), interval_(interval) {}

  /// Logs `message` unless `key` was logged less than `interval` ago. Never
  /// throws (logging failures are swallowed).
  void log(spdlog::level::level_enum level, std::string_view key, std::string_view message) noexcept;

 private:
  struct Entry {
    Clock::time_point last{};
    uint64_t suppressed = 0;
    bool seen = false;
  };
  std::shared_ptr<spdlog::logger> log_;
  Clock::duration interval_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace routerpulse::lua
