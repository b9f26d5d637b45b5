// Loading and reloading: errors name the script and line, a broken script on
// reload leaves the running instance alone; validate (`check`); init(config);
// tick() on the clock (a ManualClock) emitting on its own; health.
#include "lua_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

Metric any_metric() {
  Metric m("pppoe_traffic", 1000);
  m.set_tag("pppoe_user", "alice").set_field("rx_bps", 1.0);
  return m;
}

std::string versioned(int v) {
  return "function process(m)\n  m.fields.version = " + std::to_string(v) + "\n  return m\nend\n";
}

}  // namespace

TEST_CASE("a syntax error on reload keeps the old script running", "[lua][reload]") {
  LuaFixture f;
  const std::string path = f.write("rules.lua", versioned(1));
  auto running = f.make("script: " + path, "lua/rules");
  CHECK(field<int64_t>(f.run_one(running, any_metric()), "version") == 1);

  // SIGHUP: the engine builds a new instance from the edited file...
  f.write("rules.lua", "function process(m)\n  m.fields.version = 2\n  return m\n");  // missing `end`
  try {
    f.make("script: " + path, "lua/rules");
    FAIL("a broken script must not load");
  } catch (const ConfigError& e) {
    // ...which throws, naming the option, the file, the line and Lua's reason.
    CHECK(e.option() == "processors.lua/rules.script");
    CHECK_THAT(e.message(), Catch::Contains("cannot load Lua script"));
    CHECK_THAT(e.message(), Catch::Contains(path + ":4: 'end' expected (to close 'function' at line 1)"));
  }
  // ...so the engine keeps the old pipeline, whose instance still works.
  CHECK(field<int64_t>(f.run_one(running, any_metric()), "version") == 1);

  f.write("rules.lua", versioned(3));
  auto reloaded = f.make("script: " + path, "lua/rules");
  CHECK(field<int64_t>(f.run_one(reloaded, any_metric()), "version") == 3);
}

TEST_CASE("load failures are ConfigErrors naming the script and line", "[lua][reload]") {
  LuaFixture f;
  SECTION("runtime error at the top level") {
    CHECK_THROWS_WITH(f.make_script("local x = nil\nlocal y = x.field\nfunction process(m) return m end"),
                      Catch::Contains("lua.lua:2: attempt to index a nil value (local 'x')"));
  }
  SECTION("no process function") {
    CHECK_THROWS_WITH(f.make_script("function handle(m) return m end"),
                      Catch::Contains("must define a global function process(metric)"));
  }
  SECTION("endless top level") {
    CHECK_THROWS_WITH(f.make_script("while true do end\nfunction process(m) return m end"),
                      Catch::Contains("lua.lua:1: instruction budget exceeded"));
  }
  SECTION("init fails") {
    CHECK_THROWS_WITH(f.make_script("function init(c) error('bad threshold') end\nfunction process(m) return m end"),
                      Catch::Contains("lua.lua:1: bad threshold"));
  }
  SECTION("missing file") {
    CHECK_THROWS_WITH(f.make("script: " + f.dir.file("absent.lua")),
                      Catch::Contains("cannot read Lua script") && Catch::Contains("absent.lua"));
  }
  SECTION("script option missing") {
    CHECK_THROWS_WITH(f.make("tick_interval: 1s"), Catch::Contains("script") && Catch::Contains("missing"));
  }
  SECTION("unknown option") {
    const std::string path = f.write("ok.lua", versioned(1));
    CHECK_THROWS_WITH(f.make("script: " + path + "\nscirpt_dir: x"), Catch::Contains("unknown option"));
  }
  SECTION("config must be a map") {
    const std::string path = f.write("ok.lua", versioned(1));
    CHECK_THROWS_WITH(f.make("script: " + path + "\nconfig: [1, 2]"), Catch::Contains("expected a map"));
  }
}

TEST_CASE("init(config) receives the config node as a typed table", "[lua][reload]") {
  LuaFixture f;
  auto p = f.make_script(R"(
local seen = {}
function init(config)
  seen = config
end
function process(m)
  m.fields.threshold = seen.threshold
  m.fields.count = seen.count
  m.fields.name = seen.name
  m.fields.quoted = seen.quoted
  m.fields.flag = seen.flag
  m.fields.list = table.concat(seen.list, ",")
  m.fields.nested = seen.nested.key
  m.fields.empty = seen.empty == nil
  return m
end)",
                         R"(config:
  threshold: 0.95
  count: 3
  name: alice
  quoted: "5"
  flag: true
  list: [a, b, c]
  nested: { key: value }
  empty: ~
)");
  const Metric out = f.run_one(p, any_metric());
  CHECK(field<double>(out, "threshold") == 0.95);
  CHECK(field<int64_t>(out, "count") == 3);
  CHECK(field<std::string>(out, "name") == "alice");
  CHECK(field<std::string>(out, "quoted") == "5");
  CHECK(field<bool>(out, "flag") == true);
  CHECK(field<std::string>(out, "list") == "a,b,c");
  CHECK(field<std::string>(out, "nested") == "value");
  CHECK(field<bool>(out, "empty") == true);
}

