// The lua processor inside the real agent (build/routerpulse run): SIGHUP with
// a broken script keeps the running one and says why; a fixed script is
// picked up by the next SIGHUP.
#include <signal.h>

#include <fstream>
#include <sstream>

#include "lua_fixture.hpp"

using namespace routerpulse;
using namespace routerpulse::test;
using namespace std::chrono_literals;

namespace {

std::string last_line(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string last;
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) last = line;
  return last;
}

std::string versioned(int v) {
  return "function process(m)\n  m.fields.rule_version = " + std::to_string(v) + "\n  return m\nend\n";
}

}  // namespace

TEST_CASE("agent: a broken script on SIGHUP keeps the old one; a fixed one is picked up", "[lua][reload][agent]") {
  TempDir dir;
  const std::string script = dir.file("rules.lua"), out = dir.file("metrics.out"), log = dir.file("agent.log");
  std::ofstream(script) << versioned(1);
  std::ofstream(dir.file("agent.yaml")) << "agent:\n  plugin_dir: " << plugin_dir()
                                        << "\n  shutdown_timeout: 5s\n"
                                           "inputs: {internal: {interval: 100ms, subsystems: [input]}}\n"
                                           "processors: {lua/rules: {script: rules.lua}}\n"
                                           "outputs: {file: {files: [metrics.out], flush_interval: 50ms}}\n"
                                           "pipelines:\n  main: {inputs: [internal], processors: [lua/rules], "
                                           "outputs: [file]}\n";
  Process agent({build_dir() + "/routerpulse", "run", "-c", dir.file("agent.yaml")}, log);
  REQUIRE(wait_until([&] { return read_file(out).find("rule_version=1i") != std::string::npos; }, 10s));

  std::ofstream(script, std::ios::trunc) << "function process(m)\n  return m +\nend\n";
  agent.signal(SIGHUP);
  REQUIRE(wait_until([&] { return read_file(log).find("reload failed") != std::string::npos; }, 10s));
  const std::string text = read_file(log);
  CHECK_THAT(text, Catch::Contains("processors.lua/rules.script"));
  CHECK_THAT(text, Catch::Contains("rules.lua:3: unexpected symbol near 'end'"));
  const size_t before = read_file(out).size();
  REQUIRE(wait_until([&] { return read_file(out).size() > before + 200; }, 10s));  // still running
  CHECK_THAT(last_line(read_file(out), "internal_input"), Catch::Contains("rule_version=1i"));

  std::ofstream(script, std::ios::trunc) << versioned(2);
  agent.signal(SIGHUP);
  REQUIRE(wait_until([&] { return read_file(out).find("rule_version=2i") != std::string::npos; }, 10s));
  agent.signal(SIGTERM);
  CHECK(agent.wait(10s).value_or(-1) == 0);
}
