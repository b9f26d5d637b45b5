// alert{}: pending → firing only after `for`, resolved once, cooldown,
// out-of-order samples, staleness and tick() alerts emitted on the tick
// (driven by a ManualClock), per-pipeline instances, argument errors.
#include "lua_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

const char* kRule = R"(
function process(m)
  m.fields.phase = alert{
    name = "hot", key = m.tags.key, severity = "critical",
    condition = m.fields.v > 10, ["for"] = 300, cooldown = 600,
    value = m.fields.v, message = "v=" .. m.fields.v,
    labels = { router = m.tags.router }, annotations = { unit = "pct", n = 3 },
  }
  return m
end)";

constexpr int64_t kT0 = 1'700'000'000 * kSecond;

Metric sample(const std::string& key, int64_t t_s, double v) {
  Metric m("cpu", kT0 + t_s * kSecond);
  m.set_tag("key", key).set_tag("router", "r1").set_field("v", v);
  return m;
}

struct Step {
  MetricBatch alerts;
  std::string phase;
};

Step feed(LuaFixture& f, LuaFixture::Instance& p, const std::string& key, int64_t t_s, double v) {
  MetricBatch in{sample(key, t_s, v)};
  MetricBatch out = f.run(p, in);
  REQUIRE(!out.empty());
  Step s;
  s.phase = field<std::string>(out.front(), "phase");
  for (size_t i = 1; i < out.size(); ++i) s.alerts.push_back(out[i]);
  for (const auto& a : s.alerts) REQUIRE(a.name() == "alert");
  return s;
}

}  // namespace

TEST_CASE("pending → firing only after `for`, one firing and one resolved event, cooldown respected", "[lua][alert]") {
  LuaFixture f;
  auto p = f.make_script(kRule);

  CHECK(feed(f, p, "a", 0, 20).phase == "pending");
  CHECK(feed(f, p, "a", 100, 20).alerts.empty());
  auto s = feed(f, p, "a", 299, 20);
  CHECK(s.phase == "pending");
  CHECK(s.alerts.empty());

  s = feed(f, p, "a", 300, 25);  // held for exactly `for`
  CHECK(s.phase == "firing");
  REQUIRE(s.alerts.size() == 1);
  const Metric fired = s.alerts[0];
  CHECK(fired.time() == kT0 + 300 * kSecond);
  CHECK(tag(fired, "alertname") == "hot");
  CHECK(tag(fired, "severity") == "critical");
  CHECK(tag(fired, "key") == "a");
  CHECK(tag(fired, "router") == "r1");
  CHECK(field<std::string>(fired, "status") == "firing");
  CHECK(field<double>(fired, "value") == 25);
  CHECK(field<std::string>(fired, "message") == "v=25.0");
  CHECK(field<int64_t>(fired, "started_at") == kT0 + 300 * kSecond);
  CHECK(field<std::string>(fired, "unit") == "pct");
  CHECK(field<int64_t>(fired, "n") == 3);
  CHECK(f.gauge("lua", "alerts_firing") == 1);

  s = feed(f, p, "a", 360, 30);  // still true: no new event
  CHECK(s.phase == "firing");
  CHECK(s.alerts.empty());

  s = feed(f, p, "a", 400, 5);
  CHECK(s.phase == "inactive");
  REQUIRE(s.alerts.size() == 1);
  const Metric resolved = s.alerts[0];
  CHECK(field<std::string>(resolved, "status") == "resolved");
  CHECK(field<std::string>(resolved, "reason") == "condition");
  CHECK(field<double>(resolved, "value") == 5);
  CHECK(field<int64_t>(resolved, "started_at") == kT0 + 300 * kSecond);
  CHECK(resolved.time() == kT0 + 400 * kSecond);
  CHECK(resolved.tags() == fired.tags());
  CHECK(f.gauge("lua", "alerts_firing") == 0);

  CHECK(feed(f, p, "a", 450, 5).alerts.empty());  // resolved once only

  // True again at 500: `for` holds from 800 but the cooldown runs until 1000.
  CHECK(feed(f, p, "a", 500, 20).phase == "pending");
  s = feed(f, p, "a", 800, 20);
  CHECK(s.phase == "pending");
  CHECK(s.alerts.empty());
  s = feed(f, p, "a", 999, 20);
  CHECK(s.alerts.empty());
  s = feed(f, p, "a", 1000, 20);
  CHECK(s.phase == "firing");
  REQUIRE(s.alerts.size() == 1);
  CHECK(field<int64_t>(s.alerts[0], "started_at") == kT0 + 1000 * kSecond);

  // An older sample (out of order) changes nothing.
  s = feed(f, p, "a", 900, 1);
  CHECK(s.phase == "firing");
  CHECK(s.alerts.empty());

  CHECK(f.counter("lua", "alerts_total", {{"status", "firing"}}) == 2);
  CHECK(f.counter("lua", "alerts_total", {{"status", "resolved"}}) == 1);
}

