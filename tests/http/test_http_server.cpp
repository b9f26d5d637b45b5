// The agent's HTTP server over real loopback sockets: /metrics (+ promtool),
// /health, API key, keep-alive, slow clients, limits, gzip, config errors.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.hpp"
#include "http_client.hpp"
#include "promtool.hpp"
#include "http/http_server.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

/// An agent-like host: one io_context run by two threads, real registries.
struct Host {
  boost::asio::io_context io;
  SelfMetrics stats;
  HealthRegistry health;
  std::unique_ptr<HttpServer> server;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{boost::asio::make_work_guard(io)};
  std::vector<std::thread> threads;

  explicit Host(HttpServerSettings s = {}) {
    s.host = "127.0.0.1";
    s.port = 0;
    server = std::make_unique<HttpServer>(io, stats, health, nullptr);
    server->configure(s);
    server->start();
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
  }
  ~Host() {
    server.reset();  // stop(): acceptor and connections close, so run() returns
    work.reset();
    for (auto& t : threads) t.join();
  }
  int port() const { return server->port(); }
};

/// A raw TCP connection for sending partial or malformed requests.
struct RawConn {
  int fd = -1;
  explicit RawConn(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~RawConn() { ::close(fd); }
  void send(const std::string& s) {
    REQUIRE(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()));
  }
  /// Reads until the server closes the connection (true) or `timeout` passes (false).
  bool read_until_eof(std::string& got, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return true;
      got.append(buf, static_cast<size_t>(n));
    }
    return false;
  }
};

double gauge_value(SelfMetrics& stats, const std::string& subsystem, const std::string& name) {
  return stats.gauge(subsystem, name, "").value();
}

}  // namespace

