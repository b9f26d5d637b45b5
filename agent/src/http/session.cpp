#include "http/session.hpp"

#include <cctype>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "http/gzip.hpp"

namespace routerpulse::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

/// Bodies smaller than this are not worth a gzip header and a deflate pass.
constexpr size_t kGzipMinBytes = 1024;

std::string_view sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

HttpRequest to_request(bhttp::request<bhttp::string_body>&& msg) {
  HttpRequest req;
  req.method = std::string(sv(msg.method_string()));
  req.target = std::string(sv(msg.target()));
  req.path = req.target.substr(0, req.target.find('?'));
  for (const auto& f : msg) {
    auto& slot = req.headers[lower(sv(f.name_string()))];
    if (!slot.empty()) slot += ", ";  // RFC 9110 §5.3: repeated fields combine with commas
    slot += sv(f.value());
  }
  req.body = std::move(msg.body());
  return req;
}

/// The reply sink of one `/api/` request on this connection. Holds the
/// connection until answered.
class ApiSink final : public HttpServer::State::Sink {
 public:
  ApiSink(std::shared_ptr<Session> s, Session::Pending p) : s_(std::move(s)), p_(p) {}
  void respond(HttpResponse res) override { s_->deliver(std::move(res), label, p_); }
  std::shared_ptr<EventStream> open_events(size_t max_queued_bytes) override {
    std::weak_ptr<Session> w = s_;
    auto q = std::make_shared<EventQueue>(max_queued_bytes, [w] {
      if (auto s = w.lock()) s->wake_events();
    });
    s_->deliver_events(q, label, p_);
    return q;
  }

 private:
  std::shared_ptr<Session> s_;
  Session::Pending p_;
};

/// SSE keep-alive comment interval (proxies drop idle connections).
constexpr auto kEventPing = std::chrono::seconds(15);

}  // namespace

void Session::deliver(HttpResponse res, std::string route_label, Pending p) {
  boost::asio::post(stream_.get_executor(), [self = shared_from_this(), res = std::move(res),
                                              label = std::move(route_label), p]() mutable {
    self->send(std::move(res), label, p);
  });
}

void Session::deliver_events(std::shared_ptr<EventQueue> q, std::string route_label, Pending) {
  boost::asio::post(stream_.get_executor(), [self = shared_from_this(), q = std::move(q),
                                              label = std::move(route_label)]() mutable {
    self->start_events(std::move(q), label);
  });
}

void Session::start_events(std::shared_ptr<EventQueue> q, const std::string& label) {
  if (!stream_.socket().is_open()) {
    q->abort();
    return;
  }
  events_ = std::move(q);
  state_->count_response(label, 200, 0);
  stream_.expires_never();
  // No Content-Length and Connection: close: the body ends when the
  // connection does (RFC 9112 §6.3 item 8).
  ev_out_ =
      "HTTP/1.1 200 OK\r\nServer: routerpulse/" ROUTERPULSE_VERSION
      "\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"
      "Connection: close\r\n\r\n: stream open\n\n";
  ev_writing_ = true;
  boost::asio::async_write(stream_.socket(), boost::asio::buffer(ev_out_),
                           [self = shared_from_this()](beast::error_code ec, size_t) {
                             self->ev_writing_ = false;
                             if (ec) {
                               self->events_->abort();
                               return self->shutdown();
                             }
                             self->write_events();
                           });
  watch_client();
  arm_ping();
}

void Session::watch_client() {
  // Anything the client sends after the request is ignored; EOF or an error
  // means it went away.
  stream_.socket().async_read_some(boost::asio::buffer(ev_in_), [self = shared_from_this()](beast::error_code ec,
                                                                                           size_t) {
    if (ec) {
      if (self->events_) self->events_->abort();
      if (self->ev_ping_) self->ev_ping_->cancel();
      return self->shutdown();
    }
    self->watch_client();
  });
}

void Session::arm_ping() {
  if (!ev_ping_) ev_ping_.emplace(stream_.get_executor());
  ev_ping_->expires_after(kEventPing);
  ev_ping_->async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || !self->events_ || self->events_->closed()) return;
    self->events_->ping();
    self->arm_ping();
  });
}

void Session::wake_events() {
  boost::asio::post(stream_.get_executor(), [self = shared_from_this()] { self->write_events(); });
}

void Session::write_events() {
  if (!events_ || ev_writing_ || !stream_.socket().is_open()) return;
  ev_out_ = events_->take();
  if (ev_out_.empty()) {
    if (events_->finished()) {
      if (ev_ping_) ev_ping_->cancel();
      shutdown();
    }
    return;
  }
  ev_writing_ = true;
  boost::asio::async_write(stream_.socket(), boost::asio::buffer(ev_out_),
                           [self = shared_from_this()](beast::error_code ec, size_t) {
                             self->ev_writing_ = false;
                             if (ec) {
                               self->events_->abort();
                               if (self->ev_ping_) self->ev_ping_->cancel();
                               return self->shutdown();
                             }
                             self->write_events();
                           });
}

Session::Session(tcp::socket&& sock, std::shared_ptr<HttpServer::State> state)
    : stream_(std::move(sock)), state_(std::move(state)) {}

Session::~Session() {
  if (registered_) state_->unregister_session(this);
}

