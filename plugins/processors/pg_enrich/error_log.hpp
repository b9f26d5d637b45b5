// pg_enrich — error logging at most once per interval.
//
// While PostgreSQL is down every batch may hit the same error; the counters
// (see README "Self-metrics") count each one, the log gets the first at once
// and then one line per `interval` with how many were suppressed.
// Threading: not synchronised; used on the processor's strand.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "routerpulse/config.hpp"

namespace routerpulse::pg_enrich {

class ErrorLog {
 public:
  ErrorLog(std::shared_ptr<spdlog::logger> log, Duration interval) : log_(std::move(log)), interval_(interval) {}

  /// Logs `msg` as a warning if nothing was logged during the last interval;
  /// otherwise only counts it. Returns whether it was logged.
  bool report(const std::string& msg) {
    return report_lazy([&msg] { return msg; });
  }

  /// Like report(), but builds the message only when it is logged (hot paths).
  template <class MakeMessage>
  bool report_lazy(MakeMessage&& make) {
    auto now = std::chrono::steady_clock::now();
    if (logged_once_ && now - last_ < interval_) {
      ++suppressed_;
      return false;
    }
    if (suppressed_ > 0)
      log_->warn("{} ({} similar errors not logged in the last {})", make(), suppressed_, format_duration(interval_));
    else
      log_->warn("{}", make());
    logged_once_ = true;
    last_ = now;
    suppressed_ = 0;
    return true;
  }

 private:
  std::shared_ptr<spdlog::logger> log_;
  Duration interval_;
  bool logged_once_ = false;
  std::chrono::steady_clock::time_point last_{};
  uint64_t suppressed_ = 0;
};

}  // namespace routerpulse::pg_enrich
