// The control API SDK (routerpulse/api.hpp) on the agent's real HTTP server
// over loopback: the auth matrix, patterns and 404/405, deferred answers,
// Server-Sent Events (delivery, bounded queue, client going away) and the
// OpenAPI document listing every route.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.hpp"
#include "http/http_server.hpp"
#include "http_client.hpp"
#include "routerpulse/api.hpp"
#include "sse_client.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string kRead = "read-key-0123456789";
const std::string kControl = "control-key-abcdefgh";

struct Host {
  boost::asio::io_context io;
  SelfMetrics stats;
  HealthRegistry health;
  std::unique_ptr<HttpServer> server;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{boost::asio::make_work_guard(io)};
  std::vector<std::thread> threads;

  explicit Host(HttpServerSettings s) {
    s.host = "127.0.0.1";
    s.port = 0;
    server = std::make_unique<HttpServer>(io, stats, health, nullptr);
    server->configure(s);
    server->start();
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
  }
  ~Host() {
    server.reset();
    work.reset();
    for (auto& t : threads) t.join();
  }
  int port() const { return server->port(); }
};

HttpServerSettings keyed() {
  HttpServerSettings s;
  s.api_keys = {{kRead, ApiRole::read}, {kControl, ApiRole::control}};
  return s;
}

std::map<std::string, std::string> key(const std::string& k) { return {{"X-API-Key", k}}; }

void add_sample_routes(HttpServer& srv) {
  ApiRoute get;
  get.pattern = "/api/v1/things/{thing}";
  get.summary = "a thing";
  get.query = {{"detail", "more detail", false}};
  srv.add_api_route(get, [](const ApiRequest& req, ApiReply reply) {
    reply.json(200, json{{"thing", req.param("thing")},
                         {"detail", req.query_value("detail").value_or("-")},
                         {"role", to_string(req.role)}}
                        .dump());
  });
  ApiRoute post;
  post.method = "POST";
  post.pattern = "/api/v1/things";
  post.role = ApiRole::control;
  post.success_status = 201;
  post.request_schema = R"({"type":"object"})";
  srv.add_api_route(post, [](const ApiRequest& req, ApiReply reply) { reply.json(201, req.http.body); });
}

}  // namespace

TEST_CASE("api: the auth matrix (no key, unknown key, read key, control key, Bearer)") {
  Host h(keyed());
  add_sample_routes(*h.server);
  HttpClient c(h.port());
  // No key / wrong key → 401 with WWW-Authenticate, also for unknown paths.
  auto r = c.get("/api/v1/things/a");
  CHECK(r.status == 401);
  CHECK(r.header("www-authenticate").rfind("Bearer", 0) == 0);
  CHECK(json::parse(r.body).contains("error"));
  CHECK(c.get("/api/v1/things/a", key("nope")).status == 401);
  CHECK(c.get("/api/v1/nothing-here", key("nope")).status == 401);
  CHECK(c.get("/api/v1/things/a", {{"Authorization", "Bearer nope"}}).status == 401);
  CHECK(c.get("/api/v1/things/a", {{"Authorization", "Basic " + kRead}}).status == 401);
  // A read key reads; with Bearer too (scheme is case-insensitive).
  r = c.get("/api/v1/things/a%20b?detail=x+y", key(kRead));
  REQUIRE(r.status == 200);
  auto j = json::parse(r.body);
  CHECK(j["thing"] == "a b");
  CHECK(j["detail"] == "x y");
  CHECK(j["role"] == "read");
  CHECK(c.get("/api/v1/things/a", {{"Authorization", "Bearer " + kRead}}).status == 200);
  CHECK(c.get("/api/v1/things/a", {{"Authorization", "bearer " + kControl}}).status == 200);
  // A read key on a control route → 403; a control key → the handler.
  r = c.request("POST", "/api/v1/things", key(kRead), "{\"x\":1}");
  CHECK(r.status == 403);
  CHECK(r.body.find("control") != std::string::npos);
  r = c.request("POST", "/api/v1/things", key(kControl), "{\"x\":1}");
  CHECK(r.status == 201);
  CHECK(json::parse(r.body)["x"] == 1);
  // /metrics and /health stay open.
  CHECK(c.get("/metrics").status == 200);
  CHECK(c.get("/health").status == 200);
  // Requests are counted per route pattern and status.
  auto metrics = c.get("/metrics").body;
  CHECK(metrics.find("routerpulse_http_requests_total{path=\"/api/v1/things/{thing}\",code=\"200\"} 3") !=
        std::string::npos);
  CHECK(metrics.find("routerpulse_http_requests_total{path=\"/api/v1/things\",code=\"403\"} 1") != std::string::npos);
  // Keys never show up in the metrics.
  CHECK(metrics.find(kRead) == std::string::npos);
}

