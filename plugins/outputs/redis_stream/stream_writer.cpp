#include "stream_writer.hpp"

#include <boost/asio/post.hpp>
#include <hiredis/hiredis.h>

#include "routerpulse/health.hpp"

namespace routerpulse::redis {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kFlushEvery = 64;  // commands queued between eager socket writes

Labels out_labels(const std::string& id) { return {{"output", id}}; }
Labels reason_labels(const std::string& id, const char* reason) { return {{"output", id}, {"reason", reason}}; }

bool is_error(const redisReply* r) { return r && r->type == REDIS_REPLY_ERROR; }
std::string text(const redisReply* r) { return std::string(r->str, r->len); }

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string render_constant(const StreamKeyTemplate& t) {
  std::string key;
  t.render(Metric{}, key, {});
  return key;
}

}  // namespace

// One write() call. Owned by its pending replies: hiredis calls on_reply
// exactly once per accepted command (with nullptr when the connection goes),
// and the op deletes itself after the last one, once every command is queued.
struct StreamWriter::WriteOp : RedisClient::ReplyTarget {
  std::weak_ptr<StreamWriter> writer;
  std::function<void(WriteResult)> done;
  size_t outstanding = 0;  // replies still expected
  size_t commands = 0;     // commands queued (XADD + XGROUP)
  size_t entries = 0;      // XADDs queued
  size_t acked = 0;        // XADDs Redis acknowledged
  size_t rejected = 0;     // error replies
  bool issued = false;     // every command of the batch has been queued
  bool lost = false;       // connection lost before every reply arrived
  std::string first_error;
  Clock::time_point started = Clock::now();

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

  static void on_xadd(RedisClient::ReplyTarget* t, const redisReply* r) {
    auto* op = static_cast<WriteOp*>(t);
    if (r && !is_error(r)) ++op->acked;
    op->record(r, is_error(r), "XADD");
    op->complete_if_done();
  }

  void complete_if_done() {
    if (!issued || outstanding > 0) return;
    std::unique_ptr<WriteOp> self(this);
    auto w = writer.lock();
    WriteResult result = w ? w->result(*this) : WriteResult::failure("redis_stream output was destroyed");
    auto d = std::move(done);
    self.reset();
    d(std::move(result));
  }
};

StreamWriter::StreamWriter(RedisStreamConfig cfg, PluginContext& ctx)
    : cfg_(std::move(cfg)),
      id_(ctx.id),
      health_id_("outputs." + ctx.id + ".connection"),
      log_(ctx.log),
      health_(ctx.health),
      io_(ctx.io),
      strand_(ctx.strand),
      key_template_(cfg_.stream),
      encoder_(cfg_),
      constant_key_(key_template_.is_constant() ? render_constant(key_template_) : std::string()),
      written_(ctx.stats.counter("output", "redis_entries_written_total",
                                 "Stream entries Redis acknowledged (XADD replies); retries may write an entry twice",
                                 out_labels(ctx.id))),
      err_disconnected_(ctx.stats.counter("output", "redis_write_errors_total",
                                          "Batches the redis_stream output failed, by reason",
                                          reason_labels(ctx.id, "disconnected"))),
      err_reply_(ctx.stats.counter("output", "redis_write_errors_total",
                                   "Batches the redis_stream output failed, by reason",
                                   reason_labels(ctx.id, "error_reply"))),
      err_lost_(ctx.stats.counter("output", "redis_write_errors_total",
                                  "Batches the redis_stream output failed, by reason",
                                  reason_labels(ctx.id, "connection_lost"))),
      reconnects_(ctx.stats.counter("output", "redis_reconnects_total",
                                    "Connections to Redis re-established after a loss or failed start",
                                    out_labels(ctx.id))),
      connect_errors_(ctx.stats.counter("output", "redis_connect_errors_total",
                                        "Failed attempts to connect to Redis (including refused AUTH/SELECT)",
                                        out_labels(ctx.id))),
      missing_tag_(ctx.stats.counter("output", "redis_stream_key_missing_tag_total",
                                     "Entries whose stream key template named a tag the metric lacks",
                                     out_labels(ctx.id))),
      connected_(ctx.stats.gauge("output", "redis_connected", "1 while the connection to Redis is ready, else 0",
                                 out_labels(ctx.id))),
      latency_(ctx.stats.histogram("output", "redis_write_latency_seconds",
                                   "From sending a batch's first XADD to its last reply", out_labels(ctx.id))) {}

void StreamWriter::start() {
  std::weak_ptr<StreamWriter> weak = weak_from_this();
  RedisClient::Listener l;
  l.on_ready = [weak] {
    if (auto self = weak.lock()) self->on_ready();
  };
  l.on_down = [weak](const RedisDown& d) {
    if (auto self = weak.lock()) self->on_down(d);
  };
  client_ = RedisClient::create(io_, strand_, cfg_.client, std::move(l));
  connected_.set(0);
  health_.set_component(health_id_, HealthState::degraded, "connecting to " + cfg_.client.endpoint.display());
  client_->start();
}

void StreamWriter::on_ready() {
  connected_.set(1);
  health_.set_component(health_id_, HealthState::healthy);
  if (ever_ready_) reconnects_.inc();
  log_->info("{} to {}", ever_ready_ ? "reconnected" : "connected", cfg_.client.endpoint.display());
  ever_ready_ = true;
  failed_attempts_ = 0;
  // A new connection may face a restarted server that lost its streams and
  // groups, so groups are (re)created on every connection.
  grouped_.clear();
  if (!cfg_.consumer_group.empty() && key_template_.is_constant()) create_group(constant_key_, nullptr);
}

