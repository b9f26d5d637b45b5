// The metric as userdata proxies: lazy reads, writes that only land when the
// call succeeds, pairs(), replaced tags/fields tables, proxies kept past
// their call, m.tags as alert labels, and alert{} messages built lazily.
#include "lua_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;

namespace {

constexpr int64_t kT0 = 1'700'000'000 * kSecond;

Metric sample(const std::string& action) {
  Metric m("pppoe_traffic", kT0, MetricType::gauge);
  m.set_tag("action", action).set_tag("router", "r1").set_tag("pppoe_user", "alice");
  m.set_field("rx", 1.5).set_field("tx", int64_t{7}).set_field("up", true);
  return m;
}

}  // namespace

TEST_CASE("a script that changes m and then fails leaves the metric as it was", "[lua][proxy]") {
  LuaFixture f;
  auto p = f.make_script(R"(
    function process(m)
      m.name = "renamed"
      m.tags.router = "r2"
      m.tags.action = nil
      m.fields.rx = 99
      m.fields.extra = "x"
      m.time = 1
      if m.fields.tx == 7 then error("boom") end
      return m
    end)");
  const Metric in = sample("fail");
  CHECK(f.run_one(p, in) == in);
  CHECK(f.errors("lua", "runtime") == 1);
  // The next call starts from a clean slate: nothing of the failed writes shows.
  Metric other = sample("ok");
  other.set_field("tx", int64_t{8});
  const Metric out = f.run_one(p, other);
  CHECK(out.name() == "renamed");
  CHECK(tag(out, "router") == "r2");
  CHECK(out.tag("action") == nullptr);
  CHECK(field<double>(out, "rx") == 99.0);  // a former double stays double
  CHECK(field<std::string>(out, "extra") == "x");
  CHECK(out.time() == 1);
}

TEST_CASE("reads see the script's own writes; pairs() shows base and written entries once", "[lua][proxy]") {
  LuaFixture f;
  auto p = f.make_script(R"(
    local function keys(t)
      local list = {}
      for k, v in pairs(t) do list[#list + 1] = k .. "=" .. tostring(v) end
      table.sort(list)
      return table.concat(list, ",")
    end
    function process(m)
      m.tags.vlan = 100                 -- reads back as the number written
      m.tags.pppoe_user = nil
      m.tags.router = "r9"
      m.fields.tx = nil
      m.fields.new = 2.5
      m.seen = true                     -- not a metric member: kept for the call, ignored after
      local r = { name = "seen", fields = {}, time = m.time }
      r.fields.vlan_type = type(m.tags.vlan)
      r.fields.user = tostring(m.tags.pppoe_user)
      r.fields.tags = keys(m.tags)
      r.fields.fields = keys(m.fields)
      r.fields.members = keys(m):gsub("userdata: 0x%x+", "u"):gsub("routerpulse %a+: 0x%x+", "u")
      r.fields.seen = m.seen
      r.fields.kind = type(m) .. "/" .. type(m.tags) .. "/" .. type(m.fields)
      r.fields.same = m.tags == m.tags and m.fields == m.fields
      return { m, r }
    end)");
  const MetricBatch out = f.run(p, {sample("read")});
  REQUIRE(out.size() == 2);
  CHECK(tag(out[0], "vlan") == "100");
  CHECK(out[0].tag("pppoe_user") == nullptr);
  CHECK(out[0].field("tx") == nullptr);
  const Metric& r = out[1];
  CHECK(field<std::string>(r, "vlan_type") == "number");
  CHECK(field<std::string>(r, "user") == "nil");
  CHECK(field<std::string>(r, "tags") == "action=read,router=r9,vlan=100");
  CHECK(field<std::string>(r, "fields") == "new=2.5,rx=1.5,up=true");
  CHECK(field<std::string>(r, "members") ==
        "fields=u,name=pppoe_traffic,seen=true,tags=u,time=" + std::to_string(kT0) + ",type=gauge");
  CHECK(field<bool>(r, "seen") == true);
  CHECK(field<std::string>(r, "kind") == "userdata/userdata/userdata");
  CHECK(field<bool>(r, "same") == true);
}

TEST_CASE("m.tags / m.fields replaced by tables, or handed to new metrics", "[lua][proxy]") {
  LuaFixture f;
  auto p = f.make_script(R"(
    function process(m)
      local a = m.tags.action
      if a == "replace" then
        m.tags = { only = "this" }
        m.fields = { n = 1 }
        return m
      end
      if a == "swap" then
        m.fields.rx = 2        -- a former double: stays double through m.fields
        return { name = "copy", tags = m.fields, fields = m.fields }
      end
      if a == "notags" then
        m.tags = nil
        return m
      end
      return m
    end)");
  Metric out = f.run_one(p, sample("replace"));
  REQUIRE(out.tags().size() == 1);
  CHECK(tag(out, "only") == "this");
  REQUIRE(out.fields().size() == 1);
  CHECK(field<int64_t>(out, "n") == 1);
  CHECK(out.type() == MetricType::gauge);

  // Fields as tags: their numbers become strings, a boolean is refused.
  out = f.run_one(p, sample("swap"));
  CHECK(out == sample("swap"));
  CHECK(f.errors("lua", "invalid") == 1);

  out = f.run_one(p, sample("notags"));
  CHECK(out.tags().empty());
  CHECK(out.fields().size() == 3);
}

TEST_CASE("a metric kept past its call raises a clear error instead of reading freed memory", "[lua][proxy]") {
  auto log = capture_log("lua/keep");
  LuaFixture f;
  auto p = f.make_script(R"(
    local kept, kept_tags
    function process(m)
      local a = m.tags.action
      if a == "keep" then
        kept, kept_tags = m, m.tags
        return m
      end
      if a == "read" then m.fields.old = kept.name end
      if a == "read_tags" then m.fields.old = kept_tags.router end
      if a == "write" then kept.fields.x = 1 end
      if a == "pairs" then for k in pairs(kept_tags) do end end
      if a == "return" then return kept end
      if a == "list" then return { m, kept } end
      if a == "labels" then alert{ name = "x", condition = false, labels = kept_tags } end
      return m
    end
    function tick(now) if kept then return kept end end)",
                         "tick_interval: 10s\n", "lua/keep");
  CHECK(f.run_one(p, sample("keep")) == sample("keep"));
  for (const char* a : {"read", "read_tags", "write", "pairs", "labels"}) {
    INFO(a);
    CHECK(f.run_one(p, sample(a)) == sample(a));
    f.clock.advance(std::chrono::seconds(11));  // past the log's rate limit: every message is written
  }
  CHECK(f.errors("lua/keep", "runtime") == 5);
  const std::string text = log->str();
  CHECK(text.find("lua_keep.lua:9: metric used after the process() call it was given to has ended") !=
        std::string::npos);
  CHECK(text.find("lua_keep.lua:10: m.tags used after the process() call") != std::string::npos);
  CHECK(text.find("lua_keep.lua:11: metric used after") != std::string::npos);
  CHECK(text.find("lua_keep.lua:12: m.tags used after") != std::string::npos);
  CHECK(text.find("lua_keep.lua:15: m.tags used after") != std::string::npos);
  for (const char* a : {"return", "list"}) {
    INFO(a);
    CHECK(f.run_one(p, sample(a)) == sample(a));
  }
  CHECK(f.errors("lua/keep", "invalid") == 2);
  CHECK(log->str().find("returned an invalid metric: a metric (or its tags/fields) from an earlier process() call") !=
        std::string::npos);

  f.start(p);
  f.tick(p, std::chrono::seconds(10));
  CHECK(f.errors("lua/keep", "invalid") == 3);  // tick() returning it is refused too
  CHECK(f.h.emitted_count() == 0);
  f.stop(p);
}

