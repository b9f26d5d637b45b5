// routeros_traffic integration tests against tools/routeros-sim (real TCP API
// sessions on loopback ports of their own). The simulator's deterministic
// values (tools/routeros-sim model.cpp): user N sends tx = rate_base*(1+N%50)
// bits/s to the customer, rx = tx/4, tx_pps = tx/12000, rx_pps = rx/800.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <thread>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "sim_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

std::set<std::string> difference(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  for (const auto& x : a)
    if (!b.count(x)) out.insert(x);
  return out;
}

bool contains_all(const std::set<std::string>& have, const std::set<std::string>& want) {
  for (const auto& w : want)
    if (!have.count(w)) return false;
  return true;
}

const Metric* system_of(const MetricBatch& b, const std::string& router) {
  for (const auto& m : b)
    if (m.name() == "routeros_system" && *m.tag("router") == router) return &m;
  return nullptr;
}

}  // namespace

TEST_CASE("live pppoe_traffic rates, pppoe_session and routeros_system match the simulator",
          "[routeros_traffic][sim]") {
  const uint64_t base = 120000;
  Sim sim(1, {"--sessions", "20", "--interval", "0.2", "--rate-base", std::to_string(base)});
  TrafficFixture f(sim, 1);
  f.create("interfaces_per_command: 8");

  REQUIRE(wait_until([&] { return f.users("pppoe_traffic").size() == 20; }, 15s));
  const int64_t now = now_ns();
  auto samples = f.named("pppoe_traffic");
  REQUIRE(samples.size() >= 20);
  for (const auto& m : samples) {
    const std::string user = *m.tag("pppoe_user");
    const uint64_t n = user_number(user);
    const uint64_t router_tx = base * (1 + n % 50), router_rx = router_tx / 4;
    INFO(to_line_protocol(m));
    CHECK(m.type() == MetricType::gauge);
    CHECK(*m.tag("router") == "r0");
    CHECK(*m.tag("interface") == "<pppoe-" + user + ">");
    char mac[32];
    std::snprintf(mac, sizeof mac, "AA:BB:CC:%02X:%02X:%02X", unsigned((n >> 16) & 0xFF), unsigned((n >> 8) & 0xFF),
                  unsigned(n & 0xFF));
    CHECK(*m.tag("caller_id") == mac);
    // Customer's side: download (rx) is what the router transmits.
    CHECK(num(m, "rx_bps") == double(router_tx));
    CHECK(num(m, "tx_bps") == double(router_rx));
    CHECK(num(m, "rx_pps") == double(router_tx / 12000));
    CHECK(num(m, "tx_pps") == double(router_rx / 800));
    CHECK(num(m, "rx_drops_ps") == 0.0);
    CHECK(num(m, "tx_errors_ps") == 0.0);
    CHECK(m.fields().size() == 8);
    CHECK(m.time() <= now);
    CHECK(m.time() > now - 120 * int64_t(1000000000));
  }
  CHECK(f.stat("routeros_traffic", "sessions_active", "r0") == 20);
  CHECK(f.stat("routeros_traffic", "monitors_active", "r0") == 20);
  CHECK(f.stat("routeros_traffic", "monitor_commands_active", "r0") == 3);  // 8 + 8 + 4
  CHECK(f.stat("routeros_traffic", "samples", "r0") >= 20);

  f.h.clear_emitted();
  REQUIRE(f.gather());
  auto sessions = f.named("pppoe_session");
  REQUIRE(sessions.size() == 20);
  for (const auto& m : sessions) {
    const uint64_t n = user_number(*m.tag("pppoe_user"));
    INFO(to_line_protocol(m));
    CHECK(std::get<std::string>(*m.field("address")) ==
          "100." + std::to_string(64 + ((n >> 16) & 0x3F)) + "." + std::to_string((n >> 8) & 0xFF) + "." +
              std::to_string(n & 0xFF));
    CHECK(std::get<std::string>(*m.field("session_id")).rfind("0x81", 0) == 0);
    CHECK(std::get<int64_t>(*m.field("uptime_s")) >= 0);
    CHECK(std::get<bool>(*m.field("monitored")));
  }
  auto sys = f.named("routeros_system");
  REQUIRE(sys.size() == 1);
  const Metric& s = sys[0];
  INFO(to_line_protocol(s));
  CHECK(std::get<bool>(*s.field("up")));
  CHECK(num(s, "cpu_load_pct") == 2);  // 2 + sessions/250
  CHECK(num(s, "total_memory_bytes") == 4294967296.0);
  CHECK(num(s, "free_memory_bytes") == 4294967296.0 - 268435456.0 - 20 * 65536.0);
  CHECK(num(s, "free_hdd_bytes") == 100663296.0);
  CHECK(num(s, "total_hdd_bytes") == 134217728.0);
  CHECK(num(s, "uptime_s") >= 86400);  // router 0 booted one day before the sim started
  CHECK(std::get<std::string>(*s.field("version")) == "7.16.1 (stable)");
  CHECK(std::get<std::string>(*s.field("board_name")) == "CCR2004-1G-12S+2XS");
  CHECK(std::get<std::string>(*s.field("identity")) == "sim-router-0");
}

