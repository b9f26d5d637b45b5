// The webhook output against a real HTTP server on loopback (receiver.py):
// signatures the receiver verifies, keep-alive, what each answer does to the
// batch (retry_later with Retry-After, rejected and counted, 410 disables),
// timeouts, TLS with a self-signed certificate, gzip, a chat preset, and
// Alertmanager re-sends driven by a ManualClock.
#include <catch2/catch.hpp>

#include "receiver_fixture.hpp"
#include "routerpulse/health.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

MetricBatch sample(int n, int64_t t0 = 1700000000000000000) {
  MetricBatch b;
  for (int i = 0; i < n; ++i) {
    Metric m("icmp", t0 + i);
    m.set_tag("target", "10.0.0." + std::to_string(i)).set_field("rtt_seconds", 0.001 * i);
    b.push_back(m);
  }
  return b;
}

std::string prom(Harness& h) {
  std::string text;
  h.stats.write_prometheus(text);
  return text;
}

struct Out {
  Harness& h;
  std::shared_ptr<Component> c;
  PluginContext* ctx;
  Out(Harness& harness, const std::string& yaml) : h(harness) {
    c = h.create(PluginKind::output, "webhook", yaml);
    ctx = &h.last_context();
    h.start(*c, *ctx);
  }
  ~Out() { h.stop(*c, *ctx); }
  WriteResult write(const MetricBatch& b) {
    auto r = h.write(dynamic_cast<Output&>(*c), *ctx, b, 20s);
    REQUIRE(r);
    return *r;
  }
};

}  // namespace

TEST_CASE("webhook_output json: signed batches over one keep-alive connection", "[webhook]") {
  TempDir dir;
  Receiver rx(dir, {"--secret", kSecret, "--github-secret", "gh-secret"});
  Harness h;
  Out out(h, "url: " + rx.url() + "\nsigning: {standard_webhooks_secret: " + kSecret +
                 ", github_secret: gh-secret}\nheaders: {Authorization: Bearer t0k3n, X-Source: pop1}");
  const MetricBatch b1 = sample(2), b2 = sample(3, 1800000000000000000);
  CHECK(out.write(b1).ok);
  CHECK(out.write(b2).ok);
  CHECK(out.write(b1).ok);  // the same batch again: the same webhook-id
  auto reqs = rx.requests();
  REQUIRE(reqs.size() == 3);
  for (auto& r : reqs) {
    CHECK(r["method"] == "POST");
    CHECK(r["path"] == "/hook");
    CHECK(r["standard_ok"] == true);
    CHECK(r["github_ok"] == true);
    CHECK(r["headers"]["authorization"] == "Bearer t0k3n");
    CHECK(r["headers"]["x-source"] == "pop1");
    CHECK(r["headers"]["content-type"] == "application/json");
    CHECK(r["client_port"] == reqs[0]["client_port"]);  // keep-alive: one connection
  }
  CHECK(json::parse(reqs[0]["body"].get<std::string>()) ==
        json::parse("[" + to_json(b1[0]) + "," + to_json(b1[1]) + "]"));
  CHECK(reqs[0]["headers"]["webhook-id"] == reqs[2]["headers"]["webhook-id"]);
  CHECK(reqs[0]["headers"]["webhook-id"] != reqs[1]["headers"]["webhook-id"]);
  const std::string text = prom(h);
  CHECK_THAT(text, Contains("routerpulse_webhook_connections_opened_total{output=\"webhook\"} 1\n"));
  CHECK_THAT(text, Contains("routerpulse_webhook_requests_total{output=\"webhook\",outcome=\"success\"} 3\n"));
}

TEST_CASE("webhook_output keep-alive: Connection: close and a silently closed idle connection", "[webhook]") {
  TempDir dir;
  Receiver rx(dir);
  Harness h;
  Out out(h, "url: " + rx.url());
  rx.plan(json::array({{{"status", 200}, {"close", "header"}}, {{"status", 200}, {"close", "silent"}}}));
  CHECK(out.write(sample(1)).ok);  // the server says close: not reused
  CHECK(out.write(sample(2)).ok);  // a new connection, which the server then drops without a word
  CHECK(out.write(sample(3)).ok);  // the stale connection fails at once: sent again on a new one
  auto reqs = rx.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0]["client_port"] != reqs[1]["client_port"]);
  CHECK(reqs[1]["client_port"] != reqs[2]["client_port"]);
  CHECK_THAT(prom(h), Contains("routerpulse_webhook_connections_opened_total{output=\"webhook\"} 3\n"));
  CHECK_THAT(prom(h), Contains("routerpulse_webhook_requests_total{output=\"webhook\",outcome=\"success\"} 3\n"));
}

