// The engine's Pipeline enforces the SDK's callback rules for processors:
// `next` exactly once, exceptions before/after `next`, and processors that
// emit on their own (ctx.emit) between batches.
#include <catch2/catch.hpp>

#include <future>

#include "engine/pipeline.hpp"
#include "engine_fixture.hpp"

using namespace routerpulse;
using namespace std::chrono_literals;

namespace {

/// A processor whose misbehaviour the test picks.
class ScriptedProcessor final : public Processor {
 public:
  enum class Mode { pass, next_twice, throw_before, throw_after };
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
    }
  }
};

struct PipelineFixture {
  test::Harness h;
  ManualClock clock;
  std::shared_ptr<test::ScriptedOutput> out = std::make_shared<test::ScriptedOutput>();
  std::shared_ptr<engine::OutputRunner> runner;
  std::shared_ptr<engine::Pipeline> pipeline;
  std::shared_ptr<PluginContext> proc_ctx;

  explicit PipelineFixture(ScriptedProcessor::Mode mode) {
    engine::OutputSettings s;
    s.batch_size = 1;
    runner = std::make_shared<engine::OutputRunner>(out, test::engine_context(h, clock, PluginKind::output, "out"), s);
    runner->start();
    pipeline = std::make_shared<engine::Pipeline>("main", h.stats);
    proc_ctx = test::engine_context(h, clock, PluginKind::processor, "scripted", "main");
    pipeline->add_stage(std::make_shared<ScriptedProcessor>(mode), proc_ctx);
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