TEST_CASE("a condition that drops while pending restarts the `for` clock; keys are independent", "[lua][alert]") {
  LuaFixture f;
  auto p = f.make_script(kRule);
  CHECK(feed(f, p, "b", 0, 20).phase == "pending");
  CHECK(feed(f, p, "b", 100, 1).phase == "inactive");  // pending silently dropped
  CHECK(feed(f, p, "c", 100, 20).phase == "pending");
  CHECK(feed(f, p, "b", 350, 20).phase == "pending");
  auto s = feed(f, p, "b", 600, 20);  // only 250 s since it became true again
  CHECK(s.phase == "pending");
  CHECK(s.alerts.empty());
  s = feed(f, p, "c", 400, 20);  // c: 300 s since 100
  CHECK(s.phase == "firing");
  REQUIRE(s.alerts.size() == 1);
  CHECK(tag(s.alerts[0], "key") == "c");
  s = feed(f, p, "b", 650, 20);
  CHECK(s.phase == "firing");
  REQUIRE(s.alerts.size() == 1);
  CHECK(tag(s.alerts[0], "key") == "b");
  CHECK(f.gauge("lua", "alerts_firing") == 2);
  CHECK(f.gauge("lua", "alerts_pending") == 0);
}

TEST_CASE("for = 0 fires on the first true sample; events follow the batch's metrics", "[lua][alert]") {
  LuaFixture f;
  auto p = f.make_script(R"(
    function process(m)
      alert{ name = "down", key = m.tags.user, condition = m.fields.up == false }
      return m
    end)");
  MetricBatch in;
  for (const char* user : {"u1", "u2", "u3"}) {
    Metric m("presence", kT0);
    m.set_tag("user", user).set_field("up", std::string(user) != "u2");
    in.push_back(m);
  }
  const MetricBatch out = f.run(p, in);
  REQUIRE(out.size() == 4);
  for (size_t i = 0; i < 3; ++i) CHECK(out[i] == in[i]);
  CHECK(out[3].name() == "alert");
  CHECK(tag(out[3], "key") == "u2");
  CHECK(tag(out[3], "severity") == "warning");  // default
  CHECK(field<std::string>(out[3], "message") == "down u2");
  CHECK(field<double>(out[3], "value") == 1.0);
}

TEST_CASE("a firing alert whose key stops reporting is resolved by the tick and emitted with no batch",
          "[lua][alert][tick]") {
  LuaFixture f;
  auto p = f.make_script(R"(
    function process(m)
      alert{ name = "hot", key = "k", condition = true, value = 7, message = "still hot" }
      return m
    end)",
                         "tick_interval: 10s\nalert_stale_after: 30s\n");
  f.start(p);
  Metric m("cpu", f.clock.now_ns());
  m.set_field("v", 1.0);
  MetricBatch out = f.run(p, {m});
  REQUIRE(named(out, "alert").size() == 1);
  CHECK(f.gauge("lua", "alerts_firing") == 1);

  f.tick(p, 10s);
  f.tick(p, 10s);  // 20 s without an evaluation: not stale yet
  CHECK(f.h.emitted_count() == 0);
  CHECK(f.gauge("lua", "alerts_firing") == 1);

  f.tick(p, 10s);  // 30 s: stale. No batch is processed; the tick emits the resolution itself.
  const MetricBatch emitted = f.h.emitted();
  REQUIRE(emitted.size() == 1);
  const Metric& resolved = emitted[0];
  CHECK(resolved.name() == "alert");
  CHECK(field<std::string>(resolved, "status") == "resolved");
  CHECK(field<std::string>(resolved, "reason") == "stale");
  CHECK(field<std::string>(resolved, "message") == "still hot");
  CHECK(field<double>(resolved, "value") == 7);
  CHECK(resolved.time() == f.clock.now_ns());
  CHECK(f.gauge("lua", "alerts_firing") == 0);
  CHECK(f.counter("lua", "alerts_total", {{"status", "resolved"}}) == 1);
  CHECK(f.counter("lua", "metrics_emitted_total") == 2 + 1);  // the batch (metric + firing) and the resolution

  // Nothing waits for the next batch any more: it passes through alone.
  CHECK(f.run(p, {}).empty());
  f.stop(p);
}