TEST_CASE("api: api_key alone is a control key; no keys at all → 401 everywhere under /api/") {
  {
    HttpServerSettings s;
    s.api_key = kControl;
    Host h(s);
    add_sample_routes(*h.server);
    HttpClient c(h.port());
    CHECK(c.request("POST", "/api/v1/things", key(kControl), "{}").status == 201);
    CHECK(c.get("/api/v1/things/x").status == 401);
  }
  {
    Host h(HttpServerSettings{});
    add_sample_routes(*h.server);
    HttpClient c(h.port());
    auto r = c.get("/api/v1/things/x", key(kRead));
    CHECK(r.status == 401);
    CHECK(r.body.find("api_keys") != std::string::npos);
  }
}

TEST_CASE("api: 404 and 405, literal segments win, routes can be removed") {
  Host h(keyed());
  add_sample_routes(*h.server);
  ApiRoute lit;
  lit.pattern = "/api/v1/things/special";
  h.server->add_api_route(lit, [](const ApiRequest&, ApiReply reply) { reply.json(200, "{\"special\":true}"); });
  HttpClient c(h.port());
  CHECK(json::parse(c.get("/api/v1/things/special", key(kRead)).body)["special"] == true);
  CHECK(json::parse(c.get("/api/v1/things/other", key(kRead)).body)["thing"] == "other");
  CHECK(c.get("/api/v1/nope", key(kRead)).status == 404);
  CHECK(c.get("/api/v1/things/a/b", key(kRead)).status == 404);
  auto r = c.request("DELETE", "/api/v1/things/a", key(kControl));
  CHECK(r.status == 405);
  CHECK(r.header("allow") == "GET");
  h.server->remove_api_route("GET", "/api/v1/things/{thing}");
  CHECK(c.get("/api/v1/things/other", key(kRead)).status == 404);
  ApiRoute bad;
  bad.pattern = "/x";
  CHECK_THROWS_AS(h.server->add_api_route(bad, [](const ApiRequest&, ApiReply) {}),
                  std::invalid_argument);
}

TEST_CASE("api: deferred answers from another thread; a dropped reply is 500; a throwing handler is 500") {
  Host h(keyed());
  std::vector<std::thread> workers;
  ApiRoute later;
  later.pattern = "/api/v1/later";
  h.server->add_api_route(later, [&](const ApiRequest&, ApiReply reply) {
    workers.emplace_back([reply]() mutable {
      std::this_thread::sleep_for(50ms);  // stands in for a router round trip
      reply.json(200, "{\"late\":true}");
      reply.json(500, "{}");  // a second answer is ignored
    });
  });
  ApiRoute dropped;
  dropped.pattern = "/api/v1/dropped";
  h.server->add_api_route(dropped, [](const ApiRequest&, ApiReply) {});
  ApiRoute throws;
  throws.pattern = "/api/v1/throws";
  h.server->add_api_route(throws, [](const ApiRequest&, ApiReply) { throw std::runtime_error("boom"); });
  HttpClient c(h.port());
  auto r = c.get("/api/v1/later", key(kRead));
  CHECK(r.status == 200);
  CHECK(json::parse(r.body)["late"] == true);
  r = c.get("/api/v1/dropped", key(kRead));
  CHECK(r.status == 500);
  CHECK(r.body.find("did not answer") != std::string::npos);
  r = c.get("/api/v1/throws", key(kRead));
  CHECK(r.status == 500);
  CHECK(r.body.find("boom") != std::string::npos);
  // The connection still works after all of that (keep-alive).
  CHECK(c.get("/api/v1/later", key(kRead)).status == 200);
  CHECK(c.connects() == 1);
  for (auto& t : workers) t.join();
}

