// The engine's OutputRunner on a ManualClock: buffering, drop-oldest, retry
// with backoff, timeouts, flush_interval, drain, hand-over, name filters and
// the exactly-once rule for `done`. No test waits on the wall clock.
#include <catch2/catch.hpp>

#include <future>

#include "engine_fixture.hpp"
#include "routerpulse/filter.hpp"

using namespace routerpulse;
using namespace std::chrono_literals;
using test::numbered;
using test::sequence;

namespace {

struct Fixture {
  test::Harness h;
  ManualClock clock;
  std::shared_ptr<test::ScriptedOutput> out = std::make_shared<test::ScriptedOutput>();
  std::shared_ptr<engine::OutputRunner> runner;

  explicit Fixture(engine::OutputSettings s) {
    runner =
        std::make_shared<engine::OutputRunner>(out, test::engine_context(h, clock, PluginKind::output, "scripted"), s);
    runner->start();
  }
  ~Fixture() {
    std::promise<void> p;
    runner->stop([&] { p.set_value(); });
    p.get_future().wait_for(5s);
  }
  uint64_t counter(const char* name) { return h.stats.counter("output", name, "", {{"output", "scripted"}}).value(); }
  double gauge(const char* name) { return h.stats.gauge("output", name, "", {{"output", "scripted"}}).value(); }
};

}  // namespace

TEST_CASE("a full buffer drops the oldest metrics and counts them", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 5;
  s.buffer_limit = 10;
  Fixture f(s);
  f.out->hold = true;
  f.runner->push(numbered(0, 5));  // a full batch: written at once, held
  REQUIRE(test::wait_until(
      [&] {
        std::lock_guard lk(f.out->mu);
        return f.out->parked.size() == 1;
      },
      10s));
  f.runner->push(numbered(5, 25));  // 20 more into a buffer of 10 → 10 oldest dropped
  REQUIRE(test::wait_until([&] { return f.counter("metrics_dropped_total") == 10; }, 10s));
  {
    std::lock_guard lk(f.out->mu);
    f.out->hold = false;
  }
  f.out->parked[0]();
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 15; }, 10s));
  auto expected = sequence(0, 5);
  auto newest = sequence(15, 25);
  expected.insert(expected.end(), newest.begin(), newest.end());
  CHECK(f.out->got() == expected);
  CHECK(f.counter("metrics_written_total") == 15);
}

TEST_CASE("a failed batch is retried in order, after its backoff, until it succeeds", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 4;
  s.retry_initial = 1s;
  s.retry_max = 4s;
  Fixture f(s);
  f.out->fail_next = 3;
  f.runner->push(numbered(0, 10));
  REQUIRE(test::wait_until([&] { return f.counter("write_errors_total") == 1; }, 10s));
  // Nothing is retried before time moves: the retry waits for its backoff.
  REQUIRE(test::wait_until([&] { return f.clock.pending() >= 2; }, 10s));  // flush + retry timers armed
  CHECK(f.out->attempts_seen() == 1);
  REQUIRE(test::advance_until(f.clock, 500ms, [&] { return f.out->got().size() == 10; }));
  CHECK(f.out->got() == sequence(0, 10));  // nothing lost, nothing duplicated, in order
  CHECK(f.counter("write_errors_total") == 3);
  CHECK(f.counter("write_retries_total") == 3);
  CHECK(f.counter("metrics_dropped_total") == 0);
  CHECK(f.h.health.overall() == HealthState::healthy);  // recovered
}

TEST_CASE("a write that never answers times out after `timeout` and is retried", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 3;
  s.timeout = 5s;
  s.retry_initial = 1s;
  Fixture f(s);
  f.out->ignore_next = 1;
  f.runner->push(numbered(0, 3));
  REQUIRE(test::wait_until([&] { return f.out->attempts_seen() == 1; }, 10s));
  f.clock.advance(4s);  // not yet timed out
  REQUIRE(test::wait_until([&] { return f.clock.pending() >= 1; }, 10s));
  CHECK(f.counter("write_errors_total") == 0);
  REQUIRE(test::advance_until(f.clock, 1s, [&] { return f.out->got().size() == 3; }));
  CHECK(f.out->attempts_seen() == 2);
  CHECK(f.counter("write_errors_total") == 1);
}

