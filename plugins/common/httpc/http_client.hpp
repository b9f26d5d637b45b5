// plugins/common/httpc — a small asynchronous HTTP/1.1 client (Boost.Beast) with a
// keep-alive connection pool, for one endpoint.
//
// - Up to `max_connections` connections to the URL's host; requests beyond
//   that wait in order. A finished connection that the server keeps alive
//   (RFC 9112 §9.3) returns to the idle pool; idle connections older than
//   `idle_timeout` are closed instead of reused.
// - A request on a reused connection that fails before any byte of the
//   answer arrived (the server closed the idle connection meanwhile) is sent
//   once more on a new connection; any other failure is reported.
// - Every request has a deadline (`timeout`, from the Clock): connect, TLS
//   handshake, send and the whole answer. On expiry the socket is closed and
//   the outcome says where it stopped.
// - TLS: certificate and host name verified (RFC 6125 via OpenSSL
//   X509_check_host / X509_check_ip) unless the context says otherwise; SNI
//   is sent for names (not for IP literals).
// - Response bodies are kept up to `max_response_bytes` (a longer answer is
//   an error).
//
// Threading: every method is called on `strand`; callbacks run there, exactly
// once per send() — except after close(), which drops pending callbacks.
// Ownership: the client is held by a shared_ptr; in-flight operations keep it
// (and their connection) alive until they complete.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "httpc/delivery.hpp"
#include "routerpulse/clock.hpp"
#include "httpc/url.hpp"

namespace routerpulse::httpc {

using Request = boost::beast::http::request<boost::beast::http::string_body>;

struct ClientOptions {
  Url url;
  std::shared_ptr<boost::asio::ssl::context> tls;  ///< required when url.tls
  Duration timeout = std::chrono::seconds(10);
  size_t max_connections = 4;
  Duration idle_timeout = std::chrono::seconds(30);
  size_t max_response_bytes = 1 << 20;
};

class HttpConnection;

class HttpClient : public std::enable_shared_from_this<HttpClient> {
 public:
  HttpClient(Strand strand, Clock& clock, ClientOptions options);
  ~HttpClient();

  /// Sends `req` (the caller sets method, target, headers and body; the
  /// client adds Host when missing). `done` gets the outcome on the strand.
  void send(Request req, std::function<void(HttpOutcome)> done);
  /// Closes every connection; no callback runs afterwards.
  void close();

  /// Connections opened so far (for self-metrics and tests of keep-alive).
  uint64_t connections_opened() const noexcept { return opened_; }
  /// Requests waiting for a connection plus those in flight.
  size_t busy() const noexcept { return queue_.size() + active_; }

 private:
  struct Pending {
    std::shared_ptr<Request> req;
    std::function<void(HttpOutcome)> done;
    bool resent = false;
  };
  void pump();
  void run(Pending p, std::shared_ptr<HttpConnection> conn);

  Strand strand_;
  Clock& clock_;
  ClientOptions opt_;
  std::deque<Pending> queue_;
  std::vector<std::shared_ptr<HttpConnection>> idle_;
  std::vector<std::weak_ptr<HttpConnection>> all_;
  size_t active_ = 0;
  uint64_t opened_ = 0;
  bool closed_ = false;
};

}  // namespace routerpulse::httpc
