#include "sse_client.hpp"

#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

namespace routerpulse::test {

using tcp = boost::asio::ip::tcp;

struct SseClient::Impl {
  boost::asio::io_context io;
  tcp::socket sock{io};
  std::string buf;

  /// Appends what arrives within `ms`; false on EOF/error or timeout with nothing.
  bool read_some(int ms, bool& eof) {
    pollfd p{sock.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return false;
    char tmp[4096];
    boost::system::error_code ec;
    size_t n = sock.read_some(boost::asio::buffer(tmp), ec);
    if (ec) {
      eof = true;
      return false;
    }
    buf.append(tmp, n);
    return true;
  }
};

SseClient::SseClient(int port, const std::string& target, const std::map<std::string, std::string>& headers)
    : impl_(std::make_unique<Impl>()) {
  impl_->sock.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  boost::asio::write(impl_->sock, boost::asio::buffer(req));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (impl_->buf.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    if (!impl_->read_some(100, closed_) && closed_) break;
  }
  auto end = impl_->buf.find("\r\n\r\n");
  if (end == std::string::npos) return;
  std::string head = impl_->buf.substr(0, end);
  impl_->buf.erase(0, end + 4);
  if (head.size() > 12) status_ = std::stoi(head.substr(9, 3));
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    size_t next = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string k = line.substr(0, colon);
      for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      headers_[k] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    pos = next;
  }
}

SseClient::~SseClient() = default;

std::string SseClient::next(std::string& event, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    // One block ends with a blank line; comment-only blocks (": ping") are skipped.
    for (size_t end; (end = impl_->buf.find("\n\n")) != std::string::npos;) {
      std::string block = impl_->buf.substr(0, end);
      impl_->buf.erase(0, end + 2);
      std::string data;
      bool any = false;
      event.clear();
      size_t start = 0;
      while (start <= block.size()) {
        size_t nl = block.find('\n', start);
        std::string line = block.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        if (line.rfind("event: ", 0) == 0) event = line.substr(7);
        if (line.rfind("data: ", 0) == 0) {
          data += (any ? "\n" : "") + line.substr(6);
          any = true;
        }
        if (nl == std::string::npos) break;
        start = nl + 1;
      }
      if (any) return data;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || closed_) return {};
    impl_->read_some(static_cast<int>(std::min<int64_t>(left.count(), 200)), closed_);
  }
}

}  // namespace routerpulse::test
