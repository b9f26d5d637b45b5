// plugins/common/httpc — the endpoint URL (RFC 3986 §3, http/https only).
//
// `http://host[:port]/path?query` and `https://...`; IPv6 literals in
// brackets (`http://[::1]:8080/x`). User info (`user:pass@`) is refused: put
// credentials in the output's auth options or `headers` (Authorization), where
// ${env:…}/${file:…} keep them out of the config file. A fragment is refused (never sent over HTTP).
// Threading: pure functions.
#pragma once

#include <optional>
#include <string>

namespace routerpulse::httpc {

struct Url {
  bool tls = false;         ///< https
  std::string host;         ///< without brackets for IPv6 literals
  std::string port;         ///< explicit or 80/443
  std::string target;       ///< path and query, at least "/"
  std::string host_header;  ///< what the Host header carries (host[:port], brackets kept)
};

/// Parses `text`; on failure returns nullopt and sets `error` to a one-line reason.
std::optional<Url> parse_url(const std::string& text, std::string& error);

}  // namespace routerpulse::httpc
