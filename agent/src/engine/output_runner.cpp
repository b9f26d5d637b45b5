#include "engine/output_runner.hpp"

#include "engine/callbacks.hpp"

#include <boost/asio/post.hpp>

#include "routerpulse/health.hpp"

namespace routerpulse::engine {

OutputSettings read_output_settings(const Options& o, const OutputSettings& d) {
  OutputSettings s;
  s.batch_size = o.has("batch_size") ? o.integer("batch_size") : d.batch_size;
  s.buffer_limit = o.has("buffer_limit") ? o.integer("buffer_limit") : d.buffer_limit;
  s.flush_interval = o.has("flush_interval") ? o.duration("flush_interval") : d.flush_interval;
  s.timeout = o.duration("timeout");
  s.retry_initial = o.duration("retry_initial");
  s.retry_max = o.duration("retry_max");
  if (s.retry_max < s.retry_initial) throw o.error("retry_max", "must be at least retry_initial");
  if (s.buffer_limit < s.batch_size) throw o.error("buffer_limit", "must be at least batch_size");
  s.namepass = o.strings("namepass");
  s.namedrop = o.strings("namedrop");
  return s;
}

OutputRunner::OutputRunner(std::shared_ptr<Output> output, std::shared_ptr<PluginContext> ctx, OutputSettings s)
    : output_(std::move(output)),
      ctx_(std::move(ctx)),
      s_(s),
      names_(s.namepass, s.namedrop),
      flush_timer_(ctx_->clock.make_timer(ctx_->strand)),
      retry_timer_(ctx_->clock.make_timer(ctx_->strand)),
      timeout_timer_(ctx_->clock.make_timer(ctx_->strand)),
      drain_timer_(ctx_->clock.make_timer(ctx_->strand)),
      backoff_(s.retry_initial, s.retry_max),
      limited_log_(ctx_->log, ctx_->clock, std::chrono::seconds(10)),
      written_(ctx_->self_metrics.subsystem("output").counter("metrics_written_total", "Metrics an output delivered")),
      dropped_(ctx_->self_metrics.subsystem("output").counter(
          "metrics_dropped_total",
          "Metrics dropped because the output buffer was full (oldest first) or could not be delivered at shutdown")),
      rejected_(ctx_->self_metrics.subsystem("output").counter(
          "metrics_rejected_total", "Metrics of batches the output rejected for good (not retried, e.g. HTTP 400)")),
      errors_(ctx_->self_metrics.subsystem("output").counter("write_errors_total", "Failed or timed-out batch writes")),
      retries_(ctx_->self_metrics.subsystem("output").counter("write_retries_total",
                                                              "Batch writes retried after a failure")),
      batches_(ctx_->self_metrics.subsystem("output").counter("batches_written_total", "Batches an output delivered")),
      callback_errors_(ctx_->self_metrics.subsystem("output").counter(
          "callback_errors_total", "Callbacks an output called more than once (ignored; a plugin bug)")),
      buffer_size_(ctx_->self_metrics.subsystem("output").gauge("buffer_size", "Metrics waiting in the output buffer")),
      buffer_limit_g_(
          ctx_->self_metrics.subsystem("output").gauge("buffer_limit", "Configured output buffer limit (metrics)")),
      latency_(ctx_->self_metrics.subsystem("output").histogram("write_latency_seconds", "Time to write one batch")) {
  buffer_limit_g_.set(static_cast<double>(s_.buffer_limit));
}

std::function<void()> OutputRunner::weak(void (OutputRunner::*fn)()) {
  return [w = weak_from_this(), fn] {
    if (auto self = w.lock()) ((*self).*fn)();
  };
}

OutputRunner::~OutputRunner() = default;

void OutputRunner::start() {
  auto self = shared_from_this();
  boost::asio::post(ctx_->strand, [self] {
    self->started_ = true;
    self->output_->start();
    self->ctx_->health.set(HealthState::healthy);
    self->schedule_flush();
  });
}

void OutputRunner::push(SharedBatch batch, std::shared_ptr<const void> ticket) {
  if (!batch || batch->empty()) return;
  Segment seg;
  if (!names_.empty()) {  // filter before anything is queued; keep indices, not copies
    const auto& b = *batch;
    for (size_t i = 0; i < b.size(); ++i)
      if (names_.accepts(b[i].name())) seg.picked.push_back(static_cast<uint32_t>(i));
    if (seg.picked.empty()) return;
    seg.all = seg.picked.size() == b.size();
    if (seg.all) seg.picked.clear();
  }
  seg.batch = std::move(batch);
  boost::asio::post(ctx_->strand, [self = shared_from_this(), seg = std::move(seg), ticket = std::move(ticket)]() mutable {
    self->on_push(std::move(seg));
  });
}

void OutputRunner::push_front(std::deque<Metric> metrics) {
  if (metrics.empty()) return;
  Segment seg;
  seg.batch = std::make_shared<const MetricBatch>(std::make_move_iterator(metrics.begin()),
                                                  std::make_move_iterator(metrics.end()));
  boost::asio::post(ctx_->strand, [self = shared_from_this(), seg = std::move(seg)]() mutable {
    self->buffered_ += seg.size();
    self->buffer_.push_front(std::move(seg));
    self->on_push({});
  });
}

void OutputRunner::on_push(Segment seg) {
  if (seg.batch) {
    buffered_ += seg.size();
    buffer_.push_back(std::move(seg));
  }
  if (buffered_ > static_cast<size_t>(s_.buffer_limit)) {
    size_t excess = buffered_ - static_cast<size_t>(s_.buffer_limit);
    drop_oldest(excess);
    dropped_.inc(excess);
  }
  update_gauges();
  maybe_write(false);
}

void OutputRunner::drop_oldest(size_t n) {
  while (n > 0 && !buffer_.empty()) {
    Segment& front = buffer_.front();
    size_t k = std::min(n, front.size());
    front.pos += k;
    buffered_ -= k;
    n -= k;
    if (front.size() == 0) buffer_.pop_front();
  }
}

void OutputRunner::update_gauges() {
  buffer_size_.set(static_cast<double>(buffered_ + (inflight_ ? inflight_->size() : 0)));
}

void OutputRunner::maybe_write(bool /*force*/) {
  if (stopped_ || writing_ || in_backoff_) return;
  // Natural batching: whatever is waiting goes now (up to batch_size).
  if (inflight_ || buffered_ > 0) write_next();
}

void OutputRunner::schedule_flush() {
  if (stopped_) return;
  flush_timer_->arm(s_.flush_interval, weak(&OutputRunner::on_flush_timer));
}

void OutputRunner::on_flush_timer() {
  if (stopped_) return;
  maybe_write(true);
  schedule_flush();
}

void OutputRunner::write_next() {
  // A plugin that answers from inside write() (on this strand) re-enters
  // through on_result → maybe_write; loop here instead of recursing.
  if (in_write_) {
    write_again_ = true;
    return;
  }
  do {
    write_again_ = false;
    if (!inflight_) {
      size_t n = std::min(buffered_, static_cast<size_t>(s_.batch_size));
      if (n == 0) return;
      auto view = std::make_shared<BatchView>();
      view->reserve(n);
      while (n > 0) {
        Segment& front = buffer_.front();
        size_t k = std::min(n, front.size());
        for (size_t i = 0; i < k; ++i) view->add(front.at(front.pos + i));
        view->hold(front.batch);
        front.pos += k;
        buffered_ -= k;
        n -= k;
        if (front.size() == 0) buffer_.pop_front();
      }
      inflight_ = std::move(view);
    }
    writing_ = true;
    uint64_t gen = ++gen_;
    auto started = ctx_->clock.steady_now();
    timeout_timer_->arm(s_.timeout, [w = weak_from_this(), gen] {
      auto self = w.lock();
      if (!self || gen != self->gen_ || !self->writing_) return;
      self->on_result(gen, WriteResult::failure("write timed out after " + format_duration(self->s_.timeout)),
                      self->ctx_->clock.steady_now());
    });
    auto batch = inflight_;  // keeps the batch alive until the plugin calls done
    in_write_ = true;
    try {
      // An answer given synchronously inside write() is handled at once (the
      // loop above picks up the next batch) instead of queueing behind every
      // other handler of the io_context; an asynchronous answer is posted, so
      // the plugin's own callback (e.g. hiredis's reply handler) unwinds first.
      // The callback holds the runner weakly and hands its reference to the
      // posted handler: a plugin thread that calls `done` (and later destroys
      // the callback) must never drop the last reference, or the runner and
      // the plugin would be destroyed on that thread (a writer thread joining
      // itself). The batch is held strongly: it must outlive the write.
      // Exactly once per write: a second call is counted and ignored.
      auto called = std::make_shared<std::atomic<bool>>(false);
      output_->write(*batch, [weak = weak_from_this(), gen, started, batch, called](WriteResult r) {
        auto self = weak.lock();
        if (!self) return;  // the runner is gone (shutdown); nothing to report to
        if (called->exchange(true)) {
          self->callback_errors_.inc();
          self->ctx_->log->error("write: done called more than once; ignored (a plugin bug)");
          return;
        }
        if (self->in_write_ && self->ctx_->strand.running_in_this_thread()) {
          self->on_result(gen, std::move(r), started);
          return;
        }
        auto strand = self->ctx_->strand;
        boost::asio::post(strand, [self = std::move(self), gen, started, r = std::move(r)]() mutable {
          self->on_result(gen, std::move(r), started);
        });
      });
    } catch (const std::exception& e) {
      on_result(gen, WriteResult::failure(std::string("write threw: ") + e.what()), started);
    }
    in_write_ = false;
  } while (write_again_);
}

void OutputRunner::on_result(uint64_t gen, WriteResult r, SteadyTime started) {
  if (gen != gen_ || !writing_) return;  // late answer for a timed-out attempt
  writing_ = false;
  timeout_timer_->cancel();
  if (r.ok) {
    latency_.observe(std::chrono::duration<double>(ctx_->clock.steady_now() - started).count());
    written_.inc(inflight_ ? inflight_->size() : 0);
    batches_.inc();
    inflight_.reset();
    backoff_.reset();
    if (consecutive_failures_ > 0) {
      ctx_->log->info("write recovered after {} failed attempt(s)", consecutive_failures_);
      ctx_->health.set(HealthState::healthy);
    }
    consecutive_failures_ = 0;
    update_gauges();
    check_drained();
    maybe_write(false);
    return;
  }
  errors_.inc();
  if (r.permanent) {  // retrying cannot help: drop and count, go on with the next batch
    const size_t n = inflight_ ? inflight_->size() : 0;
    rejected_.inc(n);
    limited_log_.log_lazy(spdlog::level::warn, "rejected", [&] {
      return fmt::format("write of {} metrics rejected, not retried (counted in metrics_rejected_total): {}", n,
                         r.error);
    });
    inflight_.reset();
    update_gauges();
    check_drained();
    maybe_write(false);
    return;
  }
  ++consecutive_failures_;
  auto delay = backoff_.next();
  if (r.retry_after > Duration::zero())  // the endpoint's own delay wins when longer (capped)
    delay = std::max(delay, std::chrono::duration_cast<decltype(delay)>(std::min(r.retry_after, s_.retry_max)));
  // Log the first failure and then every 10th so a long outage does not flood the log.
  if (consecutive_failures_ == 1 || consecutive_failures_ % 10 == 0)
    ctx_->log->warn("write of {} metrics failed (attempt {}): {}; retrying in {}", inflight_ ? inflight_->size() : 0,
                    consecutive_failures_, r.error,
                    format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(delay)));
  ctx_->health.set(HealthState::degraded, "retrying: " + r.error);
  if (stopped_) return;
  in_backoff_ = true;
  auto now = ctx_->clock.steady_now();
  if (drain_done_ && now + delay > drain_deadline_)
    delay = std::max(Duration::zero(), std::chrono::duration_cast<Duration>(drain_deadline_ - now));
  retry_timer_->arm(delay, weak(&OutputRunner::on_retry_timer));
}

