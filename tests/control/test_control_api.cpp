// The control API of the real agent (build/routerpulse) against routeros-sim
// over real HTTP: routers list, live /system/resource with the stale fallback
// when a router stalls, 503 when a router never answered, 404 for unknown
// routers, auth, and per-route request counting.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "harness.hpp"
#include "http_client.hpp"
#include "sim_support.hpp"
#include "sse_client.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string kRead = "test-read-key-1";
const std::string kControl = "test-control-key-2";

/// The agent with two simulated routers and one that is never reachable.
struct AgentUnderTest {
  TempDir dir;
  SimProcess sim{2, {"--sessions", "5", "--password", "pw"}};
  int http_port = free_port();
  std::unique_ptr<Process> agent;

  explicit AgentUnderTest(const std::string& extra_input = "") {
    const int dead_port = free_port();  // nothing listens here
    std::string cfg =
        "agent:\n"
        "  interval: 1s\n"
        "  http:\n"
        "    listen: 127.0.0.1:" + std::to_string(http_port) + "\n"
        "    api_keys:\n"
        "      - { key: \"${env:RP_TEST_READ_KEY}\", role: read }\n"
        "      - { key: \"${env:RP_TEST_CONTROL_KEY}\", role: control }\n"
        "routers:\n"
        "  r0: { host: 127.0.0.1, port: " + std::to_string(sim.port(0)) +
        ", username: admin, password: pw, timeout: 2s, keepalive: 1s, dead_after: 3s, reconnect_initial: 200ms, reconnect_max: 1s }\n"
        "  r1: { host: 127.0.0.1, port: " + std::to_string(sim.port(1)) +
        ", username: admin, password: pw, timeout: 2s, keepalive: 1s, dead_after: 3s, reconnect_initial: 200ms, reconnect_max: 1s }\n"
        "  down: { host: 127.0.0.1, port: " + std::to_string(dead_port) +
        ", username: admin, timeout: 1s, connect_timeout: 1s, reconnect_initial: 200ms, reconnect_max: 1s }\n"
        "inputs:\n"
        "  routeros_traffic:\n"
        "    routers: [r0, r1]\n" + extra_input +
        "outputs:\n"
        "  file:\n"
        "    files: [\"" + dir.file("out.txt") + "\"]\n"
        "pipelines:\n"
        "  main:\n"
        "    inputs: [routeros_traffic]\n"
        "    outputs: [file]\n";
    write_file(dir.file("agent.yaml"), cfg);
    agent = std::make_unique<Process>(
        std::vector<std::string>{build_dir() + "/routerpulse", "run", "-c", dir.file("agent.yaml")},
        dir.file("agent.log"), std::vector<std::string>{"RP_TEST_READ_KEY=" + kRead, "RP_TEST_CONTROL_KEY=" + kControl});
    if (!wait_for_port(http_port, 20s)) FAIL("agent did not listen; log:\n" << read_file(dir.file("agent.log")));
  }
  std::string log() const { return read_file(dir.file("agent.log")); }
};

std::map<std::string, std::string> key(const std::string& k) { return {{"X-API-Key", k}}; }

json routers(HttpClient& c) {
  auto r = c.get("/api/v1/routers", key(kRead));
  REQUIRE(r.status == 200);
  json out = json::object();
  const json doc = json::parse(r.body);
  for (const auto& x : doc["routers"]) out[x["name"].get<std::string>()] = x;
  return out;
}

}  // namespace

