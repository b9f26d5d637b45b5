// routerpulse — the control API SDK: JSON routes under `/api/v1/` on the
// agent's HTTP server (`agent.http`), registered by the agent itself and by
// plugins (each plugin registers its own read-only views).
//
// Routes. An ApiRoute is a method plus a pattern of `/`-separated segments;
// a segment `{name}` matches one whole non-empty segment (percent-decoded
// into ApiRequest::params), every other segment matches literally. A path
// that matches a pattern under another method gets 405 with `Allow`; no
// pattern → 404. Patterns must start with `/api/`; registering the same
// method + pattern again replaces the handler (remove it before the owner is
// destroyed: HttpRoutes::remove_api_route).
//
// Auth (every `/api/` route): the key comes from `X-API-Key: <key>` or
// `Authorization: Bearer <key>` (RFC 6750 §2.1) and is matched against
// `agent.http.api_keys` by comparing SHA-256 digests with CRYPTO_memcmp
// (constant time; every configured key is compared, so neither which key
// matched nor its length leaks). No key or an unknown key → 401 (with
// `WWW-Authenticate: Bearer`), a `read` key on a `control` route → 403. With
// no keys configured every `/api/` route answers 401. Keys are never logged.
//
// Errors are JSON: `{"error": "<message>"}` with the status (ApiReply::error).
// A handler that throws gets 500 with the exception's message; a handler that
// drops its ApiReply without answering gets 500 "handler did not answer".
//
// Threading: handlers run on the server's handler strand, one at a time, and
// must not block. A handler that needs I/O (e.g. a RouterOS command) keeps
// the ApiReply (cheap to copy) and answers later from any thread. ApiReply
// and EventStream are thread-safe.
//
// Self-metrics: routerpulse_http_requests_total{path,code} where `path` is
// the route's pattern (e.g. `/api/v1/routers/{router}/resource`), so the
// label set stays bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routerpulse/http.hpp"

namespace routerpulse {

/// What a key may do. `read` keys reach read routes; `control` keys reach both.
enum class ApiRole : uint8_t {
  none = 0,     ///< no valid key (only in ApiRequest::role of public routes)
  read = 1,     ///< GET views
  control = 2,  ///< changes (POST/DELETE monitors, …) and everything `read` can
};

/// "none" | "read" | "control".
const char* to_string(ApiRole r) noexcept;

/// A documented query parameter (for the OpenAPI document).
struct ApiParam {
  std::string name;
  std::string description;
  bool required = false;
};

/// One route: what it answers and how it is documented in `/api/v1/openapi.json`.
struct ApiRoute {
  std::string method = "GET";  ///< GET | POST | DELETE | PUT | PATCH
  std::string pattern;         ///< e.g. "/api/v1/routers/{router}/resource"
  ApiRole role = ApiRole::read;
  std::string summary;                ///< one line
  std::string description;            ///< optional, longer
  std::vector<ApiParam> query;        ///< documented query parameters
  std::string request_schema;         ///< JSON Schema (OpenAPI 3.0 Schema Object) of the body, or empty
  std::string response_schema;        ///< JSON Schema of the success body, or empty = any object
  int success_status = 200;           ///< status of a successful answer (201 for creations)
  std::vector<int> error_statuses;    ///< documented error codes besides 401/403
  bool event_stream = false;          ///< answers `text/event-stream` (Server-Sent Events)
};

/// A request as a handler sees it.
struct ApiRequest {
  const HttpRequest& http;                    ///< method, target, headers (lower-case), body
  std::map<std::string, std::string> params;  ///< `{name}` segments, percent-decoded
  std::map<std::string, std::string> query;   ///< query string, percent-decoded; last value of a repeated name wins
  std::multimap<std::string, std::string> query_all;  ///< every query value (e.g. `user=a&user=b`)
  ApiRole role = ApiRole::none;               ///< role of the key that was used

  /// A path parameter ("" when absent).
  std::string param(const std::string& name) const;
  /// A query value, or nullopt.
  std::optional<std::string> query_value(const std::string& name) const;
  /// Every value of a query name; a value with commas is split ("a,b" → a, b).
  std::vector<std::string> query_list(const std::string& name) const;
};

/// A Server-Sent Events stream (https://html.spec.whatwg.org/multipage/server-sent-events.html):
/// the server writes each event as `event: <name>\ndata: <line>\n…\n\n`.
/// Every send() is queued (never blocks); when a slow client lets more than
/// the stream's byte bound pile up, the stream is closed (the client is
/// dropped) rather than buffering without bound. Thread-safe.
class EventStream {
 public:
  virtual ~EventStream() = default;
  /// Queues one event. `data` may hold newlines (one `data:` line each).
  /// Returns false when the stream is closed (client gone, dropped as slow,
  /// server stopping); the caller should then forget it.
  virtual bool send(std::string_view event, std::string_view data) = 0;
  /// Ends the stream (the connection closes once the queue is written).
  virtual void close() = 0;
  virtual bool closed() const = 0;
  /// Called once, from any thread, when the stream closes for any reason
  /// (also at once if it already has). Use it to unsubscribe.
  virtual void on_close(std::function<void()> fn) = 0;
};

/// The server side of one ApiReply (implemented by the agent).
class ApiReplySink {
 public:
  virtual ~ApiReplySink() = default;
  virtual void respond(HttpResponse res) = 0;
  virtual std::shared_ptr<EventStream> open_events(size_t max_queued_bytes) = 0;
};

/// The answer to one request: call exactly one of json/error/respond/events,
/// once, from any thread, now or later. Later calls are ignored. Copyable
/// (shared); when the last copy is destroyed unanswered the client gets 500.
class ApiReply {
 public:
  explicit ApiReply(std::shared_ptr<ApiReplySink> sink);
  ApiReply(const ApiReply&) = default;
  ApiReply& operator=(const ApiReply&) = default;

  /// `body` must be JSON text; sent as application/json.
  void json(int status, std::string body);
  /// `{"error": message}` with `status`.
  void error(int status, const std::string& message);
  /// Any response (content type, extra headers).
  void respond(HttpResponse res);
  /// Starts a text/event-stream answer (200) and returns its stream; nullptr
  /// when already answered. `max_queued_bytes` bounds what waits for a slow client.
  std::shared_ptr<EventStream> events(size_t max_queued_bytes = 256 * 1024);
  /// True once answered.
  bool answered() const;

 private:
  struct Shared;
  std::shared_ptr<Shared> s_;
};

/// A JSON string literal (quoted and escaped) for hand-built bodies.
std::string json_quote(std::string_view s);

}  // namespace routerpulse
