// The routerpulse binary end to end: check, test, plugins, run + SIGTERM/SIGHUP.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.hpp"

using namespace routerpulse;
using test::read_file;
using test::write_file;
using namespace std::chrono_literals;

namespace {

std::string bin() { return test::build_dir() + "/routerpulse"; }

std::string config(const std::string& plugin_dir, const std::string& body) {
  return "agent:\n  plugin_dir: " + plugin_dir + "\n  shutdown_timeout: 5s\n" + body;
}

/// The value of one series on the agent's /metrics (0 when absent or unreachable).
double scrape(int port, const std::string& series) {
  std::string out;
  if (test::run_command("curl -sf http://127.0.0.1:" + std::to_string(port) + "/metrics", &out) != 0) return 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return 0;
}

int count_lines(const std::string& s, const std::string& needle) {
  int n = 0;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) ++n;
  return n;
}

}  // namespace

TEST_CASE("check: a typo names file, line, column and option, exit 2", "[cli]") {
  test::TempDir dir;
  auto path = dir.file("agent.yaml");
  write_file(path, config(test::plugin_dir(),
                          "inputs:\n"
                          "  internal:\n"
                          "    interval: ten\n"
                          "outputs:\n  file: {}\n"
                          "pipelines:\n  main: {inputs: [internal], outputs: [file]}\n"));
  std::string out;
  int rc = test::run_command(bin() + " check -c " + path + " 2>&1", &out);
  CHECK(rc == 2);
  CHECK_THAT(out, Catch::Contains(path + ":6:15: inputs.internal.interval: expected a duration like 10s, 250ms or "
                                         "5m, got \"ten\""));
}

TEST_CASE("check: every error is printed, not just the first", "[cli]") {
  test::TempDir dir;
  auto path = dir.file("agent.yaml");
  write_file(path, config(test::plugin_dir(),
                          "inputs:\n"
                          "  internal: {subsystems: 5x, colour: red}\n"
                          "  icmpp: {}\n"
                          "outputs:\n"
                          "  file: {data_format: xml}\n"
                          "  file/unused: {}\n"
                          "pipelines:\n  main: {inputs: [internal, icmpp], outputs: [file, redis]}\n"));
  std::string out;
  int rc = test::run_command(bin() + " check -c " + path + " 2>&1", &out);
  CHECK(rc == 2);
  CHECK_THAT(out, Catch::Contains("inputs.internal.colour: unknown option"));
  CHECK_THAT(out, Catch::Contains("inputs.icmpp: unknown input plugin \"icmpp\""));
  CHECK_THAT(out, Catch::Contains("outputs.file.data_format: expected one of influx, json, got \"xml\""));
  CHECK_THAT(out, Catch::Contains("pipelines.main.outputs: output \"redis\" is not declared"));
  CHECK_THAT(out, Catch::Contains("warning: "));
  CHECK_THAT(out, Catch::Contains("outputs.file/unused: declared but used by no pipeline"));
}

TEST_CASE("check: a valid config exits 0", "[cli]") {
  test::TempDir dir;
  auto path = dir.file("agent.yaml");
  write_file(path, config(test::plugin_dir(),
                          "inputs: {internal: {}}\noutputs: {file: {}}\n"
                          "pipelines:\n  main: {inputs: [internal], outputs: [file]}\n"));
  std::string out;
  CHECK(test::run_command(bin() + " check -c " + path + " 2>&1", &out) == 0);
  CHECK_THAT(out, Catch::Contains("OK (1 inputs, 0 processors, 1 outputs, 1 pipelines)"));
}

TEST_CASE("plugins lists kind, name and description", "[cli]") {
  std::string out;
  CHECK(test::run_command(bin() + " plugins --plugin-dir " + test::plugin_dir(), &out) == 0);
  CHECK_THAT(out, Catch::Matches("(.|\\n)*input +internal +The agent's own counters(.|\\n)*"));
  CHECK_THAT(out, Catch::Matches("(.|\\n)*output +file +Writes metrics(.|\\n)*"));
}

