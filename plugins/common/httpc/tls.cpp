#include "httpc/tls.hpp"

#include <openssl/evp.h>

#include <vector>

namespace routerpulse::httpc {

namespace ssl = boost::asio::ssl;

TlsSettings parse_tls(const Options& o, bool https) {
  TlsSettings s;
  s.ca_file = o.optional_str("ca_file").value_or("");
  s.insecure = o.boolean("tls_insecure_skip_verify");
  s.cert_file = o.optional_str("cert_file").value_or("");
  s.key_file = o.optional_str("key_file").value_or("");
  if (!https) {
    for (const char* k : {"ca_file", "cert_file", "key_file"})
      if (o.has(k)) throw o.error(k, "needs an https:// url");
    if (s.insecure) throw o.error("tls_insecure_skip_verify", "needs an https:// url");
  }
  if (s.cert_file.empty() != s.key_file.empty())
    throw o.error(s.cert_file.empty() ? "key_file" : "cert_file", "cert_file and key_file go together");
  if (s.insecure && !s.ca_file.empty())
    throw o.error("tls_insecure_skip_verify", "contradicts ca_file: verify with ca_file, or skip verification");
  return s;
}

std::shared_ptr<ssl::context> make_tls_context(const TlsSettings& s, const Options& o) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (s.insecure) {
    ctx->set_verify_mode(ssl::verify_none);
  } else {
    ctx->set_verify_mode(ssl::verify_peer);
    if (s.ca_file.empty())
      ctx->set_default_verify_paths(ec);
    else
      ctx->load_verify_file(s.ca_file, ec);
    if (ec) throw o.error(s.ca_file.empty() ? "url" : "ca_file", "cannot load CA certificates: " + ec.message());
  }
  if (!s.cert_file.empty()) {
    ctx->use_certificate_chain_file(s.cert_file, ec);
    if (ec) throw o.error("cert_file", "cannot load " + s.cert_file + ": " + ec.message());
    ctx->use_private_key_file(s.key_file, ssl::context::pem, ec);
    if (ec) throw o.error("key_file", "cannot load " + s.key_file + ": " + ec.message());
  }
  return ctx;
}

std::string basic_authorization(const std::string& user, const std::string& password) {
  const std::string plain = user + ":" + password;
  std::vector<unsigned char> out(4 * ((plain.size() + 2) / 3) + 1);
  const int n =
      EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  return "Basic " + std::string(reinterpret_cast<const char*>(out.data()), static_cast<size_t>(n));
}

}  // namespace routerpulse::httpc
