#include "engine/pipeline.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

namespace routerpulse::engine {

Pipeline::Pipeline(std::string name, SelfMetrics& stats, size_t limit)
    : name_(std::move(name)),
      limit_(limit),
      in_flight_gauge_(stats.gauge("pipeline", "batches_in_flight", "Batches inside a pipeline's processors",
                                   {{"pipeline", name_}})),
      dropped_(stats.counter("pipeline", "metrics_dropped_total",
                             "Metrics an input emitted while the pipeline held pipeline_limit metrics (backpressure)",
                             {{"pipeline", name_}})) {
}

Pipeline::TicketPtr Pipeline::admit(size_t n) {
  queued_->fetch_add(n, std::memory_order_relaxed);
  return std::make_shared<const Ticket>(queued_, n);
}

void Pipeline::add_stage(std::shared_ptr<Processor> p, std::shared_ptr<PluginContext> ctx) {
  ProcessorStage st;
  auto m = ctx->self_metrics.subsystem("processor");
  st.processed = &m.counter("metrics_processed_total", "Metrics into a processor");
  st.errors = &m.counter("errors_total", "Batches a processor threw on");
  st.dropped = &m.counter("dropped_total", "Metrics lost because a processor threw before passing its batch on");
  st.callback_errors =
      &m.counter("callback_errors_total", "Callbacks a processor called more than once (ignored; a plugin bug)");
  size_t index = stages.size();
  // A processor's own emissions enter the chain after it. The pipeline outlives
  // its stages' contexts, but the emit may run on another thread later: hold it weakly.
  ctx->emit = [weak = weak_from_this(), index](MetricBatch&& batch) {
    auto self = weak.lock();
    if (!self || batch.empty()) return;
    self->in_flight_gauge_.set(static_cast<double>(++self->in_flight_));
    auto ticket = self->admit(batch.size());
    self->run_stage(index + 1, std::move(batch), nullptr, std::move(ticket));
  };
  st.processor = std::move(p);
  st.ctx = std::move(ctx);
  stages.push_back(std::move(st));
}

void Pipeline::start() {
  for (auto& st : stages) {
    auto proc = st.processor;
    auto* ctx = st.ctx.get();
    boost::asio::post(ctx->strand, [proc, ctx] {
      try {
        proc->start();
      } catch (const std::exception& e) {
        ctx->log->error("start failed: {}", e.what());
      }
    });
  }
}

void Pipeline::stop(std::function<void()> done) {
  auto all = barrier(stages.size(), std::move(done));
  for (auto& st : stages) {
    auto proc = st.processor;
    auto* ctx = st.ctx.get();
    std::shared_ptr<std::atomic<bool>> called;
    auto one = once<>(all, *st.callback_errors, ctx->log, "stop done", &called);
    boost::asio::post(ctx->strand, [proc, ctx, one, called] {
      try {
        proc->stop(one);
      } catch (const std::exception& e) {
        ctx->log->error("stop threw: {}", e.what());
        if (!called->load()) one();
      }
    });
  }
}

bool Pipeline::submit(MetricBatch batch) {
  const size_t n = batch.size();
  // Admission is approximate under concurrent emits (two may pass together);
  // the bound holds within one batch per input.
  if (queued_->load(std::memory_order_relaxed) + n > limit_ && n > 0) {
    dropped_.inc(n);
    return false;
  }
  in_flight_gauge_.set(static_cast<double>(++in_flight_));
  run_stage(0, std::move(batch), nullptr, admit(n));
  return true;
}

void Pipeline::submit_to(MetricBatch batch, std::function<void(MetricBatch)> sink) {
  in_flight_gauge_.set(static_cast<double>(++in_flight_));
  auto s = sink ? std::make_shared<std::function<void(MetricBatch)>>(std::move(sink)) : nullptr;
  auto ticket = admit(batch.size());
  run_stage(0, std::move(batch), std::move(s), std::move(ticket));
}

void Pipeline::finish(MetricBatch batch, const Sink& sink, TicketPtr ticket) {
  in_flight_gauge_.set(static_cast<double>(--in_flight_));
  if (sink)
    (*sink)(std::move(batch));
  else
    deliver(std::move(batch), std::move(ticket));
}

void Pipeline::run_stage(size_t i, MetricBatch batch, Sink sink, TicketPtr ticket) {
  if (i >= stages.size()) {
    finish(std::move(batch), sink, std::move(ticket));
    return;
  }
  auto& st = stages[i];
  boost::asio::post(st.ctx->strand, [self = shared_from_this(), i, b = std::move(batch), sink,
                                     ticket = std::move(ticket)]() mutable {
    auto& stage = self->stages[i];
    size_t n = b.size();
    stage.processed->inc(n);
    // `next` goes through once: a second call is counted, never run twice
    // (which would run the next stage twice and corrupt in_flight).
    auto called = std::make_shared<std::atomic<bool>>(false);
    auto next = [self, i, sink, called, &stage, ticket](MetricBatch out) {
      if (called->exchange(true)) {
        stage.callback_errors->inc();
        stage.ctx->log->error("process: next called more than once; ignored (a plugin bug)");
        return;
      }
      self->run_stage(i + 1, std::move(out), sink, ticket);
    };
    try {
      stage.processor->process(std::move(b), next);
    } catch (const std::exception& e) {
      stage.errors->inc();
      if (!called->exchange(true)) {
        // The batch was moved into the processor and never passed on: it is lost.
        stage.dropped->inc(n);
        stage.ctx->log->error("process threw: {}; {} metrics dropped", e.what(), n);
        self->finish({}, sink, nullptr);
      } else {
        stage.ctx->log->error("process threw after passing its batch on: {}", e.what());
      }
    }
  });
}

void Pipeline::deliver(MetricBatch batch, TicketPtr ticket) {
  if (batch.empty()) return;
  // One read-only batch for every output: each keeps pointers to what it
  // accepts (fan-out without copies).
  auto shared = std::make_shared<const MetricBatch>(std::move(batch));
  for (auto& out : outputs) out->push(shared, ticket);
}

InputRunner::InputRunner(std::shared_ptr<Input> input, std::shared_ptr<PluginContext> ctx, Labels extra_tags)
    : input_(std::move(input)),
      ctx_(std::move(ctx)),
      extra_tags_(std::move(extra_tags)),
      timer_(ctx_->clock.make_timer(ctx_->strand)),
      gathered_(ctx_->self_metrics.subsystem("input").counter("metrics_gathered_total", "Metrics an input produced")),
      overruns_(ctx_->self_metrics.subsystem("input").counter(
          "gather_overruns_total", "Intervals skipped because the previous gather was still running")),
      gathers_(ctx_->self_metrics.subsystem("input").counter("gathers_total", "Completed gather rounds")),
      callback_errors_(ctx_->self_metrics.subsystem("input").counter(
          "callback_errors_total", "Callbacks an input called more than once (ignored; a plugin bug)")),
      gather_time_(
          ctx_->self_metrics.subsystem("input").histogram("gather_duration_seconds", "Time one gather round took")) {}

void InputRunner::connect(std::vector<std::shared_ptr<Pipeline>> pipelines) {
  pipelines_ = std::move(pipelines);
  // The emit hook may be called from any thread; the pipelines are fixed once
  // started. It holds the runner weakly: the component (and its context) may
  // outlive the runner.
  ctx_->emit = [weak = weak_from_this()](MetricBatch&& b) {
    if (auto self = weak.lock()) self->emit(std::move(b));
  };
}

void InputRunner::emit(MetricBatch&& batch) {
  if (batch.empty() || stopped_) return;
  int64_t now = ctx_->clock.now_ns();
  for (auto& m : batch) {
    if (m.time() == 0) m.set_time(now);
    for (const auto& [k, v] : extra_tags_)
      if (!m.tag(k)) m.set_tag(k, v);
  }
  gathered_.inc(batch.size());
  if (sink_) {
    sink_(std::move(batch));
    return;
  }
  for (size_t k = 0; k < pipelines_.size(); ++k) {
    if (k + 1 == pipelines_.size())
      pipelines_[k]->submit(std::move(batch));
    else
      pipelines_[k]->submit(batch);
  }
}

void InputRunner::start(bool schedule_gathers) {
  boost::asio::post(ctx_->strand, [self = shared_from_this(), schedule_gathers] {
    try {
      self->input_->start();
    } catch (const std::exception& e) {
      self->ctx_->log->error("start failed: {}", e.what());
    }
    if (!schedule_gathers) return;
    self->next_ = self->ctx_->clock.steady_now();
    self->tick();
  });
}

void InputRunner::tick() {
  if (stopped_) return;
  if (gathering_) {
    overruns_.inc();
    ctx_->log->warn("gather still running after {}; skipping this interval", format_duration(ctx_->interval));
  } else {
    gather_once(nullptr);
  }
  schedule();
}

void InputRunner::schedule() {
  next_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(ctx_->interval);
  auto now = ctx_->clock.steady_now();
  if (next_ < now) next_ = now;  // we fell behind: do not burst to catch up
  timer_->arm_at(next_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->tick();
  });
}

