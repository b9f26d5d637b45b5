// Internal: the byte stream under a RouterOS session, plain TCP or TLS.
//
// All operations run on the executor given to the constructor (the session's
// strand); completion handlers are invoked there. Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>

namespace routerpulse::routeros::detail {

using tcp = boost::asio::ip::tcp;
using SessionStrand = boost::asio::strand<boost::asio::io_context::executor_type>;

/// Builds the TLS client context for a router. `verify` → peer verification
/// against `ca_file` (or the system default paths when empty); without
/// verification anonymous-DH suites are allowed too, which RouterOS' api-ssl
/// uses when no certificate is configured (MikroTik API manual, "API over TLS").
/// Throws std::runtime_error naming the CA file when it cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(bool verify, const std::string& ca_file);

class Transport {
 public:
  /// `tls` nullptr → plain TCP.
  Transport(const SessionStrand& strand, std::shared_ptr<boost::asio::ssl::context> tls);

  tcp::socket& socket() noexcept { return tls_ ? tls_->next_layer() : *plain_; }
  bool is_tls() const noexcept { return tls_ != nullptr; }

  /// TLS only: sets SNI and (when `verify`) the host-name check, then handshakes.
  template <class Handler>
  void async_handshake(const std::string& server_name, bool verify, Handler&& h) {
    prepare_tls(server_name, verify);
    tls_->async_handshake(boost::asio::ssl::stream_base::client, std::forward<Handler>(h));
  }

  template <class Buffer, class Handler>
  void async_read_some(const Buffer& b, Handler&& h) {
    if (tls_)
      tls_->async_read_some(b, std::forward<Handler>(h));
    else
      plain_->async_read_some(b, std::forward<Handler>(h));
  }

  template <class Buffer, class Handler>
  void async_write(const Buffer& b, Handler&& h) {
    if (tls_)
      boost::asio::async_write(*tls_, b, std::forward<Handler>(h));
    else
      boost::asio::async_write(*plain_, b, std::forward<Handler>(h));
  }

  /// Closes the socket; pending operations complete with operation_aborted.
  void close() noexcept;

 private:
  void prepare_tls(const std::string& server_name, bool verify);

  std::shared_ptr<boost::asio::ssl::context> ctx_;
  std::optional<tcp::socket> plain_;
  std::unique_ptr<boost::asio::ssl::stream<tcp::socket>> tls_;
};

}  // namespace routerpulse::routeros::detail
