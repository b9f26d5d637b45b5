// RouterOS client against simulator faults: drop, slow, !fatal, garbage, stall,
// down; reconnect + resubscribe; timeouts; isolation between routers; stop.
#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <mutex>

#include <boost/asio/post.hpp>

#include "sim_support.hpp"

using namespace routerpulse;
using namespace routerpulse::routeros;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {
// A monitor-traffic stream whose callbacks share ownership of the counters,
// so late callbacks after the test body are harmless.
struct Watched {
  struct State {
    std::mutex mu;
    size_t rows = 0;
    std::vector<StreamEvent> events;
  };
  std::shared_ptr<State> st = std::make_shared<State>();
  StreamPtr handle;

  void open(Session& s, const std::string& ifaces, StreamOptions opts = {}) {
    Command c("/interface/monitor-traffic");
    c.attr("interface", ifaces);
    auto state = st;
    handle = s.stream(
        c,
        [state](const Reply&) {
          std::lock_guard lk(state->mu);
          ++state->rows;
        },
        [state](const StreamEvent& e) {
          std::lock_guard lk(state->mu);
          state->events.push_back(e);
        },
        opts);
  }
  size_t count() {
    std::lock_guard lk(st->mu);
    return st->rows;
  }
  size_t events_of(StreamEventType t) {
    std::lock_guard lk(st->mu);
    size_t n = 0;
    for (auto& e : st->events) n += e.type == t;
    return n;
  }
  ErrorKind first_interrupt_kind() {
    std::lock_guard lk(st->mu);
    for (auto& e : st->events)
      if (e.type == StreamEventType::interrupted) return e.error.kind;
    return ErrorKind::none;
  }
  // Rows keep arriving: wait for `n` more.
  bool flowing(size_t n = 3, std::chrono::milliseconds t = 10s) {
    const size_t base = count();
    return wait_until([&] { return count() >= base + n; }, t);
  }
};

std::future<Result> start(Session& s, Command c, std::chrono::nanoseconds timeout = 0ns) {
  auto p = std::make_shared<std::promise<Result>>();
  CommandOptions o;
  o.timeout = timeout;
  s.execute(
      std::move(c), [p](Result r) { p->set_value(std::move(r)); }, o);
  return p->get_future();
}
}  // namespace

TEST_CASE("drop: pending commands fail, the session reconnects and re-issues streams", "[faults][drop]") {
  SimProcess sim(1, {"--sessions", "2", "--interval", "0.1"});
  ClientEnv env;
  auto s = env.session(ClientEnv::config("r0", sim.port()));
  REQUIRE(env.wait_up(*s));
  Watched st;
  st.open(*s, "<pppoe-user0001>");
  REQUIRE(st.flowing());
  auto states = std::make_shared<std::pair<std::mutex, std::vector<SessionState>>>();
  s->observe_state([states](SessionState state, const std::string&) {
    std::lock_guard lk(states->first);
    states->second.push_back(state);
  });

  // A command held back by the router (slow replies) is in flight when the connection drops.
  REQUIRE(sim.control("fault 0 slow delay=3000") == "ok");
  auto pending = start(*s, Command("/system/resource/print"), 10s);
  REQUIRE(wait_until([&] { return sim.stat("commands") >= 3; }, 5s));
  REQUIRE(sim.control("fault 0 drop") == "ok");
  REQUIRE(pending.wait_for(10s) == std::future_status::ready);
  Result r = pending.get();
  CHECK(r.error.kind == ErrorKind::disconnected);
  CHECK(r.error.message.find("/system/resource/print") != std::string::npos);

  REQUIRE(wait_until([&] { return s->counters().connects >= 2 && s->is_up(); }, 10s));
  REQUIRE(wait_until([&] { return st.events_of(StreamEventType::resumed) >= 1; }, 10s));
  CHECK(st.events_of(StreamEventType::interrupted) >= 1);
  CHECK(st.flowing());  // re-issued on the new connection
  CHECK(env.stats.counter("routeros", "reconnects_total", "", {{"router", "r0"}}).value() >= 1);
  CHECK(env.errors("r0", "connect") >= 1);
  CHECK(env.run(*s, Command("/system/identity/print")).ok());
  // Observers saw: up (current state at registration), the loss, the way back up.
  std::lock_guard lk(states->first);
  const auto& seen = states->second;
  REQUIRE(seen.size() >= 4);
  CHECK(seen.front() == SessionState::up);
  CHECK(std::find(seen.begin(), seen.end(), SessionState::backoff) != seen.end());
  CHECK(std::find(seen.begin(), seen.end(), SessionState::logging_in) != seen.end());
  CHECK(seen.back() == SessionState::up);
}

