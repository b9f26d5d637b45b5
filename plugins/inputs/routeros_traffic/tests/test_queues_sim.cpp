// routeros_traffic simple queues against tools/routeros-sim (real API
// sessions on loopback ports of their own). The simulator's queues
// (tools/routeros-sim/model_queues.cpp, README "Simple queues"): one per
// PPPoE session, rate = the user's traffic (download tx = rate_base*(1+u%50),
// upload rx = tx/4), max-limit = (rx*2)/(tx*5/4), (rx*2)/tx for users ending
// in 5, 0/0 (unlimited) for every tenth user; dropped = packets/100 on limited queues; static queues
// `static-userNNNN` on the ARP addresses 10.(20+router).k/250.(k%250+1).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sim_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

/// Gathers until customer_queue metrics arrive (the PPPoE session table must
/// be in sync first); leaves only the last round's metrics in the harness.
MetricBatch gather_queues(TrafficFixture& f) {
  MetricBatch q;
  REQUIRE(wait_until(
      [&] {
        f.h.clear_emitted();
        if (!f.gather()) return false;
        q = f.named("customer_queue");
        return !q.empty();
      },
      15s));
  return q;
}

const Metric* by_queue(const MetricBatch& b, const std::string& queue) {
  for (const auto& m : b)
    if (*m.tag("queue") == queue) return &m;
  return nullptr;
}

std::set<std::string> tag_values(const MetricBatch& b, const std::string& tag) {
  std::set<std::string> out;
  for (const auto& m : b)
    if (const std::string* v = m.tag(tag)) out.insert(*v);
  return out;
}

}  // namespace

TEST_CASE("queues: dynamic <pppoe-USER> queues follow the per-user formulas; a static target adds its tags",
          "[routeros_traffic][queues][sim]") {
  const uint64_t base = 120000;
  SimProcess sim(1, {"--sessions", "20", "--static-queues", "6", "--rate-base", std::to_string(base)});
  TrafficFixture f(sim, 1);
  f.create(
      "monitor_traffic: false\nsystem: false\n"
      "static_targets: ['10.20.0.2 customer_id=S-1', '10.20.0.3 customer_id=S-2 router=r1']");
  const MetricBatch q = gather_queues(f);
  // queues: pppoe (default): the 20 PPPoE queues and the one static queue matched on this router.
  REQUIRE(q.size() == 21);
  CHECK(tag_values(q, "pppoe_user") == f.users("pppoe_session"));
  for (const auto& m : q) {
    INFO(to_line_protocol(m));
    CHECK(m.name() == "customer_queue");
    CHECK(*m.tag("router") == "r0");
    if (!m.tag("pppoe_user")) continue;
    const std::string user = *m.tag("pppoe_user");
    const uint64_t n = user_number(user), tx = base * (1 + n % 50), rx = tx / 4;
    CHECK(*m.tag("queue") == "<pppoe-" + user + ">");
    CHECK(*m.tag("target") == "<pppoe-" + user + ">");
    CHECK(num(m, "download_bps") == double(tx));
    CHECK(num(m, "upload_bps") == double(rx));
    CHECK(num(m, "download_bytes") > 0);
    CHECK(num(m, "download_packets") > 0);
    if (n % 10 == 0) {  // unlimited
      CHECK_FALSE(m.field("download_limit_bps"));
      CHECK_FALSE(m.field("download_utilization"));
      CHECK_FALSE(m.field("upload_utilization"));
      CHECK(num(m, "download_dropped") == 0);
    } else {
      const bool at_package = n % 10 == 5;
      CHECK(num(m, "download_limit_bps") == double(at_package ? tx : tx * 5 / 4));
      CHECK(num(m, "upload_limit_bps") == double(rx * 2));
      CHECK(num(m, "download_utilization") == Approx(at_package ? 1.0 : 0.8));
      CHECK(num(m, "upload_utilization") == Approx(0.5));
      CHECK(num(m, "download_dropped") == std::floor(num(m, "download_packets") / 100));
      CHECK(num(m, "download_queued_bytes") == 3000);
    }
  }
  const Metric* s = by_queue(q, "static-user0001");
  REQUIRE(s);
  INFO(to_line_protocol(*s));
  CHECK(*s->tag("customer_id") == "S-1");
  CHECK(*s->tag("target") == "10.20.0.2/32");
  CHECK_FALSE(s->tag("pppoe_user"));
  CHECK(num(*s, "download_limit_bps") == 50e6);  // printed as 10M/50M
  CHECK(num(*s, "upload_limit_bps") == 10e6);
  CHECK(num(*s, "download_bps") == double(base * 2 / 4));
  CHECK(num(*s, "download_utilization") == Approx(double(base * 2 / 4) / 50e6));
  CHECK_FALSE(by_queue(q, "static-user0002"));  // its target names router r1
  CHECK(f.stat("routeros_traffic", "queues_reported", "r0") == 21);
  CHECK(f.stat("routeros_traffic", "queues_unmatched", "r0") == 5);
  CHECK_FALSE(f.stat("routeros_traffic", "errors", "r0", "parse") > 0);  // absent or 0 (registered up front)
}

