// Redis killed (or hung) mid-run: nothing the buffer could hold is lost.
//
// The engine owns buffering and retries, so this test drives the output the
// way the engine does (engine/output_runner.cpp): a bounded buffer with
// drop-oldest counting, batches of batch_size, one write in flight, and a
// failed batch kept and retried as-is until it succeeds.
#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <set>
#include <thread>

#include "redis_output_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;

namespace {

class MiniEngine {
 public:
  MiniEngine(RedisOutput& out, size_t buffer_limit, size_t batch_size)
      : out_(out), limit_(buffer_limit), batch_size_(batch_size) {}

  /// Produces `n` metrics with consecutive seq numbers into the bounded buffer.
  void produce(int n) {
    for (int i = 0; i < n; ++i) {
      Metric m("pppoe_traffic", now_ns());
      m.set_tag("router", "pop1-core").set_field("seq", next_seq_++);
      buffer_.push_back(std::move(m));
      if (buffer_.size() > limit_) {
        dropped_.insert(std::get<uint64_t>(*buffer_.front().field("seq")));
        buffer_.pop_front();
      }
    }
  }

  /// One write attempt of the batch in flight (cut from the buffer when none).
  /// Returns whether it succeeded; a failed batch stays in flight.
  bool attempt() {
    if (inflight_.empty()) {
      size_t n = std::min(batch_size_, buffer_.size());
      for (size_t i = 0; i < n; ++i) {
        inflight_.push_back(std::move(buffer_.front()));
        buffer_.pop_front();
      }
    }
    if (inflight_.empty()) return true;
    auto r = out_.write(inflight_);
    if (!r.ok) {
      ++failures_;
      last_error_ = r.error;
      return false;
    }
    inflight_.clear();
    return true;
  }

  /// Retries (with a short pause, like the engine's backoff) until everything is written.
  bool drain(std::chrono::seconds limit) {
    return wait_until(
        [this] {
          if (attempt()) return buffer_.empty() && inflight_.empty();
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          return false;
        },
        limit);
  }

  uint64_t produced() const { return next_seq_; }
  const std::set<uint64_t>& dropped() const { return dropped_; }
  size_t failures() const { return failures_; }
  const std::string& last_error() const { return last_error_; }

 private:
  RedisOutput& out_;
  size_t limit_, batch_size_;
  std::deque<Metric> buffer_;
  MetricBatch inflight_;
  uint64_t next_seq_ = 0;
  std::set<uint64_t> dropped_;
  size_t failures_ = 0;
  std::string last_error_;
};

/// seq → how often it is in the stream; also checks first occurrences are in order.
std::map<uint64_t, int> delivered(const RedisServer& redis, const std::string& key, bool& in_order) {
  std::map<uint64_t, int> seen;
  in_order = true;
  int64_t last_new = -1;
  for (const auto& e : redis.xrange(key)) {
    auto j = nlohmann::json::parse(*e.get("data"));
    auto seq = j["fields"]["seq"].get<uint64_t>();
    if (seen[seq]++ == 0) {
      if (static_cast<int64_t>(seq) < last_new) in_order = false;
      last_new = static_cast<int64_t>(seq);
    }
  }
  return seen;
}

void check_accounting(const MiniEngine& eng, const std::map<uint64_t, int>& seen) {
  size_t missing = 0;
  for (uint64_t s = 0; s < eng.produced(); ++s) {
    bool present = seen.count(s) && seen.at(s) >= 1;
    bool dropped = eng.dropped().count(s) > 0;
    if (!present) ++missing;
    // Present at least once, or accounted for by the drop counter — never both, never neither.
    INFO("seq " << s);
    CHECK(present != dropped);
  }
  CHECK(missing == eng.dropped().size());
}

}  // namespace

TEST_CASE("Redis killed and restarted mid-run: at-least-once, drops accounted", "[redis_stream][outage]") {
  // AOF with fsync on every write: what Redis acknowledged survives SIGKILL,
  // so the stream can be checked for completeness after the restart.
  RedisServer redis({"--appendonly", "yes", "--appendfsync", "always"});
  RedisOutput out("url: " + redis.url() + "\nstream: mikrotik:traffic:customers\nmaxlen: 0");
  REQUIRE(out.wait_connected());
  MiniEngine eng(out, /*buffer_limit=*/300, /*batch_size=*/100);

  // Phase 1: Redis up.
  for (int round = 0; round < 5; ++round) {
    eng.produce(120);
    REQUIRE(eng.drain(std::chrono::seconds(20)));
  }
  CHECK(eng.failures() == 0);

  // Phase 2: Redis killed. Metrics keep coming; writes fail and the batch in
  // flight is retried; the buffer overflows and drops the oldest.
  redis.kill();
  for (int round = 0; round < 10; ++round) {
    eng.produce(60);
    CHECK_FALSE(eng.attempt());
  }
  CHECK(eng.failures() >= 10);
  CHECK(eng.dropped().size() >= 600 - 300 - 100);
  CHECK(out.gauge("redis_connected") == 0.0);
  CHECK(out.health()["status"] == "degraded");
  CHECK_THAT(eng.last_error(), Catch::Matchers::Contains("redis://127.0.0.1:" + std::to_string(redis.port())));

  // Phase 3: Redis back on the same port; the output reconnects by itself and
  // the retried batch plus the buffer are written in order.
  redis.restart();
  REQUIRE(eng.drain(std::chrono::seconds(30)));
  for (int round = 0; round < 3; ++round) {
    eng.produce(150);
    REQUIRE(eng.drain(std::chrono::seconds(20)));
  }
  CHECK(out.gauge("redis_connected") == 1.0);
  CHECK(out.counter("redis_reconnects_total") >= 1);
  CHECK(out.counter("redis_write_errors_total", {{"reason", "disconnected"}}) +
            out.counter("redis_write_errors_total", {{"reason", "connection_lost"}}) ==
        eng.failures());

  bool in_order = false;
  auto seen = delivered(redis, "mikrotik:traffic:customers", in_order);
  check_accounting(eng, seen);
  CHECK(in_order);
  CHECK_FALSE(eng.dropped().empty());
}

TEST_CASE("a hung Redis is detected by command_timeout; nothing is lost", "[redis_stream][outage]") {
  RedisServer redis;
  RedisOutput out("url: " + redis.url() + "\nstream: s\nmaxlen: 0\ncommand_timeout: 300ms");
  REQUIRE(out.wait_connected());
  MiniEngine eng(out, 10000, 50);
  eng.produce(100);
  REQUIRE(eng.drain(std::chrono::seconds(20)));

  // SIGSTOP: the TCP connection stays open but no reply ever comes.
  redis.pause();
  eng.produce(50);
  CHECK_FALSE(eng.attempt());
  CHECK_THAT(eng.last_error(), Catch::Matchers::Contains("lost before all 50 entries were acknowledged"));
  CHECK(out.counter("redis_write_errors_total", {{"reason", "connection_lost"}}) == 1);

  redis.resume();
  eng.produce(100);
  REQUIRE(eng.drain(std::chrono::seconds(30)));
  bool in_order = false;
  auto seen = delivered(redis, "s", in_order);
  check_accounting(eng, seen);
  CHECK(eng.dropped().empty());
  CHECK(in_order);
}
