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

}  // namespace

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
