// Internal: the `/api/` route table of the HTTP server — pattern matching,
// query decoding and the OpenAPI 3.0 document of every route.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "routerpulse/api.hpp"

namespace routerpulse::http {

class ApiTable {
 public:
  struct Match {
    std::shared_ptr<const ApiHandler> handler;  ///< null when nothing matched
    ApiRoute route;
    std::map<std::string, std::string> params;
    std::vector<std::string> allow;  ///< methods of patterns that matched the path (for 405)
  };

  /// Throws std::invalid_argument for a pattern outside `/api/`, an empty or
  /// unknown method, or an unterminated `{`.
  void add(const ApiRoute& route, ApiHandler handler);
  void remove(const std::string& method, const std::string& pattern);
  /// The route for `method` on `path` (HEAD matches GET). Literal segments
  /// win over `{param}` segments when several patterns match.
  Match find(const std::string& method, const std::string& path) const;
  /// OpenAPI 3.0.3 document (JSON text) of every route plus /health and /metrics.
  std::string openapi(const std::string& version) const;

 private:
  struct Entry {
    ApiRoute route;
    std::vector<std::string> segs;
    std::shared_ptr<const ApiHandler> handler;
  };
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

/// Splits "/a/b/c" into {"a","b","c"} (empty segments kept except the leading one).
std::vector<std::string> split_path(const std::string& path);
/// Percent-decoding (RFC 3986 §2.1); `plus` turns '+' into a space (form encoding).
std::string percent_decode(std::string_view s, bool plus);
/// Decodes a query string `a=1&b=x%20y` into name → value pairs.
std::multimap<std::string, std::string> parse_query(std::string_view q);

}  // namespace routerpulse::http