TEST_CASE("/metrics serves self-metrics, process metrics and exposition writers; promtool accepts it") {
  Host h;
  h.stats.counter("output", "metrics_written_total", "Metrics written.", {{"output", "file"}}).inc(7);
  h.server->add_exposition("b", [](std::string& out) {
    out += "# HELP demo_beta_value Demo beta.\n# TYPE demo_beta_value gauge\ndemo_beta_value 2\n";
  });
  h.server->add_exposition("a", [](std::string& out) {
    out += "# HELP demo_alpha_value Demo alpha.\n# TYPE demo_alpha_value gauge\ndemo_alpha_value{x=\"1\"} 1\n";
  });

  auto r = http_get(h.port(), "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r.body.find("routerpulse_output_metrics_written_total{output=\"file\"} 7\n") != std::string::npos);
  CHECK(r.body.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
  CHECK(r.body.find("process_start_time_seconds ") != std::string::npos);
  // Writers run in key order.
  auto a = r.body.find("demo_alpha_value{x=\"1\"} 1\n"), b = r.body.find("demo_beta_value 2\n");
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  CHECK(a < b);

  // RSS is a real, positive number of bytes.
  auto p = read_process_stats();
  CHECK(p.resident_memory_bytes > 1024 * 1024);
  CHECK(p.cpu_seconds >= 0);
  CHECK(p.open_fds > 2);
  CHECK(p.start_time_seconds > 1.6e9);

  CHECK(promtool_problems(r.body) == "");

  // The request itself is counted (visible on the next scrape).
  auto r2 = http_get(h.port(), "/metrics");
  CHECK(r2.body.find("routerpulse_http_requests_total{path=\"/metrics\",code=\"200\"}") != std::string::npos);
  CHECK(promtool_problems(r2.body) == "");

  // After removal the writer's series are gone.
  h.server->remove_exposition("a");
  CHECK(http_get(h.port(), "/metrics").body.find("demo_alpha_value") == std::string::npos);
}

TEST_CASE("a throwing exposition writer loses only its own series") {
  Host h;
  h.server->add_exposition("a-broken", [](std::string& out) {
    out += "half_written_line{";
    throw std::runtime_error("boom");
  });
  h.server->add_exposition("b-fine", [](std::string& out) { out += "# TYPE fine gauge\nfine 1\n"; });
  auto r = http_get(h.port(), "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.body.find("half_written_line") == std::string::npos);
  CHECK(r.body.find("fine 1\n") != std::string::npos);
  CHECK(h.stats.counter("http", "exposition_errors_total", "").value() == 1);
}

TEST_CASE("HEAD and wrong methods on built-in routes") {
  Host h;
  HttpClient c(h.port());
  auto head = c.request("HEAD", "/metrics");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(std::stoul(head.header("content-length")) > 100);
  auto post = c.request("POST", "/metrics", {}, "x");
  CHECK(post.status == 405);
  CHECK(post.header("allow") == "GET, HEAD");
}

TEST_CASE("/health renders the registry and answers 200 or 503") {
  Host h;
  auto get = [&] {
    auto r = http_get(h.port(), "/health");
    CHECK(r.header("content-type") == "application/json");
    return std::make_pair(r.status, nlohmann::json::parse(r.body));
  };
  auto [s0, j0] = get();
  CHECK(s0 == 200);
  CHECK(j0["status"] == "healthy");
  CHECK(j0["components"].is_object());
  CHECK(j0["routers"].is_object());

  h.health.set_component("outputs.redis_stream", HealthState::degraded, "retrying: connection refused");
  auto [s1, j1] = get();
  CHECK(s1 == 200);
  CHECK(j1["status"] == "degraded");
  CHECK(j1["components"]["outputs.redis_stream"]["detail"] == "retrying: connection refused");

  h.health.set_component("outputs.redis_stream", HealthState::healthy);
  h.health.set_router("pop1-core", HealthState::unhealthy, "session down");
  auto [s2, j2] = get();
  CHECK(s2 == 200);  // a router down degrades the agent, it does not make it unhealthy
  CHECK(j2["status"] == "degraded");
  CHECK(j2["routers"]["pop1-core"]["status"] == "unhealthy");

  h.health.set_component("inputs.routeros_traffic", HealthState::unhealthy, "no router reachable");
  auto [s3, j3] = get();
  CHECK(s3 == 503);
  CHECK(j3["status"] == "unhealthy");
}

TEST_CASE("api_key protects every path except /metrics, /health and open routes") {
  HttpServerSettings s;
  s.api_key = "s3cret-key-0123456789";
  Host h(s);
  h.server->add_route("/api/echo", [](const HttpRequest& req, HttpResponse& res) {
    res.body = req.method + " " + req.target + " " + req.body;
  });
  h.server->add_route(
      "/api/open", [](const HttpRequest&, HttpResponse& res) { res.body = "open"; }, false);

  HttpClient c(h.port());
  auto no_key = c.get("/api/echo");
  CHECK(no_key.status == 401);
  CHECK(nlohmann::json::parse(no_key.body)["error"] == "missing or invalid X-Api-Key header");
  CHECK(c.get("/api/echo", {{"X-Api-Key", "wrong"}}).status == 401);
  CHECK(c.get("/api/echo", {{"X-Api-Key", "s3cret-key-0123456780"}}).status == 401);  // same length
  CHECK(c.get("/api/echo", {{"X-Api-Key", s.api_key + "x"}}).status == 401);
  auto ok = c.request("POST", "/api/echo?x=1", {{"X-Api-Key", s.api_key}}, "hello");
  CHECK(ok.status == 200);
  CHECK(ok.body == "POST /api/echo?x=1 hello");
  // Unknown paths need the key too, so probing reveals nothing.
  CHECK(c.get("/api/nothing").status == 401);
  CHECK(c.get("/api/nothing", {{"X-Api-Key", s.api_key}}).status == 404);
  CHECK(c.get("/metrics").status == 200);
  CHECK(c.get("/health").status == 200);
  CHECK(c.get("/api/open").status == 200);
  CHECK(c.connects() == 1);  // all of it over one keep-alive connection

  h.server->remove_route("/api/echo");
  CHECK(c.get("/api/echo", {{"X-Api-Key", s.api_key}}).status == 404);
  CHECK_THROWS_AS(h.server->add_route("/metrics", [](const HttpRequest&, HttpResponse&) {}), std::invalid_argument);
}

TEST_CASE("without api_key protected routes are open; handler exceptions give 500") {
  Host h;
  h.server->add_route("/api/x", [](const HttpRequest&, HttpResponse& res) { res.body = "x"; });
  h.server->add_route("/api/fail", [](const HttpRequest&, HttpResponse&) { throw std::runtime_error("kaput"); });
  CHECK(http_get(h.port(), "/api/x").status == 200);
  auto f = http_get(h.port(), "/api/fail");
  CHECK(f.status == 500);
  CHECK(f.body.find("kaput") != std::string::npos);
  CHECK(http_get(h.port(), "/nope").status == 404);
}

TEST_CASE("a slow client neither blocks others nor stays forever") {
  HttpServerSettings s;
  s.read_timeout = 500ms;
  Host h(s);
  RawConn slow(h.port());
  slow.send("GET /metrics HTTP/1.1\r\nHost: x\r\n");  // never finishes its header
  // Other clients are served while the slow one is stuck mid-request.
  for (int i = 0; i < 3; ++i) CHECK(http_get(h.port(), "/health").status == 200);
  std::string got;
  CHECK(slow.read_until_eof(got, 20s));  // closed by read_timeout, without an answer
  CHECK(got.empty());
}

TEST_CASE("a client that stops reading a large answer is dropped after write_timeout") {
  HttpServerSettings s;
  s.write_timeout = 500ms;
  s.gzip = false;
  Host h(s);
  // 64 MiB: far more than loopback socket buffers hold, so the write stalls.
  h.server->add_exposition("huge", [](std::string& out) { out.append(64u << 20, '#'); });
  RawConn stalled(h.port());
  stalled.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");  // and never read
  REQUIRE(wait_until(
      [&] {
        return h.stats.counter("http", "requests_total", "", {{"path", "/metrics"}, {"code", "200"}}).value() == 1;
      },
      20s));
  CHECK(http_get(h.port(), "/health").status == 200);  // others are still served
  // The stalled connection is closed by the server, not left open forever.
  CHECK(wait_until([&] { return gauge_value(h.stats, "http", "connections") == 0; }, 30s));
}

TEST_CASE("request limits: 431, 413, 400, and 503 beyond max_connections") {
  HttpServerSettings s;
  s.max_header_bytes = 1024;
  s.max_body_bytes = 1024;
  s.max_connections = 2;
  Host h(s);
  h.server->add_route("/api/in",
                      [](const HttpRequest& req, HttpResponse& res) { res.body = std::to_string(req.body.size()); });

  {
    RawConn c(h.port());
    c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4000, 'a') + "\r\n\r\n");
    std::string got;
    CHECK(c.read_until_eof(got, 20s));
    CHECK(got.rfind("HTTP/1.1 431", 0) == 0);
  }
  {
    HttpClient c(h.port());
    CHECK(c.request("POST", "/api/in", {}, std::string(1000, 'b')).body == "1000");
    CHECK(c.request("POST", "/api/in", {}, std::string(4096, 'b')).status == 413);
  }
  {
    RawConn c(h.port());
    c.send("THIS IS NOT HTTP\r\n\r\n");
    std::string got;
    CHECK(c.read_until_eof(got, 20s));
    CHECK(got.rfind("HTTP/1.1 400", 0) == 0);
  }
  // Two idle keep-alive connections fill the server; the third is refused.
  HttpClient a(h.port()), b(h.port());
  CHECK(a.get("/health").status == 200);
  CHECK(b.get("/health").status == 200);
  REQUIRE(wait_until([&] { return gauge_value(h.stats, "http", "connections") == 2; }, 20s));
  RawConn third(h.port());
  std::string got;
  CHECK(third.read_until_eof(got, 20s));
  CHECK(got.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(h.stats.counter("http", "connections_rejected_total", "").value() == 1);
}

TEST_CASE("gzip when the client accepts it; the result is a valid gzip stream") {
  Host h;
  h.server->add_exposition("big", [](std::string& out) {
    out += "# HELP big_value Many series.\n# TYPE big_value gauge\n";
    for (int i = 0; i < 2000; ++i) out += "big_value{i=\"" + std::to_string(i) + "\"} " + std::to_string(i) + "\n";
  });
  auto plain = http_get(h.port(), "/metrics");
  CHECK(plain.header("content-encoding").empty());
  CHECK(plain.header("vary") == "Accept-Encoding");

  auto gz = http_get(h.port(), "/metrics", {{"Accept-Encoding", "deflate, gzip;q=0.8"}});
  REQUIRE(gz.header("content-encoding") == "gzip");
  CHECK(gz.body.size() < plain.body.size() / 3);
  // Decompress with an independent implementation (gzip(1) checks CRC and size).
  TempDir dir;
  std::ofstream(dir.file("m.gz"), std::ios::binary) << gz.body;
  std::string text;
  REQUIRE(run_command("gzip -dc " + dir.file("m.gz"), &text) == 0);
  CHECK(text.find("big_value{i=\"1999\"} 1999\n") != std::string::npos);
  CHECK(promtool_problems(text) == "");

  CHECK(http_get(h.port(), "/metrics", {{"Accept-Encoding", "gzip;q=0"}}).header("content-encoding").empty());
  CHECK(http_get(h.port(), "/metrics", {{"Accept-Encoding", "*"}}).header("content-encoding") == "gzip");
  // Small answers are not worth compressing.
  CHECK(http_get(h.port(), "/health", {{"Accept-Encoding", "gzip"}}).header("content-encoding").empty());

  HttpServerSettings off;
  off.gzip = false;
  h.server->configure(off);  // applies to new requests while running
  CHECK(http_get(h.port(), "/metrics", {{"Accept-Encoding", "gzip"}}).header("content-encoding").empty());
}

TEST_CASE("start() names the address when it cannot bind; stop() closes the port") {
  Host h;
  SelfMetrics stats2;
  HealthRegistry health2;
  HttpServer second(h.io, stats2, health2, nullptr);
  HttpServerSettings s;
  s.port = static_cast<unsigned short>(h.port());
  second.configure(s);
  try {
    second.start();
    FAIL("start() should have thrown");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("cannot listen on 127.0.0.1:" + std::to_string(h.port())) != std::string::npos);
  }
  int port = h.port();
  h.server->stop();
  CHECK(h.server->port() == 0);
  CHECK(wait_until([&] { return !wait_for_port(port, 50ms); }, 20s));
  h.server->start();  // restartable
  CHECK(http_get(h.server->port(), "/health").status == 200);
}

