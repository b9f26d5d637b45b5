// redis_stream — the component: options, validation, and delivery of batches
// as pipelined XADDs (the connection lives in redis_connection.cpp).
#include "redis_stream.hpp"

#include <boost/asio/post.hpp>
#include <hiredis/hiredis.h>

#include "routerpulse/health.hpp"

namespace routerpulse::redis {
namespace {

constexpr size_t kFlushEvery = 64;                       // commands queued between eager socket writes
constexpr auto kLogInterval = std::chrono::seconds(60);  // repeated warnings: one line per minute and key

bool is_error(const redisReply* r) { return r && r->type == REDIS_REPLY_ERROR; }
std::string text(const redisReply* r) { return std::string(r->str, r->len); }

std::string render_constant(const StreamKeyTemplate& t) {
  std::string key;
  t.render(Metric{}, key, {});
  return key;
}

const char* kErrorsHelp = "Batches the redis_stream output failed, by reason";

}  // namespace

// One write() call. Owned by its pending replies: hiredis calls on_reply
// exactly once per accepted command (with nullptr when the connection goes),
// and the op deletes itself after the last one, once every command is queued.
// It calls `done` exactly once — also when the component is already gone
// (then `account` is a no-op guard and the batch is reported failed).
struct RedisStreamOutput::WriteOp : ReplyTarget {
  std::function<void(WriteResult)> done;
  /// Guarded: turns the finished op into the result and counts it.
  std::function<void(const WriteOp&, WriteResult&)> account;
  size_t outstanding = 0;  // replies still expected
  size_t commands = 0;     // commands queued (XADD + XGROUP)
  size_t entries = 0;      // XADDs queued
  size_t acked = 0;        // XADDs Redis acknowledged
  size_t rejected = 0;     // error replies
  bool issued = false;     // every command of the batch has been queued
  bool lost = false;       // connection lost before every reply arrived
  std::string first_error;
  SteadyTime started{};

  WriteOp() { on_reply = &WriteOp::on_xadd; }

  void record(const redisReply* r, bool error, std::string_view what) {
    --outstanding;
    if (!r) {
      lost = true;
    } else if (error) {
      ++rejected;
      if (first_error.empty()) first_error = std::string(what) + ": " + text(r);
    }
  }

  static void on_xadd(ReplyTarget* t, const redisReply* r) {
    auto* op = static_cast<WriteOp*>(t);
    if (r && !is_error(r)) ++op->acked;
    op->record(r, is_error(r), "XADD");
    op->complete_if_done();
  }

