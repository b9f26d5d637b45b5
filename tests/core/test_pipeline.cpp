// The engine's Pipeline enforces the SDK's callback rules for processors:
// `next` exactly once, exceptions before/after `next`, and processors that
// emit on their own (ctx.emit) between batches.
#include <catch2/catch.hpp>

#include <future>
#include <mutex>

#include "engine/pipeline.hpp"
#include "engine_fixture.hpp"

using namespace routerpulse;
using namespace std::chrono_literals;

namespace {

/// A processor whose misbehaviour the test picks.
class ScriptedProcessor final : public Processor {
 public:
  enum class Mode { pass, next_twice, throw_before, throw_after, park };
  explicit ScriptedProcessor(Mode m) : mode(m) {}
  Mode mode;
  void process(MetricBatch batch, std::function<void(MetricBatch)> next) override {
    switch (mode) {
      case Mode::pass: next(std::move(batch)); break;
      case Mode::next_twice: {
        MetricBatch copy = batch;
        next(std::move(batch));
        next(std::move(copy));
        break;
      }
      case Mode::throw_before: throw std::runtime_error("scripted failure");
      case Mode::throw_after: next(std::move(batch)); throw std::runtime_error("scripted failure after next");
      case Mode::park: {  // a stalled stage: holds every batch until the test releases it
        std::lock_guard lk(mu);
        parked.emplace_back(std::move(batch), std::move(next));
        break;
      }
    }
  }
  std::mutex mu;
  std::vector<std::pair<MetricBatch, std::function<void(MetricBatch)>>> parked;
  size_t parked_count() {
    std::lock_guard lk(mu);
    return parked.size();
  }
  void release_all() {
    std::vector<std::pair<MetricBatch, std::function<void(MetricBatch)>>> p;
    {
      std::lock_guard lk(mu);
      p.swap(parked);
    }
    for (auto& [b, next] : p) next(std::move(b));
  }
};

struct PipelineFixture {
  test::Harness h;
  ManualClock clock;
  std::shared_ptr<test::ScriptedOutput> out = std::make_shared<test::ScriptedOutput>();
  std::shared_ptr<engine::OutputRunner> runner;
  std::shared_ptr<engine::Pipeline> pipeline;
  std::shared_ptr<PluginContext> proc_ctx;

  std::shared_ptr<ScriptedProcessor> proc;

  explicit PipelineFixture(ScriptedProcessor::Mode mode, size_t limit = 100000) {
    engine::OutputSettings s;
    s.batch_size = 1;
    runner = std::make_shared<engine::OutputRunner>(out, test::engine_context(h, clock, PluginKind::output, "out"), s);
    runner->start();
    pipeline = std::make_shared<engine::Pipeline>("main", h.stats, limit);
    proc_ctx = test::engine_context(h, clock, PluginKind::processor, "scripted", "main");
    proc = std::make_shared<ScriptedProcessor>(mode);
    pipeline->add_stage(proc, proc_ctx);
    pipeline->outputs.push_back(runner);
    pipeline->start();
  }
  ~PipelineFixture() {
    std::promise<void> p1, p2;
    pipeline->stop([&] { p1.set_value(); });
    runner->stop([&] { p2.set_value(); });
    p1.get_future().wait_for(5s);
    p2.get_future().wait_for(5s);
  }
  uint64_t processor_counter(const char* name) {
    return h.stats.counter("processor", name, "", {{"processor", "scripted"}, {"pipeline", "main"}}).value();
  }
};

}  // namespace

TEST_CASE("a processor that calls next twice: counted, the batch goes on once, in_flight returns to 0", "[pipeline]") {
  PipelineFixture f(ScriptedProcessor::Mode::next_twice);
  f.pipeline->submit(test::numbered(0, 3));
  REQUIRE(test::wait_until([&] { return f.processor_counter("callback_errors_total") == 1; }, 10s));
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 3 && f.pipeline->in_flight() == 0; }, 10s));
  f.pipeline->submit(test::numbered(3, 4));
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 4; }, 10s));
  CHECK(f.out->got() == test::sequence(0, 4));  // never delivered twice
  CHECK(f.pipeline->in_flight() == 0);
}

