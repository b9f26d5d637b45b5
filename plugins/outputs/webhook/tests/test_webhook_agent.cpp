// The webhook output inside the real agent (build/routerpulse run):
// - a slow endpoint (an answer that takes 4 s) does not stop the file output;
// - a signed JSON receiver answering 503 and 429 with Retry-After sees the
//   engine's retries carry the same webhook-id and honour the delay; the
//   secret comes from ${env:…} and a header from ${file:…};
// - a real Alertmanager (Debian prometheus-alertmanager, started here on a
//   loopback port with its own config and storage) gets a firing alert from a
//   Lua rule, shows it in GET /api/v2/alerts with the rule's labels, and then
//   receives the resolve.
#include <catch2/catch.hpp>

#include <algorithm>

#include "receiver_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string curl(const std::string& url) {
  std::string out;
  if (run_command("curl -s --max-time 5 '" + url + "'", &out) != 0) return {};
  return out;
}
}  // namespace

TEST_CASE("webhook_agent: 503/429 with Retry-After are retried by the engine with the same webhook-id",
          "[webhook][agent]") {
  TempDir dir;
  Receiver rx(dir, {"--secret", kSecret});
  rx.plan(json::array({{{"status", 503}, {"retry_after", "1"}}, {{"status", 429}, {"retry_after", "1"}}}));
  write_file(dir.file("token"), "s3cr3t\n");
  write_file(dir.file("agent.yaml"), "agent:\n  plugin_dir: " + plugin_dir() +
                                         "\n  shutdown_timeout: 3s\n"
                                         "inputs: {internal: {interval: 200ms, subsystems: [output]}}\n"
                                         "outputs:\n  webhook:\n    url: " +
                                         rx.url() +
                                         "\n    signing: {standard_webhooks_secret: \"${env:WH_SECRET}\"}\n"
                                         "    headers: {Authorization: \"Bearer ${file:token}\"}\n"
                                         "    retry_initial: 50ms\n    retry_max: 10s\n"
                                         "pipelines:\n  main: {inputs: [internal], outputs: [webhook]}\n");
  Process agent({build_dir() + "/routerpulse", "run", "-c", dir.file("agent.yaml")}, dir.file("agent.log"),
                {std::string("WH_SECRET=") + kSecret});
  REQUIRE(wait_until([&] { return rx.count() >= 4; }, 30s));
  agent.signal(SIGTERM);
  CHECK(agent.wait(10s).value_or(-1) == 0);
  auto reqs = rx.requests();
  CHECK(reqs[0]["status"] == 503);
  CHECK(reqs[1]["status"] == 429);
  CHECK(reqs[2]["status"] == 200);
  CHECK(reqs[1]["headers"]["webhook-id"] == reqs[0]["headers"]["webhook-id"]);
  CHECK(reqs[2]["headers"]["webhook-id"] == reqs[0]["headers"]["webhook-id"]);
  CHECK(reqs[3]["headers"]["webhook-id"] != reqs[0]["headers"]["webhook-id"]);
  for (auto& r : reqs) {
    CHECK(r["standard_ok"] == true);
    CHECK(r["headers"]["authorization"] == "Bearer s3cr3t");
  }
  // Retry-After: 1 is honoured (the engine's own backoff would be 50 ms).
  CHECK(reqs[1]["time"].get<double>() - reqs[0]["time"].get<double>() >= 0.9);
  CHECK(reqs[2]["time"].get<double>() - reqs[1]["time"].get<double>() >= 0.9);
  const std::string log = read_file(dir.file("agent.log"));
  CHECK_THAT(log, Contains("HTTP 503"));
  CHECK(log.find("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == std::string::npos);  // secrets never logged
  CHECK(log.find("s3cr3t") == std::string::npos);
}

TEST_CASE("webhook_agent: a slow endpoint does not hold up another output", "[webhook][agent]") {
  TempDir dir;
  Receiver rx(dir);
  rx.plan(json::array({{{"status", 200}, {"delay", 4}}}));  // the first answer takes 4 s
  write_file(dir.file("agent.yaml"), "agent:\n  plugin_dir: " + plugin_dir() +
                                         "\n  shutdown_timeout: 2s\n"
                                         "inputs: {internal: {interval: 100ms, subsystems: [output]}}\n"
                                         "outputs:\n  webhook: {url: \"" +
                                         rx.url() +
                                         "\", timeout: 10s}\n"
                                         "  file: {files: [out.jsonl], data_format: json}\n"
                                         "pipelines:\n  main: {inputs: [internal], outputs: [webhook, file]}\n");
  Process agent({build_dir() + "/routerpulse", "run", "-c", dir.file("agent.yaml")}, dir.file("agent.log"));
  REQUIRE(wait_until([&] { return rx.count() == 1; }, 10s));  // the slow request is in flight
  const auto lines = [&] {
    const std::string text = read_file(dir.file("out.jsonl"));
    return std::count(text.begin(), text.end(), '\n');
  };
  const auto before = lines();
  // While the webhook waits for its answer, the file output keeps writing every gather.
  CHECK(wait_until([&] { return lines() >= before + 20; }, 3s));
  CHECK(rx.count() == 1);
  agent.signal(SIGTERM);
  CHECK(agent.wait(15s).has_value());
}

TEST_CASE("webhook_agent: a Lua alert reaches a real Alertmanager, then resolves", "[webhook][agent][alertmanager]") {
  if (run_command("command -v prometheus-alertmanager >/dev/null") != 0) {
    FAIL("prometheus-alertmanager is not installed (scripts/setup.sh installs it)");
  }
  TempDir dir;
  const int am_port = free_port();
  write_file(dir.file("am.yml"),
             "global: {resolve_timeout: 5m}\n"
             "route: {receiver: none, group_wait: 1s, group_interval: 2s, repeat_interval: 1h}\n"
             "receivers: [{name: none}]\n");
  Process am({"prometheus-alertmanager", "--config.file=" + dir.file("am.yml"), "--storage.path=" + dir.file("am-data"),
              "--web.listen-address=127.0.0.1:" + std::to_string(am_port), "--cluster.listen-address="},
             dir.file("am.log"));
  REQUIRE(wait_for_port(am_port, 20s));
  const std::string base = "http://127.0.0.1:" + std::to_string(am_port);
  REQUIRE(wait_until([&] { return curl(base + "/-/ready").find("OK") != std::string::npos; }, 20s));

  // Fires at the first metric and resolves 5 s (of metric time) later.
  write_file(dir.file("rules.lua"),
             "local first\n"
             "function process(m)\n"
             "  first = first or m.time\n"
             "  alert{name = 'WebhookTest', key = 'k1', severity = 'critical', condition = m.time - first < 5e9,\n"
             "        labels = {router = 'pop1-core'}, annotations = {runbook = 'https://wiki.example/rb'},\n"
             "        message = 'test alert'}\n"
             "  return nil\n"
             "end\n");
  write_file(dir.file("agent.yaml"),
             "agent:\n  plugin_dir: " + plugin_dir() +
                 "\n  shutdown_timeout: 3s\n"
                 "inputs: {internal: {interval: 200ms, subsystems: [output]}}\n"
                 "processors: {lua/rules: {script: rules.lua}}\n"
                 "outputs:\n  webhook/am:\n    url: " +
                 base +
                 "/api/v2/alerts\n    format: alertmanager\n    resend_interval: 1s\n"
                 "    generator_url: http://pop1-agent/rules\n    namepass: [alert]\n"
                 "pipelines:\n  main: {inputs: [internal], processors: [lua/rules], outputs: [webhook/am]}\n");
  Process agent({build_dir() + "/routerpulse", "run", "-c", dir.file("agent.yaml")}, dir.file("agent.log"));

  json alert;
  REQUIRE(wait_until(
      [&] {
        auto text = curl(base + "/api/v2/alerts");
        if (text.empty()) return false;
        auto j = json::parse(text, nullptr, false);
        if (!j.is_array() || j.empty()) return false;
        alert = j[0];
        return true;
      },
      20s));
  CHECK(alert["labels"] ==
        json({{"alertname", "WebhookTest"}, {"key", "k1"}, {"router", "pop1-core"}, {"severity", "critical"}}));
  CHECK(alert["annotations"]["summary"] == "test alert");
  CHECK(alert["annotations"]["runbook"] == "https://wiki.example/rb");
  CHECK(alert["generatorURL"] == "http://pop1-agent/rules");
  CHECK(alert["status"]["state"] == "active");

  // Resolved: it leaves the active list, and Alertmanager counted a resolved post.
  REQUIRE(wait_until([&] { return curl(base + "/api/v2/alerts") == "[]\n" || curl(base + "/api/v2/alerts") == "[]"; },
                     30s));
  const std::string metrics = curl(base + "/metrics");
  CHECK_THAT(metrics, Contains("alertmanager_alerts_received_total{status=\"resolved\",version=\"v2\"}"));
  CHECK_THAT(metrics, Contains("alertmanager_alerts_received_total{status=\"firing\",version=\"v2\"}"));
  agent.signal(SIGTERM);
  CHECK(agent.wait(10s).value_or(-1) == 0);
}