TEST_CASE("natural batching: an idle output writes at once, a busy one writes what accumulated up to batch_size",
          "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 10;
  s.flush_interval = 1h;  // time never moves in this test: no timer is involved
  Fixture f(s);
  f.out->hold = true;
  auto parked = [&] {
    std::lock_guard lk(f.out->mu);
    return f.out->parked.size();
  };
  f.runner->push(numbered(0, 2));  // idle: written at once, a partial batch
  REQUIRE(test::wait_until([&] { return parked() == 1; }, 10s));
  f.runner->push(numbered(2, 5));  // a write is in flight: these wait
  f.runner->push(numbered(5, 20));
  REQUIRE(test::wait_until([&] { return f.gauge("buffer_size") == 20; }, 10s));
  CHECK(f.out->attempts_seen() == 1);
  f.out->parked[0]();  // the first write completes: the next takes what accumulated, up to batch_size
  REQUIRE(test::wait_until([&] { return parked() == 2; }, 10s));
  {
    std::lock_guard lk(f.out->mu);
    f.out->hold = false;
  }
  f.out->parked[1]();
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 20; }, 10s));
  CHECK(f.out->got() == sequence(0, 20));
  CHECK(f.out->batch_sizes() == std::vector<size_t>{2, 10, 8});
}

TEST_CASE("outputs share one batch: each sees its own metrics, none is copied, drops stay per output",
          "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 100;
  Fixture a(s);
  engine::OutputSettings only_alerts = s;
  only_alerts.namepass = {"alert"};
  auto other = std::make_shared<test::ScriptedOutput>();
  auto runner_b = std::make_shared<engine::OutputRunner>(
      other, test::engine_context(a.h, a.clock, PluginKind::output, "alerts_only"), only_alerts);
  runner_b->start();
  MetricBatch b = numbered(0, 3);
  b.push_back(Metric("alert", 4));
  b.back().set_field("v", int64_t{1});
  auto shared = std::make_shared<const MetricBatch>(std::move(b));
  const Metric* first = &(*shared)[0];
  a.runner->push(shared);
  runner_b->push(shared);
  REQUIRE(test::wait_until([&] { return a.out->got().size() == 4 && other->got().size() == 1; }, 10s));
  CHECK(a.out->got() == sequence(0, 4));
  CHECK(other->got() == std::vector<int64_t>{4});
  CHECK(&(*shared)[0] == first);  // the shared batch was never moved from or copied into
  std::promise<void> p;
  runner_b->stop([&] { p.set_value(); });
  p.get_future().wait_for(5s);
}

TEST_CASE("drain delivers everything buffered before the deadline", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 100;
  s.flush_interval = 1h;  // only the drain can flush
  Fixture f(s);
  f.runner->push(numbered(0, 250));
  std::promise<size_t> p;
  f.runner->drain(f.clock.steady_now() + 5s, [&](size_t left) { p.set_value(left); });
  auto fut = p.get_future();
  REQUIRE(fut.wait_for(10s) == std::future_status::ready);
  CHECK(fut.get() == 0);
  CHECK(f.out->got() == sequence(0, 250));
}

TEST_CASE("drain gives up at the deadline and counts the rest as dropped", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 10;
  s.flush_interval = 1h;
  s.retry_initial = 1s;
  Fixture f(s);
  f.out->fail_next = 1000000;
  f.runner->push(numbered(0, 30));
  std::promise<size_t> p;
  auto fut = p.get_future();
  f.runner->drain(f.clock.steady_now() + 10s, [&](size_t left) { p.set_value(left); });
  REQUIRE(test::advance_until(f.clock, 1s, [&] { return fut.wait_for(0s) == std::future_status::ready; }));
  CHECK(fut.get() == 30);
  CHECK(f.counter("metrics_dropped_total") == 30);
}

