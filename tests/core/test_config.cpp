#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "engine/agent_config.hpp"
#include "harness.hpp"
#include "routerpulse/config.hpp"

using namespace routerpulse;
using namespace std::chrono_literals;

namespace {

ConfigError expect_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("expected a ConfigError");
  throw std::logic_error("unreachable");
}

struct Parsed {
  engine::AgentConfig cfg;
  std::vector<ConfigError> errors;
  std::vector<std::string> warnings;
  bool ok;
};

Parsed parse(const std::string& text) {
  Parsed p;
  auto root = load_config_text(text, "agent.yaml", "/tmp");
  p.ok = engine::parse_agent_config(root, std::make_shared<const std::string>("agent.yaml"), "/tmp", p.cfg, p.errors,
                                    p.warnings);
  return p;
}

}  // namespace

TEST_CASE("durations parse in every documented form", "[config]") {
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("10s") == 10s);
  CHECK(parse_duration("5m") == 5min);
  CHECK(parse_duration("1h30m") == 90min);
  CHECK(parse_duration("1.5s") == 1500ms);
  CHECK(parse_duration("2d") == 48h);
  CHECK(parse_duration("0") == 0s);
  CHECK(parse_duration(" 10s ") == 10s);
  CHECK_FALSE(parse_duration("ten"));
  CHECK_FALSE(parse_duration("10"));
  CHECK_FALSE(parse_duration("-5s"));
  CHECK_FALSE(parse_duration("5 parsecs"));
  CHECK_FALSE(parse_duration(""));
  CHECK(format_duration(90s) == "1m30s");
  CHECK(format_duration(250ms) == "250ms");
  CHECK(parse_duration(format_duration(3723s)) == 3723s);
}

TEST_CASE("env and file substitution", "[config]") {
  test::TempDir dir;
  {
    std::ofstream f(dir.file("secret"));
    f << "s3cret\n";
  }
  setenv("RP_TEST_HOST", "10.0.0.1", 1);
  auto root = load_config_text("a: ${env:RP_TEST_HOST}:8728\nb: ${file:secret}\nc: literal $${env:X}\n", "agent.yaml",
                               dir.path());
  CHECK(root["a"].Scalar() == "10.0.0.1:8728");
  CHECK(root["b"].Scalar() == "s3cret");
  CHECK(root["c"].Scalar() == "literal ${env:X}");
}

TEST_CASE("a missing env var names file, line, column and option", "[config]") {
  unsetenv("RP_TEST_MISSING");
  auto e = expect_error(
      [] { load_config_text("routers:\n  core:\n    password: ${env:RP_TEST_MISSING}\n", "agent.yaml", "/tmp"); });
  CHECK(e.file() == "agent.yaml");
  CHECK(e.line() == 3);
  CHECK(e.column() == 15);
  CHECK(e.option() == "routers.core.password");
  CHECK_THAT(e.what(), Catch::Contains("RP_TEST_MISSING is not set"));
  CHECK_THAT(e.what(), Catch::StartsWith("agent.yaml:3:15: routers.core.password:"));
}

TEST_CASE("an unreadable ${file:} is an error", "[config]") {
  auto e = expect_error([] { load_config_text("x: ${file:/nonexistent/secret}\n", "agent.yaml", "/tmp"); });
  CHECK(e.option() == "x");
  CHECK_THAT(e.what(), Catch::Contains("/nonexistent/secret"));
}

TEST_CASE("bad YAML reports the position", "[config]") {
  auto e = expect_error([] { load_config_text("inputs:\n  a: [1, 2\n", "agent.yaml", "/tmp"); });
  CHECK(e.line() >= 2);
  CHECK_THAT(e.what(), Catch::Contains("invalid YAML"));
}

