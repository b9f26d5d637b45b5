// RouterOS client against the real simulator: login, tags, traps, streams, cancel.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "routerpulse/routeros/values.hpp"
#include "sim_support.hpp"

using namespace routerpulse;
using namespace routerpulse::routeros;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {
// Collects stream rows and events thread-safely; the callbacks share
// ownership of the state, so a late callback after the test body is harmless.
struct Collector {
  struct State {
    std::mutex mu;
    std::vector<Reply> rows;
    std::vector<StreamEvent> events;
  };
  std::shared_ptr<State> st = std::make_shared<State>();
  std::function<void(const Reply&)> on_reply() {
    return [s = st](const Reply& r) {
      std::lock_guard lk(s->mu);
      s->rows.push_back(r);
    };
  }
  std::function<void(const StreamEvent&)> on_event() {
    return [s = st](const StreamEvent& e) {
      std::lock_guard lk(s->mu);
      s->events.push_back(e);
    };
  }
  size_t count() {
    std::lock_guard lk(st->mu);
    return st->rows.size();
  }
  bool has_event(StreamEventType t) {
    std::lock_guard lk(st->mu);
    for (auto& e : st->events)
      if (e.type == t) return true;
    return false;
  }
  Reply row(size_t i) {
    std::lock_guard lk(st->mu);
    return st->rows.at(i);
  }
  std::vector<StreamEvent> events() {
    std::lock_guard lk(st->mu);
    return st->events;
  }
};
}  // namespace

TEST_CASE("plain login, one-shot command, state reporting", "[session]") {
  SimProcess sim(1, {"--sessions", "5", "--password", "s3cret"});
  ClientEnv env;
  auto cfg = ClientEnv::config("r0", sim.port());
  cfg.password = "s3cret";
  auto s = env.session(cfg);
  REQUIRE(env.wait_up(*s));
  auto r = env.run(*s, Command("/system/identity/print"));
  REQUIRE(r.ok());
  REQUIRE(r.rows.size() == 1);
  CHECK(r.rows[0].get_or("name") == "sim-router-0");
  CHECK(env.stats.gauge("routeros", "session_up", "", {{"router", "r0"}}).value() == 1.0);
  CHECK(env.health.to_json().find("\"r0\":{\"status\":\"healthy\"}") != std::string::npos);
  CHECK(env.stats
            .histogram("routeros", "api_latency_seconds", "", {{"router", "r0"}, {"command", "/system/identity/print"}})
            .count() == 1);
  CHECK(sim.stat("logins_ok") == 1);

  SECTION("PPPoE rows look like RouterOS and follow the documented formulas") {
    auto ppp = env.run(*s, Command("/ppp/active/print"));
    REQUIRE(ppp.ok());
    REQUIRE(ppp.rows.size() == 5);
    const Reply& first = ppp.rows[0];
    CHECK(first.get_or("name") == "user0001");
    CHECK(first.get_or("service") == "pppoe");
    CHECK(first.get_or("caller-id") == "AA:BB:CC:00:00:01");
    CHECK(first.get_or("address") == "100.64.0.1");
    CHECK(first.get_or("session-id") == "0x81000001");
    CHECK(parse_ros_id(first.get_or(".id")).has_value());
    CHECK(parse_ros_duration(first.get_or("uptime")).has_value());
    CHECK(parse_ros_bool(first.get_or("radius")) == false);
  }
  SECTION(".proplist and ? queries are applied") {
    Command c("/ppp/active/print");
    c.proplist({"name", "address"}).query("?name=user0003");
    auto q = env.run(*s, c);
    REQUIRE(q.ok());
    REQUIRE(q.rows.size() == 1);
    CHECK(q.rows[0].attributes == Attributes{{"name", "user0003"}, {"address", "100.64.0.3"}});
    Command o("/ppp/active/print");
    o.query("?name=user0001").query("?name=user0002").query("?#|");
    CHECK(env.run(*s, o).rows.size() == 2);
  }
}

