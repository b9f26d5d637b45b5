#include "redis_url.hpp"

#include <charconv>

namespace routerpulse::redis {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 §2.1 percent-decoding.
std::string percent_decode(std::string_view s, const char* what) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      throw RedisUrlError(std::string("invalid percent-escape in ") + what + " (expected %XX with two hex digits)");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

int parse_db(std::string_view s) {
  int db = -1;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), db);
  if (ec != std::errc() || p != s.data() + s.size() || db < 0)
    throw RedisUrlError("database must be a non-negative integer, got '" + std::string(s) + "'");
  return db;
}

// Splits `[user][:pass]@rest`; returns rest.
std::string_view take_userinfo(std::string_view s, RedisEndpoint& ep) {
  // The userinfo ends at the last '@' before the path, so a raw '@' in a
  // password still works when it is not followed by '/'.
  size_t slash = s.find('/');
  size_t at = s.substr(0, slash == std::string_view::npos ? s.size() : slash).rfind('@');
  if (at == std::string_view::npos) return s;
  std::string_view info = s.substr(0, at);
  size_t colon = info.find(':');
  ep.username = percent_decode(info.substr(0, colon), "username");
  if (colon != std::string_view::npos) ep.password = percent_decode(info.substr(colon + 1), "password");
  if (!ep.username.empty() && ep.password.empty())
    throw RedisUrlError("a username needs a password (redis://user:password@host)");
  return s.substr(at + 1);
}

void parse_tcp(std::string_view rest, RedisEndpoint& ep) {
  size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  if (hostport.empty()) throw RedisUrlError("missing host (expected redis://host:port/db)");
  std::string_view port_text;
  if (hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) throw RedisUrlError("unterminated '[' in IPv6 host");
    ep.host = std::string(hostport.substr(1, close - 1));
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw RedisUrlError("expected ':port' after ']'");
      port_text = after.substr(1);
    }
  } else {
    size_t colon = hostport.rfind(':');
    ep.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) port_text = hostport.substr(colon + 1);
  }
  if (ep.host.empty()) throw RedisUrlError("missing host (expected redis://host:port/db)");
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535)
      throw RedisUrlError("port must be 1..65535, got '" + std::string(port_text) + "'");
    ep.port = static_cast<uint16_t>(port);
  }
  if (path.find('?') != std::string_view::npos)
    throw RedisUrlError("query parameters are not supported in redis:// URLs (put the db in the path: /0)");
  if (!path.empty()) ep.db = parse_db(path);
}

void parse_unix(std::string_view rest, RedisEndpoint& ep) {
  size_t q = rest.find('?');
  std::string_view path = rest.substr(0, q);
  if (path.empty() || path.front() != '/')
    throw RedisUrlError("unix socket path must be absolute (expected unix:///path/to/redis.sock)");
  ep.unix_path = percent_decode(path, "socket path");
  if (q == std::string_view::npos) return;
  std::string_view query = rest.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (kv.substr(0, 3) == "db=")
      ep.db = parse_db(kv.substr(3));
    else
      throw RedisUrlError("unknown URL parameter '" + std::string(kv) + "' (only db=N is supported)");
  }
}

}  // namespace

std::string RedisEndpoint::display() const {
  std::string auth;
  if (!password.empty()) auth = username + ":***@";
  if (is_unix()) return "unix://" + auth + unix_path + (db ? "?db=" + std::to_string(db) : "");
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "redis://" + auth + h + ":" + std::to_string(port) + "/" + std::to_string(db);
}

RedisEndpoint parse_redis_url(std::string_view url) {
  RedisEndpoint ep;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos)
    throw RedisUrlError("expected redis://host:port/db or unix:///path, got '" + std::string(url) + "'");
  std::string_view scheme = url.substr(0, sep);
  std::string_view rest = take_userinfo(url.substr(sep + 3), ep);
  if (scheme == "redis")
    parse_tcp(rest, ep);
  else if (scheme == "unix")
    parse_unix(rest, ep);
  else if (scheme == "rediss")
    throw RedisUrlError(
        "rediss:// (TLS) is not supported: this build uses hiredis 0.14 without TLS; "
        "use a unix socket or a local TLS tunnel");
  else
    throw RedisUrlError("unknown scheme '" + std::string(scheme) + "' (expected redis:// or unix://)");
  return ep;
}

}  // namespace routerpulse::redis
