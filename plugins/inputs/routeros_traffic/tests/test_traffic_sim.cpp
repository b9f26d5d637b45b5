// routeros_traffic integration tests against tools/routeros-sim (real TCP API
// sessions on loopback ports of their own). The simulator's deterministic
// values (tools/routeros-sim model.cpp): user N's router sends
// tx = rate_base*(1+N%50) bits/s to the customer (the customer's download),
// and receives rx = tx/4 (upload); tx_pps = tx/12000, rx_pps = rx/800.
//
// No test sleeps to let time pass: streamed traffic is awaited by counting
// samples (rounds of the simulator), and timer-driven behaviour (re-issue
// delay, flush interval, gather deadline, counter rates) runs on a
// ManualClock that the test advances.
#include <catch2/catch.hpp>

#include <cmath>

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

/// This input's entry of /health.
nlohmann::json input_health(TrafficFixture& f) {
  return nlohmann::json::parse(f.h.health.to_json())["components"]["inputs.routeros_traffic"];
}

const Metric* of_interface(const MetricBatch& b, const std::string& iface) {
  for (const auto& m : b)
    if (*m.tag("interface") == iface) return &m;
  return nullptr;
}

}  // namespace

TEST_CASE("live pppoe_traffic rates, pppoe_session and routeros_system match the simulator",
          "[routeros_traffic][sim]") {
  const uint64_t base = 120000;
  SimProcess sim(1, {"--sessions", "20", "--interval", "0.2", "--rate-base", std::to_string(base)});
  TrafficFixture f(sim, 1);
  f.create("interfaces_per_command: 8");

  REQUIRE(wait_until([&] { return f.users("pppoe_traffic").size() == 20; }, 15s));
  const int64_t now = system_clock().now_ns();
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
    // The customer's direction: the BRAS transmits (tx) what the customer downloads.
    CHECK(num(m, "download_bits_per_second") == double(router_tx));
    CHECK(num(m, "upload_bits_per_second") == double(router_rx));
    CHECK(num(m, "download_packets_per_second") == double(router_tx / 12000));
    CHECK(num(m, "upload_packets_per_second") == double(router_rx / 800));
    CHECK(num(m, "download_drops_per_second") == 0.0);
    CHECK(num(m, "upload_errors_per_second") == 0.0);
    CHECK(m.fields().size() == 8);
    CHECK(m.time() <= now);
    CHECK(m.time() > now - 120 * int64_t(1000000000));
  }
  CHECK(f.stat("routeros_traffic", "pppoe_sessions_active", "r0") == 20);
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
    CHECK(std::get<std::string>(*m.field("address")) == "100." + std::to_string(64 + ((n >> 16) & 0x3F)) + "." +
                                                            std::to_string((n >> 8) & 0xFF) + "." +
                                                            std::to_string(n & 0xFF));
    CHECK(std::get<std::string>(*m.field("session_id")).rfind("0x81", 0) == 0);
    CHECK(std::get<int64_t>(*m.field("uptime_seconds")) >= 0);
    CHECK(std::get<bool>(*m.field("monitored")));
  }
  auto sys = f.named("routeros_system");
  REQUIRE(sys.size() == 1);
  const Metric& s = sys[0];
  INFO(to_line_protocol(s));
  CHECK(std::get<bool>(*s.field("up")));
  CHECK(num(s, "cpu_load_percent") == 2);  // 2 + sessions/250
  CHECK(num(s, "total_memory_bytes") == 4294967296.0);
  CHECK(num(s, "free_memory_bytes") == 4294967296.0 - 268435456.0 - 20 * 65536.0);
  CHECK(num(s, "free_hdd_bytes") == 100663296.0);
  CHECK(num(s, "total_hdd_bytes") == 134217728.0);
  CHECK(num(s, "uptime_seconds") >= 86400);  // router 0 booted one day before the sim started
  CHECK(std::get<std::string>(*s.field("version")) == "7.16.1 (stable)");
  CHECK(std::get<std::string>(*s.field("board_name")) == "CCR2004-1G-12S+2XS");
  CHECK(std::get<std::string>(*s.field("identity")) == "sim-router-0");
  CHECK(input_health(f)["status"] == "healthy");
}