TEST_CASE("slow replies: within the timeout they succeed, beyond it they time out", "[faults][slow]") {
  SimProcess sim(1, {"--interval", "0.1"});
  ClientEnv env;
  auto s = env.session(ClientEnv::config("r0", sim.port()));
  REQUIRE(env.wait_up(*s));
  REQUIRE(sim.control("fault 0 slow delay=400") == "ok");
  auto ok = env.run(*s, Command("/system/identity/print"), 5s);
  CHECK(ok.ok());
  auto& h = env.stats.histogram("routeros", "api_latency_seconds", "",
                                {{"router", "r0"}, {"command", "/system/identity/print"}});
  CHECK(h.sum() >= 0.4);  // the router held the reply for 400 ms

  SECTION("a timeout while other data flows keeps the connection") {
    Watched st;
    st.open(*s, "ether1");  // the stream's own first reply is delayed too, then flows
    REQUIRE(st.flowing(3));
    REQUIRE(sim.control("fault 0 slow delay=1500") == "ok");
    auto late = env.run(*s, Command("/system/resource/print"), 300ms);
    CHECK(late.error.kind == ErrorKind::timeout);
    CHECK(late.error.message.find("timed out after 300ms") != std::string::npos);
    CHECK(env.errors("r0", "timeout") == 1);
    CHECK(s->counters().connects == 1);  // rows kept arriving: not a dead connection
    REQUIRE(sim.control("fault 0 none") == "ok");
    CHECK(env.run(*s, Command("/system/identity/print")).ok());  // the late reply was discarded
  }
}

TEST_CASE("!fatal fails pending commands with kind fatal and reconnects", "[faults][fatal]") {
  SimProcess sim(1, {"--interval", "0.1"});
  ClientEnv env;
  auto s = env.session(ClientEnv::config("r0", sim.port()));
  REQUIRE(env.wait_up(*s));
  Watched st;
  st.open(*s, "ether1,ether2");
  REQUIRE(st.flowing());
  REQUIRE(sim.control("fault 0 slow delay=3000") == "ok");
  auto pending = start(*s, Command("/ppp/active/print"), 10s);
  REQUIRE(wait_until([&] { return sim.stat("commands") >= 3; }, 5s));
  REQUIRE(sim.control("fault 0 fatal") == "ok");
  REQUIRE(pending.wait_for(10s) == std::future_status::ready);
  Result r = pending.get();
  CHECK(r.error.kind == ErrorKind::fatal);
  CHECK(r.error.message.find("simulated failure") != std::string::npos);
  CHECK(env.errors("r0", "fatal") == 1);
  REQUIRE(wait_until([&] { return st.events_of(StreamEventType::resumed) >= 1; }, 10s));
  CHECK(st.first_interrupt_kind() == ErrorKind::fatal);
  CHECK(st.flowing());
}

TEST_CASE("garbage bytes are a protocol error; the session reconnects", "[faults][garbage]") {
  SimProcess sim(1, {"--interval", "0.1"});
  ClientEnv env;
  auto s = env.session(ClientEnv::config("r0", sim.port()));
  REQUIRE(env.wait_up(*s));
  Watched st;
  st.open(*s, "ether1");
  REQUIRE(st.flowing());
  REQUIRE(sim.control("fault 0 garbage") == "ok");
  REQUIRE(wait_until([&] { return env.errors("r0", "protocol") >= 1; }, 10s));
  REQUIRE(wait_until([&] { return st.events_of(StreamEventType::resumed) >= 1; }, 10s));
  CHECK(st.first_interrupt_kind() == ErrorKind::protocol);
  CHECK(s->counters().connects >= 2);
  CHECK(st.flowing());
}

TEST_CASE("stall: commands time out, the dead connection is replaced, recovery after the stall", "[faults][stall]") {
  SimProcess sim(1, {"--interval", "0.1"});
  ClientEnv env;
  auto cfg = ClientEnv::config("r0", sim.port());
  cfg.connect_timeout = 500ms;
  cfg.dead_after = 1s;
  auto s = env.session(cfg);
  REQUIRE(env.wait_up(*s));
  Watched st;
  StreamOptions so;
  so.idle_timeout = 1s;
  st.open(*s, "ether1", so);
  REQUIRE(st.flowing());

  REQUIRE(sim.control("fault 0 stall") == "ok");
  auto r = env.run(*s, Command("/system/identity/print"), 400ms);
  CHECK(r.error.kind == ErrorKind::timeout);
  // The stream goes silent: the session probes, nothing at all arrives for
  // dead_after, the connection is declared dead and logins to the stalled
  // router time out until the stall ends.
  REQUIRE(wait_until([&] { return st.events_of(StreamEventType::interrupted) >= 1; }, 10s));
  CHECK(st.first_interrupt_kind() == ErrorKind::disconnected);
  REQUIRE(wait_until([&] { return env.errors("r0", "login") >= 1; }, 10s));
  CHECK_FALSE(s->is_up());
  CHECK(env.stats.gauge("routeros", "session_up", "", {{"router", "r0"}}).value() == 0.0);

  REQUIRE(sim.control("fault 0 none") == "ok");
  REQUIRE(env.wait_up(*s, 10s));
  REQUIRE(wait_until([&] { return st.events_of(StreamEventType::resumed) >= 1; }, 10s));
  CHECK(st.flowing());
}