TEST_CASE("webhook_output json batch:false: one request per metric, each with its own id", "[webhook]") {
  TempDir dir;
  Receiver rx(dir);
  Harness h;
  Out out(h, "url: " + rx.url() + "\nbatch: false\nmethod: PUT");
  const MetricBatch b = sample(3);
  CHECK(out.write(b).ok);
  auto reqs = rx.requests();
  REQUIRE(reqs.size() == 3);
  std::set<std::string> ids, bodies;
  for (auto& r : reqs) {
    CHECK(r["method"] == "PUT");
    ids.insert(r["headers"]["webhook-id"].get<std::string>());
    bodies.insert(r["body"].get<std::string>());
  }
  CHECK(ids.size() == 3);
  CHECK(bodies == std::set<std::string>{to_json(b[0]), to_json(b[1]), to_json(b[2])});
}

TEST_CASE("webhook_output: 503 and 429 are retried after Retry-After with the same id; 400 is rejected and counted",
          "[webhook]") {
  TempDir dir;
  Receiver rx(dir, {"--secret", kSecret});
  Harness h;
  Out out(h, "url: " + rx.url() + "\nsigning: {standard_webhooks_secret: " + kSecret + "}");
  const MetricBatch b = sample(2);
  rx.plan(json::array({{{"status", 503}, {"retry_after", "2"}, {"body", "maintenance"}},
                       {{"status", 429}, {"retry_after", "1"}},
                       {{"status", 500}}}));
  WriteResult r = out.write(b);
  CHECK(!r.ok);
  CHECK(!r.permanent);
  CHECK(r.retry_after == Duration(2s));
  CHECK(r.error == "HTTP 503: maintenance");
  r = out.write(b);
  CHECK((!r.ok && !r.permanent && r.retry_after == Duration(1s)));
  r = out.write(b);
  CHECK((!r.ok && !r.permanent && r.retry_after == Duration(0)));
  CHECK(out.write(b).ok);
  auto reqs = rx.requests();
  REQUIRE(reqs.size() == 4);
  for (auto& q : reqs) {
    CHECK(q["headers"]["webhook-id"] == reqs[0]["headers"]["webhook-id"]);
    CHECK(q["standard_ok"] == true);
  }

  rx.plan(json::array({{{"status", 400}, {"body", "{\"error\":\"bad alert\"}"}}}));
  r = out.write(sample(1, 1900000000000000000));
  CHECK(!r.ok);
  CHECK(r.permanent);
  CHECK(r.error == "HTTP 400: {\"error\":\"bad alert\"}");
  const std::string text = prom(h);
  CHECK_THAT(text, Contains("routerpulse_webhook_rejected_total{output=\"webhook\",status=\"400\"} 1\n"));
  CHECK_THAT(text, Contains("routerpulse_webhook_requests_total{output=\"webhook\",outcome=\"retry\"} 3\n"));
  CHECK(rx.count() == 5);  // not retried by the output itself
}

TEST_CASE("webhook_output: 410 Gone disables the endpoint and says so in /health", "[webhook]") {
  TempDir dir;
  Receiver rx(dir);
  Harness h;
  Out out(h, "url: " + rx.url());
  rx.plan(json::array({{{"status", 410}, {"body", "hook deleted"}}}));
  WriteResult r = out.write(sample(1));
  CHECK(r.permanent);
  CHECK_THAT(r.error, Contains("HTTP 410 Gone: the endpoint is disabled"));
  r = out.write(sample(2));
  CHECK(r.permanent);
  CHECK(rx.count() == 1);  // nothing sent any more
  const std::string health = h.health.to_json();
  CHECK_THAT(health, Contains("\"outputs.webhook.endpoint\":{\"detail\":\"HTTP 410 Gone: the endpoint is disabled "
                              "until the agent is reloaded (hook deleted)\",\"status\":\"unhealthy\"}"));
  CHECK_THAT(prom(h), Contains("routerpulse_webhook_endpoint_disabled{output=\"webhook\"} 1\n"));
}

TEST_CASE("webhook_output: network errors and timeouts are retried", "[webhook]") {
  TempDir dir;
  Harness h;
  {
    Out out(h, "url: http://127.0.0.1:" + std::to_string(free_port()) + "/x");
    WriteResult r = out.write(sample(1));
    CHECK((!r.ok && !r.permanent));
    CHECK_THAT(r.error, Contains("connecting to 127.0.0.1:"));
    CHECK_THAT(r.error, Contains("refused"));
  }
  Receiver rx(dir);
  rx.plan(json::array({{{"status", 200}, {"delay", 3}}}));
  Out out(h, "url: " + rx.url() + "\ntimeout: 500ms");
  WriteResult r = out.write(sample(1));
  CHECK((!r.ok && !r.permanent));
  CHECK(r.error == "timed out waiting for the answer (after 500ms)");
}