void InputRunner::gather_once(std::function<void()> done) {
  boost::asio::dispatch(ctx_->strand, [self = shared_from_this(), done = std::move(done)]() mutable {
    if (self->stopped_ || self->gathering_) {
      if (done) done();
      return;
    }
    self->gathering_ = true;
    self->gather_started_ = self->ctx_->clock.steady_now();
    auto finished = std::make_shared<std::atomic<bool>>(false);
    auto on_done = [self, finished, done = std::move(done)]() mutable {
      if (finished->exchange(true)) {
        self->callback_errors_.inc();
        self->ctx_->log->error("gather: done called more than once; ignored (a plugin bug)");
        return;
      }
      boost::asio::dispatch(self->ctx_->strand, [self, done = std::move(done)]() mutable {
        self->gathering_ = false;
        self->gathers_.inc();
        self->gather_time_.observe(
            std::chrono::duration<double>(self->ctx_->clock.steady_now() - self->gather_started_).count());
        if (done) done();
      });
    };
    try {
      self->input_->gather(on_done);
    } catch (const std::exception& e) {
      self->ctx_->log->error("gather threw: {}", e.what());
      if (!finished->load()) on_done();
    }
  });
}

void InputRunner::stop(std::function<void()> done) {
  boost::asio::post(ctx_->strand, [self = shared_from_this(), done = std::move(done)]() mutable {
    self->stopped_ = true;
    self->timer_->cancel();
    std::shared_ptr<std::atomic<bool>> called;
    auto one = once<>(std::function<void()>([self, done = std::move(done)]() mutable {
                        boost::asio::post(self->ctx_->strand, [done = std::move(done)] { done(); });
                      }),
                      self->callback_errors_, self->ctx_->log, "stop done", &called);
    try {
      self->input_->stop(one);
    } catch (const std::exception& e) {
      self->ctx_->log->error("stop threw: {}", e.what());
      if (!called->load()) one();
    }
  });
}

}  // namespace routerpulse::engine