TEST_CASE("control api: routers, live resource, stale fallback on a stalled router, 503 and 404") {
  AgentUnderTest a;
  HttpClient c(a.http_port, 15s);

  // Auth on the real agent: keys come from ${env:…}.
  CHECK(c.get("/api/v1/routers").status == 401);
  CHECK(c.get("/api/v1/routers", {{"Authorization", "Bearer " + kControl}}).status == 200);

  // The routers list: both simulated routers up with identity and version,
  // the unreachable one not up and with its last error.
  json rs;
  bool ready = wait_until(
      [&] {
        rs = routers(c);
        return rs["r0"]["up"] == true && rs["r1"]["up"] == true && !rs["r0"]["version"].is_null() &&
               !rs["r0"]["identity"].is_null() && !rs["down"]["last_error"].is_null();
      },
      15s);
  INFO(rs.dump() << "\n" << a.log());
  REQUIRE(ready);
  CHECK(rs["r0"]["state"] == "up");
  CHECK(rs["r0"]["identity"].get<std::string>().rfind("sim-router-", 0) == 0);
  CHECK(rs["r0"]["api_latency_seconds"].get<double>() >= 0);
  CHECK(rs["r0"]["since_ns"].get<int64_t>() > 0);
  CHECK(rs["down"]["up"] == false);
  CHECK(rs.size() == 3);

  // Live resource.
  auto r = c.get("/api/v1/routers/r0/resource", key(kRead));
  REQUIRE(r.status == 200);
  auto j = json::parse(r.body);
  CHECK(j["stale"] == false);
  CHECK(j["age_ms"] == 0);
  CHECK(j["resource"].contains("cpu_load"));
  CHECK(j["resource"]["uptime_seconds"].get<double>() > 0);

  // The router stalls: the answer comes within the deadline, marked stale.
  REQUIRE(a.sim.control("fault 0 stall").rfind("ok", 0) == 0);
  auto t0 = std::chrono::steady_clock::now();
  r = c.get("/api/v1/routers/r0/resource?timeout_ms=500", key(kRead));
  auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(r.status == 200);
  j = json::parse(r.body);
  CHECK(j["stale"] == true);
  CHECK(j["age_ms"].get<int64_t>() > 0);
  CHECK(j["resource"].contains("cpu_load"));
  CHECK(j.contains("error"));
  CHECK(took < 3s);  // the deadline (0.5 s) plus slack: never a hang
  // The other router is not affected.
  r = c.get("/api/v1/routers/r1/resource", key(kRead));
  CHECK(r.status == 200);
  CHECK(json::parse(r.body)["stale"] == false);

  // After the fault clears, live answers return (the session recovers itself).
  REQUIRE(a.sim.control("fault 0 none").rfind("ok", 0) == 0);
  CHECK(wait_until(
      [&] {
        auto x = c.get("/api/v1/routers/r0/resource?timeout_ms=1000", key(kRead));
        return x.status == 200 && json::parse(x.body)["stale"] == false;
      },
      20s));

  // Never answered → 503; unknown router → 404; bad deadline → 400.
  r = c.get("/api/v1/routers/down/resource?timeout_ms=300", key(kRead));
  CHECK(r.status == 503);
  CHECK(json::parse(r.body)["error"].get<std::string>().find("down") != std::string::npos);
  CHECK(c.get("/api/v1/routers/nope/resource", key(kRead)).status == 404);
  CHECK(c.get("/api/v1/routers/r0/resource?timeout_ms=5", key(kRead)).status == 400);

  // Per-route counting in /metrics, labelled with the route pattern.
  auto m = c.get("/metrics").body;
  CHECK(m.find("routerpulse_http_requests_total{path=\"/api/v1/routers/{router}/resource\",code=\"503\"} 1") !=
        std::string::npos);
  CHECK(m.find("routerpulse_http_requests_total{path=\"/api/v1/routers\",code=\"401\"}") != std::string::npos);
  CHECK(a.log().find(kRead) == std::string::npos);  // keys never logged
}

