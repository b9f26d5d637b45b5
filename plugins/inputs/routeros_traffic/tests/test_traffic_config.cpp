// routeros_traffic option validation through the real plugin loader: the pure
// checks `routerpulse check` runs (table + validate), and the router names
// the constructor resolves against the `routers:` section. No router is
// contacted: the registry's sessions are never started.
#include <catch2/catch.hpp>

#include <spdlog/spdlog.h>

#include "harness.hpp"
#include "routerpulse/routeros/registry.hpp"

using namespace routerpulse;
using namespace routerpulse::test;

namespace {

struct ConfigFixture {
  ConfigFixture() {
    registry = std::make_unique<routeros::RouterRegistry>(h.io, h.stats, h.health, spdlog::default_logger());
    for (const char* name : {"pop1", "pop2"}) {
      routeros::RouterConfig c;
      c.name = name;
      c.host = "127.0.0.1";
      c.username = "admin";
      registry->add(c);
    }
    h.routers = registry.get();
  }
  /// What `check` reports (table + validate, nothing constructed).
  std::string check_error(const std::string& yaml) {
    try {
      h.validate(PluginKind::input, "routeros_traffic", yaml);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }
  /// What building the input reports (adds the router names).
  std::string create_error(const std::string& yaml) {
    try {
      h.create(PluginKind::input, "routeros_traffic", yaml);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }
  Harness h;
  std::unique_ptr<routeros::RouterRegistry> registry;
};

}  // namespace

TEST_CASE("config: routers must name configured routers", "[routeros_traffic][config]") {
  ConfigFixture f;
  auto e = f.create_error("routers: [pop1, pop9]");
  CHECK_THAT(e, Catch::Contains("inputs.routeros_traffic.routers[1]"));
  CHECK_THAT(e, Catch::Contains("unknown router \"pop9\""));
  CHECK_THAT(e, Catch::Contains("pop1, pop2"));
  CHECK(f.check_error("routers: [pop1, pop9]") == "no error");  // names are resolved when the input is built
  CHECK_THAT(f.check_error("routers: [pop1, all]"), Catch::Contains("cannot be combined"));
  CHECK_THAT(f.check_error("routers: [pop1, pop1]"), Catch::Contains("routers[1]") && Catch::Contains("listed twice"));
  CHECK_THAT(f.check_error("routers: []"), Catch::Contains("needs at least one router name"));
  CHECK(f.create_error("routers: pop2") == "no error");
  CHECK(f.create_error("routers: all") == "no error");
}

TEST_CASE("config: the input needs a routers: section", "[routeros_traffic][config]") {
  Harness h;                                                // h.routers stays nullptr
  h.validate(PluginKind::input, "routeros_traffic", "{}");  // `check` cannot see the section
  try {
    h.create(PluginKind::input, "routeros_traffic", "{}");
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("no `routers:` section"));
    CHECK(e.option() == "inputs.routeros_traffic");
  }
}

TEST_CASE("config: typed and unknown options are reported with their path", "[routeros_traffic][config]") {
  ConfigFixture f;
  CHECK_THAT(f.check_error("max_monitor: 10"), Catch::Contains("inputs.routeros_traffic.max_monitor"));
  CHECK_THAT(f.check_error("max_monitor: 10"), Catch::Contains("unknown option"));
  CHECK_THAT(f.check_error("interfaces_per_command: 0"),
             Catch::Contains("inputs.routeros_traffic.interfaces_per_command"));
  CHECK_THAT(f.check_error("max_monitors: -1"), Catch::Contains("inputs.routeros_traffic.max_monitors"));
  CHECK_THAT(f.check_error("counter_bits: 16"), Catch::Contains("inputs.routeros_traffic.counter_bits"));
  CHECK_THAT(f.check_error("session_discovery: push"), Catch::Contains("inputs.routeros_traffic.session_discovery"));
  CHECK_THAT(f.check_error("batch_size: 0"), Catch::Contains("inputs.routeros_traffic.batch_size"));
  CHECK_THAT(f.check_error("flush_interval: 1s"), Catch::Contains("unknown option"));  // removed: samples leave per read
  CHECK_THAT(f.check_error("timeout: 0s"), Catch::Contains("inputs.routeros_traffic.timeout"));
  CHECK_THAT(f.check_error("sample_time: sent"), Catch::Contains("inputs.routeros_traffic.sample_time"));
  CHECK_THAT(f.check_error("pppoe: everyone"), Catch::Contains("expected `all`, `none` or a list"));
  CHECK_THAT(f.check_error("interfaces: ['']"), Catch::Contains("inputs.routeros_traffic.interfaces"));
  CHECK(f.check_error("pppoe: none\ninterfaces: [ether1, 'sfp*']\ncounter_bits: 64\nsystem: false") == "no error");
  CHECK(f.create_error("pppoe: [alice, bob]\nexclude: ['test-*']\ntimeout: 2s\nresync_interval: 0s") == "no error");
}
