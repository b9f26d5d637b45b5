// Inputs and processor chains (DESIGN §5): an InputRunner drives one input on
// its interval; a Pipeline carries batches through its processors in order and
// fans the result out to its outputs.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "engine/output_runner.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/stats.hpp"

namespace routerpulse::engine {

/// One processor instance inside one pipeline.
struct ProcessorStage {
  std::unique_ptr<Processor> processor;
  std::unique_ptr<PluginContext> ctx;
  Counter* processed = nullptr;
  Counter* errors = nullptr;
};

class Pipeline : public std::enable_shared_from_this<Pipeline> {
 public:
  Pipeline(std::string name, SelfMetrics& stats);
  const std::string& name() const { return name_; }

  std::vector<ProcessorStage> stages;
  std::vector<std::shared_ptr<OutputRunner>> outputs;

  /// Thread-safe: runs `batch` through the stages, then to every output.
  void submit(MetricBatch batch);
  /// Like submit but delivers the processed batch to `sink` instead of the outputs
  /// (used by `routerpulse test`).
  void submit_to(MetricBatch batch, std::function<void(MetricBatch)> sink);
  /// Batches currently inside the processor chain.
  size_t in_flight() const { return in_flight_.load(); }

 private:
  void run_stage(size_t i, MetricBatch batch, std::shared_ptr<std::function<void(MetricBatch)>> sink);
  void deliver(MetricBatch batch);

  std::string name_;
  std::atomic<size_t> in_flight_{0};
  Gauge& in_flight_gauge_;
};

class InputRunner : public std::enable_shared_from_this<InputRunner> {
 public:
  InputRunner(std::unique_ptr<Input> input, std::unique_ptr<PluginContext> ctx, Labels extra_tags);
  const std::string& id() const { return ctx_->id; }
  PluginContext& context() { return *ctx_; }

  /// Sets where emitted batches go (before start).
  void connect(std::vector<std::shared_ptr<Pipeline>> pipelines);
  /// Sends emitted batches to `sink` instead of the pipelines (`routerpulse test`).
  void set_sink(std::function<void(MetricBatch&&)> sink) { sink_ = std::move(sink); }
  /// start() the plugin, gather at once, then every interval.
  void start(bool schedule = true);
  /// Gathers once; `done` when the input finished the round.
  void gather_once(std::function<void()> done);
  void stop(std::function<void()> done);

 private:
  void emit(MetricBatch&& batch);
  void tick();
  void schedule();

  std::unique_ptr<Input> input_;
  std::unique_ptr<PluginContext> ctx_;
  Labels extra_tags_;
  std::vector<std::shared_ptr<Pipeline>> pipelines_;
  std::function<void(MetricBatch&&)> sink_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point next_;
  bool gathering_ = false;
  std::atomic<bool> stopped_{false};  // read by emit() from any thread
  Counter &gathered_, &overruns_, &gathers_;
  Histogram& gather_time_;
  std::chrono::steady_clock::time_point gather_started_;
};

}  // namespace routerpulse::engine
