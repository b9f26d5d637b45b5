// Output `prometheus` hosted like the agent does it (real plugin .so, real
// HttpServer on loopback), scraped over HTTP and linted with promtool.
#include <catch2/catch.hpp>
#include <thread>

#include "harness.hpp"
#include "http_client.hpp"
#include "promtool.hpp"
#include "routerpulse/http_server.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  Harness h;
  HttpServer server{h.io, h.stats, h.health, nullptr};
  std::unique_ptr<Component> comp;
  Output* out = nullptr;

  explicit Fixture(const std::string& yaml = "{}") {
    HttpServerSettings s;
    s.port = 0;
    server.configure(s);
    server.start();
    h.http = &server;
    comp = h.create(PluginKind::output, "prometheus", yaml);
    out = dynamic_cast<Output*>(comp.get());
    REQUIRE(out);
    h.start(*comp, h.last_context());
  }
  ~Fixture() {
    if (comp) h.stop(*comp, h.last_context());
    comp.reset();
  }
  void write(const MetricBatch& b) {
    auto r = h.write(*out, h.last_context(), b);
    REQUIRE(r);
    REQUIRE(r->ok);
  }
  std::string scrape() {
    auto r = http_get(server.port(), "/metrics");
    REQUIRE(r.status == 200);
    return r.body;
  }
  uint64_t counter(const std::string& name) { return h.stats.counter("output", name, "", {{"output", "prometheus"}}).value(); }
};

bool has_line(const std::string& body, const std::string& line) {
  return body.find("\n" + line + "\n") != std::string::npos;
}

Metric session(const std::string& user, uint64_t rx_bps, double tx_bps) {
  Metric m("pppoe_traffic", 0, MetricType::gauge);
  m.set_tag("router", "pop1-core").set_tag("interface", "<pppoe-" + user + ">").set_tag("pppoe_user", user);
  m.set_field("rx_bps", rx_bps).set_field("tx_bps", tx_bps);
  return m;
}

}  // namespace

TEST_CASE("numeric fields become <metric>_<field> series with tags as labels; promtool accepts the scrape") {
  Fixture f;
  Metric traffic = session("alice", 1200, 350.5);
  traffic.set_field("active", true).set_field("comment", std::string("vip customer"));

  Metric iface("interface", 0, MetricType::counter);
  iface.set_tag("router", "pop1-core").set_tag("name", "ether1");
  iface.set_field("rx_bytes", uint64_t{18446744073709551615ull}).set_field("tx_bytes", int64_t{-0});
  iface.set_field("rx_packets_total", uint64_t{5});

  Metric icmp("icmp");  // untyped
  icmp.set_tag("target", "10.1.0.2");
  icmp.set_field("rtt_ms", 1.25).set_field("loss_ratio", 0.0).set_field("uptime_s", int64_t{90});

  f.write({traffic, iface, icmp});
  auto body = f.scrape();
  INFO(body);

  CHECK(has_line(body, "# TYPE pppoe_traffic_rx_bps gauge"));
  CHECK(has_line(body, "# HELP pppoe_traffic_rx_bps Field rx_bps of metric pppoe_traffic (routerpulse)."));
  CHECK(has_line(body, "pppoe_traffic_rx_bps{interface=\"<pppoe-alice>\",pppoe_user=\"alice\",router=\"pop1-core\"} 1200"));
  CHECK(has_line(body, "pppoe_traffic_tx_bps{interface=\"<pppoe-alice>\",pppoe_user=\"alice\",router=\"pop1-core\"} 350.5"));
  CHECK(has_line(body, "pppoe_traffic_active{interface=\"<pppoe-alice>\",pppoe_user=\"alice\",router=\"pop1-core\"} 1"));
  CHECK(body.find("comment") == std::string::npos);  // string fields are not samples
  CHECK(f.counter("prometheus_string_fields_skipped_total") == 1);

  // Counters: TYPE counter and one `_total` suffix; integers print exactly.
  CHECK(has_line(body, "# TYPE interface_rx_bytes_total counter"));
  CHECK(has_line(body, "interface_rx_bytes_total{name=\"ether1\",router=\"pop1-core\"} 18446744073709551615"));
  CHECK(has_line(body, "interface_tx_bytes_total{name=\"ether1\",router=\"pop1-core\"} 0"));
  CHECK(has_line(body, "interface_rx_packets_total{name=\"ether1\",router=\"pop1-core\"} 5"));
  CHECK(body.find("_total_total") == std::string::npos);

  // Untyped metric; abbreviated units rewritten to base units (base_units: true).
  CHECK(has_line(body, "# TYPE icmp_rtt_seconds untyped"));
  CHECK(has_line(body, "icmp_rtt_seconds{target=\"10.1.0.2\"} 0.00125"));
  CHECK(has_line(body, "icmp_uptime_seconds{target=\"10.1.0.2\"} 90"));
  CHECK(has_line(body, "icmp_loss_ratio{target=\"10.1.0.2\"} 0"));

  CHECK(promtool_problems(body) == "");
  CHECK(f.counter("prometheus_samples_updated_total") == 9);
}