TEST_CASE("login failures are login errors, retried with backoff", "[session][login]") {
  SimProcess sim(1, {"--password", "right"});
  ClientEnv env;
  auto cfg = ClientEnv::config("bad", sim.port());
  cfg.password = "wrong";
  auto s = env.session(cfg);
  REQUIRE(wait_until([&] { return env.errors("bad", "login") >= 2; }, 10s));
  CHECK_FALSE(s->is_up());
  CHECK(env.health.to_json().find("invalid user name or password") != std::string::npos);
  // A command on a router that never comes up is queued and then times out.
  auto r = env.run(*s, Command("/system/identity/print"), 300ms);
  CHECK(r.error.kind == ErrorKind::timeout);
  CHECK(r.error.message.find("router bad") != std::string::npos);
}

TEST_CASE("legacy MD5 challenge login", "[session][login]") {
  SimProcess sim(1, {"--legacy-login", "--password", "s3cret"});
  ClientEnv env;
  SECTION("login: auto follows the =ret= challenge") {
    auto cfg = ClientEnv::config("legacy", sim.port());
    cfg.password = "s3cret";
    auto s = env.session(cfg);
    REQUIRE(env.wait_up(*s));
    CHECK(env.run(*s, Command("/system/identity/print")).ok());
  }
  SECTION("login: legacy goes straight to the challenge") {
    auto cfg = ClientEnv::config("legacy", sim.port());
    cfg.password = "s3cret";
    cfg.login = LoginMethod::legacy;
    auto s = env.session(cfg);
    REQUIRE(env.wait_up(*s));
  }
  SECTION("a wrong password fails the challenge") {
    auto cfg = ClientEnv::config("legacy", sim.port());
    cfg.password = "nope";
    auto s = env.session(cfg);
    REQUIRE(wait_until([&] { return env.errors("legacy", "login") >= 1; }, 10s));
    CHECK_FALSE(s->is_up());
  }
  SECTION("login: plain refuses to fall back") {
    auto cfg = ClientEnv::config("legacy", sim.port());
    cfg.password = "s3cret";
    cfg.login = LoginMethod::plain;
    auto s = env.session(cfg);
    REQUIRE(wait_until([&] { return env.errors("legacy", "login") >= 1; }, 10s));
    CHECK(env.health.to_json().find("legacy MD5 login") != std::string::npos);
  }
}

TEST_CASE("concurrent commands are multiplexed by tag", "[session][tags]") {
  SimProcess sim(1, {"--sessions", "50"});
  ClientEnv env;
  auto s = env.session(ClientEnv::config("r0", sim.port()));
  // Issued before the session is up: queued, then sent back to back.
  constexpr int N = 60;
  std::vector<std::shared_ptr<std::promise<Result>>> ps;
  std::vector<std::future<Result>> fs;
  for (int i = 0; i < N; ++i) {
    auto p = std::make_shared<std::promise<Result>>();
    fs.push_back(p->get_future());
    Command c = (i % 3 == 0) ? Command("/interface/print") : Command("/ppp/active/print");
    if (i % 3 != 0) c.query("?name=" + fmt::format("user{:04}", 1 + i % 50));
    s->execute(c, [p](Result r) { p->set_value(std::move(r)); });
    ps.push_back(p);
  }
  for (int i = 0; i < N; ++i) {
    REQUIRE(fs[i].wait_for(30s) == std::future_status::ready);
    Result r = fs[i].get();
    REQUIRE(r.ok());
    if (i % 3 == 0) {
      CHECK(r.rows.size() == 4 + 50);  // ether1..4 + one <pppoe-…> per session
    } else {
      REQUIRE(r.rows.size() == 1);
      CHECK(r.rows[0].get_or("name") == fmt::format("user{:04}", 1 + i % 50));
    }
  }
  CHECK(sim.stat("commands") >= N + 1);
}