TEST_CASE("Options: typed accessors and their errors", "[config]") {
  auto file = std::make_shared<const std::string>("agent.yaml");
  auto root = load_config_text(
      "inputs:\n  icmp:\n    interval: ten\n    count: 3x\n    ok: maybe\n    list: {a: 1}\n    n: 7\n"
      "    mode: fast\n    d: 250ms\n",
      "agent.yaml", "/tmp");
  Options o(root["inputs"]["icmp"], "inputs.icmp", file);
  auto e = expect_error([&] { o.get_duration("interval", 1s); });
  CHECK(std::string(e.what()) ==
        "agent.yaml:3:15: inputs.icmp.interval: expected a duration like 10s, 250ms or 5m, got \"ten\"");
  CHECK_THAT(expect_error([&] { o.get_int("count", 1); }).what(), Catch::Contains("expected an integer"));
  CHECK_THAT(expect_error([&] { o.get_bool("ok", true); }).what(), Catch::Contains("expected true or false"));
  CHECK_THAT(expect_error([&] { o.get_string_list("list", {}); }).what(), Catch::Contains("a list of strings"));
  CHECK_THAT(expect_error([&] { o.get_int("n", 1, 10, 20); }).what(), Catch::Contains("between 10 and 20"));
  CHECK_THAT(expect_error([&] {
               o.get_enum("mode", "slow", {"slow", "medium"});
             }).what(),
             Catch::Contains("expected one of slow, medium"));
  CHECK_THAT(expect_error([&] { o.require_string("missing"); }).what(), Catch::Contains("required option"));
  CHECK(o.get_duration("d", 1s) == 250ms);
  CHECK(o.get_int("absent", 42) == 42);
  // Nothing read "unknown_key": check_unknown reports the first unread key.
  Options o2(load_config_text("a: 1\ntypo_key: 2\n", "agent.yaml", "/tmp"), "outputs.file", file);
  o2.get_int("a", 0);
  auto u = expect_error([&] { o2.check_unknown(); });
  CHECK(u.option() == "outputs.file.typo_key");
  CHECK(u.line() == 2);
  CHECK_THAT(u.what(), Catch::Contains("unknown option"));
}

TEST_CASE("agent.yaml structure: a valid config", "[config]") {
  auto p = parse(
      "agent: {interval: 5s}\n"
      "inputs: {internal: {}}\n"
      "outputs: {file: {}, file/extra: {files: [stderr]}}\n"
      "pipelines:\n  main: {inputs: [internal], outputs: [file]}\n");
  REQUIRE(p.ok);
  CHECK(p.cfg.agent.interval == 5s);
  CHECK(p.cfg.components.size() == 3);
  CHECK(p.cfg.find(PluginKind::output, "file/extra")->plugin == "file");
  REQUIRE(p.warnings.size() == 1);  // file/extra is used by no pipeline
  CHECK_THAT(p.warnings[0], Catch::Contains("outputs.file/extra: declared but used by no pipeline"));
}

TEST_CASE("agent.yaml structure: every error is reported", "[config]") {
  auto p = parse(
      "agent: {interval: soon, colour: blue}\n"
      "inputs: {internal: {}}\n"
      "outputs: {file: {}}\n"
      "extras: {}\n"
      "pipelines:\n"
      "  main: {inputs: [internal, icmp], processors: [lua], outputs: [file]}\n"
      "  empty: {inputs: [internal]}\n");
  CHECK_FALSE(p.ok);
  std::string all;
  for (auto& e : p.errors) all += std::string(e.what()) + "\n";
  CHECK_THAT(all, Catch::Contains("agent.yaml:1:19: agent.interval: expected a duration"));
  CHECK_THAT(all, Catch::Contains("agent.yaml:4:1: extras: unknown section"));
  CHECK_THAT(all, Catch::Contains("pipelines.main.inputs: input \"icmp\" is not declared under inputs:"));
  CHECK_THAT(all, Catch::Contains("pipelines.main.processors: processor \"lua\" is not declared"));
  CHECK_THAT(all, Catch::Contains("pipelines.empty.outputs: a pipeline needs at least one output"));
}

TEST_CASE("agent.yaml structure: no pipelines, bad ids", "[config]") {
  auto p = parse("inputs: {Bad-Name: {}}\n");
  CHECK_FALSE(p.ok);
  std::string all;
  for (auto& e : p.errors) all += std::string(e.what()) + "\n";
  CHECK_THAT(all, Catch::Contains("inputs.Bad-Name: invalid component id"));
  CHECK_THAT(all, Catch::Contains("no pipelines defined"));
}
