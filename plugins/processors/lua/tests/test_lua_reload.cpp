// Loading and reloading: errors name the script and line, a broken script on
// reload leaves the running instance alone; init(config); tick().
#include "lua_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;

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

TEST_CASE("tick(now) runs every tick_interval; its output rides on the next batch", "[lua][tick]") {
  LuaFixture f;
  auto p = f.make_script(R"(
local ticks = 0
function tick(now)
  ticks = ticks + 1
  return { name = "heartbeat", fields = { n = ticks, now_type = math.type(now) } }
end
function process(m) return m end)",
                         "tick_interval: 20ms\n");
  const int64_t before = now_ns();
  f.h.start(*p.component, *p.ctx);
  REQUIRE(wait_until([&] { return f.counter("lua", "ticks_total") >= 2; }, std::chrono::seconds(10)));
  f.h.stop(*p.component, *p.ctx);
  const uint64_t ticks = f.counter("lua", "ticks_total");

  const MetricBatch out = f.run(p, {any_metric()});
  const MetricBatch beats = named(out, "heartbeat");
  REQUIRE(beats.size() == ticks);
  CHECK(out.size() == ticks + 1);
  CHECK(out.back() == any_metric());  // the batch's own metric follows the queued output
  for (size_t i = 0; i < beats.size(); ++i) {
    CHECK(field<int64_t>(beats[i], "n") == static_cast<int64_t>(i + 1));
    CHECK(field<std::string>(beats[i], "now_type") == "integer");
    CHECK(beats[i].time() >= before);  // stamped with tick's `now`
  }
  // Stopped: no more ticks.
  CHECK(f.counter("lua", "ticks_total") == ticks);
}

TEST_CASE("a failing tick is counted and logged; processing goes on", "[lua][tick]") {
  auto log = capture_log("lua/badtick");
  LuaFixture f;
  auto p = f.make_script("function tick(now)\n  error('tick broke')\nend\nfunction process(m) return m end",
                         "tick_interval: 20ms\n", "lua/badtick");
  f.h.start(*p.component, *p.ctx);
  REQUIRE(wait_until([&] { return f.errors("lua/badtick", "runtime") >= 1; }, std::chrono::seconds(10)));
  f.h.stop(*p.component, *p.ctx);
  CHECK(f.run_one(p, any_metric()) == any_metric());
  CHECK(log->str().find("lua_badtick.lua:2: tick broke") != std::string::npos);
}
