// redis_stream — the delivery logic behind the output: batch → pipelined XADDs.
//
// write() sends one XADD per metric (plus `XGROUP CREATE … MKSTREAM` the first
// time a stream key is used on a connection when consumer_group is set) in one
// pipeline and reports success only when every reply arrived and none was an
// error. Anything else fails the whole batch, which the engine then retries:
// delivery is at-least-once (entries acknowledged before the failure are
// written again on retry). While disconnected write() fails at once and the
// RedisClient reconnects in the background.
//
// Self-metrics (subsystem `output`, label output=<id>):
//   redis_entries_written_total, redis_write_errors_total{reason},
//   redis_reconnects_total, redis_connect_errors_total, redis_connected,
//   redis_write_latency_seconds, redis_stream_key_missing_tag_total.
// Health: component `outputs.<id>.connection` (degraded while disconnected,
// unhealthy when the server refuses AUTH/SELECT).
//
// Threading: every method runs on the output's strand. The writer keeps no
// reference to the PluginContext (only agent-lifetime registries), so reply
// handlers that outlive the component are harmless.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include "redis_client.hpp"
#include "redis_stream_config.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/stats.hpp"
#include "stream_key.hpp"
#include "xadd_encoder.hpp"

namespace routerpulse {
class HealthRegistry;
}

namespace routerpulse::redis {

class StreamWriter : public std::enable_shared_from_this<StreamWriter> {
 public:
  StreamWriter(RedisStreamConfig cfg, PluginContext& ctx);

  /// Starts connecting. Health is `degraded` ("connecting") until ready.
  void start();
  /// Delivers `batch` (see above); `done` is called exactly once, on the strand.
  void write(const MetricBatch& batch, std::function<void(WriteResult)> done);
  /// Closes the connection (pending replies get 2 s), removes the health
  /// entry, then calls `done`.
  void stop(std::function<void()> done);
  /// Immediate close without waiting (component destroyed without stop()).
  void abort();
  /// True once stop() or abort() was called.
  bool stopped() const noexcept { return stopped_; }

 private:
  struct WriteOp;
  void on_ready();
  void on_down(const RedisDown& down);
  void create_group(const std::string& key, WriteOp* op);  // op may be null (start-up)
  void queue_batch(const MetricBatch& batch, WriteOp* op);
  WriteResult result(const WriteOp& op);  // counts the outcome

  RedisStreamConfig cfg_;
  std::string id_, health_id_;
  std::shared_ptr<spdlog::logger> log_;
  HealthRegistry& health_;
  boost::asio::io_context& io_;
  Strand strand_;
  StreamKeyTemplate key_template_;
  XaddEncoder encoder_;
  std::string constant_key_;  // the key when the template has no placeholders
  std::shared_ptr<RedisClient> client_;

  std::string key_;                          // scratch for the rendered key
  std::unordered_set<std::string> grouped_;  // keys with XGROUP CREATE sent on this connection
  bool ever_ready_ = false, stopped_ = false;
  uint64_t failed_attempts_ = 0;

  Counter& written_;
  Counter& err_disconnected_;
  Counter& err_reply_;
  Counter& err_lost_;
  Counter& reconnects_;
  Counter& connect_errors_;
  Counter& missing_tag_;
  Gauge& connected_;
  Histogram& latency_;
};

}  // namespace routerpulse::redis