TEST_CASE("PPPoE sessions that come and go are picked up and dropped (listen)", "[routeros_traffic][sim]") {
  SimProcess sim(1, {"--sessions", "10", "--spare-users", "10", "--interval", "0.2"});
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
  CHECK(f.stat("routeros_traffic", "pppoe_sessions_active", "r0") == 10);

  // New PPPoE sessions stream; ended ones stop. Once the re-issued command
  // delivers the added users, six more simulator rounds (10 samples each)
  // must name exactly the current users.
  f.h.clear_emitted();
  REQUIRE(wait_until([&] { return contains_all(f.users("pppoe_traffic"), added); }, 10s));
  f.h.clear_emitted();
  REQUIRE(wait_until([&] { return f.named("pppoe_traffic").size() >= 60; }, 10s));
  const auto streaming = f.users("pppoe_traffic");
  CHECK(streaming == after);
  for (const auto& gone : removed) CHECK_FALSE(streaming.count(gone));
  CHECK(f.stat("routeros_traffic", "monitor_reissues", "r0") > reissues_before);
  CHECK(f.stat("routeros_traffic", "monitors_active", "r0") == 10);
}

TEST_CASE("session_discovery: poll picks up changes at each gather", "[routeros_traffic][sim]") {
  SimProcess sim(1, {"--sessions", "6", "--spare-users", "6", "--interval", "0.2"});
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
  SimProcess sim(1, {"--sessions", "5", "--interval", "0.2"});
  TrafficFixture f(sim, 1);
  f.create("{}");
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic").size() == 5; }, 15s));

  REQUIRE(sim.control("fault 0 drop") == "ok");
  REQUIRE(wait_until([&] { return f.stat("routeros", "reconnects", "r0") >= 1; }, 10s));
  REQUIRE(wait_until([&] { return f.stat("routeros", "session_up", "r0") == 1; }, 10s));
  f.h.clear_emitted();
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic").size() == 5; }, 10s));
  CHECK(sim.stat("connections_accepted") >= 2);  // the agent really connected again

  // The PPPoE session set was re-read after the reconnect and is complete.
  f.h.clear_emitted();
  REQUIRE(f.gather());
  CHECK(f.users("pppoe_session").size() == 5);
  const MetricBatch all = f.h.emitted();
  const Metric* sys = system_of(all, "r0");
  REQUIRE(sys);
  CHECK(std::get<bool>(*sys->field("up")));
}

TEST_CASE("max_monitors caps the streams per router and counts the rest", "[routeros_traffic][sim]") {
  SimProcess sim(1, {"--sessions", "30", "--interval", "0.2"});
  TrafficFixture f(sim, 1);
  f.create("max_monitors: 10");
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic").size() >= 10; }, 15s));
  // Five more simulator rounds: an eleventh monitored user would show up.
  f.h.clear_emitted();
  REQUIRE(wait_until([&] { return f.named("pppoe_traffic").size() >= 50; }, 10s));
  const auto streaming = f.users("pppoe_traffic");
  CHECK(streaming.size() == 10);
  CHECK(f.stat("routeros_traffic", "monitors_active", "r0") == 10);
  CHECK(f.stat("routeros_traffic", "monitors_skipped", "r0") == 20);
  CHECK(f.stat("routeros_traffic", "pppoe_sessions_active", "r0") == 30);

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
  SimProcess sim(1, {"--sessions", "12", "--interval", "0.2"});
  TrafficFixture f(sim, 1);
  f.create("include: ['user000*']\nexclude: [user0003]");
  const std::set<std::string> want{"user0001", "user0002", "user0004", "user0005",
                                   "user0006", "user0007", "user0008", "user0009"};
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic").size() >= want.size(); }, 15s));
  // Four more rounds of the eight selected users; nothing else, ever.
  const size_t seen = f.named("pppoe_traffic").size();
  REQUIRE(wait_until([&] { return f.named("pppoe_traffic").size() >= seen + 4 * want.size(); }, 10s));
  CHECK(f.users("pppoe_traffic") == want);
  f.h.clear_emitted();
  REQUIRE(f.gather());
  CHECK(f.users("pppoe_session") == want);
}

