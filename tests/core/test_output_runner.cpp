#include <catch2/catch.hpp>

#include <future>
#include <mutex>

#include <spdlog/spdlog.h>

#include "engine/output_runner.hpp"
#include "harness.hpp"
#include "routerpulse/health.hpp"

using namespace routerpulse;
using namespace std::chrono_literals;

namespace {

/// An output whose behaviour the test scripts: fail N times, hold writes, or succeed.
class ScriptedOutput final : public Output {
 public:
  std::mutex mu;
  std::vector<int64_t> delivered;  // metric times, in delivery order
  int fail_next = 0;
  int ignore_next = 0;                              // never answer these writes
  bool hold = false;                                // park done() until release()
  std::vector<std::function<void()>> parked;
  int attempts = 0;

  void write(const MetricBatch& batch, std::function<void(WriteResult)> done) override {
    std::lock_guard lk(mu);
    ++attempts;
    if (ignore_next > 0) {
      --ignore_next;
      return;
    }
    if (fail_next > 0) {
      --fail_next;
      done(WriteResult::failure("scripted failure"));
      return;
    }
    auto deliver = [this, batch, done] {
      for (const auto& m : batch) delivered.push_back(m.time());
      done(WriteResult::success());
    };
    if (hold)
      parked.push_back([this, deliver] {
        std::lock_guard lk2(mu);
        deliver();
      });
    else
      deliver();
  }
  std::vector<int64_t> got() {
    std::lock_guard lk(mu);
    return delivered;
  }
};

struct Fixture {
  test::Harness h;
  ScriptedOutput* out = nullptr;
  std::shared_ptr<engine::OutputRunner> runner;

  explicit Fixture(engine::OutputSettings s) {
    auto o = std::make_unique<ScriptedOutput>();
    out = o.get();
    auto ctx = std::unique_ptr<PluginContext>(new PluginContext{
        "scripted", PluginKind::output, h.io, boost::asio::make_strand(h.io), spdlog::default_logger()->clone("scripted"),
        h.stats, h.health, nullptr, nullptr, "", 10s, {}});
    runner = std::make_shared<engine::OutputRunner>(std::move(o), std::move(ctx), s);
    runner->start();
  }
  ~Fixture() {
    std::promise<void> p;
    runner->stop([&] { p.set_value(); });
    p.get_future().wait_for(5s);
  }
  uint64_t counter(const char* name) { return h.stats.counter("output", name, "", {{"output", "scripted"}}).value(); }
};

MetricBatch make(int from, int to) {
  MetricBatch b;
  for (int i = from; i < to; ++i) {
    Metric m("m", i + 1);  // time doubles as the sequence number (1-based; 0 means unset)
    m.set_field("v", int64_t{i});
    b.push_back(std::move(m));
  }
  return b;
}

std::vector<int64_t> seq(int from, int to) {
  std::vector<int64_t> v;
  for (int i = from; i < to; ++i) v.push_back(i + 1);
  return v;
}

}  // namespace

TEST_CASE("a full buffer drops the oldest metrics and counts them", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 5;
  s.buffer_limit = 10;
  s.flush_interval = 10ms;
  Fixture f(s);
  f.out->hold = true;
  f.runner->push(make(0, 5));  // becomes the batch in flight (held)
  REQUIRE(test::wait_until([&] { std::lock_guard lk(f.out->mu); return f.out->parked.size() == 1; }, 5s));
  f.runner->push(make(5, 25));  // 20 more into a buffer of 10 → 10 oldest dropped
  REQUIRE(test::wait_until([&] { return f.counter("metrics_dropped_total") == 10; }, 5s));
  {
    std::lock_guard lk(f.out->mu);
    f.out->hold = false;
  }
  f.out->parked[0]();
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 15; }, 5s));
  auto expected = seq(0, 5);
  auto newest = seq(15, 25);
  expected.insert(expected.end(), newest.begin(), newest.end());
  CHECK(f.out->got() == expected);
  CHECK(f.counter("metrics_written_total") == 15);
}