TEST_CASE("traps and !empty", "[session][trap]") {
  SimProcess sim(1, {"--empty-replies"});
  ClientEnv env;
  auto s = env.session(ClientEnv::config("r0", sim.port()));
  auto r = env.run(*s, Command("/no/such/thing"));
  CHECK(r.error.kind == ErrorKind::trap);
  CHECK(r.error.message.find("no such command prefix") != std::string::npos);
  CHECK(env.errors("r0", "trap") == 1);
  CHECK(s->is_up());  // a trap does not hurt the session

  Command none("/ppp/active/print");
  none.query("?name=nobody");
  auto e = env.run(*s, none);
  CHECK(e.ok());
  CHECK(e.empty);
  CHECK(e.rows.empty());
}

TEST_CASE("streaming monitor-traffic, once, and cancel", "[session][stream]") {
  SimProcess sim(1, {"--sessions", "3", "--interval", "0.1"});
  ClientEnv env;
  auto s = env.session(ClientEnv::config("r0", sim.port()));
  REQUIRE(env.wait_up(*s));

  SECTION("=once= is a one-shot command with one row per interface") {
    Command c("/interface/monitor-traffic");
    c.attr("interface", "<pppoe-user0001>,<pppoe-user0002>").attr("once");
    auto r = env.run(*s, c);
    REQUIRE(r.ok());
    REQUIRE(r.rows.size() == 2);
    // README formula: tx = rate_base*(1 + user%50), rx = tx/4 (rate_base 1e6).
    CHECK(r.rows[0].get_or("name") == "<pppoe-user0001>");
    CHECK(r.rows[0].get_or("tx-bits-per-second") == "2000000");
    CHECK(r.rows[0].get_or("rx-bits-per-second") == "500000");
    CHECK(r.rows[1].get_or("tx-bits-per-second") == "3000000");
    CHECK(r.rows[1].get(".sim-sent-ns") != nullptr);
  }
  SECTION("a stream delivers rows until cancelled, then nothing more") {
    Collector col;
    Command c("/interface/monitor-traffic");
    c.attr("interface", "<pppoe-user0003>,ether1");
    auto st = s->stream(c, col.on_reply(), col.on_event());
    REQUIRE(wait_until([&] { return col.count() >= 6; }, 10s));
    CHECK(col.row(0).get_or("name") == "<pppoe-user0003>");
    CHECK(col.row(0).get_or("tx-bits-per-second") == "4000000");
    CHECK(col.row(1).get_or("name") == "ether1");
    CHECK(s->counters().streams_active == 1);
    st->cancel();
    CHECK_FALSE(st->active());
    REQUIRE(wait_until([&] { return s->counters().streams_active == 0; }, 5s));
    std::this_thread::sleep_for(300ms);  // three intervals: rows would have arrived
    const size_t after = col.count();
    std::this_thread::sleep_for(300ms);
    CHECK(col.count() == after);
    CHECK(col.events().empty());                                 // no callback at all after cancel
    CHECK(env.run(*s, Command("/system/identity/print")).ok());  // session unaffected
    CHECK(env.errors("r0", "trap") == 0);
  }
  SECTION("an unknown interface ends the stream with a trap") {
    Collector col;
    Command c("/interface/monitor-traffic");
    c.attr("interface", "nonexistent0");
    auto st = s->stream(c, col.on_reply(), col.on_event());
    REQUIRE(wait_until([&] { return col.has_event(StreamEventType::ended); }, 5s));
    CHECK(col.events().back().error.kind == ErrorKind::trap);
    CHECK_FALSE(st->active());
  }
  SECTION("/ppp/active/listen reports removed and added sessions") {
    Collector col;
    auto st = s->stream(Command("/ppp/active/listen"), col.on_reply(), col.on_event());
    // Give the listen command time to reach the simulator, then force churn.
    REQUIRE(wait_until([&] { return sim.stat("commands") >= 2; }, 5s));
    std::this_thread::sleep_for(100ms);
    REQUIRE(sim.control("churn 0 1") == "ok");
    REQUIRE(wait_until([&] { return col.count() >= 2; }, 5s));
    CHECK(col.row(0).get_or(".dead") == "yes");
    CHECK(parse_ros_id(col.row(0).get_or(".id")).has_value());
    CHECK(col.row(1).get_or("name").rfind("user", 0) == 0);
    CHECK(col.row(1).get_or("service") == "pppoe");
  }
}
