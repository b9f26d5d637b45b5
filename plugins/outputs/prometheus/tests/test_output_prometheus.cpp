// Output `prometheus` hosted like the agent does it (real plugin .so, real
// HttpServer on loopback), scraped over HTTP and linted with promtool. Time is
// a ManualClock: expiry is checked exactly and instantly, never by waiting.
#include <catch2/catch.hpp>
#include <limits>
#include <thread>

#include "harness.hpp"
#include "http/http_server.hpp"
#include "http_client.hpp"
#include "promtool.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  Harness h;
  // After the harness: the clock's queue holds timer callbacks (plugin code), so
  // it must go before the harness unloads the plugin; the component (and its
  // timer) is reset in ~Fixture, before either.
  ManualClock clock;
  HttpServer server{h.io, h.stats, h.health, nullptr};
  std::shared_ptr<Component> comp;
  Output* out = nullptr;

  explicit Fixture(const std::string& yaml = "{}") {
    HttpServerSettings s;
    s.port = 0;
    server.configure(s);
    server.start();
    h.http = &server;
    h.clock = &clock;
    comp = h.create(PluginKind::output, "prometheus", yaml);
    out = dynamic_cast<Output*>(comp.get());
    REQUIRE(out);
    h.start(*comp, ctx());
  }
  ~Fixture() {
    if (comp) h.stop(*comp, ctx());
    comp.reset();
  }
  PluginContext& ctx() { return h.last_context(); }
  void write(const MetricBatch& b) {
    auto r = h.write(*out, ctx(), b);
    REQUIRE(r);
    REQUIRE(r->ok);
  }
  std::string scrape() {
    auto r = http_get(server.port(), "/metrics");
    REQUIRE(r.status == 200);
    return r.body;
  }
  /// Waits until everything already queued on the output's strand (e.g. a
  /// timer callback posted by clock.advance) has run.
  void drain() {
    h.run_on(ctx(), [] {});
  }
  /// routerpulse_prometheus_<name>{output="prometheus"}
  uint64_t counter(const std::string& name) {
    return h.stats.counter("prometheus", name, "", {{"output", "prometheus"}}).value();
  }
  double series() { return h.stats.gauge("prometheus", "series", "", {{"output", "prometheus"}}).value(); }
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

bool serves(const std::string& body, const std::string& user) {
  return body.find("pppoe_user=\"" + user + "\"") != std::string::npos;
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
  CHECK(has_line(body,
                 "pppoe_traffic_rx_bps{interface=\"<pppoe-alice>\",pppoe_user=\"alice\",router=\"pop1-core\"} 1200"));
  CHECK(has_line(body,
                 "pppoe_traffic_tx_bps{interface=\"<pppoe-alice>\",pppoe_user=\"alice\",router=\"pop1-core\"} 350.5"));
  CHECK(
      has_line(body, "pppoe_traffic_active{interface=\"<pppoe-alice>\",pppoe_user=\"alice\",router=\"pop1-core\"} 1"));
  CHECK(body.find("comment") == std::string::npos);  // string fields are not samples
  CHECK(f.counter("string_fields_skipped_total") == 1);

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
  CHECK(f.counter("samples_updated_total") == 9);
  CHECK(f.series() == 9);
  // The self-metrics carry the instance label from the engine, under the plugin's name.
  CHECK(body.find("routerpulse_prometheus_samples_updated_total{output=\"prometheus\"} 9\n") != std::string::npos);
  CHECK(body.find("routerpulse_prometheus_series{output=\"prometheus\"} 9\n") != std::string::npos);
}

