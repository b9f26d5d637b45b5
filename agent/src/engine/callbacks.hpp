// Callback plumbing the engine uses to enforce the SDK's callback rules
// (plugin.hpp): "exactly once" wrappers and a countdown barrier.
// Threading: the returned callables may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include <spdlog/logger.h>

#include "routerpulse/stats.hpp"

namespace routerpulse::engine {

/// Calls `done` once `n` arrivals happened (n == 0 → at once).
inline std::function<void()> barrier(size_t n, std::function<void()> done) {
  if (n == 0) {
    done();
    return [] {};
  }
  auto left = std::make_shared<std::atomic<size_t>>(n);
  auto d = std::make_shared<std::function<void()>>(std::move(done));
  return [left, d] {
    if (left->fetch_sub(1) == 1) (*d)();
  };
}

/// Wraps a callback so that only its first call goes through; later calls
/// increment `violations` and log (the SDK's "exactly once" rule). When
/// `called` is given it receives the flag, so a caller can tell whether the
/// plugin already answered (e.g. before it threw).
template <class... Args>
std::function<void(Args...)> once(std::function<void(Args...)> fn, Counter& violations,
                                  std::shared_ptr<spdlog::logger> log, const char* what,
                                  std::shared_ptr<std::atomic<bool>>* called = nullptr) {
  auto flag = std::make_shared<std::atomic<bool>>(false);
  if (called) *called = flag;
  return [fn = std::move(fn), flag, &violations, log = std::move(log), what](Args... args) {
    if (flag->exchange(true)) {
      violations.inc();
      log->error("{} called more than once; ignored (a plugin bug)", what);
      return;
    }
    fn(std::forward<Args>(args)...);
  };
}

}  // namespace routerpulse::engine