TEST_CASE("sessions that come and go are picked up and dropped (listen)", "[routeros_traffic][sim]") {
  Sim sim(1, {"--sessions", "10", "--spare-users", "10", "--interval", "0.2"});
  TrafficFixture f(sim, 1);
  f.create("reissue_delay: 100ms");
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic").size() == 10; }, 15s));
  const auto before = f.users("pppoe_traffic");
  const double reissues_before = f.stat("routeros_traffic", "monitor_reissues", "r0");

  REQUIRE(sim.control("churn 0 3") == "ok");
  std::set<std::string> after;
  REQUIRE(wait_until(
      [&] {
        f.h.clear_emitted();
        if (!f.gather()) return false;
        after = f.users("pppoe_session");
        return after.size() == 10 && after != before;
      },
      15s));
  const auto added = difference(after, before), removed = difference(before, after);
  REQUIRE(!added.empty());
  CHECK(added.size() == removed.size());
  CHECK(f.stat("routeros_traffic", "sessions_active", "r0") == 10);

  // New sessions stream; ended ones stop.
  f.h.clear_emitted();
  REQUIRE(wait_until([&] { return contains_all(f.users("pppoe_traffic"), added); }, 10s));
  f.h.clear_emitted();
  std::this_thread::sleep_for(1200ms);  // ~6 simulator rounds
  const auto streaming = f.users("pppoe_traffic");
  CHECK(streaming == after);
  for (const auto& gone : removed) CHECK_FALSE(streaming.count(gone));
  CHECK(f.stat("routeros_traffic", "monitor_reissues", "r0") > reissues_before);
  CHECK(f.stat("routeros_traffic", "monitors_active", "r0") == 10);
}

TEST_CASE("session_discovery: poll picks up changes at each gather", "[routeros_traffic][sim]") {
  Sim sim(1, {"--sessions", "6", "--spare-users", "6", "--interval", "0.2"});
  TrafficFixture f(sim, 1);
  f.create("session_discovery: poll\nreissue_delay: 100ms");
  REQUIRE(f.gather());
  const auto before = f.users("pppoe_session");
  REQUIRE(before.size() == 6);

  REQUIRE(sim.control("churn 0 2") == "ok");
  f.h.clear_emitted();
  REQUIRE(f.gather());
  const auto after = f.users("pppoe_session");
  CHECK(after.size() == 6);
  const auto added = difference(after, before);
  REQUIRE(!added.empty());
  f.h.clear_emitted();
  REQUIRE(wait_until([&] { return contains_all(f.users("pppoe_traffic"), added); }, 10s));
}