TEST_CASE("alert{} in tick(): `for` is measured on the processor's clock; firing and resolved go out at once",
          "[lua][alert][tick]") {
  LuaFixture f;
  auto p = f.make_script(R"(
    local last = nil
    function process(m)
      last = m.time
      return m
    end
    function tick(now)
      if last then
        alert{ name = "silent", key = "r1", condition = now - last >= 60 * 1000000000, ["for"] = 30,
               value = (now - last) // 1000000000 }
      end
    end)",
                         "tick_interval: 10s\n");
  f.start(p);
  const int64_t t0 = f.clock.now_ns();
  auto beat = [&] {
    Metric m("heartbeat", f.clock.now_ns());
    m.set_field("up", true);
    return m;
  };
  f.run(p, {beat()});

  for (int s = 10; s <= 80; s += 10) f.tick(p, 10s);  // true from 60 s: pending, `for` not yet held
  CHECK(f.h.emitted_count() == 0);
  CHECK(f.gauge("lua", "alerts_pending") == 1);

  f.tick(p, 10s);  // 90 s: held for 30 s
  MetricBatch emitted = f.h.emitted();
  REQUIRE(emitted.size() == 1);
  CHECK(field<std::string>(emitted[0], "status") == "firing");
  CHECK(field<double>(emitted[0], "value") == 90);
  CHECK(emitted[0].time() == t0 + 90 * kSecond);
  CHECK(field<int64_t>(emitted[0], "started_at") == t0 + 90 * kSecond);

  f.clock.advance(5s);
  f.run(p, {beat()});  // the router is back at 95 s
  f.tick(p, 5s);       // the 100 s tick resolves it
  emitted = f.h.emitted();
  REQUIRE(emitted.size() == 2);
  CHECK(field<std::string>(emitted[1], "status") == "resolved");
  CHECK(field<std::string>(emitted[1], "reason") == "condition");
  CHECK(emitted[1].time() == t0 + 100 * kSecond);
  CHECK(f.gauge("lua", "alerts_firing") == 0);
  f.stop(p);
}

TEST_CASE("one instance per pipeline: alert gauges of the same id in two pipelines are separate series",
          "[lua][alert]") {
  LuaFixture f;
  const std::string path = f.write("hot.lua", R"(
    function process(m)
      alert{ name = "hot", key = m.tags.key, condition = m.fields.v > 10 }
      return m
    end)");
  auto a = f.make("script: " + path, "lua/hot", "customers");
  auto b = f.make("script: " + path, "lua/hot", "routers");
  f.run(a, {sample("x", 0, 20), sample("y", 0, 20)});
  f.run(b, {sample("x", 0, 20)});
  CHECK(f.gauge("lua/hot", "alerts_firing", "customers") == 2);
  CHECK(f.gauge("lua/hot", "alerts_firing", "routers") == 1);
  CHECK(f.gauge("lua/hot", "memory_bytes", "customers") > 0);
  CHECK(f.gauge("lua/hot", "memory_bytes", "routers") > 0);
  CHECK(f.counter("lua/hot", "alerts_total", {{"status", "firing"}}, "customers") == 2);
  CHECK(f.counter("lua/hot", "alerts_total", {{"status", "firing"}}, "routers") == 1);
}

TEST_CASE("alert{} argument errors are script errors: the metric passes, the error is counted", "[lua][alert]") {
  auto log = capture_log("lua/badalert");
  LuaFixture f;
  auto p = f.make_script(R"(
    function process(m)
      local a = m.tags.case
      if a == "typo" then alert{ name = "x", condition = true, For = 10 } end
      if a == "reserved" then alert{ name = "x", condition = true, labels = { severity = "low" } } end
      if a == "negative" then alert{ name = "x", condition = true, cooldown = -1 } end
      if a == "nocond" then alert{ name = "x" } end
      m.fields.ok = true
      return m
    end)",
                         "", "lua/badalert");
  MetricBatch in;
  for (const char* c : {"typo", "reserved", "negative", "nocond"}) {
    Metric m("x", kT0);
    m.set_tag("case", c).set_field("v", 1.0);
    in.push_back(m);
  }
  const MetricBatch out = f.run(p, in);
  REQUIRE(out.size() == 4);
  for (size_t i = 0; i < in.size(); ++i) CHECK(out[i] == in[i]);
  CHECK(f.errors("lua/badalert", "runtime") == 4);
  CHECK(log->str().find("alert{}: unknown option 'For'") != std::string::npos);
  CHECK(log->str().find("lua_badalert.lua:4:") != std::string::npos);  // script name and line
}

TEST_CASE("alert{} is refused while the script loads", "[lua][alert]") {
  LuaFixture f;
  CHECK_THROWS_WITH(f.make_script("alert{ name = 'x', condition = true }\nfunction process(m) return m end"),
                    Catch::Contains("alert{}: not available while the script loads") && Catch::Contains(":1:"));
}
