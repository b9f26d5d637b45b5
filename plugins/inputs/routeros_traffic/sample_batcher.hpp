// routeros_traffic — collects streamed pppoe_traffic samples into batches.
//
// monitor-traffic answers about once per second per interface, i.e. up to
// 100k samples/s for 50 routers × 2,000 PPPoE sessions. Emitting each as its
// own batch would make the pipeline pay per-batch costs 100k times a second,
// so samples accumulate here and leave through `emit` when `batch_size` are
// pending; the input calls flush() every `flush_interval` (its own timer).
//
// Threading: used on the input's strand only.
#pragma once

#include <functional>

#include "routerpulse/metric.hpp"

namespace routerpulse::routeros_traffic {

class SampleBatcher {
 public:
  /// `emit` receives each non-empty batch (ctx.emit: thread-safe, non-blocking).
  SampleBatcher(size_t batch_size, std::function<void(MetricBatch&&)> emit);

  /// Queues one metric; emits at once when batch_size is reached.
  void add(Metric&& m);
  /// Emits pending metrics now (no-op when empty).
  void flush();
  size_t pending() const noexcept { return pending_.size(); }

 private:
  size_t batch_size_;
  std::function<void(MetricBatch&&)> emit_;
  MetricBatch pending_;
};

}  // namespace routerpulse::routeros_traffic
