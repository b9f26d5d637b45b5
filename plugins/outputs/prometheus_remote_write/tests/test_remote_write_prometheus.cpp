// prometheus_remote_write against a real Prometheus (Debian `prometheus`,
// started here on a loopback port with its own TSDB directory and
// --web.enable-remote-write-receiver):
// - demo-shaped series (routeros_traffic's pppoe_traffic, icmp) arrive and the
//   query API returns them with their labels, the external labels and values;
// - an out-of-order sample is refused with 400: counted, not retried (the
//   receiver's own request counter shows one 400), the rest of the batch lands;
// - the real agent (internal input → this output) keeps pushing while
//   Prometheus is stopped and started again: the gather counter's samples in
//   Prometheus are consecutive, nothing in between is lost;
// - HTTPS with a private CA and basic auth (Prometheus' --web.config.file): the
//   right password lands, a wrong one is a 401 refused for good, an
//   unverifiable certificate is a transport error (retried).
// Nothing here sleeps to make an assertion true: it waits (bounded) for
// Prometheus or the agent to show the expected state.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "http_client.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

// bcrypt (cost 4) of "s3cret", for Prometheus' basic_auth_users.
constexpr const char* kHash = "$2b$04$YMNoKoFtcxhOaRcF8VjJruf6KZvIC4hbvFKf9heS5EBJpDzhX6jHC";

std::string curl_tls(const std::string& url) {
  std::string out;
  if (run_command("curl -s --max-time 5 -k -u agent:s3cret '" + url + "'", &out) != 0) return {};
  return out;
}

/// A Prometheus that only receives (no scrape jobs), on its own port and TSDB.
/// `secure`: HTTPS with a self-signed certificate for 127.0.0.1 (dir/cert.pem)
/// and basic auth agent:s3cret (Prometheus' --web.config.file).
struct Receiver {
  TempDir dir;
  int port = free_port();
  bool secure = false;
  std::unique_ptr<Process> proc;

  explicit Receiver(bool tls = false) : secure(tls) {
    std::ofstream(dir.file("prometheus.yml")) << "global:\n  evaluation_interval: 1m\n";
    if (secure) {
      REQUIRE(run_command("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                          "-subj /CN=receiver -addext subjectAltName=IP:127.0.0.1 -keyout " +
                          dir.file("key.pem") + " -out " + dir.file("cert.pem") + " 2>/dev/null") == 0);
      std::ofstream(dir.file("web.yml")) << "tls_server_config:\n  cert_file: " << dir.file("cert.pem")
                                         << "\n  key_file: " << dir.file("key.pem")
                                         << "\nbasic_auth_users:\n  agent: " << kHash << "\n";
    }
    start();
  }
  void start() {
    std::vector<std::string> argv{"prometheus",
                                  "--config.file=" + dir.file("prometheus.yml"),
                                  "--storage.tsdb.path=" + dir.file("data"),
                                  "--web.enable-remote-write-receiver",
                                  "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                  "--log.level=warn"};
    if (secure) argv.push_back("--web.config.file=" + dir.file("web.yml"));
    proc = std::make_unique<Process>(argv, dir.file("prometheus.log"));
    REQUIRE(wait_for_port(port, 60s));
    if (secure)
      REQUIRE(wait_until([&] { return curl_tls(base() + "/-/ready").find("Ready") != std::string::npos; }, 60s));
    else
      REQUIRE(wait_until([&] { return get("/-/ready").status == 200; }, 60s));
  }
  std::string base() const {
    return (secure ? "https://" : "http://") + std::string("127.0.0.1:") + std::to_string(port);
  }
  void stop() { proc.reset(); }  // SIGTERM: a clean shutdown (the WAL is kept)
  std::string url() const { return base() + "/api/v1/write"; }

  HttpResult get(const std::string& target) {
    try {
      return http_get(port, target);
    } catch (const std::exception&) {
      return HttpResult{};
    }
  }
  /// Instant query: data.result (empty on any failure).
  json query(const std::string& expr) {
    std::string body;
    if (secure) {
      body = curl_tls(base() + "/api/v1/query?query=" + url_encode(expr));
    } else {
      auto r = get("/api/v1/query?query=" + url_encode(expr));
      if (r.status != 200) return json::array();
      body = r.body;
    }
    auto j = json::parse(body, nullptr, false);
    return j.is_object() && j["status"] == "success" ? j["data"]["result"] : json::array();
  }
  /// The receiver's own count of remote write answers with `code`.
  double write_answers(const std::string& code) {
    auto r = get("/metrics");
    const std::string key = "prometheus_http_requests_total{code=\"" + code + "\",handler=\"/api/v1/write\"} ";
    const auto at = r.body.find(key);
    return at == std::string::npos ? 0 : std::stod(r.body.substr(at + key.size()));
  }
};

std::string metrics_text(Harness& h) {
  std::string text;
  h.stats.write_prometheus(text);
  return text;
}

}  // namespace