TEST_CASE("queues: all reports unmatched queues with their own name; 512k/2M and 0/0 limits",
          "[routeros_traffic][queues][sim]") {
  SimProcess sim(1, {"--sessions", "4", "--static-queues", "3", "--pppoe-queues", "dynamic"});
  TrafficFixture f(sim, 1);
  f.create("monitor_traffic: false\nsystem: false\nqueues: all");
  const MetricBatch q = gather_queues(f);
  REQUIRE(q.size() == 7);
  const Metric* k2 = by_queue(q, "static-user0002");  // 512k/2M
  REQUIRE(k2);
  CHECK(k2->tags().size() == 3);  // router, queue, target
  CHECK(num(*k2, "download_limit_bps") == 2e6);
  CHECK(num(*k2, "upload_limit_bps") == 512e3);
  const Metric* k3 = by_queue(q, "static-user0003");  // 0/0
  REQUIRE(k3);
  CHECK_FALSE(k3->field("download_limit_bps"));
  CHECK_FALSE(k3->field("download_utilization"));
}

TEST_CASE("queues: customers' own queue names match by pattern, or by the session's address",
          "[routeros_traffic][queues][sim]") {
  SimProcess sim(1, {"--sessions", "8", "--pppoe-queues", "named"});
  TrafficFixture f(sim, 1);
  SECTION("queue_name_patterns") {
    f.create("monitor_traffic: false\nsystem: false\nqueue_name_patterns: ['vip-{user}', 'customer-{user}']");
  }
  SECTION("the target address is the PPPoE session's address") { f.create("monitor_traffic: false\nsystem: false"); }
  const MetricBatch q = gather_queues(f);
  REQUIRE(q.size() == 8);
  CHECK(tag_values(q, "pppoe_user") == f.users("pppoe_session"));
  for (const auto& m : q) {
    INFO(to_line_protocol(m));
    CHECK(*m.tag("queue") == "customer-" + *m.tag("pppoe_user"));
    CHECK(m.tag("target")->rfind("100.64.", 0) == 0);
  }
}

TEST_CASE("queues: PPPoE churn replaces queues with the sessions, nothing stale", "[routeros_traffic][queues][sim]") {
  SimProcess sim(1, {"--sessions", "10", "--spare-users", "10"});
  TrafficFixture f(sim, 1);
  f.create("monitor_traffic: false\nsystem: false");
  const auto before = tag_values(gather_queues(f), "pppoe_user");
  REQUIRE(before.size() == 10);

  REQUIRE(sim.control("churn 0 4") == "ok");
  std::set<std::string> after;
  REQUIRE(wait_until(
      [&] {
        after = tag_values(gather_queues(f), "pppoe_user");
        return after != before && f.users("pppoe_session") == after;
      },
      15s));
  CHECK(after.size() == 10);
  std::set<std::string> sessions = f.users("pppoe_session");
  CHECK(after == sessions);
  size_t gone = 0;
  for (const auto& u : before) gone += after.count(u) ? 0 : 1;
  CHECK(gone > 0);
  CHECK(f.stat("routeros_traffic", "queues_reported", "r0") == 10);
}

TEST_CASE("queues: one static_targets_file for every router; a `router` tag keeps an entry on its router",
          "[routeros_traffic][queues][sim]") {
  const auto file =
      std::filesystem::temp_directory_path() / ("rp_queues_static_" + std::to_string(::getpid()) + ".txt");
  // Router i's static queue k targets 10.(20+i).(k/250).(k%250+1)/32.
  std::ofstream(file) << "# static customers\n"
                         "10.20.0.2 customer_id=A router=r0\n"
                         "10.21.0.2 customer_id=B router=r1\n"
                         "10.21.0.3 customer_id=C router=r0\n"  // r1's address, but r0 named as its gateway
                         "10.20.0.4 customer_id=D\n";           // no router tag: any router
  SimProcess sim(2, {"--sessions", "2", "--static-queues", "3"});
  TrafficFixture f(sim, 2);
  f.create("monitor_traffic: false\nsystem: false\nstatic_targets_file: " + file.string());
  MetricBatch q;
  REQUIRE(wait_until(
      [&] {
        f.h.clear_emitted();
        if (!f.gather()) return false;
        q = f.named("customer_queue");
        return q.size() == 4 + 2 + 1;  // PPPoE queues of both routers, A + D on r0, B on r1
      },
      15s));
  std::set<std::string> got;
  for (const auto& m : q)
    if (const std::string* c = m.tag("customer_id")) got.insert(*m.tag("router") + ":" + *m.tag("queue") + ":" + *c);
  CHECK(got == std::set<std::string>{"r0:static-user0001:A", "r0:static-user0003:D", "r1:static-user0001:B"});
  std::filesystem::remove(file);
}
