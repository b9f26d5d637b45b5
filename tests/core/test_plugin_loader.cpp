#include <catch2/catch.hpp>

#include "harness.hpp"
#include "engine/plugin_loader.hpp"

using namespace routerpulse;

TEST_CASE("a plugin built for another ABI is refused with both versions and the file", "[loader]") {
  PluginLoader loader(test::build_dir() + "/test-plugins");
  std::string file = test::build_dir() + "/test-plugins/librp_output_wrongabi.so";
  try {
    loader.load_file(file);
    FAIL("loaded a plugin with the wrong ABI");
  } catch (const PluginLoadError& e) {
    std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains("ABI 999"));
    CHECK_THAT(msg, Catch::Contains("ABI " + std::to_string(ROUTERPULSE_PLUGIN_ABI)));
    CHECK_THAT(msg, Catch::Contains(file));
  }
}

TEST_CASE("an unknown plugin lists what is available", "[loader]") {
  PluginLoader loader(test::plugin_dir());
  try {
    loader.get(PluginKind::output, "carrier_pigeon");
    FAIL("found a plugin that does not exist");
  } catch (const PluginLoadError& e) {
    CHECK_THAT(e.what(), Catch::Contains("unknown output plugin \"carrier_pigeon\""));
  }
}

TEST_CASE("a file that is not a plugin is refused", "[loader]") {
  PluginLoader loader(test::build_dir());
  CHECK_THROWS_WITH(loader.load_file(test::build_dir() + "/lib/librpcore.so"),
                    Catch::Contains("does not export routerpulse_plugin_v1"));
  CHECK_THROWS_WITH(loader.load_file("/nonexistent/librp_input_x.so"), Catch::Contains("cannot load plugin"));
}
