#include "engine/output_runner.hpp"

#include <fnmatch.h>

#include <boost/asio/post.hpp>

#include "routerpulse/health.hpp"

namespace routerpulse::engine {

OutputSettings read_output_settings(const Options& o, const OutputSettings& d) {
  OutputSettings s;
  s.batch_size = o.get_int("batch_size", d.batch_size, 1, 1000000);
  s.buffer_limit = o.get_int("buffer_limit", d.buffer_limit, 1, 100000000);
  s.flush_interval = o.get_duration("flush_interval", d.flush_interval);
  if (s.flush_interval <= Duration::zero()) throw o.error("flush_interval", "must be greater than 0");
  s.timeout = o.get_duration("timeout", d.timeout);
  if (s.timeout <= Duration::zero()) throw o.error("timeout", "must be greater than 0");
  s.retry_initial = o.get_duration("retry_initial", d.retry_initial);
  s.retry_max = o.get_duration("retry_max", d.retry_max);
  if (s.retry_initial <= Duration::zero()) throw o.error("retry_initial", "must be greater than 0");
  if (s.retry_max < s.retry_initial) throw o.error("retry_max", "must be at least retry_initial");
  if (s.buffer_limit < s.batch_size) throw o.error("buffer_limit", "must be at least batch_size");
  s.namepass = o.get_string_list("namepass", {});
  s.namedrop = o.get_string_list("namedrop", {});
  return s;
}

namespace {
bool matches_any(const std::vector<std::string>& globs, const std::string& name) {
  for (const auto& g : globs)
    if (fnmatch(g.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}
}  // namespace

bool OutputSettings::accepts(const std::string& name) const {
  if (!namepass.empty() && !matches_any(namepass, name)) return false;
  return namedrop.empty() || !matches_any(namedrop, name);
}

namespace {
Labels out_label(const std::string& id) { return {{"output", id}}; }
}  // namespace

OutputRunner::OutputRunner(std::unique_ptr<Output> output, std::unique_ptr<PluginContext> ctx, OutputSettings s)
    : output_(std::move(output)),
      ctx_(std::move(ctx)),
      s_(s),
      flush_timer_(ctx_->strand),
      retry_timer_(ctx_->strand),
      timeout_timer_(ctx_->strand),
      backoff_(s.retry_initial, s.retry_max),
      drain_timer_(ctx_->strand),
      written_(ctx_->stats.counter("output", "metrics_written_total", "Metrics an output delivered",
                                   out_label(ctx_->id))),
      dropped_(ctx_->stats.counter("output", "metrics_dropped_total",
                                   "Metrics dropped because the output buffer was full (oldest first) or "
                                   "could not be delivered at shutdown",
                                   out_label(ctx_->id))),
      errors_(ctx_->stats.counter("output", "write_errors_total", "Failed or timed-out batch writes",
                                  out_label(ctx_->id))),
      retries_(ctx_->stats.counter("output", "write_retries_total", "Batch writes retried after a failure",
                                   out_label(ctx_->id))),
      batches_(ctx_->stats.counter("output", "batches_written_total", "Batches an output delivered",
                                   out_label(ctx_->id))),
      buffer_size_(ctx_->stats.gauge("output", "buffer_size", "Metrics waiting in the output buffer",
                                     out_label(ctx_->id))),
      buffer_limit_g_(ctx_->stats.gauge("output", "buffer_limit", "Configured output buffer limit (metrics)",
                                        out_label(ctx_->id))),
      latency_(ctx_->stats.histogram("output", "write_latency_seconds", "Time to write one batch",
                                     out_label(ctx_->id))) {
  buffer_limit_g_.set(static_cast<double>(s_.buffer_limit));
}

OutputRunner::~OutputRunner() = default;

void OutputRunner::start() {
  auto self = shared_from_this();
  boost::asio::post(ctx_->strand, [self] {
    self->started_ = true;
    self->output_->start();
    self->ctx_->health.set_component("outputs." + self->ctx_->id, HealthState::healthy);
    self->schedule_flush();
  });
}

void OutputRunner::push(MetricBatch batch) {
  if (!s_.namepass.empty() || !s_.namedrop.empty())
    std::erase_if(batch, [this](const Metric& m) { return !s_.accepts(m.name()); });
  if (batch.empty()) return;
  boost::asio::post(ctx_->strand, [self = shared_from_this(), b = std::move(batch)]() mutable {
    self->on_push(std::move(b));
  });
}

void OutputRunner::push_front(std::deque<Metric> metrics) {
  boost::asio::post(ctx_->strand, [self = shared_from_this(), m = std::move(metrics)]() mutable {
    for (auto it = m.rbegin(); it != m.rend(); ++it) self->buffer_.push_front(std::move(*it));
    self->on_push({});
  });
}

void OutputRunner::on_push(MetricBatch batch) {
  for (auto& m : batch) buffer_.push_back(std::move(m));
  if (buffer_.size() > static_cast<size_t>(s_.buffer_limit)) {
    size_t excess = buffer_.size() - static_cast<size_t>(s_.buffer_limit);
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(excess));
    dropped_.inc(excess);
  }
  update_gauges();
  maybe_write(false);
}

void OutputRunner::update_gauges() {
  buffer_size_.set(static_cast<double>(buffer_.size() + (inflight_ ? inflight_->size() : 0)));
}

void OutputRunner::maybe_write(bool force) {
  if (stopped_ || writing_ || in_backoff_) return;
  if (inflight_ || buffer_.size() >= static_cast<size_t>(s_.batch_size) || ((force || drain_done_) && !buffer_.empty()))
    write_next();
}

void OutputRunner::schedule_flush() {
  if (stopped_) return;
  flush_timer_.expires_after(s_.flush_interval);
  flush_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped_) return;
    self->maybe_write(true);
    self->schedule_flush();
  });
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
      size_t n = std::min(buffer_.size(), static_cast<size_t>(s_.batch_size));
      if (n == 0) return;
      auto batch = std::make_shared<MetricBatch>();
      batch->reserve(n);
      for (size_t i = 0; i < n; ++i) batch->push_back(std::move(buffer_[i]));
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
      inflight_ = std::move(batch);
    }
    writing_ = true;
    uint64_t gen = ++gen_;
    auto started = std::chrono::steady_clock::now();
    timeout_timer_.expires_after(s_.timeout);
    timeout_timer_.async_wait([self = shared_from_this(), gen](const boost::system::error_code& ec) {
      if (ec || gen != self->gen_ || !self->writing_) return;
      self->on_result(gen, WriteResult::failure("write timed out after " + format_duration(self->s_.timeout)),
                      std::chrono::steady_clock::now());
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
      output_->write(*batch, [weak = weak_from_this(), gen, started, batch](WriteResult r) {
        auto self = weak.lock();
        if (!self) return;  // the runner is gone (shutdown); nothing to report to
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

void OutputRunner::on_result(uint64_t gen, WriteResult r, std::chrono::steady_clock::time_point started) {
  if (gen != gen_ || !writing_) return;  // late answer for a timed-out attempt
  writing_ = false;
  timeout_timer_.cancel();
  if (r.ok) {
    latency_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    written_.inc(inflight_ ? inflight_->size() : 0);
    batches_.inc();
    inflight_.reset();
    backoff_.reset();
    if (consecutive_failures_ > 0) {
      ctx_->log->info("write recovered after {} failed attempt(s)", consecutive_failures_);
      ctx_->health.set_component("outputs." + ctx_->id, HealthState::healthy);
    }
    consecutive_failures_ = 0;
    update_gauges();
    check_drained();
    maybe_write(false);
    return;
  }
  errors_.inc();
  ++consecutive_failures_;
  auto delay = backoff_.next();
  // Log the first failure and then every 10th so a long outage does not flood the log.
  if (consecutive_failures_ == 1 || consecutive_failures_ % 10 == 0)
    ctx_->log->warn("write of {} metrics failed (attempt {}): {}; retrying in {}", inflight_ ? inflight_->size() : 0,
                    consecutive_failures_, r.error, format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(delay)));
  ctx_->health.set_component("outputs." + ctx_->id, HealthState::degraded, "retrying: " + r.error);
  if (stopped_) return;
  in_backoff_ = true;
  if (drain_done_ && std::chrono::steady_clock::now() + delay > drain_deadline_)
    delay = std::max(Duration::zero(), std::chrono::duration_cast<Duration>(drain_deadline_ - std::chrono::steady_clock::now()));
  retry_timer_.expires_after(delay);
  retry_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    self->in_backoff_ = false;
    if (self->stopped_) return;
    self->retries_.inc();
    self->maybe_write(true);
  });
}

void OutputRunner::drain(std::chrono::steady_clock::time_point deadline, std::function<void(size_t)> done) {
  boost::asio::post(ctx_->strand, [self = shared_from_this(), deadline, done = std::move(done)]() mutable {
    self->drain_done_ = std::move(done);
    self->drain_deadline_ = deadline;
    self->drain_timer_.expires_at(deadline);
    self->drain_timer_.async_wait([self](const boost::system::error_code& ec) {
      if (ec || !self->drain_done_) return;
      size_t left = self->buffer_.size() + (self->inflight_ ? self->inflight_->size() : 0);
      self->stopped_ = true;
      self->dropped_.inc(left);
      self->ctx_->log->warn("shutdown timeout: {} metrics could not be delivered and are dropped", left);
      auto d = std::move(self->drain_done_);
      self->drain_done_ = nullptr;
      d(left);
    });
    self->check_drained();
    self->maybe_write(true);
  });
}

void OutputRunner::check_drained() {
  if (!drain_done_ || writing_ || inflight_ || !buffer_.empty()) return;
  drain_timer_.cancel();
  auto d = std::move(drain_done_);
  drain_done_ = nullptr;
  d(0);
}

void OutputRunner::take(std::function<void(std::deque<Metric>)> done) {
  boost::asio::post(ctx_->strand, [self = shared_from_this(), done = std::move(done)] {
    self->stopped_ = true;
    std::deque<Metric> out;
    if (self->inflight_)
      for (const auto& m : *self->inflight_) out.push_back(m);
    for (auto& m : self->buffer_) out.push_back(std::move(m));
    self->buffer_.clear();
    self->inflight_.reset();
    self->update_gauges();
    done(std::move(out));
  });
}

void OutputRunner::stop(std::function<void()> done) {
  boost::asio::post(ctx_->strand, [self = shared_from_this(), done = std::move(done)]() mutable {
    self->stopped_ = true;
    self->flush_timer_.cancel();
    self->retry_timer_.cancel();
    self->timeout_timer_.cancel();
    self->drain_timer_.cancel();
    self->ctx_->health.remove_component("outputs." + self->ctx_->id);
    if (!self->started_) {
      done();
      return;
    }
    self->output_->stop([self, done = std::move(done)]() mutable {
      boost::asio::post(self->ctx_->strand, [done = std::move(done)] { done(); });
    });
  });
}

}  // namespace routerpulse::engine
