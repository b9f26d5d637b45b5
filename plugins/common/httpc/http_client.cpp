#include "httpc/http_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace routerpulse::httpc {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

/// One connection (plain or TLS). Runs one request at a time.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  /// `done(outcome, reusable, stale)`: `stale` = failed on a reused
  /// connection before any byte of the answer (safe to send again).
  using Done = std::function<void(HttpOutcome, bool reusable, bool stale)>;

  HttpConnection(const Strand& strand, Clock& clock, const ClientOptions& opt)
      : opt_(opt), resolver_(strand), timer_(clock.make_timer(strand)) {
    if (opt.url.tls)
      tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(strand, *opt.tls);
    else
      plain_ = std::make_unique<tcp::socket>(strand);
  }

  SteadyTime idle_since{};

  void run(std::shared_ptr<Request> req, Done done) {
    req_ = std::move(req);
    done_ = std::move(done);
    timed_out_ = false;
    stage_ = "connecting";
    const bool reused = connected_;
    timer_->arm(opt_.timeout, [this] {  // a member timer: never runs after destruction
      timed_out_ = true;
      resolver_.cancel();
      error_code ignored;
      socket().close(ignored);
    });
    if (connected_)
      write(reused);
    else
      resolve();
  }

  void close() {
    timer_->cancel();
    resolver_.cancel();
    error_code ignored;
    socket().close(ignored);
    connected_ = false;
  }

 private:
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }

  void resolve() {
    resolver_.async_resolve(opt_.url.host, opt_.url.port,
                            [this, self = shared_from_this()](error_code ec, tcp::resolver::results_type r) {
                              if (ec) return fail(ec, false);
                              asio::async_connect(socket(), r, [this, self](error_code ec2, const tcp::endpoint&) {
                                if (ec2) return fail(ec2, false);
                                if (tls_) return handshake();
                                connected_ = true;
                                write(false);
                              });
                            });
  }

  void handshake() {
    stage_ = "in the TLS handshake";
    error_code ec;
    asio::ip::make_address(opt_.url.host, ec);
    if (ec && !SSL_set_tlsext_host_name(tls_->native_handle(), opt_.url.host.c_str()))  // SNI for names only
      return fail(error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()), false);
    tls_->set_verify_callback(asio::ssl::host_name_verification(opt_.url.host));
    tls_->async_handshake(asio::ssl::stream_base::client, [this, self = shared_from_this()](error_code ec2) {
      if (ec2) return fail(ec2, false);
      connected_ = true;
      write(false);
    });
  }

  template <class F>
  void with_stream(F&& f) {
    if (tls_)
      f(*tls_);
    else
      f(*plain_);
  }

  void write(bool reused) {
    stage_ = "sending the request";
    with_stream([&](auto& s) {
      http::async_write(s, *req_, [this, reused, self = shared_from_this()](error_code ec, size_t) {
        if (ec) return fail(ec, reused);
        read(reused);
      });
    });
  }

  void read(bool reused) {
    stage_ = "waiting for the answer";
    parser_.emplace();
    parser_->body_limit(opt_.max_response_bytes);
    with_stream([&](auto& s) {
      http::async_read(s, buffer_, *parser_, [this, reused, self = shared_from_this()](error_code ec, size_t) {
        if (ec) return fail(ec, reused && !parser_->got_some());
        timer_->cancel();
        auto& res = parser_->get();
        HttpOutcome out;
        out.status = static_cast<int>(res.result_int());
        out.body = std::move(res.body());
        if (auto it = res.find(http::field::retry_after); it != res.end()) out.retry_after = std::string(it->value());
        const bool reusable = res.keep_alive();
        if (!reusable) close();
        finish(std::move(out), reusable, false);
      });
    });
  }

  void fail(error_code ec, bool stale) {
    timer_->cancel();
    HttpOutcome out;
    if (timed_out_)
      out.error = "timed out " + stage_ + " (after " + format_duration(opt_.timeout) + ")";
    else
      out.error = stage_ + " to " + opt_.url.host_header + ": " + ec.message();
    close();
    finish(std::move(out), false, stale && !timed_out_);
  }

  void finish(HttpOutcome out, bool reusable, bool stale) {
    auto done = std::move(done_);
    done_ = nullptr;
    req_.reset();
    if (done) done(std::move(out), reusable, stale);
  }

  const ClientOptions& opt_;
  tcp::resolver resolver_;
  std::unique_ptr<Timer> timer_;
  std::unique_ptr<tcp::socket> plain_;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::shared_ptr<Request> req_;
  Done done_;
  std::string stage_;
  bool connected_ = false;
  bool timed_out_ = false;
};

HttpClient::HttpClient(Strand strand, Clock& clock, ClientOptions options)
    : strand_(std::move(strand)), clock_(clock), opt_(std::move(options)) {}

HttpClient::~HttpClient() = default;

void HttpClient::send(Request req, std::function<void(HttpOutcome)> done) {
  if (closed_) return;
  if (req.find(http::field::host) == req.end()) req.set(http::field::host, opt_.url.host_header);
  queue_.push_back(Pending{std::make_shared<Request>(std::move(req)), std::move(done)});
  pump();
}

void HttpClient::pump() {
  while (!closed_ && !queue_.empty()) {
    std::shared_ptr<HttpConnection> conn;
    const auto now = clock_.steady_now();
    while (!idle_.empty() && !conn) {
      conn = std::move(idle_.back());
      idle_.pop_back();
      if (now - conn->idle_since > opt_.idle_timeout) {
        conn->close();
        conn.reset();
      }
    }
    if (!conn) {
      if (active_ + idle_.size() >= opt_.max_connections) return;
      conn = std::make_shared<HttpConnection>(strand_, clock_, opt_);
      ++opened_;
      std::erase_if(all_, [](const auto& w) { return w.expired(); });
      all_.push_back(conn);
    }
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    run(std::move(p), std::move(conn));
  }
}

void HttpClient::run(Pending p, std::shared_ptr<HttpConnection> conn) {
  ++active_;
  auto req = p.req;
  conn->run(std::move(req), [this, self = shared_from_this(), p = std::move(p), conn](HttpOutcome out, bool reusable,
                                                                                      bool stale) mutable {
    --active_;
    if (closed_) return;
    if (reusable) {
      conn->idle_since = clock_.steady_now();
      idle_.push_back(conn);
    }
    if (stale && !p.resent) {  // the server closed an idle connection: once more on a new one
      p.resent = true;
      queue_.push_front(std::move(p));
    } else {
      auto done = std::move(p.done);
      done(std::move(out));
    }
    pump();
  });
}

void HttpClient::close() {
  closed_ = true;
  queue_.clear();
  idle_.clear();
  for (auto& w : all_)
    if (auto c = w.lock()) c->close();
  all_.clear();
}

}  // namespace routerpulse::httpc
