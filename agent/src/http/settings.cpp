// `agent.http` options → HttpServerSettings.
#include <charconv>

#include <boost/asio/ip/address.hpp>

#include "http/http_server.hpp"

namespace routerpulse {
namespace {

/// "host:port", "[v6]:port", ":port" (all IPv4 interfaces), "localhost:port".
bool parse_listen(const std::string& text, std::string& host, unsigned short& port) {
  std::string h, p;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find("]:");
    if (close == std::string::npos) return false;
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return false;
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
    if (h.find(':') != std::string::npos) return false;  // bare IPv6 needs brackets
  }
  if (h.empty()) h = "0.0.0.0";
  if (h == "localhost") h = "127.0.0.1";
  boost::system::error_code ec;
  boost::asio::ip::make_address(h, ec);
  if (ec) return false;
  unsigned v = 0;
  auto [end, perr] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (p.empty() || perr != std::errc() || end != p.data() + p.size() || v > 65535) return false;
  host = h;
  port = static_cast<unsigned short>(v);
  return true;
}

}  // namespace

HttpServerSettings parse_http_settings(const Options& o) {
  HttpServerSettings s;
  auto listen = o.get_string("listen", s.host + ":" + std::to_string(s.port));
  if (!parse_listen(listen, s.host, s.port))
    throw o.error("listen", "expected host:port with an IP address, e.g. 127.0.0.1:9273, [::1]:9273 or :9273, got \"" +
                                listen + "\"");
  s.api_key = o.get_string("api_key", "");
  if (auto keys = o.raw("api_keys"); keys.IsDefined() && !keys.IsNull()) {
    if (!keys.IsSequence())
      throw o.error("api_keys", "expected a list like [{key: \"${env:RP_API_KEY}\", role: read}], got " +
                                    describe_node(keys));
    auto file = std::make_shared<const std::string>(o.file());
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::string path = o.path() + ".api_keys[" + std::to_string(i) + "]";
      if (!keys[i].IsMap())
        throw config_error_at(o.file(), keys[i], path, "expected a map {key: …, role: read|control}");
      Options k(keys[i], path, file);
      ApiKeySetting key;
      key.key = k.require_string("key");
      if (key.key.empty()) throw k.error("key", "an API key must not be empty");
      key.role = k.get_enum("role", "read", {"read", "control"}) == "control" ? ApiRole::control : ApiRole::read;
      k.check_unknown();
      s.api_keys.push_back(std::move(key));
    }
  }
  s.read_timeout = o.get_duration("read_timeout", s.read_timeout, Duration(1));
  s.write_timeout = o.get_duration("write_timeout", s.write_timeout, Duration(1));
  s.max_connections =
      static_cast<size_t>(o.get_int("max_connections", static_cast<int64_t>(s.max_connections), 1, 65535));
  s.max_header_bytes =
      static_cast<size_t>(o.get_int("max_header_bytes", static_cast<int64_t>(s.max_header_bytes), 1024, 1 << 20));
  s.max_body_bytes =
      static_cast<size_t>(o.get_int("max_body_bytes", static_cast<int64_t>(s.max_body_bytes), 0, 1 << 30));
  s.gzip = o.get_bool("gzip", s.gzip);
  return s;
}

}  // namespace routerpulse
