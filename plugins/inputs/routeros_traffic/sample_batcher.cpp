// routeros_traffic — batching of streamed samples (see sample_batcher.hpp).
#include "sample_batcher.hpp"

#include <algorithm>

namespace routerpulse::routeros_traffic {

SampleBatcher::SampleBatcher(size_t batch_size, std::function<void(MetricBatch&&)> emit)
    : batch_size_(batch_size), emit_(std::move(emit)) {}

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

}  // namespace routerpulse::routeros_traffic