TEST_CASE("names are sanitised and label values escaped per text format 0.0.4") {
  Fixture f;
  Metric m("9if-stats.x");
  m.set_tag("vlan-id", "10").set_tag("__name__", "evil").set_tag("empty", "");
  m.set_tag("vlan_id", "dup").set_tag("comment", "say \"hi\"\\ now\nline2");
  m.set_field("rx/bytes", int64_t{1}).set_field("not-a-number", std::numeric_limits<double>::quiet_NaN());
  m.set_field("inf", -std::numeric_limits<double>::infinity());
  m.set_field("up_h", std::numeric_limits<double>::infinity());  // scaled to seconds, still +Inf
  f.write({m});
  auto body = f.scrape();
  INFO(body);
  // vlan-id → vlan_id; the real `vlan_id` tag sorts after it and is dropped as a duplicate;
  // __name__ is reserved → tag__name__; empty values are absent labels.
  const std::string want = "{tag__name__=\"evil\",comment=\"say \\\"hi\\\"\\\\ now\\nline2\",vlan_id=\"10\"}";
  CHECK(has_line(body, "_9if_stats_x_rx_bytes" + want + " 1"));
  CHECK(has_line(body, "_9if_stats_x_not_a_number" + want + " NaN"));
  CHECK(has_line(body, "_9if_stats_x_inf" + want + " -Inf"));
  CHECK(has_line(body, "_9if_stats_x_up_seconds" + want + " +Inf"));
  CHECK(body.find("empty=") == std::string::npos);
  CHECK(body.find("dup") == std::string::npos);
  CHECK(promtool_problems(body) == "");
}

TEST_CASE("base units: every abbreviated suffix is rewritten and scaled; others are left alone") {
  Fixture f;
  Metric m("t");
  m.set_field("a_ns", int64_t{1500}).set_field("b_us", uint64_t{250}).set_field("c_ms", 1.25);
  m.set_field("d_s", int64_t{3}).set_field("e_sec", 2.5).set_field("f_secs", uint64_t{7});
  m.set_field("g_h", int64_t{2}).set_field("h_d", 0.5).set_field("i_b", uint64_t{4096});
  m.set_field("j_m", int64_t{5}).set_field("k_kb", int64_t{6}).set_field("ms", int64_t{8});
  f.write({m});
  auto body = f.scrape();
  INFO(body);
  CHECK(has_line(body, "t_a_seconds 1.5e-06"));
  CHECK(has_line(body, "t_b_seconds 0.00025"));
  CHECK(has_line(body, "t_c_seconds 0.00125"));
  CHECK(has_line(body, "t_d_seconds 3"));  // factor 1: the integer is kept exact
  CHECK(has_line(body, "t_e_seconds 2.5"));
  CHECK(has_line(body, "t_f_seconds 7"));
  CHECK(has_line(body, "t_g_seconds 7200"));
  CHECK(has_line(body, "t_h_seconds 43200"));
  CHECK(has_line(body, "t_i_bytes 4096"));
  CHECK(has_line(body, "t_j_m 5"));   // minutes or metres: ambiguous, untouched
  CHECK(has_line(body, "t_k_kb 6"));  // 1000 or 1024: ambiguous, untouched
  CHECK(has_line(body, "t_ms 8"));    // no `_` before the unit: not a suffix
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
  CHECK(f.series() == 1);
  CHECK(f.counter("samples_updated_total") == 2);
}

TEST_CASE("expire_after removes a series exactly when it is older than expire_after; live ones stay") {
  Fixture f("expire_after: 10s");
  f.write({session("alice", 10, 1), session("bob", 20, 2)});
  f.clock.advance(6s);
  f.write({session("alice", 11, 1)});  // alice keeps arriving; bob's session ended at t=0
  f.clock.advance(4s);                 // t=10s: bob's samples are exactly expire_after old

  auto body = f.scrape();
  CHECK(serves(body, "bob"));
  CHECK(f.counter("series_expired_total") == 0);

  f.clock.advance(1ns);  // one nanosecond later they are older than expire_after
  body = f.scrape();
  INFO(body);
  CHECK_FALSE(serves(body, "bob"));
  CHECK(
      has_line(body, "pppoe_traffic_rx_bps{interface=\"<pppoe-alice>\",pppoe_user=\"alice\",router=\"pop1-core\"} 11"));
  CHECK(f.counter("series_expired_total") == 2);  // bob's rx_bps and tx_bps
  CHECK(f.series() == 2);
  CHECK(promtool_problems(body) == "");

  // A session that comes back is a new series again.
  f.write({session("bob", 30, 3)});
  CHECK(serves(f.scrape(), "bob"));
  CHECK(f.series() == 4);
}

