// The main job end to end, with the demo's own config (etc/demo.yaml):
// routeros-sim (3 routers, churn) → routerpulse (routeros_traffic → pg_enrich
// → lua alerts) → Redis Streams + Prometheus (a real server scrapes the agent)
// + file. One router's connection is dropped mid-run.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <fstream>
#include <map>
#include <regex>
#include <memory>
#include <set>
#include <sstream>

#include "harness.hpp"
#include "http_client.hpp"
#include "pg_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

std::string control(int port, const std::string& cmd) {
  std::string out;
  run_command(
      "printf '" + cmd +
          "\\n' | timeout 5 /usr/bin/python3 -c 'import socket,sys; s=socket.create_connection((\"127.0.0.1\"," +
          std::to_string(port) + ")); s.sendall(sys.stdin.buffer.read()); print(s.makefile().readline().strip())'",
      &out);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

/// Every entry of a stream as parsed JSON (`data` field), via redis-cli.
std::vector<nlohmann::json> read_stream(int port, const std::string& key) {
  std::string out;
  run_command("redis-cli -p " + std::to_string(port) + " --raw XRANGE " + key + " - +", &out);
  std::vector<nlohmann::json> entries;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] == '{') entries.push_back(nlohmann::json::parse(line));
  return entries;
}

uint64_t sim_samples(int control_port) {
  auto j = nlohmann::json::parse(control(control_port, "stats"));
  return j["monitor_samples_sent"].get<uint64_t>();
}

}  // namespace

