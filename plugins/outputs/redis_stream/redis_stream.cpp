// redis_stream — output plugin: delivers metrics to Redis Streams with XADD.
//
// The engine buffers, batches and retries; this shell validates the options
// and hands every call to a StreamWriter (stream_writer.hpp), which lives in a
// shared_ptr so in-flight replies never touch a destroyed component.
#include <boost/asio/post.hpp>

#include "redis_stream_config.hpp"
#include "routerpulse/plugin.hpp"
#include "stream_writer.hpp"

namespace routerpulse::redis {

class RedisStreamOutput final : public Output {
 public:
  RedisStreamOutput(const Options& options, PluginContext& ctx)
      : strand_(ctx.strand), writer_(std::make_shared<StreamWriter>(read_config(options), ctx)) {}

  ~RedisStreamOutput() override {
    // Normally stop() has closed everything; otherwise close on the strand.
    if (!writer_->stopped()) boost::asio::post(strand_, [w = std::move(writer_)] { w->abort(); });
  }

  void start() override { writer_->start(); }
  void stop(std::function<void()> done) override { writer_->stop(std::move(done)); }
  void write(const MetricBatch& batch, std::function<void(WriteResult)> done) override {
    writer_->write(batch, std::move(done));
  }

 private:
  Strand strand_;
  std::shared_ptr<StreamWriter> writer_;
};

}  // namespace routerpulse::redis

ROUTERPULSE_PLUGIN(output, redis_stream, "Writes metrics to Redis Streams (XADD, pipelined, at-least-once)",
                   routerpulse::redis::RedisStreamOutput)