TEST_CASE("a dropped connection re-subscribes: samples resume", "[routeros_traffic][sim]") {
  Sim sim(1, {"--sessions", "5", "--interval", "0.2"});
  TrafficFixture f(sim, 1);
  f.create("{}");
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic").size() == 5; }, 15s));

  REQUIRE(sim.control("fault 0 drop") == "ok");
  REQUIRE(wait_until([&] { return f.stat("routeros", "reconnects", "r0") >= 1; }, 10s));
  REQUIRE(wait_until([&] { return f.stat("routeros", "session_up", "r0") == 1; }, 10s));
  f.h.clear_emitted();
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic").size() == 5; }, 10s));
  const auto stats = nlohmann::json::parse(sim.control("stats"));
  INFO(stats.dump());
  CHECK(stats["connections_accepted"].get<int>() >= 2);  // the agent really connected again

  // The session set was re-read after the reconnect and is complete.
  f.h.clear_emitted();
  REQUIRE(f.gather());
  CHECK(f.users("pppoe_session").size() == 5);
  const MetricBatch all = f.h.emitted();
  const Metric* sys = system_of(all, "r0");
  REQUIRE(sys);
  CHECK(std::get<bool>(*sys->field("up")));
}

TEST_CASE("max_monitors caps the streams per router and counts the rest", "[routeros_traffic][sim]") {
  Sim sim(1, {"--sessions", "30", "--interval", "0.2"});
  TrafficFixture f(sim, 1);
  f.create("max_monitors: 10");
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic").size() >= 10; }, 15s));
  std::this_thread::sleep_for(1s);
  const auto streaming = f.users("pppoe_traffic");
  CHECK(streaming.size() == 10);
  CHECK(f.stat("routeros_traffic", "monitors_active", "r0") == 10);
  CHECK(f.stat("routeros_traffic", "monitors_skipped", "r0") == 20);
  CHECK(f.stat("routeros_traffic", "sessions_active", "r0") == 30);

  f.h.clear_emitted();
  REQUIRE(f.gather());
  auto sessions = f.named("pppoe_session");
  REQUIRE(sessions.size() == 30);
  std::set<std::string> monitored;
  for (const auto& m : sessions)
    if (std::get<bool>(*m.field("monitored"))) monitored.insert(*m.tag("pppoe_user"));
  CHECK(monitored == streaming);
}

TEST_CASE("include/exclude select the monitored users", "[routeros_traffic][sim]") {
  Sim sim(1, {"--sessions", "12", "--interval", "0.2"});
  TrafficFixture f(sim, 1);
  f.create("include: ['user000*']\nexclude: [user0003]");
  const std::set<std::string> want{"user0001", "user0002", "user0004", "user0005",
                                   "user0006", "user0007", "user0008", "user0009"};
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic").size() >= want.size(); }, 15s));
  std::this_thread::sleep_for(600ms);
  CHECK(f.users("pppoe_traffic") == want);
  f.h.clear_emitted();
  REQUIRE(f.gather());
  CHECK(f.users("pppoe_session") == want);
}

TEST_CASE("a stalled router does not delay another router's metrics", "[routeros_traffic][sim]") {
  Sim sim(2, {"--sessions", "5", "--interval", "0.2"});
  TrafficFixture f(sim, 2);
  f.create("timeout: 4s");
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic", "r0").size() == 5 && f.users("pppoe_traffic", "r1").size() == 5; },
                     15s));

  REQUIRE(sim.control("fault 1 stall") == "ok");
  f.h.clear_emitted();
  std::atomic<bool> done{false};
  auto& ctx = f.h.last_context();
  boost::asio::post(ctx.strand, [&] { f.input->gather([&] { done = true; }); });

  // r0 answers and is emitted while the round still waits for r1.
  REQUIRE(wait_until([&] { return !f.named("routeros_system", "r0").empty(); }, 3s));
  CHECK_FALSE(done.load());
  CHECK(f.named("routeros_system", "r1").empty());
  CHECK(f.named("pppoe_session", "r0").size() == 5);

  REQUIRE(wait_until([&] { return done.load(); }, 10s));
  auto r1 = f.named("routeros_system", "r1");
  REQUIRE(r1.size() == 1);
  CHECK(std::get<bool>(*r1[0].field("up")) == false);
  CHECK(f.named("pppoe_session", "r1").empty());
  CHECK(std::get<bool>(*f.named("routeros_system", "r0")[0].field("up")));
  CHECK(f.stat("routeros_traffic", "errors", "r1", "timeout") >= 1);
  CHECK(std::isnan(f.stat("routeros_traffic", "errors", "r0", "timeout")));

  // r0 kept streaming during the stall; r1 did not.
  f.h.clear_emitted();
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic", "r0").size() == 5; }, 5s));
  CHECK(f.users("pppoe_traffic", "r1").empty());

  // r1 recovers once the fault is lifted.
  REQUIRE(sim.control("fault 1 none") == "ok");
  REQUIRE(wait_until(
      [&] {
        f.h.clear_emitted();
        if (!f.gather()) return false;
        const MetricBatch all = f.h.emitted();
        const Metric* m = system_of(all, "r1");
        return m && std::get<bool>(*m->field("up"));
      },
      30s));
  f.h.clear_emitted();
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic", "r1").size() == 5; }, 15s));
}

