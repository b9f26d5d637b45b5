// routerpulse — the agent's HTTP server (Boost.Beast, HTTP/1.1) on `agent.http.listen`.
//
// Serves, on one listening socket:
//   GET|HEAD /metrics  process_* metrics, the self-metrics registry
//                      (SelfMetrics::write_prometheus) and every ExpositionWriter
//                      added with add_exposition(), in key order; Prometheus
//                      text format 0.0.4. Never protected by the API key.
//   GET|HEAD /health   HealthRegistry::to_json(); 200 while healthy or degraded,
//                      503 when unhealthy. Never protected by the API key.
//   any other path     the route added with add_route(), else 404. When
//                      `api_key` is set, every path except the two above and
//                      routes added with protect=false needs header
//                      `X-Api-Key: <key>` and otherwise gets 401 (also for
//                      unknown paths, so probing reveals nothing).
//
// Connections: HTTP/1.1 keep-alive and pipelining, many concurrent clients.
// Each connection does its socket I/O on its own strand; route handlers and
// exposition writers run one at a time on the server's handler strand, so a
// slow or stalled client never holds up another. A request must arrive
// completely within `read_timeout` (also the keep-alive idle limit), a response
// must be taken within `write_timeout`. Oversized headers get 431, oversized
// bodies 413, malformed requests 400; each closes the connection. Connections
// beyond `max_connections` get 503 and are closed.
// Responses of 1 KiB or more are gzip-compressed when the client sends
// `Accept-Encoding: gzip` (RFC 9110 §12.5.3, RFC 1952) and `gzip` is on.
//
// Self-metrics (subsystem `http`): routerpulse_http_requests_total{path,code},
// routerpulse_http_request_duration_seconds{path} (time in the handler, i.e.
// the /metrics render time), routerpulse_http_connections (open now),
// routerpulse_http_connections_rejected_total, routerpulse_http_response_bytes_total{path}
// (bytes on the wire, after compression). `path` is the route or `other`.
//
// Threading: configure(), start(), stop() and port() from any one thread;
// add_*/remove_* from any thread at any time (one mutex). The io_context must
// be run by the caller (one or more threads).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

#include "routerpulse/api.hpp"
#include "routerpulse/config.hpp"
#include "routerpulse/http.hpp"

namespace routerpulse {

class SelfMetrics;
class HealthRegistry;

/// One entry of `agent.http.api_keys`.
struct ApiKeySetting {
  std::string key;               ///< the secret (use ${env:…} or ${file:…})
  ApiRole role = ApiRole::read;  ///< read | control
};

/// `agent.http` options with their defaults.
struct HttpServerSettings {
  std::string host = "127.0.0.1";                     ///< IPv4/IPv6 literal to bind; `localhost` means 127.0.0.1
  unsigned short port = 9273;                         ///< 0 = let the kernel pick (see HttpServer::port())
  std::string api_key;                                ///< shorthand for one `control` key; empty = none
  std::vector<ApiKeySetting> api_keys;                ///< keys with roles (routerpulse/api.hpp)
  Duration read_timeout = std::chrono::seconds(10);   ///< whole request, incl. keep-alive idle
  Duration write_timeout = std::chrono::seconds(30);  ///< whole response
  size_t max_connections = 128;                       ///< concurrent connections; beyond → 503 and close
  size_t max_header_bytes = 16 * 1024;                ///< request line + headers; beyond → 431
  size_t max_body_bytes = 1024 * 1024;                ///< request body; beyond → 413
  bool gzip = true;                                   ///< compress responses for clients that accept gzip
};

/// Parses the `agent.http` section:
///   listen: "127.0.0.1:9273" | "[::1]:9273" | ":9273" (all IPv4 interfaces) | "localhost:9273"
///   api_key: string (optional; empty/absent = none; a `control` key),
///   api_keys: [{key: string (non-empty), role: read|control (default read)}], read_timeout, write_timeout (durations > 0),
///   max_connections (1..65535), max_header_bytes (1 KiB..1 MiB), max_body_bytes (0..1 GiB), gzip (bool).
/// Reads only these keys (the caller runs check_unknown()). Throws ConfigError naming
/// file:line:col and the option on any invalid value.
HttpServerSettings parse_http_settings(const Options& http_section);

/// The server. Owns its acceptor and connections; shares ownership of its
/// internal state with in-flight handlers, so it may be destroyed while the
/// io_context still holds them (they then finish with operation_aborted).
class HttpServer : public HttpRoutes {
 public:
  /// `stats`, `health` and the io_context must outlive the server and every
  /// handler it queued. `log` may be nullptr (then spdlog's default logger).
  HttpServer(boost::asio::io_context& io, SelfMetrics& stats, HealthRegistry& health,
             std::shared_ptr<spdlog::logger> log);
  /// Calls stop().
  ~HttpServer() override;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Applies the `agent.http` section (see parse_http_settings). Throws ConfigError.
  /// While running, new values apply to new requests; a changed `listen`
  /// takes effect at the next start().
  void configure(const Options& http_section);
  /// Applies already-parsed settings (tests, embedding).
  void configure(const HttpServerSettings& settings);
  /// A copy of the settings in force.
  HttpServerSettings settings() const;

