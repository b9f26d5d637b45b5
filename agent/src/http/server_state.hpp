// Internal: the state an HttpServer shares with its acceptor and connections.
// Handlers hold a shared_ptr to it, so it outlives the HttpServer object until
// the last queued handler has run (or the io_context is destroyed).
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include "routerpulse/health.hpp"
#include "http/api_table.hpp"
#include "http/http_server.hpp"
#include "routerpulse/plugin.hpp"
#include "routerpulse/stats.hpp"

namespace routerpulse::http {
class Session;
}

namespace routerpulse {

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  /// Settings plus what is derived from them once (the key's digest).
  struct Config {
    HttpServerSettings settings;
    /// SHA-256 of every key (api_key as control, then api_keys) with its role.
    std::vector<std::pair<std::array<unsigned char, 32>, ApiRole>> keys;
  };
  /// The reply sink of one `/api/` request (implemented by the connection);
  /// `label` is set by dispatch_api before the handler runs.
  struct Sink : ApiReplySink {
    std::string label = "other";
  };
  struct Route {
    std::shared_ptr<const HttpHandler> handler;
    bool protect = true;
  };

  State(boost::asio::io_context& io, SelfMetrics& stats, HealthRegistry& health, std::shared_ptr<spdlog::logger> log);

  boost::asio::io_context& io;
  SelfMetrics& stats;
  HealthRegistry& health;
  std::shared_ptr<spdlog::logger> log;
  Strand handler_strand;  ///< route handlers and exposition writers run here, one at a time

  std::shared_ptr<const Config> config() const;
  void set_config(const HttpServerSettings& s);

  // Routes and expositions (any thread).
  void add_route(const std::string& path, HttpHandler h, bool protect);
  void remove_route(const std::string& path);
  /// A route added with add_route() answers exactly `path` (it wins over `/api/` patterns).
  bool has_route(const std::string& path) const;
  void add_exposition(const std::string& key, ExpositionWriter w);
  void remove_exposition(const std::string& key);

  /// Answers one request; runs on handler_strand. `route_label` receives the
  /// bounded-cardinality path label for self-metrics.
  HttpResponse dispatch(const HttpRequest& req, const Config& cfg, std::string& route_label);
  /// Answers one `/api/` request through `sink` (now or later); runs on handler_strand.
  void dispatch_api(const HttpRequest& req, const Config& cfg, const std::shared_ptr<Sink>& sink);
  /// The `/api/` route table.
  http::ApiTable api;
  /// The `/metrics` body (any thread).
  std::string render_metrics();
  /// Self-metrics for one answered request.
  void count_response(const std::string& route_label, int status, size_t wire_bytes);

  // Listening (start/stop from the owner's thread; the acceptor itself is
  // only touched on its strand once accepting).
  void start();
  void stop();
  std::atomic<unsigned short> bound_port{0};
  /// Set by ~HttpServer: from then on leftover handlers touch neither `stats`
  /// nor `health` (they may already be destroyed) and answer 503.
  std::atomic<bool> detached{false};

  // Open connections, for max_connections and stop().
  bool register_session(const http::Session* s, std::weak_ptr<http::Session> w, size_t limit);
  void unregister_session(const http::Session* s);

 private:
  void accept_loop(std::shared_ptr<boost::asio::ip::tcp::acceptor> acc);
  void on_accept(boost::asio::ip::tcp::socket sock);
  bool key_ok(const HttpRequest& req, const Config& cfg) const;
  /// The role of the key in X-API-Key or Authorization: Bearer (none when absent/unknown).
  ApiRole key_role(const HttpRequest& req, const Config& cfg) const;

  mutable std::mutex mu_;  ///< guards config_, routes_, expositions_, acceptor_
  std::shared_ptr<const Config> config_;
  std::map<std::string, Route> routes_;
  std::map<std::string, std::shared_ptr<const ExpositionWriter>> expositions_;
  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor_;

  std::mutex sessions_mu_;
  std::unordered_map<const http::Session*, std::weak_ptr<http::Session>> sessions_;

  std::atomic<size_t> last_metrics_size_{0};
  Gauge& connections_;
  Counter& rejected_;
  Counter& exposition_errors_;
};

}  // namespace routerpulse
