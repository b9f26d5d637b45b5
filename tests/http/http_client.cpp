#include "http_client.hpp"

#include <cctype>
#include <optional>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace routerpulse::test {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct HttpClient::Impl {
  int port;
  std::chrono::milliseconds timeout;
  boost::asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  /// Runs the queued operations; throws when one failed.
  void run(beast::error_code& ec, const char* what) {
    io.restart();
    io.run();
    if (ec) {
      stream.reset();
      throw std::runtime_error(std::string("http client: ") + what + ": " + ec.message());
    }
  }
};

HttpClient::HttpClient(int port, std::chrono::milliseconds timeout) : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::request(const std::string& method, const std::string& target,
                               const std::map<std::string, std::string>& headers, const std::string& body) {
  auto& d = *impl_;
  beast::error_code ec;
  if (!d.stream || !d.stream->socket().is_open()) {
    d.stream.emplace(d.io);
    d.buffer.clear();
    d.stream->expires_after(d.timeout);
    tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(d.port));
    d.stream->async_connect(ep, [&ec](beast::error_code e) { ec = e; });
    d.run(ec, "connect");
    ++connects_;
  }
  bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
  if (req.method() == bhttp::verb::unknown) req.method_string(method);
  req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(d.port));
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.body() = body;
    req.prepare_payload();
  }
  d.stream->expires_after(d.timeout);
  bhttp::async_write(*d.stream, req, [&ec](beast::error_code e, size_t) { ec = e; });
  d.run(ec, "write");

  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(1ull << 30);
  if (method == "HEAD") parser.skip(true);
  d.stream->expires_after(d.timeout);
  bhttp::async_read(*d.stream, d.buffer, parser, [&ec](beast::error_code e, size_t) { ec = e; });
  d.run(ec, "read");
  auto res = parser.release();

  HttpResult out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = std::move(res.body());
  if (!res.keep_alive()) d.stream.reset();
  return out;
}

HttpResult http_get(int port, const std::string& target, const std::map<std::string, std::string>& headers) {
  HttpClient c(port);
  return c.get(target, headers);
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace routerpulse::test
