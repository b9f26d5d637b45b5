// routeros_traffic — keeps late callbacks away from a stopped or destroyed input.
//
// Sessions, streams and timers call back on the input's strand, possibly after
// the input stopped (a one-shot command that was already in flight) or after it
// was destroyed. Every such callback is wrapped with Guard::wrap: it runs only
// while the owning object is alive (weak_ptr lock, held for the call) and has
// not been stopped.
//
// Threading: a Guard is a small value; copy it freely. The `stopped` flag is
// an atomic inside the owner, read after the owner is locked.
#pragma once

#include <atomic>
#include <memory>
#include <utility>

namespace routerpulse::routeros_traffic {

class Guard {
 public:
  Guard() = default;
  /// `owner` is the object whose lifetime protects everything the callbacks
  /// touch; `stopped` lives inside it.
  Guard(std::weak_ptr<const void> owner, const std::atomic<bool>* stopped)
      : owner_(std::move(owner)), stopped_(stopped) {}

  /// A callable that forwards to `f` unless the owner is gone or stopped.
  /// `f` must return void.
  template <class F>
  auto wrap(F f) const {
    return [owner = owner_, stopped = stopped_, f = std::move(f)](auto&&... args) mutable {
      auto keep = owner.lock();
      if (!keep || stopped->load(std::memory_order_acquire)) return;
      f(std::forward<decltype(args)>(args)...);
    };
  }

 private:
  std::weak_ptr<const void> owner_;
  const std::atomic<bool>* stopped_ = nullptr;
};

}  // namespace routerpulse::routeros_traffic
