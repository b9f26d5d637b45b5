// Option validation through the real plugin loader: every bad value is a
// ConfigError naming the option (and its file position).
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace routerpulse;
using Catch::Matchers::Contains;

namespace {
void expect_error(const std::string& yaml, const std::string& option, const std::string& text) {
  test::Harness h;
  try {
    h.create(PluginKind::output, "redis_stream", yaml);
    FAIL("no ConfigError for: " << yaml);
  } catch (const ConfigError& e) {
    CHECK(e.option() == "outputs.redis_stream." + option);
    CHECK_THAT(e.what(), Contains(text));
    CHECK(e.line() > 0);
  }
}
}  // namespace

TEST_CASE("valid options build the output", "[redis_stream][config]") {
  test::Harness h;
  auto c = h.create(PluginKind::output, "redis_stream",
                    "url: redis://127.0.0.1:1/2\n"
                    "stream: 'mikrotik:traffic:{router}'\n"
                    "format: fields\n"
                    "tag_prefix: 'tag.'\n"
                    "minid_age: 1h\n"
                    "approximate_trim: false\n"
                    "consumer_group: billing\n"
                    "consumer_group_start_id: '0'\n"
                    "username: alice\n"
                    "password: wonderland\n"
                    "connect_timeout: 2s\n"
                    "command_timeout: 3s\n"
                    "reconnect_initial: 100ms\n"
                    "reconnect_max: 5s\n");
  CHECK(dynamic_cast<Output*>(c.get()) != nullptr);
}

TEST_CASE("invalid options are reported with the option path", "[redis_stream][config]") {
  expect_error("url: http://x", "url", "unknown scheme");
  expect_error("url: redis://x:99999", "url", "port must be 1..65535");
  expect_error("stream: 'a:{router'", "stream", "unclosed '{'");
  expect_error("format: xml", "format", "json");
  expect_error("maxlen: -1", "maxlen", "");
  expect_error("maxlen: 10\nminid_age: 1m", "minid_age", "either maxlen or minid_age");
  expect_error("minid_age: 0s", "minid_age", "greater than 0");
  expect_error("tag_prefix: x", "tag_prefix", "only applies to format: fields");
  expect_error("consumer_group_start_id: '0'", "consumer_group_start_id", "only applies when consumer_group");
  expect_error("reconnect_initial: 10s\nreconnect_max: 1s", "reconnect_max", "at least reconnect_initial");
  expect_error("username: alice", "username", "needs a password");
  expect_error("connect_timeout: soon", "connect_timeout", "");
}

TEST_CASE("unknown options are reported", "[redis_stream][config]") {
  expect_error("stream_key: x", "stream_key", "unknown");
}