void OutputRunner::on_retry_timer() {
  in_backoff_ = false;
  if (stopped_) return;
  retries_.inc();
  maybe_write(true);
}

void OutputRunner::drain(SteadyTime deadline, std::function<void(size_t)> done) {
  boost::asio::post(ctx_->strand, [self = shared_from_this(), deadline, done = std::move(done)]() mutable {
    self->drain_done_ = std::move(done);
    self->drain_deadline_ = deadline;
    self->drain_timer_->arm_at(deadline, self->weak(&OutputRunner::on_drain_timer));
    self->check_drained();
    self->maybe_write(true);
  });
}

void OutputRunner::on_drain_timer() {
  if (!drain_done_) return;
  size_t left = buffered_ + (inflight_ ? inflight_->size() : 0);
  stopped_ = true;
  dropped_.inc(left);
  ctx_->log->warn("shutdown timeout: {} metrics could not be delivered and are dropped", left);
  auto d = std::move(drain_done_);
  drain_done_ = nullptr;
  d(left);
}

void OutputRunner::check_drained() {
  if (!drain_done_ || writing_ || inflight_ || buffered_ > 0) return;
  drain_timer_->cancel();
  auto d = std::move(drain_done_);
  drain_done_ = nullptr;
  d(0);
}

void OutputRunner::take(std::function<void(std::deque<Metric>)> done) {
  boost::asio::post(ctx_->strand, [self = shared_from_this(), done = std::move(done)] {
    self->stopped_ = true;
    std::deque<Metric> out;  // copies: the batches may be shared with other outputs
    if (self->inflight_)
      for (const auto& m : *self->inflight_) out.push_back(m);
    for (const auto& seg : self->buffer_)
      for (size_t i = seg.pos; i < seg.pos + seg.size(); ++i) out.push_back(*seg.at(i));
    self->buffer_.clear();
    self->buffered_ = 0;
    self->inflight_.reset();
    self->update_gauges();
    done(std::move(out));
  });
}

void OutputRunner::stop(std::function<void()> done) {
  boost::asio::post(ctx_->strand, [self = shared_from_this(), done = std::move(done)]() mutable {
    self->stopped_ = true;
    self->flush_timer_->cancel();
    self->retry_timer_->cancel();
    self->timeout_timer_->cancel();
    self->drain_timer_->cancel();
    self->ctx_->health.clear();
    if (!self->started_) {
      done();
      return;
    }
    std::shared_ptr<std::atomic<bool>> called;
    auto one = once<>(std::function<void()>([self, done = std::move(done)]() mutable {
                        boost::asio::post(self->ctx_->strand, [done = std::move(done)] { done(); });
                      }),
                      self->callback_errors_, self->ctx_->log, "stop done", &called);
    try {
      self->output_->stop(one);
    } catch (const std::exception& e) {
      self->ctx_->log->error("stop threw: {}", e.what());
      if (!called->load()) one();
    }
  });
}

}  // namespace routerpulse::engine