bool Session::start() {
  cfg_ = state_->config();
  registered_ = state_->register_session(this, weak_from_this(), cfg_->settings.max_connections);
  if (!registered_) return false;
  boost::asio::post(stream_.get_executor(), [self = shared_from_this()] { self->read_next(); });
  return true;
}

void Session::close() {
  boost::asio::post(stream_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    self->stream_.close();
  });
}

void Session::reject(tcp::socket&& sock) {
  static const std::string answer =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: 26\r\nConnection: close\r\n\r\ntoo many open connections\n";
  auto s = std::make_shared<tcp::socket>(std::move(sock));
  boost::asio::async_write(*s, boost::asio::buffer(answer), [s](beast::error_code, size_t) {
    beast::error_code ec;
    s->shutdown(tcp::socket::shutdown_send, ec);
    s->close(ec);
  });
}

void Session::read_next() {
  cfg_ = state_->config();  // settings changed by a reload apply from the next request on
  const auto& s = cfg_->settings;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(s.max_header_bytes));
  parser_->body_limit(s.max_body_bytes);
  stream_.expires_after(s.read_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
}

void Session::on_read(beast::error_code ec) {
  if (ec == bhttp::error::end_of_stream || ec == boost::asio::error::operation_aborted || ec == beast::error::timeout ||
      ec == boost::asio::error::connection_reset || ec == boost::asio::error::eof ||
      ec == bhttp::error::partial_message) {
    return shutdown();  // client went away, idle/slow client timed out, or stop()
  }
  if (ec == bhttp::error::body_limit)
    return fail_request(413, "request body larger than " + std::to_string(cfg_->settings.max_body_bytes) + " bytes");
  if (ec == bhttp::error::header_limit)
    return fail_request(431,
                        "request header larger than " + std::to_string(cfg_->settings.max_header_bytes) + " bytes");
  if (ec) return fail_request(400, "malformed HTTP request: " + ec.message());

  auto msg = parser_->release();
  Pending p;
  p.version = msg.version();
  p.keep_alive = msg.keep_alive();
  p.head = msg.method() == bhttp::verb::head;
  auto ae = msg.find(bhttp::field::accept_encoding);
  p.gzip = cfg_->settings.gzip && ae != msg.end() && accepts_gzip(sv(ae->value()));
  auto req = std::make_shared<HttpRequest>(to_request(std::move(msg)));
  if (req->path.rfind("/api/", 0) == 0 && !state_->has_route(req->path)) {
    boost::asio::post(state_->handler_strand, [self = shared_from_this(), req, p] {
      self->state_->dispatch_api(*req, *self->cfg_, std::make_shared<ApiSink>(self, p));
    });
    return;
  }
  boost::asio::post(state_->handler_strand, [self = shared_from_this(), req, p] {
    std::string label;
    auto res = std::make_shared<HttpResponse>(self->state_->dispatch(*req, *self->cfg_, label));
    boost::asio::post(self->stream_.get_executor(), [self, res, label, p] { self->send(std::move(*res), label, p); });
  });
}

void Session::fail_request(int status, const std::string& message) {
  HttpResponse res;
  res.status = status;
  res.content_type = "application/json";
  res.body = nlohmann::json{{"error", message}}.dump() + "\n";
  state_->log->debug(
      "http: {} from {}: {}", status,
      [&] {
        beast::error_code e;
        auto ep = stream_.socket().remote_endpoint(e);
        return e ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
      }(),
      message);
  send(std::move(res), "other", Pending{11, false, false, false});
}

void Session::send(HttpResponse r, const std::string& route_label, Pending p) {
  if (!stream_.socket().is_open()) return;  // stop() closed us while the handler ran
  res_ = {};
  res_.version(p.version);
  res_.result(static_cast<unsigned>(r.status));
  res_.set(bhttp::field::server, "routerpulse/" ROUTERPULSE_VERSION);
  res_.set(bhttp::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res_.set(k, v);
  bool already_encoded = false;
  for (const auto& [k, v] : r.headers) already_encoded = already_encoded || lower(k) == "content-encoding";
  const bool compressible = cfg_->settings.gzip && r.body.size() >= kGzipMinBytes && !already_encoded;
  if (compressible) {
    res_.set(bhttp::field::vary, "Accept-Encoding");
    if (p.gzip) {
      r.body = gzip_compress(r.body);
      res_.set(bhttp::field::content_encoding, "gzip");
    }
  }
  res_.keep_alive(p.keep_alive);
  state_->count_response(route_label, r.status, p.head ? 0 : r.body.size());
  if (p.head) {
    res_.content_length(r.body.size());  // RFC 9110 §9.3.2: same headers as GET, no content
  } else {
    res_.body() = std::move(r.body);
    res_.prepare_payload();
  }
  stream_.expires_after(cfg_->settings.write_timeout);
  bhttp::async_write(stream_, res_, [self = shared_from_this(), keep = p.keep_alive](beast::error_code ec, size_t) {
    self->on_write(ec, keep);
  });
}

void Session::on_write(beast::error_code ec, bool keep_alive) {
  if (ec) return shutdown();
  if (!keep_alive) return shutdown();
  read_next();
}

void Session::shutdown() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.close();
}

}  // namespace routerpulse::http
