// Metric ↔ Lua table conversion: types, time, return shapes, invalid returns.
#include "lua_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;

namespace {

constexpr uint64_t kBigU64 = (1ull << 63) + 12345;  // > INT64_MAX
constexpr int64_t kTime = 1712345678901234567;      // needs all 64 bits of a Lua integer

Metric typed_metric() {
  Metric m("pppoe_traffic", kTime, MetricType::counter);
  m.set_tag("router", "pop1-core").set_tag("pppoe_user", "alice");
  m.set_field("i", int64_t{-5})
      .set_field("u", uint64_t{7})
      .set_field("big", kBigU64)
      .set_field("d", 1.5)
      .set_field("whole", 2.0)
      .set_field("b", true)
      .set_field("s", std::string("text"));
  return m;
}

}  // namespace

TEST_CASE("return m gives back the identical metric, every field type included", "[lua][convert]") {
  LuaFixture f;
  auto p = f.make_script("function process(m) return m end");
  const Metric in = typed_metric();
  const Metric out = f.run_one(p, in);
  CHECK(out == in);
  CHECK(field<uint64_t>(out, "big") == kBigU64);
  CHECK(out.type() == MetricType::counter);
}

TEST_CASE("Lua sees integers, floats, booleans, strings and an integer time", "[lua][convert]") {
  LuaFixture f;
  auto p = f.make_script(R"(
    function process(m)
      local r = { name = "types", time = m.time, fields = {} }
      for k, v in pairs(m.fields) do
        r.fields[k] = type(v) == "number" and math.type(v) or type(v)
      end
      r.fields.time = math.type(m.time)
      r.fields.time_copy = m.time
      r.fields.type = m.type
      r.fields.router = m.tags.router
      return r
    end)");
  const Metric out = f.run_one(p, typed_metric());
  CHECK(field<std::string>(out, "i") == "integer");
  CHECK(field<std::string>(out, "u") == "integer");
  CHECK(field<std::string>(out, "big") == "float");
  CHECK(field<std::string>(out, "d") == "float");
  CHECK(field<std::string>(out, "whole") == "float");
  CHECK(field<std::string>(out, "b") == "boolean");
  CHECK(field<std::string>(out, "s") == "string");
  CHECK(field<std::string>(out, "time") == "integer");
  CHECK(field<int64_t>(out, "time_copy") == kTime);
  CHECK(field<std::string>(out, "type") == "counter");
  CHECK(field<std::string>(out, "router") == "pop1-core");
  CHECK(out.time() == kTime);
}

TEST_CASE("edited fields keep the type they had; new fields follow Lua's type", "[lua][convert]") {
  LuaFixture f;
  auto p = f.make_script(R"(
    function process(m)
      m.fields.u = m.fields.u * 8        -- uint64 stays uint64
      m.fields.whole = 3                  -- double stays double
      m.fields.i = 2.5                    -- a float replaces an int64 → double
      m.fields.new_int = 4
      m.fields.new_float = 4.0
      m.fields.s = nil                    -- removal
      m.tags.vlan = 100                   -- numbers become tag strings
      m.tags.pppoe_user = nil
      m.time = m.time + 1
      return m
    end)");
  const Metric out = f.run_one(p, typed_metric());
  CHECK(field<uint64_t>(out, "u") == 56);
  CHECK(field<double>(out, "whole") == 3.0);
  CHECK(field<double>(out, "i") == 2.5);
  CHECK(field<int64_t>(out, "new_int") == 4);
  CHECK(field<double>(out, "new_float") == 4.0);
  CHECK(field<uint64_t>(out, "big") == kBigU64);  // untouched float restores the exact uint64
  CHECK(out.field("s") == nullptr);
  CHECK(tag(out, "vlan") == "100");
  CHECK(out.tag("pppoe_user") == nullptr);
  CHECK(out.time() == kTime + 1);
}

TEST_CASE("a negative value in a uint64 field becomes int64; fresh tables carry no type memory", "[lua][convert]") {
  LuaFixture f;
  auto p = f.make_script(R"(
    function process(m)
      if m.tags.mode == "negative" then
        m.fields.u = -1
        return m
      end
      return { name = "copy", fields = { u = m.fields.u, big = m.fields.big } }
    end)");
  Metric neg = typed_metric();
  neg.set_tag("mode", "negative");
  CHECK(field<int64_t>(f.run_one(p, neg), "u") == -1);

  const Metric copy = f.run_one(p, typed_metric());
  CHECK(copy.name() == "copy");
  CHECK(field<int64_t>(copy, "u") == 7);
  CHECK(field<double>(copy, "big") == static_cast<double>(kBigU64));
  CHECK(copy.time() == kTime);  // no time given: the processed metric's time
  CHECK(copy.type() == MetricType::untyped);
}

