// Unit tests: redis:// and unix:// URL parsing.
#include <catch2/catch.hpp>

#include "redis_url.hpp"

using routerpulse::redis::parse_redis_url;
using routerpulse::redis::RedisUrlError;

TEST_CASE("redis:// URL with defaults", "[redis_stream][url]") {
  auto ep = parse_redis_url("redis://cache.pop1");
  CHECK(ep.host == "cache.pop1");
  CHECK(ep.port == 6379);
  CHECK(ep.db == 0);
  CHECK(ep.password.empty());
  CHECK_FALSE(ep.is_unix());
  CHECK(ep.display() == "redis://cache.pop1:6379/0");
}

TEST_CASE("redis:// URL with user, password, port and db", "[redis_stream][url]") {
  auto ep = parse_redis_url("redis://alice:p%40ss:w@10.0.0.5:6380/3");
  CHECK(ep.username == "alice");
  CHECK(ep.password == "p@ss:w");
  CHECK(ep.host == "10.0.0.5");
  CHECK(ep.port == 6380);
  CHECK(ep.db == 3);
  CHECK(ep.display() == "redis://alice:***@10.0.0.5:6380/3");
}

TEST_CASE("redis:// URL with password only and IPv6 host", "[redis_stream][url]") {
  auto ep = parse_redis_url("redis://:secret@[::1]:7000/1");
  CHECK(ep.username.empty());
  CHECK(ep.password == "secret");
  CHECK(ep.host == "::1");
  CHECK(ep.port == 7000);
  CHECK(ep.db == 1);
  CHECK(ep.display() == "redis://:***@[::1]:7000/1");
}

TEST_CASE("unix:// URL with db parameter", "[redis_stream][url]") {
  auto ep = parse_redis_url("unix:///run/redis/redis%20server.sock?db=2");
  CHECK(ep.is_unix());
  CHECK(ep.unix_path == "/run/redis/redis server.sock");
  CHECK(ep.db == 2);
  auto auth = parse_redis_url("unix://:pw@/tmp/r.sock");
  CHECK(auth.password == "pw");
  CHECK(auth.unix_path == "/tmp/r.sock");
}

TEST_CASE("bad URLs are refused with a reason", "[redis_stream][url]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(parse_redis_url("127.0.0.1:6379"), Contains("expected redis://"));
  CHECK_THROWS_WITH(parse_redis_url("http://x"), Contains("unknown scheme 'http'"));
  CHECK_THROWS_WITH(parse_redis_url("rediss://x"), Contains("TLS"));
  CHECK_THROWS_WITH(parse_redis_url("redis://x:0"), Contains("port must be 1..65535"));
  CHECK_THROWS_WITH(parse_redis_url("redis://x:65536"), Contains("port must be 1..65535"));
  CHECK_THROWS_WITH(parse_redis_url("redis://x:ab"), Contains("port must be"));
  CHECK_THROWS_WITH(parse_redis_url("redis://x/-1"), Contains("database must be a non-negative integer"));
  CHECK_THROWS_WITH(parse_redis_url("redis://x/zero"), Contains("database"));
  CHECK_THROWS_WITH(parse_redis_url("redis://"), Contains("missing host"));
  CHECK_THROWS_WITH(parse_redis_url("redis://[::1"), Contains("unterminated"));
  CHECK_THROWS_WITH(parse_redis_url("redis://alice@x"), Contains("needs a password"));
  CHECK_THROWS_WITH(parse_redis_url("redis://:p%4@x"), Contains("percent-escape"));
  CHECK_THROWS_WITH(parse_redis_url("unix://relative.sock"), Contains("must be absolute"));
  CHECK_THROWS_WITH(parse_redis_url("unix:///r.sock?timeout=1"), Contains("unknown URL parameter"));
  CHECK_THROWS_AS(parse_redis_url("redis://x/1?db=2"), RedisUrlError);
}