TEST_CASE("interface counters: totals and agent-computed rates", "[routeros_traffic][sim]") {
  const double b = 1000000;
  Sim sim(1, {"--sessions", "3", "--rate-base", "1000000"});
  TrafficFixture f(sim, 1);
  f.create("pppoe: none\ninterfaces: ['ether*']");
  REQUIRE(f.gather());
  std::this_thread::sleep_for(2s);
  f.h.clear_emitted();
  REQUIRE(f.gather());

  CHECK(f.named("pppoe_session").empty());
  CHECK(f.named("pppoe_traffic").empty());
  auto totals = f.named("interface");
  REQUIRE(totals.size() == 4);  // ether1..4; the <pppoe-…> interfaces do not match
  auto rates = f.named("interface_rate");
  REQUIRE(rates.size() == 4);
  for (const auto& m : totals) {
    CHECK(m.type() == MetricType::counter);
    CHECK(*m.tag("type") == "ether");
  }
  for (const auto& m : rates) {
    INFO(to_line_protocol(m));
    CHECK(std::get<bool>(*m.field("running")));
    const std::string iface = *m.tag("interface");
    // The router's view on ether1: it receives 800*b and sends 200*b bits/s.
    if (iface == "ether1") {
      CHECK(num(m, "rx_bps") == Approx(800 * b).epsilon(0.1));
      CHECK(num(m, "tx_bps") == Approx(200 * b).epsilon(0.1));
      CHECK(num(m, "rx_pps") == Approx(800 * b / 12000).epsilon(0.1));
      CHECK(num(m, "tx_pps") == Approx(200 * b / 800).epsilon(0.1));
    } else if (iface == "ether3") {
      CHECK(num(m, "rx_bps") == 0.0);
    }
  }
  for (const auto& m : totals)
    if (*m.tag("interface") == "ether1") CHECK(num(m, "rx_bytes") > 0);
}

TEST_CASE("a monitor command that traps is re-issued without the vanished interface", "[routeros_traffic][sim]") {
  // Poll mode: the input does not hear about the churn. After the reconnect the
  // session re-issues the old interface list, the simulator answers `!trap`
  // (input does not match any value of interface), and the input must re-read
  // /ppp/active and re-issue the group with the current sessions.
  Sim sim(1, {"--sessions", "5", "--spare-users", "5", "--interval", "0.2"});
  TrafficFixture f(sim, 1);
  f.create("session_discovery: poll\nreissue_delay: 100ms");
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic").size() == 5; }, 15s));
  const auto before = f.users("pppoe_traffic");

  REQUIRE(sim.control("churn 0 1") == "ok");
  REQUIRE(sim.control("fault 0 drop") == "ok");
  REQUIRE(wait_until([&] { return f.stat("routeros_traffic", "errors", "r0", "trap") >= 1; }, 15s));

  std::set<std::string> now;
  REQUIRE(wait_until(
      [&] {
        f.h.clear_emitted();
        std::this_thread::sleep_for(500ms);
        now = f.users("pppoe_traffic");
        return now.size() == 5 && now != before;
      },
      20s));
  CHECK(difference(now, before).size() == 1);
  CHECK(f.stat("routeros_traffic", "monitors_active", "r0") == 5);
}
