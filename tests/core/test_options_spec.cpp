// Options declared as data (OptionSpec tables) and duplicate-key rejection.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "routerpulse/config.hpp"

using namespace routerpulse;
using namespace std::chrono_literals;

namespace {

constexpr OptionSpec kSpec[] = {
    {.name = "interval", .type = OptionType::duration, .default_value = "10s", .doc = "d", .min = kPositive},
    {.name = "count", .type = OptionType::integer, .default_value = "3", .doc = "d", .min = 1, .max = 10},
    {.name = "ratio", .type = OptionType::number, .default_value = "0.5", .doc = "d", .min = 0, .max = 1},
    {.name = "format", .type = OptionType::choice, .default_value = "influx", .doc = "d", .choices = "influx|json"},
    {.name = "enabled", .type = OptionType::boolean, .default_value = "true", .doc = "d"},
    {.name = "files", .type = OptionType::string_list, .default_value = "[stdout]", .doc = "d"},
    {.name = "dsn", .type = OptionType::string, .doc = "d", .required = true, .example = "postgres://x"},
    {.name = "labels", .type = OptionType::string_map, .doc = "d"},
};

Options opts(const std::string& yaml) {
  return Options(test::yaml(yaml), "inputs.x", std::make_shared<const std::string>("agent.yaml"), {kSpec});
}

std::string error_of(const std::string& yaml) {
  try {
    opts(yaml).validate_declared();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("declared options: defaults come from the table", "[options]") {
  auto o = opts("dsn: postgres://db\n");
  o.validate_declared();
  CHECK(o.duration("interval") == 10s);
  CHECK(o.integer("count") == 3);
  CHECK(o.number("ratio") == 0.5);
  CHECK(o.str("format") == "influx");
  CHECK(o.boolean("enabled"));
  CHECK(o.strings("files") == std::vector<std::string>{"stdout"});
  CHECK(o.str("dsn") == "postgres://db");
  auto set = opts("dsn: a\ninterval: 250ms\ncount: 10\nformat: json\nenabled: false\nfiles: [a, b]\n");
  CHECK(set.duration("interval") == 250ms);
  CHECK(set.integer("count") == 10);
  CHECK(set.str("format") == "json");
  CHECK_FALSE(set.boolean("enabled"));
  CHECK(set.strings("files") == std::vector<std::string>{"a", "b"});
}

TEST_CASE("declared options: every problem names file:line:col and the option", "[options]") {
  CHECK(error_of("dsn: a\nintervall: 5s\n") ==
        "agent.yaml:2:1: inputs.x.intervall: unknown option (known: interval, count, ratio, format, enabled, files, "
        "dsn, labels)");
  CHECK(error_of("dsn: a\ninterval: 0s\n") == "agent.yaml:2:11: inputs.x.interval: must be greater than 0, got 0s");
  CHECK(error_of("dsn: a\ninterval: soon\n") ==
        "agent.yaml:2:11: inputs.x.interval: expected a duration like 10s, 250ms or 5m, got \"soon\"");
  CHECK(error_of("dsn: a\ncount: 11\n") == "agent.yaml:2:8: inputs.x.count: must be between 1 and 10, got 11");
  CHECK(error_of("dsn: a\ncount: 2.5\n") == "agent.yaml:2:8: inputs.x.count: expected an integer, got \"2.5\"");
  CHECK(error_of("dsn: a\nratio: 2\n") == "agent.yaml:2:8: inputs.x.ratio: must be between 0 and 1, got 2");
  CHECK(error_of("dsn: a\nformat: xml\n") ==
        "agent.yaml:2:9: inputs.x.format: expected one of influx, json, got \"xml\"");
  CHECK(error_of("dsn: a\nenabled: maybe\n") ==
        "agent.yaml:2:10: inputs.x.enabled: expected true or false, got \"maybe\"");
  CHECK(error_of("dsn: a\nfiles: {a: b}\n") == "agent.yaml:2:8: inputs.x.files: expected a list of strings, got a map");
  CHECK(error_of("dsn: a\nlabels: {a: [1]}\n") == "agent.yaml:2:13: inputs.x.labels.a: expected a string, got a list");
  CHECK_THAT(error_of("count: 2\n"), Catch::Contains("inputs.x: required option \"dsn\" is missing"));
}

TEST_CASE("declared options: reading an undeclared option is a plugin bug", "[options]") {
  auto o = opts("dsn: a\n");
  CHECK_THROWS_AS(o.str("nope"), std::logic_error);
  CHECK_THROWS_AS(o.integer("interval"), std::logic_error);  // declared as a duration
}

TEST_CASE("duplicate YAML keys are refused with both positions", "[options][config]") {
  try {
    test::yaml("outputs:\n  file:\n    files: [a]\n    flush: true\n    files: [b]\n");
    FAIL("duplicate key accepted");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "<test>:5:5: outputs.file.files: duplicate key \"files\" (first defined at line 3, column 5)");
  }
  try {
    test::yaml("inputs:\n  internal: {}\n  internal/b: {}\n  internal: {}\n");
    FAIL("duplicate id accepted");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "<test>:4:3: inputs.internal: duplicate component id \"internal\" (first defined at line 2, column 3)");
  }
}