TEST_CASE("agent.http options are parsed and checked with file:line:col") {
  auto file = std::make_shared<const std::string>("agent.yaml");
  auto parse = [&](const std::string& text) {
    Options o(yaml(text), "agent.http", file);
    auto s = parse_http_settings(o);
    o.check_unknown();
    return s;
  };
  auto d = parse("{}");
  CHECK(d.host == "127.0.0.1");
  CHECK(d.port == 9273);
  CHECK(d.api_key.empty());
  CHECK(d.gzip);

  auto s = parse(
      "listen: \"[::1]:9100\"\napi_key: k\nread_timeout: 2s\nwrite_timeout: 1m\n"
      "max_connections: 4\nmax_header_bytes: 2048\nmax_body_bytes: 0\ngzip: false\n");
  CHECK(s.host == "::1");
  CHECK(s.port == 9100);
  CHECK(s.api_key == "k");
  CHECK(s.read_timeout == 2s);
  CHECK(s.write_timeout == 60s);
  CHECK(s.max_connections == 4);
  CHECK(s.max_header_bytes == 2048);
  CHECK(s.max_body_bytes == 0);
  CHECK_FALSE(s.gzip);
  CHECK(parse("listen: :9300").host == "0.0.0.0");
  CHECK(parse("listen: localhost:0").host == "127.0.0.1");

  auto error_of = [&](const std::string& text) -> std::string {
    try {
      parse(text);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(error_of("listen: 9273").find("agent.yaml:1:9: agent.http.listen: expected host:port") == 0);
  CHECK(error_of("listen: example.org:80").find("agent.http.listen") != std::string::npos);
  CHECK(error_of("listen: 127.0.0.1:70000").find("agent.http.listen") != std::string::npos);
  CHECK(error_of("read_timeout: 0").find("agent.http.read_timeout: must be greater than 0") != std::string::npos);
  CHECK(error_of("max_connections: 0").find("agent.http.max_connections") != std::string::npos);
  CHECK(error_of("listn: 1.2.3.4:5").find("agent.http.listn: unknown option") != std::string::npos);
}