TEST_CASE("control api: sessions, latest traffic, and an SSE stream that survives a router reconnect") {
  AgentUnderTest a;
  HttpClient c(a.http_port, 15s);

  // Who is online on r0: the simulator's 5 sessions (users 1–5), all streamed.
  json s;
  bool ready = wait_until(
      [&] {
        auto r = c.get("/api/v1/routers/r0/sessions", key(kRead));
        if (r.status != 200) return false;
        s = json::parse(r.body);
        return s["sessions"].size() == 5 && s["sessions"][0]["monitored"] == true;
      },
      15s);
  INFO(s.dump() << "\n" << a.log());
  REQUIRE(ready);
  CHECK(s["sessions"][0]["user"] == "user0001");
  CHECK(s["sessions"][0]["address"] == "100.64.0.1");
  CHECK(s["sessions"][0]["interface"] == "<pppoe-user0001>");
  CHECK(s["sessions"][0]["uptime_seconds"].get<int64_t>() >= 0);
  CHECK(c.get("/api/v1/routers/down/sessions", key(kRead)).status == 404);

  // The latest sample of a customer, with its age (user 1: 2 Mbit/s down).
  json t;
  REQUIRE(wait_until(
      [&] {
        auto r = c.get("/api/v1/traffic?user=user0001", key(kRead));
        if (r.status != 200) return false;
        t = json::parse(r.body);
        return true;
      },
      10s));
  REQUIRE(t["samples"].size() == 1);
  CHECK(t["samples"][0]["router"] == "r0");
  CHECK(t["samples"][0]["download_bits_per_second"] == 2000000);
  CHECK(t["samples"][0]["upload_bits_per_second"] == 500000);
  CHECK(t["samples"][0]["age_ms"].get<int64_t>() < 5000);
  CHECK(c.get("/api/v1/traffic?user=user0001&router=r1", key(kRead)).status == 404);
  CHECK(c.get("/api/v1/traffic?user=nobody", key(kRead)).status == 404);
  CHECK(c.get("/api/v1/traffic", key(kRead)).status == 400);

  // SSE for two customers on two routers: samples within 3 s.
  SseClient sse(a.http_port, "/api/v1/traffic/stream?user=user0001,user0007", key(kRead));
  REQUIRE(sse.status() == 200);
  std::set<std::string> seen;
  auto t0 = std::chrono::steady_clock::now();
  std::string ev;
  while (seen.size() < 2 && std::chrono::steady_clock::now() - t0 < 3s) {
    auto d = sse.next(ev, 500ms);
    if (d.empty()) continue;
    CHECK(ev == "sample");
    seen.insert(json::parse(d)["user"].get<std::string>());
  }
  CHECK(seen == std::set<std::string>{"user0001", "user0007"});

  // r0 drops every connection: the session reconnects, the monitor stream is
  // re-issued, and the same SSE connection keeps delivering user0001.
  const auto reconnects_before = a.sim.stat("connections_accepted");
  REQUIRE(a.sim.control("fault 0 drop").rfind("ok", 0) == 0);
  REQUIRE(wait_until([&] { return a.sim.stat("connections_accepted") > reconnects_before; }, 10s));
  const int64_t after_ns = routerpulse::now_ns();
  bool fresh = false;
  t0 = std::chrono::steady_clock::now();
  while (!fresh && std::chrono::steady_clock::now() - t0 < 10s) {
    auto d = sse.next(ev, 500ms);
    if (d.empty()) continue;
    auto j = json::parse(d);
    fresh = j["user"] == "user0001" && j["time_ns"].get<int64_t>() > after_ns;
  }
  CHECK(fresh);
  CHECK_FALSE(sse.closed());
}