TEST_CASE("m.tags and m.fields can be alert labels and annotations", "[lua][proxy][alert]") {
  LuaFixture f;
  auto p = f.make_script(R"(
    function process(m)
      m.tags.extra = "e"
      alert{ name = "up", key = m.tags.pppoe_user, condition = true, labels = m.tags, annotations = m.fields }
      return m
    end)");
  const MetricBatch out = f.run(p, {sample("labels")});
  REQUIRE(out.size() == 2);
  const Metric& a = out[1];
  CHECK(tag(a, "router") == "r1");
  CHECK(tag(a, "extra") == "e");
  CHECK(tag(a, "pppoe_user") == "alice");
  CHECK(field<double>(a, "rx") == 1.5);
  CHECK(field<int64_t>(a, "tx") == 7);
  CHECK(field<bool>(a, "up") == true);
}

TEST_CASE("alert{} with a message function builds the message only when it is used", "[lua][proxy][alert]") {
  LuaFixture f;
  auto p = f.make_script(R"(
    calls = 0
    local spec = { name = "hot", ["for"] = 20 }
    function spec.message(a) calls = calls + 1; return a.key .. " at " .. a.value end
    function process(m)
      spec.key = m.tags.key
      spec.value = m.fields.v
      spec.condition = m.fields.v > 10
      m.fields.phase = alert(spec)
      m.fields.calls = calls
      if m.tags.key == "d" then
        m.fields.phase = alert{ name = "dflt", key = "d", condition = true, message = function() return nil end }
      end
      return m
    end)");
  auto feed = [&](const std::string& key, int64_t t_s, double v) {
    Metric m("cpu", kT0 + t_s * kSecond);
    m.set_tag("key", key).set_field("v", v);
    return f.run(p, {m});
  };
  MetricBatch out = feed("a", 0, 5);  // inactive: no message
  CHECK(field<int64_t>(out[0], "calls") == 0);
  out = feed("a", 10, 50);  // pending: no message
  CHECK(field<std::string>(out[0], "phase") == "pending");
  CHECK(field<int64_t>(out[0], "calls") == 0);
  out = feed("a", 30, 60);  // fires: the event carries it
  REQUIRE(out.size() == 2);
  CHECK(field<int64_t>(out[0], "calls") == 1);
  CHECK(field<std::string>(out[1], "message") == "a at 60.0");
  out = feed("a", 40, 70);  // still firing: kept for a stale resolve
  CHECK(field<int64_t>(out[0], "calls") == 2);
  out = feed("a", 50, 1);  // resolves with this evaluation's message
  REQUIRE(out.size() == 2);
  CHECK(field<std::string>(out[1], "message") == "a at 1.0");
  out = feed("a", 60, 1);  // inactive again: no message
  CHECK(field<int64_t>(out[0], "calls") == 3);

  out = feed("d", 70, 1);  // a function returning nil: the default message
  REQUIRE(out.size() == 2);
  CHECK(field<std::string>(out[1], "message") == "dflt d");
}
