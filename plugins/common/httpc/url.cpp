#include "httpc/url.hpp"

#include <cctype>

namespace routerpulse::httpc {

std::optional<Url> parse_url(const std::string& text, std::string& error) {
  Url u;
  std::string rest;
  if (text.rfind("http://", 0) == 0) {
    rest = text.substr(7);
  } else if (text.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = text.substr(8);
  } else {
    error = "expected http://host[:port]/path or https://…";
    return std::nullopt;
  }
  if (rest.find('#') != std::string::npos) {
    error = "a URL fragment (#…) is never sent over HTTP; remove it";
    return std::nullopt;
  }
  const size_t slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (u.target.front() == '?') u.target.insert(0, "/");
  if (authority.find('@') != std::string::npos) {
    error = "credentials in the URL are not supported; use headers: {Authorization: …}";
    return std::nullopt;
  }
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) {
      error = "unterminated IPv6 literal";
      return std::nullopt;
    }
    u.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        error = "unexpected text after the IPv6 literal";
        return std::nullopt;
      }
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) {
    error = "the URL has no host";
    return std::nullopt;
  }
  if (!port.empty()) {
    for (char c : port)
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        error = "the port must be a number";
        return std::nullopt;
      }
    const long p = port.size() > 5 ? 0 : std::stol(port);
    if (p < 1 || p > 65535) {
      error = "the port must be 1..65535";
      return std::nullopt;
    }
  }
  const std::string def = u.tls ? "443" : "80";
  u.port = port.empty() ? def : port;
  u.host_header = authority;
  if (!port.empty() && port == def) u.host_header = authority.substr(0, authority.size() - port.size() - 1);
  return u;
}

}  // namespace routerpulse::httpc
