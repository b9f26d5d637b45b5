// The sandbox: escapes refused, infinite loops stopped by the instruction
// budget, memory bombs stopped by max_memory — and the pipeline goes on.
#include "lua_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;

namespace {

// Each probe tries one escape; process() reports whether it succeeded.
const char* kProbes = R"(
local helper = require("helper")   -- allowed: loading time, module dir
local probes = {
  io_open = function() return io.open("/etc/passwd") end,
  os_execute = function() return os.execute("true") end,
  os_getenv = function() return os.getenv("HOME") end,
  os_remove = function() return os.remove("/tmp/x") end,
  require_os = function() return require("os") end,
  require_path = function() return require("../../etc/passwd") end,
  require_late = function() return require("other") end,
  package = function() return package.loaded end,
  debug = function() return debug.getinfo(1) end,
  dofile = function() return dofile("/etc/passwd") end,
  loadfile = function() return loadfile("/etc/passwd") end,
  string_dump = function() return string.dump(function() end) end,
  load_binary = function() return assert(load("\27LuaT\0\25\147\13\10\26\10", "x", "b")) end,
  load_binary_default = function() return assert(load("\27LuaT\0\25\147\13\10\26\10")) end,
  load_reader = function() local sent; return assert(load(function() if not sent then sent = true return "\27Lua" end end)) end,
  gc_stop = function() return collectgarbage("stop") end,
  gc_finalizer = function() return setmetatable({}, { __gc = function() while true do end end }) end,
  coroutine = function() return coroutine.create(print) end,
  gc_collect_loop = function() for i = 1, 1e6 do collectgarbage() end end,
  table_move_huge = function() return table.move({}, 1, 1e15, 1) end,
  rep_empty_huge = function() assert(string.rep("", 1e15) == "" and ("").rep("", 1e15, "") == ""); error("rep done") end,
}
function process(m)
  local probe = m.tags.probe
  if probe == "allowed" then
    m.fields.time_type = math.type(os.time())
    m.fields.date = os.date("!%Y", 0)
    m.fields.clock_s = os.time()
    m.fields.year = os.date("!%Y")
    m.fields.loaded = load("return 1 + 1")()
    m.fields.gc_count = collectgarbage("count") > 0
    m.fields.moved = #table.move({1, 2, 3}, 1, 3, 2)
    m.fields.rep = ("ab"):rep(3, "-")
    m.fields.helper = helper.answer
    m.fields.formatted = string.format("%5.1f", 2.25)
    setmetatable({}, { __index = function() return 1 end })
    print("hello from the sandbox")
    return m
  end
  local ok, err = pcall(probes[probe])
  m.fields.escaped = ok
  m.fields.error = tostring(err)
  return m
end)";

Metric probe(const std::string& name) {
  Metric m("probe", 1000);
  m.set_tag("probe", name).set_field("v", 1.0);
  return m;
}

}  // namespace

TEST_CASE("sandbox escapes are refused with a clear error", "[lua][sandbox]") {
  auto log = capture_log("lua/probes");
  LuaFixture f;
  f.write("helper.lua", "return { answer = 42 }");
  f.write("other.lua", "return {}");
  auto p = f.make_script(kProbes, "", "lua/probes");

  const std::vector<std::pair<std::string, std::string>> expected = {
      {"io_open", "global 'io'"},
      {"os_execute", "field 'execute'"},
      {"os_getenv", "field 'getenv'"},
      {"os_remove", "field 'remove'"},
      {"require_os", "only be loaded while the script loads"},
      {"require_path", "invalid module name"},
      {"require_late", "only be loaded while the script loads"},
      {"package", "global 'package'"},
      {"debug", "global 'debug'"},
      {"dofile", "global 'dofile'"},
      {"loadfile", "global 'loadfile'"},
      {"string_dump", "field 'dump'"},
      {"load_binary", "attempt to load a binary chunk"},
      {"load_binary_default", "attempt to load a binary chunk"},
      {"load_reader", "attempt to load a binary chunk"},
      {"gc_stop", "invalid option 'stop'"},
      {"gc_finalizer", "__gc metamethods are not allowed"},
      {"coroutine", "global 'coroutine'"},
      {"gc_collect_loop", "string expected, got no value"},
      {"table_move_huge", "table.move: more elements than max_instructions"},
      {"rep_empty_huge", "rep done"},
  };
  for (const auto& [name, message] : expected) {
    SECTION(name) {
      const Metric out = f.run_one(p, probe(name));
      CHECK(field<bool>(out, "escaped") == false);
      CHECK_THAT(field<std::string>(out, "error"), Catch::Contains(message));
    }
  }
  SECTION("what stays available works") {
    const Metric out = f.run_one(p, probe("allowed"));
    CHECK(field<std::string>(out, "time_type") == "integer");
    CHECK(field<std::string>(out, "date") == "1970");
    CHECK(field<int64_t>(out, "clock_s") == f.clock.now_ns() / kSecond);  // the processor's clock
    CHECK(field<std::string>(out, "year") == "2026");                     // ManualClock starts 2026-01-01
    CHECK(field<int64_t>(out, "loaded") == 2);
    CHECK(field<bool>(out, "gc_count") == true);
    CHECK(field<int64_t>(out, "moved") == 4);
    CHECK(field<std::string>(out, "rep") == "ab-ab-ab");
    CHECK(field<int64_t>(out, "helper") == 42);
    CHECK(field<std::string>(out, "formatted") == "  2.2");
    CHECK(log->str().find("hello from the sandbox") != std::string::npos);
  }
}