TEST_CASE("api: Server-Sent Events deliver, close on client exit, and drop a subscriber over its bound") {
  Host h(keyed());
  std::mutex mu;
  std::vector<std::shared_ptr<EventStream>> streams;
  std::atomic<int> closed{0};
  ApiRoute ev;
  ev.pattern = "/api/v1/events";
  ev.event_stream = true;
  h.server->add_api_route(ev, [&](const ApiRequest& req, ApiReply reply) {
    size_t bound = req.query_value("small") ? 64 : 64 * 1024;
    auto s = reply.events(bound);
    REQUIRE(s);
    s->on_close([&] { ++closed; });
    std::lock_guard lk(mu);
    streams.push_back(s);
  });
  auto publish = [&](const std::string& data) {
    std::lock_guard lk(mu);
    int ok = 0;
    for (auto& s : streams) ok += s->send("sample", data);
    return ok;
  };
  {
    SseClient sse(h.port(), "/api/v1/events", key(kRead));
    REQUIRE(sse.status() == 200);
    CHECK(sse.headers().at("content-type") == "text/event-stream");
    REQUIRE(wait_until([&] { std::lock_guard lk(mu); return streams.size() == 1; }, 5s));
    publish("{\"n\":1}");
    publish("line1\nline2");
    std::string event;
    CHECK(sse.next(event, 5s) == "{\"n\":1}");
    CHECK(event == "sample");
    CHECK(sse.next(event, 5s) == "line1\nline2");
  }
  // The client went away: the stream closes and tells its producer.
  CHECK(wait_until([&] { return closed.load() == 1; }, 5s));
  CHECK(publish("after") == 0);

  // A subscriber whose queue passes its bound is dropped, not buffered.
  {
    std::lock_guard lk(mu);
    streams.clear();
  }
  SseClient slow(h.port(), "/api/v1/events?small=1", key(kRead));
  REQUIRE(wait_until([&] { std::lock_guard lk(mu); return streams.size() == 1; }, 5s));
  int accepted = 0;
  for (int i = 0; i < 20; ++i) accepted += publish(std::string(30, 'x'));
  CHECK(accepted < 20);
  CHECK(wait_until([&] { return closed.load() == 2; }, 5s));
  std::string event;
  for (int i = 0; i < 20 && !slow.closed(); ++i) slow.next(event, 200ms);
  CHECK(slow.closed());
  // SSE needs a key like every /api/ route.
  SseClient nokey(h.port(), "/api/v1/events");
  CHECK(nokey.status() == 401);
}

TEST_CASE("api: /api/v1/openapi.json is an OpenAPI 3 document of every route") {
  Host h(keyed());
  add_sample_routes(*h.server);
  HttpClient c(h.port());
  auto r = c.get("/api/v1/openapi.json", key(kRead));
  REQUIRE(r.status == 200);
  auto doc = json::parse(r.body);
  CHECK(doc["openapi"] == "3.0.3");
  CHECK(doc["paths"].contains("/api/v1/things/{thing}"));
  CHECK(doc["paths"].contains("/api/v1/openapi.json"));
  CHECK(doc["paths"]["/api/v1/things"]["post"]["responses"].contains("201"));
  CHECK(doc["paths"]["/api/v1/things"]["post"]["responses"].contains("403"));
  auto params = doc["paths"]["/api/v1/things/{thing}"]["get"]["parameters"];
  REQUIRE(params.size() == 2);
  CHECK(params[0]["in"] == "path");
  CHECK(params[0]["required"] == true);
  CHECK(params[1]["in"] == "query");
  CHECK(doc["components"]["securitySchemes"].contains("bearer"));
}