TEST_CASE("test: gathers once and prints line protocol on stdout", "[cli]") {
  test::TempDir dir;
  auto path = dir.file("agent.yaml");
  write_file(path,
             config(test::plugin_dir(), "inputs: {internal: {}}\noutputs: {file: {files: [" + dir.file("never.out") +
                                            "]}}\n"
                                            "pipelines:\n  main: {inputs: [internal], outputs: [file]}\n"));
  std::string out;
  CHECK(test::run_command(bin() + " test -c " + path + " 2>/dev/null", &out) == 0);
  CHECK_THAT(out, Catch::Contains("internal_input,input=internal "));
  CHECK(read_file(dir.file("never.out")).empty());  // test mode never writes to outputs
}

TEST_CASE("run: internal → file every interval, SIGTERM exits 0 with every gathered metric written", "[cli]") {
  test::TempDir dir;
  auto path = dir.file("agent.yaml");
  auto out = dir.file("metrics.out");
  // flush_interval 1h and a huge batch: the output writes as soon as it is
  // idle (natural batching), never on a timer.
  int port = test::free_port();
  write_file(path, "agent:\n  plugin_dir: " + test::plugin_dir() +
                       "\n  shutdown_timeout: 5s\n  http: {listen: 127.0.0.1:" + std::to_string(port) +
                       "}\n"
                       "inputs: {internal: {interval: 100ms}}\n"
                       "outputs: {file: {files: [" +
                       out +
                       "], batch_size: 100000, flush_interval: 1h}}\n"
                       "pipelines:\n  main: {inputs: [internal], outputs: [file]}\n");
  test::Process p({bin(), "run", "-c", path}, dir.file("agent.log"));
  // Wait for three completed gathers (the agent's own counter), not for time.
  REQUIRE(
      test::wait_until([&] { return scrape(port, "routerpulse_input_gathers_total{input=\"internal\"}") >= 3; }, 20s));
  // Written while running, long before the 1h flush_interval.
  REQUIRE(test::wait_until([&] { return count_lines(read_file(out), "internal_input,input=internal ") >= 2; }, 20s));
  const double gathered = scrape(port, "routerpulse_input_gathers_total{input=\"internal\"}");
  p.signal(SIGTERM);
  auto rc = p.wait(10s);
  REQUIRE(rc.has_value());
  CHECK(*rc == 0);
  auto text = read_file(out);
  // Every round gathered before the signal is in the file (one internal_input line per round).
  CHECK(count_lines(text, "internal_input,input=internal ") >= static_cast<int>(gathered));
}

TEST_CASE("run: SIGHUP reload keeps metrics buffered while the output was failing", "[cli]") {
  test::TempDir dir;
  auto path = dir.file("agent.yaml");
  auto good = dir.file("after-reload.out");
  auto body = [&](const std::string& file) {
    return config(test::plugin_dir(),
                  "inputs: {internal: {interval: 100ms, subsystems: [input]}}\n"
                  "outputs: {file: {files: [" +
                      file +
                      "], batch_size: 5, flush_interval: 50ms, "
                      "retry_initial: 20ms, retry_max: 50ms}}\n"
                      "pipelines:\n  main: {inputs: [internal], outputs: [file]}\n");
  };
  write_file(path, body("/dev/full"));  // every write fails with ENOSPC
  test::Process p({bin(), "run", "-c", path}, dir.file("agent.log"));
  // Once a write has failed, its metrics wait in the buffer: they must come out after the reload.
  REQUIRE(test::wait_until([&] { return read_file(dir.file("agent.log")).find("failed") != std::string::npos; }, 10s));
  auto reload_at =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  write_file(path, body(good));
  p.signal(SIGHUP);
  REQUIRE(test::wait_until(
      [&] { return read_file(dir.file("agent.log")).find("reload complete") != std::string::npos; }, 10s));
  REQUIRE(test::wait_until([&] { return count_lines(read_file(good), "internal_input") >= 10; }, 10s));
  // The first lines written after the reload were gathered before it: they
  // waited in the buffer through the failing writes and the reload.
  auto text = read_file(good);
  auto first_line = text.substr(0, text.find('\n'));
  auto ts = std::stoll(first_line.substr(first_line.rfind(' ') + 1));
  CHECK(ts < reload_at);
  p.signal(SIGTERM);
  auto rc = p.wait(10s);
  REQUIRE(rc.has_value());
  CHECK(*rc == 0);
}

