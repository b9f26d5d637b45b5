// EventQueue: the bounded SSE queue (event_queue.hpp).
// Event format: HTML Living Standard, "Server-sent events", §9.2.6 (event
// stream interpretation): `event:` names the event, each `data:` line adds a
// line to the data, a blank line dispatches it; lines starting with `:` are
// comments.
#include "http/event_queue.hpp"

namespace routerpulse::http {

bool EventQueue::send(std::string_view event, std::string_view data) {
  std::string bytes;
  bytes.reserve(event.size() + data.size() + 16);
  if (!event.empty()) {
    bytes += "event: ";
    bytes += event;
    bytes += '\n';
  }
  size_t start = 0;
  while (true) {
    size_t nl = data.find('\n', start);
    bytes += "data: ";
    bytes += data.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    bytes += '\n';
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  bytes += '\n';
  return enqueue(std::move(bytes));
}

bool EventQueue::ping() { return enqueue(": ping\n\n"); }

bool EventQueue::enqueue(std::string bytes) {
  std::vector<std::function<void()>> callbacks;
  bool wake = false;
  {
    std::lock_guard lk(mu_);
    if (closed_) return false;
    if (queued_.size() + bytes.size() > max_bytes_) {
      callbacks = close_locked(true);
      wake = true;
    } else {
      wake = queued_.empty();
      queued_ += bytes;
    }
  }
  if (wake && wake_) wake_();
  for (auto& f : callbacks) f();
  return callbacks.empty();
}

std::vector<std::function<void()>> EventQueue::close_locked(bool drop) {
  if (closed_) return {};
  closed_ = true;
  dropped_ = drop;
  if (drop) queued_.clear();
  return std::move(on_close_);
}

void EventQueue::close() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lk(mu_);
    callbacks = close_locked(false);
  }
  if (wake_) wake_();
  for (auto& f : callbacks) f();
}

void EventQueue::abort() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lk(mu_);
    callbacks = close_locked(false);
    queued_.clear();
  }
  for (auto& f : callbacks) f();
}

bool EventQueue::closed() const {
  std::lock_guard lk(mu_);
  return closed_;
}

bool EventQueue::dropped() const {
  std::lock_guard lk(mu_);
  return dropped_;
}

void EventQueue::on_close(std::function<void()> fn) {
  {
    std::lock_guard lk(mu_);
    if (!closed_) {
      on_close_.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

std::string EventQueue::take() {
  std::lock_guard lk(mu_);
  std::string out;
  out.swap(queued_);
  return out;
}

bool EventQueue::finished() const {
  std::lock_guard lk(mu_);
  return closed_ && queued_.empty();
}

}  // namespace routerpulse::http
