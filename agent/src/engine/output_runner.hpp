// Per-output buffering, batching, flushing and retry (DESIGN §5).
//
// Every call runs on the output's strand. push() is thread-safe (it posts).
// Buffer: bounded by buffer_limit metrics, drop-oldest with a counter. A batch
// of up to batch_size metrics is written when the buffer holds batch_size
// metrics or flush_interval elapses; one write is in flight at a time; a failed
// or timed-out batch is retried as-is with exponential backoff and jitter, so
// delivery is at-least-once and in order.
#pragma once

#include <deque>
#include <functional>
#include <memory>

#include "routerpulse/backoff.hpp"
#include "routerpulse/filter.hpp"
#include "routerpulse/plugin.hpp"
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
  /// Thread-safe: appends metrics that pass namepass/namedrop to the buffer
  /// (drop-oldest beyond the limit).
  void push(MetricBatch batch);
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
  void on_push(MetricBatch batch);
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

  std::deque<Metric> buffer_;
  std::shared_ptr<const MetricBatch> inflight_;
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

  Counter &written_, &dropped_, &errors_, &retries_, &batches_, &callback_errors_;
  Gauge &buffer_size_, &buffer_limit_g_;
  Histogram& latency_;
};

}  // namespace routerpulse::engine
