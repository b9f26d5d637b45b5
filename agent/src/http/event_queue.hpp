// Internal: the EventStream an SSE response writes from (routerpulse/api.hpp).
// Producers call send() from any thread; the connection takes the queued
// bytes on its own strand. The queue is bounded in bytes: a send that would
// exceed the bound closes the stream instead (the slow client is dropped).
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "routerpulse/api.hpp"

namespace routerpulse::http {

class EventQueue final : public EventStream {
 public:
  /// `wake` is called (from the producer's thread, outside the lock) when
  /// bytes become available on an idle queue or the queue closes; it must
  /// only post work to the connection.
  EventQueue(size_t max_bytes, std::function<void()> wake) : max_bytes_(max_bytes), wake_(std::move(wake)) {}

  bool send(std::string_view event, std::string_view data) override;
  void close() override;
  bool closed() const override;
  void on_close(std::function<void()> fn) override;

  // ---- connection side
  /// Everything queued so far (the queue is then empty).
  std::string take();
  /// Closed and nothing left to write: the connection should end.
  bool finished() const;
  /// The client went away: close, drop what is queued.
  void abort();
  /// True when closed because the client was too slow.
  bool dropped() const;
  /// Queues a comment line (`: ping`), used as a keep-alive; false when closed.
  bool ping();

 private:
  /// Marks closed; returns the close callbacks to run (outside the lock).
  std::vector<std::function<void()>> close_locked(bool drop);
  bool enqueue(std::string bytes);

  const size_t max_bytes_;
  std::function<void()> wake_;
  mutable std::mutex mu_;
  std::string queued_;
  bool closed_ = false;
  bool dropped_ = false;
  std::vector<std::function<void()>> on_close_;
};

}  // namespace routerpulse::http