TEST_CASE("take hands over buffered and in-flight metrics", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 5;
  s.flush_interval = 1h;
  Fixture f(s);
  f.out->hold = true;
  f.runner->push(numbered(0, 8));  // 5 in flight (held), 3 buffered
  REQUIRE(test::wait_until(
      [&] {
        std::lock_guard lk(f.out->mu);
        return f.out->parked.size() == 1;
      },
      10s));
  std::promise<std::deque<Metric>> p;
  f.runner->take([&](std::deque<Metric> m) { p.set_value(std::move(m)); });
  auto taken = p.get_future().get();
  REQUIRE(taken.size() == 8);
  CHECK(taken.front().time() == 1);
  CHECK(taken.back().time() == 8);
}

TEST_CASE("namepass and namedrop filter what an output receives", "[output_runner]") {
  GlobFilter names({"pppoe_*", "alert"}, {"pppoe_session"});
  CHECK(names.accepts("pppoe_traffic"));
  CHECK(names.accepts("alert"));
  CHECK_FALSE(names.accepts("pppoe_session"));
  CHECK_FALSE(names.accepts("routeros_system"));

  engine::OutputSettings s;
  s.batch_size = 1;
  s.namepass = {"pppoe_*", "alert"};
  s.namedrop = {"pppoe_session"};
  Fixture f(s);
  MetricBatch b;
  int64_t t = 1;
  for (const char* name : {"routeros_system", "pppoe_traffic", "pppoe_session", "alert"})
    b.push_back(Metric(name, t++));
  for (auto& m : b) m.set_field("v", int64_t{1});
  f.runner->push(std::move(b));
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 2; }, 10s));
  // Filtering happens before buffering: nothing else is waiting.
  CHECK(f.gauge("buffer_size") == 0);
  CHECK(f.out->got() == std::vector<int64_t>{2, 4});
}

TEST_CASE("an output that calls done twice is counted, and the batch is delivered once", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 2;
  Fixture f(s);
  f.out->answer_twice = true;
  f.runner->push(numbered(0, 4));
  REQUIRE(test::wait_until([&] { return f.counter("callback_errors_total") == 2; }, 10s));
  CHECK(f.out->got() == sequence(0, 4));
  CHECK(f.counter("metrics_written_total") == 4);
  CHECK(f.counter("batches_written_total") == 2);
}

TEST_CASE("a rejected batch is dropped and counted, never retried; the next batch goes on", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 2;
  Fixture f(s);
  f.out->reject_next = 1;
  f.runner->push(numbered(0, 4));
  REQUIRE(test::wait_until([&] { return f.out->got().size() == 2; }, 10s));
  CHECK(f.out->got() == sequence(2, 4));
  CHECK(f.counter("metrics_rejected_total") == 2);
  CHECK(f.counter("write_retries_total") == 0);
  CHECK(f.out->attempts_seen() == 2);
  CHECK(f.gauge("buffer_size") == 0);
}

TEST_CASE("a failure with retry_after waits at least that long before the retry", "[output_runner]") {
  engine::OutputSettings s;
  s.batch_size = 10;
  s.retry_initial = 1s;
  s.retry_max = 60s;
  Fixture f(s);
  f.out->fail_next = 1;
  f.out->retry_after = 20s;  // the endpoint's Retry-After, longer than the backoff
  f.runner->push(numbered(0, 3));
  REQUIRE(test::wait_until([&] { return f.counter("write_errors_total") == 1; }, 10s));
  REQUIRE(test::wait_until([&] { return f.clock.pending() >= 2; }, 10s));  // flush + retry timers armed
  f.clock.advance(19s);
  CHECK(f.out->attempts_seen() == 1);
  REQUIRE(test::advance_until(f.clock, 1s, [&] { return f.out->got().size() == 3; }));
  CHECK(f.out->attempts_seen() == 2);
}