TEST_CASE("tick(now) runs every tick_interval of the clock; its output is emitted at once", "[lua][tick]") {
  LuaFixture f;
  auto p = f.make_script(R"(
local ticks = 0
function tick(now)
  ticks = ticks + 1
  return { name = "heartbeat", fields = { n = ticks, now_type = math.type(now), now = now } }
end
function process(m) return m end)",
                         "tick_interval: 5s\n");
  f.start(p);
  const int64_t t0 = f.clock.now_ns();
  CHECK(f.clock.advance(4s) == 0);  // not due yet
  f.tick(p, 1s);                    // 5 s
  f.tick(p, 5s);                    // 10 s

  // No batch was processed: the ticks emitted their output themselves.
  const MetricBatch beats = f.h.emitted();
  REQUIRE(beats.size() == 2);
  for (size_t i = 0; i < beats.size(); ++i) {
    const int64_t due = t0 + static_cast<int64_t>(i + 1) * 5 * kSecond;
    CHECK(beats[i].name() == "heartbeat");
    CHECK(field<int64_t>(beats[i], "n") == static_cast<int64_t>(i + 1));
    CHECK(field<std::string>(beats[i], "now_type") == "integer");
    CHECK(field<int64_t>(beats[i], "now") == due);  // tick's `now` is the clock's
    CHECK(beats[i].time() == due);                  // and stamps what it returns
  }
  CHECK(f.counter("lua", "metrics_emitted_total") == 2);
  // A batch is not prefixed with tick output any more.
  CHECK(f.run(p, {any_metric()}) == MetricBatch{any_metric()});

  f.stop(p);
  CHECK(f.clock.advance(1h) == 0);  // stopped: the timer is cancelled
  CHECK(f.counter("lua", "ticks_total") == 2);
}

TEST_CASE("tick_interval 0 arms no timer", "[lua][tick]") {
  LuaFixture f;
  auto p = f.make_script(
      "function tick(now) return { name = 'x', fields = { v = 1 } } end\n"
      "function process(m) return m end",
      "tick_interval: 0\n");
  f.start(p);
  CHECK(f.clock.pending() == 0);
  CHECK(f.clock.advance(1h) == 0);
  CHECK(f.h.emitted_count() == 0);
  f.stop(p);
}

TEST_CASE("a failing tick is counted, logged and makes the processor degraded; processing goes on", "[lua][tick]") {
  auto log = capture_log("lua/badtick");
  LuaFixture f;
  const std::string path = f.write("badtick.lua", R"(
broken = true
function tick(now)
  if broken then error('tick broke') end
  return { name = 'beat', fields = { ok = true } }
end
function process(m)
  if m.tags.fix then broken = false end
  return m
end)");
  auto p = f.make("script: " + path + "\ntick_interval: 10s\n", "lua/badtick");
  f.start(p);
  f.tick(p, 10s);
  CHECK(f.errors("lua/badtick", "runtime") == 1);
  CHECK(f.h.emitted_count() == 0);  // a failed tick's output is discarded
  CHECK(log->str().find("badtick.lua:4: tick broke") != std::string::npos);
  CHECK(f.h.health.overall() == HealthState::degraded);
  CHECK_THAT(f.h.health.to_json(), Catch::Contains("processors.lua/badtick@main") && Catch::Contains("tick()"));

  CHECK(f.run_one(p, any_metric()) == any_metric());
  Metric fix = any_metric();
  fix.set_tag("fix", "1");
  f.run_one(p, fix);
  f.tick(p, 10s);
  CHECK(f.h.emitted_count() == 1);
  CHECK(f.h.health.overall() == HealthState::healthy);
  f.stop(p);
}

TEST_CASE("validate loads the script without building anything (what `routerpulse check` runs)", "[lua][reload]") {
  LuaFixture f;
  const std::string good = f.write("good.lua", versioned(1));
  const std::string bad = f.write("bad.lua", "function process(m)\n  return m +\nend\n");
  const std::string init =
      f.write("init.lua", "function init(c) error('bad threshold') end\nfunction process(m) return m end");
  CHECK_NOTHROW(f.h.validate(PluginKind::processor, "lua", "script: " + good));
  CHECK_THROWS_WITH(f.h.validate(PluginKind::processor, "lua", "script: " + bad),
                    Catch::Contains("cannot load Lua script") && Catch::Contains("bad.lua:3: unexpected symbol"));
  CHECK_THROWS_WITH(f.h.validate(PluginKind::processor, "lua", "script: " + init + "\nconfig: { threshold: 2 }"),
                    Catch::Contains("processors.lua.config") && Catch::Contains("bad threshold"));
  CHECK_THROWS_WITH(f.h.validate(PluginKind::processor, "lua", "script: " + f.dir.file("absent.lua")),
                    Catch::Contains("cannot read Lua script"));
  CHECK_THROWS_WITH(f.h.validate(PluginKind::processor, "lua", "script: " + good + "\nmax_memory: 10 parsecs"),
                    Catch::Contains("expected a size"));
  CHECK_THROWS_WITH(f.h.validate(PluginKind::processor, "lua", "script: " + good + "\ntick_interval: soon"),
                    Catch::Contains("tick_interval") && Catch::Contains("expected a duration"));
  CHECK(f.h.stats.snapshot(0).empty());  // nothing registered, nothing constructed
}

TEST_CASE("a script error in a batch makes the processor degraded until a batch runs clean", "[lua][reload]") {
  LuaFixture f;
  auto p =
      f.make_script("function process(m)\n  if m.tags.bad then error('boom') end\n  return m\nend", "", "lua/health");
  CHECK(f.h.health.overall() == HealthState::healthy);
  Metric bad = any_metric();
  bad.set_tag("bad", "1");
  CHECK(f.run_one(p, bad) == bad);
  CHECK(f.h.health.overall() == HealthState::degraded);
  CHECK_THAT(f.h.health.to_json(), Catch::Contains("boom"));
  f.run_one(p, any_metric());
  CHECK(f.h.health.overall() == HealthState::healthy);
}
