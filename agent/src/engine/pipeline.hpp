// Inputs and processor chains (docs/ARCHITECTURE.md): an InputRunner drives one
// input on its interval; a Pipeline carries batches through its processors in
// order and fans the result out to its outputs.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "engine/callbacks.hpp"
#include "engine/output_runner.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/stats.hpp"

namespace routerpulse::engine {

/// One processor instance inside one pipeline.
struct ProcessorStage {
  std::shared_ptr<Processor> processor;
  std::shared_ptr<PluginContext> ctx;
  Counter* processed = nullptr;        ///< routerpulse_processor_metrics_processed_total
  Counter* errors = nullptr;           ///< routerpulse_processor_errors_total
  Counter* dropped = nullptr;          ///< routerpulse_processor_dropped_total
  Counter* callback_errors = nullptr;  ///< routerpulse_processor_callback_errors_total
};

/// Backpressure (docs/ARCHITECTURE.md §5): a pipeline admits at most `limit`
/// metrics between an input's emit and the output buffers (inside processors,
/// queued on strands, on the way to the outputs). A batch an input emits
/// while the pipeline is full is dropped whole and counted in
/// `routerpulse_pipeline_metrics_dropped_total` — the one place where load
/// beyond what the agent can process is shed. Batches a processor emits
/// (alerts, tick output) are always admitted and counted as queued.
class Pipeline : public std::enable_shared_from_this<Pipeline> {
 public:
  Pipeline(std::string name, SelfMetrics& stats, size_t limit = 100000);
  const std::string& name() const { return name_; }

  /// Appends a stage (before start); wires the processor's ctx.emit to the
  /// stages after it.
  void add_stage(std::shared_ptr<Processor> p, std::shared_ptr<PluginContext> ctx);

  std::vector<ProcessorStage> stages;
  std::vector<std::shared_ptr<OutputRunner>> outputs;

  /// Starts every processor on its strand.
  void start();
  /// Stops every processor; `done` once each has called its done.
  void stop(std::function<void()> done);

  /// Thread-safe: runs `batch` through the stages, then to every output —
  /// or drops and counts it when the pipeline is full (see above). Returns
  /// whether it was admitted.
  bool submit(MetricBatch batch);
  /// Like submit but delivers the processed batch to `sink` instead of the outputs
  /// (used by `routerpulse test`).
  void submit_to(MetricBatch batch, std::function<void(MetricBatch)> sink);
  /// Batches currently inside the processor chain.
  size_t in_flight() const { return in_flight_.load(); }
  /// Metrics admitted and not yet in every output's buffer.
  size_t queued() const { return queued_->load(); }

 private:
  using Sink = std::shared_ptr<std::function<void(MetricBatch)>>;
  /// Travels with a batch (and its copies of `next`, posts to outputs); when
  /// the last holder lets go, its metrics leave the queued count.
  struct Ticket {
    Ticket(std::shared_ptr<std::atomic<size_t>> q, size_t count) : queued(std::move(q)), n(count) {}
    Ticket(const Ticket&) = delete;  // exactly one release per admission
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { queued->fetch_sub(n, std::memory_order_relaxed); }
    std::shared_ptr<std::atomic<size_t>> queued;
    size_t n;
  };
  using TicketPtr = std::shared_ptr<const Ticket>;
  TicketPtr admit(size_t n);
  void run_stage(size_t i, MetricBatch batch, Sink sink, TicketPtr ticket);
  void finish(MetricBatch batch, const Sink& sink, TicketPtr ticket);
  void deliver(MetricBatch batch, TicketPtr ticket);

  std::string name_;
  size_t limit_;
  std::atomic<size_t> in_flight_{0};
  // Shared with the tickets: a ticket may outlive the pipeline (a processor
  // that keeps `next` after shutdown).
  std::shared_ptr<std::atomic<size_t>> queued_ = std::make_shared<std::atomic<size_t>>(0);
  Gauge& in_flight_gauge_;
  Counter& dropped_;
};

class InputRunner : public std::enable_shared_from_this<InputRunner> {
 public:
  InputRunner(std::shared_ptr<Input> input, std::shared_ptr<PluginContext> ctx, Labels extra_tags);
  const std::string& id() const { return ctx_->id; }
  PluginContext& context() { return *ctx_; }

  /// Sets where emitted batches go (before start).
  void connect(std::vector<std::shared_ptr<Pipeline>> pipelines);
  /// Sends emitted batches to `sink` instead of the pipelines (`routerpulse test`).
  void set_sink(std::function<void(MetricBatch&&)> sink) { sink_ = std::move(sink); }
  /// start() the plugin, gather at once, then every interval (ctx.clock timers).
  void start(bool schedule = true);
  /// Gathers once; `done` when the input finished the round.
  void gather_once(std::function<void()> done);
  void stop(std::function<void()> done);

 private:
  void emit(MetricBatch&& batch);
  void tick();
  void schedule();

  std::shared_ptr<Input> input_;
  std::shared_ptr<PluginContext> ctx_;
  Labels extra_tags_;
  std::vector<std::shared_ptr<Pipeline>> pipelines_;
  std::function<void(MetricBatch&&)> sink_;
  std::unique_ptr<Timer> timer_;
  SteadyTime next_;
  bool gathering_ = false;
  std::atomic<bool> stopped_{false};  // read by emit() from any thread
  Counter &gathered_, &overruns_, &gathers_, &callback_errors_;
  Histogram& gather_time_;
  SteadyTime gather_started_;
};

}  // namespace routerpulse::engine