TEST_CASE("a module outside module_dir cannot be required, even at load time", "[lua][sandbox]") {
  LuaFixture f;
  CHECK_THROWS_WITH(f.make_script("local x = require('nonexistent')\nfunction process(m) return m end"),
                    Catch::Contains("cannot open") && Catch::Contains("nonexistent.lua"));
}

TEST_CASE("an infinite loop is stopped by the instruction budget; the metric passes unchanged",
          "[lua][sandbox][budget]") {
  auto log = capture_log("lua/loop");
  LuaFixture f;
  auto p = f.make_script(R"(
function process(m)
  local how = m.tags.loop
  if how == "plain" then
    while true do end
  elseif how == "pcall" then
    while true do pcall(function() while true do end end) end
  elseif how == "xpcall" then
    xpcall(function() while true do end end, function() while true do end end)
  elseif how == "recursion" then
    local function f(n) return f(n + 1) end
    return f(1)
  elseif how == "finite" then
    local s = 0
    for i = 1, 10000 do s = s + i end
    m.fields.sum = s
  end
  return m
end)",
                         "max_instructions: 100000\n", "lua/loop");
  for (const char* how : {"plain", "pcall", "xpcall", "recursion"}) {
    Metric in("x", 1);
    in.set_tag("loop", how).set_field("v", 1.0);
    CHECK(f.run_one(p, in) == in);
  }
  CHECK(f.errors("lua/loop", "budget") == 4);
  CHECK(f.errors("lua/loop", "runtime") == 0);
  CHECK(log->str().find("lua_loop.lua:5: instruction budget exceeded (max_instructions=100000)") != std::string::npos);

  Metric ok("x", 1);
  ok.set_tag("loop", "finite");
  CHECK(field<int64_t>(f.run_one(p, ok), "sum") == 50005000);
}

TEST_CASE("memory bombs are stopped by max_memory; the state recovers", "[lua][sandbox][memory]") {
  auto log = capture_log("lua/bomb");
  LuaFixture f;
  auto p = f.make_script(R"(
function process(m)
  local how = m.tags.bomb
  if how == "rep" then
    local s = string.rep("x", 64 * 1024 * 1024)
  elseif how == "hoard" then
    hoard = hoard or {}
    for i = 1, 1e7 do hoard[#hoard + 1] = string.rep("y", 1000) .. i end
  elseif how == "caught" then
    local ok = pcall(string.rep, "x", 64 * 1024 * 1024)
    m.fields.caught = not ok
  end
  m.fields.hoarded = hoard and #hoard or 0
  return m
end)",
                         "max_memory: 4MiB\n", "lua/bomb");
  auto bomb = [](const char* how) {
    Metric m("x", 1);
    m.set_tag("bomb", how).set_field("v", 1.0);
    return m;
  };
  CHECK(f.run_one(p, bomb("rep")) == bomb("rep"));
  CHECK(f.errors("lua/bomb", "memory") == 1);
  CHECK(f.counter("lua/bomb", "state_resets_total") == 0);  // the garbage was collectable
  CHECK(log->str().find("lua_bomb.lua:5: memory limit exceeded (max_memory=4194304 bytes)") != std::string::npos);

  // A script that keeps its garbage reachable gets a fresh state.
  CHECK(f.run_one(p, bomb("hoard")) == bomb("hoard"));
  CHECK(f.errors("lua/bomb", "memory") == 2);
  CHECK(f.counter("lua/bomb", "state_resets_total") == 1);
  CHECK(f.gauge("lua/bomb", "memory_bytes") > 0);
  CHECK(f.gauge("lua/bomb", "memory_bytes") < 4 * 1024 * 1024);

  const Metric after = f.run_one(p, bomb("none"));
  CHECK(field<int64_t>(after, "hoarded") == 0);  // globals start over after the reset

  // A memory error the script catches itself is not a failure of the call.
  CHECK(field<bool>(f.run_one(p, bomb("caught")), "caught") == true);
  CHECK(f.errors("lua/bomb", "memory") == 2);
}

TEST_CASE("limits are validated", "[lua][sandbox]") {
  LuaFixture f;
  const std::string path = f.write("ok.lua", "function process(m) return m end");
  CHECK_THROWS_WITH(f.make("script: " + path + "\nmax_memory: lots\n"),
                    Catch::Contains("max_memory") && Catch::Contains("expected a size"));
  CHECK_THROWS_WITH(f.make("script: " + path + "\nmax_memory: 100KiB\n"), Catch::Contains("at least 1MiB"));
  CHECK_THROWS_WITH(f.make("script: " + path + "\nmax_instructions: 10\n"), Catch::Contains("max_instructions"));
  CHECK_NOTHROW(f.make("script: " + path + "\nmax_memory: 2MB\nmax_instructions: 5000\n"));
}
