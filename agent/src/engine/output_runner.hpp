// Per-output buffering, batching, flushing and retry (DESIGN §5).
//
// Every call runs on the output's strand. push() is thread-safe (it posts).
// Buffer: segments of batches shared with the pipeline's other outputs (only
// pointers to the accepted metrics are kept; nothing is copied per output),
// bounded by buffer_limit metrics, drop-oldest with a counter. Natural
// batching: a write of up to batch_size metrics starts as soon as no write is
// in flight and metrics are waiting, so under load batches grow while the
// previous write runs and an idle output writes at once; flush_interval is a
// safety net. One write is in flight at a time; a failed or timed-out batch is
// retried as-is with exponential backoff and jitter, so delivery is
// at-least-once and in order.
#pragma once

#include <deque>
#include <functional>
#include <memory>

#include "routerpulse/backoff.hpp"
#include "routerpulse/filter.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/rate_limited_log.hpp"
#include "routerpulse/stats.hpp"

namespace routerpulse::engine {

struct OutputSettings {
  int64_t batch_size = 1000;
  int64_t buffer_limit = 100000;
  Duration flush_interval = std::chrono::seconds(1);
  Duration timeout = std::chrono::seconds(10);
  Duration retry_initial = std::chrono::milliseconds(500);
  Duration retry_max = std::chrono::seconds(30);
  /// Metric-name filters (fnmatch globs), as Telegraf's namepass/namedrop:
  /// with namepass only matching names are accepted; namedrop removes matches.
  std::vector<std::string> namepass, namedrop;
};

/// Reads the engine-level output options (batch_size, buffer_limit,
/// flush_interval, timeout, retry_initial, retry_max, namepass, namedrop);
/// batch_size, buffer_limit and flush_interval default to `defaults` (the
/// agent section). `o` must carry engine_options(output). Throws ConfigError.
OutputSettings read_output_settings(const Options& o, const OutputSettings& defaults);

class OutputRunner : public std::enable_shared_from_this<OutputRunner> {
 public:
  OutputRunner(std::shared_ptr<Output> output, std::shared_ptr<PluginContext> ctx, OutputSettings settings);
  ~OutputRunner();

  const std::string& id() const { return ctx_->id; }
  PluginContext& context() { return *ctx_; }

  /// Starts the plugin and the flush timer (posts to the strand).
  void start();
  /// Thread-safe: appends the metrics of `batch` that pass namepass/namedrop
  /// to the buffer (drop-oldest beyond the limit). The filter runs on the
  /// caller's thread; the buffer keeps pointers into `batch`. `ticket` (any
  /// shared object, may be null) is held until the metrics are in the buffer:
  /// the pipeline counts queued metrics with it (backpressure).
  void push(SharedBatch batch, std::shared_ptr<const void> ticket = nullptr);
  /// Convenience: push a batch this output alone receives.
  void push(MetricBatch batch) { push(std::make_shared<const MetricBatch>(std::move(batch))); }
  /// Thread-safe: puts metrics in front of the buffer (reload hand-over).
  void push_front(std::deque<Metric> metrics);
  /// Flush everything, retrying until empty or `deadline`; then `done(undelivered)`.
  void drain(SteadyTime deadline, std::function<void(size_t)> done);
  /// Takes everything buffered plus any batch in flight (it may be delivered
  /// twice: at-least-once) and stops writing. Calls `done` on the strand.
  void take(std::function<void(std::deque<Metric>)> done);
  /// Stops timers and the plugin; `done` after the plugin's stop completes.
  void stop(std::function<void()> done);

 private:
  /// Buffered metrics of one shared batch: picked[pos..] (or, when `all`,
  /// every metric from index pos on).
  struct Segment {
    SharedBatch batch;
    std::vector<uint32_t> picked;
    bool all = true;
    size_t pos = 0;
    size_t size() const { return (all ? batch->size() : picked.size()) - pos; }
    const Metric* at(size_t k) const { return &(*batch)[all ? k : picked[k]]; }
  };

  void on_push(Segment seg);
  void drop_oldest(size_t n);
  void maybe_write(bool force);
  void write_next();
  void on_result(uint64_t gen, WriteResult r, SteadyTime started);
  /// A timer callback that runs only while the runner is alive.
  std::function<void()> weak(void (OutputRunner::*fn)());
  void on_flush_timer();
  void on_retry_timer();
  void on_drain_timer();
  void schedule_flush();
  void check_drained();
  void update_gauges();

  std::shared_ptr<Output> output_;
  std::shared_ptr<PluginContext> ctx_;
  OutputSettings s_;
  GlobFilter names_;  // namepass / namedrop, compiled
  std::unique_ptr<Timer> flush_timer_, retry_timer_, timeout_timer_, drain_timer_;
  Backoff backoff_;
  RateLimitedLog limited_log_;  // rejected batches

  std::deque<Segment> buffer_;
  size_t buffered_ = 0;  // metrics in buffer_
  std::shared_ptr<const BatchView> inflight_;
  bool writing_ = false;
  bool in_backoff_ = false;
  bool stopped_ = false;
  bool started_ = false;
  bool in_write_ = false;     // inside output_->write()
  bool write_again_ = false;  // on_result asked for the next batch meanwhile
  uint64_t gen_ = 0;
  uint64_t consecutive_failures_ = 0;

  std::function<void(size_t)> drain_done_;
  SteadyTime drain_deadline_;

  Counter &written_, &dropped_, &rejected_, &errors_, &retries_, &batches_, &callback_errors_;
  Gauge &buffer_size_, &buffer_limit_g_;
  Histogram& latency_;
};

}  // namespace routerpulse::engine