  /// Binds and listens, then accepts asynchronously on the io_context.
  /// Throws std::runtime_error("cannot listen on <host>:<port>: <reason>") on
  /// failure; calling it while running is a no-op.
  void start();
  /// Stops accepting and closes every connection. Returns at once; sockets are
  /// closed by handlers posted to the io_context. start() may be called again.
  void stop();
  /// The bound port (the kernel's pick for port 0); 0 when not listening.
  unsigned short port() const;

  /// Builds the `/metrics` body on the calling thread (also used by tests and
  /// benchmarks). An ExpositionWriter that throws has its partial output
  /// removed, is logged and counted in routerpulse_http_exposition_errors_total.
  std::string render_metrics();

  // HttpRoutes (thread-safe). add_route throws std::invalid_argument for
  // `/metrics`, `/health` (built in) or a path not starting with `/`.
  void add_route(const std::string& path, HttpHandler handler, bool protect = true) override;
  void remove_route(const std::string& path) override;
  void add_exposition(const std::string& key, ExpositionWriter writer) override;
  void remove_exposition(const std::string& key) override;
  void add_api_route(const ApiRoute& route, ApiHandler handler) override;
  void remove_api_route(const std::string& method, const std::string& pattern) override;

  struct State;  ///< internal; defined in agent/src/http/

 private:
  std::shared_ptr<State> state_;
};

/// Resource usage of this process, read from getrusage(2), /proc/self/stat,
/// /proc/stat, /proc/self/fd and getrlimit(2) (proc(5)). Fields that cannot be
/// read are left at -1.
struct ProcessStats {
  double cpu_seconds = -1;            ///< user + system CPU time, seconds
  double resident_memory_bytes = -1;  ///< RSS, bytes
  double virtual_memory_bytes = -1;   ///< VSZ, bytes
  double start_time_seconds = -1;     ///< process start, seconds since the Unix epoch
  double open_fds = -1;               ///< open file descriptors
  double max_fds = -1;                ///< RLIMIT_NOFILE soft limit
  double threads = -1;                ///< OS threads
};

/// Reads ProcessStats now (a few small procfs reads; never blocks on I/O).
ProcessStats read_process_stats();

/// Appends the standard process collector families that Prometheus client
/// libraries export (https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics):
/// process_cpu_seconds_total (counter), process_resident_memory_bytes,
/// process_virtual_memory_bytes, process_start_time_seconds, process_open_fds,
/// process_max_fds and process_threads (gauges). Unreadable values are omitted.
/// HttpServer calls this at the start of every `/metrics` body.
void write_process_metrics(std::string& out);

}  // namespace routerpulse
