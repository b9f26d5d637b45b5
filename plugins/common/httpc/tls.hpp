// plugins/common/httpc — TLS and authentication settings of an HTTP client
// output (webhook, prometheus_remote_write), read from the plugin's options.
//
// Options read (each output declares them in its own OptionSpec table):
//   ca_file, cert_file, key_file (PEM paths), tls_insecure_skip_verify (bool).
// Rules: the TLS options need an https:// URL; cert_file and key_file go
// together; skipping verification contradicts ca_file. Server verification:
// certificate chain against ca_file or the system store, host name per
// RFC 6125 (done by HttpClient).
//
// Threading: pure functions, except make_tls_context, which reads the files
// (call it from a constructor, never from validate()).
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "routerpulse/config.hpp"

namespace routerpulse::httpc {

struct TlsSettings {
  std::string ca_file, cert_file, key_file;  ///< as written; the caller resolves relative paths
  bool insecure = false;                     ///< tls_insecure_skip_verify
};

/// Reads and checks the TLS options; `https` is whether the URL is https://.
/// Throws ConfigError naming the option.
TlsSettings parse_tls(const Options& o, bool https);

/// A TLS 1.2+ client context from `s` (files already resolved). Errors name
/// the option of `o` that points at the unreadable file.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsSettings& s, const Options& o);

/// `Basic <base64(user:password)>` (RFC 7617 §2).
std::string basic_authorization(const std::string& user, const std::string& password);

}  // namespace routerpulse::httpc