TEST_CASE("re-issue delay follows the input's clock; samples leave at the end of each read", "[routeros_traffic][sim]") {
  ManualClock clock;
  SimProcess sim(1, {"--sessions", "4", "--interval", "0.2"});
  TrafficFixture f(sim, 1, &clock);
  f.create("reissue_delay: 1s\nbatch_size: 100000");

  // The PPPoE sessions are known at once; monitor-traffic waits for the delay.
  REQUIRE(wait_until([&] { return f.stat("routeros_traffic", "monitors_active", "r0") == 4; }, 15s));
  CHECK(f.stat("routeros_traffic", "monitor_reissues", "r0") == 0);
  clock.advance(1s);
  const int64_t arrival = clock.now_ns();
  REQUIRE(wait_until([&] { return f.stat("routeros_traffic", "monitor_reissues", "r0") == 1; }, 5s));
  CHECK(f.stat("routeros_traffic", "monitor_commands_active", "r0") == 1);

  // Samples of three simulator rounds arrive without any timer: each socket
  // read's rows leave as one batch when the read ends.
  REQUIRE(wait_until([&] { return f.named("pppoe_traffic").size() >= 12; }, 10s));
  CHECK(f.users("pppoe_traffic").size() == 4);
  // Metric time is the input's clock at arrival.
  for (const auto& m : f.named("pppoe_traffic")) CHECK(m.time() == arrival);
}

