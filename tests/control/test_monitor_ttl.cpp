// On-demand monitor TTLs driven by a ManualClock: routeros_traffic hosted by
// the test harness (the engine's own component factory) with a real
// RouterRegistry against routeros-sim and the agent's real HTTP server; the
// monitor's lifetime moves only when the test advances the clock.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/http_server.hpp"
#include "http_client.hpp"
#include "sim_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE("on-demand monitor: TTL expiry and extension follow the manual clock") {
  SimProcess sim(1, {"--sessions", "5"});
  ManualClock clock;
  TrafficFixture fx(sim, 1, &clock);
  HttpServerSettings hs;
  hs.host = "127.0.0.1";
  hs.port = 0;
  hs.api_keys = {{"k", ApiRole::control}};
  HttpServer srv(fx.h.io, fx.h.stats, fx.h.health, nullptr);
  srv.configure(hs);
  srv.start();
  fx.h.http = &srv;
  fx.create("max_monitors: 2\non_demand_ttl: 5m\n");
  HttpClient c(srv.port());
  const std::map<std::string, std::string> key{{"X-API-Key", "k"}};
  auto monitors = [&] { return json::parse(c.get("/api/v1/monitors", key).body)["monitors"]; };

  // user0003 is tracked but over max_monitors.
  REQUIRE(wait_until(
      [&] {
        auto r = c.get("/api/v1/routers/r0/sessions", key);
        return r.status == 200 && json::parse(r.body)["sessions"].size() == 5;
      },
      15s));
  auto r = c.request("POST", "/api/v1/monitors", key, "{\"user\":\"user0003\",\"ttl_seconds\":30}");
  REQUIRE(r.status == 201);
  CHECK(json::parse(r.body)["expires_in_seconds"] == 30.0);

  // Real time passing changes nothing; 29 s of clock time neither.
  std::this_thread::sleep_for(200ms);
  clock.advance(29s);
  std::this_thread::sleep_for(200ms);
  CHECK(monitors().size() == 1);
  CHECK(monitors()[0]["expires_in_seconds"] == 1.0);

  // Extend at 29 s by another 30 s: still there at 29 + 29 s.
  r = c.request("POST", "/api/v1/monitors", key, "{\"user\":\"user0003\",\"ttl_seconds\":30}");
  CHECK(r.status == 200);
  clock.advance(29s);
  std::this_thread::sleep_for(200ms);
  CHECK(monitors().size() == 1);

  // One more second of clock time: it ends by itself and frees its slot.
  clock.advance(2s);
  CHECK(wait_until([&] { return monitors().empty(); }, 5s));
  CHECK(json::parse(c.get("/api/v1/monitors", key).body)["slots_available"]["r0"] == 10);

  // The default TTL (on_demand_ttl: 5m) applies without ttl_seconds.
  r = c.request("POST", "/api/v1/monitors", key, "{\"user\":\"user0004\"}");
  REQUIRE(r.status == 201);
  CHECK(json::parse(r.body)["ttl_seconds"] == 300.0);
  clock.advance(299s);
  std::this_thread::sleep_for(200ms);
  CHECK(monitors().size() == 1);
  clock.advance(2s);
  CHECK(wait_until([&] { return monitors().empty(); }, 5s));

  // Stop the input while the server is alive (it removes its routes).
  fx.h.stop(*fx.component, fx.h.last_context());
  CHECK(c.get("/api/v1/monitors", key).status == 404);
}