TEST_CASE("names are sanitised and label values escaped per text format 0.0.4") {
  Fixture f;
  Metric m("9if-stats.x");
  m.set_tag("vlan-id", "10").set_tag("__name__", "evil").set_tag("empty", "");
  m.set_tag("vlan_id", "dup").set_tag("comment", "say \"hi\"\\ now\nline2");
  m.set_field("rx/bytes", int64_t{1}).set_field("not-a-number", std::numeric_limits<double>::quiet_NaN());
  m.set_field("inf", -std::numeric_limits<double>::infinity());
  f.write({m});
  auto body = f.scrape();
  INFO(body);
  // vlan-id → vlan_id; the real `vlan_id` tag sorts after it and is dropped as a duplicate;
  // __name__ is reserved → tag__name__; empty values are absent labels.
  const std::string want = "{tag__name__=\"evil\",comment=\"say \\\"hi\\\"\\\\ now\\nline2\",vlan_id=\"10\"}";
  CHECK(has_line(body, "_9if_stats_x_rx_bytes" + want + " 1"));
  CHECK(has_line(body, "_9if_stats_x_not_a_number" + want + " NaN"));
  CHECK(has_line(body, "_9if_stats_x_inf" + want + " -Inf"));
  CHECK(body.find("empty=") == std::string::npos);
  CHECK(body.find("dup") == std::string::npos);
  CHECK(promtool_problems(body) == "");
}

TEST_CASE("the latest value wins; base_units: false keeps field names") {
  Fixture f("base_units: false");
  Metric a("icmp");
  a.set_tag("target", "t1");
  a.set_field("rtt_ms", 5.0);
  f.write({a});
  a.set_field("rtt_ms", 7.5);
  f.write({a});
  auto body = f.scrape();
  CHECK(has_line(body, "icmp_rtt_ms{target=\"t1\"} 7.5"));
  CHECK(body.find("icmp_rtt_ms{target=\"t1\"} 5\n") == std::string::npos);
  CHECK(f.h.stats.gauge("output", "prometheus_series", "", {{"output", "prometheus"}}).value() == 1);
}

TEST_CASE("expire_after removes series that stop arriving; live ones stay") {
  Fixture f("expire_after: 1s");
  f.write({session("alice", 10, 1), session("bob", 20, 2)});
  auto body = f.scrape();
  REQUIRE(body.find("pppoe_user=\"bob\"") != std::string::npos);

  // Alice keeps arriving, Bob's session ended.
  std::string last;
  bool gone = wait_until(
      [&] {
        f.write({session("alice", 11, 1)});
        last = f.scrape();
        return last.find("pppoe_user=\"bob\"") == std::string::npos;
      },
      60s);
  CHECK(gone);
  CHECK(last.find("pppoe_user=\"alice\"") != std::string::npos);
  CHECK(f.counter("prometheus_series_expired_total") == 2);  // bob's rx_bps and tx_bps
  CHECK(f.h.stats.gauge("output", "prometheus_series", "", {{"output", "prometheus"}}).value() == 2);
  CHECK(promtool_problems(last) == "");
}

TEST_CASE("stop() withdraws the series from /metrics") {
  Fixture f;
  f.write({session("alice", 10, 1)});
  CHECK(f.scrape().find("pppoe_traffic_rx_bps") != std::string::npos);
  f.h.stop(*f.comp, f.h.last_context());
  CHECK(f.scrape().find("pppoe_traffic_rx_bps") == std::string::npos);
  f.comp.reset();
}

TEST_CASE("writes during scrapes keep every scrape well-formed") {
  Fixture f;
  std::atomic<bool> run{true};
  std::atomic<int> failed_writes{0}, writes{0};
  std::thread writer([&] {  // no Catch2 assertions off the main thread
    for (uint64_t i = 0; run; ++i) {
      MetricBatch b;
      for (int u = 0; u < 200; ++u) b.push_back(session("u" + std::to_string(u), i, static_cast<double>(u)));
      auto r = f.h.write(*f.out, f.h.last_context(), b);
      ++writes;
      if (!r || !r->ok) ++failed_writes;
    }
  });
  std::vector<std::string> scrapes;
  for (int i = 0; i < 20; ++i) scrapes.push_back(f.scrape());
  run = false;
  writer.join();
  CHECK(writes > 0);
  CHECK(failed_writes == 0);
  for (size_t i = 0; i < scrapes.size(); i += 5) CHECK(promtool_problems(scrapes[i]) == "");
  CHECK(has_line(scrapes.back(), "# TYPE pppoe_traffic_rx_bps gauge"));
}

TEST_CASE("invalid options are config errors with the option path") {
  auto error_of = [](const std::string& yaml, bool with_http = true) -> std::string {
    Harness h;
    HttpServer server{h.io, h.stats, h.health, nullptr};
    if (with_http) h.http = &server;
    try {
      h.create(PluginKind::output, "prometheus", yaml);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(error_of("expire_after: soon").find("outputs.prometheus.expire_after: expected a duration") !=
        std::string::npos);
  CHECK(error_of("base_units: maybe").find("outputs.prometheus.base_units") != std::string::npos);
  CHECK(error_of("expire: 5m").find("outputs.prometheus.expire: unknown option") != std::string::npos);
  CHECK(error_of("{}", false).find("enable it with agent.http.listen") != std::string::npos);
  CHECK(error_of("expire_after: 0") == "no error");  // 0 = keep series forever
}
