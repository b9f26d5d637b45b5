// A real Prometheus server (Debian `prometheus`) scrapes the agent's HTTP
// server, hosting output `prometheus`, every second; its query API must return
// the series with their labels intact, and drop a session that ended. The
// output's time is a ManualClock: the session ends when the test moves it past
// expire_after, not after real seconds; only Prometheus' own scrape loop is
// waited for (bounded).
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "harness.hpp"
#include "http_client.hpp"
#include "http/http_server.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

const std::string kTricky = "we\"ird\\user\nline2";  // quote, backslash, newline

Metric traffic(const std::string& user, uint64_t rx_bps) {
  Metric m("pppoe_traffic", 0, MetricType::gauge);
  m.set_tag("router", "pop1-core").set_tag("pppoe_user", user).set_tag("vlan-id", "42");
  m.set_field("rx_bps", rx_bps);
  return m;
}

Metric bytes(const std::string& user, uint64_t rx) {
  Metric m("pppoe_traffic", 0, MetricType::counter);
  m.set_tag("router", "pop1-core").set_tag("pppoe_user", user).set_tag("vlan-id", "42");
  m.set_field("rx_bytes", rx);
  return m;
}

/// One round of the live sessions, as an input would write them.
MetricBatch sessions(const std::set<std::string>& live, uint64_t round) {
  MetricBatch b;
  for (const auto& u : live) {
    b.push_back(traffic(u, u == "alice" ? 1200 : 800));
    b.push_back(bytes(u, 1000 * round));
  }
  return b;
}

/// A Prometheus server with its own TSDB dir and port, scraping 127.0.0.1:target_port.
struct PrometheusServer {
  TempDir dir;
  int port = free_port();
  std::unique_ptr<Process> proc;

  explicit PrometheusServer(int target_port) {
    std::ofstream(dir.file("prometheus.yml")) << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                                                 "scrape_configs:\n  - job_name: routerpulse\n"
                                                 "    scrape_interval: 1s\n    scrape_timeout: 1s\n"
                                                 "    static_configs:\n      - targets: ['127.0.0.1:"
                                              << target_port << "']\n";
    proc = std::make_unique<Process>(
        std::vector<std::string>{"prometheus", "--config.file=" + dir.file("prometheus.yml"),
                                 "--storage.tsdb.path=" + dir.file("data"),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"},
        dir.file("prometheus.log"));
  }

  /// Instant query; returns data.result (empty array on any failure).
  nlohmann::json query(const std::string& expr) {
    try {
      auto r = http_get(port, "/api/v1/query?query=" + url_encode(expr));
      if (r.status != 200) return nlohmann::json::array();
      auto j = nlohmann::json::parse(r.body);
      return j["status"] == "success" ? j["data"]["result"] : nlohmann::json::array();
    } catch (const std::exception&) {
      return nlohmann::json::array();
    }
  }

  std::string log() {
    std::string s;
    run_command("cat " + dir.file("prometheus.log"), &s);
    return s;
  }
};

}  // namespace

TEST_CASE("a real Prometheus scrapes the agent: labels round-trip and ended sessions disappear") {
  Harness h;
  ManualClock clock;  // outlives the component (declared later); goes before the harness unloads the plugin
  HttpServer server{h.io, h.stats, h.health, nullptr};
  HttpServerSettings hs;
  hs.port = 0;
  hs.api_key = "only-for-control-routes";  // /metrics stays open to the scraper
  server.configure(hs);
  server.start();
  h.http = &server;
  h.clock = &clock;
  auto comp = h.create(PluginKind::output, "prometheus", "expire_after: 3s");
  auto* out = dynamic_cast<Output*>(comp.get());
  REQUIRE(out);
  PluginContext& ctx = h.last_context();
  h.start(*comp, ctx);
  auto write = [&](const MetricBatch& b) {
    auto r = h.write(*out, ctx, b);
    REQUIRE(r);
    CHECK(r->ok);
  };

  // Sessions currently up. The ManualClock stands still, so they stay until the test moves it.
  write(sessions({"alice", "bob", kTricky}, 1));

  PrometheusServer prom(server.port());
  auto expect = [&](bool ok, const char* what) {
    if (!ok) FAIL_CHECK(what << "\nprometheus log:\n" << prom.log());
    return ok;
  };
  REQUIRE(expect(wait_for_port(prom.port, 60s), "prometheus listens"));

  // Prometheus reaches the agent (it sends Accept-Encoding: gzip, so this also
  // exercises compressed responses).
  expect(wait_until([&] { return prom.query("up{job=\"routerpulse\"} == 1").size() == 1; }, 60s),
         "prometheus scrapes the agent (up == 1)");

  nlohmann::json series;
  REQUIRE(expect(wait_until(
                     [&] {
                       series = prom.query("pppoe_traffic_rx_bps");
                       return series.size() == 3;
                     },
                     60s),
                 "three pppoe_traffic_rx_bps series"));
  std::set<std::string> users;
  for (const auto& s : series) {
    const auto& m = s["metric"];
    CHECK(m["__name__"] == "pppoe_traffic_rx_bps");
    CHECK(m["job"] == "routerpulse");
    CHECK(m["router"] == "pop1-core");
    CHECK(m["vlan_id"] == "42");  // sanitised label name
    std::string user = m["pppoe_user"];
    users.insert(user);
    CHECK(s["value"][1] == (user == "alice" ? "1200" : "800"));
  }
  // The tricky value came back byte for byte through the exposition and Prometheus.
  CHECK(users == std::set<std::string>{"alice", "bob", kTricky});

  auto counter = prom.query("pppoe_traffic_rx_bytes_total{pppoe_user=\"alice\"}");
  REQUIRE(counter.size() == 1);
  CHECK(counter[0]["value"][1] == "1000");
  // Agent self-metrics come from the same endpoint, under the plugin's name with the instance label.
  expect(wait_until([&] { return prom.query("routerpulse_prometheus_series{output=\"prometheus\"} == 6").size() == 1; },
                    60s),
         "self-metric routerpulse_prometheus_series == 6");

  // Bob's session ends: alice and the tricky user keep arriving for 2 s more,
  // then bob's samples (from t=0) are 4 s old, past expire_after (3 s). His
  // series leave /metrics and Prometheus marks them stale.
  clock.advance(2s);
  write(sessions({"alice", kTricky}, 2));
  clock.advance(2s);
  expect(wait_until([&] { return prom.query("pppoe_traffic_rx_bps{pppoe_user=\"bob\"}").empty(); }, 60s),
         "bob's series disappear");
  CHECK(prom.query("pppoe_traffic_rx_bytes_total{pppoe_user=\"bob\"}").empty());
  CHECK(prom.query("pppoe_traffic_rx_bps{pppoe_user=\"alice\"}").size() == 1);
  expect(wait_until(
             [&] { return prom.query("pppoe_traffic_rx_bytes_total{pppoe_user=\"alice\"} == 2000").size() == 1; }, 60s),
         "alice's counter advanced to 2000");
  CHECK(h.stats.counter("prometheus", "series_expired_total", "", {{"output", "prometheus"}}).value() == 2);

  h.stop(*comp, ctx);
}
