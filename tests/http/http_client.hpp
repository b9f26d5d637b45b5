// Test/bench support: a small HTTP/1.1 client (Boost.Beast) with timeouts,
// keep-alive reuse and no automatic decompression, so tests see exactly what
// the server sent.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace routerpulse::test {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;                            ///< as received (still gzip if the server compressed)
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// One keep-alive connection to 127.0.0.1:port, opened on first use and
/// re-opened if the server closed it. Not thread-safe.
class HttpClient {
 public:
  explicit HttpClient(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends one request and reads the answer. Throws std::runtime_error on
  /// connection errors or timeout.
  HttpResult request(const std::string& method, const std::string& target,
                     const std::map<std::string, std::string>& headers = {}, const std::string& body = {});
  HttpResult get(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
    return request("GET", target, headers);
  }
  /// TCP connections opened so far (1 after several keep-alive requests).
  int connects() const { return connects_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int connects_ = 0;
};

/// One request on a fresh connection.
HttpResult http_get(int port, const std::string& target, const std::map<std::string, std::string>& headers = {});

/// Percent-encodes everything outside RFC 3986 unreserved characters.
std::string url_encode(const std::string& s);

}  // namespace routerpulse::test