TEST_CASE("the periodic sweep (every expire_after/2, on ctx.clock) drops expired series without a scrape") {
  Fixture f("expire_after: 10s");
  CHECK(f.clock.pending() == 1);  // armed by start()
  f.write({session("bob", 20, 2)});
  CHECK(f.series() == 2);

  CHECK(f.clock.advance(5s) == 1);  // first sweep: bob is 5 s old and stays
  f.drain();
  CHECK(f.counter("series_expired_total") == 0);
  CHECK(f.series() == 2);
  CHECK(f.clock.pending() == 1);  // re-armed for t=10s

  CHECK(f.clock.advance(6s) == 1);  // t=11s: the second sweep finds bob 11 s old
  CHECK(wait_until([&] { return f.counter("series_expired_total") == 2; }, 10s));
  f.drain();
  CHECK(f.series() == 0);
}

TEST_CASE("without expire_after series expire after max(60s, 2 x agent.interval); 0 keeps them forever") {
  SECTION("default: the harness interval is 10s, so 60s") {
    Fixture f;
    f.write({session("alice", 10, 1)});
    f.clock.advance(60s);
    CHECK(serves(f.scrape(), "alice"));
    f.clock.advance(1ns);
    CHECK_FALSE(serves(f.scrape(), "alice"));
  }
  SECTION("0: never, and no sweep timer") {
    Fixture f("expire_after: 0");
    CHECK(f.clock.pending() == 0);
    f.write({session("alice", 10, 1)});
    f.clock.advance(24h * 365);
    CHECK(serves(f.scrape(), "alice"));
    CHECK(f.counter("series_expired_total") == 0);
  }
}

TEST_CASE("stop() withdraws the series from /metrics and cancels the sweep") {
  Fixture f("expire_after: 10s");
  f.write({session("alice", 10, 1)});
  CHECK(f.scrape().find("pppoe_traffic_rx_bps") != std::string::npos);
  f.h.stop(*f.comp, f.ctx());
  CHECK(f.scrape().find("pppoe_traffic_rx_bps") == std::string::npos);
  CHECK(f.clock.pending() == 0);
  CHECK(f.clock.advance(1h) == 0);
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
      auto r = f.h.write(*f.out, f.ctx(), b);
      ++writes;
      if (!r || !r->ok) ++failed_writes;
    }
  });
  // Scrape while the writer is running (wait until it has written at least once).
  REQUIRE(wait_until([&] { return writes > 0; }, 10s));
  std::vector<std::string> scrapes;
  for (int i = 0; i < 20; ++i) scrapes.push_back(f.scrape());
  run = false;
  writer.join();
  CHECK(failed_writes == 0);
  for (size_t i = 0; i < scrapes.size(); i += 5) CHECK(promtool_problems(scrapes[i]) == "");
  CHECK(has_line(scrapes.back(), "# TYPE pppoe_traffic_rx_bps gauge"));
}

TEST_CASE("invalid options are config errors with the option path, from check and from create") {
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
  auto check_error_of = [](const std::string& yaml) -> std::string {
    Harness h;
    try {
      h.validate(PluginKind::output, "prometheus", yaml);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(error_of("expire_after: soon").find("outputs.prometheus.expire_after: expected a duration") !=
        std::string::npos);
  CHECK(check_error_of("expire_after: soon").find("outputs.prometheus.expire_after: expected a duration") !=
        std::string::npos);
  CHECK(check_error_of("expire_after: -5s").find("outputs.prometheus.expire_after") != std::string::npos);
  CHECK(error_of("base_units: maybe").find("outputs.prometheus.base_units") != std::string::npos);
  CHECK(check_error_of("base_units: maybe").find("outputs.prometheus.base_units") != std::string::npos);
  CHECK(check_error_of("expire: 5m").find("outputs.prometheus.expire: unknown option") != std::string::npos);
  // The HTTP server is a run-time service: `check` cannot see it, create() refuses to start without it.
  CHECK(check_error_of("{}") == "no error");
  CHECK(error_of("{}", false).find("enable it with agent.http.listen") != std::string::npos);
  CHECK(error_of("expire_after: 0") == "no error");  // 0 = keep series forever
  CHECK(check_error_of("expire_after: 30s\nbase_units: false\nbatch_size: 500") == "no error");
}