TEST_CASE("a failed batch is retried in order until it succeeds", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 4;
  s.flush_interval = 10ms;
  s.retry_initial = 5ms;
  s.retry_max = 20ms;
  Fixture f(s);
  f.out->fail_next = 3;
  f.runner->push(make(0, 10));
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 10; }, 5s));
  CHECK(f.out->got() == seq(0, 10));  // nothing lost, nothing duplicated, in order
  CHECK(f.counter("write_errors_total") == 3);
  CHECK(f.counter("write_retries_total") == 3);
  CHECK(f.counter("metrics_dropped_total") == 0);
  CHECK(f.h.health.overall() == HealthState::healthy);  // recovered
}

TEST_CASE("a write that never answers times out and is retried", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 3;
  s.flush_interval = 10ms;
  s.timeout = 50ms;
  s.retry_initial = 5ms;
  Fixture f(s);
  f.out->ignore_next = 1;
  f.runner->push(make(0, 3));
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 3; }, 5s));
  CHECK(f.out->attempts == 2);
  CHECK(f.counter("write_errors_total") == 1);
}

TEST_CASE("flush_interval sends a partial batch", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 1000;
  s.flush_interval = 20ms;
  Fixture f(s);
  f.runner->push(make(0, 2));
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 2; }, 5s));
}

TEST_CASE("drain delivers everything buffered before the deadline", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 100;
  s.flush_interval = 1h;  // only the drain can flush
  Fixture f(s);
  f.runner->push(make(0, 250));
  std::promise<size_t> p;
  f.runner->drain(std::chrono::steady_clock::now() + 5s, [&](size_t left) { p.set_value(left); });
  auto fut = p.get_future();
  REQUIRE(fut.wait_for(5s) == std::future_status::ready);
  CHECK(fut.get() == 0);
  CHECK(f.out->got() == seq(0, 250));
}

TEST_CASE("drain gives up at the deadline and counts the rest as dropped", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 10;
  s.flush_interval = 1h;
  s.retry_initial = 5ms;
  Fixture f(s);
  f.out->fail_next = 1000000;
  f.runner->push(make(0, 30));
  std::promise<size_t> p;
  f.runner->drain(std::chrono::steady_clock::now() + 100ms, [&](size_t left) { p.set_value(left); });
  auto fut = p.get_future();
  REQUIRE(fut.wait_for(5s) == std::future_status::ready);
  CHECK(fut.get() == 30);
  CHECK(f.counter("metrics_dropped_total") == 30);
}

TEST_CASE("take hands over buffered and in-flight metrics", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 5;
  s.flush_interval = 1h;
  Fixture f(s);
  f.out->hold = true;
  f.runner->push(make(0, 8));  // 5 in flight (held), 3 buffered
  REQUIRE(test::wait_until([&] { std::lock_guard lk(f.out->mu); return f.out->parked.size() == 1; }, 5s));
  std::promise<std::deque<Metric>> p;
  f.runner->take([&](std::deque<Metric> m) { p.set_value(std::move(m)); });
  auto taken = p.get_future().get();
  REQUIRE(taken.size() == 8);
  CHECK(taken.front().time() == 1);
  CHECK(taken.back().time() == 8);
}

TEST_CASE("namepass and namedrop filter what an output receives", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 1;
  s.flush_interval = 10ms;
  s.namepass = {"pppoe_*", "alert"};
  s.namedrop = {"pppoe_session"};
  CHECK(s.accepts("pppoe_traffic"));
  CHECK(s.accepts("alert"));
  CHECK_FALSE(s.accepts("pppoe_session"));
  CHECK_FALSE(s.accepts("routeros_system"));
  Fixture f(s);
  MetricBatch b;
  int64_t t = 1;
  for (const char* name : {"routeros_system", "pppoe_traffic", "pppoe_session", "alert"}) b.push_back(Metric(name, t++));
  for (auto& m : b) m.set_field("v", int64_t{1});
  f.runner->push(std::move(b));
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 2; }, 5s));
  std::this_thread::sleep_for(50ms);
  CHECK(f.out->got() == std::vector<int64_t>{2, 4});
}
