#include "batch_queue.hpp"

namespace routerpulse::pg_enrich {

uint64_t BatchQueue::push(MetricBatch batch, Next next, TimePoint deadline, size_t waiting) {
  items_.push_back(Item{std::move(batch), std::move(next), deadline, waiting});
  return next_seq() - 1;
}

void BatchQueue::resolved(uint64_t seq) {
  if (seq < front_seq_ || seq >= next_seq()) return;
  auto& it = items_[seq - front_seq_];
  if (it.waiting > 0) --it.waiting;
}

std::optional<BatchQueue::TimePoint> BatchQueue::head_deadline() const {
  if (items_.empty() || items_.front().waiting == 0) return std::nullopt;
  return items_.front().deadline;
}

size_t BatchQueue::release_ready(TimePoint now, const std::function<void(Item&&)>& out) {
  size_t n = 0;
  while (!items_.empty() && (items_.front().waiting == 0 || items_.front().deadline <= now)) {
    Item it = std::move(items_.front());
    items_.pop_front();
    ++front_seq_;
    ++n;
    out(std::move(it));
  }
  return n;
}

size_t BatchQueue::release_all(const std::function<void(Item&&)>& out) {
  size_t n = 0;
  while (!items_.empty()) {
    Item it = std::move(items_.front());
    items_.pop_front();
    ++front_seq_;
    ++n;
    out(std::move(it));
  }
  return n;
}

}  // namespace routerpulse::pg_enrich
