// routeros_traffic — collects streamed pppoe_traffic samples into batches.
//
// monitor-traffic answers about once per second per interface, i.e. up to
// 100k samples/s for 50 routers × 2,000 sessions. Emitting each as its own
// batch would make the pipeline pay per-batch costs 100k times a second, so
// samples accumulate here and leave through `emit` when `batch_size` are
// pending or every `flush_interval`, whichever comes first.
//
// Threading: used on the input's strand only; the timer runs there too.
#pragma once

#include <functional>

#include <boost/asio/steady_timer.hpp>

#include "async_guard.hpp"
#include "routerpulse/config.hpp"
#include "routerpulse/metric.hpp"
#include "routerpulse/plugin.hpp"

namespace routerpulse::routeros_traffic {

class SampleBatcher {
 public:
  /// `emit` receives each non-empty batch (ctx.emit: thread-safe, non-blocking).
  SampleBatcher(const Strand& strand, Guard guard, Duration flush_interval, size_t batch_size,
                std::function<void(MetricBatch&&)> emit);

  /// Starts the periodic flush timer.
  void start();
  /// Emits what is pending and stops the timer.
  void stop();
  /// Queues one metric; emits at once when batch_size is reached.
  void add(Metric&& m);
  /// Emits pending metrics now (no-op when empty).
  void flush();
  size_t pending() const noexcept { return pending_.size(); }

 private:
  void arm();

  boost::asio::steady_timer timer_;
  Guard guard_;
  Duration flush_interval_;
  size_t batch_size_;
  std::function<void(MetricBatch&&)> emit_;
  MetricBatch pending_;
  bool running_ = false;
};

}  // namespace routerpulse::routeros_traffic
