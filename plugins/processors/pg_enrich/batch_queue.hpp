// pg_enrich — batches held while their lookups are answered, in arrival order.
//
// Each batch gets a sequence number, a deadline (arrival + lookup_timeout) and
// a count of lookups it still waits for. The head leaves when its count is 0
// or its deadline has passed; later batches leave only after it (the
// Processor contract keeps batch order), and since deadlines grow with
// arrival time no batch is held past its own deadline.
// Threading: not synchronised; used on the processor's strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>

#include "routerpulse/clock.hpp"
#include "routerpulse/metric.hpp"

namespace routerpulse::pg_enrich {

class BatchQueue {
 public:
  using TimePoint = SteadyTime;  ///< on the component's clock (PluginContext::clock)
  using Next = std::function<void(MetricBatch)>;
  struct Item {
    MetricBatch batch;
    Next next;
    TimePoint deadline;
    size_t waiting = 0;  ///< lookups not answered yet
  };

  bool empty() const noexcept { return items_.empty(); }
  size_t size() const noexcept { return items_.size(); }
  /// The sequence number the next push() will get.
  uint64_t next_seq() const noexcept { return front_seq_ + items_.size(); }
  /// Appends a batch that waits for `waiting` lookups; returns its sequence number.
  uint64_t push(MetricBatch batch, Next next, TimePoint deadline, size_t waiting);
  /// One lookup of batch `seq` was answered (ignored when the batch already left).
  void resolved(uint64_t seq);
  /// The head's deadline while it still waits for lookups.
  std::optional<TimePoint> head_deadline() const;
  /// Pops, in order, every batch that may leave at `now` and hands it to `out`
  /// (popped before the call, so `out` may push). Returns how many left.
  size_t release_ready(TimePoint now, const std::function<void(Item&&)>& out);
  /// Pops every batch regardless of lookups (stop).
  size_t release_all(const std::function<void(Item&&)>& out);

 private:
  std::deque<Item> items_;
  uint64_t front_seq_ = 0;
};

}  // namespace routerpulse::pg_enrich