void StreamWriter::on_down(const RedisDown& d) {
  connected_.set(0);
  if (!d.was_ready) connect_errors_.inc();
  ++failed_attempts_;
  std::string detail = "disconnected from " + cfg_.client.endpoint.display() + ": " + d.error;
  health_.set_component(health_id_, d.rejected ? HealthState::unhealthy : HealthState::degraded, detail);
  if (d.was_ready) log_->warn("connection to {} lost: {}; reconnecting", cfg_.client.endpoint.display(), d.error);
  else if (d.rejected) log_->error("{} refused the handshake: {}", cfg_.client.endpoint.display(), d.error);
  else if (failed_attempts_ == 1 || failed_attempts_ % 10 == 0)
    log_->warn("cannot connect to {} (attempt {}): {}", cfg_.client.endpoint.display(), failed_attempts_, d.error);
}

void StreamWriter::create_group(const std::string& key, WriteOp* op) {
  grouped_.insert(key);
  std::weak_ptr<StreamWriter> weak = weak_from_this();
  bool sent = client_->command(
      {"XGROUP", "CREATE", key, cfg_.consumer_group, cfg_.consumer_group_start_id, "MKSTREAM"},
      [weak, op, key](const redisReply* r) {
        // BUSYGROUP: the group exists already, which is what we want.
        bool failed = !r || (is_error(r) && text(r).rfind("BUSYGROUP", 0) != 0);
        auto self = weak.lock();
        if (failed && self) {
          self->grouped_.erase(key);  // try again with the next batch
          if (r) self->log_->error("XGROUP CREATE {} {} failed: {}", key, self->cfg_.consumer_group, text(r));
        }
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

void StreamWriter::write(const MetricBatch& batch, std::function<void(WriteResult)> done) {
  if (stopped_) {
    done(WriteResult::failure("redis_stream output is stopped"));
    return;
  }
  if (!client_ || !client_->ready()) {
    err_disconnected_.inc();
    std::string why = client_ && !client_->last_error().empty() ? client_->last_error() : "connecting";
    done(WriteResult::failure("not connected to " + cfg_.client.endpoint.display() + " (" + why + ")"));
    return;
  }
  auto* op = new WriteOp;  // deletes itself after its last reply
  op->writer = weak_from_this();
  op->done = std::move(done);
  try {
    queue_batch(batch, op);
  } catch (const std::exception& e) {  // e.g. bad_alloc: fail the batch, keep the replies' target alive
    op->lost = true;
    if (op->first_error.empty()) op->first_error = e.what();
  }
  op->issued = true;
  op->complete_if_done();
}

void StreamWriter::queue_batch(const MetricBatch& batch, WriteOp* op) {
  encoder_.begin_batch(wall_ms());
  bool constant = key_template_.is_constant();
  bool groups = !cfg_.consumer_group.empty();
  for (const auto& m : batch) {
    const std::string* key = &constant_key_;
    if (!constant) {
      if (!key_template_.render(m, key_, cfg_.missing_tag_value)) {
        if (missing_tag_.value() == 0)
          log_->warn("metric {} lacks a tag named in stream '{}'; writing to '{}' (counted in "
                     "redis_stream_key_missing_tag_total)",
                     m.name(), cfg_.stream, key_);
        missing_tag_.inc();
      }
      key = &key_;
    }
    if (groups && !grouped_.count(*key)) create_group(*key, op);
    encoder_.encode(m, *key);
    if (!client_->command_resp(encoder_.command(), op)) {
      op->lost = true;
      return;
    }
    ++op->outstanding;
    ++op->commands;
    // Let Redis work on the first part of a long pipeline while the rest is encoded.
    if (++op->entries % kFlushEvery == 0) client_->flush();
  }
}

WriteResult StreamWriter::result(const WriteOp& op) {
  written_.inc(op.acked);
  if (op.lost) {
    err_lost_.inc();
    return WriteResult::failure("connection to " + cfg_.client.endpoint.display() + " lost before all " +
                                std::to_string(op.entries) + " entries were acknowledged (" +
                                (op.first_error.empty() ? client_->last_error() : op.first_error) +
                                "); the batch will be retried");
  }
  if (op.rejected > 0) {
    err_reply_.inc();
    return WriteResult::failure(std::to_string(op.rejected) + " of " + std::to_string(op.commands) +
                                " commands got an error reply, first: " + op.first_error);
  }
  latency_.observe(std::chrono::duration<double>(Clock::now() - op.started).count());
  return WriteResult::success();
}

void StreamWriter::stop(std::function<void()> done) {
  stopped_ = true;
  auto finish_stop = [self = shared_from_this(), done = std::move(done)]() mutable {
    self->connected_.set(0);
    self->health_.remove_component(self->health_id_);
    // Posted, so the completions of the waits and timers just cancelled run first.
    boost::asio::post(self->strand_, [done = std::move(done)] {
      if (done) done();
    });
  };
  if (!client_) {
    finish_stop();
    return;
  }
  client_->close(std::chrono::seconds(2), std::move(finish_stop));
}

void StreamWriter::abort() {
  stopped_ = true;
  if (client_) client_->close(std::chrono::nanoseconds::zero(), nullptr);
}

}  // namespace routerpulse::redis