TEST_CASE("control api: on-demand monitors — start, samples with on_demand=true, slots, 429, TTL, delete") {
  // r0: users 1–2 streamed continuously, 3–5 tracked but over max_monitors;
  // one on-demand slot per router.
  AgentUnderTest a("    max_monitors: 2\n    max_on_demand: 1\n");
  HttpClient c(a.http_port, 15s);
  const auto ctl = key(kControl);
  auto post = [&](const std::string& body) { return c.request("POST", "/api/v1/monitors", ctl, body); };

  // Wait until r0's sessions are known.
  bool ready = wait_until(
      [&] {
        auto r = c.get("/api/v1/routers/r0/sessions", key(kRead));
        return r.status == 200 && json::parse(r.body)["sessions"].size() == 5;
      },
      15s);
  REQUIRE(ready);
  CHECK(c.get("/api/v1/traffic?user=user0003", key(kRead)).status == 404);  // not streamed

  // Read keys cannot start monitors; bad bodies are 400; unknown users 404;
  // a continuously streamed customer is 409.
  CHECK(c.request("POST", "/api/v1/monitors", key(kRead), "{\"user\":\"user0003\"}").status == 403);
  CHECK(post("not json").status == 400);
  CHECK(post("{\"customer_id\":\"42\"}").status == 400);
  auto r = post("{\"user\":\"nobody\"}");
  CHECK(r.status == 404);
  CHECK(json::parse(r.body)["error"].get<std::string>().find("nobody") != std::string::npos);
  CHECK(post("{\"user\":\"user0001\"}").status == 409);

  // Start one: 201, listed, samples flow (on_demand=true) within a few seconds.
  r = post("{\"user\":\"user0003\",\"ttl_seconds\":60}");
  REQUIRE(r.status == 201);
  auto m = json::parse(r.body);
  CHECK(m["router"] == "r0");
  CHECK(m["user"] == "user0003");
  const std::string id = m["id"];
  auto list = json::parse(c.get("/api/v1/monitors", key(kRead)).body);
  CHECK(list["monitors"].size() == 1);
  CHECK(list["slots_available"]["r0"] == 0);
  CHECK(list["slots_available"]["r1"] == 1);
  json t;
  REQUIRE(wait_until(
      [&] {
        auto x = c.get("/api/v1/traffic?user=user0003", key(kRead));
        if (x.status != 200) return false;
        t = json::parse(x.body);
        return true;
      },
      5s));
  CHECK(t["samples"][0]["on_demand"] == "true");
  CHECK(t["samples"][0]["download_bits_per_second"] == 4000000);  // rate_base (1 Mbit/s) × (1 + 3)
  // The samples went through the pipeline too (file output).
  CHECK(wait_until([&] { return read_file(a.dir.file("out.txt")).find("on_demand=true") != std::string::npos; }, 10s));

  // Slots exhausted on r0 → 429; POSTing the same user extends instead.
  r = post("{\"user\":\"user0004\"}");
  CHECK(r.status == 429);
  CHECK(json::parse(r.body)["error"].get<std::string>().find("max_on_demand") != std::string::npos);
  r = post("{\"user\":\"user0003\",\"ttl_seconds\":120}");
  CHECK(r.status == 200);
  CHECK(json::parse(r.body)["id"] == id);
  CHECK(json::parse(r.body)["ttl_seconds"] == 120);

  // DELETE ends it and frees the slot.
  CHECK(c.request("DELETE", "/api/v1/monitors/" + id, ctl).status == 200);
  CHECK(c.request("DELETE", "/api/v1/monitors/" + id, ctl).status == 404);
  CHECK(json::parse(c.get("/api/v1/monitors", key(kRead)).body)["slots_available"]["r0"] == 1);

  // A short TTL ends the monitor by itself.
  r = post("{\"user\":\"user0004\",\"ttl_seconds\":1}");
  REQUIRE(r.status == 201);
  CHECK(wait_until([&] { return json::parse(c.get("/api/v1/monitors", key(kRead)).body)["monitors"].empty(); }, 10s));
  CHECK(a.log().find("expired") != std::string::npos);
}

TEST_CASE("control api: openapi.json validates (swagger-parser) and lists exactly the routes the agent answers") {
  AgentUnderTest a;
  HttpClient c(a.http_port, 15s);
  REQUIRE(wait_until([&] { return c.get("/api/v1/routers/r0/sessions", key(kRead)).status == 200; }, 15s));
  auto r = c.get("/api/v1/openapi.json", key(kRead));
  REQUIRE(r.status == 200);
  write_file(a.dir.file("openapi.json"), r.body);
  std::string out;
  const int rc = run_command(source_dir() + "/tests/control/check_openapi.sh " + build_dir() + " " +
                                 a.dir.file("openapi.json") + " 2>" + a.dir.file("validator.err"),
                             &out);
  INFO(out << read_file(a.dir.file("validator.err")));
  REQUIRE(rc == 0);
  std::set<std::string> listed;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) listed.insert(line);
  const std::set<std::string> expected{
      "GET /api/v1/routers",          "GET /api/v1/routers/{router}/resource", "GET /api/v1/routers/{router}/sessions",
      "GET /api/v1/traffic",          "GET /api/v1/traffic/stream",            "GET /api/v1/monitors",
      "POST /api/v1/monitors",        "DELETE /api/v1/monitors/{id}",          "GET /api/v1/openapi.json",
      "GET /health",                  "GET /metrics"};
  CHECK(listed == expected);
  // Every documented route is answered by a handler (not the router's 404/405).
  for (const auto& line : listed) {
    const auto sp = line.find(' ');
    std::string method = line.substr(0, sp), path = line.substr(sp + 1);
    if (path == "/api/v1/traffic/stream") continue;  // an endless stream; covered above
    auto sub = [&](const std::string& from, const std::string& to) {
      if (auto p = path.find(from); p != std::string::npos) path.replace(p, from.size(), to);
    };
    sub("{router}", "r0");
    sub("{id}", "od-none");
    auto x = c.request(method, path + (path == "/api/v1/traffic" ? "?user=user0001" : ""), key(kControl),
                       method == "POST" ? "{}" : "");
    INFO(line << " → " << x.status << " " << x.body);
    CHECK(x.status != 405);
    CHECK(x.body.find("no such API route") == std::string::npos);
  }
}