  void complete_if_done() {
    if (!issued || outstanding > 0) return;
    std::unique_ptr<WriteOp> self(this);
    WriteResult result = WriteResult::failure("redis_stream output was destroyed");
    account(*this, result);
    auto d = std::move(done);
    self.reset();
    d(std::move(result));
  }
};

void RedisStreamOutput::validate(const Options& o) { read_config(o); }

RedisStreamOutput::RedisStreamOutput(const Options& o, PluginContext& ctx)
    : ctx_(ctx),
      cfg_(read_config(o)),
      conn_health_(ctx.health.sub("connection")),
      rate_log_(ctx.log, ctx.clock, kLogInterval),
      key_template_(cfg_.stream),
      encoder_(cfg_),
      constant_key_(key_template_.is_constant() ? render_constant(key_template_) : std::string()),
      resolver_(ctx.strand),
      connect_timer_(ctx.clock.make_timer(ctx.strand)),
      retry_timer_(ctx.clock.make_timer(ctx.strand)),
      watchdog_(ctx.clock.make_timer(ctx.strand)),
      grace_timer_(ctx.clock.make_timer(ctx.strand)),
      backoff_(cfg_.connection.reconnect_initial, cfg_.connection.reconnect_max),
      written_(ctx.self_metrics.counter(
          "entries_written_total",
          "Stream entries Redis acknowledged (XADD replies); retries may write an entry twice")),
      err_disconnected_(ctx.self_metrics.counter("write_errors_total", kErrorsHelp, {{"reason", "disconnected"}})),
      err_reply_(ctx.self_metrics.counter("write_errors_total", kErrorsHelp, {{"reason", "error_reply"}})),
      err_lost_(ctx.self_metrics.counter("write_errors_total", kErrorsHelp, {{"reason", "connection_lost"}})),
      reconnects_(ctx.self_metrics.counter("reconnects_total",
                                           "Connections to Redis re-established after a loss or failed start")),
      connect_errors_(ctx.self_metrics.counter("connect_errors_total",
                                               "Failed attempts to connect to Redis (including refused AUTH/SELECT)")),
      missing_tag_(ctx.self_metrics.counter("key_missing_tag_total",
                                            "Entries whose stream key template named a tag the metric lacks")),
      connected_(ctx.self_metrics.gauge("connected", "1 while the connection to Redis is ready, else 0")),
      latency_(
          ctx.self_metrics.histogram("write_latency_seconds", "From sending a batch's first XADD to its last reply")) {}

void RedisStreamOutput::start() {
  if (state_ != State::idle || closing_) return;
  connected_.set(0);
  conn_health_.set(HealthState::degraded, "connecting to " + cfg_.connection.endpoint.display());
  connect();
}

void RedisStreamOutput::on_ready() {
  connected_.set(1);
  conn_health_.set(HealthState::healthy);
  if (ever_ready_) reconnects_.inc();
  ctx_.log->info("{} to {}", ever_ready_ ? "reconnected" : "connected", cfg_.connection.endpoint.display());
  ever_ready_ = true;
  failed_attempts_ = 0;
  // A new connection may face a restarted server that lost its streams and
  // groups, so groups are (re)created on every connection.
  grouped_.clear();
  if (!cfg_.consumer_group.empty() && key_template_.is_constant()) create_group(constant_key_, nullptr);
}

void RedisStreamOutput::on_down(const Down& d) {
  connected_.set(0);
  if (!d.was_ready) connect_errors_.inc();
  ++failed_attempts_;
  const std::string where = cfg_.connection.endpoint.display();
  conn_health_.set(d.rejected ? HealthState::unhealthy : HealthState::degraded,
                   "disconnected from " + where + ": " + d.error);
  if (d.was_ready)
    ctx_.log->warn("connection to {} lost: {}; reconnecting", where, d.error);
  else if (d.rejected)
    rate_log_.log_lazy(spdlog::level::err, "rejected", [&] { return where + " refused the handshake: " + d.error; });
  else
    rate_log_.log_lazy(spdlog::level::warn, "connect", [&] {
      return "cannot connect to " + where + " (attempt " + std::to_string(failed_attempts_) + "): " + d.error;
    });
}

void RedisStreamOutput::create_group(const std::string& key, WriteOp* op) {
  grouped_.insert(key);
  // The component part runs only while the component is alive; the op's
  // bookkeeping always runs, so the write is answered exactly once.
  auto on_failure = guard([this, key](const redisReply* r) {
    grouped_.erase(key);  // try again with the next batch
    if (r) ctx_.log->error("XGROUP CREATE {} {} failed: {}", key, cfg_.consumer_group, text(r));
  });
  bool sent = command({"XGROUP", "CREATE", key, cfg_.consumer_group, cfg_.consumer_group_start_id, "MKSTREAM"},
                      [on_failure, op, key](const redisReply* r) mutable {
                        // BUSYGROUP: the group exists already, which is what we want.
                        bool failed = !r || (is_error(r) && text(r).rfind("BUSYGROUP", 0) != 0);
                        if (failed) on_failure(r);
                        if (!op) return;
                        op->record(r, failed, "XGROUP CREATE " + key);
                        op->complete_if_done();
                      });
  if (!sent) {
    grouped_.erase(key);
  } else if (op) {
    ++op->outstanding;
    ++op->commands;
  }
}

void RedisStreamOutput::write(const BatchView& batch, std::function<void(WriteResult)> done) {
  if (stopped_) {
    done(WriteResult::failure("redis_stream output is stopped"));
    return;
  }
  if (!ready()) {
    err_disconnected_.inc();
    std::string why = last_error_.empty() ? "connecting" : last_error_;
    done(WriteResult::failure("not connected to " + cfg_.connection.endpoint.display() + " (" + why + ")"));
    return;
  }
  auto* op = new WriteOp;  // deletes itself after its last reply
  op->done = std::move(done);
  op->account = guard([this](const WriteOp& o, WriteResult& r) { r = result(o); });
  op->started = ctx_.clock.steady_now();
  try {
    queue_batch(batch, op);
  } catch (const std::exception& e) {  // e.g. bad_alloc: fail the batch, keep the replies' target alive
    op->lost = true;
    if (op->first_error.empty()) op->first_error = e.what();
  }
  op->issued = true;
  op->complete_if_done();
}

void RedisStreamOutput::queue_batch(const BatchView& batch, WriteOp* op) {
  encoder_.begin_batch(ctx_.clock.now_ns() / 1'000'000);
  bool constant = key_template_.is_constant();
  bool groups = !cfg_.consumer_group.empty();
  for (const auto& m : batch) {
    const std::string* key = &constant_key_;
    if (!constant) {
      if (!key_template_.render(m, key_, cfg_.missing_tag_value)) {
        missing_tag_.inc();
        rate_log_.log_lazy(spdlog::level::warn, "missing_tag", [&] {
          return "metric " + m.name() + " lacks a tag named in stream '" + cfg_.stream + "'; writing to '" + key_ +
                 "' (counted in routerpulse_redis_stream_key_missing_tag_total)";
        });
      }
      key = &key_;
    }
    if (groups && !grouped_.count(*key)) create_group(*key, op);
    encoder_.encode(m, *key);
    if (!command_resp(encoder_.command(), op)) {
      op->lost = true;
      return;
    }
    ++op->outstanding;
    ++op->commands;
    // Let Redis work on the first part of a long pipeline while the rest is encoded.
    if (++op->entries % kFlushEvery == 0) flush();
  }
}

WriteResult RedisStreamOutput::result(const WriteOp& op) {
  written_.inc(op.acked);
  if (op.lost) {
    err_lost_.inc();
    return WriteResult::failure("connection to " + cfg_.connection.endpoint.display() + " lost before all " +
                                std::to_string(op.entries) + " entries were acknowledged (" +
                                (op.first_error.empty() ? last_error_ : op.first_error) +
                                "); the batch will be retried");
  }
  if (op.rejected > 0) {
    err_reply_.inc();
    return WriteResult::failure(std::to_string(op.rejected) + " of " + std::to_string(op.commands) +
                                " commands got an error reply, first: " + op.first_error);
  }
  latency_.observe(std::chrono::duration<double>(ctx_.clock.steady_now() - op.started).count());
  return WriteResult::success();
}

void RedisStreamOutput::stop(std::function<void()> done) {
  stopped_ = true;
  // finish_close runs on the strand from close(), a hiredis callback or the
  // grace timer — all while the component is alive.
  close(std::chrono::seconds(2), [this, done = std::move(done)]() mutable {
    connected_.set(0);
    conn_health_.clear();
    // Posted, so the completions of the waits and timers just cancelled run first.
    boost::asio::post(ctx_.strand, [done = std::move(done)] {
      if (done) done();
    });
  });
}

}  // namespace routerpulse::redis

ROUTERPULSE_PLUGIN(output, redis_stream, "Writes metrics to Redis Streams (XADD, pipelined, at-least-once)",
                   routerpulse::redis::RedisStreamOutput)