TEST_CASE("keepalive detects a stalled router without any traffic", "[faults][keepalive]") {
  SimProcess sim(1);
  ClientEnv env;
  auto cfg = ClientEnv::config("r0", sim.port());
  cfg.keepalive = 200ms;
  cfg.dead_after = 300ms;
  cfg.connect_timeout = 500ms;
  auto s = env.session(cfg);
  REQUIRE(env.wait_up(*s));
  // Idle but healthy: probes are answered and the connection stays.
  REQUIRE(wait_until([&] { return s->counters().commands_sent >= 4; }, 5s));
  CHECK(s->counters().connects == 1);
  REQUIRE(sim.control("fault 0 stall") == "ok");
  REQUIRE(wait_until([&] { return env.errors("r0", "timeout") >= 1; }, 10s));
  REQUIRE(wait_until([&] { return !s->is_up(); }, 5s));
  REQUIRE(sim.control("fault 0 none") == "ok");
  REQUIRE(env.wait_up(*s, 10s));
  CHECK(s->counters().connects >= 2);
}

TEST_CASE("a truly silent router is declared dead exactly at dead_after (manual clock)", "[faults][keepalive]") {
  // The session's keepalive, probe deadline and backoff run on a ManualClock:
  // nothing happens until the test moves time. The router is stalled (reads,
  // never answers) so only the session's own evidence can end the connection.
  ManualClock clock;
  SimProcess sim(1);
  ClientEnv env;
  env.clock = &clock;
  auto cfg = ClientEnv::config("r0", sim.port());
  cfg.keepalive = 10s;
  cfg.dead_after = 30s;
  auto s = env.session(cfg);
  REQUIRE(env.wait_up(*s));
  // Runs `fn`'s effects to completion: a handler posted to the session's
  // strand after the timers' callbacks runs after them.
  auto drain = [&] {
    std::promise<void> p;
    boost::asio::post(s->executor(), [&p] { p.set_value(); });
    REQUIRE(p.get_future().wait_for(10s) == std::future_status::ready);
  };
  const uint64_t sent_at_login = s->counters().commands_sent;
  REQUIRE(sim.control("fault 0 stall") == "ok");

  clock.advance(10s);  // keepalive: 10 s of silence → one probe
  REQUIRE(wait_until([&] { return s->counters().commands_sent == sent_at_login + 1; }, 10s));
  clock.advance(29s);  // 39 s: the probe has waited 29 s < dead_after
  drain();
  CHECK(s->is_up());
  CHECK(s->counters().commands_sent == sent_at_login + 1);  // one probe outstanding, never two
  CHECK(env.errors("r0", "timeout") == 0);

  clock.advance(1s);  // 40 s: the probe has waited dead_after with no byte in
  REQUIRE(wait_until([&] { return !s->is_up(); }, 10s));
  CHECK(env.errors("r0", "timeout") == 1);
  CHECK(s->counters().connects == 1);

  // Reconnecting waits for the (manual) backoff: nothing before time moves.
  REQUIRE(sim.control("fault 0 none") == "ok");
  drain();
  CHECK(s->counters().connect_attempts == 1);
  clock.advance(1s);  // past reconnect_max (400 ms): the reconnect starts
  REQUIRE(env.wait_up(*s, 10s));
  CHECK(s->counters().connects == 2);
}

