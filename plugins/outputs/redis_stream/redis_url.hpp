// redis_stream — where to connect: parsing `redis://` and `unix://` URLs.
//
// Accepted forms (the scheme registered with IANA for Redis, and the unix
// socket form used by redis-py and Jedis):
//   redis://[[username][:password]@]host[:port][/db]     host may be [IPv6]
//   unix://[[username][:password]@]/absolute/path[?db=N]
// Username, password and path are percent-decoded (RFC 3986 §2.1), so a
// password containing `@` or `:` is written `%40` / `%3A`. Defaults: port 6379,
// db 0, no AUTH. `rediss://` (TLS) is refused: hiredis 0.14 has no TLS.
// Threading: plain value types and a pure function; safe anywhere.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace routerpulse::redis {

/// One Redis server address plus the credentials and database to use on it.
struct RedisEndpoint {
  std::string host;       ///< TCP host name or IP literal (no brackets); empty for unix sockets
  uint16_t port = 6379;   ///< TCP port
  std::string unix_path;  ///< absolute socket path; non-empty means "connect by unix socket"
  std::string username;   ///< ACL user for `AUTH username password` (Redis ≥ 6); empty = `AUTH password`
  std::string password;   ///< empty = no AUTH
  int db = 0;             ///< logical database for SELECT (0 = no SELECT needed)

  bool is_unix() const noexcept { return !unix_path.empty(); }
  /// The URL with the password masked (`redis://user:***@host:6379/0`), for logs and errors.
  std::string display() const;
};

/// Raised by parse_redis_url; what() says which part is wrong and what was expected.
class RedisUrlError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Parses a `redis://` or `unix://` URL (grammar above). Throws RedisUrlError.
RedisEndpoint parse_redis_url(std::string_view url);

}  // namespace routerpulse::redis