TEST_CASE("a stalled router does not delay another router's metrics", "[routeros_traffic][sim]") {
  // The gather deadline runs on a ManualClock: the round waits for the
  // stalled router exactly until the test moves time past `timeout`. No
  // keepalive, so the stalled API session stays connected and its commands
  // simply go unanswered.
  ManualClock clock;
  SimProcess sim(2, {"--sessions", "5", "--interval", "0.2"});
  TrafficFixture f(sim, 2, &clock, 0s);
  f.create("timeout: 30s\nreissue_delay: 100ms");
  auto samples = [&](const char* router) { return f.stat("routeros_traffic", "samples", router); };
  REQUIRE(wait_until(
      [&] {
        clock.advance(100ms);  // the re-issue delay, then flushes
        return samples("r0") >= 5 && samples("r1") >= 5;
      },
      15s));

  REQUIRE(sim.control("fault 1 stall") == "ok");
  f.h.clear_emitted();
  auto done = f.start_gather();

  // r0 answers and is emitted while the round still waits for r1.
  REQUIRE(wait_until([&] { return !f.named("routeros_system", "r0").empty(); }, 10s));
  CHECK(f.named("pppoe_session", "r0").size() == 5);
  // r0 keeps streaming during the stall (two rounds), r1 does not (two more).
  const double r0_at_stall = samples("r0");
  REQUIRE(wait_until([&] { return samples("r0") >= r0_at_stall + 10; }, 10s));
  const double r1_stalled = samples("r1"), r0_later = samples("r0");
  REQUIRE(wait_until([&] { return samples("r0") >= r0_later + 10; }, 10s));
  CHECK(samples("r1") == r1_stalled);
  CHECK_FALSE(done->load());
  CHECK(f.named("routeros_system", "r1").empty());

  // The tick's window (0.9 × the 10 s interval) ends the gather while r1's
  // poll goes on: the input is not held up by one router.
  clock.advance(9s);
  REQUIRE(wait_until([&] { return done->load(); }, 10s));
  CHECK(f.named("routeros_system", "r1").empty());
  CHECK_THAT(input_health(f).value("detail", ""), Catch::Contains("r1: poll still running after 9s"));
  // The next tick skips r1 (its poll still runs) and counts an overrun.
  auto done2 = f.start_gather();
  REQUIRE(wait_until([&] { return f.stat("routeros_traffic", "polls", "r1", "result=overrun") == 1; }, 10s));
  CHECK(f.stat("routeros_traffic", "polls", "r0", "result=ok") >= 1);

  clock.advance(21s);  // r1's poll deadline (timeout: 30s)
  REQUIRE(wait_until([&] { return !f.named("routeros_system", "r1").empty(); }, 10s));
  auto r1 = f.named("routeros_system", "r1");
  REQUIRE(r1.size() == 1);
  CHECK(std::get<bool>(*r1[0].field("up")) == false);
  CHECK(f.named("pppoe_session", "r1").empty());
  CHECK(std::get<bool>(*f.named("routeros_system", "r0")[0].field("up")));
  CHECK(f.stat("routeros_traffic", "errors", "r1", "timeout") >= 1);
  CHECK(std::isnan(f.stat("routeros_traffic", "errors", "r0", "timeout")));
  const nlohmann::json health = input_health(f);
  INFO(health.dump());
  CHECK(health["status"] == "degraded");
  CHECK_THAT(health.value("detail", ""), Catch::StartsWith("1 of 2 router(s) failing") && Catch::Contains("r1"));

  // r1 recovers once the fault is lifted.
  REQUIRE(sim.control("fault 1 none") == "ok");
  f.h.clear_emitted();
  REQUIRE(f.gather());
  const MetricBatch all = f.h.emitted();
  const Metric* m = system_of(all, "r1");
  REQUIRE(m);
  CHECK(std::get<bool>(*m->field("up")));
  CHECK(f.named("pppoe_session", "r1").size() == 5);
  CHECK(input_health(f)["status"] == "healthy");
  const double r1_resumed = samples("r1");
  REQUIRE(wait_until([&] { return samples("r1") >= r1_resumed + 5; }, 10s));
}

TEST_CASE("interface counters: totals and agent-computed rates", "[routeros_traffic][sim]") {
  // Rates divide counter deltas by the input's clock: with a ManualClock the
  // elapsed time is exactly what the test advanced, and the expected rate is
  // the totals' difference over it.
  ManualClock clock;
  SimProcess sim(1, {"--sessions", "3", "--rate-base", "1000000"});
  TrafficFixture f(sim, 1, &clock);
  f.create("pppoe: none\ninterfaces: ['ether*']");
  REQUIRE(f.gather());
  const MetricBatch first = f.named("interface");
  REQUIRE(first.size() == 4);  // ether1..4; the <pppoe-…> interfaces do not match
  for (const auto& m : f.named("interface_rate")) CHECK_FALSE(m.field("rx_bits_per_second"));  // no rate yet

  f.h.clear_emitted();
  clock.advance(2s);
  REQUIRE(f.gather());
  CHECK(f.named("pppoe_session").empty());
  CHECK(f.named("pppoe_traffic").empty());
  const MetricBatch totals = f.named("interface");
  REQUIRE(totals.size() == 4);
  const MetricBatch rates = f.named("interface_rate");
  REQUIRE(rates.size() == 4);
  for (const auto& m : totals) {
    CHECK(m.type() == MetricType::counter);
    CHECK(*m.tag("type") == "ether");
    CHECK(m.time() == clock.now_ns());
  }
  auto delta = [&](const std::string& iface, const std::string& field) {
    return num(*of_interface(totals, iface), field) - num(*of_interface(first, iface), field);
  };
  for (const auto& m : rates) {
    INFO(to_line_protocol(m));
    CHECK(std::get<bool>(*m.field("running")));
    const std::string iface = *m.tag("interface");
    CHECK(num(m, "rx_bits_per_second") == Approx(8 * delta(iface, "rx_bytes") / 2));
    CHECK(num(m, "tx_bits_per_second") == Approx(8 * delta(iface, "tx_bytes") / 2));
    CHECK(num(m, "rx_packets_per_second") == Approx(delta(iface, "rx_packets") / 2));
    CHECK(num(m, "tx_packets_per_second") == Approx(delta(iface, "tx_packets") / 2));
    CHECK(num(m, "rx_errors_per_second") == 0.0);
    CHECK(num(m, "tx_drops_per_second") == 0.0);
  }
  // The router's view on ether1: it receives 800*b and sends 200*b bits/s.
  const Metric* ether1 = of_interface(rates, "ether1");
  REQUIRE(ether1);
  CHECK(num(*ether1, "rx_bits_per_second") > 0);
  CHECK(num(*ether1, "rx_bits_per_second") / num(*ether1, "tx_bits_per_second") == Approx(4.0).epsilon(0.01));
  CHECK(num(*of_interface(rates, "ether3"), "rx_bits_per_second") == 0.0);
}

