// Option validation through the real plugin loader: every bad value is a
// ConfigError naming the option, its file position and the exact problem —
// the same from `routerpulse check` (Harness::validate: table + validate())
// as from construction (Harness::create).
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace routerpulse;
using Catch::Matchers::StartsWith;

namespace {

void check_error(const ConfigError& e, const std::string& option, const std::string& message) {
  CHECK(e.option() == "outputs.redis_stream." + option);
  CHECK(e.message() == message);
  CHECK(e.line() > 0);
}

/// `yaml` must be refused at `option` with exactly `message`, by check and by create.
void expect_error(const std::string& yaml, const std::string& option, const std::string& message) {
  INFO("options: " << yaml);
  test::Harness h;
  try {
    h.validate(PluginKind::output, "redis_stream", yaml);
    FAIL("validate accepted it");
  } catch (const ConfigError& e) {
    check_error(e, option, message);
  }
  try {
    h.create(PluginKind::output, "redis_stream", yaml);
    FAIL("create accepted it");
  } catch (const ConfigError& e) {
    check_error(e, option, message);
  }
}

}  // namespace

TEST_CASE("valid options build the output", "[redis_stream][config]") {
  test::Harness h;
  const std::string yaml =
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
      "db: 3\n"
      "connect_timeout: 2s\n"
      "command_timeout: 3s\n"
      "reconnect_initial: 100ms\n"
      "reconnect_max: 5s\n"
      "batch_size: 500\n";  // an engine option: accepted next to the plugin's
  CHECK_NOTHROW(h.validate(PluginKind::output, "redis_stream", yaml));
  auto c = h.create(PluginKind::output, "redis_stream", yaml);
  CHECK(dynamic_cast<Output*>(c.get()) != nullptr);
  CHECK_NOTHROW(h.create(PluginKind::output, "redis_stream", ""));  // every default is valid
  // ... also when written out, as in an uncommented `plugins --sample` config
  CHECK_NOTHROW(h.validate(PluginKind::output, "redis_stream",
                           "url: redis://127.0.0.1:6379/0\nstream: routerpulse:{name}\nmissing_tag_value: unknown\n"
                           "format: json\ntag_prefix: \"\"\nfield_prefix: \"\"\nmaxlen: 100000\n"
                           "approximate_trim: true\nconnect_timeout: 5s\ncommand_timeout: 10s\n"
                           "reconnect_initial: 500ms\nreconnect_max: 30s"));
}

TEST_CASE("invalid values are reported with the option path and the exact problem", "[redis_stream][config]") {
  // URL syntax (validate)
  expect_error("url: http://x", "url", "unknown scheme 'http' (expected redis:// or unix://)");
  expect_error("url: redis://x:99999", "url", "port must be 1..65535, got '99999'");
  expect_error("url: redis://alice@x", "url", "a username needs a password (redis://user:password@host)");
  expect_error("url: rediss://x", "url",
               "rediss:// (TLS) is not supported: this build uses hiredis 0.14 without TLS; "
               "use a unix socket or a local TLS tunnel");
  // key template syntax (validate)
  expect_error("stream: 'a:{router'", "stream", "column 3: unclosed '{' (expected {name} or {<tag>})");
  expect_error("stream: 'a}'", "stream", "column 2: stray '}' (write '}}' for a literal brace)");
  // types, ranges and choices (the option table)
  expect_error("format: xml", "format", "expected one of json, fields, got \"xml\"");
  expect_error("maxlen: -1", "maxlen", "must be at least 0, got -1");
  expect_error("maxlen: lots", "maxlen", "expected an integer, got \"lots\"");
  expect_error("db: -1", "db", "must be between 0 and 1048576, got -1");
  expect_error("minid_age: 0s", "minid_age", "must be at least 1ms, got 0s");
  expect_error("connect_timeout: soon", "connect_timeout", "expected a duration like 10s, 250ms or 5m, got \"soon\"");
  expect_error("connect_timeout: 0s", "connect_timeout", "must be greater than 0, got 0s");
  expect_error("command_timeout: 0ms", "command_timeout", "must be greater than 0, got 0ms");
  expect_error("reconnect_initial: 0s", "reconnect_initial", "must be greater than 0, got 0s");
  expect_error("approximate_trim: maybe", "approximate_trim", "expected true or false, got \"maybe\"");
  // cross-field rules (validate)
  expect_error("maxlen: 10\nminid_age: 1m", "minid_age",
               "set either maxlen or minid_age: XADD accepts one trimming strategy");
  expect_error("tag_prefix: x", "tag_prefix", "only applies to format: fields");
  expect_error("field_prefix: x", "field_prefix", "only applies to format: fields");
  expect_error("format: json\ntag_prefix: t", "tag_prefix", "only applies to format: fields");
  expect_error("consumer_group_start_id: '0'", "consumer_group_start_id", "only applies when consumer_group is set");
  expect_error("consumer_group: g\nconsumer_group_start_id: ''", "consumer_group_start_id",
               "must not be empty (use $ or 0)");
  expect_error("reconnect_initial: 10s\nreconnect_max: 1s", "reconnect_max",
               "must be at least reconnect_initial (10s)");
  expect_error("reconnect_initial: 1m", "reconnect_initial", "must not exceed reconnect_max (30s)");
  expect_error("username: alice", "username", "a username needs a password");
}

TEST_CASE("unknown options are reported", "[redis_stream][config]") {
  test::Harness h;
  try {
    h.validate(PluginKind::output, "redis_stream", "stream_key: x");
    FAIL("no ConfigError");
  } catch (const ConfigError& e) {
    CHECK(e.option() == "outputs.redis_stream.stream_key");
    CHECK_THAT(e.message(), StartsWith("unknown option (known: url, username, password, db, stream,"));
    CHECK(e.line() == 1);
  }
}
