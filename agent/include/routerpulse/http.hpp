// routerpulse — the agent's single HTTP server (Boost.Beast) on `agent.http.listen`.
//
// It serves `/metrics` (self-metrics plus every registered exposition writer,
// e.g. the prometheus output), `/health` and any route a component adds.
// Routes registered as protected require header `X-Api-Key` equal to
// `agent.http.api_key` (constant-time compare) and get 401 otherwise;
// `/metrics` and `/health` are never protected.
// Threading: add_* may be called from any thread before or after start(); the
// handlers run on the server's strand and must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace routerpulse {

struct HttpRequest {
  std::string method;                          ///< "GET", "POST", …
  std::string target;                          ///< path plus query, e.g. "/metrics?x=1"
  std::string path;                            ///< path only
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;  ///< extra headers
};

/// A route handler; it fills `res` synchronously.
using HttpHandler = std::function<void(const HttpRequest& req, HttpResponse& res)>;

/// Something that appends Prometheus text exposition to the `/metrics` body.
using ExpositionWriter = std::function<void(std::string& out)>;

struct ApiRoute;
struct ApiRequest;
class ApiReply;
/// A control API handler (routerpulse/api.hpp): answers through `reply`, now or later.
using ApiHandler = std::function<void(const ApiRequest& req, ApiReply reply)>;

/// Route and exposition registration; implemented by the agent's server.
class HttpRoutes {
 public:
  virtual ~HttpRoutes() = default;
  /// Adds or replaces a route. `protect` → requires the API key when one is set.
  virtual void add_route(const std::string& path, HttpHandler handler, bool protect = true) = 0;
  virtual void remove_route(const std::string& path) = 0;
  /// Adds a writer called on every `/metrics` scrape, in `key` order.
  /// Returns nothing; remove it with remove_exposition(key) before the writer's
  /// owner is destroyed.
  virtual void add_exposition(const std::string& key, ExpositionWriter writer) = 0;
  virtual void remove_exposition(const std::string& key) = 0;
  /// Adds (or replaces) a `/api/` route (routerpulse/api.hpp: patterns, auth,
  /// threading). Throws std::invalid_argument for a pattern outside `/api/`.
  virtual void add_api_route(const ApiRoute& route, ApiHandler handler) = 0;
  /// Removes a route; requests already dispatched still get their answer.
  virtual void remove_api_route(const std::string& method, const std::string& pattern) = 0;
};

}  // namespace routerpulse
