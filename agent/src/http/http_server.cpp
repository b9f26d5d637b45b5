// HttpServer: listening socket, accept loop, connection registry.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "http/server_state.hpp"
#include "http/session.hpp"
#include "routerpulse/api.hpp"

namespace routerpulse {

using tcp = boost::asio::ip::tcp;

HttpServer::State::State(boost::asio::io_context& io_, SelfMetrics& stats_, HealthRegistry& health_,
                         std::shared_ptr<spdlog::logger> log_)
    : io(io_),
      stats(stats_),
      health(health_),
      log(log_ ? std::move(log_) : spdlog::default_logger()),
      handler_strand(boost::asio::make_strand(io_)),
      connections_(stats_.gauge("http", "connections", "Open HTTP connections.")),
      rejected_(stats_.counter("http", "connections_rejected_total",
                               "HTTP connections refused with 503 because max_connections were open.")),
      exposition_errors_(stats_.counter("http", "exposition_errors_total",
                                        "/metrics writers that threw; their series were left out of that scrape.")) {
  set_config(HttpServerSettings{});
}

void HttpServer::State::start() {
  std::lock_guard lk(mu_);
  if (acceptor_) return;
  const auto& s = config_->settings;
  const std::string where =
      (s.host.find(':') != std::string::npos ? "[" + s.host + "]" : s.host) + ":" + std::to_string(s.port);
  boost::system::error_code ec;
  tcp::endpoint ep(boost::asio::ip::make_address(s.host, ec), s.port);
  auto acc = std::make_shared<tcp::acceptor>(boost::asio::make_strand(io));
  auto fail = [&](const char* step) {
    throw std::runtime_error("cannot listen on " + where + ": " + step + ": " + ec.message());
  };
  if (ec) fail("bad address");
  if (acc->open(ep.protocol(), ec); ec) fail("socket");
  if (acc->set_option(tcp::acceptor::reuse_address(true), ec); ec) fail("SO_REUSEADDR");
  if (acc->bind(ep, ec); ec) fail("bind");
  if (acc->listen(tcp::socket::max_listen_connections, ec); ec) fail("listen");
  bound_port = acc->local_endpoint(ec).port();
  acceptor_ = acc;
  log->info("http: listening on {}:{}{}", s.host.find(':') != std::string::npos ? "[" + s.host + "]" : s.host,
            bound_port.load(), config_->keys.empty() ? "" : " (API key required off /metrics and /health)");
  boost::asio::post(acc->get_executor(), [self = shared_from_this(), acc] { self->accept_loop(acc); });
}

void HttpServer::State::stop() {
  std::shared_ptr<tcp::acceptor> acc;
  {
    std::lock_guard lk(mu_);
    acc = std::move(acceptor_);
  }
  bound_port = 0;
  if (acc) {
    boost::asio::post(acc->get_executor(), [acc] {
      boost::system::error_code ec;
      acc->close(ec);
    });
  }
  std::vector<std::shared_ptr<http::Session>> open;
  {
    std::lock_guard lk(sessions_mu_);
    for (auto& [p, w] : sessions_)
      if (auto s = w.lock()) open.push_back(std::move(s));
  }
  for (auto& s : open) s->close();
}

void HttpServer::State::accept_loop(std::shared_ptr<tcp::acceptor> acc) {
  acc->async_accept(
      boost::asio::make_strand(io), [self = shared_from_this(), acc](boost::system::error_code ec, tcp::socket sock) {
        if (!acc->is_open() || ec == boost::asio::error::operation_aborted) return;
        if (!ec) {
          self->on_accept(std::move(sock));
          return self->accept_loop(acc);
        }
        // Out of descriptors or similar: wait a little instead of spinning.
        self->log->warn("http: accept failed: {}; retrying in 100ms", ec.message());
        auto timer = std::make_shared<boost::asio::steady_timer>(acc->get_executor(), std::chrono::milliseconds(100));
        timer->async_wait([self, acc, timer](boost::system::error_code) {
          if (acc->is_open()) self->accept_loop(acc);
        });
      });
}

void HttpServer::State::on_accept(tcp::socket sock) {
  if (detached) return;  // the server object is gone; the socket closes here
  boost::system::error_code ec;
  sock.set_option(tcp::no_delay(true), ec);
  auto session = std::make_shared<http::Session>(std::move(sock), shared_from_this());
  if (!session->start()) {
    rejected_.inc();
    log->warn("http: refusing a connection: {} connections are open (agent.http.max_connections)",
              config()->settings.max_connections);
    // The session never started; take its socket back to answer 503.
    http::Session::reject(std::move(session->socket()));
  }
}

bool HttpServer::State::register_session(const http::Session* s, std::weak_ptr<http::Session> w, size_t limit) {
  std::lock_guard lk(sessions_mu_);
  if (sessions_.size() >= limit) return false;
  sessions_.emplace(s, std::move(w));
  connections_.set(static_cast<double>(sessions_.size()));
  return true;
}

void HttpServer::State::unregister_session(const http::Session* s) {
  std::lock_guard lk(sessions_mu_);
  sessions_.erase(s);
  if (!detached) connections_.set(static_cast<double>(sessions_.size()));
}

// ---- HttpServer: thin forwarding to the shared state ----

HttpServer::HttpServer(boost::asio::io_context& io, SelfMetrics& stats, HealthRegistry& health,
                       std::shared_ptr<spdlog::logger> log)
    : state_(std::make_shared<State>(io, stats, health, std::move(log))) {
  ApiRoute doc;
  doc.pattern = "/api/v1/openapi.json";
  doc.summary = "This document: every route the server answers (OpenAPI 3.0)";
  state_->api.add(doc, [w = std::weak_ptr<State>(state_)](const ApiRequest&, ApiReply reply) {
    if (auto s = w.lock()) reply.json(200, s->api.openapi(ROUTERPULSE_VERSION));
  });
}

HttpServer::~HttpServer() {
  stop();
  state_->detached = true;
}

void HttpServer::configure(const Options& http_section) { state_->set_config(parse_http_settings(http_section)); }
void HttpServer::configure(const HttpServerSettings& settings) { state_->set_config(settings); }
HttpServerSettings HttpServer::settings() const { return state_->config()->settings; }
void HttpServer::start() { state_->start(); }
void HttpServer::stop() { state_->stop(); }
unsigned short HttpServer::port() const { return state_->bound_port.load(); }
std::string HttpServer::render_metrics() { return state_->render_metrics(); }

void HttpServer::add_api_route(const ApiRoute& route, ApiHandler handler) {
  state_->api.add(route, std::move(handler));
}
void HttpServer::remove_api_route(const std::string& method, const std::string& pattern) {
  state_->api.remove(method, pattern);
}

void HttpServer::add_route(const std::string& path, HttpHandler handler, bool protect) {
  state_->add_route(path, std::move(handler), protect);
}
void HttpServer::remove_route(const std::string& path) { state_->remove_route(path); }
void HttpServer::add_exposition(const std::string& key, ExpositionWriter writer) {
  state_->add_exposition(key, std::move(writer));
}
void HttpServer::remove_exposition(const std::string& key) { state_->remove_exposition(key); }

}  // namespace routerpulse