TEST_CASE("the demo POP pipeline delivers enriched customer traffic end to end", "[e2e]") {
  TempDir dir;
  const int kRouters = 3, kSessions = 40;

  // Routers: churn replaces a session every 3 s per router.
  // The simulator needs three consecutive free ports; a probe can race with
  // another process, so a simulator that exits without listening is retried
  // on other ports (its log is shown when every attempt fails).
  int sim_base = 0, sim_control = 0;
  std::unique_ptr<Process> sim;
  std::string sim_logs;
  for (int attempt = 0; attempt < 5 && !sim; ++attempt) {
    sim_base = free_port();
    while (sim_base + 2 > 65535 || wait_for_port(sim_base + 1, 1ms) || wait_for_port(sim_base + 2, 1ms))
      sim_base = free_port();
    sim_control = free_port();
    auto log = dir.file("sim-" + std::to_string(attempt) + ".log");
    auto p = std::make_unique<Process>(
        std::vector<std::string>{build_dir() + "/routeros-sim", "--routers", std::to_string(kRouters), "--base-port",
                                 std::to_string(sim_base), "--sessions", std::to_string(kSessions), "--churn", "20",
                                 "--password", "e2e", "--control-port", std::to_string(sim_control)},
        log);
    auto listening = [&] { return read_file(log).find("listening") != std::string::npos; };
    wait_until([&] { return listening() || !p->running(); }, 20s);
    if (listening())
      sim = std::move(p);
    else
      sim_logs += "attempt " + std::to_string(attempt) + ": " + read_file(log) + "\n";
  }
  INFO(sim_logs);
  REQUIRE(sim);

  // Redis and PostgreSQL of our own.
  int redis_port = free_port();
  Process redis({"redis-server", "--port", std::to_string(redis_port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", dir.path()},
                dir.file("redis.log"));
  REQUIRE(wait_for_port(redis_port, 10s));
  PgServer pg;
  pg.load_schema();
  pg.sql_file(source_dir() + "/etc/demo-seed.sql");

  // The agent, with etc/demo.yaml.
  int http_port = free_port();
  std::string out_file = dir.file("agent.out");
  std::vector<std::string> env{
      "RP_DEMO_ROUTER_PASSWORD=e2e",
      "RP_DEMO_ROUTER1_PORT=" + std::to_string(sim_base),
      "RP_DEMO_ROUTER2_PORT=" + std::to_string(sim_base + 1),
      "RP_DEMO_ROUTER3_PORT=" + std::to_string(sim_base + 2),
      "RP_DEMO_HTTP_PORT=" + std::to_string(http_port),
      "RP_DEMO_REDIS_URL=redis://127.0.0.1:" + std::to_string(redis_port) + "/0",
      "RP_DEMO_PG_DSN=" + pg.dsn(),
      "RP_DEMO_FILE=" + out_file,
  };
  Process agent({build_dir() + "/routerpulse", "run", "-c", source_dir() + "/etc/demo.yaml"}, dir.file("agent.log"),
                env);
  REQUIRE(wait_for_port(http_port, 20s));

  // A real Prometheus scraping the agent every second.
  int prom_port = free_port();
  {
    std::ofstream f(dir.file("prometheus.yml"));
    f << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
         "scrape_configs:\n  - job_name: routerpulse\n    static_configs: [{targets: ['127.0.0.1:"
      << http_port << "']}]\n";
  }
  Process prom({"prometheus", "--config.file=" + dir.file("prometheus.yml"), "--storage.tsdb.path=" + dir.file("tsdb"),
                "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
               dir.file("prometheus.log"));

  // Run, break router 2's connection after 8 s, keep running.
  std::this_thread::sleep_for(8s);
  REQUIRE(control(sim_control, "fault 1 drop") == "ok");
  auto fault_ns = now_ns();
  std::this_thread::sleep_for(20s);

  // Prometheus has the series with the enrichment labels (query before stopping).
  nlohmann::json prom_result;
  bool prom_ok = wait_until(
      [&] {
        auto r = http_get(prom_port, "/api/v1/query?query=" +
                                         url_encode("pppoe_traffic_download_bits_per_second{customer_id!=\"\"}"));
        if (r.status != 200) return false;
        prom_result = nlohmann::json::parse(r.body, nullptr, false);
        return prom_result.is_object() &&
               prom_result["data"]["result"].size() >= static_cast<size_t>(kRouters * kSessions / 2);
      },
      30s);
  CHECK(prom_ok);
  if (prom_ok) {
    auto& s = prom_result["data"]["result"][0]["metric"];
    CHECK(s.contains("router"));
    CHECK(s.contains("pppoe_user"));
    CHECK(s.contains("package"));
  }

  // Ended sessions expire from /metrics: only about the live sessions remain,
  // although churn has shown the agent more users than that.
  auto metrics = http_get(http_port, "/metrics").body;
  std::set<std::string> live_users;
  std::regex series_re("^pppoe_traffic_download_bits_per_second\\{[^}]*pppoe_user=\"([^\"]+)\"");
  std::istringstream ms(metrics);
  for (std::string line; std::getline(ms, line);) {
    std::smatch m;
    if (std::regex_search(line, m, series_re)) live_users.insert(m[1]);
  }
  // The faulty router recovered: its session reconnected.
  CHECK_THAT(metrics, Catch::Contains("routerpulse_routeros_reconnects_total{router=\"pop1-r2\"}"));

  // Stop the agent: it drains its outputs and exits 0.
  agent.signal(SIGTERM);
  auto rc = agent.wait(30s);
  REQUIRE(rc.has_value());
  CHECK(*rc == 0);
  uint64_t sent = sim_samples(sim_control);

  auto entries = read_stream(redis_port, "mikrotik:traffic:customers");
  REQUIRE(!entries.empty());
  std::set<std::string> seen_users;
  std::set<std::pair<std::string, int64_t>> unique_samples;
  size_t unenriched = 0, after_fault_r2 = 0;
  for (const auto& e : entries) {
    CHECK(e["name"] == "pppoe_traffic");
    const auto& t = e["tags"];
    if (!t.contains("customer_id") || !t.contains("package") || t.contains("enrich")) ++unenriched;
    seen_users.insert(t.value("pppoe_user", ""));
    unique_samples.insert({t.value("pppoe_user", "") + "@" + t.value("router", ""), e["time"].get<int64_t>()});
    if (t.value("router", "") == "pop1-r2" && e["time"].get<int64_t>() > fault_ns + 5'000'000'000) ++after_fault_r2;
  }
  // Every Redis entry is enriched with the customer fields.
  CHECK(unenriched == 0);
  // The faulty router's customers kept flowing after it recovered.
  CHECK(after_fault_r2 > 0);
  // Counting against the simulator (at-least-once): Redis never holds a
  // sample the simulator did not send, and misses at most what was in flight
  // when a connection closed (router 2's drop, the agent's shutdown): a few
  // rounds of one router's sessions.
  INFO("sent=" << sent << " redis=" << entries.size() << " unique=" << unique_samples.size());
  CHECK(unique_samples.size() <= sent);
  CHECK(unique_samples.size() + static_cast<size_t>(4 * kRouters * kSessions) >= sent);
  CHECK(entries.size() - unique_samples.size() <= entries.size() / 10);  // duplicates only from retried batches

  // Expiry: churn made the agent see more users than are live now.
  INFO("users seen=" << seen_users.size() << " live series=" << live_users.size());
  CHECK(seen_users.size() > static_cast<size_t>(kRouters * kSessions));
  CHECK(live_users.size() <= static_cast<size_t>(kRouters * kSessions + 10));
  CHECK(live_users.size() >= static_cast<size_t>(kRouters * kSessions / 2));

  // Alerts reached their own stream (50M customers at ≥95% for 10 s).
  auto alerts = read_stream(redis_port, "mikrotik:alerts");
  CHECK(!alerts.empty());
  for (const auto& a : alerts) CHECK(a["tags"]["alertname"] == "customer_near_package");

  // The file output got the same traffic.
  CHECK(read_file(out_file).find("pppoe_traffic,") != std::string::npos);
}
