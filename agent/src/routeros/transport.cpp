// Internal: plain TCP / TLS byte stream for RouterOS sessions.
#include "routeros/transport.hpp"

#include <openssl/ssl.h>

#include <stdexcept>

namespace routerpulse::routeros::detail {

std::shared_ptr<boost::asio::ssl::context> make_tls_context(bool verify, const std::string& ca_file) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
  if (verify) {
    ctx->set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (ca_file.empty())
      ctx->set_default_verify_paths(ec);
    else
      ctx->load_verify_file(ca_file, ec);
    if (ec)
      throw std::runtime_error("cannot load TLS CA " + (ca_file.empty() ? std::string("default paths") : ca_file) +
                               ": " + ec.message());
  } else {
    ctx->set_verify_mode(ssl::verify_none);
    // RouterOS api-ssl without a certificate only offers anonymous DH suites.
    SSL_CTX_set_cipher_list(ctx->native_handle(), "DEFAULT:ADH:@SECLEVEL=0");
  }
  return ctx;
}

Transport::Transport(const SessionStrand& strand, std::shared_ptr<boost::asio::ssl::context> tls)
    : ctx_(std::move(tls)) {
  if (ctx_)
    tls_ = std::make_unique<boost::asio::ssl::stream<tcp::socket>>(strand, *ctx_);
  else
    plain_.emplace(strand);
}

void Transport::prepare_tls(const std::string& server_name, bool verify) {
  if (!tls_) throw std::logic_error("handshake on a plain transport");
  SSL_set_tlsext_host_name(tls_->native_handle(), server_name.c_str());
  if (verify) tls_->set_verify_callback(boost::asio::ssl::host_name_verification(server_name));
}

void Transport::close() noexcept {
  boost::system::error_code ec;
  socket().shutdown(tcp::socket::shutdown_both, ec);
  socket().close(ec);
}

}  // namespace routerpulse::routeros::detail
