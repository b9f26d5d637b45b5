// Internal: one accepted HTTP/1.1 connection (keep-alive, pipelining, limits,
// timeouts). Socket I/O runs on the connection's own strand; the request is
// answered on the server's handler strand and the response written back here.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <array>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/event_queue.hpp"
#include "http/server_state.hpp"

namespace routerpulse::http {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket&& sock, std::shared_ptr<HttpServer::State> state);
  ~Session();

  /// Registers with the server (false → over max_connections: the caller
  /// rejects) and starts reading.
  bool start();
  /// Closes the socket from its strand; pending operations end.
  void close();

  /// The socket (used to answer 503 when start() returned false).
  boost::asio::ip::tcp::socket& socket() { return stream_.socket(); }

  /// Writes a fixed 503 "too many connections" answer and closes `sock`.
  static void reject(boost::asio::ip::tcp::socket&& sock);

 struct Pending {  ///< what the response needs to know about its request
    unsigned version = 11;
    bool keep_alive = false;
    bool head = false;
    bool gzip = false;  ///< client accepts gzip and the server allows it
  };

  /// Answers with `res` (from any thread: posts to the connection's strand).
  void deliver(HttpResponse res, std::string route_label, Pending p);
  /// Turns the connection into a Server-Sent Events stream fed by `q`
  /// (from any thread). The connection closes when the stream does.
  void deliver_events(std::shared_ptr<EventQueue> q, std::string route_label, Pending p);
  /// Any thread: schedule write_events() on the connection's strand.
  void wake_events();

 private:

  void read_next();
  void on_read(boost::beast::error_code ec);
  void fail_request(int status, const std::string& message);
  void send(HttpResponse res, const std::string& route_label, Pending p);
  void on_write(boost::beast::error_code ec, bool keep_alive);
  void shutdown();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::beast::http::response<boost::beast::http::string_body> res_;
  std::shared_ptr<HttpServer::State> state_;
  std::shared_ptr<const HttpServer::State::Config> cfg_;
  bool registered_ = false;
  // Server-Sent Events (after deliver_events)
  std::shared_ptr<EventQueue> events_;
  bool ev_writing_ = false;
  std::string ev_out_;
  std::array<char, 256> ev_in_{};
  std::optional<boost::asio::steady_timer> ev_ping_;
  void start_events(std::shared_ptr<EventQueue> q, const std::string& label);
  void write_events();  ///< connection strand: write what `events_` has queued
  void watch_client();
  void arm_ping();
};

}  // namespace routerpulse::http
