// routeros_traffic — batching of streamed samples (see sample_batcher.hpp).
#include "sample_batcher.hpp"

#include <algorithm>

namespace routerpulse::routeros_traffic {

SampleBatcher::SampleBatcher(const Strand& strand, Guard guard, Duration flush_interval, size_t batch_size,
                             std::function<void(MetricBatch&&)> emit)
    : timer_(strand),
      guard_(std::move(guard)),
      flush_interval_(flush_interval),
      batch_size_(batch_size),
      emit_(std::move(emit)) {}

void SampleBatcher::start() {
  if (running_) return;
  running_ = true;
  arm();
}

void SampleBatcher::stop() {
  running_ = false;
  timer_.cancel();
  flush();
}

void SampleBatcher::add(Metric&& m) {
  if (pending_.empty()) pending_.reserve(std::min<size_t>(batch_size_, 4096));
  pending_.push_back(std::move(m));
  if (pending_.size() >= batch_size_) flush();
}

void SampleBatcher::flush() {
  if (pending_.empty()) return;
  MetricBatch out;
  out.swap(pending_);
  emit_(std::move(out));
}

void SampleBatcher::arm() {
  timer_.expires_after(flush_interval_);
  timer_.async_wait([this, g = guard_](boost::system::error_code ec) {
    if (ec) return;
    g.wrap([this] {
      if (!running_) return;
      flush();
      arm();
    })();
  });
}

}  // namespace routerpulse::routeros_traffic
