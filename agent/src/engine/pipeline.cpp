#include "engine/pipeline.hpp"

#include <boost/asio/post.hpp>

namespace routerpulse::engine {

Pipeline::Pipeline(std::string name, SelfMetrics& stats)
    : name_(std::move(name)),
      in_flight_gauge_(stats.gauge("pipeline", "batches_in_flight", "Batches inside a pipeline's processors",
                                   {{"pipeline", name_}})) {}

void Pipeline::submit(MetricBatch batch) { submit_to(std::move(batch), nullptr); }

void Pipeline::submit_to(MetricBatch batch, std::function<void(MetricBatch)> sink) {
  in_flight_gauge_.set(static_cast<double>(++in_flight_));
  auto s = sink ? std::make_shared<std::function<void(MetricBatch)>>(std::move(sink)) : nullptr;
  run_stage(0, std::move(batch), std::move(s));
}

void Pipeline::run_stage(size_t i, MetricBatch batch, std::shared_ptr<std::function<void(MetricBatch)>> sink) {
  if (i >= stages.size()) {
    in_flight_gauge_.set(static_cast<double>(--in_flight_));
    if (sink)
      (*sink)(std::move(batch));
    else
      deliver(std::move(batch));
    return;
  }
  auto& st = stages[i];
  boost::asio::post(st.ctx->strand, [self = shared_from_this(), i, b = std::move(batch), sink]() mutable {
    auto& stage = self->stages[i];
    stage.processed->inc(b.size());
    auto next = [self, i, sink](MetricBatch out) { self->run_stage(i + 1, std::move(out), sink); };
    try {
      stage.processor->process(std::move(b), next);
    } catch (const std::exception& e) {
      // The batch was moved into the processor; what it did not pass on is lost.
      stage.errors->inc();
      stage.ctx->log->error("process threw: {}", e.what());
      self->run_stage(i + 1, {}, sink);
    }
  });
}

void Pipeline::deliver(MetricBatch batch) {
  if (batch.empty()) return;
  for (size_t k = 0; k < outputs.size(); ++k) {
    if (k + 1 == outputs.size())
      outputs[k]->push(std::move(batch));
    else
      outputs[k]->push(batch);
  }
}

namespace {
Labels in_label(const std::string& id) { return {{"input", id}}; }
}  // namespace

InputRunner::InputRunner(std::unique_ptr<Input> input, std::unique_ptr<PluginContext> ctx, Labels extra_tags)
    : input_(std::move(input)),
      ctx_(std::move(ctx)),
      extra_tags_(std::move(extra_tags)),
      timer_(ctx_->strand),
      gathered_(ctx_->stats.counter("input", "metrics_gathered_total", "Metrics an input produced",
                                    in_label(ctx_->id))),
      overruns_(ctx_->stats.counter("input", "gather_overruns_total",
                                    "Intervals skipped because the previous gather was still running",
                                    in_label(ctx_->id))),
      gathers_(ctx_->stats.counter("input", "gathers_total", "Completed gather rounds", in_label(ctx_->id))),
      gather_time_(ctx_->stats.histogram("input", "gather_duration_seconds", "Time one gather round took",
                                         in_label(ctx_->id))) {
  // The emit hook may be called from any thread; the pipelines are fixed once started.
  ctx_->emit = [this](MetricBatch&& b) { emit(std::move(b)); };
}

void InputRunner::connect(std::vector<std::shared_ptr<Pipeline>> pipelines) { pipelines_ = std::move(pipelines); }

void InputRunner::emit(MetricBatch&& batch) {
  if (batch.empty() || stopped_) return;
  int64_t now = now_ns();
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
    self->next_ = std::chrono::steady_clock::now();
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
  auto now = std::chrono::steady_clock::now();
  if (next_ < now) next_ = now;  // we fell behind: do not burst to catch up
  timer_.expires_at(next_);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->tick();
  });
}

void InputRunner::gather_once(std::function<void()> done) {
  boost::asio::dispatch(ctx_->strand, [self = shared_from_this(), done = std::move(done)]() mutable {
    if (self->stopped_ || self->gathering_) {
      if (done) done();
      return;
    }
    self->gathering_ = true;
    self->gather_started_ = std::chrono::steady_clock::now();
    auto finished = std::make_shared<bool>(false);
    auto on_done = [self, finished, done = std::move(done)]() mutable {
      boost::asio::dispatch(self->ctx_->strand, [self, finished, done = std::move(done)]() mutable {
        if (*finished) return;  // done called twice: ignore
        *finished = true;
        self->gathering_ = false;
        self->gathers_.inc();
        self->gather_time_.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - self->gather_started_).count());
        if (done) done();
      });
    };
    try {
      self->input_->gather(on_done);
    } catch (const std::exception& e) {
      self->ctx_->log->error("gather threw: {}", e.what());
      on_done();
    }
  });
}

void InputRunner::stop(std::function<void()> done) {
  boost::asio::post(ctx_->strand, [self = shared_from_this(), done = std::move(done)]() mutable {
    self->stopped_ = true;
    self->timer_.cancel();
    self->input_->stop([self, done = std::move(done)]() mutable {
      boost::asio::post(self->ctx_->strand, [done = std::move(done)] { done(); });
    });
  });
}

}  // namespace routerpulse::engine