TEST_CASE("a monitor command that traps is re-issued without the vanished interface", "[routeros_traffic][sim]") {
  // Poll mode: the input does not hear about the churn. After the reconnect the
  // API session re-issues the old interface list, the simulator answers `!trap`
  // (input does not match any value of interface), and the input must re-read
  // /ppp/active and re-issue the group with the current PPPoE sessions.
  SimProcess sim(1, {"--sessions", "5", "--spare-users", "5", "--interval", "0.2"});
  TrafficFixture f(sim, 1);
  f.create("session_discovery: poll\nreissue_delay: 100ms");
  REQUIRE(wait_until([&] { return f.users("pppoe_traffic").size() == 5; }, 15s));
  const auto before = f.users("pppoe_traffic");

  REQUIRE(sim.control("churn 0 1") == "ok");
  REQUIRE(sim.control("fault 0 drop") == "ok");
  REQUIRE(wait_until([&] { return f.stat("routeros_traffic", "errors", "r0", "trap") >= 1; }, 15s));

  // The new user streams only from the re-issued command; after that, three
  // rounds carry exactly the current five users.
  REQUIRE(wait_until([&] { return !difference(f.users("pppoe_traffic"), before).empty(); }, 20s));
  f.h.clear_emitted();
  REQUIRE(wait_until([&] { return f.named("pppoe_traffic").size() >= 15; }, 10s));
  const auto now = f.users("pppoe_traffic");
  CHECK(now.size() == 5);
  CHECK(difference(now, before).size() == 1);
  CHECK(f.stat("routeros_traffic", "monitors_active", "r0") == 5);
}

TEST_CASE("stop() and destruction cancel the input's streams on the shared API session", "[routeros_traffic][sim]") {
  SimProcess sim(1, {"--sessions", "4", "--interval", "0.2"});
  TrafficFixture f(sim, 1);
  f.create("interfaces_per_command: 2\nreissue_delay: 100ms");
  auto api = f.registry->find("r0");
  REQUIRE(api);
  // /ppp/active/listen plus two monitor-traffic commands of two interfaces.
  REQUIRE(wait_until([&] { return api->counters().streams_active == 3 && f.users("pppoe_traffic").size() == 4; }, 15s));

  SECTION("stop") {
    f.h.stop(*f.input, f.h.last_context());
    f.input = nullptr;
    CHECK(f.stat("routeros_traffic", "pppoe_sessions_active", "r0") == 0);
    CHECK(f.stat("routeros_traffic", "monitors_active", "r0") == 0);
  }
  SECTION("dropped without stop") {
    f.input = nullptr;
    f.component.reset();  // the last reference: callbacks already queued find the input gone
  }
  REQUIRE(wait_until([&] { return api->counters().streams_active == 0; }, 10s));
  // The shared API session itself stays up for other users.
  CHECK(api->is_up());
}