TEST_CASE("a processor that throws before next: the batch is counted as dropped and the pipeline goes on",
          "[pipeline]") {
  PipelineFixture f(ScriptedProcessor::Mode::throw_before);
  f.pipeline->submit(test::numbered(0, 5));
  REQUIRE(test::wait_until([&] { return f.processor_counter("dropped_total") == 5; }, 10s));
  CHECK(f.processor_counter("errors_total") == 1);
  REQUIRE(test::wait_until([&] { return f.pipeline->in_flight() == 0; }, 10s));
  CHECK(f.out->got().empty());
}

TEST_CASE("a processor that throws after next: an error, nothing dropped, nothing twice", "[pipeline]") {
  PipelineFixture f(ScriptedProcessor::Mode::throw_after);
  f.pipeline->submit(test::numbered(0, 2));
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 2 && f.pipeline->in_flight() == 0; }, 10s));
  CHECK(f.processor_counter("errors_total") == 1);
  CHECK(f.processor_counter("dropped_total") == 0);
  CHECK(f.processor_counter("callback_errors_total") == 0);
}

TEST_CASE("a processor emits on its own: the batch reaches the outputs without any input batch", "[pipeline]") {
  PipelineFixture f(ScriptedProcessor::Mode::pass);
  f.proc_ctx->emit(test::numbered(10, 12, "alert"));
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 2; }, 10s));
  CHECK(f.out->got() == test::sequence(10, 12));
  REQUIRE(test::wait_until([&] { return f.pipeline->in_flight() == 0; }, 10s));
}

TEST_CASE("backpressure: a full pipeline drops emitted batches at one place, counted, and recovers", "[pipeline]") {
  // A stalled processor and a limit of 10 metrics: what an input emits beyond
  // the limit is dropped whole and counted, never queued without bound.
  PipelineFixture f(ScriptedProcessor::Mode::park, 10);
  auto dropped = [&] { return f.h.stats.counter("pipeline", "metrics_dropped_total", "", {{"pipeline", "main"}}).value(); };
  CHECK(f.pipeline->submit(test::numbered(0, 4)));
  CHECK(f.pipeline->submit(test::numbered(4, 8)));
  CHECK(f.pipeline->queued() == 8);
  CHECK_FALSE(f.pipeline->submit(test::numbered(8, 12)));  // 8 + 4 > 10
  CHECK_FALSE(f.pipeline->submit(test::numbered(12, 16)));
  CHECK(f.pipeline->submit(test::numbered(16, 18)));  // still fits: 8 + 2
  CHECK(dropped() == 8);
  CHECK(f.pipeline->queued() == 10);
  // Processor emissions (alerts) are admitted even when full.
  f.proc_ctx->emit(test::numbered(100, 101, "alert"));
  REQUIRE(test::wait_until([&] { return f.proc->parked_count() == 3 && f.out->got().size() == 1; }, 10s));
  // The stage catches up: the queued count falls back to zero once every
  // metric is in the output's buffer, and new batches are admitted again.
  f.proc->release_all();
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 11 && f.pipeline->queued() == 0; }, 10s));
  CHECK(f.pipeline->submit(test::numbered(18, 20)));
  REQUIRE(test::wait_until([&] { return f.proc->parked_count() == 1; }, 10s));
  f.proc->release_all();
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 13 && f.pipeline->queued() == 0; }, 10s));
  std::vector<int64_t> want = {101};  // the alert went first: it did not wait behind the stalled stage
  for (int64_t t : test::sequence(0, 8)) want.push_back(t);
  for (int64_t t : test::sequence(16, 20)) want.push_back(t);
  CHECK(f.out->got() == want);
  CHECK(dropped() == 8);
}