TEST_CASE("a slow router keeps its session: slow commands time out alone, the connection stays",
          "[faults][slow]") {
  // Replies delayed 2 s, four times the command deadline, and nothing else on
  // the connection: the router is busy, not dead. Before, a timed-out command
  // with nothing received since it was sent tore the connection down (and
  // every stream on it). Now the session probes; the probe is answered late,
  // within dead_after, and the connection stays.
  SimProcess sim(1);
  ClientEnv env;
  auto cfg = ClientEnv::config("r0", sim.port());
  cfg.timeout = 500ms;
  cfg.keepalive = 300ms;
  cfg.dead_after = 5s;
  auto s = env.session(cfg);
  REQUIRE(env.wait_up(*s));
  REQUIRE(sim.control("fault 0 slow delay=2000") == "ok");
  for (int i = 0; i < 3; ++i) {
    auto r = env.run(*s, Command("/system/resource/print"), 500ms);
    CHECK(r.error.kind == ErrorKind::timeout);
  }
  CHECK(env.errors("r0", "timeout") >= 3);
  // A probe went out (silence) and its late answer arrives within dead_after.
  const uint64_t sent_before = s->counters().commands_sent;
  REQUIRE(wait_until([&] { return s->counters().replies_received >= 3; }, 10s));
  CHECK(s->is_up());
  REQUIRE(sim.control("fault 0 none") == "ok");
  auto ok = env.run(*s, Command("/system/resource/print"), 5s);
  CHECK(ok.ok());
  CHECK(s->counters().commands_sent > sent_before);
  CHECK(s->counters().connects == 1);
  // Streams on the kept connection work as before.
  Watched st;
  st.open(*s, "ether1");
  REQUIRE(st.flowing());
  CHECK(st.events_of(StreamEventType::interrupted) == 0);
}

TEST_CASE("a stalled router does not affect another router", "[faults][isolation]") {
  SimProcess sim(2, {"--interval", "0.1"});
  ClientEnv env;
  auto a = env.session(ClientEnv::config("a", sim.port(0)));
  auto b = env.session(ClientEnv::config("b", sim.port(1)));
  REQUIRE(env.wait_up(*a));
  REQUIRE(env.wait_up(*b));
  Watched sa, sb;
  sa.open(*a, "ether1");
  sb.open(*b, "ether1");
  REQUIRE(sa.flowing());
  REQUIRE(sb.flowing());

  REQUIRE(sim.control("fault 0 stall") == "ok");
  auto stalled = start(*a, Command("/system/identity/print"), 2s);
  // While router a hangs, b keeps streaming and answering well within its timeout.
  for (int i = 0; i < 5; ++i) {
    auto r = env.run(*b, Command("/system/identity/print"), 1s);
    REQUIRE(r.ok());
    CHECK(r.rows[0].get_or("name") == "sim-router-1");
  }
  CHECK(sb.flowing(5));
  REQUIRE(stalled.wait_for(10s) == std::future_status::ready);
  CHECK(stalled.get().error.kind == ErrorKind::timeout);
  CHECK(b->counters().connects == 1);
  CHECK(env.errors("b", "timeout") == 0);
  CHECK(env.stats.gauge("routeros", "session_up", "", {{"router", "b"}}).value() == 1.0);
}

TEST_CASE("down: connect errors with backoff, recovery when the router returns", "[faults][down]") {
  SimProcess sim(1);
  ClientEnv env;
  auto s = env.session(ClientEnv::config("r0", sim.port()));
  REQUIRE(env.wait_up(*s));
  REQUIRE(sim.control("fault 0 down") == "ok");
  REQUIRE(wait_until([&] { return env.errors("r0", "connect") >= 3; }, 10s));
  CHECK(env.health.to_json().find("retrying in") != std::string::npos);
  REQUIRE(sim.control("fault 0 none") == "ok");
  REQUIRE(env.wait_up(*s, 10s));
  CHECK(env.health.to_json().find("\"r0\":{\"status\":\"healthy\"}") != std::string::npos);
}

TEST_CASE("stop fails queued commands and ends streams exactly once", "[session][stop]") {
  ClientEnv env;
  // Nothing listens on this port: commands stay queued.
  auto s = env.session(ClientEnv::config("nowhere", free_port()));
  auto pending = start(*s, Command("/system/identity/print"), 30s);
  Watched st;
  st.open(*s, "ether1");
  REQUIRE(wait_until([&] { return env.errors("nowhere", "connect") >= 2; }, 10s));  // still queued after failures
  std::promise<void> stopped;
  int calls = 0;
  s->stop([&] {
    ++calls;
    stopped.set_value();
  });
  REQUIRE(stopped.get_future().wait_for(5s) == std::future_status::ready);
  REQUIRE(pending.wait_for(5s) == std::future_status::ready);
  CHECK(pending.get().error.kind == ErrorKind::stopped);
  REQUIRE(wait_until([&] { return st.events_of(StreamEventType::ended) == 1; }, 5s));
  CHECK(s->state() == SessionState::stopped);
  CHECK(calls == 1);
  auto late = env.run(*s, Command("/system/identity/print"));
  CHECK(late.error.kind == ErrorKind::stopped);
  Watched after;
  after.open(*s, "ether1");  // a stream started after stop ends at once
  REQUIRE(wait_until([&] { return after.events_of(StreamEventType::ended) == 1; }, 5s));
  CHECK(s->counters().streams_active == 0);
}