TEST_CASE("run: an invalid config on SIGHUP keeps the running one", "[cli]") {
  test::TempDir dir;
  auto path = dir.file("agent.yaml");
  auto out = dir.file("metrics.out");
  write_file(path, config(test::plugin_dir(),
                          "inputs: {internal: {interval: 100ms}}\n"
                          "outputs: {file: {files: [" +
                              out +
                              "], flush_interval: 50ms}}\n"
                              "pipelines:\n  main: {inputs: [internal], outputs: [file]}\n"));
  test::Process p({bin(), "run", "-c", path}, dir.file("agent.log"));
  REQUIRE(test::wait_until([&] { return !read_file(out).empty(); }, 10s));
  write_file(path, "inputs: {internal: {interval: never}}\n");
  p.signal(SIGHUP);
  REQUIRE(test::wait_until([&] { return read_file(dir.file("agent.log")).find("reload failed") != std::string::npos; },
                           10s));
  auto before = read_file(out).size();
  REQUIRE(test::wait_until([&] { return read_file(out).size() > before; }, 10s));  // still collecting
  p.signal(SIGTERM);
  CHECK(p.wait(10s).value_or(-1) == 0);
}

TEST_CASE("the reference config etc/agent.yaml is valid", "[cli]") {
  std::string out;
  int rc = test::run_command(
      "ROUTERPULSE_API_KEY=k POP1_CORE_PASSWORD=p POP1_BNG2_PASSWORD=p "
      "PG_DSN='host=127.0.0.1 port=1 dbname=x connect_timeout=1' " +
          bin() + " check -c " + test::source_dir() + "/etc/agent.yaml 2>&1",
      &out);
  INFO(out);
  CHECK(rc == 0);
  CHECK_THAT(out, Catch::Contains("OK ("));
}

TEST_CASE("check validates without constructing: no file, thread, socket or connection", "[cli]") {
  // strace(1) sees every clone/socket/connect and every file opened for writing.
  test::TempDir dir;
  auto trace = dir.file("strace.log");
  auto out_file = dir.file("would-be-created.out");
  auto path = dir.file("agent.yaml");
  write_file(path, config(test::plugin_dir(), "inputs: {internal: {}}\noutputs: {file: {files: [" + out_file +
                                                  "]}}\n"
                                                  "pipelines:\n  main: {inputs: [internal], outputs: [file]}\n"));
  std::string env =
      "ROUTERPULSE_API_KEY=k POP1_CORE_PASSWORD=p POP1_BNG2_PASSWORD=p "
      "PG_DSN='host=127.0.0.1 port=1 dbname=x connect_timeout=1' ";
  for (const std::string& cfg : {path, test::source_dir() + "/etc/agent.yaml"}) {
    std::string out;
    int rc = test::run_command(env + "strace -f -qq -o " + trace +
                                   " -e trace=clone,clone3,fork,vfork,socket,connect,openat,open,creat " + bin() +
                                   " check -c " + cfg + " 2>&1",
                               &out);
    INFO(out);
    REQUIRE(rc == 0);
    std::istringstream in(read_file(trace));
    std::vector<std::string> offending;
    for (std::string line; std::getline(in, line);) {
      bool spawn = line.find("clone(") != std::string::npos || line.find("clone3(") != std::string::npos ||
                   line.find("fork(") != std::string::npos;
      bool net = line.find("socket(") != std::string::npos || line.find("connect(") != std::string::npos;
      bool write = (line.find("open") != std::string::npos || line.find("creat(") != std::string::npos) &&
                   (line.find("O_WRONLY") != std::string::npos || line.find("O_RDWR") != std::string::npos ||
                    line.find("O_CREAT") != std::string::npos);
      if (spawn || net || write) offending.push_back(line);
    }
    INFO(cfg);
    for (const auto& l : offending) UNSCOPED_INFO(l);
    CHECK(offending.empty());
  }
  CHECK_FALSE(std::filesystem::exists(out_file));
}

TEST_CASE("check refuses duplicate keys and duplicate component ids with both positions", "[cli]") {
  test::TempDir dir;
  auto path = dir.file("agent.yaml");
  write_file(path, config(test::plugin_dir(),
                          "inputs:\n  internal: {}\n  internal: {interval: 5s}\n"
                          "outputs: {file: {}}\n"
                          "pipelines:\n  main: {inputs: [internal], outputs: [file]}\n"));
  std::string out;
  CHECK(test::run_command(bin() + " check -c " + path + " 2>&1", &out) == 2);
  CHECK_THAT(out, Catch::Contains(path + ":6:3: inputs.internal: duplicate component id \"internal\" (first defined "
                                         "at line 5, column 3)"));
}