TEST_CASE("remote_write_prometheus: demo series arrive with labels and values; a 400 is counted, not retried",
          "[remote_write][prometheus]") {
  Receiver prom;
  Harness h;
  auto c = h.create(PluginKind::output, "prometheus_remote_write",
                    "url: " + prom.url() +
                        "\nexternal_labels: {pop: pop1}\nbasic_auth: {username: agent, password: s3cret}\n"
                        "max_samples_per_send: 4\n");
  auto& ctx = h.last_context();
  h.start(*c, ctx);
  auto& out = dynamic_cast<Output&>(*c);

  const int64_t now = routerpulse::now_ns() - 5'000'000'000;  // a little in the past: room for an older sample
  MetricBatch b;
  for (const char* user : {"alice", "bob \"the\" builder"}) {
    Metric m("pppoe_traffic", now, MetricType::gauge);
    m.set_tag("router", "pop1-r1")
        .set_tag("pppoe_user", user)
        .set_tag("interface", std::string("<pppoe-") + user + ">");
    m.set_field("download_bits_per_second", uint64_t{user[0] == 'a' ? 12000000u : 3000000u});
    m.set_field("upload_bits_per_second", uint64_t{640000});
    b.push_back(m);
  }
  Metric icmp("icmp", now);
  icmp.set_tag("target", "10.0.0.1").set_field("rtt_seconds", 0.0123).set_field("loss_ratio", 0.0);
  icmp.set_field("state", std::string("up"));
  b.push_back(icmp);
  auto r = h.write(out, ctx, b, 20s);
  REQUIRE(r);
  CHECK(r->ok);

  auto alice = prom.query("pppoe_traffic_download_bits_per_second{pppoe_user=\"alice\"}");
  REQUIRE(alice.size() == 1);
  CHECK(alice[0]["metric"] == json{{"__name__", "pppoe_traffic_download_bits_per_second"},
                                   {"interface", "<pppoe-alice>"},
                                   {"pop", "pop1"},
                                   {"pppoe_user", "alice"},
                                   {"router", "pop1-r1"}});
  CHECK(alice[0]["value"][1] == "12000000");
  CHECK(alice[0]["value"][0].get<double>() == Approx(static_cast<double>(now / 1000000) / 1000.0));
  auto bob = prom.query("pppoe_traffic_download_bits_per_second{pppoe_user=\"bob \\\"the\\\" builder\"}");
  REQUIRE(bob.size() == 1);
  CHECK(bob[0]["value"][1] == "3000000");
  CHECK(prom.query("pppoe_traffic_upload_bits_per_second{pop=\"pop1\"} == 640000").size() == 2);
  auto rtt = prom.query("icmp_rtt_seconds");
  REQUIRE(rtt.size() == 1);
  CHECK(rtt[0]["metric"]["target"] == "10.0.0.1");
  CHECK(rtt[0]["value"][1] == "0.0123");
  CHECK(prom.query("icmp_loss_ratio").size() == 1);
  CHECK(prom.query("{__name__=~\"icmp_state.*\"}").empty());
  std::string text = metrics_text(h);
  CHECK_THAT(text, Contains("samples_sent_total{output=\"prometheus_remote_write\"} 6\n"));
  CHECK_THAT(text, Contains("string_fields_skipped_total{output=\"prometheus_remote_write\"} 1\n"));
  CHECK_THAT(text, Contains("requests_total{output=\"prometheus_remote_write\",outcome=\"success\"} 2\n"));

  // Out of order: alice 10 s older than what Prometheus holds → 400, counted, not
  // sent again; a fresh series in a later request of the same batch still lands.
  const double before = prom.write_answers("400");
  MetricBatch late;
  Metric old("pppoe_traffic", now - 10'000'000'000, MetricType::gauge);
  old.set_tag("router", "pop1-r1").set_tag("pppoe_user", "alice").set_tag("interface", "<pppoe-alice>");
  old.set_field("download_bits_per_second", uint64_t{1});
  late.push_back(old);
  r = h.write(out, ctx, late, 20s);
  REQUIRE(r);
  CHECK(!r->ok);
  CHECK(r->permanent);  // rejected: the engine drops and counts it, never retries
  CHECK_THAT(r->error, Contains("HTTP 400"));
  CHECK(prom.write_answers("400") == before + 1);
  text = metrics_text(h);
  CHECK_THAT(text, Contains("samples_rejected_total{output=\"prometheus_remote_write\"} 1\n"));
  CHECK_THAT(text, Contains("rejected_total{output=\"prometheus_remote_write\",status=\"400\"} 1\n"));
  CHECK(prom.query("pppoe_traffic_download_bits_per_second{pppoe_user=\"alice\"}")[0]["value"][1] == "12000000");

  // A batch of two requests (max_samples_per_send: 4), the first refused:
  // Prometheus rolls a refused request back as a whole, the second lands; the
  // write succeeds and the refused request's samples are counted.
  MetricBatch mixed = late;  // alice's series was bound first: it sorts first
  for (int i = 2; i <= 5; ++i) {
    Metric fresh("icmp", now + 1'000'000'000);
    fresh.set_tag("target", "10.0.0." + std::to_string(i)).set_field("rtt_seconds", 0.5);
    mixed.push_back(fresh);
  }
  r = h.write(out, ctx, mixed, 20s);
  REQUIRE(r);
  CHECK(r->ok);
  CHECK(prom.write_answers("400") == before + 2);
  CHECK(prom.query("icmp_rtt_seconds{target=\"10.0.0.2\"}").empty());      // in the refused request
  CHECK(prom.query("icmp_rtt_seconds{target=\"10.0.0.5\"}").size() == 1);  // in the second one
  text = metrics_text(h);
  CHECK_THAT(text, Contains("samples_rejected_total{output=\"prometheus_remote_write\"} 5\n"));
  CHECK_THAT(text, Contains("requests_total{output=\"prometheus_remote_write\",outcome=\"rejected\"} 2\n"));
  h.stop(*c, ctx);
}

TEST_CASE("remote_write_prometheus: concurrency 4 spreads series over parallel lanes, every sample lands in order",
          "[remote_write][prometheus]") {
  Receiver prom;
  Harness h;
  auto c = h.create(PluginKind::output, "prometheus_remote_write",
                    "url: " + prom.url() + "\nconcurrency: 4\nmax_samples_per_send: 50\n");
  auto& ctx = h.last_context();
  h.start(*c, ctx);
  const int64_t t0 = routerpulse::now_ns() - 10'000'000'000;
  MetricBatch b;
  for (int64_t t = 2; t >= 0; --t)  // 3 samples per series, newest first in the batch
    for (int i = 0; i < 200; ++i) {
      Metric m("lanes", t0 + t * 1'000'000'000);
      m.set_tag("target", std::to_string(i)).set_field("v", static_cast<double>(t));
      b.push_back(m);
    }
  auto r = h.write(dynamic_cast<Output&>(*c), ctx, b, 20s);
  REQUIRE(r);
  CHECK(r->ok);
  CHECK(prom.write_answers("400") == 0);
  auto n = prom.query("count(count_over_time(lanes_v[5m]) == 3)");  // every series has its 3 samples
  REQUIRE(n.size() == 1);
  CHECK(n[0]["value"][1] == "200");
  std::string text = metrics_text(h);
  CHECK_THAT(text, Contains("samples_sent_total{output=\"prometheus_remote_write\"} 600\n"));
  CHECK_THAT(text, Contains("requests_total{output=\"prometheus_remote_write\",outcome=\"success\"} 12\n"));
  h.stop(*c, ctx);
}

TEST_CASE("remote_write_prometheus: the agent loses nothing while Prometheus restarts", "[remote_write][agent]") {
  Receiver prom;
  TempDir dir;
  const int agent_port = free_port();
  write_file(dir.file("agent.yaml"),
             "agent:\n  plugin_dir: " + plugin_dir() +
                 "\n  shutdown_timeout: 5s\n  http: {listen: \"127.0.0.1:" + std::to_string(agent_port) +
                 "\"}\n"
                 "inputs: {internal: {interval: 100ms, subsystems: [input, prometheus_remote_write]}}\n"
                 "outputs:\n  prometheus_remote_write:\n    url: " +
                 prom.url() +
                 "\n    external_labels: {pop: pop1}\n"
                 "    retry_initial: 50ms\n    retry_max: 300ms\n    timeout: 2s\n"
                 "pipelines:\n  main: {inputs: [internal], outputs: [prometheus_remote_write]}\n");
  Process agent({build_dir() + "/routerpulse", "run", "-c", dir.file("agent.yaml")}, dir.file("agent.log"));
  const std::string gathers = "internal_input_gathers{input=\"internal\",pop=\"pop1\"}";
  auto latest = [&]() -> double {
    auto v = prom.query(gathers);
    return v.size() == 1 ? std::stod(v[0]["value"][1].get<std::string>()) : -1;
  };
  // The agent's own count of gathers, from its /metrics.
  auto agent_gathers = [&]() -> double {
    HttpResult r;
    try {
      r = http_get(agent_port, "/metrics");
    } catch (const std::exception&) {
      return -1;
    }
    const std::string key = "routerpulse_input_gathers_total{input=\"internal\"} ";
    const auto at = r.body.find(key);
    return at == std::string::npos ? -1 : std::stod(r.body.substr(at + key.size()));
  };
  REQUIRE(wait_until([&] { return latest() >= 5; }, 30s));

  prom.stop();
  const double at_stop = agent_gathers();
  REQUIRE(at_stop >= 5);
  // The agent keeps gathering into the output's buffer: wait for failed writes
  // in its log and for 10 more gathers (1 s at 100 ms) before Prometheus is back.
  REQUIRE(
      wait_until([&] { return read_file(dir.file("agent.log")).find("will be retried") != std::string::npos; }, 30s));
  REQUIRE(wait_until([&] { return agent_gathers() >= at_stop + 10; }, 30s));
  CHECK(latest() == -1);  // Prometheus is down
  const double outage_end = agent_gathers();
  prom.start();
  double after = -1;
  REQUIRE(wait_until(
      [&] {
        after = latest();
        return after >= outage_end + 5;
      },
      30s));
  agent.signal(SIGTERM);
  CHECK(agent.wait(10s).value_or(-1) == 0);

  // Every gather's sample is in Prometheus: consecutive counter values, none missing.
  auto series = prom.query(gathers + "[10m]");
  REQUIRE(series.size() == 1);
  const auto& values = series[0]["values"];
  REQUIRE(values.size() >= 20);
  int gaps = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    const double a = std::stod(values[i - 1][1].get<std::string>()), b = std::stod(values[i][1].get<std::string>());
    if (b != a + 1) ++gaps;
  }
  CHECK(gaps == 0);
  CHECK(std::stod(values[0][1].get<std::string>()) <= 1);                               // from the first gather on
  CHECK(std::stod(values[values.size() - 1][1].get<std::string>()) >= outage_end + 5);  // past the outage
  // The outage was seen by the output (connection errors) and is in Prometheus too.
  CHECK(prom.query("internal_prometheus_remote_write_requests{outcome=\"error\"} > 0").size() == 1);
  INFO(read_file(dir.file("agent.log")));
  CHECK(read_file(dir.file("agent.log")).find("rejected") == std::string::npos);
}

TEST_CASE("remote_write_prometheus: TLS with a private CA and basic auth; a wrong password is refused for good",
          "[remote_write][prometheus][tls]") {
  Receiver prom(true);
  Harness h;
  const std::string base = "url: " + prom.url() + "\nca_file: " + prom.dir.file("cert.pem") + "\n";
  MetricBatch b;
  Metric m("icmp", routerpulse::now_ns());
  m.set_tag("target", "10.9.9.9").set_field("rtt_seconds", 0.042);
  b.push_back(m);

  auto good = h.create(PluginKind::output, "prometheus_remote_write",
                       base + "basic_auth: {username: agent, password: s3cret}\n", "prometheus_remote_write/good");
  auto& good_ctx = h.last_context();
  h.start(*good, good_ctx);
  auto r = h.write(dynamic_cast<Output&>(*good), good_ctx, b, 20s);
  REQUIRE(r);
  CHECK(r->ok);
  auto v = prom.query("icmp_rtt_seconds{target=\"10.9.9.9\"}");
  REQUIRE(v.size() == 1);
  CHECK(v[0]["value"][1] == "0.042");

  auto bad = h.create(PluginKind::output, "prometheus_remote_write",
                      base + "basic_auth: {username: agent, password: wrong}\n", "prometheus_remote_write/bad");
  auto& bad_ctx = h.last_context();
  h.start(*bad, bad_ctx);
  r = h.write(dynamic_cast<Output&>(*bad), bad_ctx, b, 20s);
  REQUIRE(r);
  CHECK(!r->ok);
  CHECK(r->permanent);  // 401: the same request would fail again
  CHECK_THAT(r->error, Contains("HTTP 401"));

  // Without the CA the certificate cannot be verified: a transport error, retried.
  auto untrusted = h.create(PluginKind::output, "prometheus_remote_write",
                            "url: " + prom.url() + "\nbasic_auth: {username: agent, password: s3cret}\n",
                            "prometheus_remote_write/untrusted");
  auto& untrusted_ctx = h.last_context();
  h.start(*untrusted, untrusted_ctx);
  r = h.write(dynamic_cast<Output&>(*untrusted), untrusted_ctx, b, 20s);
  REQUIRE(r);
  CHECK(!r->ok);
  CHECK(!r->permanent);
  CHECK_THAT(r->error, Contains("TLS handshake"));

  const std::string text = metrics_text(h);
  CHECK_THAT(text, Contains("requests_total{output=\"prometheus_remote_write/good\",outcome=\"success\"} 1\n"));
  CHECK_THAT(text, Contains("rejected_total{output=\"prometheus_remote_write/bad\",status=\"401\"} 1\n"));
  CHECK_THAT(text, Contains("requests_total{output=\"prometheus_remote_write/untrusted\",outcome=\"error\"} 1\n"));
  h.stop(*untrusted, untrusted_ctx);
  h.stop(*bad, bad_ctx);
  h.stop(*good, good_ctx);
}