TEST_CASE("webhook_output TLS: a self-signed certificate fails without ca_file and works with it", "[webhook][tls]") {
  TempDir dir;
  const std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
  REQUIRE(run_command("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext "
                      "subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
                      key + " -out " + cert + " 2>/dev/null") == 0);
  Receiver::Tls tls{cert, key};
  Receiver rx(dir, {}, &tls);
  Harness h;
  {
    Out out(h, "url: " + rx.url("https"));
    WriteResult r = out.write(sample(1));
    CHECK((!r.ok && !r.permanent));
    CHECK_THAT(r.error, Contains("in the TLS handshake"));
    CHECK_THAT(r.error, Contains("certificate verify failed"));
  }
  {
    Out out(h, "url: " + rx.url("https") + "\nca_file: " + cert + "\ngzip: true");
    CHECK(out.write(sample(2)).ok);
    CHECK(out.write(sample(2)).ok);
  }
  {  // the certificate names 127.0.0.1 and localhost, not another host
    Out out(h, "url: https://localhost:" + std::to_string(rx.port()) + "/hook\nca_file: " + cert);
    CHECK(out.write(sample(1)).ok);
  }
  {
    Out out(h, "url: " + rx.url("https") + "\ntls_insecure_skip_verify: true");
    CHECK(out.write(sample(1)).ok);
  }
  auto reqs = rx.requests();
  REQUIRE(reqs.size() == 4);
  CHECK(reqs[0]["headers"]["content-encoding"] == "gzip");
  CHECK(json::parse(reqs[0]["body"].get<std::string>()).size() == 2);  // gunzipped by the receiver
  CHECK(reqs[0]["client_port"] == reqs[1]["client_port"]);             // TLS keep-alive
}

TEST_CASE("webhook_output TLS: a client certificate for a server that requires one", "[webhook][tls]") {
  TempDir dir;
  const std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
  const std::string ccert = dir.file("client.pem"), ckey = dir.file("client-key.pem");
  const std::string gen = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -addext subjectAltName=IP:127.0.0.1 ";
  REQUIRE(run_command(gen + "-subj /CN=server -keyout " + key + " -out " + cert + " 2>/dev/null") == 0);
  REQUIRE(run_command(gen + "-subj /CN=agent -keyout " + ckey + " -out " + ccert + " 2>/dev/null") == 0);
  Receiver::Tls tls{cert, key};
  Receiver rx(dir, {"--client-ca", ccert}, &tls);
  Harness h;
  {
    Out out(h, "url: " + rx.url("https") + "\nca_file: " + cert);
    CHECK(!out.write(sample(1)).ok);  // no client certificate: the server refuses the handshake
  }
  Out out(h, "url: " + rx.url("https") + "\nca_file: " + cert + "\ncert_file: " + ccert + "\nkey_file: " + ckey);
  CHECK(out.write(sample(1)).ok);
  CHECK(rx.count() == 1);
}

TEST_CASE("webhook_output template: the Telegram preset", "[webhook]") {
  TempDir dir;
  Receiver rx(dir);
  Harness h;
  Out out(h, "url: " + rx.url() + "\nformat: template\npreset: telegram\ntemplate_vars: {chat_id: '-1001'}");
  Metric a("alert", 1700000000000000000);
  a.set_tag("alertname", "RouterDown").set_tag("key", "r1").set_tag("severity", "critical");
  a.set_field("status", std::string("firing")).set_field("message", std::string("r1 <down>"));
  CHECK(out.write({a}).ok);
  auto reqs = rx.requests();
  REQUIRE(reqs.size() == 1);
  auto body = json::parse(reqs[0]["body"].get<std::string>());
  CHECK(body["chat_id"] == "-1001");
  CHECK(body["text"] == "🔥 FIRING RouterDown r1 (critical): r1 <down>");
}

TEST_CASE("webhook_output alertmanager: firing alerts re-sent each resend_interval, resolved ones for a while",
          "[webhook]") {
  TempDir dir;
  Receiver rx(dir);
  Harness h;
  ManualClock clock;
  h.clock = &clock;
  Out out(h, "url: " + rx.url() + "\nformat: alertmanager\nresend_interval: 1m\nresolved_retention: 2m");
  const int64_t t0 = clock.now_ns();
  Metric a("alert", t0);
  a.set_tag("alertname", "RouterDown").set_tag("key", "r1").set_tag("severity", "critical");
  a.set_field("status", std::string("firing")).set_field("message", std::string("down")).set_field("started_at", t0);
  CHECK(out.write({a}).ok);
  REQUIRE(rx.count() == 1);
  clock.advance(1min);
  REQUIRE(wait_until([&] { return rx.count() == 2; }, 10s));
  auto body = json::parse(rx.requests()[1]["body"].get<std::string>());
  REQUIRE(body.size() == 1);
  CHECK(body[0]["labels"]["alertname"] == "RouterDown");
  Metric r = a;
  r.set_time(clock.now_ns());
  r.set_field("status", std::string("resolved"));
  CHECK(out.write({r}).ok);
  REQUIRE(rx.count() == 3);
  const std::string resolved_end = json::parse(rx.requests()[2]["body"].get<std::string>())[0]["endsAt"];
  for (int i = 0; i < 2; ++i) {  // re-sent within resolved_retention
    clock.advance(1min);
    REQUIRE(wait_until([&] { return rx.count() == 4u + i; }, 10s));
    CHECK(json::parse(rx.requests().back()["body"].get<std::string>())[0]["endsAt"] == resolved_end);
  }
  clock.advance(1min);  // forgotten: nothing more to send
  clock.advance(1min);
  CHECK(!wait_until([&] { return rx.count() > 5; }, 500ms));
}