TEST_CASE("process may return nil to drop, or a list to emit several metrics", "[lua][convert]") {
  LuaFixture f;
  auto p = f.make_script(R"(
    function process(m)
      if m.tags.action == "drop" then return nil end
      if m.tags.action == "split" then
        return {
          { name = "rx", tags = m.tags, fields = { bps = m.fields.rx_bps }, type = "gauge" },
          { name = "tx", tags = m.tags, fields = { bps = m.fields.tx_bps }, time = 42 },
        }
      end
      if m.tags.action == "none" then return {} end
      return m
    end)");
  MetricBatch in;
  for (const char* action : {"drop", "split", "keep", "none"}) {
    Metric m("pppoe_traffic", 1000);
    m.set_tag("action", action).set_field("rx_bps", uint64_t{10}).set_field("tx_bps", 20.5);
    in.push_back(m);
  }
  const MetricBatch out = f.run(p, in);
  REQUIRE(out.size() == 3);
  CHECK(out[0].name() == "rx");
  CHECK(out[0].type() == MetricType::gauge);
  CHECK(field<int64_t>(out[0], "bps") == 10);
  CHECK(out[0].time() == 1000);
  CHECK(out[1].name() == "tx");
  CHECK(field<double>(out[1], "bps") == 20.5);
  CHECK(out[1].time() == 42);
  CHECK(tag(out[1], "action") == "split");
  CHECK(out[2] == in[2]);
  CHECK(f.counter("lua", "metrics_dropped_total") == 2);
  CHECK(f.counter("lua", "metrics_emitted_total") == 3);
}

TEST_CASE("an invalid return value is an error: the original metric passes unchanged", "[lua][convert]") {
  auto log = capture_log("lua/invalid");
  LuaFixture f;
  auto p = f.make_script(R"(
    function process(m)
      local a = m.tags.action
      if a == "bool_tag" then m.tags.flag = true; return m end
      if a == "table_field" then m.fields.x = {}; return m end
      if a == "no_name" then return { fields = { x = 1 } } end
      if a == "number" then return 42 end
      if a == "bad_type" then m.type = "histogram"; return m end
      if a == "bad_list" then return { m, "oops" } end
      return m
    end)",
                         "", "lua/invalid");
  MetricBatch in;
  for (const char* action : {"bool_tag", "table_field", "no_name", "number", "bad_type", "bad_list", "ok"}) {
    Metric m("pppoe_traffic", 5);
    m.set_tag("action", action).set_field("rx_bps", 1.0);
    in.push_back(m);
  }
  const MetricBatch out = f.run(p, in);
  REQUIRE(out.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) CHECK(out[i] == in[i]);  // nothing half-converted leaks out
  CHECK(f.errors("lua/invalid", "invalid") == 6);
  CHECK(f.errors("lua/invalid", "runtime") == 0);
  const std::string text = log->str();
  CHECK(text.find("process() returned an invalid metric: tag 'flag' must be a string, got boolean") !=
        std::string::npos);
  CHECK(text.find("lua_invalid.lua") != std::string::npos);
}

TEST_CASE("`return m` (updated in place) and a rebuilt copy give the same metric", "[lua][convert]") {
  LuaFixture f;
  auto p = f.make_script(R"(
    function process(m)
      m.name = "renamed"
      m.tags.router = "pop2-core"       -- changed
      m.tags.pppoe_user = nil           -- removed
      m.tags.site = "north"             -- added
      m.fields.u = m.fields.u + 1       -- uint64 kept
      m.fields.d = nil
      m.fields.extra = "x"
      m.type = "gauge"
      if m.tags.many then
        for i = 1, 40 do m.fields["f" .. i] = i end   -- more changes than the in-place path takes
      end
      if m.tags.copy then
        m.tags.copy = nil
        return { name = m.name, tags = m.tags, fields = m.fields, time = m.time, type = m.type }
      end
      m.tags.many = nil
      return m
    end)");
  Metric copy = typed_metric();
  copy.set_tag("copy", "1");
  const Metric in_place = f.run_one(p, typed_metric());
  const Metric rebuilt = f.run_one(p, copy);
  CHECK(in_place == rebuilt);
  CHECK(in_place.name() == "renamed");
  CHECK(tag(in_place, "router") == "pop2-core");
  CHECK(in_place.tag("pppoe_user") == nullptr);
  CHECK(tag(in_place, "site") == "north");
  CHECK(field<uint64_t>(in_place, "u") == 8);
  CHECK(in_place.field("d") == nullptr);
  CHECK(field<uint64_t>(in_place, "big") == kBigU64);
  CHECK(in_place.type() == MetricType::gauge);

  Metric many = typed_metric();
  many.set_tag("many", "1");
  const Metric out = f.run_one(p, many);
  CHECK(out.fields().size() == in_place.fields().size() + 40);
  CHECK(field<int64_t>(out, "f40") == 40);
  CHECK(out.tag("many") == nullptr);
}
